// The tool cache: where a verified dkp stays between runs on one machine. The layout is
// @actions/tool-cache's, so `tc.find('dkp', '2.8.1')` sees our entries and admins can fill it
// in advance (test/effects/installer.test.ts checks this against the library):
//   <cacheRoot>/dkp/<X.Y.Z>/<x64|arm64>/dkp
//   <cacheRoot>/dkp/<X.Y.Z>/<x64|arm64>/.dkp-fleet-install.json   (what was verified, see CacheRecord)
//   <cacheRoot>/dkp/<X.Y.Z>/<x64|arm64>.complete
// The library's find/cacheDir are not used (measured in bench/deps.ts, docs/architecture.md
// "Dependencies"): they read the root from RUNNER_TOOL_CACHE only and assert it is set (the CLI
// has none), they print `::debug::` lines on stdout (`dkp-fleet install` keeps stdout for the
// path), and cacheDir empties the entry and copies into it in place, so an install running at
// the same time can read a marker next to a half-written binary. Here an entry is staged next to
// its place, renamed in, and only then marked complete.

import { copyFile, mkdir, mkdtemp, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { dirname, isAbsolute, join } from 'node:path'
import { cacheVersion } from '../core/download.js'
import { WorkError } from '../core/errors.js'
import { sha256File } from './sha256.js'

export const TOOL_NAME = 'dkp'
export const RECORD_FILE = '.dkp-fleet-install.json'

/** What an install verified, kept next to the cached binary and checked on every cache hit. */
export interface CacheRecord {
  schema: 1
  tool: 'dkp'
  version: string
  os: string
  arch: string
  binary: 'dkp'
  binarySha256: string
  tarballSha256: string
  checksum: 'pinned' | 'table' | 'computed'
  url: string
  installedAt: string
}

export interface CacheEntryPaths {
  dir: string
  marker: string
  record: string
  binary: string
}

/**
 * The directories to use: on a runner `RUNNER_TOOL_CACHE`/`RUNNER_TEMP`; elsewhere
 * `$XDG_CACHE_HOME/dkp-fleet/tool-cache` (or `~/.cache/dkp-fleet/tool-cache`) and the OS temp dir.
 */
export function resolveInstallDirs(env: NodeJS.ProcessEnv = process.env): {
  cacheRoot: string
  tempDir: string
} {
  const xdg = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : undefined
  const home = env.HOME || homedir()
  return {
    cacheRoot: env.RUNNER_TOOL_CACHE || join(xdg ?? join(home, '.cache'), 'dkp-fleet', 'tool-cache'),
    tempDir: env.RUNNER_TEMP || env.TMPDIR || tmpdir(),
  }
}

/** Where a version's cache entry lives (tool-cache layout). */
export function cacheEntryPaths(cacheRoot: string, version: string, nodeArch: string): CacheEntryPaths {
  const dir = join(cacheRoot, TOOL_NAME, cacheVersion(version), nodeArch)
  return { dir, marker: `${dir}.complete`, record: join(dir, RECORD_FILE), binary: join(dir, TOOL_NAME) }
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  )
}

/** The entry when it is complete (directory and marker, as tc.find decides); undefined otherwise. */
export async function findEntry(
  cacheRoot: string,
  version: string,
  nodeArch: string,
): Promise<CacheEntryPaths | undefined> {
  const p = cacheEntryPaths(cacheRoot, version, nodeArch)
  return (await exists(p.dir)) && (await exists(p.marker)) ? p : undefined
}

/** The entry's verification record; undefined when it is missing or malformed. */
export async function readRecord(file: string): Promise<CacheRecord | undefined> {
  try {
    const r = JSON.parse(await readFile(file, 'utf8')) as Partial<CacheRecord>
    const hex = (v: unknown) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v)
    if (
      r.schema !== 1 ||
      r.tool !== TOOL_NAME ||
      r.binary !== 'dkp' ||
      !hex(r.binarySha256) ||
      !hex(r.tarballSha256)
    ) {
      return undefined
    }
    return r as CacheRecord
  } catch {
    return undefined
  }
}

/** Moves `from` to `to`, copying when they are on different file systems. */
export async function moveFile(from: string, to: string): Promise<void> {
  await rename(from, to).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EXDEV') throw err
    await copyFile(from, to)
  })
}

/** A complete entry holding this very binary (re-hashed) is there already. */
async function sameEntry(p: CacheEntryPaths, record: CacheRecord): Promise<boolean> {
  const theirs = (await exists(p.marker)) ? await readRecord(p.record) : undefined
  return (
    theirs?.binarySha256 === record.binarySha256 &&
    (await sha256File(p.binary).catch(() => '')) === record.binarySha256
  )
}

/**
 * Moves a verified binary into the tool cache: staged next to the entry, swapped in, then
 * marked complete. An entry of the same binary that another install finished meanwhile is kept
 * (after re-hashing it). Nothing is left behind on failure, not even directories it created.
 */
export async function commitEntry(
  cacheRoot: string,
  nodeArch: string,
  binary: string,
  record: CacheRecord,
): Promise<CacheEntryPaths> {
  const p = cacheEntryPaths(cacheRoot, record.version, nodeArch)
  const parent = dirname(p.dir)
  const createdRoot = !(await exists(cacheRoot))
  await mkdir(parent, { recursive: true })
  let staging: string | undefined
  let done = false
  try {
    if (await sameEntry(p, record)) {
      done = true
      return p
    }
    staging = await mkdtemp(join(parent, `.${nodeArch}.staging-`))
    await moveFile(binary, join(staging, TOOL_NAME))
    await writeFile(join(staging, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`)
    // Checked again just before the swap: an install that finished while this one staged keeps
    // its entry, so two installs replace each other only when both reach this point together.
    if (await sameEntry(p, record)) {
      done = true
      return p
    }
    await rm(p.marker, { force: true })
    await rm(p.dir, { recursive: true, force: true })
    await rename(staging, p.dir).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err
      await rm(p.dir, { recursive: true, force: true })
      await rename(staging as string, p.dir)
    })
    staging = undefined
    await writeFile(p.marker, '')
    done = true
    return p
  } catch (err) {
    throw new WorkError(
      `could not write dkp ${record.version} to the tool cache at ${p.dir}: ${String(err)}`,
      { cause: err },
    )
  } finally {
    // Also when another install's entry won the race after this one staged: its copy goes.
    if (staging) await rm(staging, { recursive: true, force: true })
    if (!done) {
      await rmdir(parent).catch(() => {})
      await rmdir(dirname(parent)).catch(() => {})
      if (createdRoot) await rmdir(cacheRoot).catch(() => {})
    }
  }
}
