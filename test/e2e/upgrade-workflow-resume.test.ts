// Scenarios (d), (b), (c) on one test fleet (example inventory, seeded at DKP v2.7.1):
//  (d) a dry run, dispatched through the thin example caller (examples/workflows/
//      dkp-fleet-upgrade.yml → the shipped reusable workflow): the run is green and no
//      CAPI/Kommander/Flux/Velero object nor ConfigMap changes (resourceVersions), no lock;
//  (b) a real run where the stand-in dkp fails `update controlplane` for the canary only:
//      wave 0 fails, the gate before wave 1 halts the rollout (failureThreshold 0), no later
//      wave's cluster is touched, verify lists the gaps;
//  (c) a re-dispatch with the fault removed (dkp now from a pinned loopback mirror, each job a
//      fresh runner, the Actions cache empty): finished stages are skipped (nothing redone),
//      the canary and every later wave are upgraded, verify passes; dkp is downloaded once, by
//      the first job that needs it, and every cluster job restores the verified tarball from
//      the cache and re-verifies it against the pinned sha256 instead of downloading.

import { readFileSync } from 'node:fs'
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
  standinMirror,
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
/** custom-apps only verifies (no dkp command): it ends `passed` when the apps are compatible. */
const ACTING_MGMT = MUTATING_MGMT.filter((j) => j !== 'custom-apps')
/** The management jobs that run dkp (backup creates a Velero Backup object): they use the dkp cache. */
const DKP_MGMT = ACTING_MGMT.filter((j) => j !== 'backup')

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
    // A dry run installs no dkp, so it neither restores nor saves the dkp cache.
    expect(run.cache.events).toEqual([])
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
    // With dkp-path there is no cache key, so no job restores or saves the dkp cache.
    expect(job(run, 'plan').outputs['dkp-cache-key'] ?? '').toBe('')
    expect(run.cache.events).toEqual([])
    for (const id of ['plan', ...MGMT_JOBS, 'gate-0'])
      expect(job(run, id).result, `${id}: ${failureLog(job(run, id))}`).toBe('success')
    for (const id of ACTING_MGMT)
      expect(
        stageResults(job(run, id)).map((r) => r.status),
        id,
      ).toEqual(['upgraded'])
    expect(stageResults(job(run, 'custom-apps')).map((r) => r.status)).toEqual(['passed'])

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

  it('(c) a re-dispatch without the fault resumes: nothing redone, the rest upgraded, verify passes; one dkp download, every cluster job restores it', async () => {
    // This run downloads dkp from a loopback mirror, pinned by sha256 (the workflow sets
    // require-checksum); every job is a fresh runner (its own RUNNER_TEMP and tool cache) and
    // the Actions cache starts empty; max-parallel overrides the inventory's (2).
    const mirror = await standinMirror(d)
    const sha = mirror.sha256
    let run: WorkflowRun
    try {
      run = await d.dispatch({
        inventory: 'examples/fleet.yaml',
        target: TARGET.dkp,
        'dry-run': false,
        'dkp-download-url': mirror.template,
        'dkp-sha256': sha,
        'max-parallel': '4',
      })
    } finally {
      await mirror.close()
    }
    figures.push(`resumed run: ${(run.ms / 1000).toFixed(1)} s`)
    console.log(describeRun(run))
    expect(failures(run)).toEqual([])
    expect(run.result).toBe('success')
    // Everything the failed run finished is skipped from live state (the custom-apps gate passes again).
    for (const id of MUTATING_MGMT)
      expect(
        stageResults(job(run, id)).map((r) => r.status),
        id,
      ).toEqual([id === 'custom-apps' ? 'passed' : 'skipped'])
    expect(stageResults(job(run, 'wave-0')).map((r) => `${r.stage}:${r.cluster}:${r.status}`)).toEqual([
      'core-addons:stage-east-1:skipped',
      'kubernetes:stage-east-1:upgraded',
    ])
    expect(job(run, 'wave-1').strategy).toEqual({ maxParallel: 4, failFast: false, legs: 4 })
    for (const i of [1, 2, 3])
      for (const r of stageResults(job(run, `wave-${i}`)))
        expect(r.status, `${r.stage}:${r.cluster}`).toBe('upgraded')
    expect(job(run, 'verify').result).toBe('success')

    // One dkp download per runner pool. The management stages before core-addons were done
    // without needing dkp: they restored (an empty cache) and saved nothing. core-addons is the
    // first job that needs dkp even when done (its done-check reads `dkp upgrade addons
    // --dry-run -o yaml`): it downloaded dkp, verified it and saved the tarball under the plan's
    // key; every later dkp job restored it.
    expect(job(run, 'plan').outputs['dkp-cache-key']).toBe(mirror.cacheKey)
    expect(mirror.requests()).toBe(1)
    const eventsOf = (prefix: string) =>
      run.cache.events.filter((e) => e.job === prefix || e.job.startsWith(`${prefix} (`))
    const before = DKP_MGMT.slice(0, DKP_MGMT.indexOf('core-addons'))
    const expected = (id: string) =>
      before.includes(id)
        ? ['restore miss']
        : id === 'core-addons'
          ? ['restore miss', 'save saved']
          : id === 'kubernetes'
            ? ['restore hit']
            : []
    for (const id of MGMT_JOBS)
      expect(
        eventsOf(id).map((e) => `${e.kind} ${e.result}`),
        id,
      ).toEqual(expected(id))
    const first = job(run, 'core-addons').legs[0]!.steps.find((s) => s.id === 'stage')!
    expect(first.log).toContain(`downloading dkp ${TARGET.dkp}`)
    expect(first.outputs['dkp-cache-key']).toBe(mirror.cacheKey)
    expect(run.cache.entries.map((e) => [e.key, e.savedBy, e.files])).toEqual([
      [mirror.cacheKey, 'core-addons', [`$RUNNER_TEMP/dkp-fleet-dkp-cache/${mirror.name}`]],
    ])
    // Every cluster job, on its own fresh runner (the canary's first), restored the tarball by
    // the exact key, re-verified its sha256 against the pin before installing, made no request
    // and saved nothing; its second stage then used the job's own tool cache (binary re-hashed).
    const legs = [0, 1, 2, 3].flatMap((i) => job(run, `wave-${i}`).legs)
    expect(legs.length).toBe(inventory.clusters.filter(isManaged).length)
    for (const leg of legs) {
      const step = (id: string) => leg.steps.find((s) => s.id === id)!
      expect(step('dkp-cache').outputs['cache-hit'], leg.name).toBe('true')
      expect(step('core-addons').log, leg.name).toContain(`found dkp ${TARGET.dkp} in the tarball cache: `)
      expect(step('core-addons').log, leg.name).toContain(`sha256 matches the pinned value (${sha})`)
      expect(step('core-addons').log, leg.name).not.toContain('downloading dkp')
      expect(step('kubernetes').log, leg.name).toMatch(/dkp v2\.8\.1 \(cache, sha256/)
      expect(leg.steps.find((s) => s.name === 'Save the verified dkp tarball')?.outcome, leg.name).toBe(
        'skipped',
      )
    }
    expect(run.cache.events.filter((e) => e.kind === 'restore' && e.result === 'hit').length).toBe(
      legs.length + 1,
    )
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
