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

describe('the digest covers every inventory field that changes a command, a target or a decision', () => {
  type Doc = FleetDocument & Record<string, unknown>
  type Mutation = [string, (d: Doc) => boolean]
  const managedOf = (d: Doc) => (d.clusters ?? []).filter((c) => !c.attached)
  const firstManaged = (d: Doc) => managedOf(d)[0]
  const firstAttached = (d: Doc) => (d.clusters ?? []).find((c) => c.attached)
  const mgmt = (d: Doc) => d.management as NonNullable<FleetDocument['management']> & Record<string, unknown>
  const ws = (d: Doc) => d.workspaces?.[0]
  // Each returns false when the generated fleet has nothing to mutate (the case is not counted).
  const changes: Mutation[] = [
    [
      'clusters[].controlPlane.args (a new --ami)',
      (d) => {
        const c = firstManaged(d)
        if (!c) return false
        // Kept: a vsphere cluster's vm-template is required.
        c.controlPlane = {
          args: { ...c.controlPlane?.args, ami: `ami-${c.controlPlane ? 'b' : 'a'}0f1e2d3c` },
        }
        return true
      },
    ],
    [
      'clusters[].nodepools[].args',
      (d) => {
        const c = firstManaged(d)
        if (!c) return false
        c.nodepools = [{ name: `${c.name}-md-0`, args: { ami: 'ami-0ffee' } }]
        return true
      },
    ],
    [
      'clusters[].nodepools (a pool added)',
      (d) => {
        const c = firstManaged(d)
        if (!c) return false
        c.nodepools = [...(c.nodepools ?? [`${c.name}-md-0`]), `${c.name}-extra`]
        return true
      },
    ],
    [
      'clusters[].nodepools (order)',
      (d) => {
        const c = firstManaged(d)
        if (!c) return false
        c.nodepools = [`${c.name}-md-1`, `${c.name}-md-0`]
        return true
      },
    ],
    [
      'clusters[].provider',
      (d) => {
        const c = firstManaged(d)
        if (!c) return false
        c.provider = c.provider === 'aws' ? 'azure' : 'aws'
        return true
      },
    ],
    [
      'clusters[].namespace',
      (d) => {
        const c = firstManaged(d)
        if (!c) return false
        c.namespace = 'elsewhere'
        return true
      },
    ],
    [
      'clusters[].workspace (managed)',
      (d) => {
        const c = firstManaged(d)
        if (!c || (d.workspaces?.length ?? 0) < 2) return false
        c.workspace = d.workspaces!.find((w) => w.name !== c.workspace)!.name
        return true
      },
    ],
    [
      'clusters[].window',
      (d) => {
        const c = firstManaged(d)
        if (!c) return false
        c.window = { days: ['sat'], start: '02:00', end: '06:00' }
        return true
      },
    ],
    [
      'clusters[].allowInsecureSkipTlsVerify',
      (d) => {
        const c = firstAttached(d) ?? firstManaged(d)
        if (!c) return false
        ;(c as unknown as Record<string, unknown>).allowInsecureSkipTlsVerify = true
        return true
      },
    ],
    [
      'management.provider',
      (d) => {
        const m = mgmt(d)
        m.provider = 'vsphere'
        const cp = m.controlPlane as { args?: Record<string, unknown> } | undefined
        m.controlPlane = { args: { ...cp?.args, 'vm-template': 'tmpl-1.28.7' } }
        return true
      },
    ],
    [
      'management.namespace',
      (d) => {
        mgmt(d).namespace = 'capi-mgmt'
        return true
      },
    ],
    [
      'management.kubeconfigEnv',
      (d) => {
        mgmt(d).kubeconfigEnv = 'OTHER_KUBECONFIG'
        return true
      },
    ],
    [
      'management.kommander.args',
      (d) => {
        mgmt(d).kommander = { args: { 'charts-bundle': ['dkp-kommander-charts-bundle-v2.8.1.tar.gz'] } }
        return true
      },
    ],
    [
      'management.controlPlane.args',
      (d) => {
        mgmt(d).controlPlane = { args: { ami: 'ami-0mgmt' } }
        return true
      },
    ],
    [
      'management.nodepools',
      (d) => {
        mgmt(d).nodepools = ['mgmt-md-0', { name: 'mgmt-md-1', args: { ami: 'ami-1' } }]
        return true
      },
    ],
    [
      'management.window',
      (d) => {
        mgmt(d).window = { days: ['sun'], start: '01:00', end: '03:00', timezone: 'Europe/Berlin' }
        return true
      },
    ],
    [
      'workspaces[].namespace',
      (d) => {
        const w = ws(d)
        if (!w) return false
        w.namespace = `${w.namespace ?? w.name}-moved`
        return true
      },
    ],
    [
      'workspaces[].apps[].version',
      (d) => {
        const w = ws(d)
        if (!w) return false
        w.apps = (w.apps ?? [{ name: 'kafka-operator', version: '0.25.0' }]).map((a) => ({
          ...a,
          version: `${a.version}9`,
        }))
        return true
      },
    ],
    [
      'workspaces[].projects[].apps[].version',
      (d) => {
        const w = ws(d)
        if (!w) return false
        const projects = w.projects?.length ? w.projects : [{ name: 'p' }]
        w.projects = projects.map((p) => ({
          ...p,
          apps: (p.apps ?? [{ name: 'zookeeper-operator', version: '0.2.15' }]).map((a) => ({
            ...a,
            version: `${a.version}1`,
          })),
        }))
        return true
      },
    ],
    [
      'backup.namespace',
      (d) => {
        d.backup = { ...(d.backup ?? {}), namespace: 'velero' }
        return true
      },
    ],
    [
      'backup.maxAge',
      (d) => {
        d.backup = { ...(d.backup ?? {}), maxAge: '3h' }
        return true
      },
    ],
    [
      'backup.storageLocation and ttl',
      (d) => {
        d.backup = {
          ...(d.backup ?? {}),
          storageLocation: 'offsite',
          ttl: '24h0m0s',
        } as FleetDocument['backup']
        return true
      },
    ],
    [
      'backup.enabled',
      (d) => {
        d.backup = d.backup?.enabled === false ? {} : { enabled: false, reason: 'lab' }
        return true
      },
    ],
    [
      'rollout.failureThreshold',
      (d) => {
        d.rollout = { ...(d.rollout ?? {}), failureThreshold: (d.rollout?.failureThreshold ?? 0) + 2 }
        return true
      },
    ],
    [
      'metadata.name (the fleet: record, locks, pause marker)',
      (d) => {
        d.metadata = { name: 'another-fleet' }
        return true
      },
    ],
  ]

  it.each(changes)('%s changes the digest', (_field, mutate) => {
    let counted = 0
    fc.assert(
      fc.property(fleetArbitrary({ minManaged: 1, maxManaged: 12 }), (params) => {
        const doc = generateFleet({ ...params, attached: Math.max(1, params.attached ?? 0) }) as Doc
        const before = buildPlan(parse(doc)).digest
        const changed = structuredClone(doc)
        if (!mutate(changed)) return
        counted++
        expect(buildPlan(parse(changed)).digest).not.toBe(before)
      }),
      { numRuns: 25 },
    )
    expect(counted).toBeGreaterThan(0)
  })

  const noops: Mutation[] = [
    ['key order (every mapping, args too)', () => true],
    [
      'a default written out (wave: 1, management.namespace: default, backup.enabled: true)',
      (d) => {
        for (const c of managedOf(d)) if (!c.canary && c.wave === undefined) c.wave = 1
        mgmt(d).namespace ??= 'default'
        if (d.backup?.enabled !== false) d.backup = { ...(d.backup ?? {}), enabled: true }
        return true
      },
    ],
  ]
  it.each(noops)(
    '%s, comments, whitespace, JSON-style text and file split leave it unchanged',
    (_what, mutate) => {
      fc.assert(
        fc.property(
          fleetArbitrary({ maxManaged: 12 }),
          fc.integer(),
          fc.integer({ min: 1, max: 3 }),
          (params, seed, files) => {
            const doc = generateFleet(params) as Doc
            const digest = buildPlan(parse(doc)).digest
            const same = reorderKeys(structuredClone(doc), seed)
            mutate(same)
            const texts = [
              withComments(fleetYaml(same)),
              JSON.stringify(same, null, 1),
              fleetYaml(same).replace(/\n/g, '\n\n').replace(/: /g, ':   '),
            ]
            for (const content of texts)
              expect(buildPlan(parseInventory([{ path: 'f.yaml', content }]).inventory).digest).toBe(digest)
            expect(
              buildPlan(parseInventory(splitFleet(same, { files, docsPerFile: 2 })).inventory).digest,
            ).toBe(digest)
          },
        ),
        { numRuns: 30 },
      )
    },
  )

  it('every leaf of the inventory model is covered: changing any value changes the digest (model level)', () => {
    const inv = parse(
      generateFleet({
        managed: 3,
        attached: 1,
        workspaceApps: true,
        projectApps: true,
        waves: [1, 2],
        seed: 9,
      }),
    )
    const c0 = inv.clusters.find((c) => !c.attached) as ManagedCluster
    c0.nodepools = [{ name: 'p', args: { ami: 'a', subnets: ['s1', 's2'] } }]
    c0.controlPlane = { args: { ami: 'a' } }
    c0.window = { days: ['sat'], start: '01:00', end: '02:00', timezone: 'UTC' }
    inv.management.kommander = { args: { 'charts-bundle': ['x.tar.gz'] } }
    inv.management.kubeconfigEnv = 'K'
    inv.backup.storageLocation = 'loc'
    inv.backup.ttl = '1h0m0s'
    const base = buildPlan(inv).digest
    // Where values were written; and a cluster's wave/canary, which count through the plan's
    // waves (the wave test above holds the digest to exactly those changes).
    const NOT_SEMANTIC = new Set(['source', 'versionSource', 'files', 'targetSource'])
    const THROUGH_WAVES = new Set(['wave', 'canary'])
    const leaves: (string | number)[][] = []
    const walk = (v: unknown, path: (string | number)[]) => {
      if (Array.isArray(v)) for (const [i, x] of v.entries()) walk(x, [...path, i])
      else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v))
          if (!NOT_SEMANTIC.has(k) && !(path[0] === 'clusters' && path.length === 2 && THROUGH_WAVES.has(k)))
            walk(x, [...path, k])
      } else leaves.push(path)
    }
    walk(inv, [])
    const unchanged: string[] = []
    let tried = 0
    for (const path of leaves) {
      const copy = structuredClone(inv)
      let parent = copy as unknown as Record<string | number, unknown>
      for (const p of path.slice(0, -1)) parent = parent[p] as Record<string | number, unknown>
      const key = path.at(-1)!
      const v = parent[key]
      parent[key] = typeof v === 'number' ? v + 1 : typeof v === 'boolean' ? !v : `${String(v)}x`
      let digest: string
      try {
        digest = buildPlan(copy).digest
      } catch {
        continue // e.g. an unknown target version: refused, not planned
      }
      tried++
      if (digest === base) unchanged.push(path.join('.'))
    }
    expect(unchanged).toEqual([])
    expect(tried).toBeGreaterThan(40)
  })
})
