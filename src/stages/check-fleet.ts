// The fleet check behind the `check` stage and `dkp-fleet check`: the health gates
// (src/core/health*.ts) over one list per kind — on the management cluster (Kommander
// HelmReleases and AppDeployments, the DKP upgrade path, the backup gate, every Konvoy cluster's
// CAPI objects: Cluster, control plane, node pools, Machines, version skew, the Kubernetes path;
// attached clusters' versions) and on each managed/attached cluster through its kubeconfig
// Secret (the HelmReleases of its workspace and project namespaces) — and the live removed-API
// scan (live-scan.ts) for the target Kubernetes, once per API server. Clusters are read with
// bounded concurrency; one that cannot be read is an error finding.
//
// Clusters whose kubeconfigs point at the same API server (the test fleet's managed clusters
// share one) are the same objects: the removed-API scan runs once per server and its findings
// are reported under the first such cluster (the management cluster first, then inventory
// order); identical HelmRelease findings read through several of them are reported once, under
// the first, with `details.sameApiServerAs` naming the others.

import { dirname, resolve } from 'node:path'
import { messageOf } from '../core/errors.js'
import { type Finding, sortFindings } from '../core/findings.js'
import {
  backupFindings,
  dkpVersionFindings,
  HEALTH,
  objectRef,
  scanIncompleteFinding,
  unreachableFinding,
} from '../core/health.js'
import { capiClusterFindings } from '../core/health-capi.js'
import {
  appDeploymentFindings,
  attachedFindings,
  helmReleaseFindings,
  kommanderClusterFindings,
  workspaceFinding,
} from '../core/health-kommander.js'
import {
  type AppDeployment,
  type HelmRelease,
  K,
  type KommanderApp,
  type KommanderCluster,
  type KubeadmControlPlane,
  type Machine,
  type NamespacedRef,
} from '../core/kinds.js'
import { KOMMANDER_NS, KOMMANDER_RELEASE } from '../core/kommander-releases.js'
import type { KonvoyCluster, ManagedControlPlane } from '../core/konvoy-state.js'
import type { Inventory, SourceRef } from '../core/model.js'
import type { MachineObj } from '../core/preflight-objects.js'
import type { ClusterSummary, ScanStats } from '../core/report/model.js'
import { bareVersion } from '../core/versions.js'
import type { Kube } from '../effects/kube.js'
import { readBackupState } from './backup.js'
import { konvoyFindings } from './check-konvoy.js'
import { mergeSameServer } from './check-merge.js'
import { capiClusterOf, konvoyCluster, readKubernetesView } from './konvoy-read.js'
import { isUnreachable, readServer, scanServer } from './live-scan.js'
import { managementPreflight, preflightServers } from './preflight-read.js'
import type { StageEnv } from './types.js'
import { mapLimit, type WorkloadCluster, workloadCluster } from './workload-kube.js'
import { resolveWorkspace } from './workspace-read.js'
/** Clusters read at once. */
export const CHECK_CONCURRENCY = 8

export interface FleetCheckOptions {
  /** Kubernetes version the removed-API scan targets; default the plan's target. */
  targetKubernetes?: string
  /** The repository checkout: inventory files (and the audit logs they name) are relative to it. Default: the process's. */
  cwd?: string
  /** Clusters read at once (default 8). */
  concurrency?: number
  /** Progress lines. */
  log?: (line: string) => void
  /** Skip the live removed-API scan (health gates only). */
  scan?: boolean
}

export interface FleetCheckResult {
  findings: Finding[]
  clusters: ClusterSummary[]
  scanned: Required<Pick<ScanStats, 'clusters' | 'helmReleases' | 'objects'>>
  /** HTTP requests sent by every client the check used (management and workload). */
  apiRequests: number
  /** Of those, sent by the management cluster's client. */
  managementRequests: number
  ms: number
}

/** A cluster of the inventory as the check sees it. */
interface FleetMember {
  name: string
  role: ClusterSummary['role']
  workspace?: string
  source: SourceRef
}

function members(inv: Inventory): FleetMember[] {
  return [
    { name: inv.management.name, role: 'management', source: inv.management.source },
    ...inv.clusters.map((c) => ({
      name: c.name,
      role: (c.attached ? 'attached' : 'managed') as ClusterSummary['role'],
      workspace: c.workspace,
      source: c.source,
    })),
  ]
}

/** Where SARIF places each cluster's findings: its line in the inventory. */
export function clusterSources(inv: Inventory): Map<string, SourceRef> {
  return new Map(members(inv).map((m) => [m.name, m.source]))
}

/** API requests of every client used, counted from the moment the check first saw it. */
class RequestCounter {
  private readonly start = new Map<Kube, number>()
  see(kube: Kube) {
    if (!this.start.has(kube)) this.start.set(kube, kube.requests)
  }
  get total(): number {
    let n = 0
    for (const [kube, at] of this.start) n += kube.requests - at
    return n
  }
  of(kube: Kube): number {
    return kube.requests - (this.start.get(kube) ?? kube.requests)
  }
}

/** Health gates, the live removed-API scan and the pre-flight checks over the whole fleet. Reads only. */
export async function checkFleet(env: StageEnv, options: FleetCheckOptions = {}): Promise<FleetCheckResult> {
  const run = new FleetCheck(env, options)
  let lists: ManagementLists
  try {
    lists = await readManagement(env)
  } catch (err) {
    if (!isUnreachable(err)) throw err
    run.managementUnreachable(messageOf(err))
    return run.result()
  }
  run.log(
    `management cluster ${run.mgmt}: ${lists.helmReleases.length} HelmReleases, ${lists.capiClusters.length} CAPI Clusters, ${lists.machines.length} Machines`,
  )
  await run.kommander(lists)
  await run.backup()
  for (const m of run.fleet.filter((x) => x.role !== 'attached')) await run.konvoy(m, lists)
  run.kommanderClusters(lists)
  await run.workloads()
  if (options.scan !== false) await run.removedApis()
  await run.preflight(lists)
  return run.result()
}

type ManagementLists = Awaited<ReturnType<typeof readManagement>>

/** One check of the fleet: what it found so far, per cluster, and the clients it used. */
class FleetCheck {
  readonly started = performance.now()
  readonly mgmt: string
  readonly fleet: FleetMember[]
  readonly findings: Finding[] = []
  readonly summaries: Map<string, ClusterSummary>
  readonly scanned = { clusters: 0, helmReleases: 0, objects: 0 }
  readonly counter = new RequestCounter()
  readonly log: (line: string) => void
  /** Kubernetes each cluster runs (bare), for the removed-API scan. */
  readonly current = new Map<string, string>()
  readonly workspaces = new Map<string, { namespace?: string; projects: string[] }>()
  readonly joined = new Map<string, KommanderCluster>()
  readonly connections = new Map<string, WorkloadCluster>()
  /** Konvoy clusters found, by name: their CAPI namespace (the pre-flight's certificates and etcd). */
  readonly konvoyNamespaces = new Map<string, string>()
  private lists?: ManagementLists

  constructor(
    readonly env: StageEnv,
    readonly options: FleetCheckOptions,
  ) {
    this.mgmt = env.inventory.management.name
    this.fleet = members(env.inventory)
    this.summaries = new Map(
      this.fleet.map((m) => [m.name, { name: m.name, role: m.role, status: 'checked' }]),
    )
    this.log = options.log ?? (() => {})
    this.counter.see(env.kube)
  }

  get limit(): number {
    return this.options.concurrency ?? CHECK_CONCURRENCY
  }

  result(): FleetCheckResult {
    this.scanned.clusters = [...this.summaries.values()].filter((c) => c.status === 'checked').length
    return {
      findings: sortFindings(this.findings),
      clusters: [...this.summaries.values()],
      scanned: this.scanned,
      apiRequests: this.counter.total,
      managementRequests: this.counter.of(this.env.kube),
      ms: Math.round(performance.now() - this.started),
    }
  }

  managementUnreachable(reason: string): void {
    this.findings.push(unreachableFinding(this.mgmt, reason))
    for (const m of this.summaries.values()) {
      m.status = m.name === this.mgmt ? 'unreachable' : 'skipped'
      if (m.name !== this.mgmt) m.note = 'the management cluster could not be read'
    }
  }

  /** Kommander, its apps and the inventory's workspaces. */
  async kommander(lists: ManagementLists): Promise<void> {
    this.lists = lists
    const { mgmt, env } = this
    const kommanderHr = lists.helmReleases.find(
      (hr) => hr.metadata.namespace === KOMMANDER_NS && hr.metadata.name === KOMMANDER_RELEASE,
    )
    this.findings.push(...dkpVersionFindings(mgmt, kommanderHr, env.target.dkp))
    this.findings.push(
      ...helmReleaseFindings(
        mgmt,
        lists.helmReleases.filter((hr) => hr.metadata.namespace === KOMMANDER_NS),
      ),
    )
    for (const ws of env.inventory.workspaces) {
      const r = await resolveWorkspace(env, ws)
      if (r.problem) this.findings.push(workspaceFinding(mgmt, ws.name, r.problem))
      this.workspaces.set(ws.name, {
        ...(r.namespace ? { namespace: r.namespace } : {}),
        projects: [...r.projects.values()],
      })
    }
    const workspaceOfProject = new Map<string, string>()
    for (const p of lists.projects) {
      const pns = p.status?.namespaceRef?.name ?? p.spec?.namespaceName
      if (pns && p.metadata.namespace) workspaceOfProject.set(pns, p.metadata.namespace)
    }
    this.findings.push(
      ...appDeploymentFindings({
        cluster: mgmt,
        appDeployments: lists.appDeployments,
        clusterApps: lists.clusterApps,
        apps: lists.apps,
        workspaceOfProject,
      }),
    )
  }

  /** A workspace's namespace and projects: resolved for inventory workspaces, else from the objects. */
  workspaceOf(name: string): { namespace?: string; projects: string[] } {
    const known = this.workspaces.get(name)
    if (known) return known
    const lists = this.lists!
    const obj = lists.workspaces.find((w) => w.metadata.name === name)
    const namespace = obj?.status?.namespaceRef?.name ?? obj?.spec?.namespaceName
    const projects = namespace
      ? lists.projects
          .filter((p) => p.metadata.namespace === namespace)
          .map((p) => p.status?.namespaceRef?.name ?? p.spec?.namespaceName)
          .filter((n): n is string => !!n)
      : []
    const out = { ...(namespace ? { namespace } : {}), projects }
    this.workspaces.set(name, out)
    return out
  }

  async backup(): Promise<void> {
    const { mgmt, env } = this
    const inv = env.inventory
    try {
      this.findings.push(
        ...backupFindings(mgmt, inv.backup, inv.backup.enabled ? await readBackupState(env) : undefined),
      )
    } catch (err) {
      if (isUnreachable(err)) throw err
      this.findings.push(
        scanIncompleteFinding(mgmt, `Velero Backups in ${inv.backup.namespace}`, messageOf(err)),
      )
    }
  }

  /** The CAPI objects of one Konvoy cluster, read on the management cluster. */
  async konvoy(m: FleetMember, lists: ManagementLists): Promise<void> {
    const { env } = this
    let kc: KonvoyCluster
    try {
      kc = await konvoyCluster(env, m.name)
    } catch (err) {
      this.findings.push({
        ruleId: HEALTH.capiCluster,
        severity: 'error',
        cluster: m.name,
        message: `The CAPI objects of ${m.name} cannot be found: ${messageOf(err)}.`,
        remedy:
          "Set clusters[].namespace (or the workspace's namespace) in the inventory to where the cluster's CAPI objects live.",
      })
      return
    }
    this.konvoyNamespaces.set(m.name, kc.namespace)
    const found = await capiClusterOf(env.snapshot, kc)
    this.findings.push(...capiClusterFindings(m.name, kc.namespace, found.cluster))
    if (found.mismatch && found.problem) {
      this.findings.push({
        ruleId: HEALTH.capiCluster,
        severity: 'error',
        cluster: m.name,
        object: objectRef(found.cluster!),
        message: `${found.problem}.`,
        remedy:
          'Set clusters[].provider in the inventory to the provider the cluster was created with: dkp commands take it as an argument.',
      })
    }
    if (!found.cluster) return
    const view = await readKubernetesView(env.snapshot, kc, env.target.kubernetes)
    this.findings.push(
      ...konvoyFindings(m.name, kc, found.cluster, view, lists.machines, env.target.kubernetes),
    )
    const cp = view.controlPlane?.object as KubeadmControlPlane | ManagedControlPlane | undefined
    const cpVersion = cp ? (cp.status?.version ?? cp.spec?.version) : undefined
    if (cpVersion) this.running(m.name, cpVersion)
  }

  running(cluster: string, version: string): void {
    this.current.set(cluster, bareVersion(version))
    this.summaries.get(cluster)!.kubernetes = bareVersion(version)
  }

  /** KommanderClusters of managed and attached clusters (and attached clusters' Kubernetes). */
  kommanderClusters(lists: ManagementLists): void {
    for (const m of this.fleet.filter((x) => x.role !== 'management')) {
      const ns = this.workspaceOf(m.workspace!).namespace
      const kc = lists.kommanderClusters.find(
        (k) => k.metadata.name === m.name && (ns === undefined || k.metadata.namespace === ns),
      )
      this.findings.push(...kommanderClusterFindings(m.name, kc, ns))
      if (kc) this.joined.set(m.name, kc)
      if (m.role === 'attached') {
        this.findings.push(...attachedFindings(m.name, kc, this.env.target.dkp))
        const v = kc?.status?.kubernetesVersion
        if (v) this.running(m.name, v)
      }
    }
  }

  /** Each managed/attached cluster through its kubeconfig Secret: the HelmReleases of its workspace. */
  async workloads(): Promise<void> {
    this.connections.set(this.mgmt, await workloadCluster(this.env, this.mgmt))
    const workload = this.fleet.filter((m) => m.role !== 'management')
    const perCluster = await mapLimit(workload, this.limit, (m) => this.workload(m))
    this.findings.push(...mergeSameServer(perCluster.flat()))
  }

  private async workload(m: FleetMember): Promise<{ finding: Finding; server: string }[]> {
    const ws = this.workspaceOf(m.workspace!)
    const summary = this.summaries.get(m.name)!
    const kc = this.joined.get(m.name)
    if (!kc?.spec?.kubeconfigRef?.name && m.role === 'attached') {
      summary.status = 'skipped'
      summary.note = 'not joined to Kommander: no kubeconfig to read it with'
      return []
    }
    try {
      const wc = await workloadCluster(this.env, m.name, ws.namespace ? { namespace: ws.namespace } : {})
      this.counter.see(wc.kube)
      this.connections.set(m.name, wc)
      if (!ws.namespace) return []
      const namespaces = new Set([ws.namespace, ...ws.projects])
      const releases = (await wc.list<HelmRelease>(...K.helmRelease)).filter((hr) =>
        namespaces.has(hr.metadata.namespace ?? ''),
      )
      return helmReleaseFindings(m.name, releases).map((f) => ({ finding: f, server: wc.server }))
    } catch (err) {
      summary.status = 'unreachable'
      this.connections.delete(m.name)
      return [{ finding: unreachableFinding(m.name, messageOf(err)), server: '' }]
    }
  }

  /** Removed APIs, once per API server (clusters sharing one are reported under the first). */
  async removedApis(): Promise<void> {
    const scanTarget = this.options.targetKubernetes ?? this.env.target.kubernetes
    const servers = new Map<string, { primary: string; members: string[]; wc: WorkloadCluster }>()
    for (const m of this.fleet) {
      const wc = this.connections.get(m.name)
      if (!wc) continue
      const group = servers.get(wc.server)
      if (group) group.members.push(m.name)
      else servers.set(wc.server, { primary: m.name, members: [m.name], wc })
    }
    const scans = await mapLimit([...servers.values()], this.limit, async (g) => {
      try {
        const read = await readServer(this.env, g.wc.kube, scanTarget)
        this.log(
          `cluster ${g.primary}: ${read.kinds.length} kinds, ${read.objects.length} objects, ${read.helmStorage.length} Helm release records read`,
        )
        const currentVersion = this.current.get(g.primary)
        return scanServer(read, {
          cluster: g.primary,
          target: scanTarget,
          ...(currentVersion ? { current: currentVersion } : {}),
        })
      } catch (err) {
        this.summaries.get(g.primary)!.status = 'unreachable'
        return { findings: [unreachableFinding(g.primary, messageOf(err))], helmReleases: 0, objects: 0 }
      }
    })
    for (const [i, g] of [...servers.values()].entries()) {
      const scan = scans[i]!
      this.findings.push(...scan.findings)
      this.scanned.helmReleases += scan.helmReleases
      this.scanned.objects += scan.objects
      for (const other of g.members.slice(1)) {
        this.summaries.get(other)!.note =
          `same API server as ${g.primary}: its live objects were scanned once, reported under ${g.primary}`
      }
    }
  }

  /** Pre-flight (preflight-read.ts): drain blockers, kubelet skew, deprecated APIs requested; certificates, etcd. */
  async preflight(lists: ManagementLists): Promise<void> {
    const machines = lists.machines as unknown as MachineObj[]
    const scanTarget = this.options.targetKubernetes ?? this.env.target.kubernetes
    const pre = {
      target: this.env.target.kubernetes,
      apiTarget: scanTarget,
      current: this.current,
      machines,
      limit: this.limit,
      auditLogs: auditLogsOf(this.env.inventory, this.options.cwd ?? process.cwd()),
    }
    this.findings.push(
      ...(await preflightServers(
        this.fleet.map((m) => m.name),
        this.connections,
        pre,
      )),
    )
    this.findings.push(
      ...(await managementPreflight(this.env, this.konvoyNamespaces, machines, { now: this.env.now() })),
    )
  }
}

/** Cluster name → its audit log's path (`clusters[].auditLog`, relative to the inventory file that names it). */
export function auditLogsOf(inventory: StageEnv['inventory'], cwd: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const c of inventory.clusters)
    if (c.auditLog) out.set(c.name, resolve(cwd, dirname(c.source.file), c.auditLog))
  return out
}

async function readManagement(env: StageEnv) {
  const s = env.snapshot
  const [
    helmReleases,
    appDeployments,
    clusterApps,
    apps,
    kommanderClusters,
    capiClusters,
    machines,
    workspaces,
    projects,
  ] = await Promise.all([
    s.list<HelmRelease>(...K.helmRelease),
    s.list<AppDeployment>(...K.appDeployment),
    s.list<KommanderApp>(...K.clusterApp),
    s.list<KommanderApp>(...K.app),
    s.list<KommanderCluster>(...K.kommanderCluster),
    s.list(...K.cluster),
    s.list<Machine>(...K.machine),
    s.list<NamespacedRef>(...K.workspace),
    s.list<NamespacedRef>(...K.project),
  ])
  return {
    helmReleases,
    appDeployments,
    clusterApps,
    apps,
    kommanderClusters,
    capiClusters,
    machines,
    workspaces,
    projects,
  }
}
