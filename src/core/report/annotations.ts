// Which findings become GitHub annotations on repository files. GitHub shows at most 10 error
// and 10 warning annotations per step, so the worst ones are picked and the rest counted in a
// note. Only findings located in a repository file qualify (live-cluster findings have no line
// of their own). The shape matches @actions/core's AnnotationProperties plus level and message.

import { type Finding, sortFindings } from '../findings.js'

export interface Annotation {
  level: 'error' | 'warning'
  title: string
  message: string
  file: string
  startLine: number
  startColumn?: number
}

export interface AnnotationSelection {
  annotations: Annotation[]
  /** Located findings that were not annotated because of the per-step limit. */
  omitted: { error: number; warning: number }
  /** A sentence for the log/summary when findings were cut; undefined otherwise. */
  note?: string
}

export const ANNOTATIONS_PER_LEVEL = 10

export function selectAnnotations(
  findings: readonly Finding[],
  perLevel = ANNOTATIONS_PER_LEVEL,
): AnnotationSelection {
  const annotations: Annotation[] = []
  const omitted = { error: 0, warning: 0 }
  const taken = { error: 0, warning: 0 }
  for (const f of sortFindings(findings)) {
    if (!f.location || f.severity === 'info') continue
    const level = f.severity
    if (taken[level] >= perLevel) {
      omitted[level]++
      continue
    }
    taken[level]++
    annotations.push({
      level,
      title: f.ruleId,
      message: `${f.message}\nFix: ${f.remedy}`,
      file: f.location.file,
      startLine: f.location.line,
      ...(f.location.col ? { startColumn: f.location.col } : {}),
    })
  }
  const cut = omitted.error + omitted.warning
  const note =
    cut > 0
      ? `${cut} more finding${cut === 1 ? '' : 's'} on repository files (${omitted.error} error${omitted.error === 1 ? '' : 's'}, ${omitted.warning} warning${omitted.warning === 1 ? '' : 's'}) ${cut === 1 ? 'is' : 'are'} not annotated: GitHub shows at most ${perLevel} error and ${perLevel} warning annotations per step. See the job summary or the JSON report.`
      : undefined
  return { annotations, omitted, ...(note ? { note } : {}) }
}
