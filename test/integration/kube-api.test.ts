// Proves the test harness and src/effects/kube.ts against the real kube-apiserver: CRDs are the
// real ones and served, real API semantics (409s, Lease MicroTime, /status, generation),
// pagination, discovery, RBAC via SelfSubjectAccessReview, error messages.

import { existsSync } from 'node:fs'
import { describe, expect, inject, it } from 'vitest'
import {
  type AnyObject,
  isAlreadyExists,
  isConflict,
  KubeError,
  type KubeObject,
  microTime,
} from '../../src/effects/kube.js'
import { type Crd, fleetCrds, installCrds, permissiveCrd } from '../../src/fleet/crds.js'
import { createNamespace, uniqueName, useTestCluster } from '../kube/harness.js'

const tc = useTestCluster()

const CRD_API = 'apiextensions.k8s.io/v1'

function kcp(name: string, namespace: string, version = 'v1.27.6'): KubeObject & Record<string, unknown> {
  return {
    apiVersion: 'controlplane.cluster.x-k8s.io/v1beta1',
    kind: 'KubeadmControlPlane',
    metadata: { name, namespace, labels: { 'cluster.x-k8s.io/cluster-name': name } },
    spec: {
      version,
      replicas: 3,
      kubeadmConfigSpec: {},
      machineTemplate: {
        infrastructureRef: {
          apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2',
          kind: 'AWSMachineTemplate',
          name,
        },
      },
    },
  }
}

describe('CRDs', () => {
  it('every fleet CRD is Established and each kind is served at every version it declares', async () => {
    const wanted = await fleetCrds({ dir: inject('kube').crdDir })
    const live = await tc.kube.list<Crd>(CRD_API, 'CustomResourceDefinition')
    expect(live.length).toBeGreaterThanOrEqual(wanted.length)
    for (const crd of wanted) {
      const l = live.find((c) => c.metadata.name === crd.metadata.name)
      expect(l, crd.metadata.name).toBeDefined()
      expect(l?.status?.conditions?.find((c) => c.type === 'Established')?.status, crd.metadata.name).toBe(
        'True',
      )
      expect(l?.spec.conversion, 'no conversion webhook').not.toMatchObject({ strategy: 'Webhook' })
      for (const v of crd.spec.versions) {
        const res = await tc.kube.resource(`${crd.spec.group}/${v.name}`, crd.spec.names.kind)
        expect(res, `${crd.spec.names.kind} ${crd.spec.group}/${v.name}`).toMatchObject({
          name: crd.spec.names.plural,
          namespaced: crd.spec.scope === 'Namespaced',
        })
      }
    }
    // The kinds the stages and the stand-in dkp rely on (reference/dkp.md §4).
    const expected: [string, string][] = [
      ['cluster.x-k8s.io/v1beta1', 'Cluster'],
      ['cluster.x-k8s.io/v1beta1', 'MachineDeployment'],
      ['cluster.x-k8s.io/v1beta1', 'Machine'],
      ['controlplane.cluster.x-k8s.io/v1beta1', 'KubeadmControlPlane'],
      ['addons.cluster.x-k8s.io/v1beta1', 'ClusterResourceSet'],
      ['addons.cluster.x-k8s.io/v1beta1', 'ClusterResourceSetBinding'],
      ['clusterctl.cluster.x-k8s.io/v1alpha3', 'Provider'],
      ['helm.toolkit.fluxcd.io/v2beta1', 'HelmRelease'],
      ['helm.toolkit.fluxcd.io/v2beta2', 'HelmRelease'],
      ['source.toolkit.fluxcd.io/v1', 'GitRepository'],
      ['velero.io/v1', 'Backup'],
      ['workspaces.kommander.mesosphere.io/v1alpha1', 'Workspace'],
      ['workspaces.kommander.mesosphere.io/v1alpha1', 'Project'],
      ['kommander.mesosphere.io/v1beta1', 'KommanderCluster'],
      ['apps.kommander.d2iq.io/v1alpha2', 'AppDeployment'],
      ['apps.kommander.d2iq.io/v1alpha3', 'ClusterApp'],
      ['dkp.d2iq.io/v1alpha1', 'KommanderCore'],
    ]
    for (const [av, kind] of expected) expect(await tc.kube.hasResource(av, kind), `${av} ${kind}`).toBe(true)
    expect(await tc.kube.hasResource('cluster.x-k8s.io/v1alpha4', 'Cluster')).toBe(false) // only v1beta1 kept
    expect(await tc.kube.preferredVersion('helm.toolkit.fluxcd.io')).toBe('v2beta2')
    expect(await tc.kube.preferredVersion('apps.kommander.d2iq.io')).toBe('v1alpha3')
    expect(await tc.kube.preferredVersion('no.such.group.io')).toBeUndefined()
  })

  it('CAPI schemas are upstream: a KubeadmControlPlane missing required fields is rejected (422)', async () => {
    const ns = await createNamespace(tc.kube)
    const bad = kcp('bad', ns)
    delete (bad.spec as Record<string, unknown>).machineTemplate
    const err = await tc.kube.create(bad).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KubeError)
    expect((err as KubeError).code).toBe(422)
    expect((err as KubeError).message).toMatch(/machineTemplate/)
    const ok = await tc.kube.create(kcp('ok', ns))
    expect(ok.metadata.generation).toBe(1)
  })

  it('HelmRelease written as v2beta1 reads back as v2beta2 (both served, no webhook)', async () => {
    const ns = await createNamespace(tc.kube)
    await tc.kube.create({
      apiVersion: 'helm.toolkit.fluxcd.io/v2beta1',
      kind: 'HelmRelease',
      metadata: { name: 'kommander', namespace: ns },
      spec: {
        interval: '5m',
        chart: {
          spec: { chart: 'kommander', version: 'v2.7.1', sourceRef: { kind: 'HelmRepository', name: 'r' } },
        },
      },
    })
    const v2 = await tc.kube.get<AnyObject>('helm.toolkit.fluxcd.io/v2beta2', 'HelmRelease', 'kommander', ns)
    expect(v2?.apiVersion).toBe('helm.toolkit.fluxcd.io/v2beta2')
    expect(v2?.spec?.chart).toMatchObject({ spec: { version: 'v2.7.1' } })
  })

  it('permissive Kommander kinds keep any spec; status changes only through /status', async () => {
    const ns = await createNamespace(tc.kube)
    const created = await tc.kube.create<AnyObject>({
      apiVersion: 'apps.kommander.d2iq.io/v1alpha2',
      kind: 'AppDeployment',
      metadata: { name: 'kafka-operator', namespace: ns },
      spec: { appRef: { kind: 'App', name: 'kafka-operator-0.25.0' }, anything: { nested: [1, 2] } },
      status: { ignored: true },
    })
    expect(created.status).toBeUndefined() // main-resource writes drop status
    const patched = await tc.kube.patchStatus<AnyObject>(
      'apps.kommander.d2iq.io/v1alpha3',
      'AppDeployment',
      'kafka-operator',
      ns,
      {
        status: { conditions: [{ type: 'Ready', status: 'True' }] },
      },
    )
    expect(patched.status).toEqual({ conditions: [{ type: 'Ready', status: 'True' }] })
    expect(patched.metadata.generation).toBe(1) // status writes do not bump generation
    const specPatched = await tc.kube.patchMerge<AnyObject>(
      'apps.kommander.d2iq.io/v1alpha2',
      'AppDeployment',
      'kafka-operator',
      ns,
      {
        spec: { appRef: { name: 'kafka-operator-0.25.1' } },
      },
    )
    expect(specPatched.metadata.generation).toBe(2)
    expect(specPatched.spec).toMatchObject({
      appRef: { kind: 'App', name: 'kafka-operator-0.25.1' },
      anything: { nested: [1, 2] },
    })
  })
})

describe('real API semantics', () => {
  it('a replace with a stale resourceVersion is a real 409 Conflict', async () => {
    const ns = await createNamespace(tc.kube)
    const first = await tc.kube.create(kcp('c1', ns))
    await tc.kube.patchMerge('controlplane.cluster.x-k8s.io/v1beta1', 'KubeadmControlPlane', 'c1', ns, {
      spec: { version: 'v1.28.7' },
    })
    const stale = { ...first, spec: { ...(first.spec as object), replicas: 5 } }
    const err = await tc.kube.replace(stale).catch((e: unknown) => e)
    expect(isConflict(err)).toBe(true)
    expect((err as KubeError).reason).toBe('Conflict')
    expect((err as KubeError).message).toMatch(
      new RegExp(`^replace KubeadmControlPlane ${ns}/c1: HTTP 409 Conflict: .*the object has been modified`),
    )
    // Fresh read → replace succeeds.
    const fresh = await tc.kube.get('controlplane.cluster.x-k8s.io/v1beta1', 'KubeadmControlPlane', 'c1', ns)
    const ok = await tc.kube.replace({ ...fresh!, spec: { ...(fresh!.spec as object), replicas: 5 } })
    expect(ok.spec).toMatchObject({ replicas: 5, version: 'v1.28.7' })
  })

  it('a Lease with microsecond times can be created once; the second create is 409 AlreadyExists', async () => {
    const ns = await createNamespace(tc.kube)
    const now = microTime()
    expect(now).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'dkp-fleet-prod-east-1', namespace: ns },
      spec: {
        holderIdentity: 'run-1',
        leaseDurationSeconds: 60,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: 0,
      },
    }
    const created = await tc.kube.create(lease)
    expect(created.spec.renewTime).toBe(now) // stored and returned with all six digits
    const second = await tc.kube
      .create({ ...lease, spec: { ...lease.spec, holderIdentity: 'run-2' } })
      .catch((e: unknown) => e)
    expect(isAlreadyExists(second)).toBe(true)
    expect((second as KubeError).code).toBe(409)
    const held = await tc.kube.get<typeof lease>('coordination.k8s.io/v1', 'Lease', lease.metadata.name, ns)
    expect(held?.spec.holderIdentity).toBe('run-1')
    // Millisecond ISO strings are not MicroTime: 400.
    const bad = await tc.kube
      .create({
        ...lease,
        metadata: { ...lease.metadata, name: 'ms' },
        spec: { ...lease.spec, renewTime: new Date().toISOString() },
      })
      .catch((e: unknown) => e)
    expect((bad as KubeError).code).toBe(400)
  })

  it('a create into a missing namespace fails with 404 NotFound naming the namespace', async () => {
    const err = await tc.kube.create(kcp('x', 'no-such-ns')).catch((e: unknown) => e)
    expect((err as KubeError).code).toBe(404)
    expect((err as KubeError).message).toMatch(/no-such-ns/)
  })
})

describe('kube.ts', () => {
  it('list follows limit/continue across pages and fills apiVersion/kind; labelSelector filters', async () => {
    const ns = await createNamespace(tc.kube)
    await Promise.all(
      Array.from({ length: 23 }, (_, i) =>
        tc.kube.create({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `cm-${i}`, namespace: ns, labels: { parity: i % 2 ? 'odd' : 'even' } },
          data: { i: String(i) },
        }),
      ),
    )
    const kube = tc.client()
    const lists: string[] = []
    kube.onRequest((e) => {
      if (e.method === 'GET' && e.path.includes('/configmaps')) lists.push(e.path)
    })
    const all = await kube.list('v1', 'ConfigMap', { namespace: ns, pageSize: 5 })
    expect(all).toHaveLength(23)
    expect(new Set(all.map((c) => c.metadata.name)).size).toBe(23)
    expect(all.every((c) => c.apiVersion === 'v1' && c.kind === 'ConfigMap')).toBe(true)
    expect(lists).toHaveLength(5) // ceil(23 / 5) pages
    expect(lists[0]).toMatch(/limit=5/)
    expect(lists[1]).toMatch(/continue=/)
    const odd = await kube.list('v1', 'ConfigMap', { namespace: ns, labelSelector: 'parity=odd' })
    expect(odd).toHaveLength(11)
    const byName = await kube.list('v1', 'ConfigMap', { namespace: ns, fieldSelector: 'metadata.name=cm-7' })
    expect(byName.map((c) => c.metadata.name)).toEqual(['cm-7'])
    // Discovery is cached: one GET /api/v1 for all of the above.
    expect(kube.requests).toBe(1 + 5 + 1 + 1)
  })

  it('get → undefined on a missing object; an unserved kind is an error; delete reports existence', async () => {
    const ns = await createNamespace(tc.kube)
    expect(await tc.kube.get('v1', 'ConfigMap', 'nope', ns)).toBeUndefined()
    expect(await tc.kube.get('cluster.x-k8s.io/v1beta1', 'Cluster', 'nope', ns)).toBeUndefined()
    const err = await tc.kube.get('example.com/v1', 'Widget', 'w', ns).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KubeError)
    expect((err as Error).message).toMatch(/does not serve Widget in example.com\/v1/)
    expect(await tc.kube.hasResource('example.com/v1', 'Widget')).toBe(false)
    await tc.kube.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'gone', namespace: ns } })
    expect(await tc.kube.delete('v1', 'ConfigMap', 'gone', ns)).toBe(true)
    expect(await tc.kube.delete('v1', 'ConfigMap', 'gone', ns)).toBe(false)
  })

  it('a CRD installed or deleted under a live client: found once served, an error (not undefined) once gone', async () => {
    const ns = await createNamespace(tc.kube)
    const kube = tc.client()
    expect(await kube.hasResource('example.com/v1', 'Widget')).toBe(false)
    const widget = permissiveCrd({
      group: 'example.com',
      kind: 'Widget',
      plural: 'widgets',
      scope: 'Namespaced',
      versions: ['v1'],
    })
    await installCrds(tc.kube, [widget])
    await new Promise((r) => setTimeout(r, 1100)) // misses are re-checked at most once a second
    await kube.create({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', namespace: ns },
    })
    expect((await kube.get('example.com/v1', 'Widget', 'w', ns))?.metadata.name).toBe('w')
    await tc.kube.delete('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com')
    let err: unknown
    for (let i = 0; i < 50; i++) {
      err = await kube.get('example.com/v1', 'Widget', 'w', ns).then(
        () => undefined,
        (e: unknown) => e,
      )
      if (err) break
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(err).toBeInstanceOf(KubeError)
    expect((err as KubeError).code).toBe(404)
    await new Promise((r) => setTimeout(r, 1100))
    expect(await kube.hasResource('example.com/v1', 'Widget')).toBe(false)
  })

  it('server-side apply creates, then updates the owned fields', async () => {
    const ns = await createNamespace(tc.kube)
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'applied', namespace: ns },
      data: { a: '1' },
    }
    await tc.kube.apply(cm)
    const again = await tc.kube.apply({ ...cm, data: { a: '2', b: '3' } })
    expect(again.data).toEqual({ a: '2', b: '3' })
  })

  it('SelfSubjectAccessReview: the reader lacks a permission until a RoleBinding grants it', async () => {
    const ns = await createNamespace(tc.kube)
    expect(await tc.kube.canI('list', 'cluster.x-k8s.io', 'clusters', ns)).toBe(true) // admin
    expect(await tc.reader.canI('list', 'cluster.x-k8s.io', 'clusters', ns)).toBe(false)
    const denied = await tc.reader
      .list('cluster.x-k8s.io/v1beta1', 'Cluster', { namespace: ns })
      .catch((e: unknown) => e)
    expect((denied as KubeError).code).toBe(403)
    expect((denied as KubeError).message).toMatch(
      /^list Cluster in namespace .*: HTTP 403 Forbidden: .*"dkp-reader" cannot list/,
    )
    await tc.kube.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'capi-read', namespace: ns },
      rules: [{ apiGroups: ['cluster.x-k8s.io'], resources: ['clusters'], verbs: ['get', 'list', 'watch'] }],
    })
    await tc.kube.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'readers', namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'capi-read' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'dkp-readers' }],
    })
    let allowed = false
    for (let i = 0; i < 50 && !allowed; i++) {
      allowed = await tc.reader.canI('list', 'cluster.x-k8s.io', 'clusters', ns)
      if (!allowed) await new Promise((r) => setTimeout(r, 100))
    }
    expect(allowed).toBe(true)
    expect(await tc.reader.canI('patch', 'cluster.x-k8s.io', 'clusters', ns)).toBe(false)
    expect(await tc.reader.list('cluster.x-k8s.io/v1beta1', 'Cluster', { namespace: ns })).toEqual([])
  })

  it('error messages name verb, kind, namespace/name, HTTP status and the server message, never the token', async () => {
    const ns = await createNamespace(tc.kube)
    const err = (await tc.reader.get('v1', 'Secret', 'db', ns).catch((e: unknown) => e)) as KubeError
    expect(err.message).toBe(
      `get Secret ${ns}/db: HTTP 403 Forbidden: secrets "db" is forbidden: User "dkp-reader" cannot get resource "secrets" in API group "" in the namespace "${ns}"`,
    )
    expect(err.message).not.toContain(tc.readerToken)
    expect(JSON.stringify(err)).not.toContain(tc.readerToken)
    expect(err).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      verb: 'get',
      kind: 'Secret',
      namespace: ns,
      objectName: 'db',
    })
  })
})

describe('control plane', () => {
  it('reports its start-up time and stop() leaves no process and no files', async () => {
    expect(tc.startupMs).toBeGreaterThan(0)
    expect(tc.startupMs).toBeLessThan(90_000)
    process.stderr.write(
      `[kube-api.test] apiserver start-up ${tc.startupMs} ms, CRD install ${tc.crdMs} ms\n`,
    )
    const { startControlPlane } = await import('../../src/fleet/control-plane.js')
    const cp = await startControlPlane({ binDir: inject('kube').binDir, keep: false })
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0)
        return true
      } catch {
        return false
      }
    }
    expect(alive(cp.pids.apiserver) && alive(cp.pids.etcd)).toBe(true)
    await cp.stop()
    expect(alive(cp.pids.apiserver)).toBe(false)
    expect(alive(cp.pids.etcd)).toBe(false)
    expect(existsSync(cp.dir)).toBe(false)
    await cp.stop() // idempotent
  })

  it('unique names are DNS-1123', () => {
    expect(uniqueName('ws')).toMatch(/^ws-[0-9a-f]{6}$/)
  })
})
