// `--fail-on error|warning|none`: which findings make the run fail (exit code 1).

import type { Finding } from '../findings.js'

export type FailOn = 'error' | 'warning' | 'none'

export const FAIL_ON_VALUES: readonly FailOn[] = ['error', 'warning', 'none']

export function isFailOn(s: string): s is FailOn {
  return (FAIL_ON_VALUES as readonly string[]).includes(s)
}

/** 1 when a finding reaches the `failOn` threshold, else 0. Info findings never fail a run. */
export function exitCodeFor(findings: readonly Finding[], failOn: FailOn): 0 | 1 {
  if (failOn === 'none') return 0
  const failing = failOn === 'error' ? ['error'] : ['error', 'warning']
  return findings.some((f) => failing.includes(f.severity)) ? 1 : 0
}
