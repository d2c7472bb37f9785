// A stage job in the action: inputs → executor, then the `result` output, version outputs,
// the job summary section, and state for the post step (locks, temp files, cancellation).

import * as core from '@actions/core'
import { InputError, WorkError } from '../core/errors.js'
import type { GitHubReporter } from '../effects/github.js'
import { type JobState, resultSummary, runStage } from '../stages/execute.js'
import type { ActionInputs } from './inputs.js'

export const STATE_KEY = 'dkp-fleet-job'

export async function executeStage(inputs: ActionInputs, reporter: GitHubReporter): Promise<void> {
  // check without a management kubeconfig: the repository scan only (check-job.ts)
  if (inputs.stage === 'check') {
    const { checkWithoutCluster } = await import('./check-job.js')
    if (await checkWithoutCluster(inputs, reporter)) return
  }
  // The runner sends SIGTERM/SIGINT on cancellation: abort the stage so dkp is killed and the
  // lock released; the post step records what was left.
  const cancel = new AbortController()
  const onSignal = () => cancel.abort(new WorkError('the job was cancelled'))
  process.once('SIGTERM', onSignal)
  process.once('SIGINT', onSignal)
  try {
    const result = await runStage(
      {
        stage: inputs.stage,
        inventory: inputs.inventory,
        cluster: inputs.cluster,
        wave: inputs.wave,
        planDigest: inputs.planDigest,
        kubeconfig: { content: inputs.kubeconfig },
        allowKubeconfigEnv: false,
        target: inputs.target,
        targetKubernetes: inputs.targetKubernetes,
        ...(inputs.planHop ? { hop: inputs.planHop } : {}),
        dkp: {
          version: inputs.dkpVersion,
          sha256: inputs.dkpSha256,
          downloadUrl: inputs.dkpDownloadUrl,
          path: inputs.dkpPath,
          requireChecksum: inputs.requireChecksum,
          cacheDir: inputs.dkpCacheDir,
        },
        dryRun: inputs.dryRun,
        timeoutMs: inputs.timeoutMinutes * 60_000,
        manifests: inputs.manifests,
        failOn: inputs.failOn,
        previousReport: inputs.previousReport,
        reason: inputs.reason,
        env: process.env,
        cwd: process.cwd(),
        signal: cancel.signal,
        onState: (state: JobState) => core.saveState(STATE_KEY, JSON.stringify(state)),
        onDkp: (dir: string) => core.addPath(dir),
      },
      reporter,
    )
    reporter.output('result', JSON.stringify(result))
    reporter.output('status', result.status)
    // The stage's own outputs (the stage table's version outputs, a gate's findings and
    // reports) were published by the executor with the result.
    reporter.summary(resultSummary(result))
    reporter.resultReported = true
    const line = `${result.stepId}: ${result.status}${result.message ? ` — ${result.message.split('\n')[0]}` : ''}`
    // A refusal of bad input (a path that skips a minor or goes backwards) is reported as such.
    if (result.badInput) throw new InputError(result.message ?? line)
    if (result.status === 'failed' || result.status === 'cancelled')
      throw new WorkError(result.message ?? line)
    if (result.status === 'deferred') reporter.warning(line)
    else reporter.info(line)
  } finally {
    process.removeListener('SIGTERM', onSignal)
    process.removeListener('SIGINT', onSignal)
  }
}
