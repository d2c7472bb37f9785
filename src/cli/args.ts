// Flag parsing for CLI commands: node:util parseArgs in strict mode, usage errors exit 2.
import { type ParseArgsConfig, parseArgs } from 'node:util'
import { InputError } from '../core/errors.js'

export type Options = NonNullable<ParseArgsConfig['options']>

export function parseFlags<T extends Options>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals })
  } catch (err) {
    throw new InputError(`usage: ${(err as Error).message}`)
  }
}
