import { describe, expect, it } from 'vitest'
import { parseInventory } from '../../src/core/inventory.js'
import { buildPlan } from '../../src/core/plan.js'
import { planJson, planJsonChunks } from '../../src/core/plan-json.js'
import { fleetYaml, generateFleet } from '../helpers/fleet-gen.js'

describe('streamed plan JSON', () => {
  it('is byte-identical to JSON.stringify for small and split fleets, live marks included', () => {
    for (const managed of [0, 3, 40, 700]) {
      const doc = generateFleet({
        managed,
        attached: 2,
        workspaces: 5,
        waves: [1, 2, 3],
        canaryRatio: 0.05,
        seed: managed,
      })
      const { inventory } = parseInventory([{ path: 'f.yaml', content: fleetYaml(doc) }])
      const plan = buildPlan(inventory)
      expect(planJson(plan)).toBe(JSON.stringify(plan))
      const live = buildPlan(inventory, { live: { kubernetes: {}, done: [plan.steps[0]!.id] } })
      expect(planJson(live)).toBe(JSON.stringify(live))
    }
  })

  it('comes in bounded chunks', () => {
    const doc = generateFleet({ managed: 700, workspaces: 5, seed: 1 })
    const plan = buildPlan(parseInventory([{ path: 'f.yaml', content: fleetYaml(doc) }]).inventory)
    const sizes = [...planJsonChunks(plan)].map((c) => c.length)
    expect(sizes.length).toBeGreaterThan(3)
    expect(Math.max(...sizes.slice(1, -1))).toBeLessThan(64 * 1024 + 20_000)
  })
})
