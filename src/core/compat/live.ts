// Removed-API evidence in objects read from a cluster (k8s-compat.md §2). Pure: the caller
// lists the objects (one list per kind per cluster) and passes them in.
//  - last-applied: the apiVersion in kubectl.kubernetes.io/last-applied-configuration, i.e. what
//    the last `kubectl apply` sent. `managedFields` is never read (kubent's false positives).
//  - kinds: the server converts versions on read, so a listed object only proves that a kind is
//    in use; kinds whose API versions go away between the cluster's version and the target are
//    reported as info (warning when the whole API goes with no replacement, e.g. PSP in 1.25).

import type { Finding, ObjectRef } from '../findings.js'
import { annotationOf, groupOf, isKubeObject, isRecord, type KubeObject, metaOf, refOf } from './objects.js'
import { removedApiFinding } from './removed-finding.js'
import { minorString, parseMinor, type RemovedApi, removalsBetween, removedAt } from './table.js'

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration'
export const LAST_APPLIED_INVALID_RULE = 'last-applied-invalid'

/**
 * The object as last applied by kubectl (the annotation's JSON), or undefined when there is no
 * such annotation or it is not a JSON object.
 */
export function lastAppliedOf(obj: KubeObject): KubeObject | undefined {
  const text = annotationOf(obj, LAST_APPLIED)
  if (text === undefined) return undefined
  try {
    const v: unknown = JSON.parse(text)
    return isRecord(v) ? (v as KubeObject) : undefined
  } catch {
    return undefined
  }
}

export interface LiveScanContext {
  cluster: string
  target: number | string
}

/**
 * Reports objects whose last-applied configuration names an apiVersion no longer served at the
 * target (warning at most: the annotation can lag). The finding names the live object.
 */
export function scanLastApplied(objects: readonly KubeObject[], ctx: LiveScanContext): Finding[] {
  const targetMinor = parseMinor(ctx.target)
  const findings: Finding[] = []
  for (const obj of objects) {
    if (annotationOf(obj, LAST_APPLIED) === undefined) continue
    const applied = lastAppliedOf(obj)
    const live = isKubeObject(obj) ? refOf(obj) : undefined
    if (!applied || !isKubeObject(applied)) {
      if (live) findings.push(invalidAnnotation(live, ctx.cluster))
      continue
    }
    const entry = removedAt(applied.apiVersion, applied.kind, targetMinor)
    if (!entry) continue
    const liveMeta = metaOf(obj)
    const appliedRef = refOf(applied, typeof liveMeta.namespace === 'string' ? liveMeta.namespace : undefined)
    const object: ObjectRef = { ...appliedRef, name: live?.name ?? appliedRef.name }
    findings.push(
      removedApiFinding(entry, object, { targetMinor, source: 'last-applied', cluster: ctx.cluster }),
    )
  }
  return findings
}

export const LIVE_KIND_RULE_PREFIX = 'removed-api-kind'

/** `removed-api-kind/<group>/<Kind>` (`core` for the core group). */
export const liveKindRuleId = (group: string, kind: string): string =>
  `${LIVE_KIND_RULE_PREFIX}/${group || 'core'}/${kind}`

export interface LiveKindContext extends LiveScanContext {
  /** The cluster's current Kubernetes version: only removals in (current, target] matter. */
  current: number | string
}

const SAMPLE = 3

/**
 * One finding per (group, kind) present on the cluster whose older API versions are removed in
 * (current, target]: the kind is in use, so manifests, charts and controllers that write it
 * must use a served version. `objects` are the listed objects of any kinds.
 */
export function scanLiveKinds(objects: readonly KubeObject[], ctx: LiveKindContext): Finding[] {
  const from = parseMinor(ctx.current)
  const to = parseMinor(ctx.target)
  if (to <= from) return []
  const upcoming = removalsBetween(from, to)
  const byKind = new Map<string, RemovedApi[]>()
  for (const e of upcoming) {
    if (e.kind === '*') continue
    const key = `${e.group}\u0000${e.kind}`
    byKind.set(key, [...(byKind.get(key) ?? []), e])
  }
  const present = new Map<string, { group: string; kind: string; refs: ObjectRef[] }>()
  for (const obj of objects) {
    if (!isKubeObject(obj)) continue
    const group = groupOf(obj.apiVersion)
    const key = `${group}\u0000${obj.kind}`
    if (!byKind.has(key)) continue
    const slot = present.get(key) ?? { group, kind: obj.kind, refs: [] }
    present.set(key, slot)
    slot.refs.push(refOf(obj))
  }
  const findings: Finding[] = []
  for (const [key, { group, kind, refs }] of present) {
    const entries = byKind.get(key)!
    refs.sort((a, b) => cmp(`${a.namespace ?? ''}/${a.name}`, `${b.namespace ?? ''}/${b.name}`))
    const first = refs[0]!
    const gone = entries.every((e) => removedAt(e.apiVersion, e.kind, to) && e.replacement === null)
    const versions = entries.map((e) => e.apiVersion).join(', ')
    const removedIn = [...new Set(entries.map((e) => e.removedIn))].join(', ')
    const sample = refs
      .slice(0, SAMPLE)
      .map((r) => (r.namespace ? `${r.namespace}/${r.name}` : r.name))
      .join(', ')
    const more = refs.length > SAMPLE ? `, and ${refs.length - SAMPLE} more` : ''
    const replacement = entries.find((e) => e.replacement)?.replacement
    findings.push({
      ruleId: liveKindRuleId(group, kind),
      severity: gone ? 'warning' : 'info',
      cluster: ctx.cluster,
      object: first,
      message: gone
        ? `${refs.length} ${kind} object(s) exist (${sample}${more}); Kubernetes ${removedIn} removes the ${versions} API entirely, so they stop being served on the way to ${minorString(to)}.`
        : `${refs.length} ${kind} object(s) exist (${sample}${more}); Kubernetes ${removedIn} stops serving ${versions} (target ${minorString(to)}). The server converts on read, so check which version the manifests, charts and controllers that write them use.`,
      remedy: gone
        ? (entries[0]?.hint ?? 'Remove the objects and replace what they did before the upgrade.')
        : `Make sure everything that writes ${kind} uses ${replacement ?? 'a served version'}: scan the repository (--manifests) and Helm releases, and check controller versions.`,
      details: {
        source: 'live-kind',
        count: refs.length,
        removedVersions: versions,
        removedIn,
        targetKubernetes: minorString(to),
        ...(replacement ? { replacement } : {}),
      },
    })
  }
  return findings
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

function invalidAnnotation(live: ObjectRef, cluster: string): Finding {
  return {
    ruleId: LAST_APPLIED_INVALID_RULE,
    severity: 'info',
    cluster,
    object: live,
    message: `The ${LAST_APPLIED} annotation is not a JSON object with apiVersion and kind, so it was not checked for removed APIs.`,
    remedy:
      'Re-apply the object with kubectl apply, or remove the annotation if nothing applies it any more.',
  }
}
