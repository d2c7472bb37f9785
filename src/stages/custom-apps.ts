// `custom-apps`: the gate before the Kubernetes upgrade for apps DKP does not upgrade. Custom
// apps are AppDeployments that are neither platform apps (`appRef.kind: ClusterApp`) nor
// catalog apps listed in the inventory (workspaces[].apps, projects[].apps). For each, on every
// cluster it targets (the KommanderClusters of its workspace, narrowed by its clusterSelector),
// what it deployed is scanned for APIs the target Kubernetes no longer serves: its Helm release
// storage (the newest deployed revision of the release its HelmRelease names) and the
// last-applied annotations of the objects that release manages. Errors block (status failed,
// the findings listed); warnings pass with notes. Clusters sharing one API server are scanned
// once per app (findings under the first of them).
//
// status() (done-condition): the run record's newest custom-apps entry for the target
// Kubernetes passed. The gate records its own result (it changes nothing, so the executor does
// not); verify, status and capi-components read that record rather than re-scanning the fleet.

import { scanHelmReleases, scanLastApplied } from '../core/compat/index.js'
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
import type { Inventory } from '../core/model.js'
import { TOOL_NAME } from '../core/report/model.js'
import { renderSummary } from '../core/report/summary.js'
import { gateState, recordGate, toolVersion } from './check.js'
import { asScanned, readServer, releaseObjects, releaseStorage } from './live-scan.js'
import type { StageContext, StageEnv, StageModule, StageOutcome } from './types.js'
import { closeWorkloads, mapLimit, workloadCluster } from './workload-kube.js'

const CONCURRENCY = 8

export interface NamespaceOwner {
  workspace: string
  /** Set for a project namespace. */
  project?: string
  /** The workspace's namespace (a project's clusters are its workspace's). */
  workspaceNamespace: string
}

/**
 * Which workspace (and project) each namespace belongs to: the inventory's workspace
 * namespaces, the Workspace objects' `status.namespaceRef` (or `spec.namespaceName`), and the
 * Projects found in each workspace namespace.
 */
export function namespaceOwners(
  inv: Inventory,
  workspaces: readonly NamespacedRef[],
  projects: readonly NamespacedRef[],
): Map<string, NamespaceOwner> {
  const owners = new Map<string, NamespaceOwner>()
  const wsNamespace = new Map<string, string>()
  for (const w of workspaces) {
    const ns = w.status?.namespaceRef?.name ?? w.spec?.namespaceName
    if (ns && w.metadata.name) wsNamespace.set(w.metadata.name, ns)
  }
  for (const ws of inv.workspaces) if (ws.namespace) wsNamespace.set(ws.name, ws.namespace)
  for (const [workspace, ns] of wsNamespace) owners.set(ns, { workspace, workspaceNamespace: ns })
  for (const p of projects) {
    const pns = p.status?.namespaceRef?.name ?? p.spec?.namespaceName
    const parent = p.metadata.namespace ? owners.get(p.metadata.namespace) : undefined
    if (!pns || !parent || !p.metadata.name) continue
    owners.set(pns, {
      workspace: parent.workspace,
      project: p.metadata.name,
      workspaceNamespace: parent.workspaceNamespace,
    })
  }
  return owners
}

/**
 * Custom apps: AppDeployments that are not platform apps (ClusterApp) and not catalog apps the
 * inventory lists for their workspace or project (matched by AppDeployment name).
 */
export function customApps(
  inv: Inventory,
  appDeployments: readonly AppDeployment[],
  owners: ReadonlyMap<string, NamespaceOwner>,
): AppDeployment[] {
  const listed = new Set<string>()
  for (const ws of inv.workspaces) {
    for (const app of ws.apps) listed.add(`${ws.name}\u0000\u0000${app.name}`)
    for (const p of ws.projects)
      for (const app of p.apps) listed.add(`${ws.name}\u0000${p.name}\u0000${app.name}`)
  }
  return appDeployments.filter((ad) => {
    if (ad.spec?.appRef?.kind === 'ClusterApp') return false
    const owner = owners.get(ad.metadata.namespace ?? '')
    if (!owner) return true
    return !listed.has(`${owner.workspace}\u0000${owner.project ?? ''}\u0000${ad.metadata.name}`)
  })
}

type Selectable = AppDeployment & { spec?: { clusterSelector?: { matchLabels?: Record<string, string> } } }

/** The KommanderClusters an app targets: those of its workspace namespace matching its clusterSelector. */
export function targetClusters(
  ad: AppDeployment,
  owner: NamespaceOwner | undefined,
  kommanderClusters: readonly KommanderCluster[],
): KommanderCluster[] {
  const ns = owner?.workspaceNamespace ?? ad.metadata.namespace
  const match = (ad as Selectable).spec?.clusterSelector?.matchLabels ?? {}
  return kommanderClusters.filter(
    (kc) =>
      kc.metadata.namespace === ns && Object.entries(match).every(([k, v]) => kc.metadata.labels?.[k] === v),
  )
}

/** Release name and storage namespace of a HelmRelease (Flux's defaults). */
export function helmReleaseTarget(
  hr: HelmRelease | undefined,
  fallback: { name: string; namespace: string },
) {
  if (!hr)
    return {
      release: fallback.name,
      storageNamespace: fallback.namespace,
      targetNamespace: fallback.namespace,
    }
  const spec = (hr.spec ?? {}) as {
    releaseName?: string
    targetNamespace?: string
    storageNamespace?: string
  }
  const name = hr.metadata.name ?? fallback.name
  const ns = hr.metadata.namespace ?? fallback.namespace
  const targetNamespace = spec.targetNamespace ?? ns
  return {
    release: spec.releaseName ?? (spec.targetNamespace ? `${spec.targetNamespace}-${name}` : name),
    storageNamespace: spec.storageNamespace ?? targetNamespace,
    targetNamespace,
  }
}

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
  const order = (name: string) => rank.get(name) ?? rank.size
  const display = (kc: KommanderCluster) =>
    kc.metadata.namespace === KOMMANDER_NS && kc.metadata.name === 'host-cluster' ? mgmt : kc.metadata.name!

  for (const ad of apps) {
    const adRef = `${ad.metadata.namespace}/${ad.metadata.name}`
    const owner = owners.get(ad.metadata.namespace ?? '')
    // In inventory order (the management cluster first), so findings go to the same cluster as the check's.
    const targets = targetClusters(ad, owner, kommanderClusters).sort(
      (a, b) => order(display(a)) - order(display(b)),
    )
    if (targets.length === 0) {
      out.notes.push(`custom app ${adRef}: no cluster of its workspace matches it; nothing deployed to scan`)
      continue
    }
    // One scan per API server: clusters sharing one see the same release storage.
    const reached = await mapLimit(targets, CONCURRENCY, async (kc) => {
      const name = display(kc)
      try {
        const wc = await workloadCluster(env, kc.metadata.name!, { namespace: kc.metadata.namespace! })
        return { name, wc }
      } catch (err) {
        return { name, error: messageOf(err) }
      }
    })
    const servers = new Map<
      string,
      { primary: string; others: string[]; wc: NonNullable<(typeof reached)[number]['wc']> }
    >()
    for (const r of reached) {
      if (!r.wc) {
        out.findings.push(
          unreachableFinding(r.name, `custom app ${adRef} could not be checked there: ${r.error}`),
        )
        continue
      }
      const g = servers.get(r.wc.server)
      if (g) g.others.push(r.name)
      else servers.set(r.wc.server, { primary: r.name, others: [], wc: r.wc })
    }
    let releases = 0
    for (const g of servers.values()) {
      try {
        const read = await readServer(g.wc.kube, target)
        const hr = (await g.wc.list<HelmRelease>(...K.helmRelease, ad.metadata.namespace)).find(
          (h) => h.metadata.name === ad.metadata.name,
        )
        const where = helmReleaseTarget(hr, { name: ad.metadata.name!, namespace: ad.metadata.namespace! })
        const storage = releaseStorage(read, where.storageNamespace, where.release)
        const helm = scanHelmReleases(asScanned(storage), { cluster: g.primary, target })
        releases += helm.releases
        const objects = releaseObjects(
          read,
          { name: where.release, namespace: where.targetNamespace },
          hr ? { name: hr.metadata.name!, namespace: hr.metadata.namespace! } : undefined,
        )
        const applied = scanLastApplied(asScanned(objects), { cluster: g.primary, target })
        const shared: Record<string, string> =
          g.others.length > 0 ? { sameApiServerAs: g.others.join(',') } : {}
        for (const f of [...helm.findings, ...applied]) {
          out.findings.push({ ...f, details: { ...(f.details ?? {}), customApp: adRef, ...shared } })
        }
        log(
          `custom app ${adRef} on ${g.primary}${g.others.length ? ` (and ${g.others.length} cluster(s) on the same API server)` : ''}: Helm release ${where.storageNamespace}/${where.release}, ${helm.releases} deployed revision(s), ${objects.length} managed object(s) of removal-table kinds`,
        )
      } catch (err) {
        out.findings.push(
          unreachableFinding(g.primary, `custom app ${adRef} could not be checked there: ${messageOf(err)}`),
        )
      }
    }
    out.checked.push({
      app: adRef,
      clusters: [...servers.values()].flatMap((g) => [g.primary, ...g.others]),
      releases,
    })
  }
  out.findings = sortFindings(out.findings)
  return out
}

const describe = (f: Finding) => `${f.severity}: ${f.cluster ? `[${f.cluster}] ` : ''}${f.message}`

export const stage: StageModule = {
  name: 'custom-apps',

  status(env, cluster) {
    return gateState(
      env,
      `custom-apps:${cluster}`,
      (e) => e.to === env.target.kubernetes,
      `Kubernetes ${env.target.kubernetes}`,
      'run the custom-apps stage',
    )
  },

  async run(ctx: StageContext): Promise<StageOutcome> {
    const started = ctx.now()
    const target = ctx.target.kubernetes
    let scan: CustomAppsScan
    try {
      scan = await ctx.reporter.group(`custom apps against Kubernetes ${target}`, () =>
        scanCustomApps(ctx, target, (l) => ctx.reporter.info(l)),
      )
    } finally {
      closeWorkloads(ctx)
    }
    for (const n of scan.notes) ctx.reporter.info(n)
    const counts = countBySeverity(scan.findings)
    const errors = scan.findings.filter((f) => f.severity === 'error')
    const warnings = scan.findings.filter((f) => f.severity === 'warning')
    for (const f of warnings)
      ctx.reporter.warning(`${f.cluster ? `[${f.cluster}] ` : ''}${f.message} Fix: ${f.remedy}`)
    if (scan.findings.length > 0) {
      ctx.reporter.summary(
        renderSummary(
          {
            tool: { name: TOOL_NAME, version: toolVersion() },
            target: { kubernetes: target, dkp: ctx.target.dkp },
            findings: scan.findings,
          },
          { title: 'dkp-fleet custom-apps', maxBytes: 256 * 1024 },
        ),
      )
    }
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
    let outcome: StageOutcome
    if (errors.length > 0) {
      outcome = {
        status: 'failed',
        to: target,
        commands: [],
        message: [
          `custom apps use APIs Kubernetes ${target} no longer serves: ${counts.error} error(s), ${counts.warning} warning(s); fix them before upgrading Kubernetes`,
          ...errors.slice(0, 20).map(describe),
          ...(errors.length > 20 ? [`… and ${errors.length - 20} more`] : []),
          ...errors.slice(0, 3).map((f) => `fix: ${f.remedy}`),
        ].join('\n'),
        evidence,
        findings: scan.findings,
      }
    } else {
      outcome = {
        status: 'skipped',
        to: target,
        commands: [],
        message:
          warnings.length > 0
            ? `custom apps pass for Kubernetes ${target} with ${warnings.length} warning(s): ${warnings.slice(0, 3).map(describe).join('; ')}`
            : `custom apps pass for Kubernetes ${target}: ${appsLine}; no removed APIs found`,
        evidence,
        findings: scan.findings,
      }
    }
    await recordGate(ctx, started, outcome)
    return outcome
  },
}
