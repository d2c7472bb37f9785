import { describe, expect, it } from 'vitest'
import { toFlags } from '../../src/core/command-args.js'
import type { AppDeployment, HelmRelease, KommanderApp } from '../../src/stages/kinds.js'
import {
  appIdOf,
  catalogAppState,
  helmReleaseView,
  itemsState,
  kommanderState,
  platformTargets,
  releasedAt,
  runningDkp,
  splitAppName,
  workspaceState,
} from '../../src/stages/kommander-state.js'
import { catalogCommand } from '../../src/stages/workspace-apps.js'

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

describe('kommanderState', () => {
  const base = {
    target: 'v2.8.1',
    appDeployments: [ad('traefik', 'kommander', 'ClusterApp', 'traefik-25.0.1')],
    clusterApps: [clusterApp('traefik', '23.0.2'), clusterApp('traefik', '25.0.1')],
    apps: [],
    kommanderCores: [{ metadata: { name: 'kommander-core' }, status: { version: 'v2.8.1' } }],
  }

  it('is done when the chart is released at v<T>, everything Ready and the platform apps at their versions', () => {
    const s = kommanderState({
      ...base,
      helmReleases: [
        hr('kommander', 'kommander', 'v2.8.1', { history: true }),
        hr('traefik', 'kommander', '25.0.1'),
      ],
    })
    expect(s.pending).toEqual([])
    expect(s.done).toBe(true)
    expect(s.from).toBe('v2.8.1')
    expect(s.evidence[0]).toBe('HelmRelease kommander/kommander at v2.8.1, Ready')
    expect(s.evidence).toContain('KommanderCore kommander-core status.version v2.8.1')
  })

  it('reports the running version and every gap before the upgrade', () => {
    const s = kommanderState({
      ...base,
      appDeployments: [ad('traefik', 'kommander', 'ClusterApp', 'traefik-23.0.2')],
      kommanderCores: [{ metadata: { name: 'kommander-core' }, status: { version: 'v2.7.1' } }],
      helmReleases: [hr('kommander', 'kommander', 'v2.7.1'), hr('traefik', 'kommander', '23.0.2')],
    })
    expect(s.done).toBe(false)
    expect(s.from).toBe('v2.7.1')
    expect(s.pending).toEqual([
      'HelmRelease kommander/kommander chart v2.7.1 (want v2.8.1), Ready',
      'platform AppDeployments not on the newest ClusterApps: kommander/traefik → traefik-23.0.2 (want traefik-25.0.1)',
      'KommanderCore kommander-core status.version v2.7.1 (want v2.8.1)',
    ])
  })

  it('is not done when the CLI stopped after releasing Kommander but before repointing the platform apps', () => {
    const s = kommanderState({
      ...base,
      appDeployments: [ad('traefik', 'kommander', 'ClusterApp', 'traefik-23.0.2')],
      helmReleases: [
        hr('kommander', 'kommander', 'v2.8.1', { history: true }),
        hr('traefik', 'kommander', '23.0.2'),
      ],
    })
    expect(s.done).toBe(false)
    expect(s.pending).toEqual([
      'platform AppDeployments not on the newest ClusterApps: kommander/traefik → traefik-23.0.2 (want traefik-25.0.1)',
    ])
  })

  it('waits for the release, the platform apps and Ready after the CLI changed the spec', () => {
    const s = kommanderState({
      ...base,
      helmReleases: [
        hr('kommander', 'kommander', 'v2.8.1', { applied: 'v2.7.1', ready: 'Unknown' }),
        hr('traefik', 'kommander', '23.0.2'),
        hr('grafana', 'kommander', '1.0.0', { ready: 'False' }),
      ],
    })
    expect(s.done).toBe(false)
    expect(s.pending[0]).toBe(
      'HelmRelease kommander/kommander at v2.8.1, released v2.7.1, Ready=Unknown (Progressing)',
    )
    expect(s.pending[1]).toMatch(/not Ready in kommander: kommander\/grafana Ready=False/)
    expect(s.pending[2]).toMatch(
      /platform apps not yet at their ClusterApp version: traefik \(traefik-25.0.1; HelmRelease at 23.0.2\)/,
    )
  })

  it('names a missing Kommander release', () => {
    const s = kommanderState({ ...base, helmReleases: [] })
    expect(s.done).toBe(false)
    expect(s.pending[0]).toMatch(/HelmRelease kommander\/kommander not found/)
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
  const clusterApps = [
    clusterApp('traefik', '23.0.2'),
    clusterApp('traefik', '25.0.1'),
    clusterApp('fluent-bit', '0.40.0'),
  ]
  const targets = platformTargets([ad('traefik', 'kommander', 'ClusterApp', 'traefik-25.0.1')], clusterApps)
  const input = (adsRef: string, releases: HelmRelease[]) => ({
    workspace: 'team-a',
    namespace: 'ws-a',
    projectNamespaces: ['proj-a'],
    appDeployments: [
      ad('traefik', 'ws-a', 'ClusterApp', adsRef),
      ad('fluent-bit', 'proj-a', 'ClusterApp', 'fluent-bit-0.40.0'),
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

  it('is not done while a platform AppDeployment references the old ClusterApp', () => {
    const s = workspaceState(input('traefik-23.0.2', [hr('traefik', 'ws-a', '23.0.2')]))
    expect(s.done).toBe(false)
    expect(s.pending[0]).toBe(
      'workspace team-a (ws-a): platform AppDeployments behind the management cluster: ws-a/traefik → traefik-23.0.2 (want traefik-25.0.1)',
    )
  })

  it('waits for the HelmReleases on every workspace cluster', () => {
    const s = workspaceState(input('traefik-25.0.1', [hr('traefik', 'ws-a', '23.0.2')]))
    expect(s.done).toBe(false)
    expect(s.pending[0]).toBe(
      'workspace team-a (ws-a): HelmReleases not converged: ws-a/traefik chart 23.0.2 (want 25.0.1), Ready on c1, c2',
    )
  })

  it('is done when refs and releases match; unrelated namespaces are ignored', () => {
    const s = workspaceState(
      input('traefik-25.0.1', [
        hr('traefik', 'ws-a', '25.0.1'),
        hr('fluent-bit', 'proj-a', '0.40.0'),
        hr('kafka', 'ws-a', '0.24.1'),
      ]),
    )
    expect(s.pending).toEqual([])
    expect(s.done).toBe(true)
    expect(s.evidence.join('\n')).toMatch(/2 platform AppDeployments at the management cluster's ClusterApps/)
    expect(s.evidence.join('\n')).toMatch(/Ready at their app versions on c1, c2/)
  })

  it('a failing catalog HelmRelease in the workspace namespace holds it back', () => {
    const s = workspaceState(
      input('traefik-25.0.1', [
        hr('traefik', 'ws-a', '25.0.1'),
        hr('kafka', 'ws-a', '0.24.1', { ready: 'False' }),
      ]),
    )
    expect(s.done).toBe(false)
    expect(s.pending[0]).toMatch(/ws-a\/kafka Ready=False/)
  })
})

describe('catalogAppState', () => {
  const apps = [app('kafka-operator', '0.24.1', 'ws-a'), app('kafka-operator', '0.25.1', 'ws-a')]
  const base = { label: 'ws-a/kafka-operator', version: '0.25.1', apps, clusterApps: [] }

  it('is not done before the upgrade and says where it comes from', () => {
    const s = catalogAppState({
      ...base,
      appDeployment: ad('kafka-operator', 'ws-a', 'App', 'kafka-operator-0.24.1'),
      releases: [{ cluster: 'c1', helmRelease: hr('kafka-operator', 'ws-a', '0.24.1') }],
    })
    expect(s).toMatchObject({
      done: false,
      from: '0.24.1',
      appId: 'kafka-operator',
      targetApp: 'kafka-operator-0.25.1',
    })
    expect(s.problem).toBeUndefined()
    expect(s.pending).toEqual([
      'AppDeployment ws-a/kafka-operator → kafka-operator-0.24.1 (want kafka-operator-0.25.1)',
    ])
  })

  it('is done when the ref and every found HelmRelease are at the version', () => {
    const s = catalogAppState({
      ...base,
      appDeployment: ad('kafka-operator', 'ws-a', 'App', 'kafka-operator-0.25.1'),
      releases: [{ cluster: 'c1', helmRelease: hr('kafka-operator', 'ws-a', '0.25.1') }, { cluster: 'c2' }],
    })
    expect(s.done).toBe(true)
    expect(s.evidence).toEqual([
      'AppDeployment ws-a/kafka-operator → App kafka-operator-0.25.1',
      'HelmRelease ws-a/kafka-operator at 0.25.1, Ready on c1',
    ])
  })

  it('waits for a HelmRelease still at the old chart', () => {
    const s = catalogAppState({
      ...base,
      appDeployment: ad('kafka-operator', 'ws-a', 'App', 'kafka-operator-0.25.1'),
      releases: [{ cluster: 'c1', helmRelease: hr('kafka-operator', 'ws-a', '0.24.1') }],
    })
    expect(s.done).toBe(false)
    expect(s.pending[0]).toBe(
      'HelmRelease ws-a/kafka-operator not converged: chart 0.24.1 (want 0.25.1), Ready on c1',
    )
  })

  it('refuses a missing target App, naming what the catalog has', () => {
    const s = catalogAppState({
      ...base,
      version: '0.26.0',
      appDeployment: ad('kafka-operator', 'ws-a', 'App', 'kafka-operator-0.24.1'),
      releases: [],
    })
    expect(s.problem).toBe(
      'App kafka-operator-0.26.0 does not exist in ws-a: the catalog has no kafka-operator 0.26.0 (available: 0.24.1, 0.25.1); check the version in the inventory or update the catalog repository',
    )
  })

  it('refuses a missing AppDeployment, a platform app and a downgrade', () => {
    expect(catalogAppState({ ...base, releases: [] }).problem).toBe(
      'AppDeployment ws-a/kafka-operator not found',
    )
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
        version: '0.24.1',
        apps: [...apps, app('kafka-operator', '0.26.0', 'ws-a')],
        appDeployment: ad('kafka-operator', 'ws-a', 'App', 'kafka-operator-0.26.0'),
        releases: [],
      }).problem,
    ).toMatch(/runs kafka-operator 0.26.0, newer than the inventory's 0.24.1/)
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
  it('prefixes pending lines with the item label and is done only when all are', () => {
    const s = itemsState([
      { label: 'workspace a', state: { done: true, evidence: ['ok a'], pending: [] }, command: { args: [] } },
      {
        label: 'workspace b',
        state: { done: false, evidence: [], pending: ['x behind'] },
        command: { args: [] },
      },
    ])
    expect(s).toEqual({ done: false, evidence: ['ok a'], pending: ['workspace b: x behind'] })
  })
})
