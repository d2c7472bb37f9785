// The multi-item Kommander stages (workspaces, workspace-apps, project-apps) as steps of the one
// driver: one step per item (a workspace, a catalog app) with its dkp command; items at target
// are skipped with their evidence, items that cannot be upgraded are refused all at once before
// anything runs.

import type { DkpCommand } from '../core/dkp-commands.js'
import { combine, pend, type StepState } from '../core/step-state.js'
import { type Refusal, refuse, type Step, type UpgradeStage } from './types.js'

/** One unit of a multi-item stage (a workspace, a catalog app), judged. */
export interface Item {
  /** `workspace team-a`, `app team-a/kafka-operator`. */
  label: string
  /** Its done-condition; pending texts name the item. */
  state: StepState
  /** The dkp command that brings it to target. */
  command: DkpCommand
  /** Set when the stage must refuse to act on this item. */
  problem?: string
}

/** An item that cannot be upgraded as the inventory asks: its problem is its only pending entry. */
export function problemItem(label: string, command: DkpCommand, problem: string): Item {
  return {
    label,
    command,
    problem,
    state: { done: false, evidence: [], pending: [pend('refused', `${label}: ${problem}`, label)] },
  }
}

/** The stage's done-condition over all its items. */
export function itemsState(items: readonly Item[]): StepState {
  return combine(items.map((i) => i.state))
}

/**
 * One step per item (`items` judges a state), or a refusal naming every item to act on that
 * cannot be upgraded (nothing is run then).
 */
export function itemSteps<S>(items: (state: S) => Item[], state: S, what: string): Refusal | Step<S>[] {
  const all = items(state)
  const refused = all.filter((i) => !i.state.done && i.problem)
  if (refused.length > 0)
    return refuse(
      'items',
      `refusing to upgrade ${what}: ${refused.length} item(s) cannot be upgraded, nothing was run:\n${refused.map((i) => `- ${i.label}: ${i.problem}`).join('\n')}`,
    )
  return all.map((item) => ({
    label: item.label,
    action: { kind: 'dkp', command: item.command },
    done: (s: S) => items(s).find((i) => i.label === item.label)?.state ?? gone(item.label),
  }))
}

const gone = (label: string): StepState => ({
  done: false,
  evidence: [],
  pending: [pend('not-found', `${label} is no longer in the inventory's reading`, label)],
})

/** The wording of a multi-item stage's outcome. */
export function itemsReport<S>(items: (state: S) => Item[], what: string): UpgradeStage<S>['report'] {
  const labels = (steps: readonly { label: string }[]) => steps.map((s) => s.label).join(', ')
  const skippedNote = (skipped: readonly { label: string }[]) =>
    skipped.length > 0 ? `; skipped (already at target): ${labels(skipped)}` : ''
  return {
    skipped: (state) => {
      const all = items(state)
      return {
        message: all.length === 0 ? `no ${what} in the inventory` : `already at target: ${labels(all)}`,
        info: all.map((i) => `skip ${i.label}: already at target (${i.state.evidence.join('; ')})`),
      }
    },
    start: (state) =>
      items(state)
        .filter((i) => !i.state.done)
        .map((i) => i.state.pending.map((p) => p.text).join('; '))
        .join('\n'),
    done: (run) => ({
      message: run.acted.length
        ? `upgraded ${labels(run.acted)}${skippedNote(run.skipped)}`
        : `already at target: ${labels(run.skipped)}`,
    }),
    dryRun: (run) => ({
      message: run.acted.length
        ? `would upgrade ${labels(run.acted)}${skippedNote(run.skipped)}`
        : `already at target: ${labels(run.skipped)}`,
      evidence: itemsState(items(run.before).filter((i) => i.state.done)).evidence,
    }),
  }
}
