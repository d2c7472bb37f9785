// dkp-fleet fleet up|down: a local simulated DKP fleet (dev/demo). `up` prints only shell lines on
// stdout (progress goes to stderr), so `eval "$(npx dkp-fleet fleet up)"` works.

import { InputError } from '../../core/errors.js'
import { didYouMean } from '../../core/suggest.js'
import { commandArgs, list, str } from '../args.js'
import { renderHelp } from '../help.js'
import type { Command } from '../io.js'
import { COMMAND_SPECS } from '../specs.js'

const SPEC = COMMAND_SPECS.fleet!
const SUBCOMMANDS = Object.keys(SPEC.subcommands ?? {})

export const command: Command = async (argv, io) => {
  const [sub, ...rest] = argv
  if (!sub || sub === '--help' || sub === '-h') {
    io.stdout(renderHelp(SPEC))
    return sub ? 0 : 2
  }
  const spec = SPEC.subcommands?.[sub]
  if (!spec)
    throw new InputError(
      `fleet: unknown subcommand "${sub}"${didYouMean(sub, SUBCOMMANDS)} (expected ${SUBCOMMANDS.join(' or ')}; dkp-fleet fleet --help)`,
    )
  const args = commandArgs(rest, spec, io)
  if (!args) return 0
  const { values } = args
  const { fleetDown, fleetUp } = await import('../../fleet/fleet.js')
  const log = (line: string) => io.stderr(`${line}\n`)
  if (sub === 'up') {
    const inventory = list(values.inventory)
    const up = await fleetUp({
      inventory: inventory.length > 0 ? inventory : undefined,
      dkp: str(values.dkp),
      nkp: str(values.nkp),
      dir: str(values.dir),
      bare: values.bare === true,
      cwd: io.cwd,
      env: values.demo ? { ...io.env, DKP_FLEET_SIM_MODE: 'demo' } : io.env,
      log,
    })
    io.stdout(up.exports)
    return 0
  }
  if (!(await fleetDown({ env: io.env, log }))) log('fleet: no fleet is running')
  return 0
}
