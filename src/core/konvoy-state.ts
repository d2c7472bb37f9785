// Done-conditions of the `kubernetes` stage (reference/dkp.md §4): control planes
// (KubeadmControlPlane, or the provider's managed control plane on EKS/AKS) and node pools
// (MachineDeployments, or MachinePools) with their Machines, as pure functions over objects.
// The reads (src/stages/konvoy-read.ts) build a KubernetesView; kubernetesState() judges it.

import {
  CLUSTER_NAME_LABEL,
  type Condition,
  condition,
  type KubeadmControlPlane,
  type Machine,
  type MachineDeployment,
  ref,
} from './kinds.js'
import type { KubeObject } from './kube-object.js'
import type { CommandArgs, NodePool } from './model.js'
import type { StepState } from './step-state.js'
import { firstTerminal, type TerminalState, terminalState } from './terminal.js'
import { bareVersion, lowestVersion, managedVersionMatches, sameKubernetes, vVersion } from './versions.js'

/** The state of one control plane or node pool. */
export interface PartState {
  /** `KubeadmControlPlane default/mgmt-control-plane`, `MachineDeployment team-a/prod-east-1-md-0`. */
  object: string
  /** The done-condition holds. */
  done: boolean
  /** The desired version (spec) is already the target: a rollout may be in progress. */
  specAtTarget: boolean
  /** The version it runs now (bare): the lowest of its machines when known. */
  running?: string
  /** What holds (evidence) or what is still pending (progress), one line. */
  detail: string
  /** It (or one of its machines) is in a terminal state; only set once its spec is at target. */
  failed?: TerminalState
}

export const num = (n: number | undefined): number => n ?? 0

/** Generation seen by the controller (true when the controller does not report it). */
export const generationSeen = (o: KubeObject & { status?: { observedGeneration?: number } }): boolean =>
  o.metadata.generation === undefined ||
  o.status?.observedGeneration === undefined ||
  o.status.observedGeneration >= o.metadata.generation

export const conditionText = (c: Condition | undefined, type: string): string =>
  c
    ? `${type}=${c.status}${c.reason ? ` (${c.reason}${c.message ? `: ${c.message}` : ''})` : ''}`
    : `${type} not reported`

/**
 * KubeadmControlPlane done (§4): spec.version == status.version == v<K>, updatedReplicas ==
 * replicas == spec.replicas, unavailableReplicas == 0, observedGeneration == generation,
 * Ready=True.
 */
export function controlPlaneState(kcp: KubeadmControlPlane, target: string): PartState {
  const spec = bareVersion(kcp.spec?.version)
  const status = bareVersion(kcp.status?.version)
  const want = kcp.spec?.replicas ?? 1
  const s = kcp.status ?? {}
  const counts = `${num(s.updatedReplicas)}/${want} updated, ${num(s.readyReplicas)} ready`
  const object = `KubeadmControlPlane ${ref(kcp)}`
  const problems: string[] = []
  if (!sameKubernetes(spec, target))
    problems.push(`spec.version ${vVersion(spec || '?')} (target ${vVersion(target)})`)
  if (!sameKubernetes(status, target))
    problems.push(`status.version ${status ? vVersion(status) : 'not reported'}`)
  if (num(s.updatedReplicas) !== want || num(s.replicas) !== want) problems.push(counts)
  if (num(s.unavailableReplicas) !== 0) problems.push(`${s.unavailableReplicas} unavailable`)
  if (!generationSeen(kcp)) problems.push(`generation ${kcp.metadata.generation} not observed yet`)
  const ready = condition(kcp, 'Ready')
  if (ready?.status !== 'True') problems.push(conditionText(ready, 'Ready'))
  const done = problems.length === 0
  const state: PartState = {
    object,
    done,
    specAtTarget: sameKubernetes(spec, target),
    detail: done ? `${object} at ${vVersion(target)}: ${counts}, Ready` : `${object}: ${problems.join(', ')}`,
  }
  const running = status || spec
  if (running) state.running = running
  return state
}

/** An EKS AWSManagedControlPlane or AKS AzureManagedControlPlane: no machines, only versions. */
export interface ManagedControlPlane extends KubeObject {
  spec?: { version?: string }
  status?: { version?: string; ready?: boolean; observedGeneration?: number; conditions?: Condition[] }
}

/**
 * Managed control plane done: spec.version at target, ready, Ready=True, no `…Updating`
 * condition, and status.version at target where the provider reports one (CAPA v2.2, which
 * DKP 2.6–2.8 ship, has neither status.version nor observedGeneration on
 * AWSManagedControlPlane: the update is judged by CAPA's EKSControlPlaneUpdating condition).
 */
export function managedControlPlaneState(cp: ManagedControlPlane, target: string): PartState {
  const object = `${cp.kind} ${ref(cp)}`
  const spec = bareVersion(cp.spec?.version)
  const status = bareVersion(cp.status?.version)
  const problems: string[] = []
  if (!managedVersionMatches(spec, target))
    problems.push(`spec.version ${spec ? vVersion(spec) : 'not set'} (target ${vVersion(target)})`)
  if (status && !managedVersionMatches(status, target)) problems.push(`status.version ${vVersion(status)}`)
  if (cp.status?.ready === false) problems.push('not ready')
  const ready = condition(cp, 'Ready')
  if (ready && ready.status !== 'True') problems.push(conditionText(ready, 'Ready'))
  const updating = cp.status?.conditions?.find((c) => /Updating$/.test(c.type) && c.status === 'True')
  if (updating) problems.push(`${updating.type}=True`)
  if (!generationSeen(cp)) problems.push(`generation ${cp.metadata.generation} not observed yet`)
  const done = problems.length === 0
  const state: PartState = {
    object,
    done,
    specAtTarget: managedVersionMatches(spec, target),
    detail: done
      ? `${object} at ${vVersion(status || spec)}${status ? '' : ' (spec.version; the provider reports no status.version)'}, ready`
      : `${object}: ${problems.join(', ')}`,
  }
  const running = status || spec
  if (running) state.running = running
  return state
}

/** A MachinePool (AKS node pools): replicas, phase and the template version. */
export interface MachinePool extends KubeObject {
  spec?: { replicas?: number; clusterName?: string; template?: { spec?: { version?: string } } }
  status?: {
    replicas?: number
    readyReplicas?: number
    unavailableReplicas?: number
    phase?: string
    observedGeneration?: number
  }
}

/**
 * Node pool done (§4): spec.template.spec.version == v<K>, updatedReplicas == readyReplicas ==
 * replicas == spec.replicas, unavailableReplicas == 0, phase Running, generation observed, and
 * every Machine of the pool at v<K>. MachinePools report no updatedReplicas: ready counts.
 */
export function nodePoolState(
  pool: MachineDeployment | MachinePool,
  machines: Machine[],
  target: string,
): PartState {
  const isPool = pool.kind === 'MachinePool'
  const object = `${pool.kind} ${ref(pool)}`
  const short = `${isPool ? 'machinepool' : 'md'} ${pool.metadata.name}`
  const spec = bareVersion(pool.spec?.template?.spec?.version)
  const want = pool.spec?.replicas ?? 1
  const s = (pool.status ?? {}) as MachineDeployment['status'] & object
  const updated = isPool ? num(s.readyReplicas) : num(s.updatedReplicas)
  const ready = num(s.readyReplicas)
  const counts = isPool ? `${ready}/${want} ready` : `${updated}/${want} updated, ${ready} ready`
  const problems: string[] = []
  if (!sameKubernetes(spec, target))
    problems.push(
      `spec.template.spec.version ${spec ? vVersion(spec) : 'not set'} (target ${vVersion(target)})`,
    )
  if (updated !== want || ready !== want || num(s.replicas) !== want) problems.push(counts)
  else if (num(s.unavailableReplicas) !== 0) problems.push(`${s.unavailableReplicas} unavailable`)
  if (want > 0 && s.phase !== 'Running') problems.push(`phase ${s.phase ?? 'not reported'}`)
  if (!generationSeen(pool)) problems.push(`generation ${pool.metadata.generation} not observed yet`)
  const behind = machines.filter((m) => !sameKubernetes(m.spec?.version, target))
  if (behind.length > 0) {
    const deleting = behind.filter((m) => m.metadata.deletionTimestamp).length
    problems.push(
      `${behind.length} machine${behind.length === 1 ? '' : 's'} at ${[...new Set(behind.map((m) => vVersion(m.spec?.version ?? '?')))].join(', ')}${deleting ? ` (${deleting} deleting)` : ''}`,
    )
  }
  const done = problems.length === 0
  const state: PartState = {
    object,
    done,
    specAtTarget: sameKubernetes(spec, target),
    detail: done
      ? `${object} at ${vVersion(target)}: ${counts}, ${machines.length} machine${machines.length === 1 ? '' : 's'} at ${vVersion(target)}, Running`
      : `${short}: ${problems.join(', ')}`,
  }
  const running = lowestVersion(machines.map((m) => m.spec?.version)) ?? spec
  if (running) state.running = running
  return state
}

export { CLUSTER_NAME_LABEL }

export const DEPLOYMENT_NAME_LABEL = 'cluster.x-k8s.io/deployment-name'

export const POOL_NAME_LABEL = 'cluster.x-k8s.io/pool-name'

export const CONTROL_PLANE_NAME_LABEL = 'cluster.x-k8s.io/control-plane-name'

/** A Konvoy cluster as the inventory describes it, with its CAPI namespace resolved. */
export interface KonvoyCluster {
  name: string
  namespace: string
  provider: string
  management: boolean
  /** Node pools listed in the inventory (undefined: discover). */
  nodepools?: NodePool[]
  controlPlaneArgs: CommandArgs
}

export interface ControlPlaneView {
  kind: string
  object: KubeObject
  state: PartState
}

export interface NodePoolView {
  /** The name dkp takes (`dkp update nodepool <provider> <name>`). */
  name: string
  args: CommandArgs
  /** Listed in the inventory (else discovered). */
  listed: boolean
  object?: MachineDeployment | MachinePool
  state?: PartState
}

export interface KubernetesView {
  cluster: KonvoyCluster
  problem?: string
  mismatch?: boolean
  controlPlane?: ControlPlaneView
  pools: NodePoolView[]
  /** Pools listed in the inventory without a MachineDeployment/MachinePool. */
  missingPools: string[]
  /** Names of the cluster's pools found on the management cluster. */
  discovered: string[]
}

/**
 * A part's terminal state (terminal.ts): the object itself failed, or one of its machines is
 * stuck draining past nodeDrainTimeout. Only once its spec is at target: a failure from before
 * the update is the update's to fix.
 */
export function withTerminal(
  state: PartState,
  obj: KubeObject,
  machines: readonly Machine[],
  now: Date,
): PartState {
  if (state.done || !state.specAtTarget) return state
  const failed = terminalState(obj, now) ?? firstTerminal(machines, now)
  return failed ? { ...state, failed } : state
}

/** The `kubernetes` step's done-condition from a view. */
export function kubernetesState(view: KubernetesView, target: string): StepState {
  const evidence: string[] = []
  const pending: string[] = []
  if (view.problem) pending.push(view.problem)
  const parts = [view.controlPlane?.state, ...view.pools.map((p) => p.state)].filter(
    (s): s is PartState => !!s,
  )
  for (const s of parts) (s.done ? evidence : pending).push(s.detail)
  for (const name of view.missingPools) {
    pending.push(
      `node pool ${name} of the inventory has no MachineDeployment in ${view.cluster.namespace} (found: ${view.discovered.join(', ') || 'none'})`,
    )
  }
  const state: StepState = { done: pending.length === 0 && !!view.controlPlane, evidence, pending }
  const failed = parts.find((s) => s.failed)?.failed
  if (failed) state.failed = failed
  const from = lowestVersion(parts.map((s) => s.running))
  if (from) state.from = from
  if (state.done) evidence.unshift(`cluster ${view.cluster.name} at Kubernetes ${vVersion(target)}`)
  return state
}
