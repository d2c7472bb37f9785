// `nkp upgrade cluster nutanix --cluster-name C -n NS [--vm-image I | --control-plane-vm-image I
// --worker-vm-images POOL=I ...]` (NKP 2.12+; 3P: nkp 2.13.3 and 2.17.1 help pages). It has no
// --kubernetes-version: the cluster goes to the Kubernetes built into the CLI (the release's
// default). On the management cluster (no `kommander.d2iq.io/managed` label) it first upgrades
// the CAPI components, then the addons, then the control plane and every node pool, waiting for
// each; on a managed cluster the addons, the control plane and the pools. Each part is the same
// write the stand-in's own commands make (capi-components, addons, controlplane, nodepool), so
// the simulated controllers converge it the same way. The `POOL=IMAGE` form of
// --worker-vm-images is inferred (I).

import { dkpRelease } from '../dkp-releases.js'
import { API, CLUSTER_NAME, vPrefixed } from '../objects.js'
import {
  CLUSTER_NAME_FLAG,
  CliError,
  type Command,
  type Ctx,
  KUBECONFIG,
  NAMESPACE_FLAG,
  WAIT,
} from './command.js'
import { clusterOf } from './object-helpers.js'
import { kubeOf } from './session.js'
import { updateControlPlane } from './update-controlplane.js'
import { updateNodePool } from './update-nodepool.js'
import { upgradeAddons } from './upgrade-addons.js'
import { upgradeCapiComponents } from './upgrade-capi-components.js'

const MANAGED_LABEL = 'kommander.d2iq.io/managed'

export const upgradeClusterCommand: Command = {
  name: 'cluster',
  short: 'Upgrade a cluster: one of [nutanix]',
  children: [
    {
      name: 'nutanix',
      short:
        'Upgrade a Nutanix cluster (CAPI components, ClusterClass and addons on the management cluster, then the control plane and workers) to the Kubernetes version of this CLI',
      args: 0,
      flags: [
        CLUSTER_NAME_FLAG,
        NAMESPACE_FLAG,
        KUBECONFIG,
        {
          name: 'vm-image',
          type: 'string',
          usage: 'The VM image for the control plane and all worker pools',
        },
        { name: 'control-plane-vm-image', type: 'string', usage: 'The VM image for the control plane' },
        {
          name: 'worker-vm-images',
          type: 'stringArray',
          usage: 'The VM image of a worker pool, as POOL=IMAGE (repeatable)',
        },
        {
          name: 'timeout',
          type: 'duration',
          default: 30 * 60_000,
          usage: 'The length of time to wait before giving up',
        },
        WAIT,
      ],
      run: upgradeClusterNutanix,
    },
  ],
}

/** The pool → image map of --worker-vm-images; a value that is not POOL=IMAGE is refused. */
function workerImages(ctx: Ctx): Map<string, string> {
  const out = new Map<string, string>()
  for (const raw of (ctx.flags['worker-vm-images'] as string[] | undefined) ?? []) {
    const at = raw.indexOf('=')
    if (at <= 0 || at === raw.length - 1)
      throw new CliError(`invalid --worker-vm-images "${raw}": expected POOL=IMAGE`)
    out.set(raw.slice(0, at), raw.slice(at + 1))
  }
  return out
}

async function upgradeClusterNutanix(ctx: Ctx): Promise<void> {
  const name = String(ctx.flags['cluster-name'])
  const ns = String(ctx.flags.namespace ?? 'default')
  const all = ctx.flags['vm-image'] as string | undefined
  const cpImage = (ctx.flags['control-plane-vm-image'] as string | undefined) ?? all
  const workers = workerImages(ctx)
  if (all && (ctx.set.has('control-plane-vm-image') || workers.size > 0))
    throw new CliError('--vm-image cannot be combined with --control-plane-vm-image or --worker-vm-images')
  if (!cpImage) throw new CliError('a VM image is required: --vm-image, or --control-plane-vm-image')
  const kube = kubeOf(ctx)
  const cluster = await clusterOf(kube, name, ns, 'nutanix')
  const management = cluster.metadata.labels?.[MANAGED_LABEL] !== 'true'
  const kubernetes = vPrefixed(dkpRelease(ctx.version).kubernetes)
  // Each part runs with this command's connection flags (--kubeconfig) and its wait/timeout.
  const common = {
    kubeconfig: ctx.flags.kubeconfig,
    'cluster-name': name,
    namespace: ns,
    wait: ctx.flags.wait,
    timeout: ctx.flags.timeout,
  }
  const given = ['kubeconfig', 'wait', 'timeout'].filter((f) => ctx.set.has(f))
  const sub = (path: string[], flags: Record<string, unknown>, set: string[], args: string[] = []): Ctx => ({
    ...ctx,
    path: [...ctx.path.slice(0, 2), ...path],
    flags: { ...common, ...flags } as Ctx['flags'],
    set: new Set(['cluster-name', 'namespace', ...given, ...set]),
    args,
  })
  ctx.io.stdout(`Upgrading cluster ${ns}/${name} to Kubernetes ${kubernetes}\n`)
  if (management) {
    ctx.io.stdout(' ✓ Upgrading CAPI components\n')
    await upgradeCapiComponents(sub(['capi-components'], {}, []))
    ctx.io.stdout(' ✓ Upgrading ClusterClass\n')
  }
  await upgradeAddons(sub(['addons', 'nutanix'], {}, []))
  const version = { 'kubernetes-version': kubernetes }
  await updateControlPlane(
    sub(['controlplane', 'nutanix'], { ...version, 'vm-image': cpImage }, ['kubernetes-version', 'vm-image']),
  )
  const pools = (
    await kube.list(API.cluster, 'MachineDeployment', {
      namespace: ns,
      labelSelector: `${CLUSTER_NAME}=${name}`,
    })
  )
    .map((md) => md.metadata.name as string)
    .sort()
  for (const pool of pools) {
    const image = workers.get(pool) ?? all ?? cpImage
    await updateNodePool(
      sub(
        ['nodepool', 'nutanix'],
        { ...version, 'vm-image': image },
        ['kubernetes-version', 'vm-image'],
        [pool],
      ),
    )
  }
  ctx.io.stdout(` ✓ Cluster ${name} upgraded to Kubernetes ${kubernetes}\n`)
}
