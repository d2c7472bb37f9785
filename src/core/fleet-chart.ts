// The Mermaid flowchart that opens the plan and status job summaries (GitHub renders Mermaid in
// Markdown): the management chain, one node per stage, then one node per wave with its
// counts; in status every node is coloured by its state. Also the per-wave rollup of status.

import { escapeHtml } from './markdown.js'
import type { Plan } from './plan.js'

/** A node's state: its colour in status (a plan's nodes are all `planned`). */
export type ChartState = 'planned' | 'done' | 'running' | 'failed' | 'pending'

export interface ChartStep {
  stage: string
  state: ChartState
}

/** A wave: the clusters in each state (a plan counts them all as pending). */
export interface WaveCounts {
  wave: number
  upgraded: number
  running: number
  failed: number
  pending: number
}

export interface FleetChart {
  management: string
  chain: ChartStep[]
  waves: WaveCounts[]
  /** The final gate on the management cluster after the last wave (verify). */
  final?: ChartStep
  /** Status shows per-wave counts by state; a plan only the number of clusters. */
  kind: 'plan' | 'status'
}

/** Fill and stroke per state (GitHub's light theme; readable in dark too). */
const CLASS_DEFS: Record<ChartState, string> = {
  planned: 'fill:#ddf4ff,stroke:#0969da,color:#0a3069',
  done: 'fill:#dafbe1,stroke:#1a7f37,color:#0f5323',
  running: 'fill:#fff8c5,stroke:#9a6700,color:#4d2d00',
  failed: 'fill:#ffebe9,stroke:#cf222e,color:#82071e',
  pending: 'fill:#f6f8fa,stroke:#8c959f,color:#424a53',
}

/** Mermaid label text: no quotes, no markup (fleet data is escaped as HTML entities). */
const label = (text: string) => escapeHtml(text).replace(/&quot;/g, '#quot;')

export const waveTotal = (w: WaveCounts) => w.upgraded + w.running + w.failed + w.pending

/** A wave's state: failed before running before pending; done when every cluster is upgraded. */
export function waveState(w: WaveCounts): ChartState {
  if (w.failed > 0) return 'failed'
  if (w.running > 0) return 'running'
  if (w.pending > 0) return w.upgraded > 0 ? 'running' : 'pending'
  return 'done'
}

function waveLabel(w: WaveCounts, kind: FleetChart['kind']): string {
  const total = waveTotal(w)
  const head = `wave ${w.wave}${w.wave === 0 ? ' (canary)' : ''}`
  if (kind === 'plan') return `${head}<br/>${total} cluster${total === 1 ? '' : 's'}`
  const parts = [`${w.upgraded}/${total} upgraded`]
  if (w.running) parts.push(`${w.running} running`)
  if (w.failed) parts.push(`${w.failed} failed`)
  if (w.pending) parts.push(`${w.pending} pending`)
  return `${head}<br/>${parts.join(', ')}`
}

/** The flowchart as a fenced `mermaid` block. */
export function fleetChart(chart: FleetChart): string {
  const lines = ['```mermaid', 'flowchart LR']
  const used = new Set<ChartState>()
  const node = (id: string, text: string, state: ChartState) => {
    used.add(state)
    lines.push(`  ${id}["${text}"]:::${state}`)
  }
  lines.push(`  subgraph mgmt["management: ${label(chart.management)}"]`, '    direction LR')
  chart.chain.forEach((s, i) => {
    used.add(s.state)
    lines.push(`    m${i}["${label(s.stage)}"]:::${s.state}`)
  })
  lines.push('  end')
  for (const w of chart.waves)
    node(`w${w.wave}`, waveLabel(w, chart.kind), chart.kind === 'plan' ? 'planned' : waveState(w))
  const ids = [...chart.chain.map((_, i) => `m${i}`)]
  for (let i = 1; i < ids.length; i++) lines.push(`  ${ids[i - 1]} --> ${ids[i]}`)
  if (chart.final) node('fin', label(chart.final.stage), chart.final.state)
  const path = [
    ...(chart.chain.length > 0 ? ['mgmt'] : []),
    ...chart.waves.map((w) => `w${w.wave}`),
    ...(chart.final ? ['fin'] : []),
  ]
  if (path.length > 1) lines.push(`  ${path.join(' --> ')}`)
  for (const state of Object.keys(CLASS_DEFS) as ChartState[])
    if (used.has(state)) lines.push(`  classDef ${state} ${CLASS_DEFS[state]}`)
  lines.push('```')
  return lines.join('\n')
}

/** Rows above which a summary table folds into <details>. */
export const FOLD_ROWS = 10

/** A table folded into <details> with its title when it is long, else under a heading. */
export function foldable(title: string, table: string, rows: number, open = false): string[] {
  if (rows <= FOLD_ROWS) return [`### ${title}`, '', table]
  return [
    `<details${open ? ' open' : ''}><summary><b>${title}</b> (${rows})</summary>`,
    '',
    table,
    '',
    '</details>',
  ]
}

/** The plan's chart: the management chain, the waves with their cluster counts, the final gate. */
export function planChart(plan: Plan): FleetChart {
  const mgmtSteps = plan.steps.filter((s) => s.wave === undefined)
  const finalStep = mgmtSteps.length > 1 ? mgmtSteps.at(-1) : undefined
  const final = finalStep && plan.waves.length > 0 && finalStep.stage === 'verify' ? finalStep : undefined
  const state = (done: boolean | undefined): ChartState => (done ? 'done' : 'planned')
  return {
    kind: 'plan',
    management: plan.management,
    chain: mgmtSteps.filter((s) => s !== final).map((s) => ({ stage: s.stage, state: state(s.done) })),
    waves: plan.waves.map((w) => ({
      wave: w.wave,
      upgraded: 0,
      running: 0,
      failed: 0,
      pending: w.include.length,
    })),
    ...(final ? { final: { stage: final.stage, state: state(final.done) } } : {}),
  }
}
