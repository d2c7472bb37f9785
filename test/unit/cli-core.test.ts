// The CLI's inventory commands in-process: main(argv, io) with captured output. validate,
// plan (table and --json against the contract), schema, and usage errors (exit 2, one clear
// message per problem, never a stack trace). Also the large example's split plan.

import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { largeExampleFiles } from '../../scripts/gen-large-example.mjs'
import type { CliIO } from '../../src/cli/io.js'
import { main } from '../../src/cli/main.js'
import { parseInventory } from '../../src/core/inventory.js'
import type { Plan } from '../../src/core/plan.js'
import { planViolations } from '../helpers/fleet-gen.js'

const ROOT = resolve(import.meta.dirname, '../..')
const FIXTURES = 'test/fixtures/inventories'

async function run(...argv: string[]) {
  let stdout = ''
  let stderr = ''
  const io: CliIO = {
    stdout: (t) => {
      stdout += t
    },
    stderr: (t) => {
      stderr += t
    },
    env: {},
    cwd: ROOT,
  }
  const code = await main(argv, io)
  return { code, stdout, stderr }
}

const STACK_FRAME = /^\s+at .+[:(]\d+/m

describe('dkp-fleet validate', () => {
  it('an NKP inventory is summarised with its platform name', async () => {
    const r = await run('validate', '-i', 'examples/nkp-fleet.yaml')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('(fleet nkp-example, target NKP v2.14.1,')
  })

  it('a valid inventory → 0 and a one-line summary', async () => {
    const r = await run('validate', '-i', 'examples/fleet.yaml')
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(
      'examples/fleet.yaml: valid (fleet example, target DKP v2.8.1, 3 workspace(s), 12 managed and 2 attached cluster(s))\n',
    )
    // The example pins an AMI on an aws cluster (a warning, not an error); its catalog versions
    // are ones the v2.8.1 catalog ships (kafka-operator 0.25.1, zookeeper-operator
    // 0.2.16-dkp.1), and jenkins and gitlab-runner come from no DKP catalog, so nothing is said
    // about them.
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(
        /^warning: examples\/fleet\.yaml:56:29: clusters\[1\]\.controlPlane\.args\.ami: pins an AMI/,
      ),
    ])
  })

  it('several files by glob', async () => {
    const r = await run('validate', '-i', `${FIXTURES}/valid/*.yaml`)
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('clusters-a.yaml, test/fixtures/inventories/valid/clusters-b.yaml')
    expect(r.stdout).toContain('5 managed and 1 attached')
  })

  it('warnings go to stderr, the exit code stays 0', async () => {
    const r = await run('validate', '-i', 'examples/standalone.yaml')
    expect(r.code).toBe(0)
    expect(r.stderr).toMatch(
      /^warning: examples\/standalone\.yaml:\d+:\d+: target\.kubernetes: using Kubernetes 1\.28\.7/,
    )
  })

  it('a bad inventory → 2, every problem as file:line:col: field: message, no stack trace', async () => {
    const r = await run('validate', '-i', `${FIXTURES}/bad/*.yaml`)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    const lines = r.stderr.trimEnd().split('\n')
    expect(lines).toEqual([
      `${FIXTURES}/bad/fleet.yaml:4:8: target.dkp: must be a DKP version like v2.8.1 (got "v2.8")`,
      expect.stringMatching(
        /^test\/fixtures\/inventories\/bad\/fleet\.yaml:8:3: management\.namspace: unknown field \(did you mean "namespace"\?\)/,
      ),
      expect.stringMatching(
        /bad\/fleet\.yaml:13:16: clusters\[0\]\.workspace: unknown workspace "team-b" \(did you mean "team-a"\?\)/,
      ),
      expect.stringMatching(
        /bad\/fleet\.yaml:18:16: clusters\[1\]\.nodepools: an attached cluster has no nodepools/,
      ),
      `${FIXTURES}/bad/more.yaml:4:13: clusters[0].name: cluster name "c1" is already used by another cluster at ${FIXTURES}/bad/fleet.yaml:12:5`,
      expect.stringMatching(/bad\/more\.yaml:4:57: clusters\[0\]\.wave: must be 1 or more/),
    ])
    for (const line of lines) expect(line).toMatch(/^[^:\s]+:\d+:\d+: [\w.[\]-]+: \S/)
    expect(r.stderr).not.toMatch(STACK_FRAME)
    expect(r.stderr).not.toContain('InputError')
  })

  it('--debug adds the stack trace', async () => {
    const r = await run('validate', '-i', `${FIXTURES}/bad/more.yaml`, '--debug')
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(STACK_FRAME)
  })

  it('a glob that matches nothing → 2, naming the glob', async () => {
    const r = await run('validate', '-i', 'nowhere/*.yaml')
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(`no inventory file matches "nowhere/*.yaml" (relative to ${ROOT})\n`)
  })

  it('no -i at all → 2', async () => {
    const r = await run('validate')
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('no inventory given')
  })
})

describe('dkp-fleet plan', () => {
  it('prints a table containing every step id', async () => {
    const table = await run('plan', '-i', 'examples/fleet.yaml')
    const json = await run('plan', '-i', 'examples/fleet.yaml', '--json')
    expect(table.code).toBe(0)
    const plan = JSON.parse(json.stdout) as Plan
    for (const s of plan.steps) expect(table.stdout).toContain(s.id)
    expect(table.stdout).toContain(plan.digest)
    expect(table.stdout).toMatch(/^#\s+STEP\s+STAGE\s+CLUSTER\s+WAVE\s+TO\s+NEEDS$/m)
  })

  it('--json matches the contract', async () => {
    const r = await run('plan', '-i', 'examples/fleet.yaml', '--json')
    expect(r.code).toBe(0)
    expect(r.stdout.endsWith('\n')).toBe(true)
    const plan = JSON.parse(r.stdout)
    expect(plan.target).toEqual({ dkp: 'v2.8.1', kubernetes: '1.28.7' })
    for (const s of plan.steps) {
      expect(s).toEqual(
        expect.objectContaining({
          id: `${s.stage}:${s.cluster}`,
          stage: expect.any(String),
          cluster: expect.any(String),
        }),
      )
      expect(Array.isArray(s.needs) && s.needs.every((n: unknown) => typeof n === 'string')).toBe(true)
    }
    expect(plan.matrix.include).toHaveLength(12)
    for (const e of plan.matrix.include) expect(Object.keys(e).sort()).toEqual(['cluster', 'wave'])
    expect(plan.waves.map((w: { wave: number }) => w.wave)).toEqual([0, 1, 2, 3])
    for (const w of plan.waves) {
      expect(w.include.length).toBeLessThanOrEqual(256)
      for (const e of w.include) expect(e).toEqual({ cluster: expect.any(String), wave: w.wave })
    }
    expect(plan.attached.map((a: { cluster: string }) => a.cluster)).toEqual(['edge-7', 'partner-gke'])
    expect(plan.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    // the same plan as the core builds from the same file
    const inv = parseInventory([
      { path: 'examples/fleet.yaml', content: readFileSync(join(ROOT, 'examples/fleet.yaml'), 'utf8') },
    ])
    expect(planViolations(plan, inv.inventory)).toEqual([])
  })

  it('is byte-identical run after run', async () => {
    const a = await run('plan', '-i', `${FIXTURES}/valid/*.yaml`, '--json')
    const b = await run('plan', '-i', `${FIXTURES}/valid/*.yaml`, '--json')
    expect(a.code).toBe(0)
    expect(b.stdout).toBe(a.stdout)
  })

  it('--target overrides the inventory', async () => {
    const r = await run('plan', '-i', 'examples/fleet.yaml', '--json', '--target', 'v2.7.1')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).target).toEqual({ dkp: 'v2.7.1', kubernetes: '1.27.6' })
  })

  it('a bad --target → 2', async () => {
    const r = await run('plan', '-i', `${FIXTURES}/valid/*.yaml`, '--target', 'v2.8')
    expect(r.code).toBe(2)
    expect(r.stderr).toBe('--target: "v2.8" is not a DKP version like v2.8.1\n')
  })

  it('bad flags → 2, every problem at once, each naming its flag', async () => {
    const r = await run(
      'plan',
      '-i',
      'examples/fleet.yaml',
      '--target-kubernetes',
      '1.28',
      '--timeout-minutes',
      '0',
    )
    expect(r.code).toBe(2)
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      '--target-kubernetes: "1.28" is not a Kubernetes version like 1.28.7',
      '--timeout-minutes: must be a number of minutes above 0 and at most 10080 (7 days), not "0"',
    ])
  })

  it('a bad inventory → 2 with located problems', async () => {
    const r = await run('plan', '-i', `${FIXTURES}/bad/more.yaml`)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`${FIXTURES}/bad/more.yaml:1:1: target: no file defines target`)
    expect(r.stderr).not.toMatch(STACK_FRAME)
  })
})

describe('examples/large: a fleet that needs matrix splitting', () => {
  it('is what scripts/gen-large-example.mjs generates (regenerate it after changing the script)', () => {
    const files = largeExampleFiles() as Record<string, string>
    for (const [name, content] of Object.entries(files))
      expect(readFileSync(join(ROOT, 'examples/large', name), 'utf8'), name).toBe(content)
  })

  it('plans 600 managed clusters in waves of at most 256: inventory wave 2 (400) splits into 256 + 144', async () => {
    const r = await run('plan', '-i', 'examples/large/*.yaml', '--json')
    expect(r.code).toBe(0)
    const plan = JSON.parse(r.stdout) as Plan
    expect(plan.waves.map((w) => [w.wave, w.include.length])).toEqual([
      [0, 4],
      [1, 64],
      [2, 256],
      [3, 144],
      [4, 132],
    ])
    expect(plan.matrix.include).toHaveLength(600)
    expect(plan.attached).toHaveLength(8)
    for (const w of plan.waves) expect(w.include.length).toBeLessThanOrEqual(256)
    // the split keeps inventory order: the 257th production cluster opens wave 3
    const prod = plan.matrix.include.filter((e) => e.cluster.includes('-prod-'))
    expect(prod).toHaveLength(400)
    expect(prod[255]!.wave).toBe(2)
    expect(prod[256]!.wave).toBe(3)
    const files = ['clusters-apac', 'clusters-eu', 'clusters-us-east', 'clusters-us-west', 'fleet'].map(
      (n) => ({
        path: `examples/large/${n}.yaml`,
        content: readFileSync(join(ROOT, 'examples/large', `${n}.yaml`), 'utf8'),
      }),
    )
    expect(planViolations(plan, parseInventory(files).inventory)).toEqual([])
  })

  it('the table stays readable', async () => {
    const r = await run('plan', '-i', 'examples/large/*.yaml')
    expect(r.code).toBe(0)
    expect(r.stdout.split('\n').length).toBeLessThan(60)
    expect(r.stdout).toContain('600 managed cluster(s) in 5 wave(s); 8 attached')
  })
})

describe('dkp-fleet run: flags checked before anything is read', () => {
  it('a per-cluster stage without --cluster → 2, naming the flag (not the action input)', async () => {
    const r = await run('run', 'kubernetes', '-i', 'examples/fleet.yaml')
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(
      '--cluster: required: stage kubernetes runs on one cluster: the management cluster or a managed cluster of the plan\n',
    )
  })

  it('an unknown stage → 2 with the stages run accepts', async () => {
    const r = await run('run', 'plan', '-i', 'examples/fleet.yaml')
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^<stage>: unknown stage "plan"; one of: check, backup, kommander, /)
  })

  it("every bad value at once, in the action's words with the flags' names", async () => {
    const r = await run(
      'run',
      'kubernetes',
      '-i',
      'examples/fleet.yaml',
      '--cluster',
      'Prod_1',
      '--wave',
      'first',
      '--dkp-sha256',
      'xyz',
      '--fail-on',
      'always',
    )
    expect(r.code).toBe(2)
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      '--cluster: "Prod_1" is not a cluster name (a DNS label)',
      '--wave: must be a wave number, not "first"',
      '--dkp-sha256: "xyz" is not a sha256: expected 64 hexadecimal digits',
      '--fail-on: must be error, warning or none, not "always"',
    ])
    expect(r.stderr).not.toContain('input ')
  })
})

describe('dkp-fleet schema', () => {
  it('prints the shipped JSON Schema', async () => {
    const r = await run('schema')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual(
      JSON.parse(readFileSync(join(ROOT, 'schema/fleet.schema.json'), 'utf8')),
    )
  })
})

describe('usage errors', () => {
  it('an unknown command → 2 with the usage', async () => {
    const r = await run('upgrade-everything')
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('dkp-fleet: unknown command "upgrade-everything"')
    expect(r.stderr).toContain('Usage: dkp-fleet <command>')
  })

  it.each([
    ['plan', '-i', 'examples/fleet.yaml', '--bogus'],
    ['validate', '--inventory'],
    ['plan', '-i', 'examples/fleet.yaml', '--json', 'extra-positional'],
  ])('%s %s %s %s → 2, one line, no stack', async (...argv) => {
    const r = await run(...argv)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^usage: /)
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(r.stderr).not.toMatch(STACK_FRAME)
  })

  it('no command → usage, 2; --help → usage, 0', async () => {
    expect((await run()).code).toBe(2)
    const help = await run('--help')
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('validate')
  })
})
