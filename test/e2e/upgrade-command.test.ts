// `dkp-fleet upgrade` end to end through the real bundle (node dist/cli.js) on the test fleet:
//   (A) the example fleet from v2.7.1 to v2.8.1 in one command with --max-parallel 2 (never
//       more than 2 clusters at once, 2 reached), then a second run that skips every step and
//       exits 0, then a run under a pseudo-terminal (`script`) showing the live view;
//   (B) a stand-in dkp fault on one wave-1 cluster: the rest of wave 1 runs, the gate before
//       wave 2 halts the later waves (failureThreshold 0), exit 1; a re-run without the fault
//       continues (nothing redone) and finishes, exit 0.

import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Kube, type KubeObject } from '../../src/effects/kube.js'
import type { UpgradeEvent } from '../../src/stages/upgrade.js'
import { runBundledCli } from '../helpers/bundled-cli.js'
import { kubeSkipReason } from '../kube/harness.js'

const root = resolve(import.meta.dirname, '../..')
const cli = join(root, 'dist', 'cli.js')
const inventory = 'examples/fleet.yaml'
const skip = Boolean(kubeSkipReason())

interface Fleet {
  env: NodeJS.ProcessEnv
  stateDir: string
  kube?: Kube
}

async function dkpFleet(fleet: Fleet, args: string[], extra: NodeJS.ProcessEnv = {}) {
  return runBundledCli(args, { ...fleet.env, ...extra })
}

async function fleetUp(): Promise<Fleet> {
  const stateDir = mkdtempSync(join(tmpdir(), 'dkp-fleet-upgrade-cmd-'))
  const fleet: Fleet = {
    stateDir,
    // XDG_STATE_HOME: the upgrade's log files stay in the test's directory.
    env: {
      ...process.env,
      DKP_FLEET_STATE_DIR: stateDir,
      DKP_FLEET_POLL_MS: '200',
      NO_COLOR: '1',
      XDG_STATE_HOME: stateDir,
    },
  }
  delete fleet.env.FORCE_COLOR
  const up = await dkpFleet(fleet, ['fleet', 'up', '-i', inventory, '--dkp', 'v2.7.1'])
  expect(up.code, up.stderr).toBe(0)
  const kubeconfig = /^export KUBECONFIG='([^']+)'$/m.exec(up.stdout)?.[1]
  const path = /^export PATH='([^']+)':"\$PATH"$/m.exec(up.stdout)?.[1]
  expect(kubeconfig && path, up.stdout).toBeTruthy()
  fleet.env.KUBECONFIG = kubeconfig
  fleet.env.PATH = `${path}:${process.env.PATH}`
  fleet.kube = Kube.fromFile(kubeconfig!)
  return fleet
}

async function fleetDown(fleet: Fleet | undefined) {
  if (!fleet) return
  fleet.kube?.close()
  const down = await dkpFleet(fleet, ['fleet', 'down'])
  expect(down.code, down.stderr).toBe(0)
  rmSync(fleet.stateDir, { recursive: true, force: true })
}

const events = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as UpgradeEvent)

type Finished = Extract<UpgradeEvent, { event: 'step-finished' }>
const finished = (ev: UpgradeEvent[]) => ev.filter((e): e is Finished => e.event === 'step-finished')

/** Most managed clusters with a step running at the same time (from started/finished events). */
function maxConcurrentClusters(ev: UpgradeEvent[]): number {
  const active = new Map<string, number>()
  let max = 0
  for (const e of ev) {
    if (
      (e.event !== 'step-started' && e.event !== 'step-finished') ||
      e.wave === undefined ||
      e.step.includes('@')
    )
      continue
    const n = (active.get(e.cluster) ?? 0) + (e.event === 'step-started' ? 1 : -1)
    if (n === 0) active.delete(e.cluster)
    else active.set(e.cluster, n)
    max = Math.max(max, active.size)
  }
  return max
}

interface VersionedObject extends KubeObject {
  metadata: { name: string }
  spec: { version?: string; chart?: { spec: { version: string } } }
  status?: { version?: string }
}

async function expectAtTarget(kube: Kube) {
  const kcps = await kube.list<VersionedObject>(
    'controlplane.cluster.x-k8s.io/v1beta1',
    'KubeadmControlPlane',
  )
  expect(kcps).toHaveLength(13)
  for (const k of kcps)
    expect([k.metadata.name, k.spec.version, k.status?.version]).toEqual([
      k.metadata.name,
      'v1.28.7',
      'v1.28.7',
    ])
  const hr = await kube.get<VersionedObject>(
    'helm.toolkit.fluxcd.io/v2beta2',
    'HelmRelease',
    'kommander',
    'kommander',
  )
  expect(hr?.spec.chart?.spec.version).toBe('v2.8.1')
}

describe.skipIf(skip)('(A) one command upgrades the example fleet', () => {
  let fleet: Fleet | undefined
  beforeAll(async () => {
    fleet = await fleetUp()
  }, 180_000)
  afterAll(() => fleetDown(fleet), 60_000)

  it('v2.7.1 → v2.8.1 with --max-parallel 2: every step upgraded, skipped or passed, never more than 2 clusters at once', async () => {
    const r = await dkpFleet(fleet!, ['upgrade', '-i', inventory, '--max-parallel', '2', '--json'])
    expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(0)
    const ev = events(r.stdout)
    expect(ev[0]).toMatchObject({ event: 'start', fleet: 'example', maxParallel: 2, failureThreshold: 0 })
    expect(ev.at(-1)).toMatchObject({ event: 'finished', result: 'done', exitCode: 0 })
    const steps = finished(ev)
    for (const s of steps)
      expect(['upgraded', 'skipped', 'passed'], `${s.step}: ${s.message}`).toContain(s.status)
    expect(steps.find((s) => s.step === 'kommander:mgmt')?.status).toBe('upgraded')
    expect(steps.filter((s) => s.stage === 'kubernetes' && s.status === 'upgraded')).toHaveLength(13)
    // The workflow's order: the chain, then gate-N before wave N's clusters, the final verify last.
    const order = steps.map((s) => s.step)
    expect(order.indexOf('kubernetes:mgmt')).toBeLessThan(order.indexOf('verify:mgmt@wave-0'))
    expect(order.indexOf('verify:mgmt@wave-1')).toBeGreaterThan(order.indexOf('kubernetes:stage-east-1'))
    expect(order.indexOf('verify:mgmt@wave-1')).toBeLessThan(order.indexOf('core-addons:prod-east-1'))
    expect(order.at(-1)).toBe('verify:mgmt')
    expect(maxConcurrentClusters(ev)).toBe(2)
    await expectAtTarget(fleet!.kube!)
  })

  it('a second run skips every step and exits 0 (plain lines in a pipe)', async () => {
    const r = await dkpFleet(fleet!, ['upgrade', '-i', inventory, '--max-parallel', '2'])
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const lines = r.stdout.split('\n').filter((l) => /^\d\d:\d\d:\d\d {2}/.test(l))
    const ended = lines.filter((l) => !/ started /.test(l))
    expect(ended.length).toBeGreaterThan(30)
    for (const l of ended) expect(l).toMatch(/^\d\d:\d\d:\d\d {2}(skipped|passed) /)
    expect(r.stdout).not.toContain('\x1b[')
    expect(r.stdout).toContain('Upgrade done: every step upgraded, skipped or passed.')
    expect(r.stdout).toMatch(/^stage-east-1 +0 +core-addons (skipped|passed), kubernetes (skipped|passed) /m)
  })

  it('on a terminal: the live view redraws one line per running cluster, then the final table', () => {
    // script(1) gives the CLI a pseudo-terminal; TERM set, NO_COLOR unset: colour on.
    const env: NodeJS.ProcessEnv = { ...fleet!.env, TERM: 'xterm-256color' }
    delete env.NO_COLOR
    const command = [process.execPath, cli, 'upgrade', '-i', inventory, '--max-parallel', '2']
      .map((a) => `'${a}'`)
      .join(' ')
    const r = spawnSync('script', ['-q', '-e', '-c', command, '/dev/null'], {
      cwd: root,
      env,
      encoding: 'utf8',
      timeout: 300_000,
    })
    expect(r.status, r.stdout.slice(-2000)).toBe(0)
    const raw = r.stdout
    expect(raw).toMatch(/\x1b\[\d+F\x1b\[J/) // the live block is erased and redrawn in place
    expect(raw).toContain('\x1b[33m●\x1b[39m') // colour on a terminal
    const text = raw.replace(/\x1b\[[0-9;]*m/g, '').replace(/\r/g, '')
    expect(text).toMatch(/ {2}● mgmt +management +kommander +running +\d+s\n/)
    expect(text).toMatch(/ {2}● stage-east-1 +wave 0 +core-addons +running +\d+s\n/)
    expect(text).toMatch(/^\d+\/\d+ steps finished$/m)
    expect(text).toMatch(/^CLUSTER +WAVE +STEPS +TIME$/m)
    expect(text).toContain('Upgrade done')
  })
})

describe.skipIf(skip)('(B) a fault in one wave-1 cluster halts the later waves; a re-run finishes', () => {
  let fleet: Fleet | undefined
  beforeAll(async () => {
    fleet = await fleetUp()
  }, 180_000)
  afterAll(() => fleetDown(fleet), 60_000)

  it('the fault: the rest of wave 1 runs, the gate before wave 2 halts, exit 1', async () => {
    const r = await dkpFleet(fleet!, ['upgrade', '-i', inventory, '--max-parallel', '2', '--json'], {
      DKP_STANDIN_FAIL: 'update-controlplane@prod-east-1',
    })
    expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(1)
    const ev = events(r.stdout)
    const steps = finished(ev)
    const failedStep = steps.find((s) => s.step === 'kubernetes:prod-east-1')
    expect(failedStep?.status).toBe('failed')
    expect(failedStep?.message).toContain('dkp update controlplane')
    for (const c of ['prod-east-2', 'ci-west-1', 'ci-west-2'])
      expect(steps.find((s) => s.step === `kubernetes:${c}`)?.status).toBe('upgraded')
    expect(steps.find((s) => s.step === 'verify:mgmt@wave-2')?.status).toBe('failed')
    expect(ev.find((e) => e.event === 'halted')).toMatchObject({ wave: 2 })
    expect(steps.some((s) => s.wave !== undefined && s.wave >= 2 && !s.step.includes('@'))).toBe(false)
    expect(ev.at(-1)).toMatchObject({ event: 'finished', result: 'halted', exitCode: 1 })
  })

  it('a re-run without the fault continues where it stopped and finishes, exit 0', async () => {
    const r = await dkpFleet(fleet!, ['upgrade', '-i', inventory, '--max-parallel', '2', '--json'])
    expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(0)
    const steps = finished(events(r.stdout))
    const status = (id: string) => steps.find((s) => s.step === id)?.status
    // Nothing redone: the chain, the canary and the rest of wave 1 skip.
    for (const id of [
      'kommander:mgmt',
      'kubernetes:mgmt',
      'kubernetes:stage-east-1',
      'kubernetes:prod-east-2',
    ])
      expect(status(id), id).toBe('skipped')
    expect(status('kubernetes:prod-east-1')).toBe('upgraded')
    for (const c of ['prod-west-1', 'build-2', 'edge-3'])
      expect(status(`kubernetes:${c}`), c).toBe('upgraded')
    expect(['skipped', 'passed']).toContain(status('verify:mgmt'))
    await expectAtTarget(fleet!.kube!)
  })
})
