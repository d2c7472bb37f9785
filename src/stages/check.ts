// `check`: the pre-flight gate and the scheduled compatibility check. It changes nothing.
//  1. Health gates (health.ts) over one list per kind: on the management cluster (Kommander
//     HelmReleases and AppDeployments, the DKP upgrade path, the backup gate, every Konvoy
//     cluster's CAPI objects: Cluster, control plane, node pools, Machines, version skew, the
//     Kubernetes path; attached clusters' versions) and on each managed/attached cluster through
//     its kubeconfig Secret (the HelmReleases of its workspace and project namespaces).
//  2. The live removed-API scan (live-scan.ts) for the target Kubernetes, once per API server.
//  3. With `manifests`, the repository scan.
// Clusters are read with bounded concurrency; one that cannot be read is an error finding.
//
// Clusters whose kubeconfigs point at the same API server (the test fleet's managed clusters
// share one) are the same objects: the removed-API scan runs once per server and its findings
// are reported under the first such cluster (the management cluster first, then inventory
// order); identical HelmRelease findings read through several of them are reported once, under
// the first, with `details.sameApiServerAs` naming the others.
//
// status(): done when the run record has a passing `check` entry for this plan digest (the
// stage writes it itself, being read-only for the executor); `run()` fails per `fail-on`.

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import { compatRule } from '../core/compat/rules.js'
import { InputError, messageOf, WorkError } from '../core/errors.js'
import {
  countBySeverity,
  describeObject,
  type Finding,
  type RuleDescriptor,
  type SeverityCounts,
  sortFindings,
} from '../core/findings.js'
import type { Inventory, SourceRef } from '../core/model.js'
import type { MachineObj } from '../core/preflight-objects.js'
import { preflightRule, preflightRules } from '../core/preflight-rules.js'
import { selectAnnotations } from '../core/report/annotations.js'
import { exitCodeFor, type FailOn } from '../core/report/exit-code.js'
import { renderJson } from '../core/report/json.js'
import type { LiveCheck, LiveCheckResult } from '../core/report/live-check.js'
import {
  type CheckReport,
  type ClusterSummary,
  type ScanStats,
  TOOL_INFORMATION_URI,
  TOOL_NAME,
} from '../core/report/model.js'
import { renderSarif } from '../core/report/sarif.js'
import { renderSummary } from '../core/report/summary.js'
import { renderText, summaryLine } from '../core/report/text.js'
import { VERSION } from '../core/version.js'
import type { Kube } from '../effects/kube.js'
import type { Reporter } from '../effects/reporter.js'
import type { RecordEntry } from '../effects/run-record.js'
import { backupState } from './backup.js'
import {
  appDeploymentFindings,
  attachedFindings,
  backupFindings,
  capiClusterFindings,
  controlPlaneFindings,
  dkpVersionFindings,
  HEALTH,
  healthRule,
  healthRules,
  helmReleaseFindings,
  kommanderClusterFindings,
  kubernetesPathFindings,
  machineFindings,
  missingPoolFinding,
  nodePoolFindings,
  objectRef,
  scanIncompleteFinding,
  skewFindings,
  unreachableFinding,
  workspaceFinding,
} from './health.js'
import {
  type AppDeployment,
  CLUSTER_NAME_LABEL,
  type HelmRelease,
  K,
  type KommanderApp,
  type KommanderCluster,
  type KubeadmControlPlane,
  type Machine,
  type NamespacedRef,
} from './kinds.js'
import { KOMMANDER_NS, KOMMANDER_RELEASE } from './kommander-state.js'
import {
  bareVersion,
  capiClusterOf,
  DEPLOYMENT_NAME_LABEL,
  groupBy,
  konvoyCluster,
  type ManagedControlPlane,
  POOL_NAME_LABEL,
  readKubernetesView,
} from './konvoy-state.js'
import { isUnreachable, readServer, scanServer } from './live-scan.js'
import { managementPreflight, preflightServers } from './preflight-read.js'
import type { StageContext, StageEnv, StageModule, StageOutcome, StageStatus, StepState } from './types.js'
import { closeWorkloads, mapLimit, type WorkloadCluster, workloadCluster } from './workload-kube.js'
import { resolveWorkspace } from './workspaces.js'

/** Clusters read at once. */
export const CHECK_CONCURRENCY = 8

export interface FleetCheckOptions {
  /** Kubernetes version the removed-API scan targets; default the plan's target. */
  targetKubernetes?: string
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

/** Health gates and the live removed-API scan over the whole fleet. Reads only. */
export async function checkFleet(env: StageEnv, options: FleetCheckOptions = {}): Promise<FleetCheckResult> {
  const started = performance.now()
  const inv = env.inventory
  const mgmt = inv.management.name
  const target = env.target
  const scanTarget = options.targetKubernetes ?? target.kubernetes
  const limit = options.concurrency ?? CHECK_CONCURRENCY
  const log = options.log ?? (() => {})
  const counter = new RequestCounter()
  counter.see(env.kube)
  const findings: Finding[] = []
  const fleet = members(inv)
  const summaries = new Map<string, ClusterSummary>(
    fleet.map((m) => [m.name, { name: m.name, role: m.role, status: 'checked' }]),
  )
  const result = (): FleetCheckResult => ({
    findings: sortFindings(findings),
    clusters: [...summaries.values()],
    scanned,
    apiRequests: counter.total,
    managementRequests: counter.of(env.kube),
    ms: Math.round(performance.now() - started),
  })
  const scanned = { clusters: 0, helmReleases: 0, objects: 0 }

  // ---- the management cluster's lists (one per kind)
  const s = env.snapshot
  let lists: Awaited<ReturnType<typeof readManagement>>
  try {
    lists = await readManagement(env)
  } catch (err) {
    if (!isUnreachable(err)) throw err
    findings.push(unreachableFinding(mgmt, messageOf(err)))
    for (const m of summaries.values()) {
      m.status = m.name === mgmt ? 'unreachable' : 'skipped'
      if (m.name !== mgmt) m.note = 'the management cluster could not be read'
    }
    return result()
  }
  log(
    `management cluster ${mgmt}: ${lists.helmReleases.length} HelmReleases, ${lists.capiClusters.length} CAPI Clusters, ${lists.machines.length} Machines`,
  )

  // Kommander, apps, workspaces, backup
  findings.push(
    ...dkpVersionFindings(
      mgmt,
      lists.helmReleases.find(
        (hr) => hr.metadata.namespace === KOMMANDER_NS && hr.metadata.name === KOMMANDER_RELEASE,
      ),
      target.dkp,
    ),
  )
  findings.push(
    ...helmReleaseFindings(
      mgmt,
      lists.helmReleases.filter((hr) => hr.metadata.namespace === KOMMANDER_NS),
    ),
  )
  const workspaces = new Map<string, { namespace?: string; projects: string[] }>()
  for (const ws of inv.workspaces) {
    const r = await resolveWorkspace(env, ws)
    if (r.problem) findings.push(workspaceFinding(mgmt, ws.name, r.problem))
    workspaces.set(ws.name, {
      ...(r.namespace ? { namespace: r.namespace } : {}),
      projects: [...r.projects.values()],
    })
  }
  const workspaceOf = (name: string) => {
    const known = workspaces.get(name)
    if (known) return known
    const obj = lists.workspaces.find((w) => w.metadata.name === name)
    const namespace = obj?.status?.namespaceRef?.name ?? obj?.spec?.namespaceName
    const projects = namespace
      ? lists.projects
          .filter((p) => p.metadata.namespace === namespace)
          .map((p) => p.status?.namespaceRef?.name ?? p.spec?.namespaceName)
          .filter((n): n is string => !!n)
      : []
    const out = { ...(namespace ? { namespace } : {}), projects }
    workspaces.set(name, out)
    return out
  }
  const workspaceOfProject = new Map<string, string>()
  for (const p of lists.projects) {
    const pns = p.status?.namespaceRef?.name ?? p.spec?.namespaceName
    if (pns && p.metadata.namespace) workspaceOfProject.set(pns, p.metadata.namespace)
  }
  findings.push(
    ...appDeploymentFindings({
      cluster: mgmt,
      appDeployments: lists.appDeployments,
      clusterApps: lists.clusterApps,
      apps: lists.apps,
      workspaceOfProject,
    }),
  )
  try {
    findings.push(
      ...backupFindings(mgmt, inv.backup, inv.backup.enabled ? await backupState(env) : undefined),
    )
  } catch (err) {
    if (isUnreachable(err)) throw err
    findings.push(scanIncompleteFinding(mgmt, `Velero Backups in ${inv.backup.namespace}`, messageOf(err)))
  }

  // ---- CAPI objects of every Konvoy cluster (read on the management cluster)
  const machinesByCluster = groupBy(lists.machines, 'check:cluster', (m) =>
    m.metadata.labels?.[CLUSTER_NAME_LABEL]
      ? `${m.metadata.namespace}/${m.metadata.labels[CLUSTER_NAME_LABEL]}`
      : undefined,
  )
  const machinesByPool = (label: string) =>
    groupBy(lists.machines, `check:${label}`, (m) =>
      m.metadata.labels?.[label] ? `${m.metadata.namespace}/${m.metadata.labels[label]}` : undefined,
    )
  const current = new Map<string, string>()
  const konvoyNamespaces = new Map<string, string>()
  for (const m of fleet.filter((m) => m.role !== 'attached')) {
    let kc: Awaited<ReturnType<typeof konvoyCluster>>
    try {
      kc = await konvoyCluster(env, m.name)
    } catch (err) {
      findings.push({
        ruleId: HEALTH.capiCluster,
        severity: 'error',
        cluster: m.name,
        message: `The CAPI objects of ${m.name} cannot be found: ${messageOf(err)}.`,
        remedy:
          "Set clusters[].namespace (or the workspace's namespace) in the inventory to where the cluster's CAPI objects live.",
      })
      continue
    }
    konvoyNamespaces.set(m.name, kc.namespace)
    const found = await capiClusterOf(s, kc)
    findings.push(...capiClusterFindings(m.name, kc.namespace, found.cluster))
    if (found.mismatch && found.problem) {
      findings.push({
        ruleId: HEALTH.capiCluster,
        severity: 'error',
        cluster: m.name,
        object: objectRef(found.cluster!),
        message: `${found.problem}.`,
        remedy:
          'Set clusters[].provider in the inventory to the provider the cluster was created with: dkp commands take it as an argument.',
      })
    }
    if (!found.cluster) continue
    const view = await readKubernetesView(s, kc, target.kubernetes)
    const cp = view.controlPlane?.object as KubeadmControlPlane | ManagedControlPlane | undefined
    if (cp) {
      findings.push(...controlPlaneFindings(m.name, cp))
    } else {
      findings.push({
        ruleId: HEALTH.controlPlane,
        severity: 'error',
        cluster: m.name,
        object: objectRef(found.cluster),
        message: `${view.problem ?? `the control plane of ${m.name} does not exist`}.`,
        remedy: "Repair the Cluster's spec.controlPlaneRef or the control plane object before upgrading.",
      })
    }
    const cpVersion = cp ? (cp.status?.version ?? cp.spec?.version) : undefined
    if (cpVersion) {
      current.set(m.name, bareVersion(cpVersion))
      summaries.get(m.name)!.kubernetes = bareVersion(cpVersion)
    }
    findings.push(
      ...kubernetesPathFindings(m.name, cp ? objectRef(cp) : undefined, cpVersion, target.kubernetes),
    )
    const pools = view.pools
      .filter((p) => p.object)
      .map((p) => {
        const o = p.object!
        const label = o.kind === 'MachinePool' ? POOL_NAME_LABEL : DEPLOYMENT_NAME_LABEL
        return {
          object: o,
          machines: machinesByPool(label).get(`${o.metadata.namespace}/${o.metadata.name}`) ?? [],
        }
      })
    for (const p of pools) findings.push(...nodePoolFindings(m.name, p.object, p.machines))
    for (const name of view.missingPools) findings.push(missingPoolFinding(m.name, kc.namespace, name))
    findings.push(...machineFindings(m.name, machinesByCluster.get(`${kc.namespace}/${m.name}`) ?? []))
    findings.push(
      ...skewFindings(m.name, cp ? { version: cpVersion, object: cp } : undefined, pools, target.kubernetes),
    )
  }

  // ---- KommanderClusters of managed and attached clusters
  const joined = new Map<string, KommanderCluster>()
  for (const m of fleet.filter((m) => m.role !== 'management')) {
    const ns = workspaceOf(m.workspace!).namespace
    const kc = lists.kommanderClusters.find(
      (k) => k.metadata.name === m.name && (ns === undefined || k.metadata.namespace === ns),
    )
    findings.push(...kommanderClusterFindings(m.name, kc, ns))
    if (kc) joined.set(m.name, kc)
    if (m.role === 'attached') {
      findings.push(...attachedFindings(m.name, kc, target.dkp))
      const v = kc?.status?.kubernetesVersion
      if (v) {
        current.set(m.name, bareVersion(v))
        summaries.get(m.name)!.kubernetes = bareVersion(v)
      }
    }
  }

  // ---- each managed/attached cluster through its kubeconfig Secret
  const connections = new Map<string, WorkloadCluster>()
  connections.set(mgmt, await workloadCluster(env, mgmt))
  const workload = fleet.filter((m) => m.role !== 'management')
  const perCluster = await mapLimit(workload, limit, async (m) => {
    const ws = workspaceOf(m.workspace!)
    const summary = summaries.get(m.name)!
    const kc = joined.get(m.name)
    if (!kc?.spec?.kubeconfigRef?.name && m.role === 'attached') {
      summary.status = 'skipped'
      summary.note = 'not joined to Kommander: no kubeconfig to read it with'
      return []
    }
    let wc: WorkloadCluster
    try {
      wc = await workloadCluster(env, m.name, ws.namespace ? { namespace: ws.namespace } : {})
      counter.see(wc.kube)
      connections.set(m.name, wc)
      if (!ws.namespace) return []
      const namespaces = new Set([ws.namespace, ...ws.projects])
      const releases = (await wc.list<HelmRelease>(...K.helmRelease)).filter((hr) =>
        namespaces.has(hr.metadata.namespace ?? ''),
      )
      return helmReleaseFindings(m.name, releases).map((f) => ({ finding: f, server: wc.server }))
    } catch (err) {
      summary.status = 'unreachable'
      connections.delete(m.name)
      return [{ finding: unreachableFinding(m.name, messageOf(err)), server: '' }]
    }
  })
  findings.push(...mergeSameServer(perCluster.flat()))

  // ---- removed APIs, once per API server
  if (options.scan !== false) {
    const servers = new Map<string, { primary: string; members: string[]; wc: WorkloadCluster }>()
    for (const m of fleet) {
      const wc = connections.get(m.name)
      if (!wc) continue
      const group = servers.get(wc.server)
      if (group) group.members.push(m.name)
      else servers.set(wc.server, { primary: m.name, members: [m.name], wc })
    }
    const scans = await mapLimit([...servers.values()], limit, async (g) => {
      try {
        const read = await readServer(g.wc.kube, scanTarget)
        log(
          `cluster ${g.primary}: ${read.kinds.length} kinds, ${read.objects.length} objects, ${read.helmStorage.length} Helm release records read`,
        )
        const currentVersion = current.get(g.primary)
        return scanServer(read, {
          cluster: g.primary,
          target: scanTarget,
          ...(currentVersion ? { current: currentVersion } : {}),
        })
      } catch (err) {
        summaries.get(g.primary)!.status = 'unreachable'
        return { findings: [unreachableFinding(g.primary, messageOf(err))], helmReleases: 0, objects: 0 }
      }
    })
    for (const [i, g] of [...servers.values()].entries()) {
      const scan = scans[i]!
      findings.push(...scan.findings)
      scanned.helmReleases += scan.helmReleases
      scanned.objects += scan.objects
      for (const other of g.members.slice(1)) {
        const summary = summaries.get(other)!
        summary.note = `same API server as ${g.primary}: its live objects were scanned once, reported under ${g.primary}`
      }
    }
  }
  // ---- pre-flight (preflight-read.ts): drain blockers, kubelet skew, deprecated APIs requested; certificates, etcd
  const machines = lists.machines as unknown as MachineObj[]
  const pre = { target: target.kubernetes, apiTarget: scanTarget, current, machines, limit }
  findings.push(
    ...(await preflightServers(
      fleet.map((m) => m.name),
      connections,
      pre,
    )),
  )
  findings.push(...(await managementPreflight(env, konvoyNamespaces, machines, { now: env.now() })))
  scanned.clusters = [...summaries.values()].filter((c) => c.status === 'checked').length
  return result()
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

const objectKey = (f: Finding) =>
  f.object
    ? `${f.object.apiVersion}|${describeObject(f.object)}`
    : `message|${f.message.replaceAll(f.cluster ?? '\u0000', '')}`

/**
 * Findings read through clusters that share an API server are the same objects: one finding
 * per (server, rule, severity, object), under the first cluster, naming the others.
 */
export function mergeSameServer(items: readonly { finding: Finding; server: string }[]): Finding[] {
  const kept = new Map<string, { finding: Finding; others: string[] }>()
  const out: { finding: Finding; others: string[] }[] = []
  for (const { finding, server } of items) {
    if (!server) {
      out.push({ finding, others: [] })
      continue
    }
    const key = `${server}\u0000${finding.ruleId}\u0000${finding.severity}\u0000${objectKey(finding)}`
    const seen = kept.get(key)
    if (seen) {
      if (finding.cluster && !seen.others.includes(finding.cluster)) seen.others.push(finding.cluster)
      continue
    }
    const entry = { finding, others: [] as string[] }
    kept.set(key, entry)
    out.push(entry)
  }
  return out.map(({ finding, others }) =>
    others.length === 0
      ? finding
      : {
          ...finding,
          message: `${finding.message} Read through the same API server as ${others.length > 5 ? `${others.slice(0, 5).join(', ')} and ${others.length - 5} more` : others.join(', ')}.`,
          details: { ...(finding.details ?? {}), sameApiServerAs: others.join(',') },
        },
  )
}

// ------------------------------------------------------------------------------ reports

/** Rule descriptors for SARIF: health rules, then the compatibility scan's. */
export const ruleOf = (id: string): RuleDescriptor | undefined =>
  healthRule(id) ?? compatRule(id) ?? preflightRule(id)

export interface PublishOptions {
  /** Directory for report.json and check.sarif (RUNNER_TEMP in the action). */
  dir: string
  clusterSources?: Map<string, SourceRef>
  fallback?: SourceRef
  srcRoot: string
  failOn: FailOn
}

export interface Published {
  counts: SeverityCounts
  report: string
  sarif: string
  exitCode: 0 | 1
}

/**
 * The action's side of a check: report.json and check.sarif written, outputs `findings`
 * (counts), `report` and `sarif` (paths), the job summary (per-cluster table, findings by
 * severity, HTML-escaped, under 1 MiB), annotations on repository files (the worst 9 errors and
 * 9 warnings: the step's own failure takes the tenth error slot; a note says what was cut), and
 * the text report in the log.
 */
export async function publishCheck(
  report: CheckReport,
  reporter: Reporter,
  options: PublishOptions,
): Promise<Published> {
  mkdirSync(options.dir, { recursive: true })
  const dir = mkdtempSync(join(options.dir, 'dkp-fleet-check-'))
  const reportPath = join(dir, 'report.json')
  const sarifPath = join(dir, 'check.sarif')
  writeFileSync(reportPath, renderJson(report))
  writeFileSync(
    sarifPath,
    renderSarif(report, {
      informationUri: TOOL_INFORMATION_URI,
      rules: ruleOf,
      ...(options.clusterSources ? { clusterSources: options.clusterSources } : {}),
      ...(options.fallback ? { fallback: options.fallback } : {}),
      srcRoot: options.srcRoot,
    }),
  )
  const counts = countBySeverity(report.findings)
  reporter.output('findings', JSON.stringify(counts))
  reporter.output('report', reportPath)
  reporter.output('sarif', sarifPath)
  await reporter.group(`check findings: ${summaryLine(report, counts)}`, async () => {
    for (const line of renderText(report).trimEnd().split('\n')) reporter.info(line)
  })
  const selection = selectAnnotations(report.findings, 9)
  for (const a of selection.annotations) {
    const where = { file: a.file, line: a.startLine, col: a.startColumn ?? 1 }
    const text = `${a.title}: ${a.message}`
    if (a.level === 'error') reporter.error(text, where)
    else reporter.warning(text, where)
  }
  let summary = renderSummary(report)
  if (selection.note) {
    reporter.info(selection.note)
    summary += `\n> [!NOTE]\n> ${selection.note.replace(/\n/g, ' ')}\n`
  }
  reporter.summary(summary)
  reporter.info(`JSON report: ${reportPath}; SARIF: ${sarifPath}`)
  return {
    counts,
    report: reportPath,
    sarif: sarifPath,
    exitCode: exitCodeFor(report.findings, options.failOn),
  }
}

export const toolVersion = () => process.env.DKP_FLEET_VERSION || VERSION

/** Manifest paths from the action input (comma or newline separated) or the CLI. */
export const splitManifests = (spec: string | undefined): string[] =>
  (spec ?? '')
    .split(/[\n,]/)
    .map((p) => p.trim())
    .filter(Boolean)

// ------------------------------------------------------------------------------ run record

/** Statuses of a gate that passed. */
const PASSING: ReadonlySet<string> = new Set(['skipped', 'upgraded'])

/**
 * Gates are read-only, so the executor does not record them: they record their own result
 * (not in a dry run; a reader kubeconfig that cannot write is a warning).
 */
export async function recordGate(
  ctx: StageContext,
  started: Date,
  outcome: { status: StageStatus; message?: string; to?: string },
): Promise<void> {
  if (ctx.dryRun) return
  const entry: RecordEntry = {
    stepId: `${ctx.stage}:${ctx.cluster}`,
    stage: ctx.stage,
    cluster: ctx.cluster,
    status: outcome.status,
    ...(outcome.to ? { to: outcome.to } : {}),
    started: started.toISOString(),
    finished: ctx.now().toISOString(),
    planDigest: ctx.plan.digest,
    runId: ctx.runner.runId,
    actor: ctx.runner.actor,
    commands: [],
    ...(outcome.message ? { message: outcome.message.slice(0, 2000) } : {}),
  }
  await ctx.record
    .append(entry)
    .catch((err) =>
      ctx.reporter.warning(
        `could not write the run record (the ${ctx.stage} result is not kept for later jobs): ${messageOf(err)}`,
      ),
    )
}

/** The newest recorded result of a gate step that matches, newest first. */
export async function gateState(
  env: StageEnv,
  stepId: string,
  matches: (e: RecordEntry) => boolean,
  what: string,
  hint: string,
): Promise<StepState> {
  const entries = await env.record.entries()
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!
    if (e.stepId !== stepId || !matches(e)) continue
    if (PASSING.has(e.status)) {
      return {
        done: true,
        evidence: [
          `${stepId} passed at ${e.finished} (${e.runId}, ${e.actor})${e.message ? `: ${e.message.split('\n')[0]}` : ''}`,
        ],
        pending: [],
      }
    }
    return {
      done: false,
      evidence: [],
      pending: [
        `the last ${stepId} for ${what} ended ${e.status} at ${e.finished}${e.message ? `: ${e.message.split('\n')[0]}` : ''}`,
      ],
    }
  }
  return { done: false, evidence: [], pending: [`no ${stepId} result recorded for ${what}: ${hint}`] }
}

// ------------------------------------------------------------------------------ the stage

export const stage: StageModule = {
  name: 'check',
  scope: 'management',
  mutating: false,
  requires: () => [],

  status(env, cluster) {
    return gateState(
      env,
      `check:${cluster}`,
      (e) => e.planDigest === env.plan.digest,
      `plan ${env.plan.digest.slice(0, 19)}…`,
      'run the check stage',
    )
  },

  async run(ctx: StageContext): Promise<StageOutcome> {
    const started = ctx.now()
    const failOn = ctx.extra.failOn ?? 'error'
    let live: FleetCheckResult
    try {
      live = await ctx.reporter.group('health gates and live removed-API scan', () =>
        checkFleet(ctx, { log: (l) => ctx.reporter.info(l) }),
      )
    } finally {
      closeWorkloads(ctx)
    }
    const findings = [...live.findings]
    const scanned: ScanStats = { ...live.scanned }
    const manifests = splitManifests(ctx.extra.manifests)
    if (manifests.length > 0) {
      const { scanManifestPaths } = await import('../effects/manifest-files.js')
      const repo = await scanManifestPaths(manifests, { target: ctx.target.kubernetes, base: process.cwd() })
      findings.push(...repo.findings)
      Object.assign(scanned, { files: repo.files, documents: repo.documents, bytes: repo.bytes })
    }
    const report: CheckReport = {
      tool: { name: TOOL_NAME, version: toolVersion() },
      target: { kubernetes: ctx.target.kubernetes, dkp: ctx.target.dkp },
      findings,
      clusters: live.clusters,
      ...(manifests.length > 0 ? { manifests } : {}),
      scanned,
    }
    const published = await publishCheck(report, ctx.reporter, {
      dir: process.env.RUNNER_TEMP || tmpdir(),
      clusterSources: clusterSources(ctx.inventory),
      fallback: ctx.inventory.management.source,
      srcRoot: process.cwd(),
      failOn,
    })
    ctx.reporter.info(
      `check: ${live.clusters.length} clusters in ${(live.ms / 1000).toFixed(1)} s, ${live.apiRequests} API requests`,
    )
    const line = summaryLine(report, published.counts)
    const failed = published.exitCode === 1
    const worst = sortFindings(findings).filter(
      (f) => f.severity === 'error' || (failOn === 'warning' && f.severity === 'warning'),
    )
    const message = failed
      ? [
          `check failed (fail-on ${failOn}): ${line}`,
          ...worst
            .slice(0, 20)
            .map(
              (f) =>
                `${f.severity}: ${f.cluster ? `[${f.cluster}] ` : f.location ? `${f.location.file}:${f.location.line}: ` : ''}${f.message}`,
            ),
          ...(worst.length > 20 ? [`… and ${worst.length - 20} more in ${published.report}`] : []),
        ].join('\n')
      : `check passed (fail-on ${failOn}): ${line}; report ${published.report}`
    const outcome: StageOutcome = {
      status: failed ? 'failed' : 'skipped',
      to: ctx.target.dkp,
      commands: [],
      message,
      findings,
      evidence: [
        `${published.counts.error} error(s), ${published.counts.warning} warning(s), ${published.counts.info} info`,
        `JSON report: ${published.report}`,
        `SARIF: ${published.sarif}`,
      ],
      outputs: {
        findings: JSON.stringify(published.counts),
        report: published.report,
        sarif: published.sarif,
      },
    }
    await recordGate(ctx, started, outcome)
    return outcome
  },
}

// ------------------------------------------------------------------------------ the CLI's live mode

/**
 * `dkp-fleet check -i <glob> [--kubeconfig F]`: the same gates and scan, reported by the CLI.
 * The inventory's target drives the health gates (DKP and Kubernetes paths); --target-kubernetes,
 * when given, is the removed-API scan's target.
 */
export const liveCheck: LiveCheck = async (options, io): Promise<LiveCheckResult> => {
  if (options.inventory.length === 0)
    throw new InputError(
      "check: the live check needs the inventory: pass -i <glob> (and --kubeconfig F, or the kubeconfig the inventory's kubeconfigEnv or $KUBECONFIG names)",
    )
  const [
    { ConsoleReporter },
    { loadPlan, makeEnv },
    { Kube },
    { managementKubeconfig, managementTransportWarnings },
  ] = await Promise.all([
    import('../effects/reporter.js'),
    import('./execute.js'),
    import('../effects/kube.js'),
    import('../effects/kubeconfig.js'),
  ])
  const reporter = new ConsoleReporter(io.stderr)
  const loaded = await loadPlan({ inventory: options.inventory, cwd: io.cwd }, reporter)
  const path =
    options.kubeconfig === undefined
      ? undefined
      : isAbsolute(options.kubeconfig)
        ? options.kubeconfig
        : resolve(io.cwd, options.kubeconfig)
  const { content, from } = managementKubeconfig(loaded.inventory, path ? { path } : {}, io.env, {
    allowKubeconfigEnv: true,
  })
  let kube: Kube
  try {
    kube = Kube.fromString(content)
  } catch (err) {
    throw new InputError(`the management kubeconfig from ${from} cannot be used: ${messageOf(err)}`)
  }
  for (const w of managementTransportWarnings(kube, from)) reporter.warning(w)
  const env = makeEnv(loaded, kube, new AbortController().signal, () => new Date())
  let live: FleetCheckResult
  try {
    live = await checkFleet(env, {
      ...(options.targetKubernetes ? { targetKubernetes: options.targetKubernetes } : {}),
    })
  } catch (err) {
    throw err instanceof InputError
      ? err
      : new WorkError(`check of the fleet failed: ${messageOf(err)}`, { cause: err })
  } finally {
    closeWorkloads(env)
    kube.close()
  }
  io.stderr(
    `checked ${live.clusters.length} clusters of fleet ${loaded.inventory.fleet} (management ${kube.server}) in ${(live.ms / 1000).toFixed(1)} s with ${live.apiRequests} API requests\n`,
  )
  return {
    findings: live.findings,
    clusters: live.clusters,
    target: {
      kubernetes: options.targetKubernetes ?? loaded.plan.target.kubernetes,
      dkp: loaded.plan.target.dkp,
    },
    clusterSources: clusterSources(loaded.inventory),
    fallback: loaded.inventory.management.source,
    rules: [...healthRules(), ...preflightRules()],
    scanned: live.scanned,
  }
}
