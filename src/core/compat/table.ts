// The removal table: data/removed-apis.json (reviewed data, bundled), expanded into one entry
// per (apiVersion, kind) and indexed for the scans. Pure.

import raw from '../../../data/removed-apis.json' with { type: 'json' }
import type { Severity } from '../findings.js'
import { groupOf } from './objects.js'

/** served: a beta/GA REST API (error); tool-data: alpha/config APIs from peer tools only
 *  (warning); third-party: removed by a component release, not by Kubernetes (warning). */
export type RemovalTier = 'served' | 'tool-data' | 'third-party'

/** One removed (apiVersion, kind). `kind` is `*` when the whole group/version is gone. */
export interface RemovedApi {
  apiVersion: string
  /** API group, `''` for the core group. */
  group: string
  kind: string
  /** First Kubernetes minor (`1.25`) that no longer serves it; null for third-party APIs. */
  removedIn: string | null
  /** The same as a number (25), or null. */
  removedInMinor: number | null
  /** For third-party APIs: the component and its release that removed the API. */
  component?: { name: string; removedIn: string }
  replacement: string | null
  /** Kubernetes minor where the replacement appeared, when known. */
  replacementSince: string | null
  tier: RemovalTier
  severity: Severity
  hint: string
  note?: string
  sources: string[]
  /** Stable rule id: `removed-api/<apiVersion>/<Kind>` (`removed-api/<apiVersion>` for `*`). */
  ruleId: string
}

interface RawRow {
  removedIn: string | null
  component?: string
  componentRemovedIn?: string
  apiVersions: string[]
  kinds: string[]
  replacement: string | null
  replacementSince: string | null
  tier: string
  sources: string[]
  note?: string
  hint: string
}

const TIER_SEVERITY: Record<RemovalTier, Severity> = {
  served: 'error',
  'tool-data': 'warning',
  'third-party': 'warning',
}

export const GUIDE_URL: string = raw.guideUrl

/** Parses `1.29`, `v1.29`, `1.29.6`, `v1.29.6+fips.0` → 29. Throws on anything else. */
export function parseMinor(version: string | number): number {
  if (typeof version === 'number') {
    if (Number.isInteger(version) && version >= 0) return version
    throw new Error(`not a Kubernetes minor: ${version}`)
  }
  const m = /^v?1\.(\d{1,3})(?:\.\d+)?(?:[-+][0-9A-Za-z.+-]*)?$/.exec(version.trim())
  if (!m) throw new Error(`not a Kubernetes 1.x version: "${version}" (expected e.g. 1.29 or v1.29.6)`)
  return Number(m[1])
}

export const minorString = (minor: number): string => `1.${minor}`

function expand(rows: readonly RawRow[]): RemovedApi[] {
  const out: RemovedApi[] = []
  for (const row of rows) {
    const tier = row.tier as RemovalTier
    if (!(tier in TIER_SEVERITY)) throw new Error(`removed-apis.json: unknown tier ${row.tier}`)
    if ((row.removedIn === null) !== (tier === 'third-party'))
      throw new Error(
        `removed-apis.json: ${row.apiVersions.join(',')}: removedIn must be null exactly for third-party rows`,
      )
    for (const apiVersion of row.apiVersions) {
      for (const kind of row.kinds) {
        out.push({
          apiVersion,
          group: groupOf(apiVersion),
          kind,
          removedIn: row.removedIn,
          removedInMinor: row.removedIn === null ? null : parseMinor(row.removedIn),
          ...(row.component
            ? { component: { name: row.component, removedIn: row.componentRemovedIn ?? '?' } }
            : {}),
          replacement: row.replacement,
          replacementSince: row.replacementSince,
          tier,
          severity: TIER_SEVERITY[tier],
          hint: row.hint,
          ...(row.note ? { note: row.note } : {}),
          sources: row.sources,
          ruleId: kind === '*' ? `removed-api/${apiVersion}` : `removed-api/${apiVersion}/${kind}`,
        })
      }
    }
  }
  return out
}

/** Every entry of the table, in the data file's order. */
export const REMOVED_APIS: readonly RemovedApi[] = Object.freeze(expand(raw.removals as unknown as RawRow[]))

/** The newest Kubernetes minor the table has a row for. */
export const NEWEST_TABLE_MINOR: number = Math.max(...REMOVED_APIS.map((e) => e.removedInMinor ?? 0))

// apiVersion → kind (or '*') → entry
const INDEX = new Map<string, Map<string, RemovedApi>>()
for (const e of REMOVED_APIS) {
  const kinds = INDEX.get(e.apiVersion) ?? new Map<string, RemovedApi>()
  INDEX.set(e.apiVersion, kinds)
  if (kinds.has(e.kind)) throw new Error(`removed-apis.json: ${e.apiVersion} ${e.kind} is listed twice`)
  kinds.set(e.kind, e)
}

/** The table entry for this apiVersion and kind, whatever the target; undefined if none. */
export function lookupRemoval(apiVersion: string, kind: string): RemovedApi | undefined {
  const kinds = INDEX.get(apiVersion)
  return kinds ? (kinds.get(kind) ?? kinds.get('*')) : undefined
}

/** Whether an entry applies to an upgrade whose target is `toMinor` (third-party: always). */
export function removedAtOrBefore(e: RemovedApi, toMinor: number): boolean {
  return e.removedInMinor === null || e.removedInMinor <= toMinor
}

/**
 * The entry for this apiVersion and kind when it is no longer served at the target minor
 * (third-party entries always apply); undefined otherwise.
 */
export function removedAt(apiVersion: string, kind: string, toMinor: number): RemovedApi | undefined {
  const e = lookupRemoval(apiVersion, kind)
  return e && removedAtOrBefore(e, toMinor) ? e : undefined
}

/** Kubernetes entries with removed-in in (from, to]: what an upgrade from → to must check. */
export function removalsBetween(fromMinor: string | number, toMinor: string | number): RemovedApi[] {
  const from = parseMinor(fromMinor)
  const to = parseMinor(toMinor)
  return REMOVED_APIS.filter(
    (e) => e.removedInMinor !== null && e.removedInMinor > from && e.removedInMinor <= to,
  )
}

/** Every entry no longer served at the target: Kubernetes removals ≤ target plus third-party ones. */
export function removalsUpTo(toMinor: string | number): RemovedApi[] {
  const to = parseMinor(toMinor)
  return REMOVED_APIS.filter((e) => removedAtOrBefore(e, to))
}

/**
 * The replacement to suggest at the target: follows the chain while a replacement is itself
 * removed at or before the target (flowcontrol v1beta1 → v1beta3 → v1 for 1.32+).
 */
export function replacementAt(
  e: RemovedApi,
  toMinor: number,
): { apiVersion: string; since: string | null } | null {
  let current: RemovedApi = e
  for (let hops = 0; hops < 8; hops++) {
    if (current.replacement === null) return null
    const kind = current.kind === '*' ? e.kind : current.kind
    const next = lookupRemoval(current.replacement, kind)
    if (!next || !removedAtOrBefore(next, toMinor) || next === current)
      return { apiVersion: current.replacement, since: current.replacementSince }
    current = next
  }
  return { apiVersion: current.replacement ?? '', since: current.replacementSince }
}
