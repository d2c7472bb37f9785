// The clusters of the fleet status: per cluster the versions live state shows (one list per kind:
// CAPI Clusters, their control planes, MachineDeployments, KommanderClusters, Kommander's
// HelmRelease and KommanderCore), its last recorded step, its lock and its steps done.

import {
  type CapiCluster,
  CLUSTER_NAME_LABEL,
  type HelmRelease,
  K,
  type KommanderCluster,
  type MachineDeployment,
} from '../core/kinds.js'
import type { KubeObject } from '../core/kube-object.js'
import type { AttachedCluster } from '../core/model.js'
import { bareVersion } from '../core/versions.js'
import type { ClusterStatus, LockStatus, RecordedStep, StepStatus } from './fleet-status-model.js'
import type { StageEnv } from './types.js'

interface ControlPlane extends KubeObject {
  spec?: { version?: string }
  status?: { version?: string }
}

/** What the clusters' rows take from the rest of the status. */
export interface ClusterInputs {
  steps: readonly StepStatus[]
  locks: readonly LockStatus[]
  lastStep(cluster: string): RecordedStep | null
}

const bare = (v: string | undefined | null) => (v ? bareVersion(v) : null)

/** The management cluster, then the inventory's clusters in order. */
export async function clusterStatuses(env: StageEnv, inputs: ClusterInputs): Promise<ClusterStatus[]> {
  const { inventory, plan } = env
  const live = await LiveClusters.read(env)
  const rows = new ClusterRows(inputs)
  const mgmt = inventory.management.name
  const clusters: ClusterStatus[] = [
    {
      name: mgmt,
      kind: 'management',
      workspace: null,
      wave: null,
      dkp: live.dkp,
      ...(await live.konvoy(mgmt, inventory.management.namespace)),
      ...rows.base(mgmt),
    },
  ]
  const workspaceNs = new Map(inventory.workspaces.map((w) => [w.name, w.namespace]))
  const waveOf = new Map(plan.matrix.include.map((e) => [e.cluster, e.wave]))
  for (const c of inventory.clusters) {
    if (c.attached) {
      clusters.push({ ...live.attached(c, workspaceNs.get(c.workspace)), ...rows.base(c.name) })
      continue
    }
    clusters.push({
      name: c.name,
      kind: 'managed',
      workspace: c.workspace,
      wave: waveOf.get(c.name) ?? c.wave,
      dkp: null,
      ...(await live.konvoy(c.name, c.namespace ?? workspaceNs.get(c.workspace))),
      ...rows.base(c.name),
    })
  }
  return clusters
}

/** The record's and the locks' part of each row. */
class ClusterRows {
  private readonly counts = new Map<string, { total: number; done: number }>()
  private readonly locks: Map<string, LockStatus>

  constructor(private readonly inputs: ClusterInputs) {
    for (const s of inputs.steps) {
      const c = this.counts.get(s.cluster) ?? { total: 0, done: 0 }
      c.total++
      if (s.state === 'done') c.done++
      this.counts.set(s.cluster, c)
    }
    this.locks = new Map(inputs.locks.map((l) => [l.cluster, l]))
  }

  base(name: string): Pick<ClusterStatus, 'lastStep' | 'lock' | 'steps'> {
    return {
      lastStep: this.inputs.lastStep(name),
      lock: this.locks.get(name) ?? null,
      steps: this.counts.get(name) ?? { total: 0, done: 0 },
    }
  }
}

/** Live versions from one list per kind. */
class LiveClusters {
  /** Control planes by `apiVersion|kind`, listed once each. */
  private readonly controlPlanes = new Map<string, Promise<ControlPlane[]>>()

  private constructor(
    private readonly env: StageEnv,
    private readonly capiClusters: CapiCluster[],
    private readonly kommanderClusters: KommanderCluster[],
    private readonly machineDeployments: MachineDeployment[],
    readonly dkp: string | null,
  ) {}

  static async read(env: StageEnv): Promise<LiveClusters> {
    const { snapshot } = env
    const [capiClusters, kcs, mds, kommanderHr, kommanderCore] = await Promise.all([
      snapshot.list<CapiCluster>(...K.cluster),
      snapshot.list<KommanderCluster>(...K.kommanderCluster),
      snapshot.list<MachineDeployment>(...K.machineDeployment),
      snapshot.get<HelmRelease>(...K.helmRelease, 'kommander', 'kommander'),
      snapshot.list<KubeObject & { status?: { version?: string } }>(...K.kommanderCore),
    ])
    const dkp =
      kommanderHr?.status?.history?.[0]?.chartVersion ??
      kommanderHr?.status?.lastAppliedRevision ??
      kommanderCore[0]?.status?.version ??
      null
    return new LiveClusters(env, capiClusters, kcs, mds, dkp)
  }

  /** An attached cluster: its Kubernetes from its KommanderCluster (in its workspace's namespace when known). */
  attached(
    c: AttachedCluster,
    workspaceNamespace: string | undefined,
  ): Omit<ClusterStatus, 'lastStep' | 'lock' | 'steps'> {
    const kcs = this.kommanderClusters
    const kc =
      kcs.find(
        (k) =>
          k.metadata.name === c.name && (!workspaceNamespace || k.metadata.namespace === workspaceNamespace),
      ) ?? kcs.find((k) => k.metadata.name === c.name)
    return {
      name: c.name,
      kind: 'attached',
      workspace: c.workspace,
      wave: null,
      dkp: null,
      kubernetes: bare(kc?.status?.kubernetesVersion),
      kubernetesDesired: null,
      nodepools: [],
    }
  }

  /** A Konvoy cluster: its control plane's running and desired Kubernetes, its node pools'. */
  async konvoy(
    name: string,
    namespace: string | undefined,
  ): Promise<Pick<ClusterStatus, 'kubernetes' | 'kubernetesDesired' | 'nodepools'>> {
    const c = this.findCluster(name, namespace)
    const cp = await this.controlPlaneOf(c)
    const running = bare(cp?.status?.version) ?? null
    const desired = bare(cp?.spec?.version) ?? null
    const pools = c
      ? this.machineDeployments
          .filter(
            (m) =>
              m.metadata.namespace === c.metadata.namespace &&
              (m.metadata.labels?.[CLUSTER_NAME_LABEL] ?? m.spec?.clusterName) === name,
          )
          .map((m) => ({ name: m.metadata.name ?? '', version: bare(m.spec?.template?.spec?.version) }))
          .sort((a, b) => a.name.localeCompare(b.name))
      : []
    return {
      kubernetes: running ?? desired,
      kubernetesDesired: desired && running && desired !== running ? desired : null,
      nodepools: pools,
    }
  }

  private findCluster(name: string, namespace?: string): CapiCluster | undefined {
    const named = this.capiClusters.filter((c) => c.metadata.name === name)
    return (
      named.find((c) => c.metadata.namespace === namespace) ?? (named.length === 1 ? named[0] : undefined)
    )
  }

  private async controlPlaneOf(c: CapiCluster | undefined): Promise<ControlPlane | undefined> {
    const ref = c?.spec?.controlPlaneRef
    if (!ref?.apiVersion || !ref.kind || !ref.name) return undefined
    const key = `${ref.apiVersion}|${ref.kind}`
    let list = this.controlPlanes.get(key)
    if (!list) {
      list = this.env.snapshot.list<ControlPlane>(ref.apiVersion, ref.kind).catch(() => [])
      this.controlPlanes.set(key, list)
    }
    const ns = ref.namespace ?? c?.metadata.namespace
    return (await list).find((o) => o.metadata.name === ref.name && o.metadata.namespace === ns)
  }
}
