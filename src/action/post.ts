// The post step: runs after every job that ran a stage, also when it failed or was cancelled.
// Releases a lock the job still holds, records an unfinished stage as `cancelled`, and removes
// the temp kubeconfigs.

import { rmSync } from 'node:fs'
import * as core from '@actions/core'
import { messageOf } from '../core/errors.js'
import { escapeHtml } from '../core/markdown.js'
import { deadlineIn, setProcessDeadline } from '../effects/deadline.js'
import { GitHubReporter } from '../effects/github.js'
import type { JobState } from '../stages/execute.js'
import { parseInputs } from './inputs.js'
import { STATE_KEY } from './stage-job.js'

/** What the post step may spend talking to the management cluster. */
const POST_MINUTES = 1

export async function runPost(): Promise<void> {
  const raw = core.getState(STATE_KEY)
  if (!raw) return
  let state: JobState
  try {
    state = JSON.parse(raw) as JobState
  } catch {
    return
  }
  const reporter = new GitHubReporter()
  // The post step is bounded too: an unreachable management API must not hold the job.
  setProcessDeadline(deadlineIn(POST_MINUTES, `the post step's ${POST_MINUTES * 60} s`))
  try {
    if (state.lock || (state.stepId && !state.finished)) await cleanUpCluster(state, reporter)
  } catch (err) {
    core.warning(`post step: ${messageOf(err)}`)
  } finally {
    for (const dir of state.tempDirs ?? []) rmSync(dir, { recursive: true, force: true })
  }
}

async function cleanUpCluster(state: JobState, reporter: GitHubReporter) {
  const inputs = parseInputs((name) => core.getInput(name))
  const { loadInventory } = await import('../effects/inventory-files.js')
  const { inventory } = await loadInventory(inputs.inventory)
  const { connectManagement, runnerIdentity } = await import('../stages/execute.js')
  const { kube, kubeconfigPath } = await connectManagement(
    inventory,
    { kubeconfig: { content: inputs.kubeconfig }, env: process.env, allowKubeconfigEnv: false },
    reporter,
  )
  try {
    // Still ours when the stage held a lock: else another run took the cluster over since (the
    // lock expired), and `cancelled` must not be recorded over that run's result.
    let ours = true
    if (state.lock) {
      const { releaseLease } = await import('../effects/lease.js')
      ours = await releaseLease(kube, state.lock.namespace, state.lock.cluster, state.lock.holder)
      if (ours)
        core.info(
          `released the lock on ${state.lock.cluster} left by the stage (cancelled, or its release failed)`,
        )
      else if (state.stepId && !state.finished)
        core.warning(
          `the lock on ${state.lock.cluster} is no longer this job's (another run took it over after it expired): not recording ${state.stepId} as cancelled over that run's result`,
        )
    }
    if (state.stepId && !state.finished && ours) {
      const [stage, cluster] = state.stepId.split(':') as [string, string]
      const runner = runnerIdentity(process.env)
      const { RunRecord } = await import('../effects/run-record.js')
      const { buildPlan } = await import('../core/plan.js')
      const plan = buildPlan(inventory, {
        targetDkp: inputs.target,
        targetKubernetes: inputs.targetKubernetes,
        ...(inputs.planHop ? { hop: inputs.planHop } : {}),
      })
      const finished = new Date().toISOString()
      await new RunRecord(kube, inventory.management.namespace, inventory.fleet).append({
        stepId: state.stepId,
        stage,
        cluster,
        status: 'cancelled',
        started: state.started ?? finished,
        finished,
        planDigest: plan.digest,
        runId: runner.runId,
        actor: runner.actor,
        commands: [],
        message: 'the job ended before the stage finished (cancelled or the runner was lost)',
      })
      reporter.summary(
        `## ${escapeHtml(stage)} on ${escapeHtml(cluster)}: 🛑 cancelled\n\nThe job ended before the stage finished. Re-run it: the stage reads live state first and continues where the cluster is.\n`,
      )
      core.setOutput(
        'result',
        JSON.stringify({
          stage,
          cluster,
          status: 'cancelled',
          started: state.started,
          finished,
          commands: [],
        }),
      )
    }
  } finally {
    kube.close()
    // connectManagement wrote this step's own 0600 copy of the kubeconfig: remove it too.
    const { removeTempKubeconfigs } = await import('../effects/kubeconfig.js')
    removeTempKubeconfigs([kubeconfigPath.slice(0, kubeconfigPath.lastIndexOf('/'))])
  }
}
