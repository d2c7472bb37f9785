// Soak end to end through the real bundle (node dist/cli.js) on the test fleet: the example
// fleet with `rollout.waves.0.soak: 70s`, upgraded v2.7.1 → v2.8.1 by `dkp-fleet upgrade` with
// --timeout-minutes 6. The gate before wave 1 (a `run verify --wave 1` child) finds the canary's
// upgrade younger than the soak and the soak ending after its own time limit (deadline less
// the 5-minute margin): it ends `deferred` with soak-until. The driver sleeps until then, asks
// the gate again, which passes; the later waves (no soak) follow, and the upgrade is done.
// Then `plan --kubeconfig` reads the run record's durations: every wave's matrix is ordered
// longest-recorded-first, with the same digest as the plan without a kubeconfig.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Plan } from '../../src/core/plan.js'
import { expectedSeconds } from '../../src/core/rollout-order.js'
import { Kube } from '../../src/effects/kube.js'
import { RunRecord } from '../../src/effects/run-record.js'
import type { UpgradeEvent } from '../../src/stages/upgrade.js'
import { runBundledCli } from '../helpers/bundled-cli.js'
import { kubeSkipReason } from '../kube/harness.js'

const root = resolve(import.meta.dirname, '../..')
const skip = Boolean(kubeSkipReason())
const SOAK_S = 70

const stateDir = mkdtempSync(join(tmpdir(), 'dkp-fleet-soak-'))
const inventory = join(stateDir, 'fleet.yaml')
const env: NodeJS.ProcessEnv = {
  ...process.env,
  DKP_FLEET_STATE_DIR: stateDir,
  DKP_FLEET_POLL_MS: '200',
  NO_COLOR: '1',
  XDG_STATE_HOME: stateDir,
}
delete env.FORCE_COLOR

async function dkpFleet(args: string[]) {
  return runBundledCli(args, env)
}

type Finished = Extract<UpgradeEvent, { event: 'step-finished' }>

describe.skipIf(skip)('soak: the gate defers, the local upgrade waits it out, then passes', () => {
  beforeAll(async () => {
    const example = readFileSync(join(root, 'examples/fleet.yaml'), 'utf8')
    const withSoak = example.replace(/^rollout:\n/m, `rollout:\n  waves:\n    "0": { soak: ${SOAK_S}s }\n`)
    expect(withSoak).not.toBe(example)
    writeFileSync(inventory, withSoak)
    const up = await dkpFleet(['fleet', 'up', '-i', inventory, '--dkp', 'v2.7.1'])
    expect(up.code, up.stderr).toBe(0)
    env.KUBECONFIG = /^export KUBECONFIG='([^']+)'$/m.exec(up.stdout)?.[1]
    env.PATH = `${/^export PATH='([^']+)':"\$PATH"$/m.exec(up.stdout)?.[1]}:${process.env.PATH}`
    expect(env.KUBECONFIG, up.stdout).toBeTruthy()
  }, 180_000)
  afterAll(async () => {
    const down = await dkpFleet(['fleet', 'down'])
    rmSync(stateDir, { recursive: true, force: true })
    expect(down.code, down.stderr).toBe(0)
  }, 60_000)

  it('the plan names the soak; the upgrade defers the gate before wave 1, waits, and finishes', async () => {
    const plan = await dkpFleet(['plan', '-i', inventory])
    expect(plan.code, plan.stderr).toBe(0)
    expect(plan.stdout).toContain('wave 0 soaks 1m10s after its last upgrade before the next starts')

    const r = await dkpFleet(['upgrade', '-i', inventory, '--timeout-minutes', '6', '--json'])
    expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(0)
    const ev = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as UpgradeEvent)
    expect(ev.at(-1)).toMatchObject({ event: 'finished', result: 'done', exitCode: 0 })
    const steps = ev.filter((e): e is Finished => e.event === 'step-finished')
    const gate = steps.filter((s) => s.step === 'verify:mgmt@wave-1')
    expect(gate.map((s) => s.status)).toEqual(['deferred', 'passed'])
    const canaryDone = Date.parse(steps.find((s) => s.step === 'kubernetes:stage-east-1')!.time)
    // The second ask comes only after the soak: 70 s after the canary's upgrade (record times
    // and event times come from the same clock, give or take a second).
    expect(Date.parse(gate[1]!.time) - canaryDone).toBeGreaterThanOrEqual((SOAK_S - 2) * 1000)
    // Wave 1 started after the soak; the later gates (no soak) passed at once.
    const order = steps.map((s) => s.step)
    expect(order.indexOf('core-addons:prod-east-1')).toBeGreaterThan(order.lastIndexOf('verify:mgmt@wave-1'))
    expect(steps.filter((s) => s.step === 'verify:mgmt@wave-2').map((s) => s.status)).toEqual(['passed'])
    expect(order.at(-1)).toBe('verify:mgmt')
  }, 600_000)

  it('a plan read live afterwards orders each wave longest-recorded-first; the digest is the offline one', async () => {
    const live = await dkpFleet(['plan', '-i', inventory, '--kubeconfig', env.KUBECONFIG!, '--json'])
    expect(live.code, live.stderr).toBe(0)
    const offline = await dkpFleet(['plan', '-i', inventory, '--json'])
    const plan = JSON.parse(live.stdout) as Plan
    expect(plan.digest).toBe((JSON.parse(offline.stdout) as Plan).digest)
    const kube = Kube.fromFile(env.KUBECONFIG!)
    try {
      const record = await new RunRecord(kube, 'default', 'example').entries()
      const seconds = expectedSeconds(record, ['core-addons', 'kubernetes'])
      for (const w of plan.waves) {
        const got = w.include.map((e) => seconds[e.cluster]!)
        expect(got.every((x) => x !== undefined)).toBe(true)
        expect(got, `wave ${w.wave}`).toEqual([...got].sort((a, b) => b - a))
      }
    } finally {
      kube.close()
    }
  })
})
