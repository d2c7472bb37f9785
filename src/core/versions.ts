// DKP releases, their default Kubernetes versions and the supported upgrade paths.
// Source: reference/dkp.md §3. Rows marked (inferred) come from Konvoy Image Builder defaults
// by date, not from release notes: target.kubernetes in the inventory overrides them.

import semver from 'semver'

export interface DkpMinor {
  /** `2.8` */
  minor: string
  /** Default Kubernetes of the release line. */
  kubernetes: string
  /** Oldest Kubernetes minor the release supports (`1.21`). */
  oldestKubernetes: string
  inferred: boolean
  /** NKP releases use the `nkp` binary and change several commands (not supported yet). */
  nkp?: boolean
}

// Ordered: the upgrade path walks this list one entry at a time (no minor skipped).
export const DKP_MINORS: readonly DkpMinor[] = [
  { minor: '2.1', kubernetes: '1.21.6', oldestKubernetes: '1.19', inferred: false }, // 2.2 docs, KIB map
  { minor: '2.2', kubernetes: '1.22.8', oldestKubernetes: '1.21', inferred: false }, // 2.2 release notes
  { minor: '2.3', kubernetes: '1.23.7', oldestKubernetes: '1.21', inferred: false }, // 2.3 docs
  { minor: '2.4', kubernetes: '1.24.6', oldestKubernetes: '1.22', inferred: true },
  { minor: '2.5', kubernetes: '1.25.4', oldestKubernetes: '1.23', inferred: true },
  { minor: '2.6', kubernetes: '1.26.6', oldestKubernetes: '1.24', inferred: true },
  { minor: '2.7', kubernetes: '1.27.6', oldestKubernetes: '1.25', inferred: true },
  { minor: '2.8', kubernetes: '1.28.7', oldestKubernetes: '1.26', inferred: true },
  // DKP 2.8 → NKP 2.12 counts as one minor step (reference §3); NKP is not driven yet.
  { minor: '2.12', kubernetes: '1.29.6', oldestKubernetes: '1.27', inferred: true, nkp: true },
]

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

export const minorOf = (version: string): string => {
  const m = /^v?(\d+)\.(\d+)/.exec(version)
  return m ? `${m[1]}.${m[2]}` : version
}

/** Compares Kubernetes or DKP versions ignoring a leading `v` and build metadata. */
export function compareVersions(a: string, b: string): number {
  const clean = (v: string) => v.replace(/^v/, '').replace(/\+.*$/, '')
  return semver.compare(clean(a), clean(b))
}

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

export interface PathCheck {
  ok: boolean
  /** Why the path is refused, with the path to take. */
  reason?: string
  /** The releases to go through, including both ends. */
  path: string[]
}

/**
 * DKP upgrade path rule (reference §3): the same minor with a higher or equal patch, or the
 * next minor in DKP_MINORS; never a downgrade. A refused path names each minor to go through.
 */
export function checkDkpPath(from: string, to: string): PathCheck {
  const fromIdx = DKP_MINORS.findIndex((m) => m.minor === minorOf(from))
  const toIdx = DKP_MINORS.findIndex((m) => m.minor === minorOf(to))
  if (compareVersions(to, from) < 0) {
    return {
      ok: false,
      path: [from],
      reason: `${to} is older than the running ${from}: DKP cannot be downgraded (restore from a backup instead)`,
    }
  }
  if (fromIdx < 0 || toIdx < 0) {
    const unknown = fromIdx < 0 ? from : to
    return {
      ok: false,
      path: [from, to],
      reason: `DKP ${unknown} is not in the known release table (${DKP_MINORS.map((m) => m.minor).join(', ')})`,
    }
  }
  if (toIdx - fromIdx <= 1) return { ok: true, path: [from, to] }
  const through = DKP_MINORS.slice(fromIdx + 1, toIdx).map((m) => `v${m.minor}.x`)
  const path = [from, ...through, to]
  return {
    ok: false,
    path,
    reason: `upgrading DKP ${from} to ${to} skips minor release${through.length > 1 ? 's' : ''} ${through.join(', ')}; DKP minors cannot be skipped: upgrade ${path.join(' → ')}, one release per run`,
  }
}

/** Kubernetes rule: no minor skipped, never a downgrade. */
export function checkKubernetesPath(from: string, to: string): PathCheck {
  if (compareVersions(to, from) < 0) {
    return {
      ok: false,
      path: [from],
      reason: `Kubernetes ${to} is older than the running ${from}: no downgrade`,
    }
  }
  const [fm, fn] = from.replace(/^v/, '').split('.').map(Number) as [number, number]
  const [tm, tn] = to.replace(/^v/, '').split('.').map(Number) as [number, number]
  if (tm !== fm)
    return { ok: false, path: [from, to], reason: `Kubernetes ${from} → ${to} changes the major version` }
  if (tn - fn <= 1) return { ok: true, path: [from, to] }
  const through = Array.from({ length: tn - fn - 1 }, (_, i) => `1.${fn + 1 + i}.x`)
  const path = [from, ...through, to]
  return {
    ok: false,
    path,
    reason: `Kubernetes ${from} → ${to} skips minor${through.length > 1 ? 's' : ''} ${through.join(', ')}: upgrade ${path.join(' → ')}`,
  }
}

/**
 * Whether a Kubernetes version can be the target of a DKP release: at most the release's
 * default minor, and not older than its oldest supported minor.
 */
export function kubernetesSupportedBy(dkp: string, kubernetes: string): string | undefined {
  const release = dkpMinor(dkp)
  if (!release) return undefined
  const k = minorOf(kubernetes)
  const newest = minorOf(release.kubernetes)
  const below = (a: string, b: string) => compareVersions(`${a}.0`, `${b}.0`) < 0
  if (below(newest, k))
    return `Kubernetes ${kubernetes} is newer than DKP ${dkp} supports (up to ${newest}.x)`
  if (below(k, release.oldestKubernetes))
    return `Kubernetes ${kubernetes} is older than DKP ${dkp} supports (from ${release.oldestKubernetes})`
  return undefined
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
