// The shapes the Kubernetes client reads and writes: objects (plain JSON), discovery
// results, request events, options, and the internal request description. The object shapes
// themselves are pure types in src/core/kube-object.ts (the done-checks in src/core read them).

import type http from 'node:http'
import type { Deadline } from './deadline.js'

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

export interface What {
  verb: string
  kind: string
  namespace?: string
  name?: string
}

export interface RawResponse {
  status: number
  headers: http.IncomingHttpHeaders
  body: unknown
}

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  path: string
  query?: Record<string, string | number | boolean | undefined>
  body?: unknown
  contentType?: string
  what: What
}

export interface DiscoveryList {
  resources: { name: string; kind: string; namespaced: boolean; verbs?: string[] }[]
}
