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
import { type Pending, pend, pendingTexts, type StepState } from '../core/step-state.js'
import { defineStage } from './drive.js'
import { capiClusterOf, groupBy, konvoyCluster } from './konvoy-read.js'
import type { Snapshot } from './snapshot.js'
import { refuse, type StageEnv, type UpgradeStage } from './types.js'

const DONE_STATUSES = new Set(['upgraded', 'skipped'])

/** The dry-run probe of a cluster, once per environment (one job): its output does not change within a job. */
function probe(env: StageEnv, kc: KonvoyCluster): Promise<AddonExpectation> {
  return env.memo.once(`addons-probe:${kc.name}`, async () => {
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
      throw new WorkError(`${dkp.display(cmd)} printed no ConfigMaps or ClusterResourceSets to compare with`)
    }
    return parsed
  })
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

interface AddonsState {
  kc: KonvoyCluster
  target: string
  live: LiveAddons
  /** The run record's entry for this step reaching the target, as a line; `ok` when it says upgraded/skipped. */
  record?: { ok: boolean; line: string }
  /** What the pinned dkp would write (`upgrade addons … --dry-run -o yaml`), when probed. */
  expected?: AddonExpectation
  /** Why the probe failed, when it did. */
  probeError?: string
}

async function recordLine(env: StageEnv, kc: KonvoyCluster): Promise<{ ok: boolean; line: string }> {
  const stepId = `core-addons:${kc.name}`
  const entry = await env.record.latest(stepId, env.target.dkp)
  return entry && DONE_STATUSES.has(entry.status)
    ? {
        ok: true,
        line: `run record: ${stepId} ${entry.status} to ${entry.to} at ${entry.finished} by ${entry.actor}`,
      }
    : {
        ok: false,
        line: `no run record of ${stepId} reaching ${env.target.dkp} (run the core-addons stage; it compares the live addons with dkp ${env.target.dkp})`,
      }
}

/**
 * In the stage's own run live state decides: the live addons against what the pinned dkp would
 * write (the run record only when the probe fails). Other jobs asking for the step's state use
 * the run record for this target plus the ClusterResourceSets applied when that says done or no
 * dkp binary is at hand (plan, status, verify); otherwise they probe too (not recorded: e.g.
 * upgraded by hand).
 */
async function readAddons(env: StageEnv, cluster: string, own = false): Promise<AddonsState> {
  const kc = await konvoyCluster(env, cluster)
  const target = env.target.dkp
  const live = await readLive(env.snapshot, kc, false)
  if (live.problem) return { kc, target, live }
  const record = await recordLine(env, kc)
  const state: AddonsState = { kc, target, live, record }
  if (!env.dkp || (!own && record.ok && crsDone(live).done)) return state
  try {
    state.expected = await probe(env, kc)
    state.live = await readLive(env.snapshot, kc, true)
  } catch (err) {
    state.probeError = messageOf(err).split('\n')[0]!
  }
  return state
}

/** The cluster's ClusterResourceSets applied (at least one). */
function crsDone(live: LiveAddons): StepState {
  const evidence: string[] = []
  const pending: Pending[] = []
  if (live.clusterResourceSets.length === 0) pending.push(pend('not-found', 'no ClusterResourceSets yet'))
  for (const crs of live.clusterResourceSets) {
    const a = crsApplied(crs)
    if (a.ok) evidence.push(a.detail)
    else pending.push(pend('converging', a.detail))
  }
  return { done: pending.length === 0, evidence, pending }
}

function problemState(live: LiveAddons): StepState | undefined {
  if (!live.problem) return undefined
  return {
    done: false,
    evidence: [],
    pending: [pend(live.mismatch ? 'mismatch' : 'not-found', live.problem)],
  }
}

function evaluate(state: AddonsState): StepState {
  const problem = problemState(state.live)
  if (problem) return problem
  if (state.expected) return addonsState(state.live, state.expected, state.target)
  const { kc, live } = state
  const record = state.record!
  const evidence: string[] = []
  const pending: Pending[] = []
  if (record.ok) evidence.push(record.line)
  else pending.push(pend('no-record', record.line))
  if (live.clusterResourceSets.length === 0)
    pending.push(pend('not-found', `no ClusterResourceSets of ${kc.name} in ${kc.namespace}`))
  const crs = crsDone(live)
  if (live.clusterResourceSets.length > 0) {
    evidence.push(...crs.evidence)
    pending.push(...crs.pending)
  }
  if (state.probeError) pending.push(pend('unreadable', `dkp probe failed: ${state.probeError}`))
  return { done: pending.length === 0, evidence, pending }
}

/** The step's part: the addons as dkp would write them (when probed), else the ClusterResourceSets applied. */
function converged(state: AddonsState): StepState {
  const problem = problemState(state.live)
  if (problem) return problem
  return state.expected ? addonsState(state.live, state.expected, state.target) : crsDone(state.live)
}

const addons: UpgradeStage<AddonsState> = {
  name: 'core-addons',
  kind: 'upgrade',
  read: readAddons,
  evaluate,
  refresh: (env) => env.snapshot.refresh('ConfigMap', 'ClusterResourceSet'),

  steps(state, ctx) {
    const { kc, target } = state
    if (state.live.problem)
      return refuse(state.live.mismatch ? 'mismatch' : 'not-found', state.live.problem, !!state.live.mismatch)
    if (state.probeError)
      ctx.reporter.warning(
        `cannot compare the core addons of ${kc.name} with dkp ${target} (${state.probeError}); deciding from the run record`,
      )
    const configsDiffer = !state.expected || evaluate(state).pending.some((p) => p.code === 'config-differs')
    return [
      {
        label: `core addons of ${kc.name}`,
        action: configsDiffer
          ? { kind: 'dkp', command: addonsCommand(kc) }
          : {
              kind: 'none',
              why: 'the ClusterResourceSets',
              log: `the ConfigMaps already match dkp ${target}: waiting for the ClusterResourceSets, no dkp command`,
            },
        done: (s, acted) => (acted ? converged(s) : evaluate(s)),
      },
    ]
  },

  report: {
    skipped: ({ kc, target }) => `core addons of ${kc.name} already match dkp ${target}`,
    start: ({ kc }, judged) =>
      `core addons of ${kc.name} (${kc.provider}, namespace ${kc.namespace}): ${pendingTexts(judged).join('; ')}`,
    dryRun: (run) => {
      const pending = pendingTexts(evaluate(run.before)).join('; ')
      const { name } = run.before.kc
      return {
        message: run.acted.some((s) => s.action.kind === 'dkp')
          ? `would upgrade the core addons of ${name}: ${pending}`
          : `would wait for the ClusterResourceSets of ${name}: ${pending}`,
      }
    },
    done: ({ after }) => ({
      message: `core addons of ${after.kc.name} match dkp ${after.target}; ${after.live.clusterResourceSets.length} ClusterResourceSets applied`,
      evidence: converged(after).evidence,
    }),
  },
}

export const stage = defineStage(addons)
