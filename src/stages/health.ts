// The health gates of `check` (issue 7 §1) as pure functions over objects already read (one
// list per kind per cluster), each returning Findings with a severity, the cluster, the object,
// what is wrong and what to do. Rule ids are `health/...`; `healthRules()` describes them for
// SARIF. The reads live in check.ts; unit tests feed these functions fixtures.
//
// Severity: `error` blocks the upgrade (it would fail or make things worse), `warning` needs a
// look (the pipeline can still run), `info` is context.

import type { Finding, ObjectRef, RuleDescriptor, Severity } from '../core/findings.js'
import type { BackupSettings } from '../core/model.js'
import { type RuleHelp, ruleHelp } from '../core/rule-help.js'
import { checkDkpPath, checkKubernetesPath, kubernetesSupportedBy } from '../core/versions.js'
import type { KubeObject } from '../effects/kube.js'
import {
  type AppDeployment,
  type CapiCluster,
  condition,
  type HelmRelease,
  type KommanderApp,
  type KommanderCluster,
  type KubeadmControlPlane,
  type Machine,
  type MachineDeployment,
} from './kinds.js'
import { helmReleaseView, KOMMANDER_NS, KOMMANDER_RELEASE, runningDkp } from './kommander-state.js'
import {
  bareVersion,
  controlPlaneState,
  type MachinePool,
  type ManagedControlPlane,
  managedControlPlaneState,
  nodePoolState,
} from './konvoy-state.js'
import type { StepState } from './types.js'

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

/** The object of a finding, from an object as read. */
export function objectRef(o: KubeObject): ObjectRef {
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
    name: o.metadata.name ?? '(unnamed)',
  }
}

const nsName = (o: KubeObject) =>
  o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : `${o.metadata.name}`

function finding(
  ruleId: HealthRuleId,
  severity: Severity,
  cluster: string,
  object: ObjectRef | undefined,
  message: string,
  remedy: string,
  details?: Finding['details'],
): Finding {
  return {
    ruleId,
    severity,
    cluster,
    ...(object ? { object } : {}),
    message,
    remedy,
    ...(details && Object.keys(details).length > 0 ? { details } : {}),
  }
}

/** A condition's message, one line and bounded (they can carry whole error logs). */
function conditionNote(c: { reason?: string; message?: string } | undefined): string {
  if (!c) return ''
  const message = (c.message ?? '').replace(/\s+/g, ' ').trim()
  const short = message.length > 300 ? `${message.slice(0, 297)}...` : message
  return [c.reason, short].filter(Boolean).join(': ')
}

/** " (reason: message)" when the condition says why, else "". */
function noteSuffix(c: { reason?: string; message?: string } | undefined): string {
  const note = conditionNote(c)
  return note ? ` (${note})` : ''
}

/** e.g. "Ready=False (ScalingUp: 1 of 3 ready)" or "Ready=not reported". */
function conditionState(
  type: string,
  c: { status?: string; reason?: string; message?: string } | undefined,
): string {
  return `${type}=${c?.status ?? 'not reported'}${noteSuffix(c)}`
}

const minorNumber = (v: string): number | undefined => {
  const m = /^v?(\d+)\.(\d+)/.exec(v.trim())
  return m && m[1] === '1' ? Number(m[2]) : undefined
}

// ------------------------------------------------------------------------------ reachability

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

// ------------------------------------------------------------------------------ versions

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
  const downgrade = path.path.length === 1
  const unknown = path.path.length === 2
  return [
    finding(
      HEALTH.dkpVersion,
      'error',
      cluster,
      object,
      `DKP ${running} runs on ${cluster}; the target ${target} is not a supported upgrade from it: ${path.reason}.`,
      downgrade
        ? `Set target.dkp to ${running} or newer: DKP is never downgraded (restore from a Velero backup instead).`
        : unknown
          ? 'Use a DKP release dkp-fleet knows (its version table), or update dkp-fleet to a version that knows this one.'
          : `Upgrade one minor at a time: set target.dkp to the next release on the path (${path.path.slice(1, 2).join('')}), run the whole pipeline, then continue (${path.path.join(' → ')}).`,
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
  let path: ReturnType<typeof checkKubernetesPath>
  try {
    path = checkKubernetesPath(from, target)
  } catch {
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
      path.path.length === 1
        ? 'Kubernetes is never downgraded: set target.kubernetes to the running version or newer.'
        : 'Upgrade one Kubernetes minor per DKP release: first bring the fleet to the DKP release whose Kubernetes is the next minor, then continue.',
      { running: bareVersion(running), target, path: path.path.join(' → ') },
    ),
  ]
}

// ------------------------------------------------------------------------------ Kommander

/**
 * Every HelmRelease given must be Ready (the DKP docs wait for `Released`/`Ready` on all of them
 * before an upgrade); a suspended one is a warning (Flux does not roll it).
 */
export function helmReleaseFindings(cluster: string, releases: readonly HelmRelease[]): Finding[] {
  const out: Finding[] = []
  for (const hr of releases) {
    const view = helmReleaseView(hr)
    const ns = hr.metadata.namespace ?? ''
    const name = hr.metadata.name ?? ''
    const unstick = `kubectl -n ${ns} patch helmrelease ${name} --type merge -p '{"spec":{"suspend":true}}' and then '{"spec":{"suspend":false}}'`
    if (!view.ready) {
      const ready = condition(hr, 'Ready')
      const note = conditionNote(ready)
      out.push(
        finding(
          HEALTH.helmRelease,
          'error',
          cluster,
          objectRef(hr),
          `HelmRelease ${ns}/${name} on ${cluster} is not Ready (${view.notReady ?? 'not Ready'})${note && !view.notReady?.includes(note) ? `: ${note}` : ''}.`,
          `Every HelmRelease must be Ready before the upgrade. Inspect it (kubectl -n ${ns} describe helmrelease ${name}) and fix the cause; a release stuck after exhausted retries recovers with a suspend and resume: ${unstick}.`,
          {
            ...(view.chartVersion ? { chartVersion: view.chartVersion } : {}),
            ...(ready?.reason ? { reason: ready.reason } : {}),
          },
        ),
      )
    } else if (hr.spec?.suspend) {
      out.push(
        finding(
          HEALTH.helmRelease,
          'warning',
          cluster,
          objectRef(hr),
          `HelmRelease ${ns}/${name} on ${cluster} is suspended: Flux does not reconcile it, so the upgrade will not move it to its new chart version.`,
          `Resume it before the upgrade (kubectl -n ${ns} patch helmrelease ${name} --type merge -p '{"spec":{"suspend":false}}'), or make sure leaving it behind is intended.`,
        ),
      )
    }
  }
  return out
}

export interface AppDeploymentInputs {
  /** The management cluster (where AppDeployments live). */
  cluster: string
  appDeployments: readonly AppDeployment[]
  clusterApps: readonly KommanderApp[]
  apps: readonly KommanderApp[]
  /** Project namespace → its workspace namespace (project apps reference the workspace's Apps). */
  workspaceOfProject: ReadonlyMap<string, string>
}

type AppDeploymentStatus = {
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] }
}

/**
 * Kommander AppDeployments are healthy when the (Cluster)App they reference exists and none of
 * their own conditions (where the release reports them) is False.
 */
export function appDeploymentFindings(input: AppDeploymentInputs): Finding[] {
  const out: Finding[] = []
  const clusterApps = new Set(input.clusterApps.map((a) => a.metadata.name))
  const apps = new Set(input.apps.map((a) => `${a.metadata.namespace}/${a.metadata.name}`))
  for (const ad of input.appDeployments) {
    const ns = ad.metadata.namespace ?? ''
    const ref = ad.spec?.appRef
    const describe = `AppDeployment ${ns}/${ad.metadata.name}`
    if (!ref?.name) {
      out.push(
        finding(
          HEALTH.appDeployment,
          'error',
          input.cluster,
          objectRef(ad),
          `${describe} has no spec.appRef.name: it deploys nothing Kommander can upgrade.`,
          `Fix or remove it: kubectl -n ${ns} get appdeployment ${ad.metadata.name} -o yaml.`,
        ),
      )
      continue
    }
    if (ref.kind === 'ClusterApp') {
      if (!clusterApps.has(ref.name)) {
        out.push(
          finding(
            HEALTH.appDeployment,
            'error',
            input.cluster,
            objectRef(ad),
            `${describe} references ClusterApp ${ref.name}, which does not exist.`,
            'Platform apps come from the Kommander release: re-run the upgrade of the release that should provide it, or point the AppDeployment at an existing ClusterApp version (kubectl get clusterapps).',
            { appRef: `ClusterApp/${ref.name}` },
          ),
        )
      }
    } else {
      const workspaceNs = input.workspaceOfProject.get(ns)
      if (!apps.has(`${ns}/${ref.name}`) && !(workspaceNs && apps.has(`${workspaceNs}/${ref.name}`))) {
        out.push(
          finding(
            HEALTH.appDeployment,
            'error',
            input.cluster,
            objectRef(ad),
            `${describe} references App ${ref.name}, which does not exist in ${ns}${workspaceNs ? ` or its workspace namespace ${workspaceNs}` : ''}.`,
            `Make the catalog available (the catalog GitRepository of the workspace) or point the AppDeployment at an existing App version (kubectl -n ${workspaceNs ?? ns} get apps).`,
            { appRef: `App/${ref.name}` },
          ),
        )
      }
    }
    for (const c of (ad as AppDeploymentStatus).status?.conditions ?? []) {
      if (c.status !== 'False' || !/^(Ready|Available|Deployed|Healthy)$/.test(c.type)) continue
      out.push(
        finding(
          HEALTH.appDeployment,
          'error',
          input.cluster,
          objectRef(ad),
          `${describe} reports ${c.type}=False${noteSuffix(c)}.`,
          `Inspect it (kubectl -n ${ns} describe appdeployment ${ad.metadata.name}) and the HelmRelease of the same name on the clusters it targets.`,
        ),
      )
    }
  }
  return out
}

/** An inventory workspace that does not exist on the management cluster. */
export function workspaceFinding(cluster: string, workspace: string, problem: string): Finding {
  return finding(
    HEALTH.workspace,
    'error',
    cluster,
    { apiVersion: 'workspaces.kommander.mesosphere.io/v1alpha1', kind: 'Workspace', name: workspace },
    problem,
    'Fix the inventory (workspaces[].name) or create the workspace in Kommander before upgrading.',
  )
}

/** A managed or attached cluster must be joined to Kommander (its KommanderCluster `Joined`). */
export function kommanderClusterFindings(
  cluster: string,
  kc: KommanderCluster | undefined,
  workspaceNamespace: string | undefined,
): Finding[] {
  if (!kc) {
    return [
      finding(
        HEALTH.kommanderCluster,
        'error',
        cluster,
        {
          apiVersion: 'kommander.mesosphere.io/v1beta1',
          kind: 'KommanderCluster',
          ...(workspaceNamespace ? { namespace: workspaceNamespace } : {}),
          name: cluster,
        },
        `No KommanderCluster ${workspaceNamespace ? `${workspaceNamespace}/` : ''}${cluster} exists: the cluster is not attached to Kommander, so its apps and kubeconfig are unknown.`,
        'Fix the cluster name or workspace in the inventory, or attach the cluster to its workspace in Kommander.',
      ),
    ]
  }
  const phase = kc.status?.phase
  if (phase === 'Joined') return []
  return [
    finding(
      HEALTH.kommanderCluster,
      'error',
      cluster,
      objectRef(kc),
      `KommanderCluster ${nsName(kc)} is ${phase ? `in phase ${phase}` : 'not joined (no status.phase)'}, not Joined: Kommander cannot manage its apps during the upgrade.`,
      `Inspect it (kubectl -n ${kc.metadata.namespace} describe kommandercluster ${kc.metadata.name}) and repair the attachment before upgrading.`,
      phase ? { phase } : undefined,
    ),
  ]
}

/**
 * An attached cluster's Kubernetes must be in the range the target DKP release supports: older
 * is an error (Kommander stops supporting it), newer a warning, unknown a warning.
 */
export function attachedFindings(
  cluster: string,
  kc: KommanderCluster | undefined,
  targetDkp: string,
): Finding[] {
  const version = kc?.status?.kubernetesVersion
  if (!kc) return []
  if (!version) {
    return [
      finding(
        HEALTH.attached,
        'warning',
        cluster,
        objectRef(kc),
        `Attached cluster ${cluster}: KommanderCluster ${nsName(kc)} reports no Kubernetes version, so support by DKP ${targetDkp} was not checked.`,
        "Check the attached cluster's Kubernetes version by hand against the target DKP release's supported range.",
      ),
    ]
  }
  const problem = kubernetesSupportedBy(targetDkp, version)
  if (!problem) return []
  const older = /older than/.test(problem)
  return [
    finding(
      HEALTH.attached,
      older ? 'error' : 'warning',
      cluster,
      objectRef(kc),
      `Attached cluster ${cluster} runs Kubernetes ${bareVersion(version)}: ${problem}.`,
      older
        ? `DKP does not upgrade attached clusters' Kubernetes: upgrade ${cluster} with its provider's tools into the supported range before upgrading DKP.`
        : `Check with the DKP ${targetDkp} release notes that Kommander's apps run on ${bareVersion(version)}; hold the cluster's own upgrades until DKP supports it.`,
      { kubernetes: bareVersion(version), targetDkp },
    ),
  ]
}

// ------------------------------------------------------------------------------ CAPI

/** The CAPI Cluster: present, `Provisioned`, Ready=True, not paused. */
export function capiClusterFindings(
  cluster: string,
  namespace: string,
  obj: CapiCluster | undefined,
): Finding[] {
  if (!obj) {
    return [
      finding(
        HEALTH.capiCluster,
        'error',
        cluster,
        { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Cluster', namespace, name: cluster },
        `CAPI Cluster ${namespace}/${cluster} does not exist on the management cluster, so cluster ${cluster} cannot be upgraded by DKP.`,
        'Fix the cluster name or namespace in the inventory (clusters[].namespace), or mark the cluster `attached: true` if DKP does not manage its Kubernetes.',
      ),
    ]
  }
  const out: Finding[] = []
  const object = objectRef(obj)
  const phase = obj.status?.phase
  const ready = condition(obj, 'Ready')
  const problems: string[] = []
  if (phase !== 'Provisioned') problems.push(`phase ${phase ?? 'not reported'}`)
  if (ready?.status !== 'True') problems.push(conditionState('Ready', ready))
  if (problems.length > 0) {
    out.push(
      finding(
        HEALTH.capiCluster,
        'error',
        cluster,
        object,
        `CAPI Cluster ${nsName(obj)} is not Provisioned and Ready: ${problems.join(', ')}.`,
        `Inspect it (kubectl -n ${obj.metadata.namespace} describe cluster ${obj.metadata.name}; clusterctl describe cluster ${obj.metadata.name} -n ${obj.metadata.namespace}) and repair it before upgrading.`,
        phase ? { phase } : undefined,
      ),
    )
  }
  if (obj.spec?.paused) {
    out.push(
      finding(
        HEALTH.capiCluster,
        'warning',
        cluster,
        object,
        `CAPI Cluster ${nsName(obj)} is paused: CAPI does not reconcile it, so a control plane or node pool update would wait forever.`,
        `Unpause it before its upgrade (kubectl -n ${obj.metadata.namespace} patch cluster ${obj.metadata.name} --type merge -p '{"spec":{"paused":false}}'), unless a move or maintenance is in progress.`,
      ),
    )
  }
  return out
}

/** A stage's convergence detail without its "<object>: " prefix and "(target v…)" notes: the finding names both already. */
function convergenceDetail(detail: string): string {
  return detail.replace(/^[^:]*: /, '').replace(/ \(target v[^)]*\)/g, '')
}

/** The control plane converged at its own spec version: no rollout in progress, replicas ready. */
export function controlPlaneFindings(
  cluster: string,
  cp: KubeadmControlPlane | ManagedControlPlane,
): Finding[] {
  const spec = cp.spec?.version
  const state =
    cp.kind === 'KubeadmControlPlane'
      ? controlPlaneState(cp as KubeadmControlPlane, spec ?? '')
      : managedControlPlaneState(cp as ManagedControlPlane, spec ?? '')
  if (state.done) return []
  const detail = convergenceDetail(state.detail)
  return [
    finding(
      HEALTH.controlPlane,
      'error',
      cluster,
      objectRef(cp),
      `The control plane of ${cluster} (${cp.kind} ${nsName(cp)}) has not converged at ${spec ?? 'its version'}: ${detail}.`,
      `A rollout is in progress or stuck. Wait for it to finish (kubectl -n ${cp.metadata.namespace} get ${cp.kind.toLowerCase()} ${cp.metadata.name}; kubectl -n ${cp.metadata.namespace} get machines -l cluster.x-k8s.io/cluster-name=${cluster} -o wide) and repair machines that do not become Ready before upgrading.`,
      spec ? { version: bareVersion(spec) } : undefined,
    ),
  ]
}

/** A node pool converged at its template version: replicas updated and ready, its machines at that version. */
export function nodePoolFindings(
  cluster: string,
  pool: MachineDeployment | MachinePool,
  machines: readonly Machine[],
): Finding[] {
  const spec = pool.spec?.template?.spec?.version
  const state = nodePoolState(pool, [...machines], spec ?? '')
  if (state.done) return []
  const detail = convergenceDetail(state.detail)
  return [
    finding(
      HEALTH.nodePool,
      'error',
      cluster,
      objectRef(pool),
      `Node pool ${pool.metadata.name} of ${cluster} (${pool.kind} ${nsName(pool)}) has not converged at ${spec ?? 'its version'}: ${detail}.`,
      `A rollout is in progress or stuck (PodDisruptionBudgets blocking drains are the usual cause). Wait for it (kubectl -n ${pool.metadata.namespace} get ${pool.kind.toLowerCase()} ${pool.metadata.name}; kubectl -n ${pool.metadata.namespace} get machines -l cluster.x-k8s.io/deployment-name=${pool.metadata.name} -o wide) before upgrading.`,
      spec ? { version: bareVersion(spec) } : undefined,
    ),
  ]
}

/** A node pool the inventory lists that has no MachineDeployment/MachinePool. */
export function missingPoolFinding(cluster: string, namespace: string, pool: string): Finding {
  return finding(
    HEALTH.nodePool,
    'error',
    cluster,
    { apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineDeployment', namespace, name: pool },
    `Node pool ${pool} of ${cluster} is listed in the inventory but no MachineDeployment or MachinePool ${namespace}/${pool} exists, so dkp update nodepool would fail.`,
    `Fix clusters[].nodepools in the inventory (kubectl -n ${namespace} get machinedeployments -l cluster.x-k8s.io/cluster-name=${cluster} lists the real ones), or leave nodepools out to discover them.`,
  )
}

/** Machines (what CAPI shows of the nodes): phase Running and NodeHealthy=True. Deleting ones are part of a rollout. */
export function machineFindings(cluster: string, machines: readonly Machine[]): Finding[] {
  const out: Finding[] = []
  for (const m of machines) {
    if (m.metadata.deletionTimestamp) continue
    const phase = m.status?.phase
    const healthy = condition(m, 'NodeHealthy')
    const problems: string[] = []
    if (phase !== 'Running') problems.push(`phase ${phase ?? 'not reported'}`)
    if (healthy?.status !== 'True') problems.push(conditionState('NodeHealthy', healthy))
    if (problems.length === 0) continue
    const kubelet = m.status?.nodeInfo?.kubeletVersion
    out.push(
      finding(
        HEALTH.machine,
        'error',
        cluster,
        objectRef(m),
        `Machine ${nsName(m)} of ${cluster} is not Ready: ${problems.join(', ')}.`,
        `Repair or replace the machine before upgrading (kubectl -n ${m.metadata.namespace} describe machine ${m.metadata.name}; deleting an unhealthy worker Machine lets its MachineDeployment replace it). Upgrades drain and replace nodes, so an unhealthy one stalls them.`,
        { ...(phase ? { phase } : {}), ...(kubelet ? { kubeletVersion: bareVersion(kubelet) } : {}) },
      ),
    )
  }
  return out
}

/**
 * Oldest kubelet a kube-apiserver of this minor supports (Kubernetes version skew policy: up to
 * three minors older from 1.28, two before; never newer).
 */
export const maxKubeletSkew = (apiserverMinor: number): number => (apiserverMinor >= 28 ? 3 : 2)

export interface PoolKubelets {
  /** The MachineDeployment/MachinePool. */
  object: KubeObject
  machines: readonly Machine[]
}

/**
 * Kubelet versions of each node pool against the control plane, now and once the control plane
 * runs the target: newer than the control plane or beyond the skew policy is an error; pools a
 * minor or more behind (a previous upgrade left unfinished) are a warning.
 */
export function skewFindings(
  cluster: string,
  controlPlane: { version: string | undefined; object: KubeObject } | undefined,
  pools: readonly PoolKubelets[],
  target: string,
): Finding[] {
  const cp = controlPlane?.version ? minorNumber(bareVersion(controlPlane.version)) : undefined
  const to = minorNumber(target)
  if (cp === undefined) return []
  const out: Finding[] = []
  for (const pool of pools) {
    const kubelets = pool.machines
      .filter((m) => !m.metadata.deletionTimestamp)
      .map((m) => m.status?.nodeInfo?.kubeletVersion ?? m.spec?.version)
      .filter((v): v is string => !!v)
    const minors = kubelets
      .map((v) => minorNumber(bareVersion(v)))
      .filter((n): n is number => n !== undefined)
    if (minors.length === 0) continue
    const low = Math.min(...minors)
    const high = Math.max(...minors)
    const lowVersion = bareVersion(kubelets[minors.indexOf(low)]!)
    const object = objectRef(pool.object)
    const cpVersion = bareVersion(controlPlane!.version!)
    const details = { controlPlane: cpVersion, oldestKubelet: lowVersion, target }
    if (high > cp) {
      out.push(
        finding(
          HEALTH.skew,
          'error',
          cluster,
          object,
          `Node pool ${pool.object.metadata.name} of ${cluster} runs kubelet 1.${high} while its control plane runs ${cpVersion}: kubelets must never be newer than the API server.`,
          "Bring the control plane to the node pool's version first (dkp update controlplane), or roll the pool back to the control plane's version.",
          details,
        ),
      )
      continue
    }
    const allowedNow = maxKubeletSkew(cp)
    if (cp - low > allowedNow) {
      out.push(
        finding(
          HEALTH.skew,
          'error',
          cluster,
          object,
          `Node pool ${pool.object.metadata.name} of ${cluster} runs kubelet ${lowVersion}, ${cp - low} minors behind its control plane ${cpVersion}; the Kubernetes skew policy allows ${allowedNow}.`,
          `Upgrade the node pool to the control plane's version (dkp update nodepool ... --kubernetes-version v${cpVersion}) before anything else.`,
          details,
        ),
      )
      continue
    }
    if (to !== undefined && to > cp && to - low > maxKubeletSkew(to)) {
      out.push(
        finding(
          HEALTH.skew,
          'error',
          cluster,
          object,
          `Node pool ${pool.object.metadata.name} of ${cluster} runs kubelet ${lowVersion}: once the control plane runs ${target} it would be ${to - low} minors behind, more than the ${maxKubeletSkew(to)} the Kubernetes skew policy allows.`,
          `Upgrade the node pool to the control plane's version (${cpVersion}) before upgrading the control plane to ${target}.`,
          details,
        ),
      )
      continue
    }
    if (cp - low >= 1) {
      out.push(
        finding(
          HEALTH.skew,
          'warning',
          cluster,
          object,
          `Node pool ${pool.object.metadata.name} of ${cluster} runs kubelet ${lowVersion} while its control plane runs ${cpVersion}: a previous upgrade did not finish on this pool (allowed by the skew policy, but the pool skips a minor when it goes to ${target}).`,
          `Finish the previous upgrade (dkp update nodepool ... --kubernetes-version v${cpVersion}) before starting the next one.`,
          details,
        ),
      )
    }
  }
  return out
}

// ------------------------------------------------------------------------------ backup

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
  const reason = state.pending.join('; ') || 'no fresh backup'
  if (/Velero is not installed/.test(reason)) {
    return [
      finding(
        HEALTH.backup,
        'error',
        cluster,
        undefined,
        `${reason.replace(/:.*$/, '')}: the pipeline's backup stage cannot take the pre-upgrade backup the DKP docs require.`,
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

// ------------------------------------------------------------------------------ rules

// The help texts are data: data/rules.json (src/core/rule-help.ts).
const HELP = Object.fromEntries(Object.values(HEALTH).map((id) => [id, ruleHelp(id)])) as Record<
  HealthRuleId,
  RuleHelp
>

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
