// Done-condition of the `core-addons` stage (reference/dkp.md §4): the ConfigMaps
// `dkp upgrade addons … --dry-run -o yaml` prints, and the cluster's ClusterResourceSets applied.
// Pure functions over objects.

import { parseAllDocuments } from 'yaml'
import { type CapiCluster, type Condition, condition, ref } from './kinds.js'
import { conditionText, generationSeen } from './konvoy-state.js'
import type { KubeObject } from './kube-object.js'
import { type Pending, pend, type StepState } from './step-state.js'

export interface AddonObject extends KubeObject {
  data?: Record<string, string>
  spec?: {
    clusterSelector?: { matchLabels?: Record<string, string> }
    resources?: { kind: string; name: string }[]
  }
  status?: { observedGeneration?: number; conditions?: Condition[] }
}

/** What `dkp upgrade addons … --dry-run -o yaml` printed: the objects it would write. */
export interface AddonExpectation {
  configMaps: AddonObject[]
  clusterResourceSets: AddonObject[]
}

/**
 * Parses the dry-run output: YAML documents (or a `kind: List`), anything else ignored (the
 * progress lines dkp prints are not YAML mappings with a kind).
 */
export function parseAddonDryRun(text: string): AddonExpectation {
  const out: AddonExpectation = { configMaps: [], clusterResourceSets: [] }
  const visit = (o: unknown) => {
    if (!o || typeof o !== 'object') return
    const obj = o as AddonObject & { items?: unknown[] }
    if (obj.kind === 'List' && Array.isArray(obj.items)) return obj.items.forEach(visit)
    if (obj.kind === 'ConfigMap') out.configMaps.push(obj)
    else if (obj.kind === 'ClusterResourceSet') out.clusterResourceSets.push(obj)
  }
  // JSON output (`-o json`) is one document too; YAML parses it. Progress lines dkp prints on
  // stdout before a document (`Generating addon resources`) are dropped.
  for (const chunk of text.split(/^---[ \t]*$/m)) {
    const lines = chunk.split('\n')
    const start = lines.findIndex((l) => /^(\s*[\w.\-/"']+\s*:(\s|$)|\s*[{[]|\s*#)/.test(l))
    if (start < 0) continue
    for (const doc of parseAllDocuments(lines.slice(start).join('\n'))) {
      if (doc.errors.length > 0) continue
      visit(doc.toJS())
    }
  }
  return out
}

/** Image references in a ConfigMap's manifests, for evidence. */
export function imagesOf(cm: AddonObject): string[] {
  const images = new Set<string>()
  for (const text of Object.values(cm.data ?? {})) {
    for (const m of text.matchAll(/\bimage:\s*["']?([^\s"']+)/g)) images.add(m[1]!)
  }
  return [...images]
}

const sameData = (a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean => {
  const ka = Object.keys(a ?? {}).sort()
  const kb = Object.keys(b ?? {}).sort()
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a?.[k] === b?.[k])
}

/** A ClusterResourceSet applied its resources at its current generation. */
export function crsApplied(crs: AddonObject): { ok: boolean; detail: string } {
  const c = condition(crs, 'ResourcesApplied')
  if (c?.status !== 'True')
    return { ok: false, detail: `ClusterResourceSet ${ref(crs)}: ${conditionText(c, 'ResourcesApplied')}` }
  if (!generationSeen(crs))
    return {
      ok: false,
      detail: `ClusterResourceSet ${ref(crs)}: generation ${crs.metadata.generation} not applied yet`,
    }
  return { ok: true, detail: `ClusterResourceSet ${ref(crs)}: ResourcesApplied` }
}

/**
 * Core addons at target: every ConfigMap the dry run prints exists with the same data, every
 * ClusterResourceSet it prints exists, and the cluster's ClusterResourceSets are applied.
 */
export function addonsState(
  live: { configMaps: AddonObject[]; clusterResourceSets: AddonObject[] },
  expected: AddonExpectation,
  dkpVersion: string,
): StepState {
  const evidence: string[] = []
  const pending: Pending[] = []
  for (const want of expected.configMaps) {
    const name = want.metadata.name!
    const cm = live.configMaps.find((c) => c.metadata.name === name)
    if (!cm) pending.push(pend('config-differs', `ConfigMap ${name} missing`, `ConfigMap ${name}`))
    else if (!sameData(cm.data, want.data)) {
      const have = imagesOf(cm)
      pending.push(
        pend(
          'config-differs',
          `ConfigMap ${ref(cm)} differs from dkp ${dkpVersion}${have.length ? ` (runs ${have.join(', ')}; wants ${imagesOf(want).join(', ')})` : ''}`,
          `ConfigMap ${ref(cm)}`,
        ),
      )
    } else {
      const images = imagesOf(cm)
      evidence.push(
        `ConfigMap ${ref(cm)} matches dkp ${dkpVersion}${images.length ? ` (${images.join(', ')})` : ''}`,
      )
    }
  }
  for (const want of expected.clusterResourceSets) {
    if (!live.clusterResourceSets.some((c) => c.metadata.name === want.metadata.name))
      pending.push(
        pend(
          'config-differs',
          `ClusterResourceSet ${want.metadata.name} missing`,
          `ClusterResourceSet ${want.metadata.name}`,
        ),
      )
  }
  for (const crs of live.clusterResourceSets) {
    const a = crsApplied(crs)
    if (a.ok) evidence.push(a.detail)
    else pending.push(pend('converging', a.detail, `ClusterResourceSet ${ref(crs)}`))
  }
  if (expected.configMaps.length === 0 && expected.clusterResourceSets.length === 0) {
    pending.push(
      pend(
        'unreadable',
        `dkp upgrade addons --dry-run printed no ConfigMaps or ClusterResourceSets to compare`,
      ),
    )
  }
  return { done: pending.length === 0, evidence, pending }
}

/**
 * The ClusterResourceSets of a cluster: those in its namespace whose selector matches the
 * Cluster's labels and whose name ends in `-<cluster>` (per-cluster addons, `<addon>-<c>`;
 * global ones are the CAPI components' business).
 */
export function clusterResourceSetsOf(all: AddonObject[], cluster: CapiCluster): AddonObject[] {
  const labels = cluster.metadata.labels ?? {}
  const ns = cluster.metadata.namespace
  return all.filter((crs) => {
    if (crs.metadata.namespace !== ns || !crs.metadata.name?.endsWith(`-${cluster.metadata.name}`))
      return false
    const want = crs.spec?.clusterSelector?.matchLabels ?? {}
    return Object.keys(want).length > 0 && Object.entries(want).every(([k, v]) => labels[k] === v)
  })
}
