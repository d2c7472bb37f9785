// The previous run's JSON report (`previous-report`), read back for the job summary's trend line
// (fleet-table.ts `trendLine`). It comes from an earlier run through the Actions cache or a file,
// so it is read as untrusted data: only what the trend line compares is kept (each finding's
// rule, severity, cluster, object and file), every field is type-checked, and anything else is
// a problem for the caller to warn about, never a failure of the check.

import { type Finding, SEVERITIES, type Severity } from '../findings.js'
import type { CheckReport } from './model.js'

/** The largest previous report read (a report of 36,000 findings is ~20 MB). */
export const PREVIOUS_REPORT_MAX_BYTES = 64 * 1024 * 1024

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
const optString = (v: unknown): v is string | undefined => v === undefined || typeof v === 'string'

/** The report, or why the text is not a JSON report of this tool (`--format json`, schemaVersion 1). */
export function parsePreviousReport(text: string): { report: CheckReport } | { problem: string } {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (err) {
    return { problem: `not JSON: ${(err as Error).message}` }
  }
  if (!isObject(doc)) return { problem: 'not a JSON object' }
  if (doc.schemaVersion !== 1)
    return { problem: `schemaVersion is ${JSON.stringify(doc.schemaVersion)}, not 1` }
  if (!Array.isArray(doc.findings)) return { problem: 'findings is not an array' }
  const findings: Finding[] = []
  for (const [i, f] of doc.findings.entries()) {
    const at = `findings[${i}]`
    if (!isObject(f)) return { problem: `${at} is not an object` }
    if (typeof f.ruleId !== 'string') return { problem: `${at}.ruleId is not a string` }
    if (!(SEVERITIES as readonly unknown[]).includes(f.severity))
      return { problem: `${at}.severity is not one of ${SEVERITIES.join(', ')}` }
    if (!optString(f.cluster)) return { problem: `${at}.cluster is not a string` }
    const kept: Finding = { ruleId: f.ruleId, severity: f.severity as Severity, message: '', remedy: '' }
    if (f.cluster !== undefined) kept.cluster = f.cluster
    if (f.object !== undefined) {
      const o = f.object
      if (!isObject(o) || !optString(o.kind) || !optString(o.namespace) || !optString(o.name))
        return { problem: `${at}.object is not an object of strings` }
      kept.object = {
        apiVersion: '',
        kind: o.kind ?? '',
        ...(o.namespace !== undefined ? { namespace: o.namespace } : {}),
        name: o.name ?? '',
      }
    }
    if (f.location !== undefined) {
      const l = f.location
      if (!isObject(l) || typeof l.file !== 'string')
        return { problem: `${at}.location.file is not a string` }
      kept.location = { file: l.file, line: 1 }
    }
    findings.push(kept)
  }
  const tool = isObject(doc.tool) ? doc.tool : {}
  return {
    report: {
      tool: { name: String(tool.name ?? ''), version: String(tool.version ?? '') },
      target: {},
      findings,
    },
  }
}
