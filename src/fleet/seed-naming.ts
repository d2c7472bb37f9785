// How the seeded fleet names and sizes things: workspace and project namespaces, the catalog
// app an AppDeployment name stands for, replica counts (deterministic per name) and the
// metadata every seeded object carries (the seeded label).

import type { NodePool } from '../core/model.js'
import { SEEDED_LABEL, suffix } from './objects.js'
import { catalogAppIds } from './release-table.js'

/** Deterministic namespace of a workspace that the inventory does not name. */
export const workspaceNamespace = (ws: { name: string; namespace?: string }): string =>
  ws.namespace ?? `${ws.name}-${suffix(`workspace/${ws.name}`)}`

export const projectNamespace = (workspace: string, project: string): string =>
  `${project}-${suffix(`project/${workspace}/${project}`)}`

/**
 * Catalog app ids an AppDeployment name may stand for with a suffix (`kafka-operator-abc`):
 * every catalog app of the release table (C), plus apps of other catalogs users add (I).
 */
const KNOWN_CATALOG = [
  ...catalogAppIds(),
  'jenkins',
  'gitlab-runner',
  'harbor',
  'keycloak',
  'nfs-server-provisioner',
].sort((a, b) => b.length - a.length)

/** The catalog appId an AppDeployment name stands for (the AppDeployment is named by its user). */
export function catalogAppId(adName: string): string {
  return KNOWN_CATALOG.find((id) => adName === id || adName.startsWith(`${id}-`)) ?? adName
}

/** A synthetic "older" version below a version no catalog of the table ships. */
export function olderVersion(version: string): string {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(.*)$/.exec(version)
  if (!m) return `${version}-old`
  const [, a, b, c] = m
  const prefix = version.startsWith('v') ? 'v' : ''
  if (Number(b) > 0) return `${prefix}${a}.${Number(b) - 1}.${c}`
  if (Number(c) > 0) return `${prefix}${a}.${b}.${Number(c) - 1}`
  return `${prefix}${Math.max(0, Number(a) - 1)}.9.0`
}

/** A custom (not catalog, not platform) app seeded in every workspace. */
export const CUSTOM_APP = { appId: 'podinfo', version: '6.5.4' }

const hashByte = (s: string, i = 0): number => {
  const h = suffix(s, i + 1)
  return h.charCodeAt(i)
}

/** Control-plane replicas: 3 on mgmt, 1 or 3 on managed clusters (deterministic per name). */
export const controlPlaneReplicas = (cluster: string, mgmt: boolean): number =>
  mgmt ? 3 : hashByte(`cp/${cluster}`) % 2 === 0 ? 3 : 1

/** Node pool replicas: 2 on mgmt, 1 or 2 on managed clusters. */
export const nodePoolReplicas = (pool: string, mgmt: boolean): number =>
  mgmt ? 2 : 1 + (hashByte(`np/${pool}`) % 2)

export function nodePoolNames(cluster: string, pools: NodePool[] | undefined): string[] {
  return pools && pools.length > 0 ? pools.map((p) => p.name) : [`${cluster}-md-0`]
}

export function meta(
  name: string,
  namespace?: string,
  labels: Record<string, string> = {},
  annotations?: Record<string, string>,
) {
  return {
    name,
    ...(namespace ? { namespace } : {}),
    labels: { [SEEDED_LABEL]: 'true', ...labels },
    ...(annotations ? { annotations } : {}),
  }
}
