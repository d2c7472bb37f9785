// The one driver (src/stages/drive.ts) over a synthetic stage whose state is a plain object the
// test changes: skip when done (before prerequisites are asked), typed refusals (bad input is an
// InputError, anything else a WorkError), a pause between steps (deferred, naming what was
// done), act then wait then re-read and verify, a step that is still off after its wait, and
// gates ending passed or failed. The stages against the real API server are covered by the
// integration tier (test/integration/stages-*.test.ts); this pins the loop itself.

import { describe, expect, it } from 'vitest'
import { InputError, WorkError } from '../../src/core/errors.js'
import { pend, type StepState } from '../../src/core/step-state.js'
import { ConsoleReporter } from '../../src/effects/reporter.js'
import { drive } from '../../src/stages/drive.js'
import { Memo } from '../../src/stages/memo.js'
import {
  type GateStage,
  type PartState,
  type Refusal,
  refuse,
  type StageContext,
  type Step,
  type UpgradeStage,
} from '../../src/stages/types.js'

/** Two parts (`a`, `b`), each at a version; the target is 2. */
interface World {
  a: number
  b: number
  reads: number
}

const part = (v: number, name: string): PartState =>
  v >= 2
    ? { done: true, evidence: [`${name} at ${v}`], pending: [] }
    : {
        done: false,
        evidence: [],
        pending: [pend('not-at-target', `${name} at ${v}`, name)],
        progress: `${name} ${v}/2`,
      }

function context(world: World, options: { paused?: () => boolean; dryRun?: boolean } = {}) {
  const lines: string[] = []
  const ctx = {
    stage: 'kommander',
    cluster: 'mgmt',
    target: { dkp: 'v2.8.1', kubernetes: '1.28.7' },
    reporter: new ConsoleReporter((t) => lines.push(t.trimEnd())),
    record: {
      pause: async () =>
        options.paused?.() ? { by: 'ops', at: '2026-01-01T00:00:00Z', reason: 'freeze' } : undefined,
    },
    snapshot: { refresh: () => {} },
    memo: new Memo(),
    signal: new AbortController().signal,
    deadline: Date.now() + 60_000,
    pollMs: 1,
    dryRun: options.dryRun ?? false,
    found: {},
  } as unknown as StageContext
  return { ctx, lines, world }
}

function stage(
  world: World,
  options: { refusal?: Refusal; stuck?: boolean; created?: string[] } = {},
): UpgradeStage<World> {
  const step = (name: 'a' | 'b'): Step<World> => ({
    label: `part ${name}`,
    action: {
      kind: 'create',
      preview: `create ${name}`,
      evidence: [],
      create: async () => {
        options.created?.push(name)
        if (!options.stuck) world[name] = 2
      },
    },
    done: (s) => part(s[name], name),
  })
  return {
    name: 'kommander',
    kind: 'upgrade',
    read: async () => {
      world.reads++
      return { ...world }
    },
    evaluate: (s): StepState => {
      const parts = [part(s.a, 'a'), part(s.b, 'b')]
      return {
        done: parts.every((p) => p.done),
        evidence: parts.flatMap((p) => p.evidence),
        pending: parts.flatMap((p) => p.pending),
        from: String(Math.min(s.a, s.b)),
      }
    },
    steps: () => options.refusal ?? [step('a'), step('b')],
  }
}

describe('the driver, upgrade stages', () => {
  it('skips a stage at target without asking for its prerequisites', async () => {
    const world = { a: 2, b: 2, reads: 0 }
    const { ctx } = context(world)
    let asked = false
    const outcome = await drive(stage(world), ctx, {
      prerequisites: async () => {
        asked = true
        return ['backup is not done']
      },
    })
    expect(outcome.status).toBe('skipped')
    expect(outcome.evidence).toEqual(['a at 2', 'b at 2'])
    expect(asked).toBe(false)
  })

  it('acts on each step not at target, waits, re-reads and reports upgraded', async () => {
    const world = { a: 1, b: 2, reads: 0 }
    const created: string[] = []
    const { ctx, lines } = context(world)
    const outcome = await drive(stage(world, { created }), ctx)
    expect(outcome.status).toBe('upgraded')
    expect(outcome.from).toBe('1')
    // b was at target: skipped with its evidence, never acted on.
    expect(created).toEqual(['a'])
    expect(lines).toContain('skip part b: already at target (b at 2)')
    expect(outcome.evidence).toEqual(['a at 2', 'b at 2'])
  })

  it('fails naming what is still off when a step does not get there (the wait times out)', async () => {
    const world = { a: 1, b: 1, reads: 0 }
    const { ctx } = context(world)
    ;(ctx as { deadline: number }).deadline = Date.now() + 20
    ;(ctx as { pollMs: number }).pollMs = 5
    await expect(drive(stage(world, { stuck: true }), ctx)).rejects.toThrow(
      /timed out waiting for part a; still pending: a 1\/2/,
    )
  })

  it('refuses bad input as an InputError and other refusals as a WorkError, before acting', async () => {
    const world = { a: 1, b: 1, reads: 0 }
    const created: string[] = []
    const path = drive(
      stage(world, { created, refusal: refuse('path', 'refusing: skips a minor', true) }),
      context(world).ctx,
    )
    await expect(path).rejects.toBeInstanceOf(InputError)
    const missing = drive(
      stage(world, { created, refusal: refuse('not-installed', 'Velero is not installed') }),
      context(world).ctx,
    )
    await expect(missing).rejects.toBeInstanceOf(WorkError)
    await expect(missing).rejects.not.toBeInstanceOf(InputError)
    expect(created).toEqual([])
  })

  it('checks for a pause before each step after the first and ends deferred, naming what was done', async () => {
    const world = { a: 1, b: 1, reads: 0 }
    const created: string[] = []
    // Paused once the first step has acted.
    const { ctx } = context(world, { paused: () => created.length > 0 })
    const outcome = await drive(stage(world, { created }), ctx)
    expect(outcome.status).toBe('deferred')
    expect(created).toEqual(['a'])
    expect(outcome.message).toContain('paused by ops')
    expect(outcome.message).toContain('before part b')
    expect(outcome.message).toContain('part a: created')
  })

  it('a dry run previews every step and changes nothing', async () => {
    const world = { a: 1, b: 1, reads: 0 }
    const created: string[] = []
    const { ctx, lines } = context(world, { dryRun: true })
    const outcome = await drive(stage(world, { created }), ctx)
    expect(outcome.status).toBe('dry-run')
    expect(created).toEqual([])
    expect(lines).toContain('dry run: would create a')
    expect(lines).toContain('dry run: would create b')
  })

  it('unmet prerequisites fail a real run and are a note in a dry run', async () => {
    const world = { a: 1, b: 2, reads: 0 }
    const hooks = { prerequisites: async () => ['backup is not done on mgmt'] }
    await expect(drive(stage(world), context(world).ctx, hooks)).rejects.toThrow(
      'refusing to start kommander:mgmt: backup is not done on mgmt',
    )
    const dry = await drive(stage(world), context(world, { dryRun: true }).ctx, hooks)
    expect(dry.status).toBe('dry-run')
    expect(dry.message).toContain('a real run would wait: backup is not done on mgmt')
  })
})

describe('the driver, gates', () => {
  const gate = (passed: boolean): GateStage<undefined> => ({
    name: 'verify',
    kind: 'gate',
    read: async () => undefined,
    evaluate: () => ({ done: false, evidence: [], pending: [pend('no-record', 'no run')] }),
    check: async () => ({
      passed,
      message: passed ? 'every step done' : '1 step not done',
      evidence: ['kommander:mgmt done'],
      outputs: { findings: '{"error":0}' },
    }),
  })

  it('ends passed or failed, with the check’s message, evidence and outputs', async () => {
    const world = { a: 2, b: 2, reads: 0 }
    const ok = await drive(gate(true), context(world).ctx)
    expect(ok).toMatchObject({
      status: 'passed',
      message: 'every step done',
      outputs: { findings: '{"error":0}' },
    })
    const bad = await drive(gate(false), context(world).ctx)
    expect(bad.status).toBe('failed')
    expect(bad.message).toBe('1 step not done')
  })
})

describe('the environment memo', () => {
  it('computes once per key and owner, and forgets a failure', async () => {
    const memo = new Memo()
    let runs = 0
    const compute = async () => ++runs
    expect(await memo.once('k', compute)).toBe(1)
    expect(await memo.once('k', compute)).toBe(1)
    const a = {}
    const b = {}
    expect(await memo.onceFor(a, 'k', compute)).toBe(2)
    expect(await memo.onceFor(b, 'k', compute)).toBe(3)
    expect(await memo.onceFor(a, 'k', compute)).toBe(2)
    let tries = 0
    const flaky = async () => {
      tries++
      if (tries === 1) throw new Error('first try fails')
      return 'ok'
    }
    await expect(memo.once('f', flaky)).rejects.toThrow('first try fails')
    expect(await memo.once('f', flaky)).toBe('ok')
    // Another environment's memo computes again.
    expect(await new Memo().once('k', compute)).toBe(4)
  })
})
