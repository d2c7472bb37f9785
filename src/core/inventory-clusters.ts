// The clusters of an inventory, from every document: unique names (the management cluster's
// included), known workspaces, attached clusters without Konvoy fields, clusters whose
// provider dkp does not upgrade (planned like attached ones), and managed clusters with their
// node pools (unique per namespace), window, wave and provider checks. Pure.

import {
  type BuildContext,
  given,
  here,
  isObject,
  items,
  type ParsedDoc,
  type Raw,
  where,
} from './inventory-doc.js'
import { nodepoolsOf, normalizeArgs, windowOf } from './inventory-fields.js'
import { checkProvider } from './inventory-provider-checks.js'
import { listed, suggest } from './inventory-wording.js'
import type { AttachedCluster, Cluster, Management, SourceRef, Workspace } from './model.js'
import { upgradedOutsideDkp } from './providers.js'
import { fieldPath, type PathSegment } from './yaml-source.js'

/** Fields only a Konvoy cluster has. */
const KONVOY_FIELDS = ['nodepools', 'controlPlane', 'wave', 'canary', 'nodes', 'window', 'namespace'] as const

/** One cluster entry being read: its document, path, raw value, name and workspace. */
interface Entry {
  doc: ParsedDoc
  path: PathSegment[]
  raw: Raw
  name: string
  workspace: string
  source: SourceRef
}

export function buildClusters(
  ctx: BuildContext,
  docs: ParsedDoc[],
  management: Management | undefined,
  workspaces: Workspace[],
  workspaceNamesInvalid: boolean,
): Cluster[] {
  const clusters: Cluster[] = []
  const clusterAt = new Map<string, SourceRef>()
  if (management) clusterAt.set(management.name, management.source)
  const workspaceNames = workspaces.map((w) => w.name)
  // MachineDeployment names are unique per namespace: two clusters sharing one cannot both own `md-0`.
  const poolOwner = new Map<string, string>()
  const namespaceOf = (ws: string, ns: unknown) =>
    typeof ns === 'string' ? ns : (workspaces.find((w) => w.name === ws)?.namespace ?? `workspace:${ws}`)
  for (const doc of docs) {
    items(doc.value.clusters).forEach((raw, i) => {
      const path = ['clusters', i]
      if (!isObject(raw) || typeof raw.name !== 'string') return
      const source = here(doc.src, path)
      const name = raw.name
      const previous = clusterAt.get(name)
      if (previous) {
        const what = management && name === management.name ? 'the management cluster' : 'another cluster'
        ctx.problems.push({
          source: here(doc.src, [...path, 'name']),
          path: `${fieldPath(path)}.name`,
          message: `cluster name "${name}" is already used by ${what} at ${where(previous)}`,
        })
        return
      }
      clusterAt.set(name, source)
      const workspace = typeof raw.workspace === 'string' ? raw.workspace : ''
      if (workspace && !workspaceNames.includes(workspace) && !workspaceNamesInvalid) {
        const hint = suggest(workspace, workspaceNames)
        ctx.problems.push({
          source: here(doc.src, [...path, 'workspace']),
          path: `${fieldPath(path)}.workspace`,
          message: `unknown workspace "${workspace}"${hint ? ` (did you mean "${hint}"?)` : ''}; defined workspaces: ${listed(workspaceNames)}`,
        })
      }
      const entry: Entry = { doc, path, raw, name, workspace, source }
      if (raw.attached === true) clusters.push(attachedCluster(ctx, entry))
      else clusters.push(managedCluster(ctx, entry, poolOwner, namespaceOf(workspace, raw.namespace)))
    })
  }
  return clusters
}

/** `attached: true`: DKP upgrades only its apps, so Konvoy fields are mistakes. */
function attachedCluster(ctx: BuildContext, e: Entry): Cluster {
  for (const field of KONVOY_FIELDS) {
    if (given(e.doc, [...e.path, field])) {
      ctx.problems.push({
        source: here(e.doc.src, [...e.path, field]),
        path: `${fieldPath(e.path)}.${field}`,
        message: `an attached cluster has no ${field}: DKP upgrades only its apps; its Kubernetes is upgraded outside DKP`,
      })
    }
  }
  return {
    name: e.name,
    workspace: e.workspace,
    attached: true,
    ...(e.raw.allowInsecureSkipTlsVerify === true ? { allowInsecureSkipTlsVerify: true } : {}),
    ...(typeof e.raw.auditLog === 'string' ? { auditLog: e.raw.auditLog } : {}),
    source: e.source,
  }
}

/** A managed cluster, or one whose provider the target's dkp does not upgrade (then planned like attached). */
function managedCluster(
  ctx: BuildContext,
  e: Entry,
  poolOwner: Map<string, string>,
  namespace: string,
): Cluster {
  const { doc, path, raw, name } = e
  if (!given(doc, [...path, 'provider'])) {
    ctx.problems.push({
      source: here(doc.src, path),
      path: `${fieldPath(path)}.provider`,
      message: 'required for a managed cluster (or set attached: true)',
    })
  }
  const outside = ctx.target ? upgradedOutsideDkp(String(raw.provider ?? ''), ctx.target.dkp) : undefined
  if (outside) return outsideDkpCluster(ctx, e, outside)
  const cluster: Cluster = {
    name,
    workspace: e.workspace,
    attached: false,
    provider: String(raw.provider ?? ''),
    controlPlane: { args: normalizeArgs((raw.controlPlane as Raw | undefined)?.args) },
    wave: raw.canary === true ? 0 : typeof raw.wave === 'number' ? raw.wave : 1,
    canary: raw.canary === true,
    source: e.source,
  }
  if (typeof raw.namespace === 'string') cluster.namespace = raw.namespace
  if (raw.allowInsecureSkipTlsVerify === true) cluster.allowInsecureSkipTlsVerify = true
  if (typeof raw.auditLog === 'string') cluster.auditLog = raw.auditLog
  if (typeof raw.nodes === 'number') cluster.nodes = raw.nodes
  if (raw.nodepools !== undefined) {
    cluster.nodepools = nodepoolsOf(raw.nodepools)
    claimNodePools(ctx, e, cluster.nodepools, poolOwner, namespace)
  }
  if (isObject(raw.window)) cluster.window = windowOf(raw.window, doc.src, [...path, 'window'], ctx.problems)
  checkProvider(ctx, {
    doc,
    base: path,
    raw,
    provider: cluster.provider,
    pools: cluster.nodepools,
    controlPlaneArgs: cluster.controlPlane.args,
  })
  if (raw.canary === true && raw.wave !== undefined) {
    ctx.warnings.push({
      source: here(doc.src, [...path, 'wave']),
      path: `${fieldPath(path)}.wave`,
      message: 'ignored: canaries always run in wave 0',
    })
  }
  return cluster
}

/** The target's dkp has no Konvoy commands for its provider: plan it like an attached cluster. */
function outsideDkpCluster(
  ctx: BuildContext,
  e: Entry,
  outside: NonNullable<ReturnType<typeof upgradedOutsideDkp>>,
): AttachedCluster {
  for (const field of KONVOY_FIELDS) {
    if (given(e.doc, [...e.path, field])) {
      ctx.warnings.push({
        source: here(e.doc.src, [...e.path, field]),
        path: `${fieldPath(e.path)}.${field}`,
        message: `ignored: ${outside.reason}, so this cluster is planned like an attached one (its provider's tool upgrades its Kubernetes)`,
      })
    }
  }
  return {
    name: e.name,
    workspace: e.workspace,
    attached: true,
    provider: outside.provider,
    ...(typeof e.raw.auditLog === 'string' ? { auditLog: e.raw.auditLog } : {}),
    source: e.source,
  }
}

/** Node pool names are MachineDeployment names: unique per namespace (and per cluster). */
function claimNodePools(
  ctx: BuildContext,
  e: Entry,
  pools: { name: string }[],
  poolOwner: Map<string, string>,
  namespace: string,
): void {
  pools.forEach((pool, j) => {
    const key = `${namespace}/${pool.name}`
    const other = poolOwner.get(key)
    if (other) {
      ctx.problems.push({
        source: here(e.doc.src, [...e.path, 'nodepools', j]),
        path: fieldPath([...e.path, 'nodepools', j]),
        message:
          other === e.name
            ? `node pool "${pool.name}" is listed twice`
            : `node pool "${pool.name}" is also a node pool of cluster "${other}" in the same namespace; MachineDeployment names are unique per namespace (DKP names them <cluster>-md-0)`,
      })
    }
    poolOwner.set(key, e.name)
  })
}
