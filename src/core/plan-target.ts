// What a plan upgrades to: the inventory's target, overridden by the dispatch inputs, and on a
// fleet more than one minor behind the hop toward it (src/core/hops.ts). Pure.

import { InputError, type InputProblem } from './errors.js'
import { hopProblem } from './hops.js'
import type { Inventory } from './model.js'
import type { PlanOptions } from './plan.js'
import {
  type DkpMinor,
  defaultKubernetesFor,
  dkpMinor,
  kubernetesSupportedBy,
  minorOf,
  normalizeDkp,
  normalizeKubernetes,
  platformName,
} from './versions.js'

export interface Target {
  dkp: string
  kubernetes: string
}

export function resolveTarget(inv: Inventory, opts: PlanOptions = {}): { dkp: string; kubernetes: string } {
  const problems: InputProblem[] = []
  let dkp = inv.target.dkp
  if (opts.targetDkp !== undefined) {
    const normalized = normalizeDkp(opts.targetDkp)
    if (!normalized)
      problems.push({
        path: 'target',
        message: `"${opts.targetDkp}" is not a DKP/NKP version like v2.8.1 or v2.14.1`,
      })
    else dkp = normalized
  }
  let kubernetes: string | undefined
  if (opts.targetKubernetes !== undefined) {
    kubernetes = normalizeKubernetes(opts.targetKubernetes)
    if (!kubernetes)
      problems.push({
        path: 'target-kubernetes',
        message: `"${opts.targetKubernetes}" is not a Kubernetes version like 1.28.7`,
      })
  } else if (inv.target.kubernetes && minorOf(dkp) === minorOf(inv.target.dkp)) {
    kubernetes = inv.target.kubernetes
  }
  kubernetes ??= defaultKubernetesFor(dkp)
  if (!kubernetes) {
    problems.push({
      source: inv.targetSource,
      path: 'target.kubernetes',
      message: `${platformName(dkp)} ${dkp} is not in the built-in release table; set target.kubernetes`,
    })
  } else {
    const unsupported = kubernetesSupportedBy(dkp, kubernetes)
    if (unsupported)
      problems.push({ source: inv.targetSource, path: 'target.kubernetes', message: unsupported })
  }
  if (problems.length > 0) throw new InputError(problems)
  return { dkp, kubernetes: kubernetes! }
}

/**
 * What a run upgrades to: the target, or the hop toward it (given, or the first of the live
 * hops). A hop's Kubernetes is its own release's (the inventory's target.kubernetes only where
 * the hop's minor is the inventory target's; a target-kubernetes override is for the goal).
 */
export function resolveRunTarget(
  inv: Inventory,
  opts: PlanOptions = {},
): { target: { dkp: string; kubernetes: string }; goal?: { dkp: string; kubernetes: string } } {
  const goal = resolveTarget(inv, opts)
  const hops = opts.live?.hops
  let hop = hops && hops.length > 1 ? hops[0]!.to : undefined
  if (opts.hop !== undefined) {
    const normalized = normalizeDkp(opts.hop)
    const problem = normalized
      ? hopProblem(normalized, goal.dkp)
      : `"${opts.hop}" is not a DKP/NKP version like v2.7.3`
    if (problem) throw new InputError([{ path: 'plan-hop', message: problem }])
    hop = normalized
  }
  if (!hop) return { target: goal }
  return { target: resolveTarget(inv, { targetDkp: hop }), goal }
}

/**
 * Where the resolved target Kubernetes comes from when it is the release table's default (not
 * given by the inventory or a flag): that row's provenance (`I` inferred, `3P`, `C`); undefined
 * when it was given.
 */
export function defaultKubernetesProvenance(
  inv: Inventory,
  target: Target,
  opts: PlanOptions,
): DkpMinor['provenance'] | undefined {
  if (opts.targetKubernetes !== undefined) return undefined
  if (inv.target.kubernetes && minorOf(target.dkp) === minorOf(inv.target.dkp)) return undefined
  const release = dkpMinor(target.dkp)
  return release?.kubernetes === target.kubernetes ? release.provenance : undefined
}
