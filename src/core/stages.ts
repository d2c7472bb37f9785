// Stage names are part of the public contract (design.md): the action's `stage` input,
// `dkp-fleet run <stage>`, and the `stage` field of every plan step.

export const UPGRADE_ORDER = [
  'check',
  'backup',
  'kommander',
  'workspaces',
  'workspace-apps',
  'project-apps',
  'custom-apps',
  'capi-components',
  'core-addons',
  'kubernetes',
  'verify',
] as const

/**
 * Every stage the action accepts: the plan's stages, the read-only and control stages, and
 * `fetch-dkp` (the verified dkp tarball for the other jobs, in a job that holds no secret).
 */
export const STAGES = ['plan', ...UPGRADE_ORDER, 'status', 'pause', 'resume', 'fetch-dkp'] as const

export type StageName = (typeof STAGES)[number]
export type PlanStage = (typeof UPGRADE_ORDER)[number]

/** Stages that run against one cluster named by the `cluster` input (management or managed). */
export const PER_CLUSTER_STAGES: ReadonlySet<StageName> = new Set(['core-addons', 'kubernetes'])

export function isStageName(s: string): s is StageName {
  return (STAGES as readonly string[]).includes(s)
}
