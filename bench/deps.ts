// Benchmark: the installer's hand-written pieces against the Actions toolkit functions they
// would be replaced by, on the same inputs in the same run, each in a fresh process
// (bench/lib/deps-children.ts). docs/architecture.md "Dependencies" quotes these figures.
//   download  a mirror that stalls after 1 KiB: time until the attempt gives up (ours: the idle
//             timeout, 2 s here, 60 s in production; tool-cache downloadTool has none: killed
//             at --cap-seconds); a 503 then the file: time to done (ours: backoff ~1 s;
//             downloadTool: 10-20 s); bytes written to stdout (`dkp-fleet install` prints only
//             the path there)
//   redirect  a 302 whose body is 32 MiB before the file: peak RSS and time (ours drops the
//             body; http-client's get() concatenates it into one string before following);
//             a relative Location
//   extract   a tar.gz with a 128 MiB member of zeros next to dkp: bytes written to disk and
//             time (ours writes dkp only; tool-cache extractTar runs `tar xz` over everything);
//             a 16 MiB pax header: peak RSS of the process tree (/usr/bin/time), time
//   cache     committing a 32 MiB binary to the tool cache (ours renames, cacheDir copies); 4
//             installs of one version at once, 5 rounds (3 with --quick), with a reader polling
//             the entry: reads that found the `.complete` marker next to a missing or partial
//             binary
//   bundle    the installer bundled alone, and with each toolkit package imported: bytes and
//             CPU time to load; the bytes js-yaml adds to the inventory parser (the plan path)
//
//   npx tsx bench/deps.ts [--json] [--quick] [--cap-seconds 20]

import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createGzip } from 'node:zlib'
import { tarHeader, writeTarBomb } from '../test/helpers/tarball-server.js'
import { type BenchResult, emit, type Figure, figure, flag, median, quick, round } from './lib/common.js'
import { bundleFigures } from './lib/deps-bundle.js'
import { type ChildResult, runChildMode } from './lib/deps-children.js'
import { startDepsServer } from './lib/deps-server.js'

const TITLE = 'Installer pieces vs the Actions toolkit (tool-cache, http-client, exec, io)'
const TIME = '/usr/bin/time'
const MiB = 1024 * 1024

interface Measured extends ChildResult {
  /** Bytes the child wrote to stdout. */
  stdoutBytes: number
  /** Peak RSS of the child and its children (with /usr/bin/time), bytes. */
  rss?: number
  /** The child was still running at the cap and was killed. */
  killed: boolean
  wallMs: number
}

let tmp = ''
let seq = 0

/** Runs one child mode (this file again with --child), optionally under /usr/bin/time, killed at capMs. */
function child(
  mode: string,
  args: string[],
  opts: { rss?: boolean; capMs?: number } = {},
): Promise<Measured> {
  const out = join(tmp, `out-${seq}.json`)
  const timeFile = join(tmp, `time-${seq++}.txt`)
  const self = process.argv[1]!
  const nodeArgs = [...(self.endsWith('.ts') ? ['--import', 'tsx'] : []), self, '--child', mode, ...args]
  const useTime = opts.rss && existsSync(TIME)
  const [cmd, argv] = useTime
    ? [TIME, ['-f', '%M', '-o', timeFile, process.execPath, ...nodeArgs]]
    : [process.execPath, nodeArgs]
  const env = { ...process.env, DKP_BENCH_OUT: out, RUNNER_TEMP: join(tmp, 'runner-temp') }
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const p = spawn(cmd as string, argv as string[], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdoutBytes = 0
    let stderr = ''
    p.stdout.on('data', (b: Buffer) => {
      stdoutBytes += b.length
    })
    p.stderr.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString()).slice(-2000)
    })
    let killed = false
    const timer = opts.capMs
      ? setTimeout(() => {
          killed = true
          p.kill('SIGKILL')
        }, opts.capMs)
      : undefined
    p.on('error', reject)
    p.on('close', () => {
      clearTimeout(timer)
      const wallMs = performance.now() - started
      const result: ChildResult = existsSync(out)
        ? JSON.parse(readFileSync(out, 'utf8'))
        : { ok: false, ms: wallMs, error: killed ? 'killed at the cap' : `no result: ${stderr.trim()}` }
      const kb =
        useTime && existsSync(timeFile)
          ? Number(readFileSync(timeFile, 'utf8').trim().split('\n').at(-1))
          : NaN
      resolve({ ...result, stdoutBytes, killed, wallMs, ...(Number.isFinite(kb) ? { rss: kb * 1024 } : {}) })
    })
  })
}

const ms = (m: Measured) => round(m.killed ? m.wallMs : m.ms, 0)
const outcome = (m: Measured) => (m.killed ? 'still waiting, killed' : m.ok ? 'ok' : `failed: ${m.error}`)

async function downloadFigures(capMs: number): Promise<{ figures: Figure[]; details: object }> {
  const srv = await startDepsServer()
  try {
    const body = Buffer.alloc(MiB, 7)
    srv.serve('/stall', body, { stallAfter: 1024 })
    const stallOurs = await child('ours-download', [srv.url('/stall'), join(tmp, 'd1'), '2000', '1'])
    const stallTk = await child('toolkit-download', [srv.url('/stall'), join(tmp, 'd2')], { capMs })
    srv.serve('/retry', body, { failFirst: 503 })
    const retryOurs = await child('ours-download', [srv.url('/retry'), join(tmp, 'd3'), '60000', '4'])
    srv.serve('/retry', body, { failFirst: 503 })
    const retryTk = await child('toolkit-download', [srv.url('/retry'), join(tmp, 'd4')], { capMs: 60_000 })
    srv.serve('/file', Buffer.from('dkp'), {})
    srv.serve('/redirect', Buffer.alloc(32 * MiB, 0x20), { redirectTo: srv.url('/file') })
    const redirOurs = await child('ours-download', [srv.url('/redirect'), join(tmp, 'd5'), '60000', '1'], {
      rss: true,
    })
    const redirTk = await child('toolkit-get', [srv.url('/redirect')], { rss: true })
    // A relative Location (RFC 9110 allows it): http-client passes it to new URL() alone.
    srv.serve('/relative', Buffer.alloc(0), { redirectTo: '/file' })
    const relOurs = await child('ours-download', [srv.url('/relative'), join(tmp, 'd6'), '60000', '1'])
    const relTk = await child('toolkit-get', [srv.url('/relative')])
    const figures = [
      figure({
        id: 'deps-download-stall',
        label: 'stalled mirror: time until the attempt gives up (ours, idle timeout 2 s)',
        value: ms(stallOurs),
        unit: 'ms',
        reference: { label: `downloadTool (${outcome(stallTk)})`, value: ms(stallTk), unit: 'ms' },
        note: `ours: ${outcome(stallOurs)}; production idle timeout 60 s, 10 min overall`,
      }),
      figure({
        id: 'deps-download-retry',
        label: '503, then the file: time to done (ours)',
        value: ms(retryOurs),
        unit: 'ms',
        reference: { label: 'downloadTool', value: ms(retryTk), unit: 'ms' },
        note: `ours ${outcome(retryOurs)}, downloadTool ${outcome(retryTk)}`,
      }),
      figure({
        id: 'deps-download-stdout',
        label: 'bytes written to stdout by that download (ours)',
        value: retryOurs.stdoutBytes,
        unit: 'B',
        reference: { label: 'downloadTool (::debug:: lines)', value: retryTk.stdoutBytes, unit: 'B' },
      }),
      figure({
        id: 'deps-redirect-rss',
        label: '302 with a 32 MiB body: peak RSS (ours)',
        value: round((redirOurs.rss ?? NaN) / MiB, 0),
        unit: 'MiB',
        reference: { label: 'http-client get()', value: round((redirTk.rss ?? NaN) / MiB, 0), unit: 'MiB' },
        note:
          `time ${ms(redirOurs)} ms vs ${ms(redirTk)} ms; ${outcome(redirOurs)} / ${outcome(redirTk)}; ` +
          `relative Location: ours ${outcome(relOurs)}, http-client ${outcome(relTk)}`,
      }),
    ]
    const details = {
      stallOurs,
      stallTk,
      retryOurs,
      retryTk,
      redirOurs,
      redirTk,
      relOurs,
      relTk,
      requests: srv.requests,
    }
    return { figures, details }
  } finally {
    await srv.close()
  }
}

/** A tar.gz holding `junk` (size bytes of zeros) and then a small `dkp`, gzip-streamed. */
async function writeJunkTarball(file: string, size: number): Promise<void> {
  const { pipeline } = await import('node:stream/promises')
  const { Readable } = await import('node:stream')
  const { createWriteStream } = await import('node:fs')
  const dkp = Buffer.from('#!/bin/sh\necho "dkp: v2.8.1"\n')
  async function* parts() {
    yield tarHeader('junk', '0', size)
    const slab = Buffer.alloc(MiB)
    for (let left = size; left > 0; left -= MiB) yield slab.subarray(0, Math.min(MiB, left))
    yield Buffer.alloc((512 - (size % 512)) % 512)
    yield tarHeader('dkp', '0', dkp.length)
    yield Buffer.concat([dkp, Buffer.alloc(512 - dkp.length)])
    yield Buffer.alloc(1024)
  }
  await pipeline(Readable.from(parts()), createGzip({ level: 6 }), createWriteStream(file))
}

async function extractFigures(): Promise<{ figures: Figure[]; details: object }> {
  const junk = join(tmp, 'junk.tar.gz')
  await writeJunkTarball(junk, 128 * MiB)
  const pax = join(tmp, 'pax.tar.gz')
  await writeTarBomb(pax, 'pax', 16 * MiB)
  const dest = (name: string) => {
    const d = join(tmp, name)
    mkdirSync(d, { recursive: true })
    return d
  }
  const junkOurs = await child('ours-extract', [junk, dest('x1')], { rss: true })
  const junkTk = await child('toolkit-extract', [junk, dest('x2')], { rss: true })
  const paxOurs = await child('ours-extract', [pax, dest('x3')], { rss: true })
  const paxTk = await child('toolkit-extract', [pax, dest('x4')], { rss: true })
  const figures = [
    figure({
      id: 'deps-extract-disk',
      label: '128 MiB junk member + dkp: bytes written to disk (ours)',
      value: round((junkOurs.diskBytes ?? NaN) / 1024, 1),
      unit: 'KiB',
      reference: {
        label: 'extractTar (`tar xz`)',
        value: round((junkTk.diskBytes ?? NaN) / 1024, 1),
        unit: 'KiB',
      },
      note: `time ${ms(junkOurs)} ms vs ${ms(junkTk)} ms; ${junkTk.stdoutBytes} B on stdout from extractTar`,
    }),
    figure({
      id: 'deps-extract-pax-rss',
      label: '16 MiB pax header: peak RSS incl. children (ours, refused before reading it)',
      value: round((paxOurs.rss ?? NaN) / MiB, 0),
      unit: 'MiB',
      reference: {
        label: 'extractTar (`tar` child)',
        value: round((paxTk.rss ?? NaN) / MiB, 0),
        unit: 'MiB',
      },
      note: `time ${ms(paxOurs)} ms vs ${ms(paxTk)} ms; ours ${outcome(paxOurs)}; extractTar ${outcome(paxTk)}`,
    }),
  ]
  return { figures, details: { junkOurs, junkTk, paxOurs, paxTk } }
}

/** Polls an entry while writers run: reads that saw the marker but a missing or partial binary. */
function startReader(entry: string, expected: string) {
  const seen = { reads: 0, missing: 0, partial: 0 }
  let running = true
  const loop = async () => {
    const { readFile } = await import('node:fs/promises')
    while (running) {
      if (existsSync(`${entry}.complete`)) {
        seen.reads++
        const data = await readFile(join(entry, 'dkp')).catch(() => undefined)
        if (!data) seen.missing++
        else if (createHash('sha256').update(data).digest('hex') !== expected) seen.partial++
      }
      await new Promise((r) => setTimeout(r, 2))
    }
  }
  const done = loop()
  return {
    seen,
    stop: async () => {
      running = false
      await done
    },
  }
}

async function cacheRounds(
  who: 'ours' | 'toolkit',
  binary: Buffer,
  sha: string,
  writers: number,
  rounds: number,
) {
  const root = join(tmp, `tool-cache-${who}`)
  const entry = join(root, 'dkp', '2.8.1', process.arch)
  const totals = { reads: 0, missing: 0, partial: 0, failed: 0, commitMs: [] as number[] }
  for (let r = 0; r < rounds; r++) {
    rmSync(root, { recursive: true, force: true })
    const sources = Array.from({ length: writers }, (_, i) => {
      const dir = join(tmp, `src-${who}-${r}-${i}`)
      mkdirSync(dir, { recursive: true })
      writeFileSync(join(dir, 'dkp'), binary, { mode: 0o755 })
      return dir
    })
    const reader = startReader(entry, sha)
    const runs = await Promise.all(
      sources.map((dir) =>
        who === 'ours'
          ? child('ours-cache', [join(dir, 'dkp'), root, 'v2.8.1', sha])
          : child('toolkit-cache', [dir, '2.8.1'], {}),
      ),
    )
    await reader.stop()
    totals.reads += reader.seen.reads
    totals.missing += reader.seen.missing
    totals.partial += reader.seen.partial
    totals.failed += runs.filter((x) => !x.ok).length
    totals.commitMs.push(...runs.map((x) => x.ms))
  }
  return totals
}

async function cacheFigures(): Promise<{ figures: Figure[]; details: object }> {
  const binary = readFileSync(process.execPath).subarray(0, 32 * MiB)
  const sha = createHash('sha256').update(binary).digest('hex')
  const rounds = quick() ? 3 : 5
  process.env.RUNNER_TOOL_CACHE = join(tmp, 'tool-cache-toolkit')
  const single = { ours: [] as number[], toolkit: [] as number[] }
  for (let i = 0; i < 3; i++) {
    single.ours.push(median((await cacheRounds('ours', binary, sha, 1, 1)).commitMs))
    single.toolkit.push(median((await cacheRounds('toolkit', binary, sha, 1, 1)).commitMs))
  }
  const ours = await cacheRounds('ours', binary, sha, 4, rounds)
  const tk = await cacheRounds('toolkit', binary, sha, 4, rounds)
  const torn = (t: typeof ours) => t.missing + t.partial
  const figures = [
    figure({
      id: 'deps-cache-commit',
      label: '32 MiB binary into the tool cache: commit time (ours: rename)',
      value: round(median(single.ours), 1),
      unit: 'ms',
      reference: { label: 'cacheDir (copy)', value: round(median(single.toolkit), 1), unit: 'ms' },
    }),
    figure({
      id: 'deps-cache-torn',
      label: `4 installs at once × ${rounds}: reads of a complete-marked entry with a missing or partial binary (ours)`,
      value: torn(ours),
      unit: 'reads',
      reference: { label: 'cacheDir', value: torn(tk), unit: 'reads' },
      note: `ours ${torn(ours)}/${ours.reads} reads, ${ours.failed} installs failed; cacheDir ${torn(tk)}/${tk.reads} reads (${tk.missing} missing, ${tk.partial} partial), ${tk.failed} failed`,
    }),
  ]
  return { figures, details: { single, ours, toolkit: tk } }
}

async function main(): Promise<BenchResult> {
  tmp = mkdtempSync(join(tmpdir(), 'dkp-bench-deps-'))
  try {
    const capMs = Number(flag('cap-seconds') ?? (quick() ? 10 : 20)) * 1000
    const parts = [
      await downloadFigures(capMs),
      await extractFigures(),
      await cacheFigures(),
      await bundleFigures(tmp),
    ]
    return {
      benchmark: 'deps',
      title: TITLE,
      available: true,
      node: process.version,
      figures: parts.flatMap((p) => p.figures),
      details: Object.assign({ timeAvailable: existsSync(TIME) }, ...parts.map((p) => p.details)),
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

const childAt = process.argv.indexOf('--child')
if (childAt >= 0) {
  await runChildMode(process.argv[childAt + 1]!, process.argv.slice(childAt + 2))
  process.exit(0)
} else {
  emit(await main())
}
