// The live part of the `capi-components` done-condition (reference/dkp.md §4): the CAPI,
// infrastructure-provider and cert-manager controllers Available; clusterctl Provider versions
// and controller images as evidence. Pure functions over objects.

import { type Condition, condition, ref } from './kinds.js'
import { conditionText, generationSeen, num } from './konvoy-state.js'
import type { KubeObject } from './kube-object.js'
import { type Pending, pend, type StepState } from './step-state.js'

const nsName = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`

export interface Deployment extends KubeObject {
  spec?: { replicas?: number; template?: { spec?: { containers?: { name: string; image?: string }[] } } }
  status?: {
    observedGeneration?: number
    replicas?: number
    updatedReplicas?: number
    availableReplicas?: number
    unavailableReplicas?: number
    conditions?: Condition[]
  }
}

export interface ClusterctlProvider extends KubeObject {
  providerName?: string
  type?: string
  version?: string
}

/** Namespaces of the CAPI controllers (§4): core, kubeadm bootstrap and control plane. */
export const CAPI_CORE_NAMESPACES = [
  'capi-system',
  'capi-kubeadm-bootstrap-system',
  'capi-kubeadm-control-plane-system',
]

/** Infrastructure providers' namespaces: `capa-system`, `capz-system`, `capv-system`, `cappp-system`, `capg-system`, … */
export const isInfraNamespace = (ns: string | undefined): boolean =>
  !!ns && /^cap[a-z]*-system$/.test(ns) && !ns.startsWith('capi-')

export const CERT_MANAGER_NAMESPACE = 'cert-manager'

export const isCapiNamespace = (ns: string | undefined): boolean =>
  !!ns && (CAPI_CORE_NAMESPACES.includes(ns) || isInfraNamespace(ns) || ns === CERT_MANAGER_NAMESPACE)

/** A Deployment finished its rollout and is Available. */
export function deploymentAvailable(d: Deployment): { ok: boolean; detail: string } {
  const want = d.spec?.replicas ?? 1
  const s = d.status ?? {}
  const images = (d.spec?.template?.spec?.containers ?? []).map((c) => c.image).filter(Boolean)
  const name = `Deployment ${ref(d)}${images.length ? ` (${images.join(', ')})` : ''}`
  const available = condition(d, 'Available')
  const problems: string[] = []
  if (available?.status !== 'True') problems.push(conditionText(available, 'Available'))
  if (!generationSeen(d)) problems.push(`generation ${d.metadata.generation} not observed yet`)
  if (num(s.updatedReplicas) < want) problems.push(`${num(s.updatedReplicas)}/${want} updated`)
  if (num(s.availableReplicas ?? (available?.status === 'True' ? want : 0)) < want)
    problems.push(`${num(s.availableReplicas)}/${want} available`)
  if (num(s.unavailableReplicas) > 0) problems.push(`${s.unavailableReplicas} unavailable`)
  return problems.length === 0
    ? { ok: true, detail: `${name}: Available` }
    : { ok: false, detail: `${name}: ${problems.join(', ')}` }
}

/**
 * The live part of the CAPI components' done-condition: controller Deployments present in each
 * core CAPI namespace, and every Deployment in the CAPI, infrastructure-provider and
 * cert-manager namespaces Available with its rollout finished.
 */
export function capiControllersState(deployments: Deployment[]): StepState {
  const evidence: string[] = []
  const pending: Pending[] = []
  const relevant = deployments.filter((d) => isCapiNamespace(d.metadata.namespace))
  for (const ns of [...CAPI_CORE_NAMESPACES, CERT_MANAGER_NAMESPACE]) {
    if (!relevant.some((d) => d.metadata.namespace === ns))
      pending.push(pend('not-found', `no controller Deployment in ${ns}`))
  }
  if (!relevant.some((d) => isInfraNamespace(d.metadata.namespace)))
    pending.push(pend('not-found', 'no infrastructure provider controller (cap*-system)'))
  for (const d of relevant.sort((a, b) => nsName(a).localeCompare(nsName(b)))) {
    const a = deploymentAvailable(d)
    if (a.ok) evidence.push(a.detail)
    else pending.push(pend('converging', a.detail, `Deployment ${ref(d)}`))
  }
  return { done: pending.length === 0, evidence, pending }
}

/** `cluster-api CoreProvider v1.5.3 (capi-system)` per clusterctl Provider, for evidence. */
export function providerVersions(providers: ClusterctlProvider[]): string[] {
  return providers
    .filter((p) => isCapiNamespace(p.metadata.namespace))
    .sort((a, b) => nsName(a).localeCompare(nsName(b)))
    .map((p) =>
      `Provider ${ref(p)}: ${p.providerName ?? p.metadata.name} ${p.type ?? ''} ${p.version ?? 'version not reported'}`.replace(
        / {2,}/g,
        ' ',
      ),
    )
}

/** `capi-system/capi-controller-manager=registry…:v1.5.3` per controller Deployment container. */
export function controllerImages(deployments: Deployment[]): Map<string, string> {
  const out = new Map<string, string>()
  for (const d of deployments.filter((x) => isCapiNamespace(x.metadata.namespace))) {
    for (const c of d.spec?.template?.spec?.containers ?? []) out.set(`${ref(d)}/${c.name}`, c.image ?? '?')
  }
  return out
}
