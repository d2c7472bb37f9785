// YAML documents that remember where each value came from, so every inventory error can
// name file:line:column. Pure: takes text, returns documents and located syntax errors.

import { type Document, isMap, isScalar, LineCounter, type Node, type Pair, parseAllDocuments } from 'yaml'
import type { InputProblem } from './errors.js'
import type { SourceRef } from './model.js'

export type PathSegment = string | number

export interface SourceDoc {
  file: string
  /** Index of the document inside its file (0-based). */
  index: number
  doc: Document.Parsed
  lines: LineCounter
}

/** Nesting deeper than this is refused before conversion (guards the recursive walkers). */
const MAX_DEPTH = 64

export function parseYamlFile(file: string, text: string): { docs: SourceDoc[]; problems: InputProblem[] } {
  const lines = new LineCounter()
  const problems: InputProblem[] = []
  const parsed = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  const all = Array.isArray(parsed) ? parsed : [parsed]
  const docs: SourceDoc[] = []
  all.forEach((doc, index) => {
    for (const err of doc.errors) {
      const { line, col } = lines.linePos(err.pos[0])
      problems.push({ source: { file, line, col }, message: `YAML syntax error: ${firstLine(err.message)}` })
    }
    if (doc.errors.length === 0) {
      const tooDeep = findTooDeep(doc.contents as Node | null, 0)
      if (tooDeep) {
        problems.push({
          source: at({ file, index, doc, lines }, tooDeep),
          message: `document nested deeper than ${MAX_DEPTH} levels`,
        })
      } else docs.push({ file, index, doc, lines })
    }
  })
  return { docs, problems }
}

function firstLine(message: string): string {
  // The parser recurses per nesting level: a document nested a few thousand levels deep ends
  // its descent with a RangeError, which the parser reports as an error of the document.
  if (message.includes('Maximum call stack size exceeded'))
    return `document nested too deeply to read (the limit is ${MAX_DEPTH} levels)`
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')
}

function findTooDeep(node: Node | null, depth: number): Node | undefined {
  if (!node || !('items' in node)) return undefined
  if (depth >= MAX_DEPTH) return node
  for (const item of (node as { items: unknown[] }).items) {
    const child = isPairLike(item) ? (item.value as Node | null) : (item as Node)
    const found = findTooDeep(child, depth + 1)
    if (found) return found
  }
  return undefined
}

const isPairLike = (x: unknown): x is Pair =>
  typeof x === 'object' && x !== null && 'key' in x && 'value' in x

/** Location of a node (its first character), or of the document when the node is absent. */
export function at(src: SourceDoc, node: Node | null | undefined): SourceRef {
  const offset = node?.range?.[0] ?? src.doc.range?.[0] ?? 0
  const { line, col } = src.lines.linePos(offset)
  return { file: src.file, line, col }
}

/** The node at a path, or the deepest existing ancestor (so errors still point somewhere useful). */
export function nodeAt(src: SourceDoc, path: readonly PathSegment[]): Node | undefined {
  let node = src.doc.contents as Node | null
  let found: Node | undefined = node ?? undefined
  for (const seg of path) {
    if (!node || !('items' in node)) break
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg)
      if (!pair) break
      node = pair.value as Node | null
      if (node) found = node
      else found = pair.key as Node
    } else {
      const item = (node as { items: unknown[] }).items[seg as number] as Node | undefined
      if (!item) break
      node = item
      found = item
    }
  }
  return found
}

/** The key node of `prop` inside the map at `path` (for unknown-field errors). */
export function keyAt(src: SourceDoc, path: readonly PathSegment[], prop: string): Node | undefined {
  const parent = nodeAt(src, path)
  if (!parent || !isMap(parent)) return parent
  const pair = parent.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === prop)
  return (pair?.key as Node | undefined) ?? parent
}

/** `clusters[2].nodepools[0].name` from path segments. */
export function fieldPath(path: readonly PathSegment[]): string {
  return path.reduce<string>(
    (acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg),
    '',
  )
}
