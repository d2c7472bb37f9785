// The release table as the test fleet reads it (data/releases.json, generated from the public
// release manifests: mesosphere/kommander-applications and mesosphere/dkp-catalog-applications),
// and what the fleet derives from it. Loaded statically: the fleet is never on the plan path.
//
// Confirmed (C) by the table: every app version a tag ships, the HelmReleases it deploys (names,
// charts, chart versions), `managementApps` and the workspace `defaultApps` of the kommander
// app's defaults, each app's scope (metadata.yaml). Inferred (I) here, and said so in
// docs/test-fleet.md:
// - the management cluster is also a workspace cluster (kommander-workspace, namespace
//   `kommander`), so it runs managementApps ∪ defaultApps;
// - releases whose kommander defaults carry no `managementApps` (2.2–2.4) run the management
//   apps of the oldest tag that lists them, where the release ships them;
// - project namespaces run `project-grafana-logging`: not a release default, a project app a
//   user enables, seeded so that project-scoped platform apps are exercised.

import raw from '../../data/releases.json' with { type: 'json' }
import {
  findAppRelease,
  type PlatformRelease,
  type RawReleaseData,
  type ReleaseData,
  type ReleasedHelmRelease,
  releaseDataFrom,
} from '../core/release-data.js'
import { compareVersions } from '../core/versions.js'

export const RELEASES: ReleaseData = releaseDataFrom(raw as unknown as RawReleaseData)

/** Platform tags the test fleet seeds, oldest first: DKP v2.2.0 … v2.8.3 and NKP v2.12.0 … v2.17.1. */
export function dkpTags(): string[] {
  return RELEASES.platformTags().filter((t) => /^v2\.([2-8]|1[2-7])\.\d+$/.test(t))
}

function platform(tag: string): PlatformRelease {
  const r = RELEASES.platform(tag)
  if (!r) throw new Error(`the release table has no mesosphere/kommander-applications ${tag}`)
  return r
}

/** The `kommander` app version a tag ships (its ClusterApp `kommander-<version>`): `0.8.1`, 2.3.3 → `0.3.3`. */
export function kommanderAppVersion(tag: string): string {
  const v = platform(tag).versions('kommander')
  if (v.length !== 1) throw new Error(`release ${tag} ships ${v.length} versions of the kommander app`)
  return v[0]!
}

/** The one version of a platform app a tag ships, if any. */
export function platformVersion(tag: string, appId: string): string | undefined {
  return platform(tag).versions(appId)[0]
}

export interface EnabledApps {
  /** Namespace `kommander` on the management cluster. */
  management: string[]
  /** Each workspace namespace (on every workspace cluster). */
  workspace: string[]
  /** Each project namespace. */
  project: string[]
  /** Names the release's defaults list but the release does not ship (left out). */
  unknown: string[]
}

/** The oldest tag whose kommander defaults list `managementApps` (2.5.0). */
function oldestManagementList(): string[] {
  for (const tag of RELEASES.platformTags()) {
    const m = RELEASES.platform(tag)?.defaults?.management
    if (m && m.length > 0) return m
  }
  return []
}

/** Platform apps the test fleet enables at a tag (see the header for what is inferred). */
export function enabledApps(tag: string): EnabledApps {
  const r = platform(tag)
  const ships = new Set(r.apps())
  const listed = r.defaults?.management?.length ? r.defaults.management : oldestManagementList()
  const workspaceList = r.defaults?.workspace ?? []
  const unknown = [...new Set([...listed, ...workspaceList].filter((a) => !ships.has(a)))]
  const keep = (list: readonly string[]) => [...new Set(list.filter((a) => ships.has(a)))]
  return {
    management: keep(['kommander', 'kommander-appmanagement', ...listed, ...workspaceList]),
    workspace: keep(workspaceList),
    project: keep(['project-grafana-logging'].filter((a) => r.scope(a)?.includes('project'))),
    unknown,
  }
}

const order = (a: string, b: string): number => {
  try {
    return compareVersions(a, b)
  } catch {
    return a < b ? -1 : a > b ? 1 : 0
  }
}

/** Catalog versions of an app the catalog of a tag ships (the Apps a workspace sees), oldest first. */
export function catalogVersions(tag: string, appId: string): string[] {
  return [...(RELEASES.catalog(tag)?.versions(appId) ?? [])].sort(order)
}

/** Catalog app ids of every catalog tag of the table. */
export function catalogAppIds(): string[] {
  const ids = new Set<string>()
  for (const tag of RELEASES.catalogTags()) for (const a of RELEASES.catalog(tag)!.apps()) ids.add(a)
  return [...ids]
}

/**
 * The version a seeded catalog app runs before its upgrade to `target`: the newest release
 * (not a pre-release) below `target` the tag's catalog ships, else the newest pre-release below
 * it; undefined when the catalog ships none below it.
 */
export function olderCatalogVersion(tag: string, appId: string, target: string): string | undefined {
  const below = catalogVersions(tag, appId).filter((v) => order(v, target) < 0)
  const releases = below.filter((v) => !/-(dev|alpha|beta|rc)/.test(v))
  return releases.at(-1) ?? below.at(-1)
}

/**
 * What Kommander renders for an app version: the HelmReleases the table lists (the tag first,
 * else any tag that ships the version). An app the table does not know (a custom app, a user's
 * own catalog) renders one HelmRelease named after the app with its version as chart version:
 * an INFERRED stand-in, `known: false`, which the done-checks never rely on.
 */
export function appHelmReleases(
  kind: 'platform' | 'catalog',
  appId: string,
  version: string,
  tag?: string,
): { rows: ReleasedHelmRelease[]; known: boolean } {
  const found = findAppRelease(RELEASES, kind, appId, version, tag)
  if (found) return { rows: found.helmReleases, known: true }
  return { rows: [{ name: appId, dynamic: false, chart: appId, chartVersion: version }], known: false }
}
