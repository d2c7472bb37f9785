// `capi-components` (management cluster only): `dkp upgrade capi-components` (reference/dkp.md
// §1 step 6, §2.4). No object in the cluster names the CAPI versions a DKP release bundles, so
// "at target" comes from the run record (an upgraded/skipped entry for this step reaching the
// target DKP release), and "done" also needs the live controllers: Deployments present in the
// core CAPI namespaces and an infrastructure provider's, every one in the CAPI, provider and
// cert-manager namespaces Available with its rollout finished (src/core/capi-state.ts).
// clusterctl Provider versions and controller images are recorded before and after as
// evidence. The inventory's `management.capiComponents.args` are passed through (proxy and
// credential flags some sites must give again, reference §2.4); the flags dkp-fleet sets itself
// are refused at validation. Upgraded for this release already but the controllers not
// settled: the step waits without running dkp again (clusterctl upgrades are not safe to
// repeat after an interruption, CAPI#5015).

import {
  type ClusterctlProvider,
  capiControllersState,
  controllerImages,
  type Deployment,
  providerVersions,
} from '../core/capi-state.js'
import { capiComponentsCommand } from '../core/dkp-commands.js'
import { K } from '../core/kinds.js'
import { type Pending, pend, pendingTexts, type StepState } from '../core/step-state.js'
import { defineStage } from './drive.js'
import type { DriveRun, StageEnv, UpgradeStage } from './types.js'

const DONE_STATUSES = new Set(['upgraded', 'skipped'])

interface CapiState {
  target: string
  /** The run record's entry for this step reaching the target, as a line; `ok` when it says done. */
  record: { ok: boolean; line: string }
  deployments: Deployment[]
  providers: ClusterctlProvider[]
}

async function readCapi(env: StageEnv, cluster: string): Promise<CapiState> {
  const stepId = `capi-components:${cluster}`
  const [entry, deployments, providers] = await Promise.all([
    env.record.latest(stepId, env.target.dkp),
    env.snapshot.list<Deployment>(...K.deployment),
    env.snapshot.list<ClusterctlProvider>(...K.provider),
  ])
  const record =
    entry && DONE_STATUSES.has(entry.status)
      ? {
          ok: true,
          line: `run record: ${stepId} ${entry.status} to ${entry.to} at ${entry.finished} by ${entry.actor}`,
        }
      : {
          ok: false,
          line: `no run record of ${stepId} reaching ${env.target.dkp}${entry ? ` (latest: ${entry.status})` : ''}: the CAPI components' versions cannot be read from the cluster`,
        }
  return { target: env.target.dkp, record, deployments, providers }
}

/** The live part: the controllers Available (what the step waits for), with the provider versions as evidence. */
function controllers(state: CapiState): StepState {
  const live = capiControllersState(state.deployments)
  return { ...live, evidence: [...providerVersions(state.providers), ...live.evidence] }
}

function evaluate(state: CapiState): StepState {
  const live = controllers(state)
  if (state.record.ok) return { ...live, evidence: [state.record.line, ...live.evidence] }
  const missing: Pending = pend('no-record', state.record.line)
  return { done: false, evidence: live.evidence, pending: [missing, ...live.pending] }
}

/** `before: <provider>` and `<ns/deployment/container>=<image>` lines, for the log and the evidence. */
function beforeLines(state: CapiState): string[] {
  return [
    ...providerVersions(state.providers),
    ...[...controllerImages(state.deployments)].map(([k, image]) => `${k}=${image}`),
  ]
}

/** What changed between two reads: images and provider versions. */
function changes(run: DriveRun<CapiState>): string[] {
  const before = controllerImages(run.before.deployments)
  const out: string[] = []
  for (const [k, image] of controllerImages(run.after.deployments)) {
    const old = before.get(k)
    if (old !== image) out.push(`${k}: ${old ?? 'new'} → ${image}`)
  }
  const had = providerVersions(run.before.providers)
  for (const line of providerVersions(run.after.providers))
    if (!had.includes(line)) out.push(`after: ${line}`)
  return out
}

const capi: UpgradeStage<CapiState> = {
  name: 'capi-components',
  kind: 'upgrade',
  read: readCapi,
  evaluate,
  refresh: (env) => env.snapshot.refresh('Deployment', 'Provider'),

  steps(state, ctx) {
    const live = controllers(state)
    return [
      {
        label: 'CAPI controllers',
        action: state.record.ok
          ? {
              kind: 'none',
              why: 'the controllers to settle',
              log: `${state.record.line}; controllers not settled (${pendingTexts(live).join('; ')}): waiting, no dkp command`,
            }
          : { kind: 'dkp', command: capiComponentsCommand(ctx.inventory) },
        done: (s, acted) => (acted ? controllers(s) : evaluate(s)),
      },
    ]
  },

  report: {
    skipped: (state) => `CAPI components already upgraded for ${state.target}`,
    start: (state) =>
      beforeLines(state)
        .map((l) => `before: ${l}`)
        .join('\n'),
    dryRun: ({ before }) => {
      const live = controllers(before)
      return {
        message: before.record.ok
          ? `would wait for the CAPI controllers: ${pendingTexts(live).join('; ')}`
          : `would upgrade the CAPI components to the versions dkp ${before.target} bundles (${live.done ? 'controllers Available now' : pendingTexts(live).join('; ')})`,
      }
    },
    done: (run) => {
      const changed = changes(run)
      const after = controllers(run.after)
      const ranDkp = run.acted.some((s) => s.action.kind === 'dkp')
      return {
        info: changed,
        warnings:
          ranDkp && changed.length === 0
            ? [
                'dkp upgrade capi-components exited 0 but no controller image or provider version changed (already at the bundled versions?)',
              ]
            : [],
        message: `CAPI components upgraded for ${run.after.target}: ${changed.length} change(s) (${providerVersions(run.after.providers).length} providers)`,
        evidence: [...beforeLines(run.before).map((l) => `before: ${l}`), ...changed, ...after.evidence],
      }
    },
  },
}

export const stage = defineStage(capi)
