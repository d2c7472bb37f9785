import { describe, expect, it } from 'vitest'
import { catalogAppState } from '../../src/core/catalog-state.js'
import { toFlags } from '../../src/core/command-args.js'
import { catalogAppCommand as catalogCommand } from '../../src/core/dkp-commands.js'
import type { AppDeployment, HelmRelease, KommanderApp } from '../../src/core/kinds.js'
import {
  appIdOf,
  helmReleaseView,
  platformTargets,
  releasedAt,
  runningDkp,
  splitAppName,
} from '../../src/core/kommander-releases.js'
import { kommanderState, workspaceState } from '../../src/core/kommander-state.js'
import { findAppRelease, releaseDataFrom } from '../../src/core/release-data.js'
import { pendingTexts } from '../../src/core/step-state.js'
import { itemsState, problemItem } from '../../src/stages/items.js'

const HR_API = 'helm.toolkit.fluxcd.io/v2beta2'
const APPS_API = 'apps.kommander.d2iq.io/v1alpha3'

function hr(
  name: string,
  ns: string,
  version: string,
  opts: {
    applied?: string | null
    ready?: 'True' | 'False' | 'Unknown'
    history?: boolean
    generation?: number
    observed?: number
  } = {},
): HelmRelease {
  const applied = opts.applied === undefined ? version : opts.applied
  const status: Record<string, unknown> = {
    conditions: [
      {
        type: 'Ready',
        status: opts.ready ?? 'True',
        reason: opts.ready === 'Unknown' ? 'Progressing' : 'Succeeded',
      },
    ],
  }
  if (applied !== null) {
    if (opts.history) status.history = [{ chartVersion: applied }]
    else status.lastAppliedRevision = applied
  }
  if (opts.observed !== undefined) status.observedGeneration = opts.observed
  return {
    apiVersion: HR_API,
    kind: 'HelmRelease',
    metadata: { name, namespace: ns, generation: opts.generation ?? 1 },
    spec: { chart: { spec: { chart: name, version } } },
    status,
  } as HelmRelease
}

function ad(name: string, ns: string, kind: 'ClusterApp' | 'App', appName: string): AppDeployment {
  return {
    apiVersion: APPS_API,
    kind: 'AppDeployment',
    metadata: { name, namespace: ns },
    spec: { appRef: { kind, name: appName } },
  }
}

function clusterApp(appId: string, version: string): KommanderApp {
  return {
    apiVersion: APPS_API,
    kind: 'ClusterApp',
    metadata: { name: `${appId}-${version}` },
    spec: { appId, version },
  }
}

function app(appId: string, version: string, ns: string): KommanderApp {
  return {
    apiVersion: APPS_API,
    kind: 'App',
    metadata: { name: `${appId}-${version}`, namespace: ns },
    spec: { appId, version },
  }
}

describe('HelmRelease reading', () => {
  it('prefers history[0].chartVersion (v2beta2) over lastAppliedRevision', () => {
    const r = hr('kommander', 'kommander', 'v2.8.1', { applied: 'v2.8.1', history: true })
    r.status!.lastAppliedRevision = 'v2.7.1'
    expect(helmReleaseView(r).applied).toBe('v2.8.1')
    expect(runningDkp(r)).toBe('v2.8.1')
  })

  it('is not Ready while the current generation is not observed', () => {
    const view = helmReleaseView(hr('traefik', 'kommander', '25.0.0', { generation: 3, observed: 2 }))
    expect(view.ready).toBe(false)
    expect(view.notReady).toMatch(/generation 3 not observed/)
  })

  it('releasedAt compares versions without the leading v', () => {
    expect(releasedAt(helmReleaseView(hr('x', 'n', 'v1.2.3', { applied: '1.2.3' })), '1.2.3')).toBe(true)
    expect(releasedAt(helmReleaseView(hr('x', 'n', '1.2.3', { applied: '1.2.2' })), '1.2.3')).toBe(false)
    expect(releasedAt(helmReleaseView(hr('x', 'n', '1.2.3', { ready: 'Unknown' })), '1.2.3')).toBe(false)
  })

  it('normalises the running DKP version from the chart', () => {
    expect(runningDkp(hr('kommander', 'kommander', '2.7.1'))).toBe('v2.7.1')
    expect(runningDkp(hr('kommander', 'kommander', 'v2.8.1', { applied: null }))).toBe('v2.8.1')
    expect(runningDkp(undefined)).toBeUndefined()
  })
})

describe('app names', () => {
  it('splits <appId>-<version>', () => {
    expect(splitAppName('kafka-operator-0.25.1')).toEqual({ appId: 'kafka-operator', version: '0.25.1' })
    expect(splitAppName('kube-prometheus-stack-51.2.0')).toEqual({
      appId: 'kube-prometheus-stack',
      version: '51.2.0',
    })
    expect(splitAppName('podinfo')).toBeUndefined()
  })

  it('takes the appId from the referenced app, else the ref name, else the AppDeployment name', () => {
    expect(
      appIdOf(
        ad('kafka-operator-abc', 'ws', 'App', 'kafka-operator-0.24.1'),
        app('kafka-operator', '0.24.1', 'ws'),
      ),
    ).toBe('kafka-operator')
    expect(appIdOf(ad('kafka-operator-abc', 'ws', 'App', 'kafka-operator-0.24.1'), undefined)).toBe(
      'kafka-operator',
    )
    expect(appIdOf(ad('podinfo', 'ws', 'App', 'podinfo'), undefined)).toBe('podinfo')
  })
})

// A small release table in the real shape: chart version ≠ app version, several releases per
// app, a chart named unlike its app, controller-created releases matched by chart.
const TABLE = releaseDataFrom({
  sources: {
    'kommander-applications': 'https://github.com/mesosphere/kommander-applications',
    'dkp-catalog-applications': 'https://github.com/mesosphere/dkp-catalog-applications',
  },
  platform: {
    'v2.8.1': {
      repo: 'kommander-applications',
      apps: {
        kommander: {
          '0.8.1': [
            // biome-ignore lint/suspicious/noTemplateCurlyInString: the manifest's literal name
            ['${name}', 'cluster-observer', '1.2.1'],
            ['kommander', 'kommander', 'v2.8.1'],
          ],
        },
        gitea: { '8.2.1': [['gitea', 'gitea', '8.2.0', ['gitea-8.2.1-d2iq-defaults']]] },
        'cert-manager': {
          '1.14.2': [
            ['cert-manager', 'cert-manager', 'v1.14.2'],
            ['cert-manager-crds', 'cert-manager-crds', 'v1.14.2'],
          ],
        },
        'grafana-logging': { '6.60.2': [['grafana-logging', 'grafana', '6.60.2']] },
        traefik: { '26.0.0': [['traefik', 'traefik', '26.0.0']] },
      },
    },
  },
  catalog: {
    'v2.8.1': {
      repo: 'dkp-catalog-applications',
      apps: {
        'zookeeper-operator': {
          '0.2.15': [
            [
              'zookeeper-operator',
              'zookeeper-operator',
              '0.2.15',
              ['zookeeper-operator-0.2.15-d2iq-defaults'],
            ],
          ],
          '0.2.16-dkp.1': [
            [
              'zookeeper-operator',
              'zookeeper-operator',
              '0.2.15',
              ['zookeeper-operator-0.2.16-dkp.1-d2iq-defaults'],
            ],
          ],
        },
      },
    },
  },
})
const R281 = TABLE.platform('v2.8.1')!

/** A HelmRelease that takes its values from these ConfigMaps. */
function withValues(r: HelmRelease, ...names: string[]): HelmRelease {
  r.spec!.valuesFrom = names.map((name) => ({ kind: 'ConfigMap', name }))
  return r
}

function chartHr(
  name: string,
  ns: string,
  chart: string,
  version: string,
  opts: Parameters<typeof hr>[3] = {},
) {
  const r = hr(name, ns, version, opts)
  r.spec!.chart!.spec!.chart = chart
  return r
}

describe('kommanderState (release table knows the target)', () => {
  const ads = (refs: Record<string, string>) =>
    Object.entries(refs).map(([name, ref]) => ad(name, 'kommander', 'ClusterApp', ref))
  const atTarget = () => [
    hr('kommander', 'kommander', 'v2.8.1', { history: true }),
    chartHr('cluster-observer-edge-7', 'kommander', 'cluster-observer', '1.2.1'),
    withValues(hr('gitea', 'kommander', '8.2.0'), 'gitea-8.2.1-d2iq-defaults'),
    hr('cert-manager', 'kommander', 'v1.14.2'),
    hr('cert-manager-crds', 'kommander', 'v1.14.2'),
    chartHr('grafana-logging', 'kommander', 'grafana', '6.60.2'),
  ]
  const base = {
    target: 'v2.8.1',
    release: R281,
    appDeployments: ads({
      kommander: 'kommander-0.8.1',
      gitea: 'gitea-8.2.1',
      'cert-manager': 'cert-manager-1.14.2',
      'grafana-logging': 'grafana-logging-6.60.2',
      'kubecost-custom': 'kubecost-custom-1.0.0',
    }),
    clusterApps: [clusterApp('gitea', '8.1.0'), clusterApp('gitea', '8.2.1')],
    kommanderCores: [{ metadata: { name: 'kommander-core' }, status: { version: 'v2.8.1' } }],
  }

  it('is done when every release the table lists runs its chart version: never the app version', () => {
    const s = kommanderState({ ...base, helmReleases: atTarget() })
    expect(pendingTexts(s)).toEqual([])
    expect(s.done).toBe(true)
    expect(s.from).toBe('v2.8.1')
    expect(s.evidence[0]).toBe('HelmRelease kommander/kommander at v2.8.1, Ready')
    expect(s.evidence).toContain(
      '5 HelmReleases of 4 enabled apps in kommander at the chart versions of https://github.com/mesosphere/kommander-applications/tree/v2.8.1',
    )
    expect(s.evidence).toContain("4 platform AppDeployments in kommander on release v2.8.1's ClusterApps")
    expect(s.evidence).toContain(
      'release v2.8.1 ships no ClusterApp for kommander/kubecost-custom → kubecost-custom-1.0.0: left as is',
    )
  })

  it('reports every gap of a 2.7 cluster: chart, AppDeployments, table releases, KommanderCore', () => {
    const s = kommanderState({
      ...base,
      appDeployments: ads({ kommander: 'kommander-0.7.1', gitea: 'gitea-8.1.0' }),
      kommanderCores: [{ metadata: { name: 'kommander-core' }, status: { version: 'v2.7.1' } }],
      helmReleases: [
        hr('kommander', 'kommander', 'v2.7.1'),
        chartHr('cluster-observer-edge-7', 'kommander', 'cluster-observer', '1.2.0'),
        withValues(hr('gitea', 'kommander', '8.1.0'), 'gitea-8.1.0-d2iq-defaults'),
      ],
    })
    expect(s.done).toBe(false)
    expect(s.from).toBe('v2.7.1')
    expect(pendingTexts(s)).toEqual([
      'HelmRelease kommander/kommander chart v2.7.1 (want v2.8.1), Ready',
      "platform AppDeployments not on release v2.8.1's ClusterApps: kommander/kommander → kommander-0.7.1 (want kommander-0.8.1), kommander/gitea → gitea-8.1.0 (want gitea-8.2.1)",
      'HelmReleases not at the chart versions of mesosphere/kommander-applications v2.8.1: kommander/cluster-observer-edge-7 chart 1.2.0 (want 1.2.1), Ready, kommander/gitea takes values from gitea-8.1.0-d2iq-defaults (want gitea-8.2.1-d2iq-defaults)',
      'KommanderCore kommander-core status.version v2.7.1 (want v2.8.1)',
    ])
  })

  it('a release at the app version (8.2.1) is not at the chart version (8.2.0)', () => {
    const helmReleases = atTarget().map((h) =>
      h.metadata.name === 'gitea'
        ? withValues(hr('gitea', 'kommander', '8.2.1'), 'gitea-8.2.1-d2iq-defaults')
        : h,
    )
    const s = kommanderState({ ...base, helmReleases })
    expect(s.done).toBe(false)
    expect(pendingTexts(s)).toEqual([
      'HelmReleases not at the chart versions of mesosphere/kommander-applications v2.8.1: kommander/gitea chart 8.2.1 (want 8.2.0), Ready',
    ])
  })

  it('names a release the table lists that does not exist, and one not released or not Ready yet', () => {
    const helmReleases = atTarget()
      .filter((h) => h.metadata.name !== 'cert-manager-crds')
      .map((h) =>
        h.metadata.name === 'gitea'
          ? withValues(
              hr('gitea', 'kommander', '8.2.0', { applied: '8.1.0', ready: 'Unknown' }),
              'gitea-8.2.1-d2iq-defaults',
            )
          : h.metadata.name === 'cert-manager'
            ? hr('cert-manager', 'kommander', 'v1.14.2', { generation: 2, observed: 1 })
            : h,
      )
    const s = kommanderState({ ...base, helmReleases })
    expect(s.done).toBe(false)
    expect(pendingTexts(s)[0]).toMatch(
      /^HelmReleases not Ready in kommander: kommander\/gitea Ready=Unknown \(Progressing\), kommander\/cert-manager generation 2 not observed yet/,
    )
    expect(pendingTexts(s)[1]).toBe(
      'HelmReleases not at the chart versions of mesosphere/kommander-applications v2.8.1: kommander/gitea at 8.2.0, released 8.1.0, Ready=Unknown (Progressing), kommander/cert-manager at v1.14.2, generation 2 not observed yet (observed 1), kommander/cert-manager-crds missing (cert-manager 1.14.2 deploys it)',
    )
  })

  it('tolerates no controller-created release at all (zero or more exist)', () => {
    const s = kommanderState({
      ...base,
      helmReleases: atTarget().filter((h) => h.metadata.name !== 'cluster-observer-edge-7'),
    })
    expect(s.done).toBe(true)
  })

  it('names a missing Kommander release', () => {
    const s = kommanderState({ ...base, helmReleases: [] })
    expect(s.done).toBe(false)
    expect(pendingTexts(s)[0]).toMatch(/HelmRelease kommander\/kommander not found/)
  })
})

describe('kommanderState (a release the table does not know)', () => {
  const base = {
    target: 'v2.9.0',
    appDeployments: [ad('traefik', 'kommander', 'ClusterApp', 'traefik-25.0.1')],
    clusterApps: [clusterApp('traefik', '23.0.2'), clusterApp('traefik', '25.0.1')],
    kommanderCores: [{ metadata: { name: 'kommander-core' }, status: { version: 'v2.9.0' } }],
  }

  it('falls back to the generic rules and says so', () => {
    const s = kommanderState({
      ...base,
      helmReleases: [
        hr('kommander', 'kommander', 'v2.9.0', { history: true }),
        hr('traefik', 'kommander', '25.0.0'),
      ],
    })
    expect(s.done).toBe(true)
    expect(s.evidence[0]).toMatch(
      /^the release table has no mesosphere\/kommander-applications v2\.9\.0: generic checks only .*chart versions of the platform apps not checked/,
    )
  })

  it('still needs the newest ClusterApps and everything Ready', () => {
    const s = kommanderState({
      ...base,
      appDeployments: [ad('traefik', 'kommander', 'ClusterApp', 'traefik-23.0.2')],
      helmReleases: [
        hr('kommander', 'kommander', 'v2.9.0', { history: true }),
        hr('grafana', 'kommander', '1.0.0', { ready: 'False' }),
      ],
    })
    expect(s.done).toBe(false)
    expect(pendingTexts(s)).toEqual([
      'HelmReleases not Ready in kommander: kommander/grafana Ready=False (Succeeded)',
      'platform AppDeployments not on the newest ClusterApps: kommander/traefik → traefik-23.0.2 (want traefik-25.0.1)',
    ])
  })
})

describe('platformTargets', () => {
  it('follows the kommander AppDeployment, else the newest ClusterApp of the appId', () => {
    const targets = platformTargets(
      [ad('traefik', 'kommander', 'ClusterApp', 'traefik-25.0.1')],
      [
        clusterApp('traefik', '23.0.2'),
        clusterApp('traefik', '25.0.1'),
        clusterApp('fluent-bit', '0.9.0'),
        clusterApp('fluent-bit', '0.10.0'),
      ],
    )
    expect(targets.get('traefik')).toEqual({ name: 'traefik-25.0.1', version: '25.0.1', from: 'kommander' })
    expect(targets.get('fluent-bit')).toEqual({
      name: 'fluent-bit-0.10.0',
      version: '0.10.0',
      from: 'latest',
    })
  })
})

describe('workspaceState', () => {
  const clusterApps = [clusterApp('traefik', '23.0.2'), clusterApp('traefik', '26.0.0')]
  const targets = platformTargets([ad('traefik', 'kommander', 'ClusterApp', 'traefik-26.0.0')], clusterApps)
  const input = (ref: string, releases: HelmRelease[], release: typeof R281 | null = R281) => ({
    workspace: 'team-a',
    namespace: 'ws-a',
    projectNamespaces: ['proj-a'],
    target: 'v2.8.1',
    release: release ?? undefined,
    appDeployments: [
      ad('traefik', 'ws-a', 'ClusterApp', ref),
      ad('cert-manager', 'ws-a', 'ClusterApp', 'cert-manager-1.14.2'),
      ad('grafana-logging', 'proj-a', 'ClusterApp', 'grafana-logging-6.60.2'),
      ad('kafka', 'ws-a', 'App', 'kafka-operator-0.24.1'),
      ad('traefik', 'other-ws', 'ClusterApp', 'traefik-23.0.2'),
    ],
    clusterApps,
    targets,
    clusters: [
      { cluster: 'c1', helmReleases: releases },
      { cluster: 'c2', helmReleases: releases },
    ],
  })
  const converged = () => [
    hr('traefik', 'ws-a', '26.0.0'),
    hr('cert-manager', 'ws-a', 'v1.14.2'),
    hr('cert-manager-crds', 'ws-a', 'v1.14.2'),
    chartHr('grafana-logging', 'proj-a', 'grafana', '6.60.2'),
    hr('kafka-operator', 'ws-a', '0.24.1'),
  ]

  it('is not done while a platform AppDeployment references the old ClusterApp', () => {
    const s = workspaceState(input('traefik-23.0.2', converged()))
    expect(s.done).toBe(false)
    expect(pendingTexts(s)[0]).toBe(
      "workspace team-a (ws-a): platform AppDeployments not on release v2.8.1's ClusterApps: ws-a/traefik → traefik-23.0.2 (want traefik-26.0.0)",
    )
  })

  it('waits for the table releases on every workspace cluster, in the workspace and project namespaces', () => {
    const releases = converged()
      .filter((h) => h.metadata.name !== 'cert-manager-crds')
      .map((h) =>
        h.metadata.name === 'grafana-logging' ? chartHr('grafana-logging', 'proj-a', 'grafana', '6.58.9') : h,
      )
    const s = workspaceState(input('traefik-26.0.0', releases))
    expect(s.done).toBe(false)
    expect(pendingTexts(s)[0]).toBe(
      'workspace team-a (ws-a): HelmReleases not converged: ws-a/cert-manager-crds missing (cert-manager 1.14.2 deploys it) on c1, c2, proj-a/grafana-logging chart 6.58.9 (want 6.60.2), Ready on c1, c2',
    )
  })

  it('is done when refs and releases match the table; unrelated namespaces are ignored', () => {
    const s = workspaceState(input('traefik-26.0.0', converged()))
    expect(pendingTexts(s)).toEqual([])
    expect(s.done).toBe(true)
    expect(s.evidence.join('\n')).toMatch(/3 platform AppDeployments on release v2.8.1's ClusterApps/)
    expect(s.evidence.join('\n')).toMatch(
      /HelmReleases Ready and at the chart versions of https:\/\/github.com\/mesosphere\/kommander-applications\/tree\/v2.8.1 on c1, c2/,
    )
  })

  it('a failing catalog HelmRelease in the workspace namespace holds it back', () => {
    const releases = converged().map((h) =>
      h.metadata.name === 'kafka-operator' ? hr('kafka-operator', 'ws-a', '0.24.1', { ready: 'False' }) : h,
    )
    const s = workspaceState(input('traefik-26.0.0', releases))
    expect(s.done).toBe(false)
    expect(pendingTexts(s)[0]).toMatch(/ws-a\/kafka-operator Ready=False/)
  })

  it("without the release in the table: the management cluster's ClusterApps and Ready, and it says so", () => {
    const releases = converged().map((h) =>
      h.metadata.name === 'traefik' ? hr('traefik', 'ws-a', '99.0.0') : h,
    )
    const s = workspaceState(input('traefik-26.0.0', releases, null))
    expect(pendingTexts(s)).toEqual([])
    expect(s.done).toBe(true)
    expect(s.evidence[0]).toMatch(
      /^the release table has no mesosphere\/kommander-applications v2.8.1: workspace team-a/,
    )
    expect(pendingTexts(workspaceState(input('traefik-23.0.2', releases, null)))[0]).toMatch(
      /not on the management cluster's ClusterApps: ws-a\/traefik → traefik-23.0.2 \(want traefik-26.0.0\)/,
    )
  })
})

describe('catalogAppState', () => {
  const apps = [
    app('zookeeper-operator', '0.2.15', 'ws-a'),
    app('zookeeper-operator', '0.2.16-dkp.1', 'ws-a'),
  ]
  const table = (appId: string, version: string) => findAppRelease(TABLE, 'catalog', appId, version, 'v2.8.1')
  const base = { label: 'ws-a/zk', version: '0.2.16-dkp.1', apps, clusterApps: [], table }
  const on = (...releases: HelmRelease[]) => [
    { cluster: 'c1', helmReleases: releases },
    { cluster: 'c2', helmReleases: [] },
  ]

  it('is not done before the upgrade and says where it comes from', () => {
    const s = catalogAppState({
      ...base,
      appDeployment: ad('zk', 'ws-a', 'App', 'zookeeper-operator-0.2.15'),
      releases: on(hr('zookeeper-operator', 'ws-a', '0.2.15')),
    })
    expect(s).toMatchObject({
      done: false,
      from: '0.2.15',
      appId: 'zookeeper-operator',
      targetApp: 'zookeeper-operator-0.2.16-dkp.1',
    })
    expect(s.problem).toBeUndefined()
    expect(pendingTexts(s)).toEqual([
      'AppDeployment ws-a/zk → zookeeper-operator-0.2.15 (want zookeeper-operator-0.2.16-dkp.1)',
    ])
  })

  it('finds the releases through the table (named after the app, not the AppDeployment), at the chart version', () => {
    const s = catalogAppState({
      ...base,
      appDeployment: ad('zk', 'ws-a', 'App', 'zookeeper-operator-0.2.16-dkp.1'),
      releases: on(
        withValues(
          hr('zookeeper-operator', 'ws-a', '0.2.15'),
          'zookeeper-operator-0.2.16-dkp.1-d2iq-defaults',
        ),
        hr('zk', 'ws-a', '9.9.9', { ready: 'False' }),
      ),
    })
    expect(pendingTexts(s)).toEqual([])
    expect(s.done).toBe(true)
    expect(s.evidence).toEqual([
      'AppDeployment ws-a/zk → App zookeeper-operator-0.2.16-dkp.1',
      'HelmRelease ws-a/zookeeper-operator at the chart versions of https://github.com/mesosphere/dkp-catalog-applications/tree/v2.8.1, Ready on c1',
    ])
  })

  it("waits for the re-render (the new version's values, same chart version), then its release", () => {
    const stale = catalogAppState({
      ...base,
      appDeployment: ad('zk', 'ws-a', 'App', 'zookeeper-operator-0.2.16-dkp.1'),
      releases: on(
        withValues(hr('zookeeper-operator', 'ws-a', '0.2.15'), 'zookeeper-operator-0.2.15-d2iq-defaults'),
      ),
    })
    expect(stale.done).toBe(false)
    expect(pendingTexts(stale)[0]).toBe(
      'HelmReleases of zookeeper-operator 0.2.16-dkp.1 not converged: ws-a/zookeeper-operator takes values from zookeeper-operator-0.2.15-d2iq-defaults (want zookeeper-operator-0.2.16-dkp.1-d2iq-defaults) on c1',
    )
    const s = catalogAppState({
      ...base,
      appDeployment: ad('zk', 'ws-a', 'App', 'zookeeper-operator-0.2.16-dkp.1'),
      releases: on(
        withValues(
          hr('zookeeper-operator', 'ws-a', '0.2.15', { generation: 2, observed: 1 }),
          'zookeeper-operator-0.2.16-dkp.1-d2iq-defaults',
        ),
      ),
    })
    expect(s.done).toBe(false)
    expect(pendingTexts(s)[0]).toBe(
      'HelmReleases of zookeeper-operator 0.2.16-dkp.1 not converged: ws-a/zookeeper-operator at 0.2.15, generation 2 not observed yet (observed 1) on c1',
    )
  })

  it('never takes the app version for the chart version', () => {
    const s = catalogAppState({
      ...base,
      appDeployment: ad('zk', 'ws-a', 'App', 'zookeeper-operator-0.2.16-dkp.1'),
      releases: on(
        withValues(
          hr('zookeeper-operator', 'ws-a', '0.2.16-dkp.1'),
          'zookeeper-operator-0.2.16-dkp.1-d2iq-defaults',
        ),
      ),
    })
    expect(s.done).toBe(false)
    expect(pendingTexts(s)[0]).toMatch(/ws-a\/zookeeper-operator chart 0.2.16-dkp.1 \(want 0.2.15\)/)
  })

  it('a version the table does not know: the appRef and Ready only, and it says so', () => {
    const kafka = [app('kafka-operator', '0.24.1', 'ws-a'), app('kafka-operator', '0.26.0', 'ws-a')]
    const s = catalogAppState({
      ...base,
      version: '0.26.0',
      apps: kafka,
      appDeployment: ad('kafka-operator-abc', 'ws-a', 'App', 'kafka-operator-0.26.0'),
      releases: on(hr('kafka-operator', 'ws-a', '0.25.9')),
    })
    expect(s.done).toBe(true)
    expect(s.evidence[0]).toMatch(
      /^the release table does not know kafka-operator 0.26.0 .*generic checks only/,
    )
    const notReady = catalogAppState({
      ...base,
      version: '0.26.0',
      apps: kafka,
      appDeployment: ad('kafka-operator-abc', 'ws-a', 'App', 'kafka-operator-0.26.0'),
      releases: on(hr('kafka-operator', 'ws-a', '0.26.0', { ready: 'False' })),
    })
    expect(notReady.done).toBe(false)
    // D2iQ's values naming shows a release not re-rendered yet, where the App exists
    const stale = catalogAppState({
      ...base,
      version: '0.26.0',
      apps: kafka,
      appDeployment: ad('kafka-operator-abc', 'ws-a', 'App', 'kafka-operator-0.26.0'),
      releases: on(withValues(hr('kafka-operator', 'ws-a', '0.24.1'), 'kafka-operator-0.24.1-d2iq-defaults')),
    })
    expect(pendingTexts(stale)[0]).toMatch(
      /kafka-operator takes the values of kafka-operator 0\.24\.1 \(want kafka-operator-0\.26\.0-d2iq-defaults\)/,
    )
    const odd = catalogAppState({
      ...base,
      version: '0.26.0',
      apps: kafka,
      appDeployment: ad('kafka-operator-abc', 'ws-a', 'App', 'kafka-operator-0.26.0'),
      releases: on(withValues(hr('kafka-operator', 'ws-a', '0.26.0'), 'kafka-operator-0.25.9-d2iq-defaults')),
    })
    expect(odd.done).toBe(true)
  })

  it('refuses a missing target App, naming what the catalog has', () => {
    const s = catalogAppState({
      ...base,
      version: '0.2.17',
      appDeployment: ad('zk', 'ws-a', 'App', 'zookeeper-operator-0.2.15'),
      releases: [],
    })
    expect(s.problem).toBe(
      'App zookeeper-operator-0.2.17 does not exist in ws-a: the catalog has no zookeeper-operator 0.2.17 (available: 0.2.15, 0.2.16-dkp.1); check the version in the inventory or update the catalog repository',
    )
  })

  it('refuses a missing AppDeployment, a platform app and a downgrade', () => {
    expect(catalogAppState({ ...base, releases: [] }).problem).toBe('AppDeployment ws-a/zk not found')
    expect(
      catalogAppState({
        ...base,
        appDeployment: ad('traefik', 'ws-a', 'ClusterApp', 'traefik-25.0.1'),
        releases: [],
      }).problem,
    ).toMatch(/references ClusterApp traefik-25.0.1: it is a platform app/)
    expect(
      catalogAppState({
        ...base,
        version: '0.2.15',
        appDeployment: ad('zk', 'ws-a', 'App', 'zookeeper-operator-0.2.16-dkp.1'),
        releases: [],
      }).problem,
    ).toMatch(/runs zookeeper-operator 0.2.16-dkp.1, newer than the inventory's 0.2.15/)
  })
})

describe('commands', () => {
  it('passes kommander args as --flag=value, repeating repeatable flags', () => {
    expect(
      toFlags({
        'charts-bundle': ['a.tar.gz', 'b.tar.gz'],
        'kommander-applications-repository': 'kommander-applications-v2.8.1.tar.gz',
      }),
    ).toEqual([
      '--charts-bundle=a.tar.gz',
      '--charts-bundle=b.tar.gz',
      '--kommander-applications-repository=kommander-applications-v2.8.1.tar.gz',
    ])
  })

  it('builds catalogapp commands with --workspace (and --project)', () => {
    const a = { name: 'zookeeper-operator', version: '0.2.16', source: { file: 'f', line: 1, col: 1 } }
    expect(catalogCommand(a, 'team-a').args).toEqual([
      'upgrade',
      'catalogapp',
      'zookeeper-operator',
      '--workspace=team-a',
      '--to-version=0.2.16',
    ])
    expect(catalogCommand(a, 'team-a', 'payments').args).toEqual([
      'upgrade',
      'catalogapp',
      'zookeeper-operator',
      '--workspace=team-a',
      '--project=payments',
      '--to-version=0.2.16',
    ])
  })
})

describe('itemsState', () => {
  it('an item that cannot be upgraded names itself in its pending line; the stage is done only when all items are', () => {
    const s = itemsState([
      { label: 'workspace a', state: { done: true, evidence: ['ok a'], pending: [] }, command: { args: [] } },
      problemItem('workspace b', { args: [] }, 'x behind'),
    ])
    expect(s.done).toBe(false)
    expect(s.evidence).toEqual(['ok a'])
    expect(pendingTexts(s)).toEqual(['workspace b: x behind'])
    expect(s.pending[0]).toMatchObject({ code: 'refused', object: 'workspace b' })
  })
})
