// `kommander`: `dkp upgrade kommander` on the management cluster (reference/dkp.md §1 step 1,
// §2.1), the inventory's `management.kommander.args` passed as flags (air-gapped bundles).
// Done when HelmRelease kommander/kommander asks for and released `v<T>`, KommanderCore agrees
// (2.7+), the platform AppDeployments in `kommander` reference the release's ClusterApps, every
// HelmRelease there is Ready at its generation, and (where the release table knows `T`) every
// HelmRelease the table lists for the enabled apps runs the table's chart version
// (src/core/kommander-state.ts, docs/stages.md). Refuses a path that skips a minor or goes
// backwards (bad input), and a cluster without Kommander.

import { kommanderCommand } from '../core/dkp-commands.js'
import { type AppDeployment, type HelmRelease, K, type KommanderApp } from '../core/kinds.js'
import { KOMMANDER_NS } from '../core/kommander-releases.js'
import { type KommanderCoreLike, type KommanderInputs, kommanderState } from '../core/kommander-state.js'
import { loadReleaseData } from '../core/release-data.js'
import { checkDkpPath } from '../core/versions.js'
import { defineStage } from './drive.js'
import { refuse, type StageEnv, type UpgradeStage } from './types.js'

/** What Kommander's done-condition reads from the management cluster (one list per kind). */
export async function readKommander(env: StageEnv): Promise<KommanderInputs> {
  const [release, helmReleases, appDeployments, clusterApps, kommanderCores] = await Promise.all([
    loadReleaseData().then((data) => data.platform(env.target.dkp)),
    env.snapshot.list<HelmRelease>(...K.helmRelease, KOMMANDER_NS),
    env.snapshot.list<AppDeployment>(...K.appDeployment, KOMMANDER_NS),
    env.snapshot.list<KommanderApp>(...K.clusterApp),
    env.snapshot.list<KommanderCoreLike & { apiVersion: string; kind: string; metadata: { name?: string } }>(
      ...K.kommanderCore,
    ),
  ])
  return { target: env.target.dkp, release, helmReleases, appDeployments, clusterApps, kommanderCores }
}

const kommander: UpgradeStage<KommanderInputs> = {
  name: 'kommander',
  kind: 'upgrade',
  read: (env) => readKommander(env),
  evaluate: kommanderState,

  steps(state, ctx) {
    const judged = kommanderState(state)
    const to = state.target
    if (!judged.from) {
      const missing = judged.pending.find((p) => p.code === 'not-installed')
      if (missing) return refuse('not-installed', `cannot upgrade Kommander: ${missing.text}`)
    } else {
      const path = checkDkpPath(judged.from, to)
      if (!path.ok) return refuse('path', `refusing to upgrade Kommander: ${path.reason}`, true)
    }
    return [
      {
        label: `Kommander ${to}`,
        action: { kind: 'dkp', command: kommanderCommand(ctx.inventory, to) },
        done: kommanderState,
      },
    ]
  },

  report: {
    start: (state, judged) => `Kommander ${state.target}: ${judged.pending.map((p) => p.text).join('; ')}`,
    dryRun: (run) => ({
      message: `would upgrade: ${kommanderState(run.before)
        .pending.map((p) => p.text)
        .join('; ')}`,
    }),
  },
}

export const stage = defineStage(kommander)
