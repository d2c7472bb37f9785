// The action's inputs: parsed once, typed, every bad value reported at once; and action.yml
// declares exactly the inputs parseInputs reads.

import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { INPUT_NAMES, type InputName, parseInputs } from '../../src/action/inputs.js'
import { readFlagOptions } from '../../src/cli/args.js'
import { InputError } from '../../src/core/errors.js'
import { parseOptions } from '../../src/core/options.js'
import { STAGES } from '../../src/core/stages.js'

const ROOT = resolve(import.meta.dirname, '../..')
const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { description?: string; required?: boolean; default?: string }>
  runs: { using: string; main: string; post?: string }
}

/** A getter like core.getInput: declared defaults apply, unknown names are a test failure. */
function getter(values: Partial<Record<string, string>>, read?: Set<string>) {
  return (name: InputName) => {
    read?.add(name)
    if (!(name in action.inputs))
      throw new Error(`parseInputs read "${name}", which action.yml does not declare`)
    return values[name] ?? action.inputs[name]?.default ?? ''
  }
}

function problemsOf(values: Partial<Record<string, string>>) {
  try {
    parseInputs(getter(values))
  } catch (err) {
    if (err instanceof InputError) return err.problems
    throw err
  }
  throw new Error('expected an InputError')
}

describe('action.yml and parseInputs agree', () => {
  it('every input parseInputs reads is declared, and every declared input is read', () => {
    const read = new Set<string>()
    for (const stage of STAGES) {
      try {
        parseInputs(getter({ stage, inventory: 'fleet.yaml', manifests: 'manifests/' }, read))
      } catch (err) {
        if (!(err instanceof InputError)) throw err
      }
    }
    expect([...read].sort()).toEqual(Object.keys(action.inputs).sort())
    expect([...INPUT_NAMES].sort()).toEqual(Object.keys(action.inputs).sort())
  })

  it('declares the contract inputs, each described', () => {
    for (const name of [
      'stage',
      'inventory',
      'cluster',
      'wave',
      'plan-digest',
      'kubeconfig',
      'dkp-version',
      'dkp-sha256',
      'dkp-download-url',
      'dkp-path',
      'require-checksum',
      'dry-run',
      'timeout-minutes',
    ])
      expect(action.inputs[name]?.description, name).toBeTruthy()
    expect(action.inputs['dry-run']?.default).toBe('false')
  })

  it('runs on node24 with a post step', () => {
    expect(action.runs).toMatchObject({ using: 'node24', main: 'dist/index.js', post: 'dist/post.js' })
  })
})

describe('parseInputs', () => {
  it('the defaults', () => {
    expect(parseInputs(getter({ inventory: 'fleet/*.yaml' }))).toEqual({
      stage: 'plan',
      inventory: 'fleet/*.yaml',
      requireChecksum: false,
      dryRun: false,
      timeoutMinutes: 60,
      failOn: 'error',
    })
  })

  it('every value typed and normalised', () => {
    const digest = `sha256:${'a'.repeat(64)}`
    expect(
      parseInputs(
        getter({
          stage: 'kubernetes',
          inventory: 'a.yaml,b.yaml',
          cluster: 'prod-east-1',
          wave: '2',
          'plan-digest': digest,
          kubeconfig: 'apiVersion: v1\n',
          target: '2.8.1',
          'target-kubernetes': 'v1.28.7',
          'dkp-version': 'v2.8.1',
          'dkp-sha256': 'ABCDEF'.padEnd(64, '0'),
          'dkp-download-url': 'https://mirror.example/dkp/{version}/dkp_{version}_{os}_{arch}.tar.gz',
          'dkp-path': '/opt/dkp/bin/dkp',
          'require-checksum': 'TRUE',
          'dry-run': 'True',
          'timeout-minutes': '90',
          'fail-on': 'warning',
          'previous-report': ' previous/report.json ',
          reason: 'change freeze',
        }),
      ),
    ).toEqual({
      stage: 'kubernetes',
      inventory: 'a.yaml,b.yaml',
      cluster: 'prod-east-1',
      wave: 2,
      planDigest: digest,
      kubeconfig: 'apiVersion: v1',
      target: 'v2.8.1',
      targetKubernetes: '1.28.7',
      dkpVersion: 'v2.8.1',
      dkpSha256: 'abcdef'.padEnd(64, '0'),
      dkpDownloadUrl: 'https://mirror.example/dkp/{version}/dkp_{version}_{os}_{arch}.tar.gz',
      dkpPath: '/opt/dkp/bin/dkp',
      requireChecksum: true,
      dryRun: true,
      timeoutMinutes: 90,
      failOn: 'warning',
      previousReport: 'previous/report.json',
      reason: 'change freeze',
    })
  })

  it.each([
    ['true', true],
    ['false', false],
    ['FALSE', false],
    [' true ', true],
    ['', false],
  ])('dry-run %j → %s', (text, value) => {
    expect(parseInputs(getter({ inventory: 'f.yaml', 'dry-run': text })).dryRun).toBe(value)
  })

  it('check with only manifests needs no inventory', () => {
    expect(parseInputs(getter({ stage: 'check', manifests: 'deploy/' }))).toMatchObject({
      stage: 'check',
      inventory: '',
      manifests: 'deploy/',
    })
  })

  it('fetch-dkp needs no inventory, but the dkp version and the directory to leave the tarball in', () => {
    expect(
      parseInputs(getter({ stage: 'fetch-dkp', 'dkp-version': '2.8.1', 'dkp-cache-dir': '/tmp/dkp-cache' })),
    ).toMatchObject({
      stage: 'fetch-dkp',
      inventory: '',
      dkpVersion: 'v2.8.1',
      dkpCacheDir: '/tmp/dkp-cache',
    })
    expect(
      problemsOf({ stage: 'fetch-dkp' })
        .map((p) => p.path)
        .sort(),
    ).toEqual(['input dkp-cache-dir', 'input dkp-version'])
  })

  it('fetch-dkp refuses a kubeconfig (it runs in a job without secrets) and dkp-path (nothing to fetch)', () => {
    const problems = problemsOf({
      stage: 'fetch-dkp',
      'dkp-version': 'v2.8.1',
      'dkp-cache-dir': '/tmp/dkp-cache',
      kubeconfig: 'apiVersion: v1\n',
      'dkp-path': '/opt/dkp/dkp',
    })
    expect(problems.map((p) => p.path).sort()).toEqual(['input dkp-path', 'input kubeconfig'])
    expect(problems.find((p) => p.path === 'input kubeconfig')?.message).toBe(
      'stage fetch-dkp takes no kubeconfig: it runs in a job that holds no secret',
    )
    // Any other stage still requires the inventory (and a per-cluster stage its cluster).
    expect(problemsOf({ stage: 'kubernetes', 'dkp-version': 'v2.8.1' }).map((p) => p.path)).toEqual([
      'input inventory',
      'input cluster',
    ])
  })

  it('reports every bad value at once', () => {
    const problems = problemsOf({
      stage: 'upgrade-everything',
      inventory: '',
      cluster: 'prod;rm -rf /',
      wave: 'first',
      'plan-digest': 'abc',
      target: '2.8',
      'target-kubernetes': '1.28',
      'dkp-version': 'latest',
      'dkp-sha256': 'xyz',
      'require-checksum': 'yes',
      'dry-run': '1',
      'timeout-minutes': '0',
      'fail-on': 'always',
    })
    expect(problems.map((p) => p.path).sort()).toEqual(
      [
        'input stage',
        'input inventory',
        'input cluster',
        'input wave',
        'input plan-digest',
        'input target',
        'input target-kubernetes',
        'input dkp-version',
        'input dkp-sha256',
        'input timeout-minutes',
        'input fail-on',
        'input require-checksum',
        'input dry-run',
      ].sort(),
    )
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p.message]))
    expect(byPath['input stage']).toContain('unknown stage "upgrade-everything"; one of: plan, check')
    expect(byPath['input dry-run']).toBe('must be true or false, not "1"')
    expect(byPath['input require-checksum']).toBe('must be true or false, not "yes"')
    expect(byPath['input target']).toBe('"2.8" is not a DKP version like v2.8.1')
    expect(byPath['input dkp-version']).toMatch(/^"latest" is not a release version: expected vX\.Y\.Z/)
    expect(byPath['input dkp-sha256']).toBe('"xyz" is not a sha256: expected 64 hexadecimal digits')
    // listed in the order action.yml declares the inputs
    expect(problems.map((p) => p.path)).toEqual(
      INPUT_NAMES.map((n) => `input ${n}`).filter((p) => p in byPath),
    )
  })

  it.each(['kubernetes', 'core-addons'])('stage %s needs the cluster input', (stage) => {
    expect(problemsOf({ stage, inventory: 'f.yaml' })).toEqual([
      {
        path: 'input cluster',
        message: `required: stage ${stage} runs on one cluster: the management cluster or a managed cluster of the plan`,
      },
    ])
    expect(parseInputs(getter({ stage, inventory: 'f.yaml', cluster: 'east-1' })).cluster).toBe('east-1')
  })

  it('an unknown stage asks for no cluster (one problem, the stage)', () => {
    expect(problemsOf({ stage: 'kubernetes-now', inventory: 'f.yaml' }).map((p) => p.path)).toEqual([
      'input stage',
    ])
  })

  it('dkp-sha256 takes the sha256: prefix and any case, as the installer does', () => {
    const hex = 'ab'.repeat(32)
    expect(
      parseInputs(getter({ inventory: 'f.yaml', 'dkp-sha256': `sha256:${hex.toUpperCase()}` })).dkpSha256,
    ).toBe(hex)
  })

  it.each(['0', '-5', 'abc', '10081', 'Infinity', '1e9'])('timeout-minutes %j is refused', (text) => {
    expect(problemsOf({ inventory: 'f.yaml', 'timeout-minutes': text }).map((p) => p.path)).toEqual([
      'input timeout-minutes',
    ])
  })

  it.each(['1.5', '-1', '1e3', 'wave-1'])('wave %j is refused', (text) => {
    expect(problemsOf({ inventory: 'f.yaml', wave: text }).map((p) => p.path)).toEqual(['input wave'])
  })

  it('the InputError message lists each problem on its own line', () => {
    try {
      parseInputs(getter({ inventory: 'f.yaml', 'dry-run': 'maybe', 'fail-on': 'x' }))
      expect.unreachable()
    } catch (err) {
      expect((err as Error).message.split('\n')).toEqual([
        'input dry-run: must be true or false, not "maybe"',
        'input fail-on: must be error, warning or none, not "x"',
      ])
    }
  })
})

describe('one parser for both shells', () => {
  const bad = {
    cluster: 'Prod_1',
    wave: 'first',
    'plan-digest': 'abc',
    target: '2.8',
    'target-kubernetes': '1.28',
    'dkp-version': 'latest',
    'dkp-sha256': 'xyz',
    'timeout-minutes': '0',
    'fail-on': 'always',
  }

  it('the CLI gets the same problems, in the same words, naming its flags', () => {
    const action = problemsOf({ stage: 'kubernetes', inventory: 'f.yaml', ...bad })
    const cli = readFlagOptions({ stage: 'kubernetes', inventory: ['f.yaml'], ...bad }).problems
    expect(cli.map((p) => p.path)).toEqual(action.map((p) => p.path!.replace(/^input /, '--')))
    expect(cli.map((p) => p.message)).toEqual(action.map((p) => p.message))
    expect(cli).toHaveLength(Object.keys(bad).length)
  })

  it('a missing required option is named by the flag in the CLI, by the input in the action', () => {
    expect(readFlagOptions({ stage: 'kubernetes', inventory: ['f.yaml'] }).problems).toEqual([
      {
        path: '--cluster',
        message:
          'required: stage kubernetes runs on one cluster: the management cluster or a managed cluster of the plan',
      },
    ])
    expect(readFlagOptions({ stage: 'kubernetes' }).problems.map((p) => p.path)).toEqual([
      '--inventory',
      '--cluster',
    ])
  })

  it('a command may spell an option its own way (install: --version)', () => {
    const { problems } = readFlagOptions(
      { version: 'latest', sha256: 'xyz' },
      {
        inventoryOptional: true,
        required: ['dkp-version'],
        labels: { 'dkp-version': '--version', 'dkp-sha256': '--sha256' },
      },
    )
    expect(problems.map((p) => p.path)).toEqual(['--version', '--sha256'])
    expect(
      readFlagOptions(
        {},
        { inventoryOptional: true, required: ['dkp-version'], labels: { 'dkp-version': '--version' } },
      ).problems,
    ).toEqual([{ path: '--version', message: 'required: the dkp release to install, e.g. v2.8.1' }])
  })

  it('repeated flags read as one comma/newline list; booleans as true/false', () => {
    const options = parseOptions(
      (name) => ({ inventory: 'a.yaml\nb.yaml', 'dry-run': 'true' })[name as string] ?? '',
      { label: (n) => `--${n}` },
    )
    expect(options).toMatchObject({ inventory: 'a.yaml\nb.yaml', dryRun: true })
    expect(readFlagOptions({ inventory: ['a.yaml', 'b.yaml'], 'dry-run': true }).options).toMatchObject({
      inventory: 'a.yaml\nb.yaml',
      dryRun: true,
    })
  })

  it('the CLI read commands default to 10 minutes, stage runs to 60', () => {
    expect(readFlagOptions({ inventory: ['f'] }, { timeoutMinutes: 10 }).options.timeoutMinutes).toBe(10)
    expect(readFlagOptions({ inventory: ['f'] }).options.timeoutMinutes).toBe(60)
  })
})
