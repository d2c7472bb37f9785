// dkp-fleet upgrade -i <glob> [--max-parallel N] [--clusters a,b] [--until STAGE] [--dry-run]
// [--json]: the whole plan on this machine. Each step is `dkp-fleet run <stage> … --json` in a
// child process: the executor the action runs, with its locks, windows, pause marker and run
// record; src/stages/upgrade.ts decides the order. Running it again continues (done steps skip).

import { InputError, type InputProblem } from '../../core/errors.js'
import { type Hop, hopLine } from '../../core/hops.js'
import type { Options } from '../../core/options.js'
import { isStageName, UPGRADE_ORDER } from '../../core/stages.js'
import { didYouMean } from '../../core/suggest.js'
import {
  buildSchedule,
  type ScheduledStep,
  type ScheduleOptions,
  type StepStatus,
  scheduleProblems,
} from '../../core/upgrade-schedule.js'
import { runChild } from '../../effects/child-run.js'
import { defaultLogPath, LogFile } from '../../effects/log-file.js'
import { ConsoleReporter } from '../../effects/reporter.js'
import type { StepOutcome, UpgradeResultName } from '../../stages/upgrade.js'
import { commandArgs, type FlagValues, list, optionsFromFlags, str } from '../args.js'
import { colourEnabled, paint } from '../colour.js'
import type { CliIO, Command } from '../io.js'
import { COMMAND_SPECS } from '../specs.js'
import { finalTable, UpgradeView, type ViewMode } from '../upgrade-view.js'

/** Flags handed on to every `run` child as they were given. */
const FORWARDED = [
  'kubeconfig',
  'target',
  'target-kubernetes',
  'dkp-path',
  'dkp-version',
  'dkp-sha256',
  'dkp-download-url',
  'timeout-minutes',
] as const

/** How the CLI starts itself: the same Node, its flags and script (dist/cli.js or the bin). */
export const selfCommand = (): string[] => [process.execPath, ...process.execArgv, process.argv[1]!]

export interface UpgradeDeps {
  /** argv prefix that runs this CLI (default: this process's own). */
  self?: string[]
}

export function upgradeCommand(deps: UpgradeDeps = {}): Command {
  return async (argv, io) => {
    const args = commandArgs(argv, COMMAND_SPECS.upgrade!, io)
    if (!args) return 0
    const { values } = args
    const { problems, maxParallel, clusters, until } = upgradeFlags(values)
    const { 'max-parallel': _m, clusters: _c, until: _u, json: _j, 'log-file': _l, ...shared } = values
    const options = (() => {
      try {
        return optionsFromFlags({ ...shared, stage: 'verify' })
      } catch (err) {
        if (err instanceof InputError) throw new InputError([...err.problems, ...problems])
        throw err
      }
    })()
    if (problems.length > 0) throw new InputError(problems)

    const log = new LogFile(str(values['log-file']) ?? defaultLogPath(io.env, 'upgrade'))
    const cancel = new AbortController()
    const onSignal = () => cancel.abort(new Error('interrupted'))
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    try {
      const mode: ViewMode = values.json ? 'json' : io.tty?.stdout ? 'tty' : 'plain'
      const pass: Pass = {
        values,
        options,
        io,
        log,
        reporter: new ConsoleReporter(io.stderr, log),
        mode,
        p: paint(mode !== 'json' && colourEnabled(io.env, io.tty?.stdout === true)),
        self: deps.self ?? selfCommand(),
        signal: cancel.signal,
        schedule: {
          ...(clusters ? { clusters } : {}),
          ...(until ? { until } : {}),
          dryRun: options.dryRun,
        },
        ...(maxParallel ? { maxParallel } : {}),
        allHops: values['all-hops'] === true,
      }
      // One hop per pass: a fleet more than one minor behind goes one minor per pass, each
      // planned from the live versions the previous pass left (--all-hops: every pass).
      for (;;) {
        const { exitCode, next } = await upgradePass(pass)
        if (!next) return exitCode
      }
    } finally {
      process.removeListener('SIGINT', onSignal)
      process.removeListener('SIGTERM', onSignal)
      log.close()
    }
  }
}

/** What every pass of one `upgrade` shares. */
interface Pass {
  values: FlagValues
  options: Options
  io: CliIO
  log: LogFile
  reporter: ConsoleReporter
  mode: ViewMode
  p: ReturnType<typeof paint>
  self: string[]
  signal: AbortSignal
  schedule: ScheduleOptions
  maxParallel?: number
  allHops: boolean
}

/** One pass: the plan from live state (its first hop, when there are hops), run to its end. */
async function upgradePass(c: Pass): Promise<{ exitCode: number; next: boolean }> {
  const { runUpgrade } = await import('../../stages/upgrade.js')
  const { io, p, options } = c
  const fleet = await connectHop(c.values, options, io, c.reporter)
  try {
    const { plan, hops } = fleet
    if (hops && c.allHops) allHopsProblem(c.values)
    const wrong = scheduleProblems(plan, c.schedule)
    if (wrong.length > 0) throw new InputError(wrong)
    const schedule = buildSchedule(plan, c.schedule)
    const hop = hopLine({ ...plan, ...(hops ? { hops } : {}) }, AGAIN)
    if (hop) schedule.notes.unshift(hop)
    const view = new UpgradeView(c.mode, io.stdout, p)
    const hopFlag = plan.goal ? ['--plan-hop', plan.target.dkp] : []
    const childArgs = (step: ScheduledStep) => [
      ...runArgs(step, c.values, plan.digest, options.dryRun, c.log.path),
      ...hopFlag,
    ]
    const result = await runUpgrade({
      fleet: plan.fleet,
      schedule,
      maxParallel: c.maxParallel ?? plan.rollout.maxParallel,
      failureThreshold: plan.rollout.failureThreshold,
      runStep: (step, signal) => runStepChild([...c.self, ...childArgs(step)], step, io, signal, c.log),
      paused: async () => (await fleet.env.record.pause()) ?? undefined,
      emit: (e) => view.emit(e),
      signal: c.signal,
    })
    view.stop()
    const more = result.result === 'done' && plan.goal !== undefined && !options.dryRun
    if (c.mode !== 'json') {
      io.stdout(`\n${finalTable(result.records)}\n`)
      const verdict = RESULT_TEXT[result.result]
      io.stdout(`${result.result === 'done' ? p.green(verdict) : p.red(verdict)}\n`)
      if (more && !c.allHops)
        io.stdout(
          `Hop to ${plan.target.dkp} done; ${plan.goal!.dkp} is ${hops ? `${hops.length - 1} more hop(s)` : 'further'} away: run \`dkp-fleet upgrade\` again (or with --all-hops).\n`,
        )
      else if (more)
        io.stdout(`\nHop to ${plan.target.dkp} done; planning the next hop from the live versions.\n\n`)
      if (c.log.used) io.stdout(`dkp output and progress of every step: ${c.log.path}\n`)
    }
    return { exitCode: result.exitCode, next: more && c.allHops }
  } finally {
    fleet.close()
  }
}

const AGAIN = 'run `dkp-fleet upgrade` again (or with --all-hops)'

/**
 * The fleet connected with the plan of this pass: read live, and when the target is more than
 * one minor away, connected again with the first hop's plan (the `run` children get `--plan-hop`).
 */
async function connectHop(values: FlagValues, options: Options, io: CliIO, reporter: ConsoleReporter) {
  const { connectFleet } = await import('../../stages/fleet-status.js')
  const { readLiveVersions } = await import('../../stages/live-versions.js')
  const connect = (hop?: string) =>
    connectFleet(
      {
        inventory: list(values.inventory),
        kubeconfig: { path: options.kubeconfig },
        allowKubeconfigEnv: true,
        target: options.target,
        targetKubernetes: options.targetKubernetes,
        ...(hop ? { hop } : {}),
        env: io.env,
        cwd: io.cwd,
      },
      reporter,
    )
  const fleet = await connect()
  let hops: Hop[] | undefined
  try {
    hops = (
      await readLiveVersions(fleet.env.kube, fleet.env.inventory, {
        targetDkp: options.target,
        targetKubernetes: options.targetKubernetes,
      })
    ).hops
  } catch (err) {
    fleet.close()
    throw err
  }
  if (!hops || hops.length < 2) return { ...fleet, plan: fleet.env.plan, hops: undefined }
  fleet.close()
  const hopFleet = await connect(hops[0]!.to)
  return { ...hopFleet, plan: hopFleet.env.plan, hops }
}

/** --all-hops runs each hop with its own release's dkp: only a download can give each one. */
function allHopsProblem(values: FlagValues): void {
  const pinned = (['dkp-version', 'dkp-path'] as const).filter((f) => str(values[f]) !== undefined)
  if (pinned.length > 0 || str(values['dkp-download-url']) === undefined)
    throw new InputError([
      {
        path: '--all-hops',
        message: `each hop runs its own release's dkp, so --all-hops needs --dkp-download-url (a mirror with {version}) and no ${pinned.length > 0 ? pinned.map((f) => `--${f}`).join(' or ') : '--dkp-version or --dkp-path'}; or run one hop at a time with that hop's dkp`,
      },
    ])
}

export const command: Command = upgradeCommand()

const RESULT_TEXT: Record<UpgradeResultName, string> = {
  done: 'Upgrade done: every step upgraded, skipped or passed.',
  failed: 'Upgrade failed: see the failed step above; fix it and run upgrade again to continue.',
  halted: 'Upgrade halted before a wave (failureThreshold); fix the failed clusters and run upgrade again.',
  paused: 'Upgrade stopped: the fleet is paused. `dkp-fleet resume`, then run upgrade again.',
  incomplete: 'Upgrade incomplete: a step was deferred (maintenance window); run upgrade again later.',
  cancelled: 'Upgrade cancelled.',
}

/** --max-parallel, --clusters, --until: checked here, every problem at once. */
function upgradeFlags(values: FlagValues): {
  problems: InputProblem[]
  maxParallel?: number
  clusters?: string[]
  until?: (typeof UPGRADE_ORDER)[number]
} {
  const problems: InputProblem[] = []
  let maxParallel: number | undefined
  const m = str(values['max-parallel'])
  if (m !== undefined) {
    if (/^\d{1,4}$/.test(m) && Number(m) >= 1) maxParallel = Number(m)
    else
      problems.push({
        path: '--max-parallel',
        message: `must be a number of clusters of at least 1, not "${m}"`,
      })
  }
  const c = str(values.clusters)
  const clusters = c
    ?.split(',')
    .map((x) => x.trim())
    .filter(Boolean)
  if (c !== undefined && clusters!.length === 0)
    problems.push({ path: '--clusters', message: 'names no cluster (a,b)' })
  const u = str(values.until)
  let until: (typeof UPGRADE_ORDER)[number] | undefined
  if (u !== undefined) {
    if (isStageName(u) && (UPGRADE_ORDER as readonly string[]).includes(u))
      until = u as (typeof UPGRADE_ORDER)[number]
    else
      problems.push({
        path: '--until',
        message: `unknown stage "${u}"${didYouMean(u, UPGRADE_ORDER)}; one of: ${UPGRADE_ORDER.join(', ')}`,
      })
  }
  return {
    problems,
    ...(maxParallel ? { maxParallel } : {}),
    ...(clusters?.length ? { clusters } : {}),
    ...(until ? { until } : {}),
  }
}

/** The `run` argv of one step: its stage and cluster (a gate: its wave), the plan's digest, the flags given. */
function runArgs(
  step: ScheduledStep,
  values: FlagValues,
  digest: string,
  dryRun: boolean,
  logPath: string,
): string[] {
  const out = ['run', step.stage, ...list(values.inventory).flatMap((i) => ['-i', i])]
  if (step.stage === 'core-addons' || step.stage === 'kubernetes') out.push('--cluster', step.cluster)
  if (step.gate && step.wave !== undefined) out.push('--wave', String(step.wave))
  out.push('--plan-digest', digest)
  for (const flag of FORWARDED) {
    const v = str(values[flag])
    if (v !== undefined) out.push(`--${flag}`, v)
  }
  if (values['require-checksum']) out.push('--require-checksum')
  if (dryRun) out.push('--dry-run')
  out.push('--log-file', logPath, '--json')
  return out
}

const STATUSES: ReadonlySet<string> = new Set([
  'upgraded',
  'skipped',
  'passed',
  'failed',
  'cancelled',
  'deferred',
  'dry-run',
])

/** Runs one step's child; its progress lines go to the log file, its JSON result is the outcome. */
async function runStepChild(
  argv: string[],
  step: ScheduledStep,
  io: CliIO,
  signal: AbortSignal,
  log: LogFile,
): Promise<StepOutcome> {
  const tail: string[] = []
  const child = await runChild(argv, {
    env: io.env,
    cwd: io.cwd,
    signal,
    onLine: (line) => {
      log.write(`[${step.id}] ${line}`)
      tail.push(line)
      if (tail.length > 20) tail.shift()
    },
  })
  const last = child.stdout.trim().split('\n').at(-1) ?? ''
  let parsed: { status?: string; message?: string; outputs?: Record<string, string> } | undefined
  try {
    parsed = JSON.parse(last) as typeof parsed
  } catch {
    parsed = undefined
  }
  if (parsed?.status && STATUSES.has(parsed.status))
    return {
      status: parsed.status as StepStatus,
      ...(parsed.message ? { message: parsed.message } : {}),
      ...(parsed.outputs?.['soak-until'] ? { retryAt: parsed.outputs['soak-until'] } : {}),
      exitCode: child.code,
    }
  // No result: the child refused its input (exit 2) or died; its last lines say why.
  return {
    status: signal.aborted ? 'cancelled' : 'failed',
    message: tail.slice(-8).join('\n') || `dkp-fleet run exited with code ${child.code}`,
    exitCode: child.code,
  }
}
