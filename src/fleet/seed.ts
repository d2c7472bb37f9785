// Seeding: turns an inventory into the cluster objects of a DKP fleet at one DKP version
// (issue 5 §3, reference/dkp.md §4), on ONE API server. What is seeded and why:
// docs/test-fleet.md, "Seeding, simulator and stand-in dkp".
//
// `fleetObjects()` is pure (inventory → objects with their converged status); `seedFleet()`
// creates them: namespaces first, then every object with bounded concurrency, then the
// statuses through `/status` (what the controllers would have written).
// The pieces: seed-naming.ts (names, replicas, metadata), seed-context.ts (options, results,
// the builder), seed-kommander.ts (platform apps, workspaces, projects), seed-capi.ts (CAPI
// objects, components) and seed-clusters.ts (management, managed and attached clusters).

import type { Inventory } from '../core/model.js'
import type { Kube } from '../effects/kube.js'
import { dkpRelease } from './dkp-releases.js'
import { type AnyObject, API, kubeTime } from './objects.js'
import { seedCapiComponents } from './seed-capi.js'
import { seedClusters } from './seed-clusters.js'
import type {
  BuildOptions,
  FleetLayout,
  SeedBuilder,
  SeededObject,
  SeedOptions,
  SeedResult,
} from './seed-context.js'
import { seedManagementKommander, seedWorkspaces } from './seed-kommander.js'
import { meta } from './seed-naming.js'

export { configMapHash, deploymentAvailable } from './seed-capi.js'
export type { BuildOptions, FleetLayout, SeededObject, SeedOptions, SeedResult } from './seed-context.js'
export { gitRepositoryStatus } from './seed-kommander.js'
export {
  CUSTOM_APP,
  catalogAppId,
  controlPlaneReplicas,
  nodePoolReplicas,
  olderVersion,
  projectNamespace,
  workspaceNamespace,
} from './seed-naming.js'

/** Every object of the fleet at `opts.dkp`, in create order, with converged statuses. Pure. */
export function fleetObjects(
  inv: Inventory,
  opts: BuildOptions,
): { namespaces: string[]; objects: SeededObject[]; layout: FleetLayout; kubernetes: string } {
  const rel = dkpRelease(opts.dkp)
  const kubernetes = (opts.kubernetes ?? rel.kubernetes).replace(/^v/, '')
  const ctx: SeedBuilder = {
    dkp: rel.dkp,
    kubernetes,
    now: kubeTime(opts.now),
    kubeconfig: opts.kubeconfig ?? '',
    helmApi: opts.helmApi ?? API.helm,
    sourceApi: opts.sourceApi ?? API.source,
    out: [],
    namespaces: new Set(),
  }
  const layout: FleetLayout = { workspaces: [], clusters: [] }
  seedManagementKommander(ctx, inv, rel)
  seedWorkspaces(ctx, inv, layout)
  seedCapiComponents(ctx, inv, rel)
  seedClusters(ctx, inv, layout)
  return { namespaces: [...ctx.namespaces], objects: ctx.out, layout, kubernetes }
}

// ------------------------------------------------------------------------------- effects

async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T)
    }),
  )
}

/**
 * Seeds the fleet of `inventory` at `opts.dkp` onto the API server of `kube`. Idempotent for
 * objects that already exist (left as they are). Kinds the server does not serve among the
 * optional ones (clusterctl Provider, AWSManagedControlPlane, KommanderCore, GitRepository,
 * Velero BackupStorageLocation) are skipped and listed in the result.
 */
export async function seedFleet(kube: Kube, inventory: Inventory, opts: SeedOptions): Promise<SeedResult> {
  const started = performance.now()
  const helmApi = (await kube.hasResource(API.helm, 'HelmRelease')) ? API.helm : API.helmV1
  const sourceApi = (await kube.hasResource(API.source, 'GitRepository')) ? API.source : API.sourceV1beta2
  const { namespaces, objects, layout, kubernetes } = fleetObjects(inventory, { ...opts, helmApi, sourceApi })
  const limit = opts.concurrency ?? 24

  const served = new Map<string, boolean>()
  for (const o of objects) {
    const key = `${o.obj.apiVersion}/${o.obj.kind}`
    if (!served.has(key)) served.set(key, await kube.hasResource(o.obj.apiVersion, o.obj.kind))
  }
  const missing = [...served].filter(([, ok]) => !ok).map(([k]) => k)
  const requiredMissing = missing.filter((k) =>
    objects.some((o) => !o.optional && `${o.obj.apiVersion}/${o.obj.kind}` === k),
  )
  if (requiredMissing.length > 0) {
    throw new Error(
      `seeding needs kinds the server does not serve: ${requiredMissing.join(', ')} (CRDs installed?)`,
    )
  }

  await pool(namespaces, limit, async (name) => {
    await createOrKeep(kube, { apiVersion: 'v1', kind: 'Namespace', metadata: meta(name) })
  })
  const todo = objects.filter((o) => served.get(`${o.obj.apiVersion}/${o.obj.kind}`))
  let created = 0
  await pool(todo, limit, async (o) => {
    const { generation: _g, ...metadata } = o.obj.metadata
    const live = await createOrKeep(kube, { ...o.obj, metadata })
    if (live.created) created++
    if (o.status && live.created) {
      const status = { ...o.status }
      // the status was computed for generation 1: align with what the server assigned
      if (live.obj.metadata.generation !== undefined && 'observedGeneration' in status) {
        status.observedGeneration = live.obj.metadata.generation
      }
      await writeStatus(kube, live.obj, status)
    }
  })
  return {
    dkp: dkpRelease(opts.dkp).dkp,
    kubernetes,
    objects: created,
    skippedKinds: missing,
    ms: Math.round(performance.now() - started),
    ...layout,
  }
}

/** Merge-patches `status` through /status, or the main resource when the kind has no status subresource. */
export async function writeStatus(
  kube: Kube,
  obj: AnyObject,
  status: Record<string, unknown>,
): Promise<AnyObject> {
  const res = await kube.resource(obj.apiVersion, obj.kind)
  const args = [obj.apiVersion, obj.kind, obj.metadata.name!, obj.metadata.namespace, { status }] as const
  return res?.subresources.includes('status') ? kube.patchStatus(...args) : kube.patchMerge(...args)
}

async function createOrKeep(kube: Kube, obj: AnyObject): Promise<{ obj: AnyObject; created: boolean }> {
  try {
    return { obj: await kube.create(obj), created: true }
  } catch (err) {
    if ((err as { code?: number }).code === 409) return { obj, created: false }
    throw err
  }
}
