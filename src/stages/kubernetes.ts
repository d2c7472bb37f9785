// `kubernetes` (management or managed cluster): `dkp update controlplane <provider>` and wait for
// the control plane at the target version, then `dkp update nodepool <provider> <np>` per node
// pool (inventory order, else discovered by the cluster-name label) waiting for each
// (reference/dkp.md §1 steps 8–9/10b–c, §2.6/2.7, §4). Parts already at target are skipped, so
// a run after a failure mid-way continues with the next pool; a part whose spec is already at
// target but still rolling is waited for, not updated again. The pause marker is honoured
// between node pools. A vSphere pool without its own `vm-template` gets the control plane's
// (templates are built per Kubernetes version, reference §2.6/2.7).

import { toFlags } from '../core/command-args.js'
import { InputError, WorkError } from '../core/errors.js'
import { nodePoolArgs } from '../core/providers.js'
import { checkKubernetesPath } from '../core/versions.js'
import type { DkpCommand } from '../effects/dkp-runner.js'
import { act, noteFrom, runWatching, skipped, waitFor } from './flow.js'
import {
  CLUSTER_NAME_LABEL,
  type KonvoyCluster,
  type KubernetesView,
  konvoyCluster,
  kubernetesState,
  type PartState,
  readKubernetesView,
  vVersion,
} from './konvoy-state.js'
import { preflightGate } from './preflight-read.js'
import type { StageContext, StageEnv, StageModule, StageOutcome, StepState } from './types.js'

const KINDS_READ = ['Cluster', 'KubeadmControlPlane', 'MachineDeployment', 'MachinePool', 'Machine']

async function view(env: StageEnv, cluster: string): Promise<KubernetesView> {
  const kc = await konvoyCluster(env, cluster)
  return readKubernetesView(env.snapshot, kc, env.target.kubernetes, env.now())
}

/** Re-reads the view with fresh lists of the kinds involved (the control plane kind included). */
async function fresh(env: StageEnv, kc: KonvoyCluster, cpKind?: string): Promise<KubernetesView> {
  env.snapshot.refresh(...KINDS_READ, ...(cpKind ? [cpKind] : []))
  return readKubernetesView(env.snapshot, kc, env.target.kubernetes, env.now())
}

function controlPlaneCommand(kc: KonvoyCluster, target: string): DkpCommand {
  return {
    args: [
      'update',
      'controlplane',
      kc.provider,
      `--cluster-name=${kc.name}`,
      '-n',
      kc.namespace,
      `--kubernetes-version=${vVersion(target)}`,
      ...toFlags(kc.controlPlaneArgs),
    ],
    description: `update the control plane of ${kc.name} to Kubernetes ${vVersion(target)}`,
  }
}

function nodePoolCommand(
  kc: KonvoyCluster,
  pool: { name: string; args: Record<string, string | string[]> },
  target: string,
): DkpCommand {
  return {
    args: [
      'update',
      'nodepool',
      kc.provider,
      pool.name,
      `--cluster-name=${kc.name}`,
      '-n',
      kc.namespace,
      `--kubernetes-version=${vVersion(target)}`,
      // vSphere: a pool without its own template takes the control plane's (built for the target).
      ...toFlags(nodePoolArgs(kc.provider, kc.controlPlaneArgs, pool.args)),
    ],
    description: `update node pool ${pool.name} of ${kc.name} to Kubernetes ${vVersion(target)}`,
  }
}

export const stage: StageModule = {
  name: 'kubernetes',
  scope: 'cluster',
  mutating: true,

  requires(cluster, env) {
    const mgmt = env.inventory.management.name
    const reqs: { stage: 'core-addons' | 'kubernetes'; cluster: string }[] = [
      { stage: 'core-addons', cluster },
    ]
    if (cluster !== mgmt) reqs.push({ stage: 'kubernetes', cluster: mgmt })
    return reqs
  },

  async status(env, cluster) {
    return kubernetesState(await view(env, cluster), env.target.kubernetes)
  },

  async run(ctx) {
    return upgradeKubernetes(ctx)
  },
}

interface Part {
  label: string
  /** Which object of the view this part is (re-read while waiting). */
  pick: (v: KubernetesView) => PartState | undefined
  command: DkpCommand
  pool: boolean
}

async function upgradeKubernetes(ctx: StageContext): Promise<StageOutcome> {
  const target = ctx.target.kubernetes
  const outputs = { 'kubernetes-version': target }
  const kc = await konvoyCluster(ctx, ctx.cluster)
  let v = await readKubernetesView(ctx.snapshot, kc, target, ctx.now())
  if (v.mismatch) throw new InputError(v.problem!)
  if (v.problem) throw new WorkError(`cannot upgrade Kubernetes on ${kc.name}: ${v.problem}`)
  const before = kubernetesState(v, target)
  if (before.done) return { ...skipped(before, target, `already at Kubernetes ${vVersion(target)}`), outputs }
  noteFrom(ctx, before.from)

  // Refuse before touching anything: a listed pool that does not exist, a skipped minor, a downgrade.
  if (v.missingPools.length > 0) {
    throw new InputError(
      `cluster ${kc.name}: node pool${v.missingPools.length > 1 ? 's' : ''} ${v.missingPools.join(', ')} of the inventory ${v.missingPools.length > 1 ? 'have' : 'has'} no MachineDeployment in namespace ${kc.namespace} (the cluster has: ${v.discovered.join(', ') || 'none'})`,
    )
  }
  const parts = [v.controlPlane!.state, ...v.pools.map((p) => p.state!)]
  for (const p of parts) {
    if (!p.running) continue
    const path = checkKubernetesPath(p.running, target)
    if (!path.ok)
      throw new InputError(
        `refusing to update ${kc.name} (${p.object} runs ${vVersion(p.running)}): ${path.reason}`,
      )
  }
  // Drain blockers and kubelet skew on the cluster itself (preflight-read.ts): errors refuse here.
  await preflightGate(ctx, kc.name, before.from ? { current: before.from } : {})
  const unlisted = v.pools.filter((x) => !x.listed).map((x) => x.name)
  if (unlisted.length > 0 && !kc.nodepools) {
    ctx.reporter.info(
      `node pools of ${kc.name} discovered by label ${CLUSTER_NAME_LABEL}=${kc.name} in ${kc.namespace}: ${unlisted.join(', ')}`,
    )
  } else if (unlisted.length > 0) {
    ctx.reporter.info(
      `node pool${unlisted.length > 1 ? 's' : ''} ${unlisted.join(', ')} of ${kc.name} not listed in the inventory: updated after the listed ones (node pools must end at the control plane's version)`,
    )
  }

  const cpKind = v.controlPlane!.kind
  const steps: Part[] = [
    {
      label: `control plane ${kc.namespace}/${v.controlPlane!.object.metadata.name}`,
      pick: (x) => x.controlPlane?.state,
      command: controlPlaneCommand(kc, target),
      pool: false,
    },
    ...v.pools.map((p) => ({
      label: `${p.object!.kind === 'MachinePool' ? 'machinepool' : 'md'} ${p.name}`,
      pick: (x: KubernetesView) => x.pools.find((q) => q.name === p.name)?.state,
      command: nodePoolCommand(kc, p, target),
      pool: true,
    })),
  ]

  const outcome: StageOutcome = {
    status: ctx.dryRun ? 'dry-run' : 'upgraded',
    to: target,
    commands: [],
    evidence: [],
    outputs,
  }
  if (before.from) outcome.from = before.from
  ctx.reporter.info(
    `cluster ${kc.name} (${kc.provider}, namespace ${kc.namespace}): Kubernetes ${before.from ? vVersion(before.from) : '?'} → ${vVersion(target)}`,
  )
  const notes: string[] = []

  for (const step of steps) {
    const state = step.pick(v)!
    if (state.done) {
      ctx.reporter.info(`${step.label}: skipped, already at ${vVersion(target)}`)
      notes.push(`${step.label}: skipped (at ${vVersion(target)})`)
      outcome.evidence!.push(state.detail)
      continue
    }
    if (step.pool && !ctx.dryRun) {
      const paused = await ctx.record.pause()
      if (paused) {
        return {
          ...outcome,
          status: 'deferred',
          message: `paused by ${paused.by} at ${paused.at} (${paused.reason}) before ${step.label}; done so far: ${notes.join('; ') || 'nothing'}. Run \`dkp-fleet resume\` and re-run this stage to continue with the remaining node pools`,
        }
      }
    }
    if (state.specAtTarget) {
      // A rollout to the target is under way (a previous run set the version): wait, don't repeat dkp.
      ctx.reporter.info(
        `${step.label}: desired version already ${vVersion(target)}, still rolling (${state.detail}); waiting without a dkp command`,
      )
      notes.push(`${step.label}: ${ctx.dryRun ? 'would wait for' : 'waited for'} the rollout in progress`)
    } else {
      outcome.commands.push(step.command)
      await actWatching(ctx, step.command, step.label, state, async () => {
        v = await fresh(ctx, kc, cpKind)
        return step.pick(v)
      })
      notes.push(`${step.label}: ${ctx.dryRun ? 'would update' : 'updated'}`)
    }
    if (ctx.dryRun) continue
    const done = await waitFor(ctx, step.label, async () => {
      v = await fresh(ctx, kc, cpKind)
      const s = step.pick(v)
      return s ? toStep(s) : { done: false, evidence: [], pending: [`${step.label} no longer exists`] }
    })
    outcome.evidence!.push(...done.evidence)
  }

  if (ctx.dryRun) {
    outcome.message = `would bring ${kc.name} to Kubernetes ${vVersion(target)}: ${notes.join('; ')}`
    return outcome
  }
  // Verify the whole step once more from fresh reads (a pool may have been scaled or edited meanwhile).
  v = await fresh(ctx, kc, cpKind)
  const after = kubernetesState(v, target)
  if (!after.done)
    throw new WorkError(
      `cluster ${kc.name} is not at Kubernetes ${vVersion(target)} after the update: ${after.pending.join('; ')}`,
    )
  outcome.evidence = after.evidence
  outcome.message = `${kc.name} at Kubernetes ${vVersion(target)}: ${notes.join('; ')}`
  return outcome
}

/** The progress part of a state's detail: `1/3 updated, 1 ready, …`. */
const progress = (s: PartState): string =>
  s.done ? `at target (${s.detail.replace(/^.* at v[^:]*: /, '')})` : s.detail.replace(/^[^:]*: /, '')

/**
 * Runs one dkp command (which waits for its own rollout, `--wait` defaults to true) while
 * polling the object: each change of progress is logged, so the job log shows the rollout, and
 * a terminal state of the part (a failed MachineDeployment or control plane, a machine stuck
 * draining) kills dkp and fails the stage within one poll (flow.ts runWatching).
 */
async function actWatching(
  ctx: StageContext,
  cmd: DkpCommand,
  label: string,
  initial: PartState,
  read: () => Promise<PartState | undefined>,
): Promise<void> {
  if (ctx.dryRun) return act(ctx, [cmd])
  let last = progress(initial)
  await runWatching(ctx, cmd, async () => {
    const s = await read()
    const line = s ? progress(s) : ''
    if (line && line !== last) ctx.reporter.info(`${label}: ${line}`)
    last = line
    return s?.failed
  })
}

function toStep(s: PartState): StepState {
  if (s.done) return { done: true, evidence: [s.detail], pending: [] }
  const state: StepState = { done: false, evidence: [], pending: [s.detail.replace(/^[^:]*: /, '')] }
  if (s.failed) state.failed = s.failed
  return state
}
