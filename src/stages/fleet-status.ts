// The fleet status shared by `dkp-fleet status` and the action's `status` stage: one picture of
// the fleet from live state plus the run record — per cluster the versions, the last recorded
// step with its status and age, the lock held on it; whether the upgrade is paused (who, when,
// why); and per plan step whether its done-condition holds (each stage module's own). Reads are
// lists per kind (the Snapshot) plus one get each for the run record and the pause marker: calls
// scale with kinds, never with clusters.
//
// The model (fleet-status-model.ts) is a contract (docs/safety.md); the controls (connecting,
// pause, resume, locks) are in fleet-control.ts, the text and Markdown in fleet-status-render.ts.

import { stageRow } from '../core/stage-table.js'
import { pendingTexts } from '../core/step-state.js'
import { bareVersion } from '../core/versions.js'
import { MAX_ENTRIES, pauseName, type RecordEntry, recordName } from '../effects/run-record.js'
import { readLocks } from './fleet-control.js'
import { clusterStatuses } from './fleet-status-clusters.js'
import {
  type FleetStatus,
  type RecordedStep,
  STATUS_API_VERSION,
  STATUS_KIND,
  type StepStatus,
} from './fleet-status-model.js'
import { readStepStates } from './step-states.js'
import type { StageEnv } from './types.js'

export {
  connectFleet,
  type FleetConnection,
  type FleetConnectOptions,
  type PauseResult,
  pausedBy,
  pauseFleet,
  type ResumeResult,
  readLocks,
  resumeFleet,
} from './fleet-control.js'
export * from './fleet-status-model.js'
export {
  clusterState,
  fleetStatusMarkdown,
  renderFleetStatus,
  statusChart,
  waveRollup,
} from './fleet-status-render.js'

/** Reads the fleet status: live state through the stage modules and the Snapshot, plus the run record. */
export async function readFleetStatus(
  env: StageEnv,
  options: { concurrency?: number } = {},
): Promise<FleetStatus> {
  const { inventory, plan } = env
  const now = env.now()
  const [paused, entries, locks] = await Promise.all([
    env.record.pause(),
    env.record.entries({ fresh: true }).catch(() => [] as RecordEntry[]),
    readLocks(env),
  ])
  const latest = latestEntries(entries)
  const steps = await stepStatuses(env, latest.byStep, options.concurrency)
  const clusters = await clusterStatuses(env, {
    steps,
    locks,
    lastStep: (cluster) => {
      const rec = latest.byCluster.get(cluster)
      return rec ? recorded(rec, now) : null
    },
  })
  const backupStep = steps.find((s) => s.stage === 'backup')
  const counts = { steps: steps.length, done: 0, pending: 0, unknown: 0 }
  for (const s of steps) counts[s.state]++
  return {
    apiVersion: STATUS_API_VERSION,
    kind: STATUS_KIND,
    fleet: inventory.fleet,
    management: inventory.management.name,
    observedAt: now.toISOString(),
    target: { ...plan.target },
    planDigest: plan.digest,
    paused: paused ?? null,
    backup: {
      enabled: inventory.backup.enabled,
      disabledReason: plan.backupDisabled ?? null,
      state: backupStep?.state ?? null,
      detail: backupStep?.detail ?? null,
    },
    clusters,
    steps,
    locks,
    record: {
      configMap: `${env.record.namespace}/${recordName(inventory.fleet)}`,
      pauseConfigMap: `${env.record.namespace}/${pauseName(inventory.fleet)}`,
      entries: entries.length,
      maxEntries: MAX_ENTRIES,
    },
    counts,
    truncated: false,
  }
}

/** The newest record entry per step and per cluster. */
function latestEntries(entries: readonly RecordEntry[]): {
  byStep: Map<string, RecordEntry>
  byCluster: Map<string, RecordEntry>
} {
  const byStep = new Map<string, RecordEntry>()
  const byCluster = new Map<string, RecordEntry>()
  for (const e of entries) {
    const newer = (old: RecordEntry | undefined) => !old || Date.parse(e.finished) >= Date.parse(old.finished)
    if (newer(byStep.get(e.stepId))) byStep.set(e.stepId, e)
    if (newer(byCluster.get(e.cluster))) byCluster.set(e.cluster, e)
  }
  return { byStep, byCluster }
}

const first = (lines: string[]) => lines.filter(Boolean).join('; ')

/** Every plan step: its done-condition (each stage module's own), the final step's derived from the others. */
async function stepStatuses(
  env: StageEnv,
  latestByStep: Map<string, RecordEntry>,
  concurrency: number | undefined,
): Promise<StepStatus[]> {
  const steps: StepStatus[] = env.plan.steps.map((s) => {
    const rec = latestByStep.get(s.id)
    return {
      id: s.id,
      stage: s.stage,
      cluster: s.cluster,
      wave: s.wave ?? null,
      to: s.to ?? null,
      state: 'unknown',
      from: null,
      detail: '',
      recorded: rec
        ? { status: rec.status, finished: rec.finished, runId: rec.runId, actor: rec.actor }
        : null,
    }
  })
  const direct = steps.filter((s) => !stageRow(s.stage).final)
  // A module that is missing or fails is "unknown".
  const planSteps = direct.map((d) => env.plan.steps.find((s) => s.id === d.id)!)
  const states = await readStepStates(env, planSteps, concurrency)
  direct.forEach((step, i) => {
    const state = states[i]!
    if (state instanceof Error) {
      step.detail = ['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND'].includes(
        (state as NodeJS.ErrnoException).code ?? '',
      )
        ? `the ${step.stage} stage module is not available in this build`
        : `could not read: ${state.message}`
      return
    }
    step.state = state.done ? 'done' : 'pending'
    step.from = state.from ? bareVersion(state.from) : null
    step.detail = state.done ? first(state.evidence) : first(pendingTexts(state)) || 'not at target'
  })
  for (const step of steps.filter((s) => stageRow(s.stage).final)) deriveFinal(step, direct)
  return steps
}

/** verify holds when every end-state step does: derived rather than read twice. */
function deriveFinal(step: StepStatus, direct: readonly StepStatus[]): void {
  const gaps = direct.filter((s) => stageRow(s.stage).endState && s.state !== 'done')
  step.state = gaps.some((s) => s.state === 'unknown') ? 'unknown' : gaps.length === 0 ? 'done' : 'pending'
  step.detail =
    gaps.length === 0
      ? 'every step done'
      : `${gaps.length} step(s) not done: ${gaps
          .slice(0, 5)
          .map((s) => s.id)
          .join(', ')}${gaps.length > 5 ? ', …' : ''}`
}

function recorded(e: RecordEntry, now: Date): RecordedStep {
  return {
    stepId: e.stepId,
    stage: e.stage,
    status: e.status,
    from: e.from ?? null,
    to: e.to ?? null,
    started: e.started,
    finished: e.finished,
    ageSeconds: Math.max(0, Math.round((now.getTime() - Date.parse(e.finished)) / 1000)),
    runId: e.runId,
    actor: e.actor,
    message: e.message ?? null,
  }
}
