// Actions conventions for action.yml, and README's input/output tables generated from it:
// an input is required or has a default, never both; every input and output description ends
// "Type: <type>. Example: `<example>`."; the defaults are the parser's own; README's tables are
// exactly what scripts/gen-action-docs.mjs renders from action.yml.

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import {
  END,
  renderActionDocs,
  START,
  splitDescription,
  updateReadme,
} from '../../scripts/gen-action-docs.mjs'
import { type InputName, parseInputs } from '../../src/action/inputs.js'

const ROOT = join(import.meta.dirname, '..', '..')
const actionText = readFileSync(join(ROOT, 'action.yml'), 'utf8')
interface Field {
  description?: string
  required?: boolean
  default?: string
}
const action = parse(actionText) as { inputs: Record<string, Field>; outputs: Record<string, Field> }
const TYPE = /^(string|boolean|number|JSON (object|array))\b/

/** Problems with one action.yml's conventions (empty when it follows them). */
function conventionProblems(doc: typeof action): string[] {
  const out: string[] = []
  for (const [kind, fields] of [
    ['input', doc.inputs],
    ['output', doc.outputs],
  ] as const) {
    for (const [name, f] of Object.entries(fields ?? {})) {
      if (kind === 'input' && f.required === true && f.default !== undefined)
        out.push(`input ${name}: required and a default`)
      const d = splitDescription(f.description)
      if (!d.type || !d.example) out.push(`${kind} ${name}: no "Type: …. Example: \`…\`." ending`)
      else if (!TYPE.test(d.type))
        out.push(`${kind} ${name}: type "${d.type}" is not string, boolean, number or JSON`)
      if (d.what.trim().length < 10) out.push(`${kind} ${name}: no description before the type`)
    }
  }
  return out
}

describe('action.yml conventions', () => {
  it('every input is required or has a default, not both; every description gives type and example', () => {
    expect(Object.keys(action.inputs).length).toBeGreaterThan(10)
    expect(conventionProblems(action)).toEqual([])
  })

  it('stage: not required, defaults to plan (what parseInputs assumes when it is empty)', () => {
    expect(action.inputs.stage).toMatchObject({ required: false, default: 'plan' })
  })

  it('the checker reports each broken convention (negative control)', () => {
    const broken = {
      inputs: {
        stage: { description: 'Stage. Type: string. Example: `plan`.', required: true, default: 'plan' },
        cluster: { description: 'The cluster to upgrade.' },
        wave: { description: 'A wave number of some sort. Type: integer-ish. Example: `1`.' },
      },
      outputs: { digest: { description: 'The plan digest, no type given. Example: `sha256:…`.' } },
    }
    expect(conventionProblems(broken)).toEqual([
      'input stage: required and a default',
      'input stage: no description before the type',
      'input cluster: no "Type: …. Example: `…`." ending',
      'input wave: type "integer-ish" is not string, boolean, number or JSON',
      'output digest: no "Type: …. Example: `…`." ending',
    ])
  })

  it('the declared defaults are the ones parseInputs applies to an empty input', () => {
    const withDefaults = (name: InputName) =>
      name === 'inventory' ? 'fleet.yaml' : (action.inputs[name]?.default ?? '')
    const empty = (name: InputName) => (name === 'inventory' ? 'fleet.yaml' : '')
    expect(parseInputs(withDefaults)).toEqual(parseInputs(empty))
  })

  it('every input example is accepted by parseInputs', () => {
    const examples: Record<string, string> = {}
    for (const [name, f] of Object.entries(action.inputs)) {
      const { example } = splitDescription(f.description)
      // kubeconfig's example names the secret expression, not kubeconfig text.
      if (name !== 'kubeconfig') examples[name] = example!
    }
    const inputs = parseInputs((name) => examples[name] ?? '')
    expect(inputs.stage).toBe(examples.stage)
    expect(inputs.cluster).toBe(examples.cluster)
  })
})

describe('README input and output tables', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')

  it('are exactly what scripts/gen-action-docs.mjs renders from action.yml', () => {
    expect(readme).toContain(START)
    expect(readme).toContain(END)
    expect(updateReadme(readme, renderActionDocs(actionText))).toBe(readme)
  })

  it('list every input and output once, with its default', () => {
    const block = readme.slice(readme.indexOf(START), readme.indexOf(END))
    for (const name of [...Object.keys(action.inputs), ...Object.keys(action.outputs)])
      expect(block.match(new RegExp(`^\\| \`${name}\` \\|`, 'gm')), name).toHaveLength(1)
    expect(block).toContain('| `dry-run` | boolean | `false` |')
  })

  it('a change to action.yml shows as a stale README (negative control)', () => {
    const changed = actionText.replace('default: "60"', 'default: "90"')
    expect(changed).not.toBe(actionText)
    expect(updateReadme(readme, renderActionDocs(changed))).not.toBe(readme)
  })
})
