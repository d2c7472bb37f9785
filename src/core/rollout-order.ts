// Longest-expected-first order for each wave's matrix. GitHub starts a matrix's legs in matrix
// order as slots free up (list scheduling); starting the longest legs first keeps the wave's
// tail short (LPT: within 4/3 of optimal, far closer in practice; bench/makespan.ts).
// Pure: the expectations come from the run record and live reads at the edges.

import type { PlanWave } from './plan.js'

/** What a run record entry must carry for durations (a subset of RecordEntry). */
export interface TimedEntry {
  cluster: string
  stage: string
  status: string
  started: string
  finished: string
}

/**
 * Expected seconds per managed cluster: for each of `stages`, the duration of the cluster's
 * newest `upgraded` entry (a skipped or failed run says nothing about an upgrade's length),
 * summed. Clusters with no such entry are absent.
 */
export function expectedSeconds(
  entries: readonly TimedEntry[],
  stages: readonly string[],
): Record<string, number> {
  const wanted = new Set(stages)
  const last = new Map<string, number>()
  for (const e of entries) {
    if (e.status !== 'upgraded' || !wanted.has(e.stage)) continue
    const seconds = (Date.parse(e.finished) - Date.parse(e.started)) / 1000
    if (Number.isFinite(seconds) && seconds >= 0) last.set(`${e.cluster}\n${e.stage}`, seconds)
  }
  const out: Record<string, number> = {}
  for (const [key, seconds] of last) {
    const cluster = key.slice(0, key.indexOf('\n'))
    out[cluster] = (out[cluster] ?? 0) + seconds
  }
  return out
}

export interface Expectations {
  /** Expected seconds per cluster (run record history). */
  seconds?: Record<string, number | undefined>
  /** Node count per cluster (live Machines). */
  nodes?: Record<string, number | undefined>
}

/**
 * Each wave's clusters, longest expected first. A cluster with history is ranked by its
 * seconds; clusters without history come first (one of them may be the longest: starting it
 * early bounds the tail), among themselves by node count, most first; ties keep inventory order.
 * Only the order changes: the same clusters in the same waves.
 */
export function orderWaves(waves: readonly PlanWave[], expect: Expectations): PlanWave[] {
  const seconds = expect.seconds ?? {}
  const nodes = expect.nodes ?? {}
  const key = (cluster: string): [number, number] => {
    const s = seconds[cluster]
    if (s !== undefined) return [1, -s]
    return [0, -(nodes[cluster] ?? 0)]
  }
  return waves.map((w) => {
    const ranked = w.include.map((e, i) => ({ e, i, k: key(e.cluster) }))
    ranked.sort((a, b) => a.k[0] - b.k[0] || a.k[1] - b.k[1] || a.i - b.i)
    return { wave: w.wave, include: ranked.map((r) => r.e) }
  })
}
