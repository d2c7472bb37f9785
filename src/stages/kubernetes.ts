// `kubernetes` (management or managed cluster): `dkp update controlplane <provider>` and wait for
// the control plane at the target version, then `dkp update nodepool <provider> <np>` per node
// pool (inventory order, else discovered by the cluster-name label) waiting for each
// (reference/dkp.md §1 steps 8–9/10b–c, §2.6/2.7, §4): one step per part. Parts already at
// target are skipped, so a run after a failure mid-way continues with the next pool; a part
// whose spec is already at target but still rolling is waited for, not updated again. The pause
// marker is honoured between parts. A vSphere pool without its own `vm-template` gets the
// control plane's (templates are built per Kubernetes version, reference §2.6/2.7).

import { controlPlaneCommand, nodePoolCommand, upgradeClusterCommand } from '../core/dkp-commands.js'
import { furtherAlong } from '../core/hops.js'
import { CLUSTER_NAME_LABEL } from '../core/kinds.js'
import { type KubernetesView, kubernetesState, type RolloutState } from '../core/konvoy-state.js'
import { upgradesWithUpgradeCluster } from '../core/providers.js'
import { pend } from '../core/step-state.js'
import { bareVersion, checkKubernetesPath, vVersion } from '../core/versions.js'
import { defineStage } from './drive.js'
import { konvoyCluster, readKubernetesView } from './konvoy-read.js'
import { preflightGate } from './preflight-read.js'
import {
  type PartState,
  type Refusal,
  refuse,
  type StageContext,
  type Step,
  type UpgradeStage,
} from './types.js'

const KINDS_READ = ['Cluster', 'KubeadmControlPlane', 'MachineDeployment', 'MachinePool', 'Machine']

interface KubernetesState {
  target: string
  view: KubernetesView
}

/** A part's state as a step sees it: its progress kept apart from the text. */
function partOf(s: RolloutState | undefined, label: string): PartState {
  if (!s)
    return { done: false, evidence: [], pending: [pend('not-found', `${label} no longer exists`, label)] }
  if (s.done) return { done: true, evidence: [s.detail], pending: [], progress: `at target (${s.status})` }
  const part: PartState = {
    done: false,
    evidence: [],
    pending: [pend(s.specAtTarget ? 'converging' : 'not-at-target', s.status, s.object)],
    progress: s.status,
  }
  if (s.failed) part.failed = s.failed
  return part
}

/** Refuses before touching anything: a mismatch, a missing object, a listed pool that does not exist, a skipped minor, a downgrade. */
function refusal({ view, target }: KubernetesState): Refusal | undefined {
  const kc = view.cluster
  if (view.mismatch) return refuse('mismatch', view.problem!, true)
  if (view.problem) return refuse('not-found', `cannot upgrade Kubernetes on ${kc.name}: ${view.problem}`)
  const missing = view.missingPools
  if (missing.length > 0)
    return refuse(
      'missing-pool',
      `cluster ${kc.name}: node pool${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of the inventory ${missing.length > 1 ? 'have' : 'has'} no MachineDeployment in namespace ${kc.namespace} (the cluster has: ${view.discovered.join(', ') || 'none'})`,
      true,
    )
  for (const p of [view.controlPlane!.state, ...view.pools.map((x) => x.state!)]) {
    if (!p.running) continue
    const path = checkKubernetesPath(p.running, target)
    if (!path.ok)
      return refuse(
        'path',
        `refusing to update ${kc.name} (${p.object} runs ${vVersion(p.running)}): ${path.reason}`,
        true,
      )
  }
  return undefined
}

function noteUnlisted(view: KubernetesView, ctx: StageContext): void {
  const kc = view.cluster
  const unlisted = view.pools.filter((x) => !x.listed).map((x) => x.name)
  if (unlisted.length > 0 && !kc.nodepools) {
    ctx.reporter.info(
      `node pools of ${kc.name} discovered by label ${CLUSTER_NAME_LABEL}=${kc.name} in ${kc.namespace}: ${unlisted.join(', ')}`,
    )
  } else if (unlisted.length > 0) {
    ctx.reporter.info(
      `node pool${unlisted.length > 1 ? 's' : ''} ${unlisted.join(', ')} of ${kc.name} not listed in the inventory: updated after the listed ones (node pools must end at the control plane's version)`,
    )
  }
}

/** One step per part: the control plane, then each node pool. */
function parts({ view, target }: KubernetesState): Step<KubernetesState>[] {
  const kc = view.cluster
  const v = vVersion(target)
  const step = (
    label: string,
    pick: (x: KubernetesView) => RolloutState | undefined,
    command: ReturnType<typeof controlPlaneCommand>,
  ): Step<KubernetesState> => {
    const now = pick(view)!
    return {
      label,
      // A rollout to the target is under way (a previous run set the version): wait, don't repeat dkp.
      action: now.specAtTarget
        ? {
            kind: 'none',
            why: 'the rollout in progress',
            log: `${label}: desired version already ${v}, still rolling (${now.detail}); waiting without a dkp command`,
          }
        : { kind: 'dkp', command },
      done: (s) => partOf(pick(s.view), label),
      skip: { log: `${label}: skipped, already at ${v}`, note: `${label}: skipped (at ${v})` },
    }
  }
  return [
    step(
      `control plane ${kc.namespace}/${view.controlPlane!.object.metadata.name}`,
      (x) => x.controlPlane?.state,
      controlPlaneCommand(kc, target),
    ),
    ...view.pools.map((p) =>
      step(
        `${p.object!.kind === 'MachinePool' ? 'machinepool' : 'md'} ${p.name}`,
        (x) => x.pools.find((q) => q.name === p.name)?.state,
        nodePoolCommand(kc, p, target),
      ),
    ),
  ]
}

/**
 * NKP nutanix: one step, `nkp upgrade cluster nutanix`, done when the control plane and every
 * pool are at the version that nkp builds in (the same convergence as the Konvoy chain). A
 * rollout already under way (every spec at target) is waited for, not started again.
 */
function wholeCluster({ view, target }: KubernetesState): Step<KubernetesState> {
  const kc = view.cluster
  const v = vVersion(target)
  const label = `cluster ${kc.namespace}/${kc.name} (nkp upgrade cluster nutanix)`
  const states = (x: KubernetesView) => [
    partOf(x.controlPlane?.state, `control plane of ${kc.name}`),
    ...x.pools.map((p) => partOf(p.state, `md ${p.name}`)),
  ]
  const rolling = [view.controlPlane?.state, ...view.pools.map((p) => p.state)].every((p) => p?.specAtTarget)
  return {
    label,
    action: rolling
      ? {
          kind: 'none',
          why: 'the rollout in progress',
          log: `${label}: every part already wants ${v}, still rolling; waiting without an nkp command`,
        }
      : { kind: 'dkp', command: upgradeClusterCommand(kc, view.pools, target) },
    done: (s) => {
      const parts = states(s.view)
      const open = parts.filter((p) => !p.done)
      if (open.length === 0)
        return { done: true, evidence: parts.flatMap((p) => p.evidence), pending: [], progress: `at ${v}` }
      const part: PartState = {
        done: false,
        evidence: [],
        pending: open.flatMap((p) => p.pending),
        progress: open
          .map((p) => p.progress)
          .filter(Boolean)
          .join('; '),
      }
      const failed = open.find((p) => p.failed)?.failed
      if (failed) part.failed = failed
      return part
    },
    skip: { log: `${label}: skipped, already at ${v}`, note: `${label}: skipped (at ${v})` },
  }
}

const kubernetes: UpgradeStage<KubernetesState> = {
  name: 'kubernetes',
  kind: 'upgrade',
  async read(env, cluster) {
    const kc = await konvoyCluster(env, cluster)
    const target = env.target.kubernetes
    const view = await readKubernetesView(env.snapshot, kc, target, env.now())
    // A hop of a mixed fleet: a control plane already past the hop's Kubernetes is planned from
    // its own version (nothing to do until the hop that reaches it; never a downgrade).
    const running = view.controlPlane?.state?.running
    const goal = env.plan.goal?.kubernetes
    if (running && goal && furtherAlong(running, target, goal)) {
      const own = bareVersion(running)
      return { target: own, view: await readKubernetesView(env.snapshot, kc, own, env.now()) }
    }
    return { target, view }
  },
  evaluate: ({ view, target }) => kubernetesState(view, target),
  // Fresh lists of the kinds involved (the control plane's own kind included: EKS, AKS).
  refresh(env) {
    env.snapshot.refresh(...KINDS_READ, 'AWSManagedControlPlane', 'AzureManagedControlPlane')
  },

  // Drain blockers and kubelet skew on the cluster itself (preflight-read.ts): errors refuse before dkp runs.
  gate: async (state, ctx) => {
    const from = kubernetesState(state.view, state.target).from
    await preflightGate(ctx, state.view.cluster.name, from ? { current: from } : {})
  },

  steps(state, ctx) {
    const refused = refusal(state)
    if (refused) return refused
    noteUnlisted(state.view, ctx)
    if (upgradesWithUpgradeCluster(state.view.cluster.provider, ctx.target.dkp)) return [wholeCluster(state)]
    return parts(state)
  },

  report: {
    skipped: ({ target }) => `already at Kubernetes ${vVersion(target)}`,
    start: ({ view, target }, judged) => {
      const kc = view.cluster
      return `cluster ${kc.name} (${kc.provider}, namespace ${kc.namespace}): Kubernetes ${judged.from ? vVersion(judged.from) : '?'} → ${vVersion(target)}`
    },
    dryRun: ({ before, notes }) => ({
      message: `would bring ${before.view.cluster.name} to Kubernetes ${vVersion(before.target)}: ${notes.join('; ')}`,
    }),
    done: ({ after, notes }) => ({
      message: `${after.view.cluster.name} at Kubernetes ${vVersion(after.target)}: ${notes.join('; ')}`,
    }),
  },
}

export const stage = defineStage(kubernetes)
