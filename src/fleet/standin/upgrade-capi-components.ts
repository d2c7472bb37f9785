// `dkp upgrade capi-components`: the release's controller images and clusterctl Provider
// versions, a wait for the Deployments, and the old global ClusterResourceSets deleted.

import { CLUSTER_NAME_LABEL } from '../addons.js'
import { dkpRelease } from '../dkp-releases.js'
import { type AnyObject, API, dig, getCondition } from '../objects.js'
import { type Command, type Ctx, KUBECONFIG, WAIT } from './command.js'
import { kubeOf, waitFor, writerFor } from './session.js'

export const upgradeCapiComponentsCommand: Command = {
  name: 'capi-components',
  short: 'Upgrade the CAPI components on the management cluster',
  args: 0,
  flags: [
    KUBECONFIG,
    {
      name: 'timeout',
      type: 'duration',
      default: 10 * 60_000,
      usage: 'The length of time to wait before giving up; 0 waits forever',
    },
    WAIT,
    {
      name: 'with-aws-bootstrap-credentials',
      type: 'bool',
      usage: 'Set the AWS credentials of the bootstrap cluster on the CAPA controller',
    },
  ],
  run: upgradeCapiComponents,
}

export async function upgradeCapiComponents(ctx: Ctx): Promise<void> {
  const kube = kubeOf(ctx)
  const w = writerFor(ctx, [])
  const rel = dkpRelease(ctx.version)
  const touched: AnyObject[] = []
  for (const comp of rel.capi) {
    for (const d of comp.deployments) {
      const live = await kube.get(API.deployments, 'Deployment', d.name, comp.namespace)
      if (!live) continue
      touched.push(live)
      const containers = (
        dig<{ name: string; image: string }[]>(live, 'spec', 'template', 'spec', 'containers') ?? []
      ).map((c) => (c.name === d.container ? { ...c, image: d.image } : c))
      const changed = containers.some(
        (c, i) => c.image !== dig(live, 'spec', 'template', 'spec', 'containers', i, 'image'),
      )
      if (changed) {
        await w.write(() =>
          kube.patchMerge(API.deployments, 'Deployment', d.name, comp.namespace, {
            spec: { template: { spec: { containers } } },
            ...(w.annotations ? { metadata: { annotations: w.annotations } } : {}),
          }),
        )
      }
    }
    if (comp.type !== 'CertManager' && (await kube.hasResource(API.clusterctl, 'Provider'))) {
      const p = await kube.get(API.clusterctl, 'Provider', comp.name, comp.namespace)
      if (p && (p as { version?: string }).version !== comp.version) {
        await w.write(() =>
          kube.patchMerge(API.clusterctl, 'Provider', comp.name, comp.namespace, { version: comp.version }),
        )
      }
    }
  }
  ctx.io.stdout(' ✓ Upgrading CAPI components\n')
  if (ctx.flags.wait) {
    await waitFor(ctx, 'CAPI components to be upgraded', Number(ctx.flags.timeout ?? 0), async () => {
      for (const d of touched) {
        const live = await kube.get(
          API.deployments,
          'Deployment',
          d.metadata.name as string,
          d.metadata.namespace,
        )
        if (!live) continue
        const ok =
          dig<number>(live, 'status', 'observedGeneration') === live.metadata.generation &&
          dig<number>(live, 'status', 'updatedReplicas') === Number(dig(live, 'spec', 'replicas') ?? 1) &&
          getCondition(live, 'Available')?.status === 'True'
        if (!ok) return `Deployment ${d.metadata.namespace}/${d.metadata.name} not available`
      }
      return true
    })
    ctx.io.stdout(' ✓ Waiting for CAPI components to be upgraded\n')
  }
  ctx.io.stdout(' ✓ Initializing new CAPI components\n')
  // global (not per-cluster) ClusterResourceSets of older releases
  for (const crs of await kube.list(API.addons, 'ClusterResourceSet')) {
    if (crs.metadata.labels?.[CLUSTER_NAME_LABEL]) continue
    await w.write(() =>
      kube.delete(API.addons, 'ClusterResourceSet', crs.metadata.name as string, crs.metadata.namespace),
    )
  }
  await w.done()
  ctx.io.stdout(' ✓ Deleting Outdated Global ClusterResourceSets\n')
}
