// The core-addon objects of one cluster at one DKP release: a ClusterResourceSet and a
// ConfigMap `<addon>-<cluster>` per addon. The single source for both the seeded fleet and the
// stand-in's `dkp upgrade addons` (which writes them, or prints them with --dry-run), so a
// stage can compare live ConfigMaps with the dry-run output. Pure and deterministic in
// (DKP version, cluster name, namespace, provider).

import { stringify } from 'yaml'
import type { AnyObject } from '../effects/kube.js'
import { addonsFor } from './dkp-releases.js'

export const CRS_API = 'addons.cluster.x-k8s.io/v1beta1'

/** Label the seeded Cluster carries and every per-cluster CRS selects on. */
export const CLUSTER_NAME_LABEL = 'konvoy.d2iq.io/cluster-name'

function workload(
  addon: { name: string; version: string; image: string },
  cluster: string,
  namespace: string,
): unknown[] {
  const image = `${addon.image}:${addon.version}`
  const labels = { 'app.kubernetes.io/name': addon.name, 'app.kubernetes.io/version': addon.version }
  const deployment = (ns: string, kind = 'Deployment', args?: string[]) => ({
    apiVersion: 'apps/v1',
    kind,
    metadata: { name: addon.name, namespace: ns, labels },
    spec: {
      selector: { matchLabels: { 'app.kubernetes.io/name': addon.name } },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: addon.name, image, ...(args ? { args } : {}) }] },
      },
    },
  })
  switch (addon.name) {
    case 'calico-cni-installation':
      return [
        {
          apiVersion: 'operator.tigera.io/v1',
          kind: 'Installation',
          metadata: { name: 'default' },
          spec: {
            variant: 'Calico',
            calicoNetwork: { ipPools: [{ cidr: '192.168.0.0/16', encapsulation: 'IPIP' }] },
            registry: 'quay.io/',
            imagePath: 'calico',
            componentResources: [],
          },
        },
      ]
    case 'tigera-operator':
      return [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tigera-operator' } },
        deployment('tigera-operator'),
      ]
    case 'cluster-autoscaler':
      return [
        deployment('kube-system', 'Deployment', [
          '--cloud-provider=clusterapi',
          `--node-group-auto-discovery=clusterapi:clusterName=${cluster},namespace=${namespace}`,
          '--scale-down-enabled=true',
        ]),
      ]
    case 'node-feature-discovery':
      return [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'node-feature-discovery' } },
        deployment('node-feature-discovery', 'DaemonSet'),
      ]
    case 'nvidia-feature-discovery':
      return [deployment('node-feature-discovery', 'DaemonSet')]
    default: // CSI drivers and the local volume provisioner
      return [
        deployment('kube-system'),
        {
          ...(deployment('kube-system', 'DaemonSet') as object),
          metadata: { name: `${addon.name}-node`, namespace: 'kube-system', labels },
        },
      ]
  }
}

export interface AddonObjects {
  addon: string
  version: string
  clusterResourceSet: AnyObject
  configMap: AnyObject
}

/** CRS + ConfigMap per addon, in the order `dkp upgrade addons` writes them. */
export function addonObjects(
  dkp: string,
  cluster: string,
  namespace: string,
  provider: string,
): AddonObjects[] {
  return addonsFor(dkp, provider).map((addon) => {
    const name = `${addon.name}-${cluster}`
    const labels = {
      [CLUSTER_NAME_LABEL]: cluster,
      'konvoy.d2iq.io/provider': provider,
      'konvoy.d2iq.io/addon': addon.name,
    }
    const manifest = workload(addon, cluster, namespace)
      .map((doc) => stringify(doc, { sortMapEntries: false }))
      .join('---\n')
    return {
      addon: addon.name,
      version: addon.version,
      clusterResourceSet: {
        apiVersion: CRS_API,
        kind: 'ClusterResourceSet',
        metadata: { name, namespace, labels },
        spec: {
          clusterSelector: { matchLabels: { [CLUSTER_NAME_LABEL]: cluster } },
          resources: [{ kind: 'ConfigMap', name }],
          strategy: 'ApplyOnce',
        },
      },
      configMap: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace, labels },
        data: { [`${addon.name}.yaml`]: manifest },
      },
    }
  })
}
