// Terminal states end the wait (issue 15, item 3), end to end on the test fleet through the real
// action bundle (node dist/index.js, then node dist/post.js). The simulator puts an object into
// a terminal state while the stage waits for it:
//
//   backup           Velero Backup PartiallyFailed
//   workspace-apps   a catalog app's HelmRelease whose upgrade keeps failing until its
//                    remediation retries are exhausted (Stalled=True RetriesExceeded)
//   kubernetes mgmt  the node pool's MachineDeployment Failed while `dkp update nodepool` waits
//   kubernetes east-1 the KubeadmControlPlane failed while `dkp update controlplane` waits
//   kubernetes east-2 an old Machine stuck draining past its nodeDrainTimeout while
//                    `dkp update nodepool` waits
//
// Each must end within one poll interval of the state appearing (before the fix: the full
// timeout-minutes), kill the dkp command that was waiting, and report the object, its reason
// and message and what to do next — in `result.failure`, the message and the summary — with
// `from` filled. The MachineDeployment case is resumed once its fault is gone.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PlanStage } from '../../src/core/stages.js'
import { type TerminalState, terminalState } from '../../src/core/terminal.js'
import { loadInventory } from '../../src/effects/inventory-files.js'
import type { AnyObject, KubeObject } from '../../src/effects/kube.js'
import { RunRecord } from '../../src/effects/run-record.js'
import { isAlive } from '../../src/fleet/control-plane.js'
import { API, FAULT_ANNOTATION } from '../../src/fleet/objects.js'
import { seedFleet } from '../../src/fleet/seed.js'
import { type Simulator, startSimulator } from '../../src/fleet/sim/index.js'
import { MACHINE_FINALIZER } from '../../src/fleet/sim/machines.js'
import { useTestCluster } from '../kube/harness.js'
import {
  ActionRunner,
  actionSnapshot,
  type Job,
  leases,
  liveState,
  logOf,
  makeShim,
  recordEntries,
  type Shim,
  until,
} from './helpers.js'

const tc = useTestCluster()
const FLEET = 'terminal'
const NS = 'default'
const WS_NS = 'team-a-t3rm'
const POLL_MS = 500
const INVENTORY = `apiVersion: dkp-fleet/v1
kind: Fleet
metadata: { name: ${FLEET} }
target: { dkp: v2.8.1, kubernetes: 1.28.7 }
management: { name: mgmt, provider: aws, namespace: ${NS} }
backup: { namespace: kommander, maxAge: 12h }
workspaces:
  - name: team-a
    namespace: ${WS_NS}
    apps: [{ name: kafka-operator, version: 0.25.1 }]
clusters:
  - { name: east-1, workspace: team-a, provider: aws, nodepools: [east-1-md-0] }
  - { name: east-2, workspace: team-a, provider: aws, nodepools: [east-2-md-0] }
`

let actionDir: string
let workspace: string
let inventoryPath: string
let sim: Simulator
let shim: Shim
let runner: ActionRunner
let kubeconfig: string
const figures: string[] = []

beforeAll(async () => {
  actionDir = actionSnapshot()
  workspace = join(actionDir, 'repo')
  mkdirSync(workspace, { recursive: true })
  inventoryPath = join(workspace, 'fleet.yaml')
  writeFileSync(inventoryPath, INVENTORY)
  kubeconfig = readFileSync(tc.kubeconfigPath, 'utf8')
  const { inventory } = await loadInventory(inventoryPath)
  await seedFleet(tc.kube, inventory, { dkp: 'v2.7.1', kubeconfig })
  sim = await startSimulator(tc.kube, { intervalMs: 20 })
  shim = makeShim(actionDir, { DKP_STANDIN_VERSION: 'v2.8.1', DKP_STANDIN_POLL_MS: '50' })
  runner = new ActionRunner(actionDir, workspace, {
    PATH: process.env.PATH ?? '',
    HOME: join(actionDir, 'home'),
    DKP_FLEET_POLL_MS: String(POLL_MS),
  })
})

afterAll(async () => {
  await sim?.stop()
  console.log(`terminal states (poll ${POLL_MS} ms):\n  ${figures.join('\n  ')}`)
})

/** A stage job (main + post) with the shim as dkp; the shim's calls and pids of this job. */
async function stageJob(stage: PlanStage, cluster?: string) {
  const calls = shim.calls().length
  const pids = shim.pids().length
  const started = Date.now()
  const job = await runner.runWithPost({
    stage,
    inventory: 'fleet.yaml',
    kubeconfig,
    'dkp-path': shim.path,
    'timeout-minutes': '5',
    ...(cluster ? { cluster } : {}),
  })
  return {
    job,
    calls: shim.calls().slice(calls),
    pids: shim.pids().slice(pids),
    /** When the main step ended (epoch ms). */
    ended: started + job.main.ms,
  }
}

/**
 * Polls an object (every 50 ms) until `terminalState` says it is terminal and `ready` holds
 * (e.g. its spec already at target); resolves with the time it was first seen so.
 */
function seenTerminal(
  read: () => Promise<KubeObject | undefined>,
  ready: (o: AnyObject) => boolean = () => true,
): { at: () => number | undefined; stop: () => void } {
  let at: number | undefined
  let stopped = false
  void (async () => {
    while (!stopped && at === undefined) {
      const o = (await read().catch(() => undefined)) as AnyObject | undefined
      if (o && ready(o) && terminalState(o, new Date())) at = Date.now()
      await new Promise((r) => setTimeout(r, 50))
    }
  })()
  return { at: () => at, stop: () => (stopped = true) }
}

/** What every terminal failure must show. */
function expectTerminal(
  job: Job,
  want: { object: string; reason: string; message: string | RegExp; from?: RegExp },
): TerminalState {
  const log = logOf(job)
  const r = job.result
  expect(r?.status, log).toBe('failed')
  const f = r!.failure!
  expect(f, `result.failure\n${log}`).toBeDefined()
  expect(f.object).toBe(want.object)
  expect(f.reason).toBe(want.reason)
  if (typeof want.message === 'string') expect(f.message).toContain(want.message)
  else expect(f.message).toMatch(want.message)
  expect(f.next.length).toBeGreaterThan(20)
  expect(r!.message).toMatch(
    new RegExp(
      `^${want.object.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} failed \\(${want.reason}\\): .+\\. Next: `,
    ),
  )
  if (want.from) expect(r!.from, 'from is filled').toMatch(want.from)
  // the summary: what failed (the object, its reason and message) and what to do next
  expect(job.main.summary).toContain('### What failed')
  expect(job.main.summary).toContain('| object | reason | message |')
  expect(job.main.summary).toContain(`| ${want.object.replace(/&/g, '&amp;')} | ${want.reason} |`)
  expect(job.main.summary).toContain('**What to do next:**')
  expect(job.main.stdout).toMatch(/^::error::/m)
  return f
}

/** Ended within one poll interval of the state appearing (+ the job's own exit: lock, record, post-free exit). */
function expectPrompt(job: Job, ended: number, label: string, seen: number | undefined) {
  expect(seen, `${label}: the terminal state was seen in live state`).toBeDefined()
  const lag = ended - seen!
  figures.push(`${label}: ended ${lag} ms after the state appeared; job ${(job.main.ms / 1000).toFixed(1)} s`)
  expect(lag, `${label}: ended ${lag} ms after the terminal state appeared`).toBeLessThan(POLL_MS + 4000)
}

describe('terminal states stop the wait within one poll', () => {
  it('backup: Velero Backup PartiallyFailed → failed at once with the counts and what to do', async () => {
    sim.fail('Backup', undefined, 'PartiallyFailed')
    const seen = seenTerminal(async () =>
      (await tc.kube.list(API.velero, 'Backup', { namespace: 'kommander' })).at(-1),
    )
    const { job, ended } = await stageJob('backup')
    seen.stop()
    sim.clearFaults()
    const f = expectTerminal(job, {
      object: (job.result?.failure?.object ?? '').startsWith('Velero Backup kommander/dkp-fleet-terminal-')
        ? job.result!.failure!.object
        : 'Velero Backup kommander/dkp-fleet-terminal-…',
      reason: 'PartiallyFailed',
      message: '3 error(s), 2 warning(s)',
    })
    expect(f.next).toContain('velero backup describe')
    expectPrompt(job, ended, 'backup PartiallyFailed', seen.at())
    // the backup the upgrade needs: the fault gone, the stage completes
    const again = await stageJob('backup')
    expect(again.job.result?.status, logOf(again.job)).toBe('upgraded')
  })

  it('workspace-apps: a HelmRelease whose remediation retries run out (Stalled RetriesExceeded) → failed naming it', async () => {
    for (const stage of ['kommander', 'workspaces'] as const) {
      const { job } = await stageJob(stage)
      expect(job.result?.status, logOf(job)).toBe('upgraded')
    }
    const hr = (await tc.kube.list(API.helm, 'HelmRelease', { namespace: WS_NS })).find((h) =>
      h.metadata.name?.startsWith('kafka-operator'),
    )
    expect(hr, 'the catalog app’s HelmRelease').toBeDefined()
    const name = hr!.metadata.name!
    sim.fail('HelmRelease', name, 'timed out waiting for the condition', WS_NS)
    const seen = seenTerminal(() => tc.kube.get(API.helm, 'HelmRelease', name, WS_NS))
    const { job, ended } = await stageJob('workspace-apps')
    seen.stop()
    sim.clearFaults()
    const f = expectTerminal(job, {
      object: `HelmRelease ${WS_NS}/${name} on cluster ${job.result?.failure?.object.split(' on cluster ')[1] ?? '?'}`,
      reason: 'RetriesExceeded',
      message:
        /^Failed to upgrade after 31 attempt\(s\); Helm upgrade failed: timed out waiting for the condition/,
      from: /\S/,
    })
    expect(f.next).toContain(`flux suspend helmrelease ${name} -n ${WS_NS}`)
    expectPrompt(job, ended, 'HelmRelease RetriesExceeded', seen.at())
    const live = await tc.kube.get(API.helm, 'HelmRelease', name, WS_NS)
    expect(
      (live?.status as { upgradeFailures?: number } | undefined)?.upgradeFailures,
      'helm-controller retried 30 times',
    ).toBe(31)
  })

  it('kubernetes on mgmt: the MachineDeployment fails while `dkp update nodepool` waits → dkp killed, pool named; resumed', async () => {
    const now = new Date().toISOString()
    // capi-components' done-condition is the run record; then the core addons for real
    await new RunRecord(tc.kube, NS, FLEET).append({
      stepId: 'capi-components:mgmt',
      stage: 'capi-components',
      cluster: 'mgmt',
      status: 'upgraded',
      to: 'v2.8.1',
      started: now,
      finished: now,
      planDigest: 'sha256:seeded',
      runId: 'seed',
      actor: 'test',
      commands: [],
    })
    expect((await stageJob('core-addons', 'mgmt')).job.result?.status).toBe('upgraded')
    const [md] = await tc.kube.list(API.cluster, 'MachineDeployment', {
      namespace: NS,
      labelSelector: 'cluster.x-k8s.io/cluster-name=mgmt',
    })
    const pool = md!.metadata.name!
    sim.fail('MachineDeployment', pool, 'no capacity for instance type m5.2xlarge in us-west-2a', NS)
    const seen = seenTerminal(
      () => tc.kube.get(API.cluster, 'MachineDeployment', pool, NS),
      (o) => (o.spec as { template?: { spec?: { version?: string } } }).template?.spec?.version === 'v1.28.7',
    )
    const { job, calls, pids, ended } = await stageJob('kubernetes', 'mgmt')
    seen.stop()
    expectTerminal(job, {
      object: `MachineDeployment ${NS}/${pool}`,
      reason: 'MachineDeploymentFailed',
      message: 'no capacity for instance type m5.2xlarge in us-west-2a',
      from: /^1\.27\./,
    })
    expect(job.result?.message).toMatch(
      /\(stopped waiting and killed dkp update nodepool aws \S+ --cluster-name=mgmt /,
    )
    expect(calls.filter((c) => c.startsWith('update'))).toEqual([
      expect.stringMatching(/^update controlplane aws --cluster-name=mgmt /),
      expect.stringMatching(/^update nodepool aws /),
    ])
    for (const pid of pids) expect(isAlive(pid), `dkp pid ${pid}`).toBe(false)
    expect(job.result?.commands.at(-1)).toMatch(/^dkp update nodepool aws /)
    expectPrompt(job, ended, 'MachineDeployment Failed', seen.at())
    expect(
      (await recordEntries(tc.kube, NS, FLEET)).filter((e) => e.stepId === 'kubernetes:mgmt').at(-1),
    ).toMatchObject({ status: 'failed', from: job.result?.from })
    expect(await leases(tc.kube, NS)).toEqual([])

    sim.clearFaults()
    const resumed = await stageJob('kubernetes', 'mgmt')
    // the pool's version was set before the failure: the rollout finishes (maybe before the job looks)
    expect(['upgraded', 'skipped'], logOf(resumed.job)).toContain(resumed.job.result?.status)
    expect(
      resumed.calls.filter((c) => c.startsWith('update')),
      'the pool’s version was set before the failure: no dkp call repeated',
    ).toEqual([])
    expect((await liveState(() => tc.client(), inventoryPath, 'kubernetes', 'mgmt')).done).toBe(true)
  })

  it('kubernetes on east-1: the KubeadmControlPlane fails while `dkp update controlplane` waits → dkp killed', async () => {
    expect((await stageJob('core-addons', 'east-1')).job.result?.status).toBe('upgraded')
    const kcp = 'east-1-control-plane'
    sim.fail('KubeadmControlPlane', kcp, 'etcd member east-1-control-plane-x has no quorum', WS_NS)
    const seen = seenTerminal(
      () => tc.kube.get(API.controlPlane, 'KubeadmControlPlane', kcp, WS_NS),
      (o) => (o.spec as { version?: string }).version === 'v1.28.7',
    )
    const { job, pids, ended } = await stageJob('kubernetes', 'east-1')
    seen.stop()
    sim.clearFaults()
    expectTerminal(job, {
      object: `KubeadmControlPlane ${WS_NS}/${kcp}`,
      reason: 'UpgradeFailed',
      message: 'etcd member east-1-control-plane-x has no quorum',
      from: /^1\.27\./,
    })
    expect(job.result?.message).toMatch(
      /\(stopped waiting and killed dkp update controlplane aws --cluster-name=east-1 /,
    )
    for (const pid of pids) expect(isAlive(pid), `dkp pid ${pid}`).toBe(false)
    expectPrompt(job, ended, 'KubeadmControlPlane failed', seen.at())
  })

  it('kubernetes on east-2: an old Machine stuck draining past nodeDrainTimeout while `dkp update nodepool` waits → dkp killed', async () => {
    expect((await stageJob('core-addons', 'east-2')).job.result?.status).toBe('upgraded')
    const machines = await tc.kube.list(API.cluster, 'Machine', {
      namespace: WS_NS,
      labelSelector: 'cluster.x-k8s.io/deployment-name=east-2-md-0',
    })
    expect(machines.length).toBeGreaterThan(0)
    for (const m of machines)
      await tc.kube.patchMerge(API.cluster, 'Machine', m.metadata.name!, WS_NS, {
        metadata: { annotations: { [FAULT_ANNOTATION]: 'drain' } },
        spec: { nodeDrainTimeout: '2s' },
      })
    await until(
      'the machine controller’s finalizer on the old machines',
      async () =>
        (
          await tc.kube.list(API.cluster, 'Machine', {
            namespace: WS_NS,
            labelSelector: 'cluster.x-k8s.io/deployment-name=east-2-md-0',
          })
        ).every((m) => m.metadata.finalizers?.includes(MACHINE_FINALIZER)),
      20_000,
    )
    const seen = seenTerminal(async () =>
      (
        await tc.kube.list(API.cluster, 'Machine', {
          namespace: WS_NS,
          labelSelector: 'cluster.x-k8s.io/deployment-name=east-2-md-0',
        })
      ).find((m) => m.metadata.deletionTimestamp),
    )
    const { job, pids, ended } = await stageJob('kubernetes', 'east-2')
    seen.stop()
    const f = expectTerminal(job, {
      object: job.result?.failure?.object.startsWith(`Machine ${WS_NS}/east-2-md-0`)
        ? job.result.failure.object
        : `Machine ${WS_NS}/east-2-md-0-…`,
      reason: 'DrainingFailed',
      message:
        /longer than its nodeDrainTimeout 2s: .*Cannot evict pod as it would violate the pod's disruption budget/,
      from: /^1\.27\./,
    })
    expect(f.next).toContain('kubectl get pdb -A')
    expect(job.result?.message).toMatch(/\(stopped waiting and killed dkp update nodepool aws east-2-md-0 /)
    for (const pid of pids) expect(isAlive(pid), `dkp pid ${pid}`).toBe(false)
    expectPrompt(job, ended, 'Machine stuck draining', seen.at())
    // let the stuck machine go (fault removed: the finalizer is dropped)
    for (const m of machines)
      await tc.kube
        .patchMerge(API.cluster, 'Machine', m.metadata.name!, WS_NS, {
          metadata: { annotations: { [FAULT_ANNOTATION]: null } },
        })
        .catch(() => undefined)
  })
})
