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
// request can be counted.

import http from 'node:http'
import https from 'node:https'
import { KubeConfig } from '@kubernetes/client-node'
import { InputError, WorkError } from '../core/errors.js'
import type { AnyObject, KubeObject } from '../core/kube-object.js'
import type { InlineKubeconfig } from '../core/kubeconfig-policy.js'
import { type Deadline, formatDuration, processDeadline } from './deadline.js'

export type { AnyObject, KubeObject, ObjectMeta, OwnerReference } from '../core/kube-object.js'

/** One entry of API discovery (`GET /apis/<group>/<version>`). */
export interface ResourceInfo {
  /** Plural resource name, e.g. `kubeadmcontrolplanes`. */
  name: string
  kind: string
  namespaced: boolean
  verbs: string[]
  /** Subresources served, e.g. `['status']`. */
  subresources: string[]
}

/** Reported after every HTTP request (each retry attempt counts as one request). */
export interface RequestEvent {
  method: string
  /** Path and query, e.g. `/apis/cluster.x-k8s.io/v1beta1/clusters?limit=500`. */
  path: string
  /** HTTP status, or 0 when no response arrived (connection refused/reset, timeout). */
  status: number
  /** 1 for the first try. */
  attempt: number
  durationMs: number
}

export interface RetryOptions {
  /** Retries after the first attempt (default 5). 0 disables retrying. */
  retries?: number
  /** First backoff delay (default 250 ms); doubles per retry, with jitter. */
  baseDelayMs?: number
  /** Largest single delay, including a server's Retry-After (default 10 s). */
  maxDelayMs?: number
}

export interface KubeOptions {
  /** Kubeconfig context to use instead of the file's current-context. */
  context?: string
  retry?: RetryOptions
  /** Per-request timeout (default 30 s). A request that timed out is retried once, not `retries` times. */
  timeoutMs?: number
  /** No call outlives this (default: the process's deadline, see deadline.ts). */
  deadline?: Deadline
  /** `fieldManager` for writes (default `dkp-fleet`). */
  fieldManager?: string
  userAgent?: string
  /** Called after every HTTP request; benchmarks count API calls with it. */
  onRequest?: (event: RequestEvent) => void
}

export interface ListOptions {
  /** Omit for all namespaces (namespaced kinds) or for cluster-scoped kinds. */
  namespace?: string
  labelSelector?: string
  /** Custom resources support only `metadata.name` and `metadata.namespace`. */
  fieldSelector?: string
  /** Page size (`limit`), default 500; pages are followed with `continue`. */
  pageSize?: number
}

export interface WriteOptions {
  /** Server-side dry run: validated, defaulted, not stored. */
  dryRun?: boolean
  fieldManager?: string
}

export interface ApplyOptions extends WriteOptions {
  /** Take ownership of fields owned by other managers (server-side apply `force`). */
  force?: boolean
}

export interface DeleteOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan'
  gracePeriodSeconds?: number
}

/** The Kubernetes `Status` body of a failed request. */
export interface KubeStatus {
  kind?: string
  status?: string
  message?: string
  reason?: string
  code?: number
  details?: { name?: string; group?: string; kind?: string; causes?: { message?: string; field?: string }[] }
}

interface What {
  verb: string
  kind: string
  namespace?: string
  name?: string
}

/**
 * Loads a kubeconfig, turning a parse error into a message without the content: the YAML
 * parser quotes the offending lines, and a kubeconfig's lines are credentials.
 */
function loadKubeconfig(load: () => void, what: string): void {
  try {
    load()
  } catch (err) {
    const e = err as {
      name?: string
      reason?: string
      mark?: { line: number; column: number }
      code?: string
    }
    if (e.name === 'YAMLException') {
      const at = e.mark ? ` at line ${e.mark.line + 1}, column ${e.mark.column + 1}` : ''
      throw new InputError(`${what} is not valid YAML or JSON${at}: ${e.reason ?? 'parse error'}`)
    }
    if (e.code === 'ENOENT' || e.code === 'EACCES') throw new InputError(`cannot read ${what}: ${e.code}`)
    throw new InputError(
      `${what} is not a usable kubeconfig: ${String((err as Error).message)
        .split('\n')[0]!
        .slice(0, 200)}`,
    )
  }
}

/**
 * A failed API call. The message names verb, kind, namespace/name, HTTP status and the server's
 * message; never credentials. `code` is the HTTP status, 0 when no response arrived.
 */
export class KubeError extends WorkError {
  readonly code: number
  /** The Status `reason`: `NotFound`, `AlreadyExists`, `Conflict`, `Forbidden`, `Invalid`, … */
  readonly reason: string | undefined
  readonly verb: string
  readonly kind: string
  readonly namespace: string | undefined
  /** Object name, when the call was about one object. */
  readonly objectName: string | undefined
  readonly attempts: number
  readonly status: KubeStatus | undefined
  /** No response arrived: within the request timeout (`request`), or before the deadline (`deadline`). */
  readonly timedOut: 'request' | 'deadline' | undefined
  constructor(
    what: What,
    detail: {
      code: number
      reason?: string
      message: string
      attempts: number
      status?: KubeStatus
      timedOut?: 'request' | 'deadline'
    },
    options?: { cause?: unknown },
  ) {
    const target = what.name ? ` ${what.namespace ? `${what.namespace}/` : ''}${what.name}` : ''
    const scope = !what.name && what.namespace ? ` in namespace ${what.namespace}` : ''
    const http = detail.code ? `HTTP ${detail.code}${detail.reason ? ` ${detail.reason}` : ''}: ` : ''
    const tries = detail.attempts > 1 ? ` (after ${detail.attempts} attempts)` : ''
    super(`${what.verb} ${what.kind}${target}${scope}: ${http}${detail.message}${tries}`, options)
    this.name = 'KubeError'
    this.code = detail.code
    this.reason = detail.reason
    this.verb = what.verb
    this.kind = what.kind
    this.namespace = what.namespace
    this.objectName = what.name
    this.attempts = detail.attempts
    this.status = detail.status
    this.timedOut = detail.timedOut
  }
}

export const isNotFound = (err: unknown): boolean => err instanceof KubeError && err.code === 404
/** 409 of any kind: a stale resourceVersion (`Conflict`) or a create of an existing name (`AlreadyExists`). */
export const isConflict = (err: unknown): boolean => err instanceof KubeError && err.code === 409
export const isAlreadyExists = (err: unknown): boolean =>
  err instanceof KubeError && err.code === 409 && err.reason === 'AlreadyExists'

interface RawResponse {
  status: number
  headers: http.IncomingHttpHeaders
  body: unknown
}

interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  path: string
  query?: Record<string, string | number | boolean | undefined>
  body?: unknown
  contentType?: string
  what: What
}

interface DiscoveryList {
  resources: { name: string; kind: string; namespaced: boolean; verbs?: string[] }[]
}

/** An untrusted (workload) server's single response is refused beyond this (a page of 500 objects stays far below). */
const MAX_UNTRUSTED_RESPONSE_BYTES = 256 * 1024 * 1024

const RETRY_STATUS = (code: number) => code === 429 || code >= 500
const NETWORK_RETRY = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
  'KUBE_TIMEOUT',
])

/** Retries of a request that got no response at all (a black-holed server): one, not `retries`. */
const TIMEOUT_RETRIES = 1

export class Kube {
  /** The API server URL, e.g. `https://127.0.0.1:6443`. */
  readonly server: string
  /** No call outlives this; undefined: the process's deadline (deadline.ts). Settable (the executor's cleanup budget). */
  deadline: Deadline | undefined
  /** The kubeconfig context's namespace, else `default`. */
  readonly defaultNamespace: string
  private readonly kc: KubeConfig
  private readonly url: URL
  private readonly retries: number
  private readonly baseDelayMs: number
  private readonly maxDelayMs: number
  private readonly timeoutMs: number
  private readonly fieldManager: string
  private readonly userAgent: string
  private readonly hooks: ((e: RequestEvent) => void)[] = []
  private agent: http.Agent | undefined
  private agentKey = ''
  private readonly discovery = new Map<string, Promise<DiscoveryList | undefined>>()
  private readonly discoveredAt = new Map<string, number>()
  private readonly groups = new Map<string, Promise<string | undefined>>()
  private count = 0
  private retried = 0
  /** Credentials of an untrusted server's kubeconfig: masked in its error texts. */
  private readonly untrusted: string[] | undefined

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
    const kc = new KubeConfig()
    kc.loadFromOptions({
      clusters: [
        {
          name: 'inline',
          server: config.server,
          skipTLSVerify: config.insecureSkipTlsVerify,
          ...(config.caData ? { caData: config.caData } : {}),
          ...(config.tlsServerName ? { tlsServerName: config.tlsServerName } : {}),
        },
      ],
      users: [
        {
          name: 'inline',
          ...(config.certData ? { certData: config.certData } : {}),
          ...(config.keyData ? { keyData: config.keyData } : {}),
          ...(config.token ? { token: config.token } : {}),
          ...(config.username ? { username: config.username } : {}),
          ...(config.password ? { password: config.password } : {}),
        },
      ],
      contexts: [
        {
          name: 'inline',
          cluster: 'inline',
          user: 'inline',
          ...(config.namespace ? { namespace: config.namespace } : {}),
        },
      ],
      currentContext: 'inline',
    })
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
    this.url = new URL(this.server)
    this.defaultNamespace = kc.getContextObject(kc.getCurrentContext())?.namespace || 'default'
    this.retries = options.retry?.retries ?? 5
    this.baseDelayMs = options.retry?.baseDelayMs ?? 250
    this.maxDelayMs = options.retry?.maxDelayMs ?? 10_000
    this.timeoutMs = options.timeoutMs ?? 30_000
    this.deadline = options.deadline
    this.fieldManager = options.fieldManager ?? 'dkp-fleet'
    this.userAgent = options.userAgent ?? 'dkp-fleet'
    if (options.onRequest) this.hooks.push(options.onRequest)
    this.untrusted = untrusted
  }

  /** The kubeconfig turns off the server certificate check (`insecure-skip-tls-verify`). */
  get insecureSkipTlsVerify(): boolean {
    return this.kc.getCurrentCluster()?.skipTLSVerify === true
  }

  /** HTTP requests sent by this instance (every retry attempt counts). */
  get requests(): number {
    return this.count
  }

  /** Requests that were retries of a failed attempt. */
  get retriedRequests(): number {
    return this.retried
  }

  /** Adds a request hook; returns a function that removes it. */
  onRequest(hook: (e: RequestEvent) => void): () => void {
    this.hooks.push(hook)
    return () => {
      const i = this.hooks.indexOf(hook)
      if (i >= 0) this.hooks.splice(i, 1)
    }
  }

  /** Closes idle keep-alive connections. The instance stays usable. */
  close(): void {
    this.agent?.destroy()
    this.agent = undefined
    this.agentKey = ''
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
  async patchMerge<T extends KubeObject = AnyObject>(
    apiVersion: string,
    kind: string,
    name: string,
    namespace: string | undefined,
    patch: unknown,
    options: WriteOptions = {},
  ): Promise<T> {
    const what = { verb: 'patch', kind, namespace, name }
    const path = await this.objectPath(apiVersion, kind, what, name, namespace)
    return this.call<T>({
      method: 'PATCH',
      path,
      query: this.writeQuery(options),
      body: patch,
      contentType: 'application/merge-patch+json',
      what,
    })
  }

  /** JSON merge patch on the /status subresource (what controllers write). */
  async patchStatus<T extends KubeObject = AnyObject>(
    apiVersion: string,
    kind: string,
    name: string,
    namespace: string | undefined,
    patch: unknown,
    options: WriteOptions = {},
  ): Promise<T> {
    const what = { verb: 'patch status of', kind, namespace, name }
    const path = await this.objectPath(apiVersion, kind, what, name, namespace)
    return this.call<T>({
      method: 'PATCH',
      path: `${path}/status`,
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
  async resource(
    apiVersion: string,
    kind: string,
    options: { fresh?: boolean } = {},
  ): Promise<ResourceInfo | undefined> {
    if (options.fresh) this.discovery.delete(apiVersion)
    const cachedBefore = this.discovery.has(apiVersion)
    let found = findKind(await this.discover(apiVersion), kind)
    // A miss in a cached list: ask again (a CRD may have appeared), at most once a second per
    // apiVersion so repeated checks for an absent optional kind stay cheap.
    if (!found && cachedBefore && Date.now() - (this.discoveredAt.get(apiVersion) ?? 0) > 1000) {
      this.discovery.delete(apiVersion)
      found = findKind(await this.discover(apiVersion), kind)
    }
    return found
  }

  /** The preferred version of an API group (`/apis/<group>`), undefined when the group is not served. */
  async preferredVersion(group: string): Promise<string | undefined> {
    let p = this.groups.get(group)
    if (!p) {
      const what = { verb: 'discover', kind: `API group ${group}` }
      p = this.call<{ preferredVersion?: { version?: string } }>({
        method: 'GET',
        path: `/apis/${group}`,
        what,
      }).then(
        (g) => g.preferredVersion?.version,
        (err) => {
          if (isNotFound(err)) return undefined
          this.groups.delete(group)
          throw err
        },
      )
      this.groups.set(group, p)
    }
    return p
  }

  /** Forgets cached discovery (all apiVersions and groups). */
  invalidateDiscovery(): void {
    this.discovery.clear()
    this.groups.clear()
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

  private isObjectNotFound(err: unknown, apiVersion: string): boolean {
    if (!(err instanceof KubeError) || err.code !== 404) return false
    // An object's 404 names it in `details`; without that the resource type itself is gone
    // (a CRD deleted): forget discovery for that version and report it as an error.
    if (err.status?.details?.name) return true
    this.discovery.delete(apiVersion)
    return false
  }

  private writeQuery(options: WriteOptions): RequestSpec['query'] {
    return {
      fieldManager: options.fieldManager ?? this.fieldManager,
      dryRun: options.dryRun ? 'All' : undefined,
    }
  }

  private namespaceFor(res: ResourceInfo, namespace: string | undefined, what: What): string | undefined {
    if (!res.namespaced) return undefined
    if (!namespace) {
      throw new KubeError(what, {
        code: 0,
        message: `${res.kind} is namespaced: metadata.namespace is required`,
        attempts: 0,
      })
    }
    return namespace
  }

  private async objectPath(
    apiVersion: string,
    kind: string,
    what: What,
    name: string | undefined,
    namespace: string | undefined,
  ): Promise<string> {
    if (!name) throw new KubeError(what, { code: 0, message: 'metadata.name is required', attempts: 0 })
    const res = await this.resourceOrThrow(apiVersion, kind, what)
    return `${collectionPath(apiVersion, res, this.namespaceFor(res, namespace, what))}/${encodeURIComponent(name)}`
  }

  private async resourceOrThrow(apiVersion: string, kind: string, what: What): Promise<ResourceInfo> {
    const res = await this.resource(apiVersion, kind)
    if (!res) {
      throw new KubeError(what, {
        code: 404,
        reason: 'NotFound',
        message: `the server does not serve ${kind} in ${apiVersion} (CRD not installed?)`,
        attempts: 1,
      })
    }
    return res
  }

  private discover(apiVersion: string): Promise<DiscoveryList | undefined> {
    let p = this.discovery.get(apiVersion)
    if (!p) {
      const what = { verb: 'discover', kind: apiVersion }
      this.discoveredAt.set(apiVersion, Date.now())
      p = this.call<DiscoveryList>({ method: 'GET', path: apiRoot(apiVersion), what }).then(
        (list) => list,
        (err) => {
          if (isNotFound(err)) return undefined
          this.discovery.delete(apiVersion)
          throw err
        },
      )
      this.discovery.set(apiVersion, p)
    }
    return p
  }

  private async call<T>(spec: RequestSpec): Promise<T> {
    const qs = new URLSearchParams()
    for (const [k, v] of Object.entries(spec.query ?? {}))
      if (v !== undefined && v !== '') qs.set(k, String(v))
    const pathAndQuery = `${this.url.pathname.replace(/\/$/, '')}${spec.path}${qs.size ? `?${qs}` : ''}`
    const body = spec.body === undefined ? undefined : Buffer.from(JSON.stringify(spec.body))
    let timeouts = 0
    for (let attempt = 1; ; attempt++) {
      const deadline = this.deadline ?? processDeadline()
      const left = deadline ? deadline.at - Date.now() : Number.POSITIVE_INFINITY
      if (deadline && left <= 0) throw this.deadlineError(spec.what, attempt - 1, deadline)
      const started = performance.now()
      let res: RawResponse | undefined
      let netErr: (Error & { code?: string }) | undefined
      try {
        res = await this.send(spec.method, pathAndQuery, body, spec.contentType, left)
      } catch (err) {
        netErr = err as Error & { code?: string }
      }
      this.count++
      if (attempt > 1) this.retried++
      const event: RequestEvent = {
        method: spec.method,
        path: pathAndQuery,
        status: res?.status ?? 0,
        attempt,
        durationMs: performance.now() - started,
      }
      for (const hook of this.hooks) hook(event)

      if (res && res.status >= 200 && res.status < 300) return res.body as T
      // Cut short by the deadline: nothing is left to retry with.
      if (netErr?.code === 'KUBE_DEADLINE' && deadline) throw this.deadlineError(spec.what, attempt, deadline)
      const timedOut = netErr?.code === 'KUBE_TIMEOUT'
      if (timedOut) timeouts++
      const retryable =
        (res ? RETRY_STATUS(res.status) : NETWORK_RETRY.has(netErr?.code ?? '')) &&
        (!timedOut || timeouts <= TIMEOUT_RETRIES)
      let noTime = ''
      if (retryable && attempt <= this.retries) {
        const wait = this.delay(attempt, res?.headers['retry-after'])
        if (!deadline || Date.now() + wait < deadline.at) {
          await sleep(wait)
          continue
        }
        noTime = `; no time left for another attempt before the deadline (${deadline.what})`
      }
      if (res) {
        const status = isStatus(res.body) ? res.body : undefined
        const text = typeof res.body === 'string' ? res.body.trim().slice(0, 500) : ''
        const reason = status?.reason ?? http.STATUS_CODES[res.status]
        const message = status?.message || text || 'no message from the server'
        throw new KubeError(spec.what, {
          code: res.status,
          reason: this.untrusted && reason ? serverText(reason, this.untrusted, 40) : reason,
          message: `${this.untrusted ? serverText(message, this.untrusted, 300) : message}${noTime}`,
          attempts: attempt,
          status,
        })
      }
      throw new KubeError(
        spec.what,
        {
          code: 0,
          message: `${netErr?.code && !timedOut ? `${netErr.code}: ` : ''}${netErr?.message ?? 'request failed'} (server ${this.server})${noTime}`,
          attempts: attempt,
          ...(timedOut ? { timedOut: 'request' as const } : {}),
        },
        { cause: netErr },
      )
    }
  }

  private deadlineError(what: What, attempts: number, deadline: Deadline): KubeError {
    return new KubeError(what, {
      code: 0,
      message: `no response before the deadline (${deadline.what}) from ${this.server}`,
      attempts: Math.max(1, attempts),
      timedOut: 'deadline',
    })
  }

  /** Exponential backoff with jitter; a server's Retry-After (seconds or HTTP date) wins when longer. */
  private delay(attempt: number, retryAfter: string | string[] | undefined): number {
    const exp = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1))
    const backoff = exp / 2 + Math.random() * (exp / 2)
    const header = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter
    let server = 0
    if (header) {
      const secs = Number(header)
      server = Number.isFinite(secs) ? secs * 1000 : Math.max(0, Date.parse(header) - Date.now())
      if (!Number.isFinite(server)) server = 0
    }
    return Math.min(this.maxDelayMs, Math.max(backoff, server))
  }

  private async send(
    method: string,
    pathAndQuery: string,
    body: Buffer | undefined,
    contentType: string | undefined,
    /** Time left before the deadline: the request is cut then, whatever it is doing. */
    hardMs: number,
  ) {
    const opts: https.RequestOptions & { headers: Record<string, string> } = { headers: {} }
    await this.kc.applyToHTTPSOptions(opts)
    const headers: Record<string, string> = {
      ...(opts.headers as Record<string, string>),
      Accept: 'application/json',
      'User-Agent': this.userAgent,
    }
    if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`
    if (body) {
      headers['Content-Type'] = contentType ?? 'application/json'
      headers['Content-Length'] = String(body.length)
    }
    const secure = this.url.protocol === 'https:'
    const agent = this.kc.getCurrentCluster()?.proxyUrl
      ? (opts.agent as http.Agent)
      : this.agentFor(opts, secure)
    const mod = secure ? https : http
    return new Promise<RawResponse>((resolve, reject) => {
      const req = mod.request(
        {
          protocol: this.url.protocol,
          hostname: this.url.hostname,
          port: this.url.port,
          method,
          path: pathAndQuery,
          headers,
          agent,
        },
        (res) => {
          const chunks: Buffer[] = []
          let bytes = 0
          const limit = this.untrusted ? MAX_UNTRUSTED_RESPONSE_BYTES : Number.POSITIVE_INFINITY
          res.on('data', (c: Buffer) => {
            bytes += c.length
            if (bytes > limit) {
              chunks.length = 0
              req.destroy(
                Object.assign(new Error(`the response exceeds ${limit} bytes; refusing it`), {
                  code: 'KUBE_TOO_LARGE',
                }),
              )
              return
            }
            chunks.push(c)
          })
          res.on('error', reject)
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            let parsed: unknown = text
            if (text && /json/.test(res.headers['content-type'] ?? '')) {
              try {
                parsed = JSON.parse(text)
              } catch {
                parsed = text
              }
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed })
          })
        },
      )
      // An idle timeout: no bytes for this long (connecting, the TLS handshake and the response
      // all count), so a slow but streaming list is not cut.
      req.setTimeout(this.timeoutMs, () => {
        req.destroy(
          Object.assign(new Error(`no response within ${formatDuration(this.timeoutMs)}`), {
            code: 'KUBE_TIMEOUT',
          }),
        )
      })
      if (Number.isFinite(hardMs)) {
        const cut = setTimeout(() => {
          req.destroy(Object.assign(new Error('the deadline passed'), { code: 'KUBE_DEADLINE' }))
        }, hardMs)
        req.once('close', () => clearTimeout(cut))
      }
      req.on('error', reject)
      req.end(body)
    })
  }

  private agentFor(opts: https.RequestOptions, secure: boolean): http.Agent {
    const tls = {
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
      pfx: opts.pfx,
      passphrase: opts.passphrase,
      servername: opts.servername,
      rejectUnauthorized: opts.rejectUnauthorized,
    }
    const key = JSON.stringify([
      secure,
      String(tls.ca ?? ''),
      String(tls.cert ?? ''),
      tls.servername,
      tls.rejectUnauthorized,
    ])
    if (!this.agent || key !== this.agentKey) {
      this.agent?.destroy()
      this.agent = secure
        ? new https.Agent({ keepAlive: true, maxSockets: 32, ...dropUndefined(tls) })
        : new http.Agent({ keepAlive: true, maxSockets: 32 })
      this.agentKey = key
    }
    return this.agent
  }
}

function apiRoot(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`
}

function collectionPath(apiVersion: string, res: ResourceInfo, namespace: string | undefined): string {
  const ns = res.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''
  return `${apiRoot(apiVersion)}${ns}/${res.name}`
}

function findKind(list: DiscoveryList | undefined, kind: string): ResourceInfo | undefined {
  if (!list) return undefined
  const main = list.resources.find((r) => r.kind === kind && !r.name.includes('/'))
  if (!main) return undefined
  const subresources = list.resources
    .filter((r) => r.name.startsWith(`${main.name}/`))
    .map((r) => r.name.slice(main.name.length + 1))
  return {
    name: main.name,
    kind: main.kind,
    namespaced: main.namespaced,
    verbs: main.verbs ?? [],
    subresources,
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

/**
 * Text from an untrusted server, fit to print: the credentials it was sent become `***`, control
 * and line-separator characters become spaces (no second log line, no workflow command at a line
 * start), clipped to `max` characters.
 */
export function serverText(text: string, secrets: readonly string[], max: number): string {
  let out = text
  for (const s of secrets) out = out.split(s).join('***')
  out = out.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim()
  return out.length > max ? `${out.slice(0, max)}… (${out.length} characters, clipped)` : out
}

function isStatus(body: unknown): body is KubeStatus {
  return typeof body === 'object' && body !== null && (body as KubeStatus).kind === 'Status'
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** RFC 3339 with exactly six fractional digits, as Lease `acquireTime`/`renewTime` (MicroTime) require. */
export function microTime(date: Date = new Date()): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
}
