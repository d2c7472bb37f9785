// The live check on the real apiserver test fleet: examples/fleet.yaml seeded at DKP v2.7.1
// (target v2.8.1, Kubernetes 1.27.6 → 1.28.7), no simulator (seeded statuses stay put). A
// healthy fleet (plus a fresh Velero backup) reports no error or warning; API calls do not grow
// with objects per kind; then unhealthy states and removed APIs are seeded and each is found with
// its severity, cluster and object; the SARIF validates with every result located on its
// cluster's inventory line; the CLI lists the problems and exits 1.
//
// All managed clusters' kubeconfig Secrets point at this one apiserver: the live removed-API
// scan runs once for it, reported under the management cluster, and a HelmRelease read through
// several clusters of a workspace is reported once, under the first of them.

import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CliIO } from '../../src/cli/io.js'
import { main } from '../../src/cli/main.js'
import type { Finding } from '../../src/core/findings.js'
import type { Inventory } from '../../src/core/model.js'
import { loadInventory } from '../../src/effects/inventory-files.js'
import { API } from '../../src/fleet/objects.js'
import { seedFleet, writeStatus } from '../../src/fleet/seed.js'
import type { FleetCheckResult } from '../../src/stages/check.js'
import { useTestCluster } from '../kube/harness.js'
import {
  CRONJOB_V1BETA1,
  completedBackup,
  cronJobLastApplied,
  errorsAndWarnings,
  helmReleaseNotReady,
  helmSecret,
  INVENTORY,
  lines,
  PDB_V1BETA1,
  runFleetCheck,
  sarifValidator,
} from './check-helpers.js'

const ROOT = resolve(import.meta.dirname, '../..')
const tc = useTestCluster()
const figures: string[] = []
let inventory: Inventory

const lineOf = (cluster: string) =>
  cluster === inventory.management.name
    ? inventory.management.source.line
    : inventory.clusters.find((c) => c.name === cluster)!.source.line

beforeAll(async () => {
  inventory = (await loadInventory(INVENTORY, ROOT)).inventory
  const t0 = performance.now()
  await seedFleet(tc.kube, inventory, { dkp: 'v2.7.1', kubeconfig: readFileSync(tc.kubeconfigPath, 'utf8') })
  figures.push(`seed ${INVENTORY} at v2.7.1: ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  // A healthy fleet has a recent pre-upgrade backup (the seed has none).
  await completedBackup(tc.kube, 'nightly-fresh', 2 * 3600_000)
})

afterAll(() => console.log(`check figures on ${INVENTORY}:\n  ${figures.join('\n  ')}`))

describe('a healthy freshly seeded fleet', () => {
  let result: FleetCheckResult
  beforeAll(async () => {
    result = await runFleetCheck(() => tc.client())
    figures.push(
      `healthy check: ${result.ms} ms, ${result.apiRequests} API requests (${result.managementRequests} by the management client), ${result.clusters.length} clusters`,
    )
  })

  it('reports no error and no warning (the live scan adds about 60 requests per API server)', async () => {
    const gatesOnly = await runFleetCheck(() => tc.client(), { scan: false })
    figures.push(`health gates only: ${gatesOnly.ms} ms, ${gatesOnly.apiRequests} API requests`)
    expect(result.apiRequests - gatesOnly.apiRequests).toBeLessThan(80)
    expect(errorsAndWarnings(result), lines(result.findings)).toEqual([])
  })

  it('checks every cluster of the inventory, with its Kubernetes version', () => {
    expect(result.clusters).toHaveLength(1 + inventory.clusters.length)
    expect(result.clusters.filter((c) => c.status !== 'checked')).toEqual([])
    const byName = new Map(result.clusters.map((c) => [c.name, c]))
    expect(byName.get('mgmt')).toMatchObject({ role: 'management', kubernetes: '1.27.6', status: 'checked' })
    expect(byName.get('prod-east-1')).toMatchObject({ role: 'managed', kubernetes: '1.27.6' })
    expect(byName.get('edge-7')).toMatchObject({ role: 'attached', kubernetes: '1.27.6' })
    // the test fleet's clusters share one apiserver: scanned once, under mgmt
    expect(byName.get('prod-east-1')?.note).toMatch(/^same API server as mgmt/)
    expect(byName.get('mgmt')?.note).toBeUndefined()
    expect(result.scanned.clusters).toBe(1 + inventory.clusters.length)
    expect(result.scanned.objects).toBeGreaterThan(50)
  })

  it('does not grow API calls with objects per kind (5 vs 50 extra objects of scanned kinds)', async () => {
    const ns = 'scale-probe'
    await tc.kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })
    const add = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        await tc.kube.create({
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: { name: `probe-${i}`, namespace: ns },
          rules: [],
        })
        await tc.kube.create({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `probe-${i}`, namespace: ns },
          data: { i: String(i) },
        })
        await tc.kube.create({
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          metadata: { name: `probe-${i}`, namespace: ns },
          spec: {
            schedule: '0 1 * * *',
            jobTemplate: {
              spec: {
                template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Never' } },
              },
            },
          },
        })
      }
    }
    await add(0, 5)
    const five = await runFleetCheck(() => tc.client())
    await add(5, 50)
    const fifty = await runFleetCheck(() => tc.client())
    figures.push(
      `API requests with 5 / 50 extra Roles+ConfigMaps+CronJobs: ${five.apiRequests} / ${fifty.apiRequests} (objects scanned ${five.scanned.objects} / ${fifty.scanned.objects})`,
    )
    expect(fifty.scanned.objects - five.scanned.objects).toBe(90) // 45 Roles + 45 CronJobs listed
    expect(fifty.apiRequests).toBe(five.apiRequests)
    expect(errorsAndWarnings(fifty), lines(fifty.findings)).toEqual([])
    for (const kind of ['Role', 'ConfigMap', 'CronJob'] as const) {
      const apiVersion =
        kind === 'Role' ? 'rbac.authorization.k8s.io/v1' : kind === 'CronJob' ? 'batch/v1' : 'v1'
      for (let i = 0; i < 50; i++) await tc.kube.delete(apiVersion, kind, `probe-${i}`, ns)
    }
  })
})

describe('seeded problems', () => {
  let result: FleetCheckResult
  const find = (ruleId: string, cluster: string, pred: (f: Finding) => boolean = () => true) =>
    result.findings.filter((f) => f.ruleId === ruleId && f.cluster === cluster && pred(f))

  beforeAll(async () => {
    const kube = tc.kube
    // HelmRelease not Ready: on the management cluster and in a workspace namespace
    await helmReleaseNotReady(kube, 'traefik', 'kommander', 'upgrade retries exhausted')
    await helmReleaseNotReady(kube, 'traefik', 'team-b-m4q9z', 'install retries exhausted')
    // KCP rollout in progress on prod-east-2
    const kcp = (await kube.get(
      API.controlPlane,
      'KubeadmControlPlane',
      'prod-east-2-control-plane',
      'team-a-x7k2p',
    ))!
    await writeStatus(kube, kcp, { updatedReplicas: 0, unavailableReplicas: 1 })
    // an unhealthy machine on prod-west-1, kubelets one minor behind on prod-west-2's pool
    const [sick] = await kube.list(API.cluster, 'Machine', {
      namespace: 'team-a-x7k2p',
      labelSelector: 'cluster.x-k8s.io/deployment-name=prod-west-1-md-0',
    })
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
    await writeStatus(kube, sick!, {
      conditions: [
        { type: 'Ready', status: 'True', lastTransitionTime: now },
        {
          type: 'NodeHealthy',
          status: 'False',
          reason: 'NodeConditionsFailed',
          message: 'Kubelet stopped posting node status.',
          severity: 'Warning',
          lastTransitionTime: now,
        },
      ],
    })
    for (const m of await kube.list(API.cluster, 'Machine', {
      namespace: 'team-a-x7k2p',
      labelSelector: 'cluster.x-k8s.io/deployment-name=prod-west-2-md-0',
    })) {
      await writeStatus(kube, m, { nodeInfo: { kubeletVersion: 'v1.26.6' } })
    }
    // the fresh backup is gone; the newest is three days old
    await kube.delete(API.velero, 'Backup', 'nightly-fresh', 'kommander')
    await completedBackup(kube, 'nightly-old', 3 * 24 * 3600_000)
    // removed APIs: a last-applied annotation, and Helm release storage (newest deployed + a superseded revision)
    await kube.create(cronJobLastApplied('nightly-report', 'team-a-x7k2p'))
    await kube.create(helmSecret('legacy', 'team-b-m4q9z', 1, 'superseded', CRONJOB_V1BETA1))
    await kube.create(helmSecret('legacy', 'team-b-m4q9z', 2, 'deployed', PDB_V1BETA1))
    // edge-3's kubeconfig Secret points at a port where nothing listens
    const kubeconfig = JSON.parse(readFileSync(tc.kubeconfigPath, 'utf8')) as {
      clusters: { cluster: { server: string } }[]
    }
    for (const c of kubeconfig.clusters) c.cluster.server = 'https://127.0.0.1:1'
    await kube.patchMerge('v1', 'Secret', 'edge-3-kubeconfig', 'edge-p2w8d', {
      data: { value: Buffer.from(JSON.stringify(kubeconfig)).toString('base64') },
    })
    result = await runFleetCheck(() => tc.client())
    figures.push(`check with problems: ${result.ms} ms, ${result.apiRequests} API requests`)
  })

  it('finds the HelmRelease that is not Ready on the management cluster (error)', () => {
    const [f, ...more] = find('health/helmrelease-ready', 'mgmt')
    expect(more).toEqual([])
    expect(f).toMatchObject({
      severity: 'error',
      object: { kind: 'HelmRelease', namespace: 'kommander', name: 'traefik' },
    })
    expect(f!.message).toMatch(
      /is not Ready \(Ready=False \(UpgradeFailed\)\): UpgradeFailed: upgrade retries exhausted/,
    )
    expect(f!.remedy).toMatch(/suspend/)
  })

  it('finds a workspace HelmRelease that is not Ready once, under the first cluster of the workspace', () => {
    const all = result.findings.filter(
      (f) => f.ruleId === 'health/helmrelease-ready' && f.object?.namespace === 'team-b-m4q9z',
    )
    expect(all).toHaveLength(1)
    expect(all[0]).toMatchObject({ severity: 'error', cluster: 'ci-west-1', object: { name: 'traefik' } })
    expect(all[0]!.details?.sameApiServerAs).toBe('ci-west-2,build-1,build-2,partner-gke')
  })

  it('finds the control plane that has not converged (error on prod-east-2)', () => {
    const [f] = find('health/control-plane-converged', 'prod-east-2')
    expect(f).toMatchObject({
      severity: 'error',
      object: { kind: 'KubeadmControlPlane', namespace: 'team-a-x7k2p', name: 'prod-east-2-control-plane' },
    })
    expect(f!.message).toMatch(/has not converged at v1\.27\.6: 0\/\d updated, \d ready, 1 unavailable/)
    expect(result.findings.filter((x) => x.ruleId === 'health/control-plane-converged')).toHaveLength(1)
  })

  it('finds the unhealthy machine (error) and the lagging kubelets (warning)', () => {
    const [m] = find('health/machine-ready', 'prod-west-1')
    expect(m).toMatchObject({ severity: 'error', object: { kind: 'Machine', namespace: 'team-a-x7k2p' } })
    expect(m!.message).toMatch(
      /NodeHealthy=False \(NodeConditionsFailed: Kubelet stopped posting node status\.\)/,
    )
    const [skew, ...more] = find('health/version-skew', 'prod-west-2')
    expect(more).toEqual([])
    expect(skew).toMatchObject({
      severity: 'warning',
      object: { kind: 'MachineDeployment', name: 'prod-west-2-md-0' },
    })
    expect(skew!.message).toMatch(/kubelet 1\.26\.6 while its control plane runs 1\.27\.6/)
  })

  it('finds the old backup (warning)', () => {
    const [f] = find('health/backup', 'mgmt')
    expect(f?.severity).toBe('warning')
    expect(f!.message).toMatch(
      /no Completed Velero Backup younger than 12h in kommander on mgmt \(newest: kommander\/nightly-old, 3d old\)/,
    )
  })

  it('finds the removed API in a last-applied annotation (warning, the live object named)', () => {
    const [f] = find('removed-api/batch/v1beta1/CronJob', 'mgmt', (x) => x.details?.source === 'last-applied')
    expect(f).toMatchObject({
      severity: 'warning',
      object: {
        apiVersion: 'batch/v1beta1',
        kind: 'CronJob',
        namespace: 'team-a-x7k2p',
        name: 'nightly-report',
      },
    })
  })

  it('finds the removed API in the newest deployed Helm release revision only (error)', () => {
    const helm = result.findings.filter((f) => f.details?.source === 'helm-release')
    expect(
      helm.map((f) => [f.ruleId, f.severity, f.cluster, f.details?.helmRelease, f.details?.helmRevision]),
    ).toEqual([['removed-api/policy/v1beta1/PodDisruptionBudget', 'error', 'mgmt', 'team-b-m4q9z/legacy', 2]])
    expect(helm[0]!.object).toEqual({
      apiVersion: 'policy/v1beta1',
      kind: 'PodDisruptionBudget',
      namespace: 'team-b-m4q9z',
      name: 'legacy',
    })
  })

  it('reports the unreachable cluster as an error and checks the rest', () => {
    const [f, ...more] = result.findings.filter((x) => x.ruleId === 'health/cluster-unreachable')
    expect(more).toEqual([])
    expect(f).toMatchObject({ severity: 'error', cluster: 'edge-3' })
    expect(f!.message).toMatch(
      /^Cluster edge-3 could not be read.*is unreachable at https:\/\/127\.0\.0\.1:1 \(kubeconfig from Secret edge-p2w8d\/edge-3-kubeconfig \(key value\)\)/,
    )
    const rows = new Map(result.clusters.map((c) => [c.name, c.status]))
    expect(rows.get('edge-3')).toBe('unreachable')
    expect([...rows.values()].filter((s) => s !== 'checked')).toEqual(['unreachable'])
    expect(result.scanned.clusters).toBe(inventory.clusters.length) // all but edge-3
  })

  it('reports nothing else as an error or warning', () => {
    const expected = new Set([
      'health/cluster-unreachable',
      'health/helmrelease-ready',
      'health/control-plane-converged',
      'health/machine-ready',
      'health/version-skew',
      'health/backup',
      'removed-api/batch/v1beta1/CronJob',
      'removed-api/policy/v1beta1/PodDisruptionBudget',
    ])
    expect(
      errorsAndWarnings(result).filter((f) => !expected.has(f.ruleId)),
      lines(result.findings),
    ).toEqual([])
    expect(errorsAndWarnings(result)).toHaveLength(9)
  })

  it('dkp-fleet check -i lists the seeded problems, exits 1 with --fail-on error, and writes valid SARIF', async () => {
    const out = { stdout: '', stderr: '' }
    const io: CliIO = {
      stdout: (t) => {
        out.stdout += t
      },
      stderr: (t) => {
        out.stderr += t
      },
      env: { DKP_FLEET_VERSION: '0.1.0' },
      cwd: ROOT,
    }
    const t0 = performance.now()
    const code = await main(
      ['check', '-i', INVENTORY, '--kubeconfig', tc.kubeconfigPath, '--fail-on', 'error'],
      io,
    )
    figures.push(
      `CLI check -i (text): ${((performance.now() - t0) / 1000).toFixed(1)} s; ${out.stderr.trim()}`,
    )
    expect(code, out.stderr).toBe(1)
    for (const text of [
      'HelmRelease kommander/traefik on mgmt is not Ready',
      'cluster ci-west-1',
      'KubeadmControlPlane team-a-x7k2p/prod-east-2-control-plane',
      'No recent pre-upgrade backup',
      'CronJob team-a-x7k2p/nightly-report',
      'Helm release team-b-m4q9z/legacy (revision 2)',
    ])
      expect(out.stdout).toContain(text)
    expect(out.stdout.trimEnd().split('\n').at(-1)).toMatch(
      /^\d+ errors, \d+ warnings, \d+ info \(target Kubernetes 1\.28\.7; 14 clusters, \d+ objects, 1 Helm release scanned\)$/,
    )
    expect(
      await main(['check', '-i', INVENTORY, '--kubeconfig', tc.kubeconfigPath, '--fail-on', 'none'], io),
    ).toBe(0)

    out.stdout = ''
    const sarifCode = await main(
      ['check', '-i', INVENTORY, '--kubeconfig', tc.kubeconfigPath, '--format', 'sarif'],
      io,
    )
    expect(sarifCode).toBe(1)
    const log = JSON.parse(out.stdout)
    const validate = sarifValidator()
    expect(validate(log), JSON.stringify(validate.errors?.slice(0, 5))).toBe(true)
    const results = log.runs[0].results as {
      ruleId: string
      message: { text: string }
      properties: { cluster?: string }
      locations: {
        physicalLocation: {
          artifactLocation: { uri: string; uriBaseId?: string }
          region: { startLine: number }
        }
      }[]
    }[]
    expect(results.length).toBe(result.findings.length)
    for (const r of results) {
      expect(r.locations).toHaveLength(1)
      const loc = r.locations[0]!.physicalLocation
      expect(loc.artifactLocation).toEqual({ uri: 'examples/fleet.yaml', uriBaseId: '%SRCROOT%' })
      expect(loc.region.startLine, r.message.text).toBe(lineOf(r.properties.cluster!))
    }
    const kcp = results.find((r) => r.ruleId === 'health/control-plane-converged')!
    expect(kcp.locations[0]!.physicalLocation.region.startLine).toBe(lineOf('prod-east-2'))
    const rules = log.runs[0].tool.driver.rules as { id: string; help: { text: string } }[]
    expect(rules.map((r) => r.id)).toContain('health/control-plane-converged')
    expect(rules.find((r) => r.id === 'health/backup')!.help.text).toMatch(/backup stage/)
  })
})
