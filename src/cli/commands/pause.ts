// dkp-fleet pause [--reason R] [-i <glob>] [--kubeconfig F]: sets the fleet's pause marker on
// the management cluster. Every mutating stage then ends `deferred` without changing anything
// (the kubernetes stage also checks between node pools). Pausing again updates the reason.

import { ConsoleReporter } from '../../effects/reporter.js'
import { commandArgs } from '../args.js'
import type { Command } from '../io.js'
import { COMMAND_SPECS } from '../specs.js'
import { fleetOptions } from './status.js'

export const command: Command = async (argv, io) => {
  const args = commandArgs(argv, COMMAND_SPECS.pause!, io)
  if (!args) return 0
  const { values } = args
  const { connectFleet, pauseFleet, pausedBy } = await import('../../stages/fleet-status.js')
  const { connect, options } = await fleetOptions(values, io, 'pause')
  const fleet = await connectFleet(connect, new ConsoleReporter(io.stderr))
  try {
    const result = await pauseFleet(fleet.env, {
      reason: options.reason,
      by: pausedBy(io.env),
      dryRun: options.dryRun,
    })
    io.stdout(`${result.message}\n`)
    return 0
  } finally {
    fleet.close()
  }
}
