// `dkp get appdeployments [-w WORKSPACE] [-p PROJECT] [-A]`.

import { API, dig, MGMT_WORKSPACE } from '../objects.js'
import { CliError, CONTEXT, type Command, type Ctx, KUBECONFIG } from './command.js'
import { printObjects } from './get-output.js'
import { workspaceNamespaces } from './object-helpers.js'
import { kubeOf, str } from './session.js'

export const getAppDeploymentsCommand: Command = {
  name: 'appdeployments',
  aliases: ['appdeployment', 'appdeploy'],
  short: 'Display AppDeployments',
  args: 0,
  flags: [
    KUBECONFIG,
    CONTEXT,
    { name: 'workspace', short: 'w', type: 'string', usage: 'Workspace of the AppDeployments' },
    { name: 'project', short: 'p', type: 'string', usage: 'Project of the AppDeployments' },
    { name: 'all-namespaces', short: 'A', type: 'bool', usage: 'List across all namespaces' },
    {
      name: 'output',
      short: 'o',
      type: 'string',
      default: 'table',
      usage: 'Output format: table|yaml|json',
    },
  ],
  run: getAppDeployments,
}

async function getAppDeployments(ctx: Ctx): Promise<void> {
  const kube = kubeOf(ctx)
  let namespace: string | undefined
  if (!ctx.flags['all-namespaces']) {
    const wsName = str(ctx.flags.workspace) ?? MGMT_WORKSPACE
    const { ns, projects } = await workspaceNamespaces(kube, wsName)
    namespace = ns
    if (str(ctx.flags.project)) {
      const p = projects.find((x) => x.name === ctx.flags.project)
      if (!p) throw new CliError(`project "${String(ctx.flags.project)}" not found in workspace "${wsName}"`)
      namespace = p.ns
    }
  }
  const items = await kube.list(API.apps, 'AppDeployment', namespace ? { namespace } : {})
  const all = !namespace
  printObjects(ctx, items, () => [
    [...(all ? ['NAMESPACE'] : []), 'NAME', 'APP', 'KIND'],
    ...items.map((a) => [
      ...(all ? [a.metadata.namespace as string] : []),
      a.metadata.name as string,
      dig<string>(a, 'spec', 'appRef', 'name') ?? '',
      dig<string>(a, 'spec', 'appRef', 'kind') ?? '',
    ]),
  ])
}
