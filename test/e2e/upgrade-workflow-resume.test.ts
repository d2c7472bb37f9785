// Scenarios (d), (b), (c) on one test fleet (example inventory, seeded at DKP v2.7.1), dkp from
// a pinned loopback mirror, each job a fresh runner, one Actions cache for both real runs:
//  (d) a dry run, dispatched through the thin example caller (examples/workflows/
//      dkp-fleet-upgrade.yml → the shipped reusable workflow): the run is green and no
//      CAPI/Kommander/Flux/Velero object nor ConfigMap changes (resourceVersions), no lock; no
//      dkp job, no cache, no artifact;
//  (b) a real run where the stand-in dkp fails `update controlplane` for the canary only:
//      wave 0 fails, the gate before wave 1 halts the rollout (failureThreshold 0), no later
//      wave's cluster is touched, verify lists the gaps. The Actions cache is empty (a miss):
//      the dkp job downloads dkp once, verifies it and saves it; every stage job takes it from
//      the dkp job's artifact and verifies it again: exactly one mirror request;
//  (c) a re-dispatch with the fault removed: finished stages are skipped (nothing redone), the
//      canary and every later wave are upgraded, verify passes. The cache now holds the
//      tarball (a hit): the dkp job verifies it, and every stage job verifies the artifact
//      again: no mirror request at all.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Inventory } from '../../src/core/model.js'
import { isManaged } from '../../src/core/model.js'
import { loadInventory } from '../../src/effects/inventory-files.js'
import { API } from '../../src/fleet/objects.js'
import { seedFleet } from '../../src/fleet/seed.js'
import { type Simulator, startSimulator } from '../../src/fleet/sim/index.js'
import { SEED_ORDER } from '../helpers/fleet-gen.js'
import { useTestCluster } from '../kube/harness.js'
import { ActionsCacheStore } from './actions-cache.js'
import {
  clusterVersions,
  type Dispatcher,
  dispatcher,
  expectFleetAtTarget,
  expectStageJobsTookTheArtifact,
  failureLog,
  job,
  resourceVersions,
  type StandinMirror,
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
let mirror: StandinMirror
let cache: ActionsCacheStore
let scratch: string
const figures: string[] = []
/** The management jobs of the shipped workflow: the seed order without verify. */
const MGMT_JOBS: string[] = SEED_ORDER.filter((s) => s !== 'verify')
const MUTATING_MGMT = MGMT_JOBS.filter((j) => j !== 'check')
/** custom-apps only verifies (no dkp command): it ends `passed` when the apps are compatible. */
const ACTING_MGMT = MUTATING_MGMT.filter((j) => j !== 'custom-apps')
/** The management jobs that run dkp (backup creates a Velero Backup object): they take the dkp job's tarball. */
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
    mirror = await standinMirror(d)
    scratch = mkdtempSync(join(tmpdir(), 'wf-e2e-bcd-'))
    cache = new ActionsCacheStore(join(scratch, 'actions-cache'))
  })
  afterAll(async () => {
    await sim?.stop()
    await mirror?.close()
    d?.cleanup()
    if (scratch && !process.env.KEEP_E2E_TMP) rmSync(scratch, { recursive: true, force: true })
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
    // A dry run installs no dkp: no dkp job, no cache, no artifact.
    expect(job(run, 'dkp').result).toBe('skipped')
    expect(run.cache.events).toEqual([])
    expect(run.artifacts.events.map((e) => `${e.job} ${e.kind}`)).toEqual(['upgrade / check upload'])
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

    const requestsBefore = mirror.requests()
    const run = await d.dispatch(
      {
        inventory: 'examples/fleet.yaml',
        target: TARGET.dkp,
        'dry-run': false,
        'dkp-download-url': mirror.template,
        'dkp-sha256': mirror.sha256,
      },
      { faults: { DKP_STANDIN_FAIL: 'update-controlplane@stage-east-1' }, cache },
    )
    figures.push(`failed canary run: ${(run.ms / 1000).toFixed(1)} s`)
    console.log(describeRun(run))
    expect(run.result).toBe('failure')
    // A miss: the dkp job (no secret) downloaded dkp once, verified it, saved it under the
    // plan's key and handed it over; every stage job took the artifact and verified it again;
    // no other job touched the cache or the mirror.
    expect(job(run, 'plan').outputs['dkp-cache-key']).toBe(mirror.cacheKey)
    expect(mirror.requests() - requestsBefore).toBe(1)
    expect(run.cache.events.map((e) => `${e.job} ${e.kind} ${e.result}`)).toEqual([
      'dkp restore miss',
      'dkp save saved',
    ])
    expect(cache.entries.map((e) => [e.key, e.savedBy, e.files])).toEqual([
      [mirror.cacheKey, 'dkp', [`$RUNNER_TEMP/dkp-fleet-dkp-cache/${mirror.name}`]],
    ])
    const fetched = job(run, 'dkp').legs[0]!.steps.find((s) => s.id === 'fetch')!
    expect(fetched.log).toContain(`downloading dkp ${TARGET.dkp}`)
    expect(fetched.outputs['dkp-cache-key']).toBe(mirror.cacheKey)
    const installed = expectStageJobsTookTheArtifact(run, mirror.sha256)
    // verify checked the failed canary's core-addons step with dkp: one install for the job,
    // however many checks asked for dkp at once.
    expect(installed.filter((name) => name === 'verify')).toEqual(['verify'])
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

  it('(c) a re-dispatch without the fault resumes: nothing redone, the rest upgraded, verify passes; a cache hit, no mirror request, every stage job verifies the tarball', async () => {
    // The same pinned mirror and Actions cache as (b); max-parallel overrides the inventory's (2).
    const requestsBefore = mirror.requests()
    const eventsBefore = cache.events.length
    const sha = mirror.sha256
    const run = await d.dispatch(
      {
        inventory: 'examples/fleet.yaml',
        target: TARGET.dkp,
        'dry-run': false,
        'dkp-download-url': mirror.template,
        'dkp-sha256': sha,
        'max-parallel': '4',
      },
      { cache },
    )
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

    // A cache hit: the dkp job restored the tarball (b) saved, verified it against the pin
    // and handed it over without asking the mirror, and saved nothing; no other job touched
    // the cache; every stage job that installed dkp verified the artifact again.
    expect(mirror.requests() - requestsBefore).toBe(0)
    expect(run.cache.events.slice(eventsBefore).map((e) => `${e.job} ${e.kind} ${e.result}`)).toEqual([
      'dkp restore hit',
    ])
    expect(cache.entries.map((e) => e.savedBy)).toEqual(['dkp'])
    const fetched = job(run, 'dkp').legs[0]!.steps.find((s) => s.id === 'fetch')!
    expect(fetched.log).toContain(`found dkp ${TARGET.dkp} in the tarball cache: `)
    expect(fetched.log).toContain(`sha256 matches the pinned value (${sha})`)
    expect(fetched.outputs['dkp-cache-key']).toBeUndefined()
    const installed = expectStageJobsTookTheArtifact(run, sha)
    // The management stages before core-addons were done without running dkp; core-addons is
    // the first that runs it even when done (its done-check reads `dkp upgrade addons
    // --dry-run -o yaml`), and every cluster job, each on its own fresh runner, installs it; its
    // second stage then uses the job's own tool cache (binary re-hashed).
    const legs = [0, 1, 2, 3].flatMap((i) => job(run, `wave-${i}`).legs)
    expect(legs.length).toBe(inventory.clusters.filter(isManaged).length)
    expect(installed).toEqual(
      expect.arrayContaining([job(run, 'core-addons').legs[0]!.name, ...legs.map((l) => l.name)]),
    )
    for (const id of DKP_MGMT.slice(0, DKP_MGMT.indexOf('core-addons')))
      expect(installed, id).not.toContain(job(run, id).legs[0]!.name)
    for (const leg of legs)
      expect(leg.steps.find((s) => s.id === 'kubernetes')!.log, leg.name).toMatch(
        /dkp v2\.8\.1 \(cache, sha256/,
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
