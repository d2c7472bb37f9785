// The DKP, CAPI and Flux kinds the stages read (reference/dkp.md §4), with the fields used.
// Bare groups are read at the server's preferred version (see Snapshot).

import type { KubeObject } from './kube-object.js'

export const K = {
  helmRelease: ['helm.toolkit.fluxcd.io', 'HelmRelease'],
  workspace: ['workspaces.kommander.mesosphere.io', 'Workspace'],
  project: ['workspaces.kommander.mesosphere.io', 'Project'],
  kommanderCluster: ['kommander.mesosphere.io', 'KommanderCluster'],
  appDeployment: ['apps.kommander.d2iq.io', 'AppDeployment'],
  app: ['apps.kommander.d2iq.io', 'App'],
  clusterApp: ['apps.kommander.d2iq.io', 'ClusterApp'],
  kommanderCore: ['dkp.d2iq.io', 'KommanderCore'],
  cluster: ['cluster.x-k8s.io/v1beta1', 'Cluster'],
  kcp: ['controlplane.cluster.x-k8s.io/v1beta1', 'KubeadmControlPlane'],
  machineDeployment: ['cluster.x-k8s.io/v1beta1', 'MachineDeployment'],
  machine: ['cluster.x-k8s.io/v1beta1', 'Machine'],
  machinePool: ['cluster.x-k8s.io/v1beta1', 'MachinePool'],
  clusterResourceSet: ['addons.cluster.x-k8s.io/v1beta1', 'ClusterResourceSet'],
  clusterResourceSetBinding: ['addons.cluster.x-k8s.io/v1beta1', 'ClusterResourceSetBinding'],
  provider: ['clusterctl.cluster.x-k8s.io/v1alpha3', 'Provider'],
  deployment: ['apps/v1', 'Deployment'],
  configMap: ['v1', 'ConfigMap'],
  secret: ['v1', 'Secret'],
  backup: ['velero.io/v1', 'Backup'],
} as const satisfies Record<string, readonly [string, string]>

export interface Condition {
  type: string
  status: 'True' | 'False' | 'Unknown'
  reason?: string
  message?: string
  lastTransitionTime?: string
}

export interface HelmRelease extends KubeObject {
  spec?: {
    chart?: { spec?: { chart?: string; version?: string } }
    suspend?: boolean
    valuesFrom?: { kind?: string; name?: string }[]
  }
  status?: { lastAppliedRevision?: string; history?: { chartVersion?: string }[]; conditions?: Condition[] }
}

export interface AppDeployment extends KubeObject {
  spec?: { appRef?: { kind?: 'ClusterApp' | 'App'; name?: string } }
}

export interface KommanderApp extends KubeObject {
  spec?: { appId?: string; version?: string }
}

export interface NamespacedRef extends KubeObject {
  spec?: { workspaceRef?: { name?: string }; namespaceName?: string }
  status?: { namespaceRef?: { name?: string } }
}

export interface KommanderCluster extends KubeObject {
  spec?: {
    kubeconfigRef?: { name?: string }
    clusterRef?: { capiCluster?: { name?: string; namespace?: string } }
  }
  status?: { phase?: string; kubernetesVersion?: string }
}

export interface CapiCluster extends KubeObject {
  spec?: {
    paused?: boolean
    controlPlaneRef?: { apiVersion?: string; kind?: string; name?: string; namespace?: string }
  }
  status?: { phase?: string; conditions?: Condition[] }
}

export interface KubeadmControlPlane extends KubeObject {
  spec?: { version?: string; replicas?: number }
  status?: {
    version?: string
    replicas?: number
    updatedReplicas?: number
    readyReplicas?: number
    unavailableReplicas?: number
    observedGeneration?: number
    conditions?: Condition[]
  }
}

export interface MachineDeployment extends KubeObject {
  spec?: { replicas?: number; clusterName?: string; template?: { spec?: { version?: string } } }
  status?: {
    replicas?: number
    updatedReplicas?: number
    readyReplicas?: number
    unavailableReplicas?: number
    phase?: string
    observedGeneration?: number
  }
}

export interface Machine extends KubeObject {
  spec?: { version?: string; clusterName?: string }
  status?: { phase?: string; nodeInfo?: { kubeletVersion?: string }; conditions?: Condition[] }
}

export const CLUSTER_NAME_LABEL = 'cluster.x-k8s.io/cluster-name'
export const PROVIDER_LABEL = 'konvoy.d2iq.io/provider'

export function condition(
  obj: { status?: { conditions?: Condition[] } } | undefined,
  type: string,
): Condition | undefined {
  return obj?.status?.conditions?.find((c) => c.type === type)
}

export const isTrue = (obj: { status?: { conditions?: Condition[] } } | undefined, type: string) =>
  condition(obj, type)?.status === 'True'

/** `kommander/kommander` style reference for messages. */
export const ref = (o: KubeObject) =>
  o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : `${o.metadata.name}`
