// The published CLI package, as a user gets it: `npm pack`, then `npm install <tarball>` into an
// empty directory outside the repository (offline: the bundles in dist/ carry every dependency,
// so the package has none), then `npx dkp-fleet validate` and `plan` there on an inventory.
// Runs the committed-or-built dist/ (npm test builds it first).

import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Packed, packAndInstall, ROOT, run } from '../helpers/packed.js'

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))

let packed: Packed['info']
let work: string
let tarball: string

/** Bytes of every file below a directory (symlinks not followed). */
function sizeOf(dir: string): number {
  let total = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) total += sizeOf(p)
    else if (e.isFile()) total += statSync(p).size
  }
  return total
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`

beforeAll(() => {
  const p = packAndInstall()
  ;({ work, tarball, info: packed } = p)
}, 120_000)

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true })
})

describe('the npm package', () => {
  it('package.json is publishable: not private, bin, engines, repository, a files list', () => {
    expect(pkg.private).toBeUndefined()
    expect(pkg.bin).toEqual({ 'dkp-fleet': 'bin/dkp-fleet.js' })
    expect(pkg.engines.node).toBe('>=22.19')
    expect(pkg.repository.url).toMatch(/^git\+https:\/\/github\.com\/[\w.-]+\/dkp-fleet-upgrade\.git$/)
    expect(pkg.files).toEqual(expect.arrayContaining(['dist/**/*.js', 'schema/fleet.schema.json']))
    // Everything is bundled into dist/: nothing to install at run time.
    expect(pkg.dependencies ?? {}).toEqual({})
  })

  it('the bin checks the same Node floor as engines', () => {
    const floor = /const MIN_NODE = '(\d+)\.(\d+)\.0'/.exec(
      readFileSync(join(ROOT, 'bin/dkp-fleet.js'), 'utf8'),
    )
    expect(floor && `>=${floor[1]}.${floor[2]}`).toBe(pkg.engines.node)
  })

  it("carries only what runs: bundles without source maps, the schema, fleet up's recipes; no sources or tests", () => {
    const paths = packed.files.map((f) => f.path).sort()
    const allowed = [
      /^README\.md$/,
      /^LICENSE$/,
      /^package\.json$/,
      /^bin\/dkp-fleet\.js$/,
      /^dist\/(chunks\/)?[\w-]+\.js$/,
      /^dist\/licenses\.txt$/,
      /^schema\/fleet\.schema\.json$/,
      // `dkp-fleet fleet up`: its default inventory and the kube-apiserver/etcd/CRD build recipes.
      /^examples\/fleet\.yaml$/,
      /^test\/kube\/build-bins\.sh$/,
      /^test\/kube\/(gomod|crdgen)\/(go\.mod|go\.sum|[\w-]+\.go)$/,
    ]
    expect(paths.filter((p) => !allowed.some((re) => re.test(p)))).toEqual([])
    for (const p of [
      'LICENSE',
      'README.md',
      'bin/dkp-fleet.js',
      'dist/cli.js',
      'dist/index.js',
      'schema/fleet.schema.json',
    ])
      expect(paths).toContain(p)
    // Every bundle the build made is in the package (chunks are loaded by name at run time).
    const built = readdirSync(join(ROOT, 'dist/chunks')).filter((f) => f.endsWith('.js'))
    for (const f of built) expect(paths).toContain(`dist/chunks/${f}`)
  })

  it('installs offline into an empty directory with no dependency of its own; prints its size', () => {
    const nm = join(work, 'app', 'node_modules')
    const installed = readdirSync(nm).filter((e) => !e.startsWith('.'))
    expect(installed).toEqual(['dkp-fleet-upgrade'])
    const size = sizeOf(nm)
    console.log(
      `dkp-fleet-upgrade@${pkg.version}: tarball ${mb(statSync(tarball).size)}, ${packed.files.length} files, installed ${mb(size)}`,
    )
    expect(size).toBeLessThan(8 * 1024 * 1024)
  })

  it('npx dkp-fleet validate and plan work there on an inventory', () => {
    const app = join(work, 'app')
    copyFileSync(join(ROOT, 'examples/fleet.yaml'), join(app, 'fleet.yaml'))
    const v = run('npx', ['--no', 'dkp-fleet', 'validate', '-i', 'fleet.yaml'], app)
    expect(v.code, v.stderr).toBe(0)
    expect(v.stdout).toContain('fleet.yaml: valid')

    const p = run('npx', ['--no', 'dkp-fleet', 'plan', '-i', 'fleet.yaml', '--json'], app)
    expect(p.code, p.stderr).toBe(0)
    const plan = JSON.parse(p.stdout)
    // The same plan as the repository's own bundle makes.
    const here = run(
      process.execPath,
      [join(ROOT, 'dist/cli.js'), 'plan', '-i', 'examples/fleet.yaml', '--json'],
      ROOT,
    )
    expect(here.code, here.stderr).toBe(0)
    expect(plan.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(plan.digest).toBe(JSON.parse(here.stdout).digest)
    expect(plan.matrix.include.length).toBeGreaterThan(0)
  })

  it("npx dkp-fleet --version is package.json's version (the release tag)", () => {
    const v = run('npx', ['--no', '--', 'dkp-fleet', '--version'], join(work, 'app'), {
      DKP_FLEET_VERSION: '',
    })
    expect(v.code, v.stderr).toBe(0)
    expect(v.stdout).toBe(`${pkg.version}\n`)
  })

  it('npx dkp-fleet schema prints the shipped schema; bad input exits 2 naming file:line', () => {
    const app = join(work, 'app')
    const s = run('npx', ['--no', 'dkp-fleet', 'schema'], app)
    expect(s.code, s.stderr).toBe(0)
    expect(JSON.parse(s.stdout)).toEqual(
      JSON.parse(readFileSync(join(app, 'node_modules/dkp-fleet-upgrade/schema/fleet.schema.json'), 'utf8')),
    )
    writeFileSync(
      join(app, 'bad.yaml'),
      'apiVersion: dkp-fleet/v1\nkind: Fleet\ntarget: { dkp: v2.8 }\nmanagement: { name: mgmt, provider: aws }\n',
    )
    const b = run('npx', ['--no', 'dkp-fleet', 'validate', '-i', 'bad.yaml'], app)
    expect(b.code).toBe(2)
    expect(b.stderr).toContain('bad.yaml:3:16: target.dkp: must be a DKP version like v2.8.1 (got "v2.8")')
  })

  // This machine's system Node (Debian) may be older than the floor: then the bin says so.
  const systemNode = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => existsSync(p))
  const systemVersion = systemNode
    ? spawnSync(systemNode, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim()
    : ''
  const [maj = 0, min = 0] = systemVersion.split('.').map(Number)
  it.runIf(systemNode && (maj < 22 || (maj === 22 && min < 19)))(
    `on an older Node (${systemNode} ${systemVersion}) the bin refuses to start with a clear message`,
    () => {
      const bin = join(work, 'app/node_modules/dkp-fleet-upgrade/bin/dkp-fleet.js')
      const r = run(systemNode!, [bin, 'validate', '-i', 'fleet.yaml'], join(work, 'app'))
      expect(r.code).toBe(2)
      expect(r.stderr).toBe(`dkp-fleet needs Node.js 22.19.0 or later; ${systemNode} is v${systemVersion}\n`)
    },
  )
})
