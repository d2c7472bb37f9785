// The stand-in dkp against a seeded fleet (example inventory at DKP v2.7.1, stand-in v2.8.1):
// each command in DKP order changes exactly what reference/dkp.md §5 says (spec snapshots
// before/after, simulator off, so only the stand-in writes), the simulator then converges, and
// a rerun at target exits 0 and changes nothing. Plus usage errors, faults and `version`.

import { readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Inventory } from '../../src/core/model.js'
import { loadInventory } from '../../src/effects/inventory-files.js'
import { addonObjects } from '../../src/fleet/addons.js'
import { API, controlPlaneVersion, dig } from '../../src/fleet/objects.js'
import { RELEASES } from '../../src/fleet/release-table.js'
import { type SeedResult, seedFleet } from '../../src/fleet/seed.js'
import { type Simulator, startSimulator } from '../../src/fleet/sim/index.js'
import { releaseClusterApp } from '../helpers/release-shape.js'
import { useTestCluster } from '../kube/harness.js'
import { diffSnapshots, dkp, specSnapshot } from './fleet-helpers.js'

const tc = useTestCluster()
let inventory: Inventory
let seeded: SeedResult
let sim: Simulator
let kc: string

/** Runs a command with the simulator off; returns the exit result and the spec diff. */
async function changes(args: string[], env: NodeJS.ProcessEnv = {}) {
  const before = await specSnapshot(tc.kube)
  const r = await dkp([...args, '--kubeconfig', kc], { DKP_STANDIN_WAIT_TIMEOUT_MS: '300', ...env })
  const diff = diffSnapshots(before, await specSnapshot(tc.kube))
  return { r, diff }
}

/** Converges, then reruns: exit 0, nothing changed. */
async function settleAndRerun(args: string[]) {
  await sim.settle()
  const again = await changes(args)
  expect(again.r.stderr).toBe('')
  expect(again.r.code).toBe(0)
  expect(again.diff).toEqual({ created: [], deleted: [], changed: [] })
  return again.r
}

describe('stand-in dkp, command by command in DKP order', () => {
  beforeAll(async () => {
    kc = tc.kubeconfigPath
    inventory = (await loadInventory('examples/fleet.yaml')).inventory
    seeded = await seedFleet(tc.kube, inventory, { dkp: 'v2.7.1', kubeconfig: readFileSync(kc, 'utf8') })
    sim = await startSimulator(tc.kube, { intervalMs: 0 })
    await sim.settle()
  })

  it('rejects unknown flags, providers and commands like cobra', async () => {
    const flag = await dkp(['upgrade', 'kommander', '--kubeconfig', kc, '--dry-run'])
    expect(flag.code).toBe(1)
    expect(flag.stderr).toMatch(/^Error: unknown flag: --dry-run\n/)
    expect(flag.stderr).toContain('Usage:\n  dkp upgrade kommander [flags]')
    const short = await dkp(['update', 'nodepool', 'aws', 'x', '-c', 'mgmt', '-x', '--kubeconfig', kc])
    expect(short.stderr).toMatch(/^Error: unknown shorthand flag: 'x' in -x/)
    const provider = await dkp(['upgrade', 'addons', 'aks', '-c', 'mgmt', '--kubeconfig', kc])
    expect(provider).toMatchObject({ code: 1 })
    expect(provider.stderr).toMatch(/^Error: unknown command "aks" for "dkp upgrade addons"/)
    // --kubeconfig is optional (then $KUBECONFIG, like the real CLI): a missing file fails
    const noKubeconfig = await dkp(['upgrade', 'capi-components'], { KUBECONFIG: '/nonexistent/kubeconfig' })
    expect(noKubeconfig.stderr).toMatch(/^Error: failed to load kubeconfig \/nonexistent\/kubeconfig/)
    // a provider flag of another provider
    const azureFlag = await dkp([
      'update',
      'controlplane',
      'aws',
      '-c',
      'mgmt',
      '--kubernetes-version=v1.28.7',
      '--machine-size',
      'x',
      '--kubeconfig',
      kc,
    ])
    expect(azureFlag.stderr).toMatch(/^Error: unknown flag: --machine-size/)
    // bool flags take no separate value: "false" becomes a positional argument
    const boolArg = await dkp(['upgrade', 'capi-components', '--wait', 'false', '--kubeconfig', kc])
    expect(boolArg.stderr).toMatch(/^Error: accepts 0 arg\(s\), received 1/)
  })

  it('prints its version', async () => {
    const r = await dkp(['version'], { DKP_STANDIN_VERSION: 'v2.8.1' })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(
      'diagnose: v0.10.1\ndkp: v2.8.1\nkommander: v2.8.1\nkonvoy: v2.8.1\nmindthegap: v1.11.1\n',
    )
    const json = JSON.parse((await dkp(['version', '-o', 'json'], { DKP_STANDIN_VERSION: 'v2.7.1' })).stdout)
    expect(json.dkp).toBe('v2.7.1')
    expect((await dkp(['version', '--long', '-o=yaml'])).stdout).toMatch(
      /dkp:\n {2}major: "2"\n {2}minor: "8"\n {2}gitVersion: v2.8.1/,
    )
  })

  it('upgrade kommander: preflight refuses anything but the previous minor or a lower patch', async () => {
    const down = await changes(['upgrade', 'kommander'], { DKP_STANDIN_VERSION: 'v2.6.1' })
    expect(down.r.code).toBe(1)
    expect(down.r.stdout).toBe(' ✗ Ensuring upgrading conditions are met\n')
    expect(down.r.stderr).toMatch(/^Error: cannot upgrade Kommander from v2.7.1 to v2.6.1/)
    expect(down.diff).toEqual({ created: [], deleted: [], changed: [] })
  })

  it('upgrade kommander: GitRepository, new ClusterApps, kommander HelmReleases, kommander AppDeployments', async () => {
    const { r, diff } = await changes(['upgrade', 'kommander'])
    expect(r.code).toBe(1) // the simulator is off: the wait for the core apps times out
    expect(r.stderr).toMatch(/timed out waiting for the Kommander core applications/)
    expect(diff.deleted).toEqual([])
    // kommander-ui joins managementApps in v2.8.1: enabled like a fresh install would (I)
    expect(diff.created.filter((k) => !k.startsWith('ClusterApp '))).toEqual([
      'AppDeployment kommander/kommander-ui',
    ])
    // every app v2.8.1 ships, at the version the release table lists (traefik 26.0.0 in v2.8.1)
    const release = RELEASES.platform('v2.8.1')!
    const shipped = release.apps().flatMap((a) => release.versions(a).map((v) => `ClusterApp ${a}-${v}`))
    expect(diff.created.length).toBeGreaterThan(20)
    for (const k of diff.created.filter((x) => x.startsWith('ClusterApp '))) expect(shipped).toContain(k)
    expect(diff.created).toContain('ClusterApp kommander-0.8.1')
    expect(diff.created).toContain('ClusterApp traefik-26.0.0')
    const other = diff.changed.filter((k) => !k.startsWith('AppDeployment kommander/'))
    expect(other).toEqual([
      'GitRepository kommander-flux/management',
      'HelmRelease kommander/kommander',
      'HelmRelease kommander/kommander-appmanagement',
    ])
    expect(diff.changed).toContain('AppDeployment kommander/traefik')
    expect(diff.changed).toContain('AppDeployment kommander/gitea')
    expect(diff.changed).not.toContain('AppDeployment kommander/karma-traefik') // 0.0.1 in 2.7.1 and 2.8.1

    const r2 = await settleAndRerun(['upgrade', 'kommander'])
    expect(r2.stdout).toBe(
      [
        ' ✓ Ensuring upgrading conditions are met',
        ' ✓ Ensuring application definitions are updated',
        ' ✓ Ensuring helm-mirror implementation is migrated to chartmuseum',
        ' ✓ Ensuring Kommander core is upgraded',
        ' ✓ Ensuring platform applications are upgraded',
        '',
      ].join('\n'),
    )
    const hr = await tc.kube.get(API.helm, 'HelmRelease', 'kommander', 'kommander')
    expect(dig(hr, 'status', 'lastAppliedRevision')).toBe('v2.8.1')
    expect(dig(hr, 'status', 'history', 0, 'chartVersion')).toBe('v2.8.1')
    expect(dig(await tc.kube.get(API.dkp, 'KommanderCore', 'kommander-core'), 'status', 'version')).toBe(
      'v2.8.1',
    )
    for (const h of await tc.kube.list(API.helm, 'HelmRelease', { namespace: 'kommander' })) {
      expect(dig(h, 'status', 'lastAppliedRevision'), h.metadata.name).toBe(
        dig(h, 'spec', 'chart', 'spec', 'version'),
      )
    }
    // the chart versions of v2.8.1, not the app versions: gitea 8.2.1 → chart 8.2.0
    const gitea = await tc.kube.get(API.helm, 'HelmRelease', 'gitea', 'kommander')
    expect(dig(gitea, 'spec', 'chart', 'spec', 'version')).toBe('8.2.0')
    // a release ai-navigator-app 0.2.2 lists anew (its 0.2.1 release stays)
    expect(await tc.kube.get(API.helm, 'HelmRelease', 'ai-navigator-app', 'kommander')).toBeDefined()
    expect(
      await tc.kube.get(API.helm, 'HelmRelease', 'ai-navigator-cluster-info-api', 'kommander'),
    ).toBeDefined()
  })
})

describe('stand-in dkp writes exactly what the reference says', () => {
  it('upgrade workspace: bumps the ClusterApp AppDeployments of the workspace and its projects', async () => {
    const ws = seeded.workspaces.find((w) => w.name === 'team-a')!
    const dry = await changes(['upgrade', 'workspace', 'team-a', '--dry-run'])
    expect(dry.r.code).toBe(0)
    expect(dry.diff.changed).toEqual([])
    expect(dry.r.stdout).toContain(
      `appdeployment ${ws.namespace}/traefik: ${releaseClusterApp('v2.7.1', 'traefik')} -> traefik-26.0.0`,
    )
    const { r, diff } = await changes(['upgrade', 'workspace', 'team-a'])
    expect(r.code).toBe(1) // the wait times out with the simulator off
    expect(diff.created).toEqual([])
    expect(diff.deleted).toEqual([])
    expect(diff.changed.length).toBeGreaterThan(0)
    const nss = [ws.namespace, ...ws.projects.map((p) => p.namespace)]
    for (const k of diff.changed) {
      const [kind, key] = k.split(' ')
      expect(kind).toBe('AppDeployment')
      expect(nss).toContain(key!.split('/')[0])
    }
    for (const ad of await tc.kube.list(API.apps, 'AppDeployment', { namespace: ws.namespace })) {
      const ref = dig<{ kind: string; name: string }>(ad, 'spec', 'appRef')!
      if (ref.kind === 'App') continue
      const mgmt = await tc.kube.get(API.apps, 'AppDeployment', ad.metadata.name!, 'kommander')
      if (mgmt) expect(ref.name).toBe(dig(mgmt, 'spec', 'appRef', 'name'))
    }
    const rerun = await settleAndRerun(['upgrade', 'workspace', 'team-a'])
    expect(rerun.stdout).toBe(' ✓ Upgrading platform applications of workspace team-a\n')
    expect((await dkp(['upgrade', 'workspace', 'team-a', '--dry-run', '--kubeconfig', kc])).stdout).toBe('')
    const missing = await dkp(['upgrade', 'workspace', 'nope', '--kubeconfig', kc])
    expect(missing).toMatchObject({ code: 1, stderr: 'Error: workspace "nope" not found\n' })
  })

  it('upgrade catalogapp: workspace and project apps; platform apps refused', async () => {
    const ws = seeded.workspaces.find((w) => w.name === 'team-a')!
    const { r, diff } = await changes([
      'upgrade',
      'catalogapp',
      'kafka-operator',
      '--workspace=team-a',
      '--to-version=0.25.1',
    ])
    expect(r).toMatchObject({
      code: 0,
      stdout: 'appdeployment.apps.kommander.d2iq.io/kafka-operator upgraded to version 0.25.1\n',
    })
    expect(diff).toEqual({
      created: [],
      deleted: [],
      changed: [`AppDeployment ${ws.namespace}/kafka-operator`],
    })
    await settleAndRerun([
      'upgrade',
      'catalogapp',
      'kafka-operator',
      '-w',
      'team-a',
      '--to-version',
      '0.25.1',
    ])
    const hr = await tc.kube.get(API.helm, 'HelmRelease', 'kafka-operator', ws.namespace)
    expect(dig(hr, 'status', 'lastAppliedRevision')).toBe('0.25.1')

    const project = ws.projects.find((p) => p.name === 'payments')!
    const p = await changes([
      'upgrade',
      'catalogapp',
      'zookeeper-operator-m7x2q',
      '-w',
      'team-a',
      '-p',
      'payments',
      '--to-version',
      '0.2.16-dkp.1',
    ])
    expect(p.r.code).toBe(0)
    expect(p.diff.changed).toEqual([`AppDeployment ${project.namespace}/zookeeper-operator-m7x2q`])

    const platform = await changes([
      'upgrade',
      'catalogapp',
      'traefik',
      '-w',
      'team-a',
      '--to-version',
      '25.0.1',
    ])
    expect(platform.r.code).toBe(1)
    expect(platform.r.stderr).toMatch(/platform application/)
    expect(platform.diff.changed).toEqual([])
    const noSuchVersion = await changes([
      'upgrade',
      'catalogapp',
      'podinfo',
      '-w',
      'team-a',
      '--to-version',
      '9.9.9',
    ])
    expect(noSuchVersion.r.code).toBe(1)
    expect(noSuchVersion.diff.changed).toEqual([])
  })

  it('upgrade capi-components: images, Provider versions, global ClusterResourceSets deleted', async () => {
    const { r, diff } = await changes(['upgrade', 'capi-components', '--wait=false'])
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(
      ' ✓ Upgrading CAPI components\n ✓ Initializing new CAPI components\n ✓ Deleting Outdated Global ClusterResourceSets\n',
    )
    expect(diff.created).toEqual([])
    expect(diff.deleted).toEqual(['ClusterResourceSet default/calico-cni-aws-global'])
    expect(new Set(diff.changed.map((k) => k.split(' ')[0]))).toEqual(new Set(['Deployment', 'Provider']))
    const capi = await tc.kube.get(API.deployments, 'Deployment', 'capi-controller-manager', 'capi-system')
    expect(dig(capi, 'spec', 'template', 'spec', 'containers', 0, 'image')).toBe(
      'registry.k8s.io/cluster-api/cluster-api-controller:v1.5.5',
    )
    const rerun = await settleAndRerun(['upgrade', 'capi-components'])
    expect(rerun.stdout).toContain(' ✓ Waiting for CAPI components to be upgraded\n')
  })

  it('upgrade addons: CRS + ConfigMap per addon; --dry-run -o yaml prints what seeding/upgrading writes', async () => {
    const dry = await changes(['upgrade', 'addons', 'aws', '-c', 'mgmt', '--dry-run', '-o', 'yaml'])
    expect(dry.diff.changed).toEqual([])
    expect(dry.r.stdout).toContain('kind: ClusterResourceSet')
    const { r, diff } = await changes(['upgrade', 'addons', 'aws', '--cluster-name', 'mgmt'])
    expect(r.code).toBe(0)
    const names = addonObjects('v2.8.1', 'mgmt', 'default', 'aws').map((a) => a.addon)
    expect(r.stdout).toBe(
      `Generating addon resources\n${names.map((n) => `clusterresourceset.addons.cluster.x-k8s.io/${n}-mgmt upgraded\nconfigmap/${n}-mgmt upgraded\n`).join('')}`,
    )
    expect(diff.created).toEqual([])
    for (const k of diff.changed) expect(k).toMatch(/^(ClusterResourceSet|ConfigMap) default\/[a-z-]+-mgmt$/)
    expect(diff.changed).toContain('ConfigMap default/tigera-operator-mgmt')
    await settleAndRerun(['upgrade', 'addons', 'aws', '-c', 'mgmt'])
    const wrong = await dkp(['upgrade', 'addons', 'azure', '-c', 'mgmt', '--kubeconfig', kc])
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toContain('provider "aws"')
  })

  it('update controlplane: KCP spec.version only; machines roll; webhook refuses a skipped minor', async () => {
    const skip = await changes([
      'update',
      'controlplane',
      'aws',
      '-c',
      'mgmt',
      '--kubernetes-version',
      'v1.29.1',
    ])
    expect(skip.r.code).toBe(1)
    expect(skip.r.stderr).toMatch(
      /denied the request.*cannot update Kubernetes version from v1.27.6 to v1.29.1/,
    )
    expect(skip.diff.changed).toEqual([])
    const { r, diff } = await changes([
      'update',
      'controlplane',
      'aws',
      '-c',
      'mgmt',
      '--kubernetes-version=v1.28.7',
      '--wait=false',
    ])
    expect(r).toMatchObject({
      code: 0,
      stdout:
        'Updating control plane resource controlplane.cluster.x-k8s.io/v1beta1, Kind=KubeadmControlPlane default/mgmt-control-plane\n',
    })
    expect(diff).toEqual({
      created: [],
      deleted: [],
      changed: ['KubeadmControlPlane default/mgmt-control-plane'],
    })
    const rerun = await settleAndRerun([
      'update',
      'controlplane',
      'aws',
      '-c',
      'mgmt',
      '--kubernetes-version=v1.28.7',
    ])
    expect(rerun.stdout).toContain(' ✓ Updating the control plane\n')
    const kcp = await tc.kube.get(API.controlPlane, 'KubeadmControlPlane', 'mgmt-control-plane', 'default')
    expect(kcp?.status).toMatchObject({
      version: 'v1.28.7',
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      unavailableReplicas: 0,
    })
    const machines = await tc.kube.list(API.cluster, 'Machine', {
      namespace: 'default',
      labelSelector: 'cluster.x-k8s.io/control-plane-name=mgmt-control-plane',
    })
    expect(machines.map((m) => dig(m, 'status', 'nodeInfo', 'kubeletVersion'))).toEqual([
      'v1.28.7',
      'v1.28.7',
      'v1.28.7',
    ])
    const komm = await tc.kube.get(API.kommander, 'KommanderCluster', 'host-cluster', 'kommander')
    expect(dig(komm, 'status', 'kubernetesVersion')).toBe('v1.28.7')
  })

  it('update nodepool: MD template version (+ new template with --ami); unknown pool fails', async () => {
    const ws = seeded.workspaces.find((w) => w.name === 'team-a')!
    const missing = await changes([
      'update',
      'nodepool',
      'aws',
      'nope',
      '-c',
      'mgmt',
      '--kubernetes-version',
      'v1.28.7',
    ])
    expect(missing.r.code).toBe(1)
    expect(missing.r.stderr).toContain('machinedeployments.cluster.x-k8s.io "nope" not found')
    const { r, diff } = await changes([
      'update',
      'nodepool',
      'aws',
      'mgmt-md-0',
      '-c',
      'mgmt',
      '--kubernetes-version',
      'v1.28.7',
      '--wait=false',
    ])
    expect(r.stdout).toBe(
      'Updating node pool resource cluster.x-k8s.io/v1beta1, Kind=MachineDeployment default/mgmt-md-0\n',
    )
    expect(diff).toEqual({ created: [], deleted: [], changed: ['MachineDeployment default/mgmt-md-0'] })
    const rerun = await settleAndRerun([
      'update',
      'nodepool',
      'aws',
      'mgmt-md-0',
      '-c',
      'mgmt',
      '--kubernetes-version',
      'v1.28.7',
    ])
    expect(rerun.stdout).toContain(' ✓ Updating the mgmt-md-0 node pool\n')
    const gpu = await changes([
      'update',
      'nodepool',
      'aws',
      'prod-east-1-gpu',
      '-c',
      'prod-east-1',
      '-n',
      ws.namespace,
      '--kubernetes-version',
      'v1.28.7',
      '--ami',
      'ami-0a1b2c3d',
      '--wait=false',
    ])
    expect(gpu.r.code).toBe(0)
    expect(gpu.diff.changed).toEqual([`MachineDeployment ${ws.namespace}/prod-east-1-gpu`])
    expect(gpu.diff.created).toHaveLength(1)
    expect(gpu.diff.created[0]).toMatch(new RegExp(`^AWSMachineTemplate ${ws.namespace}/prod-east-1-gpu-`))
    const md = await tc.kube.get(API.cluster, 'MachineDeployment', 'prod-east-1-gpu', ws.namespace)
    expect(dig(md, 'spec', 'template', 'spec', 'infrastructureRef', 'name')).toBe(
      gpu.diff.created[0]!.split('/')[1],
    )
    await sim.settle()
  })

  it('get nodepools / workspaces / appdeployments', async () => {
    const np = await dkp(['get', 'nodepools', '-c', 'mgmt', '--kubeconfig', kc])
    expect(np.stdout).toMatch(
      /^NODEPOOL\s+DESIRED\s+READY\s+KUBERNETES VERSION\nmgmt-md-0\s+2\s+2\s+v1.28.7\n$/,
    )
    const ws = await dkp(['get', 'workspaces', '--kubeconfig', kc])
    expect(ws.stdout).toMatch(/^NAME\s+NAMESPACE\n/)
    expect(ws.stdout).toMatch(/team-a\s+team-a-x7k2p/)
    const ads = await dkp(['get', 'appdeployments', '-w', 'team-a', '--kubeconfig', kc])
    expect(ads.stdout).toMatch(/kafka-operator\s+kafka-operator-0.25.1\s+App/)
  })
})

describe('EKS and a small inline inventory (AWSManagedControlPlane)', () => {
  it('update controlplane eks / nodepool eks move the managed control plane and the MD', async () => {
    const { parseInventory } = await import('../../src/core/inventory.js')
    const small = parseInventory([
      {
        path: 'small.yaml',
        content: [
          'apiVersion: dkp-fleet/v1',
          'kind: Fleet',
          'target: { dkp: v2.8.1 }',
          'management: { name: mgmt, provider: aws }',
          'workspaces: [{ name: cloud, namespace: cloud-ws }]',
          'clusters:',
          '  - { name: eks-1, workspace: cloud, provider: eks }',
          '',
        ].join('\n'),
      },
    ]).inventory
    const r = await seedFleet(tc.kube, small, { dkp: 'v2.7.1', kubeconfig: readFileSync(kc, 'utf8') })
    expect(r.clusters.find((c) => c.name === 'eks-1')).toMatchObject({
      provider: 'eks',
      namespace: 'cloud-ws',
      nodepools: ['eks-1-md-0'],
    })
    const cp = await tc.kube.get(
      API.awsManagedControlPlane,
      'AWSManagedControlPlane',
      'eks-1-control-plane',
      'cloud-ws',
    )
    expect(cp?.status).toMatchObject({ ready: true })
    expect(controlPlaneVersion(cp)).toBe('v1.27.6')
    const loop = await startSimulator(tc.kube, { intervalMs: 20 })
    try {
      const up = await dkp([
        'update',
        'controlplane',
        'eks',
        '-c',
        'eks-1',
        '-n',
        'cloud-ws',
        '--kubernetes-version',
        'v1.28.7',
        '--kubeconfig',
        kc,
      ])
      expect(up.stderr).toBe('')
      expect(up.stdout).toBe(
        'Updating control plane resource controlplane.cluster.x-k8s.io/v1beta2, Kind=AWSManagedControlPlane cloud-ws/eks-1-control-plane\n' +
          'Waiting for control plane update to finish.\n ✓ Updating the control plane\n',
      )
      const np = await dkp([
        'update',
        'nodepool',
        'eks',
        'eks-1-md-0',
        '-c',
        'eks-1',
        '-n',
        'cloud-ws',
        '--kubernetes-version',
        'v1.28.7',
        '--instance-type',
        'm5.xlarge',
        '--kubeconfig',
        kc,
      ])
      expect(np.code).toBe(0)
      const ami = await dkp([
        'update',
        'nodepool',
        'eks',
        'eks-1-md-0',
        '-c',
        'eks-1',
        '-n',
        'cloud-ws',
        '--kubernetes-version',
        'v1.28.7',
        '--ami',
        'x',
        '--kubeconfig',
        kc,
      ])
      expect(ami.stderr).toMatch(/^Error: unknown flag: --ami/)
    } finally {
      await loop.stop()
    }
    const live = await tc.kube.get(
      API.awsManagedControlPlane,
      'AWSManagedControlPlane',
      'eks-1-control-plane',
      'cloud-ws',
    )
    expect(controlPlaneVersion(live)).toBe('v1.28.7')
    const kcm = await tc.kube.get(API.kommander, 'KommanderCluster', 'eks-1', 'cloud-ws')
    expect(dig(kcm, 'status', 'kubernetesVersion')).toBe('v1.28.7')
  })

  it('demo mode walks machines through every phase', async () => {
    const demo = await startSimulator(tc.kube, { mode: 'demo', intervalMs: 0 })
    await tc.kube.patchMerge(API.cluster, 'MachineDeployment', 'eks-1-md-0', 'cloud-ws', {
      spec: { replicas: 3 },
    })
    const phases = new Set<string>()
    for (let i = 0; i < 80; i++) {
      await demo.step()
      for (const m of await tc.kube.list(API.cluster, 'Machine', { namespace: 'cloud-ws' }))
        phases.add(String(dig(m, 'status', 'phase')))
      const md = await tc.kube.get(API.cluster, 'MachineDeployment', 'eks-1-md-0', 'cloud-ws')
      if (dig(md, 'status', 'readyReplicas') === 3 && dig(md, 'status', 'phase') === 'Running') break
    }
    expect([...phases]).toEqual(expect.arrayContaining(['Pending', 'Provisioning', 'Provisioned', 'Running']))
  })
})
