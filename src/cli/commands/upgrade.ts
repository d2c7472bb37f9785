import { InputError } from '../../core/errors.js'
import type { Command } from '../io.js'

// Placeholder until the upgrade driver lands (next commits on this branch).
export const command: Command = async () => {
  throw new InputError('dkp-fleet upgrade: not built yet')
}
