// Drain blockers (issue 20 §1): what stops or hurts the node drains a `kubernetes` step makes
// (CAPI drains every Machine it replaces through the eviction API, which honours
// PodDisruptionBudgets, and waits up to the Machine's `nodeDrainTimeout`, unset meaning
// forever). Pure rules over one cluster's PDBs and Pods; `drainOf` says which Machine a node
// belongs to and its drain timeout (read on the management cluster).
//
//   drain/pdb-blocks     error    a PDB that allows no eviction now (disruptionsAllowed 0 with
//                                 its pods healthy), or by spec (maxUnavailable 0, minAvailable
//                                 equal to the pods it covers); single-replica workloads included
//   drain/pdb-no-match   warning  a PDB whose selector matches no pod (stale, or a typo)
//   drain/bare-pod       warning  a pod without a controller: the drain deletes it for good
//   drain/emptydir-data  warning  a pod with emptyDir volumes: their data is deleted by the drain

import type { Finding } from './findings.js'
import {
  type LabelSelector,
  nsName,
  type Obj,
  type Pdb,
  type Pod,
  PREFLIGHT,
  preflightFinding,
  refOf,
} from './preflight-objects.js'

/** The Machine of a node and how long CAPI waits for its drain (`nodeDrainTimeout`, undefined: forever). */
export interface NodeDrain {
  machine: string
  timeout?: string
}

export type DrainOf = (nodeName: string) => NodeDrain | undefined

/** Label selector semantics (metav1.LabelSelector): null matches nothing, `{}` everything. */
export function selectorMatches(
  selector: LabelSelector | null | undefined,
  labels: Record<string, string>,
): boolean {
  if (!selector) return false
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key)
    const values = e.values ?? []
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(labels[e.key]!)) return false
        break
      case 'NotIn':
        if (has && values.includes(labels[e.key]!)) return false
        break
      case 'Exists':
        if (!has) return false
        break
      case 'DoesNotExist':
        if (has) return false
        break
      default:
        return false
    }
  }
  return true
}

const live = (p: Pod) =>
  !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed'

const controllerOf = (o: Obj) => o.metadata.ownerReferences?.find((r) => r.controller === true)

/** Static pods (their mirror on the API server) and DaemonSet pods are left alone by a drain. */
const drainSkips = (p: Pod) =>
  p.metadata.annotations?.['kubernetes.io/config.mirror'] !== undefined ||
  controllerOf(p)?.kind === 'DaemonSet'

/** How long a drain of these nodes would wait: the longest timeout, `forever` when any is unset or unknown. */
export function drainWait(nodes: readonly string[], drainOf: DrainOf): { text: string; forever: boolean } {
  const drains = [...new Set(nodes)].map((n) => ({ node: n, drain: drainOf(n) }))
  if (drains.length === 0)
    return {
      text: 'the drain of any node running them waits for as long as its Machine allows',
      forever: false,
    }
  const unset = drains.filter((d) => d.drain && !d.drain.timeout)
  if (unset.length > 0)
    return {
      text: `the drain of Machine ${unset[0]!.drain!.machine} (node ${unset[0]!.node}) would wait forever (nodeDrainTimeout unset)`,
      forever: true,
    }
  const known = drains.filter((d) => d.drain?.timeout)
  if (known.length > 0) {
    const timeouts = [...new Set(known.map((d) => d.drain!.timeout!))]
    return {
      text: `the drain of Machine ${known[0]!.drain!.machine} (node ${known[0]!.node}) would wait ${timeouts.join(' / ')} (nodeDrainTimeout) and then go on without evicting them`,
      forever: false,
    }
  }
  return {
    text: `no Machine owns node ${drains[0]!.node}: its drain timeout is unknown (CAPI waits forever unless nodeDrainTimeout is set)`,
    forever: true,
  }
}

const isZero = (v: number | string | undefined) => v === 0 || v === '0' || v === '0%'
const isAll = (v: number | string | undefined, pods: number) =>
  v === '100%' ||
  (typeof v === 'number' && pods > 0 && v >= pods) ||
  (typeof v === 'string' && /^\d+$/.test(v) && pods > 0 && Number(v) >= pods)

/** Why a PDB lets no pod be evicted, or undefined when it allows some. */
function blockReason(pdb: Pdb, matched: number): { reason: string; detail: string } | undefined {
  const spec = pdb.spec ?? {}
  // A budget no disruption controller has looked at yet has a zeroed status (the API server resets it on create).
  const pods = pdb.status?.expectedPods || matched
  if (isZero(spec.maxUnavailable))
    return { reason: 'max-unavailable-zero', detail: `maxUnavailable is ${spec.maxUnavailable}` }
  if (isAll(spec.minAvailable, pods))
    return {
      reason: pods === 1 ? 'single-replica' : 'min-available-all',
      detail: `minAvailable ${spec.minAvailable} covers all ${pods} pod${pods === 1 ? '' : 's'}${pods === 1 ? ' (a single-replica workload)' : ''}`,
    }
  const s = pdb.status
  if (
    s &&
    s.disruptionsAllowed === 0 &&
    (s.currentHealthy ?? 0) >= (s.desiredHealthy ?? 0) &&
    (s.currentHealthy ?? 0) > 0
  )
    return {
      reason: pods === 1 ? 'single-replica' : 'no-disruption-allowed',
      detail: `status.disruptionsAllowed is 0 with ${s.currentHealthy} of ${pods} pod${pods === 1 ? '' : 's'} healthy${pods === 1 ? ' (a single-replica workload)' : ''}`,
    }
  return undefined
}

/** Drain blockers of one cluster from its PDBs and Pods (one list of each). */
export function drainFindings(
  cluster: string,
  pdbs: readonly Pdb[],
  pods: readonly Pod[],
  drainOf: DrainOf = () => undefined,
): Finding[] {
  const out: Finding[] = []
  const running = pods.filter(live)
  const byNamespace = new Map<string, Pod[]>()
  for (const p of running) {
    const ns = p.metadata.namespace ?? ''
    const list = byNamespace.get(ns)
    if (list) list.push(p)
    else byNamespace.set(ns, [p])
  }
  for (const pdb of pdbs) {
    const candidates = byNamespace.get(pdb.metadata.namespace ?? '') ?? []
    const matched = candidates.filter((p) => selectorMatches(pdb.spec?.selector, p.metadata.labels ?? {}))
    if (matched.length === 0) {
      out.push(
        preflightFinding(
          PREFLIGHT.pdbNoMatch,
          'warning',
          cluster,
          refOf(pdb),
          `PodDisruptionBudget ${nsName(pdb)} on ${cluster} selects no running pod: it protects nothing (a stale budget or a selector typo), and it starts blocking drains as soon as pods match it.`,
          `Delete the PodDisruptionBudget if its workload is gone, or fix its spec.selector to the workload's pod labels (kubectl -n ${pdb.metadata.namespace} get pods --show-labels).`,
        ),
      )
      continue
    }
    const block = blockReason(pdb, matched.length)
    if (!block) continue
    const wait = drainWait(
      matched.map((p) => p.spec?.nodeName).filter((n): n is string => !!n),
      drainOf,
    )
    out.push(
      preflightFinding(
        PREFLIGHT.pdbBlocks,
        'error',
        cluster,
        refOf(pdb),
        `PodDisruptionBudget ${nsName(pdb)} on ${cluster} allows no eviction (${block.detail}): the node drains of the Kubernetes upgrade stall on its pods (${matched
          .slice(0, 3)
          .map((p) => p.metadata.name)
          .join(', ')}${matched.length > 3 ? `, … ${matched.length} in all` : ''}); ${wait.text}.`,
        block.reason === 'single-replica'
          ? `Run the workload with at least 2 replicas (spread over nodes) so one can be evicted, or set the budget's maxUnavailable to 1 for the upgrade; set nodeDrainTimeout on the node pools so a stuck drain ends.`
          : `Relax the budget so at least one pod may be evicted (maxUnavailable: 1, or minAvailable below the replica count), or scale the workload up; set nodeDrainTimeout on the node pools so a stuck drain ends.`,
        { reason: block.reason, pods: matched.length, drainWaitsForever: wait.forever },
      ),
    )
  }
  out.push(...podFindings(cluster, running))
  return out
}

/** Pods the drain deletes for good (no controller) or whose emptyDir data it deletes. */
function podFindings(cluster: string, running: readonly Pod[]): Finding[] {
  const out: Finding[] = []
  for (const pod of running) {
    if (drainSkips(pod)) continue
    const node = pod.spec?.nodeName
    const where = node ? ` on node ${node}` : ''
    if (!controllerOf(pod)) {
      out.push(
        preflightFinding(
          PREFLIGHT.barePod,
          'warning',
          cluster,
          refOf(pod),
          `Pod ${nsName(pod)}${where} of ${cluster} has no controller: the node drain of the upgrade deletes it and nothing recreates it.`,
          'Run it under a Deployment, StatefulSet or Job, or recreate it by hand after its node is replaced.',
          node ? { node } : undefined,
        ),
      )
    }
    const emptyDirs = (pod.spec?.volumes ?? []).filter((v) => v.emptyDir).map((v) => v.name ?? '?')
    if (emptyDirs.length > 0) {
      out.push(
        preflightFinding(
          PREFLIGHT.emptyDir,
          'warning',
          cluster,
          refOf(pod),
          `Pod ${nsName(pod)}${where} of ${cluster} keeps data in emptyDir volume${emptyDirs.length > 1 ? 's' : ''} ${emptyDirs.join(', ')}: the node drain of the upgrade deletes it with the pod (--delete-emptydir-data).`,
          'Move data that must survive to a PersistentVolumeClaim, or accept that it is rebuilt when the pod is recreated on another node.',
          { volumes: emptyDirs.join(',') },
        ),
      )
    }
  }
  return out
}
