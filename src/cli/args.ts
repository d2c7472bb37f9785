// Flag parsing for CLI commands: node:util parseArgs in strict mode (usage errors exit 2), then
// the options parser the action shares (src/core/options.ts): the same validation and texts,
// each problem naming the CLI flag (`--cluster: …`), never the action input.
import { type ParseArgsConfig, parseArgs } from 'node:util'
import { InputError, type InputProblem } from '../core/errors.js'
import { type OptionName, type Options, type ParseSettings, readOptions } from '../core/options.js'
import { didYouMean } from '../core/suggest.js'
import { deadlineIn, setProcessDeadline } from '../effects/deadline.js'
import { colourEnabled, paint } from './colour.js'
import { renderHelp } from './help.js'
import type { CliIO } from './io.js'
import type { CommandSpec } from './specs.js'

export type FlagOptions = NonNullable<ParseArgsConfig['options']>

export function parseFlags<T extends FlagOptions>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals })
  } catch (err) {
    throw new InputError(`usage: ${(err as Error).message}`)
  }
}

/** What a command's argv parsed into: its flags and positional arguments, or a request for help. */
export type ParsedCommand = { help: true } | { help: false; values: FlagValues; positionals: string[] }

/**
 * Parses a command's argv against its spec (specs.ts): `--help`/`-h` anywhere (before `--`)
 * asks for help; unknown flags are all named at once, each with a "did you mean"; positional
 * arguments right after `-i <file>` are more inventory files (what the shell makes of an
 * unquoted `-i fleet/*.yaml`); any other positional beyond the command's arguments is refused
 * with a hint to quote the glob.
 */
export function parseCommand(argv: string[], spec: CommandSpec): ParsedCommand {
  const end = argv.indexOf('--')
  const flagPart = end < 0 ? argv : argv.slice(0, end)
  if (flagPart.includes('--help') || flagPart.includes('-h')) return { help: true }
  const unknown = unknownFlags(flagPart, spec)
  if (unknown.length > 0) throw new InputError(unknown)
  const options: FlagOptions = {}
  for (const [name, f] of Object.entries(spec.flags))
    options[name] = {
      type: f.type,
      ...(f.short ? { short: f.short } : {}),
      ...(f.multiple ? { multiple: true } : {}),
    }
  const parsed = parseTokens(argv, options, spec.name)
  const values: FlagValues = { ...parsed.values }
  const positionals: string[] = []
  const extraInventory: string[] = []
  let afterInventory = false
  for (const token of parsed.tokens) {
    if (token.kind === 'option') afterInventory = token.name === 'inventory'
    else if (token.kind === 'option-terminator') afterInventory = false
    else if (afterInventory) extraInventory.push(token.value)
    else positionals.push(token.value)
  }
  if (extraInventory.length > 0)
    values.inventory = [...((values.inventory as string[] | undefined) ?? []), ...extraInventory]
  const allowed = spec.args?.length ?? 0
  if (positionals.length > allowed) {
    const extra = positionals.slice(allowed)
    throw new InputError(
      `usage: unexpected argument${extra.length > 1 ? 's' : ''} ${extra.map((e) => `"${e}"`).join(' ')} for dkp-fleet ${spec.name}` +
        ('inventory' in spec.flags
          ? "; inventory files go right after -i (several are fine: -i a.yaml b.yaml), or quote a glob: -i 'fleet/*.yaml'"
          : ''),
    )
  }
  return { help: false, values, positionals }
}

function parseTokens(argv: string[], options: FlagOptions, name: string) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: true, tokens: true })
  } catch (err) {
    throw new InputError(`usage: ${(err as Error).message} (dkp-fleet ${name} --help shows the options)`)
  }
}

/** Flags the spec does not know, each with the closest known one. */
function unknownFlags(argv: string[], spec: CommandSpec): InputProblem[] {
  const longs = Object.keys(spec.flags)
  const shorts = new Map(
    Object.entries(spec.flags).flatMap(([n, f]) => (f.short ? [[f.short, n] as const] : [])),
  )
  const out: InputProblem[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg.startsWith('--')) {
      const [name] = arg.slice(2).split('=', 1) as [string]
      const f = spec.flags[name]
      if (!f)
        out.push({
          message: `usage: unknown flag --${name} for dkp-fleet ${spec.name}${didYouMean(name, longs, '--')} (dkp-fleet ${spec.name} --help lists the flags)`,
        })
      else if (f.type === 'string' && !arg.includes('=')) i++
    } else if (arg.startsWith('-') && arg.length > 1) {
      const letter = arg[1]!
      const name = shorts.get(letter)
      if (name === undefined)
        out.push({
          message: `usage: unknown flag -${letter} for dkp-fleet ${spec.name} (dkp-fleet ${spec.name} --help lists the flags)`,
        })
      else if (spec.flags[name]!.type === 'string' && arg.length === 2) i++
    }
  }
  return out
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

/**
 * A command's flags and arguments parsed against its spec, or undefined when `--help`/`-h` was
 * asked for (the help is printed then).
 */
export function commandArgs(
  argv: string[],
  spec: CommandSpec,
  io: Pick<CliIO, 'stdout' | 'env' | 'tty'>,
): { values: FlagValues; positionals: string[] } | undefined {
  const parsed = parseCommand(argv, spec)
  if (!parsed.help) return parsed
  io.stdout(renderHelp(spec, paint(colourEnabled(io.env, io.tty?.stdout === true)).bold))
  return undefined
}

/** A multiple-valued string flag's values (undefined → []). */
export const list = (v: FlagValues[string]): string[] =>
  Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []

/** A string flag's value. */
export const str = (v: FlagValues[string]): string | undefined => (typeof v === 'string' ? v : undefined)
