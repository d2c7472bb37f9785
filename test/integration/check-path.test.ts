// The upgrade-path gates on a fleet two minors behind: examples/fleet.yaml seeded at DKP v2.6.1
// (Kubernetes 1.26.6) with the inventory's target v2.8.1 / 1.28.7. The DKP path skips 2.7 (an
// error on the management cluster, naming the path) and every Konvoy cluster's Kubernetes path
// skips 1.27 (an error per cluster, on its control plane); attached clusters at 1.26 are still
// in DKP 2.8's range. The CLI reports them as JSON and exits 1.

import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import type { Inventory } from '../../src/core/model.js'
import { isManaged } from '../../src/core/model.js'
import { loadInventory } from '../../src/effects/inventory-files.js'
import { seedFleet } from '../../src/fleet/seed.js'
import type { FleetCheckResult } from '../../src/stages/check.js'
import { useTestCluster } from '../kube/harness.js'
import { completedBackup, errorsAndWarnings, INVENTORY, lines, runFleetCheck } from './check-helpers.js'

const ROOT = resolve(import.meta.dirname, '../..')
const tc = useTestCluster()
let inventory: Inventory
let result: FleetCheckResult

beforeAll(async () => {
  inventory = (await loadInventory(INVENTORY, ROOT)).inventory
  await seedFleet(tc.kube, inventory, { dkp: 'v2.6.1', kubeconfig: readFileSync(tc.kubeconfigPath, 'utf8') })
  await completedBackup(tc.kube, 'nightly', 3600_000)
  result = await runFleetCheck(() => tc.client())
})

describe('a fleet that would skip a DKP minor', () => {
  it('reports the DKP minor skip on the management cluster (error, with the path to take)', () => {
    const dkp = result.findings.filter((f) => f.ruleId === 'health/dkp-version')
    expect(dkp).toHaveLength(1)
    expect(dkp[0]).toMatchObject({
      severity: 'error',
      cluster: 'mgmt',
      object: { kind: 'HelmRelease', namespace: 'kommander', name: 'kommander' },
      details: { running: 'v2.6.1', target: 'v2.8.1', path: 'v2.6.1 → v2.7.x → v2.8.1' },
    })
    expect(dkp[0]!.message).toMatch(/skips minor release v2\.7\.x/)
    expect(dkp[0]!.remedy).toMatch(/set target\.dkp to the next release on the path \(v2\.7\.x\)/)
  })

  it('reports the Kubernetes minor skip on every Konvoy cluster, on its control plane (error)', () => {
    const konvoy = [inventory.management.name, ...inventory.clusters.filter(isManaged).map((c) => c.name)]
    const path = result.findings.filter((f) => f.ruleId === 'health/kubernetes-path')
    expect(path.map((f) => f.cluster).sort()).toEqual([...konvoy].sort())
    for (const f of path) {
      expect(f.severity).toBe('error')
      expect(f.object).toMatchObject({ kind: 'KubeadmControlPlane', name: `${f.cluster}-control-plane` })
      expect(f.message).toMatch(
        /runs Kubernetes 1\.26\.6: Kubernetes 1\.26\.6 → 1\.28\.7 skips minor 1\.27\.x/,
      )
    }
  })

  it('reports nothing else as an error or warning (attached clusters at 1.26 are supported by DKP 2.8)', () => {
    const other = errorsAndWarnings(result).filter(
      (f) => f.ruleId !== 'health/dkp-version' && f.ruleId !== 'health/kubernetes-path',
    )
    expect(other, lines(result.findings)).toEqual([])
  })

  it('dkp-fleet check -i --format json reports them and exits 1', async () => {
    let stdout = ''
    const code = await main(
      ['check', '-i', INVENTORY, '--kubeconfig', tc.kubeconfigPath, '--format', 'json'],
      {
        stdout: (t) => {
          stdout += t
        },
        stderr: () => {},
        env: {},
        cwd: ROOT,
      },
    )
    expect(code).toBe(1)
    const report = JSON.parse(stdout)
    expect(report.target).toEqual({ kubernetes: '1.28.7', dkp: 'v2.8.1' })
    expect(report.counts.error).toBe(1 + 1 + inventory.clusters.filter(isManaged).length)
    expect(report.clusters.find((c: { name: string }) => c.name === 'mgmt')).toMatchObject({
      role: 'management',
      kubernetes: '1.26.6',
      status: 'checked',
      counts: { error: 2 },
    })
  })
})
