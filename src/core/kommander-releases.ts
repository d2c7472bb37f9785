// HelmReleases, Kommander apps and the release table as the Kommander done-checks read them
// (reference/dkp.md §4): what a HelmRelease asks for and released, which (Cluster)App an
// AppDeployment runs, and which HelmReleases the release table lists for an app version. Pure.

import { type AppDeployment, condition, type HelmRelease, type KommanderApp, ref } from './kinds.js'
import type { PlatformRelease, ReleasedHelmRelease } from './release-data.js'
import { compareLoosely, normalizeDkp, sameVersion } from './versions.js'

export const KOMMANDER_NS = 'kommander'
export const KOMMANDER_RELEASE = 'kommander'

// ------------------------------------------------------------------------------ HelmRelease

export interface HelmReleaseView {
  ref: string
  /** `spec.chart.spec.version`: what is asked for. */
  chartVersion?: string
  /** What was last released: `status.history[0].chartVersion` (v2beta2), else `status.lastAppliedRevision`. */
  applied?: string
  /** Ready=True and observed at the current generation (when the status says which). */
  ready: boolean
  /** Why it is not ready: `Ready=Unknown (Progressing)`, `suspended`, `not observed yet`. */
  notReady?: string
}

type HelmStatusExtra = { observedGeneration?: number }

export function helmReleaseView(hr: HelmRelease): HelmReleaseView {
  const view: HelmReleaseView = { ref: ref(hr), ready: false }
  const chartVersion = hr.spec?.chart?.spec?.version
  if (chartVersion) view.chartVersion = chartVersion
  const applied = hr.status?.history?.[0]?.chartVersion ?? hr.status?.lastAppliedRevision
  if (applied) view.applied = applied
  const ready = condition(hr, 'Ready')
  const observed = (hr.status as HelmStatusExtra | undefined)?.observedGeneration
  const generation = hr.metadata.generation
  if (ready?.status !== 'True') {
    view.notReady = `Ready=${ready?.status ?? 'missing'}${ready?.reason ? ` (${ready.reason})` : ''}`
  } else if (observed !== undefined && generation !== undefined && observed < generation) {
    view.notReady = `generation ${generation} not observed yet (observed ${observed})`
  } else {
    view.ready = true
  }
  if (hr.spec?.suspend) view.notReady = `${view.notReady ? `${view.notReady}, ` : ''}suspended`
  return view
}

/** Whether a HelmRelease asks for and has released `version` (a leading `v` ignored) and is Ready. */
export function releasedAt(view: HelmReleaseView, version: string): boolean {
  return sameVersion(view.chartVersion, version) && sameVersion(view.applied, version) && view.ready
}

/** `HelmRelease kommander/kommander at v2.8.1, Ready` or what is off. */
export function describeRelease(view: HelmReleaseView, want?: string): string {
  return `HelmRelease ${view.ref} ${releaseState(view, want)}`
}

/** `at v2.8.1, Ready`, `chart 1.0.0 (want 1.1.0), Ready`, `at 1.1.0, released 1.0.0, Ready=Unknown (Progressing)`. */
export function releaseState(view: HelmReleaseView, want?: string): string {
  const parts: string[] = []
  if (want !== undefined && !sameVersion(view.chartVersion, want))
    parts.push(`chart ${view.chartVersion ?? 'unset'} (want ${want})`)
  else parts.push(`at ${view.chartVersion ?? 'unset'}`)
  if (view.applied === undefined) parts.push('never released')
  else if (!sameVersion(view.applied, view.chartVersion)) parts.push(`released ${view.applied}`)
  parts.push(view.ready ? 'Ready' : (view.notReady ?? 'not Ready'))
  return parts.join(', ')
}

/** The running DKP version from the Kommander HelmRelease (`v2.7.1`), when it says. */
export function runningDkp(hr: HelmRelease | undefined): string | undefined {
  if (!hr) return undefined
  const view = helmReleaseView(hr)
  const raw = view.applied ?? view.chartVersion
  return raw ? (normalizeDkp(raw) ?? raw) : undefined
}

// ------------------------------------------------------------------------------ apps

/** A version-looking tail of an app name: `kafka-operator-0.25.1` → `0.25.1`. */
const VERSION_TAIL = /-(v?\d+\.\d+\.\d+(?:[-+.][0-9A-Za-z.+-]*)?)$/

/** `<appId>-<version>` split; undefined when the name carries no version. */
export function splitAppName(name: string): { appId: string; version: string } | undefined {
  const m = VERSION_TAIL.exec(name)
  return m ? { appId: name.slice(0, m.index), version: m[1]! } : undefined
}

/**
 * The appId of an AppDeployment: from the (Cluster)App it references, else from the referenced
 * name (`<appId>-<version>`), else its own name.
 */
export function appIdOf(ad: AppDeployment, referenced: KommanderApp | undefined): string {
  if (referenced?.spec?.appId) return referenced.spec.appId
  const name = ad.spec?.appRef?.name
  return (name && splitAppName(name)?.appId) || ad.metadata.name!
}

/** The version of the (Cluster)App an AppDeployment references (object first, else its name). */
export function appVersionOf(ad: AppDeployment, referenced: KommanderApp | undefined): string | undefined {
  if (referenced?.spec?.version) return referenced.spec.version
  const name = ad.spec?.appRef?.name
  return name ? splitAppName(name)?.version : undefined
}

export const byName = <T extends { metadata: { name?: string } }>(list: readonly T[]) =>
  new Map(list.map((o) => [o.metadata.name!, o]))

/**
 * The ClusterApp each platform appId should run after `dkp upgrade kommander`: the one the
 * same-appId AppDeployment in `kommander` references, else (workspace- or project-only apps)
 * the highest-version ClusterApp of that appId.
 */
export function platformTargets(
  kommanderAppDeployments: readonly AppDeployment[],
  clusterApps: readonly KommanderApp[],
) {
  const apps = byName(clusterApps)
  const targets = new Map<string, { name: string; version?: string; from: 'kommander' | 'latest' }>()
  for (const app of clusterApps) {
    const appId = app.spec?.appId ?? splitAppName(app.metadata.name!)?.appId
    const version = app.spec?.version ?? splitAppName(app.metadata.name!)?.version
    if (!appId) continue
    const current = targets.get(appId)
    if (
      !current ||
      (current.version !== undefined && version !== undefined && compareLoosely(version, current.version) > 0)
    ) {
      targets.set(appId, { name: app.metadata.name!, ...(version ? { version } : {}), from: 'latest' })
    }
  }
  for (const ad of kommanderAppDeployments) {
    if (ad.spec?.appRef?.kind !== 'ClusterApp' || !ad.spec.appRef.name) continue
    const app = apps.get(ad.spec.appRef.name)
    const version = appVersionOf(ad, app)
    targets.set(appIdOf(ad, app), {
      name: ad.spec.appRef.name,
      ...(version ? { version } : {}),
      from: 'kommander',
    })
  }
  return targets
}

// ------------------------------------------------------------------------------ release table

/**
 * An app whose HelmReleases the release table lists: checked by those names (dynamic ones by
 * chart), charts and chart versions, never by the app's own version.
 */
export interface TableApp {
  appId: string
  /** The app version the table rows belong to (`8.2.1`). */
  version: string
  helmReleases: readonly ReleasedHelmRelease[]
}

/** The ClusterApp a release ships for an appId (`gitea-8.2.1`), when it ships the app. */
export function releaseClusterApps(release: PlatformRelease, appId: string): string[] {
  return release.versions(appId).map((v) => `${appId}-${v}`)
}

/** Which enabled apps of a namespace the release ships, with the rows of their version in it. */
export function tableApps(release: PlatformRelease, appIds: Iterable<string>): TableApp[] {
  const out: TableApp[] = []
  for (const appId of new Set(appIds)) {
    const versions = release.versions(appId)
    const version = versions[versions.length - 1]
    const helmReleases = version === undefined ? undefined : release.helmReleases(appId, version)
    if (version !== undefined && helmReleases) out.push({ appId, version, helmReleases })
  }
  return out
}

/**
 * Problems of the HelmReleases the table lists for `apps` in `namespace` (among `releases` of
 * one cluster): each listed name must exist, run the listed chart, take its values from the
 * listed ConfigMaps (they name the app version: a release not re-rendered yet shows it even
 * where the chart version stays), ask for and have released the listed chart version, and be
 * Ready at its generation. Dynamic names (`${name}`, created by Kommander's controllers zero or
 * more times) are matched by chart. `skip`: names checked elsewhere.
 */
export function tableProblems(
  apps: readonly TableApp[],
  namespace: string,
  releases: readonly HelmRelease[],
  skip: ReadonlySet<string> = new Set(),
): { problems: string[]; checked: number } {
  const here = releases.filter((hr) => hr.metadata.namespace === namespace)
  const byName = new Map(here.map((hr) => [hr.metadata.name!, hr]))
  const problems: string[] = []
  let checked = 0
  const check = (hr: HelmRelease, row: ReleasedHelmRelease) => {
    checked++
    const view = helmReleaseView(hr)
    const chart = hr.spec?.chart?.spec?.chart
    const values = valuesConfigMaps(hr)
    const missing = (row.values ?? []).filter((v) => !values.includes(v))
    if (row.chart && chart && chart !== row.chart) {
      problems.push(`${view.ref} runs chart ${chart} (want ${row.chart})`)
    } else if (missing.length > 0) {
      // not re-rendered for this app version yet (the chart version may be the same)
      problems.push(
        `${view.ref} takes values from ${values.join(', ') || 'no ConfigMap'} (want ${missing.join(', ')})`,
      )
    } else if (row.chartVersion ? !releasedAt(view, row.chartVersion) : !view.ready) {
      problems.push(`${view.ref} ${releaseState(view, row.chartVersion ?? undefined)}`)
    }
  }
  for (const app of apps) {
    for (const row of app.helmReleases) {
      if (row.dynamic) {
        for (const hr of here) if (row.chart && hr.spec?.chart?.spec?.chart === row.chart) check(hr, row)
        continue
      }
      if (skip.has(row.name)) continue
      const hr = byName.get(row.name)
      if (hr) check(hr, row)
      else problems.push(`${namespace}/${row.name} missing (${app.appId} ${app.version} deploys it)`)
    }
  }
  return { problems, checked }
}

/** ConfigMaps a HelmRelease takes its values from (`spec.valuesFrom`), in order. */
export function valuesConfigMaps(hr: HelmRelease): string[] {
  return (hr.spec?.valuesFrom ?? []).filter((v) => v.kind === 'ConfigMap' && v.name).map((v) => v.name!)
}

/**
 * For an app version the table does not know: the versions of this app a HelmRelease's values
 * ConfigMaps name by D2iQ's convention `<appId>-<version>-d2iq-defaults` (I: every catalog and
 * platform manifest of the table but a few follows it), limited to `known` versions (Apps that
 * exist), so a name that merely looks like it decides nothing.
 */
export function valuesVersions(hr: HelmRelease, appId: string, known: ReadonlySet<string>): string[] {
  const prefix = `${appId}-`
  const suffix = '-d2iq-defaults'
  return valuesConfigMaps(hr)
    .filter((n) => n.startsWith(prefix) && n.endsWith(suffix))
    .map((n) => n.slice(prefix.length, n.length - suffix.length))
    .filter((v) => known.has(v))
}

/** The line that says a check fell back to the generic rules because the table has no such release. */
export function unknownReleaseNote(repo: string, tag: string, what: string): string {
  return `the release table has no ${repo} ${tag}: ${what}`
}
