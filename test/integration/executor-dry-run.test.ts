// The executor's dry run on a fleet where nothing ran yet: a stage whose prerequisites are
// not done still previews the commands it would run for the cluster as it is now, says what a
// real run would wait for, and changes nothing; a real run of the same stage is refused.

import { afterAll, beforeAll, expect, it } from 'vitest'
import { loadInventory } from '../../src/effects/inventory-files.js'
import { seedFleet } from '../../src/fleet/seed.js'
import { type Simulator, startSimulator } from '../../src/fleet/sim/index.js'
import { useTestCluster } from '../kube/harness.js'
import { CAPI_KINDS, makeShim, resourceVersions, type Shim, stageRunner } from './stages-konvoy-helpers.js'

const tc = useTestCluster()
const inventoryFile = 'examples/fleet.yaml'
let sim: Simulator
let shim: Shim

beforeAll(async () => {
  const { inventory } = await loadInventory(inventoryFile)
  await seedFleet(tc.kube, inventory, { dkp: 'v2.7.1' })
  sim = await startSimulator(tc.kube, { intervalMs: 50 })
  shim = await makeShim('dry-run')
})
afterAll(() => sim?.stop())

it('previews the control plane and node pool commands while earlier stages are not done', async () => {
  const r = stageRunner(tc.kubeconfigPath, inventoryFile, () => shim)
  const before = await resourceVersions(tc.kube, 'default', CAPI_KINDS)

  const dry = await r.run('kubernetes', 'mgmt', { dryRun: true })
  expect(dry.status, dry.log).toBe('dry-run')
  expect(dry.message).toMatch(/a real run would wait: core-addons is not done on mgmt/)
  expect(dry.commands).toEqual([
    expect.stringMatching(
      /^dkp update controlplane aws --cluster-name=mgmt -n default --kubernetes-version=v1\.28\.7 /,
    ),
    expect.stringMatching(
      /^dkp update nodepool aws mgmt-md-0 --cluster-name=mgmt -n default --kubernetes-version=v1\.28\.7 /,
    ),
  ])
  expect(shim.calls().filter((c) => c.startsWith('update'))).toEqual([])
  expect(await resourceVersions(tc.kube, 'default', CAPI_KINDS)).toEqual(before)

  const real = await r.run('kubernetes', 'mgmt')
  expect(real.status).toBe('failed')
  expect(real.message).toMatch(/^refusing to start kubernetes:mgmt: core-addons is not done on mgmt/)
  expect(real.commands).toEqual([])
  // The refusal is recorded (the audit trail); nothing else changed.
  const after = await resourceVersions(tc.kube, 'default', CAPI_KINDS)
  const recordKey = 'ConfigMap default/dkp-fleet-example-record'
  expect(after.has(recordKey)).toBe(true)
  after.delete(recordKey)
  expect(after).toEqual(before)
})
