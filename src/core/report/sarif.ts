// `--format sarif`: SARIF 2.1.0 for GitHub code scanning. Design decision: every result carries
// a location. Repository findings point at their file:line:col; live-cluster findings point at
// the line of that cluster in the inventory (`clusterSources`), else at `fallback` (the
// management entry or the inventory file). A finding that can be placed nowhere is a caller bug.
// Limits honoured (GitHub): at most 25,000 results per run (the worst kept, the cut noted),
// at most 20 tags per rule. Same input → byte-identical output.

import { createHash } from 'node:crypto'
import {
  compareStrings,
  countBySeverity,
  describeObject,
  type Finding,
  type RuleDescriptor,
  type Severity,
  sortFindings,
} from '../findings.js'
import type { SourceRef } from '../model.js'
import type { CheckReport } from './model.js'

export const SARIF_SCHEMA_URI =
  'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json'
export const SARIF_MAX_RESULTS = 25_000
const MAX_TAGS = 20
export const FINGERPRINT_KEY = 'dkpFleetFinding/v1'

export interface SarifOptions {
  informationUri: string
  /** Descriptors for the rule ids in the findings; unknown ids get a generic descriptor. */
  rules?: readonly RuleDescriptor[] | ((id: string) => RuleDescriptor | undefined)
  /** The inventory line of each cluster, by cluster name. */
  clusterSources?: ReadonlyMap<string, SourceRef> | Readonly<Record<string, SourceRef>>
  /** Where findings with neither a file location nor a known cluster point. */
  fallback?: SourceRef
  /** Absolute paths under this root become relative to it (`/`-separated). */
  srcRoot?: string
  /** Default 25,000 (GitHub's per-run limit). */
  maxResults?: number
}

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  error: 'error',
  warning: 'warning',
  info: 'note',
}
const PROBLEM_SEVERITY: Record<Severity, string> = {
  error: 'error',
  warning: 'warning',
  info: 'recommendation',
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

export function renderSarif(report: CheckReport, options: SarifOptions): string {
  return `${JSON.stringify(toSarif(report, options), null, 2)}\n`
}

export function toSarif(report: CheckReport, options: SarifOptions): Json {
  const max = options.maxResults ?? SARIF_MAX_RESULTS
  const all = sortFindings(report.findings)
  const kept = all.slice(0, max)
  const lookup = ruleLookup(options.rules)

  const ruleIds = [...new Set(kept.map((f) => f.ruleId))].sort(compareStrings)
  const ruleIndex = new Map(ruleIds.map((id, i) => [id, i]))
  const rules = ruleIds.map((id) =>
    ruleJson(lookup(id) ?? genericRule(id, kept.find((f) => f.ruleId === id)!)),
  )

  const seen = new Map<string, number>()
  const results = kept.map((f) => resultJson(f, ruleIndex.get(f.ruleId)!, options, seen))

  const counts = countBySeverity(all)
  const run: Record<string, Json> = {
    tool: {
      driver: {
        name: report.tool.name,
        version: report.tool.version,
        ...(/^\d+\.\d+\.\d+/.test(report.tool.version) ? { semanticVersion: report.tool.version } : {}),
        informationUri: options.informationUri,
        rules,
      },
    },
    columnKind: 'utf16CodeUnits',
    results,
    properties: {
      ...(report.target.kubernetes ? { targetKubernetes: report.target.kubernetes } : {}),
      ...(report.target.dkp ? { targetDkp: report.target.dkp } : {}),
      counts: { ...counts },
    },
  }
  if (all.length > kept.length) {
    run.invocations = [
      {
        executionSuccessful: true,
        toolExecutionNotifications: [
          {
            level: 'warning',
            message: {
              text: `${all.length - kept.length} of ${all.length} findings were left out: GitHub code scanning accepts at most ${max} results per run. The JSON report (--format json) has them all.`,
            },
          },
        ],
      },
    ]
  }
  return { $schema: SARIF_SCHEMA_URI, version: '2.1.0', runs: [run] }
}

/** One SARIF result: level, message, a physical (and, for an object, logical) location, fingerprint, properties. */
function resultJson(f: Finding, ruleIndex: number, options: SarifOptions, seen: Map<string, number>): Json {
  const where = placeOf(f, options)
  const artifactLocation = artifactOf(where.file, options.srcRoot)
  const region: Record<string, Json> = { startLine: Math.max(1, where.line) }
  if (where.col && where.col > 0) region.startColumn = where.col
  const location: Record<string, Json> = { physicalLocation: { artifactLocation, region } }
  if (f.object) {
    location.logicalLocations = [
      {
        name: f.object.name,
        fullyQualifiedName: [f.cluster, f.object.namespace, f.object.kind, f.object.name]
          .filter((p) => p !== undefined && p !== '')
          .join('/'),
        kind: 'resource',
      },
    ]
  }
  const properties: Record<string, Json> = {}
  if (f.cluster !== undefined) properties.cluster = f.cluster
  if (f.object) properties.object = { ...f.object }
  properties.remedy = f.remedy
  if (f.details) {
    properties.details = Object.fromEntries(
      Object.entries(f.details).sort(([a], [b]) => compareStrings(a, b)),
    ) as Record<string, Json>
  }
  return {
    ruleId: f.ruleId,
    ruleIndex,
    level: LEVEL[f.severity],
    message: { text: messageOf(f) },
    locations: [location],
    partialFingerprints: { [FINGERPRINT_KEY]: fingerprint(f, where.file, seen) },
    properties,
  }
}

function messageOf(f: Finding): string {
  const prefix = f.cluster !== undefined && !f.location ? `[cluster ${f.cluster}] ` : ''
  return `${prefix}${f.message} Fix: ${f.remedy}`
}

function placeOf(f: Finding, options: SarifOptions): { file: string; line: number; col?: number } {
  if (f.location) return f.location
  if (f.cluster !== undefined) {
    const s = options.clusterSources
    const ref =
      s instanceof Map ? s.get(f.cluster) : (s as Record<string, SourceRef> | undefined)?.[f.cluster]
    if (ref) return ref
  }
  if (options.fallback) return options.fallback
  throw new Error(
    `SARIF: finding ${f.ruleId}${f.cluster ? ` on cluster ${f.cluster}` : ''} has no location, and no cluster source or fallback was given`,
  )
}

/** A relative path becomes `%SRCROOT%`-based with each segment percent-encoded. */
function artifactOf(file: string, srcRoot: string | undefined): Record<string, Json> {
  let path = file.replace(/\\/g, '/')
  const root = srcRoot?.replace(/\\/g, '/').replace(/\/+$/, '')
  if (root && path.startsWith(`${root}/`)) path = path.slice(root.length + 1)
  const encoded = path
    .split('/')
    .map((seg) => encodeURIComponent(seg))
    .join('/')
  if (path.startsWith('/')) return { uri: `file://${encoded}` }
  if (/^[A-Za-z]:\//.test(path)) return { uri: `file:///${encoded.replace(/^([A-Za-z])%3A/, '$1:')}` }
  return { uri: encoded.replace(/^(\.\/)+/, ''), uriBaseId: '%SRCROOT%' }
}

/** Stable across runs and line moves: rule, cluster, file and object identity (not the line). */
function fingerprint(f: Finding, file: string, seen: Map<string, number>): string {
  const identity = [
    f.ruleId,
    f.cluster ?? '',
    file,
    f.object ? `${f.object.apiVersion}|${describeObject(f.object)}` : f.message,
  ]
  const base = createHash('sha256').update(identity.join('\u0000')).digest('hex').slice(0, 32)
  const n = seen.get(base) ?? 0
  seen.set(base, n + 1)
  return n === 0 ? base : `${base}:${n}`
}

function ruleLookup(rules: SarifOptions['rules']): (id: string) => RuleDescriptor | undefined {
  if (!rules) return () => undefined
  if (typeof rules === 'function') return rules
  const byId = new Map(rules.map((r) => [r.id, r]))
  return (id) => byId.get(id)
}

function genericRule(id: string, example: Finding): RuleDescriptor {
  return {
    id,
    name: id
      .split(/[^A-Za-z0-9]+/)
      .filter(Boolean)
      .map((w) => w[0]!.toUpperCase() + w.slice(1))
      .join(''),
    shortDescription: id,
    fullDescription: `Findings of the ${id} check.`,
    help: example.remedy,
    helpMarkdown: example.remedy,
    defaultSeverity: example.severity,
    tags: ['dkp-fleet'],
  }
}

function ruleJson(r: RuleDescriptor): Json {
  return {
    id: r.id,
    name: r.name,
    shortDescription: { text: r.shortDescription },
    fullDescription: { text: r.fullDescription },
    help: { text: r.help, markdown: r.helpMarkdown },
    ...(r.helpUri ? { helpUri: r.helpUri } : {}),
    defaultConfiguration: { level: LEVEL[r.defaultSeverity] },
    properties: {
      tags: [...new Set(r.tags)].slice(0, MAX_TAGS),
      precision: 'very-high',
      'problem.severity': PROBLEM_SEVERITY[r.defaultSeverity],
    },
  }
}
