// The seam between `dkp-fleet check` (src/cli/commands/check.ts) and the live mode that reads
// the fleet (src/stages/check.ts): types only, so the CLI imports the stage and never the
// other way round.

import type { Finding, RuleDescriptor } from '../findings.js'
import type { SourceRef } from '../model.js'
import type { ClusterSummary, ScanStats } from './model.js'

/** What the live mode reads of the check's options. */
export interface LiveCheckOptions {
  /** Inventory file(s) or glob(s). */
  inventory: string[]
  /** Management kubeconfig file (default: the inventory's kubeconfigEnv, then $KUBECONFIG). */
  kubeconfig?: string
  /** As given, without a leading `v`: retargets the removed-API scan only. */
  targetKubernetes?: string
}

/** What the live mode may touch of the shell: its progress stream, environment and directory. */
export interface LiveCheckIO {
  stderr: (text: string) => void
  env: NodeJS.ProcessEnv
  cwd: string
}

/** What a live check (health gates + live removed-API scan) contributes to the report. */
export interface LiveCheckResult {
  findings: Finding[]
  clusters: ClusterSummary[]
  /** Target resolved from the inventory (used when --target-kubernetes is absent). */
  target: { kubernetes?: string; dkp?: string }
  /** Inventory line of each cluster: where SARIF places that cluster's findings. */
  clusterSources: Map<string, SourceRef>
  /** Where findings with no cluster line point (the management entry or inventory file). */
  fallback?: SourceRef
  /** Rule descriptors of the live checks (health gates); compat rules are added anyway. */
  rules?: RuleDescriptor[]
  scanned?: Pick<ScanStats, 'clusters' | 'helmReleases' | 'objects'>
}

/** The extension point for the live mode: called when `-i` or `--kubeconfig` is given. */
export type LiveCheck = (options: LiveCheckOptions, io: LiveCheckIO) => Promise<LiveCheckResult>
