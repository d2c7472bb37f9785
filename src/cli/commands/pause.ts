// dkp-fleet pause [--reason R] [-i <glob>] [--kubeconfig F]: sets the fleet's pause marker on
// the management cluster. Every mutating stage then ends `deferred` without changing anything
// (the kubernetes stage also checks between node pools). Pausing again updates the reason.

import { ConsoleReporter } from '../../effects/reporter.js'
import { parseFlags } from '../args.js'
import type { Command } from '../io.js'
import { FLEET_FLAGS, fleetOptions } from './status.js'

export const command: Command = async (argv, io) => {
  const { values } = parseFlags(argv, {
    ...FLEET_FLAGS,
    reason: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
  })
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
