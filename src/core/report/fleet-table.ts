// The fleet view of the scheduled check's job summary (issue 20 §5): cluster × check, the worst
// severity of each cell with its count, each cell linking to that cluster's first finding of
// that check in the findings tables below; and a trend line against the previous run's JSON
// report. Pure; HTML-escaped like the rest of the summary.

import { compareFindings, countBySeverity, type Finding, type Severity } from '../findings.js'
import { escapeHtml } from './escape.js'
import type { CheckReport } from './model.js'

/** The checks (columns), by rule id prefix; anything else counts under `other`. */
export const FLEET_CHECKS = [
  'health',
  'removed-api',
  'drain',
  'skew',
  'live-api',
  'certs',
  'etcd',
  'other',
] as const
export type FleetCheck = (typeof FLEET_CHECKS)[number]

const KNOWN: ReadonlySet<string> = new Set(FLEET_CHECKS)

export function checkOf(ruleId: string): FleetCheck {
  const prefix = ruleId.split('/')[0]!
  return (KNOWN.has(prefix) ? prefix : 'other') as FleetCheck
}

const SYMBOL: Record<Severity, string> = { error: '❌ error', warning: '⚠️ warning', info: 'ℹ️ info' }

/** The anchor of a finding's row: one per (cluster, check), on the first such row. */
export function anchorOf(cluster: string | undefined, check: FleetCheck): string {
  const safe = (cluster ?? 'repository').replace(/[^A-Za-z0-9_-]/g, '_')
  return `dkp-fleet-${safe}-${check}`
}

/** The fleet table, or undefined when the report has no clusters. */
export function renderFleetTable(report: CheckReport): string | undefined {
  if (!report.clusters || report.clusters.length === 0) return undefined
  const cells = new Map<string, Finding[]>()
  for (const f of report.findings) {
    const key = `${f.cluster ?? ''}\u0000${checkOf(f.ruleId)}`
    const list = cells.get(key)
    if (list) list.push(f)
    else cells.set(key, [f])
  }
  const columns = FLEET_CHECKS.filter(
    (c) => c !== 'other' || report.findings.some((f) => checkOf(f.ruleId) === 'other'),
  )
  const rows = report.clusters.map((c) => {
    const tds = columns.map((check) => {
      const found = cells.get(`${c.name}\u0000${check}`)
      if (!found || found.length === 0) return c.status === 'checked' ? '<td>✅</td>' : '<td>–</td>'
      const worst = [...found].sort(compareFindings)[0]!.severity
      const n = countBySeverity(found)[worst]
      return `<td><a href="#${anchorOf(c.name, check)}">${SYMBOL[worst]} ${n}</a></td>`
    })
    return `<tr><td><code>${escapeHtml(c.name)}</code></td>${tds.join('')}</tr>`
  })
  return [
    '<table>',
    `<tr><th>Cluster</th>${columns.map((c) => `<th>${c}</th>`).join('')}</tr>`,
    ...rows,
    '</table>',
  ].join('\n')
}

/** `errors 3 → 1, warnings 5 → 5, info 0 → 2 since the previous run (…)`, or undefined without one. */
export function trendLine(previous: CheckReport | undefined, current: CheckReport): string | undefined {
  if (!previous) return undefined
  const a = countBySeverity(previous.findings)
  const b = countBySeverity(current.findings)
  const part = (label: string, x: number, y: number) =>
    `${label} ${x} → ${y}${y === x ? '' : ` (${y > x ? '+' : '−'}${Math.abs(y - x)})`}`
  const keys = (r: CheckReport) =>
    new Set(
      r.findings.map(
        (f) =>
          `${f.ruleId}\u0000${f.cluster ?? ''}\u0000${f.object?.kind ?? ''}\u0000${f.object?.namespace ?? ''}\u0000${f.object?.name ?? ''}\u0000${f.location?.file ?? ''}`,
      ),
    )
  const before = keys(previous)
  const after = keys(current)
  const fresh = [...after].filter((k) => !before.has(k)).length
  const gone = [...before].filter((k) => !after.has(k)).length
  return `Since the previous run: ${part('errors', a.error, b.error)}, ${part('warnings', a.warning, b.warning)}, ${part('info', a.info, b.info)}; ${fresh} new, ${gone} resolved.`
}
