// Done-condition of one catalog app (`workspace-apps`, `project-apps`; reference/dkp.md §4), a
// pure function over what the stage read.

import { type AppDeployment, type HelmRelease, type KommanderApp, ref } from './kinds.js'
import {
  appIdOf,
  appVersionOf,
  byName,
  helmReleaseView,
  splitAppName,
  tableProblems,
  valuesVersions,
} from './kommander-releases.js'
import type { AppRelease } from './release-data.js'
import { groupByProblem, listSome, pend, type StepState } from './step-state.js'
import { firstTerminalOn } from './terminal.js'
import { compareLoosely } from './versions.js'

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
    state.pending.push(pend('refused', state.problem, `AppDeployment ${input.label}`))
    return state
  }
  const appRef = ad.spec?.appRef
  if (appRef?.kind === 'ClusterApp') {
    const app = byName(input.clusterApps).get(appRef.name ?? '')
    state.problem = `AppDeployment ${ref(ad)} references ClusterApp ${appRef.name}: it is a platform app, upgraded by the kommander and workspaces stages, not a catalog app (remove it from the inventory's apps)`
    state.appId = appIdOf(ad, app)
    state.pending.push(pend('refused', state.problem, `AppDeployment ${ref(ad)}`))
    return state
  }
  const current = input.apps.find((a) => a.metadata.name === appRef?.name)
  const appId = appIdOf(ad, current)
  const targetApp = `${appId}-${input.version}`
  state.appId = appId
  state.targetApp = targetApp
  const from = appVersionOf(ad, current)
  if (from) state.from = from
  const problem = targetProblem(input, ad, appId, from)
  if (problem) state.problem = problem
  if (appRef?.name !== targetApp) {
    state.pending.push(
      pend(
        'not-at-target',
        `AppDeployment ${ref(ad)} → ${appRef?.name ?? 'nothing'} (want ${targetApp})`,
        `AppDeployment ${ref(ad)}`,
      ),
    )
    if (state.problem) state.pending.push(pend('refused', state.problem, `AppDeployment ${ref(ad)}`))
    return state
  }
  state.evidence.push(`AppDeployment ${ref(ad)} → App ${targetApp}`)
  const table = typeof input.table === 'function' ? input.table(appId, input.version) : input.table
  const mineOnClusters = table
    ? releasesByTable(input, state, ad, appId, table)
    : releasesGeneric(input, state, ad, appId)
  // a HelmRelease of this app whose retries are exhausted ends the wait (terminal.ts)
  const failed = firstTerminalOn(mineOnClusters)
  if (failed) state.failed = failed
  state.done = state.pending.length === 0
  return state
}

const appIdOfApp = (a: KommanderApp) => a.spec?.appId ?? splitAppName(a.metadata.name!)?.appId

/** Why the AppDeployment cannot be moved to the target: the target App is missing, or it would go down. */
function targetProblem(
  input: CatalogInputs,
  ad: AppDeployment,
  appId: string,
  from: string | undefined,
): string | undefined {
  const { apps } = input
  const targetApp = `${appId}-${input.version}`
  if (!apps.some((a) => a.metadata.name === targetApp)) {
    return `App ${targetApp} does not exist in ${[...new Set(apps.map((a) => a.metadata.namespace))].join(' or ') || ad.metadata.namespace}: the catalog has no ${appId} ${input.version} (available: ${
      apps
        .filter((a) => appIdOfApp(a) === appId)
        .map((a) => a.spec?.version ?? a.metadata.name)
        .join(', ') || 'none'
    }); check the version in the inventory or update the catalog repository`
  }
  if (from && ad.spec?.appRef?.name !== targetApp && compareLoosely(input.version, from) < 0)
    return `AppDeployment ${ref(ad)} runs ${appId} ${from}, newer than the inventory's ${input.version}: catalog apps are not downgraded`
  return undefined
}

type ClusterReleases = { cluster: string; helmReleases: HelmRelease[] }[]

/** The app's HelmReleases as the release table names them, at its chart versions, per cluster. */
function releasesByTable(
  input: CatalogInputs,
  state: CatalogState,
  ad: AppDeployment,
  appId: string,
  table: AppRelease,
): ClusterReleases {
  const ns = ad.metadata.namespace!
  const off: { cluster: string; problem: string }[] = []
  const deployed: string[] = []
  const mineOnClusters: ClusterReleases = []
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
      pend(
        'converging',
        `HelmReleases of ${appId} ${input.version} not converged: ${listSome(groupByProblem(off), 3)}`,
      ),
    )
  else if (deployed.length > 0)
    state.evidence.push(
      `HelmRelease ${list} at the chart versions of ${table.source}, Ready on ${listSome(deployed)}`,
    )
  else
    state.evidence.push(
      `no HelmRelease ${list} on the ${input.releases.length} workspace cluster(s): not deployed to any`,
    )
  return mineOnClusters
}

/** A version the table does not know: the HelmRelease named after the app (else the AppDeployment) Ready, not on another version's values. */
function releasesGeneric(
  input: CatalogInputs,
  state: CatalogState,
  ad: AppDeployment,
  appId: string,
): ClusterReleases {
  const ns = ad.metadata.namespace!
  const off: { cluster: string; problem: string }[] = []
  const deployed: string[] = []
  const mineOnClusters: ClusterReleases = []
  state.evidence.unshift(
    `the release table does not know ${appId} ${input.version} (not in any mesosphere/dkp-catalog-applications tag): generic checks only (appRef, HelmRelease Ready at its generation and not on another version's values); chart version not checked`,
  )
  const knownVersions = new Set(
    input.apps
      .filter((a) => appIdOfApp(a) === appId)
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
    state.pending.push(
      pend('converging', `HelmRelease of ${appId} not Ready: ${listSome(groupByProblem(off), 3)}`),
    )
  else if (deployed.length > 0)
    state.evidence.push(`HelmRelease ${ns}/${appId} Ready at its generation on ${listSome(deployed)}`)
  else
    state.evidence.push(
      `no HelmRelease ${ns}/${appId} on the ${input.releases.length} workspace cluster(s): not deployed to any`,
    )
  return mineOnClusters
}
