// A failed Kubernetes API call (KubeError: verb, kind, object, HTTP status, the server's
// message, never credentials), its common cases, and how text from an untrusted server is made
// fit to print.

import { WorkError } from '../core/errors.js'
import type { KubeStatus, What } from './kube-types.js'

/**
 * A failed API call. The message names verb, kind, namespace/name, HTTP status and the server's
 * message; never credentials. `code` is the HTTP status, 0 when no response arrived.
 */
export class KubeError extends WorkError {
  readonly code: number
  /** The Status `reason`: `NotFound`, `AlreadyExists`, `Conflict`, `Forbidden`, `Invalid`, … */
  readonly reason: string | undefined
  readonly verb: string
  readonly kind: string
  readonly namespace: string | undefined
  /** Object name, when the call was about one object. */
  readonly objectName: string | undefined
  readonly attempts: number
  readonly status: KubeStatus | undefined
  /** No response arrived: within the request timeout (`request`), or before the deadline (`deadline`). */
  readonly timedOut: 'request' | 'deadline' | undefined
  constructor(
    what: What,
    detail: {
      code: number
      reason?: string
      message: string
      attempts: number
      status?: KubeStatus
      timedOut?: 'request' | 'deadline'
    },
    options?: { cause?: unknown },
  ) {
    const target = what.name ? ` ${what.namespace ? `${what.namespace}/` : ''}${what.name}` : ''
    const scope = !what.name && what.namespace ? ` in namespace ${what.namespace}` : ''
    const http = detail.code ? `HTTP ${detail.code}${detail.reason ? ` ${detail.reason}` : ''}: ` : ''
    const tries = detail.attempts > 1 ? ` (after ${detail.attempts} attempts)` : ''
    super(`${what.verb} ${what.kind}${target}${scope}: ${http}${detail.message}${tries}`, options)
    this.name = 'KubeError'
    this.code = detail.code
    this.reason = detail.reason
    this.verb = what.verb
    this.kind = what.kind
    this.namespace = what.namespace
    this.objectName = what.name
    this.attempts = detail.attempts
    this.status = detail.status
    this.timedOut = detail.timedOut
  }
}

export const isNotFound = (err: unknown): boolean => err instanceof KubeError && err.code === 404
/** 409 of any kind: a stale resourceVersion (`Conflict`) or a create of an existing name (`AlreadyExists`). */
export const isConflict = (err: unknown): boolean => err instanceof KubeError && err.code === 409
export const isAlreadyExists = (err: unknown): boolean =>
  err instanceof KubeError && err.code === 409 && err.reason === 'AlreadyExists'

/**
 * Text from an untrusted server, fit to print: the credentials it was sent become `***`, control
 * and line-separator characters become spaces (no second log line, no workflow command at a line
 * start), clipped to `max` characters.
 */
export function serverText(text: string, secrets: readonly string[], max: number): string {
  let out = text
  for (const s of secrets) out = out.split(s).join('***')
  out = out.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim()
  return out.length > max ? `${out.slice(0, max)}… (${out.length} characters, clipped)` : out
}

export function isStatus(body: unknown): body is KubeStatus {
  return typeof body === 'object' && body !== null && (body as KubeStatus).kind === 'Status'
}
