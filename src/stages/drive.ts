// The one driver every stage runs through. An upgrade stage: (1) read and judge its state, skip
// when done; (2) refuse with a typed reason (bad input exits 2); then for each step it describes
// (3) check for a pause (the executor checked before the first), (4) act — run dkp watching the
// part for terminal states, with progress lines, create an object, or nothing while something is
// under way — (5) wait for the part's done-condition, (6) re-read and verify every step, (7)
// report. A gate runs its check and ends passed or failed. The executor (execute.ts) adds the
// lock, the window, the prerequisites (asked only by a step with work) and the record.

import { InputError, messageOf, WorkError } from '../core/errors.js'
import { targetOf } from '../core/stage-table.js'
import { pendingTexts, type StepState } from '../core/step-state.js'
import { act, noteFrom, runWatching, waitFor } from './flow.js'
import type {
  AnyStage,
  DriveRun,
  GateStage,
  PartState,
  StageContext,
  StageEnv,
  StageModule,
  StageOutcome,
  Step,
  UpgradeStage,
  Worded,
} from './types.js'

export interface DriveHooks {
  /** What is not done among the step's prerequisites (asked only when the step has work). */
  prerequisites?: () => Promise<string[]>
}

/** A stage module with its derived done-condition and run. */
export function defineStage<M extends AnyStage>(module: M): M & StageModule {
  return Object.assign(module as M & AnyStage, {
    status: async (env: StageEnv, cluster: string): Promise<StepState> =>
      module.evaluate(await module.read(env, cluster)),
    run: (ctx: StageContext) => drive(module, ctx),
  })
}

export function drive(module: AnyStage, ctx: StageContext, hooks: DriveHooks = {}): Promise<StageOutcome> {
  return module.kind === 'gate' ? driveGate(module, ctx, hooks) : driveUpgrade(module, ctx, hooks)
}

/** Unmet prerequisites: a failure, or in a dry run a note on what a real run would wait for. */
async function waitNote(ctx: StageContext, hooks: DriveHooks): Promise<string | undefined> {
  const unmet = (await hooks.prerequisites?.()) ?? []
  if (unmet.length === 0) return undefined
  if (!ctx.dryRun) throw new WorkError(`refusing to start ${ctx.stage}:${ctx.cluster}: ${unmet.join('; ')}`)
  // A dry run of a whole pipeline meets unmet prerequisites at every stage after the first:
  // it still shows what this stage would run against the cluster as it is now.
  return `a real run would wait: ${unmet.join('; ')}`
}

async function driveGate<S>(gate: GateStage<S>, ctx: StageContext, hooks: DriveHooks): Promise<StageOutcome> {
  const note = await waitNote(ctx, hooks)
  let verdict: Awaited<ReturnType<GateStage<S>['check']>>
  try {
    verdict = await gate.check(ctx)
  } catch (err) {
    if (!note) throw err
    return {
      status: 'dry-run',
      commands: [],
      message: `${note}; with the cluster as it is now: ${messageOf(err)}`,
    }
  }
  const outcome: StageOutcome = {
    status: verdict.passed ? 'passed' : verdict.deferred ? 'deferred' : 'failed',
    commands: [],
    message: verdict.message,
    evidence: verdict.evidence,
  }
  if (verdict.findings) outcome.findings = verdict.findings
  if (verdict.outputs) outcome.outputs = verdict.outputs
  return note ? { ...outcome, status: 'dry-run', message: `${verdict.message}; ${note}` } : outcome
}

async function driveUpgrade<S>(
  stage: UpgradeStage<S>,
  ctx: StageContext,
  hooks: DriveHooks,
): Promise<StageOutcome> {
  const to = targetOf(stage.name, ctx.target)
  const before = await stage.read(ctx, ctx.cluster, true)
  const judged = stage.evaluate(before)
  // 1. A step already at target is skipped before its prerequisites are asked for.
  if (judged.done) {
    const said = stage.report?.skipped?.(before, judged)
    const worded = typeof said === 'string' ? { message: said } : say(ctx, said)
    const outcome: StageOutcome = {
      status: 'skipped',
      to,
      commands: [],
      message: worded.message ?? 'already at target',
      evidence: judged.evidence,
    }
    if (judged.from) outcome.from = judged.from
    return outcome
  }
  noteFrom(ctx, judged.from)
  const note = await waitNote(ctx, hooks)
  // 2. Refuse, naming why, before anything changes.
  const steps = stage.steps(before, ctx)
  if ('refused' in steps) {
    if (note)
      return {
        status: 'dry-run',
        commands: [],
        message: `${note}; with the cluster as it is now: ${steps.text}`,
      }
    throw steps.input ? new InputError(steps.text) : new WorkError(steps.text)
  }
  const gated = await gate(stage, ctx, before, note)
  if (gated) return gated
  const start =
    stage.report?.start?.(before, judged) ??
    `${ctx.stage}: ${pendingTexts(judged).join('; ') || 'not at target'}`
  if (start) ctx.reporter.info(start)
  const outcome: StageOutcome = {
    status: ctx.dryRun ? 'dry-run' : 'upgraded',
    to,
    commands: [],
    evidence: [],
  }
  if (judged.from) outcome.from = judged.from
  const run: DriveRun<S> = { before, after: before, steps, skipped: [], acted: [], notes: [] }
  const deferred = await takeSteps(stage, ctx, run, outcome)
  if (deferred) return deferred
  if (ctx.dryRun) {
    const worded = say(ctx, stage.report?.dryRun?.(run))
    const message = worded.message ?? `would upgrade: ${pendingTexts(judged).join('; ')}`
    outcome.message = note ? `${message}; ${note}` : message
    outcome.evidence = worded.evidence ?? run.skipped.flatMap((s) => s.done(before, false).evidence)
    return outcome
  }
  // 6. Every step's part holds on the last state read (a fresh read when nothing was waited for).
  if (run.acted.length === 0) run.after = await reread(stage, ctx)
  const off = steps.map((s) => s.done(run.after, run.acted.includes(s))).filter((p) => !p.done)
  if (off.length > 0)
    throw new WorkError(
      `${ctx.stage}:${ctx.cluster} is not at target after its steps: ${off.flatMap((p) => pendingTexts(p)).join('; ')}`,
    )
  // 7. Report.
  const worded = say(ctx, stage.report?.done?.(run))
  if (worded.message) outcome.message = worded.message
  outcome.evidence = worded.evidence ?? stage.evaluate(run.after).evidence
  return outcome
}

/** The stage's own check before acting; in a dry run waiting on prerequisites, its refusal is a note. */
async function gate<S>(
  stage: UpgradeStage<S>,
  ctx: StageContext,
  before: S,
  note: string | undefined,
): Promise<StageOutcome | undefined> {
  if (!stage.gate) return undefined
  try {
    await stage.gate(before, ctx)
    return undefined
  } catch (err) {
    if (!note) throw err
    return {
      status: 'dry-run',
      commands: [],
      message: `${note}; with the cluster as it is now: ${messageOf(err)}`,
    }
  }
}

/** Logs what a stage's wording asks to, and hands the wording on. */
function say(ctx: StageContext, worded: Worded | undefined): Worded {
  for (const line of worded?.info ?? []) ctx.reporter.info(line)
  for (const line of worded?.warnings ?? []) ctx.reporter.warning(line)
  return worded ?? {}
}

async function reread<S>(stage: UpgradeStage<S>, ctx: StageContext): Promise<S> {
  if (stage.refresh) stage.refresh(ctx)
  else ctx.snapshot.refresh()
  return stage.read(ctx, ctx.cluster, true)
}

/** Steps 3–5 for each step; a deferred outcome when the fleet was paused between steps. */
async function takeSteps<S>(
  stage: UpgradeStage<S>,
  ctx: StageContext,
  run: DriveRun<S>,
  outcome: StageOutcome,
): Promise<StageOutcome | undefined> {
  for (const [i, step] of run.steps.entries()) {
    const part = step.done(run.after, false)
    if (part.done) {
      ctx.reporter.info(
        step.skip?.log ?? `skip ${step.label}: already at target (${part.evidence.join('; ')})`,
      )
      run.notes.push(step.skip?.note ?? `${step.label}: skipped (already at target)`)
      run.skipped.push(step)
      continue
    }
    // 3. The executor checked the pause before the first step; each later one checks again.
    if (i > 0 && !ctx.dryRun) {
      const paused = await ctx.record.pause()
      if (paused) {
        return {
          ...outcome,
          status: 'deferred',
          message: `paused by ${paused.by} at ${paused.at} (${paused.reason}) before ${step.label}; done so far: ${run.notes.join('; ') || 'nothing'}. Run \`dkp-fleet resume\` and re-run this stage to continue with the remaining steps`,
        }
      }
    }
    run.acted.push(step)
    // 4. Act.
    await actOn(stage, ctx, run, step, part, outcome)
    if (ctx.dryRun) continue
    // 5. Wait for this step's part.
    await waitFor(ctx, step.label, async () => {
      run.after = await reread(stage, ctx)
      return step.done(run.after, true)
    })
  }
  return undefined
}

async function actOn<S>(
  stage: UpgradeStage<S>,
  ctx: StageContext,
  run: DriveRun<S>,
  step: Step<S>,
  part: PartState,
  outcome: StageOutcome,
): Promise<void> {
  const { action } = step
  if (action.kind === 'none') {
    ctx.reporter.info(action.log)
    run.notes.push(`${step.label}: ${ctx.dryRun ? 'would wait for' : 'waited for'} ${action.why}`)
    return
  }
  if (action.kind === 'create') {
    if (ctx.dryRun) ctx.reporter.info(`dry run: would ${action.preview}`)
    else await action.create(ctx)
    run.notes.push(`${step.label}: ${ctx.dryRun ? 'would create' : 'created'}`)
    return
  }
  outcome.commands.push(action.command)
  run.notes.push(`${step.label}: ${ctx.dryRun ? 'would update' : 'updated'}`)
  if (ctx.dryRun) return act(ctx, action.command)
  // Each change of the part's progress is logged while dkp runs (`--wait` keeps it running until
  // its rollout is done); a terminal state of the part kills dkp within one poll.
  let last = part.progress
  await runWatching(ctx, action.command, async () => {
    run.after = await reread(stage, ctx)
    const now = step.done(run.after, true)
    if (now.progress && now.progress !== last) ctx.reporter.info(`${step.label}: ${now.progress}`)
    last = now.progress
    return now.failed
  })
}
