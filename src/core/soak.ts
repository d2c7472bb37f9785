// Soak: a wave's clusters run at the target for a while before the next wave may start
// (`rollout.soak`, per wave `rollout.waves.<N>.soak`). Pure decisions: the gate before a wave
// (stages/verify.ts) reads the run record and the clock at the edge and asks these.

import type { Rollout } from './model.js'
import type { Plan } from './plan.js'

/** Seconds wave `wave` soaks before the next wave (its override, else rollout.soak, else 0). */
export function soakAfter(rollout: Rollout, wave: number): number {
  return rollout.waveSoakSeconds?.[String(wave)] ?? rollout.soakSeconds ?? 0
}

/** The wave before `wave` in the plan (undefined for the first: it follows the management stages). */
export function previousWave(plan: Pick<Plan, 'waves'>, wave: number): number | undefined {
  const i = plan.waves.findIndex((w) => w.wave === wave)
  return i > 0 ? plan.waves[i - 1]!.wave : undefined
}

/** A record entry as far as the soak needs it. */
export interface UpgradeEntry {
  stepId: string
  status: string
  to?: string
  finished: string
}

/**
 * Epoch ms of the newest `upgraded` entry of `steps` reaching the step's target: when the wave
 * last changed a cluster towards this plan. Undefined: nothing was upgraded (all skipped).
 */
export function lastUpgrade(
  entries: readonly UpgradeEntry[],
  steps: readonly { id: string; to?: string }[],
): number | undefined {
  const to = new Map(steps.map((s) => [s.id, s.to]))
  let last: number | undefined
  for (const e of entries) {
    if (
      e.status !== 'upgraded' ||
      !to.has(e.stepId) ||
      (to.get(e.stepId) !== undefined && e.to !== to.get(e.stepId))
    )
      continue
    const t = Date.parse(e.finished)
    if (Number.isFinite(t) && (last === undefined || t > last)) last = t
  }
  return last
}

export type SoakDecision =
  /** No soak, nothing upgraded, or soaked long enough. */
  | { kind: 'pass'; soakSeconds: number; since?: number }
  /** The soak ends by `limit`: wait until `until`, then check the health gates again. */
  | { kind: 'wait'; soakSeconds: number; since: number; until: number }
  /** The soak outlasts this job: end `deferred`; dispatch again at `until`. */
  | { kind: 'defer'; soakSeconds: number; since: number; until: number }

/**
 * `now`, `limit` (the latest a wait may end: the job's deadline less a margin) and `since`
 * (the previous wave's last upgrade) in epoch ms.
 */
export function soakDecision(o: {
  soakSeconds: number
  since?: number
  now: number
  limit: number
}): SoakDecision {
  const { soakSeconds, since } = o
  if (soakSeconds <= 0 || since === undefined)
    return { kind: 'pass', soakSeconds, ...(since ? { since } : {}) }
  const until = since + soakSeconds * 1000
  if (until <= o.now) return { kind: 'pass', soakSeconds, since }
  return { kind: until <= o.limit ? 'wait' : 'defer', soakSeconds, since, until }
}

/** `1d2h`, `90m`, `45s`: a soak for people. */
export function formatSeconds(seconds: number): string {
  let rest = Math.round(seconds)
  const parts: string[] = []
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / size)
    if (n > 0) parts.push(`${n}${unit}`)
    rest -= n * size
  }
  return parts.join('') || '0s'
}

/**
 * The soak between waves for people ("" without one): `; each wave soaks 2h after its last
 * upgrade before the next starts (wave 0: 1d)`, or `; wave 0 soaks 1d after its last upgrade
 * before the next starts` when only overrides are set.
 */
export function soakNote(plan: Pick<Plan, 'rollout' | 'waves'>): string {
  const soaks = plan.waves.slice(0, -1).map((w) => [w.wave, soakAfter(plan.rollout, w.wave)] as const)
  if (!soaks.some(([, s]) => s > 0)) return ''
  const base = plan.rollout.soakSeconds ?? 0
  const tail = 'after its last upgrade before the next starts'
  if (base === 0)
    return `; ${soaks
      .filter(([, s]) => s > 0)
      .map(([w, s]) => `wave ${w} soaks ${formatSeconds(s)}`)
      .join(', ')} ${tail}`
  const others = soaks.filter(([, s]) => s !== base).map(([w, s]) => `wave ${w}: ${formatSeconds(s)}`)
  return `; each wave soaks ${formatSeconds(base)} ${tail}${others.length ? ` (${others.join(', ')})` : ''}`
}

/** One soak between two waves, as `status` shows it. */
export interface SoakStatus {
  /** The wave that soaks. */
  wave: number
  /** The wave that waits for it. */
  next: number
  soakSeconds: number
  /** Its newest upgrade towards the plan's target; null when nothing was upgraded. */
  lastUpgrade: string | null
  /** When the next wave may start; null when nothing was upgraded. */
  until: string | null
  over: boolean
}

/** The soaks of the plan (waves with a soak and a next wave), from the run record at `now`. */
export function soakStatuses(
  plan: Pick<Plan, 'rollout' | 'waves' | 'steps'>,
  entries: readonly UpgradeEntry[],
  now: number,
): SoakStatus[] {
  const out: SoakStatus[] = []
  plan.waves.slice(0, -1).forEach((w, i) => {
    const soakSeconds = soakAfter(plan.rollout, w.wave)
    if (soakSeconds <= 0) return
    const since = lastUpgrade(
      entries,
      plan.steps.filter((s) => s.wave === w.wave),
    )
    const until = since === undefined ? undefined : since + soakSeconds * 1000
    out.push({
      wave: w.wave,
      next: plan.waves[i + 1]!.wave,
      soakSeconds,
      lastUpgrade: since === undefined ? null : new Date(since).toISOString(),
      until: until === undefined ? null : new Date(until).toISOString(),
      over: until === undefined || until <= now,
    })
  })
  return out
}
