// Live versions for `plan` with a kubeconfig: what DKP and Kubernetes versions the fleet runs
// and which plan steps are already done, read through each stage's own done-condition.

import { InputError, messageOf } from '../core/errors.js'
import { K, type KommanderCluster } from '../core/kinds.js'
import type { Inventory } from '../core/model.js'
import { buildPlan, type LiveVersions, type PlanOptions } from '../core/plan.js'
import { stageRow } from '../core/stage-table.js'
import { bareVersion } from '../core/versions.js'
import { makeEnv } from '../stages/execute.js'
import { readStepStates } from '../stages/step-states.js'
import { Kube } from './kube.js'
import { managementTransportWarnings, maskKubeconfig, readKubeconfigFile } from './kubeconfig.js'
import { ConsoleReporter, type Reporter } from './reporter.js'

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
  maskKubeconfig(content, reporter)
  let kube: Kube
  try {
    kube = Kube.fromString(content)
  } catch (err) {
    throw new InputError(`the management kubeconfig from ${from} cannot be used: ${messageOf(err)}`)
  }
  for (const w of managementTransportWarnings(kube, from)) reporter.warning(w)
  try {
    return await readLiveVersions(kube, inventory, options, reporter)
  } finally {
    kube.close()
  }
}

/** Versions from the stages' own status reads; `done` lists the plan steps already at target. */
export async function readLiveVersions(
  kube: Kube,
  inventory: Inventory,
  options: PlanOptions = {},
  reporter?: Pick<Reporter, 'secret'>,
): Promise<LiveVersions> {
  const plan = buildPlan(inventory, {
    targetDkp: options.targetDkp,
    targetKubernetes: options.targetKubernetes,
  })
  const env = makeEnv(
    { inventory, plan },
    kube,
    new AbortController().signal,
    () => new Date(),
    undefined,
    reporter,
  )
  const live: LiveVersions = { kubernetes: {}, done: [] }
  const steps = plan.steps.filter((s) => stageRow(s.stage).endState)
  const states = await readStepStates(env, steps)
  steps.forEach((step, i) => {
    const state = states[i]!
    if (state instanceof Error) throw state
    if (state.done) live.done!.push(step.id)
    if (step.stage === 'kommander' && state.from) live.dkp = state.from
    if (step.stage === 'kubernetes' && state.from) live.kubernetes[step.cluster] = state.from
  })
  const kommanderClusters = await env.snapshot.list<KommanderCluster>(...K.kommanderCluster)
  for (const c of inventory.clusters.filter((c) => c.attached)) {
    const kc = kommanderClusters.find((k) => k.metadata.name === c.name)
    if (kc?.status?.kubernetesVersion) live.kubernetes[c.name] = bareVersion(kc.status.kubernetesVersion)
  }
  return live
}
