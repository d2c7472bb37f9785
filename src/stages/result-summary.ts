// The job summary of a stage: a table of the result, what failed and why, the exact commands,
// the evidence.

import { code, escapeHtml, escapeHtmlBlock, mdTable } from '../core/markdown.js'
import { PER_CLUSTER_STAGES } from '../core/stages.js'
import type { StageResult } from './types.js'

/** Markdown for the job summary: a table of the result and the exact commands. */
export function resultSummary(result: StageResult): string {
  const lines = [
    `## ${escapeHtml(result.stage)} on ${escapeHtml(result.cluster)}: ${statusIcon(result.status)} ${escapeHtml(result.status)}`,
    '',
    mdTable(
      ['step', 'status', 'from', 'to', 'started', 'finished'],
      [[result.stepId, result.status, result.from ?? '', result.to ?? '', result.started, result.finished]],
    ),
  ]
  if (result.status === 'failed' || result.status === 'cancelled') lines.push(...whatFailed(result))
  else if (result.message) {
    lines.push('', escapeHtml(result.message.split('\n')[0]!))
    if (result.message.includes('\n'))
      lines.push(
        '',
        '<details><summary>Details</summary>',
        '',
        `<pre>${escapeHtmlBlock(result.message)}</pre>`,
        '',
        '</details>',
      )
  }
  if (result.commands.length > 0) {
    lines.push('', result.status === 'dry-run' ? 'Commands that would run:' : 'Commands run:', '')
    for (const c of result.commands) lines.push(`- ${code(c)}`)
  }
  if (result.evidence?.length) {
    lines.push('', '<details><summary>Evidence</summary>', '')
    for (const e of result.evidence) lines.push(`- ${escapeHtml(e)}`)
    lines.push('', '</details>')
  }
  return `${lines.join('\n')}\n`
}

/**
 * A failed stage: what failed (the first line of the message; the object with its condition
 * reason and message when a terminal state ended it), the last lines of output (the rest of the
 * message: dkp's tail), and what to do next.
 */
function whatFailed(result: StageResult): string[] {
  const [first = result.status, ...rest] = (result.message ?? '').split('\n')
  const out = ['', '### What failed', '', `**${escapeHtml(first)}**`]
  const f = result.failure
  if (f) out.push('', mdTable(['object', 'reason', 'message'], [[f.object, f.reason, f.message]]))
  if (rest.some((l) => l.trim()))
    out.push(
      '',
      '<details open><summary>Last output</summary>',
      '',
      `<pre>${escapeHtmlBlock(rest.join('\n'))}</pre>`,
      '',
      '</details>',
    )
  out.push('', `**What to do next:** ${escapeHtml(f?.next ?? nextStep(result))}`)
  return out
}

/** The generic next step when no terminal state says more. */
function nextStep(result: StageResult): string {
  const cluster = PER_CLUSTER_STAGES.has(result.stage) ? ` --cluster ${result.cluster}` : ''
  return result.status === 'cancelled'
    ? `re-run the job (or \`dkp-fleet run ${result.stage} -i <inventory>${cluster}\`): the lock was released and finished steps are skipped.`
    : `fix the cause above, then re-run the failed job (or \`dkp-fleet run ${result.stage} -i <inventory>${cluster}\`): finished steps are skipped, so it continues where it stopped.`
}

function statusIcon(status: StageResult['status']): string {
  return {
    upgraded: '✅',
    skipped: '⏭️',
    passed: '☑️',
    failed: '❌',
    cancelled: '🛑',
    deferred: '⏸️',
    'dry-run': '📝',
  }[status]
}
