// Flags of the stand-in dkp that depend on the release or on the provider, as the real CLI's
// help shows them (reference/dkp.md §2): `--disable-appdeployments` appears in 2.3 (absent in
// the 2.2.3 CLI), and `dkp update controlplane|nodepool <provider>` takes the provider's own
// machine flags; any other flag is refused like cobra does (`unknown flag: --x`, exit 1).
// Which providers a release has is the release's `providers` list (src/fleet/dkp-releases.ts).

import type { FlagDef } from './flags.js'

/** `2.3` → 3: the minor number of a DKP/NKP version. */
export const minorNumber = (version: string): number => Number(/^v?\d+\.(\d+)/.exec(version)?.[1] ?? 0)

/**
 * `--disable-appdeployments` of `upgrade kommander` (default `[fluent-bit]`) and `upgrade
 * workspace` (no default shown): from 2.3 (C: 2.3.2 CLI); the 2.2.3 CLI has no such flag.
 */
export function disableAppDeploymentsFlags(version: string, command: 'kommander' | 'workspace'): FlagDef[] {
  if (minorNumber(version) < 3) return []
  return [
    {
      name: 'disable-appdeployments',
      type: 'stringSlice',
      default: command === 'kommander' ? ['fluent-bit'] : [],
      usage: 'List of AppDeployments to disable during the upgrade',
    },
  ]
}

/**
 * Provider flags of `update controlplane|nodepool` (C: 2.3.2 CLI; gcp from a 2.4.0 development
 * build): aws `--ami --instance-type`; azure `--machine-size`; vsphere `--cpus --disk-size
 * --memory --vm-template`; eks `--instance-type` on node pools only; gcp `--image
 * --image-family --instance-type`; preprovisioned none.
 */
export function providerFlags(provider: string, which: 'controlplane' | 'nodepool'): FlagDef[] {
  switch (provider) {
    case 'aws':
      return [
        { name: 'ami', type: 'string', usage: 'The AMI to use for the machines' },
        { name: 'instance-type', type: 'string', usage: 'The instance type to use for the machines' },
      ]
    case 'azure':
      return [{ name: 'machine-size', type: 'string', usage: 'The machine size to use for the machines' }]
    case 'vsphere':
      return [
        { name: 'cpus', type: 'int', usage: 'The number of CPUs of the machines' },
        { name: 'disk-size', type: 'int', usage: 'The disk size of the machines in GiB' },
        { name: 'memory', type: 'int', usage: 'The memory of the machines in MiB' },
        { name: 'vm-template', type: 'string', usage: 'The vSphere VM template to use for the machines' },
      ]
    case 'eks':
      return which === 'nodepool'
        ? [{ name: 'instance-type', type: 'string', usage: 'The instance type to use for the machines' }]
        : []
    case 'gcp':
      return [
        { name: 'image', type: 'string', usage: 'The image to use for the machines' },
        { name: 'image-family', type: 'string', usage: 'The image family to use for the machines' },
        { name: 'instance-type', type: 'string', usage: 'The instance type to use for the machines' },
      ]
    // NKP nutanix (3P: nkp upgrade cluster nutanix --vm-image); the stand-in's upgrade cluster
    // passes it on to its control plane and node pool writes
    case 'nutanix':
      return [{ name: 'vm-image', type: 'string', usage: 'The VM image to use for the machines' }]
    default:
      return []
  }
}
