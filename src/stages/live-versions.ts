// Live versions for `plan` with a kubeconfig: what DKP and Kubernetes versions the fleet runs
// and which plan steps are already done, read through each stage's own done-condition (the
// end-state steps of the stage table).

import { K, type KommanderCluster } from '../core/kinds.js'
import type { Inventory } from '../core/model.js'
import { buildPlan, type LiveVersions, type PlanOptions } from '../core/plan.js'
import { stageRow } from '../core/stage-table.js'
import { bareVersion } from '../core/versions.js'
import type { Kube } from '../effects/kube.js'
import { readKubeconfigFile } from '../effects/kubeconfig.js'
import { ConsoleReporter, type Reporter } from '../effects/reporter.js'
import { closeEnv, makeEnv, managementClient } from './connect.js'
import { readStepStates } from './step-states.js'

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
  const env = makeEnv({ inventory, plan }, kube, reporter ? { reporter } : {})
  try {
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
  } finally {
    closeEnv(env)
  }
}
