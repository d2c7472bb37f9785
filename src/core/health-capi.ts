// Health gates of `check` over the CAPI objects of every Konvoy cluster: the Cluster, its
// control plane, node pools and Machines, and kubelet version skew. Pure (health.ts has the
// shared parts).

import type { Finding } from './findings.js'
import { conditionState, finding, HEALTH, nsName, objectRef } from './health.js'
import {
  type CapiCluster,
  condition,
  type KubeadmControlPlane,
  type Machine,
  type MachineDeployment,
} from './kinds.js'
import {
  controlPlaneState,
  type MachinePool,
  type ManagedControlPlane,
  managedControlPlaneState,
  nodePoolState,
} from './konvoy-state.js'
import type { KubeObject } from './kube-object.js'
import { allowedKubeletLag } from './preflight-skew.js'
import { bareVersion, kubernetesMinor } from './versions.js'

/** The CAPI Cluster: present, `Provisioned`, Ready=True, not paused. */
export function capiClusterFindings(
  cluster: string,
  namespace: string,
  obj: CapiCluster | undefined,
): Finding[] {
  if (!obj) {
    return [
      finding(
        HEALTH.capiCluster,
        'error',
        cluster,
        { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Cluster', namespace, name: cluster },
        `CAPI Cluster ${namespace}/${cluster} does not exist on the management cluster, so cluster ${cluster} cannot be upgraded by DKP.`,
        'Fix the cluster name or namespace in the inventory (clusters[].namespace), or mark the cluster `attached: true` if DKP does not manage its Kubernetes.',
      ),
    ]
  }
  const out: Finding[] = []
  const object = objectRef(obj)
  const phase = obj.status?.phase
  const ready = condition(obj, 'Ready')
  const problems: string[] = []
  if (phase !== 'Provisioned') problems.push(`phase ${phase ?? 'not reported'}`)
  if (ready?.status !== 'True') problems.push(conditionState('Ready', ready))
  if (problems.length > 0) {
    out.push(
      finding(
        HEALTH.capiCluster,
        'error',
        cluster,
        object,
        `CAPI Cluster ${nsName(obj)} is not Provisioned and Ready: ${problems.join(', ')}.`,
        `Inspect it (kubectl -n ${obj.metadata.namespace} describe cluster ${obj.metadata.name}; clusterctl describe cluster ${obj.metadata.name} -n ${obj.metadata.namespace}) and repair it before upgrading.`,
        phase ? { phase } : undefined,
      ),
    )
  }
  if (obj.spec?.paused) {
    out.push(
      finding(
        HEALTH.capiCluster,
        'warning',
        cluster,
        object,
        `CAPI Cluster ${nsName(obj)} is paused: CAPI does not reconcile it, so a control plane or node pool update would wait forever.`,
        `Unpause it before its upgrade (kubectl -n ${obj.metadata.namespace} patch cluster ${obj.metadata.name} --type merge -p '{"spec":{"paused":false}}'), unless a move or maintenance is in progress.`,
      ),
    )
  }
  return out
}

/** The control plane converged at its own spec version: no rollout in progress, replicas ready. */
export function controlPlaneFindings(
  cluster: string,
  cp: KubeadmControlPlane | ManagedControlPlane,
): Finding[] {
  const spec = cp.spec?.version
  const state =
    cp.kind === 'KubeadmControlPlane'
      ? controlPlaneState(cp as KubeadmControlPlane, spec ?? '')
      : managedControlPlaneState(cp as ManagedControlPlane, spec ?? '')
  if (state.done) return []
  const detail = state.problems.join(', ')
  return [
    finding(
      HEALTH.controlPlane,
      'error',
      cluster,
      objectRef(cp),
      `The control plane of ${cluster} (${cp.kind} ${nsName(cp)}) has not converged at ${spec ?? 'its version'}: ${detail}.`,
      `A rollout is in progress or stuck. Wait for it to finish (kubectl -n ${cp.metadata.namespace} get ${cp.kind.toLowerCase()} ${cp.metadata.name}; kubectl -n ${cp.metadata.namespace} get machines -l cluster.x-k8s.io/cluster-name=${cluster} -o wide) and repair machines that do not become Ready before upgrading.`,
      spec ? { version: bareVersion(spec) } : undefined,
    ),
  ]
}

/** A node pool converged at its template version: replicas updated and ready, its machines at that version. */
export function nodePoolFindings(
  cluster: string,
  pool: MachineDeployment | MachinePool,
  machines: readonly Machine[],
): Finding[] {
  const spec = pool.spec?.template?.spec?.version
  const state = nodePoolState(pool, [...machines], spec ?? '')
  if (state.done) return []
  const detail = state.problems.join(', ')
  return [
    finding(
      HEALTH.nodePool,
      'error',
      cluster,
      objectRef(pool),
      `Node pool ${pool.metadata.name} of ${cluster} (${pool.kind} ${nsName(pool)}) has not converged at ${spec ?? 'its version'}: ${detail}.`,
      `A rollout is in progress or stuck (PodDisruptionBudgets blocking drains are the usual cause). Wait for it (kubectl -n ${pool.metadata.namespace} get ${pool.kind.toLowerCase()} ${pool.metadata.name}; kubectl -n ${pool.metadata.namespace} get machines -l cluster.x-k8s.io/deployment-name=${pool.metadata.name} -o wide) before upgrading.`,
      spec ? { version: bareVersion(spec) } : undefined,
    ),
  ]
}

/** A node pool the inventory lists that has no MachineDeployment/MachinePool. */
export function missingPoolFinding(cluster: string, namespace: string, pool: string): Finding {
  return finding(
    HEALTH.nodePool,
    'error',
    cluster,
    { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineDeployment', namespace, name: pool },
    `Node pool ${pool} of ${cluster} is listed in the inventory but no MachineDeployment or MachinePool ${namespace}/${pool} exists, so dkp update nodepool would fail.`,
    `Fix clusters[].nodepools in the inventory (kubectl -n ${namespace} get machinedeployments -l cluster.x-k8s.io/cluster-name=${cluster} lists the real ones), or leave nodepools out to discover them.`,
  )
}

/** Machines (what CAPI shows of the nodes): phase Running and NodeHealthy=True. Deleting ones are part of a rollout. */
export function machineFindings(cluster: string, machines: readonly Machine[]): Finding[] {
  const out: Finding[] = []
  for (const m of machines) {
    if (m.metadata.deletionTimestamp) continue
    const phase = m.status?.phase
    const healthy = condition(m, 'NodeHealthy')
    const problems: string[] = []
    if (phase !== 'Running') problems.push(`phase ${phase ?? 'not reported'}`)
    if (healthy?.status !== 'True') problems.push(conditionState('NodeHealthy', healthy))
    if (problems.length === 0) continue
    const kubelet = m.status?.nodeInfo?.kubeletVersion
    out.push(
      finding(
        HEALTH.machine,
        'error',
        cluster,
        objectRef(m),
        `Machine ${nsName(m)} of ${cluster} is not Ready: ${problems.join(', ')}.`,
        `Repair or replace the machine before upgrading (kubectl -n ${m.metadata.namespace} describe machine ${m.metadata.name}; deleting an unhealthy worker Machine lets its MachineDeployment replace it). Upgrades drain and replace nodes, so an unhealthy one stalls them.`,
        { ...(phase ? { phase } : {}), ...(kubelet ? { kubeletVersion: bareVersion(kubelet) } : {}) },
      ),
    )
  }
  return out
}

/**
 * How many minors a kubelet may trail a kube-apiserver of this minor. The policy is worded by the
 * kubelet's minor (allowedKubeletLag): three behind is allowed when that kubelet is 1.25+, that
 * is, from an API server 1.28.
 */
export const maxKubeletSkew = (apiserverMinor: number): number => allowedKubeletLag(apiserverMinor - 3)

export interface PoolKubelets {
  /** The MachineDeployment/MachinePool. */
  object: KubeObject
  machines: readonly Machine[]
}

/**
 * Kubelet versions of each node pool against the control plane, now and once the control plane
 * runs the target: newer than the control plane or beyond the skew policy is an error; pools a
 * minor or more behind (a previous upgrade left unfinished) are a warning.
 */
export function skewFindings(
  cluster: string,
  controlPlane: { version: string | undefined; object: KubeObject } | undefined,
  pools: readonly PoolKubelets[],
  target: string,
): Finding[] {
  const cp = controlPlane?.version ? kubernetesMinor(bareVersion(controlPlane.version)) : undefined
  if (cp === undefined) return []
  const skew: Skew = {
    cluster,
    cp,
    cpVersion: bareVersion(controlPlane!.version!),
    to: kubernetesMinor(target),
    target,
  }
  return pools.flatMap((pool) => poolSkew(skew, pool) ?? [])
}

/** The control plane side of the skew check. */
interface Skew {
  cluster: string
  /** The control plane's minor, and its version. */
  cp: number
  cpVersion: string
  /** The target's minor, and the target. */
  to: number | undefined
  target: string
}

/** One pool's kubelets against the control plane: the first rule broken, if any. */
function poolSkew({ cluster, cp, cpVersion, to, target }: Skew, pool: PoolKubelets): Finding | undefined {
  const kubelets = pool.machines
    .filter((m) => !m.metadata.deletionTimestamp)
    .map((m) => m.status?.nodeInfo?.kubeletVersion ?? m.spec?.version)
    .filter((v): v is string => !!v)
  const minors = kubelets
    .map((v) => kubernetesMinor(bareVersion(v)))
    .filter((n): n is number => n !== undefined)
  if (minors.length === 0) return undefined
  const low = Math.min(...minors)
  const high = Math.max(...minors)
  const lowVersion = bareVersion(kubelets[minors.indexOf(low)]!)
  const name = pool.object.metadata.name
  const says = (severity: 'error' | 'warning', message: string, remedy: string) =>
    finding(HEALTH.skew, severity, cluster, objectRef(pool.object), message, remedy, {
      controlPlane: cpVersion,
      oldestKubelet: lowVersion,
      target,
    })
  if (high > cp)
    return says(
      'error',
      `Node pool ${name} of ${cluster} runs kubelet 1.${high} while its control plane runs ${cpVersion}: kubelets must never be newer than the API server.`,
      "Bring the control plane to the node pool's version first (dkp update controlplane), or roll the pool back to the control plane's version.",
    )
  const allowedNow = maxKubeletSkew(cp)
  if (cp - low > allowedNow)
    return says(
      'error',
      `Node pool ${name} of ${cluster} runs kubelet ${lowVersion}, ${cp - low} minors behind its control plane ${cpVersion}; the Kubernetes skew policy allows ${allowedNow}.`,
      `Upgrade the node pool to the control plane's version (dkp update nodepool ... --kubernetes-version v${cpVersion}) before anything else.`,
    )
  if (to !== undefined && to > cp && to - low > maxKubeletSkew(to))
    return says(
      'error',
      `Node pool ${name} of ${cluster} runs kubelet ${lowVersion}: once the control plane runs ${target} it would be ${to - low} minors behind, more than the ${maxKubeletSkew(to)} the Kubernetes skew policy allows.`,
      `Upgrade the node pool to the control plane's version (${cpVersion}) before upgrading the control plane to ${target}.`,
    )
  if (cp - low >= 1)
    return says(
      'warning',
      `Node pool ${name} of ${cluster} runs kubelet ${lowVersion} while its control plane runs ${cpVersion}: a previous upgrade did not finish on this pool (allowed by the skew policy, but the pool skips a minor when it goes to ${target}).`,
      `Finish the previous upgrade (dkp update nodepool ... --kubernetes-version v${cpVersion}) before starting the next one.`,
    )
  return undefined
}
