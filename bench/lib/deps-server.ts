// A loopback mirror for bench/deps.ts: a route serves a body, or first fails with a status
// once, or stalls after some bytes (until the client hangs up), or redirects with a large body
// of its own (written in 1 MiB slices as the client reads).

import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface RouteFaults {
  /** Send this many bytes of the body, then nothing until the client goes away. */
  stallAfter?: number
  /** Answer the first request with this status (then serve normally). */
  failFirst?: number
  /** Answer 302 to this path, with the route's body as the redirect's own body. */
  redirectTo?: string
}

export interface DepsServer {
  url(path: string): string
  serve(path: string, body: Buffer, faults: RouteFaults): void
  /** `<path> <status or what happened>`, oldest first. */
  readonly requests: string[]
  close(): Promise<void>
}

async function writeSlices(res: http.ServerResponse, body: Buffer): Promise<void> {
  const slice = 1024 * 1024
  for (let off = 0; off < body.length && !res.destroyed; off += slice) {
    if (!res.write(body.subarray(off, off + slice))) {
      await new Promise<void>((resolve) => {
        const go = () => {
          res.off('drain', go).off('close', go)
          resolve()
        }
        res.on('drain', go).on('close', go)
      })
    }
  }
  res.end()
}

export async function startDepsServer(): Promise<DepsServer> {
  const routes = new Map<string, { body: Buffer; faults: RouteFaults }>()
  const requests: string[] = []
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    const route = routes.get(path)
    const log = (what: string | number) => requests.push(`${path} ${what}`)
    if (!route) {
      log(404)
      res.writeHead(404, { 'content-length': '0' }).end()
      return
    }
    const { body, faults } = route
    if (faults.failFirst) {
      log(faults.failFirst)
      const status = faults.failFirst
      faults.failFirst = undefined
      res.writeHead(status, { 'content-length': '0', connection: 'close' }).end()
      return
    }
    if (faults.redirectTo) {
      log(302)
      res.writeHead(302, { location: faults.redirectTo, 'content-length': String(body.length) })
      void writeSlices(res, body)
      return
    }
    res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': String(body.length) })
    if (faults.stallAfter !== undefined) {
      log('stalled')
      res.write(body.subarray(0, faults.stallAfter))
      return
    }
    log(200)
    void writeSlices(res, body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    serve(path, body, faults) {
      routes.set(path, { body, faults: { ...faults } })
    },
    requests,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
