// Version skew of the kubelets a cluster really runs (issue 20 §3): each Node's
// `status.nodeInfo.kubeletVersion` against the control plane now and against the target, by
// the Kubernetes version skew policy (C: kubernetes.io/releases/version-skew-policy: "kubelet
// must not be newer than kube-apiserver"; "kubelet may be up to three minor versions older
// than kube-apiserver (kubelet < 1.25 may only be up to two minor versions older)").
// health/version-skew checks the same per node pool from CAPI Machines on the management
// cluster; this reads the cluster's own Nodes, so it also sees nodes no Machine describes.
// Pure; `skewRefusal` is what the `kubernetes` stage refuses on before dkp runs.

import type { Finding } from './findings.js'
import { kubeMinor, type Node, PREFLIGHT, preflightFinding, refOf } from './preflight-objects.js'

/** How many minors a kubelet of this minor may trail the API server (the policy's own wording). */
export const allowedKubeletLag = (kubeletMinor: number): number => (kubeletMinor >= 25 ? 3 : 2)

/** Why a kubelet cannot run against an API server of minor `apiserver`, or undefined when it may. */
export function kubeletSkewProblem(kubelet: number, apiserver: number): string | undefined {
  if (kubelet > apiserver) return 'newer than the API server'
  const allowed = allowedKubeletLag(kubelet)
  if (apiserver - kubelet > allowed)
    return `${apiserver - kubelet} minors older than the API server (the policy allows ${allowed})`
  return undefined
}

/**
 * Kubelets of one cluster against its control plane (`current`, as read) and the `target`:
 * beyond the policy against the target (or newer than it) is an error, since the control plane
 * goes first; a kubelet older than the current control plane (a node pool left behind by an
 * earlier run) is a warning.
 */
export function kubeletSkewFindings(
  cluster: string,
  nodes: readonly Node[],
  target: string,
  current?: string,
): Finding[] {
  const to = kubeMinor(target)
  const now = kubeMinor(current)
  if (to === undefined) return []
  const out: Finding[] = []
  for (const node of nodes) {
    if (node.metadata.deletionTimestamp) continue
    const version = node.status?.nodeInfo?.kubeletVersion
    const minor = kubeMinor(version)
    if (minor === undefined) continue
    const details = { kubeletVersion: version!, target, ...(current ? { controlPlane: current } : {}) }
    const problem = kubeletSkewProblem(minor, to)
    if (problem) {
      out.push(
        preflightFinding(
          PREFLIGHT.kubeletSkew,
          'error',
          cluster,
          refOf(node),
          `Node ${node.metadata.name} of ${cluster} runs kubelet ${version}: once the control plane runs ${target} it is ${problem}, which the Kubernetes version skew policy does not support; the kubernetes step is refused.`,
          minor > to
            ? `Target a Kubernetes version at least as new as the node's kubelet, or replace the node with one at the control plane's version.`
            : `Upgrade the node's pool to the control plane's version${current ? ` (${current})` : ''} first (dkp update nodepool ... --kubernetes-version), or replace the node; then upgrade the control plane to ${target}.`,
          details,
        ),
      )
      continue
    }
    if (now !== undefined && minor < now) {
      out.push(
        preflightFinding(
          PREFLIGHT.kubeletSkew,
          'warning',
          cluster,
          refOf(node),
          `Node ${node.metadata.name} of ${cluster} runs kubelet ${version} while the control plane runs ${current}: its node pool was left behind by an earlier upgrade.`,
          `Finish the earlier upgrade of its node pool (dkp update nodepool ... --kubernetes-version v${current}) before the next one.`,
          details,
        ),
      )
    }
  }
  return out
}

/** The findings a `kubernetes` step refuses on: skew errors (the control plane would leave kubelets unsupported). */
export const skewRefusal = (findings: readonly Finding[]): Finding[] =>
  findings.filter((f) => f.ruleId === PREFLIGHT.kubeletSkew && f.severity === 'error')
