// `dkp upgrade catalogapp NAME --to-version V (--workspace W | --project P)`: points a catalog
// AppDeployment at the App of the new version (platform apps are refused).

import { API, dig } from '../objects.js'
import { CliError, CONFIG, CONTEXT, type Command, type Ctx, KUBECONFIG, REQUEST_TIMEOUT } from './command.js'
import { UsageError } from './flags.js'
import { patchIfChanged, workspaceNamespaces } from './object-helpers.js'
import { kubeOf, str, writerFor } from './session.js'

export const upgradeCatalogAppCommand: Command = {
  name: 'catalogapp',
  use: 'catalogapp APPDEPLOYMENT_NAME',
  short: 'Upgrade a catalog application deployment',
  args: 1,
  flags: [
    { name: 'to-version', type: 'string', usage: 'The version to upgrade to', required: true },
    { name: 'workspace', short: 'w', type: 'string', usage: 'Workspace of the AppDeployment' },
    { name: 'project', short: 'p', type: 'string', usage: 'Project of the AppDeployment' },
    KUBECONFIG,
    CONTEXT,
    CONFIG,
    REQUEST_TIMEOUT,
  ],
  run: upgradeCatalogApp,
}

async function upgradeCatalogApp(ctx: Ctx): Promise<void> {
  const kube = kubeOf(ctx)
  const adName = ctx.args[0] as string
  const toVersion = String(ctx.flags['to-version'])
  const wsName = str(ctx.flags.workspace)
  const projectName = str(ctx.flags.project)
  if (!wsName && !projectName) throw new UsageError('either --workspace or --project must be set')
  const w = writerFor(ctx, [adName, wsName, projectName])
  let wsNs: string | undefined
  let targetNs: string
  if (wsName) {
    const { ns, projects } = await workspaceNamespaces(kube, wsName)
    wsNs = ns
    if (projectName) {
      const p = projects.find((x) => x.name === projectName)
      if (!p) throw new CliError(`project "${projectName}" not found in workspace "${wsName}"`)
      targetNs = p.ns
    } else targetNs = ns
  } else {
    const matches = (await kube.list(API.workspaces, 'Project')).filter(
      (p) => p.metadata.name === projectName,
    )
    if (matches.length !== 1)
      throw new CliError(
        matches.length
          ? `project "${projectName}" exists in several workspaces: pass --workspace`
          : `project "${projectName}" not found`,
      )
    wsNs = matches[0]?.metadata.namespace
    targetNs = dig<string>(matches[0], 'status', 'namespaceRef', 'name') ?? ''
  }
  const ad = await kube.get(API.apps, 'AppDeployment', adName, targetNs)
  if (!ad) throw new CliError(`appdeployment "${adName}" not found in namespace "${targetNs}"`)
  const ref = dig<{ kind: string; name: string }>(ad, 'spec', 'appRef')
  if (ref?.kind === 'ClusterApp') {
    throw new CliError(
      `appdeployment "${adName}" is a platform application (ClusterApp); platform applications are upgraded with "dkp upgrade workspace"`,
    )
  }
  const current =
    (await kube.get(API.apps, 'App', ref?.name ?? '', targetNs)) ??
    (await kube.get(API.apps, 'App', ref?.name ?? '', wsNs))
  const appId =
    dig<string>(current, 'spec', 'appId') ?? (ref?.name ?? adName).replace(/-v?\d+\.\d+\.\d+.*$/, '')
  const targetApp = `${appId}-${toVersion}`
  if (
    !(await kube.get(API.apps, 'App', targetApp, targetNs)) &&
    !(await kube.get(API.apps, 'App', targetApp, wsNs))
  ) {
    throw new CliError(
      `app "${targetApp}" not found in the catalog of workspace "${wsName ?? wsNs}": version ${toVersion} of ${appId} is not available`,
    )
  }
  if (ref?.name === targetApp) {
    ctx.io.stdout(`appdeployment.apps.kommander.d2iq.io/${adName} is already at version ${toVersion}\n`)
    return
  }
  await patchIfChanged(w, kube, ad, { spec: { appRef: { kind: 'App', name: targetApp } } }, true)
  await w.done()
  ctx.io.stdout(`appdeployment.apps.kommander.d2iq.io/${adName} upgraded to version ${toVersion}\n`)
}
