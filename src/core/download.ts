// Pure helpers for getting the dkp CLI: version normalisation, platform mapping, the official
// download URL, mirror URL templates ({version}, {os}, {arch}), sha256 inputs, the shipped
// checksum table and URL redaction for logs. No I/O.

import checksumTable from './dkp-checksums.json' with { type: 'json' }
import { InputError, WorkError } from './errors.js'

/** Operating systems and architectures dkp is published for (URL spelling). */
export type DkpOs = 'linux' | 'darwin'
export type DkpArch = 'amd64' | 'arm64'

export interface DkpPlatform {
  os: DkpOs
  arch: DkpArch
  /** Node's spelling of the architecture (`x64`, `arm64`): the tool-cache directory name. */
  nodeArch: 'x64' | 'arm64'
}

/** The official download location (reference/dkp.md §3). Its host's future is uncertain: mirrors are first-class. */
export const OFFICIAL_URL_TEMPLATE =
  'https://downloads.d2iq.com/dkp/{version}/dkp_{version}_{os}_{arch}.tar.gz'

const PLACEHOLDERS = ['version', 'os', 'arch'] as const
type Placeholder = (typeof PLACEHOLDERS)[number]

// SemVer 2.0.0 core + optional pre-release (no leading zeros in numeric identifiers). Build
// metadata (+...) is refused: it has no meaning for a download and `+` is awkward in URLs.
const NUM = '(?:0|[1-9]\\d*)'
const PRE_ID = '(?:0|[1-9]\\d*|\\d*[A-Za-z-][0-9A-Za-z-]*)'
const VERSION_RE = new RegExp(`^v?(${NUM})\\.(${NUM})\\.(${NUM})(-${PRE_ID}(?:\\.${PRE_ID})*)?$`)

/**
 * Why `input` is not a dkp release version (`"latest" is not a release version: …`), or
 * undefined when it is one. The options parser and normalizeDkpVersion share this text.
 */
export function dkpVersionProblem(input: string): string | undefined {
  if (VERSION_RE.test(input.trim())) return undefined
  return `"${input}" is not a release version: expected vX.Y.Z with an optional pre-release, e.g. v2.8.1 or v2.9.0-rc.1`
}

/**
 * Validates a dkp version and returns it in the `vX.Y.Z[-pre]` spelling used by URLs and `dkp version`.
 * Accepts a missing `v`. Throws InputError naming the problem.
 */
export function normalizeDkpVersion(input: string, what = 'dkp version'): string {
  const problem = dkpVersionProblem(input)
  if (problem) throw new InputError(`${what} ${problem}`)
  return `v${input.trim().replace(/^v/, '')}`
}

/** The version as tool-cache spells its directory (`semver.clean`): no `v`. */
export function cacheVersion(version: string): string {
  return normalizeDkpVersion(version).slice(1)
}

/** Maps Node's `process.platform`/`process.arch` to dkp's download spelling; a clear error otherwise. */
export function dkpPlatform(platform: string, arch: string): DkpPlatform {
  const os: DkpOs | undefined = platform === 'linux' ? 'linux' : platform === 'darwin' ? 'darwin' : undefined
  const a: DkpArch | undefined = arch === 'x64' ? 'amd64' : arch === 'arm64' ? 'arm64' : undefined
  if (!os || !a) {
    const why = !os ? `operating system "${platform}"` : `architecture "${arch}"`
    throw new WorkError(
      `dkp is not published for ${why} (this runner is ${platform}/${arch}): dkp runs on linux or darwin, amd64 (x64) or arm64. ` +
        'Use a Linux or macOS runner, or give a pre-installed binary with dkp-path (--dkp-path).',
    )
  }
  return { os, arch: a, nodeArch: a === 'amd64' ? 'x64' : 'arm64' }
}

/** A validated mirror URL template. */
export interface UrlTemplate {
  template: string
  placeholders: Placeholder[]
}

/**
 * Validates a download URL template: only `{version}`, `{os}` and `{arch}` placeholders, balanced
 * braces, `{version}` present, and an http, https or file URL once expanded. Throws InputError
 * naming the problem (and the position of a bad brace).
 */
export function parseUrlTemplate(template: string, what = 'dkp-download-url'): UrlTemplate {
  const t = template.trim()
  const fail = (problem: string): never => {
    throw new InputError(
      `${what} "${template}": ${problem}. Expected a URL with {version}, and optionally {os} and {arch}, ` +
        'e.g. https://mirror.example.com/dkp/{version}/dkp_{version}_{os}_{arch}.tar.gz',
    )
  }
  if (t === '') fail('is empty')
  if (/\s/.test(t)) fail('contains whitespace')
  const found: Placeholder[] = []
  for (let i = 0; i < t.length; i++) {
    const c = t[i]
    if (c === '}') fail(`unbalanced "}" at position ${i + 1}`)
    if (c !== '{') continue
    const close = t.indexOf('}', i + 1)
    const open = t.indexOf('{', i + 1)
    if (close < 0 || (open >= 0 && open < close)) fail(`unbalanced "{" at position ${i + 1}`)
    const name = t.slice(i + 1, close)
    if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
      fail(`unknown placeholder {${name}} (known: {version}, {os}, {arch})`)
    }
    if (!found.includes(name as Placeholder)) found.push(name as Placeholder)
    i = close
  }
  if (!found.includes('version')) fail('has no {version} placeholder, so every version would share one URL')
  let url: URL
  try {
    url = new URL(expand(t, { version: 'v1.2.3', os: 'linux', arch: 'amd64' }))
  } catch {
    return fail('is not a valid absolute URL')
  }
  if (!['http:', 'https:', 'file:'].includes(url.protocol)) {
    fail(`uses "${url.protocol.replace(/:$/, '')}": only http, https and file URLs are supported`)
  }
  if (url.protocol !== 'file:' && !url.hostname) fail('has no host')
  return { template: t, placeholders: found }
}

function expand(template: string, values: Record<Placeholder, string>): string {
  return template.replace(/\{(version|os|arch)\}/g, (_, name: Placeholder) => values[name])
}

/** Expands a template (validated here if given as a string) for a version and platform. */
export function expandUrlTemplate(
  template: string | UrlTemplate,
  version: string,
  platform: DkpPlatform,
): string {
  const t = typeof template === 'string' ? parseUrlTemplate(template) : template
  return expand(t.template, { version: normalizeDkpVersion(version), os: platform.os, arch: platform.arch })
}

/** The official download URL for a version and platform. */
export function officialDkpUrl(version: string, platform: DkpPlatform): string {
  return expandUrlTemplate(OFFICIAL_URL_TEMPLATE, version, platform)
}

/** The tarball's file name as published, e.g. `dkp_v2.8.1_linux_amd64.tar.gz`. */
export function dkpTarballName(version: string, platform: DkpPlatform): string {
  return `dkp_${normalizeDkpVersion(version)}_${platform.os}_${platform.arch}.tar.gz`
}

/** Why `input` is not a sha256 (64 hex digits, an optional `sha256:` prefix), or undefined. */
export function sha256Problem(input: string): string | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(input.trim().replace(/^sha256:/i, ''))) return undefined
  return `"${input}" is not a sha256: expected 64 hexadecimal digits`
}

/** Validates a sha256 given by the user (64 hex digits, an optional `sha256:` prefix); returns lower-case hex. */
export function normalizeSha256(input: string, what = 'dkp-sha256'): string {
  const problem = sha256Problem(input)
  if (problem) throw new InputError(`${what} ${problem}`)
  return input
    .trim()
    .replace(/^sha256:/i, '')
    .toLowerCase()
}

/** One entry of the shipped checksum table. */
export interface ChecksumEntry {
  /** sha256 of the published tarball. */
  sha256: string
  /** sha256 of the `dkp` binary inside it, when known: an anchor for cache hits and dkp-path. */
  binarySha256?: string
  /** Where the value comes from (release page, signed checksum file, third party...). */
  source: string
}

export type ChecksumTable = Record<string, ChecksumEntry>

/** The table shipped in src/core/dkp-checksums.json (see docs/installer.md to add an entry). */
export const SHIPPED_CHECKSUMS: ChecksumTable = (checksumTable as { checksums: ChecksumTable }).checksums

/** Key of the checksum table: `<os>-<arch>-<version>`, e.g. `linux-amd64-v2.8.1`. */
export function checksumKey(version: string, platform: DkpPlatform): string {
  return `${platform.os}-${platform.arch}-${normalizeDkpVersion(version)}`
}

/**
 * The tarball sha256 an install is verified against: the pin (`dkp-sha256`), else the shipped
 * table's entry for the version and platform; undefined when neither is known.
 */
export function expectedTarballSha256(
  version: string,
  platform: DkpPlatform,
  pin: string | undefined,
  table: ChecksumTable = SHIPPED_CHECKSUMS,
): { sha256: string; how: 'pinned' | 'table'; source?: string } | undefined {
  if (pin?.trim()) return { sha256: normalizeSha256(pin), how: 'pinned' }
  const entry = table[checksumKey(version, platform)]
  return entry ? { sha256: entry.sha256, how: 'table', source: entry.source } : undefined
}

/**
 * The Actions cache key of a verified dkp tarball: `dkp-fleet-dkp-<version>-<os>-<arch>-<sha256>`.
 * The sha256 is the one the tarball is verified against (pin or table), so a different pin is a
 * different entry, and no key ever stands for an unverified download.
 */
export function dkpCacheKey(version: string, platform: DkpPlatform, sha256: string): string {
  return `dkp-fleet-dkp-${normalizeDkpVersion(version)}-${platform.os}-${platform.arch}-${normalizeSha256(sha256)}`
}

/**
 * The cache key the stage jobs of a run restore, computed by the plan job for its own runner:
 * empty when nothing would be cached (a pre-installed `dkp-path`, no sha256 known to verify a
 * cached tarball against, a platform dkp is not published for). Pure: the caller passes the
 * platform (`process.platform`, `process.arch`).
 */
export function dkpCacheKeyFor(opts: {
  version: string
  sha256?: string
  dkpPath?: string
  platform: { platform: string; arch: string }
  table?: ChecksumTable
}): string {
  if (opts.dkpPath?.trim()) return ''
  let platform: DkpPlatform
  try {
    platform = dkpPlatform(opts.platform.platform, opts.platform.arch)
  } catch {
    return ''
  }
  const expected = expectedTarballSha256(opts.version, platform, opts.sha256, opts.table)
  return expected ? dkpCacheKey(opts.version, platform, expected.sha256) : ''
}

/** Problems in a checksum table (used by tests to keep the shipped table well formed). */
export function checksumTableProblems(table: ChecksumTable): string[] {
  const problems: string[] = []
  for (const [key, e] of Object.entries(table)) {
    const m = /^(linux|darwin)-(amd64|arm64)-(v.+)$/.exec(key)
    if (!m || !VERSION_RE.test(m[3] ?? '')) problems.push(`${key}: key is not <os>-<arch>-v<X.Y.Z>`)
    if (!/^[0-9a-f]{64}$/.test(e.sha256)) problems.push(`${key}: sha256 is not 64 lower-case hex digits`)
    if (e.binarySha256 !== undefined && !/^[0-9a-f]{64}$/.test(e.binarySha256)) {
      problems.push(`${key}: binarySha256 is not 64 lower-case hex digits`)
    }
    if (!e.source?.trim()) problems.push(`${key}: source (provenance) is missing`)
  }
  return problems
}

/** A URL safe to print: the password and query values (signed URLs carry tokens there) are masked. */
export function redactUrl(url: string): string {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return url
  }
  if (u.password) u.password = '***'
  if (u.username && !u.password) u.username = '***'
  if (u.search) {
    const names = [...u.searchParams.keys()]
    u.search = names.map((n) => `${encodeURIComponent(n)}=***`).join('&')
  }
  return u.toString()
}

/** Parses the output of `dkp version`: the `dkp:` (or NKP's `nkp:`) line, as `vX.Y.Z`. */
export function parseDkpVersionOutput(output: string): string | undefined {
  const m = /^(dkp|nkp):\s*v?(\S+)/m.exec(output)
  return m?.[2] ? `v${m[2]}` : undefined
}
