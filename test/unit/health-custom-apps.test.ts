// The custom-apps gate's pure parts: which AppDeployments are custom (neither platform apps nor
// catalog apps the inventory lists), which clusters they target, and where their Helm release
// is stored.

import { describe, expect, it } from 'vitest'
import type { AppDeployment, HelmRelease, KommanderCluster, NamespacedRef } from '../../src/core/kinds.js'
import type { Inventory } from '../../src/core/model.js'
import {
  customApps,
  helmReleaseTarget,
  namespaceOwners,
  targetClusters,
} from '../../src/stages/custom-apps.js'

const src = { file: 'fleet.yaml', line: 1, col: 1 }
const inventory = {
  workspaces: [
    {
      name: 'team-a',
      namespace: 'team-a-ns',
      apps: [{ name: 'kafka-operator', version: '0.25.1', source: src }],
      projects: [
        {
          name: 'payments',
          apps: [{ name: 'zookeeper-operator', version: '0.2.16', source: src }],
          source: src,
        },
      ],
      source: src,
    },
  ],
} as unknown as Inventory

const ad = (
  name: string,
  ns: string,
  kind: 'App' | 'ClusterApp' = 'App',
  extra: object = {},
): AppDeployment =>
  ({
    apiVersion: 'apps.kommander.d2iq.io/v1alpha3',
    kind: 'AppDeployment',
    metadata: { name, namespace: ns },
    spec: { appRef: { kind, name: `${name}-1.0.0` }, ...extra },
  }) as AppDeployment

const workspaces: NamespacedRef[] = [
  {
    apiVersion: 'workspaces.kommander.mesosphere.io/v1alpha1',
    kind: 'Workspace',
    metadata: { name: 'team-a' },
    status: { namespaceRef: { name: 'team-a-ns' } },
  },
  {
    apiVersion: 'workspaces.kommander.mesosphere.io/v1alpha1',
    kind: 'Workspace',
    metadata: { name: 'other' },
    spec: { namespaceName: 'other-ns' },
  },
]
const projects: NamespacedRef[] = [
  {
    apiVersion: 'workspaces.kommander.mesosphere.io/v1alpha1',
    kind: 'Project',
    metadata: { name: 'payments', namespace: 'team-a-ns' },
    status: { namespaceRef: { name: 'payments-ns' } },
  },
]

describe('custom apps', () => {
  const owners = namespaceOwners(inventory, workspaces, projects)

  it('maps namespaces to their workspace and project', () => {
    expect(owners.get('team-a-ns')).toEqual({ workspace: 'team-a', workspaceNamespace: 'team-a-ns' })
    expect(owners.get('payments-ns')).toEqual({
      workspace: 'team-a',
      project: 'payments',
      workspaceNamespace: 'team-a-ns',
    })
    expect(owners.get('other-ns')).toEqual({ workspace: 'other', workspaceNamespace: 'other-ns' })
  })

  it('are the App AppDeployments the inventory does not list for their workspace or project', () => {
    const all = [
      ad('traefik', 'team-a-ns', 'ClusterApp'), // platform
      ad('kafka-operator', 'team-a-ns'), // listed catalog app of the workspace
      ad('zookeeper-operator', 'payments-ns'), // listed catalog app of the project
      ad('kafka-operator', 'payments-ns'), // listed for the workspace, not for the project
      ad('podinfo', 'team-a-ns'), // not listed
      ad('kafka-operator', 'other-ns'), // workspace the inventory does not name
      ad('legacy', 'unknown-ns'), // namespace of no workspace
    ]
    expect(
      customApps(inventory, all, owners).map((a) => `${a.metadata.namespace}/${a.metadata.name}`),
    ).toEqual([
      'payments-ns/kafka-operator',
      'team-a-ns/podinfo',
      'other-ns/kafka-operator',
      'unknown-ns/legacy',
    ])
  })

  it('target the clusters of their workspace (project apps too), narrowed by a clusterSelector', () => {
    const kc = (name: string, ns: string, labels: Record<string, string> = {}): KommanderCluster => ({
      apiVersion: 'kommander.mesosphere.io/v1beta1',
      kind: 'KommanderCluster',
      metadata: { name, namespace: ns, labels },
    })
    const clusters = [kc('a1', 'team-a-ns', { env: 'prod' }), kc('a2', 'team-a-ns'), kc('o1', 'other-ns')]
    const names = (x: AppDeployment) =>
      targetClusters(x, owners.get(x.metadata.namespace!), clusters).map((k) => k.metadata.name)
    expect(names(ad('podinfo', 'team-a-ns'))).toEqual(['a1', 'a2'])
    expect(names(ad('kafka-operator', 'payments-ns'))).toEqual(['a1', 'a2'])
    expect(
      names(ad('podinfo', 'team-a-ns', 'App', { clusterSelector: { matchLabels: { env: 'prod' } } })),
    ).toEqual(['a1'])
    expect(names(ad('legacy', 'unknown-ns'))).toEqual([])
  })

  it('find their Helm release where Flux stores it', () => {
    const hr = (spec: object): HelmRelease =>
      ({
        apiVersion: 'helm.toolkit.fluxcd.io/v2beta2',
        kind: 'HelmRelease',
        metadata: { name: 'podinfo', namespace: 'ws' },
        spec,
      }) as HelmRelease
    const fallback = { name: 'podinfo', namespace: 'ws' }
    expect(helmReleaseTarget(undefined, fallback)).toEqual({
      release: 'podinfo',
      storageNamespace: 'ws',
      targetNamespace: 'ws',
    })
    expect(helmReleaseTarget(hr({}), fallback)).toEqual({
      release: 'podinfo',
      storageNamespace: 'ws',
      targetNamespace: 'ws',
    })
    expect(helmReleaseTarget(hr({ releaseName: 'pi', targetNamespace: 'apps' }), fallback)).toEqual({
      release: 'pi',
      storageNamespace: 'apps',
      targetNamespace: 'apps',
    })
    expect(helmReleaseTarget(hr({ targetNamespace: 'apps', storageNamespace: 'flux' }), fallback)).toEqual({
      release: 'apps-podinfo',
      storageNamespace: 'flux',
      targetNamespace: 'apps',
    })
  })
})
