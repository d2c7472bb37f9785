// `dkp get nodepools -c CLUSTER`.

import { API, CLUSTER_NAME, dig } from '../objects.js'
import { CLUSTER_NAME_FLAG, type Command, type Ctx, KUBECONFIG, NAMESPACE_FLAG } from './command.js'
import { printObjects } from './get-output.js'
import { kubeOf } from './session.js'

export const getNodePoolsCommand: Command = {
  name: 'nodepools',
  aliases: ['nodepool', 'np'],
  short: 'Display node pools of a cluster',
  args: 0,
  flags: [
    CLUSTER_NAME_FLAG,
    NAMESPACE_FLAG,
    KUBECONFIG,
    {
      name: 'output',
      short: 'o',
      type: 'string',
      default: 'table',
      usage: 'Output format: table|yaml|json',
    },
  ],
  run: getNodePools,
}

async function getNodePools(ctx: Ctx): Promise<void> {
  const name = String(ctx.flags['cluster-name'])
  const ns = String(ctx.flags.namespace ?? 'default')
  const items = await kubeOf(ctx).list(API.cluster, 'MachineDeployment', {
    namespace: ns,
    labelSelector: `${CLUSTER_NAME}=${name}`,
  })
  printObjects(ctx, items, () => [
    ['NODEPOOL', 'DESIRED', 'READY', 'KUBERNETES VERSION'],
    ...items.map((md) => [
      md.metadata.name as string,
      String(dig(md, 'spec', 'replicas') ?? 0),
      String(dig(md, 'status', 'readyReplicas') ?? 0),
      dig<string>(md, 'spec', 'template', 'spec', 'version') ?? '',
    ]),
  ])
}
