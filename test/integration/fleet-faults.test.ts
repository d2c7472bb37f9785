// Faults of the test fleet: the stand-in dkp's env switches (fail after N writes, hang, print
// errors, slow convergence) and the simulator's (stall, fail, slow; from options, the API, an
// object annotation or the sim-faults ConfigMap), and the Velero Backup phases.

import { readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { loadInventory } from '../../src/effects/inventory-files.js'
import { API, dig, FAULT_ANNOTATION, getCondition } from '../../src/fleet/objects.js'
import { type SeedResult, seedFleet } from '../../src/fleet/seed.js'
import {
  BACKUP_FAIL_LABEL,
  FAULTS_CONFIGMAP,
  type Simulator,
  startSimulator,
} from '../../src/fleet/sim/index.js'
import { useTestCluster } from '../kube/harness.js'
import { diffSnapshots, dkp, specSnapshot } from './fleet-helpers.js'

const tc = useTestCluster()
let sim: Simulator
let seeded: SeedResult
let kc: string

async function changes(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs?: number) {
  const before = await specSnapshot(tc.kube)
  const r = await dkp(
    [...args, '--kubeconfig', kc],
    { DKP_STANDIN_WAIT_TIMEOUT_MS: '500', ...env },
    timeoutMs,
  )
  if (process.env.TRACE)
    process.stderr.write(`TRACE ${args.join(' ')} -> ${r.code} ${r.ms}ms ${r.stderr.slice(0, 200)}\n`)
  return { r, diff: diffSnapshots(before, await specSnapshot(tc.kube)) }
}

const kcpOf = (name: string, ns: string) =>
  tc.kube.get(API.controlPlane, 'KubeadmControlPlane', `${name}-control-plane`, ns)

describe('fleet faults', () => {
  beforeAll(async () => {
    kc = tc.kubeconfigPath
    const { inventory } = await loadInventory('examples/fleet.yaml')
    seeded = await seedFleet(tc.kube, inventory, { dkp: 'v2.7.1', kubeconfig: readFileSync(kc, 'utf8') })
    sim = await startSimulator(tc.kube, { intervalMs: 0 })
    await sim.settle()
  })

  it('DKP_STANDIN_FAIL: exits 1 after exactly N writes (a partial change)', async () => {
    const none = await changes(['upgrade', 'addons', 'aws', '-c', 'mgmt'], {
      DKP_STANDIN_FAIL: 'upgrade-addons',
    })
    expect(none.r.code).toBe(1)
    expect(none.r.stderr).toBe(
      'Error: upgrade addons aws: injected failure after 0 write(s) (DKP_STANDIN_FAIL)\n',
    )
    expect(none.diff.changed).toEqual([])
    const other = await changes(['upgrade', 'addons', 'aws', '-c', 'mgmt'], {
      DKP_STANDIN_FAIL: 'upgrade-addons@prod-east-1:0',
    })
    expect(other.r.code).toBe(0) // the rule names another cluster
    // reset mgmt's addons for the next check
    const partial = await changes(['upgrade', 'addons', 'aws', '-c', 'prod-east-1', '-n', 'team-a-x7k2p'], {
      DKP_STANDIN_FAIL: 'upgrade-addons@prod-east-1:3',
    })
    expect(partial.r.code).toBe(1)
    expect(partial.r.stderr).toContain('after 3 write(s)')
    expect(partial.diff.changed).toHaveLength(3)
    // a rerun completes (resume after a partial failure)
    const rerun = await changes(['upgrade', 'addons', 'aws', '-c', 'prod-east-1', '-n', 'team-a-x7k2p'])
    expect(rerun.r.code).toBe(0)
    expect(rerun.diff.changed.length).toBeGreaterThan(0)
  })

  it('DKP_STANDIN_HANG: hangs after the writes (killed by the caller)', async () => {
    const started = Date.now()
    const { r, diff } = await changes(
      [
        'update',
        'controlplane',
        'preprovisioned',
        '-c',
        'edge-1',
        '-n',
        'edge-p2w8d',
        '--kubernetes-version',
        'v1.28.7',
      ],
      { DKP_STANDIN_HANG: 'update-controlplane:1', DKP_STANDIN_WAIT_TIMEOUT_MS: '0' },
      3000,
    )
    expect(r.code).toBeNull() // killed
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900)
    expect(r.stdout).toContain('Updating control plane resource')
    expect(diff.changed).toEqual(['KubeadmControlPlane edge-p2w8d/edge-1-control-plane'])
    await sim.settle()
  })

  it('DKP_STANDIN_PRINT_ERRORS: error lines on stderr, still exit 0', async () => {
    const r = await dkp(['get', 'nodepools', '-c', 'mgmt', '--kubeconfig', kc], {
      DKP_STANDIN_PRINT_ERRORS: 'get-nodepools',
    })
    expect(r.code).toBe(0)
    expect(r.stderr).toMatch(/^E\d{4} .*failed to list/m)
    expect(r.stdout).toMatch(/^NODEPOOL/)
  })

  it('DKP_STANDIN_SLOW: the simulator takes n times longer on what the command wrote', async () => {
    const ns = 'team-b-m4q9z'
    const fast = await changes([
      'update',
      'nodepool',
      'azure',
      'ci-west-1-md-0',
      '-c',
      'ci-west-1',
      '-n',
      ns,
      '--kubernetes-version',
      'v1.28.7',
      '--wait=false',
    ])
    expect(fast.r.code).toBe(0)
    const fastTicks = await sim.settle()
    const slow = await changes(
      [
        'update',
        'nodepool',
        'vsphere',
        'build-1-md-0',
        '-c',
        'build-1',
        '-n',
        ns,
        '--kubernetes-version',
        'v1.28.7',
        '--wait=false',
      ],
      { DKP_STANDIN_SLOW: 'update-nodepool:6' },
    )
    expect(slow.r.code).toBe(0)
    const md = await tc.kube.get(API.cluster, 'MachineDeployment', 'build-1-md-0', ns)
    expect(md?.metadata.annotations?.[FAULT_ANNOTATION]).toBe('slow:6')
    const slowTicks = await sim.settle()
    expect(slowTicks).toBeGreaterThan(fastTicks)
    expect(
      dig(await tc.kube.get(API.cluster, 'MachineDeployment', 'build-1-md-0', ns), 'status', 'phase'),
    ).toBe('Running')
  })

  it('simulator stall(): the control plane does not roll until the fault is cleared', async () => {
    sim.stall('KubeadmControlPlane', 'prod-west-1-control-plane')
    const ns = 'team-a-x7k2p'
    const r = await dkp([
      'update',
      'controlplane',
      'aws',
      '-c',
      'prod-west-1',
      '-n',
      ns,
      '--kubernetes-version=v1.28.7',
      '--wait=false',
      '--kubeconfig',
      kc,
    ])
    expect(r.code).toBe(0)
    await sim.settle()
    expect(dig(await kcpOf('prod-west-1', ns), 'status', 'version')).toBe('v1.27.6')
    const waited = await dkp(
      [
        'update',
        'controlplane',
        'aws',
        '-c',
        'prod-west-1',
        '-n',
        ns,
        '--kubernetes-version=v1.28.7',
        '--kubeconfig',
        kc,
      ],
      {
        DKP_STANDIN_WAIT_TIMEOUT_MS: '400',
      },
    )
    expect(waited.code).toBe(1)
    expect(waited.stderr).toMatch(/^Error: timed out waiting for the control plane update: /)
    sim.clearFaults()
    await sim.settle()
    expect(dig(await kcpOf('prod-west-1', ns), 'status', 'version')).toBe('v1.28.7')
  })

  it('simulator fail(): a HelmRelease upgrade fails and the stand-in reports it', async () => {
    const ws = seeded.workspaces.find((w) => w.name === 'team-b')!
    sim.fail('HelmRelease', 'jenkins', 'chart jenkins-4.3.20: pre-upgrade hooks failed', ws.namespace)
    const up = await dkp([
      'upgrade',
      'catalogapp',
      'jenkins',
      '-w',
      'team-b',
      '--to-version',
      '4.3.20',
      '--kubeconfig',
      kc,
    ])
    expect(up.code).toBe(0)
    await sim.settle()
    const hr = await tc.kube.get(API.helm, 'HelmRelease', 'jenkins', ws.namespace)
    expect(getCondition(hr, 'Ready')).toMatchObject({ status: 'False', reason: 'UpgradeFailed' })
    expect(getCondition(hr, 'Released')).toMatchObject({ status: 'False' })
    expect(dig(hr, 'status', 'lastAppliedRevision')).not.toBe('4.3.20')
    sim.clearFaults()
    await sim.settle()
    expect(
      dig(
        await tc.kube.get(API.helm, 'HelmRelease', 'jenkins', ws.namespace),
        'status',
        'lastAppliedRevision',
      ),
    ).toBe('4.3.20')
  })

  it('faults from the sim-faults ConfigMap and from an object annotation', async () => {
    await tc.kube.create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: FAULTS_CONFIGMAP.namespace },
    })
    await tc.kube.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: FAULTS_CONFIGMAP,
      data: {
        faults: '# stalled by another process\nMachineDeployment team-a-x7k2p/prod-west-1-md-0 stall\n',
      },
    })
    const ns = 'team-a-x7k2p'
    await dkp([
      'update',
      'nodepool',
      'aws',
      'prod-west-1-md-0',
      '-c',
      'prod-west-1',
      '-n',
      ns,
      '--kubernetes-version=v1.28.7',
      '--wait=false',
      '--kubeconfig',
      kc,
    ])
    await sim.settle()
    expect(
      dig(
        await tc.kube.get(API.cluster, 'MachineDeployment', 'prod-west-1-md-0', ns),
        'status',
        'updatedReplicas',
      ),
    ).toBe(0)
    await tc.kube.delete('v1', 'ConfigMap', FAULTS_CONFIGMAP.name, FAULTS_CONFIGMAP.namespace)
    await sim.settle()
    expect(
      dig(await tc.kube.get(API.cluster, 'MachineDeployment', 'prod-west-1-md-0', ns), 'status', 'phase'),
    ).toBe('Running')

    await tc.kube.patchMerge(API.controlPlane, 'KubeadmControlPlane', 'prod-west-2-control-plane', ns, {
      metadata: { annotations: { [FAULT_ANNOTATION]: 'fail:etcd member unhealthy' } },
      spec: { version: 'v1.28.7' },
    })
    await sim.settle()
    const kcp = await kcpOf('prod-west-2', ns)
    expect(getCondition(kcp, 'Ready')).toMatchObject({ status: 'False', message: 'etcd member unhealthy' })
  })

  it('Velero Backup: New → InProgress → Completed; PartiallyFailed, Failed, FailedValidation on request', async () => {
    const backup = (name: string, extra: Record<string, unknown> = {}, labels: Record<string, string> = {}) =>
      tc.kube.create({
        apiVersion: API.velero,
        kind: 'Backup',
        metadata: { name, namespace: 'kommander', labels },
        spec: { includedNamespaces: ['*'], ttl: '720h0m0s', ...extra },
      })
    await backup('pre-upgrade-ok')
    await backup('pre-upgrade-partial', {}, { [BACKUP_FAIL_LABEL]: 'PartiallyFailed' })
    await backup('pre-upgrade-failed')
    await backup('pre-upgrade-nobsl', { storageLocation: 'missing' })
    sim.fail('Backup', 'pre-upgrade-failed', 'Failed', 'kommander')
    const phases: string[] = []
    for (let i = 0; i < 40; i++) {
      await sim.step()
      const b = await tc.kube.get(API.velero, 'Backup', 'pre-upgrade-ok', 'kommander')
      const p = dig<string>(b, 'status', 'phase') ?? ''
      if (phases[phases.length - 1] !== p) phases.push(p)
      if (p === 'Completed') break
    }
    expect(phases.filter(Boolean)).toEqual(['New', 'InProgress', 'Completed'])
    await sim.settle()
    const get = (n: string) => tc.kube.get(API.velero, 'Backup', n, 'kommander')
    const ok = await get('pre-upgrade-ok')
    expect(ok?.status).toMatchObject({ phase: 'Completed', errors: 0, warnings: 0, version: 1 })
    expect(dig(ok, 'spec', 'storageLocation')).toBe('default')
    const start = Date.parse(dig<string>(ok, 'status', 'startTimestamp')!)
    const end = Date.parse(dig<string>(ok, 'status', 'completionTimestamp')!)
    expect(end).toBeGreaterThanOrEqual(start)
    expect(Date.parse(dig<string>(ok, 'status', 'expiration')!) - start).toBe(720 * 3600_000)
    expect(dig(ok, 'status', 'progress', 'itemsBackedUp')).toBe(dig(ok, 'status', 'progress', 'totalItems'))
    expect((await get('pre-upgrade-partial'))?.status).toMatchObject({
      phase: 'PartiallyFailed',
      errors: 3,
      warnings: 2,
    })
    expect((await get('pre-upgrade-failed'))?.status).toMatchObject({ phase: 'Failed' })
    expect(dig(await get('pre-upgrade-failed'), 'status', 'failureReason')).toBeTruthy()
    const nobsl = await get('pre-upgrade-nobsl')
    expect(nobsl?.status).toMatchObject({ phase: 'FailedValidation' })
    expect(String(dig(nobsl, 'status', 'validationErrors', 0))).toContain('"missing" not found')
    sim.clearFaults()
  })
})
