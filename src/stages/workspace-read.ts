// Reading workspaces: a workspace's namespace and its projects' (inventory, else the Workspace
// and Project objects), and the HelmReleases of some namespaces on each of its clusters (read
// through their kubeconfig Secrets). Shared by the workspaces, catalog-app and check stages.

import { type HelmRelease, K, type NamespacedRef } from '../core/kinds.js'
import type { WorkloadReleases } from '../core/kommander-state.js'
import type { Workspace as InventoryWorkspace } from '../core/model.js'
import type { StageEnv } from './types.js'
import { mapLimit, workloadCluster, workspaceClusters } from './workload-kube.js'

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
