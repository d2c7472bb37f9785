import { describe, expect, it } from 'vitest'
import {
  addonsState,
  clusterResourceSetsOf,
  imagesOf,
  parseAddonDryRun,
} from '../../src/core/addons-state.js'
import { capiControllersState, type Deployment, providerVersions } from '../../src/core/capi-state.js'
import { toFlags } from '../../src/core/command-args.js'
import type { KubeadmControlPlane, Machine, MachineDeployment } from '../../src/core/kinds.js'
import {
  controlPlaneState,
  kubernetesState,
  type ManagedControlPlane,
  managedControlPlaneState,
  nodePoolState,
} from '../../src/core/konvoy-state.js'
import { pendingTexts } from '../../src/core/step-state.js'
import { bareVersion, lowestVersion, managedVersionMatches, sameKubernetes } from '../../src/core/versions.js'
import { groupBy } from '../../src/stages/konvoy-read.js'

const T = '1.28.7'
const cond = (type: string, status: 'True' | 'False' = 'True', reason?: string) => ({
  type,
  status,
  ...(reason ? { reason } : {}),
})

function kcp(
  over: Partial<{
    spec: string
    status: string
    replicas: number
    updated: number
    ready: number
    unavailable: number
    gen: number
    seen: number
    readyCond: 'True' | 'False'
  }> = {},
): KubeadmControlPlane {
  const o = {
    spec: 'v1.28.7',
    status: 'v1.28.7',
    replicas: 3,
    updated: 3,
    ready: 3,
    unavailable: 0,
    gen: 2,
    seen: 2,
    readyCond: 'True' as const,
    ...over,
  }
  return {
    apiVersion: 'controlplane.cluster.x-k8s.io/v1beta1',
    kind: 'KubeadmControlPlane',
    metadata: { name: 'mgmt-control-plane', namespace: 'default', generation: o.gen },
    spec: { version: o.spec, replicas: 3 },
    status: {
      version: o.status,
      replicas: o.replicas,
      updatedReplicas: o.updated,
      readyReplicas: o.ready,
      unavailableReplicas: o.unavailable,
      observedGeneration: o.seen,
      conditions: [cond('Ready', o.readyCond)],
    },
  }
}

function md(
  over: Partial<{
    spec: string
    replicas: number
    want: number
    updated: number
    ready: number
    phase: string
    gen: number
    seen: number
  }> = {},
): MachineDeployment {
  const o = {
    spec: 'v1.28.7',
    replicas: 2,
    want: 2,
    updated: 2,
    ready: 2,
    phase: 'Running',
    gen: 2,
    seen: 2,
    ...over,
  }
  return {
    apiVersion: 'cluster.x-k8s.io/v1beta1',
    kind: 'MachineDeployment',
    metadata: {
      name: 'prod-east-1-md-0',
      namespace: 'team-a',
      generation: o.gen,
      labels: { 'cluster.x-k8s.io/cluster-name': 'prod-east-1' },
    },
    spec: { replicas: o.want, template: { spec: { version: o.spec } } },
    status: {
      replicas: o.replicas,
      updatedReplicas: o.updated,
      readyReplicas: o.ready,
      phase: o.phase,
      observedGeneration: o.seen,
    },
  }
}

const machine = (name: string, version: string, extra: Partial<Machine['metadata']> = {}): Machine => ({
  apiVersion: 'cluster.x-k8s.io/v1beta1',
  kind: 'Machine',
  metadata: {
    name,
    namespace: 'team-a',
    labels: { 'cluster.x-k8s.io/deployment-name': 'prod-east-1-md-0' },
    ...extra,
  },
  spec: { version },
})

describe('versions', () => {
  it('compares with the leading v stripped and keeps +fips.0', () => {
    expect(bareVersion('v1.28.7+fips.0')).toBe('1.28.7+fips.0')
    expect(sameKubernetes('v1.28.7', '1.28.7')).toBe(true)
    expect(sameKubernetes('v1.28.7+fips.0', '1.28.7')).toBe(false)
    expect(sameKubernetes('1.28.7+fips.0', 'v1.28.7+fips.0')).toBe(true)
    expect(sameKubernetes(undefined, '1.28.7')).toBe(false)
  })
  it('matches a managed control plane on major.minor (EKS)', () => {
    expect(managedVersionMatches('v1.28', '1.28.7')).toBe(true)
    expect(managedVersionMatches('v1.27', '1.28.7')).toBe(false)
    expect(managedVersionMatches('v1.28.7', '1.28.7')).toBe(true)
    expect(managedVersionMatches('v1.28.6', '1.28.7')).toBe(false)
  })
  it('finds the lowest version numerically', () => {
    expect(lowestVersion(['v1.28.7', 'v1.27.10', '1.27.9', undefined])).toBe('1.27.9')
    expect(lowestVersion([])).toBeUndefined()
  })
  it('turns inventory args into flags', () => {
    expect(toFlags({ ami: 'ami-1', 'instance-type': ['m5.large', 'm5.xlarge'] })).toEqual([
      '--ami=ami-1',
      '--instance-type=m5.large',
      '--instance-type=m5.xlarge',
    ])
    expect(toFlags(undefined)).toEqual([])
  })
})

describe('control plane done-condition', () => {
  it('holds when versions, replicas, generation and Ready all agree', () => {
    const s = controlPlaneState(kcp(), T)
    expect(s.done).toBe(true)
    expect(s.detail).toBe(
      'KubeadmControlPlane default/mgmt-control-plane at v1.28.7: 3/3 updated, 3 ready, Ready',
    )
    expect(s.running).toBe('1.28.7')
  })
  it.each([
    ['spec behind', { spec: 'v1.27.6', status: 'v1.27.6' }, /spec.version v1.27.6 \(target v1.28.7\)/],
    ['status behind', { status: 'v1.27.6' }, /status.version v1.27.6/],
    ['rolling', { updated: 1, ready: 2 }, /1\/3 updated, 2 ready/],
    ['surge', { replicas: 4 }, /3\/3 updated/],
    ['unavailable', { unavailable: 1 }, /1 unavailable/],
    ['generation unseen', { gen: 3, seen: 2 }, /generation 3 not observed/],
    ['not ready', { readyCond: 'False' as const }, /Ready=False/],
  ])('is pending when %s', (_name, over, re) => {
    const s = controlPlaneState(kcp(over), T)
    expect(s.done).toBe(false)
    expect(s.detail).toMatch(re)
  })
  it('reports the spec at target while rolling, running the lowest version', () => {
    const s = controlPlaneState(kcp({ status: 'v1.27.6', updated: 1 }), T)
    expect(s.specAtTarget).toBe(true)
    expect(s.running).toBe('1.27.6')
  })
  it('treats omitted zero counters (omitempty) as 0', () => {
    const k = kcp()
    delete k.status!.unavailableReplicas
    expect(controlPlaneState(k, T).done).toBe(true)
  })
})

describe('managed control plane (EKS)', () => {
  const cp = (spec: string, status: string, updating = false): ManagedControlPlane => ({
    apiVersion: 'controlplane.cluster.x-k8s.io/v1beta2',
    kind: 'AWSManagedControlPlane',
    metadata: { name: 'eks-1-control-plane', namespace: 'ns', generation: 2 },
    spec: { version: spec },
    status: {
      version: status,
      ready: true,
      observedGeneration: 2,
      conditions: [cond('Ready'), ...(updating ? [cond('EKSControlPlaneUpdating')] : [])],
    },
  })
  it('is done at target (minor-only versions too)', () => {
    expect(managedControlPlaneState(cp('v1.28.7', 'v1.28.7'), T).done).toBe(true)
    expect(managedControlPlaneState(cp('v1.28', 'v1.28'), T).done).toBe(true)
  })
  it('judges by spec, readiness and the Updating condition when status.version is not reported (CAPA v2.2)', () => {
    const c = cp('v1.28.7', 'v1.28.7')
    delete c.status!.version
    delete c.status!.observedGeneration
    const s = managedControlPlaneState(c, T)
    expect(s.done).toBe(true)
    expect(s.detail).toBe(
      'AWSManagedControlPlane ns/eks-1-control-plane at v1.28.7 (spec.version; the provider reports no status.version), ready',
    )
    const updating = cp('v1.28.7', 'v1.28.7', true)
    delete updating.status!.version
    expect(managedControlPlaneState(updating, T).done).toBe(false)
  })
  it('is pending while updating or behind', () => {
    expect(managedControlPlaneState(cp('v1.28.7', 'v1.27.6'), T).detail).toMatch(/status.version v1.27.6/)
    expect(managedControlPlaneState(cp('v1.28.7', 'v1.28.7', true), T).detail).toMatch(
      /EKSControlPlaneUpdating=True/,
    )
    expect(managedControlPlaneState(cp('v1.27.6', 'v1.27.6'), T).specAtTarget).toBe(false)
  })
})

describe('node pool done-condition', () => {
  const ms = [machine('a', 'v1.28.7'), machine('b', 'v1.28.7')]
  it('holds when replicas, phase, generation and every machine agree', () => {
    const s = nodePoolState(md(), ms, T)
    expect(s.done).toBe(true)
    expect(s.detail).toMatch(
      /MachineDeployment team-a\/prod-east-1-md-0 at v1.28.7: 2\/2 updated, 2 ready, 2 machines at v1.28.7/,
    )
  })
  it('prints progress the way the stage logs it', () => {
    const s = nodePoolState(
      md({ want: 3, replicas: 3, updated: 1, ready: 1, phase: 'ScalingUp' }),
      [...ms, machine('c', 'v1.27.6')],
      T,
    )
    expect(s.done).toBe(false)
    expect(s.detail).toMatch(
      /^md prod-east-1-md-0: 1\/3 updated, 1 ready, phase ScalingUp, 1 machine at v1.27.6/,
    )
    expect(s.running).toBe('1.27.6')
  })
  it('is pending while any machine is on the old version, even with converged counters', () => {
    const s = nodePoolState(
      md(),
      [machine('a', 'v1.28.7'), machine('b', 'v1.27.6', { deletionTimestamp: '2024-01-01T00:00:00Z' })],
      T,
    )
    expect(s.done).toBe(false)
    expect(s.detail).toMatch(/1 machine at v1.27.6 \(1 deleting\)/)
  })
  it('is pending before the controller saw the new spec', () => {
    expect(nodePoolState(md({ gen: 3, seen: 2 }), ms, T).detail).toMatch(/generation 3 not observed/)
  })
  it('is pending when the spec is behind', () => {
    const s = nodePoolState(md({ spec: 'v1.27.6' }), [machine('a', 'v1.27.6'), machine('b', 'v1.27.6')], T)
    expect(s.specAtTarget).toBe(false)
    expect(s.detail).toMatch(/spec.template.spec.version v1.27.6/)
  })
})

describe('kubernetes step state', () => {
  it('needs the control plane and every pool; from is the lowest running version', () => {
    const view = {
      cluster: {
        name: 'prod-east-1',
        namespace: 'team-a',
        provider: 'aws',
        management: false,
        controlPlaneArgs: {},
      },
      controlPlane: { kind: 'KubeadmControlPlane', object: kcp(), state: controlPlaneState(kcp(), T) },
      pools: [
        {
          name: 'prod-east-1-md-0',
          args: {},
          listed: true,
          object: md(),
          state: nodePoolState(md({ spec: 'v1.27.6' }), [machine('a', 'v1.27.6')], T),
        },
      ],
      missingPools: ['gpu'],
      discovered: ['prod-east-1-md-0'],
    }
    const s = kubernetesState(view, T)
    expect(s.done).toBe(false)
    expect(s.from).toBe('1.27.6')
    expect(pendingTexts(s).join('\n')).toMatch(
      /node pool gpu of the inventory has no MachineDeployment in team-a \(found: prod-east-1-md-0\)/,
    )
  })
})

describe('core addons', () => {
  const cm = (name: string, image: string) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'default' },
    data: {
      [`${name}.yaml`]: `kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - image: ${image}\n`,
    },
  })
  const crs = (
    name: string,
    applied: 'True' | 'False',
    labels = { 'konvoy.d2iq.io/cluster-name': 'mgmt' },
  ) => ({
    apiVersion: 'addons.cluster.x-k8s.io/v1beta1',
    kind: 'ClusterResourceSet',
    metadata: { name, namespace: 'default', generation: 1 },
    spec: { clusterSelector: { matchLabels: labels }, resources: [{ kind: 'ConfigMap', name }] },
    status: { observedGeneration: 1, conditions: [cond('ResourcesApplied', applied)] },
  })
  const output = [
    'Generating addon resources',
    '---',
    JSON.stringify(crs('tigera-operator-mgmt', 'True')),
    '---',
    JSON.stringify(cm('tigera-operator-mgmt', 'quay.io/tigera/operator:v1.30.9')),
  ].join('\n')

  it('parses dry-run output: documents or a List, prose ignored', () => {
    const parsed = parseAddonDryRun(output)
    expect(parsed.configMaps.map((c) => c.metadata.name)).toEqual(['tigera-operator-mgmt'])
    expect(parsed.clusterResourceSets.map((c) => c.metadata.name)).toEqual(['tigera-operator-mgmt'])
    const list = parseAddonDryRun(JSON.stringify({ kind: 'List', items: [cm('x-mgmt', 'img:1')] }, null, 2))
    expect(list.configMaps).toHaveLength(1)
    // the stand-in's (and likely dkp's) shape: a progress line, then YAML documents
    const yamlText = `Generating addon resources\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a-mgmt\ndata:\n  a.yaml: |\n    image: x:1\n---\napiVersion: addons.cluster.x-k8s.io/v1beta1\nkind: ClusterResourceSet\nmetadata:\n  name: a-mgmt\n`
    const fromYaml = parseAddonDryRun(yamlText)
    expect(fromYaml.configMaps[0]?.data).toEqual({ 'a.yaml': 'image: x:1\n' })
    expect(fromYaml.clusterResourceSets).toHaveLength(1)
  })
  it('reads images for evidence', () => {
    expect(imagesOf(cm('x', 'quay.io/tigera/operator:v1.30.9'))).toEqual(['quay.io/tigera/operator:v1.30.9'])
  })
  it('is at target when live data equals the dry run and the sets are applied', () => {
    const expected = parseAddonDryRun(output)
    const ok = addonsState(
      {
        configMaps: [cm('tigera-operator-mgmt', 'quay.io/tigera/operator:v1.30.9')],
        clusterResourceSets: [crs('tigera-operator-mgmt', 'True')],
      },
      expected,
      'v2.8.1',
    )
    expect(ok.done).toBe(true)
    expect(ok.evidence[0]).toMatch(
      /ConfigMap default\/tigera-operator-mgmt matches dkp v2.8.1 \(quay.io\/tigera\/operator:v1.30.9\)/,
    )
    const old = addonsState(
      {
        configMaps: [cm('tigera-operator-mgmt', 'quay.io/tigera/operator:v1.30.4')],
        clusterResourceSets: [crs('tigera-operator-mgmt', 'True')],
      },
      expected,
      'v2.8.1',
    )
    expect(old.done).toBe(false)
    expect(pendingTexts(old)[0]).toMatch(
      /differs from dkp v2.8.1 \(runs quay.io\/tigera\/operator:v1.30.4; wants quay.io\/tigera\/operator:v1.30.9\)/,
    )
    const unapplied = addonsState(
      { configMaps: expected.configMaps, clusterResourceSets: [crs('tigera-operator-mgmt', 'False')] },
      expected,
      'v2.8.1',
    )
    expect(pendingTexts(unapplied)).toEqual([expect.stringMatching(/ResourcesApplied=False/)])
  })
  it('selects the per-cluster sets by selector and name suffix, not global ones', () => {
    const cluster = {
      apiVersion: 'cluster.x-k8s.io/v1beta1',
      kind: 'Cluster',
      metadata: {
        name: 'mgmt',
        namespace: 'default',
        labels: { 'konvoy.d2iq.io/cluster-name': 'mgmt', 'konvoy.d2iq.io/cni': 'calico' },
      },
    }
    const all = [
      crs('tigera-operator-mgmt', 'True'),
      crs('calico-cni-aws-global', 'True', { 'konvoy.d2iq.io/cni': 'calico' } as never),
      crs('tigera-operator-other-mgmt', 'True', { 'konvoy.d2iq.io/cluster-name': 'other-mgmt' }),
    ]
    expect(clusterResourceSetsOf(all, cluster).map((c) => c.metadata.name)).toEqual(['tigera-operator-mgmt'])
  })
})

describe('CAPI controllers', () => {
  const dep = (ns: string, name: string, available = true, gen = 1, seen = 1): Deployment => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, generation: gen },
    spec: { replicas: 1, template: { spec: { containers: [{ name: 'manager', image: `${name}:v1` }] } } },
    status: {
      observedGeneration: seen,
      replicas: 1,
      updatedReplicas: 1,
      availableReplicas: available ? 1 : 0,
      conditions: [cond('Available', available ? 'True' : 'False')],
    },
  })
  const all = [
    dep('capi-system', 'capi-controller-manager'),
    dep('capi-kubeadm-bootstrap-system', 'capi-kubeadm-bootstrap-controller-manager'),
    dep('capi-kubeadm-control-plane-system', 'capi-kubeadm-control-plane-controller-manager'),
    dep('capa-system', 'capa-controller-manager'),
    dep('cert-manager', 'cert-manager'),
    dep('kommander', 'unrelated', false),
  ]
  it('is done when every controller is Available (other namespaces ignored)', () => {
    const s = capiControllersState(all)
    expect(s.done).toBe(true)
    expect(s.evidence).toContain(
      'Deployment capa-system/capa-controller-manager (capa-controller-manager:v1): Available',
    )
  })
  it('is pending for a missing namespace or a rollout not observed', () => {
    const s = capiControllersState([
      ...all.filter((d) => d.metadata.namespace !== 'capi-system'),
      dep('capz-system', 'capz-controller-manager', true, 2, 1),
    ])
    expect(pendingTexts(s)).toEqual([
      'no controller Deployment in capi-system',
      expect.stringMatching(/capz-system\/capz-controller-manager .*generation 2 not observed/),
    ])
  })
  it('lists provider versions for evidence', () => {
    const p = {
      apiVersion: 'clusterctl.cluster.x-k8s.io/v1alpha3',
      kind: 'Provider',
      metadata: { name: 'cluster-api', namespace: 'capi-system' },
      providerName: 'cluster-api',
      type: 'CoreProvider',
      version: 'v1.5.3',
    }
    expect(providerVersions([p])).toEqual([
      'Provider capi-system/cluster-api: cluster-api CoreProvider v1.5.3',
    ])
  })
})

describe('groupBy', () => {
  it('indexes a list once and reuses the index', () => {
    const list = [machine('a', 'v1'), machine('b', 'v1')]
    let calls = 0
    const key = (m: Machine) => {
      calls++
      return m.metadata.name
    }
    groupBy(list, 'n', key)
    groupBy(list, 'n', key)
    expect(calls).toBe(2)
    expect(groupBy(list, 'n', key).get('a')?.[0]?.metadata.name).toBe('a')
  })
})
