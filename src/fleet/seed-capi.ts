// The CAPI side of a seeded fleet: per Konvoy cluster its Cluster, control plane
// (KubeadmControlPlane with Machines, or EKS's AWSManagedControlPlane), node pools with
// Machines, kubeconfig Secret and core addons; on the management cluster the CAPI components.

import { type Inventory, isManaged } from '../core/model.js'
import { addonObjects, CLUSTER_NAME_LABEL } from './addons.js'
import type { CapiComponent, DkpRelease } from './dkp-releases.js'
import {
  type AnyObject,
  API,
  CLUSTER_NAME,
  capiCondition,
  DEPLOYMENT_NAME,
  eksVersionCondition,
  hex,
  infraKind,
  machineObject,
  machineRunningStatus,
  machineTemplateKey,
  PROVIDER_LABEL,
  SEEDED_LABEL,
  suffix,
  vPrefixed,
} from './objects.js'
import { add, namespace, type SeedBuilder } from './seed-context.js'
import { controlPlaneReplicas, meta, nodePoolReplicas } from './seed-naming.js'

/** One Konvoy cluster (management or managed) as seeded. */
export interface SeededCluster {
  name: string
  namespace: string
  provider: string
  mgmt: boolean
  nodepools: string[]
}

/** CAPI objects of one Konvoy cluster (management or managed). */
export function capiCluster(ctx: SeedBuilder, c: SeededCluster): void {
  const eks = c.provider === 'eks'
  const cpName = `${c.name}-control-plane`
  const cpRef = eks
    ? {
        apiVersion: API.awsManagedControlPlane,
        kind: 'AWSManagedControlPlane',
        name: cpName,
        namespace: c.namespace,
      }
    : { apiVersion: API.controlPlane, kind: 'KubeadmControlPlane', name: cpName, namespace: c.namespace }
  clusterObject(ctx, c, cpRef)
  // the CAPI-generated admin kubeconfig of the workload cluster (key `value`)
  kubeconfigSecret(ctx, `${c.name}-kubeconfig`, c.namespace, 'value', c.name)
  if (eks) eksControlPlane(ctx, c, cpName)
  else kubeadmControlPlane(ctx, c, cpName)
  for (const pool of c.nodepools) nodePool(ctx, c, pool)
  coreAddons(ctx, c)
  if (c.provider === 'nutanix') nutanixObjects(ctx, c, [cpName, ...c.nodepools])
}

/**
 * NKP nutanix (CAPX kinds, minimal CRDs): the NutanixCluster and one NutanixMachineTemplate per
 * template the control plane and the pools reference, on the VM image built for the seeded
 * Kubernetes (an image name of the NKP naming pattern, I).
 */
function nutanixObjects(ctx: SeedBuilder, c: SeededCluster, templates: string[]): void {
  const infra = infraKind('nutanix')
  add(
    ctx,
    {
      apiVersion: infra.apiVersion,
      kind: infra.cluster,
      metadata: meta(c.name, c.namespace, { [CLUSTER_NAME]: c.name }),
      spec: {
        controlPlaneEndpoint: { host: `${c.name}.fleet.invalid`, port: 6443 },
        prismCentral: { address: 'prism-central.fleet.invalid', port: 9440 },
      },
    },
    { ready: true },
  )
  for (const name of templates) {
    add(ctx, {
      apiVersion: infra.apiVersion,
      kind: infra.machineTemplate,
      metadata: meta(name, c.namespace, { [CLUSTER_NAME]: c.name }),
      spec: {
        template: {
          spec: {
            image: { type: 'name', name: `nkp-rocky-9.5-release-${ctx.kubernetes}` },
            vcpuSockets: 2,
            vcpusPerSocket: 1,
            memorySize: '8Gi',
            systemDiskSize: '80Gi',
          },
        },
      },
    })
  }
}

/** The CAPI Cluster, Provisioned and Ready. */
function clusterObject(ctx: SeedBuilder, c: SeededCluster, cpRef: Record<string, string>): void {
  const { name, namespace: ns, provider } = c
  const infra = infraKind(provider)
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
}

/** EKS: the AWSManagedControlPlane (optional kind), at the version, Ready. */
function eksControlPlane(ctx: SeedBuilder, c: SeededCluster, cpName: string): void {
  const { name, namespace: ns } = c
  const version = vPrefixed(ctx.kubernetes)
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
}

/** The KubeadmControlPlane, converged, and its Machines Running. */
function kubeadmControlPlane(ctx: SeedBuilder, c: SeededCluster, cpName: string): void {
  const { name, namespace: ns } = c
  const infra = infraKind(c.provider)
  const version = vPrefixed(ctx.kubernetes)
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

/** One node pool: its MachineDeployment, converged, and its Machines Running. */
function nodePool(ctx: SeedBuilder, c: SeededCluster, pool: string): void {
  const { name, namespace: ns } = c
  const infra = infraKind(c.provider)
  const version = vPrefixed(ctx.kubernetes)
  const eks = c.provider === 'eks'
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

/** Core addons: CRS + ConfigMap per addon, all applied; one binding per cluster. */
function coreAddons(ctx: SeedBuilder, c: SeededCluster): void {
  const { name, namespace: ns, provider } = c
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

/**
 * The CAPI components on the management cluster (the providers the fleet uses), and an
 * outdated global ClusterResourceSet (no cluster label) that capi-components deletes.
 */
export function seedCapiComponents(ctx: SeedBuilder, inv: Inventory, rel: DkpRelease): void {
  const used = new Set([inv.management.provider, ...inv.clusters.filter(isManaged).map((c) => c.provider)])
  capiComponents(
    ctx,
    rel.capi.filter((c) => c.type !== 'InfrastructureProvider' || c.serves?.some((p) => used.has(p))),
  )
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
}

export function kubeconfigSecret(
  ctx: SeedBuilder,
  name: string,
  ns: string,
  key: 'value' | 'kubeconfig',
  cluster: string,
) {
  add(ctx, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta(name, ns, { [CLUSTER_NAME]: cluster }),
    type: key === 'value' ? 'cluster.x-k8s.io/secret' : 'Opaque',
    stringData: { [key]: ctx.kubeconfig },
  })
}

/** The hash a ClusterResourceSetBinding records for an applied ConfigMap. */
export function configMapHash(cm: AnyObject): string {
  const data = (cm as { data?: Record<string, string> }).data ?? {}
  return `sha256:${hex(JSON.stringify(Object.entries(data).sort()))}`
}

function capiComponents(ctx: SeedBuilder, components: CapiComponent[]): void {
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
