// What a DKP release ships, as far as the local test fleet needs it. Pure: every value is a
// function of the DKP version and the release table.
//
// Sources, per part:
// - Platform apps, their versions, HelmReleases, charts and chart versions, the `kommander`
//   ClusterApp version, and which apps a release enables by default: the release table
//   (data/releases.json, generated from the public release manifests; CONFIRMED, see
//   src/fleet/release-table.ts and docs/test-fleet.md). Nothing about platform apps is invented
//   here.
// - The Kommander chart (`v` + DKP version), Flux and the default Kubernetes: reference/dkp.md §3
//   (confirmed from the release tags, except the Kubernetes defaults marked inferred there).
// - CAPI providers and their controller images, core addons and their images: INFERRED (invented
//   but plausible, near the real ones of the time, except CAPPP v0.8.3 / CAPZ v1.3.1 on 2.2.3)
//   and only test-fleet data; the product never reads this module.

import { defaultKubernetesFor, minorOf } from '../core/versions.js'
import { ADDON_VERSIONS, CAPI_CORE, INFRA } from './release-columns.js'
import { dkpTags, kommanderAppVersion, RELEASES } from './release-table.js'

/** Minor releases this module knows, oldest first: DKP 2.2–2.8, then NKP 2.12–2.17 (the renamed DKP). */
export const KNOWN_MINORS = [
  '2.2',
  '2.3',
  '2.4',
  '2.5',
  '2.6',
  '2.7',
  '2.8',
  '2.12',
  '2.13',
  '2.14',
  '2.15',
  '2.16',
  '2.17',
] as const
type Minor = (typeof KNOWN_MINORS)[number]

export interface CapiComponent {
  /** clusterctl Provider object name (`cluster-api`, `infrastructure-aws`, …). */
  name: string
  /** clusterctl `providerName`. */
  providerName: string
  type:
    | 'CoreProvider'
    | 'BootstrapProvider'
    | 'ControlPlaneProvider'
    | 'InfrastructureProvider'
    | 'CertManager'
  namespace: string
  /** v-prefixed: `v1.5.3`. */
  version: string
  deployments: { name: string; container: string; image: string }[]
  /** Infrastructure providers: the `konvoy.d2iq.io/provider` values they serve. */
  serves?: string[]
}

export interface Addon {
  /** Name stem of the CRS/ConfigMap `<addon>-<cluster>`. */
  name: string
  /** v-prefixed image tag. */
  version: string
  image: string
}

export interface DkpRelease {
  /** `v2.8.1` */
  dkp: string
  minor: string
  patch: number
  /** Default Kubernetes, bare: `1.28.7`. */
  kubernetes: string
  /** Kommander chart version = `v` + DKP version (reference §3, C). */
  kommanderChart: string
  /** Bare version of the `kommander` ClusterApp, from the release table: `0.8.1` (2.3.3: `0.3.3`). */
  kommanderApp: string
  flux: string
  /** Providers `dkp upgrade addons|update controlplane|update nodepool` accept. */
  providers: string[]
  capi: CapiComponent[]
}

function parseDkp(dkp: string): { minor: Minor; patch: number; version: string } {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(dkp.trim())
  if (!m) throw new Error(`not a DKP version: ${dkp}`)
  const minor = `${m[1]}.${m[2]}`
  const version = `v${m[1]}.${m[2]}.${m[3]}`
  if (!(KNOWN_MINORS as readonly string[]).includes(minor) || !dkpTags().includes(version))
    throw new Error(
      `DKP ${dkp} is not a release of the release table (mesosphere/kommander-applications tags ${dkpTags()[0]}–${dkpTags().at(-1)})`,
    )
  return { minor: minor as Minor, patch: Number(m[3]), version }
}

export function isKnownDkp(dkp: string): boolean {
  try {
    parseDkp(dkp)
    return true
  } catch {
    return false
  }
}

const idx = (minor: Minor): number => KNOWN_MINORS.indexOf(minor)
/** Column of a per-minor row: 2.2 … 2.8. */
const col = <T>(row: readonly T[], minor: Minor): T => row[idx(minor)] as T

// Flux per release (C: KA tags via reference §3).
function fluxFor(minor: Minor, patch: number): string {
  switch (minor) {
    case '2.2':
      return patch === 0 ? '0.27.4' : patch <= 2 ? '0.29.5' : '0.31.3'
    case '2.3':
      return '0.31.4'
    case '2.4':
      return patch === 0 ? '0.36.0' : '0.37.0'
    case '2.5':
      return '0.40.2'
    case '2.6':
      return '0.41.2'
    case '2.7':
      return '2.1.2'
    case '2.8':
      return '2.2.3'
    // NKP (I), except 2.17: its kommander-flux app is 2.7.2 (C: KA v2.17.1)
    case '2.12':
      return '2.3.0'
    case '2.13':
    case '2.14':
      return '2.4.0'
    case '2.15':
      return '2.5.1'
    case '2.16':
      return '2.6.4'
    case '2.17':
      return '2.7.2'
  }
}

// Providers the CLI accepts (reference §2): 2.2 aws/azure/preprovisioned; 2.3 + eks, vsphere;
// from 2.4 + gcp (I).
function providersFor(minor: Minor): string[] {
  if (minor === '2.2') return ['aws', 'azure', 'preprovisioned']
  if (minor === '2.3') return ['aws', 'azure', 'eks', 'preprovisioned', 'vsphere']
  // NKP (3P: nkp 2.13.3 help for update controlplane|nodepool); nutanix through upgrade cluster
  if (idx(minor) >= idx('2.12'))
    return ['aks', 'aws', 'azure', 'eks', 'gcp', 'preprovisioned', 'vcd', 'vsphere']
  return ['aws', 'azure', 'eks', 'gcp', 'preprovisioned', 'vsphere']
}

// (I) CAPI providers: core/kubeadm, infrastructure providers (their versions per minor in
// release-columns.ts), cert-manager. 2.2.3 CAPPP v0.8.3 and CAPZ v1.3.1 are confirmed; the rest
// is inferred.
/** The core CAPI providers: one controller each, all at the release's CAPI core version. */
const CORE_PROVIDERS: readonly {
  name: string
  providerName: string
  type: CapiComponent['type']
  namespace: string
  deployment: string
  image: string
}[] = [
  {
    name: 'cluster-api',
    providerName: 'cluster-api',
    type: 'CoreProvider',
    namespace: 'capi-system',
    deployment: 'capi-controller-manager',
    image: 'registry.k8s.io/cluster-api/cluster-api-controller',
  },
  {
    name: 'bootstrap-kubeadm',
    providerName: 'kubeadm',
    type: 'BootstrapProvider',
    namespace: 'capi-kubeadm-bootstrap-system',
    deployment: 'capi-kubeadm-bootstrap-controller-manager',
    image: 'registry.k8s.io/cluster-api/kubeadm-bootstrap-controller',
  },
  {
    name: 'control-plane-kubeadm',
    providerName: 'kubeadm',
    type: 'ControlPlaneProvider',
    namespace: 'capi-kubeadm-control-plane-system',
    deployment: 'capi-kubeadm-control-plane-controller-manager',
    image: 'registry.k8s.io/cluster-api/kubeadm-control-plane-controller',
  },
]

function capiFor(dkp: string, minor: Minor): CapiComponent[] {
  const core = col(CAPI_CORE, minor)
  const out: CapiComponent[] = CORE_PROVIDERS.map((p) => ({
    name: p.name,
    providerName: p.providerName,
    type: p.type,
    namespace: p.namespace,
    version: core,
    deployments: [{ name: p.deployment, container: 'manager', image: `${p.image}:${core}` }],
  }))
  for (const infra of INFRA) {
    const version = col(infra.versions, minor)
    if (!version) continue
    out.push({
      name: `infrastructure-${infra.providerName}`,
      providerName: infra.providerName,
      type: 'InfrastructureProvider',
      namespace: `${infra.short}-system`,
      version,
      serves: infra.serves,
      deployments: [
        {
          name: `${infra.short}-controller-manager`,
          container: 'manager',
          image: `${infra.image}:${version}`,
        },
      ],
    })
  }
  out.push(certManagerFor(dkp))
  return out
}

/** (I) the CAPI cert-manager at the version of the release's cert-manager platform app. */
function certManagerFor(dkp: string): CapiComponent {
  const version = `v${RELEASES.platform(dkp)?.versions('cert-manager')[0] ?? '1.0.0'}`
  return {
    name: 'cert-manager',
    providerName: 'cert-manager',
    type: 'CertManager',
    namespace: 'cert-manager',
    version,
    deployments: ['controller', 'cainjector', 'webhook'].map((part) => ({
      name: part === 'controller' ? 'cert-manager' : `cert-manager-${part}`,
      container: `cert-manager-${part}`,
      image: `quay.io/jetstack/cert-manager-${part}:${version}`,
    })),
  }
}

/** Everything the test fleet needs to know about one DKP release. */
export function dkpRelease(dkp: string): DkpRelease {
  const { minor, patch, version } = parseDkp(dkp)
  const kubernetes = defaultKubernetesFor(version)
  if (!kubernetes) throw new Error(`no default Kubernetes for DKP ${version}`)
  return {
    dkp: version,
    minor,
    patch,
    kubernetes,
    kommanderChart: version,
    kommanderApp: kommanderAppVersion(version),
    flux: fluxFor(minor, patch),
    providers: providersFor(minor),
    capi: capiFor(version, minor),
  }
}

/** The infrastructure provider component serving a `konvoy.d2iq.io/provider` value. */
export function infraProviderFor(dkp: string, provider: string): CapiComponent | undefined {
  return dkpRelease(dkp).capi.find((c) => c.serves?.includes(provider))
}

// ---------------------------------------------------------------------------------------
// Core addons (reference §5 order; aws list confirmed by the 2.3 docs, the others inferred).

const ADDONS_BY_PROVIDER: Record<string, string[]> = {
  aws: [
    'calico-cni-installation',
    'tigera-operator',
    'aws-ebs-csi',
    'cluster-autoscaler',
    'node-feature-discovery',
    'nvidia-feature-discovery',
  ],
  azure: [
    'calico-cni-installation',
    'tigera-operator',
    'azure-disk-csi',
    'cluster-autoscaler',
    'node-feature-discovery',
    'nvidia-feature-discovery',
  ],
  eks: [
    'calico-cni-installation',
    'tigera-operator',
    'cluster-autoscaler',
    'node-feature-discovery',
    'nvidia-feature-discovery',
  ],
  vsphere: [
    'calico-cni-installation',
    'tigera-operator',
    'vsphere-csi',
    'cluster-autoscaler',
    'node-feature-discovery',
    'nvidia-feature-discovery',
  ],
  preprovisioned: [
    'calico-cni-installation',
    'tigera-operator',
    'local-volume-provisioner',
    'cluster-autoscaler',
    'node-feature-discovery',
    'nvidia-feature-discovery',
  ],
  gcp: [
    'calico-cni-installation',
    'tigera-operator',
    'gcp-pd-csi',
    'cluster-autoscaler',
    'node-feature-discovery',
    'nvidia-feature-discovery',
  ],
  aks: ['cluster-autoscaler', 'node-feature-discovery', 'nvidia-feature-discovery'],
  // NKP nutanix (I): the CNI, the Nutanix CSI driver and the provider-independent addons
  nutanix: [
    'calico-cni-installation',
    'tigera-operator',
    'nutanix-csi',
    'cluster-autoscaler',
    'node-feature-discovery',
    'nvidia-feature-discovery',
  ],
}

// cluster-autoscaler follows the release's Kubernetes minor (I).
const AUTOSCALER_PATCH: Record<string, number> = {
  '1.22': 2,
  '1.23': 1,
  '1.24': 0,
  '1.25': 0,
  '1.26': 1,
  '1.27': 2,
  '1.28': 0,
  '1.29': 3,
  '1.30': 2,
  '1.31': 1,
  '1.32': 0,
  '1.33': 0,
  '1.34': 1,
}

export function addonProviders(): string[] {
  return Object.keys(ADDONS_BY_PROVIDER)
}

/** Core addons of a provider in the order `dkp upgrade addons` processes them. */
export function addonsFor(dkp: string, provider: string): Addon[] {
  const { minor } = parseDkp(dkp)
  // (I) Providers the schema accepts but DKP 2.x did not ship addons for (NKP-era nutanix,
  // vcd): the provider-independent addons, so a demo fleet can still be seeded.
  const names = ADDONS_BY_PROVIDER[provider] ?? ['cluster-autoscaler', 'node-feature-discovery']
  const kubeMinor = minorOf(dkpRelease(dkp).kubernetes)
  return names.map((name) => {
    if (name === 'cluster-autoscaler') {
      const version = `v${kubeMinor}.${AUTOSCALER_PATCH[kubeMinor] ?? 0}`
      return { name, version, image: 'registry.k8s.io/autoscaling/cluster-autoscaler' }
    }
    const row = ADDON_VERSIONS[name]!
    return { name, version: col(row.versions, minor) ?? 'v0.0.0', image: row.image }
  })
}
