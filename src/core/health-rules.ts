// The health rules' descriptions (SARIF `rules`, docs/checks.md): one entry per rule id of
// health.ts.

import type { RuleDescriptor, Severity } from './findings.js'
import { HEALTH, type HealthRuleId } from './health.js'

const HELP: Record<
  HealthRuleId,
  { name: string; short: string; full: string; help: string; severity: Severity }
> = {
  [HEALTH.unreachable]: {
    name: 'ClusterUnreachable',
    short: 'A cluster of the fleet could not be read',
    full: 'The check could not read the cluster (connection refused, timeout, bad or expired kubeconfig, missing kubeconfig Secret), so nothing about it was checked.',
    help: 'Check that the cluster is up and that its kubeconfig Secret on the management cluster is current.',
    severity: 'error',
  },
  [HEALTH.scanIncomplete]: {
    name: 'ScanIncomplete',
    short: 'Part of a cluster could not be read',
    full: 'A kind could not be listed on a cluster (usually RBAC), so the objects of that kind were not checked.',
    help: 'Grant the check read (get/list) access to every kind, or check the named kind by hand.',
    severity: 'warning',
  },
  [HEALTH.dkpVersion]: {
    name: 'DkpUpgradePath',
    short: 'The running DKP release cannot be upgraded to the target directly',
    full: 'DKP upgrades go one minor release at a time and never down. The running release is read from HelmRelease kommander/kommander.',
    help: 'Set target.dkp to the next minor release on the path, run the pipeline, and continue from there.',
    severity: 'error',
  },
  [HEALTH.kubernetesPath]: {
    name: 'KubernetesUpgradePath',
    short: "A cluster's Kubernetes cannot be upgraded to the target directly",
    full: "Kubernetes control planes go up one minor at a time and never down. The running version is the control plane's (KubeadmControlPlane status.version).",
    help: 'Upgrade through each minor: bring the fleet to the DKP release whose Kubernetes is the next minor first.',
    severity: 'error',
  },
  [HEALTH.helmRelease]: {
    name: 'HelmReleaseNotReady',
    short: 'A HelmRelease is not Ready (or is suspended)',
    full: 'Every HelmRelease in the kommander namespace (management cluster) and in the workspace and project namespaces (workload clusters) must be Ready before an upgrade; a suspended one is not moved by it.',
    help: 'Inspect the HelmRelease (kubectl describe helmrelease), fix the cause; a release stuck after exhausted retries recovers with suspend and resume.',
    severity: 'error',
  },
  [HEALTH.appDeployment]: {
    name: 'AppDeploymentUnhealthy',
    short: 'A Kommander AppDeployment is unhealthy',
    full: 'An AppDeployment references a ClusterApp or App that does not exist, or reports a False condition.',
    help: 'Point it at an existing app version or repair the catalog, and inspect the HelmRelease of the same name.',
    severity: 'error',
  },
  [HEALTH.workspace]: {
    name: 'WorkspaceMissing',
    short: 'An inventory workspace does not exist',
    full: 'A workspace named in the inventory has no Workspace object on the management cluster.',
    help: 'Fix the inventory or create the workspace.',
    severity: 'error',
  },
  [HEALTH.kommanderCluster]: {
    name: 'KommanderClusterNotJoined',
    short: 'A cluster is not joined to Kommander',
    full: 'A managed or attached cluster has no KommanderCluster, or its phase is not Joined.',
    help: 'Repair the attachment in Kommander, or fix the inventory.',
    severity: 'error',
  },
  [HEALTH.capiCluster]: {
    name: 'CapiClusterNotReady',
    short: 'A CAPI Cluster is missing, not Provisioned, not Ready or paused',
    full: 'DKP upgrades a cluster through its CAPI objects; the Cluster must be Provisioned and Ready, and not paused.',
    help: 'Inspect it with clusterctl describe cluster and repair it before upgrading.',
    severity: 'error',
  },
  [HEALTH.controlPlane]: {
    name: 'ControlPlaneNotConverged',
    short: 'A control plane has a rollout in progress or unready replicas',
    full: 'The control plane (KubeadmControlPlane, or the managed control plane on EKS/AKS) must run its spec version on all replicas, all ready, generation observed, Ready=True.',
    help: 'Wait for the rollout to finish; repair machines that do not become Ready.',
    severity: 'error',
  },
  [HEALTH.nodePool]: {
    name: 'NodePoolNotConverged',
    short: 'A node pool has a rollout in progress or unready replicas',
    full: 'Each MachineDeployment (MachinePool) must run its template version on all replicas, all ready, phase Running, and its Machines at that version.',
    help: 'Wait for the rollout to finish; PodDisruptionBudgets that block drains are the usual cause of a stuck one.',
    severity: 'error',
  },
  [HEALTH.machine]: {
    name: 'MachineNotReady',
    short: 'A Machine (node) is not Running and healthy',
    full: 'Every Machine must be in phase Running with NodeHealthy=True (what CAPI reports of its node).',
    help: 'Repair or replace the machine before upgrading.',
    severity: 'error',
  },
  [HEALTH.skew]: {
    name: 'KubeletVersionSkew',
    short: 'Kubelets and the control plane are too far apart',
    full: 'Kubernetes version skew policy: kubelets are never newer than the API server and at most three minors older (two before 1.28). Checked now and for the control plane at the target.',
    help: "Upgrade the node pools to the control plane's version before the next control plane upgrade.",
    severity: 'error',
  },
  [HEALTH.backup]: {
    name: 'PreUpgradeBackup',
    short: 'No recent Velero backup of the management cluster',
    full: "The DKP docs require a Velero backup before upgrading. A Completed Backup younger than backup.maxAge satisfies the gate; the pipeline's backup stage takes one otherwise.",
    help: 'Let the backup stage take it, or run velero backup create; install Velero if it is missing.',
    severity: 'warning',
  },
  [HEALTH.attached]: {
    name: 'AttachedClusterKubernetes',
    short: 'An attached cluster runs a Kubernetes the target DKP release does not support',
    full: "DKP does not upgrade attached clusters' Kubernetes; it must already be in the range the target DKP release supports.",
    help: "Upgrade the attached cluster with its provider's tools first.",
    severity: 'error',
  },
}

let rules: Map<string, RuleDescriptor> | undefined

function buildRules(): Map<string, RuleDescriptor> {
  const out = new Map<string, RuleDescriptor>()
  for (const [id, h] of Object.entries(HELP) as [HealthRuleId, (typeof HELP)[HealthRuleId]][]) {
    out.set(id, {
      id,
      name: h.name,
      shortDescription: h.short,
      fullDescription: h.full,
      help: h.help,
      helpMarkdown: `${h.full}\n\n**Fix:** ${h.help}\n\nSee [the checks documentation](https://github.com/dkp-fleet-upgrade/dkp-fleet-upgrade/blob/main/docs/checks.md#health-gates).`,
      defaultSeverity: h.severity,
      tags: ['dkp', 'health', 'pre-upgrade'],
    })
  }
  return out
}

/** Every health rule (SARIF `rules`, docs). */
export function healthRules(): RuleDescriptor[] {
  rules ??= buildRules()
  return [...rules.values()]
}

export function healthRule(id: string): RuleDescriptor | undefined {
  rules ??= buildRules()
  return rules.get(id)
}
