// Flag parsing for CLI commands: node:util parseArgs in strict mode (usage errors exit 2), then
// the options parser the action shares (src/core/options.ts): the same validation and texts,
// each problem naming the CLI flag (`--cluster: …`), never the action input.
import { type ParseArgsConfig, parseArgs } from 'node:util'
import { InputError, type InputProblem } from '../core/errors.js'
import { type OptionName, type Options, type ParseSettings, readOptions } from '../core/options.js'
import { deadlineIn, setProcessDeadline } from '../effects/deadline.js'

export type FlagOptions = NonNullable<ParseArgsConfig['options']>

export function parseFlags<T extends FlagOptions>(argv: string[], options: T, allowPositionals = false) {
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

/** What parseArgs returns per flag. */
export type FlagValues = Record<string, string | boolean | (string | boolean)[] | undefined>

export interface FlagSettings extends Omit<ParseSettings, 'label'> {
  /**
   * A command's own spelling of an option: `install` says `--version` for dkp-version. A label
   * starting with `--` is also the flag read; any other (`<stage>`) reads the option's name.
   */
  labels?: Partial<Record<OptionName, string>>
}

/** How the CLI names an option in messages: its flag. */
export const flagLabel =
  (labels: Partial<Record<OptionName, string>> = {}) =>
  (name: OptionName): string =>
    labels[name] ?? `--${name}`

/** The options parser fed from parsed flags: every problem found, naming the flags. */
export function readFlagOptions(
  values: FlagValues,
  settings: FlagSettings = {},
): { options: Options; problems: InputProblem[] } {
  const label = flagLabel(settings.labels)
  const get = (name: OptionName): string => {
    const l = label(name)
    const v = values[l.startsWith('--') ? l.slice(2) : name]
    if (Array.isArray(v)) return v.join('\n')
    if (typeof v === 'boolean') return v ? 'true' : ''
    return v ?? ''
  }
  return readOptions(get, { ...settings, label })
}

/** The options parser fed from parsed flags; throws one InputError listing every problem. */
export function optionsFromFlags(values: FlagValues, settings: FlagSettings = {}): Options {
  const { options, problems } = readFlagOptions(values, settings)
  if (problems.length > 0) throw new InputError(problems)
  return options
}

/**
 * Makes `--timeout-minutes` this process's deadline for API calls: a call that would outlive it
 * fails naming the call and the flag.
 */
export function applyTimeout(minutes: number): number {
  setProcessDeadline(deadlineIn(minutes, `--timeout-minutes ${minutes}`))
  return minutes
}
