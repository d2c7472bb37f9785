// Flag parsing for CLI commands: node:util parseArgs in strict mode, usage errors exit 2.
import { type ParseArgsConfig, parseArgs } from 'node:util'
import { InputError } from '../core/errors.js'
import { deadlineIn, setProcessDeadline } from '../effects/deadline.js'

export type Options = NonNullable<ParseArgsConfig['options']>

export function parseFlags<T extends Options>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals })
  } catch (err) {
    throw new InputError(`usage: ${(err as Error).message}`)
  }
}

/** `--timeout-minutes M`: every command that talks to a cluster has a deadline. */
export const TIMEOUT_FLAG = { 'timeout-minutes': { type: 'string' } } as const

/** Default deadline of the commands that only read or mark the fleet (plan, status, check, pause, resume). */
export const READ_TIMEOUT_MINUTES = 10

/** `--timeout-minutes` as minutes (default `fallback`); bad values are usage errors. */
export function parseTimeout(value: string | undefined, fallback = READ_TIMEOUT_MINUTES): number {
  const minutes = value === undefined ? fallback : Number(value)
  if (!(minutes > 0) || !Number.isFinite(minutes))
    throw new InputError(`--timeout-minutes must be a positive number of minutes (got "${value}")`)
  return minutes
}

/**
 * Parses `--timeout-minutes` and makes it this process's deadline for API calls: a call that
 * would outlive it fails naming the call and the flag.
 */
export function applyTimeout(value: string | undefined, fallback = READ_TIMEOUT_MINUTES): number {
  const minutes = parseTimeout(value, fallback)
  setProcessDeadline(deadlineIn(minutes, `--timeout-minutes ${minutes}`))
  return minutes
}
