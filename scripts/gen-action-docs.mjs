// README's action input and output tables, generated from action.yml (the one source).
//   node scripts/gen-action-docs.mjs          rewrite README.md between the markers
//   node scripts/gen-action-docs.mjs --check  exit 1 when README.md is stale
// Every description ends "Type: <type>. Example: `<example>`." (test/unit/action-docs.test.ts
// holds action.yml to that and README to this output).
import { readFileSync, writeFileSync } from 'node:fs'
import { parse } from 'yaml'

export const START = '<!-- action-docs:start (generated from action.yml by scripts/gen-action-docs.mjs) -->'
export const END = '<!-- action-docs:end -->'
const TAIL = /^([\s\S]*?)\s*Type: ([^\n]+?)\. Example: `([^`\n]+)`\.$/

/**
 * A description split into what it says, its type and its example (undefined parts when malformed).
 * @param {unknown} description
 * @returns {{ what: string, type?: string, example?: string }}
 */
export function splitDescription(description) {
  const m = TAIL.exec(String(description ?? '').trim())
  return m ? { what: m[1], type: m[2], example: m[3] } : { what: String(description ?? '') }
}

const cell = (text) => String(text).replaceAll('|', '\\|').replaceAll('\n', ' ')
const code = (text) => `\`${cell(text)}\``

/** The Markdown tables for one action.yml text. */
export function renderActionDocs(actionYaml) {
  const action = parse(actionYaml)
  const lines = ['| input | type | default | description | example |', '|---|---|---|---|---|']
  for (const [name, input] of Object.entries(action.inputs ?? {})) {
    const d = splitDescription(input.description)
    const dflt = input.default !== undefined ? code(input.default) : input.required ? 'required' : ''
    lines.push(
      `| ${code(name)} | ${cell(d.type ?? '')} | ${dflt} | ${cell(d.what)} | ${d.example ? code(d.example) : ''} |`,
    )
  }
  lines.push('', '| output | type | description | example |', '|---|---|---|---|')
  for (const [name, output] of Object.entries(action.outputs ?? {})) {
    const d = splitDescription(output.description)
    lines.push(
      `| ${code(name)} | ${cell(d.type ?? '')} | ${cell(d.what)} | ${d.example ? code(d.example) : ''} |`,
    )
  }
  return lines.join('\n')
}

/** README text with the generated block replaced (the markers must be there once each). */
export function updateReadme(readme, tables) {
  const a = readme.indexOf(START)
  const b = readme.indexOf(END)
  if (a < 0 || b < a || readme.indexOf(START, a + 1) >= 0)
    throw new Error(`README.md needs exactly one ${START} … ${END} block`)
  return `${readme.slice(0, a + START.length)}\n${tables}\n${readme.slice(b)}`
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const readme = readFileSync('README.md', 'utf8')
  const next = updateReadme(readme, renderActionDocs(readFileSync('action.yml', 'utf8')))
  if (process.argv.includes('--check')) {
    if (next !== readme) {
      process.stderr.write(
        'README.md: the action tables differ from action.yml; run node scripts/gen-action-docs.mjs\n',
      )
      process.exit(1)
    }
  } else if (next !== readme) writeFileSync('README.md', next)
}
