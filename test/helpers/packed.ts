// The npm package as a user installs it: `npm pack` of this repository, then `npm install
// <tarball>` (offline: the package has no dependencies) into an empty directory outside the
// repository. Used by test/effects/package.test.ts and test/integration/package-fleet.test.ts.

import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join, relative } from 'node:path'

export const ROOT = join(import.meta.dirname, '..', '..')

/** Node 24 (the devDependency vitest runs on) first on PATH, as for a user with Node ≥ 22.19. */
export const packageEnv = {
  ...process.env,
  PATH: [dirname(process.execPath), process.env.PATH].join(delimiter),
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
}

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

export function run(
  cmd: string,
  args: string[],
  cwd: string,
  extraEnv: Record<string, string> = {},
  timeout = 50_000,
): RunResult {
  const r = spawnSync(cmd, args, { cwd, env: { ...packageEnv, ...extraEnv }, encoding: 'utf8', timeout })
  return {
    code: r.status,
    stdout: r.stdout ?? '',
    stderr: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}`,
  }
}

export interface Packed {
  /** Temp directory holding the tarball and `app/`; remove it when done. */
  work: string
  tarball: string
  /** `npm pack --json`'s report: the files in the tarball and its sizes. */
  info: { files: { path: string; size: number }[]; size: number; unpackedSize: number }
  /** The directory the package is installed into (`app/node_modules/dkp-fleet-upgrade`). */
  app: string
  /** The installed package's root. */
  installed: string
}

/** Packs dist/ as it is (build first) and installs the tarball; throws naming the failing step. */
export function packAndInstall(): Packed {
  if (!existsSync(join(ROOT, 'dist/cli.js')))
    throw new Error('dist/cli.js is missing: run npm run build first')
  const work = mkdtempSync(join(tmpdir(), 'dkp-fleet-pack-'))
  if (!relative(ROOT, work).startsWith('..')) throw new Error(`${work} is inside the repository`)
  const p = run('npm', ['pack', '--json', '--pack-destination', work], ROOT)
  if (p.code !== 0) throw new Error(`npm pack exited ${p.code}: ${p.stderr}`)
  const [info] = JSON.parse(p.stdout) as (Packed['info'] & { filename: string })[]
  const app = join(work, 'app')
  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), '{ "name": "fleet-repo", "private": true }\n')
  const tarball = join(work, info!.filename)
  const i = run('npm', ['install', '--offline', '--no-audit', '--ignore-scripts', tarball], app)
  if (i.code !== 0) throw new Error(`npm install ${tarball} exited ${i.code}: ${i.stderr}`)
  return { work, tarball, info: info!, app, installed: join(app, 'node_modules', 'dkp-fleet-upgrade') }
}
