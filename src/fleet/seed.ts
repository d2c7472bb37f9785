// Seeding: turns an inventory into the cluster objects of a DKP fleet at one DKP version
// (issue 5 §3, reference/dkp.md §4), on ONE API server. What is seeded and why:
// docs/test-fleet.md, "Seeding, simulator and stand-in dkp".
//
// `fleetObjects()` is pure (inventory → objects with their converged status); `seedFleet()`
// creates them: namespaces first, then every object with bounded concurrency, then the
// statuses through `/status` (what the controllers would have written).

import { type Inventory, isManaged, type ManagedCluster, type NodePool } from '../core/model.js'
import type { Kube } from '../effects/kube.js'
import { addonObjects, CLUSTER_NAME_LABEL } from './addons.js'
import { type CapiComponent, dkpRelease } from './dkp-releases.js'
import {
  type AnyObject,
  API,
  CLUSTER_NAME,
  capiCondition,
  DEPLOYMENT_NAME,
  eksVersionCondition,
  HOST_CLUSTER,
  helmReleaseObject,
  helmReleaseReleased,
  hex,
  infraKind,
  KOMMANDER_NS,
  kubeTime,
  MGMT_WORKSPACE,
  machineObject,
  machineRunningStatus,
  machineTemplateKey,
  PROVIDER_LABEL,
  SEEDED_LABEL,
  suffix,
  vPrefixed,
} from './objects.js'
import {
  appHelmReleases,
  catalogAppIds,
  catalogVersions,
  enabledApps,
  olderCatalogVersion,
  RELEASES,
} from './release-table.js'

export interface SeedOptions {
  /** DKP release the fleet runs: `v2.7.1`. */
  dkp: string
  /** Kubernetes of every cluster (bare or v-prefixed); default: the release's default. */
  kubernetes?: string
  /**
   * Kubeconfig content stored in the managed/attached clusters' kubeconfig Secrets. All clusters
   * share the one API server, so this is normally the fleet's own (admin) kubeconfig.
   */
  kubeconfig?: string
  /** Requests in flight while seeding (default 24). */
  concurrency?: number
  /** Fixed clock for timestamps (tests). */
  now?: Date
}

export interface SeededObject {
  obj: AnyObject
  /** Written through /status after the create (a controller's part). */
  status?: Record<string, unknown>
  /** Kind may be absent from the server (optional CRDs): skipped with a note instead of failing. */
  optional?: boolean
}

export interface FleetLayout {
  workspaces: { name: string; namespace: string; projects: { name: string; namespace: string }[] }[]
  clusters: {
    name: string
    kind: 'management' | 'managed' | 'attached'
    provider?: string
    namespace?: string
    workspaceNamespace: string
    nodepools: string[]
  }[]
}

export interface SeedResult extends FleetLayout {
  dkp: string
  kubernetes: string
  /** Objects created (status writes not counted). */
  objects: number
  /** Kinds the server does not serve, skipped. */
  skippedKinds: string[]
  ms: number
}

/** Deterministic namespace of a workspace that the inventory does not name. */
export const workspaceNamespace = (ws: { name: string; namespace?: string }): string =>
  ws.namespace ?? `${ws.name}-${suffix(`workspace/${ws.name}`)}`

export const projectNamespace = (workspace: string, project: string): string =>
  `${project}-${suffix(`project/${workspace}/${project}`)}`

/**
 * Catalog app ids an AppDeployment name may stand for with a suffix (`kafka-operator-abc`):
 * every catalog app of the release table (C), plus apps of other catalogs users add (I).
 */
const KNOWN_CATALOG = [
  ...catalogAppIds(),
  'jenkins',
  'gitlab-runner',
  'harbor',
  'keycloak',
  'nfs-server-provisioner',
].sort((a, b) => b.length - a.length)

/** The catalog appId an AppDeployment name stands for (the AppDeployment is named by its user). */
export function catalogAppId(adName: string): string {
  return KNOWN_CATALOG.find((id) => adName === id || adName.startsWith(`${id}-`)) ?? adName
}

/** A synthetic "older" version below a version no catalog of the table ships. */
export function olderVersion(version: string): string {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(.*)$/.exec(version)
  if (!m) return `${version}-old`
  const [, a, b, c] = m
  const prefix = version.startsWith('v') ? 'v' : ''
  if (Number(b) > 0) return `${prefix}${a}.${Number(b) - 1}.${c}`
  if (Number(c) > 0) return `${prefix}${a}.${b}.${Number(c) - 1}`
  return `${prefix}${Math.max(0, Number(a) - 1)}.9.0`
}

/** A custom (not catalog, not platform) app seeded in every workspace. */
export const CUSTOM_APP = { appId: 'podinfo', version: '6.5.4' }

const hashByte = (s: string, i = 0): number => {
  const h = suffix(s, i + 1)
  return h.charCodeAt(i)
}

/** Control-plane replicas: 3 on mgmt, 1 or 3 on managed clusters (deterministic per name). */
export const controlPlaneReplicas = (cluster: string, mgmt: boolean): number =>
  mgmt ? 3 : hashByte(`cp/${cluster}`) % 2 === 0 ? 3 : 1

/** Node pool replicas: 2 on mgmt, 1 or 2 on managed clusters. */
export const nodePoolReplicas = (pool: string, mgmt: boolean): number =>
  mgmt ? 2 : 1 + (hashByte(`np/${pool}`) % 2)

function nodePoolNames(cluster: string, pools: NodePool[] | undefined): string[] {
  return pools && pools.length > 0 ? pools.map((p) => p.name) : [`${cluster}-md-0`]
}

function meta(
  name: string,
  namespace?: string,
  labels: Record<string, string> = {},
  annotations?: Record<string, string>,
) {
  return {
    name,
    ...(namespace ? { namespace } : {}),
    labels: { [SEEDED_LABEL]: 'true', ...labels },
    ...(annotations ? { annotations } : {}),
  }
}

// ------------------------------------------------------------------------------- builder

interface Ctx {
  dkp: string
  kubernetes: string
  now: string
  kubeconfig: string
  helmApi: string
  sourceApi: string
  out: SeededObject[]
  namespaces: Set<string>
}

function add(ctx: Ctx, obj: AnyObject, status?: Record<string, unknown>, optional = false): void {
  ctx.out.push({ obj, ...(status ? { status } : {}), ...(optional ? { optional } : {}) })
}

function namespace(ctx: Ctx, name: string): void {
  ctx.namespaces.add(name)
}

/**
 * The HelmReleases Kommander renders for one app version in `ns`, released (Ready at their
 * generation). Names, charts and chart versions from the release table; dynamic (`${name}`)
 * releases are created by Kommander's controllers instead (see dynamicReleases).
 */
function renderApp(ctx: Ctx, kind: 'platform' | 'catalog', appId: string, version: string, ns: string): void {
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
function dynamicReleases(ctx: Ctx, kommanderVersion: string, clusters: readonly string[]): void {
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

function clusterApp(ctx: Ctx, appId: string, version: string, seen: Set<string>): string {
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
  ctx: Ctx,
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

function catalogApp(ctx: Ctx, appId: string, version: string, ns: string, seen: Set<string>): string {
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
  ctx: Ctx,
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

function kubeconfigSecret(ctx: Ctx, name: string, ns: string, key: 'value' | 'kubeconfig', cluster: string) {
  add(ctx, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta(name, ns, { [CLUSTER_NAME]: cluster }),
    type: key === 'value' ? 'cluster.x-k8s.io/secret' : 'Opaque',
    stringData: { [key]: ctx.kubeconfig },
  })
}

function kommanderCluster(
  ctx: Ctx,
  name: string,
  ns: string,
  opts: { secret?: string; capi?: { name: string; namespace: string } },
) {
  add(
    ctx,
    {
      apiVersion: API.kommander,
      kind: 'KommanderCluster',
      metadata: meta(name, ns),
      spec: {
        ...(opts.secret ? { kubeconfigRef: { name: opts.secret } } : {}),
        ...(opts.capi ? { clusterRef: { capiCluster: opts.capi } } : {}),
      },
    },
    {
      phase: 'Joined',
      kubernetesVersion: vPrefixed(ctx.kubernetes),
      conditions: [
        { type: 'Ready', status: 'True', reason: 'Joined', message: '', lastTransitionTime: ctx.now },
      ],
    },
  )
}

/** CAPI objects of one Konvoy cluster (management or managed). */
function capiCluster(
  ctx: Ctx,
  c: { name: string; namespace: string; provider: string; mgmt: boolean; nodepools: string[] },
): void {
  const { name, namespace: ns, provider } = c
  const infra = infraKind(provider)
  const version = vPrefixed(ctx.kubernetes)
  const eks = provider === 'eks'
  const cpName = `${name}-control-plane`
  const cpRef = eks
    ? { apiVersion: API.awsManagedControlPlane, kind: 'AWSManagedControlPlane', name: cpName, namespace: ns }
    : { apiVersion: API.controlPlane, kind: 'KubeadmControlPlane', name: cpName, namespace: ns }
  const labels = {
    [CLUSTER_NAME_LABEL]: name,
    [PROVIDER_LABEL]: provider,
    'konvoy.d2iq.io/osHint': 'ubuntu',
    ...(c.mgmt ? {} : { 'kommander.d2iq.io/managed': 'true' }),
  }
  add(
    ctx,
    {
      apiVersion: API.cluster,
      kind: 'Cluster',
      metadata: { ...meta(name, ns, labels), generation: 1 },
      spec: {
        clusterNetwork: {
          pods: { cidrBlocks: ['192.168.0.0/16'] },
          services: { cidrBlocks: ['10.96.0.0/12'] },
        },
        controlPlaneEndpoint: { host: `${name}.fleet.invalid`, port: 6443 },
        controlPlaneRef: cpRef,
        infrastructureRef: { apiVersion: infra.apiVersion, kind: infra.cluster, name, namespace: ns },
      },
    },
    {
      phase: 'Provisioned',
      infrastructureReady: true,
      controlPlaneReady: true,
      observedGeneration: 1,
      conditions: [
        capiCondition('Ready', true, ctx.now),
        capiCondition('ControlPlaneInitialized', true, ctx.now),
        capiCondition('ControlPlaneReady', true, ctx.now),
        capiCondition('InfrastructureReady', true, ctx.now),
      ],
    },
  )
  // the CAPI-generated admin kubeconfig of the workload cluster (key `value`)
  kubeconfigSecret(ctx, `${name}-kubeconfig`, ns, 'value', name)

  if (eks) {
    add(
      ctx,
      {
        apiVersion: API.awsManagedControlPlane,
        kind: 'AWSManagedControlPlane',
        metadata: { ...meta(cpName, ns, { [CLUSTER_NAME]: name }), generation: 1 },
        spec: { eksClusterName: `${ns}_${name}`, region: 'us-west-2', version },
      },
      {
        ready: true,
        initialized: true,
        conditions: [
          capiCondition('Ready', true, ctx.now),
          capiCondition('EKSControlPlaneReady', true, ctx.now),
          eksVersionCondition(version, ctx.now),
        ],
      },
      true,
    )
  } else {
    const replicas = controlPlaneReplicas(name, c.mgmt)
    const template = {
      apiVersion: infra.apiVersion,
      kind: infra.machineTemplate,
      name: cpName,
      namespace: ns,
    }
    add(
      ctx,
      {
        apiVersion: API.controlPlane,
        kind: 'KubeadmControlPlane',
        metadata: { ...meta(cpName, ns, { [CLUSTER_NAME]: name }), generation: 1 },
        spec: {
          replicas,
          version,
          machineTemplate: { infrastructureRef: template, metadata: {} },
          kubeadmConfigSpec: {
            clusterConfiguration: { apiServer: { extraArgs: { 'cloud-provider': 'external' } } },
            initConfiguration: { nodeRegistration: { name: '{{ ds.meta_data.local_hostname }}' } },
            joinConfiguration: { nodeRegistration: { name: '{{ ds.meta_data.local_hostname }}' } },
          },
          rolloutStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } },
        },
      },
      {
        selector: `${CLUSTER_NAME}=${name},cluster.x-k8s.io/control-plane`,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: replicas,
        unavailableReplicas: 0,
        version,
        initialized: true,
        ready: true,
        observedGeneration: 1,
        conditions: [
          capiCondition('Ready', true, ctx.now),
          capiCondition('Available', true, ctx.now),
          capiCondition('CertificatesAvailable', true, ctx.now),
          capiCondition('MachinesCreated', true, ctx.now),
          capiCondition('MachinesReady', true, ctx.now),
          capiCondition('MachinesSpecUpToDate', true, ctx.now),
          capiCondition('Resized', true, ctx.now),
        ],
      },
    )
    for (let i = 0; i < replicas; i++) {
      const m = machineObject({
        name: `${cpName}-${suffix(`${ns}/${cpName}/${i}`)}`,
        namespace: ns,
        cluster: name,
        version,
        infrastructureRef: template,
        bootstrapKind: 'KubeadmConfig',
        controlPlane: cpName,
        failureDomain: `zone-${String.fromCharCode(97 + (i % 3))}`,
      })
      m.metadata.labels = { ...m.metadata.labels, [SEEDED_LABEL]: 'true' }
      add(ctx, m, machineRunningStatus(m, ctx.now))
    }
  }

  for (const pool of c.nodepools) {
    const replicas = nodePoolReplicas(pool, c.mgmt)
    const template = { apiVersion: infra.apiVersion, kind: infra.machineTemplate, name: pool, namespace: ns }
    const hash = machineTemplateKey(version, pool)
    const selector = { [CLUSTER_NAME]: name, [DEPLOYMENT_NAME]: pool }
    add(
      ctx,
      {
        apiVersion: API.cluster,
        kind: 'MachineDeployment',
        metadata: { ...meta(pool, ns, { [CLUSTER_NAME]: name }), generation: 1 },
        spec: {
          clusterName: name,
          replicas,
          selector: { matchLabels: selector },
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
          template: {
            metadata: { labels: selector },
            spec: {
              clusterName: name,
              version,
              bootstrap: {
                configRef: {
                  apiVersion: 'bootstrap.cluster.x-k8s.io/v1beta1',
                  kind: eks ? 'EKSConfigTemplate' : 'KubeadmConfigTemplate',
                  name: pool,
                  namespace: ns,
                },
              },
              infrastructureRef: template,
            },
          },
        },
      },
      {
        selector: `${CLUSTER_NAME}=${name},${DEPLOYMENT_NAME}=${pool}`,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
        unavailableReplicas: 0,
        phase: 'Running',
        observedGeneration: 1,
        conditions: [
          capiCondition('Ready', true, ctx.now),
          capiCondition('Available', true, ctx.now),
          capiCondition('MachineSetReady', true, ctx.now),
        ],
      },
    )
    for (let i = 0; i < replicas; i++) {
      const m = machineObject({
        name: `${pool}-${hash.slice(0, 5)}-${suffix(`${ns}/${pool}/${i}`)}`,
        namespace: ns,
        cluster: name,
        version,
        infrastructureRef: template,
        bootstrapKind: eks ? 'EKSConfig' : 'KubeadmConfig',
        deployment: pool,
      })
      m.metadata.labels = { ...m.metadata.labels, [SEEDED_LABEL]: 'true' }
      add(ctx, m, machineRunningStatus(m, ctx.now))
    }
  }

  // core addons: CRS + ConfigMap per addon, all applied; one binding per cluster
  const addons = addonObjects(ctx.dkp, name, ns, provider)
  for (const a of addons) {
    a.clusterResourceSet.metadata.labels = { ...a.clusterResourceSet.metadata.labels, [SEEDED_LABEL]: 'true' }
    a.clusterResourceSet.metadata.generation = 1
    add(ctx, a.configMap)
    add(ctx, a.clusterResourceSet, {
      observedGeneration: 1,
      conditions: [capiCondition('ResourcesApplied', true, ctx.now)],
    })
  }
  add(ctx, {
    apiVersion: API.addons,
    kind: 'ClusterResourceSetBinding',
    metadata: meta(name, ns, { [CLUSTER_NAME]: name }),
    spec: {
      clusterName: name,
      bindings: [...addons]
        .sort((a, b) =>
          a.clusterResourceSet.metadata.name!.localeCompare(b.clusterResourceSet.metadata.name!),
        )
        .map((a) => ({
          clusterResourceSetName: a.clusterResourceSet.metadata.name,
          resources: [
            {
              kind: 'ConfigMap',
              name: a.configMap.metadata.name,
              applied: true,
              hash: configMapHash(a.configMap),
              lastAppliedTime: ctx.now,
            },
          ],
        })),
    },
  })
}

/** The hash a ClusterResourceSetBinding records for an applied ConfigMap. */
export function configMapHash(cm: AnyObject): string {
  const data = (cm as { data?: Record<string, string> }).data ?? {}
  return `sha256:${hex(JSON.stringify(Object.entries(data).sort()))}`
}

function capiComponents(ctx: Ctx, components: CapiComponent[]): void {
  for (const c of components) {
    namespace(ctx, c.namespace)
    if (c.type !== 'CertManager') {
      add(
        ctx,
        {
          apiVersion: API.clusterctl,
          kind: 'Provider',
          metadata: meta(c.name, c.namespace, {
            'clusterctl.cluster.x-k8s.io': '',
            'cluster.x-k8s.io/provider': c.name,
          }),
          providerName: c.providerName,
          type: c.type,
          version: c.version,
        } as AnyObject,
        undefined,
        true,
      )
    }
    for (const d of c.deployments) {
      const labels = { 'app.kubernetes.io/name': d.name, 'cluster.x-k8s.io/provider': c.name }
      add(
        ctx,
        {
          apiVersion: API.deployments,
          kind: 'Deployment',
          metadata: { ...meta(d.name, c.namespace, labels), generation: 1 },
          spec: {
            replicas: 1,
            selector: { matchLabels: { 'app.kubernetes.io/name': d.name } },
            template: {
              metadata: { labels: { 'app.kubernetes.io/name': d.name } },
              spec: { containers: [{ name: d.container, image: d.image }] },
            },
          },
        },
        deploymentAvailable(1, 1, ctx.now),
      )
    }
  }
}

export function deploymentAvailable(
  generation: number,
  replicas: number,
  now: string,
): Record<string, unknown> {
  return {
    observedGeneration: generation,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
    conditions: [
      {
        type: 'Available',
        status: 'True',
        reason: 'MinimumReplicasAvailable',
        message: 'Deployment has minimum availability.',
        lastUpdateTime: now,
        lastTransitionTime: now,
      },
      {
        type: 'Progressing',
        status: 'True',
        reason: 'NewReplicaSetAvailable',
        message: 'ReplicaSet has successfully progressed.',
        lastUpdateTime: now,
        lastTransitionTime: now,
      },
    ],
  }
}

export interface BuildOptions extends Omit<SeedOptions, 'concurrency'> {
  /** HelmRelease apiVersion to write (default v2beta2). */
  helmApi?: string
  /** GitRepository apiVersion to write (default v1). */
  sourceApi?: string
}

/** Every object of the fleet at `opts.dkp`, in create order, with converged statuses. Pure. */
export function fleetObjects(
  inv: Inventory,
  opts: BuildOptions,
): { namespaces: string[]; objects: SeededObject[]; layout: FleetLayout; kubernetes: string } {
  const rel = dkpRelease(opts.dkp)
  const kubernetes = (opts.kubernetes ?? rel.kubernetes).replace(/^v/, '')
  const minor = Number(rel.minor.split('.')[1])
  const ctx: Ctx = {
    dkp: rel.dkp,
    kubernetes,
    now: kubeTime(opts.now),
    kubeconfig: opts.kubeconfig ?? '',
    helmApi: opts.helmApi ?? API.helm,
    sourceApi: opts.sourceApi ?? API.source,
    out: [],
    namespaces: new Set(),
  }
  const layout: FleetLayout = { workspaces: [], clusters: [] }
  const clusterApps = new Set<string>()
  const apps = new Set<string>()

  // --- Kommander on mgmt: a ClusterApp for every app the release ships (Kommander reads them
  // from the applications repository), an AppDeployment and the HelmReleases for every app
  // enabled on the management cluster (release-table.ts), from the release table.
  const platform = RELEASES.platform(rel.dkp)!
  const enabled = enabledApps(rel.dkp)
  const platformApp = (appId: string) => `${appId}-${platform.versions(appId)[0]}`
  for (const ns of [KOMMANDER_NS, 'kommander-flux', 'git-operator-system']) namespace(ctx, ns)
  for (const appId of platform.apps())
    for (const version of platform.versions(appId)) clusterApp(ctx, appId, version, clusterApps)
  for (const appId of enabled.management) {
    appDeployment(ctx, appId, KOMMANDER_NS, 'ClusterApp', platformApp(appId))
    renderApp(ctx, 'platform', appId, platform.versions(appId)[0]!, KOMMANDER_NS)
  }
  dynamicReleases(
    ctx,
    rel.kommanderApp,
    inv.clusters.map((c) => c.name),
  )
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

  // --- Workspaces, projects, apps
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
    for (const appId of enabled.workspace) {
      appDeployment(ctx, appId, wsNs, 'ClusterApp', platformApp(appId))
      renderApp(ctx, 'platform', appId, platform.versions(appId)[0]!, wsNs)
    }
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

    const projects: { name: string; namespace: string }[] = []
    for (const p of ws.projects) {
      const pNs = projectNamespace(ws.name, p.name)
      namespace(ctx, pNs)
      projects.push({ name: p.name, namespace: pNs })
      add(
        ctx,
        {
          apiVersion: API.workspaces,
          kind: 'Project',
          metadata: meta(p.name, wsNs, { 'workspaces.kommander.mesosphere.io/workspace-name': ws.name }),
          spec: { workspaceRef: { name: ws.name }, namespaceName: pNs },
        },
        { namespaceRef: { name: pNs } },
      )
      for (const appId of enabled.project) {
        appDeployment(ctx, appId, pNs, 'ClusterApp', platformApp(appId))
        renderApp(ctx, 'platform', appId, platform.versions(appId)[0]!, pNs)
      }
      for (const app of p.apps) seedCatalogApp(ctx, app, pNs, wsNs, apps)
    }
    layout.workspaces.push({ name: ws.name, namespace: wsNs, projects })
  }

  // --- CAPI components on mgmt (providers used by the fleet)
  const used = new Set([inv.management.provider, ...inv.clusters.filter(isManaged).map((c) => c.provider)])
  capiComponents(
    ctx,
    rel.capi.filter((c) => c.type !== 'InfrastructureProvider' || c.serves?.some((p) => used.has(p))),
  )
  // an outdated global ClusterResourceSet (no cluster label) that capi-components deletes
  namespace(ctx, inv.management.namespace)
  add(ctx, {
    apiVersion: API.addons,
    kind: 'ClusterResourceSet',
    metadata: meta(`calico-cni-${inv.management.provider}-global`, inv.management.namespace, {
      'konvoy.d2iq.io/global': 'true',
    }),
    spec: {
      clusterSelector: { matchLabels: { 'konvoy.d2iq.io/cni': 'calico' } },
      resources: [],
      strategy: 'ApplyOnce',
    },
  })

  // --- Clusters
  const mgmt = inv.management
  const mgmtPools = nodePoolNames(mgmt.name, mgmt.nodepools)
  capiCluster(ctx, {
    name: mgmt.name,
    namespace: mgmt.namespace,
    provider: mgmt.provider,
    mgmt: true,
    nodepools: mgmtPools,
  })
  kommanderCluster(ctx, HOST_CLUSTER, KOMMANDER_NS, { capi: { name: mgmt.name, namespace: mgmt.namespace } })
  layout.clusters.push({
    name: mgmt.name,
    kind: 'management',
    provider: mgmt.provider,
    namespace: mgmt.namespace,
    workspaceNamespace: KOMMANDER_NS,
    nodepools: mgmtPools,
  })

  const wsNsOf = new Map(inv.workspaces.map((w) => [w.name, workspaceNamespace(w)]))
  const poolOwner = new Map<string, string>()
  for (const c of inv.clusters) {
    const wsNs = wsNsOf.get(c.workspace) ?? workspaceNamespace({ name: c.workspace })
    if (!isManaged(c)) {
      kubeconfigSecret(ctx, `${c.name}-kubeconfig`, wsNs, 'kubeconfig', c.name)
      kommanderCluster(ctx, c.name, wsNs, { secret: `${c.name}-kubeconfig` })
      layout.clusters.push({ name: c.name, kind: 'attached', workspaceNamespace: wsNs, nodepools: [] })
      continue
    }
    const mc = c as ManagedCluster
    const ns = mc.namespace ?? wsNs
    namespace(ctx, ns)
    const pools = nodePoolNames(mc.name, mc.nodepools)
    for (const p of [...pools, `${mc.name}-control-plane`]) {
      const key = `${ns}/${p}`
      const owner = poolOwner.get(key)
      if (owner && owner !== mc.name) {
        throw new Error(
          `node pool ${key} of cluster ${mc.name} clashes with cluster ${owner}: names must be unique per namespace`,
        )
      }
      poolOwner.set(key, mc.name)
    }
    capiCluster(ctx, { name: mc.name, namespace: ns, provider: mc.provider, mgmt: false, nodepools: pools })
    if (ns !== wsNs) kubeconfigSecret(ctx, `${mc.name}-kubeconfig`, wsNs, 'value', mc.name)
    kommanderCluster(ctx, mc.name, wsNs, {
      secret: `${mc.name}-kubeconfig`,
      capi: { name: mc.name, namespace: ns },
    })
    layout.clusters.push({
      name: mc.name,
      kind: 'managed',
      provider: mc.provider,
      namespace: ns,
      workspaceNamespace: wsNs,
      nodepools: pools,
    })
  }

  return { namespaces: [...ctx.namespaces], objects: ctx.out, layout, kubernetes }
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

// ------------------------------------------------------------------------------- effects

async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T)
    }),
  )
}

/**
 * Seeds the fleet of `inventory` at `opts.dkp` onto the API server of `kube`. Idempotent for
 * objects that already exist (left as they are). Kinds the server does not serve among the
 * optional ones (clusterctl Provider, AWSManagedControlPlane, KommanderCore, GitRepository,
 * Velero BackupStorageLocation) are skipped and listed in the result.
 */
export async function seedFleet(kube: Kube, inventory: Inventory, opts: SeedOptions): Promise<SeedResult> {
  const started = performance.now()
  const helmApi = (await kube.hasResource(API.helm, 'HelmRelease')) ? API.helm : API.helmV1
  const sourceApi = (await kube.hasResource(API.source, 'GitRepository')) ? API.source : API.sourceV1beta2
  const { namespaces, objects, layout, kubernetes } = fleetObjects(inventory, { ...opts, helmApi, sourceApi })
  const limit = opts.concurrency ?? 24

  const served = new Map<string, boolean>()
  for (const o of objects) {
    const key = `${o.obj.apiVersion}/${o.obj.kind}`
    if (!served.has(key)) served.set(key, await kube.hasResource(o.obj.apiVersion, o.obj.kind))
  }
  const missing = [...served].filter(([, ok]) => !ok).map(([k]) => k)
  const requiredMissing = missing.filter((k) =>
    objects.some((o) => !o.optional && `${o.obj.apiVersion}/${o.obj.kind}` === k),
  )
  if (requiredMissing.length > 0) {
    throw new Error(
      `seeding needs kinds the server does not serve: ${requiredMissing.join(', ')} (CRDs installed?)`,
    )
  }

  await pool(namespaces, limit, async (name) => {
    await createOrKeep(kube, { apiVersion: 'v1', kind: 'Namespace', metadata: meta(name) })
  })
  const todo = objects.filter((o) => served.get(`${o.obj.apiVersion}/${o.obj.kind}`))
  let created = 0
  await pool(todo, limit, async (o) => {
    const { generation: _g, ...metadata } = o.obj.metadata
    const live = await createOrKeep(kube, { ...o.obj, metadata })
    if (live.created) created++
    if (o.status && live.created) {
      const status = { ...o.status }
      // the status was computed for generation 1: align with what the server assigned
      if (live.obj.metadata.generation !== undefined && 'observedGeneration' in status) {
        status.observedGeneration = live.obj.metadata.generation
      }
      await writeStatus(kube, live.obj, status)
    }
  })
  return {
    dkp: dkpRelease(opts.dkp).dkp,
    kubernetes,
    objects: created,
    skippedKinds: missing,
    ms: Math.round(performance.now() - started),
    ...layout,
  }
}

/** Merge-patches `status` through /status, or the main resource when the kind has no status subresource. */
export async function writeStatus(
  kube: Kube,
  obj: AnyObject,
  status: Record<string, unknown>,
): Promise<AnyObject> {
  const res = await kube.resource(obj.apiVersion, obj.kind)
  const args = [obj.apiVersion, obj.kind, obj.metadata.name!, obj.metadata.namespace, { status }] as const
  return res?.subresources.includes('status') ? kube.patchStatus(...args) : kube.patchMerge(...args)
}

async function createOrKeep(kube: Kube, obj: AnyObject): Promise<{ obj: AnyObject; created: boolean }> {
  try {
    return { obj: await kube.create(obj), created: true }
  } catch (err) {
    if ((err as { code?: number }).code === 409) return { obj, created: false }
    throw err
  }
}
