// The live removed-API scan of one API server (k8s-compat.md §2), feeding the pure scans of
// src/core/compat with what it reads:
//  - the kinds of the removal table (every row removed at or before the target), each listed
//    once across all namespaces at a version the server serves (the replacement, else the old
//    version while it is still served); kinds the server cannot list (TokenReview, the
//    *SubjectAccessReviews) and Events are left out (Events are written by controllers, never
//    `kubectl apply`'d, and are the largest list on a busy cluster);
//    → `kubectl.kubernetes.io/last-applied-configuration` (scanLastApplied) and kinds in use
//      whose old versions go away between the cluster's version and the target (scanLiveKinds);
//  - Helm release storage: Secrets and ConfigMaps labelled `owner=helm,status=deployed`, one
//    list each with that label selector (only the newest deployed revision is scanned).
// API calls: discovery per group/version plus one list per kind, per server: they grow with
// kinds, never with objects (beyond the 500-object pages of a list).
//
// Reads are cached per client and target, so the check and the custom-apps gate, and clusters
// that share a client, read a server once.

import {
  parseMinor,
  removalsUpTo,
  replacementAt,
  type KubeObject as ScanObject,
  scanHelmReleases,
  scanLastApplied,
  scanLiveKinds,
} from '../core/compat/index.js'
import type { Finding } from '../core/findings.js'
import { scanIncompleteFinding } from '../core/health.js'
import { type AnyObject, type Kube, KubeError } from '../effects/kube.js'
import type { StageEnv } from './types.js'
import { mapLimit } from './workload-kube.js'

/** Kinds of the removal table never listed (see the header). */
const SKIPPED_KINDS = new Set(['Event'])

/** Lists in flight per server. */
const LIST_CONCURRENCY = 6

export const HELM_SELECTOR = 'owner=helm,status=deployed'

export interface ServerRead {
  /** Objects of the removal table's kinds, as listed (apiVersion/kind set on each). */
  objects: AnyObject[]
  /** Helm release storage (deployed revisions): Secrets of type helm.sh/release.v1 and owner=helm ConfigMaps. */
  helmStorage: AnyObject[]
  /** `apiVersion Kind` of every list made. */
  kinds: string[]
  /** Lists that failed for another reason than an unreachable server (RBAC, a broken aggregated API). */
  problems: { what: string; reason: string }[]
}

/** Reads what the removed-API scan needs from one server, once per client and target minor in this environment. */
export function readServer(
  env: Pick<StageEnv, 'memo'>,
  kube: Kube,
  target: string | number,
): Promise<ServerRead> {
  const minor = parseMinor(target)
  return env.memo.onceFor(kube, `removed-api-read:${minor}`, () => read(kube, minor))
}

/** Whether an error means the server could not be reached at all (no HTTP response). */
export const isUnreachable = (err: unknown): boolean =>
  (err instanceof KubeError && err.code === 0) ||
  (err instanceof Error && err.cause instanceof KubeError && err.cause.code === 0)

async function read(kube: Kube, minor: number): Promise<ServerRead> {
  const out: ServerRead = { objects: [], helmStorage: [], kinds: [], problems: [] }
  const kinds = await listableKinds(kube, minor)
  out.kinds = kinds.map(([v, k]) => `${v} ${k}`)
  const lists: { what: string; run: () => Promise<AnyObject[]> }[] = [
    ...kinds.map(([apiVersion, kind]) => ({
      what: `${kind} (${apiVersion})`,
      run: () => kube.list<AnyObject>(apiVersion, kind),
    })),
    {
      what: `Helm release Secrets (${HELM_SELECTOR})`,
      run: async () =>
        (await kube.list<AnyObject>('v1', 'Secret', { labelSelector: HELM_SELECTOR })).filter(
          (s) => s.type === 'helm.sh/release.v1',
        ),
    },
    {
      what: `Helm release ConfigMaps (${HELM_SELECTOR})`,
      run: () => kube.list<AnyObject>('v1', 'ConfigMap', { labelSelector: HELM_SELECTOR }),
    },
  ]
  const results = await mapLimit(lists, LIST_CONCURRENCY, async (l) => {
    try {
      return await l.run()
    } catch (err) {
      if (isUnreachable(err)) throw err
      out.problems.push({ what: l.what, reason: err instanceof Error ? err.message : String(err) })
      return []
    }
  })
  const helmCount = 2
  for (const list of results.slice(0, results.length - helmCount)) out.objects.push(...list)
  for (const list of results.slice(results.length - helmCount)) out.helmStorage.push(...list)
  return out
}

/**
 * `[apiVersion, kind]` pairs to list: for each removal-table row at or before the target, the
 * first version the server serves among the replacement at the target, the row's replacement and
 * the old version itself. Whole-group rows (`*`) list every listable kind of that version.
 */
async function listableKinds(kube: Kube, minor: number): Promise<[string, string][]> {
  const seen = new Set<string>()
  const out: [string, string][] = []
  const add = (apiVersion: string, kind: string) => {
    const key = `${apiVersion} ${kind}`
    if (seen.has(key) || SKIPPED_KINDS.has(kind)) return
    seen.add(key)
    out.push([apiVersion, kind])
  }
  // Whole-group rows need every kind of a version: one discovery request per such version.
  const versions = new Map<string, Promise<{ kind: string; verbs: string[] }[] | undefined>>()
  const discover = (apiVersion: string) => {
    let p = versions.get(apiVersion)
    if (!p) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`
      p = kube.raw<{ resources?: { name: string; kind: string; verbs?: string[] }[] }>('GET', path).then(
        (list) =>
          (list.resources ?? [])
            .filter((r) => !r.name.includes('/'))
            .map((r) => ({ kind: r.kind, verbs: r.verbs ?? [] })),
        (err) => {
          if (err instanceof KubeError && err.code === 404) return undefined
          throw err
        },
      )
      versions.set(apiVersion, p)
    }
    return p
  }
  const rows = removalsUpTo(minor).filter((e) => !SKIPPED_KINDS.has(e.kind))
  const picks = await Promise.all(
    rows.map(async (e) => {
      const candidates = [replacementAt(e, minor)?.apiVersion, e.replacement, e.apiVersion].filter(
        (v, i, all): v is string => !!v && all.indexOf(v) === i,
      )
      for (const apiVersion of candidates) {
        if (e.kind === '*') {
          const resources = await discover(apiVersion)
          if (!resources) continue
          return resources
            .filter((r) => r.verbs.includes('list'))
            .map((r) => [apiVersion, r.kind] as [string, string])
        }
        // The client's own discovery cache: the list that follows reuses it.
        const r = await kube.resource(apiVersion, e.kind)
        if (!r) continue
        return r.verbs.includes('list') ? [[apiVersion, e.kind] as [string, string]] : []
      }
      return []
    }),
  )
  for (const list of picks) for (const [v, k] of list) add(v, k)
  return out
}

/** Objects as read, for the scans (which trust nothing about their shape). */
export const asScanned = (objects: readonly AnyObject[]): readonly ScanObject[] =>
  objects as unknown as readonly ScanObject[]

export interface ServerScan {
  findings: Finding[]
  helmReleases: number
  objects: number
}

/**
 * The removed-API findings of one server's read, attributed to `cluster`: last-applied
 * annotations, kinds in use (when the cluster's version is known) and Helm release storage.
 */
export function scanServer(
  read: ServerRead,
  ctx: { cluster: string; target: string; current?: string },
): ServerScan {
  const findings: Finding[] = []
  findings.push(...scanLastApplied(asScanned(read.objects), { cluster: ctx.cluster, target: ctx.target }))
  if (ctx.current) {
    findings.push(
      ...scanLiveKinds(asScanned(read.objects), {
        cluster: ctx.cluster,
        target: ctx.target,
        current: ctx.current,
      }),
    )
  }
  const helm = scanHelmReleases(asScanned(read.helmStorage), { cluster: ctx.cluster, target: ctx.target })
  findings.push(...helm.findings)
  for (const p of read.problems) findings.push(scanIncompleteFinding(ctx.cluster, p.what, p.reason))
  return { findings, helmReleases: helm.releases, objects: read.objects.length }
}

// ------------------------------------------------------------------------------ per release

const label = (o: AnyObject, key: string) => o.metadata.labels?.[key]
const annotation = (o: AnyObject, key: string) => o.metadata.annotations?.[key]

/** Helm storage of one release (all its stored deployed revisions) in its storage namespace. */
export function releaseStorage(read: ServerRead, namespace: string, release: string): AnyObject[] {
  return read.helmStorage.filter((o) => o.metadata.namespace === namespace && label(o, 'name') === release)
}

/**
 * Objects a Helm release manages: Helm's ownership annotations (`meta.helm.sh/release-name`,
 * `meta.helm.sh/release-namespace`) or Flux's labels (`helm.toolkit.fluxcd.io/name`,
 * `helm.toolkit.fluxcd.io/namespace`) naming the HelmRelease.
 */
export function releaseObjects(
  read: ServerRead,
  release: { name: string; namespace: string },
  helmRelease?: { name: string; namespace: string },
): AnyObject[] {
  return read.objects.filter(
    (o) =>
      (annotation(o, 'meta.helm.sh/release-name') === release.name &&
        annotation(o, 'meta.helm.sh/release-namespace') === release.namespace) ||
      (helmRelease !== undefined &&
        label(o, 'helm.toolkit.fluxcd.io/name') === helmRelease.name &&
        label(o, 'helm.toolkit.fluxcd.io/namespace') === helmRelease.namespace),
  )
}
