// "Did you mean": the closest known word to a mistyped one (commands, flags, stages,
// clusters). Optimal string alignment distance (a swap of two neighbours counts once, so
// `plna` → `plan`, `--josn` → `--json`); a suggestion only when it is close enough to be a typo.

/** Edit distance with adjacent transpositions (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  )
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1)
      d[i]![j] = v
    }
  return d[a.length]![b.length]!
}

/**
 * The candidate closest to `word`, when it is a plausible typo: at most a third of the word's
 * length in edits (at least 1, at most 3), or a candidate the word is a prefix of.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase()
  const limit = Math.min(3, Math.max(1, Math.floor(w.length / 3)))
  let best: { c: string; d: number } | undefined
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase())
    if (d <= limit && (!best || d < best.d)) best = { c, d }
  }
  if (best) return best.c
  if (w.length >= 3) return candidates.find((c) => c.toLowerCase().startsWith(w))
  return undefined
}

/** `; did you mean "x"?` (or with a prefix, `; did you mean --x?`), or nothing. */
export function didYouMean(word: string, candidates: readonly string[], prefix?: string): string {
  const c = closest(word, candidates)
  if (c === undefined) return ''
  return prefix !== undefined ? `; did you mean ${prefix}${c}?` : `; did you mean "${c}"?`
}
