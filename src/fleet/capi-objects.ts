// CAPI objects of the simulated fleet: Machines and their node info, the infrastructure kinds
// per provider, and EKS's managed control plane version. Pure.

import {
  type AnyObject,
  API,
  CLUSTER_NAME,
  CONTROL_PLANE_LABEL,
  CONTROL_PLANE_NAME,
  type Condition,
  capiCondition,
  DEPLOYMENT_NAME,
  dig,
  getCondition,
  suffix,
  vPrefixed,
} from './object-basics.js'

// ---------------------------------------------------------------- Machines

export function nodeInfo(kubeletVersion: string, name: string): Record<string, string> {
  return {
    architecture: 'amd64',
    bootID: suffix(`boot/${name}`, 12),
    containerRuntimeVersion: 'containerd://1.7.13',
    kernelVersion: '5.15.0-1051-aws',
    kubeProxyVersion: kubeletVersion,
    kubeletVersion,
    machineID: suffix(`machine/${name}`, 16),
    operatingSystem: 'linux',
    osImage: 'Ubuntu 22.04.3 LTS',
    systemUUID: suffix(`uuid/${name}`, 16),
  }
}

export function machineRunningStatus(m: AnyObject, now: string): Record<string, unknown> {
  const version = dig<string>(m, 'spec', 'version') ?? ''
  const name = m.metadata.name!
  return {
    phase: 'Running',
    bootstrapReady: true,
    infrastructureReady: true,
    observedGeneration: m.metadata.generation ?? 1,
    lastUpdated: now,
    nodeRef: { apiVersion: 'v1', kind: 'Node', name: `ip-${suffix(`node/${name}`, 8)}` },
    nodeInfo: nodeInfo(version, name),
    addresses: [
      {
        type: 'InternalIP',
        address: `10.0.${(name.length * 7) % 250}.${(suffix(name).charCodeAt(0) * 3) % 250}`,
      },
    ],
    conditions: [
      capiCondition('Ready', true, now),
      capiCondition('BootstrapReady', true, now),
      capiCondition('InfrastructureReady', true, now),
      capiCondition('NodeHealthy', true, now),
    ],
  }
}

/** A Machine's desired-state key: version + infrastructure template. */
export function machineTemplateKey(version: string, infraName: string): string {
  return suffix(`${vPrefixed(version)}/${infraName}`, 10)
}

export const MACHINE_TEMPLATE_HASH = 'machine-template-hash'

/** The Machine object (no status) for a control plane or node pool member. */
export function machineObject(opts: {
  /** The template the machine was cloned from (its name goes into the template-hash label). */
  name: string
  namespace: string
  cluster: string
  version: string
  infrastructureRef: { apiVersion: string; kind: string; name: string }
  bootstrapKind: string
  controlPlane?: string
  deployment?: string
  failureDomain?: string
}): AnyObject {
  const labels: Record<string, string> = {
    [CLUSTER_NAME]: opts.cluster,
    [MACHINE_TEMPLATE_HASH]: machineTemplateKey(opts.version, opts.infrastructureRef.name),
  }
  if (opts.controlPlane) {
    labels[CONTROL_PLANE_LABEL] = ''
    labels[CONTROL_PLANE_NAME] = opts.controlPlane
  }
  if (opts.deployment) {
    labels[DEPLOYMENT_NAME] = opts.deployment
    labels['cluster.x-k8s.io/set-name'] = `${opts.deployment}-${labels[MACHINE_TEMPLATE_HASH]}`
  }
  return {
    apiVersion: API.cluster,
    kind: 'Machine',
    metadata: { name: opts.name, namespace: opts.namespace, labels },
    spec: {
      clusterName: opts.cluster,
      version: vPrefixed(opts.version),
      bootstrap: {
        configRef: {
          apiVersion: 'bootstrap.cluster.x-k8s.io/v1beta1',
          kind: opts.bootstrapKind,
          name: opts.name,
          namespace: opts.namespace,
        },
        dataSecretName: opts.name,
      },
      // the provider's per-machine object (AWSMachine, …) cloned from the template
      infrastructureRef: {
        apiVersion: opts.infrastructureRef.apiVersion,
        kind: opts.infrastructureRef.kind.replace(/Template$/, ''),
        name: opts.name,
        namespace: opts.namespace,
      },
      providerID: `sim:///${opts.namespace}/${opts.name}`,
      ...(opts.failureDomain ? { failureDomain: opts.failureDomain } : {}),
    },
  }
}

// ---------------------------------------------------------------- providers

export const INFRA_KIND: Record<string, { apiVersion: string; cluster: string; machineTemplate: string }> = {
  aws: {
    apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2',
    cluster: 'AWSCluster',
    machineTemplate: 'AWSMachineTemplate',
  },
  eks: {
    apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2',
    cluster: 'AWSManagedCluster',
    machineTemplate: 'AWSMachineTemplate',
  },
  azure: {
    apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
    cluster: 'AzureCluster',
    machineTemplate: 'AzureMachineTemplate',
  },
  vsphere: {
    apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
    cluster: 'VSphereCluster',
    machineTemplate: 'VSphereMachineTemplate',
  },
  preprovisioned: {
    apiVersion: 'infrastructure.cluster.konvoy.d2iq.io/v1alpha1',
    cluster: 'PreprovisionedCluster',
    machineTemplate: 'PreprovisionedMachineTemplate',
  },
  gcp: {
    apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
    cluster: 'GCPCluster',
    machineTemplate: 'GCPMachineTemplate',
  },
  // NKP nutanix: CAPX's kinds (minimal CRDs, src/fleet/crds.ts NUTANIX_KINDS)
  nutanix: {
    apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
    cluster: 'NutanixCluster',
    machineTemplate: 'NutanixMachineTemplate',
  },
}

export function infraKind(provider: string) {
  return INFRA_KIND[provider] ?? (INFRA_KIND.aws as (typeof INFRA_KIND)['aws'])
}

// ---------------------------------------------------------------- EKS

/**
 * CAPA v2.2's AWSManagedControlPlane status has no `version` field (the CRD prunes it), so the
 * applied Kubernetes version is carried by the `EKSControlPlaneUpdating` condition: False with
 * reason `Updated` and message `Kubernetes version <v>` once an update is done (I).
 */
export const EKS_UPDATING = 'EKSControlPlaneUpdating'

export function eksVersionCondition(version: string, now: string): Condition {
  return {
    type: EKS_UPDATING,
    status: 'False',
    severity: 'Info',
    reason: 'Updated',
    message: `Kubernetes version ${version}`,
    lastTransitionTime: now,
  }
}

/** The Kubernetes version a control plane has applied: KCP/newer CAPA `status.version`, else the EKS condition. */
export function controlPlaneVersion(cp: AnyObject | undefined): string | undefined {
  const direct = dig<string>(cp, 'status', 'version')
  if (direct) return direct
  const c = getCondition(cp, EKS_UPDATING)
  return c?.status === 'False' && c.reason === 'Updated'
    ? /Kubernetes version (\S+)/.exec(c.message ?? '')?.[1]
    : undefined
}
