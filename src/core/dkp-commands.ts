// The argv of every dkp command dkp-fleet runs (reference/dkp.md §2): argument arrays, never shell
// strings, built from the inventory and the target. The runner (src/effects/dkp-runner.ts) adds
// `--kubeconfig`; the flags dkp-fleet sets itself cannot come from inventory `args` (refused at
// validation, command-args.ts). Pure, so tests assert the exact argv.

import { toFlags } from './command-args.js'
import type { CatalogApp, CommandArgs, Inventory } from './model.js'
import { nodePoolArgs, VM_IMAGE } from './providers.js'
import { vVersion } from './versions.js'

/** One dkp invocation: the arguments after `dkp`, without `--kubeconfig` (the runner adds it). */
export interface DkpCommand {
  args: string[]
  /** Shown in logs and summaries. */
  description?: string
  /** Only reads (e.g. `--dry-run`): runs in dry-run mode too. */
  readOnly?: boolean
}

/** What the Konvoy commands need of a cluster: its name, provider and CAPI namespace. */
export interface KonvoyTarget {
  name: string
  namespace: string
  provider: string
  controlPlaneArgs: CommandArgs
}

/** `dkp upgrade kommander` with the inventory's `management.kommander.args` (air-gapped bundles). */
export function kommanderCommand(inv: Pick<Inventory, 'management'>, targetDkp: string): DkpCommand {
  return {
    args: ['upgrade', 'kommander', ...toFlags(inv.management.kommander.args)],
    description: `upgrade Kommander to ${targetDkp}`,
  }
}

/** `dkp upgrade workspace <name>`. */
export function workspaceCommand(name: string): DkpCommand {
  return {
    args: ['upgrade', 'workspace', name],
    description: `upgrade the platform apps of workspace ${name}`,
  }
}

/** `dkp upgrade catalogapp <app> --workspace=<ws> [--project=<p>] --to-version=<v>` (the docs pass both flags for project apps). */
export function catalogAppCommand(app: CatalogApp, workspace: string, project?: string): DkpCommand {
  return {
    args: [
      'upgrade',
      'catalogapp',
      app.name,
      `--workspace=${workspace}`,
      ...(project ? [`--project=${project}`] : []),
      `--to-version=${app.version}`,
    ],
    description: `upgrade catalog app ${project ? `${workspace}/${project}` : workspace}/${app.name} to ${app.version}`,
  }
}

/** `dkp upgrade capi-components` with the inventory's `management.capiComponents.args` (proxy, credentials). */
export function capiComponentsCommand(inv: Pick<Inventory, 'management'>): DkpCommand {
  return {
    args: ['upgrade', 'capi-components', ...toFlags(inv.management.capiComponents?.args)],
    description: 'upgrade the CAPI components',
  }
}

/** `dkp upgrade addons <provider> --cluster-name=<c> -n <ns>`. */
export function addonsCommand(kc: KonvoyTarget): DkpCommand {
  return {
    args: ['upgrade', 'addons', kc.provider, `--cluster-name=${kc.name}`, '-n', kc.namespace],
    description: `upgrade the core addons of ${kc.name}`,
  }
}

/** The read-only probe: what `dkp upgrade addons` would write (`--dry-run -o yaml`). */
export function addonsProbeCommand(kc: KonvoyTarget): DkpCommand {
  return {
    args: [...addonsCommand(kc).args, '--dry-run', '-o', 'yaml'],
    description: `read the core addons dkp would write for ${kc.name}`,
    readOnly: true,
  }
}

/** `dkp update controlplane <provider> --cluster-name=<c> -n <ns> --kubernetes-version=v<K>` with the inventory's flags. */
export function controlPlaneCommand(kc: KonvoyTarget, targetKubernetes: string): DkpCommand {
  return {
    args: [
      'update',
      'controlplane',
      kc.provider,
      `--cluster-name=${kc.name}`,
      '-n',
      kc.namespace,
      `--kubernetes-version=${vVersion(targetKubernetes)}`,
      ...toFlags(kc.controlPlaneArgs),
    ],
    description: `update the control plane of ${kc.name} to Kubernetes ${vVersion(targetKubernetes)}`,
  }
}

/**
 * `dkp update nodepool <provider> <pool> --cluster-name=<c> -n <ns> --kubernetes-version=v<K>`;
 * a vSphere pool without its own template takes the control plane's (built for the target).
 */
export function nodePoolCommand(
  kc: KonvoyTarget,
  pool: { name: string; args: CommandArgs },
  targetKubernetes: string,
): DkpCommand {
  return {
    args: [
      'update',
      'nodepool',
      kc.provider,
      pool.name,
      `--cluster-name=${kc.name}`,
      '-n',
      kc.namespace,
      `--kubernetes-version=${vVersion(targetKubernetes)}`,
      ...toFlags(nodePoolArgs(kc.provider, kc.controlPlaneArgs, pool.args)),
    ],
    description: `update node pool ${pool.name} of ${kc.name} to Kubernetes ${vVersion(targetKubernetes)}`,
  }
}

/**
 * `nkp upgrade cluster nutanix --cluster-name=<c> -n <ns> --vm-image=<image>` (NKP, 3P: nkp
 * 2.13.3/2.17.1 help): one command upgrades the whole cluster to the Kubernetes version built
 * into that nkp (it has no --kubernetes-version); on the management cluster it upgrades the CAPI
 * components, the ClusterClass and the addons first. A pool naming its own image turns the one
 * `--vm-image` into `--control-plane-vm-image` plus `--worker-vm-images=<pool>=<image>` per pool
 * (the flags are 3P; the `<pool>=<image>` value form is inferred (I), docs/nkp.md). The control
 * plane's other inventory flags follow.
 */
export function upgradeClusterCommand(
  kc: KonvoyTarget,
  pools: readonly { name: string; args: CommandArgs }[],
  builtInKubernetes: string,
): DkpCommand {
  const { [VM_IMAGE]: image, ...rest } = kc.controlPlaneArgs
  const own = pools.filter((p) => p.args[VM_IMAGE] !== undefined && p.args[VM_IMAGE] !== image)
  const images =
    own.length === 0
      ? image === undefined
        ? []
        : [`--vm-image=${String(image)}`]
      : [
          ...(image === undefined ? [] : [`--control-plane-vm-image=${String(image)}`]),
          ...pools.map((p) => `--worker-vm-images=${p.name}=${String(p.args[VM_IMAGE] ?? image)}`),
        ]
  return {
    args: [
      'upgrade',
      'cluster',
      'nutanix',
      `--cluster-name=${kc.name}`,
      '-n',
      kc.namespace,
      ...images,
      ...toFlags(rest),
    ],
    description: `upgrade cluster ${kc.name} (nutanix) to the Kubernetes nkp builds in, ${vVersion(builtInKubernetes)}`,
  }
}
