// History-ordered waves: the run record's durations and live node counts change only the
// order each wave's legs start in (longest expected first), never the steps, the waves'
// members or the digest.

import { describe, expect, it } from 'vitest'
import { parseInventory } from '../../src/core/inventory.js'
import { buildPlan } from '../../src/core/plan.js'
import { expectedSeconds, orderWaves } from '../../src/core/rollout-order.js'
import { fleetYaml, generateFleet } from '../helpers/fleet-gen.js'

const inventory = () =>
  parseInventory([
    {
      path: 'f.yaml',
      content: fleetYaml(
        generateFleet({ managed: 12, workspaces: 2, waves: [1, 2], canaryRatio: 0.1, seed: 7 }),
      ),
    },
  ]).inventory

const at = (min: number) => new Date(Date.UTC(2026, 0, 1, 0, min)).toISOString()

describe('expectedSeconds', () => {
  it('sums the newest upgraded duration per per-cluster stage; skips, failures and other stages count nothing', () => {
    const got = expectedSeconds(
      [
        { cluster: 'a', stage: 'kubernetes', status: 'upgraded', started: at(0), finished: at(30) },
        { cluster: 'a', stage: 'kubernetes', status: 'upgraded', started: at(40), finished: at(50) },
        { cluster: 'a', stage: 'core-addons', status: 'upgraded', started: at(0), finished: at(5) },
        { cluster: 'a', stage: 'kubernetes', status: 'failed', started: at(60), finished: at(200) },
        { cluster: 'b', stage: 'kubernetes', status: 'skipped', started: at(0), finished: at(99) },
        { cluster: 'c', stage: 'kommander', status: 'upgraded', started: at(0), finished: at(99) },
      ],
      ['core-addons', 'kubernetes'],
    )
    expect(got).toEqual({ a: 15 * 60 })
  })
})

describe('orderWaves', () => {
  const waves = [{ wave: 1, include: ['p', 'q', 'r', 's', 't'].map((cluster) => ({ cluster, wave: 1 })) }]
  const names = (w: ReturnType<typeof orderWaves>) => w[0]!.include.map((e) => e.cluster)

  it('longest history first; clusters without history first, by node count, then inventory order', () => {
    const got = orderWaves(waves, { seconds: { q: 100, s: 900, t: 300 }, nodes: { r: 3, p: 1 } })
    expect(names(got)).toEqual(['r', 'p', 's', 't', 'q'])
  })

  it('nothing known keeps inventory order', () => {
    expect(names(orderWaves(waves, {}))).toEqual(['p', 'q', 'r', 's', 't'])
  })
})

describe('buildPlan with history', () => {
  it('changes the matrix order only: same steps, same wave members, same digest', () => {
    const inv = inventory()
    const plain = buildPlan(inv, { live: { kubernetes: {} } })
    const wave = plain.waves.find((w) => w.include.length > 2)!
    const members = wave.include.map((e) => e.cluster)
    // The reverse of inventory order, by expected seconds.
    const seconds = Object.fromEntries(members.map((c, i) => [c, (i + 1) * 60]))
    const ordered = buildPlan(inv, { live: { kubernetes: {}, seconds } })

    expect(ordered.digest).toBe(plain.digest)
    expect(ordered.steps).toEqual(plain.steps)
    expect(ordered.waves.find((w) => w.wave === wave.wave)!.include.map((e) => e.cluster)).toEqual(
      [...members].reverse(),
    )
    expect(ordered.matrix.include).not.toEqual(plain.matrix.include)
    const sorted = (p: typeof plain) => p.waves.map((w) => [w.wave, w.include.map((e) => e.cluster).sort()])
    expect(sorted(ordered)).toEqual(sorted(plain))
    expect([...ordered.matrix.include].sort((a, b) => a.cluster.localeCompare(b.cluster))).toEqual(
      [...plain.matrix.include].sort((a, b) => a.cluster.localeCompare(b.cluster)),
    )
    // Other durations: the same digest again.
    const other = buildPlan(inv, { live: { kubernetes: {}, seconds: { ...seconds, [members[0]!]: 5000 } } })
    expect(other.digest).toBe(plain.digest)
    expect(other.waves.find((w) => w.wave === wave.wave)!.include[0]!.cluster).toBe(members[0])
  })
})
