// `workspace-apps`: `dkp upgrade catalogapp <app> --workspace=<ws> --to-version=<v>` for every
// catalog app the inventory lists under a workspace (reference/dkp.md §1 step 3, §2.3), one step
// per app. Done per app when its AppDeployment references App `<appId>-<v>` and the HelmReleases
// the release table lists for that app version (named after the app, in the AppDeployment's
// namespace) run the table's chart versions and are Ready at their generation on the workspace's
// clusters (src/core/catalog-state.ts). Refused (nothing run) when the AppDeployment or the
// target App is missing, the app is a platform app, or the version would go backwards. The
// catalog logic here is shared with `project-apps`.

import { type CatalogInputs, catalogAppState } from '../core/catalog-state.js'
import { catalogAppCommand } from '../core/dkp-commands.js'
import { type AppDeployment, K, type KommanderApp } from '../core/kinds.js'
import type { CatalogApp, Workspace as InventoryWorkspace } from '../core/model.js'
import { findAppRelease, loadReleaseData } from '../core/release-data.js'
import { defineStage } from './drive.js'
import { type Item, itemSteps, itemsReport, itemsState, problemItem } from './items.js'
import type { StageEnv, UpgradeStage } from './types.js'
import { resolveWorkspace, workspaceReleases } from './workspace-read.js'

export type CatalogScope = 'workspace' | 'project'

interface Unit {
  ws: InventoryWorkspace
  project?: string
  app: CatalogApp
}

/** One catalog app as read: what catalogAppState() judges, or why it cannot be upgraded. */
interface CatalogRead {
  label: string
  app: CatalogApp
  workspace: string
  project?: string
  problem?: string
  inputs?: CatalogInputs
}

function units(env: StageEnv, scope: CatalogScope): Unit[] {
  return env.inventory.workspaces.flatMap((ws) =>
    scope === 'workspace'
      ? ws.apps.map((app) => ({ ws, app }))
      : ws.projects.flatMap((p) => p.apps.map((app) => ({ ws, project: p.name, app }))),
  )
}

const labelOf = (u: Unit) => `app ${u.ws.name}/${u.project ? `${u.project}/` : ''}${u.app.name}`

/** Reads every catalog app of the scope (one list per kind, each workspace resolved once). */
export async function readCatalogApps(env: StageEnv, scope: CatalogScope): Promise<CatalogRead[]> {
  const list = units(env, scope)
  if (list.length === 0) return []
  const [data, appDeployments, apps, clusterApps] = await Promise.all([
    loadReleaseData(),
    env.snapshot.list<AppDeployment>(...K.appDeployment),
    env.snapshot.list<KommanderApp>(...K.app),
    env.snapshot.list<KommanderApp>(...K.clusterApp),
  ])
  const out: CatalogRead[] = []
  const resolvedByWs = new Map<string, Awaited<ReturnType<typeof resolveWorkspace>>>()
  for (const u of list) {
    const read: CatalogRead = { label: labelOf(u), app: u.app, workspace: u.ws.name }
    if (u.project) read.project = u.project
    out.push(read)
    let resolved = resolvedByWs.get(u.ws.name)
    if (!resolved) {
      resolved = await resolveWorkspace(env, u.ws)
      resolvedByWs.set(u.ws.name, resolved)
    }
    if (resolved.problem || !resolved.namespace) {
      read.problem = resolved.problem ?? `workspace ${u.ws.name} has no namespace`
      continue
    }
    const wsNs = resolved.namespace
    let ns = wsNs
    if (u.project) {
      const pns = resolved.projects.get(u.project)
      if (!pns) {
        read.problem = `Project ${u.project} does not exist in workspace ${u.ws.name} (namespace ${wsNs}; projects: ${[...resolved.projects.keys()].join(', ') || 'none'})`
        continue
      }
      ns = pns
    }
    // Catalog Apps live in the workspace namespace; a project may carry its own.
    const visible = [
      ...apps.filter((a) => a.metadata.namespace === ns),
      ...(ns !== wsNs ? apps.filter((a) => a.metadata.namespace === wsNs) : []),
    ]
    const { clusters } = await workspaceReleases(env, wsNs, new Set([ns]))
    const appDeployment = appDeployments.find(
      (ad) => ad.metadata.namespace === ns && ad.metadata.name === u.app.name,
    )
    read.inputs = {
      label: `${ns}/${u.app.name}`,
      version: u.app.version,
      ...(appDeployment ? { appDeployment } : {}),
      apps: visible,
      clusterApps,
      table: (appId, version) => findAppRelease(data, 'catalog', appId, version, env.target.dkp),
      releases: clusters,
    }
  }
  return out
}

/** One item per catalog app: its state (texts naming the app), command and (when it must be refused) problem. */
export function catalogItems(reads: readonly CatalogRead[]): Item[] {
  return reads.map((r) => {
    const command = catalogAppCommand(r.app, r.workspace, r.project)
    if (r.problem || !r.inputs) return problemItem(r.label, command, r.problem ?? 'not read')
    const state = catalogAppState(r.inputs)
    if (state.from && state.from !== r.app.version)
      state.evidence.unshift(`${r.label}: ${state.from} → ${r.app.version}`)
    const item: Item = {
      label: r.label,
      command,
      state: { ...state, pending: state.pending.map((p) => ({ ...p, text: `${r.label}: ${p.text}` })) },
    }
    if (state.problem) item.problem = state.problem
    return item
  })
}

export function catalogStage(name: 'workspace-apps' | 'project-apps', scope: CatalogScope) {
  const what = scope === 'workspace' ? 'workspace catalog apps' : 'project catalog apps'
  const stage: UpgradeStage<CatalogRead[]> = {
    name,
    kind: 'upgrade',
    read: (env) => readCatalogApps(env, scope),
    evaluate: (reads) => itemsState(catalogItems(reads)),
    steps: (reads) => itemSteps(catalogItems, reads, what),
    refresh(env) {
      env.snapshot.refresh()
      env.workloads.refresh()
    },
    report: itemsReport(catalogItems, what),
  }
  return defineStage(stage)
}

export const stage = catalogStage('workspace-apps', 'workspace')
