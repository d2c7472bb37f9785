// `dkp update controlplane <provider> -c NAME --kubernetes-version V`: the control plane's
// spec.version (and a new machine template when provider flags are given), then a wait.

import { controlPlaneVersion, dig, getCondition } from '../objects.js'
import { CliError, type Command, type Ctx } from './command.js'
import { clusterOf, patchIfChanged } from './object-helpers.js'
import { kubeOf, waitFor, writerFor } from './session.js'
import {
  checkVersionChange,
  k8sVersionFlag,
  newTemplate,
  templateChange,
  updateFlags,
} from './update-common.js'

export const updateControlPlaneCommand = (providers: readonly string[], version: string): Command => ({
  name: 'controlplane',
  short: `Update the control plane of a cluster: one of [${providers.join(', ')}]`,
  children: providers.map((p) => ({
    name: p,
    short: `Update the control plane of a ${p} cluster`,
    args: 0,
    flags: updateFlags(p, 'controlplane', version),
    run: updateControlPlane,
  })),
})

export async function updateControlPlane(ctx: Ctx): Promise<void> {
  const provider = ctx.path[ctx.path.length - 1] as string
  const name = String(ctx.flags['cluster-name'])
  const ns = String(ctx.flags.namespace ?? 'default')
  const version = k8sVersionFlag(ctx)
  const kube = kubeOf(ctx)
  const w = writerFor(ctx, [name])
  const cluster = await clusterOf(kube, name, ns, provider)
  const ref = dig<{ apiVersion: string; kind: string; name: string; namespace?: string }>(
    cluster,
    'spec',
    'controlPlaneRef',
  )
  if (!ref) throw new CliError(`cluster "${name}" has no control plane reference`)
  const cp = await kube.get(ref.apiVersion, ref.kind, ref.name, ref.namespace ?? ns)
  if (!cp) throw new CliError(`failed to get control plane: ${ref.kind} ${ns}/${ref.name} not found`)
  const current = String(dig(cp, 'spec', 'version') ?? '')
  if (current !== version) checkVersionChange(ref.kind, ref.name, current, version)
  const change = templateChange(ctx, provider, 'controlplane')
  const patch: Record<string, unknown> = { spec: { version } }
  let changed = current !== version
  if (change && ref.kind === 'KubeadmControlPlane') {
    const tRef = dig<{ apiVersion: string; kind: string; name: string }>(
      cp,
      'spec',
      'machineTemplate',
      'infrastructureRef',
    )
    if (tRef) {
      const tName = await newTemplate(kube, w, tRef, ns, `${ref.name}`, version, change)
      if (tName !== tRef.name) {
        changed = true
        ;(patch.spec as Record<string, unknown>).machineTemplate = {
          infrastructureRef: { ...tRef, name: tName },
        }
      }
    }
  }
  const [group] = ref.apiVersion.split('/')
  ctx.io.stdout(
    `Updating control plane resource ${group}/${ref.apiVersion.split('/')[1]}, Kind=${ref.kind} ${ns}/${ref.name}\n`,
  )
  await patchIfChanged(w, kube, cp, patch, changed)
  await w.done()
  if (!ctx.flags.wait) return
  ctx.io.stdout('Waiting for control plane update to finish.\n')
  await waitFor(ctx, 'the control plane update', Number(ctx.flags.timeout ?? 0), async () => {
    const live = await kube.get(ref.apiVersion, ref.kind, ref.name, ref.namespace ?? ns)
    if (!live) return 'control plane gone'
    const s = (live.status ?? {}) as Record<string, unknown>
    const ready = getCondition(live, 'Ready')?.status === 'True'
    if (ref.kind !== 'KubeadmControlPlane') {
      const applied = controlPlaneVersion(live)
      return (applied === version && ready) || `control plane at ${applied ?? 'unknown version'}`
    }
    const replicas = Number(dig(live, 'spec', 'replicas') ?? 1)
    const ok =
      s.version === version &&
      s.updatedReplicas === replicas &&
      s.replicas === replicas &&
      s.readyReplicas === replicas &&
      Number(s.unavailableReplicas ?? 0) === 0 &&
      s.observedGeneration === live.metadata.generation &&
      ready
    return ok || `${String(s.updatedReplicas ?? 0)}/${replicas} replicas updated`
  })
  ctx.io.stdout(' ✓ Updating the control plane\n')
}
