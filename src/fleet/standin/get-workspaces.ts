// `dkp get workspaces`.

import { API, dig } from '../objects.js'
import { CONTEXT, type Command, type Ctx, KUBECONFIG } from './command.js'
import { printObjects } from './get-output.js'
import { kubeOf } from './session.js'

export const getWorkspacesCommand: Command = {
  name: 'workspaces',
  aliases: ['workspace', 'ws'],
  short: 'Display workspaces',
  args: 0,
  flags: [
    KUBECONFIG,
    CONTEXT,
    { name: 'all-namespaces', short: 'A', type: 'bool', usage: 'List across all namespaces' },
    {
      name: 'output',
      short: 'o',
      type: 'string',
      default: 'table',
      usage: 'Output format: table|yaml|json',
    },
  ],
  run: getWorkspaces,
}

async function getWorkspaces(ctx: Ctx): Promise<void> {
  const items = await kubeOf(ctx).list(API.workspaces, 'Workspace')
  printObjects(ctx, items, () => [
    ['NAME', 'NAMESPACE'],
    ...items.map((w) => [w.metadata.name as string, dig<string>(w, 'status', 'namespaceRef', 'name') ?? '']),
  ])
}
