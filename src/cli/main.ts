// dkp-fleet: the local CLI over the same core as the action. Each command lives in its own
// module under ./commands and is loaded on demand, so `plan` never loads the Kubernetes client.

import { exitCodeFor, InputError, messageOf } from '../core/errors.js'
import { VERSION } from '../core/version.js'
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
    io.stdout(`${process.env.DKP_FLEET_VERSION || VERSION}\n`)
    return 0
  }
  const entry = COMMANDS[name]
  if (!entry) {
    io.stderr(`dkp-fleet: unknown command "${name}"\n\n${usage()}`)
    return 2
  }
  try {
    const { command } = await entry.load()
    return await command(rest, io)
  } catch (err) {
    io.stderr(`${err instanceof InputError ? '' : 'error: '}${messageOf(err)}\n`)
    if (debug && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`)
    return exitCodeFor(err)
  }
}
