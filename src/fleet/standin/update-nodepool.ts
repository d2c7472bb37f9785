// `dkp update nodepool <provider> NAME -c CLUSTER --kubernetes-version V`: the
// MachineDeployment's template version (and template), then a wait for its Machines.

import { API, CLUSTER_NAME, dig } from '../objects.js'
import { CliError, type Command, type Ctx } from './command.js'
import { clusterOf, patchIfChanged } from './object-helpers.js'
import { kubeOf, waitFor, writerFor } from './session.js'
import { k8sVersionFlag, newTemplate, templateChange, updateFlags } from './update-common.js'

export const updateNodePoolCommand = (providers: readonly string[], version: string): Command => ({
  name: 'nodepool',
  short: `Update a node pool of a cluster: one of [${providers.join(', ')}]`,
  children: providers.map((p) => ({
    name: p,
    use: `${p} NODEPOOL_NAME`,
    short: `Update a node pool of a ${p} cluster`,
    args: 1,
    flags: updateFlags(p, 'nodepool', version),
    run: updateNodePool,
  })),
})

export async function updateNodePool(ctx: Ctx): Promise<void> {
  const provider = ctx.path[ctx.path.length - 1] as string
  const pool = ctx.args[0] as string
  const name = String(ctx.flags['cluster-name'])
  const ns = String(ctx.flags.namespace ?? 'default')
  const version = k8sVersionFlag(ctx)
  const kube = kubeOf(ctx)
  const w = writerFor(ctx, [name, pool])
  await clusterOf(kube, name, ns, provider)
  const md = await kube.get(API.cluster, 'MachineDeployment', pool, ns)
  if (!md)
    throw new CliError(
      `failed to get node pool "${pool}": machinedeployments.cluster.x-k8s.io "${pool}" not found`,
    )
  const owner = md.metadata.labels?.[CLUSTER_NAME] ?? dig<string>(md, 'spec', 'clusterName')
  if (owner !== name) throw new CliError(`node pool "${pool}" belongs to cluster "${owner}", not "${name}"`)
  const current = String(dig(md, 'spec', 'template', 'spec', 'version') ?? '')
  const change = templateChange(ctx, provider, 'nodepool')
  const spec: Record<string, unknown> = { version }
  let changed = current !== version
  if (change) {
    const tRef = dig<{ apiVersion: string; kind: string; name: string }>(
      md,
      'spec',
      'template',
      'spec',
      'infrastructureRef',
    )
    if (tRef) {
      const tName = await newTemplate(kube, w, tRef, ns, pool, version, change)
      if (tName !== tRef.name) {
        changed = true
        spec.infrastructureRef = { ...tRef, name: tName }
      }
    }
  }
  ctx.io.stdout(`Updating node pool resource ${API.cluster}, Kind=MachineDeployment ${ns}/${pool}\n`)
  await patchIfChanged(w, kube, md, { spec: { template: { spec } } }, changed)
  await w.done()
  if (!ctx.flags.wait) return
  ctx.io.stdout('Waiting for node pool update to finish.\n')
  await waitFor(ctx, `the ${pool} node pool update`, Number(ctx.flags.timeout ?? 0), async () => {
    const live = await kube.get(API.cluster, 'MachineDeployment', pool, ns)
    if (!live) return 'node pool gone'
    const s = (live.status ?? {}) as Record<string, unknown>
    const replicas = Number(dig(live, 'spec', 'replicas') ?? 1)
    if (
      !(
        s.updatedReplicas === replicas &&
        s.readyReplicas === replicas &&
        s.replicas === replicas &&
        Number(s.unavailableReplicas ?? 0) === 0 &&
        s.phase === 'Running' &&
        s.observedGeneration === live.metadata.generation
      )
    ) {
      return `${String(s.updatedReplicas ?? 0)}/${replicas} replicas updated, phase ${String(s.phase)}`
    }
    const machines = await kube.list(API.cluster, 'Machine', {
      namespace: ns,
      labelSelector: `cluster.x-k8s.io/deployment-name=${pool}`,
    })
    const old = machines.filter((m) => dig(m, 'spec', 'version') !== version)
    return old.length === 0 || `${old.length} machine(s) not at ${version}`
  })
  ctx.io.stdout(` ✓ Updating the ${pool} node pool\n`)
}
