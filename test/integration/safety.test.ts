// Safety rails on the test fleet (real kube-apiserver, simulated Velero/CAPI/Kommander
// controllers): the backup stage (created and awaited, failures with counts, fresh-backup skip,
// dry run), the Kommander gate, pause/resume through the CLI, the run record (survives failed and
// resumed runs, bounded), and `status` after a partial upgrade.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import { prerequisitesOf, STAGE_TABLE } from '../../src/core/stage-table.js'
import { loadInventory } from '../../src/effects/inventory-files.js'
import type { Kube } from '../../src/effects/kube.js'
import { LEASE_API, leaseName } from '../../src/effects/lease.js'
import { ConsoleReporter } from '../../src/effects/reporter.js'
import { MAX_ENTRIES, pauseName, type RecordEntry, recordName } from '../../src/effects/run-record.js'
import { API } from '../../src/fleet/objects.js'
import { seedFleet } from '../../src/fleet/seed.js'
import { type Simulator, startSimulator } from '../../src/fleet/sim/index.js'
import type { VeleroBackup } from '../../src/stages/backup.js'
import { type RunOptions, runnerIdentity, runStage } from '../../src/stages/execute.js'
import { connectFleet, type FleetStatus, readFleetStatus } from '../../src/stages/fleet-status.js'
import { loadStage } from '../../src/stages/registry.js'
import { useTestCluster } from '../kube/harness.js'

const tc = useTestCluster()

const INVENTORY = 'examples/fleet.yaml'
const FLEET = 'example'
const RECORD_NS = 'default'
const VELERO_NS = 'kommander'
const MGMT = 'mgmt'
const CANARY = 'stage-east-1'
const CANARY_NS = 'team-a-x7k2p'

/** Who runs these tests locally: user@host (the pause marker's `by`, the record's actor). */
const ACTOR = runnerIdentity({}).actor
const ACTOR_RE = ACTOR.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

let sim: Simulator
let logs: string[] = []
let savedPoll: string | undefined

function reporter(): ConsoleReporter {
  return new ConsoleReporter((t) => logs.push(t))
}

function options(stage: RunOptions['stage'], extra: Partial<RunOptions> = {}): RunOptions {
  return {
    stage,
    inventory: INVENTORY,
    kubeconfig: { path: tc.kubeconfigPath },
    allowKubeconfigEnv: false,
    dkp: { requireChecksum: false },
    dryRun: false,
    timeoutMs: 120_000,
    failOn: 'error',
    // The job's environment: where the executor reads how often to poll (set for speed below).
    env: { PATH: process.env.PATH ?? '', DKP_FLEET_POLL_MS: process.env.DKP_FLEET_POLL_MS },
    cwd: process.cwd(),
    ...extra,
  }
}

async function run(stage: RunOptions['stage'], extra: Partial<RunOptions> = {}) {
  logs = []
  return runStage(options(stage, extra), reporter())
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await main(argv, {
    stdout: (t) => {
      out += t
    },
    stderr: (t) => {
      err += t
    },
    env: { PATH: process.env.PATH ?? '' },
    cwd: process.cwd(),
  })
  return { code, out, err }
}

const fleetArgs = () => ['-i', INVENTORY, '--kubeconfig', tc.kubeconfigPath]

const backups = (kube: Kube) => kube.list<VeleroBackup>(API.velero, 'Backup', { namespace: VELERO_NS })

async function recordEntries(kube: Kube): Promise<RecordEntry[]> {
  const cm = await kube.get<{
    apiVersion: string
    kind: string
    metadata: object
    data?: Record<string, string>
  }>('v1', 'ConfigMap', recordName(FLEET), RECORD_NS)
  return cm?.data?.['entries.json'] ? (JSON.parse(cm.data['entries.json']) as RecordEntry[]) : []
}

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** A temp copy of the example inventory with other backup settings. */
function inventoryWithBackup(backupYaml: string): string {
  const text = readFileSync(INVENTORY, 'utf8').replace(/^backup:\n(?: {2}.*\n)+/m, `${backupYaml}\n`)
  const dir = mkdtempSync(join(tmpdir(), 'dkp-fleet-safety-'))
  const file = join(dir, 'fleet.yaml')
  writeFileSync(file, text)
  return file
}

beforeAll(async () => {
  savedPoll = process.env.DKP_FLEET_POLL_MS
  process.env.DKP_FLEET_POLL_MS = '100'
  const { inventory } = await loadInventory(INVENTORY)
  await seedFleet(tc.kube, inventory, { dkp: 'v2.7.1', kubeconfig: readFileSync(tc.kubeconfigPath, 'utf8') })
  sim = await startSimulator(tc.client(), { intervalMs: 50 })
})

afterAll(async () => {
  await sim?.stop()
  if (savedPoll === undefined) delete process.env.DKP_FLEET_POLL_MS
  else process.env.DKP_FLEET_POLL_MS = savedPoll
})

describe('backup stage and the Kommander gate', () => {
  it('refuses to start kommander without a fresh backup, changing nothing', async () => {
    expect(await backups(tc.kube)).toHaveLength(0)
    const hrBefore = await tc.kube.get(API.helm, 'HelmRelease', 'kommander', 'kommander')
    const result = await run('kommander')
    expect(result.status).toBe('failed')
    expect(result.message).toMatch(/^refusing to start kommander:mgmt: backup is not done on mgmt/)
    expect(result.message).toContain('no Completed Velero Backup in kommander on mgmt')
    expect(result.commands).toEqual([])
    const hrAfter = await tc.kube.get(API.helm, 'HelmRelease', 'kommander', 'kommander')
    expect(hrAfter?.spec).toEqual(hrBefore?.spec)
    // the lock was taken and given back
    expect(await tc.kube.get(LEASE_API, 'Lease', leaseName(MGMT), RECORD_NS)).toBeUndefined()
  })

  it('dry run names the Backup it would create and creates nothing', async () => {
    const result = await run('backup', { dryRun: true })
    expect(result.status).toBe('dry-run')
    expect(result.message).toMatch(/would create Velero Backup kommander\/dkp-fleet-example-\d{14} /)
    expect(result.message).toContain('velero backup create dkp-fleet-example-')
    expect(await backups(tc.kube)).toHaveLength(0)
  })

  it('fails with the error and warning counts when Velero ends PartiallyFailed or Failed', async () => {
    sim.fail('Backup', undefined, 'PartiallyFailed')
    const partial = await run('backup')
    expect(partial.status).toBe('failed')
    expect(partial.message).toMatch(
      /^Velero Backup kommander\/dkp-fleet-example-\S+ failed \(PartiallyFailed\): 3 error\(s\), 2 warning\(s\)/,
    )
    expect(partial.message).toContain('velero backup describe')
    expect(partial.failure).toMatchObject({
      reason: 'PartiallyFailed',
      message: expect.stringContaining('3 error(s)'),
    })
    sim.clearFaults()

    sim.fail('Backup', undefined, 'Failed')
    const failed = await run('backup')
    expect(failed.status).toBe('failed')
    expect(failed.message).toMatch(/failed \(Failed\): 1 error\(s\), 1 warning\(s\)/)
    expect(failed.message).toContain(
      'failure reason: error checking if backup already exists in object storage',
    )
    sim.clearFaults()

    // a storage location that does not exist: Velero's validation errors are reported
    const missingLocation = inventoryWithBackup(
      'backup:\n  namespace: kommander\n  storageLocation: nowhere\n  maxAge: 12h',
    )
    const invalid = await run('backup', { inventory: missingLocation })
    expect(invalid.status).toBe('failed')
    expect(invalid.message).toMatch(/failed \(FailedValidation\): .*validation errors: .*"nowhere" not found/)
    const created = (await backups(tc.kube)).find((b) => b.spec?.storageLocation === 'nowhere')
    expect(created?.metadata.labels?.['velero.io/storage-location']).toBe('nowhere')

    // none of them opens the gate
    expect((await run('kommander')).message).toMatch(/refusing to start kommander:mgmt: backup is not done/)
  })

  it('creates a Backup like `velero backup create` and waits for it with progress lines', async () => {
    const before = new Set((await backups(tc.kube)).map((b) => b.metadata.name))
    sim.slow('Backup', undefined, 2) // each phase lasts a few polls, so the progress lines are seen
    const result = await run('backup')
    sim.clearFaults()
    expect(result.status).toBe('upgraded')
    const made = (await backups(tc.kube)).filter((b) => !before.has(b.metadata.name))
    expect(made).toHaveLength(1)
    const b = made[0]!
    expect(b.metadata.name).toMatch(/^dkp-fleet-example-\d{14}$/)
    expect(b.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'dkp-fleet',
      'dkp-fleet/fleet': FLEET,
      'dkp-fleet/target': 'v2.8.1',
    })
    expect(b.spec).toMatchObject({ includedNamespaces: ['*'], ttl: '720h0m0s' })
    // no location asked for: Velero (here the simulator) fills in the default one
    expect(b.spec?.storageLocation).toBe('default')
    expect(b.status?.phase).toBe('Completed')
    expect(result.message).toBe(`created Velero Backup kommander/${b.metadata.name}: Completed`)
    expect(result.evidence?.join('\n')).toContain(
      `velero restore create --from-backup ${b.metadata.name} -n kommander`,
    )
    const out = logs.join('')
    expect(out).toMatch(
      /waiting for Velero Backup kommander\/dkp-fleet-example-\d{14}: InProgress: \d+\/\d+ items/,
    )
    expect(out).toContain('creating Velero Backup kommander/')
  })

  it('skips when a fresh Completed backup exists and says which', async () => {
    const ours = (await backups(tc.kube)).filter((b) => b.status?.phase === 'Completed')
    expect(ours).toHaveLength(1)
    const count = ours.length
    const result = await run('backup')
    expect(result.status).toBe('skipped')
    expect(result.message).toContain(
      `a fresh backup exists: Velero Backup kommander/${ours[0]!.metadata.name}`,
    )
    expect(result.message).toMatch(/Completed \d+s ago .*made by dkp-fleet/)
    expect((await backups(tc.kube)).filter((b) => b.status?.phase === 'Completed')).toHaveLength(count)

    // the gate passes now: the backup step's done-condition, as the executor reads it for kommander
    const fleet = await connectFleet(
      {
        inventory: INVENTORY,
        kubeconfig: { path: tc.kubeconfigPath },
        allowKubeconfigEnv: false,
        env: {},
        cwd: process.cwd(),
      },
      reporter(),
    )
    try {
      expect(prerequisitesOf('kommander', MGMT, MGMT)).toContainEqual({ stage: 'backup', cluster: MGMT })
      const state = await (await loadStage('backup')).status(fleet.env, MGMT)
      expect(state.done).toBe(true)
      expect(state.evidence[0]).toContain(ours[0]!.metadata.name)
    } finally {
      fleet.close()
    }
  })
})

describe('pause and resume', () => {
  it('pause makes every mutating stage end deferred without changing the cluster', async () => {
    const first = await cli('pause', ...fleetArgs(), '--reason', 'incident 42: storage degraded')
    expect(first.code).toBe(0)
    expect(first.out).toContain(`paused fleet example: incident 42: storage degraded (by ${ACTOR} at `)
    const again = await cli('pause', ...fleetArgs(), '--reason', 'incident 42: waiting for the vendor')
    expect(again.code).toBe(0)
    expect(again.out).toContain(`was already paused by ${ACTOR} since `)
    expect(again.out).toContain('updated: incident 42: waiting for the vendor')

    // the backup step would run now (its backup is deleted): pause must stop it too
    for (const b of await backups(tc.kube))
      await tc.kube.delete(API.velero, 'Backup', b.metadata.name!, VELERO_NS)
    const kcpBefore = await tc.kube.get(
      API.controlPlane,
      'KubeadmControlPlane',
      `${CANARY}-control-plane`,
      CANARY_NS,
    )
    const entriesBefore = (await recordEntries(tc.kube)).length

    const mutating: { stage: RunOptions['stage']; cluster?: string }[] = []
    for (const row of STAGE_TABLE) {
      if (row.kind !== 'upgrade') continue
      const stage = row.name
      if (row.scope === 'cluster') mutating.push({ stage, cluster: CANARY }, { stage, cluster: MGMT })
      else mutating.push({ stage })
    }
    expect(mutating.map((m) => m.stage)).toEqual(
      expect.arrayContaining(['backup', 'kommander', 'kubernetes']),
    )
    for (const m of mutating) {
      const result = await run(m.stage, m.cluster ? { cluster: m.cluster } : {})
      expect(result.status, `${m.stage} ${m.cluster ?? ''}`).toBe('deferred')
      expect(result.message).toMatch(
        new RegExp(
          `^the fleet upgrade is paused by ${ACTOR_RE} since \\S+: incident 42: waiting for the vendor`,
        ),
      )
      expect(result.commands).toEqual([])
    }

    const kcpAfter = await tc.kube.get(
      API.controlPlane,
      'KubeadmControlPlane',
      `${CANARY}-control-plane`,
      CANARY_NS,
    )
    expect(kcpAfter?.spec).toEqual(kcpBefore?.spec)
    expect(kcpAfter?.metadata.generation).toBe(kcpBefore?.metadata.generation)
    expect(await backups(tc.kube)).toHaveLength(0)
    expect(await tc.kube.get(LEASE_API, 'Lease', leaseName(CANARY), RECORD_NS)).toBeUndefined()
    // deferred runs leave the record alone
    expect(await recordEntries(tc.kube)).toHaveLength(entriesBefore)
  })

  it('status shows the pause', async () => {
    const { code, out } = await cli('status', ...fleetArgs())
    expect(code).toBe(0)
    expect(out).toMatch(
      new RegExp(
        `^PAUSED by ${ACTOR_RE} since \\S+ \\(\\S+ ago\\): incident 42: waiting for the vendor$`,
        'm',
      ),
    )
    const json = JSON.parse((await cli('status', ...fleetArgs(), '--json')).out) as FleetStatus
    expect(json.paused).toMatchObject({ reason: 'incident 42: waiting for the vendor' })
    expect(json.paused?.by).toBe(ACTOR)
  })

  it('resume clears the marker and the next run continues', async () => {
    const resumed = await cli('resume', ...fleetArgs())
    expect(resumed.code).toBe(0)
    expect(resumed.out).toContain(`resumed fleet example (was paused by ${ACTOR} since `)
    expect(await tc.kube.get('v1', 'ConfigMap', pauseName(FLEET), RECORD_NS)).toBeUndefined()
    expect((await cli('resume', ...fleetArgs())).out).toContain(
      'fleet example is not paused: nothing to resume',
    )

    const result = await run('backup')
    expect(result.status).toBe('upgraded')
    expect(await backups(tc.kube)).toHaveLength(1)
  })

  it('pause without a reason says who paused', async () => {
    const { out } = await cli('pause', ...fleetArgs())
    expect(out).toContain(`paused fleet example: paused by ${ACTOR} (by ${ACTOR} at `)
    expect((await run('backup')).status).toBe('deferred')
    await cli('resume', ...fleetArgs())
  })
})

describe('run record', () => {
  it('keeps failed and resumed runs and no deferred ones', async () => {
    const entries = await recordEntries(tc.kube)
    const backupRuns = entries.filter((e) => e.stepId === 'backup:mgmt').map((e) => e.status)
    // PartiallyFailed, Failed, FailedValidation, created, skipped, created after resume
    expect(backupRuns).toEqual(['failed', 'failed', 'failed', 'upgraded', 'skipped', 'upgraded'])
    expect(entries.filter((e) => e.stepId === 'kommander:mgmt').map((e) => e.status)).toEqual([
      'failed',
      'failed',
    ])
    expect(entries.some((e) => e.status === 'deferred')).toBe(false)
    for (const e of entries) {
      expect(e.planDigest).toMatch(/^sha256:[0-9a-f]{64}$/)
      expect(e.actor).toBe(ACTOR)
      expect(e.runId).toMatch(/^local:/)
      expect(Date.parse(e.finished)).toBeGreaterThanOrEqual(Date.parse(e.started))
    }
  })

  it(`stays bounded at ${MAX_ENTRIES} entries: the oldest roll off, the newest runs stay`, async () => {
    const real = await recordEntries(tc.kube)
    const old: RecordEntry[] = Array.from({ length: MAX_ENTRIES }, (_, i) => ({
      stepId: `kubernetes:old-${i}`,
      stage: 'kubernetes',
      cluster: `old-${i}`,
      status: 'upgraded',
      started: new Date(Date.UTC(2020, 0, 1, 0, i)).toISOString(),
      finished: new Date(Date.UTC(2020, 0, 1, 0, i, 30)).toISOString(),
      planDigest: `sha256:${'0'.repeat(64)}`,
      runId: 'old',
      actor: 'someone',
      commands: ['dkp update nodepool aws md-0 --cluster-name=old'],
    }))
    const cm = await tc.kube.get<{
      apiVersion: string
      kind: string
      metadata: object
      data?: Record<string, string>
    }>('v1', 'ConfigMap', recordName(FLEET), RECORD_NS)
    await tc.kube.replace({ ...cm!, data: { 'entries.json': JSON.stringify([...old, ...real]) } })

    const result = await run('backup')
    expect(result.status).toBe('skipped')
    const after = await recordEntries(tc.kube)
    expect(after).toHaveLength(MAX_ENTRIES)
    expect(after.at(-1)).toMatchObject({ stepId: 'backup:mgmt', status: 'skipped' })
    // every real run survived; only the oldest synthetic entries rolled off
    expect(after.slice(-real.length - 1, -1)).toEqual(real)
    expect(after[0]!.stepId).toBe(`kubernetes:old-${real.length + 1}`)
    // one entry per line: readable with kubectl
    const text = (await tc.kube.get<{
      apiVersion: string
      kind: string
      metadata: object
      data?: Record<string, string>
    }>('v1', 'ConfigMap', recordName(FLEET), RECORD_NS))!.data!['entries.json']!
    expect(text.split('\n')).toHaveLength(MAX_ENTRIES + 2)
    // put the real history back for the status test
    const restored = await tc.kube.get('v1', 'ConfigMap', recordName(FLEET), RECORD_NS)
    await tc.kube.replace({
      ...restored!,
      data: { 'entries.json': JSON.stringify(after.filter((e) => e.runId !== 'old')) },
    })
  })
})

describe('status', () => {
  it('matches the fleet after a partial upgrade', async () => {
    // The canary's Kubernetes is upgraded (control plane and its node pool), the rest is not.
    await tc.kube.patchMerge(API.controlPlane, 'KubeadmControlPlane', `${CANARY}-control-plane`, CANARY_NS, {
      spec: { version: 'v1.28.7' },
    })
    await tc.kube.patchMerge(API.cluster, 'MachineDeployment', `${CANARY}-md-0`, CANARY_NS, {
      spec: { template: { spec: { version: 'v1.28.7' } } },
    })
    const fleet = await connectFleet(
      {
        inventory: INVENTORY,
        kubeconfig: { path: tc.kubeconfigPath },
        allowKubeconfigEnv: false,
        env: {},
        cwd: process.cwd(),
      },
      reporter(),
    )
    const kubernetes = await loadStage('kubernetes')
    try {
      await until(
        'the canary to converge',
        async () => {
          fleet.env.snapshot.refresh()
          return (await kubernetes.status(fleet.env, CANARY)).done
        },
        120_000,
      )
    } finally {
      fleet.close()
    }
    // what the run record would hold after the canary's kubernetes job
    const finished = new Date().toISOString()
    const { RunRecord } = await import('../../src/effects/run-record.js')
    await new RunRecord(tc.kube, RECORD_NS, FLEET).append({
      stepId: `kubernetes:${CANARY}`,
      stage: 'kubernetes',
      cluster: CANARY,
      status: 'upgraded',
      from: '1.27.11',
      to: '1.28.7',
      started: finished,
      finished,
      planDigest: `sha256:${'1'.repeat(64)}`,
      runId: 'gh/actions/runs/7/attempts/1',
      actor: 'octocat',
      commands: [`dkp update controlplane aws --cluster-name=${CANARY}`],
    })
    // a job in flight on prod-east-1, and a crashed one on ci-west-1 (lease expired)
    const lease = (cluster: string, holder: string, renewed: Date) => ({
      apiVersion: LEASE_API,
      kind: 'Lease',
      metadata: { name: leaseName(cluster), namespace: RECORD_NS },
      spec: {
        holderIdentity: holder,
        leaseDurationSeconds: 60,
        acquireTime: renewed.toISOString().replace('Z', '000Z'),
        renewTime: renewed.toISOString().replace('Z', '000Z'),
      },
    })
    await tc.kube.create(lease('prod-east-1', 'gh run 9 job kubernetes', new Date()))
    await tc.kube.create(lease('ci-west-1', 'gh run 8 job kubernetes', new Date(Date.now() - 3600_000)))

    const status = await until('status', async () => {
      const fleet = await connectFleet(
        {
          inventory: INVENTORY,
          kubeconfig: { path: tc.kubeconfigPath },
          allowKubeconfigEnv: false,
          env: {},
          cwd: process.cwd(),
        },
        reporter(),
      )
      try {
        const requests: string[] = []
        fleet.env.kube.onRequest((e) => requests.push(`${e.method} ${e.path.split('?')[0]}`))
        const s = await readFleetStatus(fleet.env)
        console.log(
          `status: ${requests.length} API requests for ${s.clusters.length} clusters, ${s.steps.length} steps`,
        )
        // lists per kind: the only single-object reads are the run record, the pause marker and
        // (kinds × clusters) the kubeconfig Secret of each workload cluster a stage module reads
        const gets = requests.filter(
          (r) => /\/namespaces\/[^/]+\/[^/]+\/[^/]+$/.test(r) && !/\/secrets\/[^/]+-kubeconfig$/.test(r),
        )
        expect(new Set(gets)).toEqual(
          new Set([
            `GET /api/v1/namespaces/default/configmaps/${recordName(FLEET)}`,
            `GET /api/v1/namespaces/default/configmaps/${pauseName(FLEET)}`,
          ]),
        )
        expect(requests.every((r) => r.startsWith('GET '))).toBe(true)
        return s
      } finally {
        fleet.close()
      }
    })
    const json = JSON.parse((await cli('status', ...fleetArgs(), '--json')).out) as FleetStatus
    expect(json.apiVersion).toBe('dkp-fleet/v1')
    expect(json.kind).toBe('FleetStatus')
    expect(Object.keys(json).sort()).toEqual(Object.keys(status).sort())

    const byName = new Map(json.clusters.map((c) => [c.name, c]))
    expect(json.clusters.map((c) => c.kind)).toEqual(
      json.clusters.map((c) =>
        c.name === MGMT ? 'management' : ['edge-7', 'partner-gke'].includes(c.name) ? 'attached' : 'managed',
      ),
    )
    expect(byName.get(MGMT)).toMatchObject({ kind: 'management', dkp: 'v2.7.1', lock: null })
    expect(byName.get(MGMT)?.lastStep).toMatchObject({ stepId: 'backup:mgmt', status: 'skipped' })
    const canary = byName.get(CANARY)!
    expect(canary).toMatchObject({ kind: 'managed', wave: 0, kubernetes: '1.28.7', kubernetesDesired: null })
    expect(canary.nodepools).toEqual([{ name: `${CANARY}-md-0`, version: '1.28.7' }])
    expect(canary.lastStep).toMatchObject({
      stepId: `kubernetes:${CANARY}`,
      status: 'upgraded',
      actor: 'octocat',
    })
    expect(canary.lastStep!.ageSeconds).toBeLessThan(120)
    const prod = byName.get('prod-east-1')!
    expect(prod.kubernetes).not.toBe('1.28.7')
    expect(prod.lastStep).toBeNull()
    expect(prod.lock).toMatchObject({
      holder: 'gh run 9 job kubernetes',
      expired: false,
      lease: `default/${leaseName('prod-east-1')}`,
    })
    expect(byName.get('ci-west-1')!.lock).toMatchObject({ holder: 'gh run 8 job kubernetes', expired: true })
    expect(byName.get('edge-7')).toMatchObject({ kind: 'attached', wave: null, dkp: null })
    expect(byName.get('edge-7')!.kubernetes).toMatch(/^1\.\d+\.\d+$/)
    expect(json.paused).toBeNull()

    const steps = new Map(json.steps.map((s) => [s.id, s]))
    expect(steps.get(`kubernetes:${CANARY}`)).toMatchObject({
      state: 'done',
      recorded: { status: 'upgraded', actor: 'octocat' },
    })
    expect(steps.get('kubernetes:prod-east-1')).toMatchObject({ state: 'pending', recorded: null })
    expect(steps.get('kubernetes:prod-east-1')!.detail).not.toBe('')
    expect(steps.get('backup:mgmt')).toMatchObject({ state: 'done', recorded: { status: 'skipped' } })
    expect(steps.get('kommander:mgmt')).toMatchObject({ state: 'pending', recorded: { status: 'failed' } })
    expect(steps.get('verify:mgmt')?.state).not.toBe('done')
    for (const s of json.steps) expect(['done', 'pending', 'unknown']).toContain(s.state)
    expect(json.counts.steps).toBe(json.steps.length)
    expect(json.counts.done + json.counts.pending + json.counts.unknown).toBe(json.steps.length)
    expect(json.backup).toMatchObject({ enabled: true, disabledReason: null, state: 'done' })
    expect(json.record).toMatchObject({ configMap: `default/${recordName(FLEET)}`, maxEntries: MAX_ENTRIES })

    const text = (await cli('status', ...fleetArgs())).out
    expect(text).toMatch(/^Not paused\.$/m)
    expect(text).toMatch(
      new RegExp(`^${CANARY} +managed +0 +- +1\\.28\\.7 .*kubernetes:${CANARY} +upgraded`, 'm'),
    )
    expect(text).toMatch(/^prod-east-1 .*gh run 9 job kubernetes \(renewed \S+ ago\)$/m)
    expect(text).toMatch(/^ci-west-1 .*expired \(gh run 8 job kubernetes, renewed 1h ago\)$/m)
  })
})
