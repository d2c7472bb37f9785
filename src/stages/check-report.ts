// Publishing a check: report.json and check.sarif, the job summary, annotations on repository
// files, the text report in the log. Shared by the check stage and the action's repository-only
// check (src/action/check-job.ts).

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { compatRule } from '../core/compat/rules.js'
import { countBySeverity, type RuleDescriptor, type SeverityCounts } from '../core/findings.js'
import { healthRule } from '../core/health-rules.js'
import type { SourceRef } from '../core/model.js'
import { preflightRule } from '../core/preflight-rules.js'
import { selectAnnotations } from '../core/report/annotations.js'
import { type ReportArtifact, reportFilesNote } from '../core/report/artifact.js'
import { exitCodeFor, type FailOn } from '../core/report/exit-code.js'
import { renderJson } from '../core/report/json.js'
import { type CheckReport, TOOL_INFORMATION_URI } from '../core/report/model.js'
import { PREVIOUS_REPORT_MAX_BYTES, parsePreviousReport } from '../core/report/previous.js'
import { renderSarif } from '../core/report/sarif.js'
import { renderSummary } from '../core/report/summary.js'
import { renderText, summaryLine } from '../core/report/text.js'
import type { Reporter } from '../effects/reporter.js'

/** Rule descriptors for SARIF: health rules, then the compatibility scan's. */
export const ruleOf = (id: string): RuleDescriptor | undefined =>
  healthRule(id) ?? compatRule(id) ?? preflightRule(id)

export interface PublishOptions {
  /** Directory for report.json and check.sarif (RUNNER_TEMP in the action). */
  dir: string
  clusterSources?: Map<string, SourceRef>
  fallback?: SourceRef
  srcRoot: string
  failOn: FailOn
  /** The previous run's JSON report (`previous-report`), for the summary's trend line. */
  previous?: CheckReport
  /** The artifact the report files are uploaded as: the summary names them by it, not by the runner's path. */
  artifact?: ReportArtifact
}

export interface Published {
  counts: SeverityCounts
  report: string
  sarif: string
  exitCode: 0 | 1
  /** The action outputs `findings` (counts), `report` and `sarif` (paths), for the caller to set. */
  outputs: Record<'findings' | 'report' | 'sarif', string>
}

/**
 * The action's side of a check: report.json and check.sarif written, the outputs `findings`
 * (counts), `report` and `sarif` (paths) returned for the caller to set, the job summary (per-cluster table, findings by
 * severity, HTML-escaped, under 1 MiB), annotations on repository files (the worst 9 errors and
 * 9 warnings: the step's own failure takes the tenth error slot; a note says what was cut), and
 * the text report in the log.
 */
export async function publishCheck(
  report: CheckReport,
  reporter: Reporter,
  options: PublishOptions,
): Promise<Published> {
  mkdirSync(options.dir, { recursive: true })
  const dir = mkdtempSync(join(options.dir, 'dkp-fleet-check-'))
  const reportPath = join(dir, 'report.json')
  const sarifPath = join(dir, 'check.sarif')
  writeFileSync(reportPath, renderJson(report))
  writeFileSync(
    sarifPath,
    renderSarif(report, {
      informationUri: TOOL_INFORMATION_URI,
      rules: ruleOf,
      ...(options.clusterSources ? { clusterSources: options.clusterSources } : {}),
      ...(options.fallback ? { fallback: options.fallback } : {}),
      srcRoot: options.srcRoot,
    }),
  )
  const counts = countBySeverity(report.findings)
  await reporter.group(`check findings: ${summaryLine(report, counts)}`, async () => {
    for (const line of renderText(report).trimEnd().split('\n')) reporter.info(line)
  })
  const selection = selectAnnotations(report.findings, 9)
  for (const a of selection.annotations) {
    const where = { file: a.file, line: a.startLine, col: a.startColumn ?? 1 }
    const text = `${a.title}: ${a.message}`
    if (a.level === 'error') reporter.error(text, where)
    else reporter.warning(text, where)
  }
  let summary =
    renderSummary(report, options.previous ? { previous: options.previous } : {}) +
    reportFilesNote(options.artifact)
  if (selection.note) {
    reporter.info(selection.note)
    summary += `\n> [!NOTE]\n> ${selection.note.replace(/\n/g, ' ')}\n`
  }
  reporter.summary(summary)
  reporter.info(
    `JSON report: ${reportPath}; SARIF: ${sarifPath}${options.artifact ? ` (uploaded as the artifact ${options.artifact.name})` : ''}`,
  )
  return {
    counts,
    report: reportPath,
    sarif: sarifPath,
    exitCode: exitCodeFor(report.findings, options.failOn),
    outputs: { findings: JSON.stringify(counts), report: reportPath, sarif: sarifPath },
  }
}

/** Manifest paths from the action input (comma or newline separated) or the CLI. */
export const splitManifests = (spec: string | undefined): string[] =>
  (spec ?? '')
    .split(/[\n,]/)
    .map((p) => p.trim())
    .filter(Boolean)

/**
 * The previous run's JSON report at `path` (relative to `cwd`), read bounded
 * (PREVIOUS_REPORT_MAX_BYTES) and checked field by field; undefined without a path. A missing,
 * oversized or malformed file is a warning (no trend line), never a failure of the check.
 */
export async function loadPreviousReport(
  path: string | undefined,
  cwd: string,
  reporter: Pick<Reporter, 'warning'>,
): Promise<CheckReport | undefined> {
  if (!path) return undefined
  const full = resolve(cwd, path)
  const skip = (why: string) => {
    reporter.warning(`previous-report ${path}: ${why}; the summary has no trend line this run`)
    return undefined
  }
  let text: string
  try {
    const fh = await open(full, 'r')
    try {
      const st = await fh.stat()
      if (!st.isFile()) return skip('not a regular file')
      if (st.size > PREVIOUS_REPORT_MAX_BYTES)
        return skip(`${st.size} bytes, over the ${PREVIOUS_REPORT_MAX_BYTES}-byte limit`)
      const buf = Buffer.alloc(st.size)
      const { bytesRead } = await fh.read(buf, 0, st.size, 0)
      text = buf.subarray(0, bytesRead).toString('utf8')
    } finally {
      await fh.close()
    }
  } catch (err) {
    return skip(`cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
  }
  const parsed = parsePreviousReport(text)
  if ('problem' in parsed) return skip(`not a dkp-fleet JSON report: ${parsed.problem}`)
  return parsed.report
}
