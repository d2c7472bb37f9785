// Where a run reports to: GitHub (logs, annotations, outputs, step summary, masking) or a
// terminal. Stages and commands talk to this interface only.

import type { SourceRef } from '../core/model.js'

export interface Reporter {
  info(message: string): void
  warning(message: string, where?: SourceRef): void
  error(message: string, where?: SourceRef): void
  /** A collapsible log group (GitHub) or an indented section (terminal). */
  group<T>(title: string, fn: () => Promise<T>): Promise<T>
  /** A job output (GitHub); ignored on a terminal unless collected. */
  output(name: string, value: string): void
  /** Markdown appended to the job summary (GitHub); ignored on a terminal. */
  summary(markdown: string): void
  /** Never print this value (GitHub masks it in every later line). */
  secret(value: string): void
  /**
   * A line of a tool's own output (dkp: rendered YAML, long logs). Optional: without it the
   * line goes to `info`. The CLI writes these to its log file and keeps the last ones for a failure.
   */
  detail?(line: string): void
}

/** Where a reporter's `detail` lines go: a log file, with the last lines kept. */
export interface DetailSink {
  write(line: string): void
  /** The last lines written (for the failure report on the console). */
  tail(): string[]
  /** The file, as shown to the user. */
  readonly path: string
}

/** A terminal reporter: progress on stderr, outputs collected for the caller. */
export class ConsoleReporter implements Reporter {
  readonly outputs = new Map<string, string>()
  readonly summaries: string[] = []
  private indent = ''
  constructor(
    private readonly write: (text: string) => void = (t) => process.stderr.write(t),
    /** Tool output goes here instead of the console (the CLI's --log-file). */
    readonly details?: DetailSink,
  ) {}
  detail(line: string) {
    if (this.details) this.details.write(line)
    else this.info(line)
  }
  info(message: string) {
    this.write(`${this.indent}${message}\n`)
  }
  warning(message: string, where?: SourceRef) {
    this.write(`${this.indent}warning: ${located(message, where)}\n`)
  }
  error(message: string, where?: SourceRef) {
    this.write(`${this.indent}error: ${located(message, where)}\n`)
  }
  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    this.write(`${this.indent}${title}\n`)
    const outer = this.indent
    this.indent = `${outer}  `
    try {
      return await fn()
    } finally {
      this.indent = outer
    }
  }
  output(name: string, value: string) {
    this.outputs.set(name, value)
  }
  summary(markdown: string) {
    this.summaries.push(markdown)
  }
  secret(_value: string) {}
}

const located = (message: string, where?: SourceRef) =>
  where ? `${where.file}:${where.line}:${where.col}: ${message}` : message
