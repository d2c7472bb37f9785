// Error kinds map to exit codes: bad input or usage → 2, a failure of the work → 1.
// Messages are written for the user; a stack trace is only shown with --debug.

import type { SourceRef } from './model.js'

/** One problem in the user's input, located in a file. */
export interface InputProblem {
  source?: SourceRef
  /** Dotted field path, e.g. `clusters[2].workspace`. */
  path?: string
  message: string
}

export function formatProblem(p: InputProblem): string {
  const where = p.source ? `${p.source.file}:${p.source.line}:${p.source.col}: ` : ''
  const field = p.path ? `${p.path}: ` : ''
  return `${where}${field}${p.message}`
}

/** Bad input (inventory, flags, inputs): every problem found, reported at once. Exit code 2. */
export class InputError extends Error {
  readonly problems: InputProblem[]
  constructor(problems: InputProblem[] | string) {
    const list = typeof problems === 'string' ? [{ message: problems }] : problems
    super(list.map(formatProblem).join('\n'))
    this.name = 'InputError'
    this.problems = list
  }
}

/** The work failed (a dkp command, an API call, a gate). Exit code 1. */
export class WorkError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'WorkError'
  }
}

export function exitCodeFor(err: unknown): 1 | 2 {
  return err instanceof InputError ? 2 : 1
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
