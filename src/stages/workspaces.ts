// `workspaces`: `dkp upgrade workspace <name>` for every inventory workspace not yet at target
// (reference/dkp.md §1 step 2, §2.2). The management workspace (namespace `kommander`) is
// covered by the kommander stage. Done per workspace when its platform AppDeployments (workspace
// and project namespaces) reference the release's ClusterApps, and on each of its clusters (read
// through their kubeconfig Secrets) every HelmRelease in the workspace namespace is Ready at its
// generation and (where the release table knows the target) every HelmRelease the table lists
// for the enabled apps runs the table's chart version (kommander-state.ts, docs/stages.md).

import { workspaceCommand } from '../core/dkp-commands.js'
import {
  type AppDeployment,
  type HelmRelease,
  K,
  type KommanderApp,
  type NamespacedRef,
} from '../core/kinds.js'
import { KOMMANDER_NS, platformTargets } from '../core/kommander-releases.js'
import { type WorkloadReleases, workspaceState } from '../core/kommander-state.js'
import type { Workspace as InventoryWorkspace } from '../core/model.js'
import { loadReleaseData } from '../core/release-data.js'
import { kommanderStatus } from './kommander.js'
import { type ItemState, itemsState, upgradeItems } from './kommander-state.js'
import type { StageEnv, StageModule, StepState } from './types.js'
import {
  closeWorkloads,
  mapLimit,
  refreshWorkloads,
  workloadCluster,
  workspaceClusters,
} from './workload-kube.js'

/** Workspace clusters read at once. */
const CLUSTER_CONCURRENCY = 8

export interface ResolvedWorkspace {
  name: string
  /** Undefined when neither the inventory nor a Workspace object names it. */
  namespace?: string
  /** Project name → namespace, for the Projects found in the workspace namespace. */
  projects: Map<string, string>
  /** Set when the Workspace object is missing. */
  problem?: string
}

/**
 * The workspace's namespace (inventory, else the Workspace's `status.namespaceRef.name`, else
 * `spec.namespaceName`) and its Projects' namespaces. A missing Workspace is a problem naming it.
 */
export async function resolveWorkspace(env: StageEnv, ws: InventoryWorkspace): Promise<ResolvedWorkspace> {
  const [workspaces, projects] = await Promise.all([
    env.snapshot.list<NamespacedRef>(...K.workspace),
    env.snapshot.list<NamespacedRef>(...K.project),
  ])
  const obj = workspaces.find((w) => w.metadata.name === ws.name)
  const out: ResolvedWorkspace = { name: ws.name, projects: new Map() }
  const namespace = ws.namespace ?? obj?.status?.namespaceRef?.name ?? obj?.spec?.namespaceName
  if (namespace) out.namespace = namespace
  const live = obj?.status?.namespaceRef?.name ?? obj?.spec?.namespaceName
  if (!obj) {
    const known = workspaces.map((w) => w.metadata.name).filter((n) => n !== undefined)
    out.problem = `Workspace ${ws.name} does not exist on the management cluster (workspaces: ${known.join(', ') || 'none'})`
  } else if (ws.namespace && live && live !== ws.namespace) {
    // Reading the wrong namespace would find nothing to upgrade and skip the workspace.
    out.problem = `the inventory gives workspace ${ws.name} namespace ${ws.namespace}, but its Workspace uses ${live}: fix workspaces[].namespace (or leave it out to read it from the cluster)`
  }
  if (namespace) {
    for (const p of projects) {
      if (p.metadata.namespace !== namespace) continue
      const pns = p.status?.namespaceRef?.name ?? p.spec?.namespaceName
      if (pns) out.projects.set(p.metadata.name!, pns)
    }
  }
  return out
}

/** Reads the HelmReleases of some namespaces on every cluster of a workspace. */
export async function workspaceReleases(
  env: StageEnv,
  namespace: string,
  namespaces: ReadonlySet<string>,
): Promise<{ clusters: WorkloadReleases[]; notes: string[] }> {
  const notes: string[] = []
  const members = (await workspaceClusters(env, namespace)).filter((kc) => {
    if (kc.spec?.kubeconfigRef?.name) return true
    notes.push(
      `cluster ${kc.metadata.name}: no kubeconfigRef (phase ${kc.status?.phase ?? 'unknown'}), not checked`,
    )
    return false
  })
  const clusters = await mapLimit(members, CLUSTER_CONCURRENCY, async (kc) => {
    const cluster = await workloadCluster(env, kc.metadata.name!, { namespace })
    const all = await cluster.list<HelmRelease>(...K.helmRelease)
    return {
      cluster: kc.metadata.name!,
      helmReleases: all.filter((hr) => namespaces.has(hr.metadata.namespace!)),
    }
  })
  return { clusters, notes }
}

/** One item per inventory workspace: its state, command and (when it cannot be upgraded) problem. */
export async function workspaceItems(env: StageEnv): Promise<ItemState[]> {
  const [release, appDeployments, clusterApps] = await Promise.all([
    loadReleaseData().then((data) => data.platform(env.target.dkp)),
    env.snapshot.list<AppDeployment>(...K.appDeployment),
    env.snapshot.list<KommanderApp>(...K.clusterApp),
  ])
  const targets = platformTargets(
    appDeployments.filter((ad) => ad.metadata.namespace === KOMMANDER_NS),
    clusterApps,
  )
  const items: ItemState[] = []
  for (const ws of env.inventory.workspaces) {
    const label = `workspace ${ws.name}`
    const resolved = await resolveWorkspace(env, ws)
    if (resolved.problem || !resolved.namespace) {
      const problem = resolved.problem ?? `workspace ${ws.name} has no namespace`
      items.push({
        label,
        state: { done: false, evidence: [], pending: [problem] },
        command: workspaceCommand(ws.name),
        problem,
      })
      continue
    }
    if (resolved.namespace === KOMMANDER_NS) {
      items.push({
        label,
        state: {
          done: true,
          evidence: [
            `${label} is the management workspace (namespace ${KOMMANDER_NS}): covered by the kommander stage`,
          ],
          pending: [],
        },
        command: workspaceCommand(ws.name),
      })
      continue
    }
    const projectNamespaces = [...resolved.projects.values()]
    const { clusters, notes } = await workspaceReleases(
      env,
      resolved.namespace,
      new Set([resolved.namespace, ...projectNamespaces]),
    )
    const state: StepState = workspaceState({
      workspace: ws.name,
      namespace: resolved.namespace,
      projectNamespaces,
      target: env.target.dkp,
      release,
      appDeployments,
      clusterApps,
      targets,
      clusters,
      notes,
    })
    items.push({ label, state, command: workspaceCommand(ws.name) })
  }
  return items
}

export const stage: StageModule = {
  name: 'workspaces',
  // The workspaces follow the management cluster's ClusterApps: they are at the plan's target
  // only once Kommander is, else "done" would only mean "matches the old release".
  async status(env) {
    const [kommander, items] = await Promise.all([kommanderStatus(env), workspaceItems(env)])
    const state = itemsState(items)
    if (kommander.done) return state
    return { ...state, done: false, pending: [`Kommander is not at ${env.target.dkp} yet`, ...state.pending] }
  },

  async run(ctx) {
    try {
      return await upgradeItems(ctx, {
        what: 'workspace platform apps',
        read: () => workspaceItems(ctx),
        refresh: () => refreshWorkloads(ctx),
      })
    } finally {
      closeWorkloads(ctx)
    }
  },
}
