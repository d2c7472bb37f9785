// HelmRelease objects of the simulated fleet: the spec Kommander renders for an app, and the
// statuses helm-controller writes (released, progressing, failed) with the checks on them.
// Pure.

import { createHash } from 'node:crypto'
import { type AnyObject, type Condition, dig, getCondition, setCondition } from './object-basics.js'

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
