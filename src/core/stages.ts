// Stage names are part of the public contract (design.md): the action's `stage` input,
// `dkp-fleet run <stage>`, and the `stage` field of every plan step. The plan's stages and
// their order come from the stage table (stage-table.ts).

import { type PlanStage, STAGE_TABLE } from './stage-table.js'

export type { PlanStage } from './stage-table.js'

/** The plan's stages, in plan order. */
export const UPGRADE_ORDER: readonly PlanStage[] = STAGE_TABLE.map((r) => r.name)

/** Stages that are no plan step: the plan itself and the fleet controls. */
const CONTROL_STAGES = ['status', 'pause', 'resume'] as const

/**
 * Every stage the action accepts: the plan's stages, the read-only and control stages, and
 * `fetch-dkp` (the verified dkp tarball for the other jobs, in a job that holds no secret).
 */
export const STAGES = ['plan', ...UPGRADE_ORDER, ...CONTROL_STAGES, 'fetch-dkp'] as const

export type StageName = 'plan' | PlanStage | (typeof CONTROL_STAGES)[number] | 'fetch-dkp'

/** Stages that run against one cluster named by the `cluster` input (management or managed). */
export const PER_CLUSTER_STAGES: ReadonlySet<StageName> = new Set(
  STAGE_TABLE.filter((r) => r.scope === 'cluster').map((r) => r.name),
)

export function isStageName(s: string): s is StageName {
  return (STAGES as readonly string[]).includes(s)
}
