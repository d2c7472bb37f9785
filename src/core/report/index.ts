// Pure renderers for check findings: text (terminal), JSON (documented schema), SARIF 2.1.0
// (GitHub code scanning), the job summary, the annotation selection, and the exit code.

export {
  ANNOTATIONS_PER_LEVEL,
  type Annotation,
  type AnnotationSelection,
  selectAnnotations,
} from './annotations.js'
export { escapeHtml, terminalSafe } from './escape.js'
export { exitCodeFor, FAIL_ON_VALUES, type FailOn, isFailOn } from './exit-code.js'
export {
  JSON_REPORT_SCHEMA_VERSION,
  type JsonReport,
  normaliseFinding,
  renderJson,
  toJsonReport,
} from './json.js'
export {
  type CheckReport,
  type ClusterRole,
  type ClusterSummary,
  type ScanStats,
  TOOL_INFORMATION_URI,
  TOOL_NAME,
} from './model.js'
export {
  FINGERPRINT_KEY,
  renderSarif,
  SARIF_MAX_RESULTS,
  SARIF_SCHEMA_URI,
  type SarifOptions,
  toSarif,
} from './sarif.js'
export { renderSummary, STEP_SUMMARY_LIMIT, type SummaryOptions } from './summary.js'
export { renderText, summaryLine } from './text.js'
