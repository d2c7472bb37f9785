// What the API server serves, for the client (kube.ts): discovery per apiVersion and API
// group, cached per client (a missing kind is looked up again at most once a second, so a CRD
// just installed is found), and the paths of a kind's objects (an object path needs its
// name, and its namespace when the kind is namespaced).

import { isNotFound, KubeError } from './kube-error.js'
import type { DiscoveryList, RequestSpec, ResourceInfo, What } from './kube-types.js'

export class KubeDiscovery {
  private readonly discovery = new Map<string, Promise<DiscoveryList | undefined>>()
  private readonly discoveredAt = new Map<string, number>()
  private readonly groups = new Map<string, Promise<string | undefined>>()

  constructor(private readonly call: <T>(spec: RequestSpec) => Promise<T>) {}

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
  invalidate(): void {
    this.discovery.clear()
    this.groups.clear()
  }

  /** A 404 about the object itself (true), or about its kind being gone (discovery forgotten, false). */
  isObjectNotFound(err: unknown, apiVersion: string): boolean {
    if (!(err instanceof KubeError) || err.code !== 404) return false
    // An object's 404 names it in `details`; without that the resource type itself is gone
    // (a CRD deleted): forget discovery for that version and report it as an error.
    if (err.status?.details?.name) return true
    this.forget(apiVersion)
    return false
  }

  namespaceFor(res: ResourceInfo, namespace: string | undefined, what: What): string | undefined {
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

  async objectPath(
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

  async resourceOrThrow(apiVersion: string, kind: string, what: What): Promise<ResourceInfo> {
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

  /** Forgets one apiVersion (its resource type may be gone: a CRD deleted). */
  forget(apiVersion: string): void {
    this.discovery.delete(apiVersion)
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
}

export function apiRoot(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`
}

export function collectionPath(apiVersion: string, res: ResourceInfo, namespace: string | undefined): string {
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
