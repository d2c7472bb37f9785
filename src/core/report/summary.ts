// The GitHub job summary (Markdown with HTML tables): a per-cluster table and the findings
// grouped by severity. All text from users' files and clusters is HTML-escaped. The output stays
// under `maxBytes` (GitHub allows 1 MiB per step summary): findings that do not fit are counted
// in a closing note that points at the JSON report.

import {
  countBySeverity,
  describeLocation,
  describeObject,
  type Finding,
  SEVERITIES,
  type Severity,
  type SeverityCounts,
  sortFindings,
} from '../findings.js'
import { escapeHtml } from './escape.js'
import { anchorOf, checkOf, renderFleetTable, trendLine } from './fleet-table.js'
import type { CheckReport } from './model.js'

/** GitHub's limit for one step's summary. */
export const STEP_SUMMARY_LIMIT = 1024 * 1024

export interface SummaryOptions {
  /** Default: 1 MiB less 16 KiB for whatever else the step writes. */
  maxBytes?: number
  /** Heading text; default `dkp-fleet check`. */
  title?: string
  /** The previous run's report (JSON), for the trend line. */
  previous?: CheckReport
}

const TITLES: Record<Severity, string> = { error: 'Errors', warning: 'Warnings', info: 'Info' }
const bytes = (s: string): number => Buffer.byteLength(s, 'utf8')

export function renderSummary(report: CheckReport, options: SummaryOptions = {}): string {
  const maxBytes = options.maxBytes ?? STEP_SUMMARY_LIMIT - 16 * 1024
  const findings = sortFindings(report.findings)
  const counts = countBySeverity(findings)
  const head: string[] = []
  const target = report.target.kubernetes ? `: target Kubernetes ${escapeHtml(report.target.kubernetes)}` : ''
  head.push(`## ${escapeHtml(options.title ?? 'dkp-fleet check')}${target}`, '')
  head.push(
    counts.total === 0
      ? 'No findings.'
      : `**${counts.error} error${counts.error === 1 ? '' : 's'}, ${counts.warning} warning${counts.warning === 1 ? '' : 's'}, ${counts.info} info**`,
    '',
  )
  const trend = trendLine(options.previous, report)
  if (trend) head.push(escapeHtml(trend), '')
  const fleet = renderFleetTable(report)
  if (fleet) head.push(fleet, '')
  const table = clusterTable(report, findings)
  if (table) head.push(table, '')

  // Reserve room for the closers and the truncation note, then add rows while they fit.
  const reserve = 1024
  let out = head.join('\n')
  let used = bytes(out)
  let omitted = 0
  const anchored = new Set<string>()
  for (const severity of SEVERITIES) {
    const group = findings.filter((f) => f.severity === severity)
    if (group.length === 0) continue
    const open = `<details${severity === 'error' ? ' open' : ''}><summary><strong>${TITLES[severity]} (${group.length})</strong></summary>\n\n<table>\n<tr><th>Where</th><th>Object</th><th>Finding</th><th>Fix</th></tr>\n`
    const close = '</table>\n\n</details>\n\n'
    if (used + bytes(open) + bytes(close) + reserve > maxBytes) {
      omitted += group.length
      continue
    }
    let section = open
    let sectionBytes = bytes(open)
    let shown = 0
    for (const f of group) {
      // the fleet table links to each cluster's first finding of each check
      const anchor = fleet && f.cluster !== undefined ? anchorOf(f.cluster, checkOf(f.ruleId)) : ''
      const row = rowOf(f, anchored.has(anchor) ? undefined : anchor || undefined)
      const b = bytes(row)
      if (used + sectionBytes + b + bytes(close) + reserve > maxBytes) break
      section += row
      sectionBytes += b
      shown++
      anchored.add(anchor)
    }
    omitted += group.length - shown
    if (shown === 0) continue
    out += section + close
    used += sectionBytes + bytes(close)
  }
  if (omitted > 0) {
    out += `> [!NOTE]\n> ${omitted} more finding${omitted === 1 ? ' is' : 's are'} not shown: a job summary is limited to ${Math.floor(maxBytes / 1024)} KiB here. The JSON report (\`--format json\`) lists every finding.\n`
  }
  return out
}

function rowOf(f: Finding, anchor?: string): string {
  const id = anchor ? `<a id="${anchor}"></a>` : ''
  const where = f.location
    ? `<code>${escapeHtml(describeLocation(f.location))}</code>`
    : f.cluster !== undefined
      ? `cluster <code>${escapeHtml(f.cluster)}</code>`
      : ''
  const object = f.object ? escapeHtml(describeObject(f.object)) : ''
  const rule = `<br><sub>${escapeHtml(f.ruleId)}</sub>`
  return `<tr><td>${id}${where}</td><td>${object}</td><td>${escapeHtml(f.message)}${rule}</td><td>${escapeHtml(f.remedy)}</td></tr>\n`
}

function clusterTable(report: CheckReport, findings: Finding[]): string | undefined {
  const rows: string[] = []
  const cells = (c: SeverityCounts) => `<td>${c.error}</td><td>${c.warning}</td><td>${c.info}</td>`
  if (report.manifests || report.scanned?.files !== undefined) {
    const repo = countBySeverity(findings.filter((f) => f.cluster === undefined))
    const what = report.manifests?.length
      ? report.manifests.map((m) => `<code>${escapeHtml(m)}</code>`).join(', ')
      : ''
    rows.push(`<tr><td>repository ${what}</td><td>files</td><td></td><td>scanned</td>${cells(repo)}</tr>`)
  }
  for (const c of report.clusters ?? []) {
    const counts = countBySeverity(findings.filter((f) => f.cluster === c.name))
    const status = c.note ? `${escapeHtml(c.status)}: ${escapeHtml(c.note)}` : escapeHtml(c.status)
    rows.push(
      `<tr><td><code>${escapeHtml(c.name)}</code></td><td>${escapeHtml(c.role)}</td><td>${escapeHtml(c.kubernetes ?? '')}</td><td>${status}</td>${cells(counts)}</tr>`,
    )
  }
  if (rows.length === 0) return undefined
  return [
    '<table>',
    '<tr><th>Cluster</th><th>Role</th><th>Kubernetes</th><th>Status</th><th>Errors</th><th>Warnings</th><th>Info</th></tr>',
    ...rows,
    '</table>',
  ].join('\n')
}
