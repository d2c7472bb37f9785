// Connecting a job to its fleet: the inventory and the plan rebuilt from it (refusing a plan
// digest that differs), the cluster a stage acts on, the management cluster's client (one path
// from a kubeconfig to a client, shared by every job kind), and the environment stages read
// live state through.

import { hostname, userInfo } from 'node:os'
import { InputError, messageOf } from '../core/errors.js'
import type { Inventory } from '../core/model.js'
import { assertPlanDigest, buildPlan, type Plan } from '../core/plan.js'
import { PER_CLUSTER_STAGES, type PlanStage } from '../core/stages.js'
import { didYouMean } from '../core/suggest.js'
import type { DkpRunner } from '../effects/dkp-runner.js'
import { loadInventory } from '../effects/inventory-files.js'
import { Kube, type KubeOptions } from '../effects/kube.js'
import {
  managementKubeconfig,
  managementTransportWarnings,
  maskKubeconfig,
  writeTempKubeconfig,
} from '../effects/kubeconfig.js'
import type { Reporter } from '../effects/reporter.js'
import { RunRecord } from '../effects/run-record.js'
import type { RunOptions } from './execute.js'
import { Memo } from './memo.js'
import { reportInventoryWarnings } from './plan.js'
import { Snapshot } from './snapshot.js'
import type { Runner, StageEnv } from './types.js'
import { WorkloadClients } from './workload-kube.js'

export function runnerIdentity(env: NodeJS.ProcessEnv): Runner {
  if (env.GITHUB_RUN_ID) {
    const runId = `${env.GITHUB_REPOSITORY ?? 'repo'}/actions/runs/${env.GITHUB_RUN_ID}/attempts/${env.GITHUB_RUN_ATTEMPT ?? '1'}`
    return {
      runId,
      actor: env.GITHUB_ACTOR ?? 'github-actions',
      holder: `${runId} job ${env.GITHUB_JOB ?? '?'}`,
    }
  }
  let user = 'unknown'
  try {
    user = userInfo().username
  } catch {}
  const host = hostname()
  return {
    runId: `local:${host}:${process.pid}`,
    actor: `${user}@${host}`,
    holder: `${user}@${host} pid ${process.pid}`,
  }
}

export interface Loaded {
  inventory: Inventory
  plan: Plan
}

export async function loadPlan(
  options: Pick<RunOptions, 'inventory' | 'cwd'> &
    Partial<Pick<RunOptions, 'target' | 'targetKubernetes' | 'hop' | 'planDigest'>>,
  reporter: Reporter,
): Promise<Loaded> {
  const { inventory, warnings } = await loadInventory(options.inventory, options.cwd)
  reportInventoryWarnings(warnings, reporter)
  const plan = buildPlan(inventory, {
    targetDkp: options.target,
    targetKubernetes: options.targetKubernetes,
    ...(options.hop ? { hop: options.hop } : {}),
  })
  assertPlanDigest(plan, options.planDigest)
  return { inventory, plan }
}

/** The cluster a stage acts on, validated against the inventory. */
export function resolveCluster(stage: PlanStage, inventory: Inventory, requested?: string): string {
  const mgmt = inventory.management.name
  if (!PER_CLUSTER_STAGES.has(stage)) {
    if (requested && requested !== mgmt) {
      throw new InputError(
        `stage ${stage} runs on the management cluster ${mgmt}; cluster "${requested}" does not apply`,
      )
    }
    return mgmt
  }
  if (!requested) {
    throw new InputError(
      `stage ${stage} needs the cluster input: the management cluster (${mgmt}) or a managed cluster from the matrix`,
    )
  }
  if (requested === mgmt) return mgmt
  const cluster = inventory.clusters.find((c) => c.name === requested)
  if (!cluster) {
    const names = inventory.clusters.filter((c) => !c.attached).map((c) => c.name)
    throw new InputError(
      `unknown cluster "${requested}"${didYouMean(requested, [mgmt, ...names])}: not the management cluster (${mgmt}) nor a managed cluster of the inventory (${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''})`,
    )
  }
  if (cluster.attached) {
    throw new InputError(
      cluster.provider
        ? `cluster ${requested} (${cluster.provider}) is planned like an attached cluster: dkp ${inventory.target.dkp} has no ${cluster.provider} provider, so DKP does not run ${stage} on it (upgrade its Kubernetes with its provider's tools; \`dkp-fleet plan\` shows the command)`
        : `cluster ${requested} is attached: DKP does not run ${stage} on it (upgrade its Kubernetes with its provider's tools)`,
    )
  }
  return requested
}

/**
 * The one way to a management cluster's client from a kubeconfig's content (stage jobs, status,
 * plan with live versions, the CLI's live check): its secret fields masked, a kubeconfig that
 * cannot be used is bad input naming where it came from, transport warnings reported.
 */
export function managementClient(
  content: string,
  from: string,
  reporter: Pick<Reporter, 'secret' | 'warning'>,
  options?: KubeOptions,
): Kube {
  maskKubeconfig(content, reporter)
  let kube: Kube
  try {
    kube = Kube.fromString(content, options)
  } catch (err) {
    throw new InputError(`the management kubeconfig from ${from} cannot be used: ${messageOf(err)}`)
  }
  for (const w of managementTransportWarnings(kube, from)) reporter.warning(w)
  return kube
}

/**
 * The management cluster's client and a 0600 copy of its kubeconfig for dkp. The kubeconfig is
 * checked before the copy is written (a malformed one, or one without a usable context, leaves
 * nothing behind); the copy's directory is registered for removal before it is written and
 * `onTempDir` is told at once (the action saves it for the post step).
 */
export async function connectManagement(
  inventory: Inventory | undefined,
  options: Pick<RunOptions, 'kubeconfig' | 'env' | 'allowKubeconfigEnv'> & {
    onTempDir?: (dir: string) => void
    kube?: KubeOptions
  },
  reporter: Reporter,
): Promise<{ kube: Kube; kubeconfigPath: string; from: string }> {
  const { content, from } = managementKubeconfig(inventory, options.kubeconfig, options.env, {
    allowKubeconfigEnv: options.allowKubeconfigEnv,
  })
  const kube = managementClient(content, from, reporter, options.kube)
  const kubeconfigPath = writeTempKubeconfig(content, 'mgmt', options.onTempDir)
  return { kube, kubeconfigPath, from }
}

export interface EnvOptions {
  /** Aborted on timeout or cancellation (default: never). */
  signal?: AbortSignal
  now?: () => Date
  /** Stage jobs: read-only dkp probes. */
  dkp?: () => Promise<DkpRunner>
  /** Where workload kubeconfigs get their secret fields masked. */
  reporter?: Pick<Reporter, 'secret'>
  /** Milliseconds between polls (default 5 s). */
  pollMs?: number
}

/** The environment stages read live state through; its workload clients close with `closeEnv`. */
export function makeEnv(loaded: Loaded, kube: Kube, options: EnvOptions = {}): StageEnv {
  const env: StageEnv = {
    inventory: loaded.inventory,
    plan: loaded.plan,
    target: loaded.plan.target,
    kube,
    snapshot: new Snapshot(kube),
    workloads: new WorkloadClients(),
    memo: new Memo(),
    record: new RunRecord(kube, loaded.inventory.management.namespace, loaded.inventory.fleet),
    signal: options.signal ?? new AbortController().signal,
    now: options.now ?? (() => new Date()),
    pollMs: options.pollMs ?? 5000,
  }
  if (options.dkp) env.dkp = options.dkp
  if (options.reporter) env.reporter = options.reporter
  return env
}

/** Closes what an environment opened besides the management client: its workload clients. */
export function closeEnv(env: StageEnv): void {
  env.workloads.close()
}
