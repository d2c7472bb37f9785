// Reading a workspace/managed/attached cluster: its kubeconfig comes from a Secret on the
// management cluster (never from inputs): KommanderCluster `spec.kubeconfigRef` → Secret key
// `value` (CAPI-generated) or `kubeconfig` (attached), else the CAPI `<cluster>-kubeconfig`
// Secret of a Cluster without a KommanderCluster. Its secret fields are masked before use.
//
// Such Secrets are tenant data (whoever attaches a cluster or writes Secrets in a workspace
// namespace). The client is built only from the inline credentials the policy in
// src/core/kubeconfig-policy.ts lets through (https server, CA/client certificate data, token,
// username/password); exec plugins, auth-providers, file paths, proxies and plain http are
// refused with an error naming the Secret, its key and each field, and
// insecure-skip-tls-verify only where the inventory sets `allowInsecureSkipTlsVerify` for the
// cluster. The server's error texts are masked and clipped (Kube.fromInline).
//
// Clients and their cached lists (a Snapshot per cluster) are kept per environment
// (WorkloadClients, closed by whoever made it), so API calls scale with kinds × clusters. Clusters whose Secrets hold the same kubeconfig
// share one client (same content, same server, same answers). An unreachable cluster is an
// error naming the cluster, its server and the Secret.

import { createHash } from 'node:crypto'
import { messageOf, WorkError } from '../core/errors.js'
import { type CapiCluster, K, type KommanderCluster } from '../core/kinds.js'
import {
  type InlineKubeconfig,
  inlineKubeconfig,
  KubeconfigRefusedError,
  MAX_UNTRUSTED_KUBECONFIG_BYTES,
} from '../core/kubeconfig-policy.js'
import { type AnyObject, Kube, KubeError, type KubeObject } from '../effects/kube.js'
import { maskKubeconfig } from '../effects/kubeconfig.js'
import type { Reporter } from '../effects/reporter.js'
import { Snapshot } from './snapshot.js'
import type { StageEnv } from './types.js'

export interface WorkloadCluster {
  /** The cluster's name (KommanderCluster / CAPI Cluster / the management cluster's inventory name). */
  name: string
  /** Where the kubeconfig came from: `Secret team-a/prod-east-1-kubeconfig (key value)`. */
  source: string
  server: string
  /** The management connection itself (the cluster is the management cluster). */
  management: boolean
  kube: Kube
  snapshot: Snapshot
  /** Every object of a kind on this cluster (cached), optionally in one namespace; failures name the cluster. */
  list<T extends KubeObject = AnyObject>(
    groupOrApiVersion: string,
    kind: string,
    namespace?: string,
  ): Promise<T[]>
}

interface Shared {
  kube: Kube
  snapshot: Snapshot
}

/**
 * The workload clients of one management connection (a stage run, a plan read, a verify job):
 * resolved once per cluster, shared by clusters whose Secrets hold the same kubeconfig, and
 * closed together by whoever made the environment (the executor after a stage).
 */
export class WorkloadClients {
  readonly byCluster = new Map<string, Promise<WorkloadCluster>>()
  readonly byContent = new Map<string, Shared>()

  /** Forgets the cached lists of every workload cluster (the clients stay), so the next read is fresh. */
  refresh(): void {
    for (const shared of this.byContent.values()) shared.snapshot.refresh()
  }

  /** Drops idle connections of the workload clients (they stay usable). */
  close(): void {
    for (const shared of this.byContent.values()) shared.kube.close()
  }
}

/** Client options for workload clusters: fewer retries than the management cluster's, so an unreachable one fails in seconds. */
const WORKLOAD_KUBE_OPTIONS = {
  retry: { retries: 2, baseDelayMs: 250, maxDelayMs: 2000 },
  timeoutMs: 15_000,
  userAgent: 'dkp-fleet',
}

export interface WorkloadOptions {
  /** Namespace of the KommanderCluster (a workspace namespace), when known. */
  namespace?: string
  /** Masks the kubeconfig's secret fields (defaults to the stage context's reporter when `env` is one). */
  reporter?: Pick<Reporter, 'secret'>
}

/**
 * A client for the cluster `name`, with cached lists. Resolution: the management cluster
 * (`host-cluster` or the inventory's management name) → the management connection; else the
 * KommanderCluster of that name (in `options.namespace` when given) and the Secret its
 * `spec.kubeconfigRef` names; else a CAPI Cluster of that name and its `<name>-kubeconfig`.
 */
export function workloadCluster(
  env: StageEnv,
  name: string,
  options: WorkloadOptions = {},
): Promise<WorkloadCluster> {
  const cache = env.workloads
  const key = `${options.namespace ?? '*'}/${name}`
  let pending = cache.byCluster.get(key)
  if (!pending) {
    pending = resolve(env, cache, name, options)
    cache.byCluster.set(key, pending)
    pending.catch(() => cache.byCluster.delete(key))
  }
  return pending
}

/** The KommanderClusters of a workspace namespace (the clusters a workspace's apps run on). */
export async function workspaceClusters(env: StageEnv, namespace: string): Promise<KommanderCluster[]> {
  return env.snapshot.list<KommanderCluster>(...K.kommanderCluster, namespace)
}

/**
 * Runs `fn` over items with at most `limit` in flight, results in input order. Workspace
 * clusters are read in parallel this way.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++
        out[i] = await fn(items[i] as T)
      }
    }),
  )
  return out
}

async function resolve(
  env: StageEnv,
  cache: WorkloadClients,
  name: string,
  options: WorkloadOptions,
): Promise<WorkloadCluster> {
  const mgmt = env.inventory.management.name
  if (name === mgmt || (name === 'host-cluster' && (options.namespace ?? 'kommander') === 'kommander')) {
    return wrap(name, 'the management kubeconfig', true, { kube: env.kube, snapshot: env.snapshot })
  }
  const secret = await secretRef(env, name, options)
  const { content, what } = await readKubeconfigSecret(env, name, secret, options)
  const allowInsecure = env.inventory.clusters.some(
    (c) => c.name === name && c.allowInsecureSkipTlsVerify === true,
  )
  return wrap(name, what, false, clientFor(cache, name, content, what, allowInsecure))
}

interface SecretRef {
  name: string
  namespace: string
  /** The object that names it (`KommanderCluster ns/name`, `Cluster ns/name`). */
  what: string
}

/** Where a cluster's kubeconfig Secret is: its KommanderCluster's kubeconfigRef, else CAPI's `<name>-kubeconfig`. */
async function secretRef(env: StageEnv, name: string, options: WorkloadOptions): Promise<SecretRef> {
  const all = await env.snapshot.list<KommanderCluster>(...K.kommanderCluster)
  const matches = all.filter(
    (k) => k.metadata.name === name && (!options.namespace || k.metadata.namespace === options.namespace),
  )
  if (matches.length > 1) {
    throw new WorkError(
      `cluster ${name}: ${matches.length} KommanderClusters have that name (${matches.map((k) => k.metadata.namespace).join(', ')}); say which workspace namespace`,
    )
  }
  const kc = matches[0]
  if (kc) {
    const refName = kc.spec?.kubeconfigRef?.name
    if (!refName) {
      throw new WorkError(
        `cluster ${name}: KommanderCluster ${kc.metadata.namespace}/${name} has no spec.kubeconfigRef (phase ${kc.status?.phase ?? 'unknown'}): it is not joined, its kubeconfig is unknown`,
      )
    }
    return {
      name: refName,
      namespace: kc.metadata.namespace!,
      what: `KommanderCluster ${kc.metadata.namespace}/${name}`,
    }
  }
  const capi = (await env.snapshot.list<CapiCluster>(...K.cluster)).filter((c) => c.metadata.name === name)
  const cluster =
    capi.find((c) => !options.namespace || c.metadata.namespace === options.namespace) ?? capi[0]
  if (!cluster) {
    throw new WorkError(
      `cluster ${name}: no KommanderCluster${options.namespace ? ` in ${options.namespace}` : ''} and no CAPI Cluster of that name on the management cluster, so its kubeconfig Secret is unknown`,
    )
  }
  return {
    name: `${name}-kubeconfig`,
    namespace: cluster.metadata.namespace!,
    what: `Cluster ${cluster.metadata.namespace}/${name}`,
  }
}

/** The kubeconfig content of the Secret (key `value` or `kubeconfig`), bounded and masked. */
async function readKubeconfigSecret(
  env: StageEnv,
  name: string,
  secret: SecretRef,
  options: WorkloadOptions,
): Promise<{ content: string; what: string }> {
  const source = `Secret ${secret.namespace}/${secret.name}`
  let obj: { data?: Record<string, string> } | undefined
  try {
    obj = await env.kube.get<{
      apiVersion: string
      kind: string
      metadata: object
      data?: Record<string, string>
    }>('v1', 'Secret', secret.name, secret.namespace)
  } catch (err) {
    throw new WorkError(
      `cluster ${name}: cannot read its kubeconfig ${source} on the management cluster: ${messageOf(err)}`,
      {
        cause: err,
      },
    )
  }
  if (!obj)
    throw new WorkError(`cluster ${name}: its kubeconfig ${source} (from ${secret.what}) does not exist`)
  const dataKey = ['value', 'kubeconfig'].find((k) => obj.data?.[k])
  if (!dataKey) {
    throw new WorkError(
      `cluster ${name}: ${source} has no kubeconfig under key "value" or "kubeconfig" (keys: ${Object.keys(obj.data ?? {}).join(', ') || 'none'})`,
    )
  }
  const content = Buffer.from(obj.data![dataKey]!, 'base64').toString('utf8')
  if (content.length > MAX_UNTRUSTED_KUBECONFIG_BYTES)
    throw new WorkError(
      `cluster ${name}: the kubeconfig in ${source} (key ${dataKey}) is refused: it is ${content.length} bytes; a kubeconfig read from a Secret is limited to ${MAX_UNTRUSTED_KUBECONFIG_BYTES}`,
    )
  const reporter = options.reporter ?? (env as Partial<{ reporter: Reporter }>).reporter
  if (reporter) maskKubeconfig(content, reporter)
  return { content, what: `${source} (key ${dataKey})` }
}

/** One client per kubeconfig content (and insecure allowance) in this environment. */
function clientFor(
  cache: WorkloadClients,
  name: string,
  content: string,
  what: string,
  allowInsecure: boolean,
): Shared {
  const digest = `${createHash('sha256').update(content).digest('hex')}${allowInsecure ? ':insecure-allowed' : ''}`
  const known = cache.byContent.get(digest)
  if (known) return known
  let config: InlineKubeconfig
  try {
    config = inlineKubeconfig(content, { allowInsecureSkipTlsVerify: allowInsecure })
  } catch (err) {
    if (!(err instanceof KubeconfigRefusedError)) throw err
    throw new WorkError(
      `cluster ${name}: the kubeconfig in ${what} is refused: ${err.problems.map((p) => `${p.field} (${p.reason})`).join(', ')}. A kubeconfig read from a Secret may carry only inline credentials (an https server, certificate-authority-data, client-certificate-data, client-key-data, token, username/password): dkp-fleet never runs a command or reads a file such a Secret names (docs/reliability.md, threat model)`,
    )
  }
  let kube: Kube
  try {
    kube = Kube.fromInline(config, WORKLOAD_KUBE_OPTIONS)
  } catch (err) {
    throw new WorkError(`cluster ${name}: the kubeconfig in ${what} cannot be used: ${messageOf(err)}`)
  }
  const shared = { kube, snapshot: new Snapshot(kube) }
  cache.byContent.set(digest, shared)
  return shared
}

function wrap(name: string, source: string, management: boolean, shared: Shared): WorkloadCluster {
  const { kube, snapshot } = shared
  return {
    name,
    source,
    server: kube.server,
    management,
    kube,
    snapshot,
    async list<T extends KubeObject = AnyObject>(
      groupOrApiVersion: string,
      kind: string,
      namespace?: string,
    ) {
      try {
        return await snapshot.list<T>(groupOrApiVersion, kind, namespace)
      } catch (err) {
        const unreachable = err instanceof KubeError && err.code === 0
        throw new WorkError(
          `cluster ${name} ${unreachable ? 'is unreachable' : `cannot be read (${kind})`} at ${kube.server} (kubeconfig from ${source}): ${messageOf(err)}`,
          { cause: err },
        )
      }
    },
  }
}
