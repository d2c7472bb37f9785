// Cached reads of one cluster: one list per kind (all namespaces), filtered in memory, so API
// calls scale with kinds × clusters, never with objects per kind. Versions are resolved
// through discovery (preferred version of the group) so DKP releases serving different
// versions of a kind (AppDeployment v1alpha2/v1alpha3, HelmRelease v2beta1/v2beta2) read alike.

import type { AnyObject, Kube, KubeObject } from '../effects/kube.js'

export class Snapshot {
  private readonly lists = new Map<string, Promise<KubeObject[] | undefined>>()

  constructor(readonly kube: Kube) {}

  /**
   * Every object of a kind, optionally in one namespace. `groupOrApiVersion` is either an
   * apiVersion (`cluster.x-k8s.io/v1beta1`, `v1`) or a bare group (`helm.toolkit.fluxcd.io`)
   * read at its preferred version. A kind the server does not serve lists as empty.
   */
  async list<T extends KubeObject = AnyObject>(
    groupOrApiVersion: string,
    kind: string,
    namespace?: string,
  ): Promise<T[]> {
    const all = ((await this.load(groupOrApiVersion, kind)) ?? []) as T[]
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace)
  }

  async get<T extends KubeObject = AnyObject>(
    groupOrApiVersion: string,
    kind: string,
    name: string,
    namespace?: string,
  ): Promise<T | undefined> {
    return (await this.list<T>(groupOrApiVersion, kind, namespace)).find((o) => o.metadata.name === name)
  }

  /** Whether the server serves the kind (its CRD is installed). */
  async served(groupOrApiVersion: string, kind: string): Promise<boolean> {
    return (await this.load(groupOrApiVersion, kind)) !== undefined
  }

  /** Forgets cached lists (all, or of the given kinds) so the next read is fresh. */
  refresh(...kinds: string[]): void {
    if (kinds.length === 0) this.lists.clear()
    else
      for (const key of [...this.lists.keys()]) if (kinds.includes(key.split('|')[1]!)) this.lists.delete(key)
  }

  private load(groupOrApiVersion: string, kind: string): Promise<KubeObject[] | undefined> {
    const key = `${groupOrApiVersion}|${kind}`
    let pending = this.lists.get(key)
    if (!pending) {
      pending = this.fetch(groupOrApiVersion, kind)
      this.lists.set(key, pending)
      pending.catch(() => this.lists.delete(key))
    }
    return pending
  }

  private async fetch(groupOrApiVersion: string, kind: string): Promise<KubeObject[] | undefined> {
    const apiVersion = await this.apiVersion(groupOrApiVersion)
    if (!apiVersion || !(await this.kube.hasResource(apiVersion, kind))) return undefined
    return this.kube.list(apiVersion, kind)
  }

  private async apiVersion(groupOrApiVersion: string): Promise<string | undefined> {
    if (groupOrApiVersion === 'v1' || groupOrApiVersion.includes('/')) return groupOrApiVersion
    const version = await this.kube.preferredVersion(groupOrApiVersion)
    return version ? `${groupOrApiVersion}/${version}` : undefined
  }
}
