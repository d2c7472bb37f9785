// Dependencies point inward: src/core is pure. No file in it imports the effects, stages,
// action or CLI layers, @actions/* or the Kubernetes client, or reads process.env.

import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '../..')
const CORE = join(ROOT, 'src/core')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name)
    if (e.isDirectory()) return sourceFiles(path)
    return /\.(ts|js|mjs|cjs)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path] : []
  })
}

/** Every module specifier: static imports and re-exports, `import type`, dynamic import(), require(). */
function specifiers(source: string): string[] {
  const out: string[] = []
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?(?:[\w*${}\s,]+?\s+from\s+)?['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g,
    /\brequire\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g,
  ]
  for (const re of patterns) for (const m of source.matchAll(re)) out.push(m[1]!)
  return out
}

const FORBIDDEN_DIRS = ['src/effects', 'src/stages', 'src/action', 'src/cli', 'src/fleet']
const FORBIDDEN_FILES = ['src/cli.ts', 'src/index.ts', 'src/post.ts', 'src/action.ts']
const FORBIDDEN_PACKAGES = [/^@actions\//, /^@kubernetes\/client-node/]

function violations(file: string, source: string): string[] {
  const rel = relative(ROOT, file)
  const out: string[] = []
  for (const spec of specifiers(source)) {
    if (spec.startsWith('.')) {
      const target = relative(ROOT, resolve(dirname(file), spec)).replace(/\.(js|ts)$/, '')
      if (FORBIDDEN_DIRS.some((d) => target === d || target.startsWith(`${d}/`)))
        out.push(`${rel} imports ${spec} (${target})`)
      if (FORBIDDEN_FILES.some((f) => f.replace(/\.ts$/, '') === target)) out.push(`${rel} imports ${spec}`)
    } else if (FORBIDDEN_PACKAGES.some((re) => re.test(spec))) {
      out.push(`${rel} imports ${spec}`)
    }
  }
  // Source text, comments excluded: process.env (any spelling) is effects' business.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1')
  if (/\bprocess\s*(\.\s*env\b|\[\s*['"`]env['"`]\s*\])/.test(code)) out.push(`${rel} reads process.env`)
  else if (/\{[^}]*\benv\b[^}]*\}\s*=\s*(globalThis\.)?process\b/.test(code))
    out.push(`${rel} reads process.env`)
  if (/\bimport\.meta\.env\b/.test(code)) out.push(`${rel} reads import.meta.env`)
  return out
}

describe('src/core is pure', () => {
  const files = sourceFiles(CORE)

  it('has sources to check', () => {
    expect(files.length).toBeGreaterThan(10)
    expect(files.map((f) => relative(ROOT, f))).toContain('src/core/plan.ts')
  })

  it('imports nothing from effects, stages, action or cli, no @actions/* or client-node, and never reads process.env', () => {
    const found = files.flatMap((f) => violations(f, readFileSync(f, 'utf8')))
    expect(found).toEqual([])
  })
})

describe('the checker finds what it must', () => {
  const fake = join(CORE, 'fake.ts')
  it.each([
    ["import { run } from '../effects/dkp-runner.js'", 'imports ../effects/dkp-runner.js'],
    ["import type { Stage } from '../stages/kubernetes.js'", 'imports ../stages/kubernetes.js'],
    ["export { parseInputs } from '../action/inputs.js'", 'imports ../action/inputs.js'],
    ["const m = await import('../cli/main.js')", 'imports ../cli/main.js'],
    ["import * as core from '@actions/core'", 'imports @actions/core'],
    ["import { KubeConfig } from '@kubernetes/client-node'", 'imports @kubernetes/client-node'],
    ["const k = require('@kubernetes/client-node')", 'imports @kubernetes/client-node'],
    ['import {\n  a,\n  b,\n} from "../effects/kube.js"', 'imports ../effects/kube.js'],
    ['const home = process.env.HOME', 'reads process.env'],
    ["const home = process['env'].HOME", 'reads process.env'],
    ['const x = process .env', 'reads process.env'],
    ['const { env } = process', 'reads process.env'],
    ['const { argv, env: e } = globalThis.process', 'reads process.env'],
  ])('%s', (source, message) => {
    expect(violations(fake, source).join('\n')).toContain(message)
  })

  it.each([
    "import { parse } from 'yaml'",
    "import { InputError } from './errors.js'",
    "import type { Finding } from '../findings.js'",
    '// process.env is read by the effects layer, never here',
    "/** Maps Node's `process.platform` to dkp's spelling */",
  ])('allows %s', (source) => {
    expect(violations(fake, source)).toEqual([])
  })
})
