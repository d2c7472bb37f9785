// Killed and stopped runs must not overlap (issue 15, item 5), in real processes on the test
// fleet (`node dist/cli.js run kubernetes`, the stand-in dkp behind a logging shim):
// - SIGKILL of the CLI mid-`dkp update controlplane`: the stand-in dkp is gone within the
//   watchdog's grace period (before the fix it kept running after its parent died, its Lease
//   expired, and a second run changed the same cluster while it was alive);
// - SIGSTOP of a run past its lock's expiry while a second run takes the cluster over and
//   finishes: the stopped run's dkp is stopped by its watchdog, and once resumed the run says it
//   lost the lock and records nothing — the record keeps the newer run's `upgraded` (before the
//   fix the resumed run recorded `failed` after it, so `status` showed a finished cluster as failed).

import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadInventory } from '../../src/effects/inventory-files.js'
import { microTime } from '../../src/effects/kube.js'
import { LEASE_API, type Lease, leaseName } from '../../src/effects/lease.js'
import { RunRecord } from '../../src/effects/run-record.js'
import { isAlive } from '../../src/fleet/control-plane.js'
import { seedFleet } from '../../src/fleet/seed.js'
import { type Simulator, startSimulator } from '../../src/fleet/sim/index.js'
import { useTestCluster } from '../kube/harness.js'
import { actionSnapshot, leases, makeShim, recordEntries, type Shim, until } from './helpers.js'

const tc = useTestCluster()
const FLEET = 'overlap'
const NS = 'default'
const INVENTORY = `apiVersion: dkp-fleet/v1
kind: Fleet
metadata: { name: ${FLEET} }
target: { dkp: v2.8.1, kubernetes: 1.28.7 }
management: { name: mgmt, provider: aws, namespace: ${NS} }
`
const STEP = 'kubernetes:mgmt'

let actionDir: string
let workspace: string
let hanging: Shim
let hangingPool: Shim
let normal: Shim
let sim: Simulator
const running: ChildProcess[] = []
const figures: string[] = []

beforeAll(async () => {
  actionDir = actionSnapshot()
  workspace = join(actionDir, 'repo')
  mkdirSync(workspace, { recursive: true })
  writeFileSync(join(workspace, 'fleet.yaml'), INVENTORY)
  const { inventory } = await loadInventory(join(workspace, 'fleet.yaml'))
  await seedFleet(tc.kube, inventory, {
    dkp: 'v2.8.1',
    kubernetes: '1.27.11',
    kubeconfig: readFileSync(tc.kubeconfigPath, 'utf8'),
  })
  sim = await startSimulator(tc.kube, { intervalMs: 20 })
  // kubernetes:mgmt needs capi-components (done-condition: the run record) and core-addons
  const now = new Date().toISOString()
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
  hanging = silent(
    makeShim(actionDir, {
      DKP_STANDIN_VERSION: 'v2.8.1',
      DKP_STANDIN_POLL_MS: '50',
      DKP_STANDIN_HANG: 'update-controlplane:1',
    }),
  )
  // the killed run above already set the control plane's version: run A's dkp hangs in the node pool update
  hangingPool = silent(
    makeShim(actionDir, {
      DKP_STANDIN_VERSION: 'v2.8.1',
      DKP_STANDIN_POLL_MS: '50',
      DKP_STANDIN_HANG: 'update-nodepool:1',
    }),
  )
  normal = makeShim(actionDir, { DKP_STANDIN_VERSION: 'v2.8.1', DKP_STANDIN_POLL_MS: '50' })
})

afterAll(async () => {
  for (const c of running) {
    try {
      process.kill(c.pid!, 'SIGCONT')
      c.kill('SIGKILL')
    } catch {}
  }
  await sim?.stop()
  console.log(`overlapping runs:\n  ${figures.join('\n  ')}`)
})

interface Run {
  child: ChildProcess
  out: () => string
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>
}

function runKubernetes(shim: Shim, env: Record<string, string> = {}): Run {
  const child = spawn(
    process.execPath,
    [
      join(actionDir, 'dist', 'cli.js'),
      'run',
      'kubernetes',
      '-i',
      'fleet.yaml',
      '--cluster',
      'mgmt',
      '--kubeconfig',
      tc.kubeconfigPath,
      '--dkp-path',
      shim.path,
      '--json',
    ],
    {
      cwd: workspace,
      env: {
        PATH: process.env.PATH,
        HOME: join(actionDir, 'home'),
        TMPDIR: mkdtempSync(join(tmpdir(), 'dkp-overlap-')),
        DKP_FLEET_POLL_MS: '200',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  running.push(child)
  let out = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d
  })
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    out += d
  })
  return {
    child,
    out: () => out,
    done: new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out }))),
  }
}

/**
 * The hanging stand-in writes its output to a file, not to dkp-fleet's pipes: a dkp that waits
 * quietly never meets the broken pipe of a dead parent (SIGPIPE ends a writer only when it
 * writes), so only the watchdog can stop it.
 */
function silent(shim: Shim): Shim {
  const lines = readFileSync(shim.path, 'utf8').trimEnd().split('\n')
  const exec = lines.pop()!
  const log = JSON.stringify(join(shim.dir, 'out.log'))
  // `dkp version` (the version check) still answers on stdout
  lines.push(`[ "$1" = update ] && ${exec} >>${log} 2>&1`, exec, '')
  writeFileSync(shim.path, lines.join('\n'))
  return shim
}

async function expireLease(): Promise<void> {
  const cur = await tc.kube.get<Lease>(LEASE_API, 'Lease', leaseName('mgmt'), NS)
  expect(cur, 'the Lease of the stopped/killed run').toBeDefined()
  const old = microTime(new Date(Date.now() - 2 * 60_000))
  await tc.kube.replace<Lease>({ ...cur!, spec: { ...cur!.spec, renewTime: old } })
}

describe('dkp dies with its run; a run that lost its lock records nothing', () => {
  it('SIGKILL of dkp-fleet run mid-`dkp update controlplane`: the stand-in dkp is gone within the bound', async () => {
    const pids = hanging.pids().length
    const calls = hanging.calls().length
    const a = runKubernetes(hanging)
    await until(
      'dkp update controlplane to run',
      () =>
        hanging
          .calls()
          .slice(calls)
          .some((c) => c.startsWith('update controlplane')),
      60_000,
    )
    await new Promise((r) => setTimeout(r, 500))
    const dkp = hanging.pids().at(-1)!
    expect(hanging.pids().length).toBeGreaterThan(pids)
    expect(isAlive(dkp), 'the stand-in runs').toBe(true)
    a.child.kill('SIGKILL')
    const killed = Date.now()
    await until('the stand-in dkp to be gone', () => !isAlive(dkp), 7000, 20)
    figures.push(`SIGKILL of the CLI: its dkp (pid ${dkp}) gone after ${Date.now() - killed} ms`)
    await a.done
    // the killed run's Lease stays until it expires (nothing could release it): expire it now
    await expireLease()
  })

  it('SIGSTOP past lock expiry while another run takes over: the newer result stands, the stopped run says it lost the lock', async () => {
    const a = runKubernetes(hangingPool, { DKP_FLEET_WATCHDOG_MS: '3000' })
    await until(
      'A: dkp update nodepool to run',
      () => hangingPool.calls().some((c) => c.startsWith('update nodepool')),
      60_000,
    )
    await new Promise((r) => setTimeout(r, 500))
    const aDkp = hangingPool.pids().at(-1)!
    expect(isAlive(aDkp), "A's dkp runs").toBe(true)
    const holderA = (await leases(tc.kube, NS))[0]?.holder
    expect(holderA).toContain(`pid ${a.child.pid}`)

    a.child.kill('SIGSTOP')
    const stopped = Date.now()
    // A cannot renew its lock, so its dkp must not keep changing the cluster: the watchdog stops it
    await until("A's dkp to be stopped by its watchdog", () => !isAlive(aDkp), 3000 + 5000 + 3000, 50)
    figures.push(`SIGSTOP of run A: its dkp gone after ${Date.now() - stopped} ms (watchdog 3 s)`)
    // A's lock lapses (as it would 60 s after A's last renewal)
    await expireLease()

    const b = runKubernetes(normal)
    const bDone = await b.done
    expect(bDone.code, bDone.out).toBe(0)
    expect(bDone.out).toContain(`taking over the expired lock on mgmt from ${holderA}`)
    const bResult = JSON.parse(bDone.out.split('\n').find((l) => l.startsWith('{"stage"')) ?? '{}')
    // B finishes the step (or finds it finished: A's dkp had written the pool's version)
    expect(bResult.stepId).toBe(STEP)
    expect(['upgraded', 'skipped']).toContain(bResult.status)

    a.child.kill('SIGCONT')
    const aDone = await a.done
    figures.push(
      `run A resumed after ${((Date.now() - stopped) / 1000).toFixed(1)} s: exit ${aDone.code}; ${aDone.out.match(/lost the lock on mgmt[^\n]*/)?.[0]?.slice(0, 200) ?? '?'}`,
    )
    expect(aDone.code, aDone.out).toBe(1)
    const aResult = JSON.parse(aDone.out.split('\n').find((l) => l.startsWith('{"stage"')) ?? '{}')
    expect(aResult.status).toBe('failed')
    expect(aResult.message).toMatch(
      /^this run lost the lock on mgmt \(.+\); its own result \(.+\) is not recorded over the newer holder's/,
    )
    expect(aDone.out).toMatch(/warning: lost the lock on mgmt/)

    const entries = (await recordEntries(tc.kube, NS, FLEET)).filter((e) => e.stepId === STEP)
    expect(entries.at(-1), 'the newer run’s result stands').toMatchObject({
      status: bResult.status,
      runId: bResult.runId,
    })
    expect(
      entries.filter((e) => e.runId === aResult.runId),
      'nothing recorded by the run that lost its lock',
    ).toEqual([])
    expect(await leases(tc.kube, NS), 'no Lease left').toEqual([])
  })
})
