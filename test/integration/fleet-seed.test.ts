// Seeding the example inventory at DKP v2.7.1: every object the stages read (reference/dkp.md §4)
// is there, converged, with the labels and v-prefixed versions the real webhooks would add, and
// the platform and catalog HelmReleases are the ones the release table lists for v2.7.1.

import { readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Inventory } from '../../src/core/model.js'
import { isManaged } from '../../src/core/model.js'
import { loadInventory } from '../../src/effects/inventory-files.js'
import { addonObjects } from '../../src/fleet/addons.js'
import { dkpRelease } from '../../src/fleet/dkp-releases.js'
import { API, dig, getCondition } from '../../src/fleet/objects.js'
import { enabledApps, olderCatalogVersion, RELEASES } from '../../src/fleet/release-table.js'
import { CUSTOM_APP, catalogAppId, olderVersion, type SeedResult, seedFleet } from '../../src/fleet/seed.js'
import { useTestCluster } from '../kube/harness.js'

const tc = useTestCluster()
let inventory: Inventory
let seeded: SeedResult
let kubeconfig: string

describe('seedFleet (example fleet at v2.7.1)', () => {
  beforeAll(async () => {
    inventory = (await loadInventory('examples/fleet.yaml')).inventory
    kubeconfig = readFileSync(tc.kubeconfigPath, 'utf8')
    seeded = await seedFleet(tc.kube, inventory, { dkp: 'v2.7.1', kubeconfig })
    console.log(`seeded ${seeded.objects} objects in ${seeded.ms} ms`)
  })

  it('is fast, complete and idempotent', async () => {
    expect(seeded.skippedKinds).toEqual([])
    expect(seeded.kubernetes).toBe('1.27.6')
    expect(seeded.ms).toBeLessThan(20_000)
    const again = await seedFleet(tc.kube, inventory, { dkp: 'v2.7.1', kubeconfig })
    expect(again.objects).toBe(0)
  })

  it('Kommander on the management cluster', async () => {
    const hr = await tc.kube.get(API.helm, 'HelmRelease', 'kommander', 'kommander')
    expect(dig(hr, 'spec', 'chart', 'spec', 'version')).toBe('v2.7.1')
    expect(dig(hr, 'status', 'lastAppliedRevision')).toBe('v2.7.1')
    expect(dig(hr, 'status', 'history', 0, 'chartVersion')).toBe('v2.7.1')
    expect(getCondition(hr, 'Ready')?.status).toBe('True')
    expect(getCondition(hr, 'Released')?.status).toBe('True')
    // v2beta1 readers see the same release
    const v1 = await tc.kube.get(API.helmV1, 'HelmRelease', 'kommander-appmanagement', 'kommander')
    expect(dig(v1, 'status', 'lastAppliedRevision')).toBe('v2.7.1')
    expect(dig(await tc.kube.get(API.dkp, 'KommanderCore', 'kommander-core'), 'status', 'version')).toBe(
      'v2.7.1',
    )
    expect(
      await tc.kube.get(API.apps, 'ClusterApp', `kommander-${dkpRelease('v2.7.1').kommanderApp}`),
    ).toBeDefined()
    const repo = await tc.kube.get(API.source, 'GitRepository', 'management', 'kommander-flux')
    expect(dig<string>(repo, 'status', 'artifact', 'revision')).toMatch(/^v2\.7\.1@sha1:[0-9a-f]{40}$/)
    const bsl = await tc.kube.get(API.velero, 'BackupStorageLocation', 'default', 'kommander')
    expect(dig(bsl, 'status', 'phase')).toBe('Available')
    const release = RELEASES.platform('v2.7.1')!
    for (const appId of enabledApps('v2.7.1').management) {
      const version = release.versions(appId)[0]!
      const ad = await tc.kube.get(API.apps, 'AppDeployment', appId, 'kommander')
      expect(dig(ad, 'spec', 'appRef'), appId).toEqual({ kind: 'ClusterApp', name: `${appId}-${version}` })
      for (const row of release.helmReleases(appId, version)!.filter((r) => !r.dynamic)) {
        const h = await tc.kube.get(API.helm, 'HelmRelease', row.name, 'kommander')
        expect(dig(h, 'spec', 'chart', 'spec', 'chart'), row.name).toBe(row.chart)
        expect(dig(h, 'status', 'lastAppliedRevision'), row.name).toBe(row.chartVersion)
      }
    }
    // the chart version the table lists for the gitea app, whatever the app's own version
    const gitea = release.versions('gitea')[0]!
    const giteaChart = release.helmReleases('gitea', gitea)![0]!.chartVersion
    expect(
      dig(
        await tc.kube.get(API.helm, 'HelmRelease', 'gitea', 'kommander'),
        'spec',
        'chart',
        'spec',
        'version',
      ),
    ).toBe(giteaChart)
  })

  it('workspaces, projects, platform/catalog/custom apps', async () => {
    const wss = await tc.kube.list(API.workspaces, 'Workspace')
    expect(wss.map((w) => w.metadata.name).sort()).toEqual([
      'edge',
      'kommander-workspace',
      'team-a',
      'team-b',
    ])
    expect(
      dig(
        wss.find((w) => w.metadata.name === 'kommander-workspace'),
        'status',
        'namespaceRef',
        'name',
      ),
    ).toBe('kommander')
    for (const ws of inventory.workspaces) {
      const live = wss.find((w) => w.metadata.name === ws.name)
      const ns = dig<string>(live, 'status', 'namespaceRef', 'name')!
      expect(ns).toBe(ws.namespace ?? seeded.workspaces.find((w) => w.name === ws.name)?.namespace)
      const older = (app: { name: string; version: string }) =>
        olderCatalogVersion('v2.7.1', catalogAppId(app.name), app.version) ?? olderVersion(app.version)
      for (const app of ws.apps) {
        const ad = await tc.kube.get(API.apps, 'AppDeployment', app.name, ns)
        expect(dig<string>(ad, 'spec', 'appRef', 'kind')).toBe('App')
        expect(dig<string>(ad, 'spec', 'appRef', 'name')).toBe(`${catalogAppId(app.name)}-${older(app)}`)
        // catalog HelmReleases are named after the app, not the AppDeployment
        expect(await tc.kube.get(API.helm, 'HelmRelease', catalogAppId(app.name), ns)).toBeDefined()
        // both the seeded and the target version are in the catalog
        const apps = (await tc.kube.list(API.apps, 'App', { namespace: ns })).map((a) => a.metadata.name)
        expect(apps.some((n) => n?.endsWith(`-${app.version}`))).toBe(true)
      }
      const custom = await tc.kube.get(API.apps, 'AppDeployment', CUSTOM_APP.appId, ns)
      expect(dig(custom, 'spec', 'appRef')).toEqual({
        kind: 'App',
        name: `${CUSTOM_APP.appId}-${CUSTOM_APP.version}`,
      })
      for (const p of ws.projects) {
        const project = await tc.kube.get(API.workspaces, 'Project', p.name, ns)
        const pns = dig<string>(project, 'status', 'namespaceRef', 'name')!
        expect(dig(project, 'spec', 'workspaceRef', 'name')).toBe(ws.name)
        expect(await tc.kube.get('v1', 'Namespace', pns)).toBeDefined()
        for (const app of p.apps) {
          const ad = await tc.kube.get(API.apps, 'AppDeployment', app.name, pns)
          expect(dig<string>(ad, 'spec', 'appRef', 'name')).toBe(`${catalogAppId(app.name)}-${older(app)}`)
          if (app.name !== catalogAppId(app.name))
            expect(await tc.kube.get(API.helm, 'HelmRelease', app.name, pns)).toBeUndefined()
          expect(await tc.kube.get(API.helm, 'HelmRelease', catalogAppId(app.name), pns)).toBeDefined()
        }
      }
      const release = RELEASES.platform('v2.7.1')!
      for (const appId of enabledApps('v2.7.1').workspace) {
        for (const row of release.helmReleases(appId, release.versions(appId)[0]!)!) {
          const h = await tc.kube.get(API.helm, 'HelmRelease', row.name, ns)
          expect(dig(h, 'spec', 'chart', 'spec', 'version'), `${ns}/${row.name}`).toBe(row.chartVersion)
        }
      }
    }
  })

  it('KommanderClusters and kubeconfig Secrets (one API server for all)', async () => {
    const host = await tc.kube.get(API.kommander, 'KommanderCluster', 'host-cluster', 'kommander')
    expect(host?.status).toMatchObject({ phase: 'Joined', kubernetesVersion: 'v1.27.6' })
    for (const c of inventory.clusters) {
      const info = seeded.clusters.find((x) => x.name === c.name)!
      const kc = await tc.kube.get(API.kommander, 'KommanderCluster', c.name, info.workspaceNamespace)
      expect(kc?.status, c.name).toMatchObject({ phase: 'Joined', kubernetesVersion: 'v1.27.6' })
      const secretName = dig<string>(kc, 'spec', 'kubeconfigRef', 'name')!
      const secret = await tc.kube.get('v1', 'Secret', secretName, info.workspaceNamespace)
      const key = isManaged(c) ? 'value' : 'kubeconfig'
      const data = (secret as { data?: Record<string, string> } | undefined)?.data ?? {}
      expect(Object.keys(data), c.name).toEqual([key])
      expect(Buffer.from(data[key]!, 'base64').toString()).toBe(kubeconfig)
      if (isManaged(c))
        expect(dig(kc, 'spec', 'clusterRef', 'capiCluster')).toEqual({
          name: c.name,
          namespace: info.namespace,
        })
      else {
        expect(dig(kc, 'spec', 'clusterRef')).toBeUndefined()
        expect(
          await tc.kube.list(API.cluster, 'Cluster', {
            labelSelector: `konvoy.d2iq.io/cluster-name=${c.name}`,
          }),
        ).toEqual([])
      }
    }
  })

  it('CAPI objects per Konvoy cluster: Cluster, KCP, one MD per node pool, Machines, CRS', async () => {
    const konvoy = seeded.clusters.filter((c) => c.kind !== 'attached')
    expect(konvoy).toHaveLength(1 + inventory.clusters.filter(isManaged).length)
    for (const c of konvoy) {
      const ns = c.namespace!
      const cluster = await tc.kube.get(API.cluster, 'Cluster', c.name, ns)
      expect(cluster?.metadata.labels?.['konvoy.d2iq.io/provider']).toBe(c.provider)
      expect(cluster?.status).toMatchObject({ phase: 'Provisioned', controlPlaneReady: true })
      expect(getCondition(cluster, 'ControlPlaneReady')?.status).toBe('True')
      const kcp = await tc.kube.get(API.controlPlane, 'KubeadmControlPlane', `${c.name}-control-plane`, ns)
      expect(dig(cluster, 'spec', 'controlPlaneRef', 'name')).toBe(kcp?.metadata.name)
      expect(dig(kcp, 'spec', 'version')).toBe('v1.27.6')
      const replicas = dig<number>(kcp, 'spec', 'replicas')!
      expect(c.kind === 'management' ? [3] : [1, 3]).toContain(replicas)
      expect(kcp?.status).toMatchObject({
        version: 'v1.27.6',
        replicas,
        updatedReplicas: replicas,
        readyReplicas: replicas,
        unavailableReplicas: 0,
      })
      const mds = await tc.kube.list(API.cluster, 'MachineDeployment', {
        namespace: ns,
        labelSelector: `cluster.x-k8s.io/cluster-name=${c.name}`,
      })
      expect(mds.map((m) => m.metadata.name).sort()).toEqual([...c.nodepools].sort())
      for (const md of mds) {
        expect(dig(md, 'spec', 'template', 'spec', 'version')).toBe('v1.27.6')
        expect(md.status).toMatchObject({ phase: 'Running', unavailableReplicas: 0 })
      }
      const machines = await tc.kube.list(API.cluster, 'Machine', {
        namespace: ns,
        labelSelector: `cluster.x-k8s.io/cluster-name=${c.name}`,
      })
      const workers = mds.reduce((n, md) => n + Number(dig(md, 'spec', 'replicas')), 0)
      expect(machines).toHaveLength(replicas + workers)
      for (const m of machines) {
        expect(m.status).toMatchObject({ phase: 'Running', nodeInfo: { kubeletVersion: 'v1.27.6' } })
        expect(dig(m, 'status', 'nodeRef', 'name')).toBeTruthy()
      }
      const expected = addonObjects('v2.7.1', c.name, ns, c.provider!)
      for (const a of expected) {
        const cm = await tc.kube.get('v1', 'ConfigMap', a.configMap.metadata.name!, ns)
        expect((cm as { data?: unknown }).data).toEqual((a.configMap as { data?: unknown }).data)
        const crs = await tc.kube.get(
          API.addons,
          'ClusterResourceSet',
          a.clusterResourceSet.metadata.name!,
          ns,
        )
        expect(getCondition(crs, 'ResourcesApplied')?.status).toBe('True')
      }
      const binding = await tc.kube.get(API.addons, 'ClusterResourceSetBinding', c.name, ns)
      expect(dig<unknown[]>(binding, 'spec', 'bindings')).toHaveLength(expected.length)
    }
    // the example's explicit node pool names are used as they are
    expect(seeded.clusters.find((c) => c.name === 'prod-east-1')?.nodepools).toEqual([
      'prod-east-1-md-0',
      'prod-east-1-gpu',
    ])
    expect(seeded.clusters.find((c) => c.name === 'ci-west-2')?.nodepools).toEqual(['ci-west-2-md-0'])
  })

  it('CAPI components: clusterctl Providers and Available controller Deployments', async () => {
    const providers = await tc.kube.list(API.clusterctl, 'Provider')
    expect(providers.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort()).toEqual([
      'capa-system/infrastructure-aws',
      'capi-kubeadm-bootstrap-system/bootstrap-kubeadm',
      'capi-kubeadm-control-plane-system/control-plane-kubeadm',
      'capi-system/cluster-api',
      'cappp-system/infrastructure-preprovisioned',
      'capv-system/infrastructure-vsphere',
      'capz-system/infrastructure-azure',
    ])
    for (const ns of ['capi-system', 'capa-system', 'cert-manager']) {
      for (const d of await tc.kube.list(API.deployments, 'Deployment', { namespace: ns })) {
        expect(getCondition(d, 'Available')?.status, d.metadata.name).toBe('True')
      }
    }
  })
})
