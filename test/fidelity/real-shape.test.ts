// The done-checks on objects shaped exactly as the public release manifests ship them: DKP
// v2.7.1 and v2.8.1 (test/fixtures/releases), released as Flux releases them. Upgrading a v2.7.1
// fleet to v2.8.1: every check is false on the v2.7.1 set and true on the v2.8.1 set. This is
// the test the review in issue 14 ran by hand; the old checks (chart version = app version,
// releases named after their AppDeployment) stayed false on the v2.8.1 set.

import { describe, expect, it } from 'vitest'
import { catalogAppState } from '../../src/core/catalog-state.js'
import { platformTargets } from '../../src/core/kommander-releases.js'
import { kommanderState, workspaceState } from '../../src/core/kommander-state.js'
import { findAppRelease, loadReleaseData, type ReleaseData } from '../../src/core/release-data.js'
import { pendingTexts } from '../../src/core/step-state.js'
import { type FixtureSet, inNamespace, loadFixtureSet } from './fixtures.js'

const TARGET = 'v2.8.1'
const WS = { name: 'team-a', namespace: 'team-a-x7k2p' }
const PROJECT = 'payments-q7c4n'
const data: ReleaseData = await loadReleaseData()
const sets = { 'v2.7.1': loadFixtureSet('v2.7.1'), 'v2.8.1': loadFixtureSet('v2.8.1') }

function kommander(set: FixtureSet) {
  return kommanderState({
    target: TARGET,
    release: data.platform(TARGET),
    helmReleases: inNamespace(set.helmReleases, 'kommander'),
    appDeployments: inNamespace(set.appDeployments, 'kommander'),
    clusterApps: set.clusterApps,
    // KommanderCore reports the running release (2.7+)
    kommanderCores: [{ metadata: { name: 'kommander-core' }, status: { version: set.tag } }],
  })
}

/**
 * The workspaces check on a fleet whose management cluster is already at the target (the
 * workspaces stage runs after kommander): the management cluster's ClusterApps are the target's,
 * the workspace's objects are the set's.
 */
function workspace(set: FixtureSet) {
  const target = sets[TARGET]
  return workspaceState({
    workspace: WS.name,
    namespace: WS.namespace,
    projectNamespaces: [PROJECT],
    target: TARGET,
    release: data.platform(TARGET),
    appDeployments: [
      ...inNamespace(set.appDeployments, WS.namespace),
      ...inNamespace(set.appDeployments, PROJECT),
    ],
    clusterApps: [...set.clusterApps, ...target.clusterApps],
    targets: platformTargets(inNamespace(target.appDeployments, 'kommander'), target.clusterApps),
    clusters: ['stage-east-1', 'prod-east-1'].map((cluster) => ({
      cluster,
      helmReleases: [
        ...inNamespace(set.helmReleases, WS.namespace),
        ...inNamespace(set.helmReleases, PROJECT),
      ],
    })),
  })
}

function catalog(set: FixtureSet, adName: string, ns: string, version: string) {
  const target = sets[TARGET]
  return catalogAppState({
    label: `${ns}/${adName}`,
    version,
    appDeployment: set.appDeployments.find((a) => a.metadata.name === adName && a.metadata.namespace === ns),
    // the workspace's catalog offers the target's versions too (the catalog repository moved on)
    apps: [
      ...set.apps,
      ...target.apps.filter((a) => !set.apps.some((b) => b.metadata.name === a.metadata.name)),
    ],
    clusterApps: set.clusterApps,
    table: (appId, v) => findAppRelease(data, 'catalog', appId, v, TARGET),
    releases: [{ cluster: 'prod-east-1', helmReleases: inNamespace(set.helmReleases, ns) }],
  })
}

describe('the fixtures are the release manifests', () => {
  for (const set of Object.values(sets)) {
    it(`${set.tag}: every HelmRelease names its source and is a row of the release table`, () => {
      expect(set.helmReleases.length).toBeGreaterThan(40)
      set.helmReleases.forEach((hr, i) => {
        const m =
          /^mesosphere\/(kommander-applications|dkp-catalog-applications) (v[\d.]+) services\/([^/]+)\/([^/]+)\//.exec(
            set.sources[i]!,
          )
        expect(m, `${hr.metadata.namespace}/${hr.metadata.name}: ${set.sources[i]}`).not.toBeNull()
        const [, repo, tag, app, version] = m!
        expect(tag).toBe(set.tag)
        const release = repo === 'kommander-applications' ? data.platform(tag!) : data.catalog(tag!)
        const rows = release!.helmReleases(app!, version!)!
        const row = rows.find((r) =>
          r.dynamic ? r.chart === hr.spec?.chart?.spec?.chart : r.name === hr.metadata.name,
        )
        expect(row, `${set.sources[i]} ${hr.metadata.name}`).toBeDefined()
        expect(hr.spec?.chart?.spec?.version).toBe(row!.chartVersion)
        if (row!.values) expect(hr.spec?.valuesFrom?.map((v) => v.name)).toEqual(row!.values)
      })
    })
  }

  it('shows what the review found: chart ≠ app version, several releases per app, other chart names', () => {
    const hrs = sets['v2.8.1'].helmReleases
    const get = (name: string, ns = 'kommander') =>
      hrs.find((h) => h.metadata.name === name && h.metadata.namespace === ns)!
    expect(get('gitea').spec?.chart?.spec?.version).toBe('8.2.0') // app 8.2.1
    expect(get('kubefed').spec?.chart?.spec?.version).toBe('0.10.4') // app 0.10.5
    expect(get('kommander').spec?.chart?.spec?.version).toBe('v2.8.1') // app 0.8.1
    expect(get('cert-manager-crds')).toBeDefined()
    expect(get('gatekeeper-proxy-mutations', WS.namespace)).toBeDefined()
    expect(get('kubernetes-dashboard', WS.namespace).spec?.chart?.spec?.version).toBe('6.0.8') // app 6.0.9
    expect(get('mtls-proxy-edge-7').spec?.chart?.spec?.chart).toBe('mtls-proxy')
    expect(get('zookeeper-operator', PROJECT).spec?.chart?.spec?.version).toBe('0.2.15') // app 0.2.16-dkp.1
    // the catalog release is named after the app, its AppDeployment is not
    expect(sets['v2.8.1'].appDeployments.some((a) => a.metadata.name === 'zookeeper-operator-m7x2q')).toBe(
      true,
    )
  })
})

describe('done-checks: false on the v2.7.1 set, true on the v2.8.1 set (target v2.8.1)', () => {
  it('kommander', () => {
    const before = kommander(sets['v2.7.1'])
    expect(before.done).toBe(false)
    expect(before.from).toBe('v2.7.1')
    expect(pendingTexts(before)).toContain(
      'HelmRelease kommander/kommander chart v2.7.1 (want v2.8.1), Ready',
    )
    expect(pendingTexts(before).join('\n')).toMatch(
      /platform AppDeployments not on release v2\.8\.1's ClusterApps: .*kommander\/dex → dex-2\.13\.6 \(want dex-2\.13\.11\)/,
    )
    expect(pendingTexts(before).join('\n')).toMatch(
      /HelmReleases not at the chart versions of mesosphere\/kommander-applications v2\.8\.1: kommander\/cluster-observer-edge-7 chart 1\.2\.0 \(want 1\.2\.1\)/,
    )
    // a release v2.8.1's ai-navigator-app lists anew (its v2.7.1 one has another name)
    expect(pendingTexts(before).join('\n')).toMatch(
      /kommander\/ai-navigator-app missing \(ai-navigator-app 0\.2\.2 deploys it\)/,
    )
    expect(pendingTexts(before)).toContain('KommanderCore kommander-core status.version v2.7.1 (want v2.8.1)')

    const after = kommander(sets['v2.8.1'])
    expect(pendingTexts(after)).toEqual([])
    expect(after.done).toBe(true)
    expect(after.evidence.join('\n')).toMatch(
      /\d+ HelmReleases of \d+ enabled apps in kommander at the chart versions of https:\/\/github\.com\/mesosphere\/kommander-applications\/tree\/v2\.8\.1/,
    )
  })

  it('workspaces', () => {
    const before = workspace(sets['v2.7.1'])
    expect(before.done).toBe(false)
    expect(pendingTexts(before).join('\n')).toMatch(
      /platform AppDeployments not on release v2\.8\.1's ClusterApps: .*team-a-x7k2p\/cert-manager → cert-manager-\S+ \(want cert-manager-1\.14\.2\)/,
    )
    expect(pendingTexts(before).join('\n')).toMatch(/HelmReleases not converged: .*team-a-x7k2p\/traefik/)

    const after = workspace(sets['v2.8.1'])
    expect(pendingTexts(after)).toEqual([])
    expect(after.done).toBe(true)
  })

  it('workspace-apps (kafka-operator, AppDeployment named like the app)', () => {
    const before = catalog(sets['v2.7.1'], 'kafka-operator', WS.namespace, '0.25.1')
    expect(before.done).toBe(false)
    expect(pendingTexts(before)).toEqual([
      'AppDeployment team-a-x7k2p/kafka-operator → kafka-operator-0.20.2 (want kafka-operator-0.25.1)',
    ])
    const after = catalog(sets['v2.8.1'], 'kafka-operator', WS.namespace, '0.25.1')
    expect(pendingTexts(after)).toEqual([])
    expect(after.done).toBe(true)
  })

  it('project-apps (zookeeper-operator-m7x2q: AppDeployment named unlike the app, chart 0.2.15 for app 0.2.16-dkp.1)', () => {
    const before = catalog(sets['v2.7.1'], 'zookeeper-operator-m7x2q', PROJECT, '0.2.16-dkp.1')
    expect(before.done).toBe(false)
    const after = catalog(sets['v2.8.1'], 'zookeeper-operator-m7x2q', PROJECT, '0.2.16-dkp.1')
    expect(pendingTexts(after)).toEqual([])
    expect(after.done).toBe(true)
    expect(after.evidence).toContain(
      'HelmRelease payments-q7c4n/zookeeper-operator at the chart versions of https://github.com/mesosphere/dkp-catalog-applications/tree/v2.8.1, Ready on prod-east-1',
    )
  })

  it('one release left behind is enough to hold each check back', () => {
    const mixed = (name: string, ns: string): FixtureSet => {
      const old = sets['v2.7.1'].helmReleases.find(
        (h) => h.metadata.name === name && h.metadata.namespace === ns,
      )!
      const now = sets['v2.8.1']
      return {
        ...now,
        helmReleases: now.helmReleases.map((h) =>
          h.metadata.name === name && h.metadata.namespace === ns ? old : h,
        ),
      }
    }
    expect(pendingTexts(kommander(mixed('dex', 'kommander'))).join('\n')).toMatch(/kommander\/dex /)
    expect(pendingTexts(workspace(mixed('reloader', WS.namespace))).join('\n')).toMatch(
      /team-a-x7k2p\/reloader /,
    )
    expect(
      catalog(mixed('zookeeper-operator', PROJECT), 'zookeeper-operator-m7x2q', PROJECT, '0.2.16-dkp.1').done,
    ).toBe(false)
  })
})
