// Provider facts an inventory is checked against (reference/dkp.md §2 "Providers", §2.6/2.7):
// what the target's dkp can do with a cluster of this provider, and the images that are built
// per Kubernetes version (a vSphere template is required; pinned AMIs are a warning). Pure.

import { type BuildContext, given, here, isObject, items, type ParsedDoc, type Raw } from './inventory-doc.js'
import type { NodePool } from './model.js'
import { AMI, konvoyProviders, upgradesWithUpgradeCluster, VM_IMAGE, VM_TEMPLATE } from './providers.js'
import { defaultKubernetesFor, sameKubernetes } from './versions.js'
import { fieldPath, type PathSegment } from './yaml-source.js'

/** One Konvoy cluster (or the management cluster) to check: where it is and what it says. */
export interface ProviderCheck {
  doc: ParsedDoc
  base: PathSegment[]
  raw: Raw
  provider: string
  pools: NodePool[] | undefined
  controlPlaneArgs: Record<string, string | string[]>
}

export function checkProvider(ctx: BuildContext, c: ProviderCheck): void {
  if (!c.provider) return
  const { target } = ctx
  const line = target ? konvoyProviders(target.dkp) : undefined
  if (line && !line.providers.includes(c.provider)) {
    ctx.warnings.push({
      source: here(c.doc.src, [...c.base, 'provider']),
      path: fieldPath([...c.base, 'provider']),
      message: `${line.product} ${target!.dkp} ${line.confidence === 'C' ? 'lists' : 'likely lists'} these providers for upgrade addons and update controlplane|nodepool: ${line.providers.join(', ')} (${line.source}); ${c.provider} is not among them, so the Konvoy stages of this cluster fail if this dkp lacks it`,
    })
  }
  if (c.provider === 'vsphere') checkVsphereTemplate(ctx, c)
  if (target && upgradesWithUpgradeCluster(c.provider, target.dkp)) checkNutanixImage(ctx, c)
  if (c.provider === 'aws') warnPinnedAmis(ctx, c)
}

/**
 * A control-plane arg the provider's upgrade needs (an image or template built per Kubernetes
 * version): missing is reported where the nearest given parent is, blank at the arg.
 */
function requireControlPlaneArg(
  ctx: BuildContext,
  c: ProviderCheck,
  key: string,
  texts: { missing: string; blank: string },
): void {
  const { doc, base } = c
  const cpArgsPath = [...base, 'controlPlane', 'args']
  const value = c.controlPlaneArgs[key]
  if (!given(doc, [...cpArgsPath, key])) {
    const at = given(doc, cpArgsPath)
      ? cpArgsPath
      : given(doc, [...base, 'controlPlane'])
        ? [...base, 'controlPlane']
        : base
    ctx.problems.push({
      source: here(doc.src, at),
      path: fieldPath([...cpArgsPath, key]),
      message: texts.missing,
    })
  } else if (typeof value !== 'string' || value === '') {
    ctx.problems.push({
      source: here(doc.src, [...cpArgsPath, key]),
      path: fieldPath([...cpArgsPath, key]),
      message: texts.blank,
    })
  }
}

/** vSphere node templates are built per Kubernetes version: the control plane must name one. */
function checkVsphereTemplate(ctx: BuildContext, c: ProviderCheck): void {
  requireControlPlaneArg(ctx, c, VM_TEMPLATE, {
    missing: `required for a vsphere cluster: vSphere node templates are built per Kubernetes version; name the template built for Kubernetes ${ctx.targetKubernetes ?? 'of the target'} (node pools use it unless their args name their own)`,
    blank: 'must name one VM template',
  })
}

/** An AMI is built for one Kubernetes version: every pinned one must be rebuilt for the target. */
function warnPinnedAmis(ctx: BuildContext, c: ProviderCheck): void {
  const { base } = c
  const cpArgsPath = [...base, 'controlPlane', 'args']
  const pinned: PathSegment[][] = []
  if (c.controlPlaneArgs[AMI] !== undefined) pinned.push([...cpArgsPath, AMI])
  items(c.raw.nodepools).forEach((p, j) => {
    if (isObject(p) && isObject(p.args) && p.args[AMI] !== undefined)
      pinned.push([...base, 'nodepools', j, 'args', AMI])
  })
  if (pinned.length === 0) return
  const names = pinned.map((p) =>
    p.includes('controlPlane')
      ? 'the control plane'
      : `node pool ${c.pools?.[p[p.length - 3] as number]?.name ?? '?'}`,
  )
  ctx.warnings.push({
    source: c.doc.src.key(pinned[0]!.slice(0, -1), AMI),
    path: fieldPath(pinned[0]!),
    message: `pins an AMI for ${names.join(', ')}: an AMI is built for one Kubernetes version, so each must be built for Kubernetes ${ctx.targetKubernetes ?? 'of the target'} (Konvoy Image Builder) before the kubernetes stage runs`,
  })
}

/**
 * Nutanix (NKP): `nkp upgrade cluster nutanix` rolls every machine onto a VM image built for the
 * Kubernetes version the CLI builds in, so the control plane names one (`vm-image`, which covers
 * the pools) and a pool may name its own; and that command has no --kubernetes-version, so a
 * target.kubernetes other than the release's cannot be reached on nutanix.
 */
function checkNutanixImage(ctx: BuildContext, c: ProviderCheck): void {
  const { doc, base } = c
  requireControlPlaneArg(ctx, c, VM_IMAGE, {
    missing: `required for a nutanix cluster: nkp upgrade cluster nutanix needs the VM image built for Kubernetes ${ctx.targetKubernetes ?? 'of the target'} (node pools use it unless their args name their own)`,
    blank: 'must name one VM image',
  })
  items(c.raw.nodepools).forEach((p, j) => {
    if (!isObject(p) || !isObject(p.args) || p.args[VM_IMAGE] === undefined) return
    const own = p.args[VM_IMAGE]
    if (typeof own === 'string' && own !== '') return
    const path = [...base, 'nodepools', j, 'args', VM_IMAGE]
    ctx.problems.push({
      source: here(doc.src, path),
      path: fieldPath(path),
      message: 'must name one VM image',
    })
  })
  const target = ctx.target
  const builtIn = target ? defaultKubernetesFor(target.dkp) : undefined
  if (target?.kubernetes && builtIn && !sameKubernetes(target.kubernetes, builtIn)) {
    ctx.problems.push({
      source: here(doc.src, [...base, 'provider']),
      path: fieldPath([...base, 'provider']),
      message: `nkp upgrade cluster nutanix has no --kubernetes-version: it upgrades to the Kubernetes its CLI builds in (${builtIn} for ${target.dkp}), not target.kubernetes ${target.kubernetes}; drop target.kubernetes or upgrade this cluster outside dkp-fleet`,
    })
  }
}
