// Downloads one file (http, https or file URL) to a path, hashing it (sha256) while it streams.
// Bounded retries with exponential backoff on network errors, stalls, truncated bodies and
// HTTP 5xx/408/429 (Retry-After honoured within limits); an idle timeout per attempt and an
// overall deadline. Proxies: https_proxy/http_proxy/no_proxy, through @actions/http-client's
// agent, as the toolkit does. Not the toolkit's download (measured in bench/deps.ts,
// docs/architecture.md "Dependencies"): tool-cache's downloadTool sleeps 10-20 s between its 3
// attempts, has no timeout (a stalled mirror hangs the job) and prints ::debug:: lines on stdout
// (which `dkp-fleet install` keeps for the path); http-client's get() reads a redirect's whole
// body into one string before following it and takes no AbortSignal.

import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { rm, stat } from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { getProxyUrl } from '@actions/http-client/lib/proxy'
import { redactUrl } from '../core/download.js'

export interface DownloadOptions {
  /** Attempts in all (first try included). Default 4. */
  attempts?: number
  /** Delay before the first retry; doubled each time (±20 % jitter), capped by maxBackoffMs. Default 1000. */
  backoffMs?: number
  maxBackoffMs?: number
  /** Longest Retry-After honoured (longer ones count as this). Default 30 000. */
  maxRetryAfterMs?: number
  /** An attempt fails (and may be retried) when no response or no bytes arrive for this long. Default 60 000. */
  idleTimeoutMs?: number
  /** Deadline for the whole download, retries included. Default 600 000. */
  timeoutMs?: number
  /** Progress lines (retries). */
  log?: (message: string) => void
  /** Extra request headers. */
  headers?: Record<string, string>
}

export interface Downloaded {
  bytes: number
  sha256: string
  attempts: number
}

export type DownloadErrorKind = 'status' | 'not-found' | 'network' | 'timeout' | 'redirect' | 'file'

/** Why a download failed in the end; `message` is the last attempt's reason. */
export class DownloadError extends Error {
  readonly kind: DownloadErrorKind
  readonly status: number | undefined
  readonly attempts: number
  constructor(kind: DownloadErrorKind, message: string, opts: { status?: number; attempts?: number } = {}) {
    super(message)
    this.name = 'DownloadError'
    this.kind = kind
    this.status = opts.status
    this.attempts = opts.attempts ?? 1
  }
}

/** One failed attempt: retryable or not, with the server's Retry-After when it sent one. */
class AttemptError extends Error {
  constructor(
    readonly kind: DownloadErrorKind,
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message)
  }
}

// The backoff sleep must keep the event loop alive: with an unref'd timer nothing else may be
// pending between attempts (the failed socket is closed), so Node ends the process with exit
// code 13 ("unsettled top-level await") in the middle of the retry.
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Downloads `url` to `dest` (which must not exist; it is removed again when the download fails).
 * Resolves with the byte count and sha256, or rejects with a DownloadError.
 */
export async function downloadFile(
  url: string,
  dest: string,
  opts: DownloadOptions = {},
): Promise<Downloaded> {
  const attempts = Math.max(1, opts.attempts ?? 4)
  const backoff = opts.backoffMs ?? 1000
  const maxBackoff = opts.maxBackoffMs ?? 10_000
  const maxRetryAfter = opts.maxRetryAfterMs ?? 30_000
  const idle = opts.idleTimeoutMs ?? 60_000
  const timeout = opts.timeoutMs ?? 600_000
  const deadline = Date.now() + timeout
  const overall = new AbortController()
  const timer = setTimeout(() => overall.abort(), timeout)
  timer.unref?.()
  let last: AttemptError | undefined
  const fail = (kind: DownloadErrorKind, message: string, n: number, status?: number) =>
    new DownloadError(kind, message, { attempts: n, ...(status ? { status } : {}) })
  const timedOut = (n: number) =>
    fail('timeout', `no complete download within ${seconds(timeout)}${lastWas(last)}`, n, last?.status)
  try {
    for (let n = 1; n <= attempts; n++) {
      try {
        const got = await attempt(new URL(url), dest, {
          idle,
          signal: overall.signal,
          headers: opts.headers ?? {},
        })
        return { ...got, attempts: n }
      } catch (err) {
        await rm(dest, { force: true })
        // When the deadline cut this attempt short, report the previous attempt's failure (if any).
        if (overall.signal.aborted) throw timedOut(n)
        last = err instanceof AttemptError ? err : new AttemptError('network', describe(err), true)
        if (!last.retryable || n === attempts) throw fail(last.kind, last.message, n, last.status)
        const exp = Math.min(maxBackoff, backoff * 2 ** (n - 1))
        let wait = Math.round(exp * (0.8 + Math.random() * 0.4))
        if (last.retryAfterMs !== undefined) wait = Math.max(wait, Math.min(last.retryAfterMs, maxRetryAfter))
        if (Date.now() + wait >= deadline) throw timedOut(n)
        opts.log?.(`attempt ${n}/${attempts} failed (${last.message}); retrying in ${seconds(wait)}`)
        await sleep(wait)
      }
    }
    /* c8 ignore next */
    throw fail('network', last?.message ?? 'download failed', attempts)
  } finally {
    clearTimeout(timer)
  }
}

function lastWas(last: AttemptError | undefined): string {
  return last ? ` (last error: ${last.message})` : ''
}

function seconds(ms: number): string {
  return ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException
  if (e?.code && !String(e.message).includes(e.code)) return `${e.message} (${e.code})`
  return e instanceof Error ? e.message : String(err)
}

interface AttemptOptions {
  idle: number
  signal: AbortSignal
  headers: Record<string, string>
}

async function attempt(
  url: URL,
  dest: string,
  o: AttemptOptions,
): Promise<{ bytes: number; sha256: string }> {
  if (url.protocol === 'file:') return copyFileUrl(url, dest, o.signal)
  let current = url
  for (let redirects = 0; ; redirects++) {
    const res = await request(current, o)
    const status = res.statusCode ?? 0
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume()
      if (redirects >= 5)
        throw new AttemptError('redirect', `too many redirects from ${redactUrl(url.href)}`, false)
      const next = new URL(res.headers.location, current)
      if (current.protocol === 'https:' && next.protocol !== 'https:') {
        throw new AttemptError('redirect', `refused a redirect from https to ${redactUrl(next.href)}`, false)
      }
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new AttemptError('redirect', `refused a redirect to ${redactUrl(next.href)}`, false)
      }
      current = next
      continue
    }
    if (status !== 200) {
      res.resume()
      const retryable = status >= 500 || status === 408 || status === 429
      const text = `HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`
      throw new AttemptError(
        status === 404 || status === 410 ? 'not-found' : 'status',
        text,
        retryable,
        status,
        retryAfter(res.headers['retry-after']),
      )
    }
    return saveBody(res, dest, o)
  }
}

function retryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now())
}

async function agentFor(url: URL): Promise<http.Agent | undefined> {
  const proxy = getProxyUrl(url)
  if (!proxy?.hostname) return undefined
  // Only behind a proxy: the toolkit's client builds the tunnelling agent (and costs ~100 ms to load).
  const { HttpClient } = await import('@actions/http-client')
  return new HttpClient('dkp-fleet-upgrade').getAgent(url.href)
}

async function request(url: URL, o: AttemptOptions): Promise<http.IncomingMessage> {
  const agent = await agentFor(url)
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http
    const req = mod.get(url, {
      ...(agent ? { agent } : {}),
      signal: o.signal,
      headers: { 'user-agent': 'dkp-fleet-upgrade', accept: '*/*', ...o.headers },
    })
    req.setTimeout(o.idle, () => {
      req.destroy(new AttemptError('network', `no response within ${seconds(o.idle)}`, true))
    })
    req.once('error', (err) => reject(asAttemptError(err, o.signal)))
    req.once('response', (res) => {
      // From here on saveBody watches for stalls.
      req.setTimeout(0)
      resolve(res)
    })
  })
}

function asAttemptError(err: unknown, signal: AbortSignal): AttemptError {
  if (err instanceof AttemptError) return err
  if (signal.aborted) return new AttemptError('timeout', 'overall timeout reached', false)
  return new AttemptError('network', describe(err), true)
}

async function saveBody(
  res: http.IncomingMessage,
  dest: string,
  o: AttemptOptions,
): Promise<{ bytes: number; sha256: string }> {
  const expected = res.headers['content-length'] ? Number(res.headers['content-length']) : undefined
  const hash = createHash('sha256')
  let bytes = 0
  let stall: NodeJS.Timeout | undefined
  const arm = () => {
    clearTimeout(stall)
    stall = setTimeout(() => {
      res.destroy(new AttemptError('network', `download stalled: no data for ${seconds(o.idle)}`, true))
    }, o.idle)
  }
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length
      hash.update(chunk)
      arm()
      cb(null, chunk)
    },
  })
  arm()
  try {
    await pipeline(res, tap, createWriteStream(dest, { flags: 'wx' }), { signal: o.signal })
  } catch (err) {
    const e = asAttemptError(err, o.signal)
    if (
      e.kind === 'network' &&
      expected !== undefined &&
      bytes < expected &&
      !(err instanceof AttemptError)
    ) {
      throw new AttemptError('network', `connection closed after ${bytes} of ${expected} bytes`, true)
    }
    throw e
  } finally {
    clearTimeout(stall)
  }
  if (expected !== undefined && bytes !== expected) {
    throw new AttemptError('network', `body truncated: got ${bytes} of ${expected} bytes`, true)
  }
  return { bytes, sha256: hash.digest('hex') }
}

async function copyFileUrl(
  url: URL,
  dest: string,
  signal: AbortSignal,
): Promise<{ bytes: number; sha256: string }> {
  const path = fileURLToPath(url)
  try {
    const s = await stat(path)
    if (!s.isFile()) throw new AttemptError('file', `${path} is not a file`, false)
  } catch (err) {
    if (err instanceof AttemptError) throw err
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new AttemptError('not-found', `no such file: ${path}`, false)
    throw new AttemptError('file', `cannot read ${path}: ${describe(err)}`, false)
  }
  const hash = createHash('sha256')
  let bytes = 0
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length
      hash.update(chunk)
      cb(null, chunk)
    },
  })
  try {
    await pipeline(createReadStream(path), tap, createWriteStream(dest, { flags: 'wx' }), { signal })
  } catch (err) {
    throw new AttemptError('file', `cannot copy ${path}: ${describe(err)}`, false)
  }
  return { bytes, sha256: hash.digest('hex') }
}
