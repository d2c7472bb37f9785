// The input of every report renderer: the findings of one check run plus what was checked.
// Renderers are pure functions of it (text, JSON, SARIF, job summary, annotations).

import type { Finding } from '../findings.js'

/** Project URL shown as the SARIF tool's informationUri (one place to change it). */
export const TOOL_NAME = 'dkp-fleet'
export const TOOL_INFORMATION_URI = 'https://github.com/dkp-fleet-upgrade/dkp-fleet-upgrade'

export type ClusterRole = 'management' | 'managed' | 'attached'

/** One row of the per-cluster table (live checks). Counts are derived from the findings. */
export interface ClusterSummary {
  name: string
  role: ClusterRole
  /** Current Kubernetes version as read, e.g. `1.27.6`. */
  kubernetes?: string
  /** `unreachable` when the cluster could not be read (that is also a finding). */
  status: 'checked' | 'unreachable' | 'skipped'
  /** A short remark shown in the table (e.g. why it was skipped). */
  note?: string
}

export interface ScanStats {
  files?: number
  documents?: number
  objects?: number
  bytes?: number
  helmReleases?: number
  clusters?: number
}

export interface CheckReport {
  tool: { name: string; version: string }
  target: { kubernetes?: string; dkp?: string }
  findings: Finding[]
  /** Live clusters checked; absent for a repository-only scan. */
  clusters?: ClusterSummary[]
  /** Repository directories scanned (`--manifests`), as given. */
  manifests?: string[]
  scanned?: ScanStats
}
