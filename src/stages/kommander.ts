import { kommanderCommand } from '../core/dkp-commands.js'
import { InputError, WorkError } from '../core/errors.js'
import { type AppDeployment, type HelmRelease, K, type KommanderApp } from '../core/kinds.js'
import { KOMMANDER_NS } from '../core/kommander-releases.js'
import { type KommanderCoreLike, kommanderState } from '../core/kommander-state.js'
import { loadReleaseData } from '../core/release-data.js'
import { checkDkpPath } from '../core/versions.js'
import { upgradeStep } from './flow.js'
import type { StageEnv, StageModule, StageOutcome, StepState } from './types.js'

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
        return [kommanderCommand(ctx.inventory, to)]
      },
    })
  },
}
