// Scenarios (d), (b), (c) on one test fleet (example inventory, seeded at DKP v2.7.1):
//  (d) a dry run, dispatched through the thin example caller (examples/workflows/
//      dkp-fleet-upgrade.yml → the shipped reusable workflow): the run is green and no
//      CAPI/Kommander/Flux/Velero object nor ConfigMap changes (resourceVersions), no lock;
//  (b) a real run where the stand-in dkp fails `update controlplane` for the canary only:
//      wave 0 fails, the gate before wave 1 halts the rollout (failureThreshold 0), no later
//      wave's cluster is touched, verify lists the gaps;
//  (c) a re-dispatch with the fault removed (dkp now from a pinned file:// mirror):
//      finished stages are skipped (nothing redone), the canary and every later wave are
//      upgraded, verify passes.

import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Inventory } from '../../src/core/model.js'
import { isManaged } from '../../src/core/model.js'
import { loadInventory } from '../../src/effects/inventory-files.js'
import { API } from '../../src/fleet/objects.js'
import { seedFleet } from '../../src/fleet/seed.js'
import { type Simulator, startSimulator } from '../../src/fleet/sim/index.js'
import { SEED_ORDER } from '../helpers/fleet-gen.js'
import { useTestCluster } from '../kube/harness.js'
import {
  clusterVersions,
  type Dispatcher,
  dispatcher,
  expectFleetAtTarget,
  failureLog,
  job,
  resourceVersions,
  stageResults,
  TARGET,
} from './pipeline-helpers.js'
import { allJobs, allLegs, describeRun, type WorkflowRun } from './workflow-runner.js'

const tc = useTestCluster()
let inventory: Inventory
let sim: Simulator
let d: Dispatcher
let kubeconfig: string
const figures: string[] = []
/** The management jobs of the shipped workflow: the seed order without verify. */
const MGMT_JOBS: string[] = SEED_ORDER.filter((s) => s !== 'verify')
const MUTATING_MGMT = MGMT_JOBS.filter((j) => j !== 'check')
/** custom-apps only verifies (no dkp command): it ends `skipped` when the apps are compatible. */
const ACTING_MGMT = MUTATING_MGMT.filter((j) => j !== 'custom-apps')

const log = (l: string) => console.log(l)
const failures = (run: WorkflowRun) =>
  allJobs(run)
    .filter((j) => j.result === 'failure')
    .map((j) => `${j.id}: ${failureLog(j).slice(-1500)}`)

describe('failed canary, resume, dry run through the shipped workflow', () => {
  beforeAll(async () => {
    inventory = (await loadInventory('examples/fleet.yaml')).inventory
    kubeconfig = readFileSync(tc.kubeconfigPath, 'utf8')
    await seedFleet(tc.kube, inventory, { dkp: 'v2.7.1', kubeconfig })
    sim = await startSimulator(tc.kube, { intervalMs: 20 })
    d = dispatcher(() => kubeconfig, log)
  })
  afterAll(async () => {
    await sim?.stop()
    d?.cleanup()
    console.log(`workflow e2e (b)(c)(d) figures:\n  ${figures.join('\n  ')}`)
  })

  it('(d) a dry run through the example caller changes nothing', async () => {
    // Settle, then check the fleet is quiet: the simulator writes nothing when converged.
    await new Promise((r) => setTimeout(r, 1500))
    const before = await resourceVersions(tc.kube)
    await new Promise((r) => setTimeout(r, 1000))
    expect(await resourceVersions(tc.kube)).toEqual(before)
    const configMapsBefore = await tc.kube.list('v1', 'ConfigMap', {
      namespace: inventory.management.namespace,
    })

    const run = await d.dispatch(
      { inventory: 'examples/fleet.yaml', target: TARGET.dkp, 'dry-run': true },
      { file: 'examples/workflows/dkp-fleet-upgrade.yml' },
    )
    figures.push(`dry run (example caller → shipped workflow): ${(run.ms / 1000).toFixed(1)} s`)
    console.log(describeRun(run))
    expect(failures(run)).toEqual([])
    expect(run.result).toBe('success')
    const called = job(run, 'upgrade')
    expect(called.called?.concurrency?.group).toBe(
      'dkp-fleet-upgrade-dkp-fleet-upgrade/dkp-fleet-upgrade-examples/fleet.yaml-dry-run',
    )

    // Every stage said what it would do, and did nothing. On a fleet where nothing ran yet, a
    // stage whose prerequisite is not done still lists its commands for the cluster as it is
    // now, and says what a real run would wait for.
    for (const id of MUTATING_MGMT) {
      const results = stageResults(job(run, id)) as { status: string; commands: string[]; message?: string }[]
      console.log(
        `  dry run ${id}: ${results.map((r) => `${r.status}: ${r.commands.join(' | ') || (r.message ?? '').split('\n')[0]}`).join('; ')}`,
      )
      expect(
        results.map((r) => r.status),
        id,
      ).toEqual(['dry-run'])
    }
    expect(JSON.stringify(stageResults(job(run, 'backup')))).toMatch(
      /velero backup create dkp-fleet-example-/,
    )
    const kommander = stageResults(job(run, 'kommander'))[0] as { commands: string[]; message?: string }
    expect(kommander.commands).toEqual([expect.stringMatching(/^dkp upgrade kommander --kubeconfig=/)])
    expect(kommander.message).toMatch(/a real run would wait: backup is not done on mgmt/)
    const waves = JSON.parse(job(run, 'plan').outputs.waves!) as { include: { cluster: string }[] }[]
    for (const [i, w] of waves.entries()) {
      const legs = job(run, `wave-${i}`).legs
      expect(legs.map((l) => l.matrix?.cluster)).toEqual(w.include.map((e) => e.cluster))
      for (const r of stageResults(job(run, `wave-${i}`)))
        expect(r.status, `${r.stage}:${r.cluster}`).toBe('dry-run')
    }
    // Gates and verify report what is not done yet, without failing the dry run.
    const gate0 = job(run, 'gate-0').legs[0]!.steps.find((s) => s.id === 'stage')!
    expect(gate0.outcome).toBe('failure')
    expect(gate0.conclusion).toBe('success')
    expect(gate0.log).toMatch(/wave 0 cannot start: management steps not done/)
    expect(job(run, 'verify').legs[0]!.steps.find((s) => s.id === 'stage')!.log).toMatch(
      /the fleet is not at the plan's target/,
    )
    // Approvals went to the unprotected dry-run environment.
    expect(new Set(d.approvals.map((a) => a.environment))).toEqual(new Set(['dkp-fleet-dry-run']))
    d.approvals.length = 0
    const after = await resourceVersions(tc.kube)
    const changed = [...after].filter(([k, v]) => before.get(k) !== v).map(([k]) => k)
    const created = [...after.keys()].filter((k) => !before.has(k))
    expect({ changed, created }).toEqual({ changed: [], created: [] })
    expect(
      await tc.kube.list('coordination.k8s.io/v1', 'Lease', { namespace: inventory.management.namespace }),
    ).toEqual([])
    // No ConfigMap either: a dry run writes no run-record entry and no pause marker.
    const configMapsAfter = await tc.kube.list('v1', 'ConfigMap', {
      namespace: inventory.management.namespace,
    })
    expect(configMapsAfter.map((c) => `${c.metadata.name}@${c.metadata.resourceVersion}`)).toEqual(
      configMapsBefore.map((c) => `${c.metadata.name}@${c.metadata.resourceVersion}`),
    )
  })

  it('(b) a failed canary halts the later waves', async () => {
    d.approvals.length = 0
    const later = inventory.clusters
      .filter(isManaged)
      .filter((c) => !c.canary)
      .map((c) => c.name)
    const versionsBefore = await clusterVersions(tc.kube)
    const crsBefore = await tc.kube.list(API.addons, 'ClusterResourceSet')

    const run = await d.dispatch(
      { inventory: 'examples/fleet.yaml', target: TARGET.dkp, 'dry-run': false, 'dkp-path': d.shim },
      { faults: { DKP_STANDIN_FAIL: 'update-controlplane@stage-east-1' } },
    )
    figures.push(`failed canary run: ${(run.ms / 1000).toFixed(1)} s`)
    console.log(describeRun(run))
    expect(run.result).toBe('failure')
    for (const id of ['plan', ...MGMT_JOBS, 'gate-0'])
      expect(job(run, id).result, `${id}: ${failureLog(job(run, id))}`).toBe('success')
    for (const id of ACTING_MGMT)
      expect(
        stageResults(job(run, id)).map((r) => r.status),
        id,
      ).toEqual(['upgraded'])
    expect(stageResults(job(run, 'custom-apps')).map((r) => r.status)).toEqual(['skipped'])

    // The canary: core-addons upgraded, kubernetes failed on the injected dkp error.
    const wave0 = job(run, 'wave-0')
    expect(wave0.result).toBe('failure')
    expect(stageResults(wave0).map((r) => `${r.stage}:${r.cluster}:${r.status}`)).toEqual([
      'core-addons:stage-east-1:upgraded',
      'kubernetes:stage-east-1:failed',
    ])
    // The gate before wave 1 ran (asked for approval), read live state and halted the rollout.
    const gate1 = job(run, 'gate-1')
    expect(gate1.result).toBe('failure')
    const gateLog = gate1.legs[0]!.steps.find((s) => s.id === 'stage')!.log
    expect(gateLog).toMatch(
      /wave 1 halted: 1 cluster\(s\) of earlier waves failed or are unfinished, failureThreshold is 0: stage-east-1/,
    )
    for (const id of ['wave-1', 'gate-2', 'wave-2', 'gate-3', 'wave-3'])
      expect(job(run, id).result, id).toBe('skipped')
    expect(d.approvals.map((a) => a.job)).toEqual(['kubernetes', 'gate-0', 'gate-1'])
    d.approvals.length = 0
    // verify ran as the summary of where the fleet stands, and failed listing the gaps.
    const verify = job(run, 'verify')
    expect(verify.result).toBe('failure')
    const verifyLog = verify.legs[0]!.steps.find((s) => s.id === 'stage')!.log
    for (const c of ['stage-east-1', ...later]) expect(verifyLog).toContain(`kubernetes:${c}`)

    // Later waves untouched: versions, addons and no dkp command for them.
    const versionsAfter = await clusterVersions(tc.kube)
    for (const c of later) expect(versionsAfter.get(c), c).toEqual(versionsBefore.get(c))
    expect(versionsAfter.get('stage-east-1')).toEqual(versionsBefore.get('stage-east-1'))
    expect(versionsAfter.get(inventory.management.name)!.controlPlane).toBe(TARGET.kubernetes)
    const crsAfter = await tc.kube.list(API.addons, 'ClusterResourceSet')
    for (const crs of crsAfter) {
      if (!later.some((c) => crs.metadata.name!.includes(c))) continue
      const prior = crsBefore.find(
        (b) => b.metadata.name === crs.metadata.name && b.metadata.namespace === crs.metadata.namespace,
      )
      expect(crs.metadata.resourceVersion, crs.metadata.name).toBe(prior?.metadata.resourceVersion)
    }
    const commands = allLegs(run).flatMap(({ leg }) =>
      leg.steps.flatMap((s) => (s.outputs.result ? (JSON.parse(s.outputs.result).commands as string[]) : [])),
    )
    for (const c of later)
      expect(
        commands.filter((line) => line.includes(` ${c}`) || line.includes(`=${c}`)),
        c,
      ).toEqual([])
  })

  it('(c) a re-dispatch without the fault resumes: nothing redone, the rest upgraded, verify passes', async () => {
    // This run downloads dkp from a (file://) mirror, pinned by sha256 (the workflow sets
    // require-checksum), into each job's fresh tool cache; max-parallel overrides the
    // inventory's rollout.maxParallel (2).
    const mirror = mkdtempSync(join(tmpdir(), 'dkp-mirror-'))
    const tarball = join(mirror, `dkp_${TARGET.dkp}_linux_amd64.tar.gz`)
    execFileSync('tar', ['-czf', tarball, '-C', dirname(d.shim), 'dkp'])
    const sha = createHash('sha256').update(readFileSync(tarball)).digest('hex')
    const run = await d.dispatch({
      inventory: 'examples/fleet.yaml',
      target: TARGET.dkp,
      'dry-run': false,
      'dkp-download-url': `file://${mirror}/dkp_{version}_{os}_{arch}.tar.gz`,
      'dkp-sha256': sha,
      'max-parallel': '4',
    })
    figures.push(`resumed run: ${(run.ms / 1000).toFixed(1)} s`)
    console.log(describeRun(run))
    expect(failures(run)).toEqual([])
    expect(run.result).toBe('success')
    // Everything the failed run finished is skipped from live state.
    for (const id of MUTATING_MGMT)
      expect(
        stageResults(job(run, id)).map((r) => r.status),
        id,
      ).toEqual(['skipped'])
    expect(stageResults(job(run, 'wave-0')).map((r) => `${r.stage}:${r.cluster}:${r.status}`)).toEqual([
      'core-addons:stage-east-1:skipped',
      'kubernetes:stage-east-1:upgraded',
    ])
    expect(job(run, 'wave-1').strategy).toEqual({ maxParallel: 4, failFast: false, legs: 4 })
    for (const i of [1, 2, 3])
      for (const r of stageResults(job(run, `wave-${i}`)))
        expect(r.status, `${r.stage}:${r.cluster}`).toBe('upgraded')
    expect(job(run, 'verify').result).toBe('success')
    // Each job downloads from the mirror once (fresh runner) and reuses its verified cache.
    const steps = job(run, 'wave-1').legs[0]!.steps
    const stepLog = (id: string) => steps.find((s) => s.id === id)!.log
    expect(stepLog('core-addons')).toContain(`sha256 matches the pinned value (${sha})`)
    expect(stepLog('kubernetes')).toMatch(/dkp v2\.8\.1 \(cache, sha256/)
    await expectFleetAtTarget(tc.kube, inventory)

    // The run record: each management step upgraded exactly once across both runs.
    const record = await tc.kube.get(
      'v1',
      'ConfigMap',
      `dkp-fleet-${inventory.fleet}-record`,
      inventory.management.namespace,
    )
    const entries = JSON.parse(
      (record as unknown as { data: Record<string, string> }).data['entries.json']!,
    ) as { stepId: string; status: string; runId: string }[]
    for (const id of ACTING_MGMT) {
      const upgraded = entries.filter(
        (e) => e.stepId === `${id}:${inventory.management.name}` && e.status === 'upgraded',
      )
      expect(upgraded.length, id).toBe(1)
    }
    expect(new Set(entries.map((e) => e.runId.split('/runs/')[1]?.split('/')[0])).size).toBe(2)
  })
})
