// Cluster controller (mirrors its control plane: ControlPlaneReady, Ready, phase Provisioned) and
// the Kommander cluster controller (KommanderCluster.status.kubernetesVersion follows the CAPI
// control plane's status.version; attached clusters keep what they report).

import { type Condition, capiCondition, controlPlaneVersion, setCondition } from '../objects.js'
import { sameContent, spec, status, type TickContext } from './context.js'

export function reconcileClusters(ctx: TickContext): void {
  for (const cluster of ctx.snap.all('Cluster')) {
    const ref = spec<{ kind: string; name: string; namespace?: string }>(cluster, 'controlPlaneRef')
    const cp = ref ? ctx.snap.get(ref.kind, ref.name, ref.namespace ?? cluster.metadata.namespace) : undefined
    const cpReady = status<Condition[]>(cp, 'conditions')?.find((c) => c.type === 'Ready')?.status === 'True'
    ctx.write({
      op: 'status',
      obj: cluster,
      manager: 'capi-controller-manager',
      compute: (fresh) => {
        let conditions = status<Condition[]>(fresh, 'conditions') ?? []
        conditions = setCondition(
          conditions,
          capiCondition('ControlPlaneReady', cpReady, ctx.now, 'RollingUpdateInProgress'),
        )
        conditions = setCondition(
          conditions,
          capiCondition('Ready', cpReady, ctx.now, 'RollingUpdateInProgress'),
        )
        const next = {
          ...(fresh.status ?? {}),
          phase: 'Provisioned',
          controlPlaneReady: cp ? status<boolean>(cp, 'ready') !== false : true,
          infrastructureReady: true,
          observedGeneration: fresh.metadata.generation,
          conditions,
        }
        return sameContent(next, fresh.status) ? undefined : next
      },
    })
  }
}

export function reconcileKommanderClusters(ctx: TickContext): void {
  for (const kc of ctx.snap.all('KommanderCluster')) {
    const ref = spec<{ name: string; namespace: string }>(kc, 'clusterRef', 'capiCluster')
    if (!ref) continue
    const cluster = ctx.snap.get('Cluster', ref.name, ref.namespace)
    const cpRef = spec<{ kind: string; name: string; namespace?: string }>(cluster, 'controlPlaneRef')
    const cp = cpRef ? ctx.snap.get(cpRef.kind, cpRef.name, cpRef.namespace ?? ref.namespace) : undefined
    const version = controlPlaneVersion(cp)
    if (!version || status<string>(kc, 'kubernetesVersion') === version) continue
    ctx.write({
      op: 'status',
      obj: kc,
      manager: 'kommander-cluster-controller',
      compute: (fresh) => ({ ...(fresh.status ?? {}), phase: 'Joined', kubernetesVersion: version }),
    })
  }
}
