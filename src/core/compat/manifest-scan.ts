// Scans manifest text (YAML or JSON, one or many documents, `helm template` output, `List`
// kinds) for objects whose apiVersion is no longer served at the target. Pure: the text comes
// from a file reader or from a decoded Helm release.

import { isMap, isScalar, isSeq, type Node, parseAllDocuments, type YAMLMap } from 'yaml'
import type { Finding } from '../findings.js'
import { isKubeObject, isRecord, type KubeObject, refOf } from './objects.js'
import { type HelmReleaseRef, removedApiFinding, type ScanSource } from './removed-finding.js'
import { parseMinor, removalsUpTo, removedAt } from './table.js'

export interface ManifestScanOptions {
  /** Target Kubernetes version: `29`, `'1.29'`, `'v1.29.6'`. */
  target: number | string
  /** Default `manifest` (a repository file: findings carry file:line:col). */
  source?: ScanSource
  /** For manifests read from a cluster (Helm release storage). */
  cluster?: string
  helmRelease?: HelmReleaseRef
  /** Namespace shown for objects that name none (a Helm release's namespace). */
  defaultNamespace?: string
  /** Parse every document, not only those that mention a removed apiVersion (slower). */
  parseAll?: boolean
}

export interface ManifestScanResult {
  findings: Finding[]
  /** YAML documents in the text (parsed or not). */
  documents: number
  /** Documents parsed in full (all of them with `parseAll`). */
  parsedDocuments: number
  /** Kubernetes objects in the parsed documents (items of a `List` count, the list does not). */
  objects: number
}

export const SYNTAX_RULE = 'manifest-syntax'
export const TEMPLATE_RULE = 'manifest-template'
/** A file that could not be read (the reader emits it; see src/effects/manifest-files.ts). */
export const UNREADABLE_RULE = 'manifest-unreadable'

/**
 * Scans one file's text. `file` is the path used in locations (relative, `/`-separated).
 * Never throws on bad input: YAML errors become `manifest-syntax` warnings (or one
 * `manifest-template` info for unrendered Helm templates); non-Kubernetes YAML is skipped.
 *
 * Fast paths (default), each exact for removed-API findings and their locations:
 *  - the text is split at `---`/`...` lines and only documents whose text mentions an
 *    apiVersion removed at or before the target are parsed (the others cannot hold a finding);
 *  - in a block-style `List`, only the items that mention one are parsed;
 *  - a JSON file is read with JSON.parse, locations from its `"apiVersion"` keys.
 * So syntax errors are reported for the documents that matter to the check; `parseAll: true`
 * parses every document with the YAML parser (slower; syntax errors everywhere).
 */
export function scanManifestText(
  text: string,
  file: string,
  options: ManifestScanOptions,
): ManifestScanResult {
  const targetMinor = parseMinor(options.target)
  const source = options.source ?? 'manifest'
  const inRepo = source === 'manifest'
  const findings: Finding[] = []
  const original = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  const templated = original.includes('{{')
  const prepared = templated ? neutraliseTemplates(original) : original
  const result: ManifestScanResult = { findings, documents: 0, parsedDocuments: 0, objects: 0 }
  const lines = new LineIndex(prepared)
  let templateReported = false

  const report = (
    apiVersion: string,
    kind: string,
    at: number,
    meta: () => MetaRef,
    template?: string,
  ): void => {
    result.objects++
    const entry = removedAt(apiVersion, kind, targetMinor)
    if (!entry) return
    findings.push(
      removedApiFinding(
        entry,
        { apiVersion, kind, ...meta() },
        {
          targetMinor,
          source,
          ...(options.cluster !== undefined ? { cluster: options.cluster } : {}),
          ...(inRepo ? { location: { file, ...lines.pos(at) } } : {}),
          ...(options.helmRelease ? { helmRelease: options.helmRelease } : {}),
          ...(template ? { template } : {}),
        },
      ),
    )
  }

  /**
   * Parses prepared[start, end) with the YAML parser. `listItems`: the slice is part of a
   * List's `items` sequence (document number `doc`), else it holds whole documents.
   */
  const parseSlice = (start: number, end: number, listItems?: { doc: number }): void => {
    const docs = parseAllDocuments(prepared.slice(start, end), {
      prettyErrors: false,
      uniqueKeys: false,
      keepSourceTokens: false,
    })
    const raw = templated ? original.slice(start, end) : undefined
    const visit = (map: YAMLMap, template: string | undefined): void => {
      const head = header(map)
      if (!head) return
      const items = head.kind.endsWith('List') ? get(map, 'items') : undefined
      if (items && isSeq(items)) {
        for (const item of items.items) if (isMap(item)) visit(item as YAMLMap, template)
        return
      }
      const meta = () => metadataOf(map, options.defaultNamespace, raw)
      report(head.apiVersion, head.kind, start + head.apiVersionOffset, meta, template)
    }
    for (const doc of docs) {
      if (!listItems) {
        result.documents++
        result.parsedDocuments++
      }
      const first = doc.errors[0]
      if (first) {
        const where = inRepo ? lines.pos(start + first.pos[0]) : undefined
        if (templated) {
          if (!templateReported) findings.push(templateFinding(file, where, options))
          templateReported = true
        } else {
          const n = listItems ? listItems.doc : result.documents
          findings.push(syntaxFinding(file, n, first.message, doc.errors.length, where, options))
        }
        continue
      }
      const contents = doc.contents
      if (listItems) {
        if (isSeq(contents))
          for (const item of contents.items) if (isMap(item)) visit(item as YAMLMap, undefined)
        continue
      }
      if (!isMap(contents)) continue
      visit(contents as YAMLMap, sourceComment(doc.commentBefore) ?? sourceComment(contents.commentBefore))
    }
  }

  // Directives (%YAML, %TAG) bind to the next document: keep such files whole.
  if (options.parseAll || /^%/m.test(prepared)) {
    parseSlice(0, prepared.length)
    return result
  }
  if (!templated && /^\s*\{/.test(prepared) && scanJson(prepared, report, options.defaultNamespace)) {
    result.documents++
    result.parsedDocuments++
    return result
  }
  const candidate = candidatePattern(targetMinor)
  for (const [start, end] of segments(prepared)) {
    const segment = prepared.slice(start, end)
    if (!candidate.test(segment)) {
      if (CONTENT.test(segment)) result.documents++
      continue
    }
    const items = blockListItems(segment)
    if (
      !items ||
      candidate.test(segment.slice(0, items[0]![0])) ||
      candidate.test(segment.slice(items.at(-1)![1]))
    ) {
      parseSlice(start, end)
      continue
    }
    // A block-style List whose header is clean: parse only the items that mention a candidate.
    result.documents++
    result.parsedDocuments++
    const doc = result.documents
    for (const [a, b] of items) {
      if (candidate.test(segment.slice(a, b))) parseSlice(start + a, start + b, { doc })
      else result.objects++
    }
  }
  return result
}

type MetaRef = { namespace?: string; name: string }
type Report = (apiVersion: string, kind: string, at: number, meta: () => MetaRef, template?: string) => void

/** Offset → 1-based line and column, for the few offsets that become findings. */
class LineIndex {
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
const CONTENT = /^(?!---(?:[ \t\r]|$)|\.\.\.(?:[ \t\r]|$))[ \t]*[^\s#]/m
const MARKER = /^(?:---|\.\.\.)(?=[ \t\r\n]|$)/gm

/** [start, end) offsets of the text between document markers; each starts at its marker line. */
function segments(text: string): [number, number][] {
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
function blockListItems(doc: string): [number, number][] | undefined {
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

const JSON_API_VERSION = /"apiVersion"\s*:\s*"((?:[^"\\]|\\.)*)"/g

/**
 * A JSON document (one object, or a List of objects): parsed with JSON.parse, each object's
 * location taken from the n-th `"apiVersion": "…"` in the text, which is the n-th apiVersion
 * string met in a depth-first walk of the parsed value. Returns false (use the YAML parser)
 * when the text is not plain JSON or the two sequences disagree (duplicate keys, numeric keys).
 */
function scanJson(text: string, report: Report, defaultNamespace: string | undefined): boolean {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return false
  }
  const seen: { owner: Record<string, unknown>; apiVersion: string }[] = []
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x)
    } else if (isRecord(v)) {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'apiVersion' && typeof x === 'string') seen.push({ owner: v, apiVersion: x })
        else walk(x)
      }
    }
  }
  walk(value)
  const offsets: number[] = []
  JSON_API_VERSION.lastIndex = 0
  for (let m = JSON_API_VERSION.exec(text); m; m = JSON_API_VERSION.exec(text)) {
    const i = offsets.length
    let decoded: unknown
    try {
      decoded = JSON.parse(`"${m[1]}"`)
    } catch {
      return false
    }
    if (seen[i]?.apiVersion !== decoded) return false
    offsets.push(m.index + m[0].length - m[1]!.length - 2)
  }
  if (offsets.length !== seen.length) return false
  const offsetOf = new Map(seen.map((s, i) => [s.owner, offsets[i]!]))
  const visit = (o: unknown): void => {
    if (!isKubeObject(o)) return
    if (o.kind.endsWith('List') && Array.isArray(o.items)) {
      for (const item of o.items) visit(item)
      return
    }
    const meta = () => {
      const ref = refOf(o, defaultNamespace)
      return { ...(ref.namespace ? { namespace: ref.namespace } : {}), name: ref.name }
    }
    report(o.apiVersion, o.kind, offsetOf.get(o) ?? 0, meta)
  }
  visit(value)
  return true
}

const candidates = new Map<number, RegExp>()

/** Matches any apiVersion (JSON-escaped `\/` too) no longer served at the target. */
function candidatePattern(targetMinor: number): RegExp {
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
 * Scans objects that were already parsed (their apiVersion is what their author wrote, unlike
 * objects listed from a cluster). `List` kinds are expanded. No file locations.
 */
export function scanObjects(objects: readonly unknown[], options: ManifestScanOptions): ManifestScanResult {
  const targetMinor = parseMinor(options.target)
  const result: ManifestScanResult = {
    findings: [],
    documents: objects.length,
    parsedDocuments: objects.length,
    objects: 0,
  }
  const visit = (o: unknown): void => {
    if (!isKubeObject(o)) return
    if (o.kind.endsWith('List') && Array.isArray(o.items)) {
      for (const item of o.items) visit(item)
      return
    }
    result.objects++
    const entry = removedAt(o.apiVersion, o.kind, targetMinor)
    if (!entry) return
    result.findings.push(
      removedApiFinding(
        entry,
        refOf(o as KubeObject & { apiVersion: string; kind: string }, options.defaultNamespace),
        {
          targetMinor,
          source: options.source ?? 'manifest',
          ...(options.cluster !== undefined ? { cluster: options.cluster } : {}),
          ...(options.helmRelease ? { helmRelease: options.helmRelease } : {}),
        },
      ),
    )
  }
  for (const o of objects) visit(isRecord(o) ? o : undefined)
  return result
}

function get(map: YAMLMap, key: string): Node | undefined {
  for (const pair of map.items) {
    const k = pair.key
    if (isScalar(k) && k.value === key) return (pair.value ?? undefined) as Node | undefined
  }
  return undefined
}

function header(map: YAMLMap): { apiVersion: string; kind: string; apiVersionOffset: number } | undefined {
  let apiVersion: string | undefined
  let kind: string | undefined
  let apiVersionOffset = 0
  for (const pair of map.items) {
    const k = pair.key
    if (!isScalar(k)) continue
    const v = pair.value
    if (k.value === 'apiVersion' && isScalar(v) && typeof v.value === 'string') {
      apiVersion = v.value
      apiVersionOffset = v.range?.[0] ?? k.range?.[0] ?? 0
    } else if (k.value === 'kind' && isScalar(v) && typeof v.value === 'string') {
      kind = v.value
    }
    if (apiVersion !== undefined && kind !== undefined) return { apiVersion, kind, apiVersionOffset }
  }
  return undefined
}

/** `original`: the text before template neutralising, to show `{{ … }}` names as written. */
function metadataOf(
  map: YAMLMap,
  defaultNamespace: string | undefined,
  original?: string,
): { namespace?: string; name: string } {
  const meta = get(map, 'metadata')
  let name: string | undefined
  let generateName: string | undefined
  let namespace: string | undefined
  if (meta && isMap(meta)) {
    const scalar = (key: string): string | undefined => {
      const v = get(meta as YAMLMap, key)
      if (original && isScalar(v) && v.range) {
        const raw = original.slice(v.range[0], v.range[1]).trim()
        if (raw.includes('{{')) return raw
      }
      return isScalar(v) && (typeof v.value === 'string' || typeof v.value === 'number') && v.value !== ''
        ? String(v.value)
        : undefined
    }
    name = scalar('name')
    generateName = scalar('generateName')
    namespace = scalar('namespace')
  }
  namespace ??= defaultNamespace
  return {
    ...(namespace ? { namespace } : {}),
    name: name ?? (generateName ? `${generateName}*` : '(unnamed)'),
  }
}

/** `# Source: chart/templates/x.yaml` (Helm's marker above each rendered document). */
function sourceComment(comment: string | null | undefined): string | undefined {
  if (!comment) return undefined
  for (const line of comment.split('\n')) {
    const m = /^\s*Source:\s*(\S.*?)\s*$/.exec(line)
    if (m) return m[1]
  }
  return undefined
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

type Where = { line: number; col: number } | undefined

function syntaxFinding(
  file: string,
  doc: number,
  message: string,
  errors: number,
  where: Where,
  options: ManifestScanOptions,
): Finding {
  const firstLine = message.split('\n')[0] ?? message
  const more = errors > 1 ? ` (${errors} errors in this document; the first is shown)` : ''
  const inRelease = options.helmRelease
    ? `in the manifest of Helm release ${options.helmRelease.namespace}/${options.helmRelease.name} `
    : ''
  return {
    ruleId: SYNTAX_RULE,
    severity: 'warning',
    ...(options.cluster !== undefined ? { cluster: options.cluster } : {}),
    ...(where ? { location: { file, ...where } } : {}),
    message: `YAML syntax error ${inRelease}in document ${doc}: ${firstLine}${more}. The document was not scanned.`,
    remedy:
      'Fix the YAML (kubectl apply rejects it too), or keep files that are not Kubernetes manifests out of the scanned directory.',
    details: { document: doc, errors },
  }
}

function templateFinding(file: string, where: Where, options: ManifestScanOptions): Finding {
  return {
    ruleId: TEMPLATE_RULE,
    severity: 'info',
    ...(options.cluster !== undefined ? { cluster: options.cluster } : {}),
    ...(where ? { location: { file, ...where } } : {}),
    message:
      'An unrendered template (`{{ … }}`) could not be read as YAML; documents that failed to parse were not scanned.',
    remedy:
      'Scan the rendered output instead: helm template <chart> > rendered.yaml, then point --manifests at it.',
  }
}
