// A step's done-condition as the stages read it from live state, and the helpers that combine
// and word such states. Pure.

import type { TerminalState } from './terminal.js'

/**
 * Why something is not done yet, as a code the engine decides on (never the text):
 * - `not-installed`: what the stage upgrades is not there (Kommander, Velero): nothing to upgrade;
 * - `not-found`: an object the step needs does not exist (a CAPI Cluster, ClusterResourceSets);
 * - `mismatch`: the inventory contradicts the cluster (a provider, a namespace): bad input;
 * - `refused`: the inventory asks for what cannot be done (a downgrade, a platform app listed as a
 *   catalog app, a node pool the cluster lacks);
 * - `not-at-target`: the desired state is not the target yet (a dkp command changes that);
 * - `config-differs`: the core addons' ConfigMaps differ from what the pinned dkp writes;
 * - `converging`: the desired state is the target, the controllers are still moving;
 * - `no-record`: the run record has no entry that says the step reached the target;
 * - `gate-failed`: the last run of a gate failed;
 * - `prerequisite`: another step must be done first;
 * - `unreadable`: what decides could not be read (a failing probe, an unreadable step).
 */
export type PendingCode =
  | 'not-installed'
  | 'not-found'
  | 'mismatch'
  | 'refused'
  | 'not-at-target'
  | 'config-differs'
  | 'converging'
  | 'no-record'
  | 'gate-failed'
  | 'prerequisite'
  | 'unreadable'

/** One thing not done yet: its code, the object it is about (when one), and the text for people. */
export interface Pending {
  code: PendingCode
  object?: string
  text: string
}

/** A pending entry. */
export function pend(code: PendingCode, text: string, object?: string): Pending {
  return object === undefined ? { code, text } : { code, object, text }
}

/** The texts of pending entries (for logs, messages and tables). */
export function pendingTexts(state: { pending: readonly Pending[] }): string[] {
  return state.pending.map((p) => p.text)
}

/** A step's done-condition, read from live state (and the run record where live state cannot tell). */
export interface StepState {
  done: boolean
  /** The version found (DKP for platform stages, Kubernetes for `kubernetes`). */
  from?: string
  /** What was checked, for reports ("HelmRelease kommander/kommander at v2.8.1, Ready"). */
  evidence: string[]
  /** What is not yet at target, when not done. */
  pending: Pending[]
  /** An object in a terminal state: waiting is pointless (the wait fails at once). */
  failed?: TerminalState
}

/**
 * One step's part of a stage's state (a control plane, a node pool, a workspace, an app): a
 * StepState plus how far it got, kept apart from the text (`1/3 updated, 1 ready`) for progress lines.
 */
export interface PartState extends StepState {
  progress?: string
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
