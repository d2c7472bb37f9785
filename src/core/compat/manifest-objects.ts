// Reading Kubernetes objects from parsed manifests: the header (apiVersion, kind) and metadata
// of a YAML mapping, Helm's `# Source:` comment, and JSON files read with JSON.parse with
// locations from their `"apiVersion"` keys. Pure.

import { isMap, isScalar, type Node, type YAMLMap } from 'yaml'
import { isKubeObject, isRecord, refOf } from './objects.js'

export type MetaRef = { namespace?: string; name: string }
export type Report = (
  apiVersion: string,
  kind: string,
  at: number,
  meta: () => MetaRef,
  template?: string,
) => void

export function get(map: YAMLMap, key: string): Node | undefined {
  for (const pair of map.items) {
    const k = pair.key
    if (isScalar(k) && k.value === key) return (pair.value ?? undefined) as Node | undefined
  }
  return undefined
}

export function header(
  map: YAMLMap,
): { apiVersion: string; kind: string; apiVersionOffset: number } | undefined {
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
export function metadataOf(
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
export function sourceComment(comment: string | null | undefined): string | undefined {
  if (!comment) return undefined
  for (const line of comment.split('\n')) {
    const m = /^\s*Source:\s*(\S.*?)\s*$/.exec(line)
    if (m) return m[1]
  }
  return undefined
}

const JSON_API_VERSION = /"apiVersion"\s*:\s*"((?:[^"\\]|\\.)*)"/g

/**
 * A JSON document (one object, or a List of objects): parsed with JSON.parse, each object's
 * location taken from the n-th `"apiVersion": "…"` in the text, which is the n-th apiVersion
 * string met in a depth-first walk of the parsed value. Returns false (use the YAML parser)
 * when the text is not plain JSON or the two sequences disagree (duplicate keys, numeric keys).
 */
export function scanJson(text: string, report: Report, defaultNamespace: string | undefined): boolean {
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
