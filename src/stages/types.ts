// The shape every stage shares: read live state → decide (skip if at target) → act (dkp,
// argument arrays, timeout) → wait for convergence → verify → report.

import type { DkpCommand } from '../core/dkp-commands.js'
import type { Finding } from '../core/findings.js'
import type { Inventory, ManagedCluster } from '../core/model.js'
import type { Plan } from '../core/plan.js'
import type { PlanStage, StageName } from '../core/stages.js'
import type { DkpRunner } from '../effects/dkp-runner.js'
import type { Kube } from '../effects/kube.js'
import type { Reporter } from '../effects/reporter.js'
import type { RunRecord } from '../effects/run-record.js'
import type { Snapshot } from './snapshot.js'

export type { StepState } from '../core/step-state.js'

import type { StepState } from '../core/step-state.js'
import type { TerminalState } from '../core/terminal.js'

export type StageStatus = 'upgraded' | 'skipped' | 'failed' | 'cancelled' | 'deferred' | 'dry-run'

/** The `result` output (contract): what a stage did, for the jobs after it and the run record. */
export interface StageResult {
  stage: StageName
  cluster: string
  status: StageStatus
  /** Version found before acting (DKP for platform stages, Kubernetes for `kubernetes`). */
  from?: string
  to?: string
  started: string
  finished: string
  /** The dkp command lines run (or, in a dry run, that would run). */
  commands: string[]
  /** Why it was skipped/deferred/failed; what it verified. */
  message?: string
  evidence?: string[]
  /** A terminal state that ended the stage: the object, its reason and message, what to do next. */
  failure?: TerminalState
  /** The job's action outputs besides `result` and `status` (`kommander-version`, `findings`, …). */
  outputs?: Record<string, string>
  stepId: string
  planDigest: string
  runId: string
  actor: string
}

/** Who runs this job: GitHub run id/attempt, or host+pid locally. Holder of locks. */
export interface Runner {
  runId: string
  actor: string
  /** Lease holder identity: unique per job. */
  holder: string
}

/** What reading live state needs: enough for done-conditions in any job (plan, verify, status). */
export interface StageEnv {
  inventory: Inventory
  plan: Plan
  target: Plan['target']
  /** The management cluster. */
  kube: Kube
  /** Cached reads of the management cluster (lists per kind). */
  snapshot: Snapshot
  record: RunRecord
  /** Present in stage jobs: read-only dkp probes (e.g. `upgrade addons --dry-run`). */
  dkp?: () => Promise<DkpRunner>
  /** Where workload kubeconfigs read from Secrets get their secret fields masked (and logs go). */
  reporter?: Pick<Reporter, 'secret'>
  /** Aborted on timeout or cancellation. */
  signal: AbortSignal
  now: () => Date
}

export interface StageContext extends StageEnv {
  stage: PlanStage
  inventory: Inventory
  /** The cluster this run acts on: the management cluster for management stages. */
  cluster: string
  /** Set when `cluster` is a managed cluster. */
  managed?: ManagedCluster
  /** 0600 temp file with the management kubeconfig, for `dkp --kubeconfig`. */
  kubeconfigPath: string
  /** Resolves (installs or checks) the dkp binary on first use: skipped stages never download it. */
  dkp: () => Promise<DkpRunner>
  reporter: Reporter
  runner: Runner
  dryRun: boolean
  /** Epoch ms when the stage must be finished (timeout-minutes). */
  deadline: number
  /** What the stage found before acting (the version it started from): the executor keeps it when the stage fails later. */
  found?: { from?: string }
  /** Options only some stages use. */
  extra: { manifests?: string; failOn?: 'error' | 'warning' | 'none'; wave?: number; reason?: string }
}

/** What a stage module returns; the executor adds times, ids and publishes it. */
export interface StageOutcome {
  status: StageStatus
  from?: string
  to?: string
  commands: DkpCommand[]
  message?: string
  evidence?: string[]
  findings?: Finding[]
  failure?: TerminalState
  /** Extra outputs (e.g. `kommander-version`). */
  outputs?: Record<string, string>
}

export interface StageModule {
  name: PlanStage
  /** This step's done-condition on a cluster. */
  status(env: StageEnv, cluster: string): Promise<StepState>
  run(ctx: StageContext): Promise<StageOutcome>
}
