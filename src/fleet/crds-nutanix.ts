// Minimal CRDs of the CAPX kinds an NKP nutanix cluster references (docs/nkp.md, docs/test-fleet.md).

import type { PermissiveKind } from './crds.js'

/**
 * CAPX (cluster-api-provider-nutanix) kinds of NKP nutanix clusters. The CAPX Go module is not
 * in this machine's Go module list, so these are minimal permissive CRDs (group, kind, version
 * v1beta1 as CAPX serves them; spec and status open), documented in docs/test-fleet.md: the
 * product never reads their fields, only the CAPI objects that reference them.
 */
export const NUTANIX_KINDS: readonly PermissiveKind[] = [
  {
    group: 'infrastructure.cluster.x-k8s.io',
    kind: 'NutanixCluster',
    plural: 'nutanixclusters',
    scope: 'Namespaced',
    versions: ['v1beta1'],
    columns: [{ name: 'ControlPlaneEndpoint', jsonPath: '.spec.controlPlaneEndpoint.host' }],
  },
  {
    group: 'infrastructure.cluster.x-k8s.io',
    kind: 'NutanixMachineTemplate',
    plural: 'nutanixmachinetemplates',
    scope: 'Namespaced',
    versions: ['v1beta1'],
    columns: [{ name: 'Image', jsonPath: '.spec.template.spec.image.name' }],
  },
  {
    group: 'infrastructure.cluster.x-k8s.io',
    kind: 'NutanixMachine',
    plural: 'nutanixmachines',
    scope: 'Namespaced',
    versions: ['v1beta1'],
  },
]
