// The reads of the pre-flight checks (issue 20); the rules are pure, in src/core/preflight-*.ts.
//  - per API server (clusters sharing one are read once, reported under the first): one list
//    each of PodDisruptionBudgets, Pods and Nodes, and `GET /metrics` → drain blockers, kubelet
//    skew, deprecated APIs still requested (with the clients that requested them, from the audit
//    log the inventory names: `clusters[].auditLog`, its tail read bounded);
//  - on the management cluster: the CAPI certificate Secrets (one list, by the cluster-name
//    label), the KubeadmControlPlanes and Machines already listed → certificates and etcd;
//  - the `kubernetes` stage's gate: the same drain and skew rules for one cluster, refusing
//    before dkp runs on a skew error or a drain blocker (errors), warning on the rest.
// A kind that cannot be listed is a health/scan-incomplete warning, never a crash.

import { open } from 'node:fs/promises'
import { messageOf, WorkError } from '../core/errors.js'
import type { Finding } from '../core/findings.js'
import { scanIncompleteFinding } from '../core/health.js'
import { CLUSTER_NAME_LABEL, K } from '../core/kinds.js'
import {
  AUDIT_LOG_MAX_BYTES,
  type AuditAttribution,
  auditAttribution,
  auditTail,
} from '../core/preflight-audit.js'
import { type CertWindow, certificateFindings, etcdFindings } from '../core/preflight-certs.js'
import { type DrainOf, drainFindings } from '../core/preflight-drain.js'
import { deprecatedRequestFindings, parseDeprecatedRequests } from '../core/preflight-metrics.js'
import type { ControlPlaneObj, MachineObj, Node, Pdb, Pod, SecretObj } from '../core/preflight-objects.js'
import { kubeletSkewFindings } from '../core/preflight-skew.js'
import type { StageContext, StageEnv } from './types.js'
import { mapLimit, type WorkloadCluster, workloadCluster } from './workload-kube.js'

const CONTROL_PLANE_LABEL = 'cluster.x-k8s.io/control-plane'

export interface ServerRead {
  pdbs: Pdb[]
  pods: Pod[]
  nodes: Node[]
  /** `/metrics` text; undefined when it could not be read. */
  metrics?: string
  /** The clients of deprecated APIs in the audit log, when one is named and could be read. */
  audit?: AuditAttribution
  /** What could not be read, and why. */
  missing: { what: string; reason: string }[]
}

async function attempt<T>(
  missing: ServerRead['missing'],
  what: string,
  read: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await read()
  } catch (err) {
    missing.push({ what, reason: messageOf(err) })
    return undefined
  }
}

/**
 * The tail of an audit log (JSON lines): its last AUDIT_LOG_MAX_BYTES, whole lines only, at
 * most AUDIT_LOG_MAX_LINES of them; the newest requests are the ones that matter.
 */
export async function readAuditLog(path: string): Promise<AuditAttribution> {
  const fh = await open(path, 'r')
  try {
    const st = await fh.stat()
    if (!st.isFile()) throw new Error('not a regular file')
    const length = Math.min(st.size, AUDIT_LOG_MAX_BYTES)
    const buf = Buffer.alloc(length)
    const { bytesRead } = await fh.read(buf, 0, length, st.size - length)
    return auditAttribution(auditTail(buf.subarray(0, bytesRead).toString('utf8'), st.size > length))
  } finally {
    await fh.close()
  }
}

/** One list of PDBs, Pods and Nodes, and /metrics (metrics only when `metrics`), and the audit log when named. */
export async function readServer(
  wc: WorkloadCluster,
  options: { metrics?: boolean; auditLog?: string } = {},
): Promise<ServerRead> {
  const missing: ServerRead['missing'] = []
  const { auditLog } = options
  const [pdbs, pods, nodes, metrics, audit] = await Promise.all([
    attempt(missing, 'PodDisruptionBudgets', () => wc.kube.list('policy/v1', 'PodDisruptionBudget')),
    attempt(missing, 'Pods', () => wc.kube.list('v1', 'Pod')),
    attempt(missing, 'Nodes', () => wc.kube.list('v1', 'Node')),
    options.metrics === false
      ? undefined
      : attempt(missing, 'the API server metrics (/metrics)', () => wc.kube.raw<string>('GET', '/metrics')),
    auditLog === undefined || options.metrics === false
      ? undefined
      : attempt(missing, `the audit log ${auditLog}`, () => readAuditLog(auditLog)),
  ])
  return {
    pdbs: (pdbs ?? []) as unknown as Pdb[],
    pods: (pods ?? []) as unknown as Pod[],
    nodes: (nodes ?? []) as unknown as Node[],
    ...(typeof metrics === 'string' ? { metrics } : {}),
    ...(audit ? { audit } : {}),
    missing,
  }
}

/** Node name → its Machine and drain timeout, from the management cluster's Machines. */
export function drainIndex(machines: readonly MachineObj[]): DrainOf {
  const byNode = new Map<string, { machine: string; timeout?: string }>()
  for (const m of machines) {
    const node = m.status?.nodeRef?.name
    if (!node) continue
    byNode.set(node, {
      machine: `${m.metadata.namespace}/${m.metadata.name}`,
      ...(m.spec?.nodeDrainTimeout ? { timeout: m.spec.nodeDrainTimeout } : {}),
    })
  }
  return (n) => byNode.get(n)
}

export interface ServerOptions {
  cluster: string
  target: string
  /** The removed-API target (check's --target-kubernetes); default `target`. */
  apiTarget?: string
  /** The cluster's control-plane version as read. */
  current?: string
  drainOf: DrainOf
}

/** Findings of one API server's read. */
export function serverFindings(read: ServerRead, o: ServerOptions): Finding[] {
  return [
    ...read.missing.map((m) => scanIncompleteFinding(o.cluster, m.what, m.reason)),
    ...drainFindings(o.cluster, read.pdbs, read.pods, o.drainOf),
    ...kubeletSkewFindings(o.cluster, read.nodes, o.target, o.current),
    ...(read.metrics === undefined
      ? []
      : deprecatedRequestFindings(
          o.cluster,
          parseDeprecatedRequests(read.metrics),
          o.apiTarget ?? o.target,
          read.audit?.clients,
        )),
  ]
}

/**
 * `check`: each API server once (the first cluster of `members` on it), with at most `limit`
 * at a time. `connections` holds the clusters that could be read.
 */
export async function preflightServers(
  members: readonly string[],
  connections: ReadonlyMap<string, WorkloadCluster>,
  o: {
    target: string
    apiTarget: string
    current: ReadonlyMap<string, string>
    machines: readonly MachineObj[]
    limit: number
    /** Cluster name → the path of its audit log (the inventory's `auditLog`, resolved). */
    auditLogs?: ReadonlyMap<string, string>
  },
): Promise<Finding[]> {
  const servers = new Map<string, { primary: string; wc: WorkloadCluster }>()
  for (const name of members) {
    const wc = connections.get(name)
    if (wc && !servers.has(wc.server)) servers.set(wc.server, { primary: name, wc })
  }
  const drainOf = drainIndex(o.machines)
  const per = await mapLimit([...servers.values()], o.limit, async (g) => {
    const current = o.current.get(g.primary)
    // The audit log named on any cluster of this API server (they share one server's log).
    const auditLog = members
      .filter((n) => connections.get(n)?.server === g.wc.server)
      .map((n) => o.auditLogs?.get(n))
      .find((p) => p !== undefined)
    return serverFindings(await readServer(g.wc, auditLog ? { auditLog } : {}), {
      cluster: g.primary,
      target: o.target,
      apiTarget: o.apiTarget,
      ...(current ? { current } : {}),
      drainOf,
    })
  })
  return per.flat()
}

/** `check` on the management cluster: certificates and etcd of each Konvoy cluster (name → CAPI namespace). */
export async function managementPreflight(
  env: StageEnv,
  konvoy: ReadonlyMap<string, string>,
  machines: readonly MachineObj[],
  window: CertWindow,
): Promise<Finding[]> {
  const mgmt = env.inventory.management.name
  if (konvoy.size === 0) return []
  const out: Finding[] = []
  let secrets: SecretObj[] = []
  try {
    secrets = (await env.kube.list('v1', 'Secret', {
      labelSelector: CLUSTER_NAME_LABEL,
    })) as unknown as SecretObj[]
  } catch (err) {
    out.push(scanIncompleteFinding(mgmt, 'the CAPI certificate Secrets', messageOf(err)))
  }
  let kcps: ControlPlaneObj[] = []
  try {
    kcps = (await env.snapshot.list(...K.kcp)) as unknown as ControlPlaneObj[]
  } catch (err) {
    out.push(scanIncompleteFinding(mgmt, 'KubeadmControlPlanes', messageOf(err)))
  }
  for (const [cluster, namespace] of konvoy) {
    const mine = <T extends { metadata: { namespace?: string; labels?: Record<string, string> } }>(o: T) =>
      o.metadata.namespace === namespace && o.metadata.labels?.[CLUSTER_NAME_LABEL] === cluster
    const cpMachines = machines.filter(
      (m) => mine(m) && m.metadata.labels?.[CONTROL_PLANE_LABEL] !== undefined,
    )
    out.push(...certificateFindings(cluster, secrets.filter(mine), cpMachines, window))
    const kcp =
      kcps.find((k) => mine(k)) ??
      kcps.find((k) => k.metadata.namespace === namespace && k.metadata.name?.startsWith(cluster))
    out.push(...etcdFindings(cluster, kcp))
  }
  return out
}

/**
 * The `kubernetes` stage's gate, before dkp runs: drain blockers and kubelet skew of the
 * cluster. Errors refuse the step (WorkError listing them); warnings are logged; a cluster
 * that cannot be read is a warning (dkp works through the management cluster regardless).
 */
export async function preflightGate(
  ctx: StageContext,
  cluster: string,
  o: { current?: string } = {},
): Promise<Finding[]> {
  let findings: Finding[]
  try {
    const wc = await workloadCluster(ctx, cluster)
    const machines = (await ctx.snapshot.list(...K.machine)) as unknown as MachineObj[]
    const read = await readServer(wc, { metrics: false })
    findings = serverFindings(read, {
      cluster,
      target: ctx.target.kubernetes,
      ...(o.current ? { current: o.current } : {}),
      drainOf: drainIndex(machines),
    })
  } catch (err) {
    ctx.reporter.warning(
      `pre-flight checks of ${cluster} skipped (drain blockers, kubelet skew): ${messageOf(err)}`,
    )
    return []
  }
  const errors = findings.filter((f) => f.severity === 'error')
  for (const f of findings.filter((f) => f.severity === 'warning'))
    ctx.reporter.warning(`${f.ruleId}: ${f.message}`)
  if (errors.length > 0)
    throw new WorkError(
      `refusing to update Kubernetes on ${cluster} before dkp runs: ${errors.length} pre-flight error${errors.length === 1 ? '' : 's'}:\n${errors
        .map((f) => `- ${f.ruleId}: ${f.message} Fix: ${f.remedy}`)
        .join('\n')}`,
    )
  return findings
}
