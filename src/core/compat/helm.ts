// Helm release storage (k8s-compat.md §2): Secrets of type helm.sh/release.v1 named
// sh.helm.release.v1.<release>.v<rev>, labels owner=helm, name, status, version; data.release
// is base64(gzip(JSON)) and Secret data is base64 again in the API (the ConfigMap driver
// stores it once). Only the newest `deployed` revision of each release is scanned. Pure:
// gzip is computation, the objects come from the caller.

import { gunzipSync } from 'node:zlib'
import type { Finding } from '../findings.js'
import { type ManifestScanResult, scanManifestText } from './manifest-scan.js'
import { isRecord, type KubeObject, labelOf, metaOf } from './objects.js'

export interface HelmRelease {
  name: string
  namespace: string
  /** Revision number. */
  version: number
  /** `deployed`, `superseded`, `failed`, … (from the release JSON's info.status). */
  status: string
  /** `<chart name>-<chart version>` when present. */
  chart?: string
  /** The rendered multi-document YAML the release applied. */
  manifest: string
}

export type HelmDriver = 'secret' | 'configmap'

export const HELM_UNDECODABLE_RULE = 'helm-release-undecodable'

/** A decoded release larger than this is refused (a gzip bomb or not a Helm release). */
const MAX_RELEASE_BYTES = 64 * 1024 * 1024

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

function fromBase64(text: string, what: string): Buffer {
  const compact = text.replace(/\s+/g, '')
  if (compact.length % 4 === 1 || !BASE64.test(compact)) throw new Error(`${what} is not base64`)
  return Buffer.from(compact, 'base64')
}

/**
 * Decodes a Helm release record. `data` is the value of `data.release` exactly as the API
 * returns it: for a Secret (default) base64 of the storage string, for a ConfigMap the storage
 * string itself. The storage string is base64 of gzip'd JSON (or of plain JSON in old records).
 */
export function decodeHelmRelease(data: string, driver: HelmDriver = 'secret'): HelmRelease {
  const storage = driver === 'secret' ? fromBase64(data, 'Secret data.release').toString('latin1') : data
  let bytes = fromBase64(storage, 'the Helm release record')
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: MAX_RELEASE_BYTES })
    } catch (err) {
      throw new Error(`the Helm release record does not gunzip: ${(err as Error).message}`)
    }
  }
  let json: unknown
  try {
    json = JSON.parse(bytes.toString('utf8'))
  } catch {
    throw new Error('the Helm release record is not JSON (after base64 and gzip)')
  }
  if (!isRecord(json) || typeof json.name !== 'string')
    throw new Error('the Helm release record has no release name')
  const info = isRecord(json.info) ? json.info : {}
  const chartMeta = isRecord(json.chart) && isRecord(json.chart.metadata) ? json.chart.metadata : undefined
  return {
    name: json.name,
    namespace: typeof json.namespace === 'string' ? json.namespace : '',
    version: typeof json.version === 'number' ? json.version : 0,
    status: typeof info.status === 'string' ? info.status : '',
    ...(chartMeta && typeof chartMeta.name === 'string'
      ? { chart: `${chartMeta.name}${typeof chartMeta.version === 'string' ? `-${chartMeta.version}` : ''}` }
      : {}),
    manifest: typeof json.manifest === 'string' ? json.manifest : '',
  }
}

const STORAGE_NAME = /^sh\.helm\.release\.v1\.(.+)\.v(\d+)$/

/** Release name and revision of a storage object, from its labels or its name. */
export function storageIdentity(
  o: KubeObject,
): { namespace: string; release: string; revision: number } | undefined {
  const meta = metaOf(o)
  const objectName = typeof meta.name === 'string' ? meta.name : ''
  const parsed = STORAGE_NAME.exec(objectName)
  const release = labelOf(o, 'name') ?? parsed?.[1]
  const revision = Number(labelOf(o, 'version') ?? parsed?.[2])
  if (!release || !Number.isInteger(revision)) return undefined
  return { namespace: typeof meta.namespace === 'string' ? meta.namespace : '', release, revision }
}

/** Whether an object is Helm release storage (a helm.sh/release.v1 Secret or an owner=helm ConfigMap). */
export function isHelmStorage(o: KubeObject): boolean {
  if (o.kind === 'Secret') return o.type === 'helm.sh/release.v1'
  if (o.kind === 'ConfigMap') return labelOf(o, 'owner') === 'helm'
  return false
}

/**
 * The newest `deployed` revision of each release (by namespace and release name); superseded,
 * failed and stale older `deployed` revisions are dropped (pluto#512, #564). Output order:
 * namespace, release.
 */
export function latestDeployedReleases<T extends KubeObject>(storage: readonly T[]): T[] {
  const newest = new Map<string, { o: T; revision: number }>()
  for (const o of storage) {
    if (!isHelmStorage(o) || labelOf(o, 'status') !== 'deployed') continue
    const id = storageIdentity(o)
    if (!id) continue
    const key = `${id.namespace}\u0000${id.release}`
    const seen = newest.get(key)
    if (!seen || id.revision > seen.revision) newest.set(key, { o, revision: id.revision })
  }
  return [...newest.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v.o)
}

export interface HelmScanContext {
  cluster: string
  target: number | string
}

export interface HelmScanResult extends ManifestScanResult {
  releases: number
}

/**
 * Scans the newest deployed revision of every release in `storage` (Secrets and/or ConfigMaps
 * as listed from a cluster). A record that cannot be decoded is a warning, not a crash.
 */
export function scanHelmReleases(storage: readonly KubeObject[], ctx: HelmScanContext): HelmScanResult {
  const result: HelmScanResult = { findings: [], documents: 0, parsedDocuments: 0, objects: 0, releases: 0 }
  for (const o of latestDeployedReleases(storage)) {
    const id = storageIdentity(o)!
    const data = isRecord(o.data) ? o.data.release : undefined
    const driver: HelmDriver = o.kind === 'ConfigMap' ? 'configmap' : 'secret'
    let release: HelmRelease
    try {
      if (typeof data !== 'string') throw new Error('it has no data.release')
      release = decodeHelmRelease(data, driver)
    } catch (err) {
      result.findings.push(undecodable(o, id, ctx.cluster, (err as Error).message))
      continue
    }
    result.releases++
    const namespace = release.namespace || id.namespace
    const scan = scanManifestText(release.manifest, `helm:${namespace}/${release.name}`, {
      target: ctx.target,
      source: 'helm-release',
      cluster: ctx.cluster,
      helmRelease: { namespace, name: release.name, revision: release.version || id.revision },
      defaultNamespace: namespace,
    })
    result.findings.push(...scan.findings)
    result.documents += scan.documents
    result.parsedDocuments += scan.parsedDocuments
    result.objects += scan.objects
  }
  return result
}

function undecodable(
  o: KubeObject,
  id: { namespace: string; release: string; revision: number },
  cluster: string,
  reason: string,
): Finding {
  const meta = metaOf(o)
  return {
    ruleId: HELM_UNDECODABLE_RULE,
    severity: 'warning',
    cluster,
    object: {
      apiVersion: typeof o.apiVersion === 'string' ? o.apiVersion : 'v1',
      kind: typeof o.kind === 'string' ? o.kind : 'Secret',
      ...(id.namespace ? { namespace: id.namespace } : {}),
      name: typeof meta.name === 'string' ? meta.name : `sh.helm.release.v1.${id.release}.v${id.revision}`,
    },
    message: `Helm release ${id.namespace}/${id.release} (revision ${id.revision}) could not be read: ${reason}. Its manifest was not scanned for removed APIs.`,
    remedy: `Inspect it with helm get manifest ${id.release} -n ${id.namespace} and check its apiVersions by hand.`,
    details: { helmRelease: `${id.namespace}/${id.release}`, helmRevision: id.revision },
  }
}
