// Inventory `args` → dkp flags. Pure.

import type { CommandArgs } from './model.js'

/**
 * Flags dkp-fleet sets itself: where dkp connects and what it targets. The inventory may not
 * override them (a `--context` would point dkp at another cluster than the one checked).
 */
export const RESERVED_FLAGS: ReadonlySet<string> = new Set([
  'kubeconfig',
  'context',
  'use-context',
  'cluster-name',
  'namespace',
  'kubernetes-version',
  'to-version',
  'workspace',
  'project',
  'dry-run',
])

/** `{ charts-bundle: [a, b], ami: x }` → `--charts-bundle=a --charts-bundle=b --ami=x` (repeatable flags repeat). */
export function toFlags(args: CommandArgs | undefined): string[] {
  const out: string[] = []
  for (const [flag, value] of Object.entries(args ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) out.push(`--${flag}=${v}`)
  }
  return out
}
