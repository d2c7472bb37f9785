// Manifest text before parsing: where documents and block-style List items start (so only
// the parts that can hold a finding are parsed), offsets as line and column, the pattern of
// the apiVersions removed at a target, and unrendered templates made parseable. Pure.

import { removalsUpTo } from './table.js'

/** Offset → 1-based line and column, for the few offsets that become findings. */
export class LineIndex {
  private starts: number[] | undefined
  constructor(private readonly text: string) {}
  pos(offset: number): { line: number; col: number } {
    if (!this.starts) {
      this.starts = [0]
      for (let i = this.text.indexOf('\n'); i >= 0; i = this.text.indexOf('\n', i + 1))
        this.starts.push(i + 1)
    }
    let lo = 0
    let hi = this.starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (this.starts[mid]! <= offset) lo = mid
      else hi = mid - 1
    }
    return { line: lo + 1, col: offset - this.starts[lo]! + 1 }
  }
}

/** A line that is neither blank, a comment, nor a document marker. */
export const CONTENT = /^(?!---(?:[ \t\r]|$)|\.\.\.(?:[ \t\r]|$))[ \t]*[^\s#]/m
const MARKER = /^(?:---|\.\.\.)(?=[ \t\r\n]|$)/gm

/** [start, end) offsets of the text between document markers; each starts at its marker line. */
export function segments(text: string): [number, number][] {
  const out: [number, number][] = []
  let start = 0
  MARKER.lastIndex = 0
  for (let m = MARKER.exec(text); m; m = MARKER.exec(text)) {
    if (m.index > start) out.push([start, m.index])
    start = m.index
  }
  if (start < text.length || out.length === 0) out.push([start, text.length])
  return out
}

const LIST_KIND = /^kind:[ \t]*(["']?)[A-Za-z0-9]*List\1[ \t]*(?:#.*)?\r?$/m
const ITEMS_KEY = /^items:[ \t]*(?:#.*)?\r?$/m

/**
 * For a document that is a block-style `List` (`kind: …List` and `items:` at column 0, the
 * items a block sequence), the [start, end) offsets of each item within `doc`; else undefined.
 * An item runs from its `- ` line to the next line at the same indent that starts one.
 */
export function blockListItems(doc: string): [number, number][] | undefined {
  if (!LIST_KIND.test(doc)) return undefined
  const key = ITEMS_KEY.exec(doc)
  if (!key) return undefined
  let pos = doc.indexOf('\n', key.index)
  if (pos < 0) return undefined
  pos++
  let indent = -1
  const items: [number, number][] = []
  let itemStart = -1
  while (pos < doc.length) {
    const nl = doc.indexOf('\n', pos)
    const lineEnd = nl < 0 ? doc.length : nl + 1
    const line = doc.slice(pos, lineEnd)
    const trimmed = line.trimStart()
    if (trimmed === '' || trimmed.startsWith('#')) {
      pos = lineEnd
      continue
    }
    const lead = line.length - trimmed.length
    if (line.slice(0, lead).includes('\t')) return undefined
    const startsItem = trimmed.startsWith('-') && /^-(?:[ \t\r\n]|$)/.test(trimmed)
    if (indent < 0) {
      if (!startsItem) return undefined // flow style or not a sequence
      indent = lead
    }
    if (lead === indent && startsItem) {
      if (itemStart >= 0) items.push([itemStart, pos])
      itemStart = pos
    } else if (lead <= indent) {
      break // the next key of the List (e.g. `kind: List` after the items)
    }
    pos = lineEnd
  }
  if (itemStart < 0) return undefined
  items.push([itemStart, pos])
  return items
}

const candidates = new Map<number, RegExp>()

/** Matches any apiVersion (JSON-escaped `\/` too) no longer served at the target. */
export function candidatePattern(targetMinor: number): RegExp {
  let re = candidates.get(targetMinor)
  if (!re) {
    const versions = [...new Set(removalsUpTo(targetMinor).map((e) => e.apiVersion))].sort()
    const toPattern = (v: string) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace('/', '\\\\?/')
    re = new RegExp(versions.map(toPattern).join('|'))
    candidates.set(targetMinor, re)
  }
  return re
}

/**
 * Unrendered Helm/Go templates: a line holding only `{{ … }}` actions becomes a comment and an
 * inline action becomes underscores of the same length, so offsets (and line numbers) stay put
 * and hard-coded apiVersions in chart templates are still found.
 */
export function neutraliseTemplates(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      if (!line.includes('{{')) return line
      if (/^\s*(\{\{.*?\}\}\s*)+\r?$/.test(line)) return line.replace('{', '#')
      return line.replace(/\{\{.*?\}\}/g, (m) => '_'.repeat(m.length))
    })
    .join('\n')
}
