// Multi-hop upgrades: a fleet more than one minor behind its target is upgraded one minor per
// run, each intermediate minor at its latest patch the release data knows (data/releases.json,
// the kommander-applications tags). Pure: the tags come from the caller.

import { InputError } from './errors.js'
import {
  checkDkpPath,
  compareVersions,
  DKP_MINORS,
  kubernetesMinor,
  minorOf,
  normalizeDkp,
  platformName,
} from './versions.js'

/** One run's worth of the path: the platform goes from `from` to `to`. */
export interface Hop {
  from: string
  to: string
}

/**
 * The hops from the running release to the target: empty when one run can do it (same minor, or
 * the next one), else one hop per minor, each ending at the latest known patch of its minor and
 * the last at the target. Undefined when the path is no skip at all (a downgrade, a release the
 * table does not know): the plan's path check reports those.
 */
export function planHops(from: string, to: string, tags: readonly string[]): Hop[] | undefined {
  const path = checkDkpPath(from, to)
  if (path.ok) return []
  if (path.kind !== 'skip') return undefined
  const fromIdx = DKP_MINORS.findIndex((m) => m.minor === minorOf(from))
  const toIdx = DKP_MINORS.findIndex((m) => m.minor === minorOf(to))
  const stops: string[] = []
  for (const { minor } of DKP_MINORS.slice(fromIdx + 1, toIdx)) {
    const latest = latestPatch(minor, tags)
    if (!latest)
      throw new InputError([
        {
          path: 'target',
          message: `${platformName(to)} ${from} → ${to} goes through ${minor}, and the release data knows no ${minor} release: upgrade to a ${minor} release first (target v${minor}.x)`,
        },
      ])
    stops.push(latest)
  }
  const ends = [...stops, to]
  return ends.map((end, i) => ({ from: i === 0 ? from : ends[i - 1]!, to: end }))
}

/** The newest tag of a minor (`2.7` → `v2.7.3`), undefined when the data has none. */
export function latestPatch(minor: string, tags: readonly string[]): string | undefined {
  let latest: string | undefined
  for (const tag of tags) {
    const v = normalizeDkp(tag)
    if (!v || minorOf(v) !== minor || v.includes('-')) continue
    if (!latest || compareVersions(v, latest) > 0) latest = v
  }
  return latest
}

/**
 * The problem with a `hop` (the plan job's `hop` output handed to a stage job), undefined when
 * it is one: a release of an earlier minor than the target on the path to it.
 */
export function hopProblem(hop: string, target: string): string | undefined {
  const path = checkDkpPath(hop, target)
  if (path.kind === 'downgrade' || path.kind === 'unknown' || minorOf(hop) === minorOf(target))
    return `${hop} is no hop toward the target ${target}: a hop is a release of an earlier minor on the path to it (the plan job's \`hop\` output)`
  return undefined
}

/**
 * Where a hop run stands, for summaries and logs: `hop 1 of 2: v2.6.3 → v2.7.3; dispatch again
 * for v2.8.1 when this run is green` (`again`: how this front end continues). Undefined when the
 * plan is no hop.
 */
export function hopLine(
  plan: { target: { dkp: string }; goal?: { dkp: string }; hops?: Hop[] },
  again = 'dispatch again',
): string | undefined {
  if (!plan.goal) return undefined
  const hops = plan.hops
  if (!hops?.length) return `one hop toward ${plan.goal.dkp}: this run upgrades to ${plan.target.dkp}`
  const first = hops[0]!
  return `hop 1 of ${hops.length}: ${first.from} → ${first.to}; ${again} for ${plan.goal.dkp} when this run is green`
}

/** On a hop: a Kubernetes past the hop's minor and not past the goal's (planned from its own version). */
export function furtherAlong(running: string, hop: string, goal: string): boolean {
  const [r, h, g] = [kubernetesMinor(running), kubernetesMinor(hop), kubernetesMinor(goal)]
  return r !== undefined && h !== undefined && g !== undefined && r > h && r <= g
}
