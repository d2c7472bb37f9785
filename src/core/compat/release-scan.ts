// The removed-API scan of a Helm release's rendered manifest (tenant data) in bounded memory and
// time: the manifest arrives in chunks and is read line by line. Helm renders block-style YAML,
// so a document's `apiVersion:` and `kind:` are lines at column 0 and its name and namespace are
// the first-level keys under a column-0 `metadata:`; these are read from the lines without a
// YAML parser. Only a document that mentions a removed apiVersion but whose header the lines do
// not give (flow style, a List, tags, anchors) is parsed, with the YAML parser, and only when it
// is at most 64 KiB and the release's parse budget (256 KiB) is not spent; otherwise it is
// reported as not scanned. At most 100 removed-API findings are kept per release; the rest are
// counted in one `helm-release-partial` finding. Lines are cut at 4 KiB (a header line is
// short). Pure.

import type { Finding } from '../findings.js'
import type { ManifestScanResult } from './manifest-scan.js'
import { scanManifestText } from './manifest-scan.js'
import { candidatePattern } from './manifest-text.js'
import { type HelmReleaseRef, removedApiFinding } from './removed-finding.js'
import { parseMinor, removedAt } from './table.js'

export const HELM_PARTIAL_RULE = 'helm-release-partial'

/** Removed-API findings kept per release. */
export const MAX_FINDINGS_PER_RELEASE = 100
/** A document parsed with the YAML parser is at most this long… */
export const MAX_PARSED_DOCUMENT = 64 * 1024
/** …and all parsed documents of one release at most this long together. */
export const MAX_PARSED_PER_RELEASE = 256 * 1024
/** Longer lines are cut (only their start can hold a header key). */
const MAX_LINE = 4096

export interface ReleaseScanOptions {
  target: number | string
  cluster?: string
  helmRelease: HelmReleaseRef
  /** The release's namespace (objects that name none). */
  defaultNamespace: string
}

interface Doc {
  lines: string[] | undefined
  bytes: number
  content: boolean
  apiVersion?: string
  kind?: string
  name?: string
  generateName?: string
  namespace?: string
  template?: string
  /** The header is not plain block style: the lines cannot tell it. */
  opaque: boolean
  inMetadata: boolean
  metaIndent: number
  metadataFlow: boolean
  candidate: boolean
}

const MARKER = /^(?:---|\.\.\.)(?:[ \t]|$)/
const TOP_KEY = /^(["']?)(apiVersion|kind|metadata)\1[ \t]*:(?:[ \t]+(.*))?$/
const META_KEY = /^(["']?)(name|namespace|generateName)\1[ \t]*:(?:[ \t]+(.*))?$/

/** Scans a manifest given as decoded text chunks. */
export function scanReleaseManifest(
  chunks: Iterable<string>,
  options: ReleaseScanOptions,
): ManifestScanResult {
  return new ReleaseScan(options).run(chunks)
}

const freshDoc = (): Doc => ({
  lines: [],
  bytes: 0,
  content: false,
  opaque: false,
  inMetadata: false,
  metaIndent: -1,
  metadataFlow: false,
  candidate: false,
})

/** One release's scan: the document being read, what was found, the budgets spent. */
class ReleaseScan {
  readonly targetMinor: number
  readonly candidate: RegExp
  readonly result: ManifestScanResult = { findings: [], documents: 0, parsedDocuments: 0, objects: 0 }
  removed = 0
  parsedBytes = 0
  readonly unscanned: string[] = []
  unscannedCount = 0
  doc = freshDoc()

  constructor(readonly options: ReleaseScanOptions) {
    this.targetMinor = parseMinor(options.target)
    this.candidate = candidatePattern(this.targetMinor)
  }

  run(chunks: Iterable<string>): ManifestScanResult {
    let carry = ''
    let carryLong = false
    for (const chunk of chunks) {
      let start = 0
      for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
        const piece = chunk.slice(start, nl)
        const whole = carryLong ? carry : carry + piece
        this.onLine(cut(whole), carryLong || whole.length > MAX_LINE)
        carry = ''
        carryLong = false
        start = nl + 1
      }
      if (!carryLong) {
        const rest = carry + chunk.slice(start)
        carryLong = rest.length > MAX_LINE
        carry = cut(rest)
      }
    }
    if (carry !== '' || carryLong) this.onLine(carry, carryLong)
    this.endDoc()
    const partial = this.partialFinding()
    if (partial) this.result.findings.push(partial)
    return this.result
  }

  private addFinding(f: Finding): void {
    if (this.removed++ < MAX_FINDINGS_PER_RELEASE) this.result.findings.push(f)
  }

  /** The document through the YAML parser (it is at most MAX_PARSED_DOCUMENT long). */
  private parse(d: Doc): void {
    const { options, result } = this
    this.parsedBytes += d.bytes
    const r = scanManifestText(
      d.lines!.join('\n'),
      `helm:${options.helmRelease.namespace}/${options.helmRelease.name}`,
      {
        target: options.target,
        source: 'helm-release',
        ...(options.cluster !== undefined ? { cluster: options.cluster } : {}),
        helmRelease: options.helmRelease,
        defaultNamespace: options.defaultNamespace,
      },
    )
    result.parsedDocuments += r.parsedDocuments
    result.objects += r.objects
    for (const f of r.findings) this.addFinding(f)
  }

  private affordable(d: Doc): boolean {
    return d.lines !== undefined && this.parsedBytes + d.bytes <= MAX_PARSED_PER_RELEASE
  }

  private endDoc(): void {
    const d = this.doc
    this.doc = freshDoc()
    if (!d.content) return
    this.result.documents++
    const headerKnown =
      d.apiVersion !== undefined && d.kind !== undefined && !d.opaque && !d.kind.endsWith('List')
    if (headerKnown) {
      this.fromHeader(d)
      return
    }
    if (!d.candidate) return // mentions no removed apiVersion: cannot hold a finding
    if (this.affordable(d)) {
      this.parse(d)
      return
    }
    this.unscannedCount++
    if (this.unscanned.length < 5)
      this.unscanned.push(
        `document ${this.result.documents}${d.kind ? ` (${d.kind})` : ''}: ${d.lines ? 'over the parse budget' : `over ${MAX_PARSED_DOCUMENT / 1024} KiB`}`,
      )
  }

  /** A document whose header the lines gave: a finding when its apiVersion is removed. */
  private fromHeader(d: Doc): void {
    const { options } = this
    const entry = removedAt(d.apiVersion!, d.kind!, this.targetMinor)
    // `metadata: { name: … }` in flow style: the parser gives the name, when affordable.
    if (entry && d.metadataFlow && this.affordable(d)) {
      this.parse(d)
      return
    }
    this.result.objects++
    if (!entry) return
    const namespace = d.namespace ?? options.defaultNamespace
    this.addFinding(
      removedApiFinding(
        entry,
        {
          apiVersion: d.apiVersion!,
          kind: d.kind!,
          ...(namespace ? { namespace } : {}),
          name: d.name ?? (d.generateName ? `${d.generateName}*` : '(unnamed)'),
        },
        {
          targetMinor: this.targetMinor,
          source: 'helm-release',
          ...(options.cluster !== undefined ? { cluster: options.cluster } : {}),
          helmRelease: options.helmRelease,
          ...(d.template ? { template: d.template } : {}),
        },
      ),
    )
  }

  private onLine(raw: string, truncated: boolean): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (MARKER.test(line)) {
      this.onMarker(line, truncated)
      return
    }
    const doc = this.doc
    if (truncated) doc.lines = undefined // the parser must not see a cut line
    keep(doc, line)
    if (this.candidate.test(line)) doc.candidate = true
    const trimmed = line.trimStart()
    if (trimmed === '') return
    if (trimmed.startsWith('#')) {
      if (!doc.content && doc.template === undefined) {
        const m = /^#\s*Source:\s*(\S.*?)\s*$/.exec(trimmed)
        if (m) doc.template = m[1]
      }
      return
    }
    doc.content = true
    const indent = line.length - trimmed.length
    if (indent > 0) onIndented(doc, line, trimmed, indent)
    else onTopLevel(doc, line)
  }

  private onMarker(line: string, truncated: boolean): void {
    this.endDoc()
    const doc = this.doc
    const rest = line.slice(3).trim()
    if (rest !== '' && !rest.startsWith('#')) {
      doc.content = true
      doc.opaque = true // content on the marker line (`--- |`, `--- {…}`)
      if (this.candidate.test(line)) doc.candidate = true
    }
    if (truncated) doc.lines = undefined
    keep(doc, line)
  }

  /** Too many findings, or documents that could not be read: one finding saying what was left out. */
  private partialFinding(): Finding | undefined {
    const { removed, unscannedCount, options } = this
    if (removed <= MAX_FINDINGS_PER_RELEASE && unscannedCount === 0) return undefined
    const parts: string[] = []
    if (removed > MAX_FINDINGS_PER_RELEASE)
      parts.push(
        `${removed} objects with removed APIs; the first ${MAX_FINDINGS_PER_RELEASE} are reported, ${removed - MAX_FINDINGS_PER_RELEASE} more are not`,
      )
    if (unscannedCount > 0)
      parts.push(
        `${unscannedCount} document(s) mention a removed apiVersion but are not plain block YAML and too large to parse (${this.unscanned.join('; ')}${unscannedCount > this.unscanned.length ? '; …' : ''})`,
      )
    const ref = options.helmRelease
    return {
      ruleId: HELM_PARTIAL_RULE,
      severity: 'warning',
      ...(options.cluster !== undefined ? { cluster: options.cluster } : {}),
      object: {
        apiVersion: 'v1',
        kind: 'Secret',
        namespace: ref.namespace,
        name: `sh.helm.release.v1.${ref.name}.v${ref.revision}`,
      },
      message: `Helm release ${ref.namespace}/${ref.name} (revision ${ref.revision}) was not scanned in full: ${parts.join('; ')}.`,
      remedy: `Inspect it with helm get manifest ${ref.name} -n ${ref.namespace} and check its apiVersions by hand.`,
      details: {
        helmRelease: `${ref.namespace}/${ref.name}`,
        helmRevision: ref.revision,
        removedApiObjects: removed,
        unscannedDocuments: unscannedCount,
      },
    }
  }
}

/** An indented line: a first-level key under a column-0 `metadata:` (name, namespace, generateName). */
function onIndented(doc: Doc, line: string, trimmed: string, indent: number): void {
  if (/\t/.test(line.slice(0, indent))) doc.opaque = true
  if (!doc.inMetadata) return
  if (doc.metaIndent < 0) doc.metaIndent = indent
  if (indent !== doc.metaIndent) return
  const m = META_KEY.exec(trimmed)
  if (!m) return
  const value = scalar(m[3])
  if (value === undefined) return
  if (m[2] === 'name') doc.name ??= value
  else if (m[2] === 'namespace') doc.namespace ??= value
  else doc.generateName ??= value
}

/** A column-0 line: apiVersion, kind or metadata; anything else not plain block style makes the header opaque. */
function onTopLevel(doc: Doc, line: string): void {
  doc.inMetadata = false
  const m = TOP_KEY.exec(line)
  if (!m) {
    // a top-level sequence, flow mapping, directive, tag or anchor: not plain block style
    if (!/^[A-Za-z0-9_"'.-]/.test(line) || !/:(?:[ \t]|$)/.test(line)) doc.opaque = true
    return
  }
  if (m[2] === 'metadata') {
    if (m[3] === undefined || m[3].startsWith('#')) doc.inMetadata = true
    else doc.metadataFlow = true
    return
  }
  const value = scalar(m[3])
  if (value === undefined) {
    doc.opaque = true
    return
  }
  if (m[2] === 'apiVersion') doc.apiVersion ??= value
  else doc.kind ??= value
}

/** Adds a line to the document's text while it stays under the parse limit (then drops the text). */
function keep(doc: Doc, line: string): void {
  if (!doc.lines) return
  doc.bytes += line.length + 1
  if (doc.bytes > MAX_PARSED_DOCUMENT) doc.lines = undefined
  else doc.lines.push(line)
}

const cut = (s: string) => (s.length > MAX_LINE ? s.slice(0, MAX_LINE) : s)

/** A plain or quoted scalar as written after `key: `; undefined when it is not one (tags, anchors, flow, block). */
function scalar(text: string | undefined): string | undefined {
  if (text === undefined) return undefined
  const t = text.trim()
  if (t === '' || /^[&*!|>{[@`%]/.test(t)) return undefined
  if (t.startsWith('"')) {
    const m = /^"((?:[^"\\]|\\.)*)"\s*(?:#.*)?$/.exec(t)
    if (!m) return undefined
    try {
      return JSON.parse(`"${m[1]}"`) as string
    } catch {
      return undefined
    }
  }
  if (t.startsWith("'")) {
    const m = /^'((?:[^']|'')*)'\s*(?:#.*)?$/.exec(t)
    return m ? m[1]!.replace(/''/g, "'") : undefined
  }
  const plain = t.replace(/\s+#.*$/, '').trim()
  return plain === '' ? undefined : plain
}
