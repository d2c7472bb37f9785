// Plain-text tables for terminals, and the plan rendered as one. Pure formatting.

import { hopLine } from './hops.js'
import type { Plan, PlanStep } from './plan.js'
import { soakNote } from './soak.js'

/** Left-aligned columns separated by two spaces; the header row is upper-cased. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(header.map((h) => h.toUpperCase())), ...rows.map(line)].join('\n')
}

/** How a target Kubernetes taken from an inferred row of the version table is marked. */
export const INFERRED_MARK =
  'inferred default of the release, not from release notes: set target.kubernetes to pin it'

/** How a target Kubernetes taken from a third-party row of the version table is marked. */
export const THIRD_PARTY_MARK =
  'default of the release from a third-party source (3P), not release notes: set target.kubernetes to pin it'

/** The mark of the plan's target Kubernetes, if it is a default not from release notes. */
export function kubernetesMark(plan: Plan): string {
  return plan.kubernetesInferred
    ? ` (${INFERRED_MARK})`
    : plan.kubernetesThirdParty
      ? ` (${THIRD_PARTY_MARK})`
      : ''
}

/** Above this many steps the managed clusters are summarised per wave. */
const FULL_TABLE_STEPS = 80

export function renderPlan(plan: Plan): string {
  const out: string[] = []
  const from = plan.from?.dkp
    ? ` (running ${plan.from.dkp}${plan.from.kubernetes ? `, Kubernetes ${plan.from.kubernetes}` : ''})`
    : ''
  out.push(
    `Fleet ${plan.fleet}: upgrade to ${plan.product ?? 'DKP'} ${plan.target.dkp}, Kubernetes ${plan.target.kubernetes}${kubernetesMark(plan)}${from}`,
    `Management cluster ${plan.management}; ${plan.matrix.include.length} managed cluster(s) in ${plan.waves.length} wave(s); ${plan.attached.length} attached`,
    `Digest ${plan.digest}`,
    '',
  )
  const hop = hopLine(plan, 'run `dkp-fleet upgrade` again (or with --all-hops)')
  if (hop) out.push(`Multi-hop: ${hop}`, '')
  if (plan.backupDisabled) out.push(`Backup: OFF (${plan.backupDisabled})`, '')

  out.push(...stepsSection(plan), ...coveredSection(plan), ...wavesSection(plan), ...attachedSection(plan))
  return `${out.join('\n')}\n`
}

/** The steps table; above FULL_TABLE_STEPS only the management steps, the rest summarised. */
function stepsSection(plan: Plan): string[] {
  const out: string[] = []
  const live = plan.steps.some((s) => s.done !== undefined || s.from !== undefined)
  const header = ['#', 'step', 'stage', 'cluster', 'wave', 'to', ...(live ? ['state'] : []), 'needs']
  const row = (s: PlanStep, i: number) => [
    String(i + 1),
    s.id,
    s.stage,
    s.cluster,
    s.wave === undefined ? '-' : String(s.wave),
    s.to ?? '-',
    ...(live ? [s.done ? 'done' : s.from ? `at ${s.from}` : 'pending'] : []),
    needsText(s, plan),
  ]
  if (plan.steps.length <= FULL_TABLE_STEPS) {
    out.push(table(header, plan.steps.map(row)))
  } else {
    const management = plan.steps.filter((s) => s.wave === undefined)
    out.push(
      table(
        header,
        management.map((s) => row(s, plan.steps.indexOf(s))),
      ),
    )
    out.push(
      '',
      `Managed clusters: core-addons then kubernetes for each cluster, wave by wave (${plan.steps.length} steps in all; --json lists every step).`,
    )
  }
  return out
}

/** Steps another step's command does (NKP nutanix: `nkp upgrade cluster nutanix`). */
function coveredSection(plan: Plan): string[] {
  const covered = plan.steps.filter((s) => s.coveredBy)
  if (covered.length === 0) return []
  return [
    '',
    'Covered steps (run nothing; done when the covering step is):',
    table(
      ['step', 'covered by', 'note'],
      covered.map((s) => [s.id, s.coveredBy!, s.note ?? '']),
    ),
  ]
}

function wavesSection(plan: Plan): string[] {
  const out: string[] = []
  out.push(
    '',
    `Waves (up to ${plan.rollout.maxParallel} cluster(s) at once; later waves halt after more than ${plan.rollout.failureThreshold} failed cluster(s)${soakNote(plan)}):`,
  )
  if (plan.waves.length === 0) out.push('  none: no managed clusters')
  else
    out.push(
      table(
        ['wave', 'clusters', 'names'],
        plan.waves.map((w) => [
          String(w.wave) + (w.wave === 0 ? ' (canary)' : ''),
          String(w.include.length),
          listOf(w.include.map((e) => e.cluster)),
        ]),
      ),
    )
  return out
}

/** Attached clusters and their providers' own upgrade commands (dkp-fleet runs none). */
function attachedSection(plan: Plan): string[] {
  const out: string[] = []
  if (plan.attached.length === 0) return out
  out.push(
    '',
    'Attached clusters (the Kommander stages upgrade their apps; DKP does not upgrade their Kubernetes):',
  )
  out.push(
    table(
      ['cluster', 'workspace', 'kubernetes', 'note'],
      plan.attached.map((a) => [
        a.cluster,
        a.workspace,
        a.kubernetes ?? '?',
        `${a.provider ? `${a.provider}, no dkp command: ` : ''}${a.gap ?? 'upgrade outside DKP, after Kommander'}`,
      ]),
    ),
  )
  const tools = plan.attached.filter((a) => a.upgrade)
  if (tools.length > 0) {
    out.push(
      '',
      "Their providers' own upgrade commands (dkp-fleet runs none of them; run after Kommander):",
      ...tools.slice(0, FULL_TABLE_STEPS).map((a) => `  ${a.cluster}: ${a.upgrade}`),
    )
    if (tools.length > FULL_TABLE_STEPS)
      out.push(`  … and ${tools.length - FULL_TABLE_STEPS} more (--json lists them)`)
  }
  return out
}

function needsText(step: PlanStep, plan: Plan): string {
  if (step.needs.length === 0) return '-'
  if (step.needs.length <= 2) return step.needs.join(', ')
  const waves = new Set(step.needs.map((id) => plan.steps.find((s) => s.id === id)?.wave))
  const wave = waves.size === 1 ? [...waves][0] : undefined
  return wave === undefined
    ? `${step.needs.length} steps`
    : `all ${step.needs.length} clusters of wave ${wave}`
}

/** `a, b, c, … (+7)`: a list cut to `max` names. */
export function listOf(list: readonly string[], max = 8): string {
  return list.length <= max ? list.join(', ') : `${list.slice(0, max).join(', ')}, … (+${list.length - max})`
}
