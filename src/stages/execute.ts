// The executor both shells call: load the inventory, rebuild the plan (refusing a different
// digest), resolve the cluster, then for upgrade stages honour the pause marker and the
// maintenance window and take the cluster's lock; run the stage through the one driver
// (drive.ts: skip a step already at target, ask a step with work for its prerequisites from live
// state, refuse, act, wait, verify); record and publish the result. Cancellation and timeouts
// abort the stage and kill dkp; the workload clients and the temp kubeconfig go with the job.

import { tmpdir } from 'node:os'
import { InputError, messageOf, WorkError } from '../core/errors.js'
import { countBySeverity } from '../core/findings.js'
import { productOf } from '../core/providers.js'
import { checkArtifact } from '../core/report/artifact.js'
import { stageRow } from '../core/stage-table.js'
import { type PlanStage, type StageName, UPGRADE_ORDER } from '../core/stages.js'
import { TerminalError } from '../core/terminal.js'
import { toolVersion } from '../core/version.js'
import { describeWindow, inWindow, nextOpening } from '../core/window.js'
import { type DkpRunner, displayCommand } from '../effects/dkp-runner.js'
import { KubeError } from '../effects/kube.js'
import { type KubeconfigSource, removeTempKubeconfigs } from '../effects/kubeconfig.js'
import { ClusterLock } from '../effects/lease.js'
import type { Reporter } from '../effects/reporter.js'
import {
  closeEnv,
  connectManagement,
  type Loaded,
  loadPlan,
  makeEnv,
  resolveCluster,
  runnerIdentity,
} from './connect.js'
import { drive } from './drive.js'
import { pollMsFrom } from './flow.js'
import { loadStage } from './registry.js'
import { unmetPrerequisites, withoutRunning } from './step-states.js'
import type {
  JobPlace,
  Runner,
  StageContext,
  StageEnv,
  StageModule,
  StageOutcome,
  StageResult,
} from './types.js'

export { connectManagement, loadPlan, makeEnv, resolveCluster, runnerIdentity } from './connect.js'
export { resultSummary } from './result-summary.js'

export interface DkpSource {
  version?: string
  sha256?: string
  downloadUrl?: string
  path?: string
  /**
   * A pre-installed CLI by name when `path` is unset (the local CLI: `dkp` or `nkp` found on
   * PATH); the target's product picks the name, `nkp` for NKP 2.12+.
   */
  pathOf?: (cli: 'dkp' | 'nkp') => string | undefined
  requireChecksum: boolean
  /** The tarball cache shared between fresh runners (input `dkp-cache-dir`; docs/installer.md). */
  cacheDir?: string
}

export interface RunOptions {
  stage: StageName
  inventory: string | string[]
  cluster?: string
  wave?: number
  planDigest?: string
  kubeconfig: KubeconfigSource
  /** CLI: fall back to $KUBECONFIG. */
  allowKubeconfigEnv: boolean
  target?: string
  targetKubernetes?: string
  /** The hop of a multi-hop plan this run performs (the plan job's `hop` output). */
  hop?: string
  dkp: DkpSource
  dryRun: boolean
  timeoutMs: number
  manifests?: string
  failOn: 'error' | 'warning' | 'none'
  /** `check`: the previous run's JSON report, for the summary's trend line. */
  previousReport?: string
  reason?: string
  /** The job's environment: provider credentials for dkp, `DKP_FLEET_POLL_MS`, `RUNNER_TEMP`, `DKP_FLEET_VERSION`. */
  env: NodeJS.ProcessEnv
  cwd: string
  /** Where reports go (default: `RUNNER_TEMP` of `env`, else the OS temp dir). */
  reportDir?: string
  /** Told when the job holds a lock or temp files (the action saves them for the post step). */
  onState?: (state: JobState) => void
  /** Told the directory of the dkp binary once resolved (the action adds it to PATH). */
  onDkp?: (dir: string) => void
  /** Aborts the stage (SIGTERM, cancellation). */
  signal?: AbortSignal
  now?: () => Date
}

/** What the post step needs to clean up after a cancelled or crashed job. */
export interface JobState {
  lock?: { namespace: string; cluster: string; holder: string }
  tempDirs?: string[]
  stepId?: string
  started?: string
  finished?: boolean
}

/** What the lock release and the record write may take after the stage ended. */
export const CLEANUP_MS = 20_000
const CLEANUP_WHAT = `the ${CLEANUP_MS / 1000} s after the stage for releasing the lock and writing the run record`

/** The stages in plan order, for help texts. */
export const RUNNABLE_STAGES = UPGRADE_ORDER

/** One stage job: what it runs, on what, and what it holds. */
interface Job {
  options: RunOptions
  reporter: Reporter
  stage: PlanStage
  cluster: string
  stepId: string
  loaded: Loaded
  module: StageModule
  runner: Runner
  started: Date
  now: () => Date
  /** Lock, temp files: told to the post step as they come and go. */
  state: JobState
  dkpRunner?: DkpRunner
  /** The one install of dkp, however many checks ask for it at once (verify reads clusters in parallel). */
  installing?: Promise<DkpRunner>
  kubeconfigPath: string
}

/** Runs one stage end to end and returns its result (status `failed` is returned, not thrown). */
export async function runStage(options: RunOptions, reporter: Reporter): Promise<StageResult> {
  const stage = options.stage
  if (
    stage === 'plan' ||
    stage === 'status' ||
    stage === 'pause' ||
    stage === 'resume' ||
    stage === 'fetch-dkp'
  ) {
    throw new InputError(`stage ${stage} is not run by the stage executor`)
  }
  const now = options.now ?? (() => new Date())
  const started = now()
  const loaded = await loadPlan(options, reporter)
  const cluster = resolveCluster(stage, loaded.inventory, options.cluster)
  const stepId = `${stage}:${cluster}`
  const job: Job = {
    options,
    reporter,
    stage,
    cluster,
    stepId,
    loaded,
    module: await loadStage(stage),
    runner: runnerIdentity(options.env),
    started,
    now,
    // The job state exists before anything can throw: the temp kubeconfig's directory is in it
    // the moment it is made, so the post step (action) removes it whatever happens next.
    state: { stepId, started: started.toISOString(), tempDirs: [] },
    kubeconfigPath: '',
  }
  const early = withoutRunning(loaded, stage, stepId)
  if (early) return publish(job, finish(job, early), early)
  const connected = await connectManagement(
    loaded.inventory,
    {
      ...options,
      onTempDir: (dir) => {
        job.state.tempDirs!.push(dir)
        options.onState?.(job.state)
      },
      // No API call outlives the stage's timeout; the cleanup after it gets its own budget below.
      kube: { deadline: { at: started.getTime() + options.timeoutMs, what: timeoutWhat(options.timeoutMs) } },
    },
    reporter,
  )
  job.kubeconfigPath = connected.kubeconfigPath
  const { kube } = connected
  reporter.info(
    `management cluster ${loaded.inventory.management.name}: ${kube.server} (kubeconfig from ${connected.from})`,
  )
  const timeout = AbortSignal.timeout(options.timeoutMs)
  const signals = [timeout, ...(options.signal ? [options.signal] : [])]
  const env = makeEnv(loaded, kube, {
    signal: AbortSignal.any(signals),
    now,
    dkp: () => resolveDkp(job),
    reporter,
    pollMs: pollMsFrom(options.env),
  })
  try {
    return await runConnected(job, env, signals, timeout)
  } finally {
    closeEnv(env)
    removeTempKubeconfigs(job.state.tempDirs)
    kube.close()
  }
}

/** The stage on a connected management cluster: gates, lock, the driver, release, record. */
async function runConnected(
  job: Job,
  env: StageEnv,
  signals: AbortSignal[],
  timeout: AbortSignal,
): Promise<StageResult> {
  const { options, reporter, cluster } = job
  const mutating = stageRow(job.stage).kind === 'upgrade'
  let lock: ClusterLock | undefined
  /** Why this run's lock was taken over by another run (then nothing is recorded). */
  let lost: string | undefined
  /** What the stage found before acting: `from` survives a failure later on. */
  const found: { from?: string } = {}
  let outcome: StageOutcome
  try {
    outcome = await guarded(async () => {
      if (mutating && !options.dryRun) {
        const deferred = await deferral(job, env)
        if (deferred) return deferred
        lock = await takeLock(job, env)
        signals.push(lock.lost)
      }
      const ctx = context(job, env, AbortSignal.any(signals), found)
      return drive(job.module, ctx, { prerequisites: () => unmetPrerequisites(job.stage, env, cluster) })
    }, AbortSignal.any(signals))
  } catch (err) {
    outcome = failed(job, err, found, timeout)
  } finally {
    // The stage is over (done, failed, timed out or cancelled): releasing the lock and writing
    // the run record get a short budget of their own, so timeout-minutes bounds the whole run
    // (up to CLEANUP_MS more) even when the management API stopped answering.
    env.kube.deadline = { at: Date.now() + CLEANUP_MS, what: CLEANUP_WHAT }
    lost = await releaseLock(job, lock)
  }
  let result = finish(job, outcome)
  if (lost !== undefined) {
    // Another run holds (or held) the cluster since: its result stands. This run says so and
    // records nothing over it.
    const ended = `${result.status}${result.message ? `: ${result.message.split('\n')[0]}` : ''}`
    result = {
      ...result,
      status: 'failed',
      message: `this run lost the lock on ${cluster} (${lost}); its own result (${ended}) is not recorded over the newer holder's. See \`dkp-fleet status\`, and re-run ${job.stepId} if it is not done`,
    }
    reporter.warning(`lost the lock on ${cluster}: ${lost}`)
  }
  // Every stage is recorded (gates too: the record is where a passed check is kept); a dry run
  // never is, nor a deferral that changed nothing (one that ran dkp first, paused between node
  // pools, is).
  if (lost === undefined && !options.dryRun && (result.status !== 'deferred' || result.commands.length > 0)) {
    const { badInput: _badInput, ...entry } = result
    await env.record
      .append({ ...entry, message: result.message?.slice(0, 2000) })
      .catch((err) => reporter.warning(`could not write the run record: ${messageOf(err)}`))
  }
  job.state.finished = true
  options.onState?.(job.state)
  return publish(job, result, outcome)
}

/** The fleet is paused, or the cluster is outside its maintenance window: deferred, nothing changed. */
async function deferral(job: Job, env: StageEnv): Promise<StageOutcome | undefined> {
  const paused = await env.record.pause()
  if (paused) {
    return {
      status: 'deferred',
      commands: [],
      message: `the fleet upgrade is paused by ${paused.by} since ${paused.at}: ${paused.reason} (run \`dkp-fleet resume\` or the resume stage to continue)`,
    }
  }
  const { inventory } = job.loaded
  const target = inventory.clusters.find((c) => c.name === job.cluster)
  const window =
    job.cluster === inventory.management.name
      ? inventory.management.window
      : target && !target.attached
        ? target.window
        : undefined
  if (window && !inWindow(window, job.now())) {
    const next = nextOpening(window, job.now())
    return {
      status: 'deferred',
      commands: [],
      message: `outside the maintenance window of ${job.cluster} (${describeWindow(window)}); it opens next at ${next?.toISOString() ?? 'unknown'}`,
    }
  }
  return undefined
}

async function takeLock(job: Job, env: StageEnv): Promise<ClusterLock> {
  const { namespace } = job.loaded.inventory.management
  const lock = await ClusterLock.acquire(env.kube, {
    namespace,
    cluster: job.cluster,
    holder: job.runner.holder,
    warn: (m) => job.reporter.warning(m),
    now: job.now,
  })
  job.state.lock = { namespace, cluster: job.cluster, holder: job.runner.holder }
  job.options.onState?.(job.state)
  return lock
}

/**
 * Releases the lock; a lock that could not be released (management API unreachable) stays in the
 * job state, so the post step releases it instead of leaving it to block the next run until it
 * expires. Returns why the lock was lost to another run, when it was.
 */
async function releaseLock(job: Job, lock: ClusterLock | undefined): Promise<string | undefined> {
  const release = await lock?.release().then(
    (r) => r,
    (err) => {
      job.reporter.warning(`could not release the lock on ${job.cluster}: ${messageOf(err)}`)
      return 'unknown' as const
    },
  )
  if (release === 'unknown') return undefined
  job.state.lock = undefined
  return release?.lost
}

function context(job: Job, env: StageEnv, signal: AbortSignal, found: { from?: string }): StageContext {
  const { options } = job
  const place: JobPlace = {
    cwd: options.cwd,
    reportDir: options.reportDir ?? (options.env.RUNNER_TEMP || tmpdir()),
    toolVersion: toolVersion(options.env),
  }
  const artifact = checkArtifact(options.env)
  if (artifact) place.reportArtifact = artifact
  const ctx: StageContext = {
    ...env,
    signal,
    stage: job.stage,
    cluster: job.cluster,
    kubeconfigPath: job.kubeconfigPath,
    dkp: () => resolveDkp(job),
    reporter: job.reporter,
    runner: job.runner,
    dryRun: options.dryRun,
    deadline: Date.now() + options.timeoutMs,
    found,
    extra: {
      manifests: options.manifests,
      failOn: options.failOn,
      previousReport: options.previousReport,
      wave: options.wave,
      reason: options.reason,
    },
    place,
  }
  const managed = job.loaded.inventory.clusters.find((c) => c.name === job.cluster)
  if (managed && !managed.attached) ctx.managed = managed
  return ctx
}

/** A stage that threw: failed (cancelled when the job was), naming a timeout and the dkp it killed. */
function failed(job: Job, err: unknown, found: { from?: string }, timeout: AbortSignal): StageOutcome {
  const { options, dkpRunner } = job
  const cancelled = options.signal?.aborted === true
  // A timeout or cancellation kills dkp mid-command: name it and show where its output stopped.
  const killed = dkpRunner?.running ? ` while running ${dkpRunner.running} (killed)` : ''
  const lastOutput =
    killed && dkpRunner?.lastOutput.length
      ? `; last output:\n${dkpRunner.lastOutput.map((l) => `  ${l}`).join('\n')}`
      : ''
  const outcome: StageOutcome & { badInput?: true } = {
    status: cancelled ? 'cancelled' : 'failed',
    commands: [],
    ...(found.from ? { from: found.from } : {}),
    // a terminal state (a failed MachineDeployment, an exhausted HelmRelease, a failed Backup…)
    ...(err instanceof TerminalError ? { failure: err.failure } : {}),
    // The stage's own deadline cut an API call a moment before the timeout signal fired: the same timeout.
    message:
      timeout.aborted || (err instanceof KubeError && err.timedOut === 'deadline')
        ? `timed out after ${duration(options.timeoutMs)}${killed}: ${messageOf(err)}${lastOutput}`
        : cancelled && killed
          ? `${messageOf(err)}${killed}${lastOutput}`
          : messageOf(err),
  }
  // A refusal of bad input (a path that skips a minor or goes backwards): exit code 2.
  if (err instanceof InputError) outcome.badInput = true
  return outcome
}

/** The result from an outcome: times, ids, the commands run (or that would run). */
function finish(job: Job, outcome: StageOutcome & { badInput?: true }): StageResult {
  const { plan } = job.loaded
  const result: StageResult = {
    stage: job.stage,
    cluster: job.cluster,
    status: outcome.status,
    started: job.started.toISOString(),
    finished: job.now().toISOString(),
    // A dry run lists what would run; otherwise what did run (also when a later command failed).
    commands: job.options.dryRun
      ? outcome.commands.map((c) => displayCommand(c, job.kubeconfigPath, productOf(plan.target.dkp)))
      : (job.dkpRunner?.executed ?? []),
    stepId: job.stepId,
    planDigest: plan.digest,
    runId: job.runner.runId,
    actor: job.runner.actor,
  }
  if (outcome.from) result.from = outcome.from
  const to = outcome.to ?? plan.steps.find((s) => s.id === job.stepId)?.to
  if (to) result.to = to
  if (outcome.message) result.message = outcome.message
  if (outcome.evidence?.length) result.evidence = outcome.evidence
  if (outcome.failure) result.failure = outcome.failure
  if (outcome.badInput) result.badInput = true
  // The inventory's reason for upgrading without a backup shows wherever the backup would have gated.
  if (plan.backupDisabled && (job.stage === 'kommander' || job.stage === 'backup'))
    result.evidence = [
      ...(result.evidence ?? []),
      `no pre-upgrade backup: backups are turned off for this fleet (${plan.backupDisabled})`,
    ]
  return result
}

/**
 * The job's outputs from its final result (the stage table's version outputs) and the stage's
 * own (a gate's findings, report and SARIF paths), published once for every stage.
 */
function publish(job: Job, result: StageResult, outcome: StageOutcome): StageResult {
  const outputs = { ...stageRow(job.stage).outputs?.(result), ...outcome.outputs }
  // A gate's findings reach the `findings` output (counts by severity) unless it set its own.
  if (outcome.findings && !outputs.findings)
    outputs.findings = JSON.stringify(countBySeverity(outcome.findings))
  for (const [name, value] of Object.entries(outputs)) job.reporter.output(name, value)
  return Object.keys(outputs).length > 0 ? { ...result, outputs } : result
}

/** `timeout-minutes 60`: names the stage's deadline in messages (the action input, the CLI flag). */
function timeoutWhat(ms: number): string {
  return `timeout-minutes ${Math.round((ms / 60_000) * 1000) / 1000}`
}

function duration(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} minute(s)` : `${Math.round(ms / 1000)} s`
}

/** Runs `fn`, rejecting as soon as `signal` aborts (the stage's own awaits may not see it). */
function guarded<T>(fn: () => Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new WorkError('cancelled'))
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    fn()
      .then(resolve, reject)
      .finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/**
 * The dkp binary, installed (or checked) on first use: skipped stages never download it. One
 * install per stage: the first call installs, the others wait for it.
 */
function resolveDkp(job: Job): Promise<DkpRunner> {
  job.installing ??= installDkp(job)
  return job.installing
}

async function installDkp(job: Job): Promise<DkpRunner> {
  const { options, reporter } = job
  const { DkpRunner } = await import('../effects/dkp-runner.js')
  const { installDkpForStage } = await import('./dkp-binary.js')
  const binary = await installDkpForStage(
    options.dkp,
    job.loaded.plan.target.dkp,
    reporter,
    options.env,
    (r) => options.onDkp?.(r.dir),
  )
  const kubeconfigEnv = job.loaded.inventory.management.kubeconfigEnv
  job.dkpRunner ??= new DkpRunner({
    binary,
    kubeconfigPath: job.kubeconfigPath,
    cli: productOf(job.loaded.plan.target.dkp),
    env: options.env,
    // dkp reads the 0600 file named by --kubeconfig, never the kubeconfig content.
    omitEnv: ['INPUT_KUBECONFIG', ...(kubeconfigEnv ? [kubeconfigEnv] : [])],
    onLine: (line) => (reporter.detail ? reporter.detail(line) : reporter.info(line)),
  })
  return job.dkpRunner
}
