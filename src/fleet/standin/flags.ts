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
  const byName = new Map(defs.map((d) => [d.name, d]))
  const byShort = new Map(defs.filter((d) => d.short).map((d) => [d.short as string, d]))
  const values: FlagValues = {}
  for (const d of defs) values[d.name] = Array.isArray(d.default) ? [...d.default] : d.default
  const set = new Set<string>()
  const args: string[] = []
  let help = false

  const assign = (d: FlagDef, raw: string, shown: string) => {
    switch (d.type) {
      case 'bool': {
        if (!/^(1|0|t|f|T|F|true|false|TRUE|FALSE|True|False)$/.test(raw)) {
          throw new UsageError(
            `invalid argument "${raw}" for "${shown}" flag: strconv.ParseBool: parsing "${raw}": invalid syntax`,
          )
        }
        values[d.name] = /^(1|t|T|true|TRUE|True)$/.test(raw)
        break
      }
      case 'int': {
        if (!/^-?\d+$/.test(raw)) {
          throw new UsageError(
            `invalid argument "${raw}" for "${shown}" flag: strconv.ParseInt: parsing "${raw}": invalid syntax`,
          )
        }
        values[d.name] = Number(raw)
        break
      }
      case 'duration': {
        const ms = parseDuration(raw)
        if (ms === undefined)
          throw new UsageError(
            `invalid argument "${raw}" for "${shown}" flag: time: invalid duration "${raw}"`,
          )
        values[d.name] = ms
        break
      }
      case 'stringArray': {
        const prev = set.has(d.name) ? (values[d.name] as string[]) : []
        values[d.name] = [...prev, raw]
        break
      }
      case 'stringSlice': {
        const prev = set.has(d.name) ? (values[d.name] as string[]) : []
        values[d.name] = [...prev, ...(raw === '' ? [] : raw.split(','))]
        break
      }
      default:
        values[d.name] = raw
    }
    set.add(d.name)
  }
  const shownOf = (d: FlagDef) => (d.short ? `-${d.short}, --${d.name}` : `--${d.name}`)

  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === '--') {
      args.push(...argv.slice(i + 1))
      break
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=')
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq)
      if (name === 'help') {
        help = true
        continue
      }
      const d = byName.get(name)
      if (!d) throw new UsageError(`unknown flag: --${name}`)
      if (eq >= 0) assign(d, a.slice(eq + 1), shownOf(d))
      else if (d.type === 'bool') assign(d, 'true', shownOf(d))
      else {
        if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: --${name}`)
        assign(d, argv[++i] as string, shownOf(d))
      }
      continue
    }
    if (a.startsWith('-') && a.length > 1) {
      // shorthand cluster: -abc, -c value, -cvalue, -c=value
      let j = 1
      while (j < a.length) {
        const ch = a[j] as string
        if (ch === 'h') {
          help = true
          j++
          continue
        }
        const d = byShort.get(ch)
        if (!d) throw new UsageError(`unknown shorthand flag: '${ch}' in ${a}`)
        const rest = a.slice(j + 1)
        if (d.type === 'bool') {
          if (rest.startsWith('=')) {
            assign(d, rest.slice(1), shownOf(d))
            break
          }
          assign(d, 'true', shownOf(d))
          j++
          continue
        }
        if (rest.length > 0) assign(d, rest.startsWith('=') ? rest.slice(1) : rest, shownOf(d))
        else {
          if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: '${ch}' in -${ch}`)
          assign(d, argv[++i] as string, shownOf(d))
        }
        break
      }
      continue
    }
    args.push(a)
  }
  if (!help) {
    const missing = defs.filter((d) => d.required && !set.has(d.name)).map((d) => `"${d.name}"`)
    if (missing.length > 0) throw new UsageError(`required flag(s) ${missing.join(', ')} not set`)
  }
  return { values, args, set, help }
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
