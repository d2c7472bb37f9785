// Kinds, names and status shapes of the simulated DKP fleet, shared by seeding, the simulated
// controllers and the stand-in dkp (reference/dkp.md §4). Pure.

import { createHash } from 'node:crypto'
import type { AnyObject } from '../effects/kube.js'

export type { AnyObject }

export const API = {
  cluster: 'cluster.x-k8s.io/v1beta1',
  controlPlane: 'controlplane.cluster.x-k8s.io/v1beta1',
  awsManagedControlPlane: 'controlplane.cluster.x-k8s.io/v1beta2',
  addons: 'addons.cluster.x-k8s.io/v1beta1',
  clusterctl: 'clusterctl.cluster.x-k8s.io/v1alpha3',
  helm: 'helm.toolkit.fluxcd.io/v2beta2',
  helmV1: 'helm.toolkit.fluxcd.io/v2beta1',
  source: 'source.toolkit.fluxcd.io/v1',
  sourceV1beta2: 'source.toolkit.fluxcd.io/v1beta2',
  workspaces: 'workspaces.kommander.mesosphere.io/v1alpha1',
  kommander: 'kommander.mesosphere.io/v1beta1',
  apps: 'apps.kommander.d2iq.io/v1alpha2',
  dkp: 'dkp.d2iq.io/v1alpha1',
  velero: 'velero.io/v1',
  deployments: 'apps/v1',
} as const

export const KOMMANDER_NS = 'kommander'
export const MGMT_WORKSPACE = 'kommander-workspace'
export const HOST_CLUSTER = 'host-cluster'
export const CLUSTER_NAME = 'cluster.x-k8s.io/cluster-name'
export const CONTROL_PLANE_LABEL = 'cluster.x-k8s.io/control-plane'
export const CONTROL_PLANE_NAME = 'cluster.x-k8s.io/control-plane-name'
export const DEPLOYMENT_NAME = 'cluster.x-k8s.io/deployment-name'
export const PROVIDER_LABEL = 'konvoy.d2iq.io/provider'
/** Marks every object the fleet seeded (for cleanup and selection in tests). */
export const SEEDED_LABEL = 'dkp-fleet.dev/seeded'
/** Simulator fault switch on any object: `stall`, `fail:<reason>`, `slow:<n>`. */
export const FAULT_ANNOTATION = 'sim.dkp-fleet.dev/fault'

/** Short deterministic lowercase suffix. */
export function suffix(seed: string, len = 5): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789'
  const h = createHash('sha256').update(seed).digest()
  let out = ''
  for (let i = 0; i < len; i++) out += alphabet[(h[i] as number) % alphabet.length]
  return out
}

/** Deterministic lowercase hex of any length (digests, revisions). */
export function hex(seed: string, len = 64): string {
  let out = ''
  for (let i = 0; out.length < len; i++) out += createHash('sha256').update(`${i}/${seed}`).digest('hex')
  return out.slice(0, len)
}

export const vPrefixed = (v: string): string => (v.startsWith('v') ? v : `v${v}`)
export const bare = (v: string): string => v.replace(/^v/, '')

/** `metav1.Time`: RFC 3339, whole seconds. */
export const kubeTime = (d: Date = new Date()): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z')

export interface Condition {
  type: string
  status: 'True' | 'False' | 'Unknown'
  reason?: string
  message?: string
  severity?: string
  lastTransitionTime: string
  observedGeneration?: number
}

/** Sets a condition, keeping lastTransitionTime when the status does not change. */
export function setCondition(conditions: Condition[] | undefined, next: Condition): Condition[] {
  const list = [...(conditions ?? [])]
  const i = list.findIndex((c) => c.type === next.type)
  if (i < 0) return [...list, next]
  const prev = list[i] as Condition
  list[i] = {
    ...next,
    lastTransitionTime: prev.status === next.status ? prev.lastTransitionTime : next.lastTransitionTime,
  }
  return list
}

export function capiCondition(
  type: string,
  ok: boolean,
  now: string,
  reason?: string,
  message?: string,
): Condition {
  return ok
    ? { type, status: 'True', lastTransitionTime: now }
    : {
        type,
        status: 'False',
        severity: 'Warning',
        reason: reason ?? 'NotReady',
        ...(message ? { message } : {}),
        lastTransitionTime: now,
      }
}

export function getCondition(obj: AnyObject | undefined, type: string): Condition | undefined {
  const list = (obj?.status as { conditions?: Condition[] } | undefined)?.conditions
  return list?.find((c) => c.type === type)
}

/** Path helper for untyped JSON. */
export function dig<T = unknown>(obj: unknown, ...path: (string | number)[]): T | undefined {
  let cur: unknown = obj
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = (cur as Record<string | number, unknown>)[key]
  }
  return cur as T | undefined
}

// ---------------------------------------------------------------- HelmRelease spec

/** Label Kommander puts on the HelmReleases an AppDeployment renders (C: KA v2.8.1 rook-ceph-cluster pre-install job reads it). */
export const MANAGED_BY_KIND = 'kommander.d2iq.io/managed-by-kind'
/** Test-fleet bookkeeping: the app (`<appId>-<version>`) a seeded/rendered HelmRelease belongs to (I: not a Kommander label). */
export const RENDERED_FROM = 'sim.dkp-fleet.dev/app'

export interface HelmReleaseSpecInput {
  name: string
  namespace: string
  /** Chart name, or a chart path in the Kommander applications repository (`services/…/x.tgz`). */
  chart: string
  version: string
  /** The app version directory the release comes from (names its values ConfigMap). */
  appId: string
  appVersion: string
  /** Values ConfigMaps as the release table lists them; default `<appId>-<appVersion>-d2iq-defaults` (I). */
  values?: string[] | undefined
  labels?: Record<string, string>
}

/**
 * A HelmRelease shaped like the ones in the release manifests (KA `services/<app>/<version>/*.yaml`:
 * chart from a HelmRepository in `kommander-flux`, or from the applications GitRepository for a
 * chart path; interval 15s; CreateReplace CRDs; 30 retries; `<appId>-<version>-d2iq-defaults`
 * values), in the namespace Kommander renders it into.
 */
export function helmReleaseObject(apiVersion: string, input: HelmReleaseSpecInput): AnyObject {
  return {
    apiVersion,
    kind: 'HelmRelease',
    metadata: {
      name: input.name,
      namespace: input.namespace,
      labels: {
        [MANAGED_BY_KIND]: 'AppDeployment',
        [RENDERED_FROM]: `${input.appId}-${input.appVersion}`,
        ...input.labels,
      },
    },
    spec: helmReleaseSpec(input),
  }
}

/** The spec part: what a new app version changes (chart, version, values ConfigMap). */
export function helmReleaseSpec(
  input: Pick<
    HelmReleaseSpecInput,
    'name' | 'namespace' | 'chart' | 'version' | 'appId' | 'appVersion' | 'values'
  >,
): Record<string, unknown> {
  const sourceRef = input.chart.includes('/')
    ? { kind: 'GitRepository', name: 'management', namespace: 'kommander-flux' }
    : { kind: 'HelmRepository', name: `${input.chart}-charts`, namespace: 'kommander-flux' }
  return {
    chart: { spec: { chart: input.chart, sourceRef, version: input.version } },
    interval: '15s',
    install: { crds: 'CreateReplace', remediation: { retries: 30 } },
    upgrade: { crds: 'CreateReplace', remediation: { retries: 30 } },
    releaseName: input.name,
    targetNamespace: input.namespace,
    valuesFrom: (input.values ?? [`${input.appId}-${input.appVersion}-d2iq-defaults`]).map((name) => ({
      kind: 'ConfigMap',
      name,
    })),
  }
}

// ---------------------------------------------------------------- HelmRelease status

export interface HelmHistoryEntry {
  name: string
  namespace: string
  version: number
  status: string
  chartName: string
  chartVersion: string
  configDigest: string
  digest: string
  firstDeployed: string
  lastDeployed: string
  appVersion?: string
}

/** Status of a HelmRelease released at `chartVersion` (v2beta2 shape; v2beta1 readers see the same fields minus history). */
export function helmReleaseReleased(hr: AnyObject, now: string): Record<string, unknown> {
  const chart = dig<string>(hr, 'spec', 'chart', 'spec', 'chart') ?? hr.metadata.name!
  const chartVersion = dig<string>(hr, 'spec', 'chart', 'spec', 'version') ?? '0.0.0'
  const ns = dig<string>(hr, 'spec', 'targetNamespace') ?? hr.metadata.namespace!
  const name = dig<string>(hr, 'spec', 'releaseName') ?? hr.metadata.name!
  const prev = (dig<HelmHistoryEntry[]>(hr, 'status', 'history') ?? []).filter(
    (h) => h && typeof h === 'object',
  )
  const revision = (prev[0]?.version ?? 0) + 1
  const installed = prev.length === 0
  const digest = `sha256:${createHash('sha256').update(`${ns}/${name}@${chart}:${chartVersion}#${revision}`).digest('hex')}`
  const entry: HelmHistoryEntry = {
    name,
    namespace: ns,
    version: revision,
    status: 'deployed',
    chartName: chart,
    chartVersion,
    configDigest: `sha256:${createHash('sha256')
      .update(JSON.stringify(hr.spec?.values ?? {}))
      .digest('hex')}`,
    digest,
    firstDeployed: prev[prev.length - 1]?.firstDeployed ?? now,
    lastDeployed: now,
    appVersion: chartVersion,
  }
  const superseded = prev.slice(0, 4).map((h) => ({ ...h, status: 'superseded' }))
  const message = `Helm ${installed ? 'install' : 'upgrade'} succeeded for release ${ns}/${name}.v${revision} with chart ${chart}@${chartVersion}`
  const conditions = setCondition(
    setCondition(
      // a release that succeeded is neither reconciling nor stalled any more
      (dig<Condition[]>(hr, 'status', 'conditions') ?? []).filter(
        (c) => c.type !== 'Reconciling' && c.type !== 'Stalled',
      ),
      {
        type: 'Ready',
        status: 'True',
        reason: installed ? 'InstallSucceeded' : 'UpgradeSucceeded',
        message,
        lastTransitionTime: now,
        observedGeneration: hr.metadata.generation,
      },
    ),
    {
      type: 'Released',
      status: 'True',
      reason: installed ? 'InstallSucceeded' : 'UpgradeSucceeded',
      message,
      lastTransitionTime: now,
      observedGeneration: hr.metadata.generation,
    },
  )
  return {
    observedGeneration: hr.metadata.generation ?? 1,
    lastAttemptedGeneration: hr.metadata.generation ?? 1,
    lastAppliedRevision: chartVersion,
    lastAttemptedRevision: chartVersion,
    lastAttemptedConfigDigest: entry.configDigest,
    lastAttemptedReleaseAction: installed ? 'install' : 'upgrade',
    helmChart: `${dig<string>(hr, 'spec', 'chart', 'spec', 'sourceRef', 'namespace') ?? hr.metadata.namespace}/${hr.metadata.namespace}-${hr.metadata.name}`,
    history: [entry, ...superseded],
    conditions,
  }
}

/** Status of a HelmRelease whose new chart is being reconciled. */
export function helmReleaseProgressing(hr: AnyObject, now: string): Record<string, unknown> {
  const chartVersion = dig<string>(hr, 'spec', 'chart', 'spec', 'version') ?? '0.0.0'
  const message = 'Reconciliation in progress'
  return {
    ...(hr.status ?? {}),
    lastAttemptedRevision: chartVersion,
    lastAttemptedGeneration: hr.metadata.generation ?? 1,
    conditions: setCondition(
      setCondition(dig<Condition[]>(hr, 'status', 'conditions'), {
        type: 'Ready',
        status: 'Unknown',
        reason: 'Progressing',
        message,
        lastTransitionTime: now,
        observedGeneration: hr.metadata.generation,
      }),
      {
        type: 'Reconciling',
        status: 'True',
        reason: 'Progressing',
        message,
        lastTransitionTime: now,
        observedGeneration: hr.metadata.generation,
      },
    ),
  }
}

/**
 * Status of a HelmRelease whose upgrade failed (fault injection), as helm-controller writes it:
 * Ready/Released=False `UpgradeFailed`, one more `upgradeFailures`; once they exceed
 * spec.upgrade.remediation.retries (default 0, negative = unlimited) the retries are exhausted
 * and it is Stalled=True `RetriesExceeded` "Failed to upgrade after N attempt(s)"
 * (fluxcd/helm-controller internal/reconcile/atomic_release.go).
 */
export function helmReleaseFailed(hr: AnyObject, now: string, reason: string): Record<string, unknown> {
  const chartVersion = dig<string>(hr, 'spec', 'chart', 'spec', 'version') ?? '0.0.0'
  const message = `Helm upgrade failed: ${reason}`
  const base = { lastTransitionTime: now, observedGeneration: hr.metadata.generation, message }
  const failures = Number(dig<number>(hr, 'status', 'upgradeFailures') ?? 0) + 1
  const retries = Number(dig<number>(hr, 'spec', 'upgrade', 'remediation', 'retries') ?? 0)
  let conditions = setCondition(
    setCondition(
      (dig<Condition[]>(hr, 'status', 'conditions') ?? []).filter((c) => c.type !== 'Reconciling'),
      { ...base, type: 'Ready', status: 'False', reason: 'UpgradeFailed' },
    ),
    { ...base, type: 'Released', status: 'False', reason: 'UpgradeFailed' },
  )
  if (retries >= 0 && failures > retries)
    conditions = setCondition(conditions, {
      ...base,
      type: 'Stalled',
      status: 'True',
      reason: 'RetriesExceeded',
      message: `Failed to upgrade after ${failures} attempt(s)`,
    })
  return {
    ...(hr.status ?? {}),
    observedGeneration: hr.metadata.generation ?? 1,
    lastAttemptedRevision: chartVersion,
    upgradeFailures: failures,
    conditions,
  }
}

/** helm-controller gave up on it: remediation retries exhausted (Stalled=True). */
export function helmReleaseStalled(hr: AnyObject | undefined): boolean {
  return getCondition(hr, 'Stalled')?.status === 'True'
}

export function helmReleaseAt(hr: AnyObject | undefined): string | undefined {
  return dig<string>(hr, 'status', 'lastAppliedRevision')
}

export function helmReleaseReady(hr: AnyObject | undefined): boolean {
  return getCondition(hr, 'Ready')?.status === 'True'
}

/** Released at its spec version and Ready, observed at its generation. */
export function helmReleaseConverged(hr: AnyObject | undefined): boolean {
  if (!hr) return false
  const want = dig<string>(hr, 'spec', 'chart', 'spec', 'version')
  return (
    helmReleaseReady(hr) &&
    helmReleaseAt(hr) === want &&
    dig<number>(hr, 'status', 'observedGeneration') === hr.metadata.generation
  )
}

// ---------------------------------------------------------------- Machines

export function nodeInfo(kubeletVersion: string, name: string): Record<string, string> {
  return {
    architecture: 'amd64',
    bootID: suffix(`boot/${name}`, 12),
    containerRuntimeVersion: 'containerd://1.7.13',
    kernelVersion: '5.15.0-1051-aws',
    kubeProxyVersion: kubeletVersion,
    kubeletVersion,
    machineID: suffix(`machine/${name}`, 16),
    operatingSystem: 'linux',
    osImage: 'Ubuntu 22.04.3 LTS',
    systemUUID: suffix(`uuid/${name}`, 16),
  }
}

export function machineRunningStatus(m: AnyObject, now: string): Record<string, unknown> {
  const version = dig<string>(m, 'spec', 'version') ?? ''
  const name = m.metadata.name!
  return {
    phase: 'Running',
    bootstrapReady: true,
    infrastructureReady: true,
    observedGeneration: m.metadata.generation ?? 1,
    lastUpdated: now,
    nodeRef: { apiVersion: 'v1', kind: 'Node', name: `ip-${suffix(`node/${name}`, 8)}` },
    nodeInfo: nodeInfo(version, name),
    addresses: [
      {
        type: 'InternalIP',
        address: `10.0.${(name.length * 7) % 250}.${(suffix(name).charCodeAt(0) * 3) % 250}`,
      },
    ],
    conditions: [
      capiCondition('Ready', true, now),
      capiCondition('BootstrapReady', true, now),
      capiCondition('InfrastructureReady', true, now),
      capiCondition('NodeHealthy', true, now),
    ],
  }
}

/** A Machine's desired-state key: version + infrastructure template. */
export function machineTemplateKey(version: string, infraName: string): string {
  return suffix(`${vPrefixed(version)}/${infraName}`, 10)
}

export const MACHINE_TEMPLATE_HASH = 'machine-template-hash'

/** The Machine object (no status) for a control plane or node pool member. */
export function machineObject(opts: {
  /** The template the machine was cloned from (its name goes into the template-hash label). */
  name: string
  namespace: string
  cluster: string
  version: string
  infrastructureRef: { apiVersion: string; kind: string; name: string }
  bootstrapKind: string
  controlPlane?: string
  deployment?: string
  failureDomain?: string
}): AnyObject {
  const labels: Record<string, string> = {
    [CLUSTER_NAME]: opts.cluster,
    [MACHINE_TEMPLATE_HASH]: machineTemplateKey(opts.version, opts.infrastructureRef.name),
  }
  if (opts.controlPlane) {
    labels[CONTROL_PLANE_LABEL] = ''
    labels[CONTROL_PLANE_NAME] = opts.controlPlane
  }
  if (opts.deployment) {
    labels[DEPLOYMENT_NAME] = opts.deployment
    labels['cluster.x-k8s.io/set-name'] = `${opts.deployment}-${labels[MACHINE_TEMPLATE_HASH]}`
  }
  return {
    apiVersion: API.cluster,
    kind: 'Machine',
    metadata: { name: opts.name, namespace: opts.namespace, labels },
    spec: {
      clusterName: opts.cluster,
      version: vPrefixed(opts.version),
      bootstrap: {
        configRef: {
          apiVersion: 'bootstrap.cluster.x-k8s.io/v1beta1',
          kind: opts.bootstrapKind,
          name: opts.name,
          namespace: opts.namespace,
        },
        dataSecretName: opts.name,
      },
      // the provider's per-machine object (AWSMachine, …) cloned from the template
      infrastructureRef: {
        apiVersion: opts.infrastructureRef.apiVersion,
        kind: opts.infrastructureRef.kind.replace(/Template$/, ''),
        name: opts.name,
        namespace: opts.namespace,
      },
      providerID: `sim:///${opts.namespace}/${opts.name}`,
      ...(opts.failureDomain ? { failureDomain: opts.failureDomain } : {}),
    },
  }
}

// ---------------------------------------------------------------- providers

export const INFRA_KIND: Record<string, { apiVersion: string; cluster: string; machineTemplate: string }> = {
  aws: {
    apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2',
    cluster: 'AWSCluster',
    machineTemplate: 'AWSMachineTemplate',
  },
  eks: {
    apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2',
    cluster: 'AWSManagedCluster',
    machineTemplate: 'AWSMachineTemplate',
  },
  azure: {
    apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
    cluster: 'AzureCluster',
    machineTemplate: 'AzureMachineTemplate',
  },
  vsphere: {
    apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
    cluster: 'VSphereCluster',
    machineTemplate: 'VSphereMachineTemplate',
  },
  preprovisioned: {
    apiVersion: 'infrastructure.cluster.konvoy.d2iq.io/v1alpha1',
    cluster: 'PreprovisionedCluster',
    machineTemplate: 'PreprovisionedMachineTemplate',
  },
  gcp: {
    apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
    cluster: 'GCPCluster',
    machineTemplate: 'GCPMachineTemplate',
  },
}

export function infraKind(provider: string) {
  return INFRA_KIND[provider] ?? (INFRA_KIND.aws as (typeof INFRA_KIND)['aws'])
}

// ---------------------------------------------------------------- EKS

/**
 * CAPA v2.2's AWSManagedControlPlane status has no `version` field (the CRD prunes it), so the
 * applied Kubernetes version is carried by the `EKSControlPlaneUpdating` condition: False with
 * reason `Updated` and message `Kubernetes version <v>` once an update is done (I).
 */
export const EKS_UPDATING = 'EKSControlPlaneUpdating'

export function eksVersionCondition(version: string, now: string): Condition {
  return {
    type: EKS_UPDATING,
    status: 'False',
    severity: 'Info',
    reason: 'Updated',
    message: `Kubernetes version ${version}`,
    lastTransitionTime: now,
  }
}

/** The Kubernetes version a control plane has applied: KCP/newer CAPA `status.version`, else the EKS condition. */
export function controlPlaneVersion(cp: AnyObject | undefined): string | undefined {
  const direct = dig<string>(cp, 'status', 'version')
  if (direct) return direct
  const c = getCondition(cp, EKS_UPDATING)
  return c?.status === 'False' && c.reason === 'Updated'
    ? /Kubernetes version (\S+)/.exec(c.message ?? '')?.[1]
    : undefined
}
