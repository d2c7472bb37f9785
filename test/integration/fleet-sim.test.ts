// The simulated controllers, driven tick by tick (deterministic step()): what each one moves,
// in which order, how it handles a 409, and what a tick costs in API calls.

import { readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { loadInventory } from '../../src/effects/inventory-files.js'
import type { Kube, RequestEvent } from '../../src/effects/kube.js'
import { API, dig, getCondition } from '../../src/fleet/objects.js'
import { configMapHash, type SeedResult, seedFleet } from '../../src/fleet/seed.js'
import { type Simulator, startSimulator } from '../../src/fleet/sim/index.js'
import { useTestCluster } from '../kube/harness.js'

const tc = useTestCluster()
let seeded: SeedResult
let sim: Simulator
let simKube: Kube
const events: RequestEvent[] = []

describe('simulated controllers', () => {
  beforeAll(async () => {
    const { inventory } = await loadInventory('examples/fleet.yaml')
    seeded = await seedFleet(tc.kube, inventory, {
      dkp: 'v2.7.1',
      kubeconfig: readFileSync(tc.kubeconfigPath, 'utf8'),
    })
    simKube = tc.client({ fieldManager: 'sim-test' })
    simKube.onRequest((e) => events.push(e))
    sim = await startSimulator(simKube, { intervalMs: 0, coldEvery: 1 })
    await sim.settle()
  })

  it('a seeded fleet is quiet, and a tick costs one list per kind, not per object', async () => {
    events.length = 0
    const r = await sim.step()
    expect(r).toMatchObject({ writes: 0, pending: 0, errors: [] })
    expect(events.every((e) => e.method === 'GET')).toBe(true)
    // 19 kinds + the faults ConfigMap, whatever the number of objects (~430 here)
    expect(events.length).toBeLessThanOrEqual(20)
  })

  it('KubeadmControlPlane: machines roll one by one, then status.version and Ready', async () => {
    const ns = 'team-a-x7k2p'
    const name = 'prod-east-1-control-plane'
    const before = await tc.kube.get(API.controlPlane, 'KubeadmControlPlane', name, ns)
    const replicas = dig<number>(before, 'spec', 'replicas')!
    await tc.kube.patchMerge(API.controlPlane, 'KubeadmControlPlane', name, ns, {
      spec: { version: 'v1.28.7' },
    })
    const seen: { updated: number; version: string; upToDate: string; ready: string; replicas: number }[] = []
    for (let i = 0; i < 60; i++) {
      await sim.step()
      const kcp = await tc.kube.get(API.controlPlane, 'KubeadmControlPlane', name, ns)
      const s = {
        updated: dig<number>(kcp, 'status', 'updatedReplicas')!,
        version: dig<string>(kcp, 'status', 'version')!,
        upToDate: getCondition(kcp, 'MachinesSpecUpToDate')!.status,
        ready: getCondition(kcp, 'Ready')!.status,
        replicas: dig<number>(kcp, 'status', 'replicas')!,
      }
      const last = seen[seen.length - 1]
      if (!last || JSON.stringify(last) !== JSON.stringify(s)) seen.push(s)
      if (
        s.version === 'v1.28.7' &&
        s.ready === 'True' &&
        dig(kcp, 'status', 'observedGeneration') === kcp?.metadata.generation
      )
        break
    }
    // updatedReplicas ramps 0 → replicas, never more than one surge machine
    const updated = seen.map((s) => s.updated)
    expect(updated[0]).toBe(0)
    expect(updated[updated.length - 1]).toBe(replicas)
    for (let i = 1; i < updated.length; i++) expect(updated[i]! - updated[i - 1]!).toBeLessThanOrEqual(1)
    expect(Math.max(...seen.map((s) => s.replicas))).toBeLessThanOrEqual(replicas + 1)
    // MachinesSpecUpToDate False while rolling, version moves only at the end, Ready last
    expect(seen[0]).toMatchObject({ upToDate: 'False', version: 'v1.27.6', ready: 'False' })
    expect(seen.filter((s) => s.version === 'v1.28.7').every((s) => s.upToDate === 'True')).toBe(true)
    expect(seen[seen.length - 1]).toMatchObject({ upToDate: 'True', version: 'v1.28.7', ready: 'True' })
    await sim.settle()
    const cluster = await tc.kube.get(API.cluster, 'Cluster', 'prod-east-1', ns)
    expect(getCondition(cluster, 'ControlPlaneReady')?.status).toBe('True')
    const kc = await tc.kube.get(API.kommander, 'KommanderCluster', 'prod-east-1', ns)
    expect(dig(kc, 'status', 'kubernetesVersion')).toBe('v1.28.7')
  })

  it('MachineDeployment: rolls on spec.template.spec.version; ScalingUp/ScalingDown, then Running', async () => {
    const ns = 'team-a-x7k2p'
    await tc.kube.patchMerge(API.cluster, 'MachineDeployment', 'prod-east-1-md-0', ns, {
      spec: { template: { spec: { version: 'v1.28.7' } } },
    })
    const phases = new Set<string>()
    for (let i = 0; i < 60; i++) {
      await sim.step()
      const md = await tc.kube.get(API.cluster, 'MachineDeployment', 'prod-east-1-md-0', ns)
      phases.add(dig<string>(md, 'status', 'phase')!)
      if (
        dig(md, 'status', 'updatedReplicas') === dig(md, 'spec', 'replicas') &&
        dig(md, 'status', 'phase') === 'Running'
      )
        break
    }
    expect([...phases].some((p) => p === 'ScalingUp' || p === 'ScalingDown')).toBe(true)
    await sim.settle()
    const machines = await tc.kube.list(API.cluster, 'Machine', {
      namespace: ns,
      labelSelector: 'cluster.x-k8s.io/deployment-name=prod-east-1-md-0',
    })
    for (const m of machines) {
      expect(dig(m, 'spec', 'version')).toBe('v1.28.7')
      expect(dig(m, 'status', 'nodeInfo', 'kubeletVersion')).toBe('v1.28.7')
    }
  })

  it('HelmRelease: Ready Unknown → True with lastAppliedRevision and history[0] at the new chart', async () => {
    // (a HelmRelease of an AppDeployment would be put back by the app controller: use one without)
    const [name, ns] = ['kommander-appmanagement', 'kommander']
    await tc.kube.patchMerge(API.helm, 'HelmRelease', name, ns, {
      spec: { chart: { spec: { version: 'v2.8.1' } } },
    })
    await sim.step()
    const mid = await tc.kube.get(API.helm, 'HelmRelease', name, ns)
    expect(getCondition(mid, 'Ready')).toMatchObject({ status: 'Unknown', reason: 'Progressing' })
    await sim.settle()
    const done = await tc.kube.get(API.helm, 'HelmRelease', name, ns)
    expect(getCondition(done, 'Ready')).toMatchObject({ status: 'True', reason: 'UpgradeSucceeded' })
    expect(getCondition(done, 'Released')?.status).toBe('True')
    expect(done?.status).toMatchObject({
      lastAppliedRevision: 'v2.8.1',
      observedGeneration: done?.metadata.generation,
    })
    expect(dig(done, 'status', 'history', 0)).toMatchObject({
      chartVersion: 'v2.8.1',
      status: 'deployed',
      version: 2,
    })
    expect(dig(done, 'status', 'history', 1)).toMatchObject({ status: 'superseded', chartVersion: 'v2.7.1' })
  })

  it('HelmRelease of an AppDeployment: a hand edit is put back to the chart version the table lists', async () => {
    const ns = seeded.workspaces[0]!.namespace
    const before = dig<string>(
      await tc.kube.get(API.helm, 'HelmRelease', 'reloader', ns),
      'spec',
      'chart',
      'spec',
      'version',
    )
    await tc.kube.patchMerge(API.helm, 'HelmRelease', 'reloader', ns, {
      spec: { chart: { spec: { version: '9.9.9' } } },
    })
    await sim.settle()
    const hr = await tc.kube.get(API.helm, 'HelmRelease', 'reloader', ns)
    expect(dig(hr, 'spec', 'chart', 'spec', 'version')).toBe(before)
    expect(dig(hr, 'status', 'lastAppliedRevision')).toBe(before)
  })

  it("catalog AppDeployment: the app's HelmRelease (named after the app) takes the new values at the table's chart", async () => {
    const ws = seeded.workspaces.find((w) => w.name === 'team-a')!
    const project = ws.projects[0]!
    const before = await tc.kube.get(API.helm, 'HelmRelease', 'zookeeper-operator', project.namespace)
    expect(dig(before, 'spec', 'chart', 'spec', 'version')).toBe('0.2.15')
    await tc.kube.patchMerge(API.apps, 'AppDeployment', 'zookeeper-operator-m7x2q', project.namespace, {
      spec: { appRef: { kind: 'App', name: 'zookeeper-operator-0.2.16-dkp.1' } },
    })
    await sim.settle()
    const hr = await tc.kube.get(API.helm, 'HelmRelease', 'zookeeper-operator', project.namespace)
    // zookeeper-operator 0.2.16-dkp.1 ships chart 0.2.15 (dkp-catalog-applications v2.8.1): same
    // chart version, new values, a new generation released
    expect(dig(hr, 'spec', 'chart', 'spec', 'version')).toBe('0.2.15')
    expect(dig(hr, 'spec', 'valuesFrom', 0, 'name')).toBe('zookeeper-operator-0.2.16-dkp.1-d2iq-defaults')
    expect(hr?.metadata.generation).toBe((before?.metadata.generation ?? 0) + 1)
    expect(dig(hr, 'status', 'observedGeneration')).toBe(hr?.metadata.generation)
    expect(dig(hr, 'status', 'lastAppliedRevision')).toBe('0.2.15')
    expect(
      await tc.kube.get(API.helm, 'HelmRelease', 'zookeeper-operator-m7x2q', project.namespace),
    ).toBeUndefined()
  })

  it('platform AppDeployment: releases the new version lists are created, one it no longer lists stays', async () => {
    // ai-navigator-app 0.2.1 (v2.7.1) deploys HelmRelease ai-navigator-cluster-info-api; 0.2.2
    // (v2.8.x) deploys ai-navigator-app, same chart, chart version 0.2.1 (kommander-applications)
    await tc.kube.create({
      apiVersion: API.apps,
      kind: 'ClusterApp',
      metadata: { name: 'ai-navigator-app-0.2.2' },
      spec: { appId: 'ai-navigator-app', version: '0.2.2' },
    })
    await tc.kube.patchMerge(API.apps, 'AppDeployment', 'ai-navigator-app', 'kommander', {
      spec: { appRef: { kind: 'ClusterApp', name: 'ai-navigator-app-0.2.2' } },
    })
    await sim.settle()
    const created = await tc.kube.get(API.helm, 'HelmRelease', 'ai-navigator-app', 'kommander')
    expect(dig(created, 'spec', 'chart', 'spec', 'chart')).toBe('ai-navigator-cluster-info-api')
    expect(dig(created, 'spec', 'chart', 'spec', 'version')).toBe('0.2.1')
    expect(getCondition(created, 'Ready')?.status).toBe('True')
    expect(
      await tc.kube.get(API.helm, 'HelmRelease', 'ai-navigator-cluster-info-api', 'kommander'),
    ).toBeDefined()
  })

  it('ClusterResourceSet: a changed ConfigMap is re-applied and recorded in the binding', async () => {
    const cm = await tc.kube.get('v1', 'ConfigMap', 'tigera-operator-mgmt', 'default')
    const changed = { ...cm!, data: { 'tigera-operator.yaml': 'changed: true\n' } }
    await tc.kube.replace(changed)
    await tc.kube.patchMerge(API.addons, 'ClusterResourceSet', 'tigera-operator-mgmt', 'default', {
      spec: { strategy: 'Reconcile' },
    })
    await sim.settle()
    const crs = await tc.kube.get(API.addons, 'ClusterResourceSet', 'tigera-operator-mgmt', 'default')
    expect(dig(crs, 'status', 'observedGeneration')).toBe(crs?.metadata.generation)
    expect(getCondition(crs, 'ResourcesApplied')?.status).toBe('True')
    const binding = await tc.kube.get(API.addons, 'ClusterResourceSetBinding', 'mgmt', 'default')
    const entry = dig<{ clusterResourceSetName: string; resources: { hash: string }[] }[]>(
      binding,
      'spec',
      'bindings',
    )!.find((b) => b.clusterResourceSetName === 'tigera-operator-mgmt')
    expect(entry?.resources[0]?.hash).toBe(configMapHash(changed))
  })

  it('controller Deployments: an image change goes Available again', async () => {
    await tc.kube.patchMerge(API.deployments, 'Deployment', 'capa-controller-manager', 'capa-system', {
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'manager', image: 'registry.k8s.io/cluster-api-aws/cluster-api-aws-controller:v2.3.0' },
            ],
          },
        },
      },
    })
    await sim.step()
    const mid = await tc.kube.get(API.deployments, 'Deployment', 'capa-controller-manager', 'capa-system')
    expect(dig(mid, 'status', 'observedGeneration')).toBe(mid?.metadata.generation)
    expect(dig(mid, 'status', 'updatedReplicas') ?? 0).toBe(0) // zero is omitted by the server
    expect(dig(mid, 'status', 'unavailableReplicas')).toBe(1)
    await sim.settle()
    const d = await tc.kube.get(API.deployments, 'Deployment', 'capa-controller-manager', 'capa-system')
    expect(d?.status).toMatchObject({
      observedGeneration: d?.metadata.generation,
      updatedReplicas: 1,
      availableReplicas: 1,
    })
    expect(getCondition(d, 'Available')?.status).toBe('True')
  })

  it('a 409 on a status write is retried on a fresh GET', async () => {
    const ns = 'kommander'
    await tc.kube.patchMerge(API.helm, 'HelmRelease', 'kommander', ns, {
      spec: { chart: { spec: { version: 'v2.8.1' } } },
    })
    // change the object right after the simulator listed it: its write then carries a stale resourceVersion
    let bumped = false
    const off = simKube.onRequest((e) => {
      if (
        !bumped &&
        e.method === 'GET' &&
        e.path.includes('/helmreleases') &&
        !e.path.includes('/namespaces/')
      ) {
        bumped = true
        void tc.kube.patchMerge(API.helm, 'HelmRelease', 'kommander', ns, {
          metadata: { annotations: { poke: '1' } },
        })
      }
    })
    events.length = 0
    for (let i = 0; i < 3 && !events.some((e) => e.status === 409); i++) {
      bumped = false
      await sim.step()
    }
    off()
    const conflict = events.findIndex((e) => e.status === 409)
    expect(conflict).toBeGreaterThanOrEqual(0)
    expect(
      events
        .slice(conflict + 1)
        .some((e) => e.method === 'GET' && e.path.endsWith(`/namespaces/${ns}/helmreleases/kommander`)),
    ).toBe(true)
    await sim.settle()
    const hr = await tc.kube.get(API.helm, 'HelmRelease', 'kommander', ns)
    expect(dig(hr, 'status', 'lastAppliedRevision')).toBe('v2.8.1')
    expect(dig(await tc.kube.get(API.dkp, 'KommanderCore', 'kommander-core'), 'status', 'version')).toBe(
      'v2.8.1',
    )
    // writes carry the controller's own field manager
    const meta = hr?.metadata as { managedFields?: { manager: string; subresource?: string }[] } | undefined
    const managers = meta?.managedFields ?? []
    expect(managers.some((m) => m.manager === 'helm-controller' && m.subresource === 'status')).toBe(true)
  })

  it('the background loop converges on its own and stops cleanly', async () => {
    const loop = await startSimulator(tc.kube, { intervalMs: 20 })
    const ns = 'team-b-m4q9z'
    await tc.kube.patchMerge(API.controlPlane, 'KubeadmControlPlane', 'ci-west-1-control-plane', ns, {
      spec: { version: 'v1.28.7' },
    })
    const deadline = Date.now() + 60_000
    for (;;) {
      const kcp = await tc.kube.get(API.controlPlane, 'KubeadmControlPlane', 'ci-west-1-control-plane', ns)
      if (dig(kcp, 'status', 'version') === 'v1.28.7' && getCondition(kcp, 'Ready')?.status === 'True') break
      if (Date.now() > deadline) throw new Error('loop did not converge')
      await new Promise((r) => setTimeout(r, 100))
    }
    await loop.stop()
    expect(loop.stats.ticks).toBeGreaterThan(0)
  })
})
