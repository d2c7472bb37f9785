// The upgrade plan on hand-picked inventories: step order, stages left out, waves and their
// splitting, attached clusters, determinism and the digest, live marks, path refusals,
// target overrides, and the text/markdown renderings.

import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { InputError } from '../../src/core/errors.js'
import { parseInventory } from '../../src/core/inventory.js'
import { planSummary } from '../../src/core/markdown.js'
import type { Inventory } from '../../src/core/model.js'
import {
  ATTACHED_NOTE,
  assertPlanDigest,
  buildPlan,
  clustersInWave,
  MAX_WAVE_SIZE,
  type Plan,
  stepsFor,
} from '../../src/core/plan.js'
import { renderPlan } from '../../src/core/text.js'
import {
  type FleetDocument,
  fleetYaml,
  generateFleet,
  planViolations,
  reorderKeys,
  splitFleet,
  withComments,
} from '../helpers/fleet-gen.js'

const ROOT = resolve(import.meta.dirname, '../..')
const example = (name: string) =>
  parseInventory([{ path: `examples/${name}`, content: readFileSync(join(ROOT, 'examples', name), 'utf8') }])
    .inventory
const inventoryOf = (doc: FleetDocument | string) =>
  parseInventory([{ path: 'f.yaml', content: typeof doc === 'string' ? doc : fleetYaml(doc) }]).inventory

function inputError(fn: () => unknown): InputError {
  try {
    fn()
  } catch (err) {
    if (err instanceof InputError) return err
    throw err
  }
  throw new Error('expected an InputError')
}

const ids = (plan: Plan) => plan.steps.map((s) => s.id)
const step = (plan: Plan, id: string) => plan.steps.find((s) => s.id === id)!

describe('examples/fleet.yaml', () => {
  const inv = example('fleet.yaml')
  const plan = buildPlan(inv)

  it('keeps every invariant', () => {
    expect(planViolations(plan, inv)).toEqual([])
  })

  it('orders the steps as the DKP guide does', () => {
    const wave = (names: string[]) => names.flatMap((c) => [`core-addons:${c}`, `kubernetes:${c}`])
    expect(ids(plan)).toEqual([
      'check:mgmt',
      'backup:mgmt',
      'kommander:mgmt',
      'workspaces:mgmt',
      'workspace-apps:mgmt',
      'project-apps:mgmt',
      'custom-apps:mgmt',
      'capi-components:mgmt',
      'core-addons:mgmt',
      'kubernetes:mgmt',
      ...wave(['stage-east-1']),
      ...wave(['prod-east-1', 'prod-east-2', 'ci-west-1', 'ci-west-2']),
      ...wave(['prod-west-1', 'prod-west-2', 'build-1', 'build-2']),
      ...wave(['edge-1', 'edge-2', 'edge-3']),
      'verify:mgmt',
    ])
  })

  it('chains the management stages and starts each wave after the previous one', () => {
    expect(step(plan, 'check:mgmt').needs).toEqual([])
    expect(step(plan, 'kommander:mgmt').needs).toEqual(['backup:mgmt'])
    expect(step(plan, 'core-addons:stage-east-1').needs).toEqual(['kubernetes:mgmt'])
    expect(step(plan, 'kubernetes:stage-east-1').needs).toEqual(['core-addons:stage-east-1'])
    expect(step(plan, 'core-addons:prod-east-1').needs).toEqual(['kubernetes:stage-east-1'])
    expect(step(plan, 'core-addons:prod-west-1').needs).toEqual([
      'kubernetes:prod-east-1',
      'kubernetes:prod-east-2',
      'kubernetes:ci-west-1',
      'kubernetes:ci-west-2',
    ])
    expect(step(plan, 'verify:mgmt').needs).toEqual([
      'kubernetes:edge-1',
      'kubernetes:edge-2',
      'kubernetes:edge-3',
    ])
  })

  it('targets DKP for platform steps and Kubernetes for kubernetes and custom-apps', () => {
    expect(plan.target).toEqual({ dkp: 'v2.8.1', kubernetes: '1.28.7' })
    expect(step(plan, 'kommander:mgmt').to).toBe('v2.8.1')
    expect(step(plan, 'kubernetes:edge-1').to).toBe('1.28.7')
    expect(step(plan, 'custom-apps:mgmt').to).toBe('1.28.7')
    expect(step(plan, 'core-addons:edge-1')).toMatchObject({ wave: 3, to: 'v2.8.1' })
  })

  it('groups waves: the canary first, inventory order inside a wave', () => {
    expect(plan.waves).toEqual([
      { wave: 0, include: [{ cluster: 'stage-east-1', wave: 0 }] },
      {
        wave: 1,
        include: ['prod-east-1', 'prod-east-2', 'ci-west-1', 'ci-west-2'].map((cluster) => ({
          cluster,
          wave: 1,
        })),
      },
      {
        wave: 2,
        include: ['prod-west-1', 'prod-west-2', 'build-1', 'build-2'].map((cluster) => ({
          cluster,
          wave: 2,
        })),
      },
      { wave: 3, include: ['edge-1', 'edge-2', 'edge-3'].map((cluster) => ({ cluster, wave: 3 })) },
    ])
    expect(plan.matrix.include).toHaveLength(12)
    expect(clustersInWave(plan, 3)).toEqual(['edge-1', 'edge-2', 'edge-3'])
    expect(stepsFor(plan, 'edge-1').map((s) => s.stage)).toEqual(['core-addons', 'kubernetes'])
  })

  it('lists the attached clusters with a note and no steps', () => {
    expect(plan.attached).toEqual([
      { cluster: 'edge-7', workspace: 'edge', note: ATTACHED_NOTE },
      { cluster: 'partner-gke', workspace: 'team-b', note: ATTACHED_NOTE },
    ])
    expect(stepsFor(plan, 'edge-7')).toEqual([])
  })

  it('carries the contract fields', () => {
    expect(plan).toMatchObject({
      apiVersion: 'dkp-fleet/v1',
      fleet: 'example',
      management: 'mgmt',
    })
    expect(plan.rollout).toEqual(inv.rollout)
    expect(plan.rollout.maxParallel).toBe(2)
    expect(plan.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(plan.backupDisabled).toBeUndefined()
    expect(Object.values(plan.stages).every(Boolean)).toBe(true)
  })
})

describe('stages with nothing to do are left out', () => {
  it('a stand-alone management cluster: no workspace stages, no per-cluster steps', () => {
    const inv = example('standalone.yaml')
    const plan = buildPlan(inv)
    expect(ids(plan)).toEqual([
      'check:dkp-mgmt',
      'backup:dkp-mgmt',
      'kommander:dkp-mgmt',
      'custom-apps:dkp-mgmt',
      'capi-components:dkp-mgmt',
      'core-addons:dkp-mgmt',
      'kubernetes:dkp-mgmt',
      'verify:dkp-mgmt',
    ])
    expect(step(plan, 'verify:dkp-mgmt').needs).toEqual(['kubernetes:dkp-mgmt'])
    expect(plan.waves).toEqual([])
    expect(plan.matrix).toEqual({ include: [] })
    expect(plan.stages).toMatchObject({
      workspaces: false,
      'workspace-apps': false,
      'project-apps': false,
      backup: true,
    })
    expect(planViolations(plan, inv)).toEqual([])
  })

  it('workspaces without apps: the workspaces step only', () => {
    const inv = inventoryOf(generateFleet({ managed: 3, workspaces: 2, seed: 1 }))
    const plan = buildPlan(inv)
    expect(
      ids(plan)
        .filter((id) => id.endsWith(':mgmt'))
        .slice(0, 6),
    ).toEqual([
      'check:mgmt',
      'backup:mgmt',
      'kommander:mgmt',
      'workspaces:mgmt',
      'custom-apps:mgmt',
      'capi-components:mgmt',
    ])
    expect(plan.stages).toMatchObject({ 'workspace-apps': false, 'project-apps': false })
  })

  it('project apps without workspace apps', () => {
    const plan = buildPlan(inventoryOf(generateFleet({ managed: 1, projectApps: true, seed: 1 })))
    expect(step(plan, 'project-apps:mgmt').needs).toEqual(['workspaces:mgmt'])
    expect(ids(plan)).not.toContain('workspace-apps:mgmt')
  })

  it('backup turned off: no backup step, the reason carried', () => {
    const inv = inventoryOf(generateFleet({ managed: 2, backup: false, seed: 1 }))
    const plan = buildPlan(inv)
    expect(ids(plan)).not.toContain('backup:mgmt')
    expect(step(plan, 'kommander:mgmt').needs).toEqual(['check:mgmt'])
    expect(plan.backupDisabled).toBe('generated test fleet')
    expect(plan.stages.backup).toBe(false)
    expect(planViolations(plan, inv)).toEqual([])
  })

  it('only attached clusters: no per-cluster steps, the attached listed', () => {
    const inv = inventoryOf(generateFleet({ managed: 0, attached: 3, seed: 1 }))
    const plan = buildPlan(inv)
    expect(plan.steps.every((s) => s.cluster === 'mgmt')).toBe(true)
    expect(plan.waves).toEqual([])
    expect(plan.attached.map((a) => a.cluster)).toEqual(['att-001', 'att-002', 'att-003'])
  })
})

describe('waves', () => {
  it('600 clusters in one wave split into 256 + 256 + 88, numbered 1, 2, 3', () => {
    const inv = inventoryOf(generateFleet({ managed: 600, seed: 4 }))
    const plan = buildPlan(inv)
    expect(plan.waves.map((w) => [w.wave, w.include.length])).toEqual([
      [1, 256],
      [2, 256],
      [3, 88],
    ])
    expect(plan.waves.flatMap((w) => w.include.map((e) => e.cluster))).toEqual(
      inv.clusters.map((c) => c.name),
    )
    expect(plan.matrix.include).toHaveLength(600)
    expect(MAX_WAVE_SIZE).toBe(256)
    // the first cluster of the second part waits for every cluster of the first
    const first = plan.waves[1]!.include[0]!.cluster
    expect(step(plan, `core-addons:${first}`).needs).toHaveLength(256)
    expect(planViolations(plan, inv)).toEqual([])
  })

  it('numbers stay consecutive around a split: canaries 0, split wave 1-3, next inventory wave 4', () => {
    const clusters = [
      { name: 'canary-1', workspace: 'ws-1', provider: 'aws', canary: true },
      ...Array.from({ length: 300 }, (_, i) => ({
        name: `a-${i}`,
        workspace: 'ws-1',
        provider: 'aws',
        wave: 5,
      })),
      { name: 'late', workspace: 'ws-1', provider: 'aws', wave: 9 },
      ...Array.from({ length: 300 }, (_, i) => ({
        name: `b-${i}`,
        workspace: 'ws-1',
        provider: 'aws',
        wave: 5,
      })),
    ]
    const doc: FleetDocument = { ...generateFleet({ managed: 0, workspaces: 1 }), clusters }
    const inv = inventoryOf(doc)
    const plan = buildPlan(inv)
    expect(plan.waves.map((w) => [w.wave, w.include.length])).toEqual([
      [0, 1],
      [1, 256],
      [2, 256],
      [3, 88],
      [4, 1],
    ])
    // inventory order inside the split wave: all a-* (in order) then all b-*
    const wave5 = plan.waves.slice(1, 4).flatMap((w) => w.include.map((e) => e.cluster))
    expect(wave5).toEqual([...clusters.slice(1, 301), ...clusters.slice(302)].map((c) => c.name))
    expect(planViolations(plan, inv)).toEqual([])
  })

  it('more than 256 canaries: wave 0 then the rest of the canaries in wave 1', () => {
    const inv = inventoryOf(generateFleet({ managed: 300, canaryRatio: 1, seed: 2 }))
    const plan = buildPlan(inv)
    expect(plan.waves.map((w) => [w.wave, w.include.length])).toEqual([
      [0, 256],
      [1, 44],
    ])
  })

  it('renumbers inventory waves 2, 5, 9 to 1, 2, 3', () => {
    const inv = inventoryOf(generateFleet({ managed: 30, waves: [9, 2, 5], seed: 8 }))
    const plan = buildPlan(inv)
    expect(plan.waves.map((w) => w.wave)).toEqual([1, 2, 3])
    const original = new Map(inv.clusters.map((c) => [c.name, c.attached ? -1 : c.wave]))
    expect(plan.waves.map((w) => [...new Set(w.include.map((e) => original.get(e.cluster)))])).toEqual([
      [2],
      [5],
      [9],
    ])
  })

  it('matrix entries carry only cluster and wave', () => {
    const plan = buildPlan(example('fleet.yaml'))
    for (const e of [...plan.matrix.include, ...plan.waves.flatMap((w) => w.include)])
      expect(Object.keys(e).sort()).toEqual(['cluster', 'wave'])
  })
})

describe('determinism and the digest', () => {
  const doc = generateFleet({
    managed: 40,
    attached: 2,
    waves: [1, 2, 3],
    canaryRatio: 0.1,
    workspaceApps: true,
    seed: 13,
  })
  const base = buildPlan(inventoryOf(doc))

  it('the same inventory gives byte-identical JSON', () => {
    const again = buildPlan(inventoryOf(doc))
    expect(JSON.stringify(again)).toBe(JSON.stringify(base))
    expect(again.digest).toBe(base.digest)
  })

  it('reordered keys and comments change nothing', () => {
    const text = withComments(fleetYaml(reorderKeys(doc, 99)))
    expect(text).not.toBe(fleetYaml(doc))
    const plan = buildPlan(inventoryOf(text))
    expect(plan.digest).toBe(base.digest)
    expect(JSON.stringify(plan)).toBe(JSON.stringify(base))
  })

  it('splitting the inventory over files and documents changes nothing', () => {
    const plan = buildPlan(parseInventory(splitFleet(doc, { files: 3, docsPerFile: 2 })).inventory)
    expect(JSON.stringify(plan)).toBe(JSON.stringify(base))
  })

  it("changing a cluster's wave changes the digest", () => {
    const moved = structuredClone(doc)
    const c = moved.clusters!.find((x) => !x.attached && !x.canary && (x.wave ?? 1) === 1)!
    c.wave = 3
    expect(buildPlan(inventoryOf(moved)).digest).not.toBe(base.digest)
  })

  it('changing the target, the rollout or the backup setting changes the digest', () => {
    const variants: ((d: FleetDocument) => void)[] = [
      (d) => {
        d.target = { dkp: 'v2.8.0', kubernetes: '1.28.7' }
      },
      (d) => {
        d.rollout = { maxParallel: 7 }
      },
      (d) => {
        d.backup = { enabled: false, reason: 'x' }
      },
      (d) => {
        d.clusters!.reverse()
      },
    ]
    for (const change of variants) {
      const d = structuredClone(doc)
      change(d)
      expect(buildPlan(inventoryOf(d)).digest).not.toBe(base.digest)
    }
  })
})

describe('live versions', () => {
  const inv = example('fleet.yaml')
  const base = buildPlan(inv)

  it('marks done steps and found versions without changing the digest', () => {
    const plan = buildPlan(inv, {
      live: {
        dkp: 'v2.7.1',
        kubernetes: { mgmt: '1.27.6', 'stage-east-1': '1.28.7', 'edge-7': '1.27.3' },
        done: ['kubernetes:stage-east-1', 'core-addons:stage-east-1'],
      },
    })
    expect(plan.digest).toBe(base.digest)
    expect(step(plan, 'kubernetes:stage-east-1')).toMatchObject({ done: true, from: '1.28.7' })
    expect(step(plan, 'core-addons:stage-east-1').done).toBe(true)
    expect(step(plan, 'kommander:mgmt')).toMatchObject({ from: 'v2.7.1' })
    expect(step(plan, 'kommander:mgmt').done).toBeUndefined()
    expect(plan.from).toEqual({ dkp: 'v2.7.1', kubernetes: '1.27.6' })
    expect(base.steps.some((s) => s.done !== undefined || s.from !== undefined)).toBe(false)
    expect(renderPlan(plan)).toContain('done')
  })

  it('notes attached clusters that lag behind, and gives no gap to those in step', () => {
    const plan = buildPlan(inv, {
      live: { dkp: 'v2.7.1', kubernetes: { 'edge-7': '1.27.3', 'partner-gke': '1.28.2' } },
    })
    const [edge7, gke] = plan.attached
    expect(edge7).toMatchObject({
      kubernetes: '1.27.3',
      gap: expect.stringContaining('the managed fleet moves to 1.28.7'),
    })
    expect(gke).toMatchObject({ kubernetes: '1.28.2' })
    expect(gke!.gap).toBeUndefined()
    const old = buildPlan(inv, { live: { kubernetes: { 'edge-7': '1.24.1' } } }).attached[0]!
    expect(old.gap).toContain('older than DKP v2.8.1 supports')
    expect(plan.digest).toBe(base.digest)
  })

  it('refuses a DKP path that skips a minor, naming the path', () => {
    const err = inputError(() => buildPlan(inv, { live: { dkp: 'v2.6.3', kubernetes: {} } }))
    expect(err.problems).toEqual([
      {
        source: inv.targetSource,
        path: 'target.dkp',
        message: expect.stringContaining('upgrade v2.6.3 → v2.7.x → v2.8.1'),
      },
    ])
  })

  it('refuses Kubernetes skips and downgrades for every cluster at once, naming each', () => {
    const err = inputError(() =>
      buildPlan(inv, {
        live: { dkp: 'v2.7.1', kubernetes: { mgmt: '1.26.6', 'edge-2': '1.29.0', 'edge-7': '1.20.0' } },
      }),
    )
    expect(err.problems.map((p) => [p.path, p.message])).toEqual([
      [
        'target.kubernetes',
        expect.stringContaining('cluster mgmt: Kubernetes 1.26.6 → 1.28.7 skips minor 1.27.x'),
      ],
      [
        'target.kubernetes',
        expect.stringContaining('cluster edge-2: Kubernetes 1.28.7 is older than the running 1.29.0'),
      ],
    ])
    expect(err.problems[1]!.source).toEqual(inv.clusters.find((c) => c.name === 'edge-2')!.source)
  })

  it('refuses a downgrade of DKP', () => {
    const err = inputError(() => buildPlan(inv, { live: { dkp: 'v2.8.2', kubernetes: {} } }))
    expect(err.message).toContain('DKP cannot be downgraded')
  })
})

describe('target overrides (--target, dispatch inputs)', () => {
  const inv: Inventory = example('fleet.yaml')

  it('another DKP minor takes its own default Kubernetes', () => {
    const plan = buildPlan(inv, { targetDkp: 'v2.7.1' })
    expect(plan.target).toEqual({ dkp: 'v2.7.1', kubernetes: '1.27.6' })
    expect(step(plan, 'kommander:mgmt').to).toBe('v2.7.1')
    expect(step(plan, 'kubernetes:edge-1').to).toBe('1.27.6')
    expect(plan.digest).not.toBe(buildPlan(inv).digest)
  })

  it("a patch of the inventory's minor keeps the inventory's Kubernetes", () => {
    expect(buildPlan(inv, { targetDkp: '2.8.0' }).target).toEqual({ dkp: 'v2.8.0', kubernetes: '1.28.7' })
  })

  it('an explicit Kubernetes override', () => {
    expect(buildPlan(inv, { targetKubernetes: 'v1.27.9' }).target).toEqual({
      dkp: 'v2.8.1',
      kubernetes: '1.27.9',
    })
  })

  it('refuses bad overrides, all at once', () => {
    const err = inputError(() => buildPlan(inv, { targetDkp: 'latest', targetKubernetes: '1.28' }))
    expect(err.problems.map((p) => p.path)).toEqual(['target', 'target-kubernetes'])
  })

  it('refuses an override the release does not support, and unknown releases', () => {
    expect(inputError(() => buildPlan(inv, { targetKubernetes: '1.29.1' })).message).toContain(
      'newer than DKP v2.8.1 supports',
    )
    expect(inputError(() => buildPlan(inv, { targetDkp: 'v2.9.0' })).message).toContain(
      'not in the built-in release table',
    )
    // An NKP release is a target like any other; its Kubernetes range is checked the same way.
    expect(buildPlan(inv, { targetDkp: 'v2.12.0' }).target).toEqual({ dkp: 'v2.12.0', kubernetes: '1.29.6' })
    expect(
      inputError(() => buildPlan(inv, { targetDkp: 'v2.12.0', targetKubernetes: '1.30.5' })).message,
    ).toContain('newer than NKP v2.12.0 supports')
  })

  it('checks the live path against the override', () => {
    expect(() =>
      buildPlan(inv, { targetDkp: 'v2.7.1', live: { dkp: 'v2.6.0', kubernetes: {} } }),
    ).not.toThrow()
    expect(
      inputError(() => buildPlan(inv, { targetDkp: 'v2.8.1', live: { dkp: 'v2.6.0', kubernetes: {} } }))
        .message,
    ).toContain('v2.7.x')
  })
})

describe('renderings', () => {
  it('the text table names every step of a small plan', () => {
    const plan = buildPlan(example('fleet.yaml'))
    const text = renderPlan(plan)
    for (const id of ids(plan)) expect(text).toContain(id)
    expect(text).toContain(plan.digest)
    expect(text).toContain('canary')
    expect(text).toContain('partner-gke')
    expect(text.endsWith('\n')).toBe(true)
  })

  it('the text of a large plan lists the management steps and summarises the waves', () => {
    const plan = buildPlan(inventoryOf(generateFleet({ managed: 600, seed: 4 })))
    const text = renderPlan(plan)
    for (const id of ids(plan).filter((x) => x.endsWith(':mgmt'))) expect(text).toContain(id)
    expect(plan.steps).toHaveLength(600 * 2 + 9)
    expect(text).toContain(`${plan.steps.length} steps in all`)
    expect(text).toContain('all 88 clusters of wave 3')
    expect(text.split('\n').length).toBeLessThan(60)
  })

  it('shows a backup that is off', () => {
    const plan = buildPlan(inventoryOf(generateFleet({ managed: 1, backup: false })))
    expect(renderPlan(plan)).toContain('Backup: OFF (generated test fleet)')
    expect(planSummary(plan)).toContain('Backup is off for this fleet')
  })

  it('the job summary lists steps and waves as tables', () => {
    const plan = buildPlan(example('fleet.yaml'))
    const md = planSummary(plan)
    for (const id of ids(plan)) expect(md).toContain(`| ${id} |`)
    expect(md).toContain('### Waves')
    expect(md).toContain('| 0 (canary) | 1 | stage-east-1 |')
  })
})

describe('the plan digest a later job checks', () => {
  it('passes when equal or not given, and is bad input naming both digests when it differs', () => {
    const plan = { digest: 'sha256:aaa' }
    expect(() => assertPlanDigest(plan, 'sha256:aaa')).not.toThrow()
    expect(() => assertPlanDigest(plan, undefined)).not.toThrow()
    const err = inputError(() => assertPlanDigest(plan, 'sha256:bbb'))
    expect(err.message).toContain("this job's plan (sha256:aaa) differs from the plan job's (sha256:bbb)")
  })
})
