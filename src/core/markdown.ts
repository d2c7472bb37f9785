// Markdown for GitHub job summaries. Text from inventories and clusters is HTML-escaped:
// the summary renders HTML, and a cluster name must never become markup.

import { fleetChart, foldable, planChart } from './fleet-chart.js'
import { hopLine } from './hops.js'
import type { Plan } from './plan.js'
import { soakNote } from './soak.js'
import { kubernetesMark, listOf } from './text.js'

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
    .replace(/\|/g, '&#124;')
    .replace(/\r\n?|\n/g, ' ') // a lone CR ends a line in Markdown too
}

/** Escapes text for a <pre> block, keeping its line breaks. */
export function escapeHtmlBlock(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

export function mdTable(header: string[], rows: string[][]): string {
  const head = `| ${header.map(escapeHtml).join(' | ')} |`
  const rule = `|${header.map(() => ' --- ').join('|')}|`
  return [head, rule, ...rows.map((r) => `| ${r.map(escapeHtml).join(' | ')} |`)].join('\n')
}

/** A command line as inline code, HTML-escaped. */
export function code(text: string): string {
  return `<code>${escapeHtml(text)}</code>`
}

/** Step rows shown in a plan summary before the rest is summarised per wave. */
const SUMMARY_STEPS = 200

export function planSummary(plan: Plan): string {
  const out: string[] = []
  out.push(`## DKP fleet plan: ${escapeHtml(plan.fleet)}`, '', fleetChart(planChart(plan)))
  out.push(
    '',
    mdTable(
      [
        `target ${plan.product ?? 'DKP'}`,
        'target Kubernetes',
        'management',
        'managed clusters',
        'waves',
        'attached',
        'digest',
      ],
      [
        [
          plan.target.dkp + (plan.from?.dkp ? ` (from ${plan.from.dkp})` : ''),
          plan.target.kubernetes +
            kubernetesMark(plan) +
            (plan.from?.kubernetes ? ` (from ${plan.from.kubernetes})` : ''),
          plan.management,
          String(plan.matrix.include.length),
          String(plan.waves.length),
          String(plan.attached.length),
          plan.digest,
        ],
      ],
    ),
  )
  const hop = hopLine(plan)
  if (hop) out.push('', `> **Multi-hop upgrade:** ${escapeHtml(hop)}`)
  if (plan.backupDisabled)
    out.push('', `> **Backup is off for this fleet:** ${escapeHtml(plan.backupDisabled)}`)
  out.push(...wavesSection(plan), ...stepsSection(plan), ...attachedSection(plan))
  return `${out.join('\n')}\n`
}

function stepsSection(plan: Plan): string[] {
  const out: string[] = []
  const shown = plan.steps.slice(0, SUMMARY_STEPS)
  out.push(
    '',
    ...foldable(
      'Steps, in order',
      mdTable(
        ['#', 'step', 'stage', 'cluster', 'wave', 'to', 'state', 'needs'],
        shown.map((s, i) => [
          String(i + 1),
          s.id,
          s.stage,
          s.cluster,
          s.wave === undefined ? '' : String(s.wave),
          s.to ?? '',
          s.done ? 'done' : s.from ? `at ${s.from}` : '',
          s.needs.length > 3 ? `${s.needs.length} steps` : s.needs.join(', '),
        ]),
      ),
      plan.steps.length,
    ),
  )
  if (plan.steps.length > shown.length)
    out.push(
      '',
      `… and ${plan.steps.length - shown.length} more steps (the \`plan\` output and plan file list every step).`,
    )
  return out
}

function wavesSection(plan: Plan): string[] {
  const out: string[] = []
  out.push('', '### Waves', '')
  if (plan.waves.length === 0) out.push('No managed clusters.')
  else
    out.push(
      `Up to ${plan.rollout.maxParallel} cluster(s) at once inside a wave; later waves halt after more than ${plan.rollout.failureThreshold} failed cluster(s)${soakNote(plan)}.`,
      '',
      mdTable(
        ['wave', 'clusters', 'names'],
        plan.waves.map((w) => [
          `${w.wave}${w.wave === 0 ? ' (canary)' : ''}`,
          String(w.include.length),
          listOf(
            w.include.map((e) => e.cluster),
            30,
          ),
        ]),
      ),
    )
  return out
}

function attachedSection(plan: Plan): string[] {
  const out: string[] = []
  if (plan.attached.length === 0) return out
  out.push(
    '',
    '### Attached clusters',
    '',
    'The Kommander stages upgrade their apps; DKP does not upgrade their Kubernetes.',
    '',
    mdTable(
      ['cluster', 'workspace', 'kubernetes', 'gap', 'upgrade with (not run by dkp-fleet)'],
      plan.attached.map((a) => [
        a.cluster,
        a.workspace,
        a.kubernetes ?? 'unknown (plan without kubeconfig)',
        a.gap ?? '',
        a.upgrade ?? "its provider's tools",
      ]),
    ),
  )
  const notes = [...new Set(plan.attached.filter((a) => a.provider).map((a) => a.note))]
  for (const note of notes) out.push('', `> ${escapeHtml(note)}`)
  return out
}
