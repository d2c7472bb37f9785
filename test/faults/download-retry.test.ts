// Download retries in the real bundles (issue 15, item 2). A mirror that answers 503 with
// Retry-After, then refuses the connection, then serves: `dkp-fleet install` (dist/cli.js),
// `dkp-fleet run core-addons` (dist/cli.js, which installs dkp for its read-only probe) and the
// action (dist/index.js with INPUT_* variables and real GITHUB_OUTPUT / GITHUB_STEP_SUMMARY
// files, RUNNER_TEMP and RUNNER_TOOL_CACHE) must each sleep through both backoffs, log every
// retry, exit 0 and leave no temp files. Before the fix the retry sleep's timer was unref'd:
// Node found nothing keeping the event loop alive during the first backoff and exited with code
// 13 ("unsettled top-level await") — no error, no result, no summary, the Lease held.

import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadInventory } from '../../src/effects/inventory-files.js'
import { LEASE_API, leaseName } from '../../src/effects/lease.js'
import { RunRecord } from '../../src/effects/run-record.js'
import { seedFleet } from '../../src/fleet/seed.js'
import { type Simulator, startSimulator } from '../../src/fleet/sim/index.js'
import { type FlakyMirror, startFlakyMirror } from '../helpers/flaky-mirror.js'
import { buildDkpTarball, tarballName } from '../helpers/tarball-server.js'
import { useTestCluster } from '../kube/harness.js'
import { ActionRunner, actionSnapshot, leases, parseCommandFile, shimScript } from './helpers.js'

const tc = useTestCluster()
const FLEET = 'retries'
const INVENTORY = `apiVersion: dkp-fleet/v1
kind: Fleet
metadata: { name: ${FLEET} }
target: { dkp: v2.8.1, kubernetes: 1.28.7 }
management: { name: mgmt, provider: aws, namespace: default }
`
const arch = process.arch === 'arm64' ? 'arm64' : 'amd64'
const PATH = `/dkp/v2.8.1/${tarballName('v2.8.1', 'linux', arch)}`
const TEMPLATE = '/dkp/{version}/dkp_{version}_{os}_{arch}.tar.gz'

let actionDir: string
let workspace: string
let kubeconfigFile: string
let tarball: { data: Buffer; sha256: string }
let sim: Simulator
const figures: string[] = []

beforeAll(async () => {
  actionDir = actionSnapshot()
  workspace = join(actionDir, 'repo')
  mkdirSync(workspace, { recursive: true })
  writeFileSync(join(workspace, 'fleet.yaml'), INVENTORY)
  kubeconfigFile = tc.kubeconfigPath
  const { inventory } = await loadInventory(join(workspace, 'fleet.yaml'))
  await seedFleet(tc.kube, inventory, { dkp: 'v2.8.1', kubeconfig: readFileSync(kubeconfigFile, 'utf8') })
  sim = await startSimulator(tc.kube, { intervalMs: 20 })
  // core-addons on mgmt needs capi-components done: its done-condition is the run record
  const now = new Date().toISOString()
  await new RunRecord(tc.kube, 'default', FLEET).append({
    stepId: 'capi-components:mgmt',
    stage: 'capi-components',
    cluster: 'mgmt',
    status: 'upgraded',
    to: 'v2.8.1',
    started: now,
    finished: now,
    planDigest: 'sha256:seeded',
    runId: 'seed',
    actor: 'test',
    commands: [],
  })
  const logDir = mkdtempSync(join(tmpdir(), 'dkp-retry-shim-'))
  const script = shimScript(join(actionDir, 'dist', 'dkp-standin.js'), logDir, {
    DKP_STANDIN_VERSION: 'v2.8.1',
  })
  tarball = await buildDkpTarball({ dir: actionDir, script })
})

afterAll(async () => {
  await sim?.stop()
  console.log(`download retries in the real bundles:\n  ${figures.join('\n  ')}`)
})

interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  out: string
  ms: number
}

/**
 * Runs a bundle; reopens the mirror as soon as the second attempt was refused (so the third
 * attempt finds it serving). Kills it after 60 s.
 */
function runBundle(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  mirror: FlakyMirror,
  cwd: string,
): Promise<Run> {
  const started = Date.now()
  const child = spawn(process.execPath, [script, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let reopened = false
  const onData = (d: string) => {
    out += d
    if (!reopened && /attempt 2\/4 failed \([^)]*ECONNREFUSED/.test(out)) {
      reopened = true
      void mirror.reopen()
    }
  }
  child.stdout.setEncoding('utf8').on('data', onData)
  child.stderr.setEncoding('utf8').on('data', onData)
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, out, ms: Date.now() - started })
    })
  })
}

/** Both retries were logged with their reasons, in order. */
function expectRetriesLogged(out: string) {
  expect(out).toMatch(/attempt 1\/4 failed \(HTTP 503 Service Unavailable\); retrying in 1\.\d s/)
  expect(out).toMatch(/attempt 2\/4 failed \(connect ECONNREFUSED 127\.0\.0\.1:\d+\); retrying in \d\.\d s/)
  expect(out.indexOf('attempt 1/4')).toBeLessThan(out.indexOf('attempt 2/4'))
}

function laptopEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: join(home, 'home'),
    XDG_CACHE_HOME: join(home, 'xdg'),
    TMPDIR: join(home, 'tmp'),
  }
}

describe('a mirror answering 503 (Retry-After), then refusing, then serving', () => {
  it('dkp-fleet install (dist/cli.js) sleeps through both backoffs, logs them, exits 0, prints the path', async () => {
    const mirror = await startFlakyMirror(PATH, tarball.data)
    const home = mkdtempSync(join(tmpdir(), 'dkp-retry-cli-'))
    mkdirSync(join(home, 'tmp'))
    try {
      const r = await runBundle(
        join(actionDir, 'dist', 'cli.js'),
        [
          'install',
          '--version',
          'v2.8.1',
          '--url',
          `${mirror.origin}${TEMPLATE}`,
          '--sha256',
          tarball.sha256,
        ],
        laptopEnv(home),
        mirror,
        home,
      )
      figures.push(
        `install: exit ${r.code} after ${(r.ms / 1000).toFixed(1)} s; mirror saw ${mirror.requests.join(', ')}`,
      )
      expect(r.code, r.out).toBe(0)
      expectRetriesLogged(r.out)
      expect(r.out).toContain(join(home, 'xdg', 'dkp-fleet', 'tool-cache', 'dkp', '2.8.1'))
      expect(mirror.requests).toEqual([`GET ${PATH} 503`, `GET ${PATH} 200`])
      expect(readdirSync(join(home, 'tmp')), 'temp files left').toEqual([])
    } finally {
      await mirror.close()
    }
  })

  it('dkp-fleet run core-addons (dist/cli.js) installs dkp through the retries and finishes the stage', async () => {
    const mirror = await startFlakyMirror(PATH, tarball.data)
    const home = mkdtempSync(join(tmpdir(), 'dkp-retry-run-'))
    mkdirSync(join(home, 'tmp'))
    try {
      const r = await runBundle(
        join(actionDir, 'dist', 'cli.js'),
        [
          'run',
          'core-addons',
          '-i',
          join(workspace, 'fleet.yaml'),
          '--cluster',
          'mgmt',
          '--kubeconfig',
          kubeconfigFile,
          '--dkp-version',
          'v2.8.1',
          '--dkp-download-url',
          `${mirror.origin}${TEMPLATE}`,
          '--dkp-sha256',
          tarball.sha256,
          '--json',
        ],
        laptopEnv(home),
        mirror,
        home,
      )
      figures.push(`run core-addons: exit ${r.code} after ${(r.ms / 1000).toFixed(1)} s`)
      expect(r.code, r.out).toBe(0)
      expectRetriesLogged(r.out)
      const result = JSON.parse(r.out.split('\n').find((l) => l.startsWith('{"stage"')) ?? '{}')
      expect(result).toMatchObject({ stage: 'core-addons', cluster: 'mgmt', status: 'skipped' })
      expect(readdirSync(join(home, 'tmp')), 'temp files left').toEqual([])
      expect(await leases(tc.kube, 'default'), 'Leases left').toEqual([])
    } finally {
      await mirror.close()
    }
  })

  it('the action (dist/index.js) installs dkp through the retries: result, summary, no Lease, RUNNER_TEMP clean', async () => {
    const mirror = await startFlakyMirror(PATH, tarball.data)
    const toolCache = mkdtempSync(join(tmpdir(), 'dkp-retry-toolcache-'))
    const runner = new ActionRunner(actionDir, workspace, {
      PATH: process.env.PATH ?? '',
      HOME: join(actionDir, 'home'),
      RUNNER_TOOL_CACHE: toolCache,
    })
    // independent of the test above (a crashed run leaves its Lease behind)
    await tc.kube.delete(LEASE_API, 'Lease', leaseName('mgmt'), 'default')
    try {
      let reopened = false
      const job = await runner.run(
        {
          stage: 'core-addons',
          cluster: 'mgmt',
          inventory: 'fleet.yaml',
          kubeconfig: readFileSync(kubeconfigFile, 'utf8'),
          'dkp-version': 'v2.8.1',
          'dkp-download-url': `${mirror.origin}${TEMPLATE}`,
          'dkp-sha256': tarball.sha256,
        },
        {
          onLine: (line) => {
            if (!reopened && /attempt 2\/4 failed \([^)]*ECONNREFUSED/.test(line)) {
              reopened = true
              void mirror.reopen()
            }
          },
        },
      )
      const log = `${job.main.stdout}\n${job.main.stderr}`
      figures.push(`action core-addons: exit ${job.main.code} after ${(job.main.ms / 1000).toFixed(1)} s`)
      expect(job.main.code, log).toBe(0)
      expectRetriesLogged(job.main.stdout)
      expect(job.result, 'the result output').toMatchObject({
        stage: 'core-addons',
        cluster: 'mgmt',
        status: 'skipped',
      })
      expect(job.main.summary).toContain('## core-addons on mgmt')
      expect(parseCommandFile(readFileSync(join(job.dir, 'main.state'), 'utf8'))).toBeDefined()
      expect(JSON.parse(job.state['dkp-fleet-job'] ?? '{}')).toMatchObject({ finished: true })
      expect(await leases(tc.kube, 'default'), 'Leases left').toEqual([])
      expect(
        readdirSync(job.runnerTemp).filter((f) => f.startsWith('dkp-install-')),
        'RUNNER_TEMP/dkp-install-* left',
      ).toEqual([])
      expect(mirror.requests).toEqual([`GET ${PATH} 503`, `GET ${PATH} 200`])
    } finally {
      await mirror.close()
    }
  })
})
