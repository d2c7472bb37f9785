// The stage table: one row per plan stage, in plan order (the DKP upgrade guide, reference/dkp.md
// §1). Everything that depends on which stages exist reads it: the plan chain and the per-cluster
// set (plan.ts), the prerequisites the executor checks, the gates' filters (verify, live versions,
// fleet status), the action's version outputs and the generated upgrade workflow. Adding a stage
// is its module under src/stages, one row here and its plan test (docs/architecture.md).
//
// Pure data and functions of the inventory: no I/O.

import type { Inventory } from './model.js'

/** `upgrade`: changes the cluster (lock, pause, window, dry run, skip when done); `gate`: reads and ends passed or failed. */
export type StageKind = 'upgrade' | 'gate'
/** `management`: runs on the management cluster only; `cluster`: on the management cluster, then on each managed cluster in its wave. */
export type StageScope = 'management' | 'cluster'
/** What a step's `to` (and `from`) is: the DKP release or the Kubernetes version. */
export type StageValue = 'dkp' | 'kubernetes'

/** A step that must be done (from live state) before this one may start. */
export interface Prerequisite {
  stage: PlanStage
  /** `same`: on the cluster this step acts on; `management`: on the management cluster. */
  on: 'same' | 'management'
  /** Only for the step on the management cluster, or only for steps on managed clusters. */
  when?: 'management' | 'managed'
}

/** What `outputs()` reads of a stage's result. */
export interface ResultVersions {
  status: string
  from?: string
  to?: string
}

export interface StageRow {
  name: PlanStage
  kind: StageKind
  scope: StageScope
  value: StageValue
  /** The plan has a step for it (stages with nothing to do are left out). */
  hasWork(inv: Inventory): boolean
  prerequisites: readonly Prerequisite[]
  /**
   * Its done-condition is part of the fleet's end state: `verify` checks it and `plan
   * --kubeconfig` marks it done (the pre-flight `check` and `verify` itself are not).
   */
  endState: boolean
  /** Reads the whole fleet back: runs after the waves; its state is that of every end-state step. */
  final?: boolean
  /** Runs dkp: the workflow job restores the verified dkp tarball first. */
  dkp: boolean
  /** Action outputs of a stage job besides `result` and `status` (`kommander-version`). */
  outputs?(result: ResultVersions): Record<string, string>
}

const always = () => true

/**
 * The version a step leaves running, as an action output: the target once upgraded or found at
 * target, else the version found (a dry run, deferred or cancelled job has not moved it); none
 * when the stage failed.
 */
function versionOutput(name: string): (result: ResultVersions) => Record<string, string> {
  return (result) => {
    if (result.status === 'failed') return {}
    const running = result.status === 'upgraded' || result.status === 'skipped' ? result.to : result.from
    return { [name]: running ?? '' }
  }
}

const ROWS = [
  {
    name: 'check',
    kind: 'gate',
    scope: 'management',
    value: 'dkp',
    hasWork: always,
    prerequisites: [],
    endState: false,
    dkp: false,
  },
  {
    name: 'backup',
    kind: 'upgrade',
    scope: 'management',
    value: 'dkp',
    hasWork: (inv: Inventory) => inv.backup.enabled,
    prerequisites: [],
    endState: true,
    dkp: false,
  },
  {
    name: 'kommander',
    kind: 'upgrade',
    scope: 'management',
    value: 'dkp',
    hasWork: always,
    prerequisites: [{ stage: 'backup', on: 'same' }],
    endState: true,
    dkp: true,
    outputs: versionOutput('kommander-version'),
  },
  {
    name: 'workspaces',
    kind: 'upgrade',
    scope: 'management',
    value: 'dkp',
    hasWork: (inv: Inventory) => inv.workspaces.length > 0,
    prerequisites: [{ stage: 'kommander', on: 'same' }],
    endState: true,
    dkp: true,
  },
  {
    name: 'workspace-apps',
    kind: 'upgrade',
    scope: 'management',
    value: 'dkp',
    hasWork: (inv: Inventory) => inv.workspaces.some((w) => w.apps.length > 0),
    // Catalog apps after Kommander and after the platform apps of their workspaces (dkp.md §1).
    prerequisites: [
      { stage: 'kommander', on: 'same' },
      { stage: 'workspaces', on: 'same' },
    ],
    endState: true,
    dkp: true,
  },
  {
    name: 'project-apps',
    kind: 'upgrade',
    scope: 'management',
    value: 'dkp',
    hasWork: (inv: Inventory) => inv.workspaces.some((w) => w.projects.some((p) => p.apps.length > 0)),
    prerequisites: [
      { stage: 'kommander', on: 'same' },
      { stage: 'workspaces', on: 'same' },
    ],
    endState: true,
    dkp: true,
  },
  {
    name: 'custom-apps',
    kind: 'gate',
    scope: 'management',
    value: 'kubernetes',
    hasWork: always,
    prerequisites: [{ stage: 'kommander', on: 'same' }],
    endState: true,
    dkp: false,
  },
  {
    name: 'capi-components',
    kind: 'upgrade',
    scope: 'management',
    value: 'dkp',
    hasWork: always,
    prerequisites: [
      { stage: 'kommander', on: 'same' },
      { stage: 'workspaces', on: 'same' },
      { stage: 'workspace-apps', on: 'same' },
      { stage: 'project-apps', on: 'same' },
      { stage: 'custom-apps', on: 'same' },
    ],
    endState: true,
    dkp: true,
  },
  {
    name: 'core-addons',
    kind: 'upgrade',
    scope: 'cluster',
    value: 'dkp',
    hasWork: always,
    prerequisites: [
      { stage: 'capi-components', on: 'management', when: 'management' },
      { stage: 'kubernetes', on: 'management', when: 'managed' },
    ],
    endState: true,
    dkp: true,
  },
  {
    name: 'kubernetes',
    kind: 'upgrade',
    scope: 'cluster',
    value: 'kubernetes',
    hasWork: always,
    prerequisites: [
      { stage: 'core-addons', on: 'same' },
      { stage: 'kubernetes', on: 'management', when: 'managed' },
    ],
    endState: true,
    dkp: true,
    outputs: versionOutput('kubernetes-version'),
  },
  {
    name: 'verify',
    kind: 'gate',
    scope: 'management',
    value: 'dkp',
    hasWork: always,
    prerequisites: [],
    endState: false,
    final: true,
    dkp: false,
  },
] as const

/** The plan's stages, in plan order. */
export type PlanStage = (typeof ROWS)[number]['name']

export const STAGE_TABLE: readonly StageRow[] = ROWS

const BY_NAME = new Map(STAGE_TABLE.map((r) => [r.name, r]))

/** The row of a plan stage. */
export function stageRow(name: PlanStage): StageRow {
  const row = BY_NAME.get(name)
  if (!row) throw new Error(`no stage ${name} in the stage table`)
  return row
}

export function isPlanStage(name: string): name is PlanStage {
  return BY_NAME.has(name as PlanStage)
}

/** The steps (`stage`, `cluster`) that must be done before `stage` may start on `cluster`. */
export function prerequisitesOf(
  stage: PlanStage,
  cluster: string,
  management: string,
): { stage: PlanStage; cluster: string }[] {
  const onManagement = cluster === management
  return stageRow(stage)
    .prerequisites.filter((p) => !p.when || (p.when === 'management') === onManagement)
    .map((p) => ({ stage: p.stage, cluster: p.on === 'same' ? cluster : management }))
}

/** `to` of a step of this stage. */
export function targetOf(stage: PlanStage, target: { dkp: string; kubernetes: string }): string {
  return stageRow(stage).value === 'kubernetes' ? target.kubernetes : target.dkp
}
