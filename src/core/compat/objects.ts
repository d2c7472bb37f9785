// Kubernetes objects as read (from files, Helm release storage or a cluster): loose shapes
// and the few accessors the scans need. Pure.

import type { ObjectRef } from '../findings.js'

export interface KubeMetadata {
  name?: unknown
  generateName?: unknown
  namespace?: unknown
  labels?: Record<string, unknown> | null
  annotations?: Record<string, unknown> | null
  [key: string]: unknown
}

/** Any object with (hopefully) apiVersion, kind and metadata; nothing is trusted. */
export interface KubeObject {
  apiVersion?: unknown
  kind?: unknown
  metadata?: KubeMetadata | null
  [key: string]: unknown
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

/** True when the object has a string apiVersion and kind: a Kubernetes object. */
export function isKubeObject(v: unknown): v is KubeObject & { apiVersion: string; kind: string } {
  return isRecord(v) && typeof v.apiVersion === 'string' && typeof v.kind === 'string'
}

export function metaOf(o: KubeObject): KubeMetadata {
  return isRecord(o.metadata) ? (o.metadata as KubeMetadata) : {}
}

export function labelOf(o: KubeObject, key: string): string | undefined {
  const labels = metaOf(o).labels
  return isRecord(labels) ? str(labels[key]) : undefined
}

export function annotationOf(o: KubeObject, key: string): string | undefined {
  const annotations = metaOf(o).annotations
  return isRecord(annotations) ? str(annotations[key]) : undefined
}

/** The display name of an object: `metadata.name`, `<generateName>*`, or `(unnamed)`. */
export function nameOf(o: KubeObject): string {
  const m = metaOf(o)
  return str(m.name) ?? (str(m.generateName) ? `${m.generateName}*` : '(unnamed)')
}

/** An ObjectRef for a Kubernetes object; `defaultNamespace` fills a missing namespace. */
export function refOf(
  o: KubeObject & { apiVersion: string; kind: string },
  defaultNamespace?: string,
): ObjectRef {
  const namespace = str(metaOf(o).namespace) ?? defaultNamespace
  return { apiVersion: o.apiVersion, kind: o.kind, ...(namespace ? { namespace } : {}), name: nameOf(o) }
}

/** API group of an apiVersion: `batch/v1` → `batch`, `v1` → `` (core). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/')
  return slash < 0 ? '' : apiVersion.slice(0, slash)
}
