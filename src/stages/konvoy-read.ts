// Reading the Konvoy stages' objects from the management cluster: a cluster's namespace and
// provider from the inventory, its CAPI Cluster, control plane, node pools and Machines from the
// snapshot (one list per kind, indexed once per list, so a plan over thousands of clusters stays
// linear). The judging is pure and lives in src/core (konvoy-state.ts, addons-state.ts).

import { InputError, WorkError } from '../core/errors.js'
import {
  type CapiCluster,
  CLUSTER_NAME_LABEL,
  K,
  type KubeadmControlPlane,
  type Machine,
  type MachineDeployment,
  type NamespacedRef,
  PROVIDER_LABEL,
} from '../core/kinds.js'
import {
  CONTROL_PLANE_NAME_LABEL,
  controlPlaneState,
  DEPLOYMENT_NAME_LABEL,
  type KonvoyCluster,
  type KubernetesView,
  type MachinePool,
  type ManagedControlPlane,
  managedControlPlaneState,
  type NodePoolView,
  nodePoolState,
  POOL_NAME_LABEL,
  withTerminal,
} from '../core/konvoy-state.js'
import type { KubeObject } from '../core/kube-object.js'
import { type CommandArgs, type Inventory, isManaged } from '../core/model.js'
import type { Snapshot } from './snapshot.js'

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
  const cpRef = found.cluster!.spec?.controlPlaneRef
  const machines = await snapshot.list<Machine>(...K.machine)
  const read = { snapshot, kc, target, now, machines }
  const cp = await readControlPlane(read, cpRef)
  if (cp) view.controlPlane = cp
  else
    view.problem ??= `the control plane of Cluster ${kc.namespace}/${kc.name} (${cpRef?.kind ?? 'KubeadmControlPlane'} ${cpRef?.name ?? `labelled ${CLUSTER_NAME_LABEL}=${kc.name}`}) does not exist`
  await readPools(read, view)
  return view
}

/** What the control plane and pool reads share. */
interface ViewRead {
  snapshot: Snapshot
  kc: KonvoyCluster
  target: string
  now: Date
  machines: Machine[]
}

type ControlPlaneRef = NonNullable<NonNullable<CapiCluster['spec']>['controlPlaneRef']>

/** The control plane through `controlPlaneRef` (a KubeadmControlPlane, else a managed one), or labelled with the cluster's name. */
async function readControlPlane(
  { snapshot, kc, target, now, machines }: ViewRead,
  cpRef: ControlPlaneRef | undefined,
): Promise<KubernetesView['controlPlane']> {
  if (!cpRef || cpRef.kind === 'KubeadmControlPlane') {
    const kcp = cpRef?.name
      ? await getObject<KubeadmControlPlane>(snapshot, K.kcp, cpRef.name, cpRef.namespace ?? kc.namespace)
      : (await labelled<KubeadmControlPlane>(snapshot, K.kcp, CLUSTER_NAME_LABEL, kc.namespace, kc.name))[0]
    if (!kcp) return undefined
    const cpMachines =
      groupBy(machines, `label:${CONTROL_PLANE_NAME_LABEL}`, byLabel(CONTROL_PLANE_NAME_LABEL)).get(
        `${kc.namespace}/${kcp.metadata.name}`,
      ) ?? []
    return {
      kind: 'KubeadmControlPlane',
      object: kcp,
      state: withTerminal(controlPlaneState(kcp, target), kcp, cpMachines, now),
    }
  }
  if (!cpRef.name) return undefined
  const kind: [string, string] = [groupOf(cpRef.apiVersion ?? ''), cpRef.kind ?? '']
  const cp = await getObject<ManagedControlPlane>(snapshot, kind, cpRef.name, cpRef.namespace ?? kc.namespace)
  if (!cp) return undefined
  return { kind: cp.kind, object: cp, state: withTerminal(managedControlPlaneState(cp, target), cp, [], now) }
}

/** Node pools in inventory order, then the cluster's pools the inventory does not list (by name). */
async function readPools(
  { snapshot, kc, target, now, machines }: ViewRead,
  view: KubernetesView,
): Promise<void> {
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
}
