// The dense-findings fast path of the manifest scan (issue 20 §6): a document that mentions a
// removed apiVersion is loaded with js-yaml (several times faster than the `yaml` parser, which
// keeps a source range for every node) and each object's location is taken from the n-th
// block-style `apiVersion:` key in the text, which is the n-th apiVersion met in a depth-first
// walk of the loaded value (as scanJson does for JSON). Whenever the two can disagree the
// caller falls back to the `yaml` parser, which gives the exact same findings and the syntax
// errors: js-yaml refuses the text (syntax, duplicate keys), an `apiVersion:` key is flow style
// or inside a block scalar (the counts differ), or a value in the text is not the loaded string.
// Only plain text (no unrendered templates). Pure.

import { CORE_SCHEMA, loadAll } from 'js-yaml'
import type { MetaRef, Report } from './manifest-objects.js'
import { sourceComment } from './manifest-objects.js'
import { isRecord } from './objects.js'

/** A block mapping key `apiVersion:` (after indentation and `- ` item indicators) and its value. */
const API_VERSION_KEY = /^[ \t]*(?:-[ \t]+)*(["']?)apiVersion\1[ \t]*:[ \t]*([^\r\n]*)$/gm

/** The scalar a value text spells, when it is a plain or simply quoted one-line scalar. */
function scalarText(raw: string): { value: string } | undefined {
  const text = raw.replace(/[ \t]+#.*$/, '').trimEnd()
  if (text === '') return undefined
  const q = text[0]
  if (q === '"' || q === "'") {
    if (text.length < 2 || text.at(-1) !== q) return undefined
    const inner = text.slice(1, -1)
    if (q === '"' ? /["\\]/.test(inner) : inner.includes("'")) return undefined
    return { value: inner }
  }
  if (/^[&*!|>{[]/.test(text)) return undefined
  return { value: text }
}

function metaRef(o: Record<string, unknown>, defaultNamespace: string | undefined): MetaRef {
  const m = isRecord(o.metadata) ? o.metadata : {}
  const s = (v: unknown) =>
    (typeof v === 'string' || typeof v === 'number') && v !== '' ? String(v) : undefined
  const name = s(m.name)
  const generateName = s(m.generateName)
  const namespace = s(m.namespace) ?? defaultNamespace
  return {
    ...(namespace ? { namespace } : {}),
    name: name ?? (generateName ? `${generateName}*` : '(unnamed)'),
  }
}

/** The comment lines before a document's first content line (Helm's `# Source:`). */
function leadingComment(text: string): string | undefined {
  const lines: string[] = []
  for (const line of text.split('\n', 64)) {
    const t = line.trim()
    if (t === '' || /^(?:---|\.\.\.)$/.test(t)) continue
    if (!t.startsWith('#')) break
    lines.push(t.slice(1))
  }
  return lines.length > 0 ? lines.join('\n') : undefined
}

/**
 * Scans `text` (whole documents starting at offset `base` of the file) and returns the number
 * of documents, or undefined when the `yaml` parser must do it (nothing was reported then).
 */
export function scanBlockYaml(
  text: string,
  base: number,
  report: Report,
  defaultNamespace: string | undefined,
): number | undefined {
  let docs: unknown[]
  try {
    docs = loadAll(text, { schema: CORE_SCHEMA })
  } catch {
    return undefined
  }
  const seen: string[] = []
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x)
    } else if (isRecord(v)) {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'apiVersion' && typeof x === 'string') seen.push(x)
        else walk(x)
      }
    }
  }
  for (const d of docs) walk(d)
  const offsets: number[] = []
  API_VERSION_KEY.lastIndex = 0
  for (let m = API_VERSION_KEY.exec(text); m; m = API_VERSION_KEY.exec(text)) {
    const raw = m[2]!
    const scalar = scalarText(raw)
    if (!scalar || seen[offsets.length] !== scalar.value) return undefined
    offsets.push(m.index + m[0].length - raw.length)
  }
  if (offsets.length !== seen.length) return undefined
  // Objects in walk order get the offsets in the same order.
  let next = 0
  const at = new Map<Record<string, unknown>, number>()
  const assign = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const x of v) assign(x)
    } else if (isRecord(v)) {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'apiVersion' && typeof x === 'string') at.set(v, offsets[next++]!)
        else assign(x)
      }
    }
  }
  for (const d of docs) assign(d)
  const template = docs.length === 1 ? sourceComment(leadingComment(text)) : undefined
  const visit = (o: unknown, tpl: string | undefined): void => {
    if (!isRecord(o) || typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') return
    if (o.kind.endsWith('List') && Array.isArray(o.items)) {
      for (const item of o.items) visit(item, tpl)
      return
    }
    report(o.apiVersion, o.kind, base + (at.get(o) ?? 0), () => metaRef(o, defaultNamespace), tpl)
  }
  for (const d of docs) visit(d, template)
  return docs.length
}
