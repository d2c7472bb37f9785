// NKP through the shipped workflow (.github/workflows/dkp-fleet-upgrade.yml): the mixed NKP
// fleet of examples/nkp-fleet.yaml (nutanix management cluster, nutanix and aws managed
// clusters, an attached one), seeded at NKP v2.13.3, upgraded to v2.14.1 by the real bundle on
// the workflow runner. The stand-in answers as `nkp` and comes as an NKP release tarball (its
// `nkp` member) from a pinned loopback mirror: NKP has no official download URL. Nutanix
// clusters go through `nkp upgrade cluster nutanix`; their capi-components/core-addons jobs run
// nothing (covered); verify passes; the fleet ends at Kubernetes v1.31.4; a second dispatch is
// all skipped (gates passed).

import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Inventory } from '../../src/core/model.js'
import { isManaged } from '../../src/core/model.js'
import { loadInventory } from '../../src/effects/inventory-files.js'
import { seedFleet } from '../../src/fleet/seed.js'
import { type Simulator, startSimulator } from '../../src/fleet/sim/index.js'
import { useTestCluster } from '../kube/harness.js'
import {
  clusterVersions,
  type Dispatcher,
  dispatcher,
  failureLog,
  job,
  type StandinMirror,
  stageResults,
  standinMirror,
} from './pipeline-helpers.js'
import { describeRun } from './workflow-runner.js'

const FROM = 'v2.13.3'
const TO = 'v2.14.1'
const tc = useTestCluster()
let inventory: Inventory
let sim: Simulator
let d: Dispatcher
let mirror: StandinMirror

describe('NKP 2.13 → 2.14 through the shipped workflow', () => {
  beforeAll(async () => {
    inventory = (await loadInventory('examples/nkp-fleet.yaml')).inventory
    const kubeconfig = readFileSync(tc.kubeconfigPath, 'utf8')
    await seedFleet(tc.kube, inventory, { dkp: FROM, kubeconfig })
    sim = await startSimulator(tc.kube, { intervalMs: 20 })
    d = dispatcher(
      () => kubeconfig,
      (l) => console.log(l),
      TO,
    )
    mirror = await standinMirror(d, TO)
  })
  afterAll(async () => {
    await sim?.stop()
    await mirror?.close()
    d?.cleanup()
  })

  it('upgrades the mixed fleet with nkp; covered steps run nothing; verify passes', async () => {
    const before = await clusterVersions(tc.kube)
    expect([...before.values()].every((v) => v.controlPlane === 'v1.30.5')).toBe(true)
    const run = await d.dispatch({
      inventory: 'examples/nkp-fleet.yaml',
      target: TO,
      'dry-run': false,
      'dkp-download-url': mirror.template,
      'dkp-sha256': mirror.sha256,
    })
    console.log(describeRun(run))
    const failed = [...run.jobs.values()].filter((j) => j.result === 'failure')
    expect(failed.map((j) => `${j.id}: ${failureLog(j)}`)).toEqual([])
    expect(run.result).toBe('success')

    expect(stageResults(job(run, 'kommander'))).toEqual([
      expect.objectContaining({
        status: 'upgraded',
        commands: [expect.stringMatching(/^nkp upgrade kommander /)],
      }),
    ])
    for (const id of ['capi-components', 'core-addons'])
      expect(stageResults(job(run, id)), id).toEqual([
        expect.objectContaining({ status: 'skipped', commands: [] }),
      ])
    expect(stageResults(job(run, 'kubernetes'))).toEqual([
      expect.objectContaining({
        status: 'upgraded',
        commands: [
          expect.stringMatching(/^nkp upgrade cluster nutanix --cluster-name=mgmt -n default --vm-image=/),
        ],
      }),
    ])
    const waves = JSON.parse(run.jobs.get('plan')!.outputs.waves!) as { include: { cluster: string }[] }[]
    const managed = waves.flatMap((_, i) => stageResults(job(run, `wave-${i}`)))
    const of = (stage: string, cluster: string) =>
      managed.find((r) => r.stage === stage && r.cluster === cluster)
    expect(of('core-addons', 'prod-ntnx-1')).toMatchObject({ status: 'skipped', commands: [] })
    expect(of('kubernetes', 'prod-ntnx-1')?.commands).toEqual([
      expect.stringMatching(/^nkp upgrade cluster nutanix --cluster-name=prod-ntnx-1 /),
    ])
    expect(of('core-addons', 'prod-aws-1')?.commands).toEqual([
      expect.stringMatching(/^nkp upgrade addons aws /),
    ])
    expect(of('kubernetes', 'prod-aws-1')?.commands[0]).toMatch(/^nkp update controlplane aws /)
    expect(stageResults(job(run, 'verify'))).toEqual([expect.objectContaining({ status: 'passed' })])
    expect(mirror.requests()).toBe(1)

    const after = await clusterVersions(tc.kube)
    for (const name of [
      inventory.management.name,
      ...inventory.clusters.filter(isManaged).map((c) => c.name),
    ]) {
      expect(after.get(name)?.controlPlane, name).toBe('v1.31.4')
      for (const v of after.get(name)?.pools ?? []) expect(v, name).toBe('v1.31.4')
    }
  })
})
