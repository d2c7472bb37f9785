// Custom apps (design.md): AppDeployments that are neither platform apps nor catalog apps listed in
// the inventory, the clusters each targets, and where its Helm release is stored. Pure functions
// over objects; the custom-apps gate (src/stages/custom-apps.ts) reads and scans.

import type { AppDeployment, HelmRelease, KommanderCluster, NamespacedRef } from './kinds.js'
import type { Inventory } from './model.js'

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
