// Hop 1 of a multi-hop upgrade through the shipped workflow (issue 21 item 1): the example fleet
// seeded at DKP v2.6.1, dispatched with target v2.8.1, two minors away. The plan job reads the
// live versions and plans the first hop, v2.6.1 → v2.7.3 (2.7's latest patch in the release
// data): its outputs name the hop and the hops left, its summary says to dispatch again. Every
// later job gets the hop as `plan-hop`, rebuilds the same plan (digest) without live state, and
// installs the hop's dkp (dkp-version empty, the pinned sha256 of the v2.7.3 tarball on the
// mirror). The fleet ends at v2.7.3 / 1.27.6; nothing went to v2.8.1.

import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Inventory } from '../../src/core/model.js'
import { loadInventory } from '../../src/effects/inventory-files.js'
import { seedFleet } from '../../src/fleet/seed.js'
import { type Simulator, startSimulator } from '../../src/fleet/sim/index.js'
import { expectPlatformAt } from '../helpers/release-shape.js'
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
import { allLegs, describeRun } from './workflow-runner.js'

const tc = useTestCluster()
const HOP = 'v2.7.3'
let inventory: Inventory
let sim: Simulator
let d: Dispatcher
let mirror: StandinMirror

describe('a fleet two minors behind: the shipped workflow runs hop 1', () => {
  beforeAll(async () => {
    inventory = (await loadInventory('examples/fleet.yaml')).inventory
    const kubeconfig = readFileSync(tc.kubeconfigPath, 'utf8')
    await seedFleet(tc.kube, inventory, { dkp: 'v2.6.1', kubeconfig })
    sim = await startSimulator(tc.kube, { intervalMs: 20 })
    // The stand-in answers as the hop's release; the mirror serves it as the v2.7.3 tarball.
    d = dispatcher(
      () => kubeconfig,
      (l) => console.log(l),
      HOP,
    )
    mirror = await standinMirror(d, HOP)
  })
  afterAll(async () => {
    await sim?.stop()
    await mirror?.close()
    d?.cleanup()
  })

  it('plans two hops, runs the first in every job with plan-hop, and says to dispatch again', async () => {
    const run = await d.dispatch({
      inventory: 'examples/fleet.yaml',
      target: 'v2.8.1',
      'dry-run': false,
      'dkp-download-url': mirror.template,
      'dkp-sha256': mirror.sha256,
    })
    console.log(describeRun(run))
    const failed = [...run.jobs.values()].filter((j) => j.result === 'failure')
    expect(failed.map((j) => `${j.id}: ${failureLog(j)}`)).toEqual([])
    expect(run.result).toBe('success')

    // The plan job: the hop, the hops left, the dkp release the stage jobs install.
    const plan = job(run, 'plan')
    expect(plan.outputs.hop).toBe(HOP)
    expect(plan.outputs['hops-left']).toBe('1')
    expect(plan.outputs['dkp-version']).toBe(HOP)
    const planStep = plan.legs[0]!.steps.find((s) => s.id === 'plan')!
    expect(JSON.parse(planStep.outputs.plan!)).toMatchObject({
      target: { dkp: HOP, kubernetes: '1.27.6' },
      goal: { dkp: 'v2.8.1', kubernetes: '1.28.7' },
      hops: [
        { from: 'v2.6.1', to: HOP },
        { from: HOP, to: 'v2.8.1' },
      ],
    })
    expect(planStep.summary).toContain(
      'hop 1 of 2: v2.6.1 → v2.7.3; dispatch again for v2.8.1 when this run is green',
    )

    // Every stage job ran the hop (its plan, rebuilt from plan-hop, had the plan job's digest).
    const kommander = stageResults(job(run, 'kommander')) as { status: string; to?: string }[]
    expect(kommander.map((r) => [r.status, r.to])).toEqual([['upgraded', HOP]])
    const stageSteps = allLegs(run).flatMap(({ leg }) =>
      leg.steps
        .filter(
          (s) =>
            s.kind === 'action' &&
            s.outcome !== 'skipped' &&
            !['plan', 'fetch-dkp', undefined].includes(s.inputs?.stage),
        )
        .map((s) => ({
          leg: `${leg.name} › ${s.inputs!.stage}`,
          hop: s.inputs?.['plan-hop'],
          result: s.outputs.result,
        })),
    )
    expect(stageSteps.length).toBeGreaterThan(20)
    for (const s of stageSteps) {
      expect(s.hop, s.leg).toBe(HOP)
      expect(s.result, s.leg).toBeTruthy()
    }
    expect(mirror.requests()).toBe(1)

    // The fleet is at the hop: Kommander v2.7.3, every cluster at 1.27.6.
    await expectPlatformAt(tc.kube, HOP)
    const versions = await clusterVersions(tc.kube)
    expect(versions.size).toBe(13)
    for (const [name, v] of versions) {
      expect(v.controlPlane, name).toBe('v1.27.6')
      for (const pool of v.pools) expect(pool, name).toBe('v1.27.6')
    }
  })
})
