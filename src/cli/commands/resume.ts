// dkp-fleet resume [-i <glob>] [--kubeconfig F]: removes the fleet's pause marker. Nothing else
// changes: the next dispatch of the pipeline continues (stages already done skip).

import { ConsoleReporter } from '../../effects/reporter.js'
import { commandArgs } from '../args.js'
import type { Command } from '../io.js'
import { COMMAND_SPECS } from '../specs.js'
import { fleetOptions } from './status.js'

export const command: Command = async (argv, io) => {
  const args = commandArgs(argv, COMMAND_SPECS.resume!, io)
  if (!args) return 0
  const { values } = args
  const { connectFleet, pausedBy, resumeFleet } = await import('../../stages/fleet-status.js')
  const { connect, options } = await fleetOptions(values, io, 'resume')
  const fleet = await connectFleet(connect, new ConsoleReporter(io.stderr))
  try {
    const result = await resumeFleet(fleet.env, { by: pausedBy(io.env), dryRun: options.dryRun })
    io.stdout(`${result.message}\n`)
    return 0
  } finally {
    fleet.close()
  }
}
