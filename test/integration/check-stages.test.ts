// The `custom-apps` and `check` stages through the executor (runStage) on the test fleet seeded
// at the target DKP v2.8.1 (so kommander, custom-apps' prerequisite, is done): the custom-apps
// gate passes on a clean fleet, blocks on a removed API in a custom app's Helm release (not on a
// catalog app's), passes with a note on a warning; both gates record their result in the run
// record and their done-conditions read it; the check stage publishes its outputs (findings
// counts, the JSON report, the SARIF file), the job summary and fails per fail-on.

import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { Ajv } from 'ajv'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Inventory } from '../../src/core/model.js'
import { pendingTexts } from '../../src/core/step-state.js'
import { loadInventory } from '../../src/effects/inventory-files.js'
import { ConsoleReporter } from '../../src/effects/reporter.js'
import { RunRecord } from '../../src/effects/run-record.js'
import { seedFleet } from '../../src/fleet/seed.js'
import { runStage } from '../../src/stages/execute.js'
import { loadStage } from '../../src/stages/registry.js'
import type { StageResult } from '../../src/stages/types.js'
import { useTestCluster } from '../kube/harness.js'
import {
  cronJobLastApplied,
  fleetEnv,
  helmSecret,
  INVENTORY,
  PDB_V1BETA1,
  sarifValidator,
} from './check-helpers.js'

const ROOT = resolve(import.meta.dirname, '../..')
const tc = useTestCluster()
let inventory: Inventory

async function run(stage: 'check' | 'custom-apps', failOn: 'error' | 'warning' | 'none' = 'error') {
  const out: string[] = []
  const reporter = new ConsoleReporter((t) => out.push(t))
  const result: StageResult = await runStage(
    {
      stage,
      inventory: INVENTORY,
      kubeconfig: { path: tc.kubeconfigPath },
      allowKubeconfigEnv: false,
      dkp: { requireChecksum: false },
      dryRun: false,
      timeoutMs: 120_000,
      failOn,
      env: {},
      cwd: ROOT,
    },
    reporter,
  )
  return { result, reporter, log: out.join('') }
}

async function status(stage: 'check' | 'custom-apps') {
  const env = await fleetEnv(tc.client())
  return (await loadStage(stage)).status(env, 'mgmt')
}

beforeAll(async () => {
  inventory = (await loadInventory(INVENTORY, ROOT)).inventory
  await seedFleet(tc.kube, inventory, { dkp: 'v2.8.1', kubeconfig: readFileSync(tc.kubeconfigPath, 'utf8') })
})

describe('custom-apps gate', () => {
  it('is not done before it ran', async () => {
    const s = await status('custom-apps')
    expect(s.done).toBe(false)
    expect(pendingTexts(s)).toEqual([
      'no custom-apps:mgmt result recorded for Kubernetes 1.28.7: run the custom-apps stage',
    ])
  })

  it('passes on a clean fleet, naming the custom apps it checked, and records it', async () => {
    const { result, log } = await run('custom-apps')
    expect(result.status, `${result.message}\n${log}`).toBe('passed')
    expect(result.message).toBe(
      'custom apps pass for Kubernetes 1.28.7: 3 custom app(s): edge-p2w8d/podinfo, team-a-x7k2p/podinfo, team-b-m4q9z/podinfo; no removed APIs found',
    )
    expect(result.evidence).toContain(
      'team-a-x7k2p/podinfo: 0 Helm release revision(s) scanned on stage-east-1, prod-east-1, prod-east-2, prod-west-1, prod-west-2',
    )
    const s = await status('custom-apps')
    expect(s.done, pendingTexts(s).join()).toBe(true)
    expect(s.evidence[0]).toMatch(/^custom-apps:mgmt passed at /)
  })

  it("blocks on a removed API in a custom app's Helm release, not on a catalog app's", async () => {
    await tc.kube.create(helmSecret('podinfo', 'team-a-x7k2p', 3, 'deployed', PDB_V1BETA1))
    await tc.kube.create(helmSecret('kafka-operator', 'team-a-x7k2p', 1, 'deployed', PDB_V1BETA1))
    const { result, log } = await run('custom-apps')
    expect(result.status, log).toBe('failed')
    const lines = result.message!.split('\n')
    expect(lines[0]).toBe(
      'custom apps use APIs Kubernetes 1.28.7 no longer serves: 1 error(s), 0 warning(s); fix them before upgrading Kubernetes',
    )
    expect(lines[1]).toMatch(
      /^error: \[stage-east-1\] Helm release team-a-x7k2p\/podinfo \(revision 3\) stores PodDisruptionBudget "team-a-x7k2p\/legacy" as policy\/v1beta1/,
    )
    expect(result.message).not.toMatch(/kafka-operator/)
    expect(result.message).toMatch(
      /fix: Before the upgrade, deploy a chart version that renders the new apiVersion/,
    )
    const s = await status('custom-apps')
    expect(s.done).toBe(false)
    expect(pendingTexts(s)[0]).toMatch(/^the last custom-apps:mgmt for Kubernetes 1\.28\.7 ended failed at /)
  })

  it('passes with a note on a warning (a stale last-applied annotation of an object the app manages)', async () => {
    await tc.kube.delete('v1', 'Secret', 'sh.helm.release.v1.podinfo.v3', 'team-a-x7k2p')
    await tc.kube.create(
      cronJobLastApplied('podinfo-report', 'team-a-x7k2p', {
        'meta.helm.sh/release-name': 'podinfo',
        'meta.helm.sh/release-namespace': 'team-a-x7k2p',
      }),
    )
    const { result, log } = await run('custom-apps')
    expect(result.status, log).toBe('passed')
    expect(result.message).toMatch(
      /^custom apps pass for Kubernetes 1\.28\.7 with 1 warning\(s\): warning: \[stage-east-1\] CronJob "team-a-x7k2p\/podinfo-report" was last applied as batch\/v1beta1/,
    )
    expect(log).toMatch(/warning: \[stage-east-1\] CronJob "team-a-x7k2p\/podinfo-report"/)
    expect((await status('custom-apps')).done).toBe(true)
  })
})

describe('check stage', () => {
  it("fails per fail-on error on the catalog app's removed API, with outputs, summary and a failed record", async () => {
    const { result, reporter, log } = await run('check')
    expect(result.status, log).toBe('failed')
    expect(result.message!.split('\n')[0]).toMatch(
      /^check failed \(fail-on error\): 1 error, 2 warnings, \d+ info/,
    )
    expect(result.message).toMatch(
      /error: \[mgmt\] Helm release team-a-x7k2p\/kafka-operator \(revision 1\) stores PodDisruptionBudget/,
    )
    const counts = JSON.parse(reporter.outputs.get('findings')!)
    expect(counts).toMatchObject({ error: 1, warning: 2 })
    const reportPath = reporter.outputs.get('report')!
    const sarifPath = reporter.outputs.get('sarif')!
    expect(existsSync(reportPath) && existsSync(sarifPath)).toBe(true)
    const report = JSON.parse(readFileSync(reportPath, 'utf8'))
    expect(report.counts).toEqual(counts)
    const schema = JSON.parse(readFileSync(resolve(ROOT, 'src/core/report/check-report.schema.json'), 'utf8'))
    const validateReport = new Ajv({ allErrors: true, strict: false }).compile(schema)
    expect(validateReport(report), JSON.stringify(validateReport.errors?.slice(0, 3))).toBe(true)
    expect(report.clusters).toHaveLength(15)
    const sarif = JSON.parse(readFileSync(sarifPath, 'utf8'))
    const validate = sarifValidator()
    expect(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true)
    const summary = reporter.summaries.join('\n')
    expect(summary).toContain('<tr><th>Cluster</th><th>Role</th><th>Kubernetes</th>')
    expect(summary).toContain('<code>prod-east-1</code></td><td>managed</td><td>1.28.7</td>')
    expect(summary).toMatch(/<details open><summary><strong>Errors \(1\)<\/strong>/)
    const s = await status('check')
    expect(s.done).toBe(false)
    expect(pendingTexts(s)[0]).toMatch(/^the last check:mgmt for plan sha256:.* ended failed/)
  })

  it('passes once the release is fixed (warnings only), and its done-condition holds for this plan', async () => {
    await tc.kube.delete('v1', 'Secret', 'sh.helm.release.v1.kafka-operator.v1', 'team-a-x7k2p')
    const { result, reporter, log } = await run('check')
    expect(result.status, log).toBe('passed')
    expect(result.message).toMatch(/^check passed \(fail-on error\): 0 errors, 2 warnings/)
    expect(JSON.parse(reporter.outputs.get('findings')!)).toMatchObject({ error: 0, warning: 2 })
    expect((await status('check')).done).toBe(true)
    // the same findings fail with fail-on warning
    const strict = await run('check', 'warning')
    expect(strict.result.status).toBe('failed')
    expect(strict.result.message).toMatch(/^check failed \(fail-on warning\)/)
    expect((await status('check')).done).toBe(false)
    const entries = await new RunRecord(tc.kube, 'default', inventory.fleet).entries()
    expect(entries.filter((e) => e.stage === 'check').map((e) => e.status)).toEqual([
      'failed',
      'passed',
      'failed',
    ])
  })
})
