// Edge cases of the Konvoy stages on the real apiserver test fleet, calling the stage modules
// directly (a StageContext built like runStage's, without lock/prerequisites, so no earlier
// stage has to run): an EKS cluster (AWSManagedControlPlane, no KubeadmControlPlane), a
// workspace namespace read from the Workspace object, a provider mismatch, a node pool listed
// but missing, a Kubernetes minor skip and a downgrade refused, a control plane left rolling by
// a killed dkp (resumed by waiting, without a second command), and the run-record fallbacks of
// jobs without a dkp binary. The full runStage flows are in stages-konvoy.test.ts.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InputError } from '../../src/core/errors.js'
import type { Inventory, ManagedCluster } from '../../src/core/model.js'
import { pendingTexts } from '../../src/core/step-state.js'
import { loadInventory } from '../../src/effects/inventory-files.js'
import type { Kube } from '../../src/effects/kube.js'
import { addonObjects } from '../../src/fleet/addons.js'
import { API } from '../../src/fleet/objects.js'
import { type SeedResult, seedFleet } from '../../src/fleet/seed.js'
import { type Simulator, startSimulator } from '../../src/fleet/sim/index.js'
import { stage as capi } from '../../src/stages/capi-components.js'
import { stage as addons } from '../../src/stages/core-addons.js'
import { stage as kubernetes } from '../../src/stages/kubernetes.js'
import { useTestCluster } from '../kube/harness.js'
import { CAPI_KINDS, makeShim, moduleContext, resourceVersions, type Shim } from './stages-konvoy-helpers.js'

const INVENTORY = `apiVersion: dkp-fleet/v1
kind: Fleet
metadata: { name: edge-cases }
target: { dkp: v2.8.1 }
management: { name: hub, provider: aws }
workspaces:
  - name: ws1          # no namespace: the stages read it from the Workspace object
clusters:
  - { name: eks-1, workspace: ws1, provider: eks }
  - { name: vs-1, workspace: ws1, provider: vsphere, nodepools: [vs-1-md-0], controlPlane: { args: { vm-template: tpl-v1.28.7 } } }
  - { name: gc-1, workspace: ws1, provider: gcp }
  - { name: pp-1, workspace: ws1, provider: preprovisioned }
`

const tc = useTestCluster()
const T = 'v1.28.7'
let kube: Kube
let inventory: Inventory
let seeded: SeedResult
let sim: Simulator
let shim: Shim
let ns: string

const ctx = (
  stage: 'kubernetes' | 'core-addons' | 'capi-components',
  cluster: string,
  extra: Partial<Parameters<typeof moduleContext>[0]> = {},
) => moduleContext({ kube, kubeconfigPath: tc.kubeconfigPath, inventory, stage, cluster, shim, ...extra })

async function until(what: string, check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

const get = async <T>(apiVersion: string, kind: string, name: string, namespace: string) =>
  (await kube.get(apiVersion, kind, name, namespace)) as unknown as T

/**
 * Test-fleet workaround: the installed CAPA v2.2.4 AWSManagedControlPlane CRD has no
 * status.version/observedGeneration, but the simulator writes them and the stand-in's
 * `update controlplane eks` waits for status.version, so an EKS update never finishes (pruned).
 * Extend the CRD's status schema as a CAPA that reports the version would. The stage itself
 * does not need these fields (unit-tested in konvoy-state.test.ts).
 */
async function allowManagedControlPlaneStatusVersion(): Promise<void> {
  const name = 'awsmanagedcontrolplanes.controlplane.cluster.x-k8s.io'
  const crd = (await kube.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', name)) as unknown as {
    apiVersion: string
    kind: string
    metadata: { name: string }
    spec: {
      versions: {
        name: string
        schema: { openAPIV3Schema: { properties: { status: { properties: Record<string, unknown> } } } }
      }[]
    }
  }
  for (const v of crd.spec.versions) {
    const status = v.schema.openAPIV3Schema.properties.status.properties
    status.version ??= { type: 'string' }
    status.observedGeneration ??= { type: 'integer', format: 'int64' }
  }
  await kube.replace(crd)
}

const envOf = <C extends { dkp?: unknown }>(c: C): Omit<C, 'dkp'> => {
  const { dkp: _dkp, ...env } = c
  return env
}

beforeAll(async () => {
  process.env.DKP_FLEET_POLL_MS = '100'
  kube = tc.kube
  await allowManagedControlPlaneStatusVersion()
  const dir = mkdtempSync(join(tmpdir(), 'konvoy-edge-'))
  writeFileSync(join(dir, 'fleet.yaml'), INVENTORY)
  inventory = (await loadInventory(join(dir, 'fleet.yaml'))).inventory
  seeded = await seedFleet(kube, inventory, {
    dkp: 'v2.7.1',
    kubeconfig: readFileSync(tc.kubeconfigPath, 'utf8'),
  })
  ns = seeded.workspaces.find((w) => w.name === 'ws1')!.namespace
  // the CRD change applies asynchronously: make sure the seeded status.version is kept
  await until('AWSManagedControlPlane status.version kept', async () => {
    const cp = await get<{ status?: { version?: string } }>(
      API.awsManagedControlPlane,
      'AWSManagedControlPlane',
      'eks-1-control-plane',
      ns,
    )
    if (cp.status?.version) return true
    await kube.patchStatus(API.awsManagedControlPlane, 'AWSManagedControlPlane', 'eks-1-control-plane', ns, {
      status: { version: 'v1.27.6' },
    })
    return false
  })
  sim = await startSimulator(kube, { intervalMs: 50 })
  shim = await makeShim('edge')
}, 120_000)

afterAll(async () => {
  await sim?.stop()
  delete process.env.DKP_FLEET_POLL_MS
})

describe('EKS (AWSManagedControlPlane) with the namespace read from the Workspace', () => {
  it('updates the managed control plane, then the node pool; a second run is skipped', async () => {
    expect(inventory.workspaces[0]!.namespace).toBeUndefined()
    const c = await ctx('kubernetes', 'eks-1')
    const res = await kubernetes.run(c)
    expect(res.status, c.reporter.text()).toBe('upgraded')
    expect(res.commands.map((x) => x.args.join(' '))).toEqual([
      `update controlplane eks --cluster-name=eks-1 -n ${ns} --kubernetes-version=v1.28.7`,
      `update nodepool eks eks-1-md-0 --cluster-name=eks-1 -n ${ns} --kubernetes-version=v1.28.7`,
    ])
    const cp = await get<{ spec: { version: string }; status: { version: string } }>(
      API.awsManagedControlPlane,
      'AWSManagedControlPlane',
      'eks-1-control-plane',
      ns,
    )
    expect([cp.spec.version, cp.status.version]).toEqual([T, T])
    expect(res.evidence).toContain(`AWSManagedControlPlane ${ns}/eks-1-control-plane at v1.28.7, ready`)
    expect(c.reporter.text()).toMatch(/control plane .*\/eks-1-control-plane: .*EKSControlPlaneUpdating=True/)
    const md = await get<{ spec: { template: { spec: { version: string } } } }>(
      API.cluster,
      'MachineDeployment',
      'eks-1-md-0',
      ns,
    )
    expect(md.spec.template.spec.version).toBe(T)

    const again = await kubernetes.run(await ctx('kubernetes', 'eks-1'))
    expect(again.status).toBe('skipped')
    expect(again.commands).toEqual([])
  })

  it('on a hop, a cluster already past the hop is planned from its own version: skipped, no command', async () => {
    // eks-1 now runs 1.28 (above); hop v2.7.3 (Kubernetes 1.27.6) toward the inventory's v2.8.1.
    const c = await ctx('kubernetes', 'eks-1', { hop: 'v2.7.3' })
    expect([c.plan.target.kubernetes, c.plan.goal?.kubernetes]).toEqual(['1.27.6', '1.28.7'])
    const res = await kubernetes.run(c)
    expect(res.status, c.reporter.text()).toBe('skipped')
    expect(res.commands).toEqual([])
    expect(res.message).toContain('1.28.7')
    // The same version as a target of its own (no goal): a downgrade, refused.
    const err = await kubernetes
      .run(await ctx('kubernetes', 'eks-1', { targetKubernetes: '1.27.6' }))
      .catch((e: unknown) => e)
    expect(String(err)).toMatch(/older than the running/)
  })

  it('core-addons compares with the dry run (no CSI addon on EKS); without dkp the run record decides', async () => {
    const before = await addons.status(envOf(await ctx('core-addons', 'eks-1')), 'eks-1')
    expect(before.done).toBe(false)
    expect(pendingTexts(before)[0]).toMatch(/^no run record of core-addons:eks-1 reaching v2.8.1/)

    const c = await ctx('core-addons', 'eks-1')
    const res = await addons.run(c)
    expect(res.status, c.reporter.text()).toBe('upgraded')
    expect(res.commands.map((x) => x.args.join(' '))).toEqual([
      `upgrade addons eks --cluster-name=eks-1 -n ${ns}`,
    ])
    const want = addonObjects('v2.8.1', 'eks-1', ns, 'eks')
    expect(want.map((a) => a.addon)).not.toContain('aws-ebs-csi')
    for (const a of want) {
      const cm = await get<{ data: unknown }>('v1', 'ConfigMap', a.configMap.metadata.name!, ns)
      expect(cm.data).toEqual((a.configMap as unknown as { data: unknown }).data)
    }
    // live state decides with dkp: at target now, though no run record exists (module run directly)
    const live = await addons.status(await ctx('core-addons', 'eks-1'), 'eks-1')
    expect(live.done, pendingTexts(live).join('\n')).toBe(true)

    // without dkp: still not done until the run record says so
    const noDkp = envOf(await ctx('core-addons', 'eks-1'))
    expect((await addons.status(noDkp, 'eks-1')).done).toBe(false)
    const now = new Date().toISOString()
    await noDkp.record.append({
      stepId: 'core-addons:eks-1',
      stage: 'core-addons',
      cluster: 'eks-1',
      status: 'upgraded',
      to: 'v2.8.1',
      started: now,
      finished: now,
      planDigest: noDkp.plan.digest,
      runId: 'test',
      actor: 'test',
      commands: [],
    })
    const recorded = await addons.status(envOf(await ctx('core-addons', 'eks-1')), 'eks-1')
    expect(recorded.done, pendingTexts(recorded).join('\n')).toBe(true)
    expect(recorded.evidence[0]).toMatch(/^run record: core-addons:eks-1 upgraded to v2.8.1/)
  })
})

describe('refusals before anything changes', () => {
  it('a provider mismatch between inventory and Cluster label is bad input naming both', async () => {
    await kube.patchMerge(API.cluster, 'Cluster', 'vs-1', ns, {
      metadata: { labels: { 'konvoy.d2iq.io/provider': 'aws' } },
    })
    try {
      const err = await kubernetes.run(await ctx('kubernetes', 'vs-1')).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(InputError)
      expect(String(err)).toMatch(
        /inventory says provider "vsphere" but Cluster .*\/vs-1 is labelled konvoy.d2iq.io\/provider=aws/,
      )
      const st = await kubernetes.status(await ctx('kubernetes', 'vs-1'), 'vs-1')
      expect(st.done).toBe(false)
      expect(pendingTexts(st)[0]).toMatch(/provider "vsphere"/)
      const err2 = await addons.run(await ctx('core-addons', 'vs-1')).catch((e: unknown) => e)
      expect(err2).toBeInstanceOf(InputError)
    } finally {
      await kube.patchMerge(API.cluster, 'Cluster', 'vs-1', ns, {
        metadata: { labels: { 'konvoy.d2iq.io/provider': 'vsphere' } },
      })
    }
  })

  it('a node pool listed in the inventory but missing is refused, naming what exists', async () => {
    const edited = structuredClone(inventory)
    const vs = edited.clusters.find((c) => c.name === 'vs-1') as ManagedCluster
    vs.nodepools = [...(vs.nodepools ?? []), { name: 'vs-1-gpu', args: {} }]
    const before = await resourceVersions(kube, ns, CAPI_KINDS)
    const c = await moduleContext({
      kube,
      kubeconfigPath: tc.kubeconfigPath,
      inventory: edited,
      stage: 'kubernetes',
      cluster: 'vs-1',
      shim,
    })
    const err = await kubernetes.run(c).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InputError)
    expect(String(err)).toMatch(
      /node pool vs-1-gpu of the inventory has no MachineDeployment in namespace .* \(the cluster has: vs-1-md-0\)/,
    )
    const after = await resourceVersions(kube, ns, CAPI_KINDS)
    expect([...after].filter(([k, v]) => k.includes('vs-1') && before.get(k) !== v)).toEqual([])
  })

  it('a Kubernetes minor skip is refused per cluster', async () => {
    // gc-1's node pool runs 1.26 (e.g. left behind by an earlier upgrade): 1.26 → 1.28 skips 1.27
    await kube.patchMerge(API.cluster, 'MachineDeployment', 'gc-1-md-0', ns, {
      spec: { template: { spec: { version: 'v1.26.6' } } },
    })
    await until('gc-1-md-0 at v1.26.6', async () => {
      const ms = await kube.list(API.cluster, 'Machine', {
        namespace: ns,
        labelSelector: 'cluster.x-k8s.io/deployment-name=gc-1-md-0',
      })
      return (
        ms.length > 0 &&
        ms.every(
          (m) =>
            (m.spec as { version: string }).version === 'v1.26.6' &&
            (m.status as { phase?: string })?.phase === 'Running',
        )
      )
    })
    const c = await ctx('kubernetes', 'gc-1')
    const err = await kubernetes.run(c).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InputError)
    expect(String(err)).toMatch(
      /refusing to update gc-1 \(MachineDeployment .*\/gc-1-md-0 runs v1.26.6\): Kubernetes 1.26.6 → 1.28.7 skips minor 1.27.x/,
    )
    expect(
      (
        await get<{ spec: { version: string } }>(
          API.controlPlane,
          'KubeadmControlPlane',
          'gc-1-control-plane',
          ns,
        )
      ).spec.version,
    ).toBe('v1.27.6')
  })

  it('a downgrade is refused', async () => {
    const err = await kubernetes
      .run(await ctx('kubernetes', 'pp-1', { targetKubernetes: '1.27.5' }))
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InputError)
    expect(String(err)).toMatch(/Kubernetes 1.27.5 is older than the running 1.27.6: no downgrade/)
  })

  it('capi-components is not done without a run record, even with Available controllers', async () => {
    const st = await capi.status(await ctx('capi-components', 'hub'), 'hub')
    expect(st.done).toBe(false)
    expect(pendingTexts(st)).toEqual([
      expect.stringMatching(
        /^no run record of capi-components:hub reaching v2.8.1: the CAPI components' versions cannot be read/,
      ),
    ])
    expect(st.evidence.join('\n')).toMatch(
      /Deployment capi-system\/capi-controller-manager \(.*\): Available/,
    )
  })
})

describe('reads scale with kinds, not with clusters or objects', () => {
  it('status of every Konvoy step of the fleet costs a fixed number of API calls', async () => {
    const client = tc.client()
    try {
      const c = await moduleContext({
        kube: client,
        kubeconfigPath: tc.kubeconfigPath,
        inventory,
        stage: 'kubernetes',
        cluster: 'hub',
      })
      const env = envOf(c)
      const clusters = ['hub', ...inventory.clusters.map((x) => x.name)]
      const before = client.requests
      await capi.status(env, 'hub')
      for (const name of clusters) {
        await addons.status(env, name)
        await kubernetes.status(env, name)
      }
      const calls = client.requests - before
      console.log(`konvoy status API calls for ${clusters.length} clusters: ${calls}`)
      // discovery + one list per kind (Cluster, KCP, MD, MachinePool, Machine, CRS, AWSManagedControlPlane,
      // Deployment, Provider, Workspace) + the run record: independent of the 5 clusters and ~30 machines
      expect(calls).toBeLessThanOrEqual(30)
      const once = client.requests
      for (const name of clusters) await kubernetes.status(env, name)
      expect(client.requests - once).toBe(0)
    } finally {
      client.close()
    }
  })
})

describe('resume after a killed dkp', () => {
  it('a control plane left rolling to the target is waited for, not updated again', async () => {
    // what a `dkp update controlplane` killed by the job timeout leaves behind: the spec written
    await kube.patchMerge(API.controlPlane, 'KubeadmControlPlane', 'pp-1-control-plane', ns, {
      spec: { version: T },
    })
    shim.reset()
    const c = await ctx('kubernetes', 'pp-1')
    const res = await kubernetes.run(c)
    expect(res.status, c.reporter.text()).toBe('upgraded')
    expect(c.reporter.text()).toMatch(
      /control plane .*\/pp-1-control-plane: desired version already v1.28.7, still rolling .*; waiting without a dkp command/,
    )
    expect(res.commands.map((x) => x.args.slice(0, 4).join(' '))).toEqual([
      'update nodepool preprovisioned pp-1-md-0',
    ])
    expect(shim.calls().filter((l) => l.startsWith('update'))).toEqual([
      `update nodepool preprovisioned pp-1-md-0 --cluster-name=pp-1 -n ${ns} --kubernetes-version=v1.28.7`,
    ])
    const kcp = await get<{ status: { version: string } }>(
      API.controlPlane,
      'KubeadmControlPlane',
      'pp-1-control-plane',
      ns,
    )
    expect(kcp.status.version).toBe(T)
  })

  it('dry run on a cluster at target lists nothing', async () => {
    const c = await ctx('kubernetes', 'pp-1', { dryRun: true })
    const res = await kubernetes.run(c)
    expect(res.status).toBe('skipped')
    expect(res.commands).toEqual([])
  })

  it('dry run lists the commands and which parts are skipped', async () => {
    const c = await ctx('kubernetes', 'vs-1', { dryRun: true })
    const before = await resourceVersions(kube, ns, CAPI_KINDS)
    const res = await kubernetes.run(c)
    expect(res.status).toBe('dry-run')
    expect(res.commands.map((x) => x.args.slice(0, 4).join(' '))).toEqual([
      'update controlplane vsphere --cluster-name=vs-1',
      'update nodepool vsphere vs-1-md-0',
    ])
    // the pool has no template of its own: it gets the control plane's
    expect(res.commands[1]!.args).toContain('--vm-template=tpl-v1.28.7')
    expect(res.message).toMatch(
      /would bring vs-1 to Kubernetes v1.28.7: control plane .*: would update; md vs-1-md-0: would update/,
    )
    const after = await resourceVersions(kube, ns, CAPI_KINDS)
    expect([...after].filter(([k, v]) => k.includes('vs-1') && before.get(k) !== v)).toEqual([])
  })
})
