// CAPI machine controller: a Machine goes Pending → Provisioning → Provisioned → Running (node
// joined, kubelet at spec.version), one phase per `ticksPerPhase` ticks (test mode: rollouts
// create machines already Running; others go Provisioning → Running). A `fail` fault ends in
// phase Failed. A `drain` fault models a node drain that never completes: the Machine carries
// CAPI's finalizer, and once deleted it stays with DrainingSucceeded=False (reason
// DrainingFailed, the eviction error as message; its lastTransitionTime marks the drain's start,
// as CAPI v1beta1 records it); without the fault the finalizer is removed and it goes.

import { type AnyObject, capiCondition, kubeTime, machineRunningStatus } from '../objects.js'
import { status, type TickContext } from './context.js'

const MANAGER = 'capi-controller-manager'
const ORDER = ['Pending', 'Provisioning', 'Provisioned', 'Running'] as const
const FAST = ['Provisioning', 'Running'] as const

function phaseStatus(m: AnyObject, phase: string, now: string): Record<string, unknown> {
  if (phase === 'Running') return machineRunningStatus(m, now)
  return {
    phase,
    bootstrapReady: phase !== 'Pending',
    infrastructureReady: phase === 'Provisioned',
    observedGeneration: m.metadata.generation ?? 1,
    lastUpdated: now,
    conditions: [
      capiCondition(
        'Ready',
        false,
        now,
        phase === 'Provisioned' ? 'NodeProvisioning' : 'WaitingForInfrastructure',
      ),
      capiCondition('BootstrapReady', phase !== 'Pending', now, 'WaitingForDataSecret'),
      capiCondition('InfrastructureReady', phase === 'Provisioned', now, 'WaitingForInfrastructure'),
    ],
  }
}

/** CAPI's Machine finalizer (kept by the machine controller until the node is drained and gone). */
export const MACHINE_FINALIZER = 'machine.cluster.x-k8s.io'
const EVICTION_BLOCKED =
  'error when evicting pods/"payments-api-0" -n "payments" (will retry after 5s): Cannot evict pod as it would violate the pod\'s disruption budget.'

function reconcileDrain(ctx: TickContext, m: AnyObject): void {
  const fault = ctx.fault(m)
  const finalizers = m.metadata.finalizers ?? []
  const has = finalizers.includes(MACHINE_FINALIZER)
  if (!m.metadata.deletionTimestamp) {
    if (fault?.drain && !has)
      ctx.write({
        op: 'patch',
        obj: m,
        manager: MANAGER,
        patch: { metadata: { finalizers: [...finalizers, MACHINE_FINALIZER] } },
      })
    return
  }
  if (!has) return
  if (!fault?.drain) {
    ctx.write({
      op: 'patch',
      obj: m,
      manager: MANAGER,
      patch: { metadata: { finalizers: finalizers.filter((f) => f !== MACHINE_FINALIZER) } },
    })
    return
  }
  // the drain started once and keeps failing: the condition's first transition stays
  if (!(status<{ type: string }[]>(m, 'conditions') ?? []).some((c) => c.type === 'DrainingSucceeded'))
    ctx.write({
      op: 'status',
      obj: m,
      manager: MANAGER,
      compute: (f) => ({
        ...(f.status ?? {}),
        conditions: [
          ...(status<{ type: string }[]>(f, 'conditions') ?? []).filter(
            (c) => c.type !== 'DrainingSucceeded',
          ),
          capiCondition('DrainingSucceeded', false, ctx.now, 'DrainingFailed', EVICTION_BLOCKED),
        ],
      }),
    })
}

export function reconcileMachines(ctx: TickContext): void {
  for (const m of ctx.snap.all('Machine')) {
    reconcileDrain(ctx, m)
    if (m.metadata.deletionTimestamp) continue
    const phase = status<string>(m, 'phase') ?? ''
    if (phase === 'Running' || phase === 'Failed') {
      // a Running machine whose status lags its spec (seeded or edited by hand): bring it in line
      if (phase === 'Running' && status<string>(m, 'nodeInfo', 'kubeletVersion') !== m.spec?.version) {
        ctx.write({
          op: 'status',
          obj: m,
          manager: MANAGER,
          compute: (f) => machineRunningStatus(f, ctx.now),
        })
      }
      continue
    }
    const fault = ctx.fault(m)
    if (fault?.stall) continue
    ctx.pending(m)
    const order: readonly string[] = ctx.fast ? FAST : ORDER
    const i = order.indexOf(phase)
    if (i >= 0 && !ctx.due(m, phase)) continue
    if (fault?.fail && phase === 'Provisioning') {
      ctx.write({
        op: 'status',
        obj: m,
        manager: MANAGER,
        compute: (f) => ({
          ...(f.status ?? {}),
          phase: 'Failed',
          failureReason: 'CreateError',
          failureMessage: fault.fail,
          lastUpdated: kubeTime(),
        }),
      })
      continue
    }
    const next = order[Math.min(i + 1, order.length - 1)] as string
    ctx.write({ op: 'status', obj: m, manager: MANAGER, compute: (f) => phaseStatus(f, next, ctx.now) })
  }
}
