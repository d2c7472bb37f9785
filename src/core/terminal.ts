// Terminal states: objects that will not reach their target without someone stepping in. A
// stage that meets one stops waiting within one poll, kills dkp, and fails naming the object,
// the reason and message its controller gave, and what to do next. Pure functions over objects
// (typed fields and condition types/reasons, never message text); the stages put the result in
// StepState.failed, and flow.ts turns it into a TerminalError.
//
// What counts (facts: C = controller source, I = inferred):
// - MachineDeployment: status.phase `Failed`, or Ready=False with reason `MachineDeploymentFailed`
//   (CAPI v1beta1 phases; the reason is the simulator's and DKP's (I)).
// - KubeadmControlPlane, AWSManagedControlPlane, AzureManagedControlPlane: status.failureReason /
//   failureMessage set — CAPI v1beta1 documents them as "a terminal problem reconciling" (C).
// - HelmRelease (helm-controller): Stalled=True — helm-controller v2/v2beta2 marks a release
//   Stalled with reason `RetriesExceeded` ("Failed to <action> after N attempt(s)") or
//   `MissingRollbackTarget` when remediation retries are exhausted (C: fluxcd/helm-controller
//   internal/reconcile/atomic_release.go); v2beta1 instead leaves Ready=False with the Released
//   reason `InstallFailed`/`UpgradeFailed` once status.installFailures/upgradeFailures exceed
//   spec.install/upgrade.remediation.retries (default 0, negative = unlimited) (C: fluxcd/
//   helm-controller api/v2beta1 helmrelease_types.go RetriesExhausted, and its controller's
//   "install/upgrade retries exhausted"). Reasons: api/v2 condition_types.go.
// - Velero Backup: phase `Failed`, `PartiallyFailed` or `FailedValidation` (Velero v1 API) (C).
// - Machine being deleted whose node drain outlasted spec.nodeDrainTimeout: drain start is
//   status.deletion.nodeDrainStartTime (CAPI ≥ 1.9), else the lastTransitionTime of the
//   DrainingSucceeded=False condition, which CAPI v1beta1 sets once when the drain starts
//   (C: kubernetes-sigs/cluster-api internal/controllers/machine/machine_controller.go,
//   nodeDrainTimeoutExceeded). CAPI itself gives up draining at the timeout and moves on; a
//   Machine still there after it is stuck (I).
// Objects whose status is older than their spec (observedGeneration < generation) are never
// terminal: the controller has not looked at the current spec yet.

import { WorkError } from './errors.js'
import { type Condition, condition, ref } from './kinds.js'
import type { KubeObject } from './kube-object.js'

export interface TerminalState {
  /** `MachineDeployment team-a/prod-east-1-md-0`, `HelmRelease kommander/grafana on cluster prod`. */
  object: string
  /** The condition reason or phase that says it is over: `MachineDeploymentFailed`, `RetriesExceeded`. */
  reason: string
  /** What the controller says (condition message, failure message, Velero's errors). */
  message: string
  /** What to do next. */
  next: string
  /** When it became terminal (the condition's lastTransitionTime), when known. */
  since?: string
}

/** A stage met a terminal state: carries it for the result and the summary. */
export class TerminalError extends WorkError {
  constructor(
    readonly failure: TerminalState,
    /** The dkp command line that was killed because of it. */
    readonly killed?: string,
  ) {
    super(`${describeTerminal(failure)}${killed ? ` (stopped waiting and killed ${killed})` : ''}`)
    this.name = 'TerminalError'
  }
}

/** One line: `<object> failed (<reason>): <message>. Next: <next>`. */
export function describeTerminal(t: TerminalState): string {
  return `${t.object} failed (${t.reason}): ${t.message.replace(/\.?\s*$/, '')}. Next: ${t.next}`
}

type WithStatus = KubeObject & {
  spec?: Record<string, unknown>
  status?: Record<string, unknown> & { conditions?: Condition[]; observedGeneration?: number }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined)

/** The controller has seen the current spec (true when either side is not reported). */
function observed(o: WithStatus): boolean {
  const seen = num(o.status?.observedGeneration)
  const gen = o.metadata.generation
  return seen === undefined || gen === undefined || seen >= gen
}

/** The terminal state of one object, or undefined. `now` matters for drains only. */
export function terminalState(obj: KubeObject, now: Date = new Date()): TerminalState | undefined {
  const o = obj as WithStatus
  switch (obj.kind) {
    case 'MachineDeployment':
      return machineDeploymentTerminal(o)
    case 'KubeadmControlPlane':
    case 'AWSManagedControlPlane':
    case 'AzureManagedControlPlane':
      return controlPlaneTerminal(o)
    case 'HelmRelease':
      return helmReleaseTerminal(o)
    case 'Backup':
      return backupTerminal(o)
    case 'Machine':
      return machineDrainTerminal(o, now)
    default:
      return undefined
  }
}

/** The first terminal state among objects (in their order). */
export function firstTerminal(objects: readonly KubeObject[], now?: Date): TerminalState | undefined {
  for (const o of objects) {
    const t = terminalState(o, now)
    if (t) return t
  }
  return undefined
}

/** The first terminal HelmRelease on workload clusters, its object naming the cluster. */
export function firstTerminalOn(
  clusters: readonly { cluster: string; helmReleases?: readonly KubeObject[]; helmRelease?: KubeObject }[],
): TerminalState | undefined {
  for (const c of clusters) {
    const t = firstTerminal(c.helmReleases ?? (c.helmRelease ? [c.helmRelease] : []))
    if (t) return { ...t, object: `${t.object} on cluster ${c.cluster}` }
  }
  return undefined
}

/** Same terminal state (same object, reason and time): one that was there before dkp started. */
export function sameTerminal(a: TerminalState | undefined, b: TerminalState | undefined): boolean {
  return !!a && !!b && a.object === b.object && a.reason === b.reason && a.since === b.since
}

const since = (c: Condition | undefined): { since?: string } =>
  c?.lastTransitionTime ? { since: c.lastTransitionTime } : {}

export function machineDeploymentTerminal(md: WithStatus): TerminalState | undefined {
  if (!observed(md)) return undefined
  const ready = condition(md, 'Ready')
  const failedReady = ready?.status === 'False' && ready.reason === 'MachineDeploymentFailed'
  if (str(md.status?.phase) !== 'Failed' && !failedReady) return undefined
  const ns = md.metadata.namespace ?? ''
  const name = md.metadata.name ?? ''
  return {
    object: `MachineDeployment ${ref(md)}`,
    reason: failedReady ? 'MachineDeploymentFailed' : (ready?.reason ?? 'Failed'),
    message: ready?.message ?? `phase ${str(md.status?.phase) ?? 'Failed'}`,
    next: `find why its machines fail: \`kubectl -n ${ns} describe machinedeployment ${name}\` and \`kubectl -n ${ns} get machines -l cluster.x-k8s.io/deployment-name=${name} -o wide\` (infrastructure quota, the image for the new Kubernetes version, bootstrap); fix the cause, then run the kubernetes stage again: it continues with this node pool`,
    ...since(ready),
  }
}

export function controlPlaneTerminal(cp: WithStatus): TerminalState | undefined {
  if (!observed(cp)) return undefined
  const reason = str(cp.status?.failureReason)
  const message = str(cp.status?.failureMessage)
  if (!reason && !message) return undefined
  const ns = cp.metadata.namespace ?? ''
  const name = cp.metadata.name ?? ''
  const kind = cp.kind.toLowerCase()
  return {
    object: `${cp.kind} ${ref(cp)}`,
    reason: reason ?? 'Failed',
    message: message ?? 'the controller reports a terminal failure',
    next:
      cp.kind === 'KubeadmControlPlane'
        ? `inspect \`kubectl -n ${ns} describe ${kind} ${name}\` and its machines (\`kubectl -n ${ns} get machines -l cluster.x-k8s.io/control-plane-name=${name} -o wide\`), and the kubeadm control plane controller's logs; fix the cause (etcd health, the machine image for the new version), then run the kubernetes stage again`
        : `inspect \`kubectl -n ${ns} describe ${kind} ${name}\` and the provider's console for the failed update; fix the cause, then run the kubernetes stage again`,
    ...since(condition(cp, 'Ready')),
  }
}

const HELM_FAILED = new Set(['InstallFailed', 'UpgradeFailed'])

export function helmReleaseTerminal(hr: WithStatus): TerminalState | undefined {
  if (!observed(hr)) return undefined
  const ns = hr.metadata.namespace ?? ''
  const name = hr.metadata.name ?? ''
  const ready = condition(hr, 'Ready')
  const stalled = condition(hr, 'Stalled')
  const next = `inspect \`kubectl -n ${ns} describe helmrelease ${name}\` and the helm-controller's logs and fix the cause; then reset its retries (\`flux suspend helmrelease ${name} -n ${ns}\` and \`flux resume helmrelease ${name} -n ${ns}\`, or set spec.suspend true and back to false) and run this stage again`
  const readyMessage = ready?.status === 'False' ? ready.message : undefined
  if (stalled?.status === 'True') {
    return {
      object: `HelmRelease ${ref(hr)}`,
      reason: stalled.reason ?? 'Stalled',
      message: [stalled.message, readyMessage].filter(Boolean).join('; ') || 'Stalled=True',
      next,
      ...since(stalled),
    }
  }
  // v2beta1: no Stalled condition; the failure counters against the remediation retries
  if (ready?.status !== 'False' || !ready.reason || !HELM_FAILED.has(ready.reason)) return undefined
  const install = ready.reason === 'InstallFailed'
  const spec = hr.spec as
    | { install?: { remediation?: { retries?: number } }; upgrade?: { remediation?: { retries?: number } } }
    | undefined
  const retries = (install ? spec?.install : spec?.upgrade)?.remediation?.retries ?? 0
  const failures = num(hr.status?.[install ? 'installFailures' : 'upgradeFailures']) ?? 0
  if (retries < 0 || failures <= retries) return undefined
  return {
    object: `HelmRelease ${ref(hr)}`,
    reason: ready.reason,
    message: `${ready.message ?? ready.reason}; ${failures} failed ${install ? 'install' : 'upgrade'} attempt(s), remediation retries (${retries}) exhausted`,
    next,
    ...since(ready),
  }
}

const BACKUP_FAILED = new Set(['Failed', 'PartiallyFailed', 'FailedValidation'])

export function backupTerminal(b: WithStatus): TerminalState | undefined {
  const s = (b.status ?? {}) as {
    phase?: string
    errors?: number
    warnings?: number
    failureReason?: string
    validationErrors?: string[]
    progress?: { itemsBackedUp?: number; totalItems?: number }
    completionTimestamp?: string
  }
  if (!s.phase || !BACKUP_FAILED.has(s.phase)) return undefined
  const ns = b.metadata.namespace ?? ''
  const name = b.metadata.name ?? ''
  const parts = [`${s.errors ?? 0} error(s), ${s.warnings ?? 0} warning(s)`]
  if (s.progress?.totalItems)
    parts.push(`${s.progress.itemsBackedUp ?? 0}/${s.progress.totalItems} items backed up`)
  if (s.failureReason) parts.push(`failure reason: ${s.failureReason}`)
  if (s.validationErrors?.length) parts.push(`validation errors: ${s.validationErrors.join('; ')}`)
  return {
    object: `Velero Backup ${ref(b)}`,
    reason: s.phase,
    message: parts.join('; '),
    next: `see \`velero backup describe ${name} --details -n ${ns}\` and \`velero backup logs ${name} -n ${ns}\`; fix the cause (storage location, credentials, failing volume snapshots) and run the backup stage again: the upgrade does not start without a Completed backup`,
    ...(s.completionTimestamp ? { since: s.completionTimestamp } : {}),
  }
}

/** A Go duration (`10m0s`, `90s`, `1h`, `500ms`) in ms; undefined when not one. */
export function goDurationMs(text: string | undefined): number | undefined {
  if (!text) return undefined
  const units: Record<string, number> = {
    h: 3_600_000,
    m: 60_000,
    s: 1000,
    ms: 1,
    us: 0.001,
    µs: 0.001,
    ns: 1e-6,
  }
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g
  let total = 0
  let consumed = 0
  for (const m of text.matchAll(re)) {
    total += Number(m[1]) * units[m[2]!]!
    consumed += m[0].length
  }
  return consumed === text.length && consumed > 0 ? total : text === '0' ? 0 : undefined
}

export function machineDrainTerminal(m: WithStatus, now: Date): TerminalState | undefined {
  if (!m.metadata.deletionTimestamp) return undefined
  const timeout = goDurationMs(str(m.spec?.nodeDrainTimeout))
  if (!timeout) return undefined // unset or 0: CAPI drains without a limit
  const draining = condition(m, 'DrainingSucceeded')
  if (draining?.status === 'True') return undefined
  const deletion = m.status?.deletion as { nodeDrainStartTime?: string } | undefined
  const started = str(deletion?.nodeDrainStartTime) ?? draining?.lastTransitionTime
  if (!started || !draining) return undefined
  const at = Date.parse(started)
  if (Number.isNaN(at) || now.getTime() - at <= timeout) return undefined
  const node = str((m.status?.nodeRef as { name?: string } | undefined)?.name)
  return {
    object: `Machine ${ref(m)}`,
    reason: draining.reason ?? 'Draining',
    message: `draining node ${node ?? '(unknown)'} since ${started}, longer than its nodeDrainTimeout ${String(m.spec?.nodeDrainTimeout)}${draining.message ? `: ${draining.message}` : ''}`,
    next: `find what blocks the eviction on the workload cluster (\`kubectl get pdb -A\`, \`kubectl get pods -A --field-selector spec.nodeName=${node ?? '<node>'}\`): a PodDisruptionBudget that allows no disruption, or a pod that cannot be evicted; fix it so the drain completes, then run the kubernetes stage again`,
    since: started,
  }
}
