// The basics of the simulated DKP fleet's objects: API versions, namespaces, labels,
// deterministic names, conditions and field access. Pure.

import { createHash } from 'node:crypto'
import type { AnyObject } from '../effects/kube.js'

export type { AnyObject }

export const API = {
  cluster: 'cluster.x-k8s.io/v1beta1',
  controlPlane: 'controlplane.cluster.x-k8s.io/v1beta1',
  awsManagedControlPlane: 'controlplane.cluster.x-k8s.io/v1beta2',
  addons: 'addons.cluster.x-k8s.io/v1beta1',
  clusterctl: 'clusterctl.cluster.x-k8s.io/v1alpha3',
  helm: 'helm.toolkit.fluxcd.io/v2beta2',
  helmV1: 'helm.toolkit.fluxcd.io/v2beta1',
  source: 'source.toolkit.fluxcd.io/v1',
  sourceV1beta2: 'source.toolkit.fluxcd.io/v1beta2',
  workspaces: 'workspaces.kommander.mesosphere.io/v1alpha1',
  kommander: 'kommander.mesosphere.io/v1beta1',
  apps: 'apps.kommander.d2iq.io/v1alpha2',
  dkp: 'dkp.d2iq.io/v1alpha1',
  velero: 'velero.io/v1',
  deployments: 'apps/v1',
} as const

export const KOMMANDER_NS = 'kommander'
export const MGMT_WORKSPACE = 'kommander-workspace'
export const HOST_CLUSTER = 'host-cluster'
export const CLUSTER_NAME = 'cluster.x-k8s.io/cluster-name'
export const CONTROL_PLANE_LABEL = 'cluster.x-k8s.io/control-plane'
export const CONTROL_PLANE_NAME = 'cluster.x-k8s.io/control-plane-name'
export const DEPLOYMENT_NAME = 'cluster.x-k8s.io/deployment-name'
export const PROVIDER_LABEL = 'konvoy.d2iq.io/provider'
/** Marks every object the fleet seeded (for cleanup and selection in tests). */
export const SEEDED_LABEL = 'dkp-fleet.dev/seeded'
/** Simulator fault switch on any object: `stall`, `fail:<reason>`, `slow:<n>`. */
export const FAULT_ANNOTATION = 'sim.dkp-fleet.dev/fault'

/** Short deterministic lowercase suffix. */
export function suffix(seed: string, len = 5): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789'
  const h = createHash('sha256').update(seed).digest()
  let out = ''
  for (let i = 0; i < len; i++) out += alphabet[(h[i] as number) % alphabet.length]
  return out
}

/** Deterministic lowercase hex of any length (digests, revisions). */
export function hex(seed: string, len = 64): string {
  let out = ''
  for (let i = 0; out.length < len; i++) out += createHash('sha256').update(`${i}/${seed}`).digest('hex')
  return out.slice(0, len)
}

export const vPrefixed = (v: string): string => (v.startsWith('v') ? v : `v${v}`)
export const bare = (v: string): string => v.replace(/^v/, '')

/** `metav1.Time`: RFC 3339, whole seconds. */
export const kubeTime = (d: Date = new Date()): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z')

export interface Condition {
  type: string
  status: 'True' | 'False' | 'Unknown'
  reason?: string
  message?: string
  severity?: string
  lastTransitionTime: string
  observedGeneration?: number
}

/** Sets a condition, keeping lastTransitionTime when the status does not change. */
export function setCondition(conditions: Condition[] | undefined, next: Condition): Condition[] {
  const list = [...(conditions ?? [])]
  const i = list.findIndex((c) => c.type === next.type)
  if (i < 0) return [...list, next]
  const prev = list[i] as Condition
  list[i] = {
    ...next,
    lastTransitionTime: prev.status === next.status ? prev.lastTransitionTime : next.lastTransitionTime,
  }
  return list
}

export function capiCondition(
  type: string,
  ok: boolean,
  now: string,
  reason?: string,
  message?: string,
): Condition {
  return ok
    ? { type, status: 'True', lastTransitionTime: now }
    : {
        type,
        status: 'False',
        severity: 'Warning',
        reason: reason ?? 'NotReady',
        ...(message ? { message } : {}),
        lastTransitionTime: now,
      }
}

export function getCondition(obj: AnyObject | undefined, type: string): Condition | undefined {
  const list = (obj?.status as { conditions?: Condition[] } | undefined)?.conditions
  return list?.find((c) => c.type === type)
}

/** Path helper for untyped JSON. */
export function dig<T = unknown>(obj: unknown, ...path: (string | number)[]): T | undefined {
  let cur: unknown = obj
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = (cur as Record<string | number, unknown>)[key]
  }
  return cur as T | undefined
}
