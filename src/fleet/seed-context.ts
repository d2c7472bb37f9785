// The options and results of seeding, and the builder every seeding module writes into: the
// objects in create order (with the status a controller would have written) and the
// namespaces they need.

import type { AnyObject } from './objects.js'

export interface SeedOptions {
  /** DKP release the fleet runs: `v2.7.1`. */
  dkp: string
  /** Kubernetes of every cluster (bare or v-prefixed); default: the release's default. */
  kubernetes?: string
  /**
   * Kubeconfig content stored in the managed/attached clusters' kubeconfig Secrets. All clusters
   * share the one API server, so this is normally the fleet's own (admin) kubeconfig.
   */
  kubeconfig?: string
  /** Requests in flight while seeding (default 24). */
  concurrency?: number
  /** Fixed clock for timestamps (tests). */
  now?: Date
}

export interface SeededObject {
  obj: AnyObject
  /** Written through /status after the create (a controller's part). */
  status?: Record<string, unknown>
  /** Kind may be absent from the server (optional CRDs): skipped with a note instead of failing. */
  optional?: boolean
}

export interface FleetLayout {
  workspaces: { name: string; namespace: string; projects: { name: string; namespace: string }[] }[]
  clusters: {
    name: string
    kind: 'management' | 'managed' | 'attached'
    provider?: string
    namespace?: string
    workspaceNamespace: string
    nodepools: string[]
  }[]
}

export interface SeedResult extends FleetLayout {
  dkp: string
  kubernetes: string
  /** Objects created (status writes not counted). */
  objects: number
  /** Kinds the server does not serve, skipped. */
  skippedKinds: string[]
  ms: number
}

export interface BuildOptions extends Omit<SeedOptions, 'concurrency'> {
  /** HelmRelease apiVersion to write (default v2beta2). */
  helmApi?: string
  /** GitRepository apiVersion to write (default v1). */
  sourceApi?: string
}

/** The builder: the release and clock of this seeding, and what it produced so far. */
export interface SeedBuilder {
  dkp: string
  kubernetes: string
  now: string
  kubeconfig: string
  helmApi: string
  sourceApi: string
  out: SeededObject[]
  namespaces: Set<string>
}

export function add(
  ctx: SeedBuilder,
  obj: AnyObject,
  status?: Record<string, unknown>,
  optional = false,
): void {
  ctx.out.push({ obj, ...(status ? { status } : {}), ...(optional ? { optional } : {}) })
}

export function namespace(ctx: SeedBuilder, name: string): void {
  ctx.namespaces.add(name)
}
