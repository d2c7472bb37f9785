// One HTTP exchange with the API server for the Kubernetes client: the kubeconfig's
// credentials and TLS settings (client-node applies them), a keep-alive agent per TLS
// identity, an idle timeout, a hard cut at the deadline, and a size bound on an untrusted
// server's response. Retries and error texts are the client's (kube.ts).

import http from 'node:http'
import https from 'node:https'
import type { KubeConfig } from '@kubernetes/client-node'
import { formatDuration } from './deadline.js'
import type { RawResponse } from './kube-types.js'

/** An untrusted (workload) server's single response is refused beyond this (a page of 500 objects stays far below). */
export const MAX_UNTRUSTED_RESPONSE_BYTES = 256 * 1024 * 1024

export interface TransportOptions {
  kc: KubeConfig
  url: URL
  userAgent: string
  /** Idle timeout: no bytes for this long ends the request (`KUBE_TIMEOUT`). */
  timeoutMs: number
  /** The server is untrusted: its responses are bounded. */
  untrusted: boolean
}

export class KubeTransport {
  private agent: http.Agent | undefined
  private agentKey = ''

  constructor(private readonly o: TransportOptions) {}

  /** Closes idle keep-alive connections; the transport stays usable. */
  close(): void {
    this.agent?.destroy()
    this.agent = undefined
    this.agentKey = ''
  }

  /**
   * Sends one request. Rejects with `code` KUBE_TIMEOUT (idle), KUBE_DEADLINE (`hardMs`, the
   * time left before the deadline, passed: the request is cut whatever it is doing),
   * KUBE_TOO_LARGE, or the network error.
   */
  async send(
    method: string,
    pathAndQuery: string,
    body: Buffer | undefined,
    contentType: string | undefined,
    hardMs: number,
  ): Promise<RawResponse> {
    const opts: https.RequestOptions & { headers: Record<string, string> } = { headers: {} }
    await this.o.kc.applyToHTTPSOptions(opts)
    const headers: Record<string, string> = {
      ...(opts.headers as Record<string, string>),
      Accept: 'application/json',
      'User-Agent': this.o.userAgent,
    }
    if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`
    if (body) {
      headers['Content-Type'] = contentType ?? 'application/json'
      headers['Content-Length'] = String(body.length)
    }
    const { url } = this.o
    const secure = url.protocol === 'https:'
    const agent = this.o.kc.getCurrentCluster()?.proxyUrl
      ? (opts.agent as http.Agent)
      : this.agentFor(opts, secure)
    const mod = secure ? https : http
    return new Promise<RawResponse>((resolve, reject) => {
      const req = mod.request(
        {
          protocol: url.protocol,
          hostname: url.hostname,
          port: url.port,
          method,
          path: pathAndQuery,
          headers,
          agent,
        },
        (res) => this.read(req, res, resolve, reject),
      )
      this.bound(req, hardMs)
      req.on('error', reject)
      req.end(body)
    })
  }

  /** Collects the response (bounded for an untrusted server); JSON bodies parsed. */
  private read(
    req: http.ClientRequest,
    res: http.IncomingMessage,
    resolve: (r: RawResponse) => void,
    reject: (e: Error) => void,
  ): void {
    const chunks: Buffer[] = []
    let bytes = 0
    const limit = this.o.untrusted ? MAX_UNTRUSTED_RESPONSE_BYTES : Number.POSITIVE_INFINITY
    res.on('data', (c: Buffer) => {
      bytes += c.length
      if (bytes > limit) {
        chunks.length = 0
        req.destroy(
          Object.assign(new Error(`the response exceeds ${limit} bytes; refusing it`), {
            code: 'KUBE_TOO_LARGE',
          }),
        )
        return
      }
      chunks.push(c)
    })
    res.on('error', reject)
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      let parsed: unknown = text
      if (text && /json/.test(res.headers['content-type'] ?? '')) {
        try {
          parsed = JSON.parse(text)
        } catch {
          parsed = text
        }
      }
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed })
    })
  }

  /**
   * An idle timeout: no bytes for this long (connecting, the TLS handshake and the response all
   * count), so a slow but streaming list is not cut; and the hard cut at the deadline.
   */
  private bound(req: http.ClientRequest, hardMs: number): void {
    req.setTimeout(this.o.timeoutMs, () => {
      req.destroy(
        Object.assign(new Error(`no response within ${formatDuration(this.o.timeoutMs)}`), {
          code: 'KUBE_TIMEOUT',
        }),
      )
    })
    if (Number.isFinite(hardMs)) {
      const cut = setTimeout(() => {
        req.destroy(Object.assign(new Error('the deadline passed'), { code: 'KUBE_DEADLINE' }))
      }, hardMs)
      req.once('close', () => clearTimeout(cut))
    }
  }

  private agentFor(opts: https.RequestOptions, secure: boolean): http.Agent {
    const tls = {
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
      pfx: opts.pfx,
      passphrase: opts.passphrase,
      servername: opts.servername,
      rejectUnauthorized: opts.rejectUnauthorized,
    }
    const key = JSON.stringify([
      secure,
      String(tls.ca ?? ''),
      String(tls.cert ?? ''),
      tls.servername,
      tls.rejectUnauthorized,
    ])
    if (!this.agent || key !== this.agentKey) {
      this.agent?.destroy()
      this.agent = secure
        ? new https.Agent({ keepAlive: true, maxSockets: 32, ...dropUndefined(tls) })
        : new http.Agent({ keepAlive: true, maxSockets: 32 })
      this.agentKey = key
    }
    return this.agent
  }
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
