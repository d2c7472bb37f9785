// A cobra/pflag-compatible command line parser for the stand-in dkp: `--flag=value` and
// `--flag value`, shorthands (`-c x`, `-cx`, `-c=x`), bool flags only as `--flag` or
// `--flag=false`, repeatable string arrays, comma-split string slices, Go durations, `--` ends
// flags. Errors carry cobra's wording (`unknown flag: --x`). Pure.

export type FlagType = 'string' | 'bool' | 'int' | 'duration' | 'stringArray' | 'stringSlice'

export interface FlagDef {
  name: string
  short?: string
  type: FlagType
  default?: string | boolean | number | string[]
  usage: string
  required?: boolean
}

export type FlagValues = Record<string, string | boolean | number | string[] | undefined>

export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/** Go duration text (`10m0s`, `1h`, `500ms`, `0`) to milliseconds. */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g
  let total = 0
  let consumed = 0
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const n = Number(m[1])
    const unit = m[2] as string
    total += n * ({ ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit] ?? 0)
    consumed += m[0].length
  }
  return consumed === text.length && consumed > 0 ? total : undefined
}

/** Go's formatting of a duration in milliseconds (`20m0s`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s'
  const h = Math.floor(ms / 3_600_000)
  const m = Math.floor((ms % 3_600_000) / 60_000)
  const s = (ms % 60_000) / 1000
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`
}

export interface Parsed {
  values: FlagValues
  args: string[]
  /** Flags given on the command line (not defaults). */
  set: Set<string>
  help: boolean
}

export function parseFlags(argv: string[], defs: FlagDef[]): Parsed {
  const p = new FlagParser(defs)
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === '--') {
      p.args.push(...argv.slice(i + 1))
      break
    }
    if (a.startsWith('--') && a.length > 2) i = p.long(a, argv, i)
    else if (a.startsWith('-') && a.length > 1) i = p.shorthands(a, argv, i)
    else p.args.push(a)
  }
  if (!p.help) {
    const missing = defs.filter((d) => d.required && !p.set.has(d.name)).map((d) => `"${d.name}"`)
    if (missing.length > 0) throw new UsageError(`required flag(s) ${missing.join(', ')} not set`)
  }
  return { values: p.values, args: p.args, set: p.set, help: p.help }
}

const shownOf = (d: FlagDef) => (d.short ? `-${d.short}, --${d.name}` : `--${d.name}`)

/** A flag's value from its text (`previous`: what repeatable flags already hold). */
function convert(d: FlagDef, raw: string, previous: string[]): string | boolean | number | string[] {
  const invalid = (why: string) =>
    new UsageError(`invalid argument "${raw}" for "${shownOf(d)}" flag: ${why}`)
  switch (d.type) {
    case 'bool':
      if (!/^(1|0|t|f|T|F|true|false|TRUE|FALSE|True|False)$/.test(raw))
        throw invalid(`strconv.ParseBool: parsing "${raw}": invalid syntax`)
      return /^(1|t|T|true|TRUE|True)$/.test(raw)
    case 'int':
      if (!/^-?\d+$/.test(raw)) throw invalid(`strconv.ParseInt: parsing "${raw}": invalid syntax`)
      return Number(raw)
    case 'duration': {
      const ms = parseDuration(raw)
      if (ms === undefined) throw invalid(`time: invalid duration "${raw}"`)
      return ms
    }
    case 'stringArray':
      return [...previous, raw]
    case 'stringSlice':
      return [...previous, ...(raw === '' ? [] : raw.split(','))]
    default:
      return raw
  }
}

/** The state of one parse: values (defaults first), flags set, positional args, --help. */
class FlagParser {
  readonly values: FlagValues = {}
  readonly set = new Set<string>()
  readonly args: string[] = []
  help = false
  private readonly byName: Map<string, FlagDef>
  private readonly byShort: Map<string, FlagDef>

  constructor(defs: FlagDef[]) {
    this.byName = new Map(defs.map((d) => [d.name, d]))
    this.byShort = new Map(defs.filter((d) => d.short).map((d) => [d.short as string, d]))
    for (const d of defs) this.values[d.name] = Array.isArray(d.default) ? [...d.default] : d.default
  }

  private assign(d: FlagDef, raw: string): void {
    const previous = this.set.has(d.name) ? (this.values[d.name] as string[]) : []
    this.values[d.name] = convert(d, raw, previous)
    this.set.add(d.name)
  }

  /** `--name`, `--name=value` or `--name value`; returns the index of the last word used. */
  long(a: string, argv: string[], i: number): number {
    const eq = a.indexOf('=')
    const name = eq < 0 ? a.slice(2) : a.slice(2, eq)
    if (name === 'help') {
      this.help = true
      return i
    }
    const d = this.byName.get(name)
    if (!d) throw new UsageError(`unknown flag: --${name}`)
    if (eq >= 0) this.assign(d, a.slice(eq + 1))
    else if (d.type === 'bool') this.assign(d, 'true')
    else {
      if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: --${name}`)
      this.assign(d, argv[i + 1] as string)
      return i + 1
    }
    return i
  }

  /** A shorthand cluster: -abc, -c value, -cvalue, -c=value; returns the index of the last word used. */
  shorthands(a: string, argv: string[], i: number): number {
    for (let j = 1; j < a.length; j++) {
      const ch = a[j] as string
      if (ch === 'h') {
        this.help = true
        continue
      }
      const d = this.byShort.get(ch)
      if (!d) throw new UsageError(`unknown shorthand flag: '${ch}' in ${a}`)
      const rest = a.slice(j + 1)
      if (d.type === 'bool') {
        if (!rest.startsWith('=')) {
          this.assign(d, 'true')
          continue
        }
        this.assign(d, rest.slice(1))
        return i
      }
      if (rest.length > 0) {
        this.assign(d, rest.startsWith('=') ? rest.slice(1) : rest)
        return i
      }
      if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: '${ch}' in -${ch}`)
      this.assign(d, argv[i + 1] as string)
      return i + 1
    }
    return i
  }
}

/** The "Flags:" block of a cobra usage text. */
export function flagUsage(defs: FlagDef[]): string {
  const rows = defs.map((d) => {
    const name = `${d.short ? `-${d.short}, ` : '    '}--${d.name}${d.type === 'bool' ? '' : ` ${d.type === 'stringArray' || d.type === 'stringSlice' ? 'strings' : d.type}`}`
    let def = ''
    if (
      d.default !== undefined &&
      d.default !== false &&
      d.default !== '' &&
      !(Array.isArray(d.default) && d.default.length === 0)
    ) {
      def =
        d.type === 'duration'
          ? ` (default ${formatDuration(d.default as number)})`
          : Array.isArray(d.default)
            ? ` (default [${d.default.join(',')}])`
            : d.type === 'string'
              ? ` (default "${d.default}")`
              : ` (default ${d.default})`
    }
    return [name, `${d.usage}${def}`] as const
  })
  const width = Math.max(...rows.map((r) => r[0].length), 10)
  return rows.map(([n, u]) => `  ${n.padEnd(width)}   ${u}`).join('\n')
}
