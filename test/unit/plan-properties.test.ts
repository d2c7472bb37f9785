// Property tests (fast-check) of the plan over generated fleets: ordering, stages left out,
// waves and their splitting, determinism and the digest, live marks. planViolations (in the
// fleet generator helper) checks every invariant against an independent wave model.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseInventory } from '../../src/core/inventory.js'
import type { ManagedCluster } from '../../src/core/model.js'
import { buildPlan, groupWaves } from '../../src/core/plan.js'
import {
  expectedWaves,
  type FleetDocument,
  type FleetParams,
  fleetArbitrary,
  fleetYaml,
  generateFleet,
  planViolations,
  reorderKeys,
  splitFleet,
  WAVE_LIMIT,
  withComments,
} from '../helpers/fleet-gen.js'

const parse = (doc: FleetDocument) =>
  parseInventory([{ path: 'fleet.yaml', content: fleetYaml(doc) }]).inventory

function assertSound(params: FleetParams) {
  const inv = parse(generateFleet(params))
  const plan = buildPlan(inv)
  expect(planViolations(plan, inv)).toEqual([])
  return { inv, plan }
}

describe('plan invariants on generated fleets', () => {
  it('small and medium fleets (≤ 80 managed clusters)', () => {
    fc.assert(
      fc.property(fleetArbitrary({ maxManaged: 80 }), (params) => {
        assertSound(params)
      }),
      { numRuns: 150 },
    )
  }, 60_000)

  it('fleets whose waves need splitting (257 to 2,000 managed clusters)', () => {
    fc.assert(
      fc.property(
        fleetArbitrary({ minManaged: 257, maxManaged: 2000, maxWave: 4, maxAttached: 20 }),
        (params) => {
          const { plan } = assertSound(params)
          expect(Math.max(...plan.waves.map((w) => w.include.length))).toBeLessThanOrEqual(WAVE_LIMIT)
          expect(plan.matrix.include).toHaveLength(params.managed)
        },
      ),
      { numRuns: 8 },
    )
  }, 120_000)

  it('the largest case: 2,000 managed clusters in one inventory wave', () => {
    const { plan } = assertSound({ managed: 2000, attached: 10, waves: [1], canaryRatio: 0.01, seed: 2000 })
    expect(plan.waves.map((w) => w.include.length).slice(1)).toEqual([
      256,
      256,
      256,
      256,
      256,
      256,
      256,
      expect.any(Number),
    ])
  }, 60_000)
})

describe('groupWaves against the independent model', () => {
  // Cheap enough to run on thousands of clusters per case without YAML in between.
  const clusterArb = fc.record({
    wave: fc.integer({ min: 1, max: 8 }),
    canary: fc.integer({ min: 0, max: 30 }).map((n) => n === 0),
  })
  it('canaries first, inventory waves ascending, inventory order kept, split at 256, consecutive numbers', () => {
    fc.assert(
      fc.property(fc.array(clusterArb, { maxLength: 2500, size: 'max' }), (specs) => {
        const clusters = specs.map(
          (s, i): ManagedCluster => ({
            name: `c-${i}`,
            workspace: 'ws',
            attached: false,
            provider: 'aws',
            controlPlane: { args: {} },
            wave: s.canary ? 0 : s.wave,
            canary: s.canary,
            source: { file: 'f', line: i + 1, col: 1 },
          }),
        )
        const waves = groupWaves(clusters)
        expect(waves.map((w) => ({ wave: w.wave, clusters: w.include.map((e) => e.cluster) }))).toEqual(
          expectedWaves({ management: { name: 'm' }, workspaces: [], clusters, backup: { enabled: true } }),
        )
        waves.forEach((w, i) => {
          if (i > 0) expect(w.wave).toBe(waves[i - 1]!.wave + 1)
          expect(w.include.length).toBeGreaterThan(0)
          expect(w.include.length).toBeLessThanOrEqual(WAVE_LIMIT)
        })
      }),
      { numRuns: 60 },
    )
  }, 60_000)
})

describe('determinism and the digest', () => {
  it('same inventory → byte-identical JSON; key order, comments and file split do not matter', () => {
    fc.assert(
      fc.property(
        fleetArbitrary({ maxManaged: 40 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer(),
        (params, files, docsPerFile, keySeed) => {
          const doc = generateFleet(params)
          const json = JSON.stringify(buildPlan(parse(doc)))
          expect(JSON.stringify(buildPlan(parse(doc)))).toBe(json)
          const shuffled = withComments(fleetYaml(reorderKeys(doc, keySeed)))
          expect(
            JSON.stringify(buildPlan(parseInventory([{ path: 'x.yaml', content: shuffled }]).inventory)),
          ).toBe(json)
          const split = parseInventory(splitFleet(doc, { files, docsPerFile })).inventory
          expect(JSON.stringify(buildPlan(split))).toBe(json)
        },
      ),
      { numRuns: 60 },
    )
  }, 60_000)

  it("moving a cluster to another wave changes the digest exactly when it changes the plan's waves", () => {
    fc.assert(
      fc.property(
        fleetArbitrary({ minManaged: 1, maxManaged: 40 }),
        fc.nat(),
        fc.integer({ min: 1, max: 9 }),
        (params, pick, newWave) => {
          const doc = generateFleet(params)
          const managed = doc.clusters!.filter((c) => !c.attached)
          const target = managed[pick % managed.length]!
          const before = buildPlan(parse(doc))
          delete target.canary
          target.wave = newWave
          const after = buildPlan(parse(doc))
          const sameWaves = JSON.stringify(after.waves) === JSON.stringify(before.waves)
          expect(after.digest === before.digest).toBe(sameWaves)
        },
      ),
      { numRuns: 80 },
    )
  }, 60_000)

  it('live data (done marks, versions) never changes the digest, and marks exactly the done steps', () => {
    fc.assert(
      fc.property(fleetArbitrary({ maxManaged: 30 }), fc.infiniteStream(fc.boolean()), (params, coin) => {
        const inv = parse(generateFleet(params))
        const plain = buildPlan(inv)
        const done = plain.steps.filter(() => coin.next().value).map((s) => s.id)
        const kubernetes = Object.fromEntries(inv.clusters.map((c) => [c.name, '1.28.2']))
        kubernetes[inv.management.name] = '1.27.6'
        const live = buildPlan(inv, { live: { dkp: 'v2.7.1', kubernetes, done } })
        expect(live.digest).toBe(plain.digest)
        expect(live.steps.filter((s) => s.done).map((s) => s.id)).toEqual(done)
        expect(live.steps.map((s) => s.id)).toEqual(plain.steps.map((s) => s.id))
      }),
      { numRuns: 60 },
    )
  }, 60_000)
})

describe('the invariant checker itself', () => {
  // A checker that accepts everything would make the properties above vacuous.
  const inv = parse(
    generateFleet({
      managed: 12,
      attached: 2,
      waves: [1, 2],
      canaryRatio: 0.2,
      workspaceApps: true,
      seed: 5,
    }),
  )
  const fresh = () => structuredClone(buildPlan(inv))
  const broken: [string, (p: ReturnType<typeof fresh>) => void, RegExp][] = [
    [
      'steps swapped',
      (p) => p.steps.splice(1, 2, p.steps[2]!, p.steps[1]!),
      /not an earlier step|seed order/,
    ],
    [
      'a wave link dropped',
      (p) => {
        const s = p.steps.find((x) => x.wave === p.waves[1]!.wave && x.stage === 'core-addons')!
        s.needs = s.needs.slice(1)
      },
      /does not need/,
    ],
    [
      'an id renamed',
      (p) => {
        p.steps[3]!.id = 'x'
      },
      /not <stage>:<cluster>/,
    ],
    [
      'an empty stage emitted',
      (p) => {
        p.steps.splice(4, 0, {
          id: 'project-apps:mgmt',
          stage: 'project-apps',
          cluster: 'mgmt',
          needs: [p.steps[3]!.id],
        })
      },
      /project-apps step present|stages.project-apps/,
    ],
    [
      'a matrix entry with extra data',
      (p) => {
        ;(p.waves[0]!.include[0] as unknown as Record<string, unknown>).kubeconfig = 'x'
      },
      /entry/,
    ],
    [
      'an attached cluster given steps',
      (p) => {
        const a = p.attached[0]!.cluster
        p.steps.splice(-1, 0, { id: `kubernetes:${a}`, stage: 'kubernetes', cluster: a, needs: [] })
      },
      /attached/,
    ],
    [
      'waves renumbered with a gap',
      (p) => {
        for (const w of p.waves.slice(1)) w.wave += 1
      },
      /waves|follow/,
    ],
  ]
  it.each(broken)('catches: %s', (_name, breakIt, pattern) => {
    const plan = fresh()
    expect(planViolations(plan, inv)).toEqual([])
    breakIt(plan)
    expect(planViolations(plan, inv).join('\n')).toMatch(pattern)
  })
})
