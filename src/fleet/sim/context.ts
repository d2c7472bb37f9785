// Shared machinery of the simulated controllers: the per-tick snapshot (one list per kind),
// timing counters, faults and the write queue.

import type { AnyObject } from '../objects.js'
import { dig, FAULT_ANNOTATION } from '../objects.js'

export interface Fault {
  /** Kind, e.g. `KubeadmControlPlane`, `HelmRelease`, `Backup`. */
  kind: string
  /** Object name; omitted or `*` = every object of the kind. */
  name?: string
  namespace?: string
  /** Never progresses (the object stays where it is). */
  stall?: boolean
  /** Fails with this reason (HelmRelease UpgradeFailed, Machine Failed, Backup `Failed`/`PartiallyFailed`/other). */
  fail?: string
  /** Each phase takes n times as many ticks. */
  slow?: number
  /**
   * Machines: the node drain never completes (an eviction a PodDisruptionBudget blocks): the
   * machine controller keeps its finalizer, so a deleted Machine stays, DrainingSucceeded=False.
   */
  drain?: boolean
}

export type StatusCompute = (fresh: AnyObject) => Record<string, unknown> | undefined

export type Write =
  | { op: 'status'; obj: AnyObject; compute: StatusCompute; manager: string }
  /** `status`: written right after the create (test mode: a machine that is up at once). */
  | { op: 'create'; obj: AnyObject; manager: string; status?: Record<string, unknown> }
  | { op: 'delete'; obj: AnyObject; manager: string }
  | { op: 'patch'; obj: AnyObject; patch: unknown; manager: string }
  /** Full-object update (kinds without a status subresource, or controller-owned specs). */
  | { op: 'update'; obj: AnyObject; compute: (fresh: AnyObject) => AnyObject | undefined; manager: string }

export const key = (o: AnyObject): string => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`

export class Snapshot {
  private readonly byKind = new Map<string, AnyObject[]>()
  private readonly index = new Map<string, AnyObject>()

  set(kind: string, items: AnyObject[]): void {
    this.byKind.set(kind, items)
    for (const o of items) this.index.set(`${kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o)
  }

  all(kind: string): AnyObject[] {
    return this.byKind.get(kind) ?? []
  }

  get(kind: string, name: string | undefined, namespace?: string): AnyObject | undefined {
    return name === undefined ? undefined : this.index.get(`${kind}/${namespace ?? ''}/${name}`)
  }

  has(kind: string): boolean {
    return this.byKind.has(kind)
  }
}

export interface TickContext {
  snap: Snapshot
  now: string
  /** Ticks one phase takes (before slow faults). */
  ticksPerPhase: number
  /** Test mode: machines skip the Pending/Provisioned phases, rollouts replace in one tick. */
  fast: boolean
  /** Counts a tick for `id`; true once the object's phase has lasted long enough (then resets). */
  due(obj: AnyObject, phase: string, extra?: number): boolean
  fault(obj: AnyObject): Fault | undefined
  write(w: Write): void
  /** `obj` is mid-transition and needs more ticks. */
  pending(obj: AnyObject): void
  log(line: string): void
}

/** Fault from the object's annotation `sim.dkp-fleet.dev/fault`: `stall`, `fail:<reason>`, `slow:<n>`, `drain`. */
export function annotationFault(obj: AnyObject): Fault | undefined {
  const v = obj.metadata.annotations?.[FAULT_ANNOTATION]
  return v ? parseFaultSpec(obj.kind, v) : undefined
}

export function parseFaultSpec(
  kind: string,
  spec: string,
  name?: string,
  namespace?: string,
): Fault | undefined {
  const [mode, ...rest] = spec.trim().split(':')
  const arg = rest.join(':')
  const base = { kind, ...(name && name !== '*' ? { name } : {}), ...(namespace ? { namespace } : {}) }
  if (mode === 'stall') return { ...base, stall: true }
  if (mode === 'fail') return { ...base, fail: arg || 'injected failure' }
  if (mode === 'slow') return { ...base, slow: Math.max(1, Number(arg) || 2) }
  if (mode === 'drain') return { ...base, drain: true }
  return undefined
}

/**
 * Faults listed in the ConfigMap `dkp-fleet-system/sim-faults`, key `faults`, one per line:
 * `<Kind> <name|ns/name|*> <stall|fail:reason|slow:n|drain>`; `#` starts a comment.
 */
export function parseFaultLines(text: string): Fault[] {
  const out: Fault[] = []
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim()
    if (!line) continue
    const [kind, target, spec] = line.split(/\s+/)
    if (!kind || !target || !spec) continue
    const [ns, name] = target.includes('/') ? target.split('/', 2) : [undefined, target]
    const f = parseFaultSpec(kind, spec, name, ns)
    if (f) out.push(f)
  }
  return out
}

export function matches(f: Fault, obj: AnyObject): boolean {
  if (f.kind !== obj.kind) return false
  if (f.namespace && f.namespace !== obj.metadata.namespace) return false
  return !f.name || f.name === '*' || f.name === obj.metadata.name
}

const VOLATILE = new Set(['lastTransitionTime', 'lastUpdated', 'lastUpdateTime', 'lastAppliedTime'])

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical)
  if (v === null || typeof v !== 'object') return v
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(v).sort()) {
    const x = (v as Record<string, unknown>)[k]
    if (x !== undefined && !VOLATILE.has(k)) out[k] = canonical(x)
  }
  return out
}

/** Equal apart from timestamps and key order. */
export function sameContent(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a ?? {})) === JSON.stringify(canonical(b ?? {}))
}

export const spec = <T = unknown>(o: AnyObject | undefined, ...path: string[]): T | undefined =>
  dig<T>(o, 'spec', ...path)
export const status = <T = unknown>(o: AnyObject | undefined, ...path: string[]): T | undefined =>
  dig<T>(o, 'status', ...path)
