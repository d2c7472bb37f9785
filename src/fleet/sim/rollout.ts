// The rolling update shared by KubeadmControlPlane and MachineDeployment (maxSurge 1,
// maxUnavailable 0): while a machine is outdated, create one up-to-date machine, wait until it
// runs, delete one outdated machine; one change per phase. Status is counted from the machines.

import {
  type AnyObject,
  MACHINE_TEMPLATE_HASH,
  machineObject,
  machineRunningStatus,
  machineTemplateKey,
  suffix,
  vPrefixed,
} from '../objects.js'
import { spec, status, type TickContext } from './context.js'

export interface RolloutTarget {
  owner: AnyObject
  manager: string
  machines: AnyObject[]
  replicas: number
  version: string
  /** Infrastructure template the machines must come from. */
  template: { apiVersion: string; kind: string; name: string }
  bootstrapKind: string
  cluster: string
  controlPlane?: string
  deployment?: string
}

export interface RolloutCounts {
  replicas: number
  updated: number
  ready: number
  unavailable: number
  outdated: number
  /** Lowest kubelet version among the machines (KCP `status.version`). */
  minVersion: string | undefined
  converged: boolean
}

export function isUpToDate(m: AnyObject, version: string, templateName: string): boolean {
  return (
    vPrefixed(String(spec(m, 'version') ?? '')) === vPrefixed(version) &&
    m.metadata.labels?.[MACHINE_TEMPLATE_HASH] === machineTemplateKey(version, templateName)
  )
}

const running = (m: AnyObject): boolean => status(m, 'phase') === 'Running' && !m.metadata.deletionTimestamp

function compareK8s(a: string, b: string): number {
  const pa = a.replace(/^v/, '').split(/[.+]/).map(Number)
  const pb = b.replace(/^v/, '').split(/[.+]/).map(Number)
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0)
  return 0
}

export function countMachines(
  t: Pick<RolloutTarget, 'machines' | 'replicas' | 'version' | 'template'>,
): RolloutCounts {
  const live = t.machines.filter((m) => !m.metadata.deletionTimestamp)
  const updated = live.filter((m) => isUpToDate(m, t.version, t.template.name)).length
  const ready = live.filter(running).length
  const versions = live.map((m) => String(spec(m, 'version') ?? '')).filter(Boolean)
  const minVersion = versions.sort(compareK8s)[0]
  return {
    replicas: live.length,
    updated,
    ready,
    unavailable: Math.max(0, live.length - ready),
    outdated: live.length - updated,
    minVersion,
    converged: live.length === t.replicas && updated === t.replicas && ready === t.replicas,
  }
}

let serial = 0

/** One rollout step for the owner; queues at most one create or delete. */
export function rollout(ctx: TickContext, t: RolloutTarget): void {
  const live = t.machines.filter((m) => !m.metadata.deletionTimestamp)
  const counts = countMachines(t)
  if (counts.converged) return
  if (ctx.fault(t.owner)?.stall) return
  ctx.pending(t.owner)
  // wait for every machine to settle before the next change (maxUnavailable 0)
  if (live.some((m) => !running(m) && status(m, 'phase') !== 'Failed')) return
  if (!ctx.due(t.owner, `rollout/${counts.replicas}/${counts.updated}`)) return
  const ns = t.owner.metadata.namespace as string
  const outdated = live.filter((m) => !isUpToDate(m, t.version, t.template.name))
  const oldest = (list: AnyObject[]) =>
    [...list].sort((a, b) =>
      String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)),
    )[0]
  const failed = live.filter((m) => status(m, 'phase') === 'Failed')
  let count = live.length
  let outdatedLeft = outdated.length
  if (count > t.replicas || failed.length > 0) {
    const victim = oldest(failed.length > 0 ? failed : outdated.length > 0 ? outdated : live)
    if (victim) {
      ctx.write({ op: 'delete', obj: victim, manager: t.manager })
      count--
      if (!isUpToDate(victim, t.version, t.template.name)) outdatedLeft--
    }
    // test mode: the replacement is created in the same tick (still at most replicas + 1)
    if (!ctx.fast) return
  }
  if (count < t.replicas || (outdatedLeft > 0 && count <= t.replicas)) {
    const base =
      t.controlPlane ?? `${t.deployment}-${machineTemplateKey(t.version, t.template.name).slice(0, 5)}`
    const name = `${base}-${suffix(`${t.owner.metadata.uid}/${Date.now()}/${serial++}`)}`
    const m = machineObject({
      name,
      namespace: ns,
      cluster: t.cluster,
      version: t.version,
      infrastructureRef: t.template,
      bootstrapKind: t.bootstrapKind,
      ...(t.controlPlane ? { controlPlane: t.controlPlane } : {}),
      ...(t.deployment ? { deployment: t.deployment } : {}),
    })
    // test mode: the new machine is up at once (its node joins in the same tick)
    ctx.write({
      op: 'create',
      obj: m,
      manager: t.manager,
      ...(ctx.fast ? { status: machineRunningStatus(m, ctx.now) } : {}),
    })
  }
}
