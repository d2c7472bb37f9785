// The per-item flow of the multi-item Kommander stages (workspaces, workspace-apps, project-apps):
// read every item → skip the done ones with their evidence → refuse bad items all at once → act →
// wait for all → report.

import type { DkpCommand } from '../core/dkp-commands.js'
import { WorkError } from '../core/errors.js'
import { combine, type StepState } from '../core/step-state.js'
import { act, noteFrom, waitFor } from './flow.js'
import type { StageContext, StageOutcome } from './types.js'

/** One unit of a multi-item stage (a workspace, a catalog app). */
export interface ItemState {
  /** `workspace team-a`, `app team-a/kafka-operator`. */
  label: string
  state: StepState
  /** The dkp command that brings it to target. */
  command: DkpCommand
  /** Set when the stage must refuse to act on this item. */
  problem?: string
}

/** The stage's done-condition over all its items. */
export function itemsState(items: readonly ItemState[]): StepState {
  return combine(
    items.map((i) => ({
      ...i.state,
      pending: i.state.pending.map((p) => (p.startsWith(i.label) ? p : `${i.label}: ${p}`)),
    })),
  )
}

/**
 * Read → skip the items at target (logged with evidence) → refuse when any item to act on has
 * a problem (all listed, nothing run) → run one command per remaining item → wait until every
 * item is done → report. Dry run: lists the commands and the skipped items, changes nothing.
 */
export async function upgradeItems(
  ctx: StageContext,
  spec: { what: string; read: () => Promise<ItemState[]>; refresh: () => void },
): Promise<StageOutcome> {
  const items = await spec.read()
  const todo = items.filter((i) => !i.state.done)
  const done = items.filter((i) => i.state.done)
  for (const i of done)
    ctx.reporter.info(`skip ${i.label}: already at target (${i.state.evidence.join('; ')})`)
  const to = ctx.target.dkp
  if (todo.length === 0) {
    const state = itemsState(items)
    return {
      status: 'skipped',
      to,
      commands: [],
      message:
        items.length === 0
          ? `no ${spec.what} in the inventory`
          : `already at target: ${items.map((i) => i.label).join(', ')}`,
      evidence: state.evidence,
    }
  }
  const refused = todo.filter((i) => i.problem)
  if (refused.length > 0) {
    throw new WorkError(
      `refusing to upgrade ${spec.what}: ${refused.length} item(s) cannot be upgraded, nothing was run:\n${refused.map((i) => `- ${i.label}: ${i.problem}`).join('\n')}`,
    )
  }
  for (const i of todo) ctx.reporter.info(itemsState([i]).pending.join('; '))
  noteFrom(ctx, itemsState(todo).from)
  const commands = todo.map((i) => i.command)
  const outcome: StageOutcome = { status: ctx.dryRun ? 'dry-run' : 'upgraded', to, commands, evidence: [] }
  const fresh = async () => {
    ctx.snapshot.refresh()
    spec.refresh()
    return itemsState(await spec.read())
  }
  await act(ctx, commands, async () => (await fresh()).failed)
  const skippedNote =
    done.length > 0 ? `; skipped (already at target): ${done.map((i) => i.label).join(', ')}` : ''
  if (ctx.dryRun) {
    outcome.message = `would upgrade ${todo.map((i) => i.label).join(', ')}${skippedNote}`
    outcome.evidence = itemsState(done).evidence
    return outcome
  }
  const after = await waitFor(ctx, spec.what, fresh)
  outcome.message = `upgraded ${todo.map((i) => i.label).join(', ')}${skippedNote}`
  outcome.evidence = after.evidence
  return outcome
}
