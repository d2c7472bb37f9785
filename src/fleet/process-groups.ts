// The control plane's processes: each in its own process group, dying with its parent where
// setpriv is available, killed (group first) on stop and, as a last resort, on exit; and the
// tail of a daemon's log for error messages.

import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, openSync, readFileSync } from 'node:fs'

const live = new Set<number>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  // Last resort when the owner never called stop(): synchronous kills only.
  process.on('exit', () => {
    for (const pid of live) killGroup(pid, 'SIGKILL')
  })
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    try {
      process.kill(pid, signal)
    } catch {
      // already gone
    }
  }
}

/** True while `pid` exists and is not a zombie (an exited child nobody reaped yet). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return true // no /proc: trust kill(0)
  }
}

/** SIGTERM to the group, then SIGKILL after `graceMs`; resolves when the leader is gone. */
export async function stopGroup(child: ChildProcess | number, graceMs = 10_000): Promise<void> {
  const pid = typeof child === 'number' ? child : child.pid
  if (!pid) return
  const exited =
    typeof child === 'number' || child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((r) => child.once('exit', () => r()))
  killGroup(pid, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (isAlive(pid) && Date.now() < deadline) await sleep(50)
  if (isAlive(pid)) killGroup(pid, 'SIGKILL')
  try {
    process.kill(-pid, 'SIGKILL') // stragglers in the group (never the bare pid: it may be reused)
  } catch {
    // group empty
  }
  if (typeof child !== 'number') await Promise.race([exited, sleep(2000)])
  const reaped = Date.now() + 5000
  while (typeof child === 'number' && isAlive(pid) && Date.now() < reaped) await sleep(50)
  live.delete(pid)
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p))

/** Spawns in a new process group with output to `logFile`; dies with its parent when setpriv is available. */
export function spawnDaemon(bin: string, args: string[], logFile: string): ChildProcess {
  const fd = openSync(logFile, 'a')
  // setpriv --pdeathsig: the kernel kills the child when the spawning thread dies (even by SIGKILL).
  const [cmd, argv] = SETPRIV ? [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', bin, ...args]] : [bin, args]
  const child = spawn(cmd, argv, { detached: true, stdio: ['ignore', fd, fd] })
  if (child.pid) live.add(child.pid)
  installExitHook()
  return child
}

/** The last `lines` lines of a daemon's log, for error messages. */
export function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
