// `workspace-apps`: `dkp upgrade catalogapp <app> --workspace=<ws> --to-version=<v>` for every
// catalog app the inventory lists under a workspace (reference/dkp.md §1 step 3, §2.3). Done
// per app when its AppDeployment references App `<appId>-<v>` and the HelmReleases the release
// table lists for that app version (named after the app, in the AppDeployment's namespace) run
// the table's chart versions and are Ready at their generation on the workspace's clusters. Refused (nothing run) when the AppDeployment or the
// target App is missing, the app is a platform app, or the version would go backwards.
// The catalog logic here is shared with `project-apps`.

import { catalogAppState } from '../core/catalog-state.js'
import { catalogAppCommand } from '../core/dkp-commands.js'
import { type AppDeployment, K, type KommanderApp } from '../core/kinds.js'
import type { CatalogApp, Workspace as InventoryWorkspace } from '../core/model.js'
import { findAppRelease, loadReleaseData } from '../core/release-data.js'
import { type ItemState, itemsState, upgradeItems } from './kommander-state.js'
import type { StageContext, StageEnv, StageModule, StageOutcome } from './types.js'
import { closeWorkloads, refreshWorkloads } from './workload-kube.js'
import { resolveWorkspace, workspaceReleases } from './workspaces.js'

export type CatalogScope = 'workspace' | 'project'

interface Unit {
  ws: InventoryWorkspace
  project?: string
  app: CatalogApp
}

function units(env: StageEnv, scope: CatalogScope): Unit[] {
  return env.inventory.workspaces.flatMap((ws) =>
    scope === 'workspace'
      ? ws.apps.map((app) => ({ ws, app }))
      : ws.projects.flatMap((p) => p.apps.map((app) => ({ ws, project: p.name, app }))),
  )
}

const labelOf = (u: Unit) => `app ${u.ws.name}/${u.project ? `${u.project}/` : ''}${u.app.name}`

/** One item per catalog app of the scope: its state, command and (when it must be refused) problem. */
export async function catalogItems(env: StageEnv, scope: CatalogScope): Promise<ItemState[]> {
  const list = units(env, scope)
  if (list.length === 0) return []
  const [data, appDeployments, apps, clusterApps] = await Promise.all([
    loadReleaseData(),
    env.snapshot.list<AppDeployment>(...K.appDeployment),
    env.snapshot.list<KommanderApp>(...K.app),
    env.snapshot.list<KommanderApp>(...K.clusterApp),
  ])
  const items: ItemState[] = []
  const resolvedByWs = new Map<string, Awaited<ReturnType<typeof resolveWorkspace>>>()
  for (const u of list) {
    const label = labelOf(u)
    const command = catalogAppCommand(u.app, u.ws.name, u.project)
    const refuse = (problem: string) =>
      items.push({ label, command, problem, state: { done: false, evidence: [], pending: [problem] } })
    let resolved = resolvedByWs.get(u.ws.name)
    if (!resolved) {
      resolved = await resolveWorkspace(env, u.ws)
      resolvedByWs.set(u.ws.name, resolved)
    }
    if (resolved.problem || !resolved.namespace) {
      refuse(resolved.problem ?? `workspace ${u.ws.name} has no namespace`)
      continue
    }
    const wsNs = resolved.namespace
    let ns = wsNs
    if (u.project) {
      const pns = resolved.projects.get(u.project)
      if (!pns) {
        refuse(
          `Project ${u.project} does not exist in workspace ${u.ws.name} (namespace ${wsNs}; projects: ${[...resolved.projects.keys()].join(', ') || 'none'})`,
        )
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
    const state = catalogAppState({
      label: `${ns}/${u.app.name}`,
      version: u.app.version,
      appDeployment: appDeployments.find(
        (ad) => ad.metadata.namespace === ns && ad.metadata.name === u.app.name,
      ),
      apps: visible,
      clusterApps,
      table: (appId, version) => findAppRelease(data, 'catalog', appId, version, env.target.dkp),
      releases: clusters,
    })
    if (state.from && state.from !== u.app.version)
      state.evidence.unshift(`${label}: ${state.from} → ${u.app.version}`)
    const item: ItemState = { label, state, command }
    if (state.problem) item.problem = state.problem
    items.push(item)
  }
  return items
}

export function catalogStage(name: 'workspace-apps' | 'project-apps', scope: CatalogScope): StageModule {
  return {
    name,
    status: async (env) => itemsState(await catalogItems(env, scope)),
    async run(ctx: StageContext): Promise<StageOutcome> {
      try {
        return await upgradeItems(ctx, {
          what: scope === 'workspace' ? 'workspace catalog apps' : 'project catalog apps',
          read: () => catalogItems(ctx, scope),
          refresh: () => refreshWorkloads(ctx),
        })
      } finally {
        closeWorkloads(ctx)
      }
    },
  }
}

export const stage: StageModule = catalogStage('workspace-apps', 'workspace')
