// The order `dkp-fleet upgrade` runs a plan in, as the shipped workflow does: the management
// chain one step after another, then per wave the verify gate (`verify --wave N`) and the
// wave's clusters, at most maxParallel at once, each cluster's steps in order; the final verify
// last. Pure: the driver (src/stages/upgrade.ts) runs it through the executor.

import type { Plan, PlanStep } from './plan.js'
import { UPGRADE_ORDER } from './stages.js'
import { didYouMean } from './suggest.js'

/** What one step ended as (the executor's StageResult status). */
export type StepStatus = 'upgraded' | 'skipped' | 'passed' | 'failed' | 'cancelled' | 'deferred' | 'dry-run'

/** Statuses after which the next step may start. */
export const STEP_OK: ReadonlySet<string> = new Set(['upgraded', 'skipped', 'passed', 'dry-run'])

/** One call of the executor: a plan step, or a gate (`verify` with `wave`). */
export interface ScheduledStep {
  /** `<stage>:<cluster>`, or `verify:<mgmt>@wave-N` for a gate. */
  id: string
  stage: PlanStep['stage']
  cluster: string
  wave?: number
  /** The gate before `wave` (verify with its wave input). */
  gate?: boolean
}

export type Phase =
  | { kind: 'chain'; steps: ScheduledStep[] }
  | { kind: 'gate'; step: ScheduledStep }
  | { kind: 'wave'; wave: number; clusters: { cluster: string; steps: ScheduledStep[] }[] }
  | { kind: 'final'; step: ScheduledStep }

export interface ScheduleOptions {
  /** Only these managed clusters (the management chain still runs). */
  clusters?: string[]
  /** Stop after this stage. */
  until?: PlanStep['stage']
  /** Gates read what earlier waves did: a dry run changes nothing, so it runs none. */
  dryRun?: boolean
}

export interface Schedule {
  phases: Phase[]
  /** Why gates or the final verify are left out (shown once). */
  notes: string[]
}

const toStep = (s: PlanStep): ScheduledStep => ({
  id: s.id,
  stage: s.stage,
  cluster: s.cluster,
  ...(s.wave !== undefined ? { wave: s.wave } : {}),
})

/** Problems with --clusters / --until against this plan (names the flag, with a did-you-mean). */
export function scheduleProblems(plan: Plan, options: ScheduleOptions): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = []
  const managed = plan.matrix.include.map((e) => e.cluster)
  for (const name of options.clusters ?? []) {
    if (managed.includes(name)) continue
    const why =
      name === plan.management
        ? 'is the management cluster: its chain always runs first'
        : plan.attached.some((a) => a.cluster === name)
          ? 'is attached: DKP does not upgrade its Kubernetes'
          : `is not a managed cluster of the plan${didYouMean(name, managed)}`
    out.push({ path: '--clusters', message: `"${name}" ${why}` })
  }
  return out
}

/** The phases of a plan, filtered by --clusters and --until. */
export function buildSchedule(plan: Plan, options: ScheduleOptions = {}): Schedule {
  const notes: string[] = []
  const untilIndex = options.until ? UPGRADE_ORDER.indexOf(options.until) : UPGRADE_ORDER.length - 1
  const wanted = (s: PlanStep) => UPGRADE_ORDER.indexOf(s.stage) <= untilIndex
  const selected = (c: string) => !options.clusters || options.clusters.includes(c)
  const mgmtSteps = plan.steps.filter((s) => s.wave === undefined)
  const final = plan.waves.length > 0 ? mgmtSteps.find((s) => s.stage === 'verify') : undefined
  const phases: Phase[] = []
  const chain = mgmtSteps.filter((s) => s !== final && wanted(s)).map(toStep)
  if (chain.length > 0) phases.push({ kind: 'chain', steps: chain })
  // A gate reads whole clusters (every step done): with --until before the last per-cluster
  // stage, or in a dry run, the gate would halt on work this run left out on purpose.
  const perClusterStages = new Set(plan.steps.filter((s) => s.wave !== undefined).map((s) => s.stage))
  const lastPerCluster = Math.max(-1, ...[...perClusterStages].map((s) => UPGRADE_ORDER.indexOf(s)))
  const gates = !options.dryRun && untilIndex >= lastPerCluster
  if (!gates && plan.waves.length > 0)
    notes.push(
      options.dryRun
        ? 'dry run: the verify gates are not run (they read what earlier waves did, and a dry run changes nothing); a failed step still halts later waves per failureThreshold'
        : `--until ${options.until}: the verify gates are not run (they need every step of earlier waves); a failed step still halts later waves per failureThreshold`,
    )
  for (const w of plan.waves) {
    const clusters = w.include
      .map((e) => e.cluster)
      .filter(selected)
      .map((cluster) => ({
        cluster,
        steps: plan.steps.filter((s) => s.cluster === cluster && s.wave === w.wave && wanted(s)).map(toStep),
      }))
      .filter((c) => c.steps.length > 0)
    if (clusters.length === 0) continue
    if (gates)
      phases.push({
        kind: 'gate',
        step: {
          id: `verify:${plan.management}@wave-${w.wave}`,
          stage: 'verify',
          cluster: plan.management,
          wave: w.wave,
          gate: true,
        },
      })
    phases.push({ kind: 'wave', wave: w.wave, clusters })
  }
  if (final && wanted(final) && !options.clusters && !options.dryRun)
    phases.push({ kind: 'final', step: toStep(final) })
  else if (final && wanted(final))
    notes.push(
      `the final verify is left out (${options.dryRun ? 'dry run' : '--clusters: it checks the whole fleet'})`,
    )
  return { phases, notes }
}

/** A wave halts the later ones when more of its clusters failed than failureThreshold allows. */
export function waveHalts(failedClusters: number, failureThreshold: number): boolean {
  return failedClusters > failureThreshold
}

/** Every step the schedule runs, in order (for the final table and the JSON events). */
export function scheduledSteps(schedule: Schedule): ScheduledStep[] {
  return schedule.phases.flatMap((p) =>
    p.kind === 'chain' ? p.steps : p.kind === 'wave' ? p.clusters.flatMap((c) => c.steps) : [p.step],
  )
}
