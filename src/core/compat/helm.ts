// Helm release storage (k8s-compat.md §2): Secrets of type helm.sh/release.v1 named
// sh.helm.release.v1.<release>.v<rev>, labels owner=helm, name, status, version; data.release
// is base64(gzip(JSON)) and Secret data is base64 again in the API (the ConfigMap driver
// stores it once). Only the newest `deployed` revision of each release is scanned. Pure:
// gzip is computation, the objects come from the caller.
//
// Release storage is tenant data (anyone who can write a Secret on a workload cluster), so one
// release costs bounded memory and time whatever it holds: at most MAX_RELEASE_BYTES after
// gunzip, the record walked without building its JSON value (helm-record.ts), the manifest read
// line by line in chunks (release-scan.ts). Over-limit input is a finding, never a crash.

import { gunzipSync } from 'node:zlib'
import type { Finding } from '../findings.js'
import { manifestChunks, type ReleaseRecord, readReleaseRecord } from './helm-record.js'
import type { ManifestScanResult } from './manifest-scan.js'
import { isRecord, type KubeObject, labelOf, metaOf } from './objects.js'
import { scanReleaseManifest } from './release-scan.js'

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

/**
 * A decoded release larger than this is refused (a gzip bomb or not a Helm release). Helm's own
 * records fit a 1 MiB Secret gzip'd; this allows a compression ratio over 20.
 */
export const MAX_RELEASE_BYTES = 16 * 1024 * 1024

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

function fromBase64(text: string, what: string): Buffer {
  const compact = text.replace(/\s+/g, '')
  if (compact.length % 4 === 1 || !BASE64.test(compact)) throw new Error(`${what} is not base64`)
  return Buffer.from(compact, 'base64')
}

/**
 * The release record's JSON bytes from `data.release` exactly as the API returns it: for a
 * Secret (default) base64 of the storage string, for a ConfigMap the storage string itself. The
 * storage string is base64 of gzip'd JSON (or of plain JSON in old records).
 */
export function decodeHelmStorage(data: string, driver: HelmDriver = 'secret'): Buffer {
  const storage = driver === 'secret' ? fromBase64(data, 'Secret data.release').toString('latin1') : data
  let bytes = fromBase64(storage, 'the Helm release record')
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    // An honest gzip member ends with its size mod 2^32: refuse a record that says it is over the
    // limit without inflating it. A forged trailer is still stopped by maxOutputLength.
    const declared = bytes.length >= 18 ? bytes.readUInt32LE(bytes.length - 4) : 0
    if (declared > MAX_RELEASE_BYTES)
      throw new Error(
        `the Helm release record expands beyond ${MAX_RELEASE_BYTES} bytes (the limit): its gzip trailer says ${declared}`,
      )
    try {
      // 1 MiB output chunks: a few large buffers rather than a thousand 16 KiB ones (the peak
      // RSS of the latter grew with allocator fragmentation on a busy machine).
      bytes = gunzipSync(bytes, { maxOutputLength: MAX_RELEASE_BYTES, chunkSize: 1024 * 1024 })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
        throw new Error(`the Helm release record expands beyond ${MAX_RELEASE_BYTES} bytes (the limit)`)
      throw new Error(`the Helm release record does not gunzip: ${(err as Error).message}`)
    }
  } else if (bytes.length > MAX_RELEASE_BYTES) {
    throw new Error(`the Helm release record is larger than ${MAX_RELEASE_BYTES} bytes (the limit)`)
  }
  return bytes
}

/** Decodes a Helm release record (see decodeHelmStorage), manifest included. */
export function decodeHelmRelease(data: string, driver: HelmDriver = 'secret'): HelmRelease {
  const bytes = decodeHelmStorage(data, driver)
  const record = readRecord(bytes)
  return {
    ...releaseOf(record),
    manifest: record.manifest ? [...manifestChunks(bytes, record.manifest)].join('') : '',
  }
}

function readRecord(bytes: Buffer): ReleaseRecord {
  const record = readReleaseRecord(bytes)
  if (typeof record.name !== 'string') throw new Error('the Helm release record has no release name')
  return record
}

function releaseOf(r: ReleaseRecord): Omit<HelmRelease, 'manifest'> {
  return {
    name: r.name!,
    namespace: r.namespace ?? '',
    version: r.version ?? 0,
    status: r.status ?? '',
    ...(r.chartName !== undefined
      ? { chart: `${r.chartName}${r.chartVersion !== undefined ? `-${r.chartVersion}` : ''}` }
      : {}),
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
    let bytes: Buffer
    let record: ReleaseRecord
    try {
      if (typeof data !== 'string') throw new Error('it has no data.release')
      bytes = decodeHelmStorage(data, driver)
      record = readRecord(bytes)
    } catch (err) {
      result.findings.push(undecodable(o, id, ctx.cluster, (err as Error).message))
      continue
    }
    const release = releaseOf(record)
    const namespace = release.namespace || id.namespace
    let scan: ManifestScanResult
    try {
      scan = scanReleaseManifest(record.manifest ? manifestChunks(bytes, record.manifest) : [], {
        target: ctx.target,
        cluster: ctx.cluster,
        helmRelease: { namespace, name: release.name, revision: release.version || id.revision },
        defaultNamespace: namespace,
      })
    } catch (err) {
      result.findings.push(undecodable(o, id, ctx.cluster, (err as Error).message))
      continue
    }
    result.releases++
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
