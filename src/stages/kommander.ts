// `kommander`: `dkp upgrade kommander` on the management cluster (reference/dkp.md §1 step 1,
// §2.1), the inventory's `management.kommander.args` passed as flags (air-gapped bundles).
// Done when HelmRelease kommander/kommander asks for and released `v<T>`, KommanderCore agrees
// (2.7+), the platform AppDeployments in `kommander` reference the release's ClusterApps, every
// HelmRelease there is Ready at its generation, and (where the release table knows `T`) every
// HelmRelease the table lists for the enabled apps runs the table's chart version
// (kommander-state.ts, docs/stages.md). Refuses a path that skips a minor or goes backwards.

import { toFlags } from '../core/command-args.js'
import { InputError, WorkError } from '../core/errors.js'
import { type AppDeployment, type HelmRelease, K, type KommanderApp } from '../core/kinds.js'
import { KOMMANDER_NS } from '../core/kommander-releases.js'
import { type KommanderCoreLike, kommanderState } from '../core/kommander-state.js'
import { loadReleaseData } from '../core/release-data.js'
import { checkDkpPath } from '../core/versions.js'
import type { DkpCommand } from '../effects/dkp-runner.js'
import { upgradeStep } from './flow.js'
import type { StageEnv, StageModule, StageOutcome, StepState } from './types.js'

export function kommanderCommand(env: StageEnv): DkpCommand {
  return {
    args: ['upgrade', 'kommander', ...toFlags(env.inventory.management.kommander.args)],
    description: `upgrade Kommander to ${env.target.dkp}`,
  }
}

/** Stage 1's done-condition, read from the management cluster (one list per kind). */
export async function kommanderStatus(env: StageEnv): Promise<StepState> {
  const [release, helmReleases, appDeployments, clusterApps, kommanderCores] = await Promise.all([
    loadReleaseData().then((data) => data.platform(env.target.dkp)),
    env.snapshot.list<HelmRelease>(...K.helmRelease, KOMMANDER_NS),
    env.snapshot.list<AppDeployment>(...K.appDeployment, KOMMANDER_NS),
    env.snapshot.list<KommanderApp>(...K.clusterApp),
    env.snapshot.list<KommanderCoreLike & { apiVersion: string; kind: string; metadata: { name?: string } }>(
      ...K.kommanderCore,
    ),
  ])
  return kommanderState({
    target: env.target.dkp,
    release,
    helmReleases,
    appDeployments,
    clusterApps,
    kommanderCores,
  })
}

export const stage: StageModule = {
  name: 'kommander',
  status: (env) => kommanderStatus(env),

  async run(ctx): Promise<StageOutcome> {
    const to = ctx.target.dkp
    return upgradeStep(ctx, {
      what: `Kommander ${to}`,
      to,
      state: () => kommanderStatus(ctx),
      commands: (state) => {
        if (!state.from) {
          const missing = state.pending.find((p) => p.includes('not found'))
          if (missing) throw new WorkError(`cannot upgrade Kommander: ${missing}`)
        } else {
          const path = checkDkpPath(state.from, to)
          if (!path.ok) throw new InputError(`refusing to upgrade Kommander: ${path.reason}`)
        }
        return [kommanderCommand(ctx)]
      },
    })
  },
}
