// dkp-fleet: the local CLI over the same core as the action. Each command lives in its own
// module under ./commands and is loaded on demand, so `plan` never loads the Kubernetes client.

import { constants } from 'node:os'
import { exitCodeFor, InputError, messageOf } from '../core/errors.js'
import { toolVersion } from '../core/version.js'
import { setProcessDeadline } from '../effects/deadline.js'
import { removeTempDirs } from '../effects/temp-files.js'
import { type CliIO, type Command, processIO } from './io.js'

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ command: Command }> }> = {
  validate: { summary: 'validate inventory files', load: () => import('./commands/validate.js') },
  schema: { summary: 'print the inventory JSON Schema', load: () => import('./commands/schema.js') },
  plan: { summary: 'print the upgrade plan (table, or --json)', load: () => import('./commands/plan.js') },
  check: { summary: 'pre-flight health and compatibility checks', load: () => import('./commands/check.js') },
  run: {
    summary: 'run one stage: run <stage> -i <glob> [--cluster X]',
    load: () => import('./commands/run.js'),
  },
  install: {
    summary: 'install the pinned dkp CLI, print its path',
    load: () => import('./commands/install.js'),
  },
  status: {
    summary: 'fleet status from live state and the run record',
    load: () => import('./commands/status.js'),
  },
  pause: {
    summary: 'pause the fleet upgrade (stages end deferred)',
    load: () => import('./commands/pause.js'),
  },
  resume: { summary: 'resume a paused fleet upgrade', load: () => import('./commands/resume.js') },
  fleet: {
    summary: 'fleet up|down: a local simulated DKP fleet (dev/demo)',
    load: () => import('./commands/fleet.js'),
  },
}

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length))
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  return `Usage: dkp-fleet <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nAdd --help after a command for its options. Exit codes: 0 ok, 1 the work failed, 2 bad input.\n`
}

export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const debug = argv.includes('--debug')
  const args = argv.filter((a) => a !== '--debug')
  const [name, ...rest] = args
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage())
    return name ? 0 : 2
  }
  if (name === '--version') {
    io.stdout(`${toolVersion(process.env)}\n`)
    return 0
  }
  const entry = COMMANDS[name]
  if (!entry) {
    io.stderr(`dkp-fleet: unknown command "${name}"\n\n${usage()}`)
    return 2
  }
  const signals = onSignals(io)
  try {
    const { command } = await entry.load()
    return await command(rest, io)
  } catch (err) {
    io.stderr(`${err instanceof InputError ? '' : 'error: '}${messageOf(err)}\n`)
    if (debug && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`)
    return exitCodeFor(err)
  } finally {
    // The 0600 kubeconfig copies go whatever happened (the CLI has no post step).
    removeTempDirs()
    signals.remove()
    setProcessDeadline(undefined)
  }
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/**
 * SIGINT/SIGTERM/SIGHUP remove the temp kubeconfigs at once. A command that handles the signal
 * itself (`run`: kills dkp, releases the lock, records `cancelled`) then finishes on its own;
 * any other command exits 128 + the signal number, as the default action would have.
 */
function onSignals(io: CliIO): { remove(): void } {
  const handler = (signal: NodeJS.Signals) => {
    removeTempDirs()
    if (process.listenerCount(signal) > 1) return
    io.stderr(`dkp-fleet: stopped by ${signal}\n`)
    process.exit(128 + (constants.signals[signal] ?? 0))
  }
  for (const s of STOP_SIGNALS) process.on(s, handler)
  return {
    remove: () => {
      for (const s of STOP_SIGNALS) process.removeListener(s, handler)
    },
  }
}
