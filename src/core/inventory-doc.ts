// One parsed inventory document and how the inventory passes read it: the value the schema
// accepted (rejected values pruned, their JSON pointers kept), its locator, and the problems
// and warnings a pass collects. Pure.

import type { InputProblem } from './errors.js'
import type { SourceRef, Target } from './model.js'
import type { Locator, PathSegment } from './yaml-source.js'

export type Raw = Record<string, unknown>

export interface ParsedDoc {
  src: Locator
  value: Raw
  /** JSON pointers the schema rejected (already pruned from value). */
  invalid: Set<string>
}

export const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v)
export const items = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])

export function valueAt(value: unknown, path: PathSegment[]): unknown {
  let v = value
  for (const seg of path) v = (v as Record<string | number, unknown> | undefined)?.[seg]
  return v
}

/** Where a node is (file:line:col of its value). */
export const here = (src: Locator, path: PathSegment[]): SourceRef => src.node(path)

/** A source position as shown in a message. */
export const where = (s: SourceRef): string => `${s.file}:${s.line}:${s.col}`

/** Given in the document: a value the schema rejected was pruned but still counts (no second error about it). */
export const given = (d: ParsedDoc, path: PathSegment[]): boolean =>
  valueAt(d.value, path) !== undefined || d.invalid.has(`/${path.join('/')}`)

/** What a semantic pass collects, and the target it checks against once known. */
export interface BuildContext {
  problems: InputProblem[]
  warnings: InputProblem[]
  target?: Target
  /** The target's Kubernetes (given, else the release table's default). */
  targetKubernetes?: string
}
