// KubeadmControlPlane controller (machines roll one by one on a version or template change;
// updatedReplicas ramps, MachinesSpecUpToDate False→True, then status.version and Ready) and
// the EKS AWSManagedControlPlane (no machines: Updating for a few phases, then the version).

import {
  type AnyObject,
  CONTROL_PLANE_NAME,
  type Condition,
  capiCondition,
  controlPlaneVersion,
  EKS_UPDATING,
  eksVersionCondition,
  getCondition,
  setCondition,
  vPrefixed,
} from '../objects.js'
import { sameContent, spec, status, type TickContext } from './context.js'
import { countMachines, rollout } from './rollout.js'

const MANAGER = 'capi-kubeadm-control-plane-controller-manager'

export function reconcileKubeadmControlPlanes(ctx: TickContext): void {
  const machines = ctx.snap.all('Machine')
  for (const kcp of ctx.snap.all('KubeadmControlPlane')) {
    const ns = kcp.metadata.namespace
    const name = kcp.metadata.name as string
    const own = machines.filter(
      (m) => m.metadata.namespace === ns && m.metadata.labels?.[CONTROL_PLANE_NAME] === name,
    )
    const version = vPrefixed(String(spec(kcp, 'version') ?? ''))
    const replicas = Number(spec(kcp, 'replicas') ?? 1)
    const template = spec<{ apiVersion: string; kind: string; name: string }>(
      kcp,
      'machineTemplate',
      'infrastructureRef',
    ) ?? {
      apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2',
      kind: 'AWSMachineTemplate',
      name,
    }
    const cluster =
      kcp.metadata.labels?.['cluster.x-k8s.io/cluster-name'] ?? name.replace(/-control-plane$/, '')
    const fault = ctx.fault(kcp)
    if (!fault?.fail) {
      rollout(ctx, {
        owner: kcp,
        manager: MANAGER,
        machines: own,
        replicas,
        version,
        template,
        bootstrapKind: 'KubeadmConfig',
        cluster,
        controlPlane: name,
      })
    }
    const counts = countMachines({ machines: own, replicas, version, template })
    ctx.write({
      op: 'status',
      obj: kcp,
      manager: MANAGER,
      compute: (fresh) => {
        const next = kcpStatus(fresh, counts, ctx.now, fault?.fail)
        return sameContent(next, fresh.status) ? undefined : next
      },
    })
  }
}

function kcpStatus(
  kcp: AnyObject,
  c: ReturnType<typeof countMachines>,
  now: string,
  failure: string | undefined,
): Record<string, unknown> {
  const name = kcp.metadata.name as string
  const rolling = c.outdated > 0
  let conditions = (status<Condition[]>(kcp, 'conditions') ?? []) as Condition[]
  const set = (type: string, ok: boolean, reason?: string, message?: string) => {
    conditions = setCondition(conditions, capiCondition(type, ok, now, reason, message))
  }
  set(
    'MachinesSpecUpToDate',
    !rolling,
    'RollingUpdateInProgress',
    rolling
      ? `Rolling ${c.replicas} replicas with outdated spec (${c.outdated} replicas up to date)`
      : undefined,
  )
  set(
    'MachinesReady',
    c.unavailable === 0,
    'Provisioning',
    `${c.unavailable} of ${c.replicas} machines are not ready`,
  )
  set('Available', c.ready > 0, 'WaitingForKubeadmInit')
  set(
    'Resized',
    c.replicas === Number(spec(kcp, 'replicas') ?? 1),
    'ScalingUp',
    'Scaling to the desired replicas',
  )
  if (failure) set('Ready', false, 'RemediationFailed', failure)
  else
    set(
      'Ready',
      c.converged,
      rolling ? 'RollingUpdateInProgress' : 'ScalingUp',
      rolling ? 'Rolling out the new version' : 'Waiting for machines',
    )
  // failureReason/failureMessage belong to a failure in force: gone once the fault is
  const { failureReason: _r, failureMessage: _m, ...base } = (kcp.status ?? {}) as Record<string, unknown>
  return {
    ...base,
    selector: `cluster.x-k8s.io/cluster-name=${kcp.metadata.labels?.['cluster.x-k8s.io/cluster-name'] ?? name},cluster.x-k8s.io/control-plane`,
    replicas: c.replicas,
    updatedReplicas: c.updated,
    readyReplicas: c.ready,
    unavailableReplicas: c.unavailable,
    // the lowest version among the machines: the target once the last old machine is gone
    ...(c.minVersion ? { version: c.minVersion } : {}),
    initialized: true,
    ready: c.ready > 0,
    observedGeneration: kcp.metadata.generation,
    conditions,
    ...(failure ? { failureReason: 'UpgradeFailed', failureMessage: failure } : {}),
  }
}

export function reconcileManagedControlPlanes(ctx: TickContext): void {
  for (const cp of ctx.snap.all('AWSManagedControlPlane')) {
    const want = String(spec(cp, 'version') ?? '')
    if (controlPlaneVersion(cp) === want) continue
    const fault = ctx.fault(cp)
    if (fault?.stall) continue
    const updating = getCondition(cp, EKS_UPDATING)
    if (fault?.fail && getCondition(cp, 'Ready')?.reason === 'EKSControlPlaneUpdateFailed') continue
    ctx.pending(cp)
    if (updating?.status !== 'True') {
      ctx.write({
        op: 'status',
        obj: cp,
        manager: 'capa-controller-manager',
        compute: (f) => ({
          ...(f.status ?? {}),
          ready: true,
          conditions: setCondition(
            setCondition(status<Condition[]>(f, 'conditions'), {
              ...capiCondition(EKS_UPDATING, true, ctx.now),
              reason: 'Updating',
              message: `updating Kubernetes version to ${want}`,
            }),
            capiCondition(
              'Ready',
              false,
              ctx.now,
              'EKSControlPlaneUpdating',
              `updating EKS control plane to ${want}`,
            ),
          ),
        }),
      })
      continue
    }
    if (!ctx.due(cp, `eks/${want}`, 1)) continue
    ctx.write({
      op: 'status',
      obj: cp,
      manager: 'capa-controller-manager',
      compute: (f) =>
        fault?.fail
          ? {
              ...(f.status ?? {}),
              failureMessage: fault.fail,
              conditions: setCondition(
                status<Condition[]>(f, 'conditions'),
                capiCondition('Ready', false, ctx.now, 'EKSControlPlaneUpdateFailed', fault.fail),
              ),
            }
          : {
              ...(f.status ?? {}),
              ready: true,
              initialized: true,
              // Pruned by the CAPA CRD we install (no status.version); kept where a CRD has it,
              // so status.version never lags the condition that reports the same update.
              version: String(spec(f, 'version') ?? want),
              conditions: setCondition(
                setCondition(
                  status<Condition[]>(f, 'conditions'),
                  eksVersionCondition(String(spec(f, 'version') ?? want), ctx.now),
                ),
                capiCondition('Ready', true, ctx.now),
              ),
            },
    })
  }
}
