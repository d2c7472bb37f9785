// One Kubernetes API call for the client (kube.ts): bounded retries with backoff (a server's
// Retry-After wins), one retry for a request that got no response, never past the deadline,
// every attempt counted and reported to the request hooks; failures as KubeError with the
// server's text (masked and clipped for an untrusted server).

import http from 'node:http'
import { type Deadline, processDeadline } from './deadline.js'
import { isStatus, KubeError, serverText } from './kube-error.js'
import type { KubeTransport } from './kube-transport.js'
import type { RawResponse, RequestEvent, RequestSpec, What } from './kube-types.js'

const RETRY_STATUS = (code: number) => code === 429 || code >= 500
const NETWORK_RETRY = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
  'KUBE_TIMEOUT',
])

/** Retries of a request that got no response at all (a black-holed server): one, not `retries`. */
const TIMEOUT_RETRIES = 1

export interface CallerOptions {
  transport: KubeTransport
  url: URL
  server: string
  retries: number
  baseDelayMs: number
  maxDelayMs: number
  /** The client's deadline (settable on the client), else the process's. */
  deadline: () => Deadline | undefined
  /** Credentials of an untrusted server's kubeconfig: masked in its error texts. */
  untrusted: string[] | undefined
}

export class KubeCaller {
  readonly hooks: ((e: RequestEvent) => void)[] = []
  /** HTTP requests sent (every retry attempt counts). */
  count = 0
  /** Requests that were retries of a failed attempt. */
  retried = 0

  constructor(private readonly o: CallerOptions) {}

  async call<T>(spec: RequestSpec): Promise<T> {
    const qs = new URLSearchParams()
    for (const [k, v] of Object.entries(spec.query ?? {}))
      if (v !== undefined && v !== '') qs.set(k, String(v))
    const pathAndQuery = `${this.o.url.pathname.replace(/\/$/, '')}${spec.path}${qs.size ? `?${qs}` : ''}`
    const body = spec.body === undefined ? undefined : Buffer.from(JSON.stringify(spec.body))
    let timeouts = 0
    for (let attempt = 1; ; attempt++) {
      const deadline = this.o.deadline() ?? processDeadline()
      const left = deadline ? deadline.at - Date.now() : Number.POSITIVE_INFINITY
      if (deadline && left <= 0) throw this.deadlineError(spec.what, attempt - 1, deadline)
      const started = performance.now()
      let res: RawResponse | undefined
      let netErr: (Error & { code?: string }) | undefined
      try {
        res = await this.o.transport.send(spec.method, pathAndQuery, body, spec.contentType, left)
      } catch (err) {
        netErr = err as Error & { code?: string }
      }
      this.count++
      if (attempt > 1) this.retried++
      const event: RequestEvent = {
        method: spec.method,
        path: pathAndQuery,
        status: res?.status ?? 0,
        attempt,
        durationMs: performance.now() - started,
      }
      for (const hook of this.hooks) hook(event)

      if (res && res.status >= 200 && res.status < 300) return res.body as T
      // Cut short by the deadline: nothing is left to retry with.
      if (netErr?.code === 'KUBE_DEADLINE' && deadline) throw this.deadlineError(spec.what, attempt, deadline)
      const timedOut = netErr?.code === 'KUBE_TIMEOUT'
      if (timedOut) timeouts++
      const retryable =
        (res ? RETRY_STATUS(res.status) : NETWORK_RETRY.has(netErr?.code ?? '')) &&
        (!timedOut || timeouts <= TIMEOUT_RETRIES)
      let noTime = ''
      if (retryable && attempt <= this.o.retries) {
        const wait = this.delay(attempt, res?.headers['retry-after'])
        if (!deadline || Date.now() + wait < deadline.at) {
          await sleep(wait)
          continue
        }
        noTime = `; no time left for another attempt before the deadline (${deadline.what})`
      }
      if (res) {
        const status = isStatus(res.body) ? res.body : undefined
        const text = typeof res.body === 'string' ? res.body.trim().slice(0, 500) : ''
        const reason = status?.reason ?? http.STATUS_CODES[res.status]
        const message = status?.message || text || 'no message from the server'
        throw new KubeError(spec.what, {
          code: res.status,
          reason: this.o.untrusted && reason ? serverText(reason, this.o.untrusted, 40) : reason,
          message: `${this.o.untrusted ? serverText(message, this.o.untrusted, 300) : message}${noTime}`,
          attempts: attempt,
          status,
        })
      }
      throw new KubeError(
        spec.what,
        {
          code: 0,
          message: `${netErr?.code && !timedOut ? `${netErr.code}: ` : ''}${netErr?.message ?? 'request failed'} (server ${this.o.server})${noTime}`,
          attempts: attempt,
          ...(timedOut ? { timedOut: 'request' as const } : {}),
        },
        { cause: netErr },
      )
    }
  }

  private deadlineError(what: What, attempts: number, deadline: Deadline): KubeError {
    return new KubeError(what, {
      code: 0,
      message: `no response before the deadline (${deadline.what}) from ${this.o.server}`,
      attempts: Math.max(1, attempts),
      timedOut: 'deadline',
    })
  }

  /** Exponential backoff with jitter; a server's Retry-After (seconds or HTTP date) wins when longer. */
  private delay(attempt: number, retryAfter: string | string[] | undefined): number {
    const exp = Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** (attempt - 1))
    const backoff = exp / 2 + Math.random() * (exp / 2)
    const header = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter
    let server = 0
    if (header) {
      const secs = Number(header)
      server = Number.isFinite(secs) ? secs * 1000 : Math.max(0, Date.parse(header) - Date.now())
      if (!Number.isFinite(server)) server = 0
    }
    return Math.min(this.o.maxDelayMs, Math.max(backoff, server))
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
