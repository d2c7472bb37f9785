// The CLI's log file: dkp's full output (rendered YAML, long logs) goes here so the console
// shows progress; the last lines are kept in memory for the failure report.

import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import type { DetailSink } from './reporter.js'

/** Lines kept for a failure report. */
export const TAIL_LINES = 20

/** Default log file: $XDG_STATE_HOME/dkp-fleet/logs (else ~/.local/state/dkp-fleet/logs)/<command>-<time>.log. */
export function defaultLogPath(env: NodeJS.ProcessEnv, command: string, now = new Date()): string {
  const base = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state')
  const stamp = now.toISOString().replace(/[:.]/g, '-')
  return join(base, 'dkp-fleet', 'logs', `${command}-${stamp}.log`)
}

export class LogFile implements DetailSink {
  private fd: number | undefined
  private readonly last: string[] = []
  constructor(readonly path: string) {}
  write(line: string): void {
    if (this.fd === undefined) {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 })
      this.fd = openSync(this.path, 'a', 0o600)
    }
    writeSync(this.fd, `${line}\n`)
    this.last.push(line)
    if (this.last.length > TAIL_LINES) this.last.shift()
  }
  tail(): string[] {
    return [...this.last]
  }
  /** Whether anything was written (a run that ran no dkp leaves no file). */
  get used(): boolean {
    return this.fd !== undefined
  }
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
  }
}
