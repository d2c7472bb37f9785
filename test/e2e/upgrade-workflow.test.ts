// Scenario (a): a clean upgrade of the example fleet from DKP v2.7.1 to v2.8.1 through the
// shipped workflow file (.github/workflows/dkp-fleet-upgrade.yml), dispatched on the workflow
// runner: plan → Kommander stages → Konvoy stages on the management cluster → the canary
// wave and three more waves of managed clusters (matrix legs, max-parallel 2) → verify.
// The real bundle (dist/index.js + dist/post.js) runs every stage against the test fleet
// (real kube-apiserver, simulated controllers, the stand-in dkp as a release tarball on a
// pinned loopback mirror). The Actions cache holds a forged entry under the run's dkp cache key
// (what a poisoned cache would hold: a well-formed tarball with another dkp): only the dkp job,
// which holds no secret, restores it; it refuses it on the pinned sha256 and downloads and
// verifies dkp instead (one mirror request for the whole run). The stage jobs never see the
// forged entry: they take the verified tarball from the dkp job's artifact and verify it again,
// and the forged dkp never runs.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Inventory } from '../../src/core/model.js'
import { isManaged } from '../../src/core/model.js'
import { loadInventory } from '../../src/effects/inventory-files.js'
import { seedFleet } from '../../src/fleet/seed.js'
import { type Simulator, startSimulator } from '../../src/fleet/sim/index.js'
import { SEED_ORDER } from '../helpers/fleet-gen.js'
import { useTestCluster } from '../kube/harness.js'
import { ActionsCacheStore } from './actions-cache.js'
import {
  clusterVersions,
  type Dispatcher,
  DKP_MGMT_JOBS,
  dispatcher,
  dkpTarball,
  expectFleetAtTarget,
  expectStageJobsTookTheArtifact,
  failureLog,
  job,
  ROOT,
  type StandinMirror,
  stageResults,
  standinMirror,
  TARGET,
} from './pipeline-helpers.js'
import { allLegs, describeRun } from './workflow-runner.js'

const tc = useTestCluster()
let inventory: Inventory
let sim: Simulator
let d: Dispatcher
let mirror: StandinMirror
let scratch: string
const figures: string[] = []

describe('scenario (a): clean upgrade through the shipped workflow', () => {
  beforeAll(async () => {
    inventory = (await loadInventory('examples/fleet.yaml')).inventory
    const kubeconfig = readFileSync(tc.kubeconfigPath, 'utf8')
    const t = Date.now()
    await seedFleet(tc.kube, inventory, { dkp: 'v2.7.1', kubeconfig })
    sim = await startSimulator(tc.kube, { intervalMs: 20 })
    figures.push(`seed + simulator: ${((Date.now() - t) / 1000).toFixed(1)} s`)
    d = dispatcher(
      () => kubeconfig,
      (l) => console.log(l),
    )
    mirror = await standinMirror(d)
    scratch = mkdtempSync(join(tmpdir(), 'wf-e2e-a-'))
  })
  afterAll(async () => {
    await sim?.stop()
    await mirror?.close()
    d?.cleanup()
    if (scratch && !process.env.KEEP_E2E_TMP) rmSync(scratch, { recursive: true, force: true })
    console.log(`workflow e2e (a) figures:\n  ${figures.join('\n  ')}`)
  })

  it('upgrades every cluster and app to v2.8.1 in waves, and verify passes', async () => {
    const before = await clusterVersions(tc.kube)
    expect([...before.values()].every((v) => v.controlPlane === 'v1.27.6')).toBe(true)

    // The poisoned cache: a forged dkp (it would leave a marker, then behave) in a well-formed
    // release tarball under the right name, saved under the key this run's jobs restore.
    const marker = join(scratch, 'forged-dkp-ran')
    const forgedDkp = join(scratch, 'forged-dkp')
    writeFileSync(forgedDkp, `#!/bin/sh\ntouch '${marker}'\nexec '${d.shim}' "$@"\n`, { mode: 0o755 })
    const forged = dkpTarball(forgedDkp, scratch)
    const attacker = join(scratch, 'attacker-runner')
    mkdirSync(join(attacker, 'dkp-fleet-dkp-cache'), { recursive: true })
    writeFileSync(join(attacker, 'dkp-fleet-dkp-cache', mirror.name), forged.data)
    const cache = new ActionsCacheStore(join(scratch, 'actions-cache'))
    cache.run(
      'save',
      { path: join(attacker, 'dkp-fleet-dkp-cache'), key: mirror.cacheKey },
      {
        RUNNER_TEMP: attacker,
        RUNNER_TOOL_CACHE: join(attacker, 'tc'),
        GITHUB_WORKSPACE: ROOT,
        HOME: scratch,
      },
      { job: 'another workflow', step: 'save' },
    )

    const run = await d.dispatch(
      {
        inventory: 'examples/fleet.yaml',
        target: TARGET.dkp,
        'dry-run': false,
        'dkp-download-url': mirror.template,
        'dkp-sha256': mirror.sha256,
      },
      { cache },
    )
    figures.push(`clean upgrade run: ${(run.ms / 1000).toFixed(1)} s`)
    console.log(describeRun(run))
    const failed = [...run.jobs.values()].filter((j) => j.result === 'failure')
    expect(failed.map((j) => `${j.id}: ${failureLog(j)}`)).toEqual([])
    expect(run.result).toBe('success')

    // The job chain ran in order; every stage did its work once.
    const mgmt = SEED_ORDER.filter((s) => s !== 'verify')
    for (const id of mgmt) expect(job(run, id).result, id).toBe('success')
    for (const id of [
      'kommander',
      'workspaces',
      'workspace-apps',
      'project-apps',
      'capi-components',
      'core-addons',
      'kubernetes',
    ])
      expect(
        stageResults(job(run, id)).map((r) => r.status),
        id,
      ).toEqual(['upgraded'])
    expect(run.jobs.get('check')!.started).toBeGreaterThanOrEqual(
      run.jobs.get('plan')!.started + run.jobs.get('plan')!.ms,
    )

    // Waves: slot i ran the plan's wave i, one leg per cluster, at most maxParallel (2) at once.
    const waves = JSON.parse(run.jobs.get('plan')!.outputs.waves!) as {
      wave: number
      include: { cluster: string }[]
    }[]
    expect(waves.map((w) => w.include.length)).toEqual([1, 4, 4, 3])
    for (const [i, w] of waves.entries()) {
      expect(job(run, `gate-${i}`).result).toBe('success')
      const wj = job(run, `wave-${i}`)
      expect(wj.result).toBe('success')
      expect(wj.legs.map((l) => l.matrix?.cluster)).toEqual(w.include.map((e) => e.cluster))
      expect(wj.peakParallel).toBeLessThanOrEqual(2)
      for (const r of stageResults(wj)) expect(r.status, `${r.stage}:${r.cluster}`).toBe('upgraded')
      // Each wave started after the previous one had finished (gate in between).
      if (i > 0)
        expect(job(run, `gate-${i}`).started).toBeGreaterThanOrEqual(
          job(run, `wave-${i - 1}`).started + job(run, `wave-${i - 1}`).ms,
        )
    }
    for (let i = waves.length; i < 8; i++) {
      expect(job(run, `gate-${i}`).result).toBe('skipped')
      expect(job(run, `wave-${i}`).result).toBe('skipped')
    }
    expect(job(run, 'wave-1').strategy).toEqual({ maxParallel: 2, failFast: false, legs: 4 })
    expect(job(run, 'wave-1').peakParallel).toBe(2)

    // Approvals: the management cluster's Kubernetes, then once per wave (not per leg).
    expect(d.approvals.map((a) => `${a.job}:${a.environment}`)).toEqual([
      'kubernetes:dkp-fleet-management',
      ...waves.map((_, i) => `gate-${i}:dkp-fleet-waves`),
    ])

    // verify read the whole fleet back and passed.
    const verify = stageResults(job(run, 'verify'))
    expect(verify).toHaveLength(1)
    expect(verify[0]).toMatchObject({ stage: 'verify', status: 'passed' })
    const verifyStep = job(run, 'verify').legs[0]!.steps.find((s) => s.id === 'stage')!
    expect(verifyStep.outcome).toBe('success')
    expect(JSON.parse(verifyStep.outputs.result!).message).toMatch(
      /^verified: all \d+ steps of the plan are done/,
    )

    // Post steps ran after every stage step and found nothing to clean up.
    for (const { leg } of allLegs(run))
      for (const s of leg.steps.filter((x) => x.kind === 'action' && x.outcome !== 'skipped'))
        expect(s.post?.exitCode, `${leg.name} post`).toBe(0)

    // The kubeconfig's token never reached a log unmasked.
    const token = tc.adminToken
    for (const { leg } of allLegs(run))
      for (const s of leg.steps)
        expect(s.log.includes(token), `${leg.name} › ${s.name} leaks the token`).toBe(false)
    expect(run.masks.has(token)).toBe(true)

    // The poisoned cache entry: only the dkp job (no secret) restored it (exact key); fetch-dkp
    // refused the tarball on the pinned sha256 (a warning naming both and the key), downloaded
    // and verified dkp from the mirror instead, saved nothing over the entry and handed the
    // verified tarball over as an artifact. The forged dkp never ran.
    expect(existsSync(marker)).toBe(false)
    const dkpJob = job(run, 'dkp').legs[0]!
    const dkpStep = (id: string) => dkpJob.steps.find((s) => s.id === id)!
    expect(dkpStep('dkp-cache').outputs['cache-hit']).toBe('true')
    const refusal = `has sha256 ${forged.sha256}, but the pinned sha256 is ${mirror.sha256}`
    expect(dkpStep('fetch').log).toContain(refusal)
    expect(dkpStep('fetch').log).toContain(`downloading dkp ${TARGET.dkp}`)
    expect(
      dkpJob.annotations.some(
        (a) => a.level === 'warning' && a.message.includes(`gh cache delete ${mirror.cacheKey}`),
      ),
    ).toBe(true)
    expect(dkpJob.steps.find((s) => s.name === 'Save the verified dkp tarball')?.outcome).toBe('skipped')
    expect(dkpStep('upload').outcome).toBe('success')
    expect(run.cache.events.map((e) => `${e.job} ${e.kind} ${e.result}`)).toEqual([
      'another workflow save saved',
      'dkp restore hit',
    ])
    expect(cache.entries.map((e) => [e.key, e.savedBy])).toEqual([[mirror.cacheKey, 'another workflow']])
    // The artifact is the verified download, not the forged tarball.
    // (The check job keeps its report as the run's other artifact.)
    expect(run.artifacts.artifacts.map((a) => a.uploadedBy).sort()).toEqual(['check', 'dkp'])
    expect(run.artifacts.artifacts.filter((a) => a.uploadedBy === 'dkp')).toEqual([
      expect.objectContaining({
        name: mirror.name,
        archived: false,
        digest: mirror.sha256,
        retentionDays: 1,
        uploadedBy: 'dkp',
      }),
    ])

    // Every job whose stage runs dkp took that file and verified it against the pin before
    // installing; none restored the cache, saw the forged tarball or asked the mirror.
    const installed = expectStageJobsTookTheArtifact(run, mirror.sha256)
    const legNames = (id: string) => job(run, id).legs.map((l) => l.name)
    expect(installed).toEqual(
      expect.arrayContaining([
        ...DKP_MGMT_JOBS.flatMap(legNames),
        ...waves.flatMap((_, i) => legNames(`wave-${i}`)),
      ]),
    )
    for (const { leg } of allLegs(run))
      for (const s of leg.steps)
        if (leg.name !== dkpJob.name) expect(s.log, `${leg.name} › ${s.name}`).not.toContain(forged.sha256)
    expect(mirror.requests()).toBe(1)

    await expectFleetAtTarget(tc.kube, inventory)
    const after = await clusterVersions(tc.kube)
    const managed = inventory.clusters.filter(isManaged).map((c) => c.name)
    for (const name of [inventory.management.name, ...managed]) {
      expect(after.get(name)?.controlPlane, name).toBe(TARGET.kubernetes)
      for (const v of after.get(name)?.pools ?? []) expect(v, name).toBe(TARGET.kubernetes)
    }
    const slowest = allLegs(run).sort((a, b) => b.leg.ms - a.leg.ms)[0]!
    figures.push(
      `slowest leg: ${slowest.leg.name} ${(slowest.leg.ms / 1000).toFixed(1)} s (${slowest.leg.steps
        .filter((s) => s.kind === 'action')
        .map((s) => `${s.id} ${(s.ms / 1000).toFixed(1)} s + post ${((s.post?.ms ?? 0) / 1000).toFixed(1)} s`)
        .join(', ')})`,
    )
    if (process.env.E2E_VERBOSE)
      for (const s of slowest.leg.steps)
        console.log(
          `--- ${s.name}\n${s.log
            .split('\n')
            .filter((l) => /waiting|done after|exit 0|dkp /.test(l))
            .join('\n')}`,
        )
  })
})
