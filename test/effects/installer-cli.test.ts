// `dkp-fleet install`: in-process through main() with captured io, and as real child processes
// (the TypeScript source under tsx; an esbuild bundle of the command; dist/cli.js when built).

import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { CliIO } from '../../src/cli/io.js'
import { main } from '../../src/cli/main.js'
import { dkpPlatform } from '../../src/core/download.js'
import {
  type BuiltTarball,
  buildDkpTarball,
  dkpStandInScript,
  startTarballServer,
  type TarballServer,
  tarballName,
} from '../helpers/tarball-server.js'

const exec = promisify(execFile)
const ROOT = resolve(import.meta.dirname, '../..')
const DIST_CLI = join(ROOT, 'dist', 'cli.js')
const HAS_DIST = existsSync(DIST_CLI)
const here = dkpPlatform(process.platform, process.arch)

let srv: TarballServer
let tgz: BuiltTarball
let tmp: string
let n = 0
let prefix: string

beforeAll(async () => {
  srv = await startTarballServer()
  const dir = await mkdtemp(join(tmpdir(), 'dkp-cli-build-'))
  tgz = await buildDkpTarball({ dir, version: 'v2.8.1' })
  await rm(dir, { recursive: true, force: true })
})
afterAll(async () => {
  await srv.close()
  await rm(tmp, { recursive: true, force: true })
})
beforeEach(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true })
  tmp = await mkdtemp(join(tmpdir(), 'dkp-cli-'))
  await mkdir(join(tmp, 'tmp'))
  prefix = `/c${n++}`
})

const template = () => `${srv.origin}${prefix}/dkp/{version}/dkp_{version}_{os}_{arch}.tar.gz`
const route = (version = 'v2.8.1') => `${prefix}/dkp/${version}/${tarballName(version, here.os, here.arch)}`
const cacheRoot = () => join(tmp, 'xdg', 'dkp-fleet', 'tool-cache')
const expectedBinary = () => join(cacheRoot(), 'dkp', '2.8.1', here.nodeArch, 'dkp')

/** An environment like a developer laptop: no RUNNER_* variables. */
function laptopEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    HOME: join(tmp, 'home'),
    XDG_CACHE_HOME: join(tmp, 'xdg'),
    TMPDIR: join(tmp, 'tmp'),
    PATH: process.env.PATH,
    ...extra,
  }
}

async function cli(args: string[], env = laptopEnv()) {
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
    cwd: tmp,
  }
  const code = await main(['install', ...args], io)
  return { code, stdout, stderr }
}

describe('dkp-fleet install (in-process)', () => {
  it('installs and prints only the binary path on stdout; progress on stderr; a second run hits the cache', async () => {
    srv.serve(route(), tgz.data)
    const r = await cli(['--version', 'v2.8.1', '--url', template(), '--sha256', tgz.sha256])
    expect(r).toMatchObject({ code: 0, stdout: `${expectedBinary()}\n` })
    expect(r.stderr).toMatch(/downloading dkp v2\.8\.1/)
    expect((await exec(r.stdout.trim(), ['version'])).stdout).toMatch(/^dkp: v2\.8\.1$/m)
    const again = await cli(['--version', '2.8.1', '--url', template(), '--sha256', tgz.sha256, '-q'])
    expect(again).toEqual({ code: 0, stdout: `${expectedBinary()}\n`, stderr: '' })
    expect(srv.count(route())).toBe(1)
    expect(await readdir(join(tmp, 'tmp'))).toEqual([])
  })

  it('a wrong --sha256 exits 1 naming both checksums, prints nothing on stdout, caches nothing', async () => {
    srv.serve(route(), tgz.data)
    const wrong = 'f0'.repeat(32)
    const r = await cli(['--version', 'v2.8.1', '--url', template(), '--sha256', wrong])
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain(`error: checksum mismatch for ${tarballName('v2.8.1', here.os, here.arch)}`)
    expect(r.stderr).toContain(`expected sha256 ${wrong} (--sha256), got sha256 ${tgz.sha256}`)
    expect(existsSync(cacheRoot())).toBe(false)
    expect(await readdir(join(tmp, 'tmp'))).toEqual([])
  })

  it('bad input exits 2 with a message naming the flag', async () => {
    const cases: [string[], RegExp][] = [
      [[], /^--version: required: the dkp release to install/],
      [['--version', 'latest'], /^--version: "latest" is not a release version/],
      [['--version', 'v2.8.1', '--sha256', 'xyz'], /^--sha256: "xyz" is not a sha256/],
      [
        ['--version', 'v2.8.1', '--url', 'https://m/{ver}.tgz'],
        /^--url "https:\/\/m\/\{ver\}\.tgz": unknown placeholder \{ver\}/,
      ],
      [['--version', 'v2.8.1', '--mirror', 'x'], /^usage: unknown flag --mirror for dkp-fleet install/],
      [['--version', 'v2.8.1', '--dkp-path', join(tmp, 'missing')], /^--dkp-path .*missing does not exist/],
    ]
    for (const [args, re] of cases) {
      const r = await cli(args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stdout).toBe('')
      expect(r.stderr, args.join(' ')).toMatch(re)
    }
  })

  it('without a known checksum: installs, stdout is still only the path, stderr warns with the flag to pin', async () => {
    srv.serve(route(), tgz.data)
    const r = await cli(['--version', 'v2.8.1', '--url', template(), '--quiet'])
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(`${expectedBinary()}\n`)
    expect(r.stderr).toMatch(/^warning: no sha256 is known for dkp v2\.8\.1 .*trusted on first use/)
    expect(r.stderr).toContain(`--sha256 ${tgz.sha256}`)
  })

  it('--require-checksum without a checksum exits 1 before downloading', async () => {
    srv.serve(route(), tgz.data)
    const r = await cli(['--version', 'v2.8.1', '--url', template(), '--require-checksum'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/refusing to install dkp v2\.8\.1 .*--require-checksum is set.*--sha256 <hex>/)
    expect(srv.count(route())).toBe(0)
  })

  it('--dkp-path prints that binary after checking its version; not executable exits 2', async () => {
    const p = join(tmp, 'dkp')
    await writeFile(p, dkpStandInScript(), { mode: 0o755 })
    expect(await cli(['--version', 'v2.8.1', '--dkp-path', p, '-q'])).toEqual({
      code: 0,
      stdout: `${p}\n`,
      stderr: '',
    })
    expect((await cli(['--version', 'v2.8.1', '--dkp-path', 'dkp', '-q'])).stdout).toBe(`${p}\n`) // relative to cwd
    await chmod(p, 0o644)
    const r = await cli(['--version', 'v2.8.1', '--dkp-path', p])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`--dkp-path ${p} is not executable (mode 0644)`)
  })

  it('cache location: XDG_CACHE_HOME, else ~/.cache; RUNNER_TOOL_CACHE/RUNNER_TEMP on runners', async () => {
    srv.serve(route(), tgz.data)
    const args = ['--version', 'v2.8.1', '--url', template(), '--sha256', tgz.sha256, '-q']
    const home = await cli(args, laptopEnv({ XDG_CACHE_HOME: undefined }))
    expect(home.stdout).toBe(
      `${join(tmp, 'home', '.cache', 'dkp-fleet', 'tool-cache', 'dkp', '2.8.1', here.nodeArch, 'dkp')}\n`,
    )
    const runner = await cli(
      args,
      laptopEnv({ RUNNER_TOOL_CACHE: join(tmp, 'hostedtoolcache'), RUNNER_TEMP: join(tmp, 'runner-temp') }),
    )
    expect(runner.stdout).toBe(`${join(tmp, 'hostedtoolcache', 'dkp', '2.8.1', here.nodeArch, 'dkp')}\n`)
    expect(await readdir(join(tmp, 'runner-temp'))).toEqual([])
  })

  it('--help prints the usage', async () => {
    const r = await cli(['--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^Usage: dkp-fleet install --version vX\.Y\.Z/)
  })
})

describe('dkp-fleet install (child processes)', () => {
  function childEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, ...laptopEnv() }
    for (const k of Object.keys(env)) if (k.startsWith('RUNNER_') || k.startsWith('GITHUB_')) delete env[k]
    return env
  }

  async function runChild(argv: string[]) {
    return exec(process.execPath, argv, { env: childEnv(), cwd: ROOT }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({
        code: e.code,
        stdout: e.stdout,
        stderr: e.stderr,
      }),
    )
  }

  async function doneWhen(entry: string[]) {
    // The "done when": installs and prints a path whose `dkp version` says v2.8.1 ...
    srv.serve(route(), tgz.data)
    const ok = await runChild([
      ...entry,
      'install',
      '--version',
      'v2.8.1',
      '--url',
      template(),
      '--sha256',
      tgz.sha256,
    ])
    expect(ok.stderr).not.toMatch(/::debug::/)
    expect(ok).toMatchObject({ code: 0, stdout: `${expectedBinary()}\n` })
    expect((await exec(ok.stdout.trim(), ['version'])).stdout).toMatch(/^dkp: v2\.8\.1$/m)
    // ... and with a wrong sha256 exits 1 naming both checksums.
    await rm(join(tmp, 'xdg'), { recursive: true, force: true })
    const wrong = '0'.repeat(64)
    const bad = await runChild([
      ...entry,
      'install',
      '--version',
      'v2.8.1',
      '--url',
      template(),
      '--sha256',
      wrong,
    ])
    expect(bad.code).toBe(1)
    expect(bad.stdout).toBe('')
    expect(bad.stderr).toContain(`expected sha256 ${wrong} (--sha256), got sha256 ${tgz.sha256}`)
    expect(bad.stderr).not.toMatch(/\n\s+at /) // one message, no stack trace
    // Bad input exits 2.
    expect((await runChild([...entry, 'install', '--version', 'nope'])).code).toBe(2)
  }

  it('the TypeScript source (node --import tsx src/cli.ts)', async () => {
    await doneWhen(['--import', 'tsx', join(ROOT, 'src', 'cli.ts')])
  })

  it('an esbuild bundle of the install command (what dist/ ships: JSON import, proxy helper)', async () => {
    const { build } = await import('esbuild')
    const entry = join(tmp, 'entry.ts')
    await writeFile(
      entry,
      [
        `import { command } from ${JSON.stringify(join(ROOT, 'src/cli/commands/install.ts'))}`,
        `import { processIO } from ${JSON.stringify(join(ROOT, 'src/cli/io.ts'))}`,
        `import { exitCodeFor, messageOf } from ${JSON.stringify(join(ROOT, 'src/core/errors.ts'))}`,
        'try { process.exitCode = await command(process.argv.slice(3), processIO()) }',
        "catch (e) { process.stderr.write('error: ' + messageOf(e) + '\\n'); process.exitCode = exitCodeFor(e) }",
      ].join('\n'),
    )
    const bundle = join(tmp, 'bundle', 'install.js')
    await build({
      entryPoints: [entry],
      outfile: bundle,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node22.19',
      logLevel: 'silent',
      banner: {
        js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);",
      },
    })
    await doneWhen([bundle])
  })

  it.skipIf(!HAS_DIST)(
    `the built CLI (node dist/cli.js)${HAS_DIST ? '' : ' — SKIPPED: dist/cli.js is not built yet (npm run build needs every entry point); the two cases above cover the child-process path'}`,
    async () => {
      await doneWhen([DIST_CLI])
    },
  )
})
