// Every plan step's done-condition, read through its stage module with bounded concurrency.
// Shared by plan (live marks), verify, and status: the reads go through one Snapshot, so each
// kind is listed once however many steps ask about it.

import type { PlanStep } from '../core/plan.js'
import type { PlanStage } from '../core/stages.js'
import { loadStage } from './registry.js'
import type { StageEnv, StageModule, StepState } from './types.js'
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
      return await (await moduleFor(step.stage)).status(env, step.cluster)
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err))
    }
  })
}
