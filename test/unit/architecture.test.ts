// Dependencies point inward. The whole layering matrix of src/ (docs/architecture.md, "Layers"):
//
//   core     pure: imports no other layer, no @actions/*, no Kubernetes client, no I/O built-in
//            (fs, child_process, net, http(s), os, …), and never reads process.env
//   effects  I/O: imports core only (never stages, action, cli, fleet)
//   stages   imports core and effects (never action, cli, fleet) and reads no process.env:
//            what a stage needs from the environment comes in through its options
//   action   the GitHub Action shell: core, effects, stages (never cli, fleet)
//   cli      the CLI shell: core, effects, stages, and fleet for its dev commands (never action)
//   fleet    the local test/demo fleet: core and effects (never stages, action, cli); only the
//            CLI imports it
//   entries  src/index.ts, src/cli.ts, src/post.ts, src/heap-tuning.ts: imported by no layer
//
// Every specifier counts: static imports and re-exports, `import type`, dynamic import() and
// require(). Each violation is one line naming the file, the specifier and the rule.

import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '../..')
const SRC = join(ROOT, 'src')

type Layer = 'core' | 'effects' | 'stages' | 'action' | 'cli' | 'fleet' | 'entry'

const ENTRIES = ['src/index.ts', 'src/cli.ts', 'src/post.ts', 'src/heap-tuning.ts']

/** Node built-ins that do I/O or read the machine: none of them in core. */
const IO_BUILTINS = [
  'fs',
  'fs/promises',
  'child_process',
  'net',
  'http',
  'https',
  'http2',
  'tls',
  'dns',
  'dgram',
  'os',
  'worker_threads',
  'cluster',
  'readline',
  'inspector',
  'process',
]

interface Rule {
  /** Layers this layer must not import, each with the reason shown in the message. */
  layers: Partial<Record<Layer, string>>
  packages?: { re: RegExp; why: string }[]
  builtins?: string[]
  /** process.env (and import.meta.env) is the shells' and effects' business. */
  noEnv?: string
}

const PURE = 'core is pure: planning and evaluation only'
const RULES: Record<Layer, Rule> = {
  core: {
    layers: {
      effects: PURE,
      stages: 'dependencies point inward',
      action: 'dependencies point inward',
      cli: 'dependencies point inward',
      fleet: 'fleet is dev/test tooling',
      entry: 'entries are bundle roots',
    },
    packages: [
      { re: /^@actions\//, why: PURE },
      { re: /^@kubernetes\/client-node/, why: PURE },
    ],
    builtins: IO_BUILTINS,
    noEnv: PURE,
  },
  effects: {
    layers: {
      stages: 'effects sit below the stages',
      action: 'effects serve both shells',
      cli: 'effects serve both shells',
      fleet: 'fleet is dev/test tooling',
      entry: 'entries are bundle roots',
    },
  },
  stages: {
    layers: {
      action: 'stages serve both shells',
      cli: 'stages serve both shells',
      fleet: 'fleet is dev/test tooling',
      entry: 'entries are bundle roots',
    },
    noEnv: 'inputs come in through the stage options and environment object',
  },
  action: {
    layers: {
      cli: 'the two shells share code through stages, effects and core',
      fleet: 'fleet is dev/test tooling',
      entry: 'entries are bundle roots',
    },
  },
  cli: {
    layers: {
      action: 'the two shells share code through stages, effects and core',
      entry: 'entries are bundle roots',
    },
  },
  fleet: {
    layers: {
      stages: 'the test fleet stands for the real world, never for the product',
      action: 'fleet is dev/test tooling',
      cli: 'fleet is dev/test tooling',
      entry: 'entries are bundle roots',
    },
  },
  entry: { layers: {} },
}

/**
 * Known violations, each exact: the test fails when one no longer occurs, so it is removed once
 * the fix lands. Empty: every layer keeps its rules.
 */
const ALLOWED: Record<string, string[]> = {}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name)
    if (e.isDirectory()) return sourceFiles(path)
    return /\.(ts|js|mjs|cjs)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path] : []
  })
}

/** The layer of a repository path (`src/…`), undefined outside src/ (data/, schema/, package.json). */
function layerOf(rel: string): Layer | undefined {
  if (ENTRIES.includes(rel.replace(/\.js$/, '.ts'))) return 'entry'
  const m = /^src\/(core|effects|stages|action|cli|fleet)(\/|$)/.exec(rel)
  return m ? (m[1] as Layer) : undefined
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

/** The source without comments (string contents kept): what the env check reads. */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1')
}

function readsEnv(code: string): string | undefined {
  if (/\bprocess\s*(\.\s*env\b|\[\s*['"`]env['"`]\s*\])/.test(code)) return 'reads process.env'
  if (/\{[^}]*\benv\b[^}]*\}\s*=\s*(globalThis\.)?process\b/.test(code)) return 'reads process.env'
  if (/\bimport\.meta\.env\b/.test(code)) return 'reads import.meta.env'
  return undefined
}

/** The violations of one file (path relative to the repository root) against RULES. */
function violations(rel: string, source: string): string[] {
  const layer = layerOf(rel)
  if (!layer) return []
  const rule = RULES[layer]
  const out: string[] = []
  for (const spec of specifiers(source)) {
    if (spec.startsWith('.')) {
      const target = relative(ROOT, resolve(ROOT, dirname(rel), spec))
      const to = layerOf(target)
      const why = to && to !== layer ? rule.layers[to] : undefined
      if (why) out.push(`${rel} imports ${spec}: ${layer} must not import ${to} (${why})`)
      continue
    }
    const builtin = spec.replace(/^node:/, '')
    if (rule.builtins?.includes(builtin))
      out.push(`${rel} imports ${spec}: ${layer} must not do I/O (${PURE})`)
    for (const p of rule.packages ?? [])
      if (p.re.test(spec)) out.push(`${rel} imports ${spec}: ${layer} must not import it (${p.why})`)
  }
  const env = rule.noEnv ? readsEnv(withoutComments(source)) : undefined
  if (env) out.push(`${rel} ${env}: ${layer} must not (${rule.noEnv})`)
  return out
}

function allowed(line: string): boolean {
  const [file] = line.split(' ', 1)
  return (ALLOWED[file!] ?? []).some((a) => line.startsWith(`${file} ${a}`))
}

describe('the layering matrix of src/', () => {
  const files = sourceFiles(SRC).map((f) => relative(ROOT, f))
  const found = files.flatMap((f) => violations(f, readFileSync(join(ROOT, f), 'utf8')))

  it('has sources in every layer', () => {
    for (const layer of ['core', 'effects', 'stages', 'action', 'cli', 'fleet', 'entry'] as const)
      expect(
        files.filter((f) => layerOf(f) === layer).length,
        `no source files in layer ${layer}`,
      ).toBeGreaterThan(0)
    expect(files).toContain('src/core/plan.ts')
  })

  it('no file breaks a rule (beyond the allow-list)', () => {
    expect(found.filter((v) => !allowed(v))).toEqual([])
  })

  it('every allow-list entry still occurs (remove it once fixed)', () => {
    const stale = Object.entries(ALLOWED).flatMap(([file, entries]) =>
      entries
        .filter((a) => !found.some((v) => v.startsWith(`${file} ${a}`)))
        .map((a) => `${file}: "${a}" no longer occurs: remove it from ALLOWED`),
    )
    expect(stale).toEqual([])
  })
})

describe('the checker finds what it must', () => {
  it.each([
    ['src/core/fake.ts', "import { run } from '../effects/dkp-runner.js'", 'core must not import effects'],
    [
      'src/core/fake.ts',
      "import type { Stage } from '../stages/kubernetes.js'",
      'core must not import stages',
    ],
    ['src/core/fake.ts', "export { parseInputs } from '../action/inputs.js'", 'core must not import action'],
    ['src/core/fake.ts', "const m = await import('../cli/main.js')", 'core must not import cli'],
    ['src/core/compat/fake.ts', "import { seed } from '../../fleet/seed.js'", 'core must not import fleet'],
    ['src/core/fake.ts', "import { run } from '../index.js'", 'core must not import entry'],
    ['src/core/fake.ts', "import * as core from '@actions/core'", 'imports @actions/core: core must not'],
    [
      'src/core/fake.ts',
      "import { KubeConfig } from '@kubernetes/client-node'",
      'imports @kubernetes/client-node',
    ],
    ['src/core/fake.ts', "const k = require('@kubernetes/client-node')", 'imports @kubernetes/client-node'],
    ['src/core/fake.ts', 'import {\n  a,\n  b,\n} from "../effects/kube.js"', 'imports ../effects/kube.js'],
    ['src/core/fake.ts', "import { readFileSync } from 'node:fs'", 'imports node:fs: core must not do I/O'],
    [
      'src/core/fake.ts',
      "import { readFile } from 'fs/promises'",
      'imports fs/promises: core must not do I/O',
    ],
    ['src/core/fake.ts', "import { spawn } from 'node:child_process'", 'imports node:child_process'],
    ['src/core/fake.ts', "import { connect } from 'node:net'", 'imports node:net'],
    ['src/core/fake.ts', "import { request } from 'node:https'", 'imports node:https'],
    ['src/core/fake.ts', "import { get } from 'node:http'", 'imports node:http'],
    ['src/core/fake.ts', "import { hostname } from 'node:os'", 'imports node:os'],
    ['src/core/fake.ts', 'const home = process.env.HOME', 'reads process.env: core must not'],
    ['src/core/fake.ts', "const home = process['env'].HOME", 'reads process.env'],
    ['src/core/fake.ts', 'const x = process .env', 'reads process.env'],
    ['src/core/fake.ts', 'const { env } = process', 'reads process.env'],
    ['src/core/fake.ts', 'const { argv, env: e } = globalThis.process', 'reads process.env'],
    ['src/core/fake.ts', 'const m = import.meta.env.MODE', 'reads import.meta.env'],
    ['src/effects/fake.ts', "import { K } from '../stages/kinds.js'", 'effects must not import stages'],
    [
      'src/effects/fake.ts',
      "import type { ActionInputs } from '../action/inputs.js'",
      'effects must not import action',
    ],
    ['src/effects/fake.ts', "import type { CliIO } from '../cli/io.js'", 'effects must not import cli'],
    ['src/effects/fake.ts', "const f = await import('../fleet/fleet.js')", 'effects must not import fleet'],
    [
      'src/stages/fake.ts',
      "import type { LiveCheck } from '../cli/commands/check.js'",
      'stages must not import cli',
    ],
    [
      'src/stages/fake.ts',
      "import { parseInputs } from '../action/inputs.js'",
      'stages must not import action',
    ],
    ['src/stages/fake.ts', "import { seed } from '../fleet/seed.js'", 'stages must not import fleet'],
    [
      'src/stages/fake.ts',
      'const ms = Number(process.env.DKP_FLEET_POLL_MS)',
      'reads process.env: stages must not',
    ],
    ['src/action/fake.ts', "import { main } from '../cli/main.js'", 'action must not import cli'],
    ['src/action/fake.ts', "const f = await import('../fleet/fleet.js')", 'action must not import fleet'],
    ['src/cli/commands/fake.ts', "import { run } from '../../action/main.js'", 'cli must not import action'],
    ['src/fleet/fake.ts', "import { K } from '../stages/kinds.js'", 'fleet must not import stages'],
    ['src/fleet/sim/fake.ts', "import { main } from '../../cli/main.js'", 'fleet must not import cli'],
  ])('%s: %s', (file, source, message) => {
    expect(violations(file, source).join('\n')).toContain(message)
  })

  it.each([
    ['src/core/fake.ts', "import { parse } from 'yaml'"],
    ['src/core/fake.ts', "import { createHash } from 'node:crypto'"],
    ['src/core/fake.ts', "import { gunzipSync } from 'node:zlib'"],
    ['src/core/fake.ts', "import table from '../../data/removed-apis.json' with { type: 'json' }"],
    ['src/core/fake.ts', "import { InputError } from './errors.js'"],
    ['src/core/compat/fake.ts', "import type { Finding } from '../findings.js'"],
    ['src/core/fake.ts', '// process.env is read by the effects layer, never here'],
    ['src/core/fake.ts', "/** Maps Node's `process.platform` to dkp's spelling */"],
    ['src/effects/fake.ts', "import { readFileSync } from 'node:fs'"],
    ['src/effects/fake.ts', 'const base = process.env.RUNNER_TEMP'],
    ['src/stages/fake.ts', "import { Kube } from '../effects/kube.js'"],
    ['src/stages/fake.ts', "import { buildPlan } from '../core/plan.js'"],
    ['src/action/fake.ts', "import { runStage } from '../stages/execute.js'"],
    ['src/action/fake.ts', 'const dir = process.env.RUNNER_TEMP'],
    ['src/cli/commands/fake.ts', "const { fleetUp } = await import('../../fleet/fleet.js')"],
    ['src/fleet/fake.ts', "import { Kube } from '../effects/kube.js'"],
    ['src/fleet/fake.ts', "import { parseInventory } from '../core/inventory.js'"],
    ['src/index.ts', "import { run } from './action/main.js'"],
  ])('allows %s: %s', (file, source) => {
    expect(violations(file, source)).toEqual([])
  })

  it('knows every layer', () => {
    expect(layerOf('src/core/compat/rules.ts')).toBe('core')
    expect(layerOf('src/cli/commands/check.ts')).toBe('cli')
    expect(layerOf('src/cli.ts')).toBe('entry')
    expect(layerOf('src/cli')).toBe('cli')
    expect(layerOf('data/removed-apis.json')).toBeUndefined()
  })
})
