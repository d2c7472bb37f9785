// Multi-hop plans (issue 21 item 1): the hops from the live release to a target more than one
// minor away, each minor at its latest patch in the release data; a run plans hops[0]; a stage
// job that is handed the hop rebuilds the same plan (digest); mixed fleets; the plan job's
// outputs and summary lines.

import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { InputError } from '../../src/core/errors.js'
import { furtherAlong, hopLine, hopProblem, latestPatch, planHops } from '../../src/core/hops.js'
import { parseInventory } from '../../src/core/inventory.js'
import { planSummary } from '../../src/core/markdown.js'
import { buildPlan, type LiveVersions } from '../../src/core/plan.js'
import { loadReleaseData } from '../../src/core/release-data.js'
import { renderPlan } from '../../src/core/text.js'
import { publishPlan } from '../../src/stages/plan.js'

const ROOT = resolve(import.meta.dirname, '../..')
const inv = parseInventory([
  { path: 'examples/fleet.yaml', content: readFileSync(join(ROOT, 'examples/fleet.yaml'), 'utf8') },
]).inventory
const tags = (await loadReleaseData()).platformTags()

function inputError(fn: () => unknown): InputError {
  try {
    fn()
  } catch (err) {
    if (err instanceof InputError) return err
    throw err
  }
  throw new Error('expected an InputError')
}

describe('planHops', () => {
  it('goes one minor per hop, each at the latest patch the release data knows', () => {
    expect(latestPatch('2.7', tags)).toBe('v2.7.3')
    expect(planHops('v2.6.1', 'v2.8.1', tags)).toEqual([
      { from: 'v2.6.1', to: 'v2.7.3' },
      { from: 'v2.7.3', to: 'v2.8.1' },
    ])
  })

  it('walks DKP 2.8 → NKP 2.12 and one NKP minor at a time', () => {
    expect(planHops('v2.8.1', 'v2.14.1', tags)).toEqual([
      { from: 'v2.8.1', to: 'v2.12.2' },
      { from: 'v2.12.2', to: 'v2.13.3' },
      { from: 'v2.13.3', to: 'v2.14.1' },
    ])
  })

  it('has no hops when one run reaches the target, and leaves downgrades to the path check', () => {
    expect(planHops('v2.7.0', 'v2.8.1', tags)).toEqual([])
    expect(planHops('v2.8.1', 'v2.8.3', tags)).toEqual([])
    expect(planHops('v2.8.2', 'v2.6.1', tags)).toBeUndefined()
  })

  it('refuses a path through a minor the release data has no release of', () => {
    const err = inputError(() => planHops('v2.6.1', 'v2.8.1', ['v2.6.1', 'v2.8.1']))
    expect(err.problems[0]!.message).toContain('the release data knows no 2.7 release')
  })

  it('takes a hop only on the path: an earlier minor than the target', () => {
    expect(hopProblem('v2.7.3', 'v2.8.1')).toBeUndefined()
    expect(hopProblem('v2.8.0', 'v2.8.1')).toContain('is no hop toward the target v2.8.1')
    expect(hopProblem('v2.12.2', 'v2.8.1')).toContain('is no hop')
  })

  it('calls a Kubernetes past the hop and not past the goal further along', () => {
    expect(furtherAlong('1.28.7', '1.27.6', '1.28.7')).toBe(true)
    expect(furtherAlong('v1.28', '1.27.6', '1.28.7')).toBe(true)
    expect(furtherAlong('1.27.6', '1.27.6', '1.28.7')).toBe(false)
    expect(furtherAlong('1.29.0', '1.27.6', '1.28.7')).toBe(false)
  })
})

describe('a plan more than one minor behind', () => {
  const live: LiveVersions = {
    dkp: 'v2.6.1',
    kubernetes: { mgmt: '1.26.6', 'prod-east-1': '1.26.6' },
    hops: planHops('v2.6.1', 'v2.8.1', tags)!,
  }
  const plan = buildPlan(inv, { live })

  it('plans the first hop: every step upgrades to it, the goal stays the target', () => {
    expect(plan.target).toEqual({ dkp: 'v2.7.3', kubernetes: '1.27.6' })
    expect(plan.goal).toEqual({ dkp: 'v2.8.1', kubernetes: '1.28.7' })
    expect(plan.hops).toHaveLength(2)
    expect(plan.steps.find((s) => s.id === 'kommander:mgmt')!.to).toBe('v2.7.3')
    expect(plan.steps.find((s) => s.id === 'kubernetes:prod-east-1')!.to).toBe('1.27.6')
    expect(plan.kubernetesInferred).toBe(true)
  })

  it('is the plan a stage job rebuilds from the hop alone (same digest), and the digest covers the hop', () => {
    const job = buildPlan(inv, { hop: 'v2.7.3' })
    expect(job.digest).toBe(plan.digest)
    expect(job.hops).toBeUndefined()
    // The same run target without the goal: a different plan (it ends there).
    expect(buildPlan(inv, { targetDkp: 'v2.7.3' }).digest).not.toBe(plan.digest)
    expect(buildPlan(inv, { hop: 'v2.7.2' }).digest).not.toBe(plan.digest)
    // A target-kubernetes override is for the goal, not the hop.
    const pinned = buildPlan(inv, { hop: 'v2.7.3', targetKubernetes: '1.28.9' })
    expect(pinned.target.kubernetes).toBe('1.27.6')
    expect(pinned.goal!.kubernetes).toBe('1.28.9')
  })

  it('refuses a hop that is not on the path, naming the input', () => {
    const err = inputError(() => buildPlan(inv, { hop: 'v2.8.0' }))
    expect(err.problems).toEqual([{ path: 'plan-hop', message: expect.stringContaining('is no hop toward') }])
    expect(inputError(() => buildPlan(inv, { hop: 'latest' })).problems[0]!.path).toBe('plan-hop')
  })

  it('plans a cluster already further along from its own version (a mixed fleet)', () => {
    const mixed = { ...live, kubernetes: { ...live.kubernetes, 'prod-east-2': '1.28.7' } }
    const hop = buildPlan(inv, { live: mixed })
    expect(hop.steps.find((s) => s.id === 'kubernetes:prod-east-2')!.from).toBe('1.28.7')
    // Without hops the same cluster is a downgrade, refused.
    const err = inputError(() =>
      buildPlan(inv, { targetDkp: 'v2.7.3', live: { ...mixed, dkp: 'v2.6.1', hops: [] } }),
    )
    expect(err.message).toContain('cluster prod-east-2: Kubernetes 1.27.6 is older than the running 1.28.7')
  })

  it('says which hop runs and what comes next', () => {
    expect(hopLine(plan)).toBe(
      'hop 1 of 2: v2.6.1 → v2.7.3; dispatch again for v2.8.1 when this run is green',
    )
    expect(hopLine(buildPlan(inv, { hop: 'v2.7.3' }))).toBe(
      'one hop toward v2.8.1: this run upgrades to v2.7.3',
    )
    expect(hopLine(buildPlan(inv))).toBeUndefined()
    expect(planSummary(plan)).toContain('**Multi-hop upgrade:** hop 1 of 2: v2.6.1 → v2.7.3')
    expect(renderPlan(plan)).toContain(
      'Multi-hop: hop 1 of 2: v2.6.1 → v2.7.3; run `dkp-fleet upgrade` again',
    )
  })
})

describe("the plan job's outputs", () => {
  const live: LiveVersions = { dkp: 'v2.6.1', kubernetes: {}, hops: planHops('v2.6.1', 'v2.8.1', tags)! }
  const publish = (opts: Parameters<typeof publishPlan>[2]) => {
    const outputs: Record<string, string> = {}
    const reporter = {
      output: (k: string, v: string) => {
        outputs[k] = v
      },
      summary: () => {},
      info: () => {},
    } as unknown as Parameters<typeof publishPlan>[1]
    publishPlan(inv, reporter, opts)
    return outputs
  }

  it('name the hop being run and the hops left', () => {
    const out = publish({ live })
    expect(out.hop).toBe('v2.7.3')
    expect(out['hops-left']).toBe('1')
    expect(JSON.parse(out.plan!).hops).toEqual(live.hops)
    const single = publish({ live: { dkp: 'v2.7.3', kubernetes: {}, hops: [] } })
    expect(single.hop).toBe('')
    expect(single['hops-left']).toBe('0')
  })

  it('refuse a pinned dkp-version of another minor than the hop', () => {
    expect(() => publish({ live, dkpVersion: 'v2.8.1' })).toThrow(
      /pins v2.8.1, but this run upgrades to v2.7.3/,
    )
    expect(publish({ live, dkpVersion: 'v2.7.3' }).hop).toBe('v2.7.3')
  })
})

describe('node counts from the inventory (wave order when there is no history)', () => {
  const withNodes = (counts: Record<string, number>) =>
    parseInventory([
      {
        path: 'examples/fleet.yaml',
        content: Object.entries(counts).reduce(
          (text, [name, n]) => text.replace(`- { name: ${name}, `, `- { name: ${name}, nodes: ${n}, `),
          readFileSync(join(ROOT, 'examples/fleet.yaml'), 'utf8'),
        ),
      },
    ]).inventory
  const wave1 = (p: ReturnType<typeof buildPlan>) =>
    p.waves.find((w) => w.wave === 1)!.include.map((e) => e.cluster)

  it('orders a wave most nodes first, changes neither members nor digest; live counts and history win', () => {
    const base = buildPlan(inv)
    expect(wave1(base)).toEqual(['prod-east-1', 'prod-east-2', 'ci-west-1', 'ci-west-2'])
    const counted = withNodes({ 'ci-west-2': 40, 'prod-east-2': 9 })
    const plan = buildPlan(counted)
    expect(wave1(plan)).toEqual(['ci-west-2', 'prod-east-2', 'prod-east-1', 'ci-west-1'])
    expect(plan.digest).toBe(base.digest)
    expect(plan.matrix.include.map((e) => e.cluster)).toEqual(
      plan.waves.flatMap((w) => w.include.map((e) => e.cluster)),
    )
    // A live Machine count replaces the inventory's; a recorded duration ranks before both.
    const live = buildPlan(counted, { live: { kubernetes: {}, nodes: { 'ci-west-2': 3, 'ci-west-1': 20 } } })
    expect(wave1(live)).toEqual(['ci-west-1', 'prod-east-2', 'ci-west-2', 'prod-east-1'])
    const history = buildPlan(counted, {
      live: { kubernetes: {}, seconds: { 'ci-west-2': 50, 'prod-east-1': 900 } },
    })
    expect(wave1(history)).toEqual(['prod-east-2', 'ci-west-1', 'prod-east-1', 'ci-west-2'])
  })

  it('refuses a node count below 1, naming the field', () => {
    const err = inputError(() =>
      parseInventory([
        {
          path: 'f.yaml',
          content: readFileSync(join(ROOT, 'examples/fleet.yaml'), 'utf8').replace(
            '- { name: prod-east-2, ',
            '- { name: prod-east-2, nodes: 0, ',
          ),
        },
      ]),
    )
    expect(err.problems.map((p) => p.path)).toContain('clusters[2].nodes')
  })
})
