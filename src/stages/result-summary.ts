// The job summary of a stage: a table of the result, what failed and why, the exact commands,
// the evidence.

import { code, escapeHtml, escapeHtmlBlock, mdTable } from '../core/markdown.js'
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
  if (result.message)
    lines.push(
      '',
      result.status === 'failed'
        ? `**Failed:** ${escapeHtml(result.message.split('\n')[0]!)}`
        : escapeHtml(result.message.split('\n')[0]!),
    )
  if (result.message?.includes('\n')) {
    lines.push(
      '',
      '<details><summary>Details and last output</summary>',
      '',
      `<pre>${escapeHtmlBlock(result.message)}</pre>`,
      '',
      '</details>',
    )
  }
  if (result.failure) {
    const f = result.failure
    lines.push(
      '',
      mdTable(['object', 'reason', 'message', 'next'], [[f.object, f.reason, f.message, f.next]]),
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
