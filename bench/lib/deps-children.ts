// The child processes of bench/deps.ts: one installer piece (ours or the Actions toolkit's) on
// one input, in a fresh process, so its stdout, its peak RSS (with its own children, through
// /usr/bin/time) and its wall time are its own. The result goes to the file named by
// DKP_BENCH_OUT; stdout is left to the code under test (the parent counts its bytes).

import { mkdirSync, writeFileSync } from 'node:fs'
import { lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { commitEntry } from '../../src/effects/dkp-tool-cache.js'
import { downloadFile } from '../../src/effects/download-file.js'
import { extractBinaryFromTarGz } from '../../src/effects/tar-extract.js'

export interface ChildResult {
  ok: boolean
  ms: number
  error?: string
  /** Bytes of regular files under the destination afterwards (extraction, cache). */
  diskBytes?: number
  /** Entries created under the destination (files, directories, links). */
  entries?: number
}

/** Bytes of regular files and number of entries under `dir` (links are not followed). */
export async function du(dir: string): Promise<{ bytes: number; entries: number }> {
  let bytes = 0
  let entries = 0
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d).catch(() => [] as string[])) {
      const p = join(d, e)
      const st = await lstat(p)
      entries++
      if (st.isDirectory()) await walk(p)
      else if (st.isFile()) bytes += st.size
    }
  }
  await walk(dir)
  return { bytes, entries }
}

const RECORD = {
  schema: 1 as const,
  tool: 'dkp' as const,
  os: 'linux',
  arch: 'amd64',
  binary: 'dkp' as const,
  tarballSha256: '0'.repeat(64),
  checksum: 'pinned' as const,
  url: 'file:///bench',
  installedAt: '2026-01-01T00:00:00.000Z',
}

/** The modes: `<who>-<piece>`, args as the parent passes them. */
const MODES: Record<string, (args: string[]) => Promise<Partial<ChildResult>>> = {
  async 'toolkit-download'([url, dest]) {
    const tc = await import('@actions/tool-cache')
    await tc.downloadTool(url!, dest)
    return {}
  },
  async 'ours-download'([url, dest, idleMs, attempts]) {
    await downloadFile(url!, dest!, { idleTimeoutMs: Number(idleMs), attempts: Number(attempts) })
    return {}
  },
  async 'toolkit-get'([url]) {
    // What downloadTool and a hand-rolled download on http-client both do: get(), then stream.
    const { HttpClient } = await import('@actions/http-client')
    const res = await new HttpClient('dkp-fleet-bench').get(url!)
    await new Promise<void>((resolve, reject) => {
      res.message.on('end', resolve).on('error', reject).resume()
    })
    return {}
  },
  async 'toolkit-extract'([file, dest]) {
    const tc = await import('@actions/tool-cache')
    return measuringDisk(dest!, () => tc.extractTar(file!, dest))
  },
  async 'ours-extract'([file, dest]) {
    return measuringDisk(dest!, () => extractBinaryFromTarGz(file!, dest!))
  },
  async 'toolkit-cache'([sourceDir, version]) {
    const tc = await import('@actions/tool-cache')
    await tc.cacheDir(sourceDir!, 'dkp', version!)
    return {}
  },
  async 'ours-cache'([binary, cacheRoot, version, binarySha256]) {
    await commitEntry(cacheRoot!, process.arch, binary!, {
      ...RECORD,
      version: version!,
      binarySha256: binarySha256!,
    })
    return {}
  },
}

/** What the piece left on disk is recorded whether it succeeded or failed. */
const extra: Partial<ChildResult> = {}

async function measuringDisk(dest: string, fn: () => Promise<unknown>): Promise<Partial<ChildResult>> {
  try {
    await fn()
  } finally {
    const d = await du(dest)
    Object.assign(extra, { diskBytes: d.bytes, entries: d.entries })
  }
  return {}
}

/** Runs one mode and writes its ChildResult to DKP_BENCH_OUT; exits 0 either way. */
export async function runChildMode(mode: string, args: string[]): Promise<void> {
  const fn = MODES[mode]
  if (!fn) throw new Error(`unknown child mode ${mode}`)
  const t = performance.now()
  let result: ChildResult
  try {
    const got = await fn(args)
    result = { ok: true, ms: performance.now() - t, ...extra, ...got }
  } catch (err) {
    result = { ok: false, ms: performance.now() - t, error: String(err).slice(0, 300), ...extra }
  }
  const out = process.env.DKP_BENCH_OUT
  if (out) {
    mkdirSync(join(out, '..'), { recursive: true })
    writeFileSync(out, JSON.stringify(result))
  }
}
