// MachineDeployment controller: rolls machines on a change of spec.template.spec.version or of
// the infrastructure template (maxSurge 1, maxUnavailable 0), scales to spec.replicas; phase
// ScalingUp / ScalingDown while replicas differ, Running when all are ready and updated.

import {
  type AnyObject,
  type Condition,
  capiCondition,
  DEPLOYMENT_NAME,
  setCondition,
  vPrefixed,
} from '../objects.js'
import { sameContent, spec, status, type TickContext } from './context.js'
import { countMachines, rollout } from './rollout.js'

const MANAGER = 'capi-controller-manager'

export function reconcileMachineDeployments(ctx: TickContext): void {
  const machines = ctx.snap.all('Machine')
  for (const md of ctx.snap.all('MachineDeployment')) {
    const ns = md.metadata.namespace
    const name = md.metadata.name as string
    const own = machines.filter(
      (m) => m.metadata.namespace === ns && m.metadata.labels?.[DEPLOYMENT_NAME] === name,
    )
    const version = vPrefixed(String(spec(md, 'template', 'spec', 'version') ?? ''))
    const replicas = Number(spec(md, 'replicas') ?? 1)
    const template = spec<{ apiVersion: string; kind: string; name: string }>(
      md,
      'template',
      'spec',
      'infrastructureRef',
    ) ?? {
      apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2',
      kind: 'AWSMachineTemplate',
      name,
    }
    const cluster = String(
      spec(md, 'clusterName') ?? md.metadata.labels?.['cluster.x-k8s.io/cluster-name'] ?? '',
    )
    const bootstrapKind = String(
      spec(md, 'template', 'spec', 'bootstrap', 'configRef', 'kind') ?? 'KubeadmConfigTemplate',
    ).replace(/Template$/, '')
    const fault = ctx.fault(md)
    if (!fault?.fail) {
      rollout(ctx, {
        owner: md,
        manager: MANAGER,
        machines: own,
        replicas,
        version,
        template,
        bootstrapKind,
        cluster,
        deployment: name,
      })
    }
    const counts = countMachines({ machines: own, replicas, version, template })
    ctx.write({
      op: 'status',
      obj: md,
      manager: MANAGER,
      compute: (fresh) => {
        const next = mdStatus(fresh, counts, ctx.now, fault?.fail)
        return sameContent(next, fresh.status) ? undefined : next
      },
    })
  }
}

function mdStatus(
  md: AnyObject,
  c: ReturnType<typeof countMachines>,
  now: string,
  failure?: string,
): Record<string, unknown> {
  const want = Number(spec(md, 'replicas') ?? 1)
  const name = md.metadata.name as string
  const phase = failure
    ? 'Failed'
    : c.replicas < want
      ? 'ScalingUp'
      : c.replicas > want
        ? 'ScalingDown'
        : c.ready === want && c.updated === want
          ? 'Running'
          : 'ScalingUp'
  let conditions = (status<Condition[]>(md, 'conditions') ?? []) as Condition[]
  conditions = setCondition(
    conditions,
    capiCondition('Available', c.ready >= want - 0, now, 'WaitingForAvailableMachines'),
  )
  conditions = setCondition(
    conditions,
    capiCondition('MachineSetReady', c.unavailable === 0, now, 'ScalingUp'),
  )
  conditions = setCondition(
    conditions,
    failure
      ? capiCondition('Ready', false, now, 'MachineDeploymentFailed', failure)
      : capiCondition('Ready', c.converged, now, 'WaitingForAvailableMachines'),
  )
  return {
    ...((md.status ?? {}) as Record<string, unknown>),
    selector: `cluster.x-k8s.io/cluster-name=${spec(md, 'clusterName')},${DEPLOYMENT_NAME}=${name}`,
    replicas: c.replicas,
    updatedReplicas: c.updated,
    readyReplicas: c.ready,
    availableReplicas: c.ready,
    unavailableReplicas: c.unavailable,
    phase,
    observedGeneration: md.metadata.generation,
    conditions,
  }
}
