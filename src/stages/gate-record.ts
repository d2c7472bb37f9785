// A gate's done-condition: live state cannot tell that a check passed, so the run record does
// (the executor records gates like any stage). verify, status and capi-components read it rather
// than running the gate again.

import { pend, type StepState } from '../core/step-state.js'
import type { RecordEntry } from '../effects/run-record.js'
import type { StageEnv } from './types.js'

/** Statuses of a gate that held: `passed`; `skipped` and `upgraded` in records written before gates said `passed`. */
const PASSING: ReadonlySet<string> = new Set(['passed', 'skipped', 'upgraded'])

/** The newest recorded result of a gate step that matches (`what` names what it is for, `hint` what to run). */
export async function gateState(
  env: StageEnv,
  stepId: string,
  matches: (e: RecordEntry) => boolean,
  what: string,
  hint: string,
): Promise<StepState> {
  const entries = await env.record.entries()
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!
    if (e.stepId !== stepId || !matches(e)) continue
    const said = e.message ? `: ${e.message.split('\n')[0]}` : ''
    if (PASSING.has(e.status))
      return {
        done: true,
        evidence: [`${stepId} passed at ${e.finished} (${e.runId}, ${e.actor})${said}`],
        pending: [],
      }
    return {
      done: false,
      evidence: [],
      pending: [
        pend(
          'gate-failed',
          `the last ${stepId} for ${what} ended ${e.status} at ${e.finished}${said}`,
          stepId,
        ),
      ],
    }
  }
  return {
    done: false,
    evidence: [],
    pending: [pend('no-record', `no ${stepId} result recorded for ${what}: ${hint}`, stepId)],
  }
}
