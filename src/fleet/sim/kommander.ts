// Flux and Kommander controllers:
// - helm-controller: a HelmRelease whose chart version (or generation) changed goes Ready=Unknown
//   (Progressing), then Ready/Released=True with lastAppliedRevision and history[0].chartVersion
//   at the new chart; `fail` faults end in UpgradeFailed; suspended releases are left alone.
// - app management: an AppDeployment renders the HelmReleases the release table lists for the
//   App/ClusterApp its appRef names (names, charts, chart versions and values ConfigMaps of that
//   app version, in the AppDeployment's namespace): missing ones are
//   created, the others get the new chart, chart version and values; one the new version no
//   longer lists stays. The `kommander` app also moves its controller-created (dynamic)
//   releases, found by chart. An app the table does not know renders one HelmRelease named after
//   the app (release-table.ts appHelmReleases, inferred).
// - KommanderCore.status.version follows the released kommander chart (2.7+).
// - source-controller: GitRepository kommander-flux/management's artifact follows spec.ref.

import {
  type AnyObject,
  API,
  dig,
  getCondition,
  helmReleaseFailed,
  helmReleaseObject,
  helmReleaseProgressing,
  helmReleaseReleased,
  helmReleaseSpec,
  helmReleaseStalled,
  KOMMANDER_NS,
  RENDERED_FROM,
} from '../objects.js'
import { appHelmReleases } from '../release-table.js'
import { gitRepositoryStatus } from '../seed.js'
import { spec, status, type TickContext } from './context.js'

export function reconcileHelmReleases(ctx: TickContext): void {
  for (const hr of ctx.snap.all('HelmRelease')) {
    if (spec<boolean>(hr, 'suspend')) continue
    const want = spec<string>(hr, 'chart', 'spec', 'version')
    const gen = hr.metadata.generation ?? 1
    const ready = getCondition(hr, 'Ready')
    const released =
      status<string>(hr, 'lastAppliedRevision') === want && status<number>(hr, 'observedGeneration') === gen
    if (released && ready?.status === 'True') continue
    const fault = ctx.fault(hr)
    if (fault?.stall) continue
    const attempted =
      status<string>(hr, 'lastAttemptedRevision') === want &&
      status<number>(hr, 'lastAttemptedGeneration') === gen
    // a failing upgrade is retried (Unknown → UpgradeFailed again) until helm-controller gives up
    if (
      ready?.status === 'False' &&
      attempted &&
      getCondition(hr, 'Ready')?.reason === 'UpgradeFailed' &&
      fault?.fail &&
      helmReleaseStalled(hr)
    )
      continue
    ctx.pending(hr)
    if (ready?.status !== 'Unknown' || !attempted) {
      ctx.write({
        op: 'status',
        obj: hr,
        manager: 'helm-controller',
        compute: (f) => helmReleaseProgressing(f, ctx.now),
      })
      continue
    }
    if (!ctx.due(hr, `release/${want}/${gen}`)) continue
    ctx.write({
      op: 'status',
      obj: hr,
      manager: 'helm-controller',
      compute: (f) =>
        fault?.fail ? helmReleaseFailed(f, ctx.now, fault.fail) : helmReleaseReleased(f, ctx.now),
    })
  }
}

/** The App or ClusterApp an AppDeployment references (App: own namespace, else its workspace's). */
export function resolveApp(ctx: TickContext, ad: AnyObject): AnyObject | undefined {
  const ref = spec<{ kind: string; name: string }>(ad, 'appRef')
  if (!ref) return undefined
  if (ref.kind === 'ClusterApp') return ctx.snap.get('ClusterApp', ref.name)
  const ns = ad.metadata.namespace
  const own = ctx.snap.get('App', ref.name, ns)
  if (own) return own
  const project = ctx.snap.all('Project').find((p) => status<string>(p, 'namespaceRef', 'name') === ns)
  return project ? ctx.snap.get('App', ref.name, project.metadata.namespace) : undefined
}

/** HelmReleases the CLI upgrades itself (`${kommanderChartVersion}`), not the app controller. */
const CORE = new Set(['kommander', 'kommander-appmanagement'])

/** The applications repository tag Kommander reads (GitRepository kommander-flux/management). */
function repositoryTag(ctx: TickContext): string | undefined {
  return spec<string>(ctx.snap.get('GitRepository', 'management', 'kommander-flux'), 'ref', 'tag')
}

interface Rendered {
  name: string
  existing?: AnyObject
  spec: Record<string, unknown>
  appId: string
  version: string
}

const renderedKey = (spec: Record<string, unknown> | undefined) =>
  JSON.stringify([
    dig(spec, 'chart', 'spec', 'chart'),
    dig(spec, 'chart', 'spec', 'version'),
    (dig<{ name?: string }[]>(spec, 'valuesFrom') ?? []).map((v) => v.name),
  ])

export function reconcileAppDeployments(ctx: TickContext): void {
  const tag = repositoryTag(ctx)
  const helmApi = ctx.snap.all('HelmRelease')[0]?.apiVersion ?? API.helm
  for (const ad of ctx.snap.all('AppDeployment')) {
    const app = resolveApp(ctx, ad)
    if (!app) continue
    const appId = String(spec(app, 'appId') ?? ad.metadata.name)
    const version = String(spec(app, 'version') ?? '')
    const wants = wantedReleases(ctx, ad, appId, version, tag)
    const todo = wants.filter((w) => !w.existing || renderedKey(w.existing.spec) !== renderedKey(w.spec))
    if (todo.length === 0) continue
    const fault = ctx.fault(ad)
    if (fault?.stall) continue
    ctx.pending(ad)
    if (!ctx.due(ad, `render/${appId}-${version}`)) continue
    for (const w of todo) render(ctx, w, ad.metadata.namespace as string, helmApi)
  }
}

/** The HelmReleases the release table lists for the AppDeployment's app version, rendered in its namespace. */
function wantedReleases(
  ctx: TickContext,
  ad: AnyObject,
  appId: string,
  version: string,
  tag: string | undefined,
): Rendered[] {
  const ns = ad.metadata.namespace as string
  const kind = spec<{ kind: string }>(ad, 'appRef')?.kind === 'ClusterApp' ? 'platform' : 'catalog'
  const wants: Rendered[] = []
  for (const row of appHelmReleases(kind, appId, version, tag).rows) {
    if (!row.chart || !row.chartVersion) continue
    const input = {
      namespace: ns,
      chart: row.chart,
      version: row.chartVersion,
      appId,
      appVersion: version,
      values: row.values,
    }
    if (row.dynamic) {
      // created by Kommander's controllers (one per attached cluster): moved, never created here
      if (appId !== 'kommander' || ns !== KOMMANDER_NS) continue
      for (const hr of ctx.snap.all('HelmRelease')) {
        if (hr.metadata.namespace !== ns || spec(hr, 'chart', 'spec', 'chart') !== row.chart) continue
        const name = hr.metadata.name as string
        wants.push({ name, existing: hr, spec: helmReleaseSpec({ name, ...input }), appId, version })
      }
      continue
    }
    const existing = ctx.snap.get('HelmRelease', row.name, ns)
    // `dkp upgrade kommander` sets the Kommander core chart versions itself (reference §5;
    // `${kommanderChartVersion}`): keep the one it set, render the rest
    const chartVersion =
      existing && CORE.has(row.name) ? String(spec(existing, 'chart', 'spec', 'version')) : row.chartVersion
    wants.push({
      name: row.name,
      ...(existing ? { existing } : {}),
      spec: helmReleaseSpec({ name: row.name, ...input, version: chartVersion }),
      appId,
      version,
    })
  }
  return wants
}

/** Creates the HelmRelease, or patches its chart, version and values to the rendered ones. */
function render(ctx: TickContext, w: Rendered, ns: string, helmApi: string): void {
  if (!w.existing) {
    ctx.write({
      op: 'create',
      manager: 'kustomize-controller',
      obj: helmReleaseObject(helmApi, {
        name: w.name,
        namespace: ns,
        chart: String(dig(w.spec, 'chart', 'spec', 'chart')),
        version: String(dig(w.spec, 'chart', 'spec', 'version')),
        appId: w.appId,
        appVersion: w.version,
        values: (dig<{ name: string }[]>(w.spec, 'valuesFrom') ?? []).map((v) => v.name),
      }),
    })
    return
  }
  ctx.write({
    op: 'patch',
    obj: w.existing,
    manager: 'kustomize-controller',
    patch: {
      metadata: { labels: { [RENDERED_FROM]: `${w.appId}-${w.version}` } },
      spec: {
        chart: {
          spec: {
            chart: dig(w.spec, 'chart', 'spec', 'chart'),
            version: dig(w.spec, 'chart', 'spec', 'version'),
          },
        },
        valuesFrom: dig(w.spec, 'valuesFrom'),
      },
    },
  })
}

const minorOf = (v: string): number => Number(/^v?\d+\.(\d+)/.exec(v)?.[1] ?? 0)

export function reconcileKommanderCore(ctx: TickContext): void {
  const hr = ctx.snap.get('HelmRelease', 'kommander', KOMMANDER_NS)
  const applied = status<string>(hr, 'lastAppliedRevision')
  if (!hr || !applied || getCondition(hr, 'Ready')?.status !== 'True') return
  for (const core of ctx.snap.all('KommanderCore')) {
    if (minorOf(applied) < 7 || status<string>(core, 'version') === applied) continue
    ctx.write({
      op: 'status',
      obj: core,
      manager: 'kommander-operator',
      compute: (f) => ({ ...(f.status ?? {}), ready: true, version: applied }),
    })
  }
}

export function reconcileGitRepositories(ctx: TickContext): void {
  for (const repo of ctx.snap.all('GitRepository')) {
    const tag = spec<string>(repo, 'ref', 'tag') ?? spec<string>(repo, 'ref', 'branch') ?? 'main'
    const revision = dig<string>(repo, 'status', 'artifact', 'revision') ?? ''
    if (
      revision.startsWith(`${tag}@`) &&
      status<number>(repo, 'observedGeneration') === repo.metadata.generation
    )
      continue
    ctx.pending(repo)
    if (!ctx.due(repo, `fetch/${tag}`)) continue
    ctx.write({
      op: 'status',
      obj: repo,
      manager: 'source-controller',
      compute: (f) => gitRepositoryStatus(tag, f.metadata.generation ?? 1, ctx.now),
    })
  }
}
