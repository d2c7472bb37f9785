// The driver's building blocks: run dkp commands (or list them in a dry run), run one while
// watching its part for a terminal state, and wait for convergence with progress lines.

import type { DkpCommand } from '../core/dkp-commands.js'
import { WorkError } from '../core/errors.js'
import { productOf } from '../core/providers.js'
import { pendingTexts } from '../core/step-state.js'
import { sameTerminal, TerminalError, type TerminalState } from '../core/terminal.js'
import { displayCommand } from '../effects/dkp-runner.js'
import type { PartState, StageContext } from './types.js'

/** Keeps the version a stage found before acting, so a failure later still reports `from`. */
export function noteFrom(ctx: Pick<StageContext, 'found'>, from: string | undefined): void {
  if (ctx.found && from) ctx.found.from = from
}

/** Runs one command inside a log group; in a dry run prints it instead (read-only commands run). */
export async function act(ctx: StageContext, cmd: DkpCommand): Promise<void> {
  // A dry run names the command without resolving dkp: nothing is installed to preview.
  if (ctx.dryRun && !cmd.readOnly) {
    ctx.reporter.info(
      `dry run: would run ${displayCommand(cmd, ctx.kubeconfigPath, productOf(ctx.target.dkp))}`,
    )
    return
  }
  const dkp = await ctx.dkp()
  const line = dkp.display(cmd)
  await ctx.reporter.group(cmd.description ? `${cmd.description}: ${line}` : line, async () => {
    const result = await dkp.run(cmd, ctx.signal)
    ctx.reporter.info(`exit 0 after ${(result.durationMs / 1000).toFixed(1)} s`)
  })
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
  const running = act({ ...ctx, signal: AbortSignal.any([ctx.signal, stop.signal]) }, cmd)
  const settled = running.then(
    () => undefined,
    () => undefined,
  )
  const watching = (async () => {
    while (!finished && !ctx.signal.aborted) {
      await tick(ctx.pollMs, settled)
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
    if (terminal)
      throw new TerminalError(terminal, displayCommand(cmd, ctx.kubeconfigPath, productOf(ctx.target.dkp)))
    throw err
  } finally {
    finished = true
    await watching
  }
  // dkp finished just as the terminal state was found: still not at target
  if (terminal) throw new TerminalError(terminal)
}

/** Resolves after `ms`, or as soon as `early` settles. */
function tick(ms: number, early: Promise<unknown>): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms)
    void early.then(() => {
      clearTimeout(t)
      resolve()
    })
  })
}

/** The milliseconds between polls: `DKP_FLEET_POLL_MS` of the job's environment, else 5 s. */
export function pollMsFrom(env: NodeJS.ProcessEnv, fallback = 5000): number {
  const ms = Number(env.DKP_FLEET_POLL_MS)
  return Number.isFinite(ms) && ms > 0 ? ms : fallback
}

/**
 * Polls `check` until it reports done, logging progress when it changes (the part's progress,
 * else what is pending). Ends with a WorkError naming what is still pending at the deadline;
 * aborts with the stage's signal; fails at once on a terminal state.
 */
export async function waitFor(
  ctx: Pick<StageContext, 'signal' | 'deadline' | 'reporter' | 'pollMs'>,
  what: string,
  check: () => Promise<PartState>,
): Promise<PartState> {
  const interval = ctx.pollMs
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
    const progress = state.progress ?? pendingTexts(state).join('; ')
    if (progress !== last) {
      ctx.reporter.info(`waiting for ${what}: ${progress}`)
      last = progress
    }
    if (Date.now() + interval > ctx.deadline) {
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
