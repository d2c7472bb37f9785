// `custom-apps`: the gate before the Kubernetes upgrade for apps DKP does not upgrade. Custom
// apps are AppDeployments that are neither platform apps (`appRef.kind: ClusterApp`) nor
// catalog apps listed in the inventory (workspaces[].apps, projects[].apps; src/core/custom-apps.ts).
// For each, on every cluster it targets (the KommanderClusters of its workspace, narrowed by its
// clusterSelector), what it deployed is scanned for APIs the target Kubernetes no longer serves:
// its Helm release storage (the newest deployed revision of the release its HelmRelease names)
// and the last-applied annotations of the objects that release manages. Errors fail the gate
// (the findings listed); warnings pass with notes. Clusters sharing one API server are scanned
// once per app (findings under the first of them).
//
// Its done-condition: the run record's newest custom-apps entry for the target Kubernetes
// passed (the executor records gates like any stage); verify, status and capi-components read
// that record rather than re-scanning the fleet.

import { scanHelmReleases, scanLastApplied } from '../core/compat/index.js'
import { customApps, helmReleaseTarget, namespaceOwners, targetClusters } from '../core/custom-apps.js'
import { messageOf } from '../core/errors.js'
import { countBySeverity, type Finding, sortFindings } from '../core/findings.js'
import { unreachableFinding } from '../core/health.js'
import {
  type AppDeployment,
  type HelmRelease,
  K,
  type KommanderCluster,
  type NamespacedRef,
} from '../core/kinds.js'
import { KOMMANDER_NS } from '../core/kommander-releases.js'
import { TOOL_NAME } from '../core/report/model.js'
import { renderSummary } from '../core/report/summary.js'
import type { StepState } from '../core/step-state.js'
import { defineStage } from './drive.js'
import { gateState } from './gate-record.js'
import { asScanned, readServer, releaseObjects, releaseStorage } from './live-scan.js'
import type { GateStage, StageContext, StageEnv, Verdict } from './types.js'
import { mapLimit, type WorkloadCluster, workloadCluster } from './workload-kube.js'

export { customApps, helmReleaseTarget, namespaceOwners, targetClusters } from '../core/custom-apps.js'

const CONCURRENCY = 8

export interface CustomAppsScan {
  apps: AppDeployment[]
  findings: Finding[]
  /** `<cluster>` checked per app, for the evidence. */
  checked: { app: string; clusters: string[]; releases: number }[]
  notes: string[]
}

/** Scans every custom app's deployed manifests for APIs removed at `target`. Reads only. */
export async function scanCustomApps(
  env: StageEnv,
  target: string,
  log: (line: string) => void = () => {},
): Promise<CustomAppsScan> {
  const s = env.snapshot
  const [appDeployments, workspaces, projects, kommanderClusters] = await Promise.all([
    s.list<AppDeployment>(...K.appDeployment),
    s.list<NamespacedRef>(...K.workspace),
    s.list<NamespacedRef>(...K.project),
    s.list<KommanderCluster>(...K.kommanderCluster),
  ])
  const owners = namespaceOwners(env.inventory, workspaces, projects)
  const apps = customApps(env.inventory, appDeployments, owners)
  const out: CustomAppsScan = { apps, findings: [], checked: [], notes: [] }
  const mgmt = env.inventory.management.name
  const rank = new Map([mgmt, ...env.inventory.clusters.map((c) => c.name)].map((n, i) => [n, i]))
  const scan: AppScan = {
    env,
    target,
    log,
    out,
    owners,
    kommanderClusters,
    order: (name) => rank.get(name) ?? rank.size,
    display: (kc) =>
      kc.metadata.namespace === KOMMANDER_NS && kc.metadata.name === 'host-cluster'
        ? mgmt
        : kc.metadata.name!,
  }
  for (const ad of apps) await scanApp(scan, ad)
  out.findings = sortFindings(out.findings)
  return out
}

/** What scanning one app needs, and where its results go. */
interface AppScan {
  env: StageEnv
  target: string
  log: (line: string) => void
  out: CustomAppsScan
  owners: ReturnType<typeof namespaceOwners>
  kommanderClusters: readonly KommanderCluster[]
  /** Inventory order (the management cluster first). */
  order(name: string): number
  /** The name findings use (`host-cluster` in kommander is the management cluster). */
  display(kc: KommanderCluster): string
}

/** Clusters that share one API server: scanned once, findings under the first. */
interface ServerGroup {
  primary: string
  others: string[]
  wc: WorkloadCluster
}

async function scanApp(scan: AppScan, ad: AppDeployment): Promise<void> {
  const { out } = scan
  const adRef = `${ad.metadata.namespace}/${ad.metadata.name}`
  const owner = scan.owners.get(ad.metadata.namespace ?? '')
  // In inventory order (the management cluster first), so findings go to the same cluster as the check's.
  const targets = targetClusters(ad, owner, scan.kommanderClusters).sort(
    (a, b) => scan.order(scan.display(a)) - scan.order(scan.display(b)),
  )
  if (targets.length === 0) {
    out.notes.push(`custom app ${adRef}: no cluster of its workspace matches it; nothing deployed to scan`)
    return
  }
  const servers = await serverGroups(scan, targets, adRef)
  let releases = 0
  for (const g of servers) {
    try {
      releases += await scanOnServer(scan, ad, adRef, g)
    } catch (err) {
      out.findings.push(
        unreachableFinding(g.primary, `custom app ${adRef} could not be checked there: ${messageOf(err)}`),
      )
    }
  }
  out.checked.push({ app: adRef, clusters: servers.flatMap((g) => [g.primary, ...g.others]), releases })
}

/** The app's clusters, reached and grouped by API server (one that cannot be reached is a finding). */
async function serverGroups(
  scan: AppScan,
  targets: KommanderCluster[],
  adRef: string,
): Promise<ServerGroup[]> {
  const reached = await mapLimit(targets, CONCURRENCY, async (kc) => {
    const name = scan.display(kc)
    try {
      const wc = await workloadCluster(scan.env, kc.metadata.name!, { namespace: kc.metadata.namespace! })
      return { name, wc }
    } catch (err) {
      return { name, error: messageOf(err) }
    }
  })
  const servers = new Map<string, ServerGroup>()
  for (const r of reached) {
    if (!r.wc) {
      scan.out.findings.push(
        unreachableFinding(r.name, `custom app ${adRef} could not be checked there: ${r.error}`),
      )
      continue
    }
    const g = servers.get(r.wc.server)
    if (g) g.others.push(r.name)
    else servers.set(r.wc.server, { primary: r.name, others: [], wc: r.wc })
  }
  return [...servers.values()]
}

/** One app on one API server: its Helm release storage and the last-applied of what it manages; the revisions scanned. */
async function scanOnServer(
  scan: AppScan,
  ad: AppDeployment,
  adRef: string,
  g: ServerGroup,
): Promise<number> {
  const { target } = scan
  const read = await readServer(scan.env, g.wc.kube, target)
  const hr = (await g.wc.list<HelmRelease>(...K.helmRelease, ad.metadata.namespace)).find(
    (h) => h.metadata.name === ad.metadata.name,
  )
  const where = helmReleaseTarget(hr, { name: ad.metadata.name!, namespace: ad.metadata.namespace! })
  const storage = releaseStorage(read, where.storageNamespace, where.release)
  const helm = scanHelmReleases(asScanned(storage), { cluster: g.primary, target })
  const objects = releaseObjects(
    read,
    { name: where.release, namespace: where.targetNamespace },
    hr ? { name: hr.metadata.name!, namespace: hr.metadata.namespace! } : undefined,
  )
  const applied = scanLastApplied(asScanned(objects), { cluster: g.primary, target })
  const shared: Record<string, string> = g.others.length > 0 ? { sameApiServerAs: g.others.join(',') } : {}
  for (const f of [...helm.findings, ...applied]) {
    scan.out.findings.push({ ...f, details: { ...(f.details ?? {}), customApp: adRef, ...shared } })
  }
  scan.log(
    `custom app ${adRef} on ${g.primary}${g.others.length ? ` (and ${g.others.length} cluster(s) on the same API server)` : ''}: Helm release ${where.storageNamespace}/${where.release}, ${helm.releases} deployed revision(s), ${objects.length} managed object(s) of removal-table kinds`,
  )
  return helm.releases
}

const describe = (f: Finding) => `${f.severity}: ${f.cluster ? `[${f.cluster}] ` : ''}${f.message}`

/** The scan as a verdict: errors fail the gate, warnings pass with notes. */
function verdict(ctx: StageContext, scan: CustomAppsScan): Verdict {
  const target = ctx.target.kubernetes
  const counts = countBySeverity(scan.findings)
  const errors = scan.findings.filter((f) => f.severity === 'error')
  const warnings = scan.findings.filter((f) => f.severity === 'warning')
  const appsLine =
    scan.apps.length === 0
      ? 'no custom apps (every App AppDeployment is a catalog app listed in the inventory)'
      : `${scan.apps.length} custom app(s): ${scan.apps.map((a) => `${a.metadata.namespace}/${a.metadata.name}`).join(', ')}`
  const evidence = [
    appsLine,
    ...scan.checked.map(
      (c) =>
        `${c.app}: ${c.releases} Helm release revision(s) scanned on ${c.clusters.join(', ') || 'no cluster'}`,
    ),
    ...scan.notes,
  ]
  if (errors.length > 0)
    return {
      passed: false,
      message: [
        `custom apps use APIs Kubernetes ${target} no longer serves: ${counts.error} error(s), ${counts.warning} warning(s); fix them before upgrading Kubernetes`,
        ...errors.slice(0, 20).map(describe),
        ...(errors.length > 20 ? [`… and ${errors.length - 20} more`] : []),
        ...errors.slice(0, 3).map((f) => `fix: ${f.remedy}`),
      ].join('\n'),
      evidence,
      findings: scan.findings,
    }
  return {
    passed: true,
    message:
      warnings.length > 0
        ? `custom apps pass for Kubernetes ${target} with ${warnings.length} warning(s): ${warnings.slice(0, 3).map(describe).join('; ')}`
        : `custom apps pass for Kubernetes ${target}: ${appsLine}; no removed APIs found`,
    evidence,
    findings: scan.findings,
  }
}

const customAppsGate: GateStage<StepState> = {
  name: 'custom-apps',
  kind: 'gate',
  read: (env, cluster) =>
    gateState(
      env,
      `custom-apps:${cluster}`,
      (e) => e.to === env.target.kubernetes,
      `Kubernetes ${env.target.kubernetes}`,
      'run the custom-apps stage',
    ),
  evaluate: (state) => state,
  async check(ctx) {
    const target = ctx.target.kubernetes
    const scan = await ctx.reporter.group(`custom apps against Kubernetes ${target}`, () =>
      scanCustomApps(ctx, target, (l) => ctx.reporter.info(l)),
    )
    for (const n of scan.notes) ctx.reporter.info(n)
    for (const f of scan.findings.filter((x) => x.severity === 'warning'))
      ctx.reporter.warning(`${f.cluster ? `[${f.cluster}] ` : ''}${f.message} Fix: ${f.remedy}`)
    if (scan.findings.length > 0) {
      ctx.reporter.summary(
        renderSummary(
          {
            tool: { name: TOOL_NAME, version: ctx.place.toolVersion },
            target: { kubernetes: target, dkp: ctx.target.dkp },
            findings: scan.findings,
          },
          { title: 'dkp-fleet custom-apps', maxBytes: 256 * 1024 },
        ),
      )
    }
    return verdict(ctx, scan)
  },
}

export const stage = defineStage(customAppsGate)
