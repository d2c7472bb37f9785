// The action: parse inputs once, run one stage, publish outputs and the summary. Importing
// this module has no side effects (src/index.ts calls run()).

import * as core from '@actions/core'
import { dkpCacheKeyFor } from '../core/download.js'
import { formatProblem, InputError, messageOf } from '../core/errors.js'
import { escapeHtml, escapeHtmlBlock } from '../core/markdown.js'
import { assertPlanDigest, type LiveVersions } from '../core/plan.js'
import { deadlineIn, setProcessDeadline } from '../effects/deadline.js'
import { GitHubReporter } from '../effects/github.js'
import { loadInventory } from '../effects/inventory-files.js'
import { publishPlan, reportInventoryWarnings, reportReleaseChecks } from '../stages/plan.js'
import { type ActionInputs, parseInputs } from './inputs.js'

export async function run(): Promise<void> {
  const reporter = new GitHubReporter()
  const stageOf = () => core.getInput('stage') || 'plan'
  try {
    const inputs = parseInputs((name) => core.getInput(name))
    // Every stage has a deadline: no API call outlives timeout-minutes (stage jobs also bound
    // their cleanup after it, see execute.ts).
    setProcessDeadline(deadlineIn(inputs.timeoutMinutes, `timeout-minutes ${inputs.timeoutMinutes}`))
    if (inputs.kubeconfig) {
      const { maskKubeconfig } = await import('../effects/kubeconfig.js')
      maskKubeconfig(inputs.kubeconfig, reporter)
    }
    await runStage(inputs, reporter)
  } catch (err) {
    if (err instanceof InputError) {
      for (const p of err.problems)
        reporter.error(p.source ? `${p.path ? `${p.path}: ` : ''}${p.message}` : formatProblem(p), p.source)
      core.setFailed(`invalid input: ${err.problems.length} problem(s), listed above`)
    } else {
      // The summary says what failed (e.g. which API call got no answer before the deadline);
      // stage jobs write their result table themselves.
      if (!reporter.resultReported) reporter.summary(failureSummary(stageOf(), messageOf(err)))
      core.setFailed(messageOf(err))
    }
  } finally {
    reporter.flushNotes()
  }
}

async function runStage(inputs: ActionInputs, reporter: GitHubReporter): Promise<void> {
  if (inputs.stage === 'plan') {
    const { inventory, warnings } = await loadInventory(inputs.inventory)
    reportInventoryWarnings(warnings, reporter)
    let live: LiveVersions | undefined
    // Live versions when the management cluster is reachable: the input, else the inventory's env var.
    const envName = inventory.management.kubeconfigEnv
    const kubeconfig = inputs.kubeconfig ?? (envName ? process.env[envName] || undefined : undefined)
    if (kubeconfig) {
      const { readLiveVersionsFromContent } = await import('../stages/live-versions.js')
      live = await readLiveVersionsFromContent(
        kubeconfig,
        inventory,
        {
          targetDkp: inputs.target,
          targetKubernetes: inputs.targetKubernetes,
        },
        reporter,
        inputs.kubeconfig ? 'the kubeconfig input' : `$${envName}`,
      )
    }
    const plan = publishPlan(inventory, reporter, {
      targetDkp: inputs.target,
      targetKubernetes: inputs.targetKubernetes,
      live,
      outDir: process.env.RUNNER_TEMP,
      ...(inputs.dkpVersion ? { dkpVersion: inputs.dkpVersion } : {}),
    })
    await reportReleaseChecks(inventory, plan.target.dkp, reporter)
    // The key under which the workflow's dkp job keeps the verified tarball (actions/cache): the
    // version the stage jobs install, this runner's platform, the sha256 it is verified against.
    reporter.output(
      'dkp-cache-key',
      dkpCacheKeyFor({
        version: inputs.dkpVersion ?? plan.target.dkp,
        sha256: inputs.dkpSha256,
        dkpPath: inputs.dkpPath,
        platform: { platform: process.platform, arch: process.arch },
      }),
    )
    assertPlanDigest(plan, inputs.planDigest)
    return
  }
  if (inputs.stage === 'fetch-dkp') return (await import('./fetch-dkp.js')).fetchDkp(inputs, reporter)
  if (inputs.stage === 'status' || inputs.stage === 'pause' || inputs.stage === 'resume') {
    return (await import('./control.js')).runControl({ ...inputs, stage: inputs.stage }, reporter)
  }
  const { executeStage } = await import('./stage-job.js')
  await executeStage(inputs, reporter)
}

/** The step summary of a stage that failed before it had a result (plan, status, a connection, a deadline). */
function failureSummary(stage: string, message: string): string {
  const [first, ...rest] = message.split('\n')
  return `## ${escapeHtml(stage)}: ❌ failed\n\n**Failed:** ${escapeHtml(first ?? '')}\n${
    rest.length > 0 ? `\n<pre>${escapeHtmlBlock(rest.join('\n'))}</pre>\n` : ''
  }`
}
