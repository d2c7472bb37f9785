// dkp-fleet: the local CLI over the same core as the action. Each command lives in its own
// module under ./commands and is loaded on demand, so `plan` never loads the Kubernetes client.

import { constants } from 'node:os'
import { exitCodeFor, InputError, messageOf } from '../core/errors.js'
import { didYouMean } from '../core/suggest.js'
import { toolVersion } from '../core/version.js'
import { setProcessDeadline } from '../effects/deadline.js'
import { removeTempDirs } from '../effects/temp-files.js'
import { colourEnabled, paint } from './colour.js'
import { renderHelp } from './help.js'
import { type CliIO, type Command, processIO } from './io.js'
import { COMMAND_SPECS, type CommandSpec } from './specs.js'

const LOADERS: Record<string, () => Promise<{ command: Command }>> = {
  validate: () => import('./commands/validate.js'),
  schema: () => import('./commands/schema.js'),
  plan: () => import('./commands/plan.js'),
  check: () => import('./commands/check.js'),
  run: () => import('./commands/run.js'),
  upgrade: () => import('./commands/upgrade.js'),
  install: () => import('./commands/install.js'),
  status: () => import('./commands/status.js'),
  pause: () => import('./commands/pause.js'),
  resume: () => import('./commands/resume.js'),
  fleet: () => import('./commands/fleet.js'),
}

export function usage(): string {
  const names = Object.keys(LOADERS)
  const width = Math.max(...names.map((c) => c.length))
  const lines = names.map((name) => `  ${name.padEnd(width)}  ${COMMAND_SPECS[name]!.summary}`)
  return `Usage: dkp-fleet <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nAdd --help (or -h) after a command for its options, defaults and an example. Exit codes: 0 ok, 1 the work failed, 2 bad input.\n`
}

/** The spec whose help `argv` (after the command name) asks for: the command's, or its subcommand's. */
export function helpSpec(name: string, rest: string[]): CommandSpec | undefined {
  const spec = COMMAND_SPECS[name]
  if (!spec) return undefined
  const end = rest.indexOf('--')
  const flags = end < 0 ? rest : rest.slice(0, end)
  const sub = spec.subcommands?.[rest[0] ?? '']
  if (!flags.includes('--help') && !flags.includes('-h') && !(rest[0] === 'help')) return undefined
  return sub ?? spec
}

export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const debug = argv.includes('--debug')
  const args = argv.filter((a) => a !== '--debug')
  let [name, ...rest] = args
  if (name === 'help' && rest[0] && COMMAND_SPECS[rest[0]])
    [name, ...rest] = [rest[0], ...rest.slice(1), '--help']
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage())
    return name ? 0 : 2
  }
  if (name === '--version') {
    io.stdout(`${toolVersion(process.env)}\n`)
    return 0
  }
  const load = LOADERS[name]
  if (!load) {
    io.stderr(`dkp-fleet: unknown command "${name}"${didYouMean(name, Object.keys(LOADERS))}\n\n${usage()}`)
    return 2
  }
  const help = helpSpec(name, rest)
  if (help) {
    const p = paint(colourEnabled(io.env, io.tty?.stdout === true))
    io.stdout(renderHelp(help, p.bold))
    return 0
  }
  const signals = onSignals(io)
  try {
    const { command } = await load()
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
