// `--format json`: the stable, documented report (docs/checks.md; JSON Schema in
// check-report.schema.json). Same input → byte-identical output: findings sorted, keys in a
// fixed order, no timestamps.

import {
  compareStrings,
  countBySeverity,
  type Finding,
  type SeverityCounts,
  sortFindings,
} from '../findings.js'
import type { CheckReport, ClusterRole, ScanStats } from './model.js'

/** Bump only for incompatible changes; adding optional fields keeps the version. */
export const JSON_REPORT_SCHEMA_VERSION = 1

export interface JsonReport {
  schemaVersion: typeof JSON_REPORT_SCHEMA_VERSION
  tool: { name: string; version: string }
  target: { kubernetes?: string; dkp?: string }
  counts: SeverityCounts
  scanned?: ScanStats
  manifests?: string[]
  clusters?: {
    name: string
    role: ClusterRole
    kubernetes?: string
    status: string
    note?: string
    counts: SeverityCounts
  }[]
  findings: Finding[]
}

/** A finding with keys in the documented order and nothing else. */
export function normaliseFinding(f: Finding): Finding {
  const out: Finding = { ruleId: f.ruleId, severity: f.severity } as Finding
  if (f.cluster !== undefined) out.cluster = f.cluster
  if (f.object) {
    out.object = {
      apiVersion: f.object.apiVersion,
      kind: f.object.kind,
      ...(f.object.namespace !== undefined ? { namespace: f.object.namespace } : {}),
      name: f.object.name,
    }
  }
  if (f.location) {
    out.location = {
      file: f.location.file,
      line: f.location.line,
      ...(f.location.col !== undefined ? { col: f.location.col } : {}),
    }
  }
  out.message = f.message
  out.remedy = f.remedy
  if (f.details && Object.keys(f.details).length > 0) {
    out.details = Object.fromEntries(
      Object.entries(f.details).sort(([a], [b]) => compareStrings(a, b)),
    ) as Finding['details']
  }
  return out
}

export function toJsonReport(report: CheckReport): JsonReport {
  const findings = sortFindings(report.findings).map(normaliseFinding)
  const out: JsonReport = {
    schemaVersion: JSON_REPORT_SCHEMA_VERSION,
    tool: { name: report.tool.name, version: report.tool.version },
    target: {
      ...(report.target.kubernetes !== undefined ? { kubernetes: report.target.kubernetes } : {}),
      ...(report.target.dkp !== undefined ? { dkp: report.target.dkp } : {}),
    },
    counts: countBySeverity(findings),
    findings,
  }
  if (report.scanned) out.scanned = orderedStats(report.scanned)
  if (report.manifests) out.manifests = [...report.manifests]
  if (report.clusters) {
    out.clusters = report.clusters.map((c) => ({
      name: c.name,
      role: c.role,
      ...(c.kubernetes !== undefined ? { kubernetes: c.kubernetes } : {}),
      status: c.status,
      ...(c.note !== undefined ? { note: c.note } : {}),
      counts: countBySeverity(findings.filter((f) => f.cluster === c.name)),
    }))
  }
  // keep `findings` last: readers can stream the header
  const { findings: list, ...head } = out
  return { ...head, findings: list } as JsonReport
}

/** The JSON report as text: two-space indent, trailing newline. */
export function renderJson(report: CheckReport): string {
  return `${JSON.stringify(toJsonReport(report), null, 2)}\n`
}

function orderedStats(s: ScanStats): ScanStats {
  const keys: (keyof ScanStats)[] = ['files', 'documents', 'objects', 'bytes', 'helmReleases', 'clusters']
  const out: ScanStats = {}
  for (const k of keys) if (s[k] !== undefined) out[k] = s[k]
  return out
}
