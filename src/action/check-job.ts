// The action's `check` stage without an inventory (input `manifests` only): the repository
// scan alone, published like the live check (summary, annotations, outputs `findings`, `report`,
// `sarif`), failing the step per `fail-on`. With an inventory the check runs through the stage
// executor (src/stages/check.ts), which publishes the same way.

import { WorkError } from '../core/errors.js'
import { type CheckReport, TOOL_NAME } from '../core/report/model.js'
import { summaryLine } from '../core/report/text.js'
import type { GitHubReporter } from '../effects/github.js'
import { scanManifestPaths } from '../effects/manifest-files.js'
import { publishCheck, splitManifests, toolVersion } from '../stages/check.js'
import type { ActionInputs } from './inputs.js'

export async function manifestsOnlyCheck(inputs: ActionInputs, reporter: GitHubReporter): Promise<void> {
  const manifests = splitManifests(inputs.manifests)
  if (!inputs.targetKubernetes)
    throw new WorkError('check: input target-kubernetes is required when no inventory is given (e.g. 1.29.0)')
  const cwd = process.cwd()
  const repo = await scanManifestPaths(manifests, { target: inputs.targetKubernetes, base: cwd })
  const report: CheckReport = {
    tool: { name: TOOL_NAME, version: toolVersion() },
    target: { kubernetes: inputs.targetKubernetes },
    findings: repo.findings,
    manifests,
    scanned: { files: repo.files, documents: repo.documents, bytes: repo.bytes },
  }
  const published = await publishCheck(report, reporter, {
    dir: process.env.RUNNER_TEMP || (await import('node:os')).tmpdir(),
    srcRoot: cwd,
    failOn: inputs.failOn,
    fallback: { file: manifests[0] ?? '.', line: 1, col: 1 },
  })
  const line = summaryLine(report, published.counts)
  if (published.exitCode === 1) throw new WorkError(`check failed (fail-on ${inputs.failOn}): ${line}`)
  reporter.info(`check passed (fail-on ${inputs.failOn}): ${line}`)
}
