// The finding model shared by every check: health gates, the removed-API scan, and the
// reports rendered from them (text, JSON, SARIF, job summary, annotations). Pure data.

/** How bad a finding is. `error` blocks an upgrade, `warning` needs a look, `info` is context. */
export type Severity = 'error' | 'warning' | 'info'

export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info']

/** The Kubernetes object a finding is about (as read, or as written in a manifest). */
export interface ObjectRef {
  apiVersion: string
  kind: string
  namespace?: string
  name: string
}

/** A place in a repository file: 1-based line and column. */
export interface FindingLocation {
  /** Path relative to the repository root (or the scanned directory), `/`-separated. */
  file: string
  line: number
  col?: number
}

export interface Finding {
  /** Stable identifier of the check, e.g. `removed-api/batch/v1beta1/CronJob`. */
  ruleId: string
  severity: Severity
  /** The cluster the finding was read from; absent for repository files. */
  cluster?: string
  object?: ObjectRef
  /** Where in a repository file; absent for live-cluster findings. */
  location?: FindingLocation
  /** What is wrong, one or two sentences. */
  message: string
  /** What to do about it. */
  remedy: string
  /** Machine-readable extras for JSON consumers (e.g. `removedIn`, `replacement`). */
  details?: Record<string, string | number | boolean>
}

/**
 * Describes a rule for reports that need it (SARIF `rules`): checks that emit findings also
 * describe their rule ids. Unknown rule ids still render, with a generic description.
 */
export interface RuleDescriptor {
  id: string
  /** A short PascalCase name, e.g. `RemovedApiBatchV1beta1CronJob`. */
  name: string
  shortDescription: string
  fullDescription: string
  /** Plain-text help. */
  help: string
  /** The same help as GitHub-flavoured Markdown. */
  helpMarkdown: string
  helpUri?: string
  defaultSeverity: Severity
  tags: string[]
}

const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 }

export const severityRank = (s: Severity): number => SEVERITY_RANK[s]

export function isSeverity(s: unknown): s is Severity {
  return s === 'error' || s === 'warning' || s === 'info'
}

/** Code-point comparison: the same order on every machine and locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * The one deterministic order for findings: severity (worst first), then cluster (repository
 * files first), file, line, column, rule, object and message.
 */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    compareStrings(a.cluster ?? '', b.cluster ?? '') ||
    compareStrings(a.location?.file ?? '', b.location?.file ?? '') ||
    (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
    (a.location?.col ?? 0) - (b.location?.col ?? 0) ||
    compareStrings(a.ruleId, b.ruleId) ||
    compareStrings(objectKey(a.object), objectKey(b.object)) ||
    compareStrings(a.message, b.message)
  )
}

export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(compareFindings)
}

export type SeverityCounts = Record<Severity, number> & { total: number }

export function countBySeverity(findings: readonly Finding[]): SeverityCounts {
  const counts: SeverityCounts = { error: 0, warning: 0, info: 0, total: 0 }
  for (const f of findings) {
    counts[f.severity]++
    counts.total++
  }
  return counts
}

/** `Kind namespace/name` (or `Kind name` for cluster-scoped objects). */
export function describeObject(o: ObjectRef): string {
  return `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`
}

/** `file:line[:col]`. */
export function describeLocation(l: FindingLocation): string {
  return `${l.file}:${l.line}${l.col ? `:${l.col}` : ''}`
}

function objectKey(o: ObjectRef | undefined): string {
  return o ? `${o.kind}\u0000${o.namespace ?? ''}\u0000${o.name}\u0000${o.apiVersion}` : ''
}

/** The fields of an object a finding names it by. */
export interface NamedObject {
  apiVersion: string
  kind: string
  metadata: { namespace?: string; name?: string }
}

/** The object of a finding, from an object as read. */
export function objectRef(o: NamedObject): ObjectRef {
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
    name: o.metadata.name ?? '(unnamed)',
  }
}

/** `namespace/name`, or `name` for a cluster-scoped object. */
export const nsName = (o: Pick<NamedObject, 'metadata'>): string =>
  o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : `${o.metadata.name}`

/** A finding of a rule of a cluster; `details` only when it has any. */
export function makeFinding(
  ruleId: string,
  severity: Severity,
  cluster: string,
  object: ObjectRef | undefined,
  message: string,
  remedy: string,
  details?: Finding['details'],
): Finding {
  return {
    ruleId,
    severity,
    cluster,
    ...(object ? { object } : {}),
    message,
    remedy,
    ...(details && Object.keys(details).length > 0 ? { details } : {}),
  }
}
