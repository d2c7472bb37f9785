// The clusters of a seeded fleet: the management cluster and every managed cluster with their
// CAPI objects (seed-capi.ts), attached clusters as a kubeconfig Secret, and a joined
// KommanderCluster for each.

import { type Inventory, isManaged, type ManagedCluster } from '../core/model.js'
import { API, HOST_CLUSTER, KOMMANDER_NS, vPrefixed } from './objects.js'
import { capiCluster, kubeconfigSecret } from './seed-capi.js'
import { add, type FleetLayout, namespace, type SeedBuilder } from './seed-context.js'
import { meta, nodePoolNames, workspaceNamespace } from './seed-naming.js'

/**
 * The clusters: the management cluster (CAPI objects, the host KommanderCluster), then every
 * inventory cluster: attached ones as a kubeconfig Secret and KommanderCluster, managed ones
 * with their CAPI objects as well. Node pool names must be unique per namespace.
 */
export function seedClusters(ctx: SeedBuilder, inv: Inventory, layout: FleetLayout): void {
  const mgmt = inv.management
  const mgmtPools = nodePoolNames(mgmt.name, mgmt.nodepools)
  capiCluster(ctx, {
    name: mgmt.name,
    namespace: mgmt.namespace,
    provider: mgmt.provider,
    mgmt: true,
    nodepools: mgmtPools,
  })
  kommanderCluster(ctx, HOST_CLUSTER, KOMMANDER_NS, { capi: { name: mgmt.name, namespace: mgmt.namespace } })
  layout.clusters.push({
    name: mgmt.name,
    kind: 'management',
    provider: mgmt.provider,
    namespace: mgmt.namespace,
    workspaceNamespace: KOMMANDER_NS,
    nodepools: mgmtPools,
  })
  const wsNsOf = new Map(inv.workspaces.map((w) => [w.name, workspaceNamespace(w)]))
  const poolOwner = new Map<string, string>()
  for (const c of inv.clusters) {
    const wsNs = wsNsOf.get(c.workspace) ?? workspaceNamespace({ name: c.workspace })
    if (!isManaged(c)) {
      kubeconfigSecret(ctx, `${c.name}-kubeconfig`, wsNs, 'kubeconfig', c.name)
      kommanderCluster(ctx, c.name, wsNs, { secret: `${c.name}-kubeconfig` })
      layout.clusters.push({ name: c.name, kind: 'attached', workspaceNamespace: wsNs, nodepools: [] })
      continue
    }
    seedManagedCluster(ctx, c as ManagedCluster, wsNs, poolOwner, layout)
  }
}

function seedManagedCluster(
  ctx: SeedBuilder,
  mc: ManagedCluster,
  wsNs: string,
  poolOwner: Map<string, string>,
  layout: FleetLayout,
): void {
  const ns = mc.namespace ?? wsNs
  namespace(ctx, ns)
  const pools = nodePoolNames(mc.name, mc.nodepools)
  for (const p of [...pools, `${mc.name}-control-plane`]) {
    const key = `${ns}/${p}`
    const owner = poolOwner.get(key)
    if (owner && owner !== mc.name) {
      throw new Error(
        `node pool ${key} of cluster ${mc.name} clashes with cluster ${owner}: names must be unique per namespace`,
      )
    }
    poolOwner.set(key, mc.name)
  }
  capiCluster(ctx, { name: mc.name, namespace: ns, provider: mc.provider, mgmt: false, nodepools: pools })
  if (ns !== wsNs) kubeconfigSecret(ctx, `${mc.name}-kubeconfig`, wsNs, 'value', mc.name)
  kommanderCluster(ctx, mc.name, wsNs, {
    secret: `${mc.name}-kubeconfig`,
    capi: { name: mc.name, namespace: ns },
  })
  layout.clusters.push({
    name: mc.name,
    kind: 'managed',
    provider: mc.provider,
    namespace: ns,
    workspaceNamespace: wsNs,
    nodepools: pools,
  })
}

function kommanderCluster(
  ctx: SeedBuilder,
  name: string,
  ns: string,
  opts: { secret?: string; capi?: { name: string; namespace: string } },
) {
  add(
    ctx,
    {
      apiVersion: API.kommander,
      kind: 'KommanderCluster',
      metadata: meta(name, ns),
      spec: {
        ...(opts.secret ? { kubeconfigRef: { name: opts.secret } } : {}),
        ...(opts.capi ? { clusterRef: { capiCluster: opts.capi } } : {}),
      },
    },
    {
      phase: 'Joined',
      kubernetesVersion: vPrefixed(ctx.kubernetes),
      conditions: [
        { type: 'Ready', status: 'True', reason: 'Joined', message: '', lastTransitionTime: ctx.now },
      ],
    },
  )
}
