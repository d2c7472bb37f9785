// The one versions module: DKP and Kubernetes version spelling, order and equality, the DKP
// release table (data/dkp-releases.json: default Kubernetes per release, supported ranges, each
// value with its provenance) and the upgrade-path rules (reference/dkp.md §3). Every check says
// what kind of answer it is (`kind`), so no caller reads the wording of a reason.

import semver from 'semver'
import raw from '../../data/dkp-releases.json' with { type: 'json' }

/** Where a fact comes from: C confirmed, 3P third party, I inferred. */
export type Provenance = 'C' | '3P' | 'I'

export interface DkpMinor {
  /** `2.8` */
  minor: string
  /** Default Kubernetes of the release line. */
  kubernetes: string
  /** Oldest Kubernetes minor the release supports (`1.21`). */
  oldestKubernetes: string
  /** The default Kubernetes is inferred, not from release notes (the inventory may override it). */
  inferred: boolean
  /** Where the default Kubernetes comes from: C confirmed, 3P third party, I inferred. */
  provenance: Provenance
  /** NKP releases (2.12+): the `nkp` binary, `nkp upgrade cluster nutanix` (docs/nkp.md). */
  nkp?: boolean
}

interface RawRelease {
  minor: string
  nkp?: boolean
  kubernetes: { value: string; provenance: Provenance }
  oldestKubernetes: { value: string; provenance: Provenance }
}

/** Ordered: the upgrade path walks this list one entry at a time (no minor skipped). */
export const DKP_MINORS: readonly DkpMinor[] = (raw.releases as RawRelease[]).map((r) => ({
  minor: r.minor,
  kubernetes: r.kubernetes.value,
  oldestKubernetes: r.oldestKubernetes.value,
  inferred: r.kubernetes.provenance === 'I',
  provenance: r.kubernetes.provenance,
  ...(r.nkp ? { nkp: true } : {}),
}))

/** `v2.8.1` from `2.8.1` or `v2.8.1`; undefined when not a version. */
export function normalizeDkp(version: string): string | undefined {
  const bare = version.trim().replace(/^v/, '')
  return semver.valid(bare) && !bare.includes('+') ? `v${bare}` : undefined
}

/** `1.28.7` (no `v`, `+fips.0` kept) from `v1.28.7`. */
export function normalizeKubernetes(version: string): string | undefined {
  const m = /^v?(\d+\.\d+\.\d+)(\+fips\.\d+)?$/.exec(version.trim())
  return m ? `${m[1]}${m[2] ?? ''}` : undefined
}

/** `NKP` from 2.12 (DKP was renamed), `DKP` before: how a release is named in messages. */
export function platformName(version: string): 'DKP' | 'NKP' {
  const m = /^v?(\d+)\.(\d+)/.exec(version.trim())
  return m && (Number(m[1]) > 2 || (m[1] === '2' && Number(m[2]) >= 12)) ? 'NKP' : 'DKP'
}

export const minorOf = (version: string): string => {
  const m = /^v?(\d+)\.(\d+)/.exec(version)
  return m ? `${m[1]}.${m[2]}` : version
}

/** Compares Kubernetes or DKP versions ignoring a leading `v` and build metadata. */
export function compareVersions(a: string, b: string): number {
  return semver.compare(cleanVersion(a), cleanVersion(b))
}

/** A version without its leading `v` and build metadata (`v1.28.7+fips.0` → `1.28.7`). */
const cleanVersion = (v: string): string => v.trim().replace(/^v/, '').replace(/\+.*$/, '')

/** Version order that never throws: semver where both parse, else plain string order. */
export function compareLoosely(a: string, b: string): number {
  try {
    return compareVersions(a, b)
  } catch {
    return a < b ? -1 : a > b ? 1 : 0
  }
}

export function sameVersion(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false
  return a.replace(/^v/, '') === b.replace(/^v/, '')
}

export function dkpMinor(version: string): DkpMinor | undefined {
  return DKP_MINORS.find((m) => m.minor === minorOf(version))
}

export function defaultKubernetesFor(dkp: string): string | undefined {
  return dkpMinor(dkp)?.kubernetes
}

/** What a path check found: the path is fine, goes backwards, skips a minor, changes the major version, or names a version the table does not know (or that is no version). */
export type PathKind = 'ok' | 'downgrade' | 'skip' | 'major' | 'unknown'

export interface PathCheck {
  ok: boolean
  kind: PathKind
  /** Why the path is refused, with the path to take. */
  reason?: string
  /** The releases to go through, including both ends. */
  path: string[]
}

/**
 * DKP/NKP upgrade path rule (reference §3): the same minor with a higher or equal patch, or the
 * next minor in DKP_MINORS (DKP 2.8 → NKP 2.12 is the next minor; then NKP 2.x → 2.(x+1));
 * never a downgrade. A refused path names each minor to go through.
 */
export function checkDkpPath(from: string, to: string): PathCheck {
  const fromIdx = DKP_MINORS.findIndex((m) => m.minor === minorOf(from))
  const toIdx = DKP_MINORS.findIndex((m) => m.minor === minorOf(to))
  if (compareVersions(to, from) < 0) {
    return {
      ok: false,
      kind: 'downgrade',
      path: [from],
      reason: `${to} is older than the running ${from}: ${platformName(to)} cannot be downgraded (restore from a backup instead)`,
    }
  }
  if (fromIdx < 0 || toIdx < 0) {
    const unknown = fromIdx < 0 ? from : to
    return {
      ok: false,
      kind: 'unknown',
      path: [from, to],
      reason: `${platformName(unknown)} ${unknown} is not in the known release table (${DKP_MINORS.map((m) => m.minor).join(', ')})`,
    }
  }
  if (toIdx - fromIdx <= 1) return { ok: true, kind: 'ok', path: [from, to] }
  const through = DKP_MINORS.slice(fromIdx + 1, toIdx).map((m) => `v${m.minor}.x`)
  const path = [from, ...through, to]
  const [a, b] = [platformName(from), platformName(to)]
  const rule =
    b === 'DKP'
      ? 'DKP minors cannot be skipped'
      : `${a === b ? 'NKP' : 'DKP/NKP'} minors cannot be skipped (DKP 2.8.x goes to NKP 2.12.x, then one NKP minor at a time)`
  return {
    ok: false,
    kind: 'skip',
    path,
    reason: `upgrading ${a} ${from} to ${a === b ? '' : `${b} `}${to} skips minor release${through.length > 1 ? 's' : ''} ${through.join(', ')}; ${rule}: upgrade ${path.join(' → ')}, one release per run`,
  }
}

/** Kubernetes rule: no minor skipped, never a downgrade. A version that does not parse is `unknown`. */
export function checkKubernetesPath(from: string, to: string): PathCheck {
  const [f, t] = [semver.parse(cleanVersion(from)), semver.parse(cleanVersion(to))]
  if (!f || !t) {
    return {
      ok: false,
      kind: 'unknown',
      path: [from, to],
      reason: `"${f ? to : from}" cannot be read as a Kubernetes version`,
    }
  }
  if (compareVersions(to, from) < 0) {
    return {
      ok: false,
      kind: 'downgrade',
      path: [from],
      reason: `Kubernetes ${to} is older than the running ${from}: no downgrade`,
    }
  }
  if (t.major !== f.major)
    return {
      ok: false,
      kind: 'major',
      path: [from, to],
      reason: `Kubernetes ${from} → ${to} changes the major version`,
    }
  if (t.minor - f.minor <= 1) return { ok: true, kind: 'ok', path: [from, to] }
  const through = Array.from({ length: t.minor - f.minor - 1 }, (_, i) => `1.${f.minor + 1 + i}.x`)
  const path = [from, ...through, to]
  return {
    ok: false,
    kind: 'skip',
    path,
    reason: `Kubernetes ${from} → ${to} skips minor${through.length > 1 ? 's' : ''} ${through.join(', ')}: upgrade ${path.join(' → ')}`,
  }
}

/** Whether a Kubernetes version is in a DKP release's range: `newer` or `older` than it supports, with the reason. */
export interface Support {
  kind: 'ok' | 'newer' | 'older' | 'unknown-release'
  reason?: string
}

/**
 * Whether a Kubernetes version can be the target of a DKP release: at most the release's
 * default minor, and not older than its oldest supported minor. A release the table does not
 * know is `unknown-release` (nothing to check against).
 */
export function kubernetesSupport(dkp: string, kubernetes: string): Support {
  const release = dkpMinor(dkp)
  if (!release) return { kind: 'unknown-release' }
  const k = minorOf(kubernetes)
  const newest = minorOf(release.kubernetes)
  const below = (a: string, b: string) => compareVersions(`${a}.0`, `${b}.0`) < 0
  if (below(newest, k))
    return {
      kind: 'newer',
      reason: `Kubernetes ${kubernetes} is newer than ${platformName(dkp)} ${dkp} supports (up to ${newest}.x)`,
    }
  if (below(k, release.oldestKubernetes))
    return {
      kind: 'older',
      reason: `Kubernetes ${kubernetes} is older than ${platformName(dkp)} ${dkp} supports (from ${release.oldestKubernetes})`,
    }
  return { kind: 'ok' }
}

/** The reason a Kubernetes version is outside a DKP release's range; undefined when inside (or the release is unknown). */
export function kubernetesSupportedBy(dkp: string, kubernetes: string): string | undefined {
  return kubernetesSupport(dkp, kubernetes).reason
}

/** The minor of a Kubernetes 1.x version (`v1.28.7` → 28); undefined for anything else. */
export function kubernetesMinor(version: string): number | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec(version.trim())
  return m && m[1] === '1' ? Number(m[2]) : undefined
}

// ------------------------------------------------------------------------------ Kubernetes versions as CAPI and dkp spell them

/** `1.28.7+fips.0` from `v1.28.7+fips.0`: the leading `v` stripped, build metadata kept. */
export const bareVersion = (v: string | undefined): string => (v ?? '').trim().replace(/^v/, '')

/** `v1.28.7`: the form dkp and CAPI use. */
export const vVersion = (v: string): string => `v${bareVersion(v)}`

/** Kubernetes versions equal once the leading `v` is stripped (`+fips.0` counts). */
export const sameKubernetes = (a: string | undefined, b: string | undefined): boolean =>
  !!a && !!b && bareVersion(a) === bareVersion(b)

/**
 * A managed control plane's version against the target: EKS (CAPA) keeps `v1.28` (major.minor)
 * where the target has a patch, so a two-part version matches the target's minor.
 */
export function managedVersionMatches(live: string | undefined, target: string): boolean {
  const have = bareVersion(live)
  if (!have) return false
  if (/^\d+\.\d+$/.test(have)) return bareVersion(target).startsWith(`${have}.`)
  return have === bareVersion(target)
}

/** Lowest of several Kubernetes versions (numeric compare of major.minor.patch). */
export function lowestVersion(versions: (string | undefined)[]): string | undefined {
  const parse = (v: string) =>
    bareVersion(v)
      .split(/[.+-]/)
      .slice(0, 3)
      .map((n) => Number(n) || 0)
  let low: string | undefined
  for (const v of versions) {
    if (!v) continue
    if (low === undefined) {
      low = bareVersion(v)
      continue
    }
    const a = parse(v)
    const b = parse(low)
    for (let i = 0; i < 3; i++) {
      if (a[i]! !== b[i]!) {
        if (a[i]! < b[i]!) low = bareVersion(v)
        break
      }
    }
  }
  return low
}
