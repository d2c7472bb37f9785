import schema from '../../../schema/fleet.schema.json' with { type: 'json' }
import type { Command } from '../io.js'

export const command: Command = async (_argv, io) => {
  io.stdout(`${JSON.stringify(schema, null, 2)}\n`)
  return 0
}
