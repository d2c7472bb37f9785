// Scans manifest text (YAML or JSON, one or many documents, `helm template` output, `List`
// kinds) for objects whose apiVersion is no longer served at the target. Pure: the text comes
// from a file reader or from a decoded Helm release. Text handling: manifest-text.ts; reading
// objects from parsed YAML or JSON: manifest-objects.ts.

import { isMap, isSeq, parseAllDocuments, type YAMLMap } from 'yaml'
import type { Finding } from '../findings.js'
import { scanBlockYaml } from './manifest-block.js'
import { get, header, type MetaRef, metadataOf, scanJson, sourceComment } from './manifest-objects.js'
import {
  blockListItems,
  CONTENT,
  candidatePattern,
  LineIndex,
  neutraliseTemplates,
  segments,
} from './manifest-text.js'
import { isKubeObject, isRecord, type KubeObject, refOf } from './objects.js'
import { type HelmReleaseRef, removedApiFinding, type ScanSource } from './removed-finding.js'
import { parseMinor, removedAt } from './table.js'

export { neutraliseTemplates } from './manifest-text.js'

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
  return new TextScan(text, file, options).run()
}

/** One file's scan: the prepared text, its line index and what was found so far. */
class TextScan {
  readonly targetMinor: number
  readonly source: ScanSource
  readonly inRepo: boolean
  readonly original: string
  readonly templated: boolean
  readonly prepared: string
  readonly result: ManifestScanResult
  readonly lines: LineIndex
  templateReported = false

  constructor(
    text: string,
    readonly file: string,
    readonly options: ManifestScanOptions,
  ) {
    this.targetMinor = parseMinor(options.target)
    this.source = options.source ?? 'manifest'
    this.inRepo = this.source === 'manifest'
    this.original = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
    this.templated = this.original.includes('{{')
    this.prepared = this.templated ? neutraliseTemplates(this.original) : this.original
    this.result = { findings: [], documents: 0, parsedDocuments: 0, objects: 0 }
    this.lines = new LineIndex(this.prepared)
  }

  run(): ManifestScanResult {
    const { prepared, result } = this
    // Directives (%YAML, %TAG) bind to the next document: keep such files whole.
    if (this.options.parseAll || /^%/m.test(prepared)) {
      this.parseSlice(0, prepared.length)
      return result
    }
    if (
      !this.templated &&
      /^\s*\{/.test(prepared) &&
      scanJson(prepared, this.report, this.options.defaultNamespace)
    ) {
      result.documents++
      result.parsedDocuments++
      return result
    }
    const candidate = candidatePattern(this.targetMinor)
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
        if (!this.loadSlice(start, end)) this.parseSlice(start, end)
        continue
      }
      // A block-style List whose header is clean: parse only the items that mention a candidate.
      result.documents++
      result.parsedDocuments++
      const doc = result.documents
      for (const [a, b] of items) {
        if (candidate.test(segment.slice(a, b))) this.parseSlice(start + a, start + b, { doc })
        else result.objects++
      }
    }
    return result
  }

  /** One object seen; a finding when its apiVersion is removed at the target. */
  readonly report = (
    apiVersion: string,
    kind: string,
    at: number,
    meta: () => MetaRef,
    template?: string,
  ): void => {
    const { options } = this
    this.result.objects++
    const entry = removedAt(apiVersion, kind, this.targetMinor)
    if (!entry) return
    this.result.findings.push(
      removedApiFinding(
        entry,
        { apiVersion, kind, ...meta() },
        {
          targetMinor: this.targetMinor,
          source: this.source,
          ...(options.cluster !== undefined ? { cluster: options.cluster } : {}),
          ...(this.inRepo ? { location: { file: this.file, ...this.lines.pos(at) } } : {}),
          ...(options.helmRelease ? { helmRelease: options.helmRelease } : {}),
          ...(template ? { template } : {}),
        },
      ),
    )
  }

  /** The fast path for whole documents (manifest-block.ts): false when the YAML parser must read them. */
  loadSlice(start: number, end: number): boolean {
    if (this.templated) return false
    const n = scanBlockYaml(
      this.prepared.slice(start, end),
      start,
      this.report,
      this.options.defaultNamespace,
    )
    if (n === undefined) return false
    this.result.documents += n
    this.result.parsedDocuments += n
    return true
  }

  /**
   * Parses prepared[start, end) with the YAML parser. `listItems`: the slice is part of a
   * List's `items` sequence (document number `doc`), else it holds whole documents.
   */
  parseSlice(start: number, end: number, listItems?: { doc: number }): void {
    const docs = parseAllDocuments(this.prepared.slice(start, end), {
      prettyErrors: false,
      uniqueKeys: false,
      keepSourceTokens: false,
    })
    const raw = this.templated ? this.original.slice(start, end) : undefined
    const visit = (map: YAMLMap, template: string | undefined): void => {
      const head = header(map)
      if (!head) return
      const items = head.kind.endsWith('List') ? get(map, 'items') : undefined
      if (items && isSeq(items)) {
        for (const item of items.items) if (isMap(item)) visit(item as YAMLMap, template)
        return
      }
      const meta = () => metadataOf(map, this.options.defaultNamespace, raw)
      this.report(head.apiVersion, head.kind, start + head.apiVersionOffset, meta, template)
    }
    for (const doc of docs) {
      if (!listItems) {
        this.result.documents++
        this.result.parsedDocuments++
      }
      const first = doc.errors[0]
      if (first) {
        this.reportError(start + first.pos[0], first.message, doc.errors.length, listItems)
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

  /** A document that does not parse: one template finding per file, else a syntax finding. */
  private reportError(at: number, message: string, errors: number, listItems?: { doc: number }): void {
    const where = this.inRepo ? this.lines.pos(at) : undefined
    if (this.templated) {
      if (!this.templateReported) this.result.findings.push(templateFinding(this.file, where, this.options))
      this.templateReported = true
    } else {
      const n = listItems ? listItems.doc : this.result.documents
      this.result.findings.push(syntaxFinding(this.file, n, message, errors, where, this.options))
    }
  }
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
