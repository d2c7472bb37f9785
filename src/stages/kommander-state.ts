// Done-conditions of the Kommander stages (reference/dkp.md §4 "At target / done per stage"),
// as pure functions over object lists, plus the per-item flow the multi-item stages share
// (workspaces, workspace-apps, project-apps): read every item → skip the done ones with their
// evidence → refuse bad items all at once → act → wait for all → report.
//
// The functions take what the stage read (one list per kind) and never call the API, so unit
// tests feed them fixtures.

import { WorkError } from '../core/errors.js'
import type { AppRelease, PlatformRelease, ReleasedHelmRelease } from '../core/release-data.js'
import { compareVersions, normalizeDkp, sameVersion } from '../core/versions.js'
import type { DkpCommand } from '../effects/dkp-runner.js'
import { act, noteFrom, waitFor } from './flow.js'
import { type AppDeployment, condition, type HelmRelease, type KommanderApp, ref } from './kinds.js'
import { firstTerminal, firstTerminalOn } from './terminal.js'
import type { StageContext, StageOutcome, StepState } from './types.js'

export const KOMMANDER_NS = 'kommander'
export const KOMMANDER_RELEASE = 'kommander'

/** At most this many pending items are spelled out in one line; the rest are counted. */
const MAX_LISTED = 6

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

/** Problems found on several clusters, each listed once with the clusters it holds on. */
export function groupByProblem(found: readonly { cluster: string; problem: string }[]): string[] {
  const groups = new Map<string, string[]>()
  for (const { cluster, problem } of found) {
    const list = groups.get(problem)
    if (list) list.push(cluster)
    else groups.set(problem, [cluster])
  }
  return [...groups].map(([problem, clusters]) => `${problem} on ${listSome(clusters, 3)}`)
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

const byName = <T extends { metadata: { name?: string } }>(list: readonly T[]) =>
  new Map(list.map((o) => [o.metadata.name!, o]))

/** Safe version order: semver where both parse, else plain string order. */
function versionOrder(a: string, b: string): number {
  try {
    return compareVersions(a, b)
  } catch {
    return a < b ? -1 : a > b ? 1 : 0
  }
}

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
      (current.version !== undefined && version !== undefined && versionOrder(version, current.version) > 0)
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

// ------------------------------------------------------------------------------ state helpers

/** Lists a few items and counts the rest. */
export function listSome(items: readonly string[], max = MAX_LISTED): string {
  return items.length <= max
    ? items.join(', ')
    : `${items.slice(0, max).join(', ')} and ${items.length - max} more`
}

/** One StepState from several (done when all are). */
export function combine(states: readonly StepState[]): StepState {
  const out: StepState = {
    done: states.every((s) => s.done),
    evidence: states.flatMap((s) => s.evidence),
    pending: states.flatMap((s) => s.pending),
  }
  const from = states.find((s) => s.from)?.from
  if (from) out.from = from
  const failed = states.find((s) => s.failed)?.failed
  if (failed) out.failed = failed
  return out
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

// ------------------------------------------------------------------------------ 1 Kommander

export interface KommanderCoreLike {
  metadata: { name?: string }
  status?: { version?: string }
}

export interface KommanderInputs {
  /** Target DKP, `v2.8.1`. */
  target: string
  /** The target's platform release from the release table; undefined when the table has no such tag. */
  release?: PlatformRelease | undefined
  /** HelmReleases in `kommander`. */
  helmReleases: readonly HelmRelease[]
  /** AppDeployments in `kommander`. */
  appDeployments: readonly AppDeployment[]
  clusterApps: readonly KommanderApp[]
  kommanderCores: readonly KommanderCoreLike[]
}

/** The running DKP version from the Kommander HelmRelease (`v2.7.1`), when it says. */
export function runningDkp(hr: HelmRelease | undefined): string | undefined {
  if (!hr) return undefined
  const view = helmReleaseView(hr)
  const raw = view.applied ?? view.chartVersion
  return raw ? (normalizeDkp(raw) ?? raw) : undefined
}

/**
 * Platform AppDeployments of one namespace against the ClusterApps they should reference: the
 * release's (`<appId>-<version>` of the target tag) where the table knows it, else `fallback`.
 * Returns the appIds of the platform apps found (the apps enabled there).
 */
function platformRefs(
  appDeployments: readonly AppDeployment[],
  clusterApps: ReadonlyMap<string, KommanderApp>,
  want: (appId: string) => string[] | undefined,
): { enabled: string[]; stale: string[]; atTarget: number; notShipped: string[] } {
  const out = { enabled: [] as string[], stale: [] as string[], atTarget: 0, notShipped: [] as string[] }
  for (const ad of appDeployments) {
    const appRef = ad.spec?.appRef
    if (appRef?.kind !== 'ClusterApp' || !appRef.name) continue
    const appId = appIdOf(ad, clusterApps.get(appRef.name))
    out.enabled.push(appId)
    const names = want(appId)
    if (!names || names.length === 0) {
      out.notShipped.push(`${ref(ad)} → ${appRef.name}`)
      continue
    }
    if (names.includes(appRef.name)) out.atTarget++
    else out.stale.push(`${ref(ad)} → ${appRef.name} (want ${names.join(' or ')})`)
  }
  return out
}

/**
 * Stage 1: HelmRelease kommander/kommander asks for and released `v<T>` and is Ready;
 * KommanderCore `status.version` (2.7+) agrees; every platform AppDeployment in `kommander`
 * references the release's ClusterApp; every HelmRelease in `kommander` is Ready at its
 * generation; and where the release table knows `T`, every HelmRelease it lists for the
 * enabled apps exists at the table's chart version. A release the table does not know falls
 * back to the generic rules (AppDeployments on the newest ClusterApps, everything Ready) and
 * the evidence says so.
 */
export function kommanderState(input: KommanderInputs): StepState {
  const { target, release } = input
  const releases = new Map(input.helmReleases.map((hr) => [hr.metadata.name!, helmReleaseView(hr)]))
  const main = input.helmReleases.find((hr) => hr.metadata.name === KOMMANDER_RELEASE)
  const state: StepState = { done: false, evidence: [], pending: [] }
  if (!main) {
    state.pending.push(
      `HelmRelease ${KOMMANDER_NS}/${KOMMANDER_RELEASE} not found: Kommander is not installed on this cluster`,
    )
    return state
  }
  const from = runningDkp(main)
  if (from) state.from = from
  const mainView = releases.get(KOMMANDER_RELEASE)!
  if (releasedAt(mainView, target)) state.evidence.push(describeRelease(mainView))
  else state.pending.push(describeRelease(mainView, target))

  const notReady = [...releases.values()].filter((v) => v.ref !== mainView.ref && !v.ready)
  if (notReady.length > 0) {
    state.pending.push(
      `HelmReleases not Ready in ${KOMMANDER_NS}: ${listSome(notReady.map((v) => `${v.ref} ${v.notReady}`))}`,
    )
  } else {
    state.evidence.push(`all ${releases.size} HelmReleases in ${KOMMANDER_NS} Ready at their generation`)
  }

  // Platform apps: each ClusterApp-kind AppDeployment references the release's ClusterApp of
  // its appId (the CLI creates the release's ClusterApps, then repoints them; a CLI that
  // stopped halfway leaves them on the old ones).
  const clusterApps = byName(input.clusterApps)
  const newest = platformTargets([], input.clusterApps)
  const refs = platformRefs(input.appDeployments, clusterApps, (appId) => {
    if (release) return releaseClusterApps(release, appId)
    const n = newest.get(appId)
    return n ? [n.name] : undefined
  })
  const whose = release ? `release ${release.tag}'s` : 'the newest'
  if (refs.stale.length > 0)
    state.pending.push(`platform AppDeployments not on ${whose} ClusterApps: ${listSome(refs.stale)}`)
  else if (refs.atTarget > 0)
    state.evidence.push(`${refs.atTarget} platform AppDeployments in ${KOMMANDER_NS} on ${whose} ClusterApps`)
  if (release && refs.notShipped.length > 0)
    state.evidence.push(
      `release ${release.tag} ships no ClusterApp for ${listSome(refs.notShipped)}: left as is`,
    )

  if (release) {
    // `kommander` is enabled by definition (its HelmRelease is the one checked above).
    const apps = tableApps(release, [KOMMANDER_RELEASE, ...refs.enabled])
    const { problems, checked } = tableProblems(
      apps,
      KOMMANDER_NS,
      input.helmReleases,
      new Set([KOMMANDER_RELEASE]),
    )
    if (problems.length > 0)
      state.pending.push(
        `HelmReleases not at the chart versions of ${release.repo} ${release.tag}: ${listSome(problems)}`,
      )
    else
      state.evidence.push(
        `${checked} HelmReleases of ${apps.length} enabled apps in ${KOMMANDER_NS} at the chart versions of ${release.source}`,
      )
  } else {
    state.evidence.unshift(
      unknownReleaseNote(
        'mesosphere/kommander-applications',
        target,
        'generic checks only (Kommander chart, HelmReleases Ready at their generation, AppDeployments on the newest ClusterApps); chart versions of the platform apps not checked',
      ),
    )
  }

  for (const core of input.kommanderCores) {
    const version = core.status?.version
    if (!version) continue
    if (sameVersion(version, target))
      state.evidence.push(`KommanderCore ${core.metadata.name} status.version ${version}`)
    else state.pending.push(`KommanderCore ${core.metadata.name} status.version ${version} (want ${target})`)
  }
  const failed = firstTerminal(input.helmReleases)
  if (failed) state.failed = failed
  state.done = state.pending.length === 0
  return state
}

// ------------------------------------------------------------------------------ 2 Workspace

export interface WorkloadReleases {
  /** Cluster name (KommanderCluster). */
  cluster: string
  /** HelmReleases in the workspace and project namespaces on that cluster. */
  helmReleases: readonly HelmRelease[]
}

export interface WorkspaceInputs {
  workspace: string
  namespace: string
  projectNamespaces: readonly string[]
  /** Target DKP (`v2.8.1`), for messages. */
  target: string
  /** The target's platform release from the release table; undefined when the table has no such tag. */
  release?: PlatformRelease | undefined
  /** AppDeployments in the workspace and project namespaces (others are ignored). */
  appDeployments: readonly AppDeployment[]
  clusterApps: readonly KommanderApp[]
  /** From platformTargets(): what the management cluster runs (the generic rule). */
  targets: ReturnType<typeof platformTargets>
  clusters: readonly WorkloadReleases[]
  /** Clusters of the workspace that could not be read for a reason that is not an error (no kubeconfigRef yet). */
  notes?: readonly string[]
}

/**
 * Stage 2 for one workspace, the kommander rules on each workspace cluster: every
 * ClusterApp-kind AppDeployment in the workspace and project namespaces references the
 * release's ClusterApp (generic: the one the management cluster runs); on every workspace
 * cluster every HelmRelease in the workspace namespace is Ready at its generation, and where
 * the table knows the release every HelmRelease it lists for the apps enabled in the
 * workspace (and each project) namespace exists there at the table's chart version.
 */
export function workspaceState(input: WorkspaceInputs): StepState {
  const { release } = input
  const state: StepState = { done: false, evidence: [], pending: [] }
  const label = `workspace ${input.workspace} (${input.namespace})`
  const namespaces = [input.namespace, ...input.projectNamespaces]
  const clusterApps = byName(input.clusterApps)
  const enabled = new Map<string, string[]>()
  const stale: string[] = []
  const notShipped: string[] = []
  let atTarget = 0
  for (const ns of namespaces) {
    const refs = platformRefs(
      input.appDeployments.filter((ad) => ad.metadata.namespace === ns),
      clusterApps,
      (appId) => {
        if (release) return releaseClusterApps(release, appId)
        const t = input.targets.get(appId)
        return t ? [t.name] : undefined
      },
    )
    enabled.set(ns, refs.enabled)
    stale.push(...refs.stale)
    notShipped.push(...refs.notShipped)
    atTarget += refs.atTarget
  }
  const whose = release ? `release ${release.tag}'s` : "the management cluster's"
  if (stale.length > 0)
    state.pending.push(`${label}: platform AppDeployments not on ${whose} ClusterApps: ${listSome(stale)}`)
  else state.evidence.push(`${label}: ${atTarget} platform AppDeployments on ${whose} ClusterApps`)
  if (notShipped.length > 0)
    state.evidence.push(
      `${label}: ${release ? `release ${release.tag}` : 'the management cluster'} ships no ClusterApp for ${listSome(notShipped)}: left as is`,
    )
  if (!release)
    state.evidence.unshift(
      unknownReleaseNote(
        'mesosphere/kommander-applications',
        input.target,
        `${label}: generic checks only (AppDeployments on the management cluster's ClusterApps, HelmReleases Ready at their generation); chart versions not checked`,
      ),
    )

  const expected = new Map(
    release ? namespaces.map((ns) => [ns, tableApps(release, enabled.get(ns) ?? [])] as const) : [],
  )
  const unconverged: { cluster: string; problem: string }[] = []
  const converged: string[] = []
  for (const c of input.clusters) {
    const problems: string[] = []
    for (const hr of c.helmReleases) {
      if (hr.metadata.namespace !== input.namespace) continue
      const view = helmReleaseView(hr)
      if (!view.ready) problems.push(`${view.ref} ${view.notReady}`)
    }
    for (const [ns, apps] of expected) {
      const { problems: off } = tableProblems(apps, ns, c.helmReleases)
      problems.push(...off.filter((p) => !problems.includes(p)))
    }
    if (problems.length > 0) for (const problem of problems) unconverged.push({ cluster: c.cluster, problem })
    else converged.push(c.cluster)
  }
  if (unconverged.length > 0)
    state.pending.push(`${label}: HelmReleases not converged: ${listSome(groupByProblem(unconverged), 3)}`)
  if (converged.length > 0)
    state.evidence.push(
      release
        ? `${label}: HelmReleases Ready and at the chart versions of ${release.source} on ${listSome(converged)}`
        : `${label}: HelmReleases Ready at their generation on ${listSome(converged)}`,
    )
  if (input.clusters.length === 0)
    state.evidence.push(`${label}: no workspace clusters to check HelmReleases on`)
  state.evidence.push(...(input.notes ?? []))
  const failed = firstTerminalOn(input.clusters)
  if (failed) state.failed = failed
  state.done = state.pending.length === 0
  return state
}

// ------------------------------------------------------------------------------ 3/4 Catalog

export interface CatalogInputs {
  /** `team-a/kafka-operator` style label for messages. */
  label: string
  /** Target version (bare, as in the inventory). */
  version: string
  appDeployment?: AppDeployment
  /** Apps visible to it: its own namespace first, then the workspace namespace. */
  apps: readonly KommanderApp[]
  clusterApps: readonly KommanderApp[]
  /**
   * What the release table says `<appId>` `<version>` deploys (catalog tags), or a function
   * that finds it once the appId is known; undefined when the table does not know the version.
   */
  table?: AppRelease | ((appId: string, version: string) => AppRelease | undefined) | undefined
  /** HelmReleases in the AppDeployment's namespace, per workspace cluster. */
  releases: readonly { cluster: string; helmReleases: readonly HelmRelease[] }[]
}

export interface CatalogState extends StepState {
  appId?: string
  /** `<appId>-<version>`: the App the AppDeployment must reference. */
  targetApp?: string
  /** Why the stage must refuse to act on this app. */
  problem?: string
}

/**
 * Stages 3/4 for one catalog app: the AppDeployment references App `<appId>-<version>`, and
 * the app's HelmReleases (found through the release table by name in the AppDeployment's
 * namespace, never by the AppDeployment's name: catalog releases are named after the app) are
 * Ready at their generation and at the table's chart versions wherever the app is deployed.
 * A version the table does not know falls back to the HelmRelease named after the app (else
 * the AppDeployment) being Ready at its generation, and the evidence says so. `problem` is set
 * when upgrading must be refused: AppDeployment missing, a platform (ClusterApp) app, the
 * target App missing, or a downgrade.
 */
export function catalogAppState(input: CatalogInputs): CatalogState {
  const state: CatalogState = { done: false, evidence: [], pending: [] }
  const ad = input.appDeployment
  if (!ad) {
    state.problem = `AppDeployment ${input.label} not found`
    state.pending.push(state.problem)
    return state
  }
  const appRef = ad.spec?.appRef
  if (appRef?.kind === 'ClusterApp') {
    const app = byName(input.clusterApps).get(appRef.name ?? '')
    state.problem = `AppDeployment ${ref(ad)} references ClusterApp ${appRef.name}: it is a platform app, upgraded by the kommander and workspaces stages, not a catalog app (remove it from the inventory's apps)`
    state.appId = appIdOf(ad, app)
    state.pending.push(state.problem)
    return state
  }
  const apps = input.apps
  const current = apps.find((a) => a.metadata.name === appRef?.name)
  const appId = appIdOf(ad, current)
  const targetApp = `${appId}-${input.version}`
  state.appId = appId
  state.targetApp = targetApp
  const from = appVersionOf(ad, current)
  if (from) state.from = from
  if (!apps.some((a) => a.metadata.name === targetApp)) {
    state.problem = `App ${targetApp} does not exist in ${[...new Set(apps.map((a) => a.metadata.namespace))].join(' or ') || ad.metadata.namespace}: the catalog has no ${appId} ${input.version} (available: ${
      apps
        .filter((a) => (a.spec?.appId ?? splitAppName(a.metadata.name!)?.appId) === appId)
        .map((a) => a.spec?.version ?? a.metadata.name)
        .join(', ') || 'none'
    }); check the version in the inventory or update the catalog repository`
  } else if (from && appRef?.name !== targetApp && versionOrder(input.version, from) < 0) {
    state.problem = `AppDeployment ${ref(ad)} runs ${appId} ${from}, newer than the inventory's ${input.version}: catalog apps are not downgraded`
  }
  if (appRef?.name !== targetApp) {
    state.pending.push(`AppDeployment ${ref(ad)} → ${appRef?.name ?? 'nothing'} (want ${targetApp})`)
    if (state.problem) state.pending.push(state.problem)
    return state
  }
  state.evidence.push(`AppDeployment ${ref(ad)} → App ${targetApp}`)
  const ns = ad.metadata.namespace!
  const table = typeof input.table === 'function' ? input.table(appId, input.version) : input.table
  const off: { cluster: string; problem: string }[] = []
  const deployed: string[] = []
  /** The app's HelmReleases per cluster (for terminal states). */
  const mineOnClusters: { cluster: string; helmReleases: HelmRelease[] }[] = []
  if (table) {
    const apps = [{ appId, version: input.version, helmReleases: table.helmReleases }]
    const names = new Set(table.helmReleases.filter((h) => !h.dynamic).map((h) => h.name))
    for (const r of input.releases) {
      const mine = r.helmReleases.filter((hr) => hr.metadata.namespace === ns)
      // Not deployed to this cluster (the AppDeployment's cluster selector leaves it out).
      if (!mine.some((hr) => names.has(hr.metadata.name!))) continue
      deployed.push(r.cluster)
      mineOnClusters.push({
        cluster: r.cluster,
        helmReleases: mine.filter((hr) => names.has(hr.metadata.name!)),
      })
      for (const problem of tableProblems(apps, ns, mine).problems) off.push({ cluster: r.cluster, problem })
    }
    const list = [...names].map((n) => `${ns}/${n}`).join(', ')
    if (off.length > 0)
      state.pending.push(
        `HelmReleases of ${appId} ${input.version} not converged: ${listSome(groupByProblem(off), 3)}`,
      )
    else if (deployed.length > 0)
      state.evidence.push(
        `HelmRelease ${list} at the chart versions of ${table.source}, Ready on ${listSome(deployed)}`,
      )
    else
      state.evidence.push(
        `no HelmRelease ${list} on the ${input.releases.length} workspace cluster(s): not deployed to any`,
      )
  } else {
    state.evidence.unshift(
      `the release table does not know ${appId} ${input.version} (not in any mesosphere/dkp-catalog-applications tag): generic checks only (appRef, HelmRelease Ready at its generation and not on another version's values); chart version not checked`,
    )
    const knownVersions = new Set(
      apps
        .filter((a) => (a.spec?.appId ?? splitAppName(a.metadata.name!)?.appId) === appId)
        .map((a) => a.spec?.version ?? splitAppName(a.metadata.name!)?.version)
        .filter((v): v is string => v !== undefined),
    )
    for (const r of input.releases) {
      const mine = r.helmReleases.filter((hr) => hr.metadata.namespace === ns)
      const hr =
        mine.find((h) => h.metadata.name === appId) ?? mine.find((h) => h.metadata.name === ad.metadata.name)
      if (!hr) continue
      deployed.push(r.cluster)
      mineOnClusters.push({ cluster: r.cluster, helmReleases: [hr] })
      const view = helmReleaseView(hr)
      const rendered = valuesVersions(hr, appId, knownVersions)
      if (rendered.length > 0 && !rendered.includes(input.version))
        off.push({
          cluster: r.cluster,
          problem: `${view.ref} takes the values of ${appId} ${rendered.join(', ')} (want ${appId}-${input.version}-d2iq-defaults)`,
        })
      else if (!view.ready) off.push({ cluster: r.cluster, problem: `${view.ref} ${view.notReady}` })
    }
    if (off.length > 0)
      state.pending.push(`HelmRelease of ${appId} not Ready: ${listSome(groupByProblem(off), 3)}`)
    else if (deployed.length > 0)
      state.evidence.push(`HelmRelease ${ns}/${appId} Ready at its generation on ${listSome(deployed)}`)
    else
      state.evidence.push(
        `no HelmRelease ${ns}/${appId} on the ${input.releases.length} workspace cluster(s): not deployed to any`,
      )
  }
  // a HelmRelease of this app whose retries are exhausted ends the wait (terminal.ts)
  const failed = firstTerminalOn(mineOnClusters)
  if (failed) state.failed = failed
  state.done = state.pending.length === 0
  return state
}

// ------------------------------------------------------------------------------ item flow

/** One unit of a multi-item stage (a workspace, a catalog app). */
export interface ItemState {
  /** `workspace team-a`, `app team-a/kafka-operator`. */
  label: string
  state: StepState
  /** The dkp command that brings it to target. */
  command: DkpCommand
  /** Set when the stage must refuse to act on this item. */
  problem?: string
}

/** The stage's done-condition over all its items. */
export function itemsState(items: readonly ItemState[]): StepState {
  return combine(
    items.map((i) => ({
      ...i.state,
      pending: i.state.pending.map((p) => (p.startsWith(i.label) ? p : `${i.label}: ${p}`)),
    })),
  )
}

/**
 * Read → skip the items at target (logged with evidence) → refuse when any item to act on has
 * a problem (all listed, nothing run) → run one command per remaining item → wait until every
 * item is done → report. Dry run: lists the commands and the skipped items, changes nothing.
 */
export async function upgradeItems(
  ctx: StageContext,
  spec: { what: string; read: () => Promise<ItemState[]>; refresh: () => void },
): Promise<StageOutcome> {
  const items = await spec.read()
  const todo = items.filter((i) => !i.state.done)
  const done = items.filter((i) => i.state.done)
  for (const i of done)
    ctx.reporter.info(`skip ${i.label}: already at target (${i.state.evidence.join('; ')})`)
  const to = ctx.target.dkp
  if (todo.length === 0) {
    const state = itemsState(items)
    return {
      status: 'skipped',
      to,
      commands: [],
      message:
        items.length === 0
          ? `no ${spec.what} in the inventory`
          : `already at target: ${items.map((i) => i.label).join(', ')}`,
      evidence: state.evidence,
    }
  }
  const refused = todo.filter((i) => i.problem)
  if (refused.length > 0) {
    throw new WorkError(
      `refusing to upgrade ${spec.what}: ${refused.length} item(s) cannot be upgraded, nothing was run:\n${refused.map((i) => `- ${i.label}: ${i.problem}`).join('\n')}`,
    )
  }
  for (const i of todo) ctx.reporter.info(itemsState([i]).pending.join('; '))
  noteFrom(ctx, itemsState(todo).from)
  const commands = todo.map((i) => i.command)
  const outcome: StageOutcome = { status: ctx.dryRun ? 'dry-run' : 'upgraded', to, commands, evidence: [] }
  const fresh = async () => {
    ctx.snapshot.refresh()
    spec.refresh()
    return itemsState(await spec.read())
  }
  await act(ctx, commands, async () => (await fresh()).failed)
  const skippedNote =
    done.length > 0 ? `; skipped (already at target): ${done.map((i) => i.label).join(', ')}` : ''
  if (ctx.dryRun) {
    outcome.message = `would upgrade ${todo.map((i) => i.label).join(', ')}${skippedNote}`
    outcome.evidence = itemsState(done).evidence
    return outcome
  }
  const after = await waitFor(ctx, spec.what, fresh)
  outcome.message = `upgraded ${todo.map((i) => i.label).join(', ')}${skippedNote}`
  outcome.evidence = after.evidence
  return outcome
}
