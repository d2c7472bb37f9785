// `verify`: reads the whole fleet back and checks every end-state step's done-condition (the
// stage table says which). Matrix jobs' outputs collapse on GitHub, so this reads live state
// rather than trusting outputs. With `wave: N` it is the gate before wave N: it fails when the
// management steps are not done or when failed/unfinished clusters of earlier waves exceed the
// rollout's failureThreshold (the number of failed clusters tolerated; 0, the default, halts on
// the first failure). A gate: it ends passed or failed.

import { WorkError } from '../core/errors.js'
import type { PlanStep } from '../core/plan.js'
import { formatSeconds, lastUpgrade, previousWave, soakAfter, soakDecision } from '../core/soak.js'
import { isPlanStage, stageRow } from '../core/stage-table.js'
import { pend, pendingTexts, type StepState } from '../core/step-state.js'
import { defineStage } from './drive.js'
import { sleep } from './flow.js'
import { readStepStates } from './step-states.js'
import type { GateStage, StageContext, StageEnv, Verdict } from './types.js'

interface StepCheck {
  step: PlanStep
  state: StepState
}

async function checkSteps(env: StageEnv, steps: PlanStep[]): Promise<StepCheck[]> {
  const states = await readStepStates(env, steps)
  return steps.map((step, i) => {
    const state = states[i]!
    return {
      step,
      state:
        state instanceof Error
          ? { done: false, evidence: [], pending: [pend('unreadable', `could not read: ${state.message}`)] }
          : state,
    }
  })
}

/** The steps whose done-condition is part of the fleet's end state (the stage table says which). */
const verifiable = (s: PlanStep) => stageRow(s.stage).endState

const pendingOf = (c: StepCheck, separator = ', ') => pendingTexts(c.state).join(separator)

const verify: GateStage<StepCheck[]> = {
  name: 'verify',
  kind: 'gate',
  read: (env) => checkSteps(env, env.plan.steps.filter(verifiable)),
  evaluate(checks) {
    const gaps = checks.filter((c) => !c.state.done)
    return {
      done: gaps.length === 0,
      evidence: checks.filter((c) => c.state.done).map((c) => `${c.step.id}: done`),
      pending: gaps.map((c) =>
        pend('not-at-target', `${c.step.id}: ${pendingOf(c) || 'not done'}`, c.step.id),
      ),
    }
  },
  check: (ctx) => (ctx.extra.wave === undefined ? verifyAll(ctx) : gateBeforeWave(ctx, ctx.extra.wave)),
}

async function verifyAll(ctx: StageContext): Promise<Verdict> {
  const checks = await checkSteps(ctx, ctx.plan.steps.filter(verifiable))
  const gaps = checks.filter((c) => !c.state.done)
  const deferred = await deferredClusters(ctx)
  for (const c of checks)
    ctx.reporter.info(
      `${c.state.done ? 'ok  ' : 'GAP '} ${c.step.id}${c.state.done ? '' : `: ${pendingOf(c)}`}`,
    )
  const evidence = checks.flatMap((c) => c.state.evidence.map((e) => `${c.step.id}: ${e}`))
  if (gaps.length > 0) {
    const lines = gaps.map(
      (c) =>
        `${c.step.id}: ${pendingOf(c) || 'not done'}${deferred.has(c.step.cluster) ? ' (deferred: outside its maintenance window)' : ''}`,
    )
    return {
      passed: false,
      message: `the fleet is not at the plan's target: ${gaps.length} of ${checks.length} step(s) not done:\n${lines.join('\n')}`,
      evidence,
    }
  }
  return {
    passed: true,
    message: `verified: all ${checks.length} steps of the plan are done (DKP ${ctx.target.dkp}, Kubernetes ${ctx.target.kubernetes})`,
    evidence,
  }
}

/**
 * Time kept before the deadline when a soak waits: the job started (checkout, dkp) before the
 * action took its deadline, and the health gates are read again after the wait.
 */
export const SOAK_MARGIN_MS = 5 * 60_000
/** Longest pause between two progress lines while soaking. */
const SOAK_PROGRESS_MS = 60_000

/**
 * The gate before wave N: the health gates, then the soak of wave N-1 (core/soak.ts). A soak
 * that ends before the job's deadline is waited out with progress lines, and the health gates
 * are read again; one that outlasts it ends the gate `deferred`, naming when to dispatch again.
 */
async function gateBeforeWave(ctx: StageContext, wave: number): Promise<Verdict> {
  const health = await verifyBeforeWave(ctx, wave)
  if (!health.passed) return health
  const previous = previousWave(ctx.plan, wave)
  if (previous === undefined) return health
  const soakSeconds = soakAfter(ctx.plan.rollout, previous)
  if (soakSeconds <= 0) return health
  const steps = ctx.plan.steps.filter((s) => s.wave === previous && stageRow(s.stage).kind === 'upgrade')
  const since = lastUpgrade(await ctx.record.entries({ fresh: true }), steps)
  const decision = soakDecision({
    soakSeconds,
    since,
    now: ctx.now().getTime(),
    limit: ctx.deadline - SOAK_MARGIN_MS,
  })
  const soak = `the soak of wave ${previous} (${formatSeconds(soakSeconds)})`
  if (decision.kind === 'pass') {
    const why =
      since === undefined
        ? 'nothing of it was upgraded by this plan'
        : `its last upgrade was at ${iso(since)}`
    return { ...health, message: `${health.message}; ${soak} is over: ${why}` }
  }
  const outputs = { 'soak-until': iso(decision.until) }
  if (decision.kind === 'defer') {
    return {
      passed: false,
      deferred: true,
      message: `wave ${wave} deferred: ${soak} runs until ${iso(decision.until)} (last upgrade ${iso(decision.since)}), past this job's time limit; start the upgrade again after ${iso(decision.until)} (the workflow: dispatch it again)`,
      evidence: health.evidence,
      outputs,
    }
  }
  for (
    let left = decision.until - ctx.now().getTime();
    left > 0;
    left = decision.until - ctx.now().getTime()
  ) {
    if (ctx.signal.aborted) throw new WorkError(`cancelled while waiting out ${soak}`)
    ctx.reporter.info(`soaking: ${soak} ends at ${iso(decision.until)}, ${formatSeconds(left / 1000)} left`)
    await sleep(Math.min(left, SOAK_PROGRESS_MS), ctx.signal)
  }
  // The fleet may have changed during the soak: the health gates decide again.
  const after = await verifyBeforeWave(ctx, wave)
  return after.passed
    ? { ...after, message: `${after.message}; ${soak} is over (it ended at ${iso(decision.until)})`, outputs }
    : after
}

const iso = (ms: number) => new Date(ms).toISOString()

async function verifyBeforeWave(ctx: StageContext, wave: number): Promise<Verdict> {
  const plan = ctx.plan
  if (!plan.waves.some((w) => w.wave === wave)) {
    throw new WorkError(
      `the plan has no wave ${wave} (waves: ${plan.waves.map((w) => w.wave).join(', ') || 'none'})`,
    )
  }
  const management = await checkSteps(
    ctx,
    plan.steps.filter((s) => s.wave === undefined && verifiable(s)),
  )
  const managementGaps = management.filter((c) => !c.state.done)
  if (managementGaps.length > 0) {
    return {
      passed: false,
      message: `wave ${wave} cannot start: management steps not done: ${managementGaps.map((c) => `${c.step.id} (${pendingOf(c)})`).join('; ')}`,
      evidence: management.filter((c) => c.state.done).map((c) => `${c.step.id}: done`),
    }
  }
  const earlier = plan.steps.filter((s) => s.wave !== undefined && s.wave < wave)
  const checks = await checkSteps(ctx, earlier)
  const unfinished = new Map<string, string[]>()
  for (const c of checks) {
    if (c.state.done) continue
    const list = unfinished.get(c.step.cluster) ?? []
    list.push(`${c.step.stage}: ${pendingOf(c) || 'not done'}`)
    unfinished.set(c.step.cluster, list)
  }
  const threshold = plan.rollout.failureThreshold
  const summary = [...unfinished].map(([cluster, why]) => `${cluster} (${why.join('; ')})`)
  const clusters = new Set(earlier.map((s) => s.cluster)).size
  const evidence = checks.filter((c) => c.state.done).map((c) => `${c.step.id}: done`)
  if (unfinished.size > threshold) {
    return {
      passed: false,
      message: `wave ${wave} halted: ${unfinished.size} cluster(s) of earlier waves failed or are unfinished, failureThreshold is ${threshold}: ${summary.join('; ')}`,
      evidence,
    }
  }
  return {
    passed: true,
    message:
      unfinished.size === 0
        ? `wave ${wave} may start: the management cluster and all ${clusters} cluster(s) of earlier waves are done`
        : `wave ${wave} may start: ${unfinished.size} unfinished cluster(s) of earlier waves are within the failureThreshold of ${threshold}: ${summary.join('; ')}`,
    evidence,
  }
}

/** Clusters whose last recorded upgrade step is `deferred` (outside their window); gates' entries do not count. */
async function deferredClusters(ctx: StageContext): Promise<Set<string>> {
  const entries = await ctx.record.entries()
  const last = new Map<string, string>()
  for (const e of entries)
    if (isPlanStage(e.stage) && stageRow(e.stage).kind === 'upgrade') last.set(e.cluster, e.status)
  return new Set([...last].filter(([, status]) => status === 'deferred').map(([c]) => c))
}

export const stage = defineStage(verify)
