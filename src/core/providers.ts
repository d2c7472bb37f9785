// What the target release's dkp does per infrastructure provider (reference/dkp.md §2
// "Providers", §2.6/2.7, §7). Pure data and rules, keyed on the target's product and version
// so NKP lines can be added next to the DKP ones.
//
// - `dkp upgrade addons` and `dkp update controlplane|nodepool` take the same provider list;
//   a provider not on it has no dkp command, so dkp-fleet cannot run the Konvoy stages on it.
// - DKP 2.x knows no `aks` (C: 2.2.3/2.3.x CLI help; 2.4–2.8 (I)): an AKS cluster in a DKP 2.x
//   fleet is planned like an attached one, its Kubernetes upgraded with Azure's own tool.
// - Node images are built per Kubernetes version (C: 2.2/2.3 docs): a vSphere cluster names its
//   VM template (pools inherit the control plane's), and a pinned AWS AMI must be rebuilt.

import type { CommandArgs } from './model.js'
import { minorOf } from './versions.js'

export type Product = 'dkp' | 'nkp'

/** DKP up to 2.8, NKP from 2.12 (the same CLI line renamed; reference §3 and §7). */
export function productOf(version: string): Product {
  const [major, minor] = minorOf(version).split('.').map(Number) as [number, number]
  return major === 2 && minor >= 12 ? 'nkp' : 'dkp'
}

export interface ProviderLine {
  product: Product
  /** Release minors (`2.3`) this list holds for. */
  minors: readonly string[]
  /** Providers of `dkp upgrade addons` / `dkp update controlplane|nodepool`. */
  providers: readonly string[]
  /** C: read from the release's CLI help; 3P: a third-party copy of it; I: inferred (reference §2 "Providers"). */
  confidence: 'C' | '3P' | 'I'
  source: string
}

export const KONVOY_PROVIDERS: readonly ProviderLine[] = [
  {
    product: 'dkp',
    minors: ['2.2'],
    providers: ['aws', 'azure', 'preprovisioned'],
    confidence: 'C',
    source: 'dkp 2.2.3 CLI help',
  },
  {
    product: 'dkp',
    minors: ['2.3'],
    providers: ['aws', 'azure', 'eks', 'preprovisioned', 'vsphere'],
    confidence: 'C',
    source: 'dkp 2.3.1/2.3.2 CLI help',
  },
  {
    product: 'dkp',
    minors: ['2.4', '2.5', '2.6', '2.7', '2.8'],
    providers: ['aws', 'azure', 'eks', 'gcp', 'preprovisioned', 'vsphere'],
    confidence: 'I',
    source: 'inferred: the 2.3 list plus gcp, which a 2.4.0 development build added',
  },
  {
    // nkp update controlplane|nodepool in 2.13.3 lists aks, aws, azure, eks, gcp,
    // preprovisioned, vcd and vsphere (3P); nutanix is upgraded by `nkp upgrade cluster
    // nutanix` instead, so it is listed here too. 2.12 and 2.14–2.17 carried over (I).
    product: 'nkp',
    minors: ['2.12', '2.13', '2.14', '2.15', '2.16', '2.17'],
    providers: ['aks', 'aws', 'azure', 'eks', 'gcp', 'nutanix', 'preprovisioned', 'vcd', 'vsphere'],
    confidence: '3P',
    source: 'nkp 2.13.3 help (third-party copy); nutanix through nkp upgrade cluster nutanix',
  },
]

/** The provider list of the target's dkp; undefined when the table has no line for it. */
export function konvoyProviders(targetDkp: string): ProviderLine | undefined {
  const product = productOf(targetDkp)
  const minor = minorOf(targetDkp)
  return KONVOY_PROVIDERS.find((l) => l.product === product && l.minors.includes(minor))
}

/** A provider whose Kubernetes the target's dkp does not upgrade: its own tool does. */
export interface OutsideDkp {
  provider: string
  /** Why dkp-fleet plans the cluster like an attached one. */
  reason: string
  /** The provider's documented upgrade command, with placeholders for what dkp-fleet cannot know. */
  command(cluster: string, kubernetes: string): string
  /** Where the command is documented. */
  docs: string
}

interface OutsideRule {
  provider: string
  product: Product
  /** Applies to every release of the product (the NKP line will name its own minors). */
  appliesTo(targetDkp: string): boolean
  rule: Omit<OutsideDkp, 'reason'> & { reason(targetDkp: string): string }
}

const OUTSIDE_RULES: readonly OutsideRule[] = [
  {
    provider: 'aks',
    product: 'dkp',
    appliesTo: (t) => productOf(t) === 'dkp',
    rule: {
      provider: 'aks',
      reason: (t) =>
        `dkp ${t} has no aks provider for upgrade addons or update controlplane|nodepool (DKP 2.x; NKP 2.13+ has one)`,
      command: (cluster, kubernetes) =>
        `az aks upgrade --resource-group <resource group> --name <AKS name of ${cluster}> --kubernetes-version <a ${minorOf(kubernetes)} version from az aks get-upgrades>`,
      docs: 'https://learn.microsoft.com/azure/aks/upgrade-aks-cluster',
    },
  },
]

/** Set when the target's dkp cannot upgrade this provider's Kubernetes (aks in DKP 2.x). */
export function upgradedOutsideDkp(provider: string, targetDkp: string): OutsideDkp | undefined {
  const found = OUTSIDE_RULES.find((r) => r.provider === provider && r.appliesTo(targetDkp))
  if (!found) return undefined
  return { ...found.rule, reason: found.rule.reason(targetDkp) }
}

/** The flag naming a vSphere cluster's node template (reference §2.6/2.7). */
export const VM_TEMPLATE = 'vm-template'
/** The flag naming a Nutanix cluster's VM image (`nkp upgrade cluster nutanix --vm-image`). */
export const VM_IMAGE = 'vm-image'
/** The flag pinning an AWS machine image. */
export const AMI = 'ami'

/**
 * Provider flags of `dkp update nodepool` for one pool: its own args; a vSphere pool without
 * its own template takes the control plane's (templates are built per Kubernetes version, so
 * an old pool template would roll nodes back to the old image).
 */
export function nodePoolArgs(
  provider: string,
  controlPlaneArgs: CommandArgs,
  poolArgs: CommandArgs,
): CommandArgs {
  if (provider !== 'vsphere' || poolArgs[VM_TEMPLATE] !== undefined) return poolArgs
  const template = controlPlaneArgs[VM_TEMPLATE]
  return template === undefined ? poolArgs : { ...poolArgs, [VM_TEMPLATE]: template }
}

/** The provider whose Kubernetes (and more) NKP upgrades with one command: `nkp upgrade cluster nutanix`. */
export const UPGRADE_CLUSTER_PROVIDER = 'nutanix'

/** The cluster's upgrade is `nkp upgrade cluster nutanix` (an NKP target, provider nutanix). */
export function upgradesWithUpgradeCluster(provider: string, targetDkp: string): boolean {
  return provider === UPGRADE_CLUSTER_PROVIDER && productOf(targetDkp) === 'nkp'
}

/**
 * Why a step is covered by the cluster's `kubernetes` step instead of running: on an NKP
 * nutanix cluster `nkp upgrade cluster nutanix` upgrades the CAPI components, the ClusterClass
 * and the addons of the management cluster before its control plane and workers (3P: nkp 2.17.1
 * help), and a managed nutanix cluster's addons with it (I: its addons come with the
 * ClusterClass topology). Undefined when the step runs itself.
 */
export function coveredByUpgradeCluster(
  stage: string,
  provider: string,
  targetDkp: string,
  onManagement: boolean,
): string | undefined {
  if (!upgradesWithUpgradeCluster(provider, targetDkp)) return undefined
  if (stage === 'capi-components' && onManagement)
    return 'nkp upgrade cluster nutanix upgrades the CAPI components of the management cluster in its kubernetes step (not run twice)'
  if (stage === 'core-addons')
    return `nkp upgrade cluster nutanix upgrades the addons of this cluster in its kubernetes step (not run twice)`
  return undefined
}
