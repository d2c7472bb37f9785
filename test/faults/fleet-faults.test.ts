// Reliability: faults on the test fleet. One small fleet (management + one workspace with a
// project + four managed AWS clusters, seeded at DKP v2.7.1, simulated controllers running) is
// upgraded to v2.8.1 stage by stage through the real action bundle (`node dist/index.js`, then
// `node dist/post.js`: child processes with INPUT_* variables and real GITHUB_OUTPUT /
// GITHUB_STEP_SUMMARY / GITHUB_STATE files), and every stage meets a fault on the way:
//
//   check            a managed cluster's kubeconfig Secret is missing
//   backup           the lock is held by a live run
//   kommander        apiserver 500/503/429 bursts and dropped connections (flaky proxy)
//   workspaces       dkp exits 1 after a partial change
//   workspace-apps   a conflicting writer on the run record (a real 409 from the apiserver)
//   project-apps     a racing run takes the expired lock first (a real 409 on the Lease), then
//                    its lock expires and the resume takes it over with a warning
//   custom-apps      a managed cluster's kubeconfig Secret is missing
//   capi-components  the dkp tarball: checksum mismatch, then a corrupt tarball (install path)
//   core-addons      the apiserver unavailable for longer than the retries (mgmt); the three
//                    managed clusters' jobs at once (concurrent run-record writers)
//   kubernetes       poll connections reset (mgmt); dkp hangs past timeout-minutes (east-1);
//                    the runner cancels the job: SIGTERM, then the post step (east-2); a full
//                    kube-apiserver restart mid-rollout (east-3); the runner kills the job's
//                    process tree (SIGKILL), the post step cleans up (east-4)
//
// After each fault: no stage reported done that is not done in live state, a clear report
// (command, exit code, last lines / which fault), no Lease or process left behind, GITHUB_OUTPUT
// well formed (every block closed, `result` parses, declared names only), and a resume (the
// same stage again, fault removed) completes the step. The file ends with verify.

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PlanStage } from '../../src/core/stages.js'
import { pendingTexts } from '../../src/core/step-state.js'
import { loadInventory } from '../../src/effects/inventory-files.js'
import { type AnyObject, microTime } from '../../src/effects/kube.js'
import { LEASE_API, type Lease, leaseName } from '../../src/effects/lease.js'
import { RunRecord, recordName } from '../../src/effects/run-record.js'
import { isAlive } from '../../src/fleet/control-plane.js'
import { API, dig } from '../../src/fleet/objects.js'
import { seedFleet } from '../../src/fleet/seed.js'
import { type Simulator, startSimulator } from '../../src/fleet/sim/index.js'
import { buildDkpTarball, sha256, startTarballServer, tarballName } from '../helpers/tarball-server.js'
import { type Fault, type FlakyProxy, startFlakyProxy } from '../kube/flaky-proxy.js'
import { useTestCluster } from '../kube/harness.js'
import {
  ActionRunner,
  actionSnapshot,
  declaredOutputs,
  type Job,
  leases,
  liveState,
  logOf,
  makeShim,
  processesMentioning,
  recordEntries,
  type Shim,
  shimScript,
  survivors,
  until,
} from './helpers.js'

const tc = useTestCluster()

const FLEET = 'faults'
const NS = 'default' // the management cluster's namespace: Leases and the run record
const WS_NS = 'team-a-f4ult'
const INVENTORY_YAML = `apiVersion: dkp-fleet/v1
kind: Fleet
metadata: { name: ${FLEET} }
target: { dkp: v2.8.1, kubernetes: 1.28.7 }
management: { name: mgmt, provider: aws, namespace: ${NS} }
backup: { namespace: kommander, maxAge: 12h }
workspaces:
  - name: team-a
    namespace: ${WS_NS}
    apps: [{ name: kafka-operator, version: 0.25.1 }]
    projects:
      - name: payments
        apps: [{ name: zookeeper-operator, version: 0.2.16 }]
clusters:
  - { name: east-1, workspace: team-a, provider: aws, nodepools: [east-1-md-0] }
  - { name: east-2, workspace: team-a, provider: aws, nodepools: [east-2-md-0] }
  - { name: east-3, workspace: team-a, provider: aws, nodepools: [east-3-md-0] }
  - { name: east-4, workspace: team-a, provider: aws, nodepools: [east-4-md-0] }
`
const OTHER_RUN = 'acme/fleet/actions/runs/1234/attempts/1 job other'

let actionDir: string
let workspace: string
let inventoryPath: string
let sim: Simulator
let shim: Shim
let runner: ActionRunner
let kubeconfig: string
let toolCache: string
let outputsDeclared: Set<string>
const figures: string[] = []
const tally = { tried: 0, survived: 0, resumed: 0 }
const proxies: FlakyProxy[] = []

beforeAll(async () => {
  actionDir = actionSnapshot()
  outputsDeclared = declaredOutputs(actionDir)
  workspace = join(actionDir, 'repo')
  toolCache = join(actionDir, 'tool-cache')
  mkdirSync(workspace, { recursive: true })
  mkdirSync(toolCache, { recursive: true })
  inventoryPath = join(workspace, 'fleet.yaml')
  writeFileSync(inventoryPath, INVENTORY_YAML)
  kubeconfig = readFileSync(tc.kubeconfigPath, 'utf8')
  const { inventory } = await loadInventory(inventoryPath)
  const t0 = performance.now()
  await seedFleet(tc.kube, inventory, { dkp: 'v2.7.1', kubeconfig })
  sim = await startSimulator(tc.kube, { intervalMs: 20 })
  figures.push(`seed: ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  shim = makeShim(actionDir, { DKP_STANDIN_VERSION: 'v2.8.1', DKP_STANDIN_POLL_MS: '50' })
  runner = new ActionRunner(actionDir, workspace, {
    PATH: process.env.PATH ?? '',
    HOME: join(actionDir, 'home'),
    RUNNER_TOOL_CACHE: toolCache,
    DKP_FLEET_POLL_MS: '100',
  })
})

afterAll(async () => {
  for (const p of proxies) await p.close()
  await sim?.stop()
  console.log(
    `fleet faults: ${tally.tried} faults tried, ${tally.survived} survived without a failed stage, ${tally.resumed} failed clearly and were resumed\n  ${figures.join('\n  ')}`,
  )
})

// ---------------------------------------------------------------- helpers

const PER_CLUSTER = new Set<PlanStage>(['core-addons', 'kubernetes'])

/** Inputs of a stage job against the test fleet (dkp from the shim unless given). */
function inputs(
  stage: PlanStage,
  cluster: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    stage,
    inventory: 'fleet.yaml',
    kubeconfig,
    'dkp-path': shim.path,
    ...(PER_CLUSTER.has(stage) ? { cluster } : {}),
    ...extra,
  }
}

async function proxy(): Promise<FlakyProxy> {
  const p = await startFlakyProxy(tc)
  proxies.push(p)
  return p
}

/**
 * What must hold after any job, faulted or not: the output files well formed with declared
 * names only and a parsable `result`; a result reported done is done in live state; no
 * dkp-fleet Lease left (except `leasesLeft`); no dkp process (pid or process group) left;
 * nothing of the job still running (ps); the temp kubeconfigs gone once the post step ran.
 */
async function expectClean(
  job: Job,
  stage: PlanStage,
  cluster: string,
  dkpPidsFrom: number,
  opts: { leasesLeft?: string[] } = {},
) {
  const log = logOf(job)
  for (const step of [job.main, job.post]) {
    if (!step) continue
    expect(step.outputError, `GITHUB_OUTPUT of ${job.id}:\n${step.outputText.slice(0, 2000)}`).toBeUndefined()
    for (const name of Object.keys(step.outputs)) expect([...outputsDeclared], name).toContain(name)
    if (step.outputs.result !== undefined) expect(() => JSON.parse(step.outputs.result!)).not.toThrow()
    expect(step.stdout + step.stderr, `no stack trace\n${log}`).not.toMatch(/^\s+at .+\(|node:internal/m)
    expect([0, 1], `exit code\n${log}`).toContain(step.code)
  }
  expect(job.result, `no result output\n${log}`).toBeDefined()
  const result = job.result!
  expect(result).toMatchObject({ stage, cluster, stepId: `${stage}:${cluster}` })
  if (result.status === 'upgraded' || result.status === 'skipped' || result.status === 'passed') {
    const state = await liveState(() => tc.client(), inventoryPath, stage, cluster)
    expect(
      state.done,
      `${stage}:${cluster} reported ${result.status}, live state: ${pendingTexts(state).join('; ')}`,
    ).toBe(true)
    expect(job.main.code, log).toBe(0)
  } else {
    expect(job.main.code, log).toBe(1)
    expect(job.main.stdout, 'the step fails with an ::error:: line').toMatch(/^::error::/m)
  }
  expect(
    (await leases(tc.kube, NS)).map((l) => `${l.name} ${l.holder ?? ''}`),
    'Leases left',
  ).toEqual(opts.leasesLeft ?? [])
  const dkpPids = shim.pids().slice(dkpPidsFrom)
  expect(await survivors(dkpPids), 'dkp processes (or their groups) still alive').toEqual([])
  expect(processesMentioning(job.dir), 'processes of the job still running').toEqual([])
  if (job.post) {
    expect(
      readdirSync(job.runnerTemp).filter((f) => f.startsWith('dkp-fleet-kube-')),
      'temp kubeconfigs left',
    ).toEqual([])
  }
}

interface StageRun {
  job: Job
  /** dkp invocations of this job (argv, `--kubeconfig` dropped). */
  calls: string[]
}

/** Runs a stage job (main + post) and checks the invariants. */
async function stageJob(
  stage: PlanStage,
  cluster: string,
  opts: {
    inputs?: Record<string, string>
    env?: Record<string, string>
    leasesLeft?: string[]
    kubeconfig?: string
  } = {},
): Promise<StageRun> {
  const calls = shim.calls().length
  const pids = shim.pids().length
  const job = await runner.runWithPost(
    inputs(stage, cluster, { ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}), ...opts.inputs }),
    { env: opts.env ?? {} },
  )
  figures.push(
    `${stage}:${cluster} → ${job.result?.status ?? '?'} in ${(job.main.ms / 1000).toFixed(1)} s (+ post ${((job.post?.ms ?? 0) / 1000).toFixed(1)} s)${
      job.result?.status === 'failed' || job.result?.status === 'cancelled'
        ? `: ${job.result.message
            ?.split('\n')
            .slice(0, 3)
            .join(' ⏎ ')
            .replace(/--kubeconfig=\S+/g, '--kubeconfig=…')}`
        : ''
    }`,
  )
  await expectClean(job, stage, cluster, pids, { leasesLeft: opts.leasesLeft ?? [] })
  return { job, calls: shim.calls().slice(calls) }
}

/** Gates: they only read (no dkp) and end `passed` when they hold. */
const GATES = new Set<PlanStage>(['check', 'custom-apps', 'verify'])

/** The resume: the same stage with the fault removed completes the step. */
async function resume(stage: PlanStage, cluster: string, opts: Parameters<typeof stageJob>[2] = {}) {
  const r = await stageJob(stage, cluster, opts)
  expect(r.job.result?.status, logOf(r.job)).toBe(GATES.has(stage) ? 'passed' : 'upgraded')
  expect(await isDone(stage, cluster)).toBe(true)
  tally.resumed++
  return r
}

const isDone = async (stage: PlanStage, cluster = 'mgmt') =>
  (await liveState(() => tc.client(), inventoryPath, stage, cluster)).done

const secretPath = (name: string) => `/api/v1/namespaces/${WS_NS}/secrets/${name}`
async function takeSecret(name: string): Promise<AnyObject> {
  const s = await tc.kube.get<AnyObject>('v1', 'Secret', name, WS_NS)
  expect(s, secretPath(name)).toBeDefined()
  await tc.kube.delete('v1', 'Secret', name, WS_NS)
  const {
    resourceVersion: _r,
    uid: _u,
    creationTimestamp: _c,
    managedFields: _m,
    ...metadata
  } = s!.metadata as Record<string, unknown>
  return { ...s!, metadata } as AnyObject
}

async function plantLease(holder: string, renewedAgoMs: number): Promise<Lease> {
  const at = microTime(new Date(Date.now() - renewedAgoMs))
  return tc.kube.create<Lease>({
    apiVersion: LEASE_API,
    kind: 'Lease',
    metadata: {
      name: leaseName('mgmt'),
      namespace: NS,
      labels: { 'app.kubernetes.io/managed-by': 'dkp-fleet' },
    },
    spec: {
      holderIdentity: holder,
      leaseDurationSeconds: 60,
      acquireTime: at,
      renewTime: at,
      leaseTransitions: 0,
    },
  })
}

/** resourceVersions of the objects a stage may change, for "nothing changed". */
async function versionsOf(kinds: [string, string][]): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const [apiVersion, kind] of kinds)
    for (const o of await tc.kube.list(apiVersion, kind))
      out.set(`${kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`, String(o.metadata.resourceVersion))
  return out
}

/**
 * A proxy policy injecting `pick(n)`'s fault into matching requests, but never more than
 * `maxStreak` times in a row for one path (the client's retries must be able to win: the test
 * is about surviving bursts, not about an endless outage).
 */
function bursts(
  pick: (n: number) => Fault | undefined,
  match: (r: { method: string; path: string }) => boolean = () => true,
  maxStreak = 3,
) {
  let n = 0
  const streak = new Map<string, number>()
  return (r: { method: string; path: string }): Fault | undefined => {
    if (!match(r)) return undefined
    const key = `${r.method} ${r.path}`
    const fault = pick(++n)
    if (!fault || (streak.get(key) ?? 0) >= maxStreak) {
      streak.delete(key)
      return undefined
    }
    streak.set(key, (streak.get(key) ?? 0) + 1)
    return fault
  }
}

const injected = (p: FlakyProxy) => p.seen.filter((s) => s.fault !== undefined)
const describeFaults = (p: FlakyProxy) => {
  const counts = new Map<string, number>()
  for (const s of injected(p)) {
    const f = s.fault!
    const k = typeof f === 'string' ? f : 'status' in f ? String(f.status) : 'delayMs' in f ? 'delay' : '?'
    counts.set(k, (counts.get(k) ?? 0) + 1)
  }
  return `${p.seen.length} requests, ${[...counts].map(([k, v]) => `${v}× ${k}`).join(', ')}`
}

// ---------------------------------------------------------------- the chain

describe('faults on the test fleet, each followed by a resume', () => {
  it('check: a managed cluster kubeconfig Secret is missing → the report names it; restored → passes', async () => {
    tally.tried++
    const secret = await takeSecret('east-3-kubeconfig')
    const { job } = await stageJob('check', 'mgmt')
    expect(job.result?.status).toBe('failed')
    expect(job.result?.message).toContain(
      `cluster east-3: its kubeconfig Secret ${WS_NS}/east-3-kubeconfig (from KommanderCluster ${WS_NS}/east-3) does not exist`,
    )
    expect(job.main.stdout).toMatch(/^::error::check failed \(fail-on error\): 1 error/m)
    expect(job.main.summary).toContain('east-3')
    expect(await isDone('check')).toBe(false)

    await tc.kube.create(secret)
    await resume('check', 'mgmt')
  })

  it('backup: the lock is held by a live run → fails fast naming the holder, nothing changed; released → resumes', async () => {
    tally.tried++
    const planted = await plantLease(OTHER_RUN, 0)
    const kinds: [string, string][] = [[API.velero, 'Backup']]
    const before = await versionsOf(kinds)
    const { job, calls } = await stageJob('backup', 'mgmt', {
      leasesLeft: [`${leaseName('mgmt')} ${OTHER_RUN}`],
    })
    expect(job.result?.status).toBe('failed')
    expect(job.result?.message).toMatch(
      new RegExp(
        `^cluster mgmt is locked by ${OTHER_RUN} \\(Lease ${NS}/dkp-fleet-mgmt, acquired .*\\): another run is changing it`,
      ),
    )
    expect(job.main.ms, 'fails fast').toBeLessThan(15_000)
    expect(calls, 'no dkp ran').toEqual([])
    expect(await versionsOf(kinds), 'no Backup created or changed').toEqual(before)
    const lease = await tc.kube.get<Lease>(LEASE_API, 'Lease', leaseName('mgmt'), NS)
    expect(lease?.metadata.resourceVersion, 'the holder’s Lease untouched').toBe(
      planted.metadata.resourceVersion,
    )
    expect(job.post?.stdout ?? '').not.toContain('released the lock')

    // the other run finishes
    await tc.kube.delete(LEASE_API, 'Lease', leaseName('mgmt'), NS)
    await resume('backup', 'mgmt')
  })

  it('kommander: apiserver 500/503/429 bursts and resets during the stage → survived', async () => {
    tally.tried++
    const p = await proxy()
    p.setPolicy(
      bursts((n) => {
        const k = n % 60
        if (k >= 10 && k < 14) return { status: 500 }
        if (k >= 30 && k < 32) return { status: 429, retryAfter: '1' }
        if (k === 40) return 'reset'
        if (k === 50) return { status: 503 }
        return undefined
      }),
    )
    const { job, calls } = await stageJob('kommander', 'mgmt', { kubeconfig: p.kubeconfig(tc.adminToken) })
    p.setPolicy(undefined)
    figures.push(`  kommander through the flaky proxy: ${describeFaults(p)}`)
    expect(job.result?.status, logOf(job)).toBe('upgraded')
    expect(calls.some((c) => c.startsWith('upgrade kommander'))).toBe(true)
    expect(injected(p).length).toBeGreaterThanOrEqual(8)
    expect(injected(p).some((s) => s.fault === 'reset')).toBe(true)
    expect(
      injected(p).some((s) => typeof s.fault === 'object' && 'status' in s.fault && s.fault.status === 429),
    ).toBe(true)
    tally.survived++
  })

  it('workspaces: dkp exits 1 after a partial change → failed with command, exit code, last lines; resumed', async () => {
    tally.tried++
    const { job } = await stageJob('workspaces', 'mgmt', { env: { DKP_STANDIN_FAIL: 'upgrade-workspace:1' } })
    const r = job.result!
    expect(r.status).toBe('failed')
    expect(r.message).toMatch(
      /^dkp upgrade workspace team-a --kubeconfig=\S+ exited with code 1; last output:\n/,
    )
    expect(r.message).toContain(
      'Error: upgrade workspace: injected failure after 1 write(s) (DKP_STANDIN_FAIL)',
    )
    expect(r.commands).toEqual([expect.stringMatching(/^dkp upgrade workspace team-a --kubeconfig=/)])
    expect(job.main.summary).toContain('❌ failed')
    expect(job.main.summary).toContain('<code>dkp upgrade workspace team-a')
    const state = await liveState(() => tc.client(), inventoryPath, 'workspaces', 'mgmt')
    expect(state.done, 'one AppDeployment moved, the rest not: not done').toBe(false)
    await resume('workspaces', 'mgmt')
  })

  it('workspace-apps: another writer updates the run record concurrently (409) → both entries kept', async () => {
    tally.tried++
    const p = await proxy()
    const recordPath = `/api/v1/namespaces/${NS}/configmaps/${recordName(FLEET)}`
    const other = new RunRecord(tc.kube, NS, FLEET)
    const now = new Date().toISOString()
    let raced: Promise<void> | undefined
    p.setPolicy((r) => {
      if (raced || r.method !== 'PUT' || r.path.split('?')[0] !== recordPath) return undefined
      // another job appends its entry while ours is in flight: ours reaches the apiserver stale
      raced = other.append({
        stepId: 'core-addons:east-9',
        stage: 'core-addons',
        cluster: 'east-9',
        status: 'upgraded',
        started: now,
        finished: now,
        planDigest: 'sha256:other',
        runId: 'other-writer',
        actor: 'someone-else',
        commands: [],
      })
      return { delayMs: 1500 }
    })
    const { job } = await stageJob('workspace-apps', 'mgmt', { kubeconfig: p.kubeconfig(tc.adminToken) })
    p.setPolicy(undefined)
    await raced
    expect(job.result?.status, logOf(job)).toBe('upgraded')
    const puts = p.seen.filter((s) => s.method === 'PUT' && s.path.split('?')[0] === recordPath)
    expect(puts.map((s) => s.status)).toEqual([409, 200])
    const entries = await recordEntries(tc.kube, NS, FLEET)
    expect(
      entries.some((e) => e.runId === 'other-writer'),
      'the other writer’s entry survived',
    ).toBe(true)
    expect(entries.at(-1)).toMatchObject({
      stepId: 'workspace-apps:mgmt',
      status: 'upgraded',
      runId: job.result?.runId,
    })
    tally.survived++
  })

  it('project-apps: a racing run takes the expired lock first (409 on the Lease) → refused; its lock expires → taken over with a warning', async () => {
    tally.tried++
    const ghost = 'acme/fleet/actions/runs/99/attempts/1 job project-apps'
    const racer = 'acme/fleet/actions/runs/100/attempts/1 job project-apps'
    await plantLease(ghost, 5 * 60_000)
    const p = await proxy()
    const leasePath = `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/${leaseName('mgmt')}`
    let raced: Promise<unknown> | undefined
    p.setPolicy((r) => {
      if (raced || r.method !== 'PUT' || r.path.split('?')[0] !== leasePath) return undefined
      raced = (async () => {
        const cur = await tc.kube.get<Lease>(LEASE_API, 'Lease', leaseName('mgmt'), NS)
        const at = microTime()
        return tc.kube.replace<Lease>({
          ...cur!,
          spec: { ...cur!.spec, holderIdentity: racer, acquireTime: at, renewTime: at },
        })
      })()
      return { delayMs: 1500 }
    })
    const lost = await stageJob('project-apps', 'mgmt', {
      kubeconfig: p.kubeconfig(tc.adminToken),
      leasesLeft: [`${leaseName('mgmt')} ${racer}`],
    })
    p.setPolicy(undefined)
    await raced
    expect(lost.job.main.stdout).toContain(`::warning::taking over the expired lock on mgmt from ${ghost}`)
    expect(
      p.seen.filter((s) => s.method === 'PUT' && s.path.split('?')[0] === leasePath).map((s) => s.status),
    ).toEqual([409])
    expect(lost.job.result?.status).toBe('failed')
    expect(lost.job.result?.message).toMatch(new RegExp(`^cluster mgmt is locked by ${racer} `))
    expect(lost.calls, 'the loser ran no dkp').toEqual([])
    expect(await isDone('project-apps')).toBe(false)

    // the racer dies without releasing: its Lease expires
    const cur = await tc.kube.get<Lease>(LEASE_API, 'Lease', leaseName('mgmt'), NS)
    const old = microTime(new Date(Date.now() - 2 * 60_000))
    await tc.kube.replace<Lease>({ ...cur!, spec: { ...cur!.spec, renewTime: old } })
    const taken = await resume('project-apps', 'mgmt')
    expect(taken.job.main.stdout).toContain(`::warning::taking over the expired lock on mgmt from ${racer}`)
  })

  it('custom-apps: a managed cluster kubeconfig Secret is missing → failed naming it; restored → passes', async () => {
    tally.tried++
    const secret = await takeSecret('east-2-kubeconfig')
    const { job } = await stageJob('custom-apps', 'mgmt')
    expect(job.result?.status, logOf(job)).toBe('failed')
    expect(job.result?.message).toContain(`${WS_NS}/east-2-kubeconfig`)
    expect(await isDone('custom-apps')).toBe(false)
    await tc.kube.create(secret)
    await resume('custom-apps', 'mgmt')
  })

  it('capi-components: dkp tarball checksum mismatch, then a corrupt tarball → refused before running dkp; good tarball → resumes', async () => {
    const srv = await startTarballServer()
    try {
      const arch = process.arch === 'arm64' ? 'arm64' : 'amd64'
      const path = `/dkp/v2.8.1/${tarballName('v2.8.1', 'linux', arch)}`
      const template = `${srv.origin}/dkp/{version}/dkp_{version}_{os}_{arch}.tar.gz`
      const script = shimScript(join(actionDir, 'dist', 'dkp-standin.js'), shim.dir, {
        DKP_STANDIN_VERSION: 'v2.8.1',
        DKP_STANDIN_POLL_MS: '50',
      })
      const good = await buildDkpTarball({ dir: actionDir, script })
      const noDkp = { 'dkp-path': '', 'dkp-download-url': template }
      const cached = () =>
        readdirSync(toolCache, { recursive: true })
          .map(String)
          .filter((f) => f.endsWith('.complete'))

      tally.tried++
      srv.serve(path, good.data)
      const wrong = sha256('not the dkp tarball')
      const mismatch = await stageJob('capi-components', 'mgmt', {
        inputs: { ...noDkp, 'dkp-sha256': wrong },
      })
      expect(mismatch.job.result?.status).toBe('failed')
      expect(mismatch.job.result?.message).toContain(good.sha256)
      expect(mismatch.job.result?.message).toContain(wrong)
      expect(mismatch.calls, 'no dkp ran').toEqual([])
      expect(cached(), 'nothing cached').toEqual([])
      expect(await isDone('capi-components')).toBe(false)
      tally.resumed++ // the good tarball's resume below completes this one too

      tally.tried++
      const corrupt = Buffer.concat([
        good.data.subarray(0, Math.floor(good.data.length / 2)),
        Buffer.from('garbage'),
      ])
      srv.serve(path, corrupt)
      const broken = await stageJob('capi-components', 'mgmt', {
        inputs: { ...noDkp, 'dkp-sha256': sha256(corrupt) },
      })
      expect(broken.job.result?.status).toBe('failed')
      expect(broken.job.result?.message, logOf(broken.job)).toMatch(
        /gzip|archive|tar|corrupt|unexpected end/i,
      )
      expect(broken.calls, 'no dkp ran').toEqual([])
      expect(cached(), 'nothing cached').toEqual([])
      expect(await isDone('capi-components')).toBe(false)

      srv.serve(path, good.data)
      const ok = await resume('capi-components', 'mgmt', { inputs: { ...noDkp, 'dkp-sha256': good.sha256 } })
      expect(ok.calls.some((c) => c.startsWith('upgrade capi-components'))).toBe(true)
      expect(cached()).toHaveLength(1)
    } finally {
      await srv.close()
    }
  })

  it('core-addons on mgmt: the apiserver is unavailable for longer than the retries → failed; the post step releases the lock; resumed', async () => {
    tally.tried++
    const pids = shim.pids().length
    const p = await proxy()
    let outage = false
    p.setPolicy((r) => {
      if (outage) return { status: 503, message: 'injected outage: apiserver unavailable' }
      // dkp's first write (an addon ConfigMap replaced): let it through, then the apiserver goes away
      if (r.method === 'PUT' && /\/configmaps\/[^/?]+-mgmt\?/.test(r.path)) outage = true
      return undefined
    })
    const job = await runner.run(inputs('core-addons', 'mgmt', { kubeconfig: p.kubeconfig(tc.adminToken) }))
    outage = false
    p.setPolicy(undefined)
    expect(job.result?.status, logOf(job)).toBe('failed')
    expect(job.result?.message).toMatch(/dkp upgrade addons aws --cluster-name=mgmt .*exited with code 1/)
    expect(job.result?.message).toContain('injected outage')
    expect(job.main.stdout).toContain('::warning::could not release the lock on mgmt')
    // the Lease outlived the job (the apiserver was gone): the post step must release it
    expect((await leases(tc.kube, NS)).map((l) => l.name)).toEqual([leaseName('mgmt')])
    await runner.post(job)
    expect(job.post?.code).toBe(0)
    expect(job.post?.stdout).toContain('released the lock on mgmt')
    figures.push(
      `core-addons:mgmt during an outage → failed in ${(job.main.ms / 1000).toFixed(1)} s; ${describeFaults(p)}`,
    )
    await expectClean(job, 'core-addons', 'mgmt', pids)
    expect(await isDone('core-addons')).toBe(false)
    await resume('core-addons', 'mgmt')
  })

  it('kubernetes on mgmt: poll connections reset during the rollout → survived', async () => {
    tally.tried++
    const p = await proxy()
    p.setPolicy(
      bursts(
        (n) => (n % 2 === 0 ? 'reset' : undefined),
        (r) => r.method === 'GET' && /machinedeployments|kubeadmcontrolplanes|\/machines/.test(r.path),
        2,
      ),
    )
    const { job } = await stageJob('kubernetes', 'mgmt', { kubeconfig: p.kubeconfig(tc.adminToken) })
    p.setPolicy(undefined)
    figures.push(`  kubernetes:mgmt through the flaky proxy: ${describeFaults(p)}`)
    expect(job.result?.status, logOf(job)).toBe('upgraded')
    expect(injected(p).length).toBeGreaterThanOrEqual(5)
    tally.survived++
  })

  it('core-addons on the managed clusters: three jobs at once (concurrent record writers) → all upgraded', async () => {
    const before = shim.pids().length
    const jobs = await Promise.all(
      ['east-1', 'east-2', 'east-3', 'east-4'].map((c) => runner.runWithPost(inputs('core-addons', c))),
    )
    for (const [i, job] of jobs.entries()) {
      const cluster = `east-${i + 1}`
      expect(job.result?.status, logOf(job)).toBe('upgraded')
      await expectClean(job, 'core-addons', cluster, before)
    }
    const entries = await recordEntries(tc.kube, NS, FLEET)
    for (const c of ['east-1', 'east-2', 'east-3', 'east-4'])
      expect(
        entries.some((e) => e.stepId === `core-addons:${c}` && e.status === 'upgraded'),
        c,
      ).toBe(true)
  })

  it('kubernetes on east-1: dkp hangs past timeout-minutes → killed, reported with the command; resumed', async () => {
    tally.tried++
    const { job, calls } = await stageJob('kubernetes', 'east-1', {
      inputs: { 'timeout-minutes': '0.25' },
      env: { DKP_STANDIN_HANG: 'update-controlplane:1' },
    })
    const r = job.result!
    expect(r.status).toBe('failed')
    expect(r.message).toMatch(
      /^timed out after 15 s while running dkp update controlplane aws --cluster-name=east-1 -n team-a-f4ult --kubernetes-version=v1\.28\.7 --kubeconfig=\S+ \(killed\)/,
    )
    expect(job.main.ms).toBeGreaterThanOrEqual(15_000)
    expect(job.main.ms).toBeLessThan(40_000)
    expect(r.message).toMatch(/\(killed\): The operation was aborted due to timeout; last output:\n/)
    expect(r.message, 'where dkp stopped').toContain('hanging (DKP_STANDIN_HANG) after 1 write(s)')
    expect(calls.filter((c) => c.startsWith('update'))).toEqual([
      expect.stringMatching(/^update controlplane aws --cluster-name=east-1/),
    ])
    expect(await isDone('kubernetes', 'east-1')).toBe(false)
    const again = await resume('kubernetes', 'east-1')
    // the control plane's desired version was written before the hang: the resume never repeats it
    expect(again.calls.filter((c) => c.startsWith('update'))).toEqual([
      expect.stringMatching(/^update nodepool aws east-1-md-0 --cluster-name=east-1 /),
    ])
  })

  it('kubernetes on east-2: the runner cancels the job (SIGTERM) mid-rollout → cancelled, dkp killed, lock released; post; resumed', async () => {
    tally.tried++
    const pids = shim.pids().length
    const calls = shim.calls().length
    // Cancel once the job has echoed dkp's hang line: its output tail then holds it (a fixed
    // sleep raced the stand-in's start-up on a loaded machine).
    let hanging = false
    const running = runner.start(inputs('kubernetes', 'east-2'), {
      env: { DKP_STANDIN_HANG: 'update-controlplane:1' },
      onLine: (line) => {
        if (line.includes('hanging (DKP_STANDIN_HANG)')) hanging = true
      },
    })
    await until('dkp update controlplane to run', () =>
      shim
        .calls()
        .slice(calls)
        .some((c) => c.startsWith('update controlplane')),
    )
    await until('dkp to hang after its write', () => hanging)
    const dkpPid = shim.pids().at(-1)!
    expect(isAlive(dkpPid)).toBe(true)
    running.child.kill('SIGTERM')
    const job = await running.done
    figures.push(
      `kubernetes:east-2 SIGTERM → ${job.result?.status} after ${(job.main.ms / 1000).toFixed(1)} s: ${job.result?.message?.split('\n')[0]?.replace(/--kubeconfig=\S+/, '--kubeconfig=…')}`,
    )
    expect(job.result?.status, logOf(job)).toBe('cancelled')
    expect(job.result?.message).toMatch(
      /^the job was cancelled while running dkp update controlplane aws --cluster-name=east-2 -n team-a-f4ult --kubernetes-version=v1\.28\.7 --kubeconfig=\S+ \(killed\); last output:\n/,
    )
    expect(job.result?.message).toContain('hanging (DKP_STANDIN_HANG) after 1 write(s)')
    expect(job.main.stdout).toMatch(/^::error::the job was cancelled/m)
    expect(job.main.ms).toBeLessThan(30_000)
    const entries = await recordEntries(tc.kube, NS, FLEET)
    expect(entries.filter((e) => e.stepId === 'kubernetes:east-2').at(-1)).toMatchObject({
      status: 'cancelled',
    })
    await runner.post(job)
    await expectClean(job, 'kubernetes', 'east-2', pids)
    expect(await isDone('kubernetes', 'east-2')).toBe(false)
    await resume('kubernetes', 'east-2')
  })

  it('kubernetes on east-3: kube-apiserver restarted mid-rollout → survived', async () => {
    tally.tried++
    const pids = shim.pids().length
    const calls = shim.calls().length
    const running = runner.start(inputs('kubernetes', 'east-3'), {
      env: { DKP_STANDIN_SLOW: 'update-controlplane:8' },
    })
    await until('dkp update controlplane to run', () =>
      shim
        .calls()
        .slice(calls)
        .some((c) => c.startsWith('update controlplane')),
    )
    await new Promise((r) => setTimeout(r, 500))
    const oldPid = tc.pids.apiserver
    const ms = await tc.restartApiserver({ downMs: 1000 })
    expect(tc.pids.apiserver).not.toBe(oldPid)
    figures.push(`  kube-apiserver restart: down ${(ms / 1000).toFixed(1)} s`)
    const job = await running.done
    await runner.post(job)
    figures.push(
      `kubernetes:east-3 → ${job.result?.status} in ${(job.main.ms / 1000).toFixed(1)} s across the restart`,
    )
    await expectClean(job, 'kubernetes', 'east-3', pids)
    expect(job.result?.status, logOf(job)).toBe('upgraded')
    expect(
      shim
        .calls()
        .slice(calls)
        .filter((c) => c.startsWith('update')),
      'dkp rode out the restart: one update per part, none repeated',
    ).toEqual([
      expect.stringMatching(/^update controlplane aws --cluster-name=east-3 /),
      expect.stringMatching(/^update nodepool aws east-3-md-0 /),
    ])
    tally.survived++
  })

  it('kubernetes on east-4: the runner kills the process tree (SIGKILL) → the post step releases the lock, records cancelled, removes the kubeconfig; resumed', async () => {
    tally.tried++
    const pids = shim.pids().length
    const calls = shim.calls().length
    const running = runner.start(inputs('kubernetes', 'east-4'), {
      env: { DKP_STANDIN_HANG: 'update-controlplane:1' },
    })
    await until('dkp update controlplane to run', () =>
      shim
        .calls()
        .slice(calls)
        .some((c) => c.startsWith('update controlplane')),
    )
    await new Promise((r) => setTimeout(r, 500))
    // what the runner does after its grace period: kill the step's whole process tree
    for (const pid of shim.pids().slice(pids)) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {}
    }
    running.child.kill('SIGKILL')
    const job = await running.done
    expect(job.main.signal).toBe('SIGKILL')
    expect(job.main.outputError).toBeUndefined()
    expect(job.result, 'no result written by the killed step').toBeUndefined()
    expect(readdirSync(job.runnerTemp).filter((f) => f.startsWith('dkp-fleet-kube-'))).toHaveLength(1)
    expect((await leases(tc.kube, NS)).map((l) => l.name)).toEqual([leaseName('east-4')])
    await runner.post(job)
    expect(job.post?.code, logOf(job)).toBe(0)
    expect(job.post?.stdout).toContain('released the lock on east-4 left by the stage')
    const post = JSON.parse(job.post!.outputs.result!) as { status: string; stage: string; cluster: string }
    expect(post).toMatchObject({ stage: 'kubernetes', cluster: 'east-4', status: 'cancelled' })
    expect(job.post?.summary).toContain('🛑 cancelled')
    const entries = await recordEntries(tc.kube, NS, FLEET)
    expect(entries.filter((e) => e.stepId === 'kubernetes:east-4').at(-1)).toMatchObject({
      status: 'cancelled',
    })
    expect(await leases(tc.kube, NS)).toEqual([])
    expect(readdirSync(job.runnerTemp).filter((f) => f.startsWith('dkp-fleet-kube-'))).toEqual([])
    expect(await survivors(shim.pids().slice(pids))).toEqual([])
    expect(await isDone('kubernetes', 'east-4')).toBe(false)
    await resume('kubernetes', 'east-4')
  })

  it('verify: the whole plan is done in live state; no Lease, no process left', async () => {
    const { job } = await stageJob('verify', 'mgmt')
    expect(job.result?.status, logOf(job)).toBe('passed')
    expect(processesMentioning(runner.work)).toEqual([])
    const kcps = await tc.kube.list(API.controlPlane, 'KubeadmControlPlane')
    for (const k of kcps) expect(dig(k, 'spec', 'version'), k.metadata.name).toBe('v1.28.7')
  })
})
