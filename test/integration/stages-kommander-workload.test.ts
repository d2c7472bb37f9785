// workload-kube: reaching a workspace/managed/attached cluster through its kubeconfig Secret on
// the management cluster, on the real apiserver. Both Secret keys, the CAPI fallback, the
// management cluster itself, caching (API calls per kind and cluster, clients shared by
// identical kubeconfigs), masking, and a clear error naming the cluster for every way it can
// fail (unreachable, Secret missing, no kubeconfig key, not joined, unknown).

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildPlan } from '../../src/core/plan.js'
import { loadInventory } from '../../src/effects/inventory-files.js'
import type { Kube } from '../../src/effects/kube.js'
import { packageRoot } from '../../src/fleet/control-plane.js'
import { API } from '../../src/fleet/objects.js'
import { makeEnv } from '../../src/stages/execute.js'
import { K } from '../../src/stages/kinds.js'
import type { StageEnv } from '../../src/stages/types.js'
import {
  closeWorkloads,
  refreshWorkloads,
  workloadCluster,
  workspaceClusters,
} from '../../src/stages/workload-kube.js'
import { createNamespace, useTestCluster } from '../kube/harness.js'

const tc = useTestCluster()
let ns: string
let mgmtKube: Kube
let env: StageEnv
let kubeconfig: string

async function secret(name: string, data: Record<string, string>) {
  await tc.kube.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: ns },
    stringData: data,
  })
}

async function kommanderCluster(name: string, kubeconfigRef?: string) {
  await tc.kube.create({
    apiVersion: API.kommander,
    kind: 'KommanderCluster',
    metadata: { name, namespace: ns },
    spec: kubeconfigRef ? { kubeconfigRef: { name: kubeconfigRef } } : {},
  })
}

beforeAll(async () => {
  ns = await createNamespace(tc.kube, 'ws')
  kubeconfig = readFileSync(tc.kubeconfigPath, 'utf8')
  const down = JSON.parse(kubeconfig)
  for (const c of down.clusters) c.cluster.server = 'https://127.0.0.1:1'
  await secret('managed-kubeconfig', { value: kubeconfig })
  await secret('attached-kubeconfig', { kubeconfig })
  await secret('down-kubeconfig', { value: JSON.stringify(down) })
  await secret('badkey-kubeconfig', { other: 'x' })
  await secret('capi-only-kubeconfig', { value: kubeconfig })
  await kommanderCluster('managed', 'managed-kubeconfig')
  await kommanderCluster('attached', 'attached-kubeconfig')
  await kommanderCluster('down', 'down-kubeconfig')
  await kommanderCluster('nosecret', 'nosecret-kubeconfig')
  await kommanderCluster('badkey', 'badkey-kubeconfig')
  await kommanderCluster('pending')
  await tc.kube.create({
    apiVersion: API.cluster,
    kind: 'Cluster',
    metadata: { name: 'capi-only', namespace: ns },
    spec: {},
  })
  const { inventory } = await loadInventory(join(packageRoot(), 'examples', 'fleet.yaml'))
  mgmtKube = tc.client()
  env = makeEnv(
    { inventory, plan: buildPlan(inventory) },
    mgmtKube,
    new AbortController().signal,
    () => new Date(),
  )
})

describe('workloadCluster', () => {
  it('reads through the Secret a KommanderCluster names (keys value and kubeconfig), masking its credentials', async () => {
    const masked: string[] = []
    const reporter = { secret: (v: string) => masked.push(v) }
    const managed = await workloadCluster(env, 'managed', { namespace: ns, reporter })
    expect(managed.source).toBe(`Secret ${ns}/managed-kubeconfig (key value)`)
    expect(managed.management).toBe(false)
    expect(managed.server).toBe(tc.server)
    expect(masked).toContain(tc.adminToken)
    const attached = await workloadCluster(env, 'attached', { reporter })
    expect(attached.source).toBe(`Secret ${ns}/attached-kubeconfig (key kubeconfig)`)
    const clusters = await attached.list(...K.kommanderCluster, ns)
    expect(clusters.map((c) => c.metadata.name).sort()).toEqual([
      'attached',
      'badkey',
      'down',
      'managed',
      'nosecret',
      'pending',
    ])
  })

  it('falls back to the CAPI <cluster>-kubeconfig Secret, and to the management connection for the management cluster', async () => {
    expect((await workloadCluster(env, 'capi-only')).source).toBe(
      `Secret ${ns}/capi-only-kubeconfig (key value)`,
    )
    const mgmt = await workloadCluster(env, 'mgmt')
    expect(mgmt).toMatchObject({ management: true, source: 'the management kubeconfig' })
    expect(mgmt.kube).toBe(env.kube)
    expect(mgmt.snapshot).toBe(env.snapshot)
  })

  it('caches per cluster and shares one client between identical kubeconfigs; lists once per kind until refreshed', async () => {
    const a = await workloadCluster(env, 'managed', { namespace: ns })
    const again = await workloadCluster(env, 'managed', { namespace: ns })
    const b = await workloadCluster(env, 'attached', { namespace: ns })
    expect(again).toBe(a)
    expect(b.kube).toBe(a.kube)
    await a.list(...K.helmRelease)
    const before = a.kube.requests
    await a.list(...K.helmRelease, ns)
    await b.list(...K.helmRelease)
    expect(a.kube.requests).toBe(before)
    refreshWorkloads(env)
    await b.list(...K.helmRelease)
    expect(a.kube.requests).toBe(before + 1)
    closeWorkloads(env)
    await b.list(...K.kommanderCluster) // still usable after close
  })

  it('an unreachable cluster is an error naming the cluster, its server and the Secret', async () => {
    const down = await workloadCluster(env, 'down', { namespace: ns })
    const started = Date.now()
    await expect(down.list(...K.helmRelease)).rejects.toThrow(
      new RegExp(
        `^cluster down is unreachable at https://127\\.0\\.0\\.1:1 \\(kubeconfig from Secret ${ns}/down-kubeconfig \\(key value\\)\\): `,
      ),
    )
    expect(Date.now() - started).toBeLessThan(15_000)
  })

  it('names the cluster when its kubeconfig cannot be had', async () => {
    await expect(workloadCluster(env, 'nosecret')).rejects.toThrow(
      `cluster nosecret: its kubeconfig Secret ${ns}/nosecret-kubeconfig (from KommanderCluster ${ns}/nosecret) does not exist`,
    )
    await expect(workloadCluster(env, 'badkey')).rejects.toThrow(
      `cluster badkey: Secret ${ns}/badkey-kubeconfig has no kubeconfig under key "value" or "kubeconfig" (keys: other)`,
    )
    await expect(workloadCluster(env, 'pending')).rejects.toThrow(
      `cluster pending: KommanderCluster ${ns}/pending has no spec.kubeconfigRef (phase unknown): it is not joined, its kubeconfig is unknown`,
    )
    await expect(workloadCluster(env, 'nowhere')).rejects.toThrow(
      'cluster nowhere: no KommanderCluster and no CAPI Cluster of that name on the management cluster, so its kubeconfig Secret is unknown',
    )
    // a failure is not cached: once the Secret exists the cluster is reachable
    await secret('nosecret-kubeconfig', { value: kubeconfig })
    expect((await workloadCluster(env, 'nosecret')).source).toBe(
      `Secret ${ns}/nosecret-kubeconfig (key value)`,
    )
  })

  it('workspaceClusters lists the KommanderClusters of a workspace namespace', async () => {
    env.snapshot.refresh()
    expect((await workspaceClusters(env, ns)).length).toBe(6)
  })
})
