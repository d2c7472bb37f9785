// The `plan` stage: inventory (+ live versions when a kubeconfig is given) → plan, published
// as outputs for the jobs that follow, a job summary, and a plan file.

import { closeSync, openSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { type CatalogCheck, checkCatalogVersions, inventoryCatalogApps } from '../core/catalog-check.js'
import { InputError, type InputProblem } from '../core/errors.js'
import { hopLine } from '../core/hops.js'
import { planSummary } from '../core/markdown.js'
import type { Inventory } from '../core/model.js'
import { buildPlan, type LiveVersions, type Plan } from '../core/plan.js'
import { planJsonChunks } from '../core/plan-json.js'
import { minorOf } from '../core/versions.js'
import type { Reporter } from '../effects/reporter.js'

/**
 * GitHub allows 1 MB of outputs per job, counted in UTF-16 units. Above this size the `plan`
 * output carries the plan without its step list; the full plan is in the plan file.
 */
export const PLAN_OUTPUT_LIMIT = 200_000

export interface PlanStageOptions {
  targetDkp?: string
  targetKubernetes?: string
  live?: LiveVersions
  /** Directory for plan.json (RUNNER_TEMP in the action). */
  outDir?: string
  /** The pinned dkp-version input: a hop run needs the hop's release. */
  dkpVersion?: string
}

export function publishPlan(inventory: Inventory, reporter: Reporter, opts: PlanStageOptions): Plan {
  const plan = buildPlan(inventory, opts)
  if (plan.hops && opts.dkpVersion && minorOf(opts.dkpVersion) !== minorOf(plan.target.dkp))
    throw new InputError([
      {
        path: 'dkp-version',
        message: `pins ${opts.dkpVersion}, but this run upgrades to ${plan.target.dkp} (${hopLine(plan)}): leave dkp-version empty (each hop installs its own release) or pin a ${minorOf(plan.target.dkp)} release`,
      },
    ])
  // Streamed: the text of a very large plan is never held whole (see plan-json.ts).
  let small: string[] | undefined = []
  let size = 0
  const planFile = opts.outDir
    ? join(opts.outDir, `dkp-fleet-plan-${plan.digest.slice(7, 19)}.json`)
    : undefined
  const fd = planFile ? openSync(planFile, 'w') : undefined
  try {
    for (const chunk of planJsonChunks(plan)) {
      if (fd !== undefined) writeSync(fd, chunk)
      size += chunk.length
      if (small && size <= PLAN_OUTPUT_LIMIT) small.push(chunk)
      else small = undefined
    }
    if (fd !== undefined) writeSync(fd, '\n')
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
  if (planFile) reporter.output('plan-file', planFile)
  reporter.output('plan', small ? small.join('') : compactPlan(plan))
  reporter.output('hop', plan.hops ? plan.target.dkp : '')
  reporter.output('hops-left', String(plan.hops ? plan.hops.length - 1 : 0))
  reporter.output('digest', plan.digest)
  reporter.output('matrix', JSON.stringify(plan.matrix))
  reporter.output('waves', JSON.stringify(plan.waves))
  reporter.output('wave-count', String(plan.waves.length))
  reporter.output('stages', JSON.stringify(plan.stages))
  reporter.output('has-managed', String(plan.matrix.include.length > 0))
  reporter.output('kommander-version', plan.from?.dkp ?? '')
  reporter.output('kubernetes-version', plan.from?.kubernetes ?? '')
  reporter.summary(planSummary(plan))
  const hop = hopLine(plan)
  if (hop) reporter.info(hop)
  reporter.info(
    `plan ${plan.digest}: ${plan.steps.length} steps, ${plan.matrix.include.length} managed cluster(s) in ${plan.waves.length} wave(s), ${plan.attached.length} attached${planFile ? `; full plan in ${planFile}` : ''}`,
  )
  return plan
}

/** The plan without its step list, for outputs of very large fleets. */
function compactPlan(plan: Plan): string {
  const { steps, matrix, waves, ...rest } = plan
  return JSON.stringify({
    ...rest,
    stepCount: steps.length,
    truncated:
      'steps, matrix and waves are in the plan file and in the matrix/waves outputs; the plan exceeds GitHub output limits',
  })
}

export function reportInventoryWarnings(warnings: InputProblem[], reporter: Reporter) {
  for (const w of warnings) reporter.warning(`${w.path ? `${w.path}: ` : ''}${w.message}`, w.source)
}

/**
 * Checks the inventory against the release table (catalog app versions the target's catalog
 * ships). The table is loaded only when the inventory has catalog apps.
 */
export async function releaseChecks(inventory: Inventory, targetDkp: string): Promise<CatalogCheck> {
  if (inventoryCatalogApps(inventory).length === 0) return { warnings: [], notes: [] }
  const { loadReleaseData } = await import('../core/release-data.js')
  return checkCatalogVersions(inventory, targetDkp, await loadReleaseData())
}

export async function reportReleaseChecks(inventory: Inventory, targetDkp: string, reporter: Reporter) {
  const { warnings, notes } = await releaseChecks(inventory, targetDkp)
  reportInventoryWarnings(warnings, reporter)
  for (const n of notes) reporter.info(`note: ${n}`)
}
