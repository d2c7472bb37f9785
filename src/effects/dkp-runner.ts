// Runs dkp: argument arrays (never a shell), the job's environment passed through (provider
// credentials), output streamed line by line, the last lines kept for the failure report, and
// the whole process tree killed on timeout or cancellation. dkp runs under a watchdog
// (dkp-watchdog.ts) that stops it when dkp-fleet dies (even by SIGKILL) or stops running.

import { type ChildProcess, spawn } from 'node:child_process'
import type { Readable } from 'node:stream'
import type { DkpCommand } from '../core/dkp-commands.js'
import { WorkError } from '../core/errors.js'
import {
  HEARTBEAT_MS,
  ORPHAN_MS,
  WATCHDOG_ENV,
  WATCHDOG_SOURCE,
  type WatchdogReport,
} from './dkp-watchdog.js'

export type { DkpCommand } from '../core/dkp-commands.js'

export interface DkpRunResult {
  exitCode: number
  durationMs: number
  stdout: string
  /** Last lines of combined output, for reports. */
  tail: string[]
}

export interface DkpRunnerOptions {
  binary: string
  kubeconfigPath: string
  /** The CLI's name in command lines users see: `dkp`, or `nkp` for an NKP target (2.12+). */
  cli?: 'dkp' | 'nkp'
  /** Lines of output handed to the log as they arrive. */
  onLine?: (line: string) => void
  /** Kept for the failure report. */
  tailLines?: number
  /** Added to this process's environment for dkp. */
  env?: NodeJS.ProcessEnv
  /** Variables dkp must not see (e.g. the kubeconfig content; dkp reads the 0600 file). */
  omitEnv?: string[]
  /** Milliseconds between SIGTERM and SIGKILL when stopping dkp. */
  killGraceMs?: number
  /**
   * dkp is stopped when dkp-fleet sent no heartbeat for this long (stopped or frozen); default
   * ORPHAN_MS, DKP_FLEET_WATCHDOG_MS overrides.
   */
  orphanMs?: number
}

export const TAIL_LINES = 50

/** `dkp upgrade kommander --kubeconfig=/tmp/…` as shown to users (quoted where needed). */
export function commandLine(binaryName: string, args: readonly string[]): string {
  return [binaryName, ...args].map(shellQuote).join(' ')
}

function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`
}

/** The argv dkp gets: the command's arguments, then `--kubeconfig` (the runner adds it). */
export function dkpArgv(cmd: DkpCommand, kubeconfigPath: string): string[] {
  return [...cmd.args, `--kubeconfig=${kubeconfigPath}`]
}

/** A command as users see it in logs, results and summaries; needs no dkp binary (dry runs). */
export function displayCommand(cmd: DkpCommand, kubeconfigPath: string, cli: 'dkp' | 'nkp' = 'dkp'): string {
  return commandLine(cli, dkpArgv(cmd, kubeconfigPath))
}

/** A dkp command failed: carries the command line, exit code and last output lines. */
export class DkpError extends WorkError {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly tail: string[],
    readonly reason: 'exit' | 'timeout' | 'cancelled' | 'spawn' | 'orphaned',
    detail?: string,
  ) {
    const what =
      reason === 'timeout'
        ? 'timed out and was killed'
        : reason === 'cancelled'
          ? 'was cancelled and killed'
          : reason === 'spawn'
            ? `could not start: ${detail}`
            : reason === 'orphaned'
              ? `was stopped by its watchdog: ${detail}`
              : `exited with code ${exitCode}`
    super(`${command} ${what}${tail.length ? `; last output:\n${tail.map((l) => `  ${l}`).join('\n')}` : ''}`)
    this.name = 'DkpError'
  }
}

export class DkpRunner {
  /** Command lines started by run() (changing commands), in order: the `commands` of a result. */
  readonly executed: string[] = []
  /** The command line running right now, for timeout and cancellation reports. */
  running: string | undefined
  /** Last output lines of the command running now (or run last), for timeout and cancellation reports. */
  lastOutput: string[] = []

  constructor(private readonly opts: DkpRunnerOptions) {}

  get binary(): string {
    return this.opts.binary
  }

  /** The full argv for a command, `--kubeconfig` appended. */
  argv(cmd: DkpCommand): string[] {
    return dkpArgv(cmd, this.opts.kubeconfigPath)
  }

  /** The command line users see (`dkp …`), as recorded in results and summaries. */
  display(cmd: DkpCommand): string {
    return displayCommand(cmd, this.opts.kubeconfigPath, this.opts.cli)
  }

  private orphanMs(): number {
    const fromEnv = Number(process.env.DKP_FLEET_WATCHDOG_MS)
    return this.opts.orphanMs ?? (Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : ORPHAN_MS)
  }

  /** The watchdog's environment: dkp's, plus its settings; NODE_OPTIONS kept for dkp only. */
  private watchdogEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    const out: NodeJS.ProcessEnv = { ...env }
    delete out.NODE_OPTIONS
    if (env.NODE_OPTIONS !== undefined) out[WATCHDOG_ENV.nodeOptions] = env.NODE_OPTIONS
    out[WATCHDOG_ENV.grace] = String(this.opts.killGraceMs ?? 5000)
    out[WATCHDOG_ENV.orphan] = String(this.orphanMs())
    return out
  }

  /** Runs one command; throws DkpError on a non-zero exit, timeout or abort. */
  async run(cmd: DkpCommand, signal: AbortSignal): Promise<DkpRunResult> {
    if (!cmd.readOnly) this.executed.push(this.display(cmd))
    const result = await this.spawn(cmd, signal)
    if (result.exitCode !== 0) throw new DkpError(this.display(cmd), result.exitCode, result.tail, 'exit')
    return result
  }

  /** Runs one command and returns whatever it exits with (for read-only probes). */
  spawn(cmd: DkpCommand, signal: AbortSignal): Promise<DkpRunResult> {
    const argv = this.argv(cmd)
    const started = Date.now()
    const shown = this.display(cmd)
    this.running = shown
    const tailMax = this.opts.tailLines ?? TAIL_LINES
    const tail: string[] = []
    this.lastOutput = tail
    const out: string[] = []
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(new DkpError(shown, null, [], abortReason(signal)))
        return
      }
      const child = this.startWatchdog(argv)
      const guard = this.supervise(child, signal)
      let reports = ''
      ;(child.stdio[3] as Readable).setEncoding('utf8').on('data', (d: string) => {
        reports += d
      })
      const emit = (line: string, keep: boolean) => {
        if (keep) out.push(line)
        tail.push(line)
        if (tail.length > tailMax) tail.shift()
        this.opts.onLine?.(line)
      }
      readLines(child.stdout!, (line) => emit(line, true))
      readLines(child.stderr!, (line) => emit(line, false))
      child.on('error', (err) => {
        guard.cleanup()
        reject(new DkpError(shown, null, tail, 'spawn', err.message))
      })
      child.on('close', (code, sig) => {
        guard.cleanup()
        const failure = this.failureOf(shown, code, parseReports(reports), signal, tail)
        if (failure) reject(failure)
        else
          resolve({
            exitCode: code ?? (sig ? 128 : 1),
            durationMs: Date.now() - started,
            stdout: out.join('\n'),
            tail,
          })
      })
    })
  }

  /**
   * dkp under the watchdog (`node -e`), in its own process group led by the watchdog, so a
   * timeout kills dkp and everything it started. stdin is the watchdog's lifeline (EOF =
   * dkp-fleet is gone) and heartbeat; fd 3 carries its reports.
   */
  private startWatchdog(argv: string[]): ChildProcess {
    // The job's environment (provider credentials pass through untouched), minus the
    // variables only dkp-fleet reads (the management kubeconfig content).
    const env = withoutKeys({ ...process.env, ...this.opts.env }, this.opts.omitEnv ?? [])
    const child = spawn(process.execPath, ['-e', WATCHDOG_SOURCE, '--', this.opts.binary, ...argv], {
      env: this.watchdogEnv(env),
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      detached: true,
    })
    child.stdin!.on('error', () => {}) // the watchdog is gone: its exit is handled by the caller
    return child
  }

  /**
   * While the command runs: the heartbeat, and the process group killed (SIGTERM, then SIGKILL
   * after the grace) on abort or when dkp-fleet exits. `cleanup` ends all of it.
   */
  private supervise(child: ChildProcess, signal: AbortSignal): { cleanup(): void } {
    const heartbeat = setInterval(() => child.stdin!.write('.'), Math.min(HEARTBEAT_MS, this.orphanMs() / 3))
    heartbeat.unref()
    let killTimer: NodeJS.Timeout | undefined
    const killTree = () => {
      if (child.pid === undefined || child.exitCode !== null) return
      try {
        process.kill(-child.pid, 'SIGTERM')
      } catch {}
      killTimer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL')
        } catch {}
      }, this.opts.killGraceMs ?? 5000)
      killTimer.unref()
    }
    const onAbort = () => killTree()
    signal.addEventListener('abort', onAbort, { once: true })
    const exitKill = () => killTree()
    process.once('exit', exitKill)
    return {
      cleanup: () => {
        clearInterval(heartbeat)
        this.running = undefined
        signal.removeEventListener('abort', onAbort)
        process.removeListener('exit', exitKill)
        if (killTimer) clearTimeout(killTimer)
      },
    }
  }

  /** Why a finished command failed to run at all (spawn error, abort, orphaned); undefined when it ran. */
  private failureOf(
    shown: string,
    code: number | null,
    report: WatchdogReport,
    signal: AbortSignal,
    tail: string[],
  ): DkpError | undefined {
    if (report.error) return new DkpError(shown, null, tail, 'spawn', report.error)
    if (signal.aborted) return new DkpError(shown, code, tail, abortReason(signal))
    if (!report.orphaned) return undefined
    const why =
      report.orphaned === 'parent stopped'
        ? `dkp-fleet was not running (stopped or frozen) for more than ${this.orphanMs() / 1000} s, long enough for its lock to lapse`
        : 'dkp-fleet exited'
    return new DkpError(shown, code, tail, 'orphaned', why)
  }
}

/** Calls `onLine` for every line of a stream (a last line without a newline too). */
function readLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let partial = ''
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    const parts = (partial + chunk).split(/\r?\n/)
    partial = parts.pop() ?? ''
    for (const line of parts) onLine(line)
  })
  stream.on('end', () => {
    if (partial) onLine(partial)
  })
}

function parseReports(text: string): WatchdogReport {
  const out: WatchdogReport = {}
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    try {
      Object.assign(out, JSON.parse(line) as WatchdogReport)
    } catch {
      // not a report
    }
  }
  return out
}

function withoutKeys(env: NodeJS.ProcessEnv, keys: string[]): NodeJS.ProcessEnv {
  for (const k of keys) delete env[k]
  return env
}

function abortReason(signal: AbortSignal): 'timeout' | 'cancelled' {
  return signal.reason instanceof Error && signal.reason.name === 'TimeoutError' ? 'timeout' : 'cancelled'
}
