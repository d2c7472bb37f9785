// A loopback dkp mirror that fails the way real mirrors do before it serves: the first request
// gets 503 with a Retry-After header (and `Connection: close`), then the listener is closed so
// the next connection attempt is refused (ECONNREFUSED, nothing listens on the port), until the
// test calls `reopen()`, which listens on the same port again and serves the body.
//
//   const m = await startFlakyMirror('/dkp/v2.8.1/dkp_v2.8.1_linux_amd64.tar.gz', tgz.data)
//   … child logs "attempt 2/4 failed (connect ECONNREFUSED …)" → await m.reopen()
//   m.requests   // ['GET /dkp/… 503', 'GET /dkp/… 200']

import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FlakyMirror {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  /** `<method> <path> <status>` per request answered, oldest first. */
  readonly requests: string[]
  /** True once the 503 was sent and the listener closed (connections are refused now). */
  readonly refusing: boolean
  /** Listens on the same port again; from now on the body is served. */
  reopen(): Promise<void>
  close(): Promise<void>
}

export async function startFlakyMirror(
  path: string,
  body: Buffer,
  options: { retryAfter?: string } = {},
): Promise<FlakyMirror> {
  const requests: string[] = []
  let answered503 = false
  let refusing = false
  let server: http.Server
  const handler: http.RequestListener = (req, res) => {
    const p = new URL(req.url ?? '/', 'http://x').pathname
    if (p !== path) {
      requests.push(`${req.method} ${p} 404`)
      res.writeHead(404, { 'content-type': 'text/plain', connection: 'close' }).end('not found\n')
      return
    }
    if (!answered503) {
      answered503 = true
      requests.push(`${req.method} ${p} 503`)
      res.writeHead(503, {
        'content-type': 'text/plain',
        'retry-after': options.retryAfter ?? '1',
        connection: 'close',
      })
      res.end('mirror busy\n', () => {
        // stop listening: the next attempt meets a refused connection
        refusing = true
        server.close()
        server.closeAllConnections()
      })
      return
    }
    requests.push(`${req.method} ${p} 200`)
    res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': String(body.length) })
    res.end(body)
  }
  const listen = (port: number) =>
    new Promise<http.Server>((resolve, reject) => {
      const s = http.createServer(handler)
      s.keepAliveTimeout = 500
      s.once('error', reject)
      s.listen(port, '127.0.0.1', () => resolve(s))
    })
  server = await listen(0)
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    get refusing() {
      return refusing
    },
    async reopen() {
      server = await listen(port)
      refusing = false
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}
