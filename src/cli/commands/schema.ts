import schema from '../../../schema/fleet.schema.json' with { type: 'json' }
import { commandArgs } from '../args.js'
import type { Command } from '../io.js'
import { COMMAND_SPECS } from '../specs.js'

export const command: Command = async (argv, io) => {
  if (!commandArgs(argv, COMMAND_SPECS.schema!, io)) return 0
  io.stdout(`${JSON.stringify(schema, null, 2)}\n`)
  return 0
}
