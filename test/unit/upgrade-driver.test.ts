// The order `dkp-fleet upgrade` runs a plan in (schedule), the driver's rules with an executor
// that records its calls (at most maxParallel clusters at once, a failed gate halts the later
// waves, without gates more failed clusters than failureThreshold halt them, a pause stops it),
// and the live view's frames on a terminal with a fixed clock. The real executor is proven
// end to end in test/e2e/cli-upgrade-command.test.ts.

import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { paint } from '../../src/cli/colour.js'
import { finalTable, UpgradeView } from '../../src/cli/upgrade-view.js'
import { parseInventory } from '../../src/core/inventory.js'
import { buildPlan } from '../../src/core/plan.js'
import {
  buildSchedule,
  type Schedule,
  type ScheduledStep,
  type StepStatus,
  scheduledSteps,
  scheduleProblems,
} from '../../src/core/upgrade-schedule.js'
import { runUpgrade, type UpgradeEvent } from '../../src/stages/upgrade.js'

const ROOT = resolve(import.meta.dirname, '../..')
const plan = buildPlan(
  parseInventory([
    { path: 'examples/fleet.yaml', content: readFileSync(join(ROOT, 'examples/fleet.yaml'), 'utf8') },
  ]).inventory,
)

describe('schedule', () => {
  it('follows the workflow: chain, then gate and clusters per wave, the final verify', () => {
    const s = buildSchedule(plan)
    expect(s.phases.map((p) => (p.kind === 'wave' ? `wave ${p.wave}` : p.kind))).toEqual([
      'chain',
      ...plan.waves.flatMap((w) => ['gate', `wave ${w.wave}`]),
      'final',
    ])
    // Every plan step exactly once, plus one gate per wave.
    const ids = scheduledSteps(s).map((x) => x.id)
    expect(ids.filter((id) => !id.includes('@wave-')).sort()).toEqual(plan.steps.map((x) => x.id).sort())
    expect(ids.filter((id) => id.includes('@wave-'))).toEqual(
      plan.waves.map((w) => `verify:mgmt@wave-${w.wave}`),
    )
    const chain = s.phases[0]!
    expect(chain.kind === 'chain' && chain.steps.map((x) => x.id)).toEqual(
      plan.steps.filter((x) => x.wave === undefined && x.stage !== 'verify').map((x) => x.id),
    )
  })

  it('--clusters keeps the chain and only the named clusters; no final verify', () => {
    const s = buildSchedule(plan, { clusters: ['prod-east-2', 'edge-1'] })
    const clusters = s.phases.flatMap((p) => (p.kind === 'wave' ? p.clusters.map((c) => c.cluster) : []))
    expect(clusters).toEqual(['prod-east-2', 'edge-1'])
    expect(s.phases.some((p) => p.kind === 'final')).toBe(false)
    expect(s.phases[0]!.kind).toBe('chain')
  })

  it('--until core-addons: no kubernetes step, no gates (with a note)', () => {
    const s = buildSchedule(plan, { until: 'core-addons' })
    const steps = scheduledSteps(s)
    expect(steps.some((x) => x.stage === 'kubernetes')).toBe(false)
    expect(steps.some((x) => x.gate)).toBe(false)
    expect(s.notes.join(' ')).toContain('--until core-addons')
  })

  it('--until kommander stops after the chain reached kommander', () => {
    expect(scheduledSteps(buildSchedule(plan, { until: 'kommander' })).map((x) => x.id)).toEqual([
      'check:mgmt',
      'backup:mgmt',
      'kommander:mgmt',
    ])
  })

  it('names wrong --clusters with a did you mean', () => {
    expect(scheduleProblems(plan, { clusters: ['prod-est-1', 'mgmt'] })).toEqual([
      {
        path: '--clusters',
        message: '"prod-est-1" is not a managed cluster of the plan; did you mean "prod-east-1"?',
      },
      { path: '--clusters', message: '"mgmt" is the management cluster: its chain always runs first' },
    ])
  })
})

/** An executor that records calls, takes `ms` per step and ends steps as told. */
function executor(outcomes: Record<string, StepStatus> = {}, ms = 5) {
  const calls: string[] = []
  let maxRunningClusters = 0
  const active = new Set<string>()
  return {
    calls,
    maxRunning: () => maxRunningClusters,
    run: async (step: ScheduledStep) => {
      calls.push(step.id)
      if (step.wave !== undefined && !step.gate) active.add(step.cluster)
      maxRunningClusters = Math.max(maxRunningClusters, active.size)
      await new Promise((r) => setTimeout(r, ms))
      const status = outcomes[step.id] ?? (step.stage === 'verify' ? 'passed' : 'upgraded')
      if (step.stage === 'kubernetes' || status !== 'upgraded') active.delete(step.cluster)
      return {
        status,
        exitCode: status === 'failed' ? 1 : 0,
        ...(status === 'failed' ? { message: 'boom' } : {}),
      }
    },
  }
}

async function drive(
  schedule: Schedule,
  ex: ReturnType<typeof executor>,
  opts: { maxParallel?: number; threshold?: number; pausedAfter?: number } = {},
) {
  const events: UpgradeEvent[] = []
  const result = await runUpgrade({
    fleet: 'example',
    schedule,
    maxParallel: opts.maxParallel ?? 2,
    failureThreshold: opts.threshold ?? 0,
    runStep: ex.run,
    paused: async () =>
      opts.pausedAfter !== undefined && ex.calls.length >= opts.pausedAfter
        ? { by: 'ops', reason: 'incident' }
        : undefined,
    emit: (e) => events.push(e),
    signal: new AbortController().signal,
  })
  return { result, events }
}

describe('driver', () => {
  it('runs every step, at most maxParallel clusters at once, each cluster in order; exit 0', async () => {
    const ex = executor()
    const { result } = await drive(buildSchedule(plan), ex, { maxParallel: 2 })
    expect(result.exitCode).toBe(0)
    expect(result.result).toBe('done')
    expect(ex.calls).toHaveLength(plan.steps.length + plan.waves.length)
    expect(ex.maxRunning()).toBe(2)
    for (const c of plan.matrix.include)
      expect(ex.calls.indexOf(`core-addons:${c.cluster}`)).toBeLessThan(
        ex.calls.indexOf(`kubernetes:${c.cluster}`),
      )
    const one = executor()
    await drive(buildSchedule(plan), one, { maxParallel: 1 })
    expect(one.maxRunning()).toBe(1)
  })

  it('a failed cluster does not stop its wave; the failed gate before the next wave halts the rest; exit 1', async () => {
    const ex = executor({ 'kubernetes:prod-east-1': 'failed', 'verify:mgmt@wave-2': 'failed' })
    const { result, events } = await drive(buildSchedule(plan), ex)
    expect(result.result).toBe('halted')
    expect(result.exitCode).toBe(1)
    // The rest of wave 1 ran (fail-fast off, as in the workflow's matrix).
    for (const c of ['prod-east-2', 'ci-west-1', 'ci-west-2']) expect(ex.calls).toContain(`kubernetes:${c}`)
    expect(ex.calls.at(-1)).toBe('verify:mgmt@wave-2')
    expect(ex.calls.some((id) => id.endsWith(':prod-west-1'))).toBe(false)
    expect(events.find((e) => e.event === 'halted')).toMatchObject({ wave: 2 })
  })

  it('without gates (--until core-addons) failures beyond failureThreshold halt the later waves', async () => {
    const schedule = buildSchedule(plan, { until: 'core-addons' })
    const ex = executor({ 'core-addons:prod-east-1': 'failed' })
    const { result } = await drive(schedule, ex, { threshold: 0 })
    expect(result.result).toBe('halted')
    expect(ex.calls.some((id) => id.endsWith(':prod-west-1'))).toBe(false)
    const tolerant = executor({ 'core-addons:prod-east-1': 'failed' })
    const ok = await drive(schedule, tolerant, { threshold: 1 })
    expect(tolerant.calls).toContain('core-addons:edge-3')
    expect(ok.result.result).toBe('failed') // every wave ran, one cluster failed
  })

  it('a failed chain step stops everything; bad input (exit 2) is exit 2', async () => {
    const ex = executor({ 'kommander:mgmt': 'failed' })
    const { result } = await drive(buildSchedule(plan), ex)
    expect(ex.calls).toEqual(['check:mgmt', 'backup:mgmt', 'kommander:mgmt'])
    expect(result.exitCode).toBe(1)
    const bad = await runUpgrade({
      fleet: 'f',
      schedule: buildSchedule(plan),
      maxParallel: 1,
      failureThreshold: 0,
      runStep: async () => ({ status: 'failed', exitCode: 2 }),
      paused: async () => undefined,
      emit: () => {},
      signal: new AbortController().signal,
    })
    expect(bad.exitCode).toBe(2)
  })

  it('a pause marker stops it before the next step', async () => {
    const ex = executor()
    const { result, events } = await drive(buildSchedule(plan), ex, { pausedAfter: 4 })
    expect(ex.calls).toHaveLength(4)
    expect(result.result).toBe('paused')
    expect(result.exitCode).toBe(1)
    expect(events.find((e) => e.event === 'paused')).toMatchObject({ by: 'ops', reason: 'incident' })
  })

  it('a deferred cluster (window) leaves the run incomplete, not failed', async () => {
    const ex = executor({ 'core-addons:edge-3': 'deferred' })
    const { result } = await drive(buildSchedule(plan), ex)
    expect(ex.calls).not.toContain('kubernetes:edge-3')
    expect(result.result).toBe('incomplete')
    expect(result.exitCode).toBe(1)
  })
})

describe('view', () => {
  const t0 = Date.parse('2026-01-01T10:00:00Z')
  const at = (s: number) => new Date(t0 + s * 1000).toISOString()

  it('on a terminal: finished steps scroll above one line per running cluster, redrawn in place', () => {
    let out = ''
    let clock = t0
    const view = new UpgradeView(
      'tty',
      (t) => (out += t),
      paint(false),
      () => clock,
      0,
    )
    view.emit({ event: 'start', fleet: 'example', steps: 4, maxParallel: 2, failureThreshold: 0, notes: [] })
    view.emit({
      event: 'step-started',
      step: 'core-addons:a',
      stage: 'core-addons',
      cluster: 'a',
      wave: 1,
      time: at(0),
    })
    clock = t0 + 2000
    view.emit({
      event: 'step-started',
      step: 'core-addons:bb',
      stage: 'core-addons',
      cluster: 'bb',
      wave: 1,
      time: at(2),
    })
    clock = t0 + 65_000
    view.emit({
      event: 'step-finished',
      step: 'core-addons:a',
      stage: 'core-addons',
      cluster: 'a',
      wave: 1,
      status: 'upgraded',
      seconds: 65,
      time: at(65),
    })
    view.stop()
    expect(out).toBe(
      [
        'Upgrading fleet example: 4 step(s), up to 2 cluster(s) at once, later waves halt after more than 0 failed cluster(s)\n',
        '0/4 steps finished\n',
        '\x1b[1F\x1b[J',
        '0/4 steps finished\n  ● a  wave 1  core-addons  running  0s\n',
        '\x1b[2F\x1b[J',
        '0/4 steps finished\n  ● a   wave 1  core-addons  running  2s\n  ● bb  wave 1  core-addons  running  0s\n',
        '\x1b[3F\x1b[J',
        '10:01:05  upgraded  core-addons:a (wave 1)  1m05s\n',
        '1/4 steps finished\n  ● bb  wave 1  core-addons  running  1m03s\n',
        '\x1b[2F\x1b[J',
      ].join(''),
    )
  })

  it('in a pipe: plain lines, no escape codes; --json: one event per line', () => {
    let plain = ''
    const view = new UpgradeView('plain', (t) => (plain += t), paint(false))
    view.emit({
      event: 'step-started',
      step: 'kubernetes:a',
      stage: 'kubernetes',
      cluster: 'a',
      wave: 0,
      time: at(0),
    })
    view.emit({
      event: 'step-finished',
      step: 'kubernetes:a',
      stage: 'kubernetes',
      cluster: 'a',
      wave: 0,
      status: 'failed',
      seconds: 3,
      message: 'dkp failed\nlast line',
      time: at(3),
    })
    expect(plain).toBe(
      '10:00:00  started   kubernetes:a (wave 0)\n10:00:03  failed    kubernetes:a (wave 0)  3s\n    dkp failed\n    last line\n',
    )
    let json = ''
    const j = new UpgradeView('json', (t) => (json += t), paint(false))
    j.emit({ event: 'halted', wave: 2, reason: 'r', time: at(1) })
    expect(JSON.parse(json)).toEqual({ event: 'halted', wave: 2, reason: 'r', time: at(1) })
  })

  it('the final table: one row per cluster and gate, long step lists as counts', () => {
    const rec = (
      id: string,
      stage: string,
      cluster: string,
      status: StepStatus,
      wave?: number,
      gate?: boolean,
    ) => ({
      step: {
        id,
        stage: stage as ScheduledStep['stage'],
        cluster,
        ...(wave !== undefined ? { wave } : {}),
        ...(gate ? { gate } : {}),
      },
      status,
      exitCode: 0,
      started: 0,
      finished: 1000,
    })
    const text = finalTable([
      ...['check', 'backup', 'kommander', 'workspaces'].map((s) =>
        rec(`${s}:m`, s, 'm', s === 'check' ? 'passed' : 'upgraded'),
      ),
      rec('verify:m@wave-0', 'verify', 'm', 'passed', 0, true),
      rec('core-addons:a', 'core-addons', 'a', 'upgraded', 0),
      rec('kubernetes:a', 'kubernetes', 'a', 'failed', 0),
    ])
    expect(text).toContain('4 steps: 1 passed, 3 upgraded')
    expect(text).toMatch(/verify \(gate before wave 0\) +- +verify passed/)
    expect(text).toMatch(/a +0 +core-addons upgraded, kubernetes failed +2s/)
  })
})
