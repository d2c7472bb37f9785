// Reliability: a managed cluster's kubeconfig Secret on the management cluster is tenant data.
// A small fleet is seeded on the real test apiserver; then east-1's Secret is replaced by each
// attack (test/helpers/hostile-kubeconfig.ts): an exec plugin and a gcp auth-provider `cmd-path`
// that would create a marker file, a `token-file` naming a runner file with a server on a plain
// HTTP loopback listener that records requests, and a plain-http server with an inline token.
// Each runs through the real CLI bundle (`node dist/cli.js`): `plan --kubeconfig`, `status`,
// `check`. For every run: no marker, the runner file's atime unchanged (never read), no request
// reached the listener, the runner file's content and the real token never printed, and stderr
// names the cluster, the Secret (namespace/name, key) and the refused field. A positive control
// first proves each tripwire fires (the same kubeconfigs loaded the way a trusted one is).

import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadInventory } from '../../src/effects/inventory-files.js'
import { Kube, type KubeObject } from '../../src/effects/kube.js'
import { seedFleet } from '../../src/fleet/seed.js'
import {
  type Attack,
  attacks,
  type Listener,
  recordingListener,
  type Tripwires,
  tripwires,
} from '../helpers/hostile-kubeconfig.js'
import { useTestCluster } from '../kube/harness.js'
import { actionSnapshot } from './helpers.js'

const tc = useTestCluster()
const WS_NS = 'team-h-h0st1'
const INVENTORY_YAML = `apiVersion: dkp-fleet/v1
kind: Fleet
metadata: { name: hostile }
target: { dkp: v2.8.1, kubernetes: 1.28.7 }
management: { name: mgmt, provider: aws, namespace: default }
workspaces:
  - name: team-h
    namespace: ${WS_NS}
clusters:
  - { name: east-1, workspace: team-h, provider: aws, nodepools: [east-1-md-0] }
`
/** The attacks the CLI runs meet (the in-process test covers every refused field). */
const CLI_ATTACKS = ['exec', 'auth-provider', 'token-file', 'plain-http']

let dist: string
let repo: string
let wires: Tripwires
let listener: Listener
let list: Attack[]
let original: KubeObject & { data?: Record<string, string> }
const rows: string[] = []

async function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const tmp = mkdtempSync(join(tmpdir(), 'dkp-hostile-cli-'))
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(dist, 'dist', 'cli.js'), ...args], {
      cwd: repo,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: join(tmp, 'home'),
        TMPDIR: tmp,
        XDG_CACHE_HOME: join(tmp, 'c'),
      },
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
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

async function plant(kubeconfig: string) {
  const s = await tc.kube.get<KubeObject & { data?: Record<string, string> }>(
    'v1',
    'Secret',
    'east-1-kubeconfig',
    WS_NS,
  )
  await tc.kube.replace({ ...s!, data: { value: Buffer.from(kubeconfig).toString('base64') } })
}

beforeAll(async () => {
  dist = actionSnapshot()
  repo = join(dist, 'repo')
  mkdirSync(repo, { recursive: true })
  writeFileSync(join(repo, 'fleet.yaml'), INVENTORY_YAML)
  const { inventory } = await loadInventory(join(repo, 'fleet.yaml'))
  await seedFleet(tc.kube, inventory, { dkp: 'v2.7.1', kubeconfig: readFileSync(tc.kubeconfigPath, 'utf8') })
  original = (await tc.kube.get<KubeObject & { data?: Record<string, string> }>(
    'v1',
    'Secret',
    'east-1-kubeconfig',
    WS_NS,
  ))!
  wires = tripwires()
  listener = await recordingListener()
  list = attacks({ server: tc.server, caData: tc.caData, token: tc.adminToken }, wires, listener).filter(
    (a) => CLI_ATTACKS.includes(a.name),
  )
  expect(list.map((a) => a.name)).toEqual(CLI_ATTACKS)
}, 180_000)

afterAll(async () => {
  await listener?.close()
  console.log(`untrusted kubeconfig Secrets through dist/cli.js:\n  ${rows.join('\n  ')}`)
})

describe('tripwires (positive control)', () => {
  it('the same kubeconfigs loaded as a trusted one run the command, read the file and reach the listener', async () => {
    try {
      for (const a of list) {
        const kube = Kube.fromString(a.kubeconfig, { retry: { retries: 0 }, timeoutMs: 5000 })
        await kube.raw('GET', '/version').catch(() => undefined)
        kube.close()
      }
      expect(wires.ran()).toBe(true)
      expect(wires.read()).toBe(true)
      expect(listener.requests.map((r) => r.authorization)).toEqual(
        expect.arrayContaining([`Bearer ${wires.runnerFileContent}`, `Bearer ${tc.adminToken}`]),
      )
    } finally {
      rmSync(wires.marker, { force: true })
      wires.rearm()
      listener.requests.length = 0
    }
  })
})

describe('dkp-fleet plan --kubeconfig, status, check with a hostile kubeconfig Secret', () => {
  it('the fleet reads cleanly with the real Secret (exit 0)', async () => {
    await tc.kube.replace({ ...original, metadata: { ...original.metadata, resourceVersion: undefined } })
    const args = ['-i', 'fleet.yaml', '--kubeconfig', tc.kubeconfigPath]
    const plan = await cli(['plan', ...args, '--json'])
    expect(plan.code, plan.stderr).toBe(0)
    const status = await cli(['status', ...args, '--json'])
    expect(status.code, status.stderr).toBe(0)
    rows.push(`control (real Secret): plan exit ${plan.code}, status exit ${status.code}`)
  })

  it('the management kubeconfig is trusted: insecure-skip-tls-verify is used, with a warning', async () => {
    const mgmt = JSON.parse(readFileSync(tc.kubeconfigPath, 'utf8'))
    for (const c of mgmt.clusters) {
      delete c.cluster['certificate-authority-data']
      c.cluster['insecure-skip-tls-verify'] = true
    }
    const file = join(dist, 'insecure-mgmt.kubeconfig')
    writeFileSync(file, JSON.stringify(mgmt), { mode: 0o600 })
    for (const argv of [['plan', '--json'], ['status']]) {
      const r = await cli([...argv, '-i', 'fleet.yaml', '--kubeconfig', file])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toContain(
        `warning: the management kubeconfig from ${file} sets insecure-skip-tls-verify: the certificate of ${tc.server} is not checked`,
      )
      rows.push(`management kubeconfig with insecure-skip-tls-verify × ${argv[0]}: exit 0, warned`)
    }
  })

  // plan fails (it cannot read live state); status reports the refusal in the step it concerns
  // and exits 0 (it is a report); check reports it as a finding and fails on errors.
  const commands: [string, string[], number][] = [
    ['plan --kubeconfig', ['plan', '--json'], 1],
    ['status', ['status', '--json'], 0],
    ['check', ['check', '--format', 'json', '--fail-on', 'error'], 1],
  ]
  it.each(CLI_ATTACKS)('%s: refused by every command; nothing ran, was read or sent', async (name) => {
    const attack = list.find((a) => a.name === name)!
    await plant(attack.kubeconfig)
    for (const [label, argv, code] of commands) {
      const r = await cli([...argv, '-i', 'fleet.yaml', '--kubeconfig', tc.kubeconfigPath])
      const all = `${r.stdout}\n${r.stderr}`
      const where = `${label} (${name}), exit ${r.code}:\n${all.slice(-3000)}`
      expect(wires.ran(), `command ran: ${where}`).toBe(false)
      expect(wires.read(), `runner file read: ${where}`).toBe(false)
      expect(listener.requests, `requests sent: ${where}`).toEqual([])
      expect(all, where).not.toContain(wires.runnerFileContent)
      expect(all, where).not.toContain(tc.adminToken)
      expect(all, where).toContain(`Secret ${WS_NS}/east-1-kubeconfig (key value)`)
      expect(all, where).toMatch(attack.field)
      expect(all, where).toContain('is refused')
      expect(r.code, where).toBe(code)
      expect(r.stderr, where).not.toMatch(/^\s+at /m)
      rows.push(`${name} × ${label}: exit ${r.code}, refused, nothing ran/read/sent`)
    }
  })
})
