// How inventory problems quote what the user wrote: values cut to a readable length, lists of
// names bounded, type descriptions, and the closest allowed word for a typo. Pure.

import type { PathSegment } from './yaml-source.js'

export const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`)

export function typeMessage(expected: string, actual: unknown, written?: string): string {
  const quoteHint =
    expected === 'string' && typeof actual === 'number' ? ` (quote it: "${written ?? actual}")` : ''
  return `must be ${article(expected)}, not ${describe(actual)}${quoteHint}`
}

export function describe(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a mapping'
  return `${typeof v} ${shown(v)}`
}

/** A value as quoted in a message, cut to a readable length (a 5 MB string is not echoed back). */
export function shown(v: unknown, max = 80): string {
  const text = JSON.stringify(v) ?? String(v)
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`
}

/** Names for a message, at most `max` of them (a fleet may define a thousand workspaces). */
export const listed = (names: string[], max = 20) =>
  names.length === 0
    ? 'none'
    : `${names.slice(0, max).join(', ')}${names.length > max ? `, … (${names.length} in all)` : ''}`

/** A key as shown in a field path, cut like shown(). */
export const clipKey = (key: string, max = 80) => (key.length <= max ? key : `${key.slice(0, max)}…`)

/** The closest allowed key within edit distance 2, e.g. `namspace` → `namespace`. */
export function suggest(word: string, options: string[]): string | undefined {
  let best: string | undefined
  let bestDistance = 3
  for (const o of options) {
    if (Math.abs(word.length - o.length) >= bestDistance) continue
    const d = editDistance(word.toLowerCase(), o.toLowerCase())
    if (d < bestDistance) {
      best = o
      bestDistance = d
    }
  }
  return best
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = cur
    }
  }
  return row[b.length]!
}

export const unescapePointer = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~')
export const toSegment = (s: string): PathSegment => (/^\d+$/.test(s) ? Number(s) : s)
