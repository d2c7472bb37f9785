// The action's `check` stage end to end in-process (src/action/main.ts run(), as dist/index.js
// runs it): INPUT_* variables, real GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / GITHUB_STATE files, the
// workflow commands on stdout. On the test fleet seeded at v2.7.1 with the repository fixtures as
// `manifests`: outputs `findings` (counts), `report` and `sarif` (paths), the job summary (cluster
// table, findings by severity, under 1 MiB), at most 9 error + 9 warning file annotations with a
// note on the cut, and the step failed per fail-on. Without a kubeconfig: the repository scan only.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { run } from '../../src/action/main.js'
import { loadInventory } from '../../src/effects/inventory-files.js'
import { seedFleet } from '../../src/fleet/seed.js'
import { useTestCluster } from '../kube/harness.js'
import { CRONJOB_V1BETA1, completedBackup, INVENTORY, PDB_V1BETA1 } from './check-helpers.js'

const tc = useTestCluster()
const dir = mkdtempSync(join(tmpdir(), 'dkp-fleet-check-action-'))

interface Step {
  outputs: Record<string, string>
  summary: string
  stdout: string
  exitCode: number | undefined
}

async function step(inputs: Record<string, string>): Promise<Step> {
  const files = {
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary'),
    GITHUB_STATE: join(dir, 'state'),
  }
  for (const f of Object.values(files)) writeFileSync(f, '')
  const vars: Record<string, string> = {
    ...files,
    RUNNER_TEMP: dir,
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_REPOSITORY: 'acme/fleet',
    GITHUB_ACTOR: 'octocat',
    GITHUB_JOB: 'check',
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
  }
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]))
  Object.assign(process.env, vars)
  let stdout = ''
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk)
    return true
  })
  const exitBefore = process.exitCode
  process.exitCode = undefined
  let exitCode: number | undefined
  try {
    await run()
  } finally {
    spy.mockRestore()
    exitCode = process.exitCode as number | undefined
    process.exitCode = exitBefore
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
  const outputs: Record<string, string> = {}
  for (const m of readFileSync(files.GITHUB_OUTPUT, 'utf8').matchAll(
    /^([\w-]+)<<(ghadelimiter_[\w-]+)\n([\s\S]*?)\n\2$/gm,
  ))
    outputs[m[1]!] = m[3]!
  return { outputs, summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'), stdout, exitCode }
}

beforeAll(async () => {
  const { inventory } = await loadInventory(INVENTORY)
  await seedFleet(tc.kube, inventory, { dkp: 'v2.7.1', kubeconfig: readFileSync(tc.kubeconfigPath, 'utf8') })
  await completedBackup(tc.kube, 'nightly', 3600_000)
  writeFileSync(
    join(dir, 'extra.yaml'),
    CRONJOB_V1BETA1.replace('old-report', 'extra-report') + '---\n' + PDB_V1BETA1,
  )
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('action stage check', () => {
  it('publishes outputs, summary and capped annotations, and fails per fail-on', async () => {
    const s = await step({
      stage: 'check',
      inventory: INVENTORY,
      kubeconfig: readFileSync(tc.kubeconfigPath, 'utf8'),
      manifests: `test/fixtures/manifests\n${join(dir, 'extra.yaml')}`,
      'fail-on': 'error',
    })
    expect(s.exitCode, s.stdout.slice(-3000)).toBe(1)
    const counts = JSON.parse(s.outputs.findings!)
    expect(counts).toMatchObject({ error: 11, warning: 2 }) // the repository files; the fleet is healthy
    const report = JSON.parse(readFileSync(s.outputs.report!, 'utf8'))
    expect(report.counts).toEqual(counts)
    expect(report.clusters).toHaveLength(15)
    expect(report.manifests).toEqual(['test/fixtures/manifests', join(dir, 'extra.yaml')])
    expect(JSON.parse(readFileSync(s.outputs.sarif!, 'utf8')).version).toBe('2.1.0')
    expect(JSON.parse(s.outputs.result!)).toMatchObject({ stage: 'check', cluster: 'mgmt', status: 'failed' })

    const fileErrors = s.stdout.match(/^::error file=/gm) ?? []
    const fileWarnings = s.stdout.match(/^::warning file=/gm) ?? []
    expect(fileErrors).toHaveLength(9)
    // the two repository warnings, and the inventory's own (examples/fleet.yaml pins an AMI)
    expect(fileWarnings).toHaveLength(3)
    expect(s.stdout).toMatch(
      /^::warning file=examples\/fleet\.yaml,line=56,col=29::clusters\[1\]\.controlPlane\.args\.ami: pins an AMI/m,
    )
    expect(s.stdout).toMatch(
      /^::error file=test\/fixtures\/manifests\/apps\/workloads\.yaml,line=10,col=13::removed-api\/batch\/v1beta1\/CronJob: /m,
    )
    expect(s.stdout).toContain('2 more findings on repository files (2 errors, 0 warnings) are not annotated')
    expect(s.stdout).toMatch(/^::error::check failed \(fail-on error\): 11 errors, 2 warnings/m)

    expect(Buffer.byteLength(s.summary)).toBeLessThan(1024 * 1024)
    expect(s.summary).toContain('## dkp-fleet check: target Kubernetes 1.28.7')
    expect(s.summary).toContain('<tr><th>Cluster</th><th>Role</th><th>Kubernetes</th><th>Status</th>')
    expect(s.summary).toContain('<td>repository <code>test/fixtures/manifests</code>, <code>')
    expect(s.summary).toContain(
      '<tr><td><code>mgmt</code></td><td>management</td><td>1.27.6</td><td>checked</td>',
    )
    expect(s.summary).toMatch(/<details open><summary><strong>Errors \(11\)<\/strong>/)
    expect(s.summary).toContain('> 2 more findings on repository files')
    expect(s.summary).toContain('## check on mgmt: ❌ failed') // the stage result section follows
  })

  it('passes with fail-on none and keeps the same outputs', async () => {
    const s = await step({
      stage: 'check',
      inventory: INVENTORY,
      kubeconfig: readFileSync(tc.kubeconfigPath, 'utf8'),
      manifests: 'test/fixtures/manifests',
      'fail-on': 'none',
    })
    expect(s.exitCode, s.stdout.slice(-2000)).toBeUndefined()
    expect(JSON.parse(s.outputs.findings!)).toMatchObject({ error: 9, warning: 2 })
    expect(JSON.parse(s.outputs.result!).status).toBe('passed')
  })

  it("the summary carries the trend line against the previous run's JSON report; a bad one only warns", async () => {
    const base = {
      stage: 'check',
      inventory: INVENTORY,
      kubeconfig: readFileSync(tc.kubeconfigPath, 'utf8'),
      'fail-on': 'none',
    }
    writeFileSync(
      join(dir, 'junk.json'),
      '{"schemaVersion":1,"findings":[{"ruleId":"x","severity":"fatal"}]}',
    )
    const first = await step({
      ...base,
      manifests: 'test/fixtures/manifests',
      'previous-report': join(dir, 'junk.json'),
    })
    expect(first.exitCode, first.stdout.slice(-2000)).toBeUndefined()
    expect(first.stdout).toMatch(
      /^::warning::previous-report .*junk\.json: not a dkp-fleet JSON report: findings\[0\]\.severity is not one of error, warning, info; the summary has no trend line this run$/m,
    )
    expect(first.summary).not.toContain('Since the previous run')
    const before = JSON.parse(readFileSync(first.outputs.report!, 'utf8'))
    // The previous report is kept outside the run's own report directory, as the workflow does.
    const previous = join(dir, 'previous-report.json')
    writeFileSync(previous, readFileSync(first.outputs.report!))

    const second = await step({ ...base, manifests: join(dir, 'extra.yaml'), 'previous-report': previous })
    expect(second.exitCode, second.stdout.slice(-2000)).toBeUndefined()
    const now = JSON.parse(readFileSync(second.outputs.report!, 'utf8'))
    expect(before.counts).toMatchObject({ error: 9, warning: 2 })
    expect(now.counts).toMatchObject({ error: 2, warning: 0 })
    expect(second.summary).toContain(
      'Since the previous run: errors 9 → 2 (−7), warnings 2 → 0 (−2), info 0 → 0; 2 new, 11 resolved.',
    )
    expect(second.stdout).not.toMatch(/^::warning::previous-report/m)
  })

  it("without a kubeconfig scans the repository only, at the inventory's target", async () => {
    const s = await step({
      stage: 'check',
      inventory: INVENTORY,
      manifests: 'test/fixtures/manifests',
      'fail-on': 'warning',
    })
    expect(s.exitCode).toBe(1)
    expect(s.stdout).toContain(
      'no management kubeconfig (input kubeconfig or $DKP_MGMT_KUBECONFIG): the live health gates and removed-API scan are skipped',
    )
    const report = JSON.parse(readFileSync(s.outputs.report!, 'utf8'))
    expect(report.target).toEqual({ kubernetes: '1.28.7' })
    expect(report.clusters).toBeUndefined()
    expect(s.outputs.result).toBeUndefined()
    expect(s.summary).toMatch(/<details open><summary><strong>Errors \(9\)<\/strong>/)
  })
})
