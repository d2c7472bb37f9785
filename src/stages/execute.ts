// The executor both shells call: load the inventory, rebuild the plan (refusing a different
// digest), resolve the cluster, then for mutating stages honour the pause marker and the
// maintenance window, take the cluster's lock, skip a step already at target, check the
// prerequisites of a step that has work from live state, run the stage module, and
// record/publish the result. Cancellation and timeouts abort the stage and kill dkp.

import { hostname, userInfo } from 'node:os'
import { InputError, messageOf, WorkError } from '../core/errors.js'
import { code, escapeHtml, escapeHtmlBlock, mdTable } from '../core/markdown.js'
import type { Inventory } from '../core/model.js'
import { buildPlan, type Plan } from '../core/plan.js'
import { PER_CLUSTER_STAGES, type PlanStage, type StageName, UPGRADE_ORDER } from '../core/stages.js'
import { describeWindow, inWindow, nextOpening } from '../core/window.js'
import { type DkpRunner, displayCommand } from '../effects/dkp-runner.js'
import { loadInventory } from '../effects/inventory-files.js'
import { Kube, KubeError, type KubeOptions } from '../effects/kube.js'
import {
  type KubeconfigSource,
  managementKubeconfig,
  managementTransportWarnings,
  maskKubeconfig,
  removeTempKubeconfigs,
  writeTempKubeconfig,
} from '../effects/kubeconfig.js'
import { ClusterLock } from '../effects/lease.js'
import type { Reporter } from '../effects/reporter.js'
import { RunRecord } from '../effects/run-record.js'
import { reportInventoryWarnings } from './plan.js'
import { loadStage } from './registry.js'
import { Snapshot } from './snapshot.js'
import { TerminalError } from './terminal.js'
import type { Runner, StageContext, StageEnv, StageModule, StageOutcome, StageResult } from './types.js'

export interface DkpSource {
  version?: string
  sha256?: string
  downloadUrl?: string
  path?: string
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
  dkp: DkpSource
  dryRun: boolean
  timeoutMs: number
  manifests?: string
  failOn: 'error' | 'warning' | 'none'
  reason?: string
  env: NodeJS.ProcessEnv
  cwd: string
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

export function runnerIdentity(env: NodeJS.ProcessEnv): Runner {
  if (env.GITHUB_RUN_ID) {
    const runId = `${env.GITHUB_REPOSITORY ?? 'repo'}/actions/runs/${env.GITHUB_RUN_ID}/attempts/${env.GITHUB_RUN_ATTEMPT ?? '1'}`
    return {
      runId,
      actor: env.GITHUB_ACTOR ?? 'github-actions',
      holder: `${runId} job ${env.GITHUB_JOB ?? '?'}`,
    }
  }
  let user = 'unknown'
  try {
    user = userInfo().username
  } catch {}
  const host = hostname()
  return {
    runId: `local:${host}:${process.pid}`,
    actor: `${user}@${host}`,
    holder: `${user}@${host} pid ${process.pid}`,
  }
}

export interface Loaded {
  inventory: Inventory
  plan: Plan
}

export async function loadPlan(
  options: Pick<RunOptions, 'inventory' | 'cwd' | 'target' | 'targetKubernetes' | 'planDigest'>,
  reporter: Reporter,
): Promise<Loaded> {
  const { inventory, warnings } = await loadInventory(options.inventory, options.cwd)
  reportInventoryWarnings(warnings, reporter)
  const plan = buildPlan(inventory, { targetDkp: options.target, targetKubernetes: options.targetKubernetes })
  if (options.planDigest && options.planDigest !== plan.digest) {
    throw new InputError(
      `this job's plan (${plan.digest}) differs from the plan job's (${options.planDigest}): the inventory or the target changed between jobs; re-run the whole workflow from the plan job`,
    )
  }
  return { inventory, plan }
}

/** The cluster a stage acts on, validated against the inventory. */
export function resolveCluster(stage: PlanStage, inventory: Inventory, requested?: string): string {
  const mgmt = inventory.management.name
  if (!PER_CLUSTER_STAGES.has(stage)) {
    if (requested && requested !== mgmt) {
      throw new InputError(
        `stage ${stage} runs on the management cluster ${mgmt}; cluster "${requested}" does not apply`,
      )
    }
    return mgmt
  }
  if (!requested) {
    throw new InputError(
      `stage ${stage} needs the cluster input: the management cluster (${mgmt}) or a managed cluster from the matrix`,
    )
  }
  if (requested === mgmt) return mgmt
  const cluster = inventory.clusters.find((c) => c.name === requested)
  if (!cluster) {
    const names = inventory.clusters.filter((c) => !c.attached).map((c) => c.name)
    throw new InputError(
      `unknown cluster "${requested}": not the management cluster (${mgmt}) nor a managed cluster of the inventory (${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''})`,
    )
  }
  if (cluster.attached) {
    throw new InputError(
      cluster.provider
        ? `cluster ${requested} (${cluster.provider}) is planned like an attached cluster: dkp ${inventory.target.dkp} has no ${cluster.provider} provider, so DKP does not run ${stage} on it (upgrade its Kubernetes with its provider's tools; \`dkp-fleet plan\` shows the command)`
        : `cluster ${requested} is attached: DKP does not run ${stage} on it (upgrade its Kubernetes with its provider's tools)`,
    )
  }
  return requested
}

/**
 * The management cluster's client and a 0600 copy of its kubeconfig for dkp. The kubeconfig is
 * checked before the copy is written (a malformed one, or one without a usable context, leaves
 * nothing behind); the copy's directory is registered for removal before it is written and
 * `onTempDir` is told at once (the action saves it for the post step).
 */
export async function connectManagement(
  inventory: Inventory | undefined,
  options: Pick<RunOptions, 'kubeconfig' | 'env' | 'allowKubeconfigEnv'> & {
    onTempDir?: (dir: string) => void
    kube?: KubeOptions
  },
  reporter: Reporter,
): Promise<{ kube: Kube; kubeconfigPath: string; from: string }> {
  const { content, from } = managementKubeconfig(inventory, options.kubeconfig, options.env, {
    allowKubeconfigEnv: options.allowKubeconfigEnv,
  })
  maskKubeconfig(content, reporter)
  let kube: Kube
  try {
    kube = Kube.fromString(content, options.kube)
  } catch (err) {
    throw new InputError(`the management kubeconfig from ${from} cannot be used: ${messageOf(err)}`)
  }
  for (const w of managementTransportWarnings(kube, from)) reporter.warning(w)
  const kubeconfigPath = writeTempKubeconfig(content, 'mgmt', options.onTempDir)
  return { kube, kubeconfigPath, from }
}

export function makeEnv(
  loaded: Loaded,
  kube: Kube,
  signal: AbortSignal,
  now: () => Date,
  dkp?: () => Promise<DkpRunner>,
  reporter?: Pick<Reporter, 'secret'>,
): StageEnv {
  const env: StageEnv = {
    inventory: loaded.inventory,
    plan: loaded.plan,
    target: loaded.plan.target,
    kube,
    snapshot: new Snapshot(kube),
    record: new RunRecord(kube, loaded.inventory.management.namespace, loaded.inventory.fleet),
    signal,
    now,
  }
  if (dkp) env.dkp = dkp
  if (reporter) env.reporter = reporter
  return env
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
  const runner = runnerIdentity(options.env)
  const loaded = await loadPlan(options, reporter)
  const { inventory, plan } = loaded
  const cluster = resolveCluster(stage, inventory, options.cluster)
  const stepId = `${stage}:${cluster}`
  const module = await loadStage(stage)

  const base = {
    stage,
    cluster,
    stepId,
    planDigest: plan.digest,
    runId: runner.runId,
    actor: runner.actor,
    to: plan.steps.find((s) => s.id === stepId)?.to,
  }
  // Declared before finish(): the early "nothing to do" return calls it before the management
  // cluster is connected and any dkp is resolved.
  let dkpRunner: DkpRunner | undefined
  let kubeconfigPath = ''
  const finish = (outcome: StageOutcome): StageResult => {
    const result: StageResult = {
      stage,
      cluster,
      status: outcome.status,
      started: started.toISOString(),
      finished: now().toISOString(),
      // A dry run lists what would run; otherwise what did run (also when a later command failed).
      commands: options.dryRun
        ? outcome.commands.map((c) => displayCommand(c, kubeconfigPath))
        : (dkpRunner?.executed ?? []),
      stepId,
      planDigest: plan.digest,
      runId: runner.runId,
      actor: runner.actor,
    }
    if (outcome.from) result.from = outcome.from
    const to = outcome.to ?? base.to
    if (to) result.to = to
    if (outcome.message) result.message = outcome.message
    if (outcome.evidence?.length) result.evidence = outcome.evidence
    if (outcome.failure) result.failure = outcome.failure
    // The inventory's reason for upgrading without a backup shows wherever the backup would have gated.
    if (plan.backupDisabled && (stage === 'kommander' || stage === 'backup'))
      result.evidence = [
        ...(result.evidence ?? []),
        `no pre-upgrade backup: backups are turned off for this fleet (${plan.backupDisabled})`,
      ]
    return result
  }

  if (!plan.steps.some((s) => s.id === stepId)) {
    const message =
      stage === 'backup' && plan.backupDisabled
        ? `backups are turned off for this fleet: ${plan.backupDisabled}`
        : `nothing to do: the plan has no ${stepId} step (no ${stage} work in this inventory)`
    return finish({ status: 'skipped', commands: [], message })
  }

  // The job state exists before anything can throw: the temp kubeconfig's directory is in it
  // the moment it is made, so the post step (action) removes it whatever happens next.
  const state: JobState = { stepId, started: started.toISOString(), tempDirs: [] }
  const connected = await connectManagement(
    inventory,
    {
      ...options,
      onTempDir: (dir) => {
        state.tempDirs!.push(dir)
        options.onState?.(state)
      },
      // No API call outlives the stage's timeout; the cleanup after it gets its own budget below.
      kube: { deadline: { at: started.getTime() + options.timeoutMs, what: timeoutWhat(options.timeoutMs) } },
    },
    reporter,
  )
  const { kube, from } = connected
  kubeconfigPath = connected.kubeconfigPath
  try {
    return await runConnected(kube, from)
  } finally {
    removeTempKubeconfigs(state.tempDirs)
    kube.close()
  }

  async function runConnected(kube: Kube, from: string): Promise<StageResult> {
    reporter.info(`management cluster ${inventory.management.name}: ${kube.server} (kubeconfig from ${from})`)
    const timeout = AbortSignal.timeout(options.timeoutMs)
    const signals = [timeout, ...(options.signal ? [options.signal] : [])]
    let lock: ClusterLock | undefined
    /** Why this run's lock was taken over by another run (then nothing is recorded). */
    let lost: string | undefined
    /** What the stage found before acting: `from` survives a failure later on. */
    const found: { from?: string } = {}
    // One install per stage, however many checks ask for dkp at once (verify checks clusters
    // in parallel): the first call installs, the others wait for it.
    let installing: Promise<DkpRunner> | undefined
    const dkp = async () => {
      installing ??= resolveDkp(options, plan, kubeconfigPath, reporter, inventory.management.kubeconfigEnv)
      dkpRunner = await installing
      return dkpRunner
    }
    const env = makeEnv(loaded, kube, AbortSignal.any(signals), now, dkp, reporter)
    let outcome: StageOutcome
    try {
      outcome = await guarded(async () => {
        if (module.mutating && !options.dryRun) {
          const paused = await env.record.pause()
          if (paused) {
            return {
              status: 'deferred',
              commands: [],
              message: `the fleet upgrade is paused by ${paused.by} since ${paused.at}: ${paused.reason} (run \`dkp-fleet resume\` or the resume stage to continue)`,
            } satisfies StageOutcome
          }
          const target = inventory.clusters.find((c) => c.name === cluster)
          const window =
            cluster === inventory.management.name
              ? inventory.management.window
              : target && !target.attached
                ? target.window
                : undefined
          if (window && !inWindow(window, now())) {
            const next = nextOpening(window, now())
            return {
              status: 'deferred',
              commands: [],
              message: `outside the maintenance window of ${cluster} (${describeWindow(window)}); it opens next at ${next?.toISOString() ?? 'unknown'}`,
            } satisfies StageOutcome
          }
          lock = await ClusterLock.acquire(kube, {
            namespace: inventory.management.namespace,
            cluster,
            holder: runner.holder,
            warn: (m) => reporter.warning(m),
            now,
          })
          signals.push(lock.lost)
          state.lock = { namespace: inventory.management.namespace, cluster, holder: runner.holder }
          options.onState?.(state)
        }
        const ctx: StageContext = {
          ...env,
          signal: AbortSignal.any(signals),
          stage: stage as PlanStage, // narrowed above (plan/status/pause/resume refused)
          cluster,
          kubeconfigPath,
          dkp,
          reporter,
          runner,
          dryRun: options.dryRun,
          deadline: Date.now() + options.timeoutMs,
          found,
          extra: {
            manifests: options.manifests,
            failOn: options.failOn,
            wave: options.wave,
            reason: options.reason,
          },
        }
        const managed = inventory.clusters.find((c) => c.name === cluster)
        if (managed && !managed.attached) ctx.managed = managed
        // A step already at target is skipped before its prerequisites are asked for: only a step
        // that has work checks them (design.md). The module re-reads the same cached lists and
        // reports its own skip (outputs, evidence). Gates (check, custom-apps, verify) always run.
        if (module.mutating && (await module.status(env, cluster)).done) return module.run(ctx)
        const unmet = await unmetPrerequisites(module, env, cluster)
        if (unmet.length === 0) return module.run(ctx)
        const message = `refusing to start ${stepId}: ${unmet.join('; ')}`
        if (!options.dryRun) throw new WorkError(message)
        // A dry run of a whole pipeline meets unmet prerequisites at every stage after the first:
        // still show what this stage would run against the cluster as it is now.
        const note = `a real run would wait: ${unmet.join('; ')}`
        try {
          const preview = await module.run(ctx)
          return {
            ...preview,
            status: 'dry-run',
            message: preview.message ? `${preview.message}; ${note}` : note,
          }
        } catch (err) {
          return {
            status: 'dry-run',
            commands: [],
            message: `${note}; with the cluster as it is now: ${messageOf(err)}`,
          }
        }
      }, AbortSignal.any(signals))
    } catch (err) {
      const cancelled = options.signal?.aborted === true
      // A timeout or cancellation kills dkp mid-command: name it and show where its output stopped.
      const killed = dkpRunner?.running ? ` while running ${dkpRunner.running} (killed)` : ''
      const lastOutput =
        killed && dkpRunner?.lastOutput.length
          ? `; last output:\n${dkpRunner.lastOutput.map((l) => `  ${l}`).join('\n')}`
          : ''
      outcome = {
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
    } finally {
      // The stage is over (done, failed, timed out or cancelled): releasing the lock and writing
      // the run record get a short budget of their own, so timeout-minutes bounds the whole run
      // (up to CLEANUP_MS more) even when the management API stopped answering.
      kube.deadline = { at: Date.now() + CLEANUP_MS, what: CLEANUP_WHAT }
      // A lock that could not be released (management API unreachable) stays in the job state, so
      // the post step releases it instead of leaving it to block the next run until it expires.
      const release = await lock?.release().then(
        (r) => r,
        (err) => {
          reporter.warning(`could not release the lock on ${cluster}: ${messageOf(err)}`)
          return 'unknown' as const
        },
      )
      if (release !== 'unknown') state.lock = undefined
      if (release !== 'unknown' && release?.lost) lost = release.lost
    }
    let result = finish(outcome)
    if (lost !== undefined) {
      // Another run holds (or held) the cluster since: its result stands. This run says so and
      // records nothing over it.
      const ended = `${result.status}${result.message ? `: ${result.message.split('\n')[0]}` : ''}`
      result = {
        ...result,
        status: 'failed',
        message: `this run lost the lock on ${cluster} (${lost}); its own result (${ended}) is not recorded over the newer holder's. See \`dkp-fleet status\`, and re-run ${stepId} if it is not done`,
      }
      reporter.warning(`lost the lock on ${cluster}: ${lost}`)
    }
    // A deferral that changed nothing is not recorded; one that ran dkp first (paused between node pools) is.
    if (
      lost === undefined &&
      !options.dryRun &&
      module.mutating &&
      (result.status !== 'deferred' || result.commands.length > 0)
    ) {
      await env.record
        .append({ ...result, commands: result.commands, message: result.message?.slice(0, 2000) })
        .catch((err) => reporter.warning(`could not write the run record: ${messageOf(err)}`))
    }
    state.finished = true
    options.onState?.(state)
    return result
  }
}

/** What the lock release and the run record write may take after the stage ended. */
export const CLEANUP_MS = 20_000
const CLEANUP_WHAT = `the ${CLEANUP_MS / 1000} s after the stage for releasing the lock and writing the run record`

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

async function unmetPrerequisites(module: StageModule, env: StageEnv, cluster: string): Promise<string[]> {
  const unmet: string[] = []
  for (const req of module.requires(cluster, env)) {
    if (!env.plan.steps.some((s) => s.id === `${req.stage}:${req.cluster}`)) continue
    const other = await loadStage(req.stage)
    const state = await other.status(env, req.cluster)
    if (!state.done)
      unmet.push(
        `${req.stage} is not done on ${req.cluster} (${state.pending.join(', ') || 'not at target'})`,
      )
  }
  return unmet
}

async function resolveDkp(
  options: RunOptions,
  plan: Plan,
  kubeconfigPath: string,
  reporter: Reporter,
  kubeconfigEnv: string | undefined,
): Promise<DkpRunner> {
  const { DkpRunner } = await import('../effects/dkp-runner.js')
  const { installDkpForStage } = await import('./dkp-binary.js')
  const binary = await installDkpForStage(options.dkp, plan.target.dkp, reporter, options.env, (r) =>
    options.onDkp?.(r.dir),
  )
  return new DkpRunner({
    binary,
    kubeconfigPath,
    env: options.env,
    // dkp reads the 0600 file named by --kubeconfig, never the kubeconfig content.
    omitEnv: ['INPUT_KUBECONFIG', ...(kubeconfigEnv ? [kubeconfigEnv] : [])],
    onLine: (line) => (reporter.detail ? reporter.detail(line) : reporter.info(line)),
  })
}

/** The stages in plan order, for help texts. */
export const RUNNABLE_STAGES = UPGRADE_ORDER

/** Markdown for the job summary: a table of the result and the exact commands. */
export function resultSummary(result: StageResult): string {
  const lines = [
    `## ${escapeHtml(result.stage)} on ${escapeHtml(result.cluster)}: ${statusIcon(result.status)} ${escapeHtml(result.status)}`,
    '',
    mdTable(
      ['step', 'status', 'from', 'to', 'started', 'finished'],
      [[result.stepId, result.status, result.from ?? '', result.to ?? '', result.started, result.finished]],
    ),
  ]
  if (result.message)
    lines.push(
      '',
      result.status === 'failed'
        ? `**Failed:** ${escapeHtml(result.message.split('\n')[0]!)}`
        : escapeHtml(result.message.split('\n')[0]!),
    )
  if (result.message?.includes('\n')) {
    lines.push(
      '',
      '<details><summary>Details and last output</summary>',
      '',
      `<pre>${escapeHtmlBlock(result.message)}</pre>`,
      '',
      '</details>',
    )
  }
  if (result.failure) {
    const f = result.failure
    lines.push(
      '',
      mdTable(['object', 'reason', 'message', 'next'], [[f.object, f.reason, f.message, f.next]]),
    )
  }
  if (result.commands.length > 0) {
    lines.push('', result.status === 'dry-run' ? 'Commands that would run:' : 'Commands run:', '')
    for (const c of result.commands) lines.push(`- ${code(c)}`)
  }
  if (result.evidence?.length) {
    lines.push('', '<details><summary>Evidence</summary>', '')
    for (const e of result.evidence) lines.push(`- ${escapeHtml(e)}`)
    lines.push('', '</details>')
  }
  return `${lines.join('\n')}\n`
}

function statusIcon(status: StageResult['status']): string {
  return { upgraded: '✅', skipped: '⏭️', failed: '❌', cancelled: '🛑', deferred: '⏸️', 'dry-run': '📝' }[
    status
  ]
}
