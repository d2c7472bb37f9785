// A step's done-condition as the stages read it from live state, and the helpers that combine
// and word such states. Pure.

import type { TerminalState } from './terminal.js'

/** A step's done-condition, read from live state (and the run record where live state cannot tell). */
export interface StepState {
  done: boolean
  /** The version found (DKP for platform stages, Kubernetes for `kubernetes`). */
  from?: string
  /** What was checked, for reports ("HelmRelease kommander/kommander at v2.8.1, Ready"). */
  evidence: string[]
  /** What is not yet at target, when not done. */
  pending: string[]
  /** An object in a terminal state: waiting is pointless (the wait fails at once). */
  failed?: TerminalState
}

/** At most this many pending items are spelled out in one line; the rest are counted. */
const MAX_LISTED = 6

/** Lists a few items and counts the rest. */
export function listSome(items: readonly string[], max = MAX_LISTED): string {
  return items.length <= max
    ? items.join(', ')
    : `${items.slice(0, max).join(', ')} and ${items.length - max} more`
}

/** One StepState from several (done when all are). */
export function combine(states: readonly StepState[]): StepState {
  const out: StepState = {
    done: states.every((s) => s.done),
    evidence: states.flatMap((s) => s.evidence),
    pending: states.flatMap((s) => s.pending),
  }
  const from = states.find((s) => s.from)?.from
  if (from) out.from = from
  const failed = states.find((s) => s.failed)?.failed
  if (failed) out.failed = failed
  return out
}

/** Problems found on several clusters, each listed once with the clusters it holds on. */
export function groupByProblem(found: readonly { cluster: string; problem: string }[]): string[] {
  const groups = new Map<string, string[]>()
  for (const { cluster, problem } of found) {
    const list = groups.get(problem)
    if (list) list.push(cluster)
    else groups.set(problem, [cluster])
  }
  return [...groups].map(([problem, clusters]) => `${problem} on ${listSome(clusters, 3)}`)
}
