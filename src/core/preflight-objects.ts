// The plain shapes the pre-flight rules read (issue 20): the few fields of Nodes, Pods,
// PodDisruptionBudgets, Secrets, KubeadmControlPlanes and Machines they use, and the helpers
// every pre-flight rule shares (rule ids, a finding, the object of a finding, a minor version).
// Pure: the reads live in src/stages/preflight-read.ts.

import { type Finding, makeFinding, nsName, type ObjectRef, objectRef, type Severity } from './findings.js'
import { kubernetesMinor } from './versions.js'

/** Rule ids of the pre-flight checks; help in data/rules.json. The prefix is the check's column in the fleet table. */
export const PREFLIGHT = {
  pdbBlocks: 'drain/pdb-blocks',
  pdbNoMatch: 'drain/pdb-no-match',
  barePod: 'drain/bare-pod',
  emptyDir: 'drain/emptydir-data',
  kubeletSkew: 'skew/kubelet',
  deprecatedRequested: 'live-api/deprecated-requested',
  certificate: 'certs/expiring',
  etcd: 'etcd/member-unhealthy',
} as const

export type PreflightRuleId = (typeof PREFLIGHT)[keyof typeof PREFLIGHT]

export interface Meta {
  name?: string
  namespace?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  ownerReferences?: { apiVersion?: string; kind?: string; name?: string; controller?: boolean }[]
  deletionTimestamp?: string
}

export interface Obj {
  apiVersion: string
  kind: string
  metadata: Meta
}

export interface LabelSelector {
  matchLabels?: Record<string, string>
  matchExpressions?: { key: string; operator: string; values?: string[] }[]
}

export interface Pod extends Obj {
  spec?: { nodeName?: string; volumes?: { name?: string; emptyDir?: object }[] }
  status?: { phase?: string }
}

export interface Pdb extends Obj {
  spec?: { selector?: LabelSelector | null; minAvailable?: number | string; maxUnavailable?: number | string }
  status?: {
    disruptionsAllowed?: number
    currentHealthy?: number
    desiredHealthy?: number
    expectedPods?: number
    observedGeneration?: number
  }
}

export interface Node extends Obj {
  status?: { nodeInfo?: { kubeletVersion?: string } }
}

export interface Condition {
  type: string
  status: string
  reason?: string
  message?: string
}

export interface ControlPlaneObj extends Obj {
  status?: { conditions?: Condition[]; version?: string }
}

export interface MachineObj extends Obj {
  spec?: { nodeDrainTimeout?: string }
  status?: { nodeRef?: { name?: string }; certificatesExpiryDate?: string }
}

export interface SecretObj extends Obj {
  type?: string
  data?: Record<string, string>
}

/** The object of a finding. */
export const refOf: (o: Obj) => ObjectRef = objectRef

export { nsName }

/** A finding of a pre-flight rule. */
export const preflightFinding: (
  ruleId: PreflightRuleId,
  severity: Severity,
  cluster: string,
  object: ObjectRef | undefined,
  message: string,
  remedy: string,
  details?: Finding['details'],
) => Finding = makeFinding

/** `1.28.7`, `v1.28.7+fips.0`, `v1.28.7-eks-1a2b` → 28; anything else undefined. */
export const kubeMinor = (version: string | undefined): number | undefined =>
  version === undefined ? undefined : kubernetesMinor(version)
