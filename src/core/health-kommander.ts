// Health gates of `check` over Kommander's objects: HelmReleases, AppDeployments, workspaces,
// KommanderClusters and attached clusters' Kubernetes. Pure (health.ts has the shared parts).

import type { Finding } from './findings.js'
import { conditionNote, finding, HEALTH, noteSuffix, nsName, objectRef } from './health.js'
import {
  type AppDeployment,
  condition,
  type HelmRelease,
  type KommanderApp,
  type KommanderCluster,
} from './kinds.js'
import { helmReleaseView } from './kommander-releases.js'
import { bareVersion, kubernetesSupport } from './versions.js'

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
  const support = kubernetesSupport(targetDkp, version)
  if (!support.reason) return []
  const problem = support.reason
  const older = support.kind === 'older'
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
