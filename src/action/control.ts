// The action's control stages: `status` (job summary table, `status` JSON output and
// `status-file`), `pause` (input `reason`) and `resume`. They read or set the fleet's state on
// the management cluster and never run dkp.

import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { GitHubReporter } from '../effects/github.js'
import type { ActionInputs } from './inputs.js'

/** Above this the `status` output keeps only the counts (GitHub caps a job's outputs at 1 MB). */
const STATUS_OUTPUT_LIMIT = 512 * 1024

export async function runControl(
  inputs: ActionInputs & { stage: 'status' | 'pause' | 'resume' },
  reporter: GitHubReporter,
): Promise<void> {
  const {
    connectFleet,
    fleetStatusMarkdown,
    pausedBy,
    pauseFleet,
    readFleetStatus,
    renderFleetStatus,
    resumeFleet,
  } = await import('../stages/fleet-status.js')
  const { escapeHtml } = await import('../core/markdown.js')
  const fleet = await connectFleet(
    {
      inventory: inputs.inventory,
      kubeconfig: { content: inputs.kubeconfig },
      allowKubeconfigEnv: false,
      target: inputs.target,
      targetKubernetes: inputs.targetKubernetes,
      ...(inputs.planHop ? { hop: inputs.planHop } : {}),
      env: process.env,
      cwd: process.cwd(),
    },
    reporter,
  )
  try {
    if (inputs.stage === 'status') {
      const status = await readFleetStatus(fleet.env)
      reporter.info(renderFleetStatus(status))
      const full = JSON.stringify(status)
      const file = join(process.env.RUNNER_TEMP || process.cwd(), 'dkp-fleet-status.json')
      writeFileSync(file, full)
      reporter.output('status-file', file)
      reporter.output(
        'status',
        full.length <= STATUS_OUTPUT_LIMIT
          ? full
          : JSON.stringify({ ...status, clusters: [], steps: [], locks: [], truncated: true }),
      )
      reporter.summary(fleetStatusMarkdown(status))
      if (status.paused)
        reporter.warning(
          `the fleet upgrade is paused by ${status.paused.by} since ${status.paused.at}: ${status.paused.reason}`,
        )
      return
    }
    const by = pausedBy(process.env)
    const result =
      inputs.stage === 'pause'
        ? await pauseFleet(fleet.env, { reason: inputs.reason, by, dryRun: inputs.dryRun })
        : await resumeFleet(fleet.env, { by, dryRun: inputs.dryRun })
    for (const line of result.message.split('\n')) reporter.info(line)
    const paused =
      inputs.stage === 'pause'
        ? !inputs.dryRun || result.previous !== null
        : inputs.dryRun && result.previous !== null
    reporter.output('paused', String(paused))
    reporter.summary(
      `## ${title(inputs.stage, inputs.dryRun, result.previous !== null)}: fleet ${escapeHtml(fleet.env.inventory.fleet)}\n\n${result.message
        .split('\n')
        .map((l) => `- ${escapeHtml(l)}`)
        .join('\n')}\n`,
    )
  } finally {
    fleet.close()
  }
}

function title(stage: 'pause' | 'resume', dryRun: boolean, wasPaused: boolean): string {
  if (dryRun) return `${stage} (dry run)`
  if (stage === 'pause') return wasPaused ? '⏸️ Pause updated' : '⏸️ Paused'
  return wasPaused ? '▶️ Resumed' : 'Not paused'
}
