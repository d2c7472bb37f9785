// Leftovers and unbounded waits (issue 15, item 7), in the real bundles:
// - a missing or garbage --kubeconfig is bad input (exit 2) naming the file, for every command;
// - a malformed management kubeconfig, or one without a usable context, leaves no 0600 copy
//   behind (CLI and action), and SIGINT/SIGTERM remove the copies of a CLI command in flight;
// - plan, status, pause, check and the action's status stage against a black-holed API server
//   (a listener that accepts and never answers) end at their deadline naming the call;
// - after a stage's timeout the lock release and the run record write are bounded too.

import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadInventory } from '../../src/effects/inventory-files.js'
import { leaseName } from '../../src/effects/lease.js'
import { seedFleet } from '../../src/fleet/seed.js'
import { type Simulator, startSimulator } from '../../src/fleet/sim/index.js'
import { CLEANUP_MS } from '../../src/stages/execute.js'
import { type FlakyProxy, startFlakyProxy } from '../kube/flaky-proxy.js'
import { useTestCluster } from '../kube/harness.js'
import { ActionRunner, actionSnapshot, leases, logOf, until } from './helpers.js'

const tc = useTestCluster()
const NS = 'default'
const INVENTORY = `apiVersion: dkp-fleet/v1
kind: Fleet
metadata: { name: bounded }
target: { dkp: v2.8.1, kubernetes: 1.28.7 }
management: { name: mgmt, provider: aws, namespace: ${NS} }
backup: { namespace: kommander, maxAge: 12h }
`

let actionDir: string
let workspace: string
let inventory: string
let blackHole: net.Server
let blackHoleKubeconfig: string
let sim: Simulator
const proxies: FlakyProxy[] = []
const figures: string[] = []

const kubeconfigFor = (server: string, extra = 'current-context: c') => `apiVersion: v1
kind: Config
clusters: [{ name: bh, cluster: { server: "${server}", insecure-skip-tls-verify: true } }]
users: [{ name: u, user: { token: bounded-test-token-0123456789 } }]
contexts: [{ name: c, context: { cluster: bh, user: u } }]
${extra}
`

beforeAll(async () => {
  actionDir = actionSnapshot()
  workspace = join(actionDir, 'repo')
  mkdirSync(workspace, { recursive: true })
  inventory = join(workspace, 'fleet.yaml')
  writeFileSync(inventory, INVENTORY)
  // accepts connections, never answers (not even the TLS handshake)
  blackHole = net.createServer((socket) => socket.on('error', () => {}))
  await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', r))
  const { port } = blackHole.address() as net.AddressInfo
  blackHoleKubeconfig = join(actionDir, 'black-hole.kubeconfig')
  writeFileSync(blackHoleKubeconfig, kubeconfigFor(`https://127.0.0.1:${port}`))
  const { inventory: inv } = await loadInventory(inventory)
  await seedFleet(tc.kube, inv, { dkp: 'v2.7.1', kubeconfig: readFileSync(tc.kubeconfigPath, 'utf8') })
  sim = await startSimulator(tc.kube, { intervalMs: 20 })
})

afterAll(async () => {
  for (const p of proxies) await p.close()
  await sim?.stop()
  blackHole?.close()
  console.log(`bounded waits:\n  ${figures.join('\n  ')}`)
})

interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  ms: number
}

function cli(args: string[], tmp: string, opts: { onStart?: (c: ChildProcess) => void } = {}): Promise<Exit> {
  const started = Date.now()
  const child = spawn(process.execPath, [join(actionDir, 'dist', 'cli.js'), ...args], {
    cwd: workspace,
    env: { PATH: process.env.PATH, HOME: join(tmp, 'home'), TMPDIR: tmp, XDG_CACHE_HOME: join(tmp, 'xdg') },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d
  })
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d
  })
  opts.onStart?.(child)
  const kill = setTimeout(() => child.kill('SIGKILL'), 120_000)
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(kill)
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started })
    })
  })
}

const copies = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('dkp-fleet-kube-'))

const COMMANDS: string[][] = [
  ['plan', '-i', 'fleet.yaml'],
  ['status', '-i', 'fleet.yaml'],
  ['pause', '-i', 'fleet.yaml'],
  ['check', '-i', 'fleet.yaml'],
  ['run', 'backup', '-i', 'fleet.yaml'],
]

describe('bad --kubeconfig files', () => {
  it('missing, garbage, not a kubeconfig, no usable context: exit 2 naming the file; no 0600 copy left', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'dkp-bounded-bad-'))
    const files: [string, string | undefined, RegExp][] = [
      [
        'missing.kubeconfig',
        undefined,
        /cannot read kubeconfig \S+missing\.kubeconfig: no such file \(ENOENT\)/,
      ],
      [
        'garbage.kubeconfig',
        'garbage: [unclosed\n',
        /from \S+garbage\.kubeconfig cannot be used: .*not valid YAML/,
      ],
      ['binary.kubeconfig', 'not yaml \u0001\u0002', /from \S+binary\.kubeconfig cannot be used/],
      [
        'no-context.kubeconfig',
        kubeconfigFor('https://127.0.0.1:1', 'current-context: ""'),
        /from \S+no-context\.kubeconfig cannot be used/,
      ],
      [
        'unknown-context.kubeconfig',
        kubeconfigFor('https://127.0.0.1:1', 'current-context: elsewhere'),
        /from \S+unknown-context\.kubeconfig cannot be used/,
      ],
    ]
    for (const [name, content] of files) if (content !== undefined) writeFileSync(join(tmp, name), content)
    for (const args of COMMANDS) {
      for (const [name, , message] of files) {
        const r = await cli([...args, '--kubeconfig', join(tmp, name)], tmp)
        const what = `${args.join(' ')} --kubeconfig ${name}`
        expect(r.code, `${what}\n${r.stderr}`).toBe(2)
        expect(r.stderr, what).toMatch(message)
        expect(r.stderr, `${what}: one message, no stack`).not.toMatch(
          /\n\s+at |ENOENT: no such file or directory, open/,
        )
        expect(copies(tmp), `${what}: 0600 copies left in TMPDIR`).toEqual([])
      }
    }
  })

  it('the action: a malformed kubeconfig input, or one without a usable context, leaves nothing in RUNNER_TEMP', async () => {
    const runner = new ActionRunner(actionDir, workspace, {
      PATH: process.env.PATH ?? '',
      HOME: join(actionDir, 'home'),
    })
    for (const kubeconfig of [
      'garbage: [unclosed\n',
      kubeconfigFor('https://127.0.0.1:1', 'current-context: ""'),
    ]) {
      const job = await runner.runWithPost({ stage: 'backup', inventory: 'fleet.yaml', kubeconfig })
      expect(job.main.code, logOf(job)).toBe(1)
      expect(job.main.stdout).toMatch(
        /::error::.*the management kubeconfig from the kubeconfig input cannot be used/,
      )
      expect(copies(job.runnerTemp), 'copies left after the main step').toEqual([])
    }
  })
})

describe('a black-holed API server (accepts, never answers)', () => {
  it('plan, status, pause and check end at --timeout-minutes naming the call; nothing left', async () => {
    for (const args of COMMANDS.slice(0, 4)) {
      const tmp = mkdtempSync(join(tmpdir(), 'dkp-bounded-bh-'))
      const r = await cli([...args, '--kubeconfig', blackHoleKubeconfig, '--timeout-minutes', '0.05'], tmp)
      figures.push(
        `${args[0]} against a black hole, --timeout-minutes 0.05: exit ${r.code} after ${(r.ms / 1000).toFixed(1)} s`,
      )
      expect(r.code, `${args[0]}\n${r.stderr}`).toBe(1)
      expect(r.ms, `${args[0]} ended at its deadline`).toBeLessThan(3000 + 8000)
      expect(r.stdout + r.stderr, args[0]).toMatch(
        /(discover|list|get) \S+.*: no response before the deadline \(--timeout-minutes 0\.05\) from https:\/\/127\.0\.0\.1:\d+/,
      )
      expect(copies(tmp)).toEqual([])
    }
  })

  it('the action (status stage): the summary names the call that got no answer before timeout-minutes', async () => {
    const runner = new ActionRunner(actionDir, workspace, {
      PATH: process.env.PATH ?? '',
      HOME: join(actionDir, 'home'),
    })
    const job = await runner.run({
      stage: 'status',
      inventory: 'fleet.yaml',
      kubeconfig: readFileSync(blackHoleKubeconfig, 'utf8'),
      'timeout-minutes': '0.05',
    })
    figures.push(
      `action status against a black hole, timeout-minutes 0.05: exit ${job.main.code} after ${(job.main.ms / 1000).toFixed(1)} s`,
    )
    expect(job.main.code, logOf(job)).toBe(1)
    expect(job.main.ms).toBeLessThan(3000 + 8000)
    expect(job.main.summary).toMatch(
      /## status: ❌ failed\n\n\*\*Failed:\*\* (discover|list|get) \S+.*: no response before the deadline \(timeout-minutes 0\.05\)/,
    )
    expect(copies(job.runnerTemp)).toEqual([])
  })

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} while status waits: exit 128+n, the 0600 copy removed`, async () => {
      const tmp = mkdtempSync(join(tmpdir(), 'dkp-bounded-sig-'))
      let child: ChildProcess | undefined
      const running = cli(['status', '-i', 'fleet.yaml', '--kubeconfig', blackHoleKubeconfig], tmp, {
        onStart: (c) => {
          child = c
        },
      })
      await until('the 0600 copy to exist', () => copies(tmp).length === 1, 15_000)
      child!.kill(signal)
      const r = await running
      expect(r.code, r.stderr).toBe(signal === 'SIGTERM' ? 143 : 130)
      expect(r.stderr).toContain(`stopped by ${signal}`)
      expect(copies(tmp), 'copies left').toEqual([])
    })
  }
})

describe('timeout-minutes bounds the cleanup after a timeout', () => {
  it('backup times out, then the API black-holes: lock release and record write give up within the cleanup budget; the post step releases the lock', async () => {
    sim.stall('Backup') // the backup never completes: the stage waits until timeout-minutes
    const proxy = await startFlakyProxy(tc)
    proxies.push(proxy)
    const runner = new ActionRunner(actionDir, workspace, {
      PATH: process.env.PATH ?? '',
      HOME: join(actionDir, 'home'),
      DKP_FLEET_POLL_MS: '200',
    })
    const timeoutMs = 6000
    const running = runner.start({
      stage: 'backup',
      inventory: 'fleet.yaml',
      kubeconfig: proxy.kubeconfig(tc.adminToken),
      'timeout-minutes': String(timeoutMs / 60_000),
    })
    await until('the lock to be taken', async () => (await leases(tc.kube, NS)).length === 1, 20_000)
    // shortly before the timeout, the management API stops answering
    await new Promise((r) => setTimeout(r, timeoutMs - 2500))
    proxy.setPolicy(() => 'hang')
    const job = await running.done
    proxy.setPolicy(undefined)
    sim.clearFaults()
    figures.push(
      `backup: timeout ${timeoutMs / 1000} s, API black-holed before it: main step ended after ${(job.main.ms / 1000).toFixed(1)} s (cleanup budget ${CLEANUP_MS / 1000} s)`,
    )
    expect(job.result?.status, logOf(job)).toBe('failed')
    expect(job.result?.message).toMatch(/^timed out after 6 s/)
    // before the fix: up to 6 attempts × 30 s for each call of the release and the record write
    expect(job.main.ms, logOf(job)).toBeLessThan(timeoutMs + CLEANUP_MS + 8000)
    expect(job.main.stdout).toMatch(
      /::warning::could not release the lock on mgmt: .*no response before the deadline \(the 20 s after the stage for releasing the lock and writing the run record\)/,
    )
    expect(job.main.stdout).toMatch(
      /::warning::could not write the run record: .*no response before the deadline/,
    )
    // the Lease outlived the job: the post step (API answering again) releases it
    expect((await leases(tc.kube, NS)).map((l) => l.name)).toEqual([leaseName('mgmt')])
    await runner.post(job)
    expect(job.post?.code, logOf(job)).toBe(0)
    expect(job.post?.stdout).toContain('released the lock on mgmt')
    expect(await leases(tc.kube, NS)).toEqual([])
    expect(copies(job.runnerTemp)).toEqual([])
  })
})
