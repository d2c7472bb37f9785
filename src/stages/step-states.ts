// Every plan step's done-condition, read through its stage module with bounded concurrency.
// Shared by plan (live marks), verify, and status: the reads go through one Snapshot, so each
// kind is listed once however many steps ask about it.

import type { Plan, PlanStep } from '../core/plan.js'
import { prerequisitesOf } from '../core/stage-table.js'
import type { PlanStage } from '../core/stages.js'
import { pendingTexts } from '../core/step-state.js'
import { loadStage } from './registry.js'
import type { StageEnv, StageModule, StageOutcome, StepState } from './types.js'
import { mapLimit } from './workload-kube.js'

export const STATUS_CONCURRENCY = 16

/** Each step's state, in step order; an Error where the module could not load or read. */
export async function readStepStates(
  env: StageEnv,
  steps: readonly PlanStep[],
  concurrency = STATUS_CONCURRENCY,
): Promise<(StepState | Error)[]> {
  const modules = new Map<PlanStage, Promise<StageModule>>()
  const moduleFor = (stage: PlanStage) => {
    let m = modules.get(stage)
    if (!m) {
      m = loadStage(stage)
      modules.set(stage, m)
    }
    return m
  }
  return mapLimit(steps, concurrency, async (step) => {
    try {
      // A covered step (NKP nutanix: `nkp upgrade cluster nutanix` does it) is done when the
      // step covering it is.
      const covering = coveringStep(env, step)
      if (covering) {
        const state = await (await moduleFor(covering.stage)).status(env, covering.cluster)
        return { ...state, evidence: state.evidence.map((e) => `covered by ${covering.id}: ${e}`) }
      }
      return await (await moduleFor(step.stage)).status(env, step.cluster)
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err))
    }
  })
}

/** The plan step whose command does this step's work, when the plan says one does. */
export function coveringStep(env: Pick<StageEnv, 'plan'>, step: PlanStep): PlanStep | undefined {
  return step.coveredBy ? env.plan.steps.find((s) => s.id === step.coveredBy) : undefined
}

/** The prerequisites (stage table) of a step that are in the plan and not done, each with why. */
export async function unmetPrerequisites(
  stage: PlanStage,
  env: StageEnv,
  cluster: string,
): Promise<string[]> {
  const unmet: string[] = []
  for (const req of prerequisitesOf(stage, cluster, env.inventory.management.name)) {
    const step = env.plan.steps.find((s) => s.id === `${req.stage}:${req.cluster}`)
    if (!step) continue
    // A step covered by this very step (nkp upgrade cluster nutanix) is its work, not a prerequisite.
    if (step.coveredBy === `${stage}:${cluster}`) continue
    const [state] = await readStepStates(env, [step], 1)
    if (state instanceof Error) throw state
    if (!state!.done)
      unmet.push(
        `${req.stage} is not done on ${req.cluster} (${pendingTexts(state!).join(', ') || 'not at target'})`,
      )
  }
  return unmet
}

/**
 * A step that runs nothing: not in the plan (no such work), or covered by another step's
 * command (NKP nutanix: `nkp upgrade cluster nutanix`).
 */
export function withoutRunning(
  loaded: { plan: Plan },
  stage: string,
  stepId: string,
): StageOutcome | undefined {
  const planned = loaded.plan.steps.find((s) => s.id === stepId)
  if (planned?.coveredBy)
    return {
      status: 'skipped',
      commands: [],
      message: `covered by ${planned.coveredBy}: ${planned.note ?? 'its command does this step'}`,
    }
  if (planned) return undefined
  const message =
    stage === 'backup' && loaded.plan.backupDisabled
      ? `backups are turned off for this fleet: ${loaded.plan.backupDisabled}`
      : `nothing to do: the plan has no ${stepId} step (no ${stage} work in this inventory)`
  return { status: 'skipped', commands: [], message }
}
