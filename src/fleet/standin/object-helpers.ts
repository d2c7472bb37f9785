// Reads and writes of DKP objects several commands share: version parsing, the HelmRelease
// API served, spec patches through the writer, app ids, failed releases, the release table's
// HelmReleases, workspace namespaces and a cluster's CAPI Cluster.

import type { Kube } from '../../effects/kube.js'
import { type AnyObject, API, dig, getCondition, helmReleaseConverged, PROVIDER_LABEL } from '../objects.js'
import { appHelmReleases } from '../release-table.js'
import { CliError } from './command.js'
import type { Writer } from './session.js'

export function minorOf(v: string): [number, number, number] {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v)
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0]
}

export function helmApiOf(kube: Kube): Promise<string> {
  return kube.hasResource(API.helm, 'HelmRelease').then((ok) => (ok ? API.helm : API.helmV1))
}

export async function patchIfChanged(
  w: Writer,
  kube: Kube,
  obj: AnyObject,
  patch: Record<string, unknown>,
  changed: boolean,
): Promise<boolean> {
  if (!changed) return false
  const annotations = w.annotations
  await w.write(() =>
    kube.patchMerge(obj.apiVersion, obj.kind, obj.metadata.name as string, obj.metadata.namespace, {
      ...patch,
      ...(annotations ? { metadata: { annotations } } : {}),
    }),
  )
  return true
}

export function appIdOf(
  kube: Kube,
  ref: { kind: string; name: string } | undefined,
  ns: string | undefined,
): Promise<string | undefined> {
  if (!ref) return Promise.resolve(undefined)
  const get =
    ref.kind === 'ClusterApp'
      ? kube.get(API.apps, 'ClusterApp', ref.name)
      : kube.get(API.apps, 'App', ref.name, ns)
  return get.then((app) => dig<string>(app, 'spec', 'appId') ?? ref.name.replace(/-v?\d+\.\d+\.\d+.*$/, ''))
}

/** A HelmRelease whose attempt at its spec version failed (Ready=False): the CLI gives up. */
export function throwIfFailed(h: AnyObject): void {
  const ready = getCondition(h, 'Ready')
  if (
    ready?.status === 'False' &&
    dig(h, 'status', 'lastAttemptedRevision') === dig(h, 'spec', 'chart', 'spec', 'version')
  ) {
    throw new CliError(
      `HelmRelease ${h.metadata.namespace}/${h.metadata.name} failed: ${ready.message ?? ready.reason ?? ''}`,
    )
  }
}

/**
 * True once every HelmRelease the release table lists for the apps (appId, version) exists in
 * `ns` at its chart version with the listed values and is released (dynamic ones, by chart,
 * where they exist); else what is missing.
 */
export function releasedAsListed(
  hrs: readonly AnyObject[],
  ns: string,
  apps: readonly (readonly [string, string])[],
  tag: string | undefined,
  kind: 'platform' | 'catalog' = 'platform',
): true | string {
  for (const [appId, version] of apps) {
    for (const row of appHelmReleases(kind, appId, version, tag).rows) {
      if (!row.chartVersion) continue
      const matching = row.dynamic
        ? hrs.filter((h) => dig(h, 'spec', 'chart', 'spec', 'chart') === row.chart)
        : hrs.filter((h) => h.metadata.name === row.name)
      if (!row.dynamic && matching.length === 0) return `HelmRelease ${ns}/${row.name} missing`
      for (const h of matching) {
        const values = (dig<{ name?: string }[]>(h, 'spec', 'valuesFrom') ?? []).map((v) => v.name)
        if (
          dig(h, 'spec', 'chart', 'spec', 'version') !== row.chartVersion ||
          (row.values ?? []).some((v) => !values.includes(v)) ||
          !helmReleaseConverged(h)
        )
          return `HelmRelease ${ns}/${h.metadata.name} not released at ${row.chartVersion}`
      }
    }
  }
  return true
}

export async function workspaceNamespaces(
  kube: Kube,
  name: string,
): Promise<{ ns: string; projects: { name: string; ns: string }[] }> {
  const ws = await kube.get(API.workspaces, 'Workspace', name)
  if (!ws) throw new CliError(`workspace "${name}" not found`)
  const ns = dig<string>(ws, 'status', 'namespaceRef', 'name') ?? dig<string>(ws, 'spec', 'namespaceName')
  if (!ns) throw new CliError(`workspace "${name}" has no namespace yet`)
  const projects = (await kube.list(API.workspaces, 'Project', { namespace: ns })).map((p) => ({
    name: p.metadata.name as string,
    ns: dig<string>(p, 'status', 'namespaceRef', 'name') ?? dig<string>(p, 'spec', 'namespaceName') ?? '',
  }))
  return { ns, projects: projects.filter((p) => p.ns) }
}

export async function clusterOf(kube: Kube, name: string, ns: string, provider: string): Promise<AnyObject> {
  const cluster = await kube.get(API.cluster, 'Cluster', name, ns)
  if (!cluster)
    throw new CliError(
      `failed to get Cluster: clusters.cluster.x-k8s.io "${name}" not found in namespace "${ns}"`,
    )
  const actual = cluster.metadata.labels?.[PROVIDER_LABEL]
  if (actual && actual !== provider) {
    throw new CliError(`cluster "${name}" was created with provider "${actual}", not "${provider}"`)
  }
  return cluster
}
