// Installs the pinned dkp CLI, verified: tool cache first (re-hashed on every hit), else a
// tarball in the tarball cache (the shipped workflow's dkp job hands it to the other jobs; used
// only when its sha256 equals the pinned or table value), else download (official URL or a mirror template) →
// sha256 of the tarball checked before extraction → extract `dkp` → `dkp version` must report the
// requested version → cache (and keep the verified tarball in the tarball cache). Or use a
// pre-installed binary (dkp-path), version still checked. Shared by the action and
// `dkp-fleet install`: it takes a logger and explicit directories and never touches
// @actions/core or PATH.
//
// The pieces: dkp-tool-cache.ts (the tool cache, @actions/tool-cache's layout),
// dkp-tarball-cache.ts, download-file.ts, tar-extract.ts, sha256.ts, dkp-preinstalled.ts
// (dkp-path and `dkp version`). Why they are written here rather than taken from the Actions
// toolkit, measured: docs/architecture.md "Dependencies" (bench/deps.ts).

import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  type ChecksumEntry,
  checksumKey,
  type DkpPlatform,
  dkpPlatform,
  dkpTarballName,
  expandUrlTemplate,
  normalizeDkpVersion,
  normalizeSha256,
  OFFICIAL_URL_TEMPLATE,
  parseUrlTemplate,
  redactUrl,
  SHIPPED_CHECKSUMS,
} from '../core/download.js'
import { InputError, WorkError } from '../core/errors.js'
import { productOf } from '../core/providers.js'
import {
  ACTION_LABELS,
  type InputLabels,
  type InstallDkpOptions,
  type InstallResult,
} from './dkp-install-options.js'
import { checkVersion, isExecutable, usePreinstalled } from './dkp-preinstalled.js'
import {
  findCachedTarball,
  keepTarball,
  type TarballCacheSlot,
  tarballCacheSlot,
} from './dkp-tarball-cache.js'
import {
  type CacheEntryPaths,
  type CacheRecord,
  commitEntry,
  exists,
  findEntry,
  readRecord,
  resolveInstallDirs,
} from './dkp-tool-cache.js'
import { DownloadError, downloadFile } from './download-file.js'
import { sha256File } from './sha256.js'
import { ArchiveError, extractBinaryFromTarGz } from './tar-extract.js'

export {
  ACTION_LABELS,
  type ChecksumOrigin,
  CLI_LABELS,
  type InputLabels,
  type InstallDkpOptions,
  type InstallLogger,
  type InstallResult,
  type InstallSource,
} from './dkp-install-options.js'
export { checkVersion } from './dkp-preinstalled.js'
export {
  type CacheRecord,
  cacheEntryPaths,
  RECORD_FILE,
  resolveInstallDirs,
  TOOL_NAME,
} from './dkp-tool-cache.js'

/** `dkp-sha256: <hex>` (an action input line) or `--sha256 <hex>` (a flag). */
const pinText = (label: string, sha: string) =>
  label.startsWith('-') ? `${label} ${sha}` : `${label}: ${sha}`

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
  // NKP binaries (2.12+) come from signed portal URLs (3P): the official DKP pattern does not
  // apply, so an NKP version needs a mirror template or a pre-installed binary.
  if (!template && productOf(version) === 'nkp') {
    throw new InputError(
      `nkp ${version}: NKP binaries are downloaded from signed Nutanix portal URLs, so there is no official URL to default to; set ${L.urlTemplate} (a mirror template with {version}, {os}, {arch}) or ${L.dkpPath} (a pre-installed nkp)`,
    )
  }
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
  const slot = tarballCacheSlot(opts.tarballCacheDir, version, platform, expected, opts.log)
  const ctx: Ctx = { version, platform, url, key, entry, expected, cacheRoot, tempDir, slot, opts, L, t0 }

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
  /** The tarball cache's file for this version and platform, when that cache is in use. */
  slot: TarballCacheSlot | undefined
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

async function fromCache(c: Ctx): Promise<InstallResult | undefined> {
  const t = performance.now()
  const p = await findEntry(c.cacheRoot, c.version, c.platform.nodeArch)
  if (!p) return undefined
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
  const actual = await verifyCachedBinary(c, p, rec)
  if (actual === undefined) return undefined
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

/**
 * Re-hashes a cached binary against its record and the table; its sha256, or undefined when
 * another install is replacing the entry right now (it removes the marker, then the directory:
 * a binary that vanished with its marker, or is back already, is a miss). Anything else that
 * does not match is tampering: a WorkError.
 */
async function verifyCachedBinary(c: Ctx, p: CacheEntryPaths, rec: CacheRecord): Promise<string | undefined> {
  const damaged = (problem: string) =>
    new WorkError(
      `the cached dkp ${c.version} at ${p.binary} ${problem}; it is not used. ` +
        `The tool cache may have been tampered with: investigate, then remove ${p.dir} and ${p.marker} to reinstall.`,
    )
  const st = await stat(p.binary).catch(() => undefined)
  const actual = st?.isFile() ? await sha256File(p.binary).catch(() => undefined) : undefined
  if (!st || (st.isFile() && actual === undefined)) {
    if (!(await exists(p.marker)) || (await exists(p.binary))) {
      c.opts.log.info(`the cached dkp at ${p.dir} is being replaced by another install; installing`)
      return undefined
    }
    throw damaged(`is missing (recorded sha256 ${rec.binarySha256})`)
  }
  if (!st.isFile() || actual === undefined) throw damaged('is not a regular file')
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
  return actual
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

/**
 * After a tool-cache miss: the tarball in the tarball cache, when its sha256 equals the expected
 * value, goes through the same extraction and checks as a download.
 */
async function fromTarballCache(c: Ctx): Promise<InstallResult | undefined> {
  if (c.opts.tarballCacheDir?.trim() && !c.expected) {
    c.opts.log.info(
      'the dkp tarball cache is not used: no sha256 is known to verify a cached tarball against',
    )
    return undefined
  }
  if (!c.slot) return undefined
  const found = await findCachedTarball(c.slot)
  if (!found) return undefined
  await mkdir(c.tempDir, { recursive: true })
  const work = await mkdtemp(join(c.tempDir, 'dkp-install-'))
  try {
    const timings: InstallResult['timings'] = { totalMs: 0, hashMs: found.hashMs }
    const url = pathToFileURL(c.slot.file).href
    const result = await installTarball(c, work, c.slot.file, found.sha256, url, timings, 'tarball-cache')
    result.tarballCache = { key: c.slot.key, file: c.slot.file, state: 'restored' }
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
    if (c.slot && (await keepTarball(c.slot, tarball))) {
      result.tarballCache = { key: c.slot.key, file: c.slot.file, state: 'stored' }
    }
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
  // The NKP tarball holds `nkp` (3P), DKP's `dkp`.
  const bin = await extractBinaryFromTarGz(tarball, binDir, { name: productOf(c.version) }).catch((err) => {
    if (err instanceof ArchiveError) {
      throw new WorkError(`the tarball for ${what(c)} from ${url} is unusable: ${err.message}`, {
        cause: err,
      })
    }
    throw err
  })
  if (source === 'download' && !c.slot) await rm(tarball, { force: true })
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
  const p = await commitEntry(c.cacheRoot, c.platform.nodeArch, bin.path, record)
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
