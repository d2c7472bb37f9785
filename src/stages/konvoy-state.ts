// Done-conditions of the Konvoy stages (reference/dkp.md §4): control planes (KubeadmControlPlane,
// or the provider's managed control plane on EKS/AKS), node pools (MachineDeployments, or
// MachinePools) with their Machines, core addons (ClusterResourceSets + ConfigMaps) and the CAPI
// controllers. The state functions are pure over objects; the readers below them resolve a
// cluster's namespace, provider and objects from the snapshot (one list per kind, indexed once
// per list, so a plan over thousands of clusters stays linear).

import { parseAllDocuments } from 'yaml'
import { InputError, WorkError } from '../core/errors.js'
import { type CommandArgs, type Inventory, isManaged, type NodePool } from '../core/model.js'
import type { KubeObject } from '../effects/kube.js'
import {
  type CapiCluster,
  CLUSTER_NAME_LABEL,
  type Condition,
  condition,
  K,
  type KubeadmControlPlane,
  type Machine,
  type MachineDeployment,
  type NamespacedRef,
  PROVIDER_LABEL,
  ref,
} from './kinds.js'
import type { Snapshot } from './snapshot.js'
import { firstTerminal, type TerminalState, terminalState } from './terminal.js'
import type { StepState } from './types.js'

// ------------------------------------------------------------------------------- versions

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

// ------------------------------------------------------------------------------- flags

// ------------------------------------------------------------------------------- parts

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

const num = (n: number | undefined): number => n ?? 0

/** Generation seen by the controller (true when the controller does not report it). */
const generationSeen = (o: KubeObject & { status?: { observedGeneration?: number } }): boolean =>
  o.metadata.generation === undefined ||
  o.status?.observedGeneration === undefined ||
  o.status.observedGeneration >= o.metadata.generation

const conditionText = (c: Condition | undefined, type: string): string =>
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

// ------------------------------------------------------------------------------- indexes

const indexes = new WeakMap<readonly KubeObject[], Map<string, Map<string, KubeObject[]>>>()

/**
 * Objects of one snapshot list grouped by a key, built once per list (the snapshot hands out
 * the same array until refreshed), so per-cluster lookups stay O(1) for large fleets.
 */
export function groupBy<T extends KubeObject>(
  list: readonly T[],
  name: string,
  key: (o: T) => string | undefined,
): Map<string, T[]> {
  let byName = indexes.get(list)
  if (!byName) {
    byName = new Map()
    indexes.set(list, byName)
  }
  let index = byName.get(name) as Map<string, T[]> | undefined
  if (!index) {
    index = new Map()
    for (const o of list) {
      const k = key(o)
      if (k === undefined) continue
      const bucket = index.get(k)
      if (bucket) bucket.push(o)
      else index.set(k, [o])
    }
    byName.set(name, index as Map<string, KubeObject[]>)
  }
  return index
}

const nsName = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`
const byLabel = (label: string) => (o: KubeObject) => {
  const v = o.metadata.labels?.[label]
  return v === undefined ? undefined : `${o.metadata.namespace ?? ''}/${v}`
}

export { CLUSTER_NAME_LABEL }
export const DEPLOYMENT_NAME_LABEL = 'cluster.x-k8s.io/deployment-name'
export const POOL_NAME_LABEL = 'cluster.x-k8s.io/pool-name'
export const CONTROL_PLANE_NAME_LABEL = 'cluster.x-k8s.io/control-plane-name'

/** Objects of a kind in a namespace by name. */
export async function getObject<T extends KubeObject>(
  snapshot: Snapshot,
  kind: readonly [string, string],
  name: string,
  namespace: string,
): Promise<T | undefined> {
  const all = await snapshot.list<T>(kind[0], kind[1])
  return groupBy(all, 'ns/name', nsName).get(`${namespace}/${name}`)?.[0]
}

async function labelled<T extends KubeObject>(
  snapshot: Snapshot,
  kind: readonly [string, string],
  label: string,
  namespace: string,
  value: string,
): Promise<T[]> {
  const all = await snapshot.list<T>(kind[0], kind[1])
  return groupBy(all, `label:${label}`, byLabel(label)).get(`${namespace}/${value}`) ?? []
}

// ------------------------------------------------------------------------------- clusters

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

/**
 * The inventory's view of a cluster the Konvoy stages act on. Unknown and attached clusters
 * are bad input (exit 2). A managed cluster's namespace: its own, else its workspace's from the
 * inventory, else the Workspace object's `status.namespaceRef.name`.
 */
export async function konvoyCluster(
  env: { inventory: Inventory; snapshot: Snapshot },
  name: string,
): Promise<KonvoyCluster> {
  const inv = env.inventory
  if (name === inv.management.name) {
    const c: KonvoyCluster = {
      name,
      namespace: inv.management.namespace || 'default',
      provider: inv.management.provider,
      management: true,
      controlPlaneArgs: inv.management.controlPlane?.args ?? {},
    }
    if (inv.management.nodepools?.length) c.nodepools = inv.management.nodepools
    return c
  }
  const entry = inv.clusters.find((c) => c.name === name)
  if (!entry) {
    throw new InputError(
      `unknown cluster "${name}": not the management cluster (${inv.management.name}) nor a cluster of the inventory`,
    )
  }
  if (!isManaged(entry)) {
    throw new InputError(
      `cluster ${name} is attached: DKP does not upgrade its core addons or Kubernetes (use its provider's tools)`,
    )
  }
  let namespace = entry.namespace ?? inv.workspaces.find((w) => w.name === entry.workspace)?.namespace
  if (!namespace) {
    const ws = (await env.snapshot.list<NamespacedRef>(...K.workspace)).find(
      (w) => w.metadata.name === entry.workspace,
    )
    namespace = ws?.status?.namespaceRef?.name ?? ws?.spec?.namespaceName
    if (!namespace) {
      throw new WorkError(
        `cannot tell the namespace of cluster ${name}: the inventory names none and Workspace ${entry.workspace} ${ws ? 'has no status.namespaceRef' : 'does not exist on the management cluster'}`,
      )
    }
  }
  const c: KonvoyCluster = {
    name,
    namespace,
    provider: entry.provider,
    management: false,
    controlPlaneArgs: entry.controlPlane?.args ?? {},
  }
  if (entry.nodepools?.length) c.nodepools = entry.nodepools
  return c
}

/**
 * The CAPI Cluster object of a Konvoy cluster, checked against the inventory's provider. A
 * missing Cluster or a provider mismatch is returned as `problem` (status reads report it as
 * pending; stage runs throw it).
 */
export async function capiClusterOf(
  snapshot: Snapshot,
  kc: KonvoyCluster,
): Promise<{ cluster?: CapiCluster; problem?: string; mismatch?: boolean }> {
  const cluster = await getObject<CapiCluster>(snapshot, K.cluster, kc.name, kc.namespace)
  if (!cluster) {
    return { problem: `Cluster ${kc.namespace}/${kc.name} does not exist on the management cluster` }
  }
  const live = cluster.metadata.labels?.[PROVIDER_LABEL]
  if (live && live !== kc.provider) {
    return {
      cluster,
      mismatch: true,
      problem: `cluster ${kc.name}: the inventory says provider "${kc.provider}" but Cluster ${kc.namespace}/${kc.name} is labelled ${PROVIDER_LABEL}=${live}; fix the inventory`,
    }
  }
  return { cluster }
}

/** Throws the problem of capiClusterOf: a provider mismatch is bad input, a missing Cluster a failure. */
export function requireCluster(found: {
  cluster?: CapiCluster
  problem?: string
  mismatch?: boolean
}): CapiCluster {
  if (found.problem) throw found.mismatch ? new InputError(found.problem) : new WorkError(found.problem)
  return found.cluster!
}

// ------------------------------------------------------------------------------- Kubernetes view

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

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : apiVersion)

/**
 * Reads a cluster's control plane and node pools from the snapshot: the control plane through
 * `Cluster.spec.controlPlaneRef` (KubeadmControlPlane, or a managed control plane on EKS/AKS),
 * node pools in inventory order, else every MachineDeployment (and MachinePool) labelled
 * `cluster.x-k8s.io/cluster-name=<c>` in the cluster's namespace, sorted by name. Pools of the
 * cluster the inventory does not list come after the listed ones: every pool must end at the
 * control plane's version.
 */
export async function readKubernetesView(
  snapshot: Snapshot,
  kc: KonvoyCluster,
  target: string,
  now: Date = new Date(),
): Promise<KubernetesView> {
  const view: KubernetesView = { cluster: kc, pools: [], missingPools: [], discovered: [] }
  const found = await capiClusterOf(snapshot, kc)
  if (found.problem) {
    view.problem = found.problem
    if (found.mismatch) view.mismatch = true
    if (!found.cluster) return view
  }
  const cluster = found.cluster!
  const cpRef = cluster.spec?.controlPlaneRef
  const machines = await snapshot.list<Machine>(...K.machine)
  if (!cpRef || cpRef.kind === 'KubeadmControlPlane') {
    let kcp: KubeadmControlPlane | undefined
    if (cpRef?.name)
      kcp = await getObject<KubeadmControlPlane>(snapshot, K.kcp, cpRef.name, cpRef.namespace ?? kc.namespace)
    else
      kcp = (
        await labelled<KubeadmControlPlane>(snapshot, K.kcp, CLUSTER_NAME_LABEL, kc.namespace, kc.name)
      )[0]
    if (kcp) {
      const cpMachines =
        groupBy(machines, `label:${CONTROL_PLANE_NAME_LABEL}`, byLabel(CONTROL_PLANE_NAME_LABEL)).get(
          `${kc.namespace}/${kcp.metadata.name}`,
        ) ?? []
      view.controlPlane = {
        kind: 'KubeadmControlPlane',
        object: kcp,
        state: withTerminal(controlPlaneState(kcp, target), kcp, cpMachines, now),
      }
    }
  } else if (cpRef.name) {
    const kind: [string, string] = [groupOf(cpRef.apiVersion ?? ''), cpRef.kind ?? '']
    const cp = await getObject<ManagedControlPlane>(
      snapshot,
      kind,
      cpRef.name,
      cpRef.namespace ?? kc.namespace,
    )
    if (cp)
      view.controlPlane = {
        kind: cp.kind,
        object: cp,
        state: withTerminal(managedControlPlaneState(cp, target), cp, [], now),
      }
  }
  if (!view.controlPlane) {
    view.problem ??= `the control plane of Cluster ${kc.namespace}/${kc.name} (${cpRef?.kind ?? 'KubeadmControlPlane'} ${cpRef?.name ?? `labelled ${CLUSTER_NAME_LABEL}=${kc.name}`}) does not exist`
  }

  const mds = await labelled<MachineDeployment>(
    snapshot,
    K.machineDeployment,
    CLUSTER_NAME_LABEL,
    kc.namespace,
    kc.name,
  )
  const mps = await labelled<MachinePool>(snapshot, K.machinePool, CLUSTER_NAME_LABEL, kc.namespace, kc.name)
  const objects = [...mds, ...mps].sort((a, b) =>
    String(a.metadata.name).localeCompare(String(b.metadata.name)),
  )
  view.discovered = objects.map((o) => o.metadata.name!)
  const poolMachines = (o: MachineDeployment | MachinePool): Machine[] =>
    groupBy(
      machines,
      `label:${o.kind === 'MachinePool' ? POOL_NAME_LABEL : DEPLOYMENT_NAME_LABEL}`,
      byLabel(o.kind === 'MachinePool' ? POOL_NAME_LABEL : DEPLOYMENT_NAME_LABEL),
    ).get(`${kc.namespace}/${o.metadata.name}`) ?? []
  const add = (name: string, args: CommandArgs, listed: boolean) => {
    const object = objects.find((o) => o.metadata.name === name)
    const pool: NodePoolView = { name, args, listed }
    if (object) {
      pool.object = object
      pool.state = withTerminal(
        nodePoolState(object, poolMachines(object), target),
        object,
        poolMachines(object),
        now,
      )
    } else view.missingPools.push(name)
    view.pools.push(pool)
  }
  for (const p of kc.nodepools ?? []) add(p.name, p.args ?? {}, true)
  for (const o of objects)
    if (!view.pools.some((p) => p.name === o.metadata.name)) add(o.metadata.name!, {}, false)
  return view
}

/**
 * A part's terminal state (terminal.ts): the object itself failed, or one of its machines is
 * stuck draining past nodeDrainTimeout. Only once its spec is at target: a failure from before
 * the update is the update's to fix.
 */
function withTerminal(state: PartState, obj: KubeObject, machines: readonly Machine[], now: Date): PartState {
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

// ------------------------------------------------------------------------------- core addons

export interface AddonObject extends KubeObject {
  data?: Record<string, string>
  spec?: {
    clusterSelector?: { matchLabels?: Record<string, string> }
    resources?: { kind: string; name: string }[]
  }
  status?: { observedGeneration?: number; conditions?: Condition[] }
}

/** What `dkp upgrade addons … --dry-run -o yaml` printed: the objects it would write. */
export interface AddonExpectation {
  configMaps: AddonObject[]
  clusterResourceSets: AddonObject[]
}

/**
 * Parses the dry-run output: YAML documents (or a `kind: List`), anything else ignored (the
 * progress lines dkp prints are not YAML mappings with a kind).
 */
export function parseAddonDryRun(text: string): AddonExpectation {
  const out: AddonExpectation = { configMaps: [], clusterResourceSets: [] }
  const visit = (o: unknown) => {
    if (!o || typeof o !== 'object') return
    const obj = o as AddonObject & { items?: unknown[] }
    if (obj.kind === 'List' && Array.isArray(obj.items)) return obj.items.forEach(visit)
    if (obj.kind === 'ConfigMap') out.configMaps.push(obj)
    else if (obj.kind === 'ClusterResourceSet') out.clusterResourceSets.push(obj)
  }
  // JSON output (`-o json`) is one document too; YAML parses it. Progress lines dkp prints on
  // stdout before a document (`Generating addon resources`) are dropped.
  for (const chunk of text.split(/^---[ \t]*$/m)) {
    const lines = chunk.split('\n')
    const start = lines.findIndex((l) => /^(\s*[\w.\-/"']+\s*:(\s|$)|\s*[{[]|\s*#)/.test(l))
    if (start < 0) continue
    for (const doc of parseAllDocuments(lines.slice(start).join('\n'))) {
      if (doc.errors.length > 0) continue
      visit(doc.toJS())
    }
  }
  return out
}

/** Image references in a ConfigMap's manifests, for evidence. */
export function imagesOf(cm: AddonObject): string[] {
  const images = new Set<string>()
  for (const text of Object.values(cm.data ?? {})) {
    for (const m of text.matchAll(/\bimage:\s*["']?([^\s"']+)/g)) images.add(m[1]!)
  }
  return [...images]
}

const sameData = (a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean => {
  const ka = Object.keys(a ?? {}).sort()
  const kb = Object.keys(b ?? {}).sort()
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a?.[k] === b?.[k])
}

/** A ClusterResourceSet applied its resources at its current generation. */
export function crsApplied(crs: AddonObject): { ok: boolean; detail: string } {
  const c = condition(crs, 'ResourcesApplied')
  if (c?.status !== 'True')
    return { ok: false, detail: `ClusterResourceSet ${ref(crs)}: ${conditionText(c, 'ResourcesApplied')}` }
  if (!generationSeen(crs))
    return {
      ok: false,
      detail: `ClusterResourceSet ${ref(crs)}: generation ${crs.metadata.generation} not applied yet`,
    }
  return { ok: true, detail: `ClusterResourceSet ${ref(crs)}: ResourcesApplied` }
}

/**
 * Core addons at target: every ConfigMap the dry run prints exists with the same data, every
 * ClusterResourceSet it prints exists, and the cluster's ClusterResourceSets are applied.
 */
export function addonsState(
  live: { configMaps: AddonObject[]; clusterResourceSets: AddonObject[] },
  expected: AddonExpectation,
  dkpVersion: string,
): StepState {
  const evidence: string[] = []
  const pending: string[] = []
  for (const want of expected.configMaps) {
    const name = want.metadata.name!
    const cm = live.configMaps.find((c) => c.metadata.name === name)
    if (!cm) pending.push(`ConfigMap ${name} missing`)
    else if (!sameData(cm.data, want.data)) {
      const have = imagesOf(cm)
      pending.push(
        `ConfigMap ${ref(cm)} differs from dkp ${dkpVersion}${have.length ? ` (runs ${have.join(', ')}; wants ${imagesOf(want).join(', ')})` : ''}`,
      )
    } else {
      const images = imagesOf(cm)
      evidence.push(
        `ConfigMap ${ref(cm)} matches dkp ${dkpVersion}${images.length ? ` (${images.join(', ')})` : ''}`,
      )
    }
  }
  for (const want of expected.clusterResourceSets) {
    if (!live.clusterResourceSets.some((c) => c.metadata.name === want.metadata.name))
      pending.push(`ClusterResourceSet ${want.metadata.name} missing`)
  }
  for (const crs of live.clusterResourceSets) {
    const a = crsApplied(crs)
    ;(a.ok ? evidence : pending).push(a.detail)
  }
  if (expected.configMaps.length === 0 && expected.clusterResourceSets.length === 0) {
    pending.push(`dkp upgrade addons --dry-run printed no ConfigMaps or ClusterResourceSets to compare`)
  }
  return { done: pending.length === 0, evidence, pending }
}

/**
 * The ClusterResourceSets of a cluster: those in its namespace whose selector matches the
 * Cluster's labels and whose name ends in `-<cluster>` (per-cluster addons, `<addon>-<c>`;
 * global ones are the CAPI components' business).
 */
export function clusterResourceSetsOf(all: AddonObject[], cluster: CapiCluster): AddonObject[] {
  const labels = cluster.metadata.labels ?? {}
  const ns = cluster.metadata.namespace
  return all.filter((crs) => {
    if (crs.metadata.namespace !== ns || !crs.metadata.name?.endsWith(`-${cluster.metadata.name}`))
      return false
    const want = crs.spec?.clusterSelector?.matchLabels ?? {}
    return Object.keys(want).length > 0 && Object.entries(want).every(([k, v]) => labels[k] === v)
  })
}

// ------------------------------------------------------------------------------- CAPI components

export interface Deployment extends KubeObject {
  spec?: { replicas?: number; template?: { spec?: { containers?: { name: string; image?: string }[] } } }
  status?: {
    observedGeneration?: number
    replicas?: number
    updatedReplicas?: number
    availableReplicas?: number
    unavailableReplicas?: number
    conditions?: Condition[]
  }
}

export interface ClusterctlProvider extends KubeObject {
  providerName?: string
  type?: string
  version?: string
}

/** Namespaces of the CAPI controllers (§4): core, kubeadm bootstrap and control plane. */
export const CAPI_CORE_NAMESPACES = [
  'capi-system',
  'capi-kubeadm-bootstrap-system',
  'capi-kubeadm-control-plane-system',
]
/** Infrastructure providers' namespaces: `capa-system`, `capz-system`, `capv-system`, `cappp-system`, `capg-system`, … */
export const isInfraNamespace = (ns: string | undefined): boolean =>
  !!ns && /^cap[a-z]*-system$/.test(ns) && !ns.startsWith('capi-')
export const CERT_MANAGER_NAMESPACE = 'cert-manager'

export const isCapiNamespace = (ns: string | undefined): boolean =>
  !!ns && (CAPI_CORE_NAMESPACES.includes(ns) || isInfraNamespace(ns) || ns === CERT_MANAGER_NAMESPACE)

/** A Deployment finished its rollout and is Available. */
export function deploymentAvailable(d: Deployment): { ok: boolean; detail: string } {
  const want = d.spec?.replicas ?? 1
  const s = d.status ?? {}
  const images = (d.spec?.template?.spec?.containers ?? []).map((c) => c.image).filter(Boolean)
  const name = `Deployment ${ref(d)}${images.length ? ` (${images.join(', ')})` : ''}`
  const available = condition(d, 'Available')
  const problems: string[] = []
  if (available?.status !== 'True') problems.push(conditionText(available, 'Available'))
  if (!generationSeen(d)) problems.push(`generation ${d.metadata.generation} not observed yet`)
  if (num(s.updatedReplicas) < want) problems.push(`${num(s.updatedReplicas)}/${want} updated`)
  if (num(s.availableReplicas ?? (available?.status === 'True' ? want : 0)) < want)
    problems.push(`${num(s.availableReplicas)}/${want} available`)
  if (num(s.unavailableReplicas) > 0) problems.push(`${s.unavailableReplicas} unavailable`)
  return problems.length === 0
    ? { ok: true, detail: `${name}: Available` }
    : { ok: false, detail: `${name}: ${problems.join(', ')}` }
}

/**
 * The live part of the CAPI components' done-condition: controller Deployments present in each
 * core CAPI namespace, and every Deployment in the CAPI, infrastructure-provider and
 * cert-manager namespaces Available with its rollout finished.
 */
export function capiControllersState(deployments: Deployment[]): StepState {
  const evidence: string[] = []
  const pending: string[] = []
  const relevant = deployments.filter((d) => isCapiNamespace(d.metadata.namespace))
  for (const ns of [...CAPI_CORE_NAMESPACES, CERT_MANAGER_NAMESPACE]) {
    if (!relevant.some((d) => d.metadata.namespace === ns)) pending.push(`no controller Deployment in ${ns}`)
  }
  if (!relevant.some((d) => isInfraNamespace(d.metadata.namespace)))
    pending.push('no infrastructure provider controller (cap*-system)')
  for (const d of relevant.sort((a, b) => nsName(a).localeCompare(nsName(b)))) {
    const a = deploymentAvailable(d)
    ;(a.ok ? evidence : pending).push(a.detail)
  }
  return { done: pending.length === 0, evidence, pending }
}

/** `cluster-api CoreProvider v1.5.3 (capi-system)` per clusterctl Provider, for evidence. */
export function providerVersions(providers: ClusterctlProvider[]): string[] {
  return providers
    .filter((p) => isCapiNamespace(p.metadata.namespace))
    .sort((a, b) => nsName(a).localeCompare(nsName(b)))
    .map((p) =>
      `Provider ${ref(p)}: ${p.providerName ?? p.metadata.name} ${p.type ?? ''} ${p.version ?? 'version not reported'}`.replace(
        / {2,}/g,
        ' ',
      ),
    )
}

/** `capi-system/capi-controller-manager=registry…:v1.5.3` per controller Deployment container. */
export function controllerImages(deployments: Deployment[]): Map<string, string> {
  const out = new Map<string, string>()
  for (const d of deployments.filter((x) => isCapiNamespace(x.metadata.namespace))) {
    for (const c of d.spec?.template?.spec?.containers ?? []) out.set(`${ref(d)}/${c.name}`, c.image ?? '?')
  }
  return out
}
