// Done-conditions of the Kommander stages (reference/dkp.md §4 "At target / done per stage"),
// as pure functions over object lists, plus the per-item flow the multi-item stages share
// (workspaces, workspace-apps, project-apps): read every item → skip the done ones with their
// evidence → refuse bad items all at once → act → wait for all → report.
//
// The functions take what the stage read (one list per kind) and never call the API, so unit
// tests feed them fixtures.

import { WorkError } from '../core/errors.js'
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

// ------------------------------------------------------------------------------ 1 Kommander

export interface KommanderCoreLike {
  metadata: { name?: string }
  status?: { version?: string }
}

export interface KommanderInputs {
  /** Target DKP, `v2.8.1`. */
  target: string
  /** HelmReleases in `kommander`. */
  helmReleases: readonly HelmRelease[]
  /** AppDeployments in `kommander`. */
  appDeployments: readonly AppDeployment[]
  clusterApps: readonly KommanderApp[]
  /** Apps in `kommander` (custom/catalog apps of the management workspace). */
  apps: readonly KommanderApp[]
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
 * Stage 1: HelmRelease kommander/kommander asks for and released `v<T>`; every HelmRelease in
 * `kommander` is Ready; the platform AppDeployments there run their ClusterApp's version;
 * KommanderCore `status.version` (2.7+) agrees.
 */
export function kommanderState(input: KommanderInputs): StepState {
  const { target } = input
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
    state.evidence.push(`all ${releases.size} HelmReleases in ${KOMMANDER_NS} Ready`)
  }

  // Platform apps: each ClusterApp-kind AppDeployment references the newest ClusterApp of its
  // appId (the CLI creates the release's ClusterApps, then repoints them; a CLI that stopped
  // halfway leaves them on the old ones), and each AppDeployment's HelmRelease (same name)
  // released its (Cluster)App's version.
  const clusterApps = byName(input.clusterApps)
  const apps = byName(input.apps)
  const newest = platformTargets([], input.clusterApps)
  const stale: string[] = []
  const behind: string[] = []
  let checked = 0
  for (const ad of input.appDeployments) {
    const appRef = ad.spec?.appRef
    if (!appRef?.name) continue
    const app = appRef.kind === 'App' ? apps.get(appRef.name) : clusterApps.get(appRef.name)
    if (appRef.kind === 'ClusterApp') {
      const want = newest.get(appIdOf(ad, app))
      if (want && want.name !== appRef.name) stale.push(`${ref(ad)} → ${appRef.name} (want ${want.name})`)
    }
    const version = appVersionOf(ad, app)
    const view = releases.get(ad.metadata.name!)
    if (!version || !view) continue
    checked++
    if (!sameVersion(view.chartVersion, version) || !sameVersion(view.applied, version)) {
      behind.push(
        `${ad.metadata.name} (${appRef.name}; HelmRelease at ${view.applied ?? view.chartVersion ?? 'unset'})`,
      )
    }
  }
  if (stale.length > 0)
    state.pending.push(`platform AppDeployments not on the newest ClusterApps: ${listSome(stale)}`)
  if (behind.length > 0)
    state.pending.push(`platform apps not yet at their ClusterApp version: ${listSome(behind)}`)
  else if (checked > 0)
    state.evidence.push(`${checked} AppDeployments in ${KOMMANDER_NS} released at their app versions`)

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
  /** AppDeployments in the workspace and project namespaces (others are ignored). */
  appDeployments: readonly AppDeployment[]
  clusterApps: readonly KommanderApp[]
  /** From platformTargets(). */
  targets: ReturnType<typeof platformTargets>
  clusters: readonly WorkloadReleases[]
  /** Clusters of the workspace that could not be read for a reason that is not an error (no kubeconfigRef yet). */
  notes?: readonly string[]
}

/**
 * Stage 2 for one workspace: every ClusterApp-kind AppDeployment in the workspace and its
 * project namespaces references the ClusterApp the management cluster runs for that appId;
 * on every workspace cluster each such app's HelmRelease (same name and namespace, where
 * present) released that ClusterApp's version, and every HelmRelease in the workspace
 * namespace is Ready.
 */
export function workspaceState(input: WorkspaceInputs): StepState {
  const state: StepState = { done: false, evidence: [], pending: [] }
  const label = `workspace ${input.workspace} (${input.namespace})`
  const namespaces = new Set([input.namespace, ...input.projectNamespaces])
  const clusterApps = byName(input.clusterApps)
  const platform = input.appDeployments.filter(
    (ad) =>
      namespaces.has(ad.metadata.namespace!) && ad.spec?.appRef?.kind === 'ClusterApp' && ad.spec.appRef.name,
  )
  /** `ns/name` of each platform AppDeployment → the version its HelmRelease must run. */
  const wanted = new Map<string, string>()
  const behind: string[] = []
  const atTarget: string[] = []
  for (const ad of platform) {
    const current = ad.spec!.appRef!.name!
    const appId = appIdOf(ad, clusterApps.get(current))
    const target = input.targets.get(appId)
    if (!target) {
      state.evidence.push(
        `${ref(ad)} → ${current}: the management cluster ships no ClusterApp for ${appId}; left as is`,
      )
      continue
    }
    if (current !== target.name) {
      behind.push(`${ref(ad)} → ${current} (want ${target.name})`)
      continue
    }
    atTarget.push(current)
    const version = target.version ?? appVersionOf(ad, clusterApps.get(current))
    if (version) wanted.set(ref(ad), version)
  }
  if (behind.length > 0)
    state.pending.push(`${label}: platform AppDeployments behind the management cluster: ${listSome(behind)}`)
  else
    state.evidence.push(
      `${label}: ${atTarget.length} platform AppDeployments at the management cluster's ClusterApps`,
    )

  const unconverged: { cluster: string; problem: string }[] = []
  const converged: string[] = []
  for (const c of input.clusters) {
    let ok = true
    for (const hr of c.helmReleases) {
      const view = helmReleaseView(hr)
      const want = wanted.get(view.ref)
      let problem: string | undefined
      if (want !== undefined) {
        if (!releasedAt(view, want)) problem = `${view.ref} ${releaseState(view, want)}`
      } else if (hr.metadata.namespace === input.namespace && !view.ready) {
        problem = `${view.ref} ${view.notReady}`
      }
      if (problem) {
        ok = false
        unconverged.push({ cluster: c.cluster, problem })
      }
    }
    if (ok) converged.push(c.cluster)
  }
  if (unconverged.length > 0)
    state.pending.push(`${label}: HelmReleases not converged: ${listSome(groupByProblem(unconverged), 3)}`)
  if (converged.length > 0)
    state.evidence.push(`${label}: HelmReleases Ready at their app versions on ${listSome(converged)}`)
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
  /** HelmRelease named like the AppDeployment in its namespace, per workspace cluster (absent → not deployed there). */
  releases: readonly { cluster: string; helmRelease?: HelmRelease }[]
}

export interface CatalogState extends StepState {
  appId?: string
  /** `<appId>-<version>`: the App the AppDeployment must reference. */
  targetApp?: string
  /** Why the stage must refuse to act on this app. */
  problem?: string
}

/**
 * Stages 3/4 for one catalog app: the AppDeployment references App `<appId>-<version>` and
 * its HelmRelease released that version and is Ready wherever it is deployed. `problem` is
 * set when upgrading it must be refused: AppDeployment missing, a platform (ClusterApp) app,
 * the target App missing, or a downgrade.
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
  const found = input.releases.filter((r) => r.helmRelease)
  const off: { cluster: string; problem: string }[] = []
  for (const r of found) {
    const view = helmReleaseView(r.helmRelease!)
    if (!releasedAt(view, input.version))
      off.push({ cluster: r.cluster, problem: releaseState(view, input.version) })
  }
  if (off.length > 0)
    state.pending.push(`HelmRelease ${ref(ad)} not converged: ${listSome(groupByProblem(off), 3)}`)
  else if (found.length > 0)
    state.evidence.push(
      `HelmRelease ${ref(ad)} at ${input.version}, Ready on ${listSome(found.map((r) => r.cluster))}`,
    )
  else
    state.evidence.push(
      `no HelmRelease ${ref(ad)} on the ${input.releases.length} workspace cluster(s): not deployed to any`,
    )
  const failed = firstTerminalOn(input.releases)
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
