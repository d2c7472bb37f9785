// ClusterResourceSet controller: a new or changed CRS gets ResourcesApplied=True for every
// matching Cluster, and the cluster's ClusterResourceSetBinding records each applied ConfigMap
// with its hash (re-recorded when the ConfigMap content changes).

import { type AnyObject, type Condition, capiCondition, setCondition } from '../objects.js'
import { configMapHash } from '../seed.js'
import { sameContent, spec, status, type TickContext } from './context.js'

const MANAGER = 'capi-controller-manager'

interface BindingEntry {
  clusterResourceSetName: string
  resources: { kind: string; name: string; applied: boolean; hash?: string; lastAppliedTime?: string }[]
}

function selects(crs: AnyObject, cluster: AnyObject): boolean {
  const want = spec<Record<string, string>>(crs, 'clusterSelector', 'matchLabels') ?? {}
  const labels = cluster.metadata.labels ?? {}
  return Object.keys(want).length > 0 && Object.entries(want).every(([k, v]) => labels[k] === v)
}

export function reconcileClusterResourceSets(ctx: TickContext): void {
  const clusters = ctx.snap.all('Cluster')
  const wanted = new Map<string, BindingEntry[]>()
  for (const crs of ctx.snap.all('ClusterResourceSet')) {
    const ns = crs.metadata.namespace
    const targets = clusters.filter((c) => c.metadata.namespace === ns && selects(crs, c))
    const resources = spec<{ kind: string; name: string }[]>(crs, 'resources') ?? []
    applyCrs(ctx, crs, resources, targets.length > 0)
    for (const cluster of targets) {
      const k = `${ns}/${cluster.metadata.name}`
      const entries = wanted.get(k) ?? []
      entries.push({
        clusterResourceSetName: crs.metadata.name as string,
        resources: resources
          .filter((r) => ctx.snap.get(r.kind, r.name, ns))
          .map((r) => ({
            kind: r.kind,
            name: r.name,
            applied: true,
            hash: configMapHash(ctx.snap.get(r.kind, r.name, ns) as AnyObject),
          })),
      })
      wanted.set(k, entries)
    }
  }
  for (const [k, entries] of wanted) writeBinding(ctx, k, entries)
}

/** A new or changed CRS that selects clusters: ResourcesApplied (False when a resource is missing or a fault asks). */
function applyCrs(
  ctx: TickContext,
  crs: AnyObject,
  resources: { kind: string; name: string }[],
  selectsClusters: boolean,
): void {
  const ns = crs.metadata.namespace
  const missing = resources.filter((r) => !ctx.snap.get(r.kind, r.name, ns))
  const gen = crs.metadata.generation ?? 1
  const applied =
    status<Condition[]>(crs, 'conditions')?.find((c) => c.type === 'ResourcesApplied')?.status === 'True'
  if (status<number>(crs, 'observedGeneration') === gen && applied) return
  const fault = ctx.fault(crs)
  if (fault?.stall || !selectsClusters) return
  ctx.pending(crs)
  if (!ctx.due(crs, `applied/${gen}`)) return
  const ok = missing.length === 0 && !fault?.fail
  const message =
    fault?.fail ??
    (missing.length ? `failed to get ${missing.map((m) => `${m.kind} ${m.name}`).join(', ')}` : undefined)
  ctx.write({
    op: 'status',
    obj: crs,
    manager: MANAGER,
    compute: (f) => ({
      ...(f.status ?? {}),
      observedGeneration: f.metadata.generation,
      conditions: setCondition(
        status<Condition[]>(f, 'conditions'),
        capiCondition('ResourcesApplied', ok, ctx.now, 'ApplyFailed', message),
      ),
    }),
  })
}

/** The cluster's binding: each applied ConfigMap with its hash, its time kept while the hash stays. */
function writeBinding(ctx: TickContext, key: string, entries: BindingEntry[]): void {
  const [ns, name] = key.split('/') as [string, string]
  const binding = ctx.snap.get('ClusterResourceSetBinding', name, ns)
  const current = (spec<BindingEntry[]>(binding, 'bindings') ?? []) as BindingEntry[]
  entries.sort((a, b) => a.clusterResourceSetName.localeCompare(b.clusterResourceSetName))
  const merged = entries.map((e) => {
    const prev = current.find((c) => c.clusterResourceSetName === e.clusterResourceSetName)
    return {
      ...e,
      resources: e.resources.map((r) => {
        const p = prev?.resources.find((x) => x.kind === r.kind && x.name === r.name)
        return p && p.hash === r.hash
          ? { ...r, lastAppliedTime: p.lastAppliedTime ?? ctx.now }
          : { ...r, lastAppliedTime: ctx.now }
      }),
    }
  })
  const next = { clusterName: name, bindings: merged }
  if (binding && sameContent(binding.spec, next)) return
  if (!binding) {
    ctx.write({
      op: 'create',
      manager: MANAGER,
      obj: {
        apiVersion: 'addons.cluster.x-k8s.io/v1beta1',
        kind: 'ClusterResourceSetBinding',
        metadata: { name, namespace: ns, labels: { 'cluster.x-k8s.io/cluster-name': name } },
        spec: next,
      },
    })
    return
  }
  ctx.write({
    op: 'update',
    obj: binding,
    manager: MANAGER,
    compute: (f) => (sameContent(f.spec, next) ? undefined : { ...f, spec: next }),
  })
}
