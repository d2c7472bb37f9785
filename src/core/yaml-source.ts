// YAML documents that remember where each value came from, so every inventory error can
// name file:line:column. Pure: takes text, returns documents and located syntax errors.

import { EVENT_ID, type Event, getScalarValue, parseEvents, SCALAR_STYLE } from 'js-yaml'
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
export const MAX_DEPTH = 64

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

/** Where things are in one YAML document: file:line:col of a value, of a key, of the document. */
export interface Locator {
  readonly file: string
  node(path: readonly PathSegment[]): SourceRef
  key(path: readonly PathSegment[], prop: string): SourceRef
  doc(): SourceRef
}

export function locatorOf(src: SourceDoc): Locator {
  return {
    file: src.file,
    node: (path) => at(src, nodeAt(src, path)),
    key: (path, prop) => at(src, keyAt(src, path, prop)),
    doc: () => at(src, null),
  }
}

/**
 * A Locator for the fast path: positions are found only when first read, from js-yaml's event
 * stream (offsets of every node), so a valid inventory never pays for a positioned parse.
 * Documents with constructs whose offsets the event stream reports differently from the
 * `yaml` package (anchors, tags, block scalars, complex keys) use the `yaml` parse instead, so
 * both paths always name the same line and column. The SourceRefs read like plain data.
 */
export function lazyLocator(file: string, text: string, index: number): Locator {
  let resolved: Locator | undefined
  const locator = () => {
    resolved ??= eventLocator(file, text, index) ?? yamlLocator(file, text, index)
    return resolved
  }
  const lazy = (find: () => SourceRef): SourceRef => {
    let ref: SourceRef | undefined
    const get = () => {
      ref ??= find()
      return ref
    }
    return {
      file,
      get line() {
        return get().line
      },
      get col() {
        return get().col
      },
    }
  }
  return {
    file,
    node: (path) => lazy(() => locator().node([...path])),
    key: (path, prop) => lazy(() => locator().key([...path], prop)),
    doc: () => lazy(() => yamlLocator(file, text, index).doc()),
  }
}

function yamlLocator(file: string, text: string, index: number): Locator {
  const src = parseYamlFile(file, text).docs.find((d) => d.index === index)
  if (!src) throw new Error(`${file}: document ${index + 1} has no source positions`)
  return locatorOf(src)
}

interface EventNode {
  start: number
  /** Map entries by key text: the key's offset and the value node. */
  entries?: Map<string, { key: number; value: EventNode }>
  items?: EventNode[]
}

const E = EVENT_ID

/** A Locator over js-yaml events; undefined when the document holds a construct it does not model. */
function eventLocator(file: string, text: string, index: number): Locator | undefined {
  const root = eventTree(text, index)
  if (!root) return undefined
  const ref = offsetRef(file, text)
  const find = (path: readonly PathSegment[]): EventNode => {
    let node = root
    for (const seg of path) {
      const next = node.entries ? node.entries.get(String(seg))?.value : node.items?.[seg as number]
      if (!next) break
      node = next
    }
    return node
  }
  return {
    file,
    node: (path) => ref(find(path).start),
    key: (path, prop) => {
      const parent = find(path)
      return ref(parent.entries?.get(prop)?.key ?? parent.start)
    },
    doc: () => ref(root.start),
  }
}

/** The node tree of document `index`; undefined when it holds aliases, anchors, tags, block scalars or complex keys. */
function eventTree(text: string, index: number): EventNode | undefined {
  let events: Event[]
  try {
    events = parseEvents(text, { maxDepth: MAX_DEPTH })
  } catch {
    return undefined
  }
  let i = 0
  let doc = -1
  while (i < events.length) {
    if (events[i]!.type === E.DOCUMENT && ++doc === index) break
    i++
  }
  if (doc !== index) return undefined
  const reader = new EventReader(events, text, i + 1)
  const root = reader.read()
  return !root || reader.exotic ? undefined : root
}

/** Reads nodes from the event list; `exotic` once a construct the locator does not model was met. */
class EventReader {
  exotic = false

  constructor(
    private readonly events: Event[],
    private readonly text: string,
    private i: number,
  ) {}

  read(): EventNode | undefined {
    const e = this.events[this.i++]
    if (!e || e.type === E.POP) return undefined
    if (e.type === E.ALIAS || e.type === E.DOCUMENT) {
      this.exotic = true
      return { start: 0 }
    }
    if (e.anchorStart !== -1 || e.tagStart !== -1) this.exotic = true
    if (e.type === E.SCALAR) {
      if (e.style === SCALAR_STYLE.LITERAL_BLOCK || e.style === SCALAR_STYLE.FOLDED_BLOCK) this.exotic = true
      // js-yaml points inside the quotes; the `yaml` package at the opening quote.
      const quoted = e.style === SCALAR_STYLE.SINGLE_QUOTED || e.style === SCALAR_STYLE.DOUBLE_QUOTED
      return { start: e.valueStart - (quoted ? 1 : 0) }
    }
    const node: EventNode = { start: e.start }
    if (e.type === E.SEQUENCE) {
      node.items = []
      for (let item = this.read(); item; item = this.read()) node.items.push(item)
    } else {
      node.entries = new Map()
      for (;;) {
        const keyEvent = this.events[this.i]
        const key = this.read()
        if (!key) break
        const value = this.read()
        if (!value || keyEvent?.type !== E.SCALAR) {
          this.exotic = true
          if (!value) break
          continue
        }
        node.entries.set(getScalarValue(this.text, keyEvent), { key: key.start, value })
      }
    }
    return node
  }
}

/** Offset → file:line:col. */
function offsetRef(file: string, text: string): (offset: number) => SourceRef {
  const lineStarts = [0]
  for (let o = text.indexOf('\n'); o !== -1; o = text.indexOf('\n', o + 1)) lineStarts.push(o + 1)
  return (offset) => {
    let lo = 0
    let hi = lineStarts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (lineStarts[mid]! <= offset) lo = mid
      else hi = mid - 1
    }
    return { file, line: lo + 1, col: offset - lineStarts[lo]! + 1 }
  }
}
