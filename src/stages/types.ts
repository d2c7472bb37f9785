// The shape every stage shares. A stage module describes; one driver (drive.ts) runs them all:
// read live state → judge it (pure) → skip when done → refuse with a typed reason, or take the
// steps it describes (a dkp command, a Kubernetes create, or a wait) with progress → wait for
// convergence → re-read and verify → report. Gates (check, custom-apps, verify) read and end
// `passed` or `failed`.

import type { DkpCommand } from '../core/dkp-commands.js'
import type { Finding } from '../core/findings.js'
import type { Inventory, ManagedCluster } from '../core/model.js'
import type { Plan } from '../core/plan.js'
import type { ReportArtifact } from '../core/report/artifact.js'
import type { PlanStage, StageName } from '../core/stages.js'
import type { PartState, StepState } from '../core/step-state.js'
import type { TerminalState } from '../core/terminal.js'
import type { DkpRunner } from '../effects/dkp-runner.js'
import type { Kube } from '../effects/kube.js'
import type { Reporter } from '../effects/reporter.js'
import type { RunRecord } from '../effects/run-record.js'
import type { Memo } from './memo.js'
import type { Snapshot } from './snapshot.js'
import type { WorkloadClients } from './workload-kube.js'

export type { PartState, StepState } from '../core/step-state.js'

/** `passed`: a gate (check, custom-apps, verify) that held; the others as design.md lists them. */
export type StageStatus = 'upgraded' | 'skipped' | 'passed' | 'failed' | 'cancelled' | 'deferred' | 'dry-run'

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
  /** The stage refused bad input (a path that skips a minor or goes backwards, a node pool the cluster lacks): exit code 2. */
  badInput?: true
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
  /** Clients of workload clusters read through their kubeconfig Secrets: scoped to this env, closed with it. */
  workloads: WorkloadClients
  /** What is computed once per environment (dkp probes, the removed-API scan's reads per server). */
  memo: Memo
  record: RunRecord
  /** Present in stage jobs: read-only dkp probes (e.g. `upgrade addons --dry-run`). */
  dkp?: () => Promise<DkpRunner>
  /** Where workload kubeconfigs read from Secrets get their secret fields masked (and logs go). */
  reporter?: Pick<Reporter, 'secret'>
  /** Aborted on timeout or cancellation. */
  signal: AbortSignal
  now: () => Date
  /** Milliseconds between polls while waiting (5 s; `DKP_FLEET_POLL_MS` in the job's environment overrides). */
  pollMs: number
}

/** Where a stage job's files go and what it calls itself: from the job's environment, never read by stages themselves. */
export interface JobPlace {
  /** The working directory (the repository checkout): manifests and SARIF paths are relative to it. */
  cwd: string
  /** Where reports are written (RUNNER_TEMP in the action, the OS temp dir locally). */
  reportDir: string
  /** The tool version reports name (`DKP_FLEET_VERSION` overrides the package's). */
  toolVersion: string
  /** The artifact the shipped workflow uploads the check's report files as (a GitHub run only). */
  reportArtifact?: ReportArtifact
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
  extra: {
    manifests?: string
    failOn?: 'error' | 'warning' | 'none'
    /** `check`: the previous run's JSON report (path), for the trend line. */
    previousReport?: string
    wave?: number
    reason?: string
  }
  place: JobPlace
}

/** What a stage run comes to; the executor adds times, ids and publishes it. */
export interface StageOutcome {
  status: StageStatus
  from?: string
  to?: string
  commands: DkpCommand[]
  message?: string
  evidence?: string[]
  findings?: Finding[]
  failure?: TerminalState
  /** Extra action outputs (a gate's `findings`, `report`, `sarif`). */
  outputs?: Record<string, string>
}

// ------------------------------------------------------------------------------ stage modules

/** Why a stage will not act, as a code (never read from the text); `input` refusals are bad input (exit code 2). */
export interface Refusal {
  refused: true
  code: 'path' | 'missing-pool' | 'mismatch' | 'not-installed' | 'items' | 'not-found'
  /** Bad input: the inventory asks for what cannot be done. */
  input: boolean
  text: string
}

export function refuse(code: Refusal['code'], text: string, input = false): Refusal {
  return { refused: true, code, input, text }
}

/** What a step does to get its part to target. */
export type StepAction =
  /** Run dkp (watched: a terminal state of the part kills it). */
  | { kind: 'dkp'; command: DkpCommand }
  /** Create a Kubernetes object (backup's Velero Backup); `preview` says what a dry run would create. */
  | { kind: 'create'; preview: string; evidence: string[]; create(ctx: StageContext): Promise<void> }
  /** Nothing to run: wait for what is under way (a rollout, an earlier attempt's backup); `why` ends the note, `log` is the line logged. */
  | { kind: 'none'; why: string; log: string }

/** One step of an upgrade stage: a control plane, a node pool, a workspace, a catalog app, a backup. */
export interface Step<S> {
  label: string
  action: StepAction
  /**
   * This step's part of a (re-)read state. `acted`: its action ran in this run — a step whose
   * at-target mark only the run record gives (capi-components, core-addons without a probe) is
   * judged by its live part from then on (the record is written after the stage).
   */
  done(state: S, acted: boolean): PartState
  /** How a step already at target is logged and noted (default: `skip <label>: already at target (…)`). */
  skip?: { log: string; note: string }
}

/** What the driver hands a stage's wording hooks once it is through. */
export interface DriveRun<S> {
  before: S
  /** The last state read (after the waits); `before` in a dry run. */
  after: S
  steps: Step<S>[]
  /** Steps that were done already, and steps acted on (or, in a dry run, that would be). */
  skipped: Step<S>[]
  acted: Step<S>[]
  /** Per step: `control plane …: updated`, `md x: skipped (at v1.28.7)`. */
  notes: string[]
}

/** A stage's wording of its outcome, and lines to log with it. */
export interface Worded {
  message?: string
  evidence?: string[]
  info?: string[]
  warnings?: string[]
}

/** An upgrade stage: it reads, judges and describes; the driver acts. */
export interface UpgradeStage<S> {
  name: PlanStage
  kind: 'upgrade'
  /**
   * Reads what the done-condition needs (one list per kind through the snapshot). `own`: the
   * stage's own run reads it (live state decides where it can: core-addons probes dkp even when
   * the run record says done); other jobs asking for the step's state read what they need.
   */
  read(env: StageEnv, cluster: string, own?: boolean): Promise<S>
  /** The done-condition: pure over what `read` returned. */
  evaluate(state: S): StepState
  /** The steps that bring the cluster to target, or why the stage will not take them. */
  steps(state: S, ctx: StageContext): Refusal | Step<S>[]
  /** Forgets cached lists before a re-read (default: every list of the management snapshot). */
  refresh?(env: StageEnv): void
  /** A check before anything changes that may refuse by throwing (the kubernetes stage's pre-flight of the cluster itself). */
  gate?(state: S, ctx: StageContext): Promise<unknown>
  /** Wording of the outcome (defaults: `already at target`, `upgraded: <steps>`). */
  report?: {
    skipped?(state: S, evaluated: StepState): string | Worded
    done?(run: DriveRun<S>): Worded
    dryRun?(run: DriveRun<S>): Worded
    /** Logged before the first step. */
    start?(state: S, evaluated: StepState): string
  }
}

/** What a gate found: it held (`passed`) or not (`failed`). */
export interface Verdict {
  passed: boolean
  /** Not passed yet, nothing wrong: the gate ends `deferred` (a soak that outlasts the job). */
  deferred?: boolean
  message: string
  evidence: string[]
  findings?: Finding[]
  outputs?: Record<string, string>
}

/** A gate: it reads and judges, changes nothing, and ends passed or failed. */
export interface GateStage<S> {
  name: PlanStage
  kind: 'gate'
  /** The done-condition's input (the run record's last result of the gate, or the fleet's steps). */
  read(env: StageEnv, cluster: string): Promise<S>
  evaluate(state: S): StepState
  /** The check itself. */
  check(ctx: StageContext): Promise<Verdict>
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds modules of every state type
export type AnyStage = UpgradeStage<any> | GateStage<any>

/** A loaded stage module plus what the driver derives from it (its done-condition, its run). */
export type StageModule = AnyStage & {
  /** The done-condition on a cluster: `evaluate(await read(env, cluster))`. */
  status(env: StageEnv, cluster: string): Promise<StepState>
  /** Runs the stage through the driver (no lock, no prerequisites: the executor adds those). */
  run(ctx: StageContext): Promise<StageOutcome>
}
