// dkp-fleet status [-i <glob>] [--kubeconfig F] [--json]: one table of the fleet from live
// state plus the run record (versions, last step, locks, pause, each plan step's done-condition).
// Without -i, the local demo fleet's inventory is used when `dkp-fleet fleet up` is running.

import { InputError } from '../../core/errors.js'
import type { Options } from '../../core/options.js'
import { ConsoleReporter } from '../../effects/reporter.js'
import type { FleetConnectOptions } from '../../stages/fleet-status.js'
import {
  applyTimeout,
  commandArgs,
  type FlagValues,
  list,
  optionsFromFlags,
  READ_TIMEOUT_MINUTES,
  str,
} from '../args.js'
import type { CliIO, Command } from '../io.js'
import { COMMAND_SPECS } from '../specs.js'

/**
 * Connect options for status, pause and resume, parsed by the options parser the action
 * shares; -i falls back to the running demo fleet's inventory.
 */
export async function fleetOptions(
  values: FlagValues,
  io: CliIO,
  command: 'status' | 'pause' | 'resume',
): Promise<{ connect: FleetConnectOptions; options: Options }> {
  const { format: _f, json: _j, ...shared } = values
  const options = optionsFromFlags(
    { ...shared, stage: command },
    { timeoutMinutes: READ_TIMEOUT_MINUTES, inventoryOptional: true },
  )
  applyTimeout(options.timeoutMinutes)
  let inventory: string | string[] = list(values.inventory)
  if (inventory.length === 0) {
    const { readFleetState } = await import('../../fleet/fleet.js')
    const state = readFleetState(io.env)
    const kubeconfig = options.kubeconfig ?? io.env.KUBECONFIG?.split(':')[0]
    if (state && (!kubeconfig || kubeconfig === state.kubeconfig)) inventory = state.inventory
    else
      throw new InputError(
        `usage: dkp-fleet ${command} -i <inventory> [--kubeconfig F]: the inventory names the fleet and its management cluster`,
      )
  }
  const connect: FleetConnectOptions = {
    inventory,
    kubeconfig: { path: options.kubeconfig },
    allowKubeconfigEnv: true,
    target: options.target,
    targetKubernetes: options.targetKubernetes,
    env: io.env,
    cwd: io.cwd,
  }
  return { connect, options }
}

export const STATUS_FORMATS = ['text', 'json', 'markdown'] as const

export const command: Command = async (argv, io) => {
  const args = commandArgs(argv, COMMAND_SPECS.status!, io)
  if (!args) return 0
  const { values } = args
  const format = values.json ? 'json' : (str(values.format) ?? 'text')
  if (!(STATUS_FORMATS as readonly string[]).includes(format))
    throw new InputError([
      { path: '--format', message: `must be one of ${STATUS_FORMATS.join(', ')}, not "${format}"` },
    ])
  const { connectFleet, fleetStatusMarkdown, readFleetStatus, renderFleetStatus } = await import(
    '../../stages/fleet-status.js'
  )
  const reporter = new ConsoleReporter(io.stderr)
  const fleet = await connectFleet((await fleetOptions(values, io, 'status')).connect, reporter)
  try {
    const status = await readFleetStatus(fleet.env)
    io.stdout(
      format === 'json'
        ? `${JSON.stringify(status, null, 2)}\n`
        : format === 'markdown'
          ? fleetStatusMarkdown(status)
          : renderFleetStatus(status),
    )
    return 0
  } finally {
    fleet.close()
  }
}
