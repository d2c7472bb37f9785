// Deployment controller for the CAPI/cert-manager controller Deployments (no pods run here): a
// spec change (new image) goes Progressing, then Available with every replica updated.

import { deploymentAvailable } from '../seed.js'
import { spec, status, type TickContext } from './context.js'

export function reconcileDeployments(ctx: TickContext): void {
  for (const d of ctx.snap.all('Deployment')) {
    const gen = d.metadata.generation ?? 1
    if (
      status<number>(d, 'observedGeneration') === gen &&
      status<number>(d, 'updatedReplicas') === Number(spec(d, 'replicas') ?? 1)
    )
      continue
    const fault = ctx.fault(d)
    if (fault?.stall) continue
    ctx.pending(d)
    const seen = status<number>(d, 'observedGeneration') === gen
    if (!seen) {
      ctx.write({
        op: 'status',
        obj: d,
        manager: 'kube-controller-manager',
        compute: (f) => ({
          ...(f.status ?? {}),
          observedGeneration: f.metadata.generation,
          updatedReplicas: 0,
          unavailableReplicas: 1,
          conditions: [
            {
              type: 'Available',
              status: 'True',
              reason: 'MinimumReplicasAvailable',
              message: 'Deployment has minimum availability.',
              lastUpdateTime: ctx.now,
              lastTransitionTime: ctx.now,
            },
            {
              type: 'Progressing',
              status: 'True',
              reason: 'ReplicaSetUpdated',
              message: `ReplicaSet "${f.metadata.name}" is progressing.`,
              lastUpdateTime: ctx.now,
              lastTransitionTime: ctx.now,
            },
          ],
        }),
      })
      continue
    }
    if (fault?.fail || !ctx.due(d, `rollout/${gen}`)) continue
    ctx.write({
      op: 'status',
      obj: d,
      manager: 'kube-controller-manager',
      compute: (f) =>
        deploymentAvailable(f.metadata.generation ?? 1, Number(spec(f, 'replicas') ?? 1), ctx.now),
    })
  }
}
