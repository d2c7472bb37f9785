// A loopback HTTPS reverse proxy in front of a test kube-apiserver that injects faults: HTTP
// errors (429 with Retry-After, 5xx), connection resets, delays. It serves the apiserver's own
// certificate (SAN 127.0.0.1), so the same CA data works and a kubeconfig differs only in port.
// Used by the retry tests and the faults tier.
//
//   const proxy = await startFlakyProxy(tc)                    // tc: a ControlPlane / TestCluster
//   proxy.failNext(2, { status: 503 })                         // the next 2 matching requests fail
//   proxy.failNext(1, 'reset', (r) => r.method === 'POST')
//   const kube = Kube.fromString(proxy.kubeconfig(tc.adminToken))

import { readFileSync } from 'node:fs'
import type http from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { kubeconfig } from '../../src/fleet/control-plane.js'

export type Fault =
  | { status: number; retryAfter?: string; message?: string }
  | 'reset'
  | { delayMs: number }
  | 'hang'

export interface SeenRequest {
  method: string
  path: string
  /** The fault injected, or undefined when the request was forwarded. */
  fault?: Fault
  /** Upstream status when forwarded. */
  status?: number
}

type Match = (r: { method: string; path: string }) => boolean

export interface FlakyProxy {
  /** `https://127.0.0.1:<port>` */
  url: string
  /** Every request seen, in order. */
  seen: SeenRequest[]
  /** The next `n` requests matching `match` (default: all) get `fault`. */
  failNext(n: number, fault: Fault, match?: Match): void
  /** Decide per request (overrides failNext while set); return undefined to forward. */
  setPolicy(policy: ((r: { method: string; path: string }) => Fault | undefined) | undefined): void
  /** A kubeconfig (JSON text) pointing at the proxy with this bearer token. */
  kubeconfig(token: string): string
  close(): Promise<void>
}

export async function startFlakyProxy(target: {
  server: string
  dir: string
  caData: string
}): Promise<FlakyProxy> {
  const ca = Buffer.from(target.caData, 'base64')
  const cert = readFileSync(join(target.dir, 'pki', 'apiserver.crt'))
  const key = readFileSync(join(target.dir, 'pki', 'apiserver.key'))
  const upstream = new URL(target.server)
  const agent = new https.Agent({ keepAlive: true, ca })
  const seen: SeenRequest[] = []
  const queue: { left: number; fault: Fault; match: Match }[] = []
  let policy: ((r: { method: string; path: string }) => Fault | undefined) | undefined
  const hanging = new Set<http.ServerResponse>()

  const pick = (r: { method: string; path: string }): Fault | undefined => {
    if (policy) return policy(r)
    const entry = queue.find((q) => q.left > 0 && q.match(r))
    if (!entry) return undefined
    entry.left--
    return entry.fault
  }

  const forward = (req: http.IncomingMessage, res: http.ServerResponse, record: SeenRequest) => {
    const up = https.request(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
        agent,
      },
      (upRes) => {
        record.status = upRes.statusCode
        res.writeHead(upRes.statusCode ?? 502, upRes.headers)
        upRes.pipe(res)
      },
    )
    up.on('error', () => res.destroy())
    req.pipe(up)
  }

  const server = https.createServer({ cert, key }, (req, res) => {
    const r = { method: req.method ?? 'GET', path: req.url ?? '/' }
    const fault = pick(r)
    const record: SeenRequest = { ...r, fault }
    seen.push(record)
    if (fault === undefined) return forward(req, res, record)
    if (fault === 'reset') {
      req.socket.destroy()
      return
    }
    if (fault === 'hang') {
      hanging.add(res)
      return
    }
    if ('delayMs' in fault) {
      setTimeout(() => forward(req, res, record), fault.delayMs)
      return
    }
    req.resume()
    const body = JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      message: fault.message ?? `injected fault: HTTP ${fault.status}`,
      reason: fault.status === 429 ? 'TooManyRequests' : 'InternalError',
      code: fault.status,
    })
    res.writeHead(fault.status, {
      'content-type': 'application/json',
      ...(fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : {}),
    })
    res.end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url,
    seen,
    failNext(n, fault, match = () => true) {
      queue.push({ left: n, fault, match })
    },
    setPolicy(p) {
      policy = p
    },
    kubeconfig(token) {
      return JSON.stringify(kubeconfig(url, target.caData, [{ name: 'proxy', token }]))
    },
    close() {
      for (const res of hanging) res.destroy()
      agent.destroy()
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
