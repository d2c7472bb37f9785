// Benchmark: fleet makespan. A simulated fleet of 300 managed clusters (three inventory waves,
// 2% canaries) gets per-stage durations drawn from a fixed seed; the plan's DAG (buildPlan) is
// then scheduled the way the upgrade workflow runs it: management steps one after another,
// each wave's clusters as one matrix with `max-parallel` = rollout.maxParallel, a leg (one
// cluster: core-addons then kubernetes) starting as soon as a slot frees up, in matrix order
// (GitHub's list scheduling), and a wave starting once the previous one has finished.
// Compared with the lower bound: management steps + Σ over waves of
// max(longest leg, ⌈Σ legs / maxParallel⌉). Target ≤ 1.05×.
// "With history": the plan is built the way a plan job with a kubeconfig builds it, with each
// cluster's expected seconds from a previous run (this run's leg length off by up to ±15%,
// an assumption (I)), so buildPlan orders each wave's matrix longest-expected-first.
// Targets with history: median ≤ ×1.02 at maxParallel 10, ≤ ×1.05 at 25.
//
//   npx tsx bench/makespan.ts [--json] [--clusters 300] [--max-parallel 10] [--seed 1] [--seeds 50]

import { parseInventory } from '../src/core/inventory.js'
import type { Inventory } from '../src/core/model.js'
import { buildPlan, type Plan } from '../src/core/plan.js'
import { fleetYaml, generateFleet, prng } from '../test/helpers/fleet-gen.js'
import { type BenchResult, emit, figure, flag, median, quantile, round } from './lib/common.js'

const TITLE = 'Fleet makespan (300 managed clusters, list scheduling vs lower bound)'

/** Minutes, drawn uniformly from [lo, hi] per step. */
const DURATIONS: Record<string, [number, number]> = {
  check: [1, 3],
  backup: [5, 15],
  kommander: [20, 45],
  workspaces: [5, 15],
  'workspace-apps': [5, 15],
  'project-apps': [5, 15],
  'custom-apps': [1, 3],
  'capi-components': [5, 10],
  'core-addons': [2, 6],
  kubernetes: [10, 40],
  verify: [2, 5],
}

/** Per-leg overhead of the action itself (two stage steps at the 0.5 s target each), seconds. */
const ACTION_OVERHEAD_S = 2 * 0.5

function makeInventory(clusters: number, maxParallel: number): Inventory {
  const doc = generateFleet({
    managed: clusters,
    workspaces: 12,
    waves: [1, 2, 3],
    canaryRatio: 0.02,
    maxParallel,
    workspaceApps: true,
    projectApps: true,
    seed: 300,
  })
  return parseInventory([{ path: 'fleet.yaml', content: fleetYaml(doc) }]).inventory
}

const makePlan = (clusters: number, maxParallel: number): Plan =>
  buildPlan(makeInventory(clusters, maxParallel))

/**
 * The plan a plan job builds with the run record of a previous run: expected seconds per
 * cluster = this run's leg length × (0.85..1.15) (the previous run's, assumed close).
 */
function planWithHistory(inv: Inventory, plan: Plan, dur: Map<string, number>, seed: number): Plan {
  const rand = prng(seed * 7919 + 13)
  const seconds: Record<string, number> = {}
  for (const s of plan.steps)
    if (s.wave !== undefined) seconds[s.cluster] = (seconds[s.cluster] ?? 0) + dur.get(s.id)!
  for (const c of Object.keys(seconds)) seconds[c] = Math.round(seconds[c]! * (0.85 + 0.3 * rand()))
  const withHistory = buildPlan(inv, { live: { kubernetes: {}, seconds } })
  if (withHistory.digest !== plan.digest) throw new Error('history changed the plan digest')
  return withHistory
}

/** Seconds per step id, drawn from the seed. */
function draw(plan: Plan, seed: number): Map<string, number> {
  const rand = prng(seed)
  const out = new Map<string, number>()
  for (const s of plan.steps) {
    const [lo, hi] = DURATIONS[s.stage] ?? [1, 1]
    out.set(s.id, Math.round((lo + rand() * (hi - lo)) * 60))
  }
  return out
}

interface Schedule {
  makespan: number
  lowerBound: number
  management: number
  waves: { wave: number; legs: number; span: number; bound: number }[]
}

/**
 * Event simulation over the plan's DAG. Management steps run when their needs are done (they
 * form one chain). A managed cluster's leg takes a slot of its wave's matrix for its
 * core-addons + kubernetes steps; legs are dispatched in matrix order to the earliest free slot.
 */
function schedule(
  plan: Plan,
  dur: Map<string, number>,
  order: 'matrix' | 'longest-first',
  overhead = 0,
): Schedule {
  const finish = new Map<string, number>()
  const ready = (needs: string[]) => needs.reduce((t, id) => Math.max(t, finish.get(id) ?? Number.NaN), 0)
  const byCluster = new Map<string, string[]>()
  for (const s of plan.steps)
    if (s.wave !== undefined) byCluster.set(s.cluster, [...(byCluster.get(s.cluster) ?? []), s.id])
  const waveOf = new Map(plan.waves.flatMap((w) => w.include.map((e) => [e.cluster, w.wave] as const)))
  let management = 0
  const waves: Schedule['waves'] = []
  const done = new Set<number>()
  for (const step of plan.steps) {
    if (step.wave === undefined) {
      finish.set(step.id, ready(step.needs) + dur.get(step.id)!)
      management += dur.get(step.id)!
      continue
    }
    const wave = waveOf.get(step.cluster)!
    if (done.has(wave)) continue
    done.add(wave)
    // The whole wave at once: every leg is released when the previous wave's steps are done.
    const include = plan.waves.find((w) => w.wave === wave)!.include
    const legs = include.map((e) => {
      const ids = byCluster.get(e.cluster)!
      const first = plan.steps.find((s) => s.id === ids[0])!
      return {
        ids,
        release: ready(first.needs),
        length: ids.reduce((t, id) => t + dur.get(id)!, 0) + overhead,
      }
    })
    if (order === 'longest-first') legs.sort((a, b) => b.length - a.length)
    const slots = Array.from({ length: Math.min(plan.rollout.maxParallel, legs.length) }, () => 0)
    const start = Math.max(...legs.map((l) => l.release))
    let end = start
    for (const leg of legs) {
      let i = 0
      for (let k = 1; k < slots.length; k++) if (slots[k]! < slots[i]!) i = k
      const t0 = Math.max(start + slots[i]!, leg.release)
      let t = t0
      for (const id of leg.ids) {
        t += dur.get(id)!
        finish.set(id, t)
      }
      t += overhead
      finish.set(leg.ids.at(-1)!, t)
      slots[i] = t - start
      end = Math.max(end, t)
    }
    const lengths = legs.map((l) => l.length - overhead)
    const bound = Math.max(
      Math.max(...lengths),
      Math.ceil(lengths.reduce((a, b) => a + b, 0) / plan.rollout.maxParallel),
    )
    waves.push({ wave, legs: legs.length, span: end - start, bound })
  }
  const makespan = Math.max(...finish.values())
  const lowerBound = management + waves.reduce((t, w) => t + w.bound, 0)
  return { makespan, lowerBound, management, waves }
}

interface SeedSpread {
  median: number
  p95: number
  worst: number
  lptWorst: number
  historyMedian: number
  historyWorst: number
}

/** Ratios to the lower bound over `seeds` seeds: matrix order, oracle longest-first, with history. */
function seedSpread(clusters: number, maxParallel: number, seeds: number): SeedSpread {
  const inv = makeInventory(clusters, maxParallel)
  const p = buildPlan(inv)
  const ratios: number[] = []
  const lptRatios: number[] = []
  const historyRatios: number[] = []
  for (let k = 0; k < seeds; k++) {
    const d = draw(p, 1000 + k)
    const r = schedule(p, d, 'matrix')
    ratios.push(r.makespan / r.lowerBound)
    const l = schedule(p, d, 'longest-first')
    lptRatios.push(l.makespan / l.lowerBound)
    const h = schedule(planWithHistory(inv, p, d, 1000 + k), d, 'matrix')
    historyRatios.push(h.makespan / h.lowerBound)
  }
  return {
    median: round(median(ratios), 4),
    p95: round(quantile(ratios, 0.95), 4),
    worst: round(Math.max(...ratios), 4),
    lptWorst: round(Math.max(...lptRatios), 4),
    historyMedian: round(median(historyRatios), 4),
    historyWorst: round(Math.max(...historyRatios), 4),
  }
}

function main(): BenchResult {
  const clusters = Number(flag('clusters') ?? 300)
  const maxParallel = Number(flag('max-parallel') ?? 10)
  const seed = Number(flag('seed') ?? 1)
  const seeds = Number(flag('seeds') ?? 50)

  const t = performance.now()
  const plan = makePlan(clusters, maxParallel)
  const planMs = performance.now() - t
  const dur = draw(plan, seed)
  const s = schedule(plan, dur, 'matrix')
  const lpt = schedule(plan, dur, 'longest-first')
  const withOverhead = schedule(plan, dur, 'matrix', ACTION_OVERHEAD_S)
  const ratio = s.makespan / s.lowerBound

  // The same over many seeds and a few max-parallel values: how often the target holds.
  const spread: Record<string, SeedSpread> = {}
  for (const m of [5, maxParallel, 25]) spread[`maxParallel=${m}`] = seedSpread(clusters, m, seeds)
  const hours = (sec: number) => round(sec / 3600, 2)
  const bound = { label: 'lower bound', value: hours(s.lowerBound), unit: 'h' }
  const spreadHere = spread[`maxParallel=${maxParallel}`]!
  return {
    benchmark: 'makespan',
    title: TITLE,
    available: true,
    node: process.version,
    figures: [
      figure({
        id: 'makespan',
        label: `makespan, ${clusters} clusters, ${plan.waves.length} waves, maxParallel ${maxParallel} (seed ${seed})`,
        value: hours(s.makespan),
        unit: 'h',
        reference: bound,
        ratio: round(ratio, 4),
        note: `management ${hours(s.management)} h; waves ${s.waves.map((w) => `${w.wave}: ${w.legs} legs ${round(w.span / 60)}/${round(w.bound / 60)} min`).join(', ')}`,
      }),
      figure({
        id: 'makespan-ratio',
        label: `makespan / lower bound (seed ${seed})`,
        value: round(ratio, 4),
        unit: '×',
        target: { kind: 'max', limit: 1.05, unit: '×', text: '≤ 1.05×' },
      }),
      figure({
        id: 'makespan-ratio-seeds',
        label: `makespan / lower bound, median of ${seeds} seeds (no history: inventory order)`,
        value: spreadHere.median,
        unit: '×',
        target: { kind: 'max', limit: 1.05, unit: '×', text: '≤ 1.05×' },
        note: `p95 ×${spreadHere.p95}; maxParallel 5: ×${spread['maxParallel=5']!.median}, 25: ×${spread['maxParallel=25']!.median} (median); longest-first worst ×${spreadHere.lptWorst}`,
      }),
      ...[10, 25].map((m) => {
        const sp = spread[`maxParallel=${m}`] ?? seedSpread(clusters, m, seeds)
        return figure({
          id: `makespan-history-${m}`,
          label: `with history (matrix ordered from a previous run), maxParallel ${m}, median of ${seeds} seeds`,
          value: sp.historyMedian,
          unit: '×',
          target: {
            kind: 'max',
            limit: m === 10 ? 1.02 : 1.05,
            unit: '×',
            text: m === 10 ? '≤ 1.02×' : '≤ 1.05×',
          },
          note: `worst ×${sp.historyWorst}; without history median ×${sp.median}, worst ×${sp.worst}`,
        })
      }),
      figure({
        id: 'makespan-lpt',
        label: 'same, legs ordered longest first (if durations were known)',
        value: hours(lpt.makespan),
        unit: 'h',
        reference: bound,
        ratio: round(lpt.makespan / lpt.lowerBound, 4),
      }),
      figure({
        id: 'makespan-action-overhead',
        label: `with the action's own overhead (${ACTION_OVERHEAD_S} s per leg)`,
        value: hours(withOverhead.makespan),
        unit: 'h',
        reference: { label: 'without', value: hours(s.makespan), unit: 'h' },
        ratio: round(withOverhead.makespan / s.makespan, 5),
      }),
    ],
    details: {
      clusters,
      maxParallel,
      seed,
      durationsMinutes: DURATIONS,
      planMs: round(planMs),
      steps: plan.steps.length,
      waves: s.waves.map((w) => ({ ...w, spanMin: round(w.span / 60), boundMin: round(w.bound / 60) })),
      seeds: spread,
    },
  }
}

emit(main())
