// The stage table is the one list of stages: the plan, the prerequisites and the gates' filters
// read it. These tests hold its rows consistent with each other and with the plan built from it.

import { describe, expect, it } from 'vitest'
import { parseInventory } from '../../src/core/inventory.js'
import { buildPlan } from '../../src/core/plan.js'
import { prerequisitesOf, STAGE_TABLE, stageRow, targetOf } from '../../src/core/stage-table.js'
import { PER_CLUSTER_STAGES, UPGRADE_ORDER } from '../../src/core/stages.js'

describe('the stage table', () => {
  it('only the last row is final, gates never run dkp, and the names are the plan stages', () => {
    expect(STAGE_TABLE.filter((r) => r.final).map((r) => r.name)).toEqual([STAGE_TABLE.at(-1)!.name])
    for (const r of STAGE_TABLE.filter((x) => x.kind === 'gate')) expect(r.dkp, r.name).toBe(false)
    expect(UPGRADE_ORDER).toEqual(STAGE_TABLE.map((r) => r.name))
    expect([...PER_CLUSTER_STAGES]).toEqual(['core-addons', 'kubernetes'])
  })

  it('prerequisites differ between the management cluster and managed clusters where the row says so', () => {
    expect(prerequisitesOf('core-addons', 'mgmt', 'mgmt')).toEqual([
      { stage: 'capi-components', cluster: 'mgmt' },
    ])
    expect(prerequisitesOf('core-addons', 'c1', 'mgmt')).toEqual([{ stage: 'kubernetes', cluster: 'mgmt' }])
    expect(prerequisitesOf('kubernetes', 'c1', 'mgmt')).toEqual([
      { stage: 'core-addons', cluster: 'c1' },
      { stage: 'kubernetes', cluster: 'mgmt' },
    ])
    expect(prerequisitesOf('kubernetes', 'mgmt', 'mgmt')).toEqual([{ stage: 'core-addons', cluster: 'mgmt' }])
  })

  it('version outputs: the target once upgraded or at target, else what was found; none on failure', () => {
    const out = stageRow('kommander').outputs!
    expect(out({ status: 'upgraded', from: 'v2.7.1', to: 'v2.8.1' })).toEqual({
      'kommander-version': 'v2.8.1',
    })
    expect(out({ status: 'dry-run', from: 'v2.7.1', to: 'v2.8.1' })).toEqual({
      'kommander-version': 'v2.7.1',
    })
    expect(out({ status: 'failed', from: 'v2.7.1', to: 'v2.8.1' })).toEqual({})
    expect(stageRow('kubernetes').outputs!({ status: 'skipped', to: '1.28.7' })).toEqual({
      'kubernetes-version': '1.28.7',
    })
    expect(stageRow('workspaces').outputs).toBeUndefined()
  })
})

describe('the plan follows the table', () => {
  const { inventory } = parseInventory([
    {
      path: 'f.yaml',
      content: `
apiVersion: dkp-fleet/v1
kind: Fleet
target: { dkp: v2.8.1 }
management: { name: mgmt, provider: aws }
workspaces:
  - name: team-a
    apps: [{ name: kafka-operator, version: 0.25.1 }]
clusters:
  - { name: c1, workspace: team-a, provider: aws }
  - { name: c2, workspace: team-a, provider: aws, wave: 2 }
`,
    },
  ])

  it('management chain in table order (rows with no work left out), waves of the per-cluster rows, the final row last', () => {
    const plan = buildPlan(inventory)
    expect(plan.steps.map((s) => s.id)).toEqual([
      'check:mgmt',
      'backup:mgmt',
      'kommander:mgmt',
      'workspaces:mgmt',
      'workspace-apps:mgmt',
      'custom-apps:mgmt',
      'capi-components:mgmt',
      'core-addons:mgmt',
      'kubernetes:mgmt',
      'core-addons:c1',
      'kubernetes:c1',
      'core-addons:c2',
      'kubernetes:c2',
      'verify:mgmt',
    ])
    for (const s of plan.steps) expect(s.to, s.id).toBe(targetOf(s.stage, plan.target))
    expect(plan.steps.find((s) => s.id === 'core-addons:c2')!.needs).toEqual(['kubernetes:c1'])
    expect(plan.steps.find((s) => s.id === 'kubernetes:c2')!.needs).toEqual(['core-addons:c2'])
    expect(plan.stages['project-apps']).toBe(false)
  })

  it('every prerequisite of every step is a step earlier in the plan (or left out of it)', () => {
    const plan = buildPlan(inventory)
    const at = new Map(plan.steps.map((s, i) => [s.id, i]))
    for (const [i, step] of plan.steps.entries()) {
      for (const p of prerequisitesOf(step.stage, step.cluster, plan.management)) {
        const id = `${p.stage}:${p.cluster}`
        if (!at.has(id)) expect(plan.stages[p.stage], `${step.id} needs ${id}`).toBe(false)
        else expect(at.get(id)!, `${step.id} needs ${id}`).toBeLessThan(i)
      }
    }
  })
})
