// The Kommander side of a seeded fleet: platform apps (ClusterApps, AppDeployments and the
// HelmReleases the release table lists), controller-made releases, workspaces and projects
// with their catalog and custom apps, the applications GitRepository and its status.

import type { Inventory } from '../core/model.js'
import type { DkpRelease } from './dkp-releases.js'
import {
  API,
  helmReleaseObject,
  helmReleaseReleased,
  hex,
  KOMMANDER_NS,
  MGMT_WORKSPACE,
  SEEDED_LABEL,
  suffix,
} from './objects.js'
import {
  appHelmReleases,
  catalogVersions,
  enabledApps,
  olderCatalogVersion,
  RELEASES,
} from './release-table.js'
import { add, type FleetLayout, namespace, type SeedBuilder } from './seed-context.js'
import {
  CUSTOM_APP,
  catalogAppId,
  meta,
  olderVersion,
  projectNamespace,
  workspaceNamespace,
} from './seed-naming.js'

/**
 * Kommander on the management cluster: a ClusterApp for every app the release ships (Kommander
 * reads them from the applications repository), an AppDeployment and the HelmReleases for
 * every app enabled on the management cluster (release-table.ts), from the release table; the
 * controller-made releases, KommanderCore, the applications GitRepository and Velero's
 * storage location.
 */
export function seedManagementKommander(ctx: SeedBuilder, inv: Inventory, rel: DkpRelease): void {
  const platform = RELEASES.platform(rel.dkp)!
  const clusterApps = new Set<string>()
  for (const ns of [KOMMANDER_NS, 'kommander-flux', 'git-operator-system']) namespace(ctx, ns)
  for (const appId of platform.apps())
    for (const version of platform.versions(appId)) clusterApp(ctx, appId, version, clusterApps)
  for (const appId of enabledApps(rel.dkp).management) platformApp(ctx, appId, KOMMANDER_NS)
  dynamicReleases(
    ctx,
    rel.kommanderApp,
    inv.clusters.map((c) => c.name),
  )
  const minor = Number(rel.minor.split('.')[1])
  if (minor >= 5) {
    add(
      ctx,
      { apiVersion: API.dkp, kind: 'KommanderCore', metadata: meta('kommander-core'), spec: {} },
      minor >= 7 ? { version: rel.kommanderChart, ready: true } : { ready: true },
      true,
    )
  }
  add(
    ctx,
    {
      apiVersion: ctx.sourceApi,
      kind: 'GitRepository',
      metadata: { ...meta('management', 'kommander-flux'), generation: 1 },
      spec: {
        interval: '1m0s',
        url: 'https://git-operator-git.git-operator-system.svc.cluster.local/repositories/kommander/kommander.git',
        ref: { tag: rel.dkp },
        timeout: '60s',
      },
    },
    gitRepositoryStatus(rel.dkp, 1, ctx.now),
    true,
  )
  add(
    ctx,
    {
      apiVersion: API.velero,
      kind: 'BackupStorageLocation',
      metadata: meta('default', KOMMANDER_NS),
      spec: {
        provider: 'aws',
        default: true,
        objectStorage: { bucket: 'dkp-velero' },
        config: {
          region: 'dkp-object-store',
          s3ForcePathStyle: 'true',
          s3Url: 'http://rook-ceph-rgw-dkp-object-store.kommander.svc:80',
        },
      },
    },
    { phase: 'Available', lastValidationTime: ctx.now, lastSyncedTime: ctx.now },
    true,
  )
}

/** A platform app enabled in `ns`: its AppDeployment on the release's ClusterApp and its HelmReleases. */
function platformApp(ctx: SeedBuilder, appId: string, ns: string): void {
  const version = RELEASES.platform(ctx.dkp)!.versions(appId)[0]!
  appDeployment(ctx, appId, ns, 'ClusterApp', `${appId}-${version}`)
  renderApp(ctx, 'platform', appId, version, ns)
}

/**
 * The management workspace, then every inventory workspace with its platform apps, catalog
 * apps, a custom app and its projects (each with its platform and catalog apps).
 */
export function seedWorkspaces(ctx: SeedBuilder, inv: Inventory, layout: FleetLayout): void {
  add(
    ctx,
    {
      apiVersion: API.workspaces,
      kind: 'Workspace',
      metadata: meta(MGMT_WORKSPACE, undefined, { 'kommander.d2iq.io/workspace-type': 'management' }),
      spec: { namespaceName: KOMMANDER_NS },
    },
    { namespaceRef: { name: KOMMANDER_NS } },
  )
  const apps = new Set<string>()
  for (const ws of inv.workspaces) {
    const wsNs = workspaceNamespace(ws)
    namespace(ctx, wsNs)
    add(
      ctx,
      {
        apiVersion: API.workspaces,
        kind: 'Workspace',
        metadata: meta(ws.name),
        spec: { namespaceName: wsNs, clusterLabels: {} },
      },
      { namespaceRef: { name: wsNs } },
    )
    for (const appId of enabledApps(ctx.dkp).workspace) platformApp(ctx, appId, wsNs)
    for (const app of ws.apps) seedCatalogApp(ctx, app, wsNs, wsNs, apps)
    // a custom app: App-kind AppDeployment the inventory does not list
    appDeployment(
      ctx,
      CUSTOM_APP.appId,
      wsNs,
      'App',
      catalogApp(ctx, CUSTOM_APP.appId, CUSTOM_APP.version, wsNs, apps),
    )
    renderApp(ctx, 'catalog', CUSTOM_APP.appId, CUSTOM_APP.version, wsNs)
    const projects = ws.projects.map((p) => seedProject(ctx, ws.name, wsNs, p, apps))
    layout.workspaces.push({ name: ws.name, namespace: wsNs, projects })
  }
}

function seedProject(
  ctx: SeedBuilder,
  ws: string,
  wsNs: string,
  p: Inventory['workspaces'][number]['projects'][number],
  apps: Set<string>,
): { name: string; namespace: string } {
  const pNs = projectNamespace(ws, p.name)
  namespace(ctx, pNs)
  add(
    ctx,
    {
      apiVersion: API.workspaces,
      kind: 'Project',
      metadata: meta(p.name, wsNs, { 'workspaces.kommander.mesosphere.io/workspace-name': ws }),
      spec: { workspaceRef: { name: ws }, namespaceName: pNs },
    },
    { namespaceRef: { name: pNs } },
  )
  for (const appId of enabledApps(ctx.dkp).project) platformApp(ctx, appId, pNs)
  for (const app of p.apps) seedCatalogApp(ctx, app, pNs, wsNs, apps)
  return { name: p.name, namespace: pNs }
}

/**
 * The HelmReleases Kommander renders for one app version in `ns`, released (Ready at their
 * generation). Names, charts and chart versions from the release table; dynamic (`${name}`)
 * releases are created by Kommander's controllers instead (see dynamicReleases).
 */
function renderApp(
  ctx: SeedBuilder,
  kind: 'platform' | 'catalog',
  appId: string,
  version: string,
  ns: string,
): void {
  for (const row of appHelmReleases(kind, appId, version, ctx.dkp).rows) {
    if (row.dynamic || !row.chart || !row.chartVersion) continue
    const hr = helmReleaseObject(ctx.helmApi, {
      name: row.name,
      namespace: ns,
      chart: row.chart,
      version: row.chartVersion,
      appId,
      appVersion: version,
      values: row.values,
      labels: { [SEEDED_LABEL]: 'true' },
    })
    hr.metadata.generation = 1
    add(ctx, hr, helmReleaseReleased(hr, ctx.now))
  }
}

/**
 * The kommander app's controller-created releases (`dynamic-helmreleases/`: cluster-observer,
 * mtls-proxy), one of each per attached (non-host) cluster. Their names and namespace are
 * filled in by Kommander's controllers and not in the manifests: `<chart>-<cluster>` in
 * `kommander` is INFERRED. Matched by chart, never by name.
 */
function dynamicReleases(ctx: SeedBuilder, kommanderVersion: string, clusters: readonly string[]): void {
  for (const row of appHelmReleases('platform', 'kommander', kommanderVersion, ctx.dkp).rows) {
    if (!row.dynamic || !row.chart || !row.chartVersion) continue
    for (const cluster of clusters) {
      const hr = helmReleaseObject(ctx.helmApi, {
        name: `${row.chart}-${cluster}`,
        namespace: KOMMANDER_NS,
        chart: row.chart,
        version: row.chartVersion,
        appId: 'kommander',
        appVersion: kommanderVersion,
        labels: {
          [SEEDED_LABEL]: 'true',
          'kommander.mesosphere.io/cluster-id': suffix(`cluster/${cluster}`, 8),
        },
      })
      hr.metadata.generation = 1
      add(ctx, hr, helmReleaseReleased(hr, ctx.now))
    }
  }
}

function clusterApp(ctx: SeedBuilder, appId: string, version: string, seen: Set<string>): string {
  const name = `${appId}-${version}`
  if (!seen.has(name)) {
    seen.add(name)
    add(ctx, {
      apiVersion: API.apps,
      kind: 'ClusterApp',
      metadata: meta(name, undefined, { 'apps.kommander.d2iq.io/app-id': appId }),
      spec: {
        appId,
        version,
        type: 'internal',
        artifacts: { git: { path: `./services/${appId}/${version}` } },
      },
    })
  }
  return name
}

function appDeployment(
  ctx: SeedBuilder,
  name: string,
  ns: string,
  kind: 'ClusterApp' | 'App',
  appName: string,
  labels = {},
) {
  add(ctx, {
    apiVersion: API.apps,
    kind: 'AppDeployment',
    metadata: meta(name, ns, labels),
    spec: { appRef: { kind, name: appName }, configOverrides: { name: `${name}-overrides` } },
  })
}

function catalogApp(ctx: SeedBuilder, appId: string, version: string, ns: string, seen: Set<string>): string {
  const name = `${appId}-${version}`
  const key = `${ns}/${name}`
  if (!seen.has(key)) {
    seen.add(key)
    add(ctx, {
      apiVersion: API.apps,
      kind: 'App',
      metadata: meta(name, ns, { 'apps.kommander.d2iq.io/app-id': appId }),
      spec: {
        appId,
        version,
        type: 'catalog',
        artifacts: { git: { path: `./services/${appId}/${version}` } },
      },
    })
  }
  return name
}

/**
 * A catalog app of the inventory, one version below its target: the Apps its workspace's
 * catalog offers (every version the tag's catalog ships, the older one and the target), the
 * AppDeployment (named as the inventory names it, which need not be the app's name) on the
 * older version, and the HelmReleases that version deploys (named after the app, from the
 * catalog table; INFERRED for a version no catalog tag ships) in `ns`.
 */
function seedCatalogApp(
  ctx: SeedBuilder,
  app: { name: string; version: string },
  ns: string,
  wsNs: string,
  seen: Set<string>,
): void {
  const appId = catalogAppId(app.name)
  const old = olderCatalogVersion(ctx.dkp, appId, app.version) ?? olderVersion(app.version)
  for (const v of new Set([...catalogVersions(ctx.dkp, appId), old, app.version]))
    catalogApp(ctx, appId, v, wsNs, seen)
  appDeployment(ctx, app.name, ns, 'App', `${appId}-${old}`)
  renderApp(ctx, 'catalog', appId, old, ns)
}
export function gitRepositoryStatus(tag: string, generation: number, now: string): Record<string, unknown> {
  const revision = `${tag}@sha1:${hex(`kommander-applications/${tag}`, 40)}`
  const file = `${hex(revision, 40)}.tar.gz`
  return {
    observedGeneration: generation,
    artifact: {
      path: `gitrepository/kommander-flux/management/${file}`,
      url: `http://source-controller.kommander-flux.svc.cluster.local./gitrepository/kommander-flux/management/${file}`,
      revision,
      digest: `sha256:${hex(revision)}`,
      lastUpdateTime: now,
    },
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'Succeeded',
        message: `stored artifact for revision '${revision}'`,
        lastTransitionTime: now,
        observedGeneration: generation,
      },
    ],
  }
}
