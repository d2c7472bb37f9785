// The action's `check` stage without a management kubeconfig: no `kubeconfig` input and no
// kubeconfig in the variable the inventory names (`management.kubeconfigEnv`), as in the
// scheduled check workflow when the secret is omitted, or no inventory at all. Then only the
// repository manifests are scanned (target: the `target-kubernetes` input, else the inventory's
// target), published like the live check (job summary, annotations, outputs `findings`,
// `report`, `sarif`), and the step fails per `fail-on`. With a kubeconfig the check runs
// through the stage executor (src/stages/check.ts), which publishes the same way.

import { tmpdir } from 'node:os'
import { InputError, WorkError } from '../core/errors.js'
import { checkArtifact } from '../core/report/artifact.js'
import { type CheckReport, TOOL_NAME } from '../core/report/model.js'
import { summaryLine } from '../core/report/text.js'
import { toolVersion } from '../core/version.js'
import type { GitHubReporter } from '../effects/github.js'
import { scanManifestPaths } from '../effects/manifest-files.js'
import { ConsoleReporter } from '../effects/reporter.js'
import { loadPreviousReport, publishCheck, splitManifests } from '../stages/check-report.js'
import { loadPlan } from '../stages/connect.js'
import type { ActionInputs } from './inputs.js'

/** Runs the repository-only check when no management kubeconfig is available; false when the live check should run. */
export async function checkWithoutCluster(inputs: ActionInputs, reporter: GitHubReporter): Promise<boolean> {
  const cwd = process.cwd()
  let targetKubernetes = inputs.targetKubernetes
  let fallback = { file: '.', line: 1, col: 1 }
  if (inputs.inventory) {
    if (inputs.kubeconfig) return false
    // Inventory warnings are reported by the stage run; this read only looks for a kubeconfig.
    const { inventory, plan } = await loadPlan(
      { inventory: inputs.inventory, cwd, target: inputs.target, targetKubernetes: inputs.targetKubernetes },
      new ConsoleReporter(() => {}),
    )
    const envName = inventory.management.kubeconfigEnv
    if (envName && process.env[envName]) return false
    targetKubernetes ??= plan.target.kubernetes
    fallback = { ...inventory.management.source }
    reporter.info(
      `no management kubeconfig (input kubeconfig${envName ? ` or $${envName}` : ''}): the live health gates and removed-API scan are skipped; scanning the repository manifests only`,
    )
  }
  const manifests = splitManifests(inputs.manifests)
  if (manifests.length === 0)
    throw new InputError(
      'check: nothing to check: give the management kubeconfig (input kubeconfig) for the live check, and/or manifests for the repository scan',
    )
  if (!targetKubernetes)
    throw new InputError(
      'check: input target-kubernetes is required when no inventory is given (e.g. 1.29.0)',
    )
  const repo = await scanManifestPaths(manifests, { target: targetKubernetes, base: cwd })
  const report: CheckReport = {
    tool: { name: TOOL_NAME, version: toolVersion(process.env) },
    target: { kubernetes: targetKubernetes },
    findings: repo.findings,
    manifests,
    scanned: { files: repo.files, documents: repo.documents, bytes: repo.bytes },
  }
  const previous = await loadPreviousReport(inputs.previousReport, cwd, reporter)
  const published = await publishCheck(report, reporter, {
    dir: process.env.RUNNER_TEMP || tmpdir(),
    srcRoot: cwd,
    failOn: inputs.failOn,
    fallback,
    ...(previous ? { previous } : {}),
    ...artifactOf(process.env),
  })
  for (const [name, value] of Object.entries(published.outputs)) reporter.output(name, value)
  const line = summaryLine(report, published.counts)
  if (published.exitCode === 1) throw new WorkError(`check failed (fail-on ${inputs.failOn}): ${line}`)
  reporter.info(`check passed (fail-on ${inputs.failOn}): ${line}`)
  return true
}

const artifactOf = (env: NodeJS.ProcessEnv) => {
  const artifact = checkArtifact(env)
  return artifact ? { artifact } : {}
}
