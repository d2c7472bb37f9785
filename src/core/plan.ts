// Inventory (+ optional live versions) → the upgrade plan: an ordered DAG of steps, the
// managed clusters grouped into waves, and the matrix the workflow fans out over.
// Pure and deterministic: the same inventory gives byte-identical JSON and the same digest.

import { createHash } from 'node:crypto'
import { InputError, type InputProblem } from './errors.js'
import { furtherAlong, type Hop } from './hops.js'
import {
  type AttachedCluster,
  type Inventory,
  isManaged,
  type ManagedCluster,
  type Rollout,
} from './model.js'
import { defaultKubernetesProvenance, resolveRunTarget } from './plan-target.js'
import { coveredByUpgradeCluster, upgradedOutsideDkp } from './providers.js'
import { orderWaves } from './rollout-order.js'
import { type PlanStage, STAGE_TABLE, stageRow, targetOf } from './stage-table.js'
import {
  checkDkpPath,
  checkKubernetesPath,
  kubernetesSupportedBy,
  minorOf,
  platformName,
} from './versions.js'

export const PLAN_API_VERSION = 'dkp-fleet/v1'

/** GitHub runs at most 256 jobs from one matrix: a wave is split where it exceeds this. */
export const MAX_WAVE_SIZE = 256

export interface PlanStep {
  /** `<stage>:<cluster>` */
  id: string
  stage: PlanStage
  cluster: string
  /** Direct dependencies; ordering is transitive (a step runs after everything it reaches). */
  needs: string[]
  /** Managed-cluster steps: the wave they belong to. */
  wave?: number
  /** The version this step brings the cluster to (DKP for platform stages, Kubernetes for `kubernetes`). */
  to?: string
  /** Live state (plan with a kubeconfig): the version found; not part of the digest. */
  from?: string
  /** Live state: the step's done-condition already holds; not part of the digest. */
  done?: boolean
  /**
   * The step whose command does this step's work (`kubernetes:<cluster>` on an NKP nutanix
   * cluster: `nkp upgrade cluster nutanix`); this one runs nothing and is done when that one is.
   */
  coveredBy?: string
  /** Why, when coveredBy is set. */
  note?: string
}

export interface MatrixEntry {
  cluster: string
  wave: number
}

export interface PlanWave {
  wave: number
  include: MatrixEntry[]
}

export interface AttachedEntry {
  cluster: string
  workspace: string
  note: string
  /** Live Kubernetes version (KommanderCluster status), when known. */
  kubernetes?: string
  /** What the attached cluster must reach outside DKP, when it is behind. */
  gap?: string
  /**
   * Set for a cluster the inventory gives with a provider the target's dkp cannot upgrade
   * (aks in DKP 2.x): planned like an attached one.
   */
  provider?: string
  /** The provider's own upgrade command (documented by the provider, never run by dkp-fleet). */
  upgrade?: string
}

export interface Plan {
  apiVersion: typeof PLAN_API_VERSION
  fleet: string
  management: string
  /** What this run upgrades to: the first hop's release when the target is more than one minor away. */
  target: { dkp: string; kubernetes: string }
  /** Set when this run is one hop: the release the hops lead to (the inventory's or the dispatched target). */
  goal?: { dkp: string; kubernetes: string }
  /**
   * The hops from the live release to the goal, when it is more than one minor away (a plan
   * read live): a run performs hops[0] (= target).
   */
  hops?: Hop[]
  /**
   * True when target.kubernetes is the release's default and the built-in table marks that
   * default as inferred (reference/dkp.md §3), not from release notes.
   */
  kubernetesInferred?: boolean
  /**
   * `3P` when target.kubernetes is the release's default and the table has it from a
   * third-party source (NKP 2.17's 1.34.3, from an nkp help page); shown like the inferred mark.
   */
  kubernetesThirdParty?: boolean
  /** `NKP` for an NKP release (2.12+; the nkp binary), `DKP` before. */
  product?: 'DKP' | 'NKP'
  /** Live versions found when the plan read the cluster (not part of the digest). */
  from?: { dkp?: string; kubernetes?: string }
  rollout: Rollout
  /** Why the backup step is left out, when the inventory turned backups off. */
  backupDisabled?: string
  /** Which stages have work (jobs for the others are skipped). */
  stages: Record<PlanStage, boolean>
  steps: PlanStep[]
  matrix: { include: MatrixEntry[] }
  waves: PlanWave[]
  attached: AttachedEntry[]
  digest: string
}

/** What a plan job read from the live fleet. Everything optional: a fresh cluster may lack some. */
export interface LiveVersions {
  /** DKP (Kommander) version running on the management cluster. */
  dkp?: string
  /** Kubernetes version per cluster name (management, managed and attached). */
  kubernetes: Record<string, string | undefined>
  /** Step ids whose done-condition already holds. */
  done?: string[]
  /** Expected seconds per managed cluster from the run record (orders the matrix only). */
  seconds?: Record<string, number | undefined>
  /** Node count per managed cluster (live Machines; orders the matrix only). */
  nodes?: Record<string, number | undefined>
  /** The hops to the target when the live release is more than one minor behind (src/core/hops.ts). */
  hops?: Hop[]
}

export interface PlanOptions {
  /** Overrides target.dkp (e.g. the workflow's dispatch input). */
  targetDkp?: string
  /** Overrides target.kubernetes. */
  targetKubernetes?: string
  /**
   * The hop this run performs (the plan job's `hop` output, for jobs that plan without live
   * state): the release every step upgrades to; the target stays where the hops lead.
   */
  hop?: string
  live?: LiveVersions
}

export const ATTACHED_NOTE =
  'attached: the Kommander stages upgrade its platform and catalog apps; DKP does not upgrade its Kubernetes (use the provider tools, after Kommander is upgraded)'

export { resolveRunTarget, resolveTarget } from './plan-target.js'

export function buildPlan(inv: Inventory, opts: PlanOptions = {}): Plan {
  const { target, goal } = resolveRunTarget(inv, opts)
  const live = opts.live
  const mgmt = inv.management.name
  checkPaths(inv, target, live, goal)

  const steps: PlanStep[] = []
  let previous: string[] = []
  const add = (stage: PlanStage, cluster: string, needs = previous, wave?: number): PlanStep => {
    const step: PlanStep = { id: `${stage}:${cluster}`, stage, cluster, needs }
    if (wave !== undefined) step.wave = wave
    step.to = targetOf(stage, target)
    const covered = coveredByUpgradeCluster(stage, providerOf(cluster), target.dkp, cluster === mgmt)
    if (covered) {
      step.coveredBy = `kubernetes:${cluster}`
      step.note = covered
    }
    steps.push(step)
    return step
  }
  const rows = STAGE_TABLE.filter((r) => r.hasWork(inv))
  const providers = new Map(inv.clusters.filter(isManaged).map((c) => [c.name, c.provider]))
  const providerOf = (cluster: string) =>
    cluster === mgmt ? inv.management.provider : (providers.get(cluster) ?? '')

  // Management stages, in the order of the DKP upgrade guide (reference/dkp.md §1): the stage
  // table's order; per-cluster stages run on the management cluster first.
  for (const row of rows.filter((r) => !r.final)) previous = [add(row.name, mgmt).id]

  // Managed clusters, wave by wave: each wave starts when the previous one has finished; a
  // cluster's per-cluster stages run one after the other.
  const perCluster = rows.filter((r) => r.scope === 'cluster')
  const waves = groupWaves(inv.clusters.filter(isManaged))
  for (const wave of waves) {
    const last: string[] = []
    for (const { cluster } of wave.include) {
      let needs = previous
      for (const row of perCluster) needs = [add(row.name, cluster, needs, wave.wave).id]
      last.push(...needs)
    }
    previous = last
  }
  // Then the stages that read the whole fleet back (verify).
  for (const row of rows.filter((r) => r.final)) previous = [add(row.name, mgmt).id]

  const attached = inv.clusters
    .filter((c) => c.attached)
    .map((c) => attachedEntry(c, target, live?.kubernetes[c.name]))

  const stages = Object.fromEntries(
    STAGE_TABLE.map((r) => [r.name, steps.some((step) => step.stage === r.name)]),
  ) as Record<PlanStage, boolean>

  const plan: Plan = {
    apiVersion: PLAN_API_VERSION,
    fleet: inv.fleet,
    management: mgmt,
    target,
    ...(goal ? { goal } : {}),
    ...(goal && live?.hops && live.hops.length > 1 ? { hops: live.hops } : {}),
    rollout: { ...inv.rollout },
    stages,
    steps,
    matrix: { include: waves.flatMap((w) => w.include) },
    waves,
    attached,
    digest: '',
  }
  if (!inv.backup.enabled) plan.backupDisabled = inv.backup.reason ?? 'turned off in the inventory'
  // A hop's Kubernetes is never the options' (they are for the goal).
  const provenance = defaultKubernetesProvenance(inv, target, goal ? {} : opts)
  if (provenance === 'I') plan.kubernetesInferred = true
  else if (provenance === '3P') plan.kubernetesThirdParty = true
  if (platformName(target.dkp) === 'NKP') plan.product = 'NKP'
  plan.digest = planDigest(plan, inv)
  if (live) markLive(plan, live)
  orderMatrix(plan, inv, live)
  return plan
}

/**
 * History and node counts decide only in which order a wave's legs start, never what runs:
 * applied after the digest, which hashes each wave's members as a set. Node counts: live
 * Machines, else the inventory's `nodes`.
 */
function orderMatrix(plan: Plan, inv: Inventory, live: LiveVersions | undefined) {
  const nodes: Record<string, number | undefined> = {}
  for (const c of inv.clusters) if (isManaged(c) && c.nodes !== undefined) nodes[c.name] = c.nodes
  Object.assign(nodes, live?.nodes)
  if (!live?.seconds && Object.keys(nodes).length === 0) return
  plan.waves = orderWaves(plan.waves, { ...(live?.seconds ? { seconds: live.seconds } : {}), nodes })
  plan.matrix = { include: plan.waves.flatMap((w) => w.include) }
}

/**
 * Canaries form wave 0; then the inventory's waves in ascending order, numbered 1, 2, ...
 * (so `wave: 1..3` stay 1..3); a wave over MAX_WAVE_SIZE clusters continues in the next number.
 */
export function groupWaves(clusters: ManagedCluster[]): PlanWave[] {
  const byWave = new Map<number, ManagedCluster[]>()
  for (const c of clusters) {
    const key = c.canary ? 0 : c.wave
    const list = byWave.get(key)
    if (list) list.push(c)
    else byWave.set(key, [c])
  }
  const waves: PlanWave[] = []
  let next = 1
  for (const key of [...byWave.keys()].sort((a, b) => a - b)) {
    const members = byWave.get(key)!
    for (let i = 0; i < members.length; i += MAX_WAVE_SIZE) {
      const wave = key === 0 && i === 0 ? 0 : next++
      waves.push({
        wave,
        include: members.slice(i, i + MAX_WAVE_SIZE).map((c) => ({ cluster: c.name, wave })),
      })
    }
  }
  return waves
}

function attachedEntry(
  c: AttachedCluster,
  target: { dkp: string; kubernetes: string },
  kubernetes: string | undefined,
): AttachedEntry {
  const entry: AttachedEntry = { cluster: c.name, workspace: c.workspace, note: ATTACHED_NOTE }
  const outside = c.provider ? upgradedOutsideDkp(c.provider, target.dkp) : undefined
  const tool = outside ? `\`${outside.command(c.name, target.kubernetes)}\`` : "its provider's tools"
  if (outside) {
    entry.provider = outside.provider
    entry.note = `${outside.provider}: ${outside.reason}; planned like an attached cluster: the Kommander stages upgrade its platform and catalog apps, and its Kubernetes is upgraded with the provider's tool after Kommander (${outside.docs})`
    entry.upgrade = outside.command(c.name, target.kubernetes)
  }
  if (kubernetes) {
    entry.kubernetes = kubernetes
    const unsupported = kubernetesSupportedBy(target.dkp, kubernetes)
    if (unsupported) entry.gap = `${unsupported}: upgrade it with ${tool} after Kommander`
    else if (minorOf(kubernetes) !== minorOf(target.kubernetes))
      entry.gap = `runs ${kubernetes}; the managed fleet moves to ${target.kubernetes}: upgrade it outside DKP${outside ? ` with ${tool}` : ' when its provider supports it'}`
  }
  return entry
}

/**
 * Refuses targets that skip a DKP or Kubernetes minor, or go backwards, for live versions. On a
 * hop, a cluster whose Kubernetes is already past the hop's is planned from its own version (a
 * mixed fleet): its kubernetes step has nothing to do until the hop that reaches it.
 */
function checkPaths(
  inv: Inventory,
  target: { dkp: string; kubernetes: string },
  live: LiveVersions | undefined,
  goal?: { dkp: string; kubernetes: string },
) {
  if (!live) return
  const problems: InputProblem[] = []
  if (live.dkp) {
    const path = checkDkpPath(live.dkp, target.dkp)
    if (!path.ok) problems.push({ source: inv.targetSource, path: 'target.dkp', message: path.reason! })
  }
  const konvoyClusters = [inv.management.name, ...inv.clusters.filter(isManaged).map((c) => c.name)]
  for (const name of konvoyClusters) {
    const running = live.kubernetes[name]
    if (!running) continue
    if (goal && furtherAlong(running, target.kubernetes, goal.kubernetes)) continue
    const path = checkKubernetesPath(running, target.kubernetes)
    if (!path.ok) {
      const source =
        name === inv.management.name
          ? inv.management.source
          : inv.clusters.find((c) => c.name === name)?.source
      problems.push({ source, path: 'target.kubernetes', message: `cluster ${name}: ${path.reason!}` })
    }
  }
  if (problems.length > 0) throw new InputError(problems)
}

function markLive(plan: Plan, live: LiveVersions) {
  const done = new Set(live.done ?? [])
  plan.from = {}
  if (live.dkp) plan.from.dkp = live.dkp
  const mgmtKubernetes = live.kubernetes[plan.management]
  if (mgmtKubernetes) plan.from.kubernetes = mgmtKubernetes
  for (const step of plan.steps) {
    // Kubernetes-valued steps report the cluster's Kubernetes; platform steps the running DKP.
    const from =
      stageRow(step.stage).value === 'kubernetes'
        ? live.kubernetes[step.cluster]
        : step.cluster === plan.management
          ? live.dkp
          : undefined
    if (from) step.from = from
    if (done.has(step.id)) step.done = true
  }
}

/** Top-level inventory fields that change nothing a run does: where values were written. */
// `target` counts through the plan's resolved target (a written-out default changes nothing).
const NOT_DIGESTED = new Set(['files', 'targetSource', 'target'])
/**
 * Fields of list entries that count only through the plan, which is hashed already: a cluster's
 * `wave` and `canary` decide nothing beyond the plan's waves (wave 2 → 3 with no wave between
 * leaves the plan and every job the same); `nodes` only the order a wave's legs start in.
 */
const IN_PLAN: Record<string, Set<string>> = { clusters: new Set(['wave', 'canary', 'nodes']) }

/**
 * sha256 over everything a later job acts on: the plan derived from the inventory (target,
 * steps and their dependencies, each wave's members (not their start order), attached clusters) and the inventory itself — every field that
 * changes a command (args, providers, namespaces, node pools, app versions), a target or a
 * decision (windows, backup settings, rollout, kubeconfigEnv, allowInsecureSkipTlsVerify, …).
 * The inventory is hashed as canonical JSON of the validated model: every field except source
 * positions and file names, mapping keys sorted, defaults filled in, so file order and split,
 * comments, whitespace, key order and written-out defaults change nothing, and a field added to
 * the model is covered without touching this function. Live marks (`from`, `done`, attached
 * live versions) are excluded, so a plan job with a kubeconfig and a later job without one agree.
 */
export function planDigest(plan: Plan, inv: Inventory): string {
  const hash = createHash('sha256')
  hash.update(
    JSON.stringify({
      apiVersion: plan.apiVersion,
      fleet: plan.fleet,
      management: plan.management,
      target: plan.target,
      // A hop covers where it leads too; a plan without one hashes as before.
      ...(plan.goal ? { goal: plan.goal } : {}),
      rollout: plan.rollout,
      backupDisabled: plan.backupDisabled ?? null,
      // Members as a set: the order legs start in (longest expected first) is not what runs.
      waves: plan.waves.map((w) => [w.wave, w.include.map((e) => e.cluster).sort()]),
      attached: plan.attached.map((a) => [a.cluster, a.workspace]),
    }),
  )
  // Steps of one wave share their needs array: hash each distinct array once.
  const needsDigest = new Map<string[], string>()
  for (const s of plan.steps) {
    let needs = needsDigest.get(s.needs)
    if (needs === undefined) {
      needs = createHash('sha256').update(JSON.stringify(s.needs)).digest('hex')
      needsDigest.set(s.needs, needs)
    }
    hash.update(`\n${s.id}|${needs}|${s.wave ?? ''}|${s.to ?? ''}${s.coveredBy ? `|${s.coveredBy}` : ''}`)
  }
  // The inventory, one canonical chunk per list entry (10,000 clusters hash in a few ms).
  for (const key of Object.keys(inv).sort()) {
    if (NOT_DIGESTED.has(key)) continue
    const value = (inv as unknown as Record<string, unknown>)[key]
    hash.update(`\n${key}:`)
    if (Array.isArray(value)) for (const item of value) hash.update(`\n${canonical(item, IN_PLAN[key])}`)
    else hash.update(canonical(value))
  }
  return `sha256:${hash.digest('hex')}`
}

/**
 * JSON with mapping keys sorted, source positions (`source`, `versionSource`, …) and undefined
 * values left out; `skip`: keys left out of the top mapping only.
 */
function canonical(value: unknown, skip?: Set<string>): string {
  const top = skip && isMapping(value) ? sortedCopy(value, skip) : value
  return (
    JSON.stringify(top, (key: string, v: unknown) => {
      if ((key === 'source' || key.endsWith('Source')) && isMapping(v)) return undefined
      return isMapping(v) && v !== top ? sortedCopy(v) : v
    }) ?? 'null'
  )
}

function sortedCopy(v: Record<string, unknown>, skip?: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(v).sort()) if (!skip?.has(k)) out[k] = v[k]
  return out
}

const isMapping = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v)

/** Steps of one cluster (the management cluster's own steps when cluster is the management). */
export function stepsFor(plan: Plan, cluster: string): PlanStep[] {
  return plan.steps.filter((s) => s.cluster === cluster)
}

/** Managed clusters of a wave, in plan order. */
export function clustersInWave(plan: Plan, wave: number): string[] {
  return plan.waves.find((w) => w.wave === wave)?.include.map((e) => e.cluster) ?? []
}

/**
 * A later job's plan must be the plan job's: the same digest (`plan-digest`), else the inventory
 * or the target changed between jobs. Bad input (exit code 2); the action's plan stage and every
 * stage job check it the same way.
 */
export function assertPlanDigest(plan: Pick<Plan, 'digest'>, expected: string | undefined): void {
  if (expected && expected !== plan.digest)
    throw new InputError(
      `this job's plan (${plan.digest}) differs from the plan job's (${expected}): the inventory or the target changed between jobs; re-run the whole workflow from the plan job`,
    )
}
