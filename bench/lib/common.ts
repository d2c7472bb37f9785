// Shared pieces of the benchmarks: the result shape the runner prints, statistics, timed child
// processes (wall time, first output, peak RSS), and a copy of dist/ outside the repository so
// the bundle resolves nothing from node_modules (as on a runner, where the action has none).

import { spawn } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Repository root (bench/lib/common.ts or its bundle in .tmp/bench/ both sit two levels down). */
export const ROOT = resolve(
  process.env.DKP_BENCH_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..'),
)

export interface Target {
  /** `max`: value ≤ limit passes; `min`: value ≥ limit passes. */
  kind: 'max' | 'min'
  limit: number
  unit: string
  /** How the target reads in the table, e.g. "≤ 150 ms beyond node". */
  text: string
}

export interface Figure {
  id: string
  label: string
  value: number
  unit: string
  reference?: { label: string; value: number; unit: string }
  /** value / reference (or as stated in note). */
  ratio?: number
  target?: Target
  pass?: boolean
  note?: string
}

export interface BenchResult {
  benchmark: string
  title: string
  available: boolean
  /** Why the benchmark could not run (available: false). */
  reason?: string
  node: string
  figures: Figure[]
  details: Record<string, unknown>
}

export function figure(f: Omit<Figure, 'pass'>): Figure {
  const out: Figure = { ...f }
  if (f.target) out.pass = f.target.kind === 'max' ? f.value <= f.target.limit : f.value >= f.target.limit
  if (f.reference && f.ratio === undefined && f.reference.value > 0)
    out.ratio = Number((f.value / f.reference.value).toPrecision(3))
  return out
}

export const median = (xs: number[]): number => {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export const quantile = (xs: number[], q: number): number => {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))]!
}

export const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits
export const mb = (bytes: number): number => round(bytes / 1024 / 1024, 1)

/** Command-line flags shared by every benchmark. */
export function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  if (i < 0) return undefined
  const next = process.argv[i + 1]
  return next === undefined || next.startsWith('--') ? 'true' : next
}
export const quick = () => flag('quick') === 'true'

/** Prints the result: one JSON line with --json (what the runner reads), else a short text. */
export function emit(result: BenchResult): void {
  if (flag('json') === 'true') {
    process.stdout.write(`${JSON.stringify(result)}\n`)
    return
  }
  process.stdout.write(`${result.title}${result.available ? '' : ` — not available: ${result.reason}`}\n`)
  for (const f of result.figures) {
    const ref = f.reference
      ? `  (ref ${f.reference.label}: ${f.reference.value} ${f.reference.unit}, ×${f.ratio})`
      : ''
    const target = f.target ? `  target ${f.target.text}: ${f.pass ? 'pass' : 'FAIL'}` : ''
    process.stdout.write(
      `  ${f.label}: ${f.value} ${f.unit}${ref}${target}${f.note ? `  — ${f.note}` : ''}\n`,
    )
  }
}

export function unavailable(benchmark: string, title: string, reason: string): BenchResult {
  return { benchmark, title, available: false, reason, node: process.version, figures: [], details: {} }
}

export interface TimedRun {
  code: number | null
  signal: NodeJS.Signals | null
  /** Spawn to exit, milliseconds. */
  wallMs: number
  /** Spawn to the first byte on stdout (undefined: no output). */
  firstOutputMs?: number
  stdout: string
  stderr: string
  /** Peak RSS of the child in bytes (only with `rss: true`). */
  maxRss?: number
  /** CPU time (user + system) of the child in ms (only with `rss: true`): steady on a busy machine. */
  cpuMs?: number
}

export interface TimedOptions {
  env?: NodeJS.ProcessEnv
  cwd?: string
  /** Keep stdout in the result (default: only its length is read, for big outputs). */
  keepStdout?: boolean
  /** Measure the child's peak RSS and CPU time through a tiny preload (`--import`), adds ~1 ms. */
  rss?: boolean
  timeoutMs?: number
  /** Send stdout to this file descriptor (e.g. /dev/null) instead of a pipe; no first-output time. */
  stdoutFd?: number
}

/** Node running the benchmarks: the project's Node (npm run puts node_modules/.bin first). */
export const NODE = process.execPath

const RSS_PRELOAD =
  'data:text/javascript,' +
  encodeURIComponent(
    "import{writeFileSync}from'node:fs';const f=process.env.DKP_BENCH_RSS_FILE;" +
      "if(f)process.on('exit',()=>{try{const u=process.resourceUsage();" +
      'writeFileSync(f,JSON.stringify({maxRss:u.maxRSS*1024,cpuMs:(u.userCPUTime+u.systemCPUTime)/1000}))}catch{}})',
  )

let rssSeq = 0

/** Runs a command, timing it from just before spawn to exit (same overhead for every figure). */
export function runTimed(command: string, args: string[], opts: TimedOptions = {}): Promise<TimedRun> {
  const env = { ...(opts.env ?? cleanEnv()) }
  let rssFile: string | undefined
  let argv = args
  if (opts.rss) {
    rssFile = join(tmpdir(), `dkp-bench-rss-${process.pid}-${rssSeq++}`)
    env.DKP_BENCH_RSS_FILE = rssFile
    argv = ['--import', RSS_PRELOAD, ...args]
  }
  return new Promise((resolveRun, reject) => {
    const start = process.hrtime.bigint()
    const ms = () => Number(process.hrtime.bigint() - start) / 1e6
    const child = spawn(command, argv, {
      env,
      cwd: opts.cwd,
      stdio: ['ignore', opts.stdoutFd ?? 'pipe', 'pipe'],
    })
    let firstOutputMs: number | undefined
    const out: Buffer[] = []
    const err: Buffer[] = []
    let outBytes = 0
    child.stdout?.on('data', (b: Buffer) => {
      firstOutputMs ??= ms()
      outBytes += b.length
      if (opts.keepStdout !== false) out.push(b)
    })
    child.stderr?.on('data', (b: Buffer) => err.push(b))
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      const wallMs = ms()
      child.on('close', () => {
        if (timer) clearTimeout(timer)
        let usage: { maxRss?: number; cpuMs?: number } = {}
        if (rssFile && existsSync(rssFile)) {
          usage = JSON.parse(readFileSync(rssFile, 'utf8'))
          rmSync(rssFile, { force: true })
        }
        resolveRun({
          code,
          signal,
          wallMs,
          firstOutputMs,
          stdout: opts.keepStdout === false ? `<${outBytes} bytes>` : Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
          maxRss: usage.maxRss,
          cpuMs: usage.cpuMs,
        })
      })
    })
  })
}

/** A small, fixed environment for children: nothing from a surrounding GitHub job leaks in. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'SystemRoot']
  const env: NodeJS.ProcessEnv = {}
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k]
  return { ...env, ...extra }
}

export interface StagedDist {
  /** The copy's dist directory (outside the repository). */
  dir: string
  /** Where it was copied from. */
  source: string
  cleanup(): void
}

/**
 * dist/ (or --dist DIR / DKP_BENCH_DIST) copied to a temp directory outside the repository.
 * Throws with a readable reason when there is no bundle to measure.
 */
export function stageDist(entries: string[] = ['index.js', 'cli.js']): StagedDist {
  const source = resolve(ROOT, flag('dist') ?? process.env.DKP_BENCH_DIST ?? 'dist')
  const missing = entries.filter((e) => !existsSync(join(source, e)))
  if (missing.length > 0)
    throw new Error(
      `${join(source, missing[0]!)} does not exist: run \`npm run build\` first (or pass --dist DIR)`,
    )
  const base = mkdtempSync(join(tmpdir(), 'dkp-bench-dist-'))
  const dir = join(base, 'dist')
  cpSync(source, dir, { recursive: true })
  return { dir, source, cleanup: () => rmSync(base, { recursive: true, force: true }) }
}

export const fileSize = (path: string): number => statSync(path).size
