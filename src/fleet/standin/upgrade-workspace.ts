// `dkp upgrade workspace NAME`: moves the platform AppDeployments of a workspace and its
// projects to the ClusterApps the management cluster runs, then waits for their HelmReleases.

import { isKnownDkp } from '../dkp-releases.js'
import { type AnyObject, API, dig, KOMMANDER_NS } from '../objects.js'
import { RELEASES } from '../release-table.js'
import {
  CONFIG,
  CONTEXT,
  CORE_TIMEOUT,
  type Command,
  type Ctx,
  KUBECONFIG,
  PLATFORM_TIMEOUT,
  REQUEST_TIMEOUT,
} from './command.js'
import {
  appIdOf,
  helmApiOf,
  patchIfChanged,
  releasedAsListed,
  throwIfFailed,
  workspaceNamespaces,
} from './object-helpers.js'
import { disableAppDeploymentsFlags } from './release-flags.js'
import { kubeOf, waitFor, writerFor } from './session.js'

export const upgradeWorkspaceCommand = (version: string): Command => ({
  name: 'workspace',
  use: 'workspace WORKSPACE_NAME',
  short: 'Upgrade the platform applications of a workspace',
  args: 1,
  flags: [
    {
      name: 'dry-run',
      type: 'bool',
      usage: 'List the AppDeployments that would be upgraded, change nothing',
    },
    KUBECONFIG,
    CONTEXT,
    CONFIG,
    REQUEST_TIMEOUT,
    CORE_TIMEOUT,
    PLATFORM_TIMEOUT,
    ...disableAppDeploymentsFlags(version, 'workspace'),
  ],
  run: upgradeWorkspace,
})

async function upgradeWorkspace(ctx: Ctx): Promise<void> {
  const kube = kubeOf(ctx)
  const name = ctx.args[0] as string
  const w = writerFor(ctx, [name])
  const helmApi = await helmApiOf(kube)
  const { ns, projects } = await workspaceNamespaces(kube, name)
  // the versions on the management cluster: its Kommander release, and the kommander AppDeployments
  const mgmtHr = await kube.get(helmApi, 'HelmRelease', 'kommander', KOMMANDER_NS)
  const mgmtVersion = String(dig(mgmtHr, 'spec', 'chart', 'spec', 'version') ?? ctx.version)
  const mgmtRelease = RELEASES.platform(isKnownDkp(mgmtVersion) ? mgmtVersion : ctx.version)
  const want = new Map(
    (mgmtRelease?.apps() ?? []).map((appId) => [appId, `${appId}-${mgmtRelease!.versions(appId)[0]}`]),
  )
  for (const ad of await kube.list(API.apps, 'AppDeployment', { namespace: KOMMANDER_NS })) {
    const ref = dig<{ kind: string; name: string }>(ad, 'spec', 'appRef')
    if (ref?.kind !== 'ClusterApp') continue
    const appId = await appIdOf(kube, ref, KOMMANDER_NS)
    if (appId) want.set(appId, ref.name)
  }
  const disabled = new Set((ctx.flags['disable-appdeployments'] as string[] | undefined) ?? [])
  const changes: { ad: AnyObject; from: string; to: string }[] = []
  for (const n of [ns, ...projects.map((p) => p.ns)]) {
    for (const ad of await kube.list(API.apps, 'AppDeployment', { namespace: n })) {
      const ref = dig<{ kind: string; name: string }>(ad, 'spec', 'appRef')
      if (ref?.kind !== 'ClusterApp' || disabled.has(ad.metadata.name as string)) continue
      const appId = await appIdOf(kube, ref, n)
      const to = appId ? want.get(appId) : undefined
      if (to && to !== ref.name) changes.push({ ad, from: ref.name, to })
    }
  }
  if (ctx.flags['dry-run']) {
    for (const c of changes)
      ctx.io.stdout(`appdeployment ${c.ad.metadata.namespace}/${c.ad.metadata.name}: ${c.from} -> ${c.to}\n`)
    return
  }
  for (const c of changes) {
    await patchIfChanged(w, kube, c.ad, { spec: { appRef: { kind: 'ClusterApp', name: c.to } } }, true)
  }
  await w.done()
  await waitFor(
    ctx,
    `the platform applications of workspace ${name}`,
    Number(ctx.flags['platform-apps-timeout'] ?? 0),
    async () => {
      for (const c of changes) {
        const n = c.ad.metadata.namespace as string
        const app = await kube.get(API.apps, 'ClusterApp', c.to)
        const appId = dig<string>(app, 'spec', 'appId') ?? ''
        const version = dig<string>(app, 'spec', 'version') ?? ''
        const hrs = await kube.list(helmApi, 'HelmRelease', { namespace: n })
        hrs.forEach(throwIfFailed)
        const done = releasedAsListed(hrs, n, [[appId, version]], mgmtRelease?.tag)
        if (done !== true) return done
      }
      return true
    },
  )
  ctx.io.stdout(` ✓ Upgrading platform applications of workspace ${name}\n`)
}
