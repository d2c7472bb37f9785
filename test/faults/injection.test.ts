// Reliability: injection. Inventory names and action inputs carrying shell metacharacters,
// `../`, newlines and workflow commands (`::set-output`, `::stop-commands`, the legacy `##[…]`)
// cannot change what runs or what is output:
//   - names are rejected by validation with a located message (action and CLI);
//   - free text that validation accepts (backup.reason, dkp flag values) and every action input
//     never becomes a workflow command on stdout (checked with a model of the runner's own
//     parsing, actions/runner ActionCommand.cs), never adds an output name to GITHUB_OUTPUT,
//     never becomes markup in the step summary;
//   - commands are argument arrays: a canary file that every payload tries to create is never
//     created, and dkp receives exactly the arguments it was given.
// The action and CLI parts run the real bundles (dist/index.js, dist/cli.js) as child processes
// with real GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / GITHUB_STATE files; they are skipped loudly
// while dist/ is missing (npm test builds it first).

import { spawn, spawnSync } from 'node:child_process'
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { parse, stringify } from 'yaml'
import { toFlags } from '../../src/core/command-args.js'
import { commandLine, DkpRunner } from '../../src/effects/dkp-runner.js'
import { GitHubReporter, neutralize } from '../../src/effects/github.js'
import { generateFleet } from '../helpers/fleet-gen.js'

const DIST = resolve(process.env.DKP_FLEET_DIST ?? 'dist')
const HAVE_DIST = existsSync(join(DIST, 'index.js')) && existsSync(join(DIST, 'cli.js'))
const SKIP_REASON = `!!! SKIPPED: ${DIST}/index.js and cli.js do not exist (run \`npm run build\`; npm test builds them first) !!!`
/** The bundles under test: a private copy of dist/ (see beforeAll). */
let ACTION = join(DIST, 'index.js')
let CLI = join(DIST, 'cli.js')

// ---------- a model of how the runner reads a step's stdout ----------

/** .NET `char.IsWhiteSpace` ⊂ JS `\s` ∪ U+0085; U+001C–U+001F added to be stricter. */
const LEADING_WS = /^[\s\u0085\u001c-\u001f]+/

interface Command {
  form: '::' | '##['
  name: string
  line: string
}

/**
 * Every line the runner could take as a workflow command, stricter than the runner itself: a
 * line ends at \n, \r or \r\n (.NET ReadLine); `::name …::` after leading white space (TryParseV2)
 * or `##[name …]` anywhere in the line (TryParse), whatever the name.
 */
function runnerCommands(stdout: string): Command[] {
  const out: Command[] = []
  for (const line of stdout.split(/\r\n|\r|\n/)) {
    const t = line.replace(LEADING_WS, '')
    if (t.startsWith('::')) {
      const end = t.indexOf('::', 2)
      if (end >= 0) out.push({ form: '::', name: t.slice(2, end).split(' ')[0]!.toLowerCase(), line })
    }
    const p = line.indexOf('##[')
    if (p >= 0 && line.indexOf(']', p) >= 0) {
      out.push({
        form: '##[',
        name: line
          .slice(p + 3, line.indexOf(']', p))
          .split(' ')[0]!
          .toLowerCase(),
        line,
      })
    }
  }
  return out
}

/** What the action itself may issue: annotations, log groups, debug lines and masks. */
const OWN_COMMANDS = new Set(['error', 'warning', 'notice', 'debug', 'group', 'endgroup', 'add-mask'])

function foreignCommands(stdout: string): Command[] {
  return runnerCommands(stdout).filter((c) => c.form !== '::' || !OWN_COMMANDS.has(c.name))
}

// ---------- payloads ----------

let work = ''
let canary = ''

/** Each payload tries to run `touch <canary>` or to smuggle a workflow command or markup. */
const payloads = (): string[] => [
  `a;touch ${canary}`,
  `$(touch ${canary})`,
  `\`touch ${canary}\``,
  `a|touch ${canary}`,
  `a&&touch ${canary}`,
  `a' ; touch ${canary} #`,
  `a"; touch ${canary}; "`,
  `a\ntouch ${canary}`,
  '../../../etc/passwd',
  '..\\..\\windows\\system32',
  'a\nb',
  'a\r\nb',
  'a\rb',
  '::set-output name=PWNED::1',
  '::error::PWNED',
  '::stop-commands::PWNED',
  '::add-mask::PWNED',
  'x\n::set-output name=PWNED::1',
  'x\r::set-env name=PWNED::1',
  '  ::warning::PWNED',
  '\u0085::add-path::/PWNED',
  '\u2028::notice::PWNED',
  'x ##[set-output name=PWNED;]1',
  '##[add-mask]PWNED',
  '%0A::set-output name=PWNED::1',
  '<script>alert("PWNED")</script>',
  '<img src=x onerror=alert(1)>',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, as text
  '${{ secrets.GITHUB_TOKEN }}',
  'PWNED<<EOF\nPWNED=1\nEOF',
  'ghadelimiter_00000000-0000-0000-0000-000000000000\nPWNED=1',
]

// ---------- running the bundles ----------

interface Job {
  code: number | null
  stdout: string
  stderr: string
  outputs: string
  summary: string
}

/** Output names the action declares (action.yml); nothing else may appear in GITHUB_OUTPUT. */
const DECLARED_OUTPUTS = new Set(
  Object.keys(
    (parse(readFileSync(resolve('action.yml'), 'utf8')) as { outputs: Record<string, unknown> }).outputs,
  ),
)

/** Parses GITHUB_OUTPUT strictly (name<<delimiter … delimiter); throws on anything else. */
function outputNames(text: string): string[] {
  const names: string[] = []
  const lines = text.split('\n')
  let i = 0
  while (i < lines.length) {
    const line = lines[i]!
    if (line === '' && i === lines.length - 1) break
    const m = /^([^<=\n]+)<<(ghadelimiter_[0-9a-f-]{36})$/.exec(line)
    if (!m) throw new Error(`GITHUB_OUTPUT line ${i + 1} is not an output header: ${JSON.stringify(line)}`)
    const end = lines.indexOf(m[2]!, i + 1)
    if (end < 0) throw new Error(`GITHUB_OUTPUT output ${m[1]} is not closed`)
    names.push(m[1]!)
    i = end + 1
  }
  return names
}

let seq = 0
function runNode(script: string, args: string[], env: Record<string, string>, cwd: string): Promise<Job> {
  const dir = join(work, `job-${seq++}`)
  mkdirSync(join(dir, 'temp'), { recursive: true })
  const files = {
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary'),
    GITHUB_STATE: join(dir, 'state'),
  }
  for (const f of Object.values(files)) writeFileSync(f, '')
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: work,
        RUNNER_TEMP: join(dir, 'temp'),
        GITHUB_ACTIONS: 'true',
        ...files,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d
    })
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      done({
        code,
        stdout,
        stderr,
        outputs: readFileSync(files.GITHUB_OUTPUT, 'utf8'),
        summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'),
      })
    })
  })
}

const action = (inputs: Record<string, string>, cwd = work) =>
  runNode(
    ACTION,
    [],
    Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
    cwd,
  )
const cli = (args: string[], cwd = work) => runNode(CLI, args, {}, cwd)

async function pool<T>(items: T[], fn: (item: T, i: number) => Promise<void>, width = 3): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++
        await fn(items[i]!, i)
      }
    }),
  )
}

/** Everything that must hold for any job, whatever it was fed. */
function jobViolations(what: string, job: Job): string[] {
  const bad: string[] = []
  const foreign = foreignCommands(job.stdout)
  if (foreign.length)
    bad.push(`workflow command(s) from user text: ${foreign.map((c) => JSON.stringify(c.line)).join(', ')}`)
  try {
    const extra = outputNames(job.outputs).filter((n) => !DECLARED_OUTPUTS.has(n))
    if (extra.length) bad.push(`undeclared output(s): ${extra.join(', ')}`)
  } catch (err) {
    bad.push((err as Error).message)
  }
  if (/<(script|img)\b/i.test(job.summary)) bad.push('raw markup in the step summary')
  if (/^\s+at .+\(|node:internal/m.test(job.stdout + job.stderr)) bad.push('a stack trace')
  if (job.code !== 0 && job.code !== 1 && job.code !== 2) bad.push(`exit code ${job.code}`)
  return bad.map((b) => `${what}: ${b}`)
}

// ---------- fixtures ----------

const base = () => {
  const doc = generateFleet({
    managed: 3,
    attached: 1,
    workspaces: 2,
    workspaceApps: true,
    projectApps: true,
    seed: 77,
  })
  doc.clusters!.find((c) => !c.attached)!.nodepools = ['c-001-md-0']
  return JSON.parse(JSON.stringify(doc)) as Record<string, unknown>
}
type Path = (string | number)[]
function setAt(doc: Record<string, unknown>, path: Path, value: unknown) {
  let node = doc as Record<string | number, unknown>
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, unknown>
  node[path.at(-1)!] = value
}

/** Inventory fields that name things: a payload there must be rejected, located. */
const NAME_FIELDS: [Path, string, (p: string) => unknown][] = [
  [['management', 'name'], 'management.name', (p) => p],
  [['clusters', 0, 'name'], 'clusters[0].name', (p) => p],
  [['workspaces', 0, 'name'], 'workspaces[0].name', (p) => p],
  [['clusters', 0, 'workspace'], 'clusters[0].workspace', (p) => p],
  [['metadata'], 'metadata.name', (p) => ({ name: p })],
  [['workspaces', 0, 'namespace'], 'workspaces[0].namespace', (p) => p],
  [['clusters', 0, 'nodepools'], 'clusters[0].nodepools[0]', (p) => [p]],
  [['workspaces', 0, 'apps', 0, 'name'], 'workspaces[0].apps[0].name', (p) => p],
  [['workspaces', 0, 'projects', 0, 'name'], 'workspaces[0].projects[0].name', (p) => p],
  [['management', 'kubeconfigEnv'], 'management.kubeconfigEnv', (p) => p],
  [
    ['clusters', 0, 'window'],
    'clusters[0].window.timezone',
    (p) => ({ start: '01:00', end: '03:00', timezone: p }),
  ],
  [['clusters', 0, 'provider'], 'clusters[0].provider', (p) => p],
  [['target', 'dkp'], 'target.dkp', (p) => p],
  [['workspaces', 0, 'apps', 0, 'version'], 'workspaces[0].apps[0].version', (p) => p],
  [['clusters', 0, 'controlPlane'], 'clusters[0].controlPlane.args', (p) => ({ args: { [p]: 'x' } })],
]

function writeInventory(name: string, doc: Record<string, unknown>): string {
  const file = join(work, name)
  writeFileSync(file, stringify(doc, { lineWidth: 0 }))
  return name
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'dkp-injection-'))
  canary = join(work, 'CANARY')
  // A private copy: a concurrent `npm run build` (it empties dist/ first) cannot pull chunks from
  // under the running children, and outside the repository nothing resolves from node_modules.
  if (HAVE_DIST) {
    cpSync(DIST, join(work, '.dist'), { recursive: true })
    ACTION = join(work, '.dist', 'index.js')
    CLI = join(work, '.dist', 'cli.js')
  }
})

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true })
})

const noCanary = () =>
  expect(existsSync(canary), `${canary} was created: a payload ran in a shell`).toBe(false)

// ---------- tests ----------

describe('neutralize: text never becomes a workflow command', () => {
  const fragments = fc.constantFrom(
    '::',
    ':',
    '##[',
    '#',
    '[',
    ']',
    '\n',
    '\r',
    '\r\n',
    ' ',
    '\t',
    '\u0085',
    '\u00a0',
    '\u2028',
    '\ufeff',
    '\u001f',
    '\u200b',
    'set-output name=x::1',
    'stop-commands::t',
    'error::',
    'add-mask]',
  )
  const text = fc.oneof(
    fc.array(fc.oneof(fragments, fc.string({ maxLength: 4 })), { maxLength: 24 }).map((xs) => xs.join('')),
    fc.string({ unit: 'binary', maxLength: 64 }),
  )

  it('holds for any text, by the runner’s own parsing rules (5,000 generated strings)', () => {
    fc.assert(
      fc.property(text, (s) => {
        const n = neutralize(s)
        expect(runnerCommands(n)).toEqual([])
        // Only zero-width spaces are inserted: the text reads the same.
        expect(n.replaceAll('\u200b', '')).toBe(s.replaceAll('\u200b', ''))
      }),
      { numRuns: 5_000, seed: 0x1417 },
    )
  })

  it.each([
    '\r::stop-commands::tok',
    'x\r::set-output name=a::b',
    '\u0085::set-output name=a::b',
    '\n\t ::warning::x',
    'cluster ##[set-output name=a;]b',
    '##[add-mask]secret',
    '::::error::x',
    '\u2028::error::x',
  ])('%j', (s) => {
    expect(runnerCommands(s).length).toBeGreaterThan(0)
    expect(runnerCommands(neutralize(s))).toEqual([])
  })

  it('through GitHubReporter and @actions/core to stdout', async () => {
    const written: string[] = []
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk))
      return true
    })
    try {
      const reporter = new GitHubReporter()
      for (const p of [...payloads(), '\r::stop-commands::tok', 'a ##[set-output name=x;]y']) {
        reporter.info(p)
        reporter.warning(p, { file: p, line: 1, col: 1 })
        reporter.error(p)
        await reporter.group(p, async () => reporter.info(`in group ${p}`))
      }
      for (let i = 0; i < 12; i++) reporter.error(`over the annotation limit\r::error::PWNED ${i}`)
    } finally {
      spy.mockRestore()
    }
    expect(foreignCommands(written.join(''))).toEqual([])
  })
})

describe('dkp commands are argument arrays', () => {
  let recorder = ''
  beforeAll(() => {
    // A stand-in dkp that records the argv it receives (no shell involved on either side).
    recorder = join(mkdtempSync(join(tmpdir(), 'dkp-recorder-')), 'dkp')
    writeFileSync(
      recorder,
      `#!${process.execPath}\nrequire('node:fs').writeFileSync(process.env.DKP_RECORD, JSON.stringify(process.argv.slice(2)))\n`,
    )
    chmodSync(recorder, 0o755)
  })

  it('dkp receives every flag value exactly, and nothing runs in a shell', async () => {
    const record = join(work, 'argv.json')
    const runner = new DkpRunner({ binary: recorder, kubeconfigPath: '/tmp/k', env: { DKP_RECORD: record } })
    for (const p of payloads()) {
      const args = ['update', 'nodepool', 'aws', ...toFlags({ ami: p, 'extra-flag': [p, 'b'] })]
      await runner.run({ args }, new AbortController().signal)
      expect(JSON.parse(readFileSync(record, 'utf8'))).toEqual([...args, '--kubeconfig=/tmp/k'])
    }
    noCanary()
  })

  it('the command line shown to users re-parses (sh) to the same arguments', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc
            .oneof(fc.constantFrom(...payloads()), fc.string({ unit: 'binary', maxLength: 12 }))
            .filter((s) => !s.includes('\0')),
          { minLength: 1, maxLength: 4 },
        ),
        (args) => {
          const shown = commandLine('dkp', args)
          const r = spawnSync('/bin/sh', ['-c', `printf '%s\\0' ${shown}`], { encoding: 'utf8' })
          expect(r.stdout.split('\0').slice(0, -1)).toEqual(['dkp', ...args])
        },
      ),
      { numRuns: 300, seed: 0x5ee },
    )
    noCanary()
  })
})

describe.skipIf(!HAVE_DIST)('the action (dist/index.js) and the CLI (dist/cli.js)', () => {
  it('reject every payload in a name, with a located error (action exit 1, CLI exit 2)', async () => {
    const failures: string[] = []
    const cases = payloads().flatMap((p, i) =>
      // Each payload in two name fields (rotating), so every field meets several payloads.
      [0, 7].map((k) => ({ p, field: NAME_FIELDS[(i + k) % NAME_FIELDS.length]! })),
    )
    await pool(cases, async ({ p, field: [path, label, value] }, i) => {
      const doc = base()
      setAt(doc, path, value(p))
      const file = writeInventory(`names-${i}.yaml`, doc)
      const what = `${label} = ${JSON.stringify(p)}`
      const job = await action({ stage: 'plan', inventory: file })
      failures.push(...jobViolations(`action, ${what}`, job))
      if (job.code !== 1) failures.push(`action, ${what}: exit ${job.code}, not 1`)
      if (!/^::error file=names-\d+\.yaml,line=\d+,col=\d+::/m.test(job.stdout))
        failures.push(`action, ${what}: no located error annotation`)
      if (outputNames(job.outputs).length)
        failures.push(`action, ${what}: outputs written for a rejected inventory`)
      const v = await cli(['validate', '-i', file])
      if (v.code !== 2) failures.push(`cli, ${what}: exit ${v.code}, not 2`)
      const fieldRe = new RegExp(
        `^${file.replace('.', '\\.')}:\\d+:\\d+: ${label.replace(/[.[\]]/g, '\\$&')}`,
        'm',
      )
      if (!fieldRe.test(v.stderr)) failures.push(`cli, ${what}: no message naming ${label}:\n${v.stderr}`)
      if (v.stdout) failures.push(`cli, ${what}: printed on stdout`)
    })
    noCanary()
    expect(failures, failures.join('\n')).toEqual([])
  })

  it('keep free text that validation accepts as data: backup.reason and dkp flag values', async () => {
    const failures: string[] = []
    let accepted = 0
    await pool(payloads(), async (p, i) => {
      const doc = base()
      doc.backup = { enabled: false, reason: p }
      const managed = (doc.clusters as Record<string, unknown>[]).find((c) => !c.attached)!
      managed.controlPlane = { args: { ami: p } }
      managed.nodepools = [{ name: 'c-001-md-0', args: { ami: p, 'image-tags': [p, 'x'] } }]
      const file = writeInventory(`text-${i}.yaml`, doc)
      const what = JSON.stringify(p)
      const job = await action({ stage: 'plan', inventory: file })
      failures.push(...jobViolations(`action, free text ${what}`, job))
      if (job.code === 0) {
        accepted++
        const outputs = outputNames(job.outputs)
        if (!outputs.includes('plan') || !outputs.includes('digest'))
          failures.push(`action, ${what}: no plan output`)
        const plan = /^plan<<(ghadelimiter_[0-9a-f-]+)\n([\s\S]*?)\n\1$/m.exec(job.outputs)?.[2]
        if (JSON.parse(plan ?? '{}').backupDisabled !== p)
          failures.push(`action, ${what}: the reason did not survive as data`)
      } else if (/[\r\n\0]/.test(p)) {
        // dkp flag values are one line: the schema refuses a newline, located.
        if (!/^::error file=text-\d+\.yaml,line=\d+/m.test(job.stdout))
          failures.push(`action, ${what}: refused without a location`)
      } else failures.push(`action, ${what}: exit ${job.code}:\n${job.stdout}`)
      const c = await cli(['plan', '-i', file, '--json'])
      if (c.code !== (job.code ?? -1) * 2) failures.push(`cli plan, ${what}: exit ${c.code}`)
      if (c.code === 0 && JSON.parse(c.stdout).backupDisabled !== p)
        failures.push(`cli plan, ${what}: reason changed`)
    })
    noCanary()
    expect(failures, failures.join('\n')).toEqual([])
    expect(accepted).toBeGreaterThan(10)
  })

  it('turn no action input into a command, an output or a shell', async () => {
    const inventory = writeInventory('inputs.yaml', base())
    const all = [
      'stage',
      'inventory',
      'cluster',
      'wave',
      'plan-digest',
      'target',
      'target-kubernetes',
      'dkp-version',
      'dkp-sha256',
      'dkp-download-url',
      'dkp-path',
      'require-checksum',
      'dry-run',
      'timeout-minutes',
      'manifests',
      'fail-on',
      'reason',
    ]
    const unchecked = ['dkp-download-url', 'dkp-path', 'manifests', 'reason']
    const failures: string[] = []
    let planned = 0
    const runs = payloads().flatMap((p) => [
      { what: 'every input', p, inputs: Object.fromEntries(all.map((n) => [n, p])) },
      {
        what: 'every input but stage and inventory',
        p,
        inputs: { ...Object.fromEntries(all.map((n) => [n, p])), stage: 'plan', inventory },
      },
      {
        what: 'the free-text inputs of a plan job',
        p,
        inputs: { ...Object.fromEntries(unchecked.map((n) => [n, p])), stage: 'plan', inventory },
      },
      { what: 'the inventory input', p, inputs: { stage: 'plan', inventory: `${inventory}\n${p}` } },
      { what: 'the kubeconfig input', p, inputs: { stage: 'plan', inventory, kubeconfig: p } },
      {
        what: 'the cluster input of a kubernetes job',
        p,
        inputs: { stage: 'kubernetes', inventory, cluster: p, 'dry-run': 'true' },
      },
    ])
    await pool(runs, async ({ what, p, inputs }) => {
      const job = await action(inputs)
      const label = `${what} = ${JSON.stringify(p)}`
      failures.push(...jobViolations(label, job))
      if (what === 'the free-text inputs of a plan job') {
        if (job.code === 0) planned++
        else failures.push(`${label}: exit ${job.code}:\n${job.stdout}`)
      } else if (job.code !== 1) failures.push(`${label}: exit ${job.code}, not 1:\n${job.stdout}`)
      // A kubeconfig is a secret: whatever is wrong with it, its text is not echoed.
      if (what === 'the kubeconfig input' && p.length >= 8 && job.stdout.includes(p.trim()))
        failures.push(`${label}: the kubeconfig text appears in the log`)
    })
    noCanary()
    expect(failures, failures.join('\n')).toEqual([])
    expect(planned).toBe(payloads().length)
  })

  it('never run a stage or cluster named by a payload (CLI run)', async () => {
    const inventory = writeInventory('run.yaml', base())
    const failures: string[] = []
    await pool(payloads(), async (p) => {
      for (const args of [
        ['run', p, '-i', inventory],
        ['run', 'kubernetes', '-i', inventory, '--cluster', p, '--dry-run'],
        ['run', 'core-addons', '-i', inventory, '--cluster', p, '--dkp-path', p, '--dry-run'],
      ]) {
        const r = await cli(args)
        if (r.code !== 2) failures.push(`${JSON.stringify(args)}: exit ${r.code}, not 2:\n${r.stderr}`)
        if (/^\s+at .+\(|node:internal/m.test(r.stderr)) failures.push(`${JSON.stringify(args)}: stack trace`)
      }
    })
    noCanary()
    expect(failures, failures.join('\n')).toEqual([])
  })
})

if (!HAVE_DIST) {
  describe('the action and CLI bundles', () => {
    it.skip(SKIP_REASON, () => {})
  })
}
