// A loopback HTTP server (127.0.0.1, random port) for download and fault tests, plus builders for
// dkp release tarballs holding an executable stand-in `dkp` (a /bin/sh script printing
// `dkp: v2.8.1` etc. for `dkp version`), made with the system `tar`.
//
//   const srv = await startTarballServer()
//   const tgz = await buildDkpTarball({ dir: tmp, version: 'v2.8.1' })
//   srv.serve('/dkp/v2.8.1/dkp_v2.8.1_linux_amd64.tar.gz', tgz.data)
//   srv.fail('/dkp/…', { status: 500 }, { truncateAt: 100 })   // next two requests fail, then it serves
//   srv.failAlways('/dkp/…', { status: 503 })
//   srv.count('/dkp/…')                                          // requests seen for that path
//   await srv.close()
//
// Nothing here touches the network beyond 127.0.0.1.

import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** What the server does to one request instead of serving the body normally. */
export type Fault =
  /** Answer with this status (and an optional Retry-After header). */
  | { status: number; retryAfter?: string; body?: string }
  /** Announce the full Content-Length, send only this many bytes, then drop the connection. */
  | { truncateAt: number }
  /** Send this many bytes, then go quiet for stallMs (default: until the client hangs up), then finish. */
  | { stallAfter: number; stallMs?: number }
  /** Wait this long before answering, then serve normally. */
  | { delayMs: number }
  /** Drop the connection without any response. */
  | { reset: true }
  /** Serve these bytes (status 200) instead of the route's body. */
  | { body: Buffer }
  /** Serve the body at this many bytes per second (64 KiB slices paced against the clock). */
  | { bytesPerSecond: number }
  /** Redirect (302 unless given) to this location (absolute, or a path on this server). */
  | { redirect: string; status?: 301 | 302 | 303 | 307 | 308 }

export interface RequestLog {
  method: string
  path: string
  /** Status sent, or what happened instead. */
  outcome: number | 'reset' | 'truncated' | 'stalled'
}

export interface TarballServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  /** Absolute URL of a path on this server. */
  url(path: string): string
  /** Serves `body` at `path` (status 200, Content-Length set). Replaces an earlier route and its faults. */
  serve(path: string, body: Buffer): void
  /** Queues faults for `path`: each request takes the next one; once the queue is empty it serves normally. */
  fail(path: string, ...faults: Fault[]): void
  /** Every request to `path` gets this fault (after queued ones), until `clearFaults`. */
  failAlways(path: string, fault: Fault): void
  clearFaults(path: string): void
  /** Requests seen, oldest first. */
  readonly requests: RequestLog[]
  /** Number of requests, for one path or in all. */
  count(path?: string): number
  close(): Promise<void>
}

interface Route {
  body: Buffer | undefined
  queue: Fault[]
  always: Fault | undefined
}

export async function startTarballServer(): Promise<TarballServer> {
  const routes = new Map<string, Route>()
  const requests: RequestLog[] = []
  const timers = new Set<NodeJS.Timeout>()
  const route = (path: string): Route => {
    let r = routes.get(path)
    if (!r) {
      r = { body: undefined, queue: [], always: undefined }
      routes.set(path, r)
    }
    return r
  }
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t)
      fn()
    }, ms)
    timers.add(t)
  }

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    const log: RequestLog = { method: req.method ?? 'GET', path, outcome: 0 }
    requests.push(log)
    const r = routes.get(path)
    const fault = r?.queue.shift() ?? r?.always
    const body = r?.body
    const send = (status: number, data: Buffer, headers: Record<string, string> = {}) => {
      log.outcome = status
      res.writeHead(status, {
        'content-type': 'application/gzip',
        'content-length': String(data.length),
        ...headers,
      })
      res.end(data)
    }
    if (fault && 'reset' in fault) {
      log.outcome = 'reset'
      req.socket.destroy()
      return
    }
    if (fault && 'redirect' in fault) {
      send(fault.status ?? 302, Buffer.alloc(0), { location: fault.redirect, 'content-type': 'text/plain' })
      return
    }
    if (fault && 'status' in fault) {
      send(fault.status, Buffer.from(fault.body ?? `status ${fault.status}\n`), {
        'content-type': 'text/plain',
        ...(fault.retryAfter ? { 'retry-after': fault.retryAfter } : {}),
      })
      return
    }
    if (fault && 'body' in fault) {
      send(200, fault.body)
      return
    }
    if (!body) {
      send(404, Buffer.from('not found\n'), { 'content-type': 'text/plain' })
      return
    }
    if (!fault) {
      send(200, body)
      return
    }
    if ('delayMs' in fault) {
      later(fault.delayMs, () => {
        if (!res.destroyed) send(200, body)
      })
      return
    }
    log.outcome = 200
    res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': String(body.length) })
    if ('truncateAt' in fault) {
      log.outcome = 'truncated'
      res.write(body.subarray(0, fault.truncateAt), () => {
        later(20, () => req.socket.destroy())
      })
      return
    }
    if ('stallAfter' in fault) {
      log.outcome = 'stalled'
      res.write(body.subarray(0, fault.stallAfter))
      if (fault.stallMs !== undefined) {
        later(fault.stallMs, () => {
          if (!res.destroyed) res.end(body.subarray(fault.stallAfter))
        })
      }
      return
    }
    // bytesPerSecond: throttled body, paced against the clock (slice k goes out at
    // start + k·slice/rate), so timer granularity does not lower fast rates.
    const slice = 64 * 1024
    const started = performance.now()
    let off = 0
    const next = () => {
      if (res.destroyed) return
      if (off >= body.length) {
        res.end()
        return
      }
      res.write(body.subarray(off, off + slice))
      off += slice
      const due = started + (off / fault.bytesPerSecond) * 1000
      later(Math.max(0, due - performance.now()), next)
    }
    next()
  })
  server.keepAliveTimeout = 1000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const origin = `http://127.0.0.1:${port}`

  return {
    origin,
    url: (path) => `${origin}${path.startsWith('/') ? path : `/${path}`}`,
    serve(path, body) {
      routes.set(path, { body, queue: [], always: undefined })
    },
    fail(path, ...faults) {
      route(path).queue.push(...faults)
    },
    failAlways(path, fault) {
      route(path).always = fault
    },
    clearFaults(path) {
      const r = route(path)
      r.queue = []
      r.always = undefined
    },
    requests,
    count: (path) => (path === undefined ? requests.length : requests.filter((r) => r.path === path).length),
    async close() {
      for (const t of timers) clearTimeout(t)
      timers.clear()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** A /bin/sh stand-in for dkp: `dkp version` prints component lines like the real CLI. */
export function dkpStandInScript(
  opts: { version?: string; exitCode?: number; sleepSeconds?: number } = {},
): string {
  const v = opts.version ?? 'v2.8.1'
  const sleep = opts.sleepSeconds ? `  sleep ${opts.sleepSeconds}\n` : ''
  return [
    '#!/bin/sh',
    '# dkp stand-in for installer tests',
    'if [ "$1" = version ]; then',
    `${sleep}  printf 'diagnose: v0.9.0\\ndkp: %s\\nkommander: %s\\nkonvoy: %s\\nmindthegap: v1.13.0\\n' ${v} ${v} ${v}`,
    `  exit ${opts.exitCode ?? 0}`,
    'fi',
    'echo "dkp stand-in: unsupported: $*" >&2',
    'exit 2',
    '',
  ].join('\n')
}

export interface DkpTarballSpec {
  /** Directory to build in (a fresh sub-directory is made and removed). */
  dir: string
  /** What the stand-in's `dkp version` reports. Default v2.8.1. */
  version?: string
  /** Where `dkp` goes: archive root (default), `<subdir>/dkp`, two levels down, or nowhere. */
  layout?: 'root' | 'subdir' | 'deep' | 'none'
  /** The binary's name in the archive: `dkp` (default), `nkp` for NKP tarballs. */
  binary?: string
  subdir?: string
  /** File mode of dkp. Default 0o755. */
  mode?: number
  /** Make `dkp` a symbolic link (to `real-dkp`) instead of a file. */
  symlink?: boolean
  /** Other files, path → content. */
  extraFiles?: Record<string, string>
  /** tar --format. Default gnu (GNU tar's default). */
  format?: 'gnu' | 'posix' | 'ustar' | 'v7' | 'oldgnu'
  /** Bytes appended after the script (never read by sh): makes a realistically sized binary. */
  payload?: Buffer
  /** Overrides the whole dkp file content. */
  script?: string
  /** Build `./dkp`-style member names (`tar -C dir .`). */
  dotSlash?: boolean
}

export interface BuiltTarball {
  /** Path of the .tar.gz (inside spec.dir). */
  file: string
  data: Buffer
  sha256: string
  /** sha256 of the dkp file inside (when there is one). */
  binarySha256: string | undefined
}

let seq = 0

/** Builds a dkp release-style .tar.gz with the system tar. */
export async function buildDkpTarball(spec: DkpTarballSpec): Promise<BuiltTarball> {
  const root = await mkdtemp(join(spec.dir, 'tgz-src-'))
  try {
    const layout = spec.layout ?? 'root'
    const sub = spec.subdir ?? `dkp_${spec.version ?? 'v2.8.1'}`
    const bin = spec.binary ?? 'dkp'
    const rel =
      layout === 'root'
        ? bin
        : layout === 'subdir'
          ? `${sub}/${bin}`
          : layout === 'deep'
            ? `${sub}/bin/${bin}`
            : ''
    let content: Buffer | undefined
    if (rel) {
      const abs = join(root, rel)
      await mkdir(dirname(abs), { recursive: true })
      content = Buffer.concat([
        Buffer.from(spec.script ?? dkpStandInScript({ version: spec.version ?? 'v2.8.1' })),
        spec.payload ?? Buffer.alloc(0),
      ])
      if (spec.symlink) {
        await writeFile(join(dirname(abs), 'real-dkp'), content, { mode: 0o755 })
        await symlink('real-dkp', abs)
        content = undefined
      } else {
        await writeFile(abs, content)
        await chmod(abs, spec.mode ?? 0o755)
      }
    }
    for (const [p, text] of Object.entries(spec.extraFiles ?? {})) {
      await mkdir(dirname(join(root, p)), { recursive: true })
      await writeFile(join(root, p), text)
    }
    const file = join(spec.dir, `dkp-${process.pid}-${seq++}.tar.gz`)
    const top = spec.dotSlash ? ['.'] : (await readdir(root)).sort()
    await run('tar', [`--format=${spec.format ?? 'gnu'}`, '-czf', file, '-C', root, ...top])
    const data = await readFile(file)
    return {
      file,
      data,
      sha256: sha256(data),
      binarySha256: content ? sha256(content) : undefined,
    }
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex')
}

/** The official file name for a version and platform, e.g. `dkp_v2.8.1_linux_amd64.tar.gz`. */
export function tarballName(version = 'v2.8.1', os = 'linux', arch = 'amd64'): string {
  return `dkp_${version}_${os}_${arch}.tar.gz`
}

/** One 512-byte tar header (ustar, checksum filled in) for a member of `type` and `size`. */
export function tarHeader(name: string, type: string, size: number): Buffer {
  const h = Buffer.alloc(512)
  h.write(name.slice(0, 100), 0, 'utf8')
  h.write('0000755\0', 100, 'latin1')
  h.write('0000000\0', 108, 'latin1')
  h.write('0000000\0', 116, 'latin1')
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1')
  h.write('00000000000\0', 136, 'latin1')
  h.write(type, 156, 'latin1')
  h.write('ustar\0', 257, 'latin1')
  h.write('00', 263, 'latin1')
  h.fill(0x20, 148, 156)
  let sum = 0
  for (const b of h) sum += b
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1')
  return h
}

/**
 * A tar.gz whose first member is a metadata record kept in memory by a tar reader: a pax
 * extended header (`x`) or a GNU long name (`L`) of `size` bytes (a valid `path=` record naming
 * `aaa…a/dkp`), followed by the small `dkp` it names. Written as a gzip stream, never whole in memory, so a
 * 1 GiB record is a ~1 MB file.
 */
export async function writeTarBomb(file: string, kind: 'pax' | 'longname', size: number): Promise<void> {
  const { createGzip } = await import('node:zlib')
  const { createWriteStream } = await import('node:fs')
  const { pipeline } = await import('node:stream/promises')
  const { Readable } = await import('node:stream')
  const body = Buffer.from('#!/bin/sh\necho dkp\n')
  async function* parts() {
    yield tarHeader(kind === 'pax' ? 'PaxHeaders/dkp' : '././@LongLink', kind === 'pax' ? 'x' : 'L', size)
    const len = String(size).length
    const prefix = kind === 'pax' ? Buffer.from(`${size} path=`) : Buffer.alloc(0)
    if (kind === 'pax' && len + 6 > size) throw new Error('pax bomb too small')
    yield prefix
    const suffix = Buffer.from(kind === 'pax' ? '/dkp\n' : '/dkp\0')
    let left = size - prefix.length - suffix.length
    const slab = Buffer.alloc(1024 * 1024, 0x61)
    while (left > 0) {
      const n = Math.min(left, slab.length)
      yield slab.subarray(0, n)
      left -= n
    }
    yield suffix
    yield Buffer.alloc((512 - (size % 512)) % 512)
    yield tarHeader('dkp', '0', body.length)
    yield Buffer.concat([body, Buffer.alloc(512 - body.length)])
    yield Buffer.alloc(1024)
  }
  await pipeline(Readable.from(parts()), createGzip({ level: 6 }), createWriteStream(file))
}
