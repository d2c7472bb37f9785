// The Konvoy stages (capi-components, core-addons, kubernetes) on the real apiserver test fleet:
// examples/fleet.yaml seeded at DKP v2.7.1 (Kubernetes 1.27.6), simulated controllers running,
// the stand-in dkp v2.8.1 behind a shim as `dkp-path`, every run through runStage (lock,
// prerequisites, run record) exactly as a job runs it.
//
// Earlier stages: the Kommander side is brought to v2.8.1 with plain stand-in commands (what
// `dkp upgrade kommander|workspace|catalogapp` write), so the Kommander stages' own
// done-conditions hold; `custom-apps` (the compatibility gate) is run through runStage.

import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exitCodeFor, InputError } from '../../src/core/errors.js'
import { loadInventory } from '../../src/effects/inventory-files.js'
import type { Kube } from '../../src/effects/kube.js'
import { RunRecord } from '../../src/effects/run-record.js'
import { addonObjects } from '../../src/fleet/addons.js'
import { dkpRelease } from '../../src/fleet/dkp-releases.js'
import { API } from '../../src/fleet/objects.js'
import { seedFleet } from '../../src/fleet/seed.js'
import { type Simulator, startSimulator } from '../../src/fleet/sim/index.js'
import { useTestCluster } from '../kube/harness.js'
import {
  CAPI_KINDS,
  Collecting,
  makeShim,
  type Runner,
  resourceVersions,
  type Shim,
  stageRunner,
  upgradeKommanderSide,
} from './stages-konvoy-helpers.js'

const tc = useTestCluster()
const T = 'v1.28.7'
const OLD = 'v1.27.6'
const NS = 'team-a-x7k2p'
const durations: string[] = []
let sim: Simulator
let shim: Shim
let r: Runner
let kube: Kube

async function kcp(name: string, ns: string) {
  return (await kube.get(
    API.controlPlane,
    'KubeadmControlPlane',
    `${name}-control-plane`,
    ns,
  )) as unknown as {
    spec: { version: string }
    status: { version: string; updatedReplicas: number; replicas: number }
    metadata: { resourceVersion: string }
  }
}
async function md(name: string, ns: string) {
  return (await kube.get(API.cluster, 'MachineDeployment', name, ns)) as unknown as {
    spec: { template: { spec: { version: string } } }
    status: { phase: string }
  }
}
async function machineVersions(ns: string, label: string, value: string): Promise<string[]> {
  const ms = await kube.list(API.cluster, 'Machine', { namespace: ns, labelSelector: `${label}=${value}` })
  return [...new Set(ms.map((m) => (m.spec as { version: string }).version))]
}

beforeAll(async () => {
  process.env.DKP_FLEET_POLL_MS = '100'
  kube = tc.kube
  const { inventory } = await loadInventory('examples/fleet.yaml')
  const t0 = performance.now()
  await seedFleet(kube, inventory, { dkp: 'v2.7.1', kubeconfig: readFileSync(tc.kubeconfigPath, 'utf8') })
  durations.push(`seed examples/fleet.yaml at v2.7.1: ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  sim = await startSimulator(kube, { intervalMs: 50 })
  shim = await makeShim('ok')
  r = stageRunner(tc.kubeconfigPath, 'examples/fleet.yaml', () => shim, durations)
  const t1 = performance.now()
  await upgradeKommanderSide(tc.kubeconfigPath)
  const custom = await r.run('custom-apps')
  expect(custom.status, custom.log).toBe('passed')
  durations.push(
    `Kommander side to v2.8.1 (stand-in) + custom-apps: ${((performance.now() - t1) / 1000).toFixed(1)} s`,
  )
}, 240_000)

afterAll(async () => {
  await sim?.stop()
  delete process.env.DKP_FLEET_POLL_MS
  console.log(`stage durations:\n  ${durations.join('\n  ')}`)
})

describe('capi-components on mgmt', () => {
  it('dry run lists the command and changes nothing', async () => {
    const before = await resourceVersions(kube, 'capi-system', [
      [API.deployments, 'Deployment'],
      [API.clusterctl, 'Provider'],
    ])
    shim.reset()
    const res = await r.run('capi-components', undefined, { dryRun: true })
    expect(res.status, res.log).toBe('dry-run')
    expect(res.commands, res.message).toEqual([
      expect.stringMatching(/^dkp upgrade capi-components --kubeconfig=/),
    ])
    expect(shim.calls().filter((c) => !c.startsWith('version'))).toEqual([])
    expect(
      await resourceVersions(kube, 'capi-system', [
        [API.deployments, 'Deployment'],
        [API.clusterctl, 'Provider'],
      ]),
    ).toEqual(before)
  })

  it('upgrades the providers and records versions before and after', async () => {
    const res = await r.run('capi-components')
    expect(res.status, `${res.message}\n${res.log}`).toBe('upgraded')
    expect(res.commands, res.message).toEqual([
      expect.stringMatching(/^dkp upgrade capi-components --kubeconfig=/),
    ])
    const rel = dkpRelease('v2.8.1')
    const old = dkpRelease('v2.7.1')
    for (const c of rel.capi.filter(
      (x) => x.type !== 'CertManager' && ['cluster-api', 'infrastructure-aws'].includes(x.name),
    )) {
      const p = (await kube.get(API.clusterctl, 'Provider', c.name, c.namespace)) as unknown as {
        version: string
      }
      expect(p.version).toBe(c.version)
    }
    const core = rel.capi.find((c) => c.name === 'cluster-api')!
    const oldCore = old.capi.find((c) => c.name === 'cluster-api')!
    expect(res.evidence).toContain(
      `before: Provider capi-system/cluster-api: cluster-api CoreProvider ${oldCore.version}`,
    )
    expect(res.evidence).toContain(
      `Provider capi-system/cluster-api: cluster-api CoreProvider ${core.version}`,
    )
    expect(res.evidence!.join('\n')).toMatch(
      /capi-system\/capi-controller-manager\/manager: .* → registry.k8s.io\/cluster-api\/cluster-api-controller:v1\.5\.5/,
    )
    expect(res.log).toMatch(/waiting for CAPI controllers: .*not observed yet|CAPI controllers: done/)
  })

  it('second run is skipped without any dkp invocation', async () => {
    shim.reset()
    const res = await r.run('capi-components')
    expect(res.status, res.log).toBe('skipped')
    expect(res.commands).toEqual([])
    expect(shim.calls()).toEqual([])
    expect(res.evidence![0]).toMatch(/^run record: capi-components:mgmt upgraded to v2.8.1/)
  })
})

describe('prerequisites from live state', () => {
  it('core-addons on a managed cluster refuses while mgmt Kubernetes is old, naming the stage', async () => {
    const res = await r.run('core-addons', 'prod-east-1')
    expect(res.status).toBe('failed')
    expect(res.message).toMatch(
      /refusing to start core-addons:prod-east-1: kubernetes is not done on mgmt \(.*KubeadmControlPlane default\/mgmt-control-plane: spec.version v1.27.6 \(target v1.28.7\)/,
    )
    expect(res.commands).toEqual([])
  })

  it('kubernetes on a managed cluster refuses while mgmt Kubernetes is old and its addons are not done', async () => {
    const res = await r.run('kubernetes', 'prod-east-1')
    expect(res.status).toBe('failed')
    expect(res.message).toMatch(
      /refusing to start kubernetes:prod-east-1: core-addons is not done on prod-east-1 .*; kubernetes is not done on mgmt/,
    )
    expect((await kcp('prod-east-1', NS)).spec.version).toBe(OLD)
  })

  it('unknown and attached clusters are bad input (exit 2)', async () => {
    const unknown = await r.run('kubernetes', 'nope').catch((e: unknown) => e)
    expect(unknown).toBeInstanceOf(InputError)
    expect(exitCodeFor(unknown)).toBe(2)
    expect(String(unknown)).toMatch(/unknown cluster "nope"/)
    const attached = await r.run('core-addons', 'edge-7').catch((e: unknown) => e)
    expect(attached).toBeInstanceOf(InputError)
    expect(String(attached)).toMatch(/edge-7 is attached/)
  })
})

describe('core-addons and kubernetes on mgmt', () => {
  it('core-addons: dry run, upgrade, then skipped', async () => {
    const kinds: [string, string][] = [
      [API.addons, 'ClusterResourceSet'],
      ['v1', 'ConfigMap'],
    ]
    const before = await resourceVersions(kube, 'default', kinds)
    const dry = await r.run('core-addons', 'mgmt', { dryRun: true })
    expect(dry.status, dry.log).toBe('dry-run')
    expect(dry.commands).toEqual([
      expect.stringMatching(/^dkp upgrade addons aws --cluster-name=mgmt -n default --kubeconfig=/),
    ])
    expect(dry.message).toMatch(
      /ConfigMap default\/tigera-operator-mgmt differs from dkp v2.8.1 \(runs quay.io\/tigera\/operator:v1.30.4; wants quay.io\/tigera\/operator:v1.30.9\)/,
    )
    expect(await resourceVersions(kube, 'default', kinds)).toEqual(before)

    const res = await r.run('core-addons', 'mgmt')
    expect(res.status, `${res.message}\n${res.log}`).toBe('upgraded')
    expect(res.commands).toEqual([
      expect.stringMatching(/^dkp upgrade addons aws --cluster-name=mgmt -n default --kubeconfig=/),
    ])
    for (const a of addonObjects('v2.8.1', 'mgmt', 'default', 'aws')) {
      const cm = (await kube.get('v1', 'ConfigMap', a.configMap.metadata.name!, 'default')) as unknown as {
        data: unknown
      }
      expect(cm.data).toEqual((a.configMap as unknown as { data: unknown }).data)
    }
    expect(res.evidence).toContain(
      'ConfigMap default/tigera-operator-mgmt matches dkp v2.8.1 (quay.io/tigera/operator:v1.30.9)',
    )

    shim.reset()
    const again = await r.run('core-addons', 'mgmt')
    expect(again.status, again.log).toBe('skipped')
    expect(again.commands).toEqual([])
    // only the read-only probe ran
    expect(shim.calls().filter((c) => c.startsWith('upgrade'))).toEqual([
      'upgrade addons aws --cluster-name=mgmt -n default --dry-run -o yaml',
    ])
  })

  it('kubernetes: dry run lists control plane + node pool and changes nothing', async () => {
    const before = await resourceVersions(kube, 'default', CAPI_KINDS)
    const res = await r.run('kubernetes', 'mgmt', { dryRun: true })
    expect(res.status, res.log).toBe('dry-run')
    expect(res.commands).toEqual([
      expect.stringMatching(
        /^dkp update controlplane aws --cluster-name=mgmt -n default --kubernetes-version=v1.28.7 --kubeconfig=/,
      ),
      expect.stringMatching(
        /^dkp update nodepool aws mgmt-md-0 --cluster-name=mgmt -n default --kubernetes-version=v1.28.7 --kubeconfig=/,
      ),
    ])
    expect(res.from).toBe('1.27.6')
    expect(await resourceVersions(kube, 'default', CAPI_KINDS)).toEqual(before)
  })

  it('kubernetes: upgrades the control plane, then the node pool, with progress lines', async () => {
    const res = await r.run('kubernetes', 'mgmt')
    expect(res.status, `${res.message}\n${res.log}`).toBe('upgraded')
    expect(res.from).toBe('1.27.6')
    expect(res.to).toBe('1.28.7')
    expect(res.commands).toHaveLength(2)
    const k = await kcp('mgmt', 'default')
    expect([k.spec.version, k.status.version, k.status.updatedReplicas]).toEqual([T, T, 3])
    expect((await md('mgmt-md-0', 'default')).spec.template.spec.version).toBe(T)
    expect(await machineVersions('default', 'cluster.x-k8s.io/cluster-name', 'mgmt')).toEqual([T])
    // progress while dkp waits for its own rollout
    expect(res.log).toMatch(/control plane default\/mgmt-control-plane: .*[0-3]\/3 updated, \d ready/)
    expect(res.log).toMatch(/md mgmt-md-0: .*[0-2]\/2 updated, \d ready/)
    expect(res.log).toMatch(
      /node pools of mgmt discovered by label cluster.x-k8s.io\/cluster-name=mgmt in default: mgmt-md-0/,
    )
    expect(res.evidence).toContain('cluster mgmt at Kubernetes v1.28.7')
    expect(res.evidence!.join('\n')).toMatch(
      /MachineDeployment default\/mgmt-md-0 at v1.28.7: 2\/2 updated, 2 ready, 2 machines at v1.28.7/,
    )
  })

  it('kubernetes: second run is skipped without any dkp invocation', async () => {
    shim.reset()
    const res = await r.run('kubernetes', 'mgmt')
    expect(res.status, res.log).toBe('skipped')
    expect(res.commands).toEqual([])
    expect(shim.calls().filter((c) => !c.startsWith('version'))).toEqual([])
  })
})

describe('a managed cluster', () => {
  it('core-addons then kubernetes with a failure mid-nodepool, then a resume', async () => {
    const addons = await r.run('core-addons', 'prod-east-1')
    expect(addons.status, addons.log).toBe('upgraded')
    expect(addons.commands).toEqual([
      expect.stringMatching(
        /^dkp upgrade addons aws --cluster-name=prod-east-1 -n team-a-x7k2p --kubeconfig=/,
      ),
    ])

    const failing = await makeShim('fail-gpu', { DKP_STANDIN_FAIL: 'update-nodepool@prod-east-1-gpu' })
    const failed = await r.run('kubernetes', 'prod-east-1', { shim: failing })
    expect(failed.status, failed.log).toBe('failed')
    // the command, its exit code and its last lines
    expect(failed.message).toMatch(
      /^dkp update nodepool aws prod-east-1-gpu --cluster-name=prod-east-1 -n team-a-x7k2p --kubernetes-version=v1.28.7 --ami=ami-0a1b2c3d --kubeconfig=\S+ exited with code 1; last output:\n/,
    )
    expect(failed.message).toMatch(/injected failure after 0 write\(s\) \(DKP_STANDIN_FAIL\)/)
    expect(failed.commands).toEqual([
      expect.stringMatching(
        /^dkp update controlplane aws --cluster-name=prod-east-1 -n team-a-x7k2p --kubernetes-version=v1.28.7 --ami=ami-0a1b2c3d /,
      ),
      expect.stringMatching(/^dkp update nodepool aws prod-east-1-md-0 /),
      expect.stringMatching(/^dkp update nodepool aws prod-east-1-gpu /),
    ])
    expect((await kcp('prod-east-1', NS)).status.version).toBe(T)
    expect((await md('prod-east-1-md-0', NS)).spec.template.spec.version).toBe(T)
    expect((await md('prod-east-1-gpu', NS)).spec.template.spec.version).toBe(OLD)

    const resumed = await r.run('kubernetes', 'prod-east-1')
    expect(resumed.status, resumed.log).toBe('upgraded')
    expect(resumed.from).toBe('1.27.6')
    expect(resumed.commands).toEqual([
      expect.stringMatching(/^dkp update nodepool aws prod-east-1-gpu .*--ami=ami-0a1b2c3d /),
    ])
    expect(resumed.log).toMatch(
      /control plane team-a-x7k2p\/prod-east-1-control-plane: skipped, already at v1.28.7/,
    )
    expect(resumed.log).toMatch(/md prod-east-1-md-0: skipped, already at v1.28.7/)
    expect((await md('prod-east-1-gpu', NS)).spec.template.spec.version).toBe(T)
    expect(await machineVersions(NS, 'cluster.x-k8s.io/cluster-name', 'prod-east-1')).toEqual([T])
    // the new image (--ami) reached the pools' templates
    const gpu = (await kube.get(API.cluster, 'MachineDeployment', 'prod-east-1-gpu', NS)) as unknown as {
      spec: { template: { spec: { infrastructureRef: { name: string } } } }
    }
    expect(gpu.spec.template.spec.infrastructureRef.name).not.toBe('prod-east-1-gpu')

    const again = await r.run('kubernetes', 'prod-east-1')
    expect(again.status).toBe('skipped')
    expect(again.commands).toEqual([])
  })

  it('a dkp hang past the stage timeout is killed and reported', async () => {
    const hanging = await makeShim('hang', { DKP_STANDIN_HANG: 'upgrade-addons@ci-west-1' })
    const res = await r.run('core-addons', 'ci-west-1', { shim: hanging, timeoutMs: 8_000 })
    expect(res.status, res.log).toBe('failed')
    // the runtime reports the timeout and names the command it killed
    expect(res.message).toMatch(
      /^timed out after 8 s while running dkp upgrade addons azure --cluster-name=ci-west-1 .* \(killed\)/,
    )
    expect(res.commands).toEqual([
      expect.stringMatching(
        /^dkp upgrade addons azure --cluster-name=ci-west-1 -n team-b-m4q9z --kubeconfig=/,
      ),
    ])
    expect(res.log).toMatch(/hanging \(DKP_STANDIN_HANG\)/)
    expect(res.ms).toBeLessThan(20_000)
    await new Promise((r) => setTimeout(r, 500))
    for (const pid of hanging.pids()) expect(() => process.kill(pid, 0), `pid ${pid} still alive`).toThrow()
    // the lock was released: a re-run proceeds and upgrades
    const again = await r.run('core-addons', 'ci-west-1')
    expect(again.status, again.log).toBe('upgraded')
  })

  it('two concurrent runs on one cluster: exactly one upgrades, the other fails fast naming the holder', async () => {
    const addons = await r.run('core-addons', 'prod-east-2')
    expect(addons.status, addons.log).toBe('upgraded')
    const env = (id: string) => ({
      HOME: process.env.HOME ?? '/tmp',
      PATH: process.env.PATH ?? '',
      GITHUB_RUN_ID: id,
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_REPOSITORY: 'acme/fleet',
      GITHUB_JOB: 'kubernetes',
    })
    const [a, b] = await Promise.all([
      r.run('kubernetes', 'prod-east-2', { env: env('1001') }),
      r.run('kubernetes', 'prod-east-2', { env: env('1002') }),
    ])
    const results = [a, b]
    expect(results.map((x) => x.status).sort()).toEqual(['failed', 'upgraded'])
    const loser = results.find((x) => x.status === 'failed')!
    const winner = results.find((x) => x.status === 'upgraded')!
    expect(loser.message).toMatch(
      new RegExp(
        `acme/fleet/actions/runs/${winner.runId.match(/runs\/(\d+)/)![1]}/attempts/1 job kubernetes`,
      ),
    )
    expect(loser.commands).toEqual([])
    expect(loser.ms).toBeLessThan(winner.ms)
    expect((await kcp('prod-east-2', NS)).status.version).toBe(T)
  })

  it('pausing between node pools defers the rest; resume continues with the next pool', async () => {
    const addons = await r.run('core-addons', 'prod-west-1')
    expect(addons.status, addons.log).toBe('upgraded')
    const record = new RunRecord(kube, 'default', 'example')
    let paused = false
    const reporter = new Collecting((line) => {
      if (!paused && /^update node pool prod-west-1-md-0/.test(line)) {
        paused = true
        void record.setPause({ reason: 'change freeze', by: 'alice', at: new Date().toISOString() })
      }
    })
    const res = await r.run('kubernetes', 'prod-west-1', { reporter })
    expect(res.status, res.log).toBe('deferred')
    expect(res.message).toMatch(/paused by alice at .* \(change freeze\) before md prod-west-1-md-1/)
    expect((await md('prod-west-1-md-0', NS)).spec.template.spec.version).toBe(T)
    expect((await md('prod-west-1-md-1', NS)).spec.template.spec.version).toBe(OLD)

    expect(await record.clearPause()).toBe(true)
    const resumed = await r.run('kubernetes', 'prod-west-1')
    expect(resumed.status, resumed.log).toBe('upgraded')
    expect(resumed.commands).toEqual([expect.stringMatching(/^dkp update nodepool aws prod-west-1-md-1 /)])
    expect(await machineVersions(NS, 'cluster.x-k8s.io/cluster-name', 'prod-west-1')).toEqual([T])
  })

  it('discovers node pools by label when the inventory lists none', async () => {
    expect((await r.run('core-addons', 'prod-west-2')).status).toBe('upgraded')
    const res = await r.run('kubernetes', 'prod-west-2')
    expect(res.status, `${res.message}\n${res.log}`).toBe('upgraded')
    expect(res.commands).toEqual([
      expect.stringMatching(/^dkp update controlplane aws --cluster-name=prod-west-2 -n team-a-x7k2p /),
      expect.stringMatching(/^dkp update nodepool aws prod-west-2-md-0 /),
    ])
    expect(res.log).toMatch(
      /node pools of prod-west-2 discovered by label cluster.x-k8s.io\/cluster-name=prod-west-2 in team-a-x7k2p: prod-west-2-md-0/,
    )
  })
})
