// Pure parts of the test fleet: release data, addon objects, the seed builder, the stand-in's
// flag parser and fault rules, the simulator's helpers.

import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseInventory } from '../../src/core/inventory.js'
import { addonObjects } from '../../src/fleet/addons.js'
import { addonsFor, dkpRelease, isKnownDkp } from '../../src/fleet/dkp-releases.js'
import { API, dig, machineObject } from '../../src/fleet/objects.js'
import {
  dkpTags,
  enabledApps,
  kommanderAppVersion,
  olderCatalogVersion,
  RELEASES,
} from '../../src/fleet/release-table.js'
import { catalogAppId, fleetObjects, olderVersion, workspaceNamespace } from '../../src/fleet/seed.js'
import { matches, parseFaultLines, parseFaultSpec, sameContent } from '../../src/fleet/sim/context.js'
import { countMachines, isUpToDate } from '../../src/fleet/sim/rollout.js'
import { findRule, parseRules } from '../../src/fleet/standin/faults.js'
import { formatDuration, parseDuration, parseFlags, UsageError } from '../../src/fleet/standin/flags.js'
import { componentVersions } from '../../src/fleet/standin/version.js'

const example = () =>
  parseInventory([{ path: 'examples/fleet.yaml', content: readFileSync('examples/fleet.yaml', 'utf8') }])
    .inventory

describe('dkp-releases', () => {
  it('keeps the reference facts (§3)', () => {
    expect(dkpRelease('v2.8.1')).toMatchObject({
      kommanderChart: 'v2.8.1',
      kommanderApp: '0.8.1',
      flux: '2.2.3',
      kubernetes: '1.28.7',
    })
    expect(dkpRelease('2.7.0')).toMatchObject({
      dkp: 'v2.7.0',
      kommanderApp: '0.7.0',
      flux: '2.1.2',
      kubernetes: '1.27.6',
    })
    expect(dkpRelease('v2.3.0').kommanderApp).toBe('0.3.1')
    expect(dkpRelease('v2.3.2').kommanderApp).toBe('0.3.2')
    expect(dkpRelease('v2.2.0').flux).toBe('0.27.4')
    expect(dkpRelease('v2.2.2').flux).toBe('0.29.5')
    expect(dkpRelease('v2.2.3').providers).toEqual(['aws', 'azure', 'preprovisioned'])
    expect(dkpRelease('v2.3.1').providers).toEqual(['aws', 'azure', 'eks', 'preprovisioned', 'vsphere'])
    expect(dkpRelease('v2.2.3').capi.find((c) => c.name === 'infrastructure-preprovisioned')?.version).toBe(
      'v0.8.3',
    )
    expect(dkpRelease('v2.2.3').capi.find((c) => c.name === 'infrastructure-azure')?.version).toBe('v1.3.1')
    expect(addonsFor('v2.3.0', 'aws').map((a) => a.name)).toEqual([
      'calico-cni-installation',
      'tigera-operator',
      'aws-ebs-csi',
      'cluster-autoscaler',
      'node-feature-discovery',
      'nvidia-feature-discovery',
    ])
    expect(addonsFor('v2.8.1', 'eks').map((a) => a.name)).not.toContain('aws-ebs-csi')
  })

  it('knows exactly the DKP and NKP tags of the release table; the kommander ClusterApp comes from it', () => {
    expect(dkpTags()[0]).toBe('v2.2.0')
    expect(
      dkpTags()
        .filter((t) => /^v2\.[2-8]\./.test(t))
        .at(-1),
    ).toBe('v2.8.3')
    expect(dkpTags().at(-1)).toBe('v2.17.1')
    for (const v of dkpTags()) {
      expect(dkpRelease(v)).toEqual(dkpRelease(v))
      expect(isKnownDkp(v)).toBe(true)
      expect(dkpRelease(v).kommanderApp).toBe(kommanderAppVersion(v))
    }
    // 2.3's exceptions (reference §3): 2.3.0 → 0.3.1, 2.3.1 and 2.3.2 → 0.3.2, 2.3.3 → 0.3.3
    expect(['v2.3.0', 'v2.3.1', 'v2.3.2', 'v2.3.3'].map((v) => dkpRelease(v).kommanderApp)).toEqual([
      '0.3.1',
      '0.3.2',
      '0.3.2',
      '0.3.3',
    ])
    expect(isKnownDkp('v2.12.0')).toBe(true) // NKP 2.12–2.17
    expect(isKnownDkp('v2.9.0')).toBe(false)
    expect(isKnownDkp('v2.8.4')).toBe(false)
    // NKP nutanix: the CAPX provider and the Nutanix CSI driver (I), Kubernetes of the release
    expect(dkpRelease('v2.14.1').kubernetes).toBe('1.31.4')
    expect(dkpRelease('v2.14.1').capi.find((c) => c.serves?.includes('nutanix'))?.name).toBe(
      'infrastructure-nutanix',
    )
    expect(addonsFor('v2.14.1', 'nutanix').map((a) => a.name)).toContain('nutanix-csi')
    expect(addonsFor('v2.14.1', 'aws').find((x) => x.name === 'cluster-autoscaler')?.version).toBe('v1.31.1')
    expect(() => dkpRelease('v3.0.0')).toThrow(/not a release of the release table/)
    expect(addonsFor('v2.8.1', 'aws').find((x) => x.name === 'cluster-autoscaler')?.version).toBe('v1.28.0')
  })

  it('enables the release defaults: managementApps ∪ defaultApps on mgmt, names it does not ship left out', () => {
    const e = enabledApps('v2.8.1')
    const d = RELEASES.platform('v2.8.1')!.defaults!
    expect(e.workspace).toEqual(d.workspace.filter((a) => a !== 'kommander-flux'))
    for (const a of [...d.management, ...d.workspace].filter((x) => !e.unknown.includes(x)))
      expect(e.management).toContain(a)
    expect(e.unknown.sort()).toEqual(['ai-nagivator-cluster-info-agent', 'kommander-flux'])
    expect(e.project).toEqual(['project-grafana-logging'])
    // 2.2–2.4 list no managementApps: the oldest list (2.5.0), where the release ships the app
    expect(enabledApps('v2.4.0').management).toEqual(expect.arrayContaining(['gitea', 'kommander', 'dex']))
  })

  it('picks the catalog version below the target from the tag catalog, releases before dev builds', () => {
    expect(olderCatalogVersion('v2.7.1', 'kafka-operator', '0.25.1')).toBe('0.20.2')
    expect(olderCatalogVersion('v2.7.1', 'zookeeper-operator', '0.2.16-dkp.1')).toBe('0.2.15')
    expect(olderCatalogVersion('v2.7.1', 'jenkins', '4.3.20')).toBeUndefined()
  })

  it('addon objects are deterministic in (DKP, cluster, namespace, provider)', () => {
    const one = addonObjects('v2.8.1', 'c1', 'ns', 'aws')
    expect(addonObjects('v2.8.1', 'c1', 'ns', 'aws')).toEqual(one)
    expect(one.map((o) => o.clusterResourceSet.metadata.name)).toContain('aws-ebs-csi-c1')
    expect(JSON.stringify(addonObjects('v2.7.1', 'c1', 'ns', 'aws'))).not.toEqual(JSON.stringify(one))
    expect(dig(one[0]!.clusterResourceSet, 'spec', 'clusterSelector', 'matchLabels')).toEqual({
      'konvoy.d2iq.io/cluster-name': 'c1',
    })
  })
})

describe('fleetObjects (seed builder)', () => {
  it('builds the example fleet: counts per kind, names, namespaces', () => {
    const inv = example()
    const { objects, layout, namespaces } = fleetObjects(inv, {
      dkp: 'v2.7.1',
      kubeconfig: 'KC',
      now: new Date(0),
    })
    const count = (kind: string) => objects.filter((o) => o.obj.kind === kind).length
    const managed = inv.clusters.filter((c) => !c.attached)
    expect(count('Cluster')).toBe(1 + managed.length)
    expect(count('KubeadmControlPlane')).toBe(1 + managed.length)
    expect(count('KommanderCluster')).toBe(1 + inv.clusters.length)
    expect(count('Workspace')).toBe(1 + inv.workspaces.length)
    expect(count('Project')).toBe(inv.workspaces.reduce((n, w) => n + w.projects.length, 0))
    expect(layout.clusters.find((c) => c.name === 'mgmt')).toMatchObject({
      kind: 'management',
      namespace: 'default',
      nodepools: ['mgmt-md-0'],
    })
    expect(layout.workspaces.find((w) => w.name === 'edge')?.namespace).toBe('edge-p2w8d')
    expect(namespaces).toEqual(
      expect.arrayContaining(['kommander', 'team-a-x7k2p', 'capi-system', 'cert-manager', 'default']),
    )
    // the same input gives the same objects
    expect(fleetObjects(inv, { dkp: 'v2.7.1', kubeconfig: 'KC', now: new Date(0) }).objects).toEqual(objects)
    // webhook-added labels and v-prefixes are there
    for (const o of objects.filter((x) => x.obj.kind === 'Machine' || x.obj.kind === 'MachineDeployment')) {
      expect(o.obj.metadata.labels?.['cluster.x-k8s.io/cluster-name']).toBeTruthy()
    }
    for (const o of objects.filter((x) => x.obj.kind === 'KubeadmControlPlane'))
      expect(dig(o.obj, 'spec', 'version')).toBe('v1.27.6')
  })

  it('seeds the platform HelmReleases a release deploys: table names, charts and chart versions', () => {
    const inv = example()
    const { objects } = fleetObjects(inv, { dkp: 'v2.8.1', now: new Date(0) })
    const hrs = (ns: string) =>
      objects.filter((o) => o.obj.kind === 'HelmRelease' && o.obj.metadata.namespace === ns).map((o) => o.obj)
    const rows = (apps: string[]) => {
      const r = RELEASES.platform('v2.8.1')!
      return apps.flatMap((a) => r.helmReleases(a, r.versions(a)[0]!)!.filter((h) => !h.dynamic))
    }
    const shape = (list: { metadata: { name?: string } }[]) =>
      list
        .map((h) => [
          h.metadata.name,
          dig(h, 'spec', 'chart', 'spec', 'chart'),
          dig(h, 'spec', 'chart', 'spec', 'version'),
        ])
        .sort()
    const e = enabledApps('v2.8.1')
    const mgmt = hrs('kommander').filter((h) => !h.metadata.labels?.['kommander.mesosphere.io/cluster-id'])
    expect(shape(mgmt)).toEqual(
      rows(e.management)
        .map((r) => [r.name, r.chart, r.chartVersion])
        .sort(),
    )
    expect(shape(hrs('team-a-x7k2p')).filter(([n]) => n !== 'kafka-operator' && n !== 'podinfo')).toEqual(
      rows(e.workspace)
        .map((r) => [r.name, r.chart, r.chartVersion])
        .sort(),
    )
    // the review's cases: chart version ≠ app version, several releases per app, other chart names
    const get = (name: string) => mgmt.find((h) => h.metadata.name === name)
    expect(dig(get('gitea'), 'spec', 'chart', 'spec', 'version')).toBe('8.2.0')
    expect(dig(get('cert-manager-crds'), 'spec', 'chart', 'spec', 'version')).toBe('v1.14.2')
    expect(dig(get('kommander'), 'spec', 'chart', 'spec', 'version')).toBe('v2.8.1')
    expect(dig(get('gatekeeper-proxy-mutations'), 'spec', 'chart', 'spec', 'chart')).toBe(
      'gatekeeper-proxy-mutations',
    )
    expect(dig(get('gitea'), 'spec', 'valuesFrom')).toEqual([
      { kind: 'ConfigMap', name: 'gitea-8.2.1-d2iq-defaults' },
    ])
    // controller-created releases, one of each per attached cluster, matched by chart
    const dynamic = hrs('kommander').filter((h) => h.metadata.labels?.['kommander.mesosphere.io/cluster-id'])
    expect(dynamic).toHaveLength(2 * inv.clusters.length)
    const ad = (name: string, ns: string) =>
      objects.find(
        (o) =>
          o.obj.kind === 'AppDeployment' && o.obj.metadata.name === name && o.obj.metadata.namespace === ns,
      )?.obj
    expect(dig(ad('gitea', 'kommander'), 'spec', 'appRef')).toEqual({
      kind: 'ClusterApp',
      name: 'gitea-8.2.1',
    })
    expect(dig(ad('kommander', 'kommander'), 'spec', 'appRef', 'name')).toBe('kommander-0.8.1')
  })

  it('seeds catalog apps below their target with the HelmReleases the catalog lists, named after the app', () => {
    const inv = example()
    inv.workspaces[0]!.apps[0] = { ...inv.workspaces[0]!.apps[0]!, name: 'kafka-operator-x7k2p' }
    const { objects } = fleetObjects(inv, { dkp: 'v2.7.1', now: new Date(0) })
    const find = (kind: string, name: string, ns: string) =>
      objects.find(
        (o) => o.obj.kind === kind && o.obj.metadata.name === name && o.obj.metadata.namespace === ns,
      )?.obj
    expect(dig(find('AppDeployment', 'kafka-operator-x7k2p', 'team-a-x7k2p'), 'spec', 'appRef')).toEqual({
      kind: 'App',
      name: 'kafka-operator-0.20.2',
    })
    expect(find('HelmRelease', 'kafka-operator-x7k2p', 'team-a-x7k2p')).toBeUndefined()
    expect(
      dig(find('HelmRelease', 'kafka-operator', 'team-a-x7k2p'), 'spec', 'chart', 'spec', 'version'),
    ).toBe('0.20.2')
    for (const v of ['0.20.0', '0.20.2', '0.25.1'])
      expect(find('App', `kafka-operator-${v}`, 'team-a-x7k2p')).toBeTruthy()
  })

  it('refuses node pool names that clash within a namespace', () => {
    const inv = example()
    const clusters = inv.clusters.map((c) =>
      c.name === 'prod-east-2' && !c.attached
        ? { ...c, nodepools: [{ name: 'prod-east-1-md-0', args: {} }] }
        : c,
    )
    expect(() => fleetObjects({ ...inv, clusters }, { dkp: 'v2.7.1' })).toThrow(
      /clashes with cluster prod-east-1/,
    )
  })

  it('EKS clusters get an AWSManagedControlPlane instead of a KCP; attached ones only a KommanderCluster', () => {
    const inv = example()
    const clusters = [
      ...inv.clusters,
      {
        ...(inv.clusters[0] as object),
        name: 'eks-1',
        provider: 'eks',
        nodepools: undefined,
      } as (typeof inv.clusters)[number],
    ]
    const { objects } = fleetObjects({ ...inv, clusters }, { dkp: 'v2.8.0' })
    const of = (name: string) =>
      objects.filter(
        (o) =>
          o.obj.metadata.labels?.['cluster.x-k8s.io/cluster-name'] === name || o.obj.metadata.name === name,
      )
    expect(of('eks-1').map((o) => o.obj.kind)).toContain('AWSManagedControlPlane')
    expect(
      objects.some(
        (o) => o.obj.kind === 'KubeadmControlPlane' && o.obj.metadata.name === 'eks-1-control-plane',
      ),
    ).toBe(false)
    expect(
      of('edge-7')
        .map((o) => o.obj.kind)
        .sort(),
    ).toEqual(['KommanderCluster', 'Secret'])
  })

  it('helpers', () => {
    expect(olderVersion('0.25.1')).toBe('0.24.1')
    expect(catalogAppId('zookeeper-operator-m7x2q')).toBe('zookeeper-operator')
    expect(olderVersion('4.0.3')).toBe('4.0.2')
    expect(olderVersion('v1.0.0')).toBe('v0.9.0')
    expect(catalogAppId('kafka-operator-abc')).toBe('kafka-operator')
    expect(catalogAppId('my-app')).toBe('my-app')
    expect(workspaceNamespace({ name: 'x' })).toMatch(/^x-[a-z0-9]{5}$/)
    expect(workspaceNamespace({ name: 'x' })).toBe(workspaceNamespace({ name: 'x' }))
  })
})

describe('stand-in flag parsing (cobra/pflag)', () => {
  const defs = [
    { name: 'kubeconfig', type: 'string' as const, usage: '', required: true },
    { name: 'cluster-name', short: 'c', type: 'string' as const, usage: '' },
    { name: 'wait', type: 'bool' as const, default: true, usage: '' },
    { name: 'timeout', type: 'duration' as const, default: 600_000, usage: '' },
    { name: 'charts-bundle', type: 'stringArray' as const, default: [], usage: '' },
    { name: 'disable-appdeployments', type: 'stringSlice' as const, default: ['fluent-bit'], usage: '' },
    { name: 'verbose', short: 'v', type: 'int' as const, usage: '' },
  ]
  it('accepts both spellings and shorthands', () => {
    const p = parseFlags(
      ['--kubeconfig=/k', '-c', 'mgmt', 'pos', '--wait=false', '--timeout', '1m30s', '-v4'],
      defs,
    )
    expect(p.values).toMatchObject({
      kubeconfig: '/k',
      'cluster-name': 'mgmt',
      wait: false,
      timeout: 90_000,
      verbose: 4,
    })
    expect(p.args).toEqual(['pos'])
    expect(parseFlags(['--kubeconfig', '/k', '-c=x'], defs).values['cluster-name']).toBe('x')
    expect(parseFlags(['--kubeconfig', '/k', '-cx'], defs).values['cluster-name']).toBe('x')
  })
  it('repeats arrays, splits slices, keeps defaults until set', () => {
    const p = parseFlags(
      ['--kubeconfig=k', '--charts-bundle', 'a.tgz', '--charts-bundle=b.tgz', '--disable-appdeployments=x,y'],
      defs,
    )
    expect(p.values['charts-bundle']).toEqual(['a.tgz', 'b.tgz'])
    expect(p.values['disable-appdeployments']).toEqual(['x', 'y'])
    expect(parseFlags(['--kubeconfig=k'], defs).values['disable-appdeployments']).toEqual(['fluent-bit'])
  })
  it('errors like cobra', () => {
    const err = (argv: string[]) => {
      try {
        parseFlags(argv, defs)
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError)
        return (e as Error).message
      }
      return 'no error'
    }
    expect(err(['--kubeconfig=k', '--nope'])).toBe('unknown flag: --nope')
    expect(err(['--kubeconfig=k', '-z'])).toBe("unknown shorthand flag: 'z' in -z")
    expect(err(['--kubeconfig'])).toBe('flag needs an argument: --kubeconfig')
    expect(err([])).toBe('required flag(s) "kubeconfig" not set')
    expect(err(['--kubeconfig=k', '--wait=maybe'])).toMatch(/^invalid argument "maybe" for "--wait" flag/)
    expect(err(['--kubeconfig=k', '--timeout=10'])).toMatch(/time: invalid duration "10"/)
    expect(parseFlags(['--help'], defs).help).toBe(true)
  })
  it('Go durations', () => {
    expect(parseDuration('10m0s')).toBe(600_000)
    expect(parseDuration('0')).toBe(0)
    expect(parseDuration('1h2m3.5s')).toBe(3_723_500)
    expect(parseDuration('5')).toBeUndefined()
    expect(formatDuration(1_200_000)).toBe('20m0s')
    expect(formatDuration(3_723_500)).toBe('1h2m3.5s')
  })
})

describe('fault switches', () => {
  it('stand-in rules: <cmd>[@target][:n], several', () => {
    const rules = parseRules('update-nodepool@prod-east-1-md-0:2, upgrade kommander')
    expect(rules).toEqual([
      { command: 'update-nodepool', target: 'prod-east-1-md-0', n: 2 },
      { command: 'upgrade-kommander', n: 0 },
    ])
    expect(findRule(rules, 'update-nodepool', ['prod-east-1', 'prod-east-1-md-0'])?.n).toBe(2)
    expect(findRule(rules, 'update-nodepool', ['other'])).toBeUndefined()
    expect(findRule(parseRules('*:1'), 'upgrade-addons', [])?.n).toBe(1)
    expect(parseRules('update-controlplane', 3)[0]?.n).toBe(3)
  })
  it('simulator specs and the faults ConfigMap', () => {
    expect(parseFaultSpec('Backup', 'fail:PartiallyFailed')).toEqual({
      kind: 'Backup',
      fail: 'PartiallyFailed',
    })
    expect(parseFaultSpec('HelmRelease', 'slow:4', 'x', 'ns')).toEqual({
      kind: 'HelmRelease',
      name: 'x',
      namespace: 'ns',
      slow: 4,
    })
    const faults = parseFaultLines(
      '# c\nKubeadmControlPlane default/mgmt-control-plane stall\nBackup * fail:Failed\n\nbad line\n',
    )
    expect(faults).toEqual([
      { kind: 'KubeadmControlPlane', namespace: 'default', name: 'mgmt-control-plane', stall: true },
      { kind: 'Backup', fail: 'Failed' },
    ])
    const obj = { apiVersion: API.velero, kind: 'Backup', metadata: { name: 'b', namespace: 'kommander' } }
    expect(matches(faults[1]!, obj)).toBe(true)
    expect(matches(faults[0]!, obj)).toBe(false)
  })
})

describe('simulator helpers', () => {
  it('sameContent ignores key order and timestamps', () => {
    expect(
      sameContent(
        { a: 1, b: [{ x: 1, lastTransitionTime: 't1' }] },
        { b: [{ lastTransitionTime: 't2', x: 1 }], a: 1 },
      ),
    ).toBe(true)
    expect(sameContent({ a: 1 }, { a: 2 })).toBe(false)
  })
  it('counts machines like CAPI (min version, up-to-date by version and template)', () => {
    const ref = {
      apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2',
      kind: 'AWSMachineTemplate',
      name: 'cp',
    }
    const m = (name: string, version: string, phase = 'Running') => ({
      ...machineObject({
        name,
        namespace: 'ns',
        cluster: 'c',
        version,
        infrastructureRef: ref,
        bootstrapKind: 'KubeadmConfig',
        controlPlane: 'cp',
      }),
      status: { phase },
    })
    const machines = [m('a', 'v1.27.6'), m('b', 'v1.28.7'), m('c', 'v1.28.7', 'Provisioning')]
    expect(isUpToDate(machines[1]!, '1.28.7', 'cp')).toBe(true)
    expect(isUpToDate(machines[1]!, 'v1.28.7', 'cp-new')).toBe(false)
    expect(countMachines({ machines, replicas: 2, version: 'v1.28.7', template: ref })).toEqual({
      replicas: 3,
      updated: 2,
      ready: 2,
      unavailable: 1,
      outdated: 1,
      minVersion: 'v1.27.6',
      converged: false,
    })
  })
  it('version output components', () => {
    expect(Object.keys(componentVersions('v2.8.1'))).toEqual([
      'diagnose',
      'dkp',
      'kommander',
      'konvoy',
      'mindthegap',
    ])
  })
})

describe('stand-in command walking (in process)', () => {
  const run = async (argv: string[], env: NodeJS.ProcessEnv = {}) => {
    let stdout = ''
    let stderr = ''
    const { runStandin } = await import('../../src/fleet/standin/main.js')
    const code = await runStandin(argv, {
      stdout: (t) => {
        stdout += t
      },
      stderr: (t) => {
        stderr += t
      },
      env,
    })
    return { code, stdout, stderr }
  }
  it('flags may come before the subcommand, as with cobra', async () => {
    expect((await run(['-v', '4', 'version'])).stdout).toContain('dkp: v2.8.1')
    const r = await run([
      'update',
      'nodepool',
      '--kubeconfig',
      '/nonexistent/kc',
      'aws',
      'md-0',
      '-c',
      'x',
      '--kubernetes-version',
      'v1.28.7',
    ])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^Error: failed to load kubeconfig \/nonexistent\/kc/)
  })
  it('help, unknown commands, versions the stand-in does not know', async () => {
    const help = await run(['upgrade', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('Available Commands:\n  kommander')
    expect(await run(['upgrad'])).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^Error: unknown command "upgrad" for "dkp"/),
    })
    expect((await run(['version'], { DKP_STANDIN_VERSION: 'v9.9.9' })).code).toBe(1)
    expect((await run(['upgrade', 'addons', '--help'], { DKP_STANDIN_VERSION: 'v2.2.3' })).stdout).toContain(
      'one of [aws, azure, preprovisioned]',
    )
  })
})
