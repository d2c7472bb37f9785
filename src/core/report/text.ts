// `--format text` (default): a table for terminals, the fixes grouped by rule, and a summary line.

import {
  countBySeverity,
  describeLocation,
  describeObject,
  type Finding,
  type SeverityCounts,
  sortFindings,
} from '../findings.js'
import { terminalSafe } from './escape.js'
import type { CheckReport } from './model.js'

const MAX_COLUMN = 48

export function renderText(report: CheckReport): string {
  const findings = sortFindings(report.findings)
  const lines: string[] = []
  if (findings.length > 0) {
    const rows = findings.map((f) =>
      [f.severity, where(f), f.object ? describeObject(f.object) : '', f.message].map(terminalSafe),
    )
    const header = ['SEVERITY', 'WHERE', 'OBJECT', 'MESSAGE']
    const widths = [0, 1, 2].map((i) =>
      Math.min(MAX_COLUMN, Math.max(header[i]!.length, ...rows.map((r) => r[i]!.length))),
    )
    const line = (cells: string[]) =>
      cells
        .map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c))
        .join('  ')
        .trimEnd()
    lines.push(line(header), ...rows.map(line), '')

    // one fix per distinct (rule, remedy), with how many findings it covers
    const fixes = new Map<string, { ruleId: string; remedy: string; count: number }>()
    for (const f of findings) {
      const key = `${f.ruleId}\u0000${f.remedy}`
      const seen = fixes.get(key)
      if (seen) seen.count++
      else fixes.set(key, { ruleId: f.ruleId, remedy: f.remedy, count: 1 })
    }
    lines.push('How to fix:')
    for (const fix of fixes.values()) {
      lines.push(`  ${terminalSafe(fix.ruleId)} (${fix.count}): ${terminalSafe(fix.remedy)}`)
    }
    lines.push('')
  }
  lines.push(summaryLine(report, countBySeverity(findings)))
  return `${lines.join('\n')}\n`
}

function where(f: Finding): string {
  if (f.location) return describeLocation(f.location)
  return f.cluster !== undefined ? `cluster ${f.cluster}` : ''
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`

/** `2 errors, 1 warning, 0 info (target Kubernetes 1.29; 12 files, 340 objects scanned)`. */
export function summaryLine(report: CheckReport, counts: SeverityCounts): string {
  const parts: string[] = []
  if (report.target.kubernetes) parts.push(`target Kubernetes ${report.target.kubernetes}`)
  const s = report.scanned
  if (s) {
    const scanned: string[] = []
    if (s.clusters !== undefined) scanned.push(plural(s.clusters, 'cluster'))
    if (s.files !== undefined) scanned.push(plural(s.files, 'file'))
    if (s.documents !== undefined) scanned.push(plural(s.documents, 'document'))
    if (s.objects !== undefined) scanned.push(plural(s.objects, 'object'))
    if (s.helmReleases !== undefined) scanned.push(plural(s.helmReleases, 'Helm release'))
    if (scanned.length) parts.push(`${scanned.join(', ')} scanned`)
  }
  const head =
    counts.total === 0
      ? 'No findings'
      : `${plural(counts.error, 'error')}, ${plural(counts.warning, 'warning')}, ${counts.info} info`
  return `${head}${parts.length ? ` (${terminalSafe(parts.join('; '))})` : ''}`
}
