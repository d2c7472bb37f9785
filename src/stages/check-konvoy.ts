// The health findings of one Konvoy cluster (check-fleet.ts): its control plane, its node pools
// and their Machines, the cluster's Machines, the Kubernetes path and the version skew.

import type { Finding } from '../core/findings.js'
import { HEALTH, kubernetesPathFindings, objectRef } from '../core/health.js'
import {
  controlPlaneFindings,
  machineFindings,
  missingPoolFinding,
  nodePoolFindings,
  skewFindings,
} from '../core/health-capi.js'
import {
  type CapiCluster,
  CLUSTER_NAME_LABEL,
  type KubeadmControlPlane,
  type Machine,
} from '../core/kinds.js'
import {
  DEPLOYMENT_NAME_LABEL,
  type KonvoyCluster,
  type KubernetesView,
  type ManagedControlPlane,
  POOL_NAME_LABEL,
} from '../core/konvoy-state.js'
import { groupBy } from './konvoy-read.js'

/** The findings of one Konvoy cluster's control plane, node pools, Machines and version skew. */
export function konvoyFindings(
  name: string,
  kc: KonvoyCluster,
  cluster: CapiCluster,
  view: KubernetesView,
  machines: readonly Machine[],
  target: string,
): Finding[] {
  const out: Finding[] = []
  const cp = view.controlPlane?.object as KubeadmControlPlane | ManagedControlPlane | undefined
  if (cp) out.push(...controlPlaneFindings(name, cp))
  else
    out.push({
      ruleId: HEALTH.controlPlane,
      severity: 'error',
      cluster: name,
      object: objectRef(cluster),
      message: `${view.problem ?? `the control plane of ${name} does not exist`}.`,
      remedy: "Repair the Cluster's spec.controlPlaneRef or the control plane object before upgrading.",
    })
  const cpVersion = cp ? (cp.status?.version ?? cp.spec?.version) : undefined
  out.push(...kubernetesPathFindings(name, cp ? objectRef(cp) : undefined, cpVersion, target))
  const byLabel = (label: string) =>
    groupBy(machines, `check:${label}`, (m) =>
      m.metadata.labels?.[label] ? `${m.metadata.namespace}/${m.metadata.labels[label]}` : undefined,
    )
  const pools = view.pools
    .filter((p) => p.object)
    .map((p) => {
      const o = p.object!
      const label = o.kind === 'MachinePool' ? POOL_NAME_LABEL : DEPLOYMENT_NAME_LABEL
      return { object: o, machines: byLabel(label).get(`${o.metadata.namespace}/${o.metadata.name}`) ?? [] }
    })
  for (const p of pools) out.push(...nodePoolFindings(name, p.object, p.machines))
  for (const pool of view.missingPools) out.push(missingPoolFinding(name, kc.namespace, pool))
  out.push(...machineFindings(name, byLabel(CLUSTER_NAME_LABEL).get(`${kc.namespace}/${name}`) ?? []))
  out.push(...skewFindings(name, cp ? { version: cpVersion, object: cp } : undefined, pools, target))
  return out
}
