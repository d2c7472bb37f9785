// dkp-fleet status [-i <glob>] [--kubeconfig F] [--json]: one table of the fleet from live
// state plus the run record (versions, last step, locks, pause, each plan step's done-condition).
// Without -i, the local demo fleet's inventory is used when `dkp-fleet fleet up` is running.

import { InputError } from '../../core/errors.js'
import type { Options } from '../../core/options.js'
import { ConsoleReporter } from '../../effects/reporter.js'
import type { FleetConnectOptions } from '../../stages/fleet-status.js'
import {
  applyTimeout,
  type FlagValues,
  optionsFromFlags,
  parseFlags,
  READ_TIMEOUT_MINUTES,
  TIMEOUT_FLAG,
} from '../args.js'
import type { CliIO, Command } from '../io.js'

export const FLEET_FLAGS = {
  inventory: { type: 'string', short: 'i', multiple: true },
  kubeconfig: { type: 'string' },
  target: { type: 'string' },
  'target-kubernetes': { type: 'string' },
  ...TIMEOUT_FLAG,
} as const

/**
 * Connect options for status, pause and resume, parsed by the options parser the action
 * shares; -i falls back to the running demo fleet's inventory.
 */
export async function fleetOptions(
  values: FlagValues,
  io: CliIO,
  command: 'status' | 'pause' | 'resume',
): Promise<{ connect: FleetConnectOptions; options: Options }> {
  const options = optionsFromFlags(
    { ...values, stage: command },
    { timeoutMinutes: READ_TIMEOUT_MINUTES, inventoryOptional: true },
  )
  applyTimeout(options.timeoutMinutes)
  let inventory: string | string[] = (values.inventory as string[] | undefined) ?? []
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

export const command: Command = async (argv, io) => {
  const { values } = parseFlags(argv, { ...FLEET_FLAGS, json: { type: 'boolean', default: false } })
  const { connectFleet, readFleetStatus, renderFleetStatus } = await import('../../stages/fleet-status.js')
  const reporter = new ConsoleReporter(io.stderr)
  const fleet = await connectFleet((await fleetOptions(values, io, 'status')).connect, reporter)
  try {
    const status = await readFleetStatus(fleet.env)
    io.stdout(values.json ? `${JSON.stringify(status, null, 2)}\n` : renderFleetStatus(status))
    return 0
  } finally {
    fleet.close()
  }
}
