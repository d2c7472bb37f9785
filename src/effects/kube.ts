// The project's Kubernetes client: any kind by apiVersion + kind, raw JSON in and out, bounded
// retries, API-call counting. Used by the stages, checks, seeding, the simulated controllers and
// the stand-in dkp. Load it with `await import()`: it pulls in @kubernetes/client-node, which
// the plan path must never load.
//
// @kubernetes/client-node supplies the kubeconfig handling (contexts, CA/cert data, tokens,
// exec and OIDC auth) for the trusted management kubeconfig; a workload cluster's kubeconfig,
// read from a tenant-writable Secret, is built from vetted inline values only (`fromInline`,
// src/core/kubeconfig-policy.ts). Requests go through node:http(s) directly. Reasons: objects stay plain
// JSON (client-node's typed deserialisation turns Lease MicroTimes into millisecond Dates),
// subresources (/status) and server-side apply are reachable, Retry-After is visible, and every
// request can be counted.//
// The parts: kube-types.ts (shapes), kube-error.ts (KubeError), kube-transport.ts (one HTTP
// exchange); this module is the client: retries, deadlines, discovery and the verbs.

import { KubeConfig } from '@kubernetes/client-node'
import { WorkError } from '../core/errors.js'
import type { InlineKubeconfig } from '../core/kubeconfig-policy.js'
import type { Deadline } from './deadline.js'
import { KubeCaller } from './kube-call.js'
import { inlineKubeConfig, loadKubeconfig } from './kube-config.js'
import { collectionPath, KubeDiscovery } from './kube-discovery.js'
import { KubeError } from './kube-error.js'
import { KubeTransport } from './kube-transport.js'
import type {
  AnyObject,
  ApplyOptions,
  DeleteOptions,
  KubeObject,
  KubeOptions,
  ListOptions,
  RequestEvent,
  RequestSpec,
  ResourceInfo,
  What,
  WriteOptions,
} from './kube-types.js'

export { isAlreadyExists, isConflict, isNotFound, KubeError, serverText } from './kube-error.js'
export type {
  AnyObject,
  ApplyOptions,
  DeleteOptions,
  KubeObject,
  KubeOptions,
  KubeStatus,
  ListOptions,
  ObjectMeta,
  OwnerReference,
  RequestEvent,
  ResourceInfo,
  RetryOptions,
  WriteOptions,
} from './kube-types.js'

export class Kube {
  /** The API server URL, e.g. `https://127.0.0.1:6443`. */
  readonly server: string
  /** No call outlives this; undefined: the process's deadline (deadline.ts). Settable (the executor's cleanup budget). */
  deadline: Deadline | undefined
  /** The kubeconfig context's namespace, else `default`. */
  readonly defaultNamespace: string
  private readonly kc: KubeConfig
  private readonly fieldManager: string
  private readonly transport: KubeTransport
  private readonly caller: KubeCaller
  private readonly discovery: KubeDiscovery

  /** Loads a kubeconfig file (YAML or JSON). */
  static fromFile(path: string, options: KubeOptions = {}): Kube {
    const kc = new KubeConfig()
    loadKubeconfig(() => kc.loadFromFile(path), path)
    return new Kube(kc, options)
  }

  /** Loads kubeconfig content (the Action's `kubeconfig` input, a Secret's value). */
  static fromString(text: string, options: KubeOptions = {}): Kube {
    const kc = new KubeConfig()
    loadKubeconfig(() => kc.loadFromString(text), 'the kubeconfig')
    return new Kube(kc, options)
  }

  /**
   * A client from vetted inline values (a workload kubeconfig read from a Secret, see
   * src/core/kubeconfig-policy.ts): no exec or auth-provider plugin, no file, https only. The
   * server is untrusted: the texts of its error responses are masked (the credentials given
   * here become `***`) and clipped to one short line.
   */
  static fromInline(config: InlineKubeconfig, options: KubeOptions = {}): Kube {
    if (!/^https:\/\//i.test(config.server))
      throw new WorkError(`refusing a kubeconfig for ${config.server}: only https servers are reached`)
    const kc = inlineKubeConfig(config)
    const secrets = [config.token, config.password, config.keyData, config.certData].filter(
      (v): v is string => typeof v === 'string' && v.length >= 4,
    )
    return new Kube(kc, options, secrets)
  }

  /** `$KUBECONFIG`, else `~/.kube/config`, else in-cluster. */
  static fromDefault(options: KubeOptions = {}): Kube {
    const kc = new KubeConfig()
    kc.loadFromDefault()
    return new Kube(kc, options)
  }

  constructor(kc: KubeConfig, options: KubeOptions = {}, untrusted?: string[]) {
    if (options.context) {
      if (!kc.getContextObject(options.context)) {
        throw new WorkError(`kubeconfig has no context "${options.context}"`)
      }
      kc.setCurrentContext(options.context)
    }
    const cluster = kc.getCurrentCluster()
    if (!cluster?.server) throw new WorkError('kubeconfig: the current context names no cluster server')
    this.kc = kc
    this.server = cluster.server.replace(/\/+$/, '')
    const url = new URL(this.server)
    this.defaultNamespace = kc.getContextObject(kc.getCurrentContext())?.namespace || 'default'
    this.deadline = options.deadline
    this.fieldManager = options.fieldManager ?? 'dkp-fleet'
    this.transport = new KubeTransport({
      kc,
      url,
      userAgent: options.userAgent ?? 'dkp-fleet',
      timeoutMs: options.timeoutMs ?? 30_000,
      untrusted: untrusted !== undefined,
    })
    this.caller = new KubeCaller({
      transport: this.transport,
      url,
      server: this.server,
      retries: options.retry?.retries ?? 5,
      baseDelayMs: options.retry?.baseDelayMs ?? 250,
      maxDelayMs: options.retry?.maxDelayMs ?? 10_000,
      deadline: () => this.deadline,
      untrusted,
    })
    if (options.onRequest) this.caller.hooks.push(options.onRequest)
    this.discovery = new KubeDiscovery((spec) => this.call(spec))
  }

  /** The kubeconfig turns off the server certificate check (`insecure-skip-tls-verify`). */
  get insecureSkipTlsVerify(): boolean {
    return this.kc.getCurrentCluster()?.skipTLSVerify === true
  }

  /** HTTP requests sent by this instance (every retry attempt counts). */
  get requests(): number {
    return this.caller.count
  }

  /** Requests that were retries of a failed attempt. */
  get retriedRequests(): number {
    return this.caller.retried
  }

  /** Adds a request hook; returns a function that removes it. */
  onRequest(hook: (e: RequestEvent) => void): () => void {
    const hooks = this.caller.hooks
    hooks.push(hook)
    return () => {
      const i = hooks.indexOf(hook)
      if (i >= 0) hooks.splice(i, 1)
    }
  }

  /** Closes idle keep-alive connections. The instance stays usable. */
  close(): void {
    this.transport.close()
  }

  // ---- objects ---------------------------------------------------------------------------

  /** The object, or undefined when it does not exist (404 on the object; a kind the server does not serve is an error). */
  async get<T extends KubeObject = AnyObject>(
    apiVersion: string,
    kind: string,
    name: string,
    namespace?: string,
  ): Promise<T | undefined> {
    const what = { verb: 'get', kind, namespace, name }
    const path = await this.objectPath(apiVersion, kind, what, name, namespace)
    try {
      return await this.call<T>({ method: 'GET', path, what })
    } catch (err) {
      if (this.isObjectNotFound(err, apiVersion)) return undefined
      throw err
    }
  }

  /** Every object of a kind (all pages), with `apiVersion` and `kind` filled in on each item. */
  async list<T extends KubeObject = AnyObject>(
    apiVersion: string,
    kind: string,
    options: ListOptions = {},
  ): Promise<T[]> {
    return (await this.listWithVersion<T>(apiVersion, kind, options)).items
  }

  /** Like `list`, plus the list's resourceVersion (a starting point for a watch or a consistency check). */
  async listWithVersion<T extends KubeObject = AnyObject>(
    apiVersion: string,
    kind: string,
    options: ListOptions = {},
  ): Promise<{ items: T[]; resourceVersion: string | undefined }> {
    const what = { verb: 'list', kind, namespace: options.namespace }
    const res = await this.resourceOrThrow(apiVersion, kind, what)
    const path = collectionPath(apiVersion, res, options.namespace)
    const limit = options.pageSize ?? 500
    for (let restart = 0; ; restart++) {
      const items: T[] = []
      let token: string | undefined
      let resourceVersion: string | undefined
      try {
        do {
          const page = await this.call<{
            items?: T[]
            metadata?: { continue?: string; resourceVersion?: string }
          }>({
            method: 'GET',
            path,
            query: {
              labelSelector: options.labelSelector,
              fieldSelector: options.fieldSelector,
              limit,
              continue: token,
            },
            what,
          })
          for (const item of page.items ?? []) items.push({ ...item, apiVersion, kind })
          token = page.metadata?.continue || undefined
          resourceVersion = page.metadata?.resourceVersion ?? resourceVersion
        } while (token)
        return { items, resourceVersion }
      } catch (err) {
        // An expired continue token (410 Gone): list again from the start, once.
        if (err instanceof KubeError && err.code === 410 && token && restart === 0) continue
        throw err
      }
    }
  }

  async create<T extends KubeObject>(obj: T, options: WriteOptions = {}): Promise<T> {
    const what = describeObj('create', obj)
    const res = await this.resourceOrThrow(obj.apiVersion, obj.kind, what)
    const path = collectionPath(obj.apiVersion, res, this.namespaceFor(res, obj.metadata.namespace, what))
    return this.call<T>({ method: 'POST', path, query: this.writeQuery(options), body: obj, what })
  }

  /** PUT: optimistic concurrency when `metadata.resourceVersion` is set (stale → 409 Conflict). Status is ignored by the server. */
  replace<T extends KubeObject>(obj: T, options: WriteOptions = {}): Promise<T> {
    return this.put(obj, 'replace', '', options)
  }

  /** PUT on the /status subresource (only status changes); resourceVersion conflicts as in `replace`. */
  replaceStatus<T extends KubeObject>(obj: T, options: WriteOptions = {}): Promise<T> {
    return this.put(obj, 'replace status of', '/status', options)
  }

  private async put<T extends KubeObject>(
    obj: T,
    verb: string,
    subresource: '' | '/status',
    options: WriteOptions,
  ): Promise<T> {
    const what = describeObj(verb, obj)
    const path = await this.objectPath(
      obj.apiVersion,
      obj.kind,
      what,
      obj.metadata.name,
      obj.metadata.namespace,
    )
    return this.call<T>({
      method: 'PUT',
      path: `${path}${subresource}`,
      query: this.writeQuery(options),
      body: obj,
      what,
    })
  }

  /** JSON merge patch (RFC 7386): objects merge, `null` deletes a key, arrays are replaced. */
  patchMerge<T extends KubeObject = AnyObject>(
    apiVersion: string,
    kind: string,
    name: string,
    namespace: string | undefined,
    patch: unknown,
    options: WriteOptions = {},
  ): Promise<T> {
    return this.mergePatch<T>('patch', '', { apiVersion, kind, name, namespace }, patch, options)
  }

  /** JSON merge patch on the /status subresource (what controllers write). */
  patchStatus<T extends KubeObject = AnyObject>(
    apiVersion: string,
    kind: string,
    name: string,
    namespace: string | undefined,
    patch: unknown,
    options: WriteOptions = {},
  ): Promise<T> {
    return this.mergePatch<T>(
      'patch status of',
      '/status',
      { apiVersion, kind, name, namespace },
      patch,
      options,
    )
  }

  private async mergePatch<T extends KubeObject>(
    verb: string,
    subresource: '' | '/status',
    o: { apiVersion: string; kind: string; name: string; namespace: string | undefined },
    patch: unknown,
    options: WriteOptions,
  ): Promise<T> {
    const what = { verb, kind: o.kind, namespace: o.namespace, name: o.name }
    const path = await this.objectPath(o.apiVersion, o.kind, what, o.name, o.namespace)
    return this.call<T>({
      method: 'PATCH',
      path: `${path}${subresource}`,
      query: this.writeQuery(options),
      body: patch,
      contentType: 'application/merge-patch+json',
      what,
    })
  }

  /** Server-side apply: creates or updates the fields this field manager owns. */
  async apply<T extends KubeObject>(obj: T, options: ApplyOptions = {}): Promise<T> {
    const what = describeObj('apply', obj)
    const path = await this.objectPath(
      obj.apiVersion,
      obj.kind,
      what,
      obj.metadata.name,
      obj.metadata.namespace,
    )
    return this.call<T>({
      method: 'PATCH',
      path,
      query: { ...this.writeQuery(options), force: options.force || undefined },
      body: obj,
      contentType: 'application/apply-patch+yaml',
      what,
    })
  }

  /** True when the object was deleted (or is being deleted); false when it did not exist. */
  async delete(
    apiVersion: string,
    kind: string,
    name: string,
    namespace?: string,
    options: DeleteOptions = {},
  ): Promise<boolean> {
    const what = { verb: 'delete', kind, namespace, name }
    const path = await this.objectPath(apiVersion, kind, what, name, namespace)
    try {
      await this.call({
        method: 'DELETE',
        path,
        body: { kind: 'DeleteOptions', apiVersion: 'v1', ...options },
        what,
      })
      return true
    } catch (err) {
      if (this.isObjectNotFound(err, apiVersion)) return false
      throw err
    }
  }

  // ---- discovery and access ----------------------------------------------------------------

  /** Whether the server serves this kind at this apiVersion (discovery, cached per instance). */
  async hasResource(apiVersion: string, kind: string): Promise<boolean> {
    return (await this.resource(apiVersion, kind)) !== undefined
  }

  /**
   * Discovery entry of a kind. Cached per apiVersion; `fresh` asks the server again (a CRD just
   * installed or removed). A kind missing from a cached list is looked up once more (at most
   * once a second per apiVersion), so a newly installed CRD is found without `fresh`.
   */
  resource(
    apiVersion: string,
    kind: string,
    options: { fresh?: boolean } = {},
  ): Promise<ResourceInfo | undefined> {
    return this.discovery.resource(apiVersion, kind, options)
  }

  /** The preferred version of an API group (`/apis/<group>`), undefined when the group is not served. */
  preferredVersion(group: string): Promise<string | undefined> {
    return this.discovery.preferredVersion(group)
  }

  /** Forgets cached discovery (all apiVersions and groups). */
  invalidateDiscovery(): void {
    this.discovery.invalidate()
  }

  /**
   * SelfSubjectAccessReview: may the current user do `verb` on `group`/`resource`? `group` is ''
   * for the core group; omit `namespace` for cluster-wide access.
   */
  async canI(
    verb: string,
    group: string,
    resource: string,
    namespace?: string,
    extra: { subresource?: string; name?: string } = {},
  ): Promise<boolean> {
    const review = await this.call<{ status?: { allowed?: boolean } }>({
      method: 'POST',
      path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { verb, group, resource, namespace, ...extra } },
      },
      what: { verb: 'create', kind: 'SelfSubjectAccessReview' },
    })
    return review.status?.allowed === true
  }

  /**
   * Any request by path (e.g. `GET /version`, `/readyz`), with the same auth, retries and
   * counting. JSON bodies are parsed, other text is returned as a string.
   */
  async raw<T = unknown>(
    method: RequestSpec['method'],
    path: string,
    options: { query?: RequestSpec['query']; body?: unknown; contentType?: string } = {},
  ): Promise<T> {
    return this.call<T>({ method, path, ...options, what: { verb: method, kind: path } })
  }

  // ---- internals ---------------------------------------------------------------------------

  private writeQuery(options: WriteOptions): RequestSpec['query'] {
    return {
      fieldManager: options.fieldManager ?? this.fieldManager,
      dryRun: options.dryRun ? 'All' : undefined,
    }
  }

  private isObjectNotFound(err: unknown, apiVersion: string): boolean {
    return this.discovery.isObjectNotFound(err, apiVersion)
  }

  private namespaceFor(res: ResourceInfo, namespace: string | undefined, what: What): string | undefined {
    return this.discovery.namespaceFor(res, namespace, what)
  }

  private objectPath(
    apiVersion: string,
    kind: string,
    what: What,
    name: string | undefined,
    namespace: string | undefined,
  ): Promise<string> {
    return this.discovery.objectPath(apiVersion, kind, what, name, namespace)
  }

  private resourceOrThrow(apiVersion: string, kind: string, what: What): Promise<ResourceInfo> {
    return this.discovery.resourceOrThrow(apiVersion, kind, what)
  }

  private call<T>(spec: RequestSpec): Promise<T> {
    return this.caller.call<T>(spec)
  }
}

function describeObj(verb: string, obj: KubeObject): What {
  return {
    verb,
    kind: obj.kind,
    namespace: obj.metadata?.namespace,
    name: obj.metadata?.name ?? obj.metadata?.generateName,
  }
}

const _sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** RFC 3339 with exactly six fractional digits, as Lease `acquireTime`/`renewTime` (MicroTime) require. */
export function microTime(date: Date = new Date()): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
}
