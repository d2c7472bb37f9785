// The GitHub reporter: @actions/core for logs, annotations, outputs, masking and the step
// summary, with the platform's limits applied (annotation caps, 1 MiB summary, workflow
// commands in user text neutralised).

import { appendFileSync } from 'node:fs'
import * as core from '@actions/core'
import type { SourceRef } from '../core/model.js'
import type { Reporter } from './reporter.js'

/** GitHub keeps 10 error and 10 warning annotations per step; the rest are dropped. */
const ANNOTATION_LIMIT = 10
/** The step summary upload fails above 1 MiB; keep a margin for the truncation note. */
const SUMMARY_LIMIT = 1024 * 1024 - 4096

/**
 * Stops text from inventories and clusters from being read as a workflow command. The runner
 * reads a step's output with .NET `ReadLine` (a line ends at `\n`, `\r` or `\r\n`) and takes a
 * line as a command when, after `TrimStart()` (which also drops U+0085), it starts with `::`,
 * or when it contains the legacy `##[` anywhere (actions/runner ActionCommand.cs: TryParseV2,
 * then TryParse). A zero-width space breaks both forms without changing what a reader sees.
 * (U+001C–U+001F are not .NET white space; treating them as such only breaks more.)
 */
export function neutralize(text: string): string {
  return text.replace(/(^|[\r\n])([\s\u0085\u001c-\u001f]*)::/g, '$1$2:\u200b:').replace(/##\[/g, '##\u200b[')
}

export class GitHubReporter implements Reporter {
  private errors = 0
  private warnings = 0
  private droppedAnnotations = 0
  private summaryBytes = 0
  private summaryTruncated = false
  private readonly masked = new Set<string>()
  /** Set once a stage job wrote its result table (which already says why it failed). */
  resultReported = false

  info(message: string) {
    core.info(neutralize(message))
  }
  warning(message: string, where?: SourceRef) {
    if (this.warnings++ < ANNOTATION_LIMIT) core.warning(neutralize(message), props(where))
    else {
      this.droppedAnnotations++
      core.info(`warning: ${neutralize(message)}`)
    }
  }
  error(message: string, where?: SourceRef) {
    if (this.errors++ < ANNOTATION_LIMIT) core.error(neutralize(message), props(where))
    else {
      this.droppedAnnotations++
      core.info(`error: ${neutralize(message)}`)
    }
  }
  group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    return core.group(neutralize(title), fn)
  }
  output(name: string, value: string) {
    core.setOutput(name, value)
  }
  summary(markdown: string) {
    if (!process.env.GITHUB_STEP_SUMMARY || this.summaryTruncated) return
    const bytes = Buffer.byteLength(markdown)
    let text = markdown
    if (this.summaryBytes + bytes > SUMMARY_LIMIT) {
      text =
        "\n> The summary was cut at GitHub's 1 MiB limit; the JSON report and the outputs hold everything.\n"
      this.summaryTruncated = true
    }
    try {
      // Appended synchronously: the summary must be complete even when the step fails next.
      appendFileSync(process.env.GITHUB_STEP_SUMMARY, text.endsWith('\n') ? text : `${text}\n`)
    } catch (err) {
      core.warning(`could not write the step summary: ${(err as Error).message}`)
    }
    this.summaryBytes += Buffer.byteLength(text)
  }
  secret(value: string) {
    if (!value || this.masked.has(value)) return
    this.masked.add(value)
    core.setSecret(value)
  }
  /** Called at the end of a step: says how many annotations GitHub would have dropped. */
  flushNotes() {
    if (this.droppedAnnotations > 0)
      core.info(
        `${this.droppedAnnotations} more annotation(s) are in the log above and in the summary (GitHub shows 10 errors and 10 warnings per step)`,
      )
  }
}

function props(where?: SourceRef): core.AnnotationProperties | undefined {
  return where ? { file: where.file, startLine: where.line, startColumn: where.col } : undefined
}
