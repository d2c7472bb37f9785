// `core-addons` (management or managed cluster): `dkp upgrade addons <provider>
// --cluster-name=<c> -n <ns>` (reference/dkp.md §1 steps 7/10a, §2.5). At target when the live
// ConfigMaps `<addon>-<c>` hold the data `dkp upgrade addons … --dry-run -o yaml` prints (a
// read-only probe with the pinned binary); done when, in addition, the cluster's
// ClusterResourceSets report ResourcesApplied. Jobs without a dkp binary (plan, status) and
// other stages asking for this step's state use the run record for this target plus the
// ClusterResourceSets instead of probing.

import {
  type AddonExpectation,
  type AddonObject,
  addonsState,
  clusterResourceSetsOf,
  crsApplied,
  parseAddonDryRun,
} from '../core/addons-state.js'
import { addonsCommand, addonsProbeCommand } from '../core/dkp-commands.js'
import { messageOf, WorkError } from '../core/errors.js'
import { K } from '../core/kinds.js'
import type { KonvoyCluster } from '../core/konvoy-state.js'
import { act, skipped, waitFor } from './flow.js'
import { capiClusterOf, groupBy, konvoyCluster, requireCluster } from './konvoy-read.js'
import type { Snapshot } from './snapshot.js'
import type { StageContext, StageEnv, StageModule, StageOutcome, StepState } from './types.js'

const DONE_STATUSES = new Set(['upgraded', 'skipped'])

/** Probes per snapshot (one job) and cluster: the dry-run output does not change within a job. */
const probes = new WeakMap<Snapshot, Map<string, Promise<AddonExpectation>>>()

async function probe(env: StageEnv, kc: KonvoyCluster): Promise<AddonExpectation> {
  let byCluster = probes.get(env.snapshot)
  if (!byCluster) {
    byCluster = new Map()
    probes.set(env.snapshot, byCluster)
  }
  let pending = byCluster.get(kc.name)
  if (!pending) {
    pending = (async () => {
      const dkp = await env.dkp!()
      const cmd = addonsProbeCommand(kc)
      const result = await dkp.spawn(cmd, env.signal)
      if (result.exitCode !== 0) {
        throw new WorkError(
          `${dkp.display(cmd)} exited with code ${result.exitCode}; last output:\n${result.tail.map((l) => `  ${l}`).join('\n')}`,
        )
      }
      const parsed = parseAddonDryRun(result.stdout)
      if (parsed.configMaps.length === 0 && parsed.clusterResourceSets.length === 0) {
        throw new WorkError(
          `${dkp.display(cmd)} printed no ConfigMaps or ClusterResourceSets to compare with`,
        )
      }
      return parsed
    })()
    byCluster.set(kc.name, pending)
    pending.catch(() => byCluster.delete(kc.name))
  }
  return pending
}

interface LiveAddons {
  configMaps: AddonObject[]
  clusterResourceSets: AddonObject[]
  problem?: string
  mismatch?: boolean
}

async function readLive(snapshot: Snapshot, kc: KonvoyCluster, withConfigMaps: boolean): Promise<LiveAddons> {
  const found = await capiClusterOf(snapshot, kc)
  if (found.problem)
    return { configMaps: [], clusterResourceSets: [], problem: found.problem, mismatch: !!found.mismatch }
  const crs = clusterResourceSetsOf(
    await snapshot.list<AddonObject>(...K.clusterResourceSet, kc.namespace),
    found.cluster!,
  )
  let configMaps: AddonObject[] = []
  if (withConfigMaps) {
    const all = await snapshot.list<AddonObject>(...K.configMap)
    configMaps = groupBy(all, 'ns', (o) => o.metadata.namespace).get(kc.namespace) ?? []
  }
  return { configMaps, clusterResourceSets: crs }
}

/** Run record for this target + ClusterResourceSets applied: for jobs that cannot probe. */
async function recordedState(env: StageEnv, kc: KonvoyCluster, live: LiveAddons): Promise<StepState> {
  const stepId = `core-addons:${kc.name}`
  const entry = await env.record.latest(stepId, env.target.dkp)
  const evidence: string[] = []
  const pending: string[] = []
  if (entry && DONE_STATUSES.has(entry.status)) {
    evidence.push(
      `run record: ${stepId} ${entry.status} to ${entry.to} at ${entry.finished} by ${entry.actor}`,
    )
  } else {
    pending.push(
      `no run record of ${stepId} reaching ${env.target.dkp} (run the core-addons stage; it compares the live addons with dkp ${env.target.dkp})`,
    )
  }
  if (live.clusterResourceSets.length === 0)
    pending.push(`no ClusterResourceSets of ${kc.name} in ${kc.namespace}`)
  for (const crs of live.clusterResourceSets) {
    const a = crsApplied(crs)
    ;(a.ok ? evidence : pending).push(a.detail)
  }
  return { done: pending.length === 0, evidence, pending }
}

async function addonsStatus(env: StageEnv, cluster: string): Promise<StepState> {
  const kc = await konvoyCluster(env, cluster)
  const live = await readLive(env.snapshot, kc, false)
  if (live.problem) return { done: false, evidence: [], pending: [live.problem] }
  const recorded = await recordedState(env, kc, live)
  if (recorded.done || !env.dkp) return recorded
  // Not recorded (e.g. upgraded by hand): live state decides.
  try {
    const expected = await probe(env, kc)
    return addonsState(await readLive(env.snapshot, kc, true), expected, env.target.dkp)
  } catch (err) {
    return {
      done: false,
      evidence: [],
      pending: [...recorded.pending, `dkp probe failed: ${messageOf(err).split('\n')[0]}`],
    }
  }
}

export const stage: StageModule = {
  name: 'core-addons',

  status: addonsStatus,

  async run(ctx) {
    return upgradeAddons(ctx)
  },
}

async function upgradeAddons(ctx: StageContext): Promise<StageOutcome> {
  const kc = await konvoyCluster(ctx, ctx.cluster)
  const to = ctx.target.dkp
  const found = await capiClusterOf(ctx.snapshot, kc)
  requireCluster(found)
  let live = await readLive(ctx.snapshot, kc, true)

  // Live state decides: compare with what the pinned dkp would write.
  let expected: AddonExpectation | undefined
  let before: StepState
  try {
    expected = await probe(ctx, kc)
    before = addonsState(live, expected, to)
  } catch (err) {
    ctx.reporter.warning(
      `cannot compare the core addons of ${kc.name} with dkp ${to} (${messageOf(err).split('\n')[0]}); deciding from the run record`,
    )
    before = await recordedState(ctx, kc, live)
  }
  if (before.done) return skipped(before, to, `core addons of ${kc.name} already match dkp ${to}`)

  const configsDiffer =
    !expected || before.pending.some((p) => /^ConfigMap|^ClusterResourceSet \S+ missing/.test(p))
  const commands = configsDiffer ? [addonsCommand(kc)] : []
  const outcome: StageOutcome = { status: ctx.dryRun ? 'dry-run' : 'upgraded', to, commands, evidence: [] }
  ctx.reporter.info(
    `core addons of ${kc.name} (${kc.provider}, namespace ${kc.namespace}): ${before.pending.join('; ')}`,
  )
  if (commands.length === 0)
    ctx.reporter.info(
      `the ConfigMaps already match dkp ${to}: waiting for the ClusterResourceSets, no dkp command`,
    )
  await act(ctx, commands)
  if (ctx.dryRun) {
    outcome.message = commands.length
      ? `would upgrade the core addons of ${kc.name}: ${before.pending.join('; ')}`
      : `would wait for the ClusterResourceSets of ${kc.name}: ${before.pending.join('; ')}`
    return outcome
  }
  const after = await waitFor(ctx, `core addons of ${kc.name}`, async () => {
    ctx.snapshot.refresh('ConfigMap', 'ClusterResourceSet')
    live = await readLive(ctx.snapshot, kc, true)
    if (live.problem) return { done: false, evidence: [], pending: [live.problem] }
    if (expected) return addonsState(live, expected, to)
    // No probe: the command exited 0; the ClusterResourceSets must apply.
    const pending = live.clusterResourceSets
      .map(crsApplied)
      .filter((a) => !a.ok)
      .map((a) => a.detail)
    const evidence = live.clusterResourceSets
      .map(crsApplied)
      .filter((a) => a.ok)
      .map((a) => a.detail)
    return {
      done: pending.length === 0 && live.clusterResourceSets.length > 0,
      evidence,
      pending: pending.length ? pending : ['no ClusterResourceSets yet'],
    }
  })
  outcome.evidence = after.evidence
  outcome.message = `core addons of ${kc.name} match dkp ${to}; ${live.clusterResourceSets.length} ClusterResourceSets applied`
  return outcome
}
