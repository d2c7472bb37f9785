// Installs the pinned dkp CLI, verified: tool cache first (re-hashed on every hit), else a
// tarball in the tarball cache (shared between fresh runners by actions/cache; used only when its
// sha256 equals the pinned or table value), else download (official URL or a mirror template) →
// sha256 of the tarball checked before extraction → extract `dkp` → `dkp version` must report the
// requested version → cache (and keep the verified tarball in the tarball cache). Or use a
// pre-installed binary (dkp-path), version still checked. Shared by the action and
// `dkp-fleet install`: it takes a logger and explicit directories and never touches
// @actions/core or PATH.
//
// Cache layout is @actions/tool-cache's, so tc.find() sees our entries and admins can reuse it:
//   <cacheRoot>/dkp/<X.Y.Z>/<x64|arm64>/dkp
//   <cacheRoot>/dkp/<X.Y.Z>/<x64|arm64>/.dkp-fleet-install.json   (what was verified, see CacheRecord)
//   <cacheRoot>/dkp/<X.Y.Z>/<x64|arm64>.complete
//
// Tarball cache (option tarballCacheDir, action input dkp-cache-dir): the published tarball as
// verified, under its published name, e.g. <dir>/dkp_v2.8.1_linux_amd64.tar.gz. The tarball, not
// the binary: its sha256 is what dkp-sha256 and the table pin, so a tarball restored from a cache
// entry that another job wrote is checked against a value that does not live in that entry.

import { type ExecFileException, execFile } from 'node:child_process'
import { constants } from 'node:fs'
import {
  access,
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  rename,
  rm,
  rmdir,
  stat,
  writeFile,
} from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { basename, dirname, isAbsolute, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  type ChecksumEntry,
  type ChecksumTable,
  cacheVersion,
  checksumKey,
  type DkpPlatform,
  dkpCacheKey,
  dkpPlatform,
  dkpTarballName,
  expandUrlTemplate,
  normalizeDkpVersion,
  normalizeSha256,
  OFFICIAL_URL_TEMPLATE,
  parseDkpVersionOutput,
  parseUrlTemplate,
  redactUrl,
  SHIPPED_CHECKSUMS,
} from '../core/download.js'
import { InputError, WorkError } from '../core/errors.js'
import { DownloadError, type DownloadOptions, downloadFile } from './download-file.js'
import { sha256File } from './sha256.js'
import { ArchiveError, extractBinaryFromTarGz } from './tar-extract.js'

export interface InstallLogger {
  info(message: string): void
  warning(message: string): void
}

export interface InstallDkpOptions {
  /** `vX.Y.Z` (the `v` is optional), with an optional pre-release. Resolved by the caller. */
  version: string
  /** Pins the sha256 of the tarball (downloads) or of the binary itself (with dkpPath). Input `dkp-sha256`. */
  sha256?: string
  /** Mirror URL template with {version}, {os}, {arch}. Input `dkp-download-url`. Default: the official URL. */
  urlTemplate?: string
  /** Use this pre-installed binary (or a directory holding `dkp`) instead of downloading. Input `dkp-path`. */
  dkpPath?: string
  /** Refuse to download when no sha256 is known (pinned or in the shipped table). Input `require-checksum`. */
  requireChecksum?: boolean
  log: InstallLogger
  /** Tool-cache root (`RUNNER_TOOL_CACHE`). Default: resolveInstallDirs(process.env). */
  cacheRoot?: string
  /** Where downloads are staged (`RUNNER_TEMP`); a private sub-directory is made and always removed. */
  tempDir?: string
  /**
   * The tarball cache: a directory shared between fresh runners (the shipped workflows restore
   * and save it with actions/cache; input `dkp-cache-dir`). After a tool-cache miss, a tarball
   * found there is installed only when its sha256 equals the pinned or table value (else it is
   * deleted, with a warning, and dkp is downloaded); a downloaded tarball is put there once every
   * check passed. Not used when no sha256 is known.
   */
  tarballCacheDir?: string
  /** Target platform; default this process's. */
  platform?: { platform: string; arch: string }
  /** Resolves a relative dkpPath. Default process.cwd(). */
  cwd?: string
  /** Checksum table; default the shipped src/core/dkp-checksums.json. */
  checksums?: ChecksumTable
  /** Download retries and timeouts (defaults: 4 attempts, 1 s backoff doubling, 60 s idle, 10 min overall). */
  download?: Omit<DownloadOptions, 'log'>
  /** Timeout of `dkp version`. Default 30 s. */
  versionTimeoutMs?: number
  /** How messages name the inputs: the action's input names by default; the CLI passes its flags. */
  labels?: Partial<InputLabels>
}

export interface InputLabels {
  version: string
  sha256: string
  urlTemplate: string
  dkpPath: string
  requireChecksum: string
}

export const ACTION_LABELS: InputLabels = {
  version: 'dkp-version',
  sha256: 'dkp-sha256',
  urlTemplate: 'dkp-download-url',
  dkpPath: 'dkp-path',
  requireChecksum: 'require-checksum',
}

export const CLI_LABELS: InputLabels = {
  version: '--version',
  sha256: '--sha256',
  urlTemplate: '--url',
  dkpPath: '--dkp-path',
  requireChecksum: '--require-checksum',
}

/** `dkp-sha256: <hex>` (an action input line) or `--sha256 <hex>` (a flag). */
const pinText = (label: string, sha: string) =>
  label.startsWith('-') ? `${label} ${sha}` : `${label}: ${sha}`

export type InstallSource = 'cache' | 'tarball-cache' | 'download' | 'dkp-path'
/** How the artifact was verified: against a pinned sha256, the shipped table, or not at all (computed, trust on first use). */
export type ChecksumOrigin = 'pinned' | 'table' | 'computed' | 'none'

export interface InstallResult {
  /** Absolute path of the dkp executable: stages run this path (argv arrays), not `dkp` from PATH. */
  binary: string
  /** Directory holding it: what the action adds to PATH. */
  dir: string
  /** Normalised version, `v2.8.1`. */
  version: string
  /** sha256 of the binary. */
  sha256: string
  /** sha256 of the tarball it came from (cache and download). */
  tarballSha256?: string
  source: InstallSource
  checksum: ChecksumOrigin
  /** Redacted download URL (cache and download). */
  url?: string
  /** `dkp-sha256: <hex>` when no checksum was known: the line to pin (the action puts it in the job summary). */
  pinLine?: string
  /**
   * The tarball cache's part: `restored` = installed from the verified tarball found there;
   * `stored` = the verified download was put there, to be saved under `key` (dkpCacheKey).
   */
  tarballCache?: { key: string; file: string; state: 'restored' | 'stored' }
  /** Milliseconds per phase. */
  timings: {
    totalMs: number
    downloadMs?: number
    /** sha256 of a tarball found in the tarball cache. */
    hashMs?: number
    extractMs?: number
    versionMs?: number
    cacheMs?: number
    verifyMs?: number
  }
}

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

export const TOOL_NAME = 'dkp'
export const RECORD_FILE = '.dkp-fleet-install.json'

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
export function cacheEntryPaths(cacheRoot: string, version: string, nodeArch: string) {
  const dir = join(cacheRoot, TOOL_NAME, cacheVersion(version), nodeArch)
  return { dir, marker: `${dir}.complete`, record: join(dir, RECORD_FILE), binary: join(dir, TOOL_NAME) }
}

interface Expected {
  sha256: string
  how: 'pinned' | 'table'
  source?: string
}

/** Installs (or finds, or checks) dkp; see the module comment. InputError for bad input, WorkError otherwise. */
export async function installDkp(opts: InstallDkpOptions): Promise<InstallResult> {
  const t0 = performance.now()
  const L: InputLabels = { ...ACTION_LABELS, ...opts.labels }
  const version = normalizeDkpVersion(opts.version, L.version)
  const pin = opts.sha256?.trim() ? normalizeSha256(opts.sha256, L.sha256) : undefined
  const template = opts.urlTemplate?.trim() ? parseUrlTemplate(opts.urlTemplate, L.urlTemplate) : undefined
  const table = opts.checksums ?? SHIPPED_CHECKSUMS
  const here = opts.platform ?? { platform: process.platform, arch: process.arch }

  if (opts.dkpPath?.trim()) {
    if (template) opts.log.info(`${L.dkpPath} is set: ${L.urlTemplate} is not used`)
    return usePreinstalled(opts.dkpPath.trim(), version, pin, table, here, opts, L, t0)
  }

  const platform = dkpPlatform(here.platform, here.arch)
  const url = expandUrlTemplate(template ?? OFFICIAL_URL_TEMPLATE, version, platform)
  const key = checksumKey(version, platform)
  const entry: ChecksumEntry | undefined = table[key]
  const expected: Expected | undefined = pin
    ? { sha256: pin, how: 'pinned' }
    : entry
      ? { sha256: entry.sha256, how: 'table', source: entry.source }
      : undefined
  const dirs = resolveInstallDirs()
  const cacheRoot = resolve(opts.cacheRoot ?? dirs.cacheRoot)
  const tempDir = resolve(opts.tempDir ?? dirs.tempDir)
  const ctx: Ctx = { version, platform, url, key, entry, expected, cacheRoot, tempDir, opts, L, t0 }

  const hit = await fromCache(ctx)
  if (hit) return hit
  if (!expected && opts.requireChecksum) throw refusal(ctx)
  const restored = await fromTarballCache(ctx)
  if (restored) return restored
  return download(ctx)
}

interface Ctx {
  version: string
  platform: DkpPlatform
  url: string
  key: string
  entry: ChecksumEntry | undefined
  expected: Expected | undefined
  cacheRoot: string
  tempDir: string
  opts: InstallDkpOptions
  L: InputLabels
  t0: number
}

const elapsed = (since: number) => Math.round((performance.now() - since) * 10) / 10
const short = (sha: string) => sha.slice(0, 12)
const what = (c: Ctx) => `dkp ${c.version} for ${c.platform.os}/${c.platform.arch}`

function refusal(c: Ctx): WorkError {
  return new WorkError(
    `refusing to install ${what(c)}: ${c.L.requireChecksum} is set and no sha256 is known for it ` +
      `(no ${c.L.sha256} and no "${c.key}" entry in the shipped table). ` +
      `Pin the tarball's sha256 with ${pinText(c.L.sha256, '<hex>')}, computed on a machine you trust, ` +
      `e.g. \`curl -fsSL ${redactUrl(c.url)} | sha256sum\`, or add it to src/core/dkp-checksums.json (see docs/installer.md).`,
  )
}

function noChecksumWarning(c: Ctx, tarballSha: string, cached: boolean): string {
  return (
    `no sha256 is known for ${what(c)} (no ${c.L.sha256}, no "${c.key}" entry in the shipped table): ` +
    `${cached ? 'the cached copy was installed' : 'installed'} from a tarball with sha256 ${tarballSha} trusted on first use. ` +
    `Pin it so later runs verify it (${c.L.requireChecksum} refuses unpinned downloads): ${pinText(c.L.sha256, tarballSha)}`
  )
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  )
}

async function readRecord(file: string): Promise<CacheRecord | undefined> {
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

async function fromCache(c: Ctx): Promise<InstallResult | undefined> {
  const t = performance.now()
  const p = cacheEntryPaths(c.cacheRoot, c.version, c.platform.nodeArch)
  if (!(await exists(p.dir)) || !(await exists(p.marker))) return undefined
  const rec = await readRecord(p.record)
  const { log } = c.opts
  if (!rec) {
    log.warning(
      `ignoring the cached dkp at ${p.dir}: it has no valid dkp-fleet verification record, so it cannot be verified. ` +
        `Reinstalling (fill caches with \`dkp-fleet install\`, or use ${c.L.dkpPath} for a binary you manage yourself).`,
    )
    return undefined
  }
  if (rec.version !== c.version || rec.os !== c.platform.os || rec.arch !== c.platform.arch) {
    log.warning(
      `ignoring the cached dkp at ${p.dir}: its record is for dkp ${rec.version} ${rec.os}/${rec.arch}. Reinstalling.`,
    )
    return undefined
  }
  if (c.expected && rec.tarballSha256 !== c.expected.sha256) {
    log.warning(
      `the cached dkp ${c.version} at ${p.dir} came from a tarball with sha256 ${rec.tarballSha256}, ` +
        `but the ${c.expected.how} sha256 is ${c.expected.sha256}: not using it; reinstalling.`,
    )
    return undefined
  }
  const damaged = (problem: string) =>
    new WorkError(
      `the cached dkp ${c.version} at ${p.binary} ${problem}; it is not used. ` +
        `The tool cache may have been tampered with: investigate, then remove ${p.dir} and ${p.marker} to reinstall.`,
    )
  let st: Awaited<ReturnType<typeof stat>>
  try {
    st = await stat(p.binary)
  } catch {
    throw damaged(`is missing (recorded sha256 ${rec.binarySha256})`)
  }
  if (!st.isFile()) throw damaged('is not a regular file')
  const actual = await sha256File(p.binary)
  if (actual !== rec.binarySha256) {
    throw damaged(
      `was modified: its sha256 is ${actual}, but ${rec.binarySha256} was recorded when it was installed`,
    )
  }
  if (c.entry?.binarySha256 && actual !== c.entry.binarySha256) {
    throw damaged(
      `has sha256 ${actual}, but the shipped table says ${c.entry.binarySha256} (${c.entry.source})`,
    )
  }
  if (!(await isExecutable(p.binary))) throw damaged('is no longer executable')
  if (!c.expected && c.opts.requireChecksum) throw refusal(c)
  const verifyMs = elapsed(t)
  const base = {
    binary: p.binary,
    dir: p.dir,
    version: c.version,
    sha256: actual,
    tarballSha256: rec.tarballSha256,
    source: 'cache' as const,
    url: rec.url,
  }
  if (!c.expected) {
    log.warning(noChecksumWarning(c, rec.tarballSha256, true))
    log.info(`using the cached dkp ${c.version} at ${p.dir} (binary sha256 ${short(actual)}… re-verified)`)
    return {
      ...base,
      checksum: 'computed',
      pinLine: `dkp-sha256: ${rec.tarballSha256}`,
      timings: { totalMs: elapsed(c.t0), verifyMs },
    }
  }
  log.info(
    `using the cached dkp ${c.version} at ${p.dir}: binary sha256 ${short(actual)}… re-verified, ` +
      `from the tarball matching the ${c.expected.how} sha256`,
  )
  return { ...base, checksum: c.expected.how, timings: { totalMs: elapsed(c.t0), verifyMs } }
}

function downloadFailure(err: unknown, c: Ctx): WorkError {
  const url = redactUrl(c.url)
  const mirror = c.opts.urlTemplate?.trim() ? '' : `, or set ${c.L.urlTemplate} to a mirror that has it`
  if (!(err instanceof DownloadError)) {
    return new WorkError(`downloading ${what(c)} from ${url} failed: ${String(err)}`, { cause: err })
  }
  switch (err.kind) {
    case 'not-found':
      return new WorkError(
        `${what(c)} was not found at ${url} (${err.message}). Check that this release exists for ${c.platform.os}/${c.platform.arch}${mirror}.`,
        { cause: err },
      )
    case 'timeout':
      return new WorkError(`downloading ${what(c)} from ${url} timed out: ${err.message}`, { cause: err })
    default:
      return new WorkError(
        `downloading ${what(c)} from ${url} failed after ${err.attempts} attempt${err.attempts === 1 ? '' : 's'}; last error: ${err.message}`,
        { cause: err },
      )
  }
}

/** The tarball cache's file for this version and platform, when the cache is in use. */
function tarballCacheFile(c: Ctx): string | undefined {
  const dir = c.opts.tarballCacheDir?.trim()
  if (!dir || !c.expected) return undefined
  return join(resolve(dir), dkpTarballName(c.version, c.platform))
}

/**
 * After a tool-cache miss: the tarball in the tarball cache, when its sha256 equals the expected
 * value, goes through the same extraction and checks as a download. A tarball that does not
 * match is deleted with a warning and undefined is returned (then dkp is downloaded).
 */
async function fromTarballCache(c: Ctx): Promise<InstallResult | undefined> {
  const { log } = c.opts
  if (c.opts.tarballCacheDir?.trim() && !c.expected) {
    log.info('the dkp tarball cache is not used: no sha256 is known to verify a cached tarball against')
    return undefined
  }
  const file = tarballCacheFile(c)
  if (!file || !c.expected) return undefined
  const st = await stat(file).catch(() => undefined)
  if (!st) {
    log.info(`no dkp tarball in the tarball cache (${file})`)
    return undefined
  }
  const key = dkpCacheKey(c.version, c.platform, c.expected.sha256)
  const t = performance.now()
  const actual = st.isFile() ? await sha256File(file) : 'not a regular file'
  const hashMs = elapsed(t)
  if (actual !== c.expected.sha256) {
    log.warning(
      `the cached dkp tarball ${file} has sha256 ${actual}, but the ${c.expected.how} sha256 is ${c.expected.sha256}: ` +
        'it is not used, and dkp is downloaded instead. The cache entry it came from is corrupt or was written by something ' +
        `other than dkp-fleet: investigate, then delete the Actions cache entry ${key} (e.g. \`gh cache delete ${key}\`).`,
    )
    await rm(file, { recursive: true, force: true })
    return undefined
  }
  log.info(
    `found dkp ${c.version} in the tarball cache: ${file}, sha256 matches the ${c.expected.how} value (${actual})`,
  )
  await mkdir(c.tempDir, { recursive: true })
  const work = await mkdtemp(join(c.tempDir, 'dkp-install-'))
  try {
    const timings: InstallResult['timings'] = { totalMs: 0, hashMs }
    const result = await installTarball(
      c,
      work,
      file,
      actual,
      pathToFileURL(file).href,
      timings,
      'tarball-cache',
    )
    result.tarballCache = { key, file, state: 'restored' }
    return result
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

async function download(c: Ctx): Promise<InstallResult> {
  const { log } = c.opts
  await mkdir(c.tempDir, { recursive: true })
  const work = await mkdtemp(join(c.tempDir, 'dkp-install-'))
  const timings: InstallResult['timings'] = { totalMs: 0 }
  try {
    const tarball = join(work, dkpTarballName(c.version, c.platform))
    const url = redactUrl(c.url)
    log.info(`downloading ${what(c)} from ${url}`)
    const t = performance.now()
    const got = await downloadFile(c.url, tarball, { ...c.opts.download, log: (m) => log.info(m) }).catch(
      (err) => {
        throw downloadFailure(err, c)
      },
    )
    timings.downloadMs = elapsed(t)
    if (c.expected && got.sha256 !== c.expected.sha256) {
      throw new WorkError(
        `checksum mismatch for ${dkpTarballName(c.version, c.platform)} from ${url}: ` +
          `expected sha256 ${c.expected.sha256} (${c.expected.how === 'pinned' ? c.L.sha256 : `shipped table: ${c.expected.source}`}), ` +
          `got sha256 ${got.sha256}. The download was discarded and nothing was cached.`,
      )
    }
    log.info(
      `downloaded ${got.bytes} bytes; sha256 ${c.expected ? `matches the ${c.expected.how} value` : 'computed'} (${got.sha256})`,
    )
    const result = await installTarball(c, work, tarball, got.sha256, url, timings, 'download')
    if (!c.expected) {
      log.warning(noChecksumWarning(c, got.sha256, false))
      result.pinLine = `dkp-sha256: ${got.sha256}`
    }
    await keepTarball(c, tarball, result)
    return result
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

/**
 * Extracts `dkp` from a tarball whose sha256 was checked (a download, or the tarball cache's
 * file), checks it (mode, table binarySha256, `dkp version`) and commits it to the tool cache.
 * A downloaded tarball is removed once extracted unless the tarball cache is to keep it.
 */
async function installTarball(
  c: Ctx,
  work: string,
  tarball: string,
  tarballSha256: string,
  url: string,
  timings: InstallResult['timings'],
  source: 'download' | 'tarball-cache',
): Promise<InstallResult> {
  const { log } = c.opts
  let t = performance.now()
  const binDir = join(work, 'bin')
  await mkdir(binDir)
  const bin = await extractBinaryFromTarGz(tarball, binDir).catch((err) => {
    if (err instanceof ArchiveError) {
      throw new WorkError(`the tarball for ${what(c)} from ${url} is unusable: ${err.message}`, {
        cause: err,
      })
    }
    throw err
  })
  if (source === 'download' && !tarballCacheFile(c)) await rm(tarball, { force: true })
  timings.extractMs = elapsed(t)
  if ((bin.mode & 0o100) === 0) {
    throw new WorkError(
      `${bin.member} in the tarball for ${what(c)} is not executable (mode ${bin.mode.toString(8).padStart(4, '0')})`,
    )
  }
  if (c.entry?.binarySha256 && bin.sha256 !== c.entry.binarySha256) {
    throw new WorkError(
      `${bin.member} in the tarball for ${what(c)} has sha256 ${bin.sha256}, but the shipped table says ${c.entry.binarySha256} (${c.entry.source})`,
    )
  }

  t = performance.now()
  await checkVersion(bin.path, c.version, c.opts.versionTimeoutMs, `${bin.member} from ${url}`)
  timings.versionMs = elapsed(t)

  t = performance.now()
  const record: CacheRecord = {
    schema: 1,
    tool: 'dkp',
    version: c.version,
    os: c.platform.os,
    arch: c.platform.arch,
    binary: 'dkp',
    binarySha256: bin.sha256,
    tarballSha256,
    checksum: c.expected?.how ?? 'computed',
    url,
    installedAt: new Date().toISOString(),
  }
  const p = await commitToCache(c, bin.path, record)
  timings.cacheMs = elapsed(t)
  timings.totalMs = elapsed(c.t0)
  log.info(`installed dkp ${c.version} at ${p.dir} (binary sha256 ${bin.sha256})`)
  return {
    binary: p.binary,
    dir: p.dir,
    version: c.version,
    sha256: bin.sha256,
    tarballSha256,
    source,
    checksum: c.expected?.how ?? 'computed',
    url,
    timings,
  }
}

/**
 * Puts a downloaded tarball that passed every check into the tarball cache (staged under a
 * hidden name in the same directory, then renamed). A failure only costs later jobs a
 * download: a warning.
 */
async function keepTarball(c: Ctx, tarball: string, result: InstallResult): Promise<void> {
  const file = tarballCacheFile(c)
  if (!file || !c.expected) return
  const dir = dirname(file)
  const staging = join(dir, `.${basename(file)}.${process.pid}-${Date.now()}.partial`)
  try {
    await mkdir(dir, { recursive: true })
    await rename(tarball, staging).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EXDEV') throw err
      await copyFile(tarball, staging)
    })
    await rename(staging, file)
    const key = dkpCacheKey(c.version, c.platform, c.expected.sha256)
    result.tarballCache = { key, file, state: 'stored' }
    c.opts.log.info(`kept the verified tarball at ${file} for later jobs (cache key ${key})`)
  } catch (err) {
    await rm(staging, { force: true }).catch(() => {})
    c.opts.log.warning(
      `could not keep the verified dkp tarball in ${dir} (${String(err)}): later jobs download it again`,
    )
  }
}

/** Moves a verified binary into the tool cache: staged next to the entry, swapped in, then marked complete. */
async function commitToCache(c: Ctx, binary: string, record: CacheRecord) {
  const p = cacheEntryPaths(c.cacheRoot, c.version, c.platform.nodeArch)
  const parent = dirname(p.dir)
  const createdRoot = !(await exists(c.cacheRoot))
  await mkdir(parent, { recursive: true })
  let staging: string | undefined
  let done = false
  try {
    // Another install of the same binary may have finished meanwhile: keep it, after verifying it.
    const theirs = (await exists(p.marker)) ? await readRecord(p.record) : undefined
    if (
      theirs?.binarySha256 === record.binarySha256 &&
      (await sha256File(p.binary).catch(() => '')) === record.binarySha256
    ) {
      done = true
      return p
    }
    staging = await mkdtemp(join(parent, `.${c.platform.nodeArch}.staging-`))
    const target = join(staging, TOOL_NAME)
    await rename(binary, target).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EXDEV') throw err
      await copyFile(binary, target)
    })
    await writeFile(join(staging, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`)
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
    throw new WorkError(`could not write dkp ${c.version} to the tool cache at ${p.dir}: ${String(err)}`, {
      cause: err,
    })
  } finally {
    if (!done) {
      if (staging) await rm(staging, { recursive: true, force: true })
      await rmdir(parent).catch(() => {})
      await rmdir(dirname(parent)).catch(() => {})
      if (createdRoot) await rmdir(c.cacheRoot).catch(() => {})
    }
  }
}

async function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  )
}

/** Runs `<binary> version` (argv array, timeout) and checks it reports `version`. */
export async function checkVersion(
  binary: string,
  version: string,
  timeoutMs = 30_000,
  label: string = binary,
): Promise<void> {
  const { stdout, stderr, error } = await new Promise<{
    stdout: string
    stderr: string
    error: ExecFileException | null
  }>((resolveRun) => {
    execFile(
      binary,
      ['version'],
      {
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 1 << 20,
        env: { ...process.env },
        windowsHide: true,
      },
      (err, out, errOut) => resolveRun({ stdout: String(out), stderr: String(errOut), error: err }),
    )
  })
  const tail = (s: string) => s.trim().split('\n').slice(-5).join('\n')
  if (error) {
    if (error.killed || error.signal === 'SIGKILL') {
      throw new WorkError(`\`${label} version\` did not finish within ${timeoutMs / 1000} s; it was killed`)
    }
    if (typeof error.code === 'string') {
      throw new WorkError(`could not run ${label}: ${error.message}`, { cause: error })
    }
    throw new WorkError(
      `\`${label} version\` exited with code ${String(error.code)}${stderr.trim() ? `: ${tail(stderr)}` : ''}`,
      { cause: error },
    )
  }
  const reported = parseDkpVersionOutput(stdout) ?? parseDkpVersionOutput(stderr)
  if (!reported) {
    throw new WorkError(
      `\`${label} version\` printed no "dkp: vX.Y.Z" line; is it dkp? Output: ${tail(stdout) || tail(stderr) || '(none)'}`,
    )
  }
  if (reported !== version) {
    throw new WorkError(`${label} reports dkp ${reported}, but ${version} was requested; it is not used`)
  }
}

async function usePreinstalled(
  given: string,
  version: string,
  pin: string | undefined,
  table: ChecksumTable,
  here: { platform: string; arch: string },
  opts: InstallDkpOptions,
  L: InputLabels,
  t0: number,
): Promise<InstallResult> {
  const abs = resolve(opts.cwd ?? process.cwd(), given)
  let binary = abs
  let st = await stat(abs).catch(() => undefined)
  if (!st) throw new InputError(`${L.dkpPath} ${abs} does not exist`)
  if (st.isDirectory()) {
    binary = join(abs, TOOL_NAME)
    st = await stat(binary).catch(() => undefined)
    if (!st) throw new InputError(`${L.dkpPath} ${abs} is a directory without a dkp binary in it`)
  }
  if (!st.isFile()) throw new InputError(`${L.dkpPath} ${binary} is not a regular file`)
  if (!(await isExecutable(binary))) {
    throw new InputError(
      `${L.dkpPath} ${binary} is not executable (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}); make it executable (chmod +x)`,
    )
  }
  const t = performance.now()
  const sha = await sha256File(binary)
  let anchor: string | undefined
  try {
    anchor = table[checksumKey(version, dkpPlatform(here.platform, here.arch))]?.binarySha256
  } catch {
    anchor = undefined // an unsupported platform has no table entry
  }
  const expected = pin ?? anchor
  if (expected && sha !== expected) {
    throw new WorkError(
      `checksum mismatch for ${L.dkpPath} ${binary}: expected sha256 ${expected} (${pin ? L.sha256 : 'shipped table'}), got sha256 ${sha}`,
    )
  }
  const verifyMs = elapsed(t)
  const tv = performance.now()
  await checkVersion(binary, version, opts.versionTimeoutMs, binary)
  const versionMs = elapsed(tv)
  opts.log.info(
    `using the pre-installed dkp ${version} at ${binary} (sha256 ${sha}${expected ? ', verified' : ''})` +
      (opts.requireChecksum && !expected
        ? `; ${L.requireChecksum} applies to downloads, not to ${L.dkpPath}`
        : ''),
  )
  return {
    binary,
    dir: dirname(binary),
    version,
    sha256: sha,
    source: 'dkp-path',
    checksum: pin ? 'pinned' : anchor ? 'table' : 'none',
    timings: { totalMs: elapsed(t0), verifyMs, versionMs },
  }
}
