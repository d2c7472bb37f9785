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
import { type Pending, pend, type StepState } from './step-state.js'
import { firstTerminal, type TerminalState, terminalState } from './terminal.js'
import { bareVersion, lowestVersion, managedVersionMatches, sameKubernetes, vVersion } from './versions.js'

/** The state of one control plane or node pool. */
export interface RolloutState {
  /** `KubeadmControlPlane default/mgmt-control-plane`, `MachineDeployment team-a/prod-east-1-md-0`. */
  object: string
  /** The done-condition holds. */
  done: boolean
  /** The desired version (spec) is already the target: a rollout may be in progress. */
  specAtTarget: boolean
  /** The version it runs now (bare): the lowest of its machines when known. */
  running?: string
  /** Apart from the object's name: what holds when done (`3/3 updated, 3 ready, Ready`), else what is off (with notes on the target). */
  status: string
  /** What is off, each without notes on the target (`spec.version v1.27.6`, `1/3 updated, 2 ready`). */
  problems: string[]
  /** One line for reports: the object (or its short name) and its status. */
  detail: string
  /** It (or one of its machines) is in a terminal state; only set once its spec is at target. */
  failed?: TerminalState
}

/** What is off about a part: the text and, for a version, the note naming the target. */
interface Off {
  text: string
  note?: string
}

/** A rollout state from its checks: done when nothing is off. */
function rollout(part: {
  object: string
  /** How a line about it not done starts (`KubeadmControlPlane …`, `md pool-a`). */
  name: string
  specAtTarget: boolean
  running: string | undefined
  off: readonly Off[]
  /** What holds once done, and the line for it. */
  atTarget: { status: string; detail: string }
}): RolloutState {
  const done = part.off.length === 0
  const status = done ? part.atTarget.status : part.off.map((o) => `${o.text}${o.note ?? ''}`).join(', ')
  const state: RolloutState = {
    object: part.object,
    done,
    specAtTarget: part.specAtTarget,
    status,
    problems: part.off.map((o) => o.text),
    detail: done ? part.atTarget.detail : `${part.name}: ${status}`,
  }
  if (part.running) state.running = part.running
  return state
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
export function controlPlaneState(kcp: KubeadmControlPlane, target: string): RolloutState {
  const spec = bareVersion(kcp.spec?.version)
  const status = bareVersion(kcp.status?.version)
  const want = kcp.spec?.replicas ?? 1
  const s = kcp.status ?? {}
  const counts = `${num(s.updatedReplicas)}/${want} updated, ${num(s.readyReplicas)} ready`
  const object = `KubeadmControlPlane ${ref(kcp)}`
  const off: Off[] = []
  if (!sameKubernetes(spec, target))
    off.push({ text: `spec.version ${vVersion(spec || '?')}`, note: ` (target ${vVersion(target)})` })
  if (!sameKubernetes(status, target))
    off.push({ text: `status.version ${status ? vVersion(status) : 'not reported'}` })
  if (num(s.updatedReplicas) !== want || num(s.replicas) !== want) off.push({ text: counts })
  if (num(s.unavailableReplicas) !== 0) off.push({ text: `${s.unavailableReplicas} unavailable` })
  if (!generationSeen(kcp)) off.push({ text: `generation ${kcp.metadata.generation} not observed yet` })
  const ready = condition(kcp, 'Ready')
  if (ready?.status !== 'True') off.push({ text: conditionText(ready, 'Ready') })
  return rollout({
    object,
    name: object,
    specAtTarget: sameKubernetes(spec, target),
    running: status || spec || undefined,
    off,
    atTarget: { status: `${counts}, Ready`, detail: `${object} at ${vVersion(target)}: ${counts}, Ready` },
  })
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
export function managedControlPlaneState(cp: ManagedControlPlane, target: string): RolloutState {
  const object = `${cp.kind} ${ref(cp)}`
  const spec = bareVersion(cp.spec?.version)
  const status = bareVersion(cp.status?.version)
  const off: Off[] = []
  if (!managedVersionMatches(spec, target))
    off.push({
      text: `spec.version ${spec ? vVersion(spec) : 'not set'}`,
      note: ` (target ${vVersion(target)})`,
    })
  if (status && !managedVersionMatches(status, target))
    off.push({ text: `status.version ${vVersion(status)}` })
  if (cp.status?.ready === false) off.push({ text: 'not ready' })
  const ready = condition(cp, 'Ready')
  if (ready && ready.status !== 'True') off.push({ text: conditionText(ready, 'Ready') })
  const updating = cp.status?.conditions?.find((c) => c.type.endsWith('Updating') && c.status === 'True')
  if (updating) off.push({ text: `${updating.type}=True` })
  if (!generationSeen(cp)) off.push({ text: `generation ${cp.metadata.generation} not observed yet` })
  const at = `at ${vVersion(status || spec)}${status ? '' : ' (spec.version; the provider reports no status.version)'}, ready`
  return rollout({
    object,
    name: object,
    specAtTarget: managedVersionMatches(spec, target),
    running: status || spec || undefined,
    off,
    atTarget: { status: at, detail: `${object} ${at}` },
  })
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
): RolloutState {
  const isPool = pool.kind === 'MachinePool'
  const object = `${pool.kind} ${ref(pool)}`
  const spec = bareVersion(pool.spec?.template?.spec?.version)
  const want = pool.spec?.replicas ?? 1
  const s = (pool.status ?? {}) as MachineDeployment['status'] & object
  const updated = isPool ? num(s.readyReplicas) : num(s.updatedReplicas)
  const ready = num(s.readyReplicas)
  const counts = isPool ? `${ready}/${want} ready` : `${updated}/${want} updated, ${ready} ready`
  const off: Off[] = []
  if (!sameKubernetes(spec, target))
    off.push({
      text: `spec.template.spec.version ${spec ? vVersion(spec) : 'not set'}`,
      note: ` (target ${vVersion(target)})`,
    })
  if (updated !== want || ready !== want || num(s.replicas) !== want) off.push({ text: counts })
  else if (num(s.unavailableReplicas) !== 0) off.push({ text: `${s.unavailableReplicas} unavailable` })
  if (want > 0 && s.phase !== 'Running') off.push({ text: `phase ${s.phase ?? 'not reported'}` })
  if (!generationSeen(pool)) off.push({ text: `generation ${pool.metadata.generation} not observed yet` })
  const behind = machines.filter((m) => !sameKubernetes(m.spec?.version, target))
  if (behind.length > 0) {
    const deleting = behind.filter((m) => m.metadata.deletionTimestamp).length
    off.push({
      text: `${behind.length} machine${behind.length === 1 ? '' : 's'} at ${[...new Set(behind.map((m) => vVersion(m.spec?.version ?? '?')))].join(', ')}${deleting ? ` (${deleting} deleting)` : ''}`,
    })
  }
  const at = `${counts}, ${machines.length} machine${machines.length === 1 ? '' : 's'} at ${vVersion(target)}, Running`
  return rollout({
    object,
    name: `${isPool ? 'machinepool' : 'md'} ${pool.metadata.name}`,
    specAtTarget: sameKubernetes(spec, target),
    running: lowestVersion(machines.map((m) => m.spec?.version)) ?? (spec || undefined),
    off,
    atTarget: { status: at, detail: `${object} at ${vVersion(target)}: ${at}` },
  })
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
  state: RolloutState
}

export interface NodePoolView {
  /** The name dkp takes (`dkp update nodepool <provider> <name>`). */
  name: string
  args: CommandArgs
  /** Listed in the inventory (else discovered). */
  listed: boolean
  object?: MachineDeployment | MachinePool
  state?: RolloutState
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
  state: RolloutState,
  obj: KubeObject,
  machines: readonly Machine[],
  now: Date,
): RolloutState {
  if (state.done || !state.specAtTarget) return state
  const failed = terminalState(obj, now) ?? firstTerminal(machines, now)
  return failed ? { ...state, failed } : state
}

/** The `kubernetes` step's done-condition from a view. */
export function kubernetesState(view: KubernetesView, target: string): StepState {
  const evidence: string[] = []
  const pending: Pending[] = []
  if (view.problem) pending.push(pend(view.mismatch ? 'mismatch' : 'not-found', view.problem))
  const parts = [view.controlPlane?.state, ...view.pools.map((p) => p.state)].filter(
    (s): s is RolloutState => !!s,
  )
  for (const s of parts) {
    if (s.done) evidence.push(s.detail)
    else pending.push(pend(s.specAtTarget ? 'converging' : 'not-at-target', s.detail, s.object))
  }
  for (const name of view.missingPools) {
    pending.push(
      pend(
        'refused',
        `node pool ${name} of the inventory has no MachineDeployment in ${view.cluster.namespace} (found: ${view.discovered.join(', ') || 'none'})`,
        `node pool ${name}`,
      ),
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
