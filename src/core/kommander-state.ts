// Done-conditions of the `kommander` and `workspaces` stages (reference/dkp.md §4 "At target /
// done per stage"), as pure functions over object lists: they take what the stage read (one
// list per kind) and never call the API, so unit tests feed them fixtures.

// ------------------------------------------------------------------------------ 1 Kommander

import { type AppDeployment, type HelmRelease, type KommanderApp, ref } from './kinds.js'
import {
  appIdOf,
  byName,
  describeRelease,
  helmReleaseView,
  KOMMANDER_NS,
  KOMMANDER_RELEASE,
  platformTargets,
  releaseClusterApps,
  releasedAt,
  runningDkp,
  tableApps,
  tableProblems,
  unknownReleaseNote,
} from './kommander-releases.js'
import type { PlatformRelease } from './release-data.js'
import { groupByProblem, listSome, pend, type StepState } from './step-state.js'
import { firstTerminal, firstTerminalOn } from './terminal.js'
import { sameVersion } from './versions.js'

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
  const { target } = input
  const releases = new Map(input.helmReleases.map((hr) => [hr.metadata.name!, helmReleaseView(hr)]))
  const main = input.helmReleases.find((hr) => hr.metadata.name === KOMMANDER_RELEASE)
  const state: StepState = { done: false, evidence: [], pending: [] }
  if (!main) {
    state.pending.push(
      pend(
        'not-installed',
        `HelmRelease ${KOMMANDER_NS}/${KOMMANDER_RELEASE} not found: Kommander is not installed on this cluster`,
        `HelmRelease ${KOMMANDER_NS}/${KOMMANDER_RELEASE}`,
      ),
    )
    return state
  }
  const from = runningDkp(main)
  if (from) state.from = from
  const mainView = releases.get(KOMMANDER_RELEASE)!
  if (releasedAt(mainView, target)) state.evidence.push(describeRelease(mainView))
  else
    state.pending.push(
      pend('not-at-target', describeRelease(mainView, target), `HelmRelease ${mainView.ref}`),
    )

  const notReady = [...releases.values()].filter((v) => v.ref !== mainView.ref && !v.ready)
  if (notReady.length > 0) {
    state.pending.push(
      pend(
        'converging',
        `HelmReleases not Ready in ${KOMMANDER_NS}: ${listSome(notReady.map((v) => `${v.ref} ${v.notReady}`))}`,
      ),
    )
  } else {
    state.evidence.push(`all ${releases.size} HelmReleases in ${KOMMANDER_NS} Ready at their generation`)
  }
  const enabled = platformApps(input, state)
  chartVersions(input, state, enabled)
  kommanderCores(input, state)
  const failed = firstTerminal(input.helmReleases)
  if (failed) state.failed = failed
  state.done = state.pending.length === 0
  return state
}

/**
 * Platform apps: each ClusterApp-kind AppDeployment references the release's ClusterApp of its
 * appId (the CLI creates the release's ClusterApps, then repoints them; a CLI that stopped
 * halfway leaves them on the old ones). Returns the apps enabled.
 */
function platformApps(input: KommanderInputs, state: StepState): string[] {
  const { release } = input
  const clusterApps = byName(input.clusterApps)
  const newest = platformTargets([], input.clusterApps)
  const refs = platformRefs(input.appDeployments, clusterApps, (appId) => {
    if (release) return releaseClusterApps(release, appId)
    const n = newest.get(appId)
    return n ? [n.name] : undefined
  })
  const whose = release ? `release ${release.tag}'s` : 'the newest'
  if (refs.stale.length > 0)
    state.pending.push(
      pend('not-at-target', `platform AppDeployments not on ${whose} ClusterApps: ${listSome(refs.stale)}`),
    )
  else if (refs.atTarget > 0)
    state.evidence.push(`${refs.atTarget} platform AppDeployments in ${KOMMANDER_NS} on ${whose} ClusterApps`)
  if (release && refs.notShipped.length > 0)
    state.evidence.push(
      `release ${release.tag} ships no ClusterApp for ${listSome(refs.notShipped)}: left as is`,
    )
  return refs.enabled
}

/** The enabled apps' HelmReleases at the release table's chart versions (generic checks when the table does not know the release). */
function chartVersions(input: KommanderInputs, state: StepState, enabled: readonly string[]): void {
  const { release } = input
  if (!release) {
    state.evidence.unshift(
      unknownReleaseNote(
        'mesosphere/kommander-applications',
        input.target,
        'generic checks only (Kommander chart, HelmReleases Ready at their generation, AppDeployments on the newest ClusterApps); chart versions of the platform apps not checked',
      ),
    )
    return
  }
  // `kommander` is enabled by definition (its HelmRelease is the one checked first).
  const apps = tableApps(release, [KOMMANDER_RELEASE, ...enabled])
  const { problems, checked } = tableProblems(
    apps,
    KOMMANDER_NS,
    input.helmReleases,
    new Set([KOMMANDER_RELEASE]),
  )
  if (problems.length > 0)
    state.pending.push(
      pend(
        'not-at-target',
        `HelmReleases not at the chart versions of ${release.repo} ${release.tag}: ${listSome(problems)}`,
      ),
    )
  else
    state.evidence.push(
      `${checked} HelmReleases of ${apps.length} enabled apps in ${KOMMANDER_NS} at the chart versions of ${release.source}`,
    )
}

/** Each KommanderCore that reports a version reports the target. */
function kommanderCores(input: KommanderInputs, state: StepState): void {
  for (const core of input.kommanderCores) {
    const version = core.status?.version
    if (!version) continue
    if (sameVersion(version, input.target))
      state.evidence.push(`KommanderCore ${core.metadata.name} status.version ${version}`)
    else
      state.pending.push(
        pend(
          'not-at-target',
          `KommanderCore ${core.metadata.name} status.version ${version} (want ${input.target})`,
          `KommanderCore ${core.metadata.name}`,
        ),
      )
  }
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
  const enabled = workspacePlatformApps(input, state, label)
  if (!release)
    state.evidence.unshift(
      unknownReleaseNote(
        'mesosphere/kommander-applications',
        input.target,
        `${label}: generic checks only (AppDeployments on the management cluster's ClusterApps, HelmReleases Ready at their generation); chart versions not checked`,
      ),
    )
  workspaceClusters(input, state, label, enabled)
  if (input.clusters.length === 0)
    state.evidence.push(`${label}: no workspace clusters to check HelmReleases on`)
  state.evidence.push(...(input.notes ?? []))
  const failed = firstTerminalOn(input.clusters)
  if (failed) state.failed = failed
  state.done = state.pending.length === 0
  return state
}

/** The workspace's (and its projects') platform AppDeployments on the target ClusterApps; the apps enabled per namespace. */
function workspacePlatformApps(
  input: WorkspaceInputs,
  state: StepState,
  label: string,
): Map<string, string[]> {
  const { release } = input
  const clusterApps = byName(input.clusterApps)
  const enabled = new Map<string, string[]>()
  const stale: string[] = []
  const notShipped: string[] = []
  let atTarget = 0
  for (const ns of [input.namespace, ...input.projectNamespaces]) {
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
    state.pending.push(
      pend(
        'not-at-target',
        `${label}: platform AppDeployments not on ${whose} ClusterApps: ${listSome(stale)}`,
      ),
    )
  else state.evidence.push(`${label}: ${atTarget} platform AppDeployments on ${whose} ClusterApps`)
  if (notShipped.length > 0)
    state.evidence.push(
      `${label}: ${release ? `release ${release.tag}` : 'the management cluster'} ships no ClusterApp for ${listSome(notShipped)}: left as is`,
    )
  return enabled
}

/** On each workspace cluster: the workspace's HelmReleases Ready, and the enabled apps' at the table's chart versions. */
function workspaceClusters(
  input: WorkspaceInputs,
  state: StepState,
  label: string,
  enabled: Map<string, string[]>,
): void {
  const { release } = input
  const namespaces = [input.namespace, ...input.projectNamespaces]
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
    state.pending.push(
      pend('converging', `${label}: HelmReleases not converged: ${listSome(groupByProblem(unconverged), 3)}`),
    )
  if (converged.length > 0)
    state.evidence.push(
      release
        ? `${label}: HelmReleases Ready and at the chart versions of ${release.source} on ${listSome(converged)}`
        : `${label}: HelmReleases Ready at their generation on ${listSome(converged)}`,
    )
}
