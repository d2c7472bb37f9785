// Inventory files (YAML text) → one validated Inventory. Pure: the caller reads the files.
// Every problem is located (file:line:col + field path) and all of them are reported at once.// The passes: inventory-schema-problems.ts (schema errors → located problems),
// inventory-build.ts and inventory-clusters.ts (merge and meaning), inventory-fields.ts (args,
// apps, node pools, windows, durations), inventory-provider-checks.ts (provider facts).

import { CORE_SCHEMA, loadAll } from 'js-yaml'
import { InputError, type InputProblem } from './errors.js'
import { buildInventory } from './inventory-build.js'
import { isObject, type ParsedDoc, type Raw } from './inventory-doc.js'
import { type AjvError, schemaProblems } from './inventory-schema-problems.js'
import { validate as validateDocument } from './inventory-validator.gen.js'
import { toSegment, unescapePointer } from './inventory-wording.js'
import type { Inventory } from './model.js'
import { at, lazyLocator, locatorOf, MAX_DEPTH, parseYamlFile } from './yaml-source.js'

export { CATALOG_VERSION, parseDuration } from './inventory-fields.js'
export { ALLOWED_KEYS } from './inventory-schema-problems.js'

export interface InventoryFile {
  /** Path as shown in messages (relative to the working directory). */
  path: string
  content: Uint8Array | string
}

export interface LoadedInventory {
  inventory: Inventory
  /** Not fatal, but worth showing (e.g. inferred version data). */
  warnings: InputProblem[]
}

/** Largest inventory file accepted: far above any real fleet, small enough to bound memory. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024
/** All inventory files of one run together: the same bound (parsing costs ~100 bytes of memory per byte). */
export const MAX_TOTAL_BYTES = MAX_FILE_BYTES

/**
 * Parses and validates inventory files. A valid inventory takes the fast path (js-yaml, no
 * source positions until one is read); anything the fast path does not accept is parsed again
 * with source positions on every node, so every problem is located exactly.
 */
export function parseInventory(files: InventoryFile[]): LoadedInventory {
  return parseFast(files) ?? parseLocated(files)
}

/** The fast path: undefined whenever anything is off (then parseLocated reports it). */
function parseFast(files: InventoryFile[]): LoadedInventory | undefined {
  if (files.length === 0) return undefined
  const docs: ParsedDoc[] = []
  for (const file of files) {
    let text: string
    if (typeof file.content === 'string') text = file.content
    else {
      if (file.content.byteLength > MAX_FILE_BYTES) return undefined
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(file.content)
      } catch {
        return undefined
      }
    }
    let values: unknown[]
    try {
      values = loadAll(text, {
        schema: CORE_SCHEMA,
        maxDepth: MAX_DEPTH,
        maxAliases: 100,
        filename: file.path,
      })
    } catch {
      return undefined
    }
    for (const [index, value] of values.entries()) {
      if (value === null || value === undefined) continue
      if (!isObject(value) || !validateDocument(value)) return undefined
      docs.push({ src: lazyLocator(file.path, text, index), value, invalid: new Set() })
    }
  }
  if (docs.length === 0) return undefined
  const result = buildInventory(
    docs,
    files.map((f) => f.path),
  )
  if (result.problems.length > 0 || !result.inventory) return undefined
  return { inventory: result.inventory, warnings: result.warnings }
}

/** Every node with its source position; all problems of all files, located. Exported for tests. */
export function parseLocated(files: InventoryFile[]): LoadedInventory {
  const problems: InputProblem[] = []
  const docs: ParsedDoc[] = []
  // A file or document that could not be read may hold target/management: don't also claim they are missing.
  let unreadable = false
  if (files.length === 0) throw new InputError('no inventory files given')

  for (const file of files) {
    const text = decodeText(file, problems)
    if (text === undefined) {
      unreadable = true
      continue
    }
    const parsed = parseYamlFile(file.path, text)
    problems.push(...parsed.problems)
    if (parsed.problems.length > 0) unreadable = true
    for (const src of parsed.docs) {
      if (src.doc.contents === null) continue // an empty document (e.g. a trailing ---)
      let value: unknown
      try {
        value = src.doc.toJS({ maxAliasCount: 100 })
      } catch (err) {
        problems.push({ source: at(src, null), message: `cannot read document: ${(err as Error).message}` })
        unreadable = true
        continue
      }
      if (value === null || value === undefined) continue // `---` with nothing after it: an empty document
      if (typeof value !== 'object' || Array.isArray(value)) {
        problems.push({
          source: at(src, null),
          message: 'a Fleet document must be a mapping (apiVersion: dkp-fleet/v1, kind: Fleet, ...)',
        })
        unreadable = true
        continue
      }
      const errors = validateDocument(value) ? [] : (validateDocument.errors ?? [])
      problems.push(...schemaProblems(src, value, errors))
      // Semantic checks still run on what the schema accepted, so one run reports everything.
      docs.push({
        src: locatorOf(src),
        value: pruneInvalid(value as Raw, errors),
        invalid: new Set(errors.map((e) => e.instancePath)),
      })
    }
  }
  if (docs.length === 0 && problems.length === 0) {
    throw new InputError(
      files.map((f) => ({ source: { file: f.path, line: 1, col: 1 }, message: 'no Fleet document found' })),
    )
  }
  const result = buildInventory(
    docs,
    files.map((f) => f.path),
    unreadable,
  )
  problems.push(...result.problems)
  if (problems.length > 0 || !result.inventory) throw new InputError(sortProblems(problems, files))
  return { inventory: result.inventory, warnings: result.warnings }
}

function sortProblems(problems: InputProblem[], files: InventoryFile[]): InputProblem[] {
  const order = new Map(files.map((f, i) => [f.path, i]))
  const key = (p: InputProblem) => [
    order.get(p.source?.file ?? '') ?? -1,
    p.source?.line ?? 0,
    p.source?.col ?? 0,
  ]
  return problems
    .map((p, i) => ({ p, i, k: key(p) }))
    .sort((a, b) => a.k[0]! - b.k[0]! || a.k[1]! - b.k[1]! || a.k[2]! - b.k[2]! || a.i - b.i)
    .map((x) => x.p)
}

/** Removes every value the schema rejected, leaving a document the semantic pass can trust. */
function pruneInvalid(value: Raw, errors: AjvError[]): Raw {
  for (const e of errors) {
    if (e.keyword === 'required' || e.instancePath === '') continue
    const path = e.instancePath.split('/').slice(1).map(unescapePointer).map(toSegment)
    if (e.keyword === 'additionalProperties') path.push(String(e.params.additionalProperty))
    let parent: unknown = value
    for (const seg of path.slice(0, -1))
      parent = (parent as Record<string | number, unknown> | undefined)?.[seg]
    if (parent && typeof parent === 'object')
      (parent as Record<string | number, unknown>)[path.at(-1)!] = undefined
  }
  return value
}

function decodeText(file: InventoryFile, problems: InputProblem[]): string | undefined {
  if (typeof file.content === 'string') return file.content
  if (file.content.byteLength > MAX_FILE_BYTES) {
    problems.push({
      source: { file: file.path, line: 1, col: 1 },
      message: `file is ${file.content.byteLength} bytes; inventory files are limited to ${MAX_FILE_BYTES} bytes`,
    })
    return undefined
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(file.content)
  } catch {
    const bad = firstInvalidUtf8(file.content)
    const before = new TextDecoder().decode(file.content.subarray(0, bad))
    const line = before.split('\n').length
    const col = before.length - before.lastIndexOf('\n')
    problems.push({ source: { file: file.path, line, col }, message: `not valid UTF-8 (byte offset ${bad})` })
    return undefined
  }
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  let lo = 0
  let hi = bytes.length
  const ok = (n: number) => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, n), { stream: true })
      return true
    } catch {
      return false
    }
  }
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (ok(mid)) lo = mid
    else hi = mid - 1
  }
  // bytes[lo] is where decoding fails; when it breaks a multi-byte sequence that started
  // earlier (a Latin-1 "é" is a lead byte followed by ASCII), point at that sequence's start.
  for (let k = 1; k <= 3 && lo - k >= 0; k++) {
    const b = bytes[lo - k]!
    if (b < 0x80) break
    if (b >= 0xc0) {
      const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2
      if (lo - k + length > lo) return lo - k
      break
    }
  }
  return lo
}
