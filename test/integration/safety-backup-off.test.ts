// Backups turned off in the inventory (with the required reason): the plan has no backup step,
// the Kommander stage's backup prerequisite is left out, and the reason shows in the backup and
// kommander results and in the status. Also the action's control stages (status, pause, resume)
// end to end through run() with INPUT_* variables and real GITHUB_OUTPUT/GITHUB_STEP_SUMMARY files.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { run as runAction } from '../../src/action/main.js'
import { pendingTexts } from '../../src/core/step-state.js'
import { loadInventory } from '../../src/effects/inventory-files.js'
import { ConsoleReporter } from '../../src/effects/reporter.js'
import { pauseName } from '../../src/effects/run-record.js'
import { API } from '../../src/fleet/objects.js'
import { seedFleet } from '../../src/fleet/seed.js'
import { type Simulator, startSimulator } from '../../src/fleet/sim/index.js'
import { type RunOptions, runStage } from '../../src/stages/execute.js'
import { connectFleet, type FleetStatus } from '../../src/stages/fleet-status.js'
import { loadStage } from '../../src/stages/registry.js'
import { useTestCluster } from '../kube/harness.js'

const tc = useTestCluster()
const REASON = 'nightly Velero schedule covers this fleet (CHG-1234)'
const dir = mkdtempSync(join(tmpdir(), 'dkp-fleet-backup-off-'))
const INVENTORY = join(dir, 'fleet.yaml')
writeFileSync(
  INVENTORY,
  `${readFileSync('examples/standalone.yaml', 'utf8')}backup:\n  enabled: false\n  reason: ${JSON.stringify(REASON)}\n`,
)

let sim: Simulator

function options(stage: RunOptions['stage']): RunOptions {
  return {
    stage,
    inventory: INVENTORY,
    kubeconfig: { path: tc.kubeconfigPath },
    allowKubeconfigEnv: false,
    dkp: { requireChecksum: false },
    dryRun: false,
    timeoutMs: 60_000,
    failOn: 'error',
    env: { PATH: process.env.PATH ?? '' },
    cwd: process.cwd(),
  }
}

beforeAll(async () => {
  const { inventory } = await loadInventory(INVENTORY)
  expect(inventory.backup).toMatchObject({ enabled: false, reason: REASON })
  // the fleet already runs the target: the kommander stage skips without needing dkp
  await seedFleet(tc.kube, inventory, { dkp: 'v2.8.1', kubeconfig: readFileSync(tc.kubeconfigPath, 'utf8') })
  sim = await startSimulator(tc.client(), { intervalMs: 0 })
  await sim.settle()
})

afterAll(async () => {
  await sim?.stop()
})

describe('backups turned off', () => {
  it('the backup stage says why it does nothing', async () => {
    const result = await runStage(options('backup'), new ConsoleReporter(() => {}))
    expect(result.status).toBe('skipped')
    expect(result.message).toBe(`backups are turned off for this fleet: ${REASON}`)
    expect(await tc.kube.list(API.velero, 'Backup')).toHaveLength(0)
  })

  it('kommander runs without a backup and its result shows the reason', async () => {
    const result = await runStage(options('kommander'), new ConsoleReporter(() => {}))
    // not refused: the backup requirement is left out because the plan has no backup step
    expect(result.status).toBe('skipped')
    expect(result.message).not.toMatch(/refusing/)
    expect(result.evidence).toContain(
      `no pre-upgrade backup: backups are turned off for this fleet (${REASON})`,
    )
  })
})

describe('backup done-condition once Kommander runs the target', () => {
  it('an old pre-upgrade backup for this target keeps the step done; an old unrelated one does not', async () => {
    const threeDaysAgo = new Date(Date.now() - 3 * 86400_000).toISOString().replace(/\.\d+Z$/, 'Z')
    const backup = (name: string, labels: Record<string, string>) => ({
      apiVersion: API.velero,
      kind: 'Backup',
      metadata: { name, namespace: 'kommander', labels },
      spec: { includedNamespaces: ['*'], ttl: '720h0m0s' },
      status: { phase: 'Completed', completionTimestamp: threeDaysAgo, errors: 0, warnings: 0 },
    })
    const { writeStatus } = await import('../../src/fleet/seed.js')
    const created = await tc.kube.create(backup('nightly-old', {}))
    await writeStatus(tc.kube, created, created.status as Record<string, unknown>)
    // backups enabled (the stock standalone inventory): the gate applies
    const fleet = await connectFleet(
      {
        inventory: 'examples/standalone.yaml',
        kubeconfig: { path: tc.kubeconfigPath },
        allowKubeconfigEnv: false,
        env: {},
        cwd: process.cwd(),
      },
      new ConsoleReporter(() => {}),
    )
    try {
      const stage = await loadStage('backup')
      const stale = await stage.status(fleet.env, 'dkp-mgmt')
      expect(stale.done).toBe(false)
      expect(pendingTexts(stale)[0]).toMatch(
        /^no Completed Velero Backup younger than 24h in kommander on dkp-mgmt \(newest: kommander\/nightly-old, 3d\S* old\)$/,
      )

      const ours = await tc.kube.create(
        backup('dkp-fleet-dkp-mgmt-20250101000000', {
          'app.kubernetes.io/managed-by': 'dkp-fleet',
          'dkp-fleet/fleet': 'dkp-mgmt',
          'dkp-fleet/target': 'v2.8.1',
        }),
      )
      await writeStatus(tc.kube, ours, ours.status as Record<string, unknown>)
      fleet.env.snapshot.refresh()
      const state = await stage.status(fleet.env, 'dkp-mgmt')
      expect(state.done).toBe(true)
      expect(state.evidence[0]).toMatch(
        /^pre-upgrade Velero Backup kommander\/dkp-fleet-dkp-mgmt-20250101000000 for v2\.8\.1 Completed 3d\S* ago; Kommander already runs v2\.8\.1$/,
      )
    } finally {
      fleet.close()
      for (const name of ['nightly-old', 'dkp-fleet-dkp-mgmt-20250101000000'])
        await tc.kube.delete(API.velero, 'Backup', name, 'kommander')
    }
  })
})

describe('action control stages', () => {
  const saved = { ...process.env }
  let outputFile = ''
  let summaryFile = ''

  function outputs(): Record<string, string> {
    // name<<delimiter\nvalue\ndelimiter
    const out: Record<string, string> = {}
    const text = readFileSync(outputFile, 'utf8')
    for (const m of text.matchAll(/^(.+?)<<(.+)\n([\s\S]*?)\n\2$/gm)) out[m[1]!] = m[3]!
    return out
  }

  async function action(inputs: Record<string, string>) {
    writeFileSync(outputFile, '')
    writeFileSync(summaryFile, '')
    for (const k of Object.keys(process.env)) if (k.startsWith('INPUT_')) delete process.env[k]
    for (const [k, v] of Object.entries(inputs)) process.env[`INPUT_${k.toUpperCase()}`] = v
    process.exitCode = undefined
    await runAction()
    const failed = process.exitCode === 1
    process.exitCode = undefined
    return { failed, outputs: outputs(), summary: readFileSync(summaryFile, 'utf8') }
  }

  beforeAll(() => {
    const runnerTemp = mkdtempSync(join(tmpdir(), 'dkp-fleet-runner-'))
    outputFile = join(runnerTemp, 'output')
    summaryFile = join(runnerTemp, 'summary')
    Object.assign(process.env, {
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      RUNNER_TEMP: runnerTemp,
      GITHUB_RUN_ID: '4242',
      GITHUB_RUN_ATTEMPT: '2',
      GITHUB_REPOSITORY: 'acme/platform',
      GITHUB_ACTOR: 'octocat',
      GITHUB_SERVER_URL: 'https://github.com',
    })
  })

  afterAll(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
    Object.assign(process.env, saved)
  })

  it('pause, status and resume', async () => {
    const kubeconfig = readFileSync(tc.kubeconfigPath, 'utf8')
    const paused = await action({ stage: 'pause', inventory: INVENTORY, kubeconfig, reason: 'change freeze' })
    expect(paused.failed).toBe(false)
    expect(paused.outputs.paused).toBe('true')
    expect(paused.summary).toContain('⏸️ Paused')
    const marker = await tc.kube.get<{
      apiVersion: string
      kind: string
      metadata: object
      data?: Record<string, string>
    }>('v1', 'ConfigMap', pauseName('dkp-mgmt'), 'default')
    expect(marker?.data).toMatchObject({
      reason: 'change freeze',
      by: 'octocat (https://github.com/acme/platform/actions/runs/4242/attempts/2)',
    })

    const status = await action({ stage: 'status', inventory: INVENTORY, kubeconfig })
    expect(status.failed).toBe(false)
    const json = JSON.parse(status.outputs.status!) as FleetStatus
    expect(json).toMatchObject({
      apiVersion: 'dkp-fleet/v1',
      kind: 'FleetStatus',
      fleet: 'dkp-mgmt',
      paused: { reason: 'change freeze' },
      backup: { enabled: false, disabledReason: REASON, state: null },
      truncated: false,
    })
    expect(json.clusters).toEqual([
      expect.objectContaining({ name: 'dkp-mgmt', kind: 'management', dkp: 'v2.8.1' }),
    ])
    expect(JSON.parse(readFileSync(status.outputs['status-file']!, 'utf8'))).toEqual(json)
    expect(status.summary).toContain('## DKP fleet status: dkp-mgmt')
    expect(status.summary).toContain('**Paused** by octocat')
    expect(status.summary).toContain(`**Backup is off for this fleet:** ${REASON}`)
    expect(status.summary).toMatch(/\| dkp-mgmt \| management \| - \| v2\.8\.1 \|/)

    const resumed = await action({ stage: 'resume', inventory: INVENTORY, kubeconfig })
    expect(resumed.failed).toBe(false)
    expect(resumed.outputs.paused).toBe('false')
    expect(resumed.summary).toContain('▶️ Resumed')
    expect(await tc.kube.get('v1', 'ConfigMap', pauseName('dkp-mgmt'), 'default')).toBeUndefined()
  })
})
