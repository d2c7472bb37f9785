// Certificates and etcd of Konvoy clusters, read on the management cluster (issue 20 §4).
//   certs/expiring        the cluster's certificate Secrets CAPI keeps (`<cluster>-ca`,
//                         `-etcd`, `-proxy`, type cluster.x-k8s.io/secret, key tls.crt) and the
//                         control-plane Machines' `status.certificatesExpiryDate` (the kubeadm
//                         certificates on the machine, which KCP reports) (C: CAPI v1beta1 types):
//                         expired or expiring within `errorDays` → error, within `warnDays` → warning.
//   etcd/member-unhealthy the KubeadmControlPlane's `EtcdClusterHealthy` condition False (C: CAPI
//                         v1beta1 KCP conditions) → error.
// The windows are ours (I): a `kubernetes` step replaces every control-plane machine (new leaf
// certificates) but not the CAs, and a certificate that lapses mid-upgrade stops it.
// Pure: X.509 parsing by node:crypto (computation, no I/O).

import { X509Certificate } from 'node:crypto'
import type { Finding } from './findings.js'
import {
  type ControlPlaneObj,
  type MachineObj,
  nsName,
  PREFLIGHT,
  preflightFinding,
  refOf,
  type SecretObj,
} from './preflight-objects.js'

export const CAPI_SECRET_TYPE = 'cluster.x-k8s.io/secret'
const DAY = 86_400_000

export interface CertWindow {
  now: Date
  /** Expiring within this many days is an error (default 7). */
  errorDays?: number
  /** … a warning (default 30). */
  warnDays?: number
}

/** `notAfter` of the first certificate in a base64 PEM, or undefined when it is none. */
export function certificateNotAfter(base64Pem: string): Date | undefined {
  try {
    const cert = new X509Certificate(Buffer.from(base64Pem, 'base64'))
    const t = Date.parse(cert.validTo)
    return Number.isNaN(t) ? undefined : new Date(t)
  } catch {
    return undefined
  }
}

function expiry(
  cluster: string,
  object: SecretObj | MachineObj,
  what: string,
  notAfter: Date,
  window: CertWindow,
): Finding | undefined {
  const days = (notAfter.getTime() - window.now.getTime()) / DAY
  const errorDays = window.errorDays ?? 7
  const warnDays = window.warnDays ?? 30
  if (days > warnDays) return undefined
  const expired = days <= 0
  return preflightFinding(
    PREFLIGHT.certificate,
    days <= errorDays ? 'error' : 'warning',
    cluster,
    refOf(object),
    expired
      ? `${what} of ${cluster} (${object.kind} ${nsName(object)}) expired at ${notAfter.toISOString()}.`
      : `${what} of ${cluster} (${object.kind} ${nsName(object)}) expires at ${notAfter.toISOString()}, in ${Math.floor(days)} day${Math.floor(days) === 1 ? '' : 's'} (within the ${days <= errorDays ? errorDays : warnDays}-day window).`,
    object.kind === 'Machine'
      ? 'Renew the control-plane certificates before upgrading: roll the control plane (KubeadmControlPlane spec.rolloutBefore.certificatesExpiryDays, or kubeadm certs renew on each machine).'
      : 'Rotate the cluster CA before upgrading (CAPI: replace the Secret and roll the machines; see the Cluster API certificate rotation docs); a lapsed CA stops every component that trusts it.',
    { notAfter: notAfter.toISOString(), days: Math.floor(days) },
  )
}

/** Certificates of one Konvoy cluster expiring within the window. */
export function certificateFindings(
  cluster: string,
  secrets: readonly SecretObj[],
  machines: readonly MachineObj[],
  window: CertWindow,
): Finding[] {
  const out: Finding[] = []
  for (const s of secrets) {
    if (s.type !== CAPI_SECRET_TYPE || !s.data?.['tls.crt']) continue
    const notAfter = certificateNotAfter(s.data['tls.crt'])
    if (!notAfter) continue
    const f = expiry(cluster, s, `Certificate ${s.metadata.name}`, notAfter, window)
    if (f) out.push(f)
  }
  for (const m of machines) {
    const at = m.status?.certificatesExpiryDate
    if (!at || m.metadata.deletionTimestamp) continue
    const t = Date.parse(at)
    if (Number.isNaN(t)) continue
    const f = expiry(cluster, m, 'The kubeadm certificates of control-plane machine', new Date(t), window)
    if (f) out.push(f)
  }
  return out
}

/** etcd members unhealthy, where the KubeadmControlPlane's conditions say so. */
export function etcdFindings(cluster: string, kcp: ControlPlaneObj | undefined): Finding[] {
  if (kcp?.kind !== 'KubeadmControlPlane') return []
  const c = kcp.status?.conditions?.find((x) => x.type === 'EtcdClusterHealthy')
  if (c?.status !== 'False') return []
  const note = [c.reason, (c.message ?? '').replace(/\s+/g, ' ').trim().slice(0, 300)]
    .filter(Boolean)
    .join(': ')
  return [
    preflightFinding(
      PREFLIGHT.etcd,
      'error',
      cluster,
      refOf(kcp),
      `etcd of ${cluster} is unhealthy (KubeadmControlPlane ${nsName(kcp)} EtcdClusterHealthy=False${note ? `: ${note}` : ''}): a control-plane rollout removes and adds etcd members and can lose quorum.`,
      `Repair the etcd members the condition names (kubectl -n ${kcp.metadata.namespace} describe kubeadmcontrolplane ${kcp.metadata.name}; the Machines' EtcdMemberHealthy conditions) before upgrading.`,
      c.reason ? { reason: c.reason } : undefined,
    ),
  ]
}
