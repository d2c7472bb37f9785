// The fleet status as text (`dkp-fleet status`) and as Markdown (the job summary of the action's
// `status` stage): both open with the per-wave rollup, the Markdown with the Mermaid flowchart;
// long tables fold into <details>.

import { formatAge } from '../core/backup-state.js'
import {
  type ChartState,
  type FleetChart,
  fleetChart,
  foldable,
  type WaveCounts,
  waveTotal,
} from '../core/fleet-chart.js'
import { code, escapeHtml, mdTable } from '../core/markdown.js'
import { formatSeconds } from '../core/soak.js'
import { stageRow } from '../core/stage-table.js'
import { table } from '../core/text.js'
import { platformName } from '../core/versions.js'
import type { ClusterStatus, FleetStatus, LockStatus, StepStatus } from './fleet-status-model.js'

const ageText = (iso: string | null | undefined, now: string) =>
  iso ? formatAge(Date.parse(now) - Date.parse(iso)) : '-'

function versionText(c: ClusterStatus): string {
  let text = c.kubernetes ?? '?'
  if (c.kubernetesDesired) text += ` → ${c.kubernetesDesired}`
  const pools = [...new Set(c.nodepools.map((p) => p.version ?? '?'))].filter(
    (v) => v !== c.kubernetesDesired && v !== c.kubernetes,
  )
  if (pools.length > 0) text += ` (pools ${pools.join(', ')})`
  return c.kind === 'attached' && !c.kubernetes ? '?' : text
}

function lockText(l: LockStatus | null, now: string): string {
  if (!l) return '-'
  return l.expired
    ? `expired (${l.holder}, renewed ${ageText(l.renewed, now)} ago)`
    : `${l.holder} (renewed ${ageText(l.renewed, now)} ago)`
}

function pausedLine(s: FleetStatus): string | undefined {
  const p = s.paused
  return p ? `PAUSED by ${p.by} since ${p.at} (${ageText(p.at, s.observedAt)} ago): ${p.reason}` : undefined
}

function soakLine(k: FleetStatus['soaks'][number]): string {
  const head = `Soak: wave ${k.next} starts ${formatSeconds(k.soakSeconds)} after wave ${k.wave}'s last upgrade`
  if (!k.until) return `${head}; none recorded yet`
  return `${head} (${k.lastUpgrade}): ${k.over ? 'over' : `until ${k.until}`}`
}

function backupLine(s: FleetStatus): string {
  if (!s.backup.enabled) return `Backup: OFF (${s.backup.disabledReason ?? 'turned off in the inventory'})`
  if (!s.backup.state) return 'Backup: no backup step in the plan'
  return `Backup: ${s.backup.state}${s.backup.detail ? ` — ${s.backup.detail}` : ''}`
}

function clusterRow(c: ClusterStatus, now: string): string[] {
  return [
    c.name,
    c.kind,
    c.wave === null ? '-' : String(c.wave),
    c.dkp ?? '-',
    versionText(c),
    c.steps.total ? `${c.steps.done}/${c.steps.total}` : '-',
    c.lastStep?.stepId ?? '-',
    c.lastStep?.status ?? '-',
    c.lastStep ? formatAge(c.lastStep.ageSeconds * 1000) : '-',
    lockText(c.lock, now),
  ]
}

const CLUSTER_HEADER = [
  'cluster',
  'kind',
  'wave',
  'dkp',
  'kubernetes',
  'steps done',
  'last step',
  'status',
  'age',
  'lock',
]
const STEP_HEADER = ['step', 'state', 'recorded', 'detail']
/** Above this many steps, the text form lists management steps and the managed steps not done. */
const FULL_STEPS = 80
/** Step details longer than this are cut in tables (the JSON keeps them whole). */
const DETAIL_WIDTH = 200

function stepRows(s: FleetStatus, limit: number): { rows: string[][]; hidden: number } {
  const shown =
    s.steps.length <= limit
      ? s.steps
      : s.steps.filter((x) => x.cluster === s.management || x.state !== 'done').slice(0, limit)
  return {
    rows: shown.map((x) => [
      x.id,
      x.state,
      x.recorded ? `${x.recorded.status} ${ageText(x.recorded.finished, s.observedAt)} ago` : '-',
      x.detail.length > DETAIL_WIDTH ? `${x.detail.slice(0, DETAIL_WIDTH - 1)}…` : x.detail,
    ]),
    hidden: s.steps.length - shown.length,
  }
}

/** The terminal table. */
export function renderFleetStatus(s: FleetStatus): string {
  const out: string[] = []
  out.push(
    `Fleet ${s.fleet} (management ${s.management}): target ${platformName(s.target.dkp)} ${s.target.dkp}, Kubernetes ${s.target.kubernetes}; ${s.counts.done}/${s.counts.steps} plan steps done${s.counts.unknown ? `, ${s.counts.unknown} unknown` : ''}`,
    `Observed ${s.observedAt}; plan ${s.planDigest}`,
  )
  out.push(pausedLine(s) ?? 'Not paused.')
  out.push(backupLine(s), ...s.soaks.map(soakLine), '')
  const rollup = waveRollup(s)
  if (rollup.length > 0)
    out.push(
      table(
        ['WAVE', 'CLUSTERS', 'UPGRADED', 'RUNNING', 'FAILED', 'PENDING'],
        rollup.map((w) => [
          `${w.wave}${w.wave === 0 ? ' (canary)' : ''}`,
          ...[waveTotal(w), w.upgraded, w.running, w.failed, w.pending].map(String),
        ]),
      ),
      '',
    )
  out.push(
    table(
      CLUSTER_HEADER,
      s.clusters.map((c) => clusterRow(c, s.observedAt)),
    ),
    '',
  )
  const orphans = s.locks.filter((l) => !s.clusters.some((c) => c.name === l.cluster))
  for (const l of orphans)
    out.push(`Lock on ${l.cluster} (not in the inventory): ${lockText(l, s.observedAt)}`)
  const { rows, hidden } = stepRows(s, FULL_STEPS)
  out.push(table(STEP_HEADER, rows))
  if (hidden > 0) out.push('', `… ${hidden} more step(s) done (--json lists every step).`)
  out.push(
    '',
    `Run record: ConfigMap ${s.record.configMap} (${s.record.entries} of at most ${s.record.maxEntries} entries).`,
  )
  return `${out.join('\n')}\n`
}

/** A managed cluster's state in the rollup: every plan step done, a failed last step, a held lock, else pending. */
export function clusterState(c: ClusterStatus): 'upgraded' | 'running' | 'failed' | 'pending' {
  if (c.steps.total > 0 && c.steps.done === c.steps.total) return 'upgraded'
  if (c.lastStep && (c.lastStep.status === 'failed' || c.lastStep.status === 'cancelled')) return 'failed'
  if (c.lock && !c.lock.expired) return 'running'
  return 'pending'
}

/** Per wave: how many managed clusters are upgraded, running, failed, pending. */
export function waveRollup(s: FleetStatus): WaveCounts[] {
  const waves = new Map<number, WaveCounts>()
  for (const c of s.clusters) {
    if (c.kind !== 'managed' || c.wave === null) continue
    const w = waves.get(c.wave) ?? { wave: c.wave, upgraded: 0, running: 0, failed: 0, pending: 0 }
    w[clusterState(c)]++
    waves.set(c.wave, w)
  }
  return [...waves.values()].sort((a, b) => a.wave - b.wave)
}

/** The status chart: the management chain and the final gate by their steps' states, the waves by their rollup. */
export function statusChart(s: FleetStatus): FleetChart {
  const mgmtLock = s.locks.find((l) => l.cluster === s.management && !l.expired)
  const mgmtSteps = s.steps.filter((x) => x.wave === null)
  let runningShown = false
  const state = (x: StepStatus): ChartState => {
    if (x.state === 'done') return 'done'
    if (x.recorded && (x.recorded.status === 'failed' || x.recorded.status === 'cancelled')) return 'failed'
    if (mgmtLock && !runningShown) {
      runningShown = true
      return 'running'
    }
    return 'pending'
  }
  const last = mgmtSteps.at(-1)
  const final = last && stageRow(last.stage).final && mgmtSteps.length > 1 ? last : undefined
  return {
    kind: 'status',
    management: s.management,
    chain: mgmtSteps.filter((x) => x !== final).map((x) => ({ stage: x.stage, state: state(x) })),
    waves: waveRollup(s),
    ...(final ? { final: { stage: final.stage, state: state(final) } } : {}),
  }
}

/** Rows shown in the job summary before the rest is left to the JSON output. */
const SUMMARY_ROWS = 300

/** Markdown for the job summary. */
export function fleetStatusMarkdown(s: FleetStatus): string {
  const out: string[] = [`## DKP fleet status: ${escapeHtml(s.fleet)}`, '', fleetChart(statusChart(s)), '']
  if (s.paused)
    out.push(
      `> ⏸️ **Paused** by ${escapeHtml(s.paused.by)} since ${escapeHtml(s.paused.at)}: ${escapeHtml(s.paused.reason)}`,
      '',
    )
  if (!s.backup.enabled)
    out.push(
      `> **Backup is off for this fleet:** ${escapeHtml(s.backup.disabledReason ?? 'turned off in the inventory')}`,
      '',
    )
  out.push(
    mdTable(
      ['target DKP', 'target Kubernetes', 'steps done', 'paused', 'backup', 'observed'],
      [
        [
          s.target.dkp,
          s.target.kubernetes,
          `${s.counts.done}/${s.counts.steps}${s.counts.unknown ? ` (${s.counts.unknown} unknown)` : ''}`,
          s.paused ? 'yes' : 'no',
          s.backup.enabled
            ? `${s.backup.state ?? '-'}${s.backup.detail ? `: ${s.backup.detail}` : ''}`
            : 'off',
          s.observedAt,
        ],
      ],
    ),
  )
  const rollup = waveRollup(s)
  if (rollup.length > 0)
    out.push(
      '',
      '### Waves',
      '',
      mdTable(
        ['wave', 'clusters', 'upgraded', 'running', 'failed', 'pending'],
        rollup.map((w) => [
          `${w.wave}${w.wave === 0 ? ' (canary)' : ''}`,
          String(waveTotal(w)),
          String(w.upgraded),
          String(w.running),
          String(w.failed),
          String(w.pending),
        ]),
      ),
    )
  out.push(
    '',
    ...foldable(
      'Clusters',
      mdTable(
        CLUSTER_HEADER,
        s.clusters.slice(0, SUMMARY_ROWS).map((c) => clusterRow(c, s.observedAt)),
      ),
      s.clusters.length,
    ),
  )
  if (s.clusters.length > SUMMARY_ROWS)
    out.push('', `… and ${s.clusters.length - SUMMARY_ROWS} more clusters (the \`status\` output lists all).`)
  const { rows, hidden } = stepRows(s, SUMMARY_ROWS)
  out.push('', ...foldable('Steps', mdTable(STEP_HEADER, rows), rows.length))
  if (hidden > 0) out.push('', `… and ${hidden} more steps (the \`status\` output lists all).`)
  out.push(
    '',
    `Run record: ${code(`kubectl get configmap -n ${s.record.configMap.replace('/', ' ')} -o jsonpath='{.data.entries\\.json}'`)}`,
  )
  return `${out.join('\n')}\n`
}
