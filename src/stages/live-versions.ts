// Live versions for `plan` with a kubeconfig: what DKP and Kubernetes versions the fleet runs
// and which plan steps are already done, read through each stage's own done-condition (the
// end-state steps of the stage table).

import { type Hop, planHops } from '../core/hops.js'
import { CLUSTER_NAME_LABEL, K, type KommanderCluster, type Machine } from '../core/kinds.js'
import type { Inventory } from '../core/model.js'
import { buildPlan, type LiveVersions, type Plan, type PlanOptions } from '../core/plan.js'
import { expectedSeconds } from '../core/rollout-order.js'
import { STAGE_TABLE, stageRow } from '../core/stage-table.js'
import { bareVersion, checkDkpPath } from '../core/versions.js'
import type { Kube } from '../effects/kube.js'
import { readKubeconfigFile } from '../effects/kubeconfig.js'
import { ConsoleReporter, type Reporter } from '../effects/reporter.js'
import { closeEnv, makeEnv, managementClient } from './connect.js'
import { Memo } from './memo.js'
import { readStepStates } from './step-states.js'
import type { StageEnv } from './types.js'

export async function readLiveVersionsFromFile(
  path: string,
  inventory: Inventory,
  options: PlanOptions = {},
): Promise<LiveVersions> {
  return readLiveVersionsFromContent(readKubeconfigFile(path), inventory, options, undefined, path)
}

export async function readLiveVersionsFromContent(
  content: string,
  inventory: Inventory,
  options: PlanOptions = {},
  reporter: Pick<Reporter, 'secret' | 'warning'> = new ConsoleReporter(),
  from = 'the kubeconfig input',
): Promise<LiveVersions> {
  const kube = managementClient(content, from, reporter)
  try {
    return await readLiveVersions(kube, inventory, options, reporter)
  } finally {
    kube.close()
  }
}

/**
 * Versions from the stages' own status reads; `done` lists the plan steps already at target.
 * A fleet more than one minor behind gets its hops (src/core/hops.ts), and `done` is read
 * against the first hop, the release this run upgrades to.
 */
export async function readLiveVersions(
  kube: Kube,
  inventory: Inventory,
  options: PlanOptions = {},
  reporter?: Pick<Reporter, 'secret'>,
): Promise<LiveVersions> {
  const planOptions = {
    targetDkp: options.targetDkp,
    targetKubernetes: options.targetKubernetes,
  }
  const plan = buildPlan(inventory, planOptions)
  const env = makeEnv({ inventory, plan }, kube, reporter ? { reporter } : {})
  try {
    // The running release first (Kommander's step alone): it decides whether this run is a hop,
    // and so which target every other step is read against.
    const kommander = plan.steps.filter((s) => s.stage === 'kommander')
    const running = (await readSteps(env, kommander)).dkp
    const hops = running ? await hopsTo(running, plan.target.dkp) : undefined
    let live: LiveVersions
    if (hops && hops.length > 1) {
      const hopPlan = buildPlan(inventory, { ...planOptions, hop: hops[0]!.to })
      const hopEnv = { ...env, plan: hopPlan, target: hopPlan.target, memo: new Memo() }
      live = { ...(await readSteps(hopEnv, endStateSteps(hopPlan))), hops }
    } else live = await readSteps(env, endStateSteps(plan))
    const kommanderClusters = await env.snapshot.list<KommanderCluster>(...K.kommanderCluster)
    for (const c of inventory.clusters.filter((c) => c.attached)) {
      const kc = kommanderClusters.find((k) => k.metadata.name === c.name)
      if (kc?.status?.kubernetesVersion) live.kubernetes[c.name] = bareVersion(kc.status.kubernetesVersion)
    }
    await readExpectations(env, inventory, live)
    return live
  } finally {
    closeEnv(env)
  }
}

const endStateSteps = (plan: Plan) => plan.steps.filter((s) => stageRow(s.stage).endState)

/** These steps' done-conditions against the env's target, and the versions they found. */
async function readSteps(env: StageEnv, steps: Plan['steps']): Promise<LiveVersions> {
  const live: LiveVersions = { kubernetes: {}, done: [] }
  const states = await readStepStates(env, steps)
  steps.forEach((step, i) => {
    const state = states[i]!
    if (state instanceof Error) throw state
    if (state.done) live.done!.push(step.id)
    if (step.stage === 'kommander' && state.from) live.dkp = state.from
    if (step.stage === 'kubernetes' && state.from) live.kubernetes[step.cluster] = state.from
  })
  return live
}

/** The hops from the running release to the target (the release data's tags load only when needed). */
async function hopsTo(running: string, target: string): Promise<Hop[] | undefined> {
  if (checkDkpPath(running, target).kind !== 'skip') return undefined
  const { loadReleaseData } = await import('../core/release-data.js')
  return planHops(running, target, (await loadReleaseData()).platformTags())
}

/**
 * What orders each wave's matrix (core/rollout-order.ts): the run record's last upgrade
 * durations per cluster and the live Machine count. Either may be missing (a first run, no
 * CAPI objects yet): the order then falls back, and nothing else depends on it.
 */
async function readExpectations(env: ReturnType<typeof makeEnv>, inventory: Inventory, live: LiveVersions) {
  const perCluster = STAGE_TABLE.filter((r) => r.scope === 'cluster').map((r) => r.name)
  const entries = await env.record.entries().catch(() => [])
  const seconds = expectedSeconds(entries, perCluster)
  if (Object.keys(seconds).length > 0) live.seconds = seconds
  const managed = new Set(inventory.clusters.filter((c) => !c.attached).map((c) => c.name))
  const machines = await env.snapshot.list<Machine>(...K.machine).catch(() => [] as Machine[])
  const nodes: Record<string, number> = {}
  for (const m of machines) {
    const cluster = m.spec?.clusterName ?? m.metadata.labels?.[CLUSTER_NAME_LABEL]
    if (cluster && managed.has(cluster)) nodes[cluster] = (nodes[cluster] ?? 0) + 1
  }
  if (Object.keys(nodes).length > 0) live.nodes = nodes
}
