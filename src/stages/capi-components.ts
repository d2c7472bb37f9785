// `capi-components` (management cluster only): `dkp upgrade capi-components` (reference/dkp.md
// §1 step 6, §2.4). No object in the cluster names the CAPI versions a DKP release bundles, so
// "at target" comes from the run record (an upgraded/skipped entry for this step reaching the
// target DKP release), and "done" also needs the live controllers: Deployments present in the
// core CAPI namespaces and an infrastructure provider's, every one in the CAPI, provider and
// cert-manager namespaces Available with its rollout finished. clusterctl Provider versions
// and controller images are recorded before and after as evidence. The inventory's
// `management.capiComponents.args` are passed through (proxy and credential flags some sites
// must give again, reference §2.4); the flags dkp-fleet sets itself are refused at validation.

import {
  type ClusterctlProvider,
  capiControllersState,
  controllerImages,
  type Deployment,
  providerVersions,
} from '../core/capi-state.js'
import { capiComponentsCommand } from '../core/dkp-commands.js'
import { WorkError } from '../core/errors.js'
import { K } from '../core/kinds.js'
import { act, skipped, waitFor } from './flow.js'
import type { StageContext, StageEnv, StageModule, StageOutcome, StepState } from './types.js'

const DONE_STATUSES = new Set(['upgraded', 'skipped'])

async function liveState(
  env: StageEnv,
): Promise<StepState & { providers: string[]; images: Map<string, string> }> {
  const deployments = await env.snapshot.list<Deployment>(...K.deployment)
  const providers = await env.snapshot.list<ClusterctlProvider>(...K.provider)
  const state = capiControllersState(deployments)
  return { ...state, providers: providerVersions(providers), images: controllerImages(deployments) }
}

async function recorded(env: StageEnv, cluster: string): Promise<{ ok: boolean; line: string }> {
  const stepId = `capi-components:${cluster}`
  const entry = await env.record.latest(stepId, env.target.dkp)
  if (entry && DONE_STATUSES.has(entry.status)) {
    return {
      ok: true,
      line: `run record: ${stepId} ${entry.status} to ${entry.to} at ${entry.finished} by ${entry.actor}`,
    }
  }
  return {
    ok: false,
    line: `no run record of ${stepId} reaching ${env.target.dkp}${entry ? ` (latest: ${entry.status})` : ''}: the CAPI components' versions cannot be read from the cluster`,
  }
}

async function capiStatus(env: StageEnv, cluster: string): Promise<StepState> {
  const [record, live] = await Promise.all([recorded(env, cluster), liveState(env)])
  const evidence = record.ok
    ? [record.line, ...live.providers, ...live.evidence]
    : [...live.providers, ...live.evidence]
  const pending = record.ok ? live.pending : [record.line, ...live.pending]
  return { done: pending.length === 0, evidence, pending }
}

export const stage: StageModule = {
  name: 'capi-components',

  status: capiStatus,

  async run(ctx) {
    return upgradeCapi(ctx)
  },
}

async function upgradeCapi(ctx: StageContext): Promise<StageOutcome> {
  const to = ctx.target.dkp
  const [record, before] = await Promise.all([recorded(ctx, ctx.cluster), liveState(ctx)])
  if (record.ok && before.done) {
    return skipped(
      { done: true, evidence: [record.line, ...before.providers, ...before.evidence], pending: [] },
      to,
      `CAPI components already upgraded for ${to}`,
    )
  }
  const beforeLines = [...before.providers, ...[...before.images].map(([k, image]) => `${k}=${image}`)]
  for (const line of beforeLines) ctx.reporter.info(`before: ${line}`)
  // Upgraded for this release already, only the controllers are not settled: wait, don't re-run
  // (clusterctl upgrades are not safe to repeat after an interruption, CAPI#5015).
  const commands = record.ok ? [] : [capiComponentsCommand(ctx.inventory)]
  const outcome: StageOutcome = { status: ctx.dryRun ? 'dry-run' : 'upgraded', to, commands, evidence: [] }
  if (record.ok)
    ctx.reporter.info(
      `${record.line}; controllers not settled (${before.pending.join('; ')}): waiting, no dkp command`,
    )
  await act(ctx, commands)
  if (ctx.dryRun) {
    outcome.message = record.ok
      ? `would wait for the CAPI controllers: ${before.pending.join('; ')}`
      : `would upgrade the CAPI components to the versions dkp ${to} bundles (${before.done ? 'controllers Available now' : before.pending.join('; ')})`
    return outcome
  }
  const settled = await waitFor(ctx, 'CAPI controllers', async () => {
    ctx.snapshot.refresh('Deployment', 'Provider')
    return liveState(ctx)
  })
  const after = await liveState(ctx)
  const changes: string[] = []
  for (const [k, image] of after.images) {
    const old = before.images.get(k)
    if (old !== image) changes.push(`${k}: ${old ?? 'new'} → ${image}`)
  }
  for (const line of after.providers) if (!before.providers.includes(line)) changes.push(`after: ${line}`)
  if (commands.length > 0 && changes.length === 0) {
    ctx.reporter.warning(
      'dkp upgrade capi-components exited 0 but no controller image or provider version changed (already at the bundled versions?)',
    )
  }
  for (const c of changes) ctx.reporter.info(c)
  if (!settled.done) throw new WorkError(`CAPI controllers not settled: ${settled.pending.join('; ')}`)
  outcome.evidence = [
    ...beforeLines.map((l) => `before: ${l}`),
    ...changes,
    ...after.providers,
    ...settled.evidence,
  ]
  outcome.message = `CAPI components upgraded for ${to}: ${changes.length} change(s) (${after.providers.length} providers)`
  return outcome
}
