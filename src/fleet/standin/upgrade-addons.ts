// `dkp upgrade addons <provider> -c NAME`: the release's ClusterResourceSets and ConfigMaps of
// a cluster, created or replaced (--dry-run prints them).

import { stringify } from 'yaml'
import { addonObjects } from '../addons.js'
import type { AnyObject } from '../objects.js'
import { CLUSTER_NAME_FLAG, type Command, type Ctx, KUBECONFIG, NAMESPACE_FLAG } from './command.js'
import { UsageError } from './flags.js'
import { clusterOf } from './object-helpers.js'
import { kubeOf, str, writerFor } from './session.js'

export const upgradeAddonsCommand = (providers: readonly string[]): Command => ({
  name: 'addons',
  short: `Upgrade the core addons of a cluster: one of [${providers.join(', ')}]`,
  children: providers.map((p) => ({
    name: p,
    short: `Upgrade the core addons of a ${p} cluster`,
    args: 0,
    flags: [
      CLUSTER_NAME_FLAG,
      NAMESPACE_FLAG,
      KUBECONFIG,
      {
        name: 'dry-run',
        type: 'bool',
        usage: 'Only print the objects that would be sent, without sending them',
      },
      {
        name: 'output',
        short: 'o',
        type: 'string',
        usage:
          'Output format. One of: json|yaml|name|go-template|go-template-file|template|templatefile|jsonpath|jsonpath-as-json|jsonpath-file',
      },
      {
        name: 'allow-missing-template-keys',
        type: 'bool',
        default: true,
        usage: 'If true, ignore any errors in templates when a field or map key is missing in the template',
      },
      {
        name: 'show-managed-fields',
        type: 'bool',
        usage: 'If true, keep the managedFields when printing objects in JSON or YAML format',
      },
      {
        name: 'template',
        type: 'string',
        usage: 'Template string or path to template file to use when -o=go-template, -o=go-template-file',
      },
    ],
    run: upgradeAddons,
  })),
})

export async function upgradeAddons(ctx: Ctx): Promise<void> {
  const provider = ctx.path[ctx.path.length - 1] as string
  const name = String(ctx.flags['cluster-name'])
  const ns = String(ctx.flags.namespace ?? 'default')
  const output = str(ctx.flags.output)
  const objects = addonObjects(ctx.version, name, ns, provider)
  const kube = kubeOf(ctx)
  await clusterOf(kube, name, ns, provider)
  ctx.io.stdout('Generating addon resources\n')
  if (ctx.flags['dry-run']) {
    const list = objects.flatMap((o) => [o.clusterResourceSet, o.configMap])
    if (output === 'yaml') ctx.io.stdout(list.map((o) => stringify(o)).join('---\n'))
    else if (output === 'json')
      ctx.io.stdout(
        `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: list, metadata: {} }, null, 4)}\n`,
      )
    else if (output === 'name')
      ctx.io.stdout(
        list
          .map(
            (o) =>
              `${o.kind === 'ConfigMap' ? 'configmap' : 'clusterresourceset.addons.cluster.x-k8s.io'}/${o.metadata.name}\n`,
          )
          .join(''),
      )
    else if (output)
      throw new UsageError(
        `unable to match a printer suitable for the output format "${output}", allowed formats are: json,name,yaml`,
      )
    else {
      for (const o of objects) {
        ctx.io.stdout(
          `clusterresourceset.addons.cluster.x-k8s.io/${o.clusterResourceSet.metadata.name} upgraded (dry run)\n`,
        )
        ctx.io.stdout(`configmap/${o.configMap.metadata.name} upgraded (dry run)\n`)
      }
    }
    return
  }
  const w = writerFor(ctx, [name])
  for (const o of objects) {
    for (const obj of [o.clusterResourceSet, o.configMap]) {
      const live = await kube.get(obj.apiVersion, obj.kind, obj.metadata.name as string, ns)
      if (!live) {
        await w.write(() => kube.create(obj))
      } else {
        const body =
          obj.kind === 'ConfigMap' ? { data: (obj as { data?: unknown }).data } : { spec: obj.spec }
        const liveBody =
          obj.kind === 'ConfigMap' ? { data: (live as { data?: unknown }).data } : { spec: live.spec }
        const labelsDiffer = Object.entries(obj.metadata.labels ?? {}).some(
          ([k, v]) => live.metadata.labels?.[k] !== v,
        )
        if (JSON.stringify(canon(body)) !== JSON.stringify(canon(liveBody)) || labelsDiffer) {
          // replace: manual edits of the CRS/ConfigMap are overwritten (C: 2.3 docs)
          await w.write(() =>
            kube.replace({
              ...live,
              ...body,
              metadata: { ...live.metadata, labels: { ...live.metadata.labels, ...obj.metadata.labels } },
            } as AnyObject),
          )
        }
      }
      ctx.io.stdout(
        `${obj.kind === 'ConfigMap' ? 'configmap' : 'clusterresourceset.addons.cluster.x-k8s.io'}/${obj.metadata.name} upgraded\n`,
      )
    }
  }
  await w.done()
}

function canon(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canon)
  if (v === null || typeof v !== 'object') return v
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, canon((v as Record<string, unknown>)[k])]),
  )
}
