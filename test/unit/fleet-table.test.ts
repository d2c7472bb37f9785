// The fleet view of the job summary: cluster × check with the worst severity per cell, linked to
// the first finding of that cell; the trend line against the previous run's report.

import { describe, expect, it } from 'vitest'
import type { Finding } from '../../src/core/findings.js'
import { checkOf, renderFleetTable, trendLine } from '../../src/core/report/fleet-table.js'
import type { CheckReport } from '../../src/core/report/model.js'
import { renderSummary } from '../../src/core/report/summary.js'

const tool = { name: 'dkp-fleet', version: '0.0.0' }
const f = (ruleId: string, severity: Finding['severity'], cluster: string, name = 'x'): Finding => ({
  ruleId,
  severity,
  cluster,
  object: { apiVersion: 'v1', kind: 'Pod', namespace: 'ns', name },
  message: `${ruleId} on ${name}`,
  remedy: 'fix it',
})
const report = (findings: Finding[]): CheckReport => ({
  tool,
  target: { kubernetes: '1.28.7' },
  findings,
  clusters: [
    { name: 'mgmt', role: 'management', status: 'checked' },
    { name: 'edge-<1>', role: 'attached', status: 'unreachable' },
  ],
})

describe('fleet table', () => {
  it('maps rule ids to checks', () => {
    expect(
      ['drain/pdb-blocks', 'health/backup', 'removed-api/batch/v1beta1/CronJob', 'helm-release-partial'].map(
        checkOf,
      ),
    ).toEqual(['drain', 'health', 'removed-api', 'other'])
  })

  it('shows the worst severity and its count per cell, linked to the first finding, escaped', () => {
    const r = report([
      f('drain/bare-pod', 'warning', 'mgmt', 'a'),
      f('drain/pdb-blocks', 'error', 'mgmt', 'b'),
      f('drain/pdb-blocks', 'error', 'mgmt', 'c'),
      f('health/cluster-unreachable', 'error', 'edge-<1>'),
    ])
    const table = renderFleetTable(r)!
    const mgmtRow = table.split('\n').find((l) => l.includes('<code>mgmt</code>'))!
    expect(mgmtRow).toContain('<a href="#dkp-fleet-mgmt-drain">❌ error 2</a>')
    expect(mgmtRow).toContain('<td>✅</td>')
    const edgeRow = table.split('\n').find((l) => l.includes('edge-&lt;1&gt;'))!
    expect(edgeRow).toContain('<a href="#dkp-fleet-edge-_1_-health">❌ error 1</a>')
    expect(edgeRow).toContain('<td>–</td>')
    const md = renderSummary(r)
    expect(md.indexOf('<th>drain</th>')).toBeLessThan(md.indexOf('<th>Role</th>'))
    // exactly one anchor per (cluster, check), on its first row in the findings tables
    expect(md.match(/id="dkp-fleet-mgmt-drain"/g)).toHaveLength(1)
    expect(md.indexOf('id="dkp-fleet-mgmt-drain"')).toBeLessThan(md.indexOf('drain/pdb-blocks on b'))
    expect(renderFleetTable({ tool, target: {}, findings: [] })).toBeUndefined()
  })

  it('the trend line counts changes, new and resolved findings against the previous report', () => {
    const before = report([
      f('drain/pdb-blocks', 'error', 'mgmt', 'a'),
      f('drain/bare-pod', 'warning', 'mgmt', 'b'),
    ])
    const now = report([
      f('drain/bare-pod', 'warning', 'mgmt', 'b'),
      f('skew/kubelet', 'warning', 'mgmt', 'n'),
    ])
    expect(trendLine(before, now)).toBe(
      'Since the previous run: errors 1 → 0 (−1), warnings 1 → 2 (+1), info 0 → 0; 1 new, 1 resolved.',
    )
    expect(trendLine(undefined, now)).toBeUndefined()
    expect(renderSummary(now, { previous: before })).toContain('errors 1 → 0 (−1)')
  })
})
