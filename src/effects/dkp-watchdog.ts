// dkp dies with dkp-fleet. dkp runs under a tiny watchdog (this Node script, `node -e`), which
// leads dkp's process group and is dkp's parent:
// - dkp-fleet holds the write end of the watchdog's stdin. When dkp-fleet dies in any way — also
//   SIGKILL, which runs no handler — the kernel closes it; the watchdog sees EOF and stops the
//   group (SIGTERM, SIGKILL after the grace period).
// - dkp-fleet writes a heartbeat byte every HEARTBEAT_MS. A dkp-fleet that is alive but not
//   running (SIGSTOP, a frozen VM) cannot renew its lock either: after `orphanMs` without a beat
//   the watchdog stops the group before the lock (60 s) can expire and another run take over.
// - The watchdog ignores SIGINT/SIGTERM/SIGHUP sent to the group (dkp decides how to stop), waits
//   for dkp and exits with its code (128 + n for a signal). It reports on fd 3 (JSON lines):
//   `{"error": …}` when dkp could not be started, `{"orphaned": …}` when it stopped the group.
// The process-group kill on dkp-fleet's own exit paths (timeout, cancellation, the `exit` hook)
// stays in dkp-runner.ts.

/** dkp-fleet writes one byte this often while dkp runs. */
export const HEARTBEAT_MS = 5000

/**
 * Default silence after which the watchdog stops dkp: well inside the 60 s lock, which a stopped
 * dkp-fleet last renewed up to 20 s before it stopped. DKP_FLEET_WATCHDOG_MS overrides (tests).
 */
export const ORPHAN_MS = 30_000

/** Environment names the watchdog consumes (never passed on to dkp). */
export const WATCHDOG_ENV = {
  grace: 'DKP_FLEET_WATCHDOG_GRACE_MS',
  orphan: 'DKP_FLEET_WATCHDOG_ORPHAN_MS',
  /** The caller's NODE_OPTIONS, kept away from the watchdog's own Node and restored for dkp. */
  nodeOptions: 'DKP_FLEET_WATCHDOG_NODE_OPTIONS',
} as const

/** What the watchdog reports on fd 3. */
export interface WatchdogReport {
  error?: string
  orphaned?: 'parent exited' | 'parent stopped'
}

/** The watchdog's source (CommonJS, for `node -e <source> -- <dkp> <args…>`). */
export const WATCHDOG_SOURCE = `'use strict'
const { spawn } = require('node:child_process')
const { writeSync } = require('node:fs')
const { constants } = require('node:os')
const [bin, ...args] = process.argv.slice(1)
const env = { ...process.env }
const num = (k, d) => { const v = Number(env[k]); delete env[k]; return Number.isFinite(v) && v > 0 ? v : d }
const grace = num('${WATCHDOG_ENV.grace}', 5000)
const orphanMs = num('${WATCHDOG_ENV.orphan}', ${ORPHAN_MS})
const saved = env['${WATCHDOG_ENV.nodeOptions}']
delete env['${WATCHDOG_ENV.nodeOptions}']
if (saved !== undefined) env.NODE_OPTIONS = saved
const report = (m) => { try { writeSync(3, JSON.stringify(m) + '\\n') } catch {} }
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => {})
let stopping = false
const stop = (why) => {
  if (stopping) return
  stopping = true
  report({ orphaned: why })
  try { process.kill(-process.pid, 'SIGTERM') } catch {}
  setTimeout(() => { try { process.kill(-process.pid, 'SIGKILL') } catch {} }, grace)
}
let child
try {
  child = spawn(bin, args, { env, stdio: ['ignore', 'inherit', 'inherit'] })
} catch (e) {
  report({ error: String(e && e.message || e) })
  process.exit(127)
}
child.on('error', (e) => { report({ error: String(e && e.message || e) }); process.exit(127) })
child.on('exit', (code, signal) => {
  if (stopping) { try { process.kill(-process.pid, 'SIGKILL') } catch {} }
  process.exit(code ?? 128 + (constants.signals[signal] || 0))
})
let beat = Date.now()
process.stdin.on('data', () => { beat = Date.now() })
process.stdin.on('end', () => stop('parent exited'))
process.stdin.on('error', () => stop('parent exited'))
setInterval(() => { if (Date.now() - beat > orphanMs) stop('parent stopped') }, Math.min(1000, orphanMs / 4))
`
