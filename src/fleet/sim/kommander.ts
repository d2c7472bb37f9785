// Flux and Kommander controllers:
// - helm-controller: a HelmRelease whose chart version (or generation) changed goes Ready=Unknown
//   (Progressing), then Ready/Released=True with lastAppliedRevision and history[0].chartVersion
//   at the new chart; `fail` faults end in UpgradeFailed; suspended releases are left alone.
// - app management: an AppDeployment's HelmRelease (same name, same namespace) follows the
//   chart version (= app version) of the App/ClusterApp its appRef names; created when missing.
// - KommanderCore.status.version follows the released kommander chart (2.7+).
// - source-controller: GitRepository kommander-flux/management's artifact follows spec.ref.

import {
  type AnyObject,
  dig,
  getCondition,
  helmReleaseFailed,
  helmReleaseProgressing,
  helmReleaseReleased,
  helmReleaseStalled,
  KOMMANDER_NS,
} from '../objects.js'
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

export function reconcileAppDeployments(ctx: TickContext): void {
  for (const ad of ctx.snap.all('AppDeployment')) {
    const app = resolveApp(ctx, ad)
    if (!app) continue
    const ns = ad.metadata.namespace as string
    const name = ad.metadata.name as string
    const version = String(spec(app, 'version') ?? '')
    const chart = String(spec(app, 'appId') ?? name)
    const hr = ctx.snap.get('HelmRelease', name, ns)
    if (hr && spec(hr, 'chart', 'spec', 'version') === version) continue
    const fault = ctx.fault(ad)
    if (fault?.stall) continue
    ctx.pending(ad)
    if (!ctx.due(ad, `render/${version}`)) continue
    if (!hr) {
      ctx.write({
        op: 'create',
        manager: 'kustomize-controller',
        obj: {
          apiVersion: 'helm.toolkit.fluxcd.io/v2beta2',
          kind: 'HelmRelease',
          metadata: { name, namespace: ns, labels: { 'kommander.d2iq.io/appdeployment': name } },
          spec: {
            interval: '6m0s',
            releaseName: name,
            targetNamespace: ns,
            chart: {
              spec: {
                chart,
                version,
                sourceRef: { kind: 'HelmRepository', name: 'kommander-charts', namespace: 'kommander-flux' },
              },
            },
          },
        },
      })
      continue
    }
    ctx.write({
      op: 'patch',
      obj: hr,
      manager: 'kustomize-controller',
      patch: { spec: { chart: { spec: { chart, version } } } },
    })
  }
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
