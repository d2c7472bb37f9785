// What `dkp update controlplane` and `dkp update nodepool` share: their flags (the provider's
// template flags included), the new infrastructure template, the Kubernetes version flag and
// the CAPI webhook's version-change rule.

import type { Kube } from '../../effects/kube.js'
import { dkpRelease } from '../dkp-releases.js'
import { suffix, vPrefixed } from '../objects.js'
import { CLUSTER_NAME_FLAG, CliError, type Ctx, KUBECONFIG, NAMESPACE_FLAG, WAIT } from './command.js'
import type { FlagDef } from './flags.js'
import { minorOf } from './object-helpers.js'
import { minorNumber, providerFlags } from './release-flags.js'
import type { Writer } from './session.js'

export function updateFlags(
  provider: string,
  which: 'controlplane' | 'nodepool',
  version: string,
): FlagDef[] {
  const nkp = minorNumber(version) >= 12
  return [
    CLUSTER_NAME_FLAG,
    NAMESPACE_FLAG,
    KUBECONFIG,
    { name: 'use-context', type: 'string', usage: 'The name of the kubeconfig context to use' },
    {
      name: 'kubernetes-version',
      type: 'string',
      default: vPrefixed(dkpRelease(version).kubernetes),
      usage: 'The Kubernetes version to update to',
    },
    WAIT,
    ...(nkp
      ? [
          {
            name: 'timeout',
            type: 'duration' as const,
            default: 30 * 60_000,
            usage: 'The length of time to wait before giving up',
          },
        ]
      : []),
    ...providerFlags(provider, which),
  ]
}

/** Provider flags given: the new infrastructure template's content. */
export function templateChange(
  ctx: Ctx,
  provider: string,
  which: 'controlplane' | 'nodepool',
): Record<string, string | number> | undefined {
  const given = providerFlags(provider, which).filter((f) => ctx.set.has(f.name))
  if (given.length === 0) return undefined
  return Object.fromEntries(given.map((f) => [f.name, ctx.flags[f.name] as string | number]))
}

export function k8sVersionFlag(ctx: Ctx): string {
  const raw = String(ctx.flags['kubernetes-version'])
  if (!/^v?\d+\.\d+\.\d+(\+fips\.\d+)?$/.test(raw))
    throw new CliError(`invalid Kubernetes version "${raw}": expected a version such as v1.28.7`)
  return vPrefixed(raw)
}

/** The CAPI KCP webhook's check: no minor skipped, no downgrade. */
export function checkVersionChange(kind: string, name: string, from: string, to: string): void {
  const [fa, fb, fc] = minorOf(from)
  const [ta, tb, tc] = minorOf(to)
  const down = ta < fa || (ta === fa && (tb < fb || (tb === fb && tc < fc)))
  if (down || ta !== fa || tb - fb > 1) {
    throw new CliError(
      `admission webhook "validation.${kind.toLowerCase()}.controlplane.cluster.x-k8s.io" denied the request: ${kind}.controlplane.cluster.x-k8s.io "${name}" is invalid: spec.version: Forbidden: cannot update Kubernetes version from ${from} to ${to}`,
    )
  }
}

export async function newTemplate(
  kube: Kube,
  w: Writer,
  ref: { apiVersion: string; kind: string; name: string },
  ns: string,
  base: string,
  version: string,
  change: Record<string, string | number>,
): Promise<string> {
  const name = `${base}-${suffix(`${version}/${JSON.stringify(change)}`, 6)}`
  if (ref.kind === 'AWSMachineTemplate' && (await kube.hasResource(ref.apiVersion, ref.kind))) {
    if (!(await kube.get(ref.apiVersion, ref.kind, name, ns))) {
      await w.write(() =>
        kube.create({
          apiVersion: ref.apiVersion,
          kind: ref.kind,
          metadata: { name, namespace: ns },
          spec: {
            template: {
              spec: {
                instanceType: String(change['instance-type'] ?? 'm5.2xlarge'),
                ...(change.ami ? { ami: { id: String(change.ami) } } : {}),
                iamInstanceProfile: 'nodes.cluster-api-provider-aws.sigs.k8s.io',
                sshKeyName: 'default',
              },
            },
          },
        }),
      )
    }
  }
  if (ref.kind === 'NutanixMachineTemplate' && (await kube.hasResource(ref.apiVersion, ref.kind))) {
    // NKP nutanix: a copy of the current template on the new VM image
    const current = await kube.get(ref.apiVersion, ref.kind, ref.name, ns)
    if (!(await kube.get(ref.apiVersion, ref.kind, name, ns))) {
      const spec = (current?.spec as { template?: { spec?: Record<string, unknown> } } | undefined)?.template
        ?.spec
      await w.write(() =>
        kube.create({
          apiVersion: ref.apiVersion,
          kind: ref.kind,
          metadata: { name, namespace: ns, labels: current?.metadata.labels ?? {} },
          spec: {
            template: {
              spec: {
                ...(spec ?? {}),
                ...(change['vm-image'] ? { image: { type: 'name', name: String(change['vm-image']) } } : {}),
              },
            },
          },
        }),
      )
    }
  }
  return name
}
