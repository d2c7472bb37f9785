// The fleet status model (the JSON of `dkp-fleet status --json` and the action's `status`
// output): a contract, documented in docs/safety.md. `apiVersion` `dkp-fleet/v1`, `kind`
// `FleetStatus`; every key is always present (null when unknown); new keys may be added, none
// renamed or removed.

import type { SoakStatus } from '../core/soak.js'
import type { PlanStage } from '../core/stage-table.js'
import type { PauseMarker } from '../effects/run-record.js'

export const STATUS_API_VERSION = 'dkp-fleet/v1'
export const STATUS_KIND = 'FleetStatus'

export type StepStateName = 'done' | 'pending' | 'unknown'

export interface RecordedStep {
  stepId: string
  stage: string
  status: string
  from: string | null
  to: string | null
  started: string
  finished: string
  /** Seconds between `finished` and `observedAt`. */
  ageSeconds: number
  runId: string
  actor: string
  message: string | null
}

export interface LockStatus {
  cluster: string
  /** `<namespace>/dkp-fleet-<cluster>` */
  lease: string
  holder: string
  acquired: string | null
  renewed: string | null
  /** When the lease runs out unless renewed. */
  expires: string | null
  /** True when the holder stopped renewing (a crashed job): the next run takes it over. */
  expired: boolean
}

export interface ClusterStatus {
  name: string
  kind: 'management' | 'managed' | 'attached'
  workspace: string | null
  wave: number | null
  /** DKP (Kommander) version: the management cluster only. */
  dkp: string | null
  /** Kubernetes the control plane runs (bare, `1.28.7`); attached: KommanderCluster status. */
  kubernetes: string | null
  /** The control plane's spec version when it differs from what runs (a rollout in progress). */
  kubernetesDesired: string | null
  /** Node pools (MachineDeployments) and their Kubernetes version. */
  nodepools: { name: string; version: string | null }[]
  /** The newest run record entry for a step on this cluster. */
  lastStep: RecordedStep | null
  lock: LockStatus | null
  /** Plan steps on this cluster and how many are done. */
  steps: { total: number; done: number }
}

export interface StepStatus {
  id: string
  stage: PlanStage
  cluster: string
  wave: number | null
  to: string | null
  state: StepStateName
  /** Version found by the done-condition. */
  from: string | null
  /** What is pending (state pending), the evidence (done), or why it is unknown. */
  detail: string
  recorded: { status: string; finished: string; runId: string; actor: string } | null
}

export interface FleetStatus {
  apiVersion: typeof STATUS_API_VERSION
  kind: typeof STATUS_KIND
  fleet: string
  management: string
  observedAt: string
  target: { dkp: string; kubernetes: string }
  planDigest: string
  paused: PauseMarker | null
  backup: {
    enabled: boolean
    disabledReason: string | null
    state: StepStateName | null
    detail: string | null
  }
  clusters: ClusterStatus[]
  /** Soaks between waves (rollout.soak): empty without one. */
  soaks: SoakStatus[]
  steps: StepStatus[]
  locks: LockStatus[]
  record: { configMap: string; pauseConfigMap: string; entries: number; maxEntries: number }
  counts: { steps: number; done: number; pending: number; unknown: number }
  /** True only in the action's `status` output when the full JSON was too large: see `status-file`. */
  truncated: boolean
}
