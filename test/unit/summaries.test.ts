// Job summaries people would rather look at: the plan and status summaries open with a Mermaid
// flowchart (the management chain, one node per wave with counts, coloured by state in
// status), status gives a per-wave rollup before the cluster table, long tables fold.

import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { fleetChart, planChart, waveState } from '../../src/core/fleet-chart.js'
import { parseInventory } from '../../src/core/inventory.js'
import { planSummary } from '../../src/core/markdown.js'
import { buildPlan } from '../../src/core/plan.js'
import { CHECK_ARTIFACT_PREFIX, checkArtifact, reportFilesNote } from '../../src/core/report/artifact.js'
import {
  type ClusterStatus,
  clusterState,
  type FleetStatus,
  fleetStatusMarkdown,
  renderFleetStatus,
  type StepStatus,
  statusChart,
  waveRollup,
} from '../../src/stages/fleet-status.js'
import { resultSummary } from '../../src/stages/result-summary.js'

const ROOT = resolve(import.meta.dirname, '../..')
const example = () =>
  parseInventory([
    { path: 'examples/fleet.yaml', content: readFileSync(join(ROOT, 'examples/fleet.yaml'), 'utf8') },
  ]).inventory
const plan = buildPlan(example())

describe('plan summary', () => {
  const md = planSummary(plan)

  it('opens with a Mermaid flowchart: the management chain, one node per wave with its count, the final gate', () => {
    const chart = /^```mermaid\n([\s\S]*?)\n```$/m.exec(md)?.[1]
    expect(md.indexOf('```mermaid')).toBeLessThan(md.indexOf('| target DKP'))
    expect(chart).toBeDefined()
    expect(chart).toContain('subgraph mgmt["management: mgmt"]')
    const chain = plan.steps.filter((s) => s.wave === undefined && s.stage !== 'verify').map((s) => s.stage)
    for (const [i, stage] of chain.entries()) expect(chart).toContain(`m${i}["${stage}"]:::planned`)
    for (const w of plan.waves)
      expect(chart).toContain(
        `w${w.wave}["wave ${w.wave}${w.wave === 0 ? ' (canary)' : ''}<br/>${w.include.length} cluster${w.include.length === 1 ? '' : 's'}"]`,
      )
    expect(chart).toContain(`mgmt --> ${plan.waves.map((w) => `w${w.wave}`).join(' --> ')} --> fin`)
    expect(chart).toContain('fin["verify"]')
  })

  it('folds the long step table into <details>, keeps the waves open', () => {
    expect(md).toContain(`<details><summary><b>Steps, in order</b> (${plan.steps.length})</summary>`)
    expect(md).toContain('### Waves')
  })

  it('marks steps already done from live state', () => {
    const live = buildPlan(example(), { live: { kubernetes: {}, done: ['check:mgmt', 'backup:mgmt'] } })
    const chart = fleetChart(planChart(live))
    expect(chart).toContain('m0["check"]:::done')
    expect(chart).toContain('m2["kommander"]:::planned')
  })

  it('escapes fleet names in labels', () => {
    const chart = fleetChart({ kind: 'plan', management: 'a"<b>', chain: [], waves: [] })
    expect(chart).toContain('management: a#quot;&lt;b&gt;')
  })
})

function cluster(name: string, wave: number, over: Partial<ClusterStatus> = {}): ClusterStatus {
  return {
    name,
    kind: 'managed',
    workspace: 'w',
    wave,
    dkp: null,
    kubernetes: '1.27.11',
    kubernetesDesired: null,
    nodepools: [],
    lastStep: null,
    lock: null,
    steps: { total: 2, done: 0 },
    ...over,
  }
}

const recordedStep = (status: string) => ({
  stepId: 'x',
  stage: 'kubernetes',
  status,
  from: null,
  to: null,
  started: '2026-01-01T00:00:00Z',
  finished: '2026-01-01T00:00:00Z',
  ageSeconds: 5,
  runId: 'r',
  actor: 'a',
  message: null,
})
const lock = {
  cluster: 'c',
  lease: 'ns/l',
  holder: 'h',
  acquired: null,
  renewed: null,
  expires: null,
  expired: false,
}

function step(id: string, state: StepStatus['state'], recorded?: string): StepStatus {
  const [stage, cluster] = id.split(':') as [string, string]
  return {
    id,
    stage,
    cluster,
    wave: cluster === 'mgmt' ? null : 1,
    to: null,
    state,
    from: null,
    detail: '',
    recorded: recorded
      ? { status: recorded, finished: '2026-01-01T00:00:00Z', runId: 'r', actor: 'a' }
      : null,
  } as StepStatus
}

const status: FleetStatus = {
  apiVersion: 'dkp-fleet/v1',
  kind: 'FleetStatus',
  fleet: 'demo',
  management: 'mgmt',
  observedAt: '2026-01-01T00:01:00Z',
  target: { dkp: 'v2.8.1', kubernetes: '1.28.7' },
  planDigest: 'sha256:0',
  paused: null,
  backup: { enabled: true, disabledReason: null, state: 'done', detail: null },
  clusters: [
    { ...cluster('mgmt', 0), kind: 'management', wave: null, steps: { total: 3, done: 3 } },
    cluster('canary', 0, { steps: { total: 2, done: 2 } }),
    cluster('a', 1, { steps: { total: 2, done: 2 } }),
    cluster('b', 1, { lock: { ...lock, cluster: 'b' }, steps: { total: 2, done: 1 } }),
    cluster('c', 1, { lastStep: recordedStep('failed') }),
    cluster('d', 2),
    ...Array.from({ length: 12 }, (_, i) => cluster(`e${i}`, 3)),
  ],
  steps: [
    step('check:mgmt', 'done'),
    step('kommander:mgmt', 'done'),
    step('verify:mgmt', 'pending', 'failed'),
  ],
  locks: [],
  record: { configMap: 'ns/rec', pauseConfigMap: 'ns/pause', entries: 3, maxEntries: 500 },
  counts: { steps: 3, done: 2, pending: 1, unknown: 0 },
  truncated: false,
}

describe('status summary', () => {
  it('rolls clusters up per wave: upgraded, running (lock held), failed (last step), pending', () => {
    expect(clusterState(status.clusters[3]!)).toBe('running')
    expect(waveRollup(status)).toEqual([
      { wave: 0, upgraded: 1, running: 0, failed: 0, pending: 0 },
      { wave: 1, upgraded: 1, running: 1, failed: 1, pending: 0 },
      { wave: 2, upgraded: 0, running: 0, failed: 0, pending: 1 },
      { wave: 3, upgraded: 0, running: 0, failed: 0, pending: 12 },
    ])
    expect(waveState({ wave: 1, upgraded: 1, running: 0, failed: 0, pending: 3 })).toBe('running')
  })

  it('the chart colours every node by state', () => {
    const chart = fleetChart(statusChart(status))
    expect(chart).toContain('m0["check"]:::done')
    expect(chart).toContain('w0["wave 0 (canary)<br/>1/1 upgraded"]:::done')
    expect(chart).toContain('w1["wave 1<br/>1/3 upgraded, 1 running, 1 failed"]:::failed')
    expect(chart).toContain('w2["wave 2<br/>0/1 upgraded, 1 pending"]:::pending')
    expect(chart).toContain('fin["verify"]:::failed')
    expect(chart).toContain('classDef failed fill:#ffebe9')
  })

  it('markdown: chart, then the wave rollup, then the clusters folded (more than 10)', () => {
    const md = fleetStatusMarkdown(status)
    const at = (s: string) => md.indexOf(s)
    expect(at('```mermaid')).toBeGreaterThan(0)
    expect(at('```mermaid')).toBeLessThan(at('### Waves'))
    expect(at('### Waves')).toBeLessThan(at('<details><summary><b>Clusters</b> (18)</summary>'))
    expect(md).toContain('| 1 | 3 | 1 | 1 | 1 | 0 |')
    expect(md).toContain('### Steps') // 3 rows: not folded
  })

  it('the terminal table gives the rollup before the clusters', () => {
    const text = renderFleetStatus(status)
    expect(text.indexOf('UPGRADED')).toBeGreaterThan(0)
    expect(text.indexOf('UPGRADED')).toBeLessThan(text.indexOf('LAST STEP'))
  })
})

describe('report files are named as the artifact a user can open', () => {
  it('the artifact of this run, linked from the run page; the generated workflow uploads that name', () => {
    const env = {
      GITHUB_RUN_ID: '42',
      GITHUB_RUN_ATTEMPT: '2',
      GITHUB_REPOSITORY: 'acme/fleet',
      GITHUB_SERVER_URL: 'https://github.example.com',
      RUNNER_TEMP: '/home/runner/work/_temp',
    }
    const artifact = checkArtifact(env)
    expect(artifact).toEqual({
      name: 'dkp-fleet-check-42-2',
      url: 'https://github.example.com/acme/fleet/actions/runs/42#artifacts',
    })
    const note = reportFilesNote(artifact)
    expect(note).toContain(
      '[dkp-fleet-check-42-2](https://github.example.com/acme/fleet/actions/runs/42#artifacts)',
    )
    expect(note).toContain('`report.json`')
    expect(note).not.toContain('/home/runner')
    expect(checkArtifact({})).toBeUndefined()
    const workflow = readFileSync(join(ROOT, '.github/workflows/dkp-fleet-check.yml'), 'utf8')
    expect(workflow).toContain(
      `name: ${CHECK_ARTIFACT_PREFIX}-\${{ github.run_id }}-\${{ github.run_attempt }}`,
    )
  })
})

describe("a failed stage's summary says what failed, why, and what to do next", () => {
  const base = {
    stage: 'kubernetes' as const,
    cluster: 'prod-east-1',
    started: '2026-01-01T00:00:00Z',
    finished: '2026-01-01T00:05:00Z',
    commands: ['dkp update controlplane aws --cluster-name=prod-east-1'],
    stepId: 'kubernetes:prod-east-1',
    planDigest: 'sha256:0',
    runId: 'r',
    actor: 'a',
  }

  it('a dkp failure: the command line, the last output lines open, the generic next step', () => {
    const md = resultSummary({
      ...base,
      status: 'failed',
      message: 'dkp update controlplane aws exited with code 1; last output:\n  error: <boom>\n  retrying',
    })
    expect(md).toContain('### What failed')
    expect(md).toContain('**dkp update controlplane aws exited with code 1; last output:**')
    expect(md).toContain('<details open><summary>Last output</summary>')
    expect(md).toContain('  error: &lt;boom&gt;\n  retrying')
    expect(md).toContain(
      '**What to do next:** fix the cause above, then re-run the failed job (or `dkp-fleet run kubernetes -i &lt;inventory&gt; --cluster prod-east-1`)',
    )
  })

  it('a terminal state: the object, its condition reason and message, and its own next step', () => {
    const md = resultSummary({
      ...base,
      status: 'failed',
      message: 'MachineDeployment team-a/prod-east-1-md-0 failed',
      failure: {
        object: 'MachineDeployment team-a/prod-east-1-md-0',
        reason: 'MachineDeploymentFailed',
        message: 'machine bootstrap failed',
        next: 'fix the node pool, then re-run',
      },
    })
    expect(md).toContain(
      '| MachineDeployment team-a/prod-east-1-md-0 | MachineDeploymentFailed | machine bootstrap failed |',
    )
    expect(md).toContain('**What to do next:** fix the node pool, then re-run')
    expect(md).not.toContain('Last output')
  })

  it('a passing gate reads passed', () => {
    const md = resultSummary({
      ...base,
      stage: 'verify',
      cluster: 'mgmt',
      status: 'passed',
      message: 'verified',
    })
    expect(md).toMatch(/^## verify on mgmt: .* passed$/m)
    expect(md).not.toContain('What failed')
  })
})
