// `--help` for every command and subcommand, rendered from its spec (specs.ts): usage, what it
// does, arguments, options with their defaults, examples.

import type { CommandSpec } from './specs.js'

const WIDTH = 80

/** Word-wraps a paragraph to `width` columns, every line after the first indented by `indent`. */
export function wrap(text: string, width = WIDTH, indent = ''): string {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line)
      line = indent + word
    } else line = line ? `${line} ${word}` : word
  }
  if (line) lines.push(line)
  return lines.join('\n')
}

/** How a flag reads in help: `-i, --inventory <glob>`. */
export function flagTitle(name: string, spec: { short?: string; arg?: string }): string {
  return `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.arg ? ` ${spec.arg}` : ''}`
}

/** Two columns: the title, then the text wrapped beside it. */
function columns(rows: [string, string][]): string[] {
  const width = Math.min(30, Math.max(...rows.map(([t]) => t.length)) + 2)
  return rows.map(([title, text]) => {
    const pad = ' '.repeat(2 + width)
    const body = wrap(text, WIDTH - pad.length).replace(/\n/g, `\n${pad}`)
    return title.length + 2 > width ? `  ${title}\n${pad}${body}` : `  ${title.padEnd(width)}${body}`
  })
}

export function renderHelp(spec: CommandSpec, heading: (s: string) => string = (s) => s): string {
  const out: string[] = []
  out.push(`${heading('Usage:')} ${spec.usage.map((u) => `dkp-fleet ${u}`).join('\n       ')}`)
  out.push(wrap(spec.about))
  if (spec.subcommands)
    out.push(
      `${heading('Commands:')}\n${columns(Object.entries(spec.subcommands).map(([n, s]) => [n, s.summary])).join('\n')}`,
    )
  if (spec.args?.length)
    out.push(`${heading('Arguments:')}\n${columns(spec.args.map((a) => [a.name, a.help])).join('\n')}`)
  const flags: [string, string][] = Object.entries(spec.flags).map(([name, f]) => [
    flagTitle(name, f),
    f.default !== undefined ? `${f.help} (default: ${f.default})` : f.help,
  ])
  flags.push([flagTitle('help', { short: 'h' }), 'show this help'])
  out.push(`${heading('Options:')}\n${columns(flags).join('\n')}`)
  out.push(
    `${heading(spec.examples.length > 1 ? 'Examples:' : 'Example:')}\n${spec.examples.map((e) => `  ${e}`).join('\n')}`,
  )
  out.push('Exit codes: 0 ok, 1 the work failed, 2 bad input.')
  return `${out.join('\n\n')}\n`
}
