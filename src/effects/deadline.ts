// Deadlines for API calls. Every command has one: the CLI sets the process's deadline from its
// `--timeout-minutes` (read-only commands default to 10 minutes), the action from the
// `timeout-minutes` input; the stage executor gives its management client its own (the stage's
// timeout, then a short budget for releasing the lock and writing the run record). A Kubernetes
// call that would outlive its deadline is cut and fails naming the call and the deadline.
// A tiny module without dependencies: the plan path imports it without the Kubernetes client.

export interface Deadline {
  /** Epoch ms. */
  at: number
  /** What set it, for messages: `--timeout-minutes 10`, `timeout-minutes 60`. */
  what: string
}

let current: Deadline | undefined

/** The deadline of this process's command (undefined: none). */
export function processDeadline(): Deadline | undefined {
  return current
}

export function setProcessDeadline(deadline: Deadline | undefined): void {
  current = deadline
}

/** A deadline `minutes` from now, named after the option that set it. */
export function deadlineIn(minutes: number, what: string, now = Date.now()): Deadline {
  return { at: now + minutes * 60_000, what }
}

/** `6 s`, `2.5 minutes`. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${Math.max(0, Math.round(ms / 100) / 10)} s`
  const minutes = ms / 60_000
  return `${Number.isInteger(minutes) ? minutes : minutes.toFixed(1)} minute${minutes === 1 ? '' : 's'}`
}
