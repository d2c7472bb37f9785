// dkp-fleet resume [-i <glob>] [--kubeconfig F]: removes the fleet's pause marker. Nothing else
// changes: the next dispatch of the pipeline continues (stages already done skip).

import { ConsoleReporter } from '../../effects/reporter.js'
import { parseFlags } from '../args.js'
import type { Command } from '../io.js'
import { FLEET_FLAGS, fleetOptions } from './status.js'

export const command: Command = async (argv, io) => {
  const { values } = parseFlags(argv, { ...FLEET_FLAGS, 'dry-run': { type: 'boolean', default: false } })
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
