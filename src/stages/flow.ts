// Building blocks of the stage shape, shared by every stage module: run dkp commands (or list
// them in a dry run), wait for convergence with progress lines, and skip with evidence.

import type { DkpCommand } from '../core/dkp-commands.js'
import { WorkError } from '../core/errors.js'
import { sameTerminal, TerminalError, type TerminalState } from '../core/terminal.js'
import { displayCommand } from '../effects/dkp-runner.js'
import type { StageContext, StageOutcome, StepState } from './types.js'

/** Keeps the version a stage found before acting, so a failure later still reports `from`. */
export function noteFrom(ctx: Pick<StageContext, 'found'>, from: string | undefined): void {
  if (ctx.found && from) ctx.found.from = from
}

/**
 * Runs the commands in order inside a log group; in a dry run prints them instead. With
 * `watch`, each command runs under runWatching: a terminal state kills it.
 */
export async function act(
  ctx: StageContext,
  commands: DkpCommand[],
  watch?: () => Promise<TerminalState | undefined>,
): Promise<void> {
  for (const cmd of commands) {
    // A dry run names the commands without resolving dkp: nothing is installed to preview.
    if (ctx.dryRun && !cmd.readOnly) {
      ctx.reporter.info(`dry run: would run ${displayCommand(cmd, ctx.kubeconfigPath)}`)
      continue
    }
    if (watch && !ctx.dryRun) {
      await runWatching(ctx, cmd, watch)
      continue
    }
    const dkp = await ctx.dkp()
    const line = dkp.display(cmd)
    await ctx.reporter.group(cmd.description ? `${cmd.description}: ${line}` : line, async () => {
      const result = await dkp.run(cmd, ctx.signal)
      ctx.reporter.info(`exit 0 after ${(result.durationMs / 1000).toFixed(1)} s`)
    })
  }
}

/**
 * Runs one dkp command (which usually waits for its own rollout) while `poll` runs every poll
 * interval. A terminal state `poll` returns — one that was not already there when dkp started
 * (that one is dkp's to change) — stops the wait at once: dkp is killed and the stage fails with
 * a TerminalError naming the object, its reason and message, and what to do next.
 */
export async function runWatching(
  ctx: StageContext,
  cmd: DkpCommand,
  poll: () => Promise<TerminalState | undefined>,
): Promise<void> {
  const before = await poll().catch(() => undefined)
  const stop = new AbortController()
  let terminal: TerminalState | undefined
  let finished = false
  const running = act({ ...ctx, signal: AbortSignal.any([ctx.signal, stop.signal]) }, [cmd])
  const settled = running.then(
    () => undefined,
    () => undefined,
  )
  const interval = pollInterval()
  const watching = (async () => {
    while (!finished && !ctx.signal.aborted) {
      const tick = new Promise<void>((resolve) => {
        const t = setTimeout(resolve, interval)
        void settled.then(() => {
          clearTimeout(t)
          resolve()
        })
      })
      await tick
      if (finished || ctx.signal.aborted) break
      try {
        const t = await poll()
        if (t && !sameTerminal(t, before) && !finished) {
          terminal = t
          stop.abort(new TerminalError(t))
          break
        }
      } catch {
        // a failed poll is retried at the next tick; dkp's own outcome decides otherwise
      }
    }
  })()
  try {
    await running
  } catch (err) {
    if (terminal) throw new TerminalError(terminal, displayCommand(cmd, ctx.kubeconfigPath))
    throw err
  } finally {
    finished = true
    await watching
  }
  // dkp finished just as the terminal state was found: still not at target
  if (terminal) throw new TerminalError(terminal)
}

export interface WaitOptions {
  /** Poll interval (default 5 s; DKP_FLEET_POLL_MS overrides for tests and demos). */
  intervalMs?: number
  /** Give up earlier than the stage deadline. */
  timeoutMs?: number
}

export function pollInterval(fallback = 5000): number {
  const env = Number(process.env.DKP_FLEET_POLL_MS)
  return Number.isFinite(env) && env > 0 ? env : fallback
}

/**
 * Polls `check` until it reports done, logging progress when it changes. Ends with a
 * WorkError naming what is still pending at the deadline; aborts with the stage's signal.
 */
export async function waitFor(
  ctx: Pick<StageContext, 'signal' | 'deadline' | 'reporter' | 'now'>,
  what: string,
  check: () => Promise<StepState>,
  options: WaitOptions = {},
): Promise<StepState> {
  const interval = options.intervalMs ?? pollInterval()
  const deadline = Math.min(
    ctx.deadline,
    options.timeoutMs ? Date.now() + options.timeoutMs : Number.POSITIVE_INFINITY,
  )
  let last = ''
  const started = Date.now()
  for (;;) {
    if (ctx.signal.aborted)
      throw ctx.signal.reason instanceof Error
        ? ctx.signal.reason
        : new WorkError(`cancelled while waiting for ${what}`)
    const state = await check()
    // An object that will not get there on its own: waiting longer is pointless.
    if (state.failed && !state.done) throw new TerminalError(state.failed)
    if (state.done) {
      ctx.reporter.info(`${what}: done after ${((Date.now() - started) / 1000).toFixed(0)} s`)
      return state
    }
    const progress = state.pending.join('; ')
    if (progress !== last) {
      ctx.reporter.info(`waiting for ${what}: ${progress}`)
      last = progress
    }
    if (Date.now() + interval > deadline) {
      throw new WorkError(`timed out waiting for ${what}; still pending: ${progress || 'unknown'}`)
    }
    await sleep(interval, ctx.signal)
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}

/** The outcome of a step already at target: nothing run, the evidence kept. */
export function skipped(state: StepState, to?: string, message = 'already at target'): StageOutcome {
  const outcome: StageOutcome = { status: 'skipped', commands: [], message, evidence: state.evidence }
  if (state.from) outcome.from = state.from
  if (to) outcome.to = to
  return outcome
}

/**
 * The common shape for a stage whose done-condition can be read: skip when done, else run the
 * commands, wait for the done-condition, and report. Stages with special needs compose the
 * pieces above themselves.
 */
export async function upgradeStep(
  ctx: StageContext,
  spec: {
    what: string
    to: string
    state: () => Promise<StepState>
    commands: (state: StepState) => DkpCommand[] | Promise<DkpCommand[]>
    wait?: WaitOptions
  },
): Promise<StageOutcome> {
  const before = await spec.state()
  if (before.done) return skipped(before, spec.to)
  noteFrom(ctx, before.from)
  const commands = await spec.commands(before)
  const outcome: StageOutcome = {
    status: ctx.dryRun ? 'dry-run' : 'upgraded',
    to: spec.to,
    commands,
    evidence: [],
  }
  if (before.from) outcome.from = before.from
  ctx.reporter.info(`${spec.what}: ${before.pending.join('; ') || 'not at target'}`)
  const fresh = async () => {
    ctx.snapshot.refresh()
    return spec.state()
  }
  await act(ctx, commands, async () => (await fresh()).failed)
  if (ctx.dryRun) {
    outcome.message = `would upgrade: ${before.pending.join('; ')}`
    return outcome
  }
  const after = await waitFor(ctx, spec.what, fresh, spec.wait)
  outcome.evidence = after.evidence
  return outcome
}
