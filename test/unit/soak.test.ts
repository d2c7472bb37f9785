// Soak: the pure decisions behind the gate before a wave (core/soak.ts), and the inventory
// fields that set it (rollout.soak, rollout.waves.<N>.soak) with their located errors.

import { describe, expect, it } from 'vitest'
import { InputError } from '../../src/core/errors.js'
import { parseInventory } from '../../src/core/inventory.js'
import { buildPlan } from '../../src/core/plan.js'
import { lastUpgrade, previousWave, soakAfter, soakDecision } from '../../src/core/soak.js'

const H = 3_600_000
const yaml = (rollout: string) => `apiVersion: dkp-fleet/v1
kind: Fleet
metadata: { name: f }
target: { dkp: v2.8.1 }
management: { name: mgmt, provider: aws }
workspaces: [{ name: ws }]
clusters:
  - { name: c1, workspace: ws, provider: aws, canary: true }
  - { name: c2, workspace: ws, provider: aws, wave: 1 }
  - { name: c3, workspace: ws, provider: aws, wave: 2 }
rollout:
${rollout}
`
const parse = (rollout: string) => parseInventory([{ path: 'fleet.yaml', content: yaml(rollout) }]).inventory

describe('soakDecision', () => {
  const since = Date.UTC(2026, 0, 1, 12)
  it('defers while the soak outlasts the limit, waits when it ends before it, then passes', () => {
    const soakSeconds = 2 * 3600
    // 30 min after the last upgrade, the job may wait 1 h: the soak ends after that → defer.
    expect(soakDecision({ soakSeconds, since, now: since + 0.5 * H, limit: since + 1.5 * H })).toEqual({
      kind: 'defer',
      soakSeconds,
      since,
      until: since + 2 * H,
    })
    // 90 min after, the same limit span reaches past the end → wait until then.
    expect(soakDecision({ soakSeconds, since, now: since + 1.5 * H, limit: since + 3 * H }).kind).toBe('wait')
    // Past the soak → pass.
    expect(soakDecision({ soakSeconds, since, now: since + 2 * H, limit: since + 3 * H }).kind).toBe('pass')
  })
  it('passes at once without a soak or without an upgrade in the previous wave', () => {
    expect(soakDecision({ soakSeconds: 0, since, now: since, limit: since }).kind).toBe('pass')
    expect(soakDecision({ soakSeconds: 3600, now: since, limit: since }).kind).toBe('pass')
  })
})

describe('lastUpgrade', () => {
  it('takes the newest upgraded entry of the steps reaching their target', () => {
    const steps = [
      { id: 'kubernetes:c1', to: '1.28.7' },
      { id: 'core-addons:c1', to: 'v2.8.1' },
    ]
    const t = (h: number) => new Date(Date.UTC(2026, 0, 1, h)).toISOString()
    const got = lastUpgrade(
      [
        { stepId: 'kubernetes:c1', status: 'upgraded', to: '1.28.7', finished: t(3) },
        { stepId: 'core-addons:c1', status: 'upgraded', to: 'v2.8.1', finished: t(2) },
        { stepId: 'kubernetes:c1', status: 'upgraded', to: '1.27.9', finished: t(9) },
        { stepId: 'kubernetes:c1', status: 'skipped', to: '1.28.7', finished: t(8) },
        { stepId: 'kubernetes:c2', status: 'upgraded', to: '1.28.7', finished: t(7) },
      ],
      steps,
    )
    expect(got).toBe(Date.parse(t(3)))
    expect(lastUpgrade([], steps)).toBeUndefined()
  })
})

describe('rollout.soak in the inventory', () => {
  it('reads the soak and per-wave overrides; the plan carries them; no soak keeps the model unchanged', () => {
    const inv = parse('  soak: 2h\n  waves:\n    "0": { soak: 1d }')
    expect(inv.rollout).toMatchObject({ soakSeconds: 7200, waveSoakSeconds: { '0': 86400 } })
    const plan = buildPlan(inv)
    expect(soakAfter(plan.rollout, 0)).toBe(86400)
    expect(soakAfter(plan.rollout, 1)).toBe(7200)
    expect(previousWave(plan, 1)).toBe(0)
    expect(previousWave(plan, 0)).toBeUndefined()
    expect(parse('  maxParallel: 1').rollout).toEqual({ maxParallel: 1, failureThreshold: 0 })
    expect(buildPlan(inv).digest).not.toBe(buildPlan(parse('  maxParallel: 1')).digest)
  })

  it('names file, line and field of every bad soak at once', () => {
    let err: unknown
    try {
      parse('  soak: soon\n  waves:\n    first: { soak: 1h }\n    "2": { soke: 1h }')
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(InputError)
    const problems = (err as InputError).problems.map((p) => [p.path, p.source?.line, p.message])
    expect(problems).toEqual(
      expect.arrayContaining([
        ['rollout.soak', 12, 'must be a duration like 24h, 90m or 7d (got "soon")'],
        ['rollout.waves.first', 14, 'must be a wave number like 0 (the canaries), 1 or 2'],
        ['rollout.waves.2.soke', 15, 'unknown field (did you mean "soak"?); allowed: soak'],
      ]),
    )
  })
})

describe('the plan shows the soak', () => {
  it('in the text and markdown renderings, with per-wave overrides', async () => {
    const { renderPlan } = await import('../../src/core/text.js')
    const { planSummary } = await import('../../src/core/markdown.js')
    const plan = buildPlan(parse('  soak: 2h\n  waves:\n    "0": { soak: 1d }'))
    const note = 'each wave soaks 2h after its last upgrade before the next starts (wave 0: 1d)'
    expect(renderPlan(plan)).toContain(note)
    expect(planSummary(plan)).toContain(note)
    expect(renderPlan(buildPlan(parse('  maxParallel: 1')))).not.toContain('soaks')
  })
})

describe('soakStatuses (status)', () => {
  it('names each soak, its last upgrade and whether it is over', async () => {
    const { soakStatuses } = await import('../../src/core/soak.js')
    const plan = buildPlan(parse('  waves:\n    "0": { soak: 1h }'))
    const step = plan.steps.find((s) => s.wave === 0 && s.stage === 'kubernetes')!
    const finished = Date.UTC(2026, 0, 1, 12)
    const entries = [
      { stepId: step.id, status: 'upgraded', to: step.to, finished: new Date(finished).toISOString() },
    ]
    expect(soakStatuses(plan, entries, finished + 30 * 60_000)).toEqual([
      {
        wave: 0,
        next: 1,
        soakSeconds: 3600,
        lastUpgrade: new Date(finished).toISOString(),
        until: new Date(finished + H).toISOString(),
        over: false,
      },
    ])
    expect(soakStatuses(plan, entries, finished + H)[0]!.over).toBe(true)
    expect(soakStatuses(plan, [], finished)[0]).toMatchObject({ lastUpgrade: null, until: null, over: true })
  })
})
