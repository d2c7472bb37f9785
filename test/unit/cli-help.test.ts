// CLI conventions, in-process through main(argv, io): `--help`/`-h` on every command and
// subcommand (usage, every flag with its default, an example, exit 0, no module side effects),
// "did you mean" for commands, flags, stages and subcommands, a shell-expanded glob after -i
// accepted as a list (and a hint to quote it elsewhere), colour only when asked for or on a TTY.

import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { colourEnabled } from '../../src/cli/colour.js'
import { failureTail } from '../../src/cli/commands/run.js'
import type { CliIO } from '../../src/cli/io.js'
import { main } from '../../src/cli/main.js'
import { COMMAND_SPECS, type CommandSpec } from '../../src/cli/specs.js'
import { closest } from '../../src/core/suggest.js'
import { defaultLogPath, LogFile } from '../../src/effects/log-file.js'
import { ConsoleReporter } from '../../src/effects/reporter.js'

const ROOT = resolve(import.meta.dirname, '../..')

async function run(argv: string[], env: NodeJS.ProcessEnv = {}, tty = false) {
  let stdout = ''
  let stderr = ''
  const io: CliIO = {
    stdout: (t) => {
      stdout += t
    },
    stderr: (t) => {
      stderr += t
    },
    env,
    cwd: ROOT,
    tty: { stdout: tty, stderr: tty },
  }
  const code = await main(argv, io)
  return { code, stdout, stderr }
}

/** Every command and subcommand: [argv prefix, spec]. */
const ALL: [string[], CommandSpec][] = Object.entries(COMMAND_SPECS).flatMap(([name, spec]) => [
  [[name], spec] as [string[], CommandSpec],
  ...Object.entries(spec.subcommands ?? {}).map(([sub, s]) => [[name, sub], s] as [string[], CommandSpec]),
])

describe('--help and -h on every command', () => {
  it('covers every command the top-level usage lists', async () => {
    const top = await run(['--help'])
    const listed = [...top.stdout.matchAll(/^ {2}([a-z]+) {2,}/gm)].map((m) => m[1])
    expect(listed.sort()).toEqual(Object.keys(COMMAND_SPECS).sort())
  })

  it.each(ALL.map(([argv, spec]) => [argv.join(' '), argv, spec] as const))(
    '%s --help: usage, every flag with its default, an example; -h is the same',
    async (_name, argv, spec) => {
      const long = await run([...argv, '--help'])
      expect(long.code).toBe(0)
      expect(long.stderr).toBe('')
      const text = long.stdout
      expect(text).toMatch(new RegExp(`^Usage: dkp-fleet ${argv.join(' ')}\\b`))
      for (const [flag, f] of Object.entries(spec.flags)) {
        expect(text).toContain(`--${flag}`)
        if (f.short) expect(text).toContain(`-${f.short}, --${flag}`)
        if (f.default) expect(text.replace(/\s+/g, ' ')).toContain(`(default: ${f.default})`)
      }
      expect(text).toContain('-h, --help')
      expect(text).toMatch(/^Examples?:\n {2}\S/m)
      for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(100)
      const short = await run([...argv, '-h'])
      expect(short).toEqual(long)
    },
  )

  it('help <command> is <command> --help; --help after other flags still wins', async () => {
    expect(await run(['help', 'plan'])).toEqual(await run(['plan', '--help']))
    const r = await run(['run', 'kubernetes', '-i', 'nope.yaml', '--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^Usage: dkp-fleet run <stage>/)
  })

  it('schema --help prints help, not the schema', async () => {
    const r = await run(['schema', '--help'])
    expect(r.stdout).toMatch(/^Usage: dkp-fleet schema/)
    expect(r.stdout).not.toContain('"$schema"')
  })

  it('bold headings only with colour: FORCE_COLOR on, NO_COLOR off, a TTY by default', async () => {
    expect((await run(['plan', '--help'])).stdout).not.toContain('\x1b[')
    expect((await run(['plan', '--help'], {}, true)).stdout).toContain('\x1b[1mUsage:\x1b[22m')
    expect((await run(['plan', '--help'], { NO_COLOR: '1' }, true)).stdout).not.toContain('\x1b[')
    expect((await run(['plan', '--help'], { FORCE_COLOR: '1' })).stdout).toContain('\x1b[1m')
  })
})

describe('did you mean', () => {
  it('an unknown command', async () => {
    const r = await run(['plna'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('unknown command "plna"; did you mean "plan"?')
  })

  it('unknown flags, all of them at once', async () => {
    const r = await run(['plan', '-i', 'examples/fleet.yaml', '--josn', '--kubeconfg', 'x', '--zzzzzz'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('unknown flag --josn for dkp-fleet plan; did you mean --json?')
    expect(r.stderr).toContain('unknown flag --kubeconfg for dkp-fleet plan; did you mean --kubeconfig?')
    expect(r.stderr).toMatch(/unknown flag --zzzzzz for dkp-fleet plan \(dkp-fleet plan --help/)
  })

  it('an unknown stage', async () => {
    const r = await run(['run', 'kubernets', '-i', 'examples/fleet.yaml'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('unknown stage "kubernets"; did you mean "kubernetes"?')
  })

  it('an unknown cluster', async () => {
    const r = await run(['run', 'kubernetes', '-i', 'examples/fleet.yaml', '--cluster', 'prod-est-1'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('unknown cluster "prod-est-1"; did you mean "prod-east-1"?')
  })

  it('an unknown fleet subcommand', async () => {
    const r = await run(['fleet', 'dwon'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('unknown subcommand "dwon"; did you mean "down"?')
  })

  it('suggests only plausible typos', () => {
    expect(closest('kommandr', ['kommander', 'kubernetes'])).toBe('kommander')
    expect(closest('xyz', ['kommander', 'kubernetes'])).toBeUndefined()
    expect(closest('work', ['workspaces', 'workspace-apps'])).toBe('workspaces')
  })
})

describe('a shell-expanded glob after -i', () => {
  it('is accepted as a list of inventory files, the same as the quoted glob', async () => {
    const dir = 'test/fixtures/inventories/valid'
    const quoted = await run(['validate', '-i', `${dir}/*.yaml`])
    const files = readdirSync(join(ROOT, dir))
      .filter((f) => f.endsWith('.yaml'))
      .sort()
    expect(files.length).toBeGreaterThan(1)
    const expanded = await run(['validate', '-i', ...files.map((f) => `${dir}/${f}`)])
    expect(expanded.code).toBe(0)
    expect(expanded).toEqual(quoted)
    // Also for run, after its <stage> argument (an unknown cluster, so nothing runs).
    const r = await run(['run', 'kubernetes', '-i', ...files.map((f) => `${dir}/${f}`), '--cluster', 'c'])
    expect(r.stderr).not.toContain('unexpected argument')
  })

  it('elsewhere, a stray argument gets a hint to quote the glob', async () => {
    const r = await run(['plan', '--json', 'fleet/b.yaml', '-i', 'examples/fleet.yaml'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('unexpected argument "fleet/b.yaml" for dkp-fleet plan')
    expect(r.stderr).toContain("or quote a glob: -i 'fleet/*.yaml'")
  })
})

describe('colour', () => {
  it.each([
    [{}, true, true],
    [{}, false, false],
    [{ NO_COLOR: '1' }, true, false],
    [{ NO_COLOR: '' }, true, true],
    [{ FORCE_COLOR: '1' }, false, true],
    [{ FORCE_COLOR: '0' }, true, false],
    [{ FORCE_COLOR: '1', NO_COLOR: '1' }, false, true],
    [{ TERM: 'dumb' }, true, false],
  ])('%j on a TTY=%s → %s', (env, tty, expected) => {
    expect(colourEnabled(env as NodeJS.ProcessEnv, tty)).toBe(expected)
  })
})

describe('a missing or garbage kubeconfig is bad input (exit 2) naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dkp-fleet-kc-'))
  const garbage = join(dir, 'garbage.yaml')
  writeFileSync(garbage, 'apiVersion: v1\nkind: Config\n\u0000garbage: [')
  const missing = join(dir, 'missing.yaml')
  const commands = [['plan'], ['run', 'kommander'], ['upgrade'], ['status'], ['pause'], ['resume'], ['check']]

  it.each(commands.flatMap((c) => [[c.join(' '), c, missing] as const, [c.join(' '), c, garbage] as const]))(
    '%s --kubeconfig %s',
    async (_name, argv, file) => {
      const r = await run([...argv, '-i', 'examples/fleet.yaml', '--kubeconfig', file])
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr).toContain(file)
      expect(r.stderr).not.toMatch(/^\s+at /m)
    },
  )

  it('plan reads $KUBECONFIG like the other commands (a missing one is named)', async () => {
    const r = await run(['plan', '-i', 'examples/fleet.yaml'], { KUBECONFIG: `${missing}:/other` })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`cannot read kubeconfig ${missing}`)
    const without = await run(['plan', '-i', 'examples/fleet.yaml'], {})
    expect(without.code).toBe(0)
  })
})

describe('the log file', () => {
  it('takes the tool output, keeps the last 20 lines for the console, mode 0600', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'dkp-fleet-log-')), 'logs', 'run.log')
    const log = new LogFile(path)
    const reporter = new ConsoleReporter(() => {}, log)
    for (let i = 1; i <= 30; i++) reporter.detail(`line ${i}`)
    log.close()
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(31)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(log.tail()).toEqual(Array.from({ length: 20 }, (_, i) => `line ${i + 11}`))
    expect(failureTail(log.tail(), path)).toMatch(
      /^last 20 line\(s\) of dkp output \(all of it in .+run\.log\):\n {2}\| line 11\n/,
    )
  })

  it('without a log file, tool output is progress on the console', () => {
    let out = ''
    new ConsoleReporter((t) => (out += t)).detail('rendered: yaml')
    expect(out).toBe('rendered: yaml\n')
  })

  it('defaults under $XDG_STATE_HOME', () => {
    expect(defaultLogPath({ XDG_STATE_HOME: '/s' }, 'upgrade', new Date('2026-01-02T03:04:05.678Z'))).toBe(
      '/s/dkp-fleet/logs/upgrade-2026-01-02T03-04-05-678Z.log',
    )
  })
})
