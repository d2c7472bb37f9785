// The health gates of `check` (issue 7 §1) as pure functions over objects already read (one
// list per kind per cluster), each returning Findings with a severity, the cluster, the object,
// what is wrong and what to do. Rule ids are `health/...`; health-rules.ts describes them for
// SARIF. The reads live in src/stages/check-fleet.ts; unit tests feed these functions fixtures.
// This module: the rule ids and shared wording, reachability, the upgrade paths and the backup
// gate; health-kommander.ts and health-capi.ts hold the rest.
//
// Severity: `error` blocks the upgrade (it would fail or make things worse), `warning` needs a
// look (the pipeline can still run), `info` is context.

import { type Finding, makeFinding, nsName, type ObjectRef, objectRef, type Severity } from './findings.js'
import type { HelmRelease } from './kinds.js'
import { KOMMANDER_NS, KOMMANDER_RELEASE, runningDkp } from './kommander-releases.js'
import type { BackupSettings } from './model.js'
import { pendingTexts, type StepState } from './step-state.js'
import { bareVersion, checkDkpPath, checkKubernetesPath } from './versions.js'

export const HEALTH = {
  unreachable: 'health/cluster-unreachable',
  scanIncomplete: 'health/scan-incomplete',
  dkpVersion: 'health/dkp-version',
  kubernetesPath: 'health/kubernetes-path',
  helmRelease: 'health/helmrelease-ready',
  appDeployment: 'health/appdeployment',
  workspace: 'health/workspace',
  kommanderCluster: 'health/kommander-cluster',
  capiCluster: 'health/capi-cluster',
  controlPlane: 'health/control-plane-converged',
  nodePool: 'health/nodepool-converged',
  machine: 'health/machine-ready',
  skew: 'health/version-skew',
  backup: 'health/backup',
  attached: 'health/attached-kubernetes',
} as const

export type HealthRuleId = (typeof HEALTH)[keyof typeof HEALTH]

/** A finding of a health rule. */
export const finding: (
  ruleId: HealthRuleId,
  severity: Severity,
  cluster: string,
  object: ObjectRef | undefined,
  message: string,
  remedy: string,
  details?: Finding['details'],
) => Finding = makeFinding

export { nsName, objectRef }

/** A condition's message, one line and bounded (they can carry whole error logs). */
export function conditionNote(c: { reason?: string; message?: string } | undefined): string {
  if (!c) return ''
  const message = (c.message ?? '').replace(/\s+/g, ' ').trim()
  const short = message.length > 300 ? `${message.slice(0, 297)}...` : message
  return [c.reason, short].filter(Boolean).join(': ')
}

/** " (reason: message)" when the condition says why, else "". */
export function noteSuffix(c: { reason?: string; message?: string } | undefined): string {
  const note = conditionNote(c)
  return note ? ` (${note})` : ''
}

/** e.g. "Ready=False (ScalingUp: 1 of 3 ready)" or "Ready=not reported". */
export function conditionState(
  type: string,
  c: { status?: string; reason?: string; message?: string } | undefined,
): string {
  return `${type}=${c?.status ?? 'not reported'}${noteSuffix(c)}`
}

/** A cluster that could not be read at all: an error for it, not a crash of the check. */
export function unreachableFinding(cluster: string, reason: string, object?: ObjectRef): Finding {
  return finding(
    HEALTH.unreachable,
    'error',
    cluster,
    object,
    `Cluster ${cluster} could not be read, so its health and its removed-API use are unknown: ${reason}`,
    `Check that the cluster is up and that its kubeconfig Secret on the management cluster is current (it is read from the management cluster, never from inputs), then run the check again.`,
  )
}

/** A part of the live scan that could not be read (RBAC, a failing aggregated API). */
export function scanIncompleteFinding(cluster: string, what: string, reason: string): Finding {
  return finding(
    HEALTH.scanIncomplete,
    'warning',
    cluster,
    undefined,
    `Could not read ${what} on cluster ${cluster}, so it was not checked: ${reason}`,
    'Grant the check list access to that kind (a read-only ClusterRole with get/list on everything is enough), or check it by hand.',
    { what },
  )
}

/**
 * The DKP release the management cluster runs (HelmRelease kommander/kommander) and the upgrade
 * path to the target: no minor skipped, never down (reference/dkp.md §3).
 */
export function dkpVersionFindings(
  cluster: string,
  kommander: HelmRelease | undefined,
  target: string,
): Finding[] {
  if (!kommander) {
    return [
      finding(
        HEALTH.dkpVersion,
        'error',
        cluster,
        {
          apiVersion: 'helm.toolkit.fluxcd.io/v2beta1',
          kind: 'HelmRelease',
          namespace: KOMMANDER_NS,
          name: KOMMANDER_RELEASE,
        },
        `HelmRelease ${KOMMANDER_NS}/${KOMMANDER_RELEASE} does not exist on ${cluster}: Kommander is not installed there, so the running DKP release is unknown.`,
        'Point the kubeconfig at the DKP management cluster (the one running Kommander).',
      ),
    ]
  }
  const running = runningDkp(kommander)
  const object = objectRef(kommander)
  if (!running) {
    return [
      finding(
        HEALTH.dkpVersion,
        'error',
        cluster,
        object,
        `HelmRelease ${nsName(kommander)} reports no chart version, so the running DKP release is unknown.`,
        `Inspect it: kubectl -n ${KOMMANDER_NS} get helmrelease ${KOMMANDER_RELEASE} -o yaml; Kommander must be installed and released before an upgrade.`,
      ),
    ]
  }
  const path = checkDkpPath(running, target)
  if (path.ok) return []
  return [
    finding(
      HEALTH.dkpVersion,
      'error',
      cluster,
      object,
      `DKP ${running} runs on ${cluster}; the target ${target} is not a supported upgrade from it: ${path.reason}.`,
      path.kind === 'downgrade'
        ? `Set target.dkp to ${running} or newer: DKP is never downgraded (restore from a Velero backup instead).`
        : path.kind === 'unknown'
          ? 'Use a DKP release dkp-fleet knows (its version table), or update dkp-fleet to a version that knows this one.'
          : `Upgrade one minor at a time (${path.path.join(' → ')}): the upgrade workflow and \`dkp-fleet upgrade\` plan this as hops, one per run, and check each hop's target (\`dkp-fleet plan\` with a kubeconfig lists them; \`dkp-fleet run check --plan-hop <hop>\` checks one); or set target.dkp to the next release on the path (${path.path.slice(1, 2).join('')}).`,
      { running, target, path: path.path.join(' → ') },
    ),
  ]
}

/** A Konvoy cluster's Kubernetes (its control plane's) against the target: no minor skipped, never down. */
export function kubernetesPathFindings(
  cluster: string,
  object: ObjectRef | undefined,
  running: string | undefined,
  target: string,
): Finding[] {
  if (!running) return []
  // EKS (CAPA) keeps major.minor only: compare as the minor's first patch.
  const from = /^\d+\.\d+$/.test(bareVersion(running)) ? `${bareVersion(running)}.0` : bareVersion(running)
  const path = checkKubernetesPath(from, target)
  if (path.kind === 'unknown') {
    return [
      finding(
        HEALTH.kubernetesPath,
        'warning',
        cluster,
        object,
        `The Kubernetes version of ${cluster} ("${running}") cannot be read as a version, so its upgrade path to ${target} was not checked.`,
        'Check the control plane object by hand (kubectl get kcp -A).',
      ),
    ]
  }
  if (path.ok) return []
  return [
    finding(
      HEALTH.kubernetesPath,
      'error',
      cluster,
      object,
      `Cluster ${cluster} runs Kubernetes ${bareVersion(running)}: ${path.reason}.`,
      path.kind === 'downgrade'
        ? 'Kubernetes is never downgraded: set target.kubernetes to the running version or newer.'
        : 'Upgrade one Kubernetes minor per DKP release: first bring the fleet to the DKP release whose Kubernetes is the next minor, then continue.',
      { running: bareVersion(running), target, path: path.path.join(' → ') },
    ),
  ]
}

/**
 * The backup gate from the backup stage's own state (backupState): a Completed Velero Backup
 * younger than `backup.maxAge`. Missing or old is a warning (the pipeline's backup stage takes
 * one before Kommander is upgraded); Velero not installed is an error (that stage would fail);
 * backups turned off is info with the inventory's reason.
 */
export function backupFindings(
  cluster: string,
  settings: BackupSettings,
  state: StepState | undefined,
): Finding[] {
  if (!settings.enabled) {
    return [
      finding(
        HEALTH.backup,
        'info',
        cluster,
        undefined,
        `Backups are turned off for this fleet (${settings.reason ?? 'no reason given'}): the upgrade runs without a pre-upgrade Velero backup.`,
        'Nothing to do if that is intended; otherwise set backup.enabled: true in the inventory.',
      ),
    ]
  }
  if (!state || state.done) return []
  const reason = pendingTexts(state).join('; ') || 'no fresh backup'
  const missing = state.pending.find((p) => p.code === 'not-installed')
  if (missing) {
    return [
      finding(
        HEALTH.backup,
        'error',
        cluster,
        undefined,
        `Velero is not installed on ${cluster} (the server does not serve ${missing.object ?? 'Velero Backups'}): the pipeline's backup stage cannot take the pre-upgrade backup the DKP docs require.`,
        'Install or enable Velero on the management cluster (it ships with Kommander), or turn backups off in the inventory with backup.enabled: false and a reason.',
      ),
    ]
  }
  return [
    finding(
      HEALTH.backup,
      'warning',
      cluster,
      undefined,
      `No recent pre-upgrade backup: ${reason}.`,
      `The pipeline's backup stage takes one before Kommander is upgraded (dkp-fleet run backup); to take one now: velero backup create <name> -n ${settings.namespace}. Check that Velero backups complete (velero backup get -n ${settings.namespace}).`,
      { maxAgeSeconds: settings.maxAgeSeconds },
    ),
  ]
}
