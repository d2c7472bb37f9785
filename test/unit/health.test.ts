// The health gates as pure functions over fixtures: severities, objects, messages and remedies
// for each gate, the Kubernetes skew policy, and rule descriptors for SARIF.

import { describe, expect, it } from 'vitest'
import { backupFindings, dkpVersionFindings, HEALTH, kubernetesPathFindings } from '../../src/core/health.js'
import {
  capiClusterFindings,
  controlPlaneFindings,
  machineFindings,
  maxKubeletSkew,
  nodePoolFindings,
  skewFindings,
} from '../../src/core/health-capi.js'
import {
  appDeploymentFindings,
  attachedFindings,
  helmReleaseFindings,
} from '../../src/core/health-kommander.js'
import { healthRules } from '../../src/core/health-rules.js'
import type {
  AppDeployment,
  CapiCluster,
  HelmRelease,
  KommanderApp,
  KommanderCluster,
  KubeadmControlPlane,
  Machine,
  MachineDeployment,
} from '../../src/core/kinds.js'
import type { BackupSettings } from '../../src/core/model.js'
import { renderSarif } from '../../src/core/report/sarif.js'
import { pend } from '../../src/core/step-state.js'
import { mergeSameServer, ruleOf } from '../../src/stages/check.js'

const NOW = '2026-01-01T00:00:00Z'
const ok = (type: string) => ({ type, status: 'True' as const, lastTransitionTime: NOW })

function hr(
  name: string,
  ns: string,
  patch: Partial<HelmRelease> & { ready?: 'True' | 'False' } = {},
): HelmRelease {
  const { ready = 'True', ...rest } = patch
  return {
    apiVersion: 'helm.toolkit.fluxcd.io/v2beta2',
    kind: 'HelmRelease',
    metadata: { name, namespace: ns, generation: 1 },
    spec: { chart: { spec: { chart: name, version: 'v2.7.1' } } },
    status: {
      history: [{ chartVersion: 'v2.7.1' }],
      conditions: [
        ready === 'True'
          ? ok('Ready')
          : {
              type: 'Ready',
              status: 'False',
              reason: 'InstallFailed',
              message: 'timed out waiting for the condition',
            },
      ],
    },
    ...rest,
  } as HelmRelease
}

function machine(
  name: string,
  opts: { version?: string; kubelet?: string; healthy?: boolean; phase?: string; pool?: string } = {},
): Machine {
  const version = opts.version ?? 'v1.27.6'
  return {
    apiVersion: 'cluster.x-k8s.io/v1beta1',
    kind: 'Machine',
    metadata: {
      name,
      namespace: 'ns',
      labels: {
        'cluster.x-k8s.io/cluster-name': 'c1',
        ...(opts.pool ? { 'cluster.x-k8s.io/deployment-name': opts.pool } : {}),
      },
    },
    spec: { version, clusterName: 'c1' },
    status: {
      phase: opts.phase ?? 'Running',
      nodeInfo: { kubeletVersion: opts.kubelet ?? version },
      conditions: [
        ok('Ready'),
        opts.healthy === false
          ? {
              type: 'NodeHealthy',
              status: 'False',
              reason: 'NodeConditionsFailed',
              message: 'Kubelet stopped posting node status.',
            }
          : ok('NodeHealthy'),
      ],
    },
  }
}

function kcp(patch: Partial<NonNullable<KubeadmControlPlane['status']>> = {}): KubeadmControlPlane {
  return {
    apiVersion: 'controlplane.cluster.x-k8s.io/v1beta1',
    kind: 'KubeadmControlPlane',
    metadata: { name: 'c1-control-plane', namespace: 'ns', generation: 2 },
    spec: { version: 'v1.27.6', replicas: 3 },
    status: {
      version: 'v1.27.6',
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      unavailableReplicas: 0,
      observedGeneration: 2,
      conditions: [ok('Ready')],
      ...patch,
    },
  }
}

function md(patch: Partial<NonNullable<MachineDeployment['status']>> = {}): MachineDeployment {
  return {
    apiVersion: 'cluster.x-k8s.io/v1beta1',
    kind: 'MachineDeployment',
    metadata: { name: 'c1-md-0', namespace: 'ns', generation: 1 },
    spec: { replicas: 2, clusterName: 'c1', template: { spec: { version: 'v1.27.6' } } },
    status: {
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 2,
      unavailableReplicas: 0,
      phase: 'Running',
      observedGeneration: 1,
      ...patch,
    },
  }
}

const BACKUP: BackupSettings = { enabled: true, namespace: 'kommander', maxAgeSeconds: 43200 }

describe('DKP and Kubernetes upgrade paths', () => {
  const kommander = hr('kommander', 'kommander')

  it('accepts the next minor and the same release, refuses a skipped minor and a downgrade', () => {
    expect(dkpVersionFindings('mgmt', kommander, 'v2.8.1')).toEqual([])
    expect(dkpVersionFindings('mgmt', kommander, 'v2.7.1')).toEqual([])
    const [two] = dkpVersionFindings(
      'mgmt',
      hr('kommander', 'kommander', {
        spec: { chart: { spec: { version: 'v2.6.1' } } },
        status: { history: [{ chartVersion: 'v2.6.1' }], conditions: [ok('Ready')] },
      }),
      'v2.8.1',
    )
    expect(two).toMatchObject({
      ruleId: HEALTH.dkpVersion,
      severity: 'error',
      cluster: 'mgmt',
      object: { kind: 'HelmRelease', namespace: 'kommander', name: 'kommander' },
      details: { path: 'v2.6.1 → v2.7.x → v2.8.1' },
    })
    const [down] = dkpVersionFindings('mgmt', kommander, 'v2.6.0')
    expect(down?.remedy).toMatch(/never downgraded/)
  })

  it('reports a missing Kommander and an unknown release', () => {
    expect(dkpVersionFindings('mgmt', undefined, 'v2.8.1')[0]?.message).toMatch(/Kommander is not installed/)
    const [unknown] = dkpVersionFindings('mgmt', kommander, 'v2.9.0')
    expect(unknown?.message).toMatch(/DKP v2\.9\.0 is not in the known release table/)
    expect(unknown?.remedy).toMatch(/^Use a DKP release dkp-fleet knows/)
  })

  it("checks a control plane's Kubernetes path", () => {
    expect(kubernetesPathFindings('c1', undefined, 'v1.27.6', '1.28.7')).toEqual([])
    expect(kubernetesPathFindings('c1', undefined, undefined, '1.28.7')).toEqual([])
    const [skip] = kubernetesPathFindings('c1', undefined, 'v1.26.6', '1.28.7')
    expect(skip).toMatchObject({
      severity: 'error',
      details: { running: '1.26.6', path: '1.26.6 → 1.27.x → 1.28.7' },
    })
    expect(kubernetesPathFindings('c1', undefined, 'v1.29.1', '1.28.7')[0]?.remedy).toMatch(
      /never downgraded/,
    )
  })
})

describe('Kommander gates', () => {
  it('HelmReleases: not Ready is an error with the reason, suspended a warning, an unobserved generation an error', () => {
    expect(helmReleaseFindings('mgmt', [hr('a', 'kommander')])).toEqual([])
    const [bad] = helmReleaseFindings('mgmt', [hr('a', 'kommander', { ready: 'False' })])
    expect(bad).toMatchObject({
      ruleId: HEALTH.helmRelease,
      severity: 'error',
      object: { name: 'a', namespace: 'kommander' },
    })
    expect(bad!.message).toBe(
      'HelmRelease kommander/a on mgmt is not Ready (Ready=False (InstallFailed)): InstallFailed: timed out waiting for the condition.',
    )
    const suspended = hr('b', 'ws')
    suspended.spec!.suspend = true
    expect(helmReleaseFindings('c1', [suspended]).map((f) => f.severity)).toEqual(['warning'])
    const stale = hr('c', 'ws')
    ;(stale.status as { observedGeneration?: number }).observedGeneration = 1
    stale.metadata.generation = 2
    expect(helmReleaseFindings('c1', [stale])[0]?.message).toMatch(/generation 2 not observed yet/)
  })

  it("AppDeployments: a missing (Cluster)App is an error; project apps may use their workspace's App", () => {
    const ad = (name: string, ns: string, kind: 'App' | 'ClusterApp', app: string): AppDeployment => ({
      apiVersion: 'apps.kommander.d2iq.io/v1alpha3',
      kind: 'AppDeployment',
      metadata: { name, namespace: ns },
      spec: { appRef: { kind, name: app } },
    })
    const app = (name: string, ns?: string): KommanderApp => ({
      apiVersion: 'apps.kommander.d2iq.io/v1alpha3',
      kind: ns ? 'App' : 'ClusterApp',
      metadata: { name, ...(ns ? { namespace: ns } : {}) },
    })
    const findings = appDeploymentFindings({
      cluster: 'mgmt',
      appDeployments: [
        ad('traefik', 'kommander', 'ClusterApp', 'traefik-25.0.1'),
        ad('grafana', 'kommander', 'ClusterApp', 'grafana-9.9.9'),
        ad('kafka', 'proj-ns', 'App', 'kafka-0.25.1'),
        ad('gone', 'ws-ns', 'App', 'gone-1.0.0'),
      ],
      clusterApps: [app('traefik-25.0.1')],
      apps: [app('kafka-0.25.1', 'ws-ns')],
      workspaceOfProject: new Map([['proj-ns', 'ws-ns']]),
    })
    expect(findings.map((f) => [f.object?.name, f.severity, f.details?.appRef])).toEqual([
      ['grafana', 'error', 'ClusterApp/grafana-9.9.9'],
      ['gone', 'error', 'App/gone-1.0.0'],
    ])
  })

  it('attached clusters: older than the target DKP supports is an error, newer or unknown a warning', () => {
    const kc = (v?: string): KommanderCluster => ({
      apiVersion: 'kommander.mesosphere.io/v1beta1',
      kind: 'KommanderCluster',
      metadata: { name: 'edge-7', namespace: 'edge' },
      status: { phase: 'Joined', ...(v ? { kubernetesVersion: v } : {}) },
    })
    expect(attachedFindings('edge-7', kc('v1.27.6'), 'v2.8.1')).toEqual([])
    expect(attachedFindings('edge-7', kc('v1.25.3'), 'v2.8.1')[0]).toMatchObject({
      ruleId: HEALTH.attached,
      severity: 'error',
      details: { kubernetes: '1.25.3' },
    })
    expect(attachedFindings('edge-7', kc('v1.29.0'), 'v2.8.1')[0]?.severity).toBe('warning')
    expect(attachedFindings('edge-7', kc(), 'v2.8.1')[0]?.severity).toBe('warning')
  })
})

describe('CAPI gates', () => {
  const cluster = (patch: Partial<CapiCluster> = {}): CapiCluster => ({
    apiVersion: 'cluster.x-k8s.io/v1beta1',
    kind: 'Cluster',
    metadata: { name: 'c1', namespace: 'ns' },
    status: { phase: 'Provisioned', conditions: [ok('Ready')] },
    ...patch,
  })

  it('Cluster: missing, not Provisioned/Ready (error), paused (warning)', () => {
    expect(capiClusterFindings('c1', 'ns', cluster())).toEqual([])
    expect(capiClusterFindings('c1', 'ns', undefined)[0]?.object).toEqual({
      apiVersion: 'cluster.x-k8s.io/v1beta1',
      kind: 'Cluster',
      namespace: 'ns',
      name: 'c1',
    })
    expect(
      capiClusterFindings(
        'c1',
        'ns',
        cluster({
          status: {
            phase: 'Provisioning',
            conditions: [{ type: 'Ready', status: 'False', reason: 'WaitingForControlPlane' }],
          },
        }),
      )[0]?.message,
    ).toBe(
      'CAPI Cluster ns/c1 is not Provisioned and Ready: phase Provisioning, Ready=False (WaitingForControlPlane).',
    )
    expect(
      capiClusterFindings('c1', 'ns', cluster({ spec: { paused: true } })).map((f) => f.severity),
    ).toEqual(['warning'])
  })

  it('control plane: converged at its own version, or an error describing the rollout', () => {
    expect(controlPlaneFindings('c1', kcp())).toEqual([])
    const [f] = controlPlaneFindings(
      'c1',
      kcp({ updatedReplicas: 1, unavailableReplicas: 1, readyReplicas: 2 }),
    )
    expect(f).toMatchObject({
      ruleId: HEALTH.controlPlane,
      severity: 'error',
      object: { name: 'c1-control-plane' },
    })
    expect(f!.message).toBe(
      'The control plane of c1 (KubeadmControlPlane ns/c1-control-plane) has not converged at v1.27.6: 1/3 updated, 2 ready, 1 unavailable.',
    )
    expect(controlPlaneFindings('c1', kcp({ version: 'v1.26.6' }))[0]?.message).toMatch(
      /status\.version v1\.26\.6/,
    )
  })

  it('node pools and machines', () => {
    const machines = [machine('m1', { pool: 'c1-md-0' }), machine('m2', { pool: 'c1-md-0' })]
    expect(nodePoolFindings('c1', md(), machines)).toEqual([])
    const [rolling] = nodePoolFindings('c1', md({ updatedReplicas: 1 }), [
      machines[0]!,
      machine('m3', { version: 'v1.26.6' }),
    ])
    expect(rolling?.message).toMatch(
      /has not converged at v1\.27\.6: 1\/2 updated, 2 ready, 1 machine at v1\.26\.6/,
    )
    expect(machineFindings('c1', machines)).toEqual([])
    const sick = machine('m4', { healthy: false, phase: 'Provisioned' })
    const deleting = machine('m5', { healthy: false })
    deleting.metadata.deletionTimestamp = NOW
    const found = machineFindings('c1', [sick, deleting])
    expect(found).toHaveLength(1)
    expect(found[0]!.message).toBe(
      'Machine ns/m4 of c1 is not Ready: phase Provisioned, NodeHealthy=False (NodeConditionsFailed: Kubelet stopped posting node status.).',
    )
  })
})

describe('version skew (Kubernetes skew policy)', () => {
  const cp = (version: string) => ({ version, object: kcp() })
  const pool = (...kubelets: string[]) => ({
    object: md(),
    machines: kubelets.map((k, i) => machine(`m${i}`, { kubelet: k })),
  })

  it('allows 3 minors of kubelet skew from 1.28, 2 before', () => {
    expect(maxKubeletSkew(27)).toBe(2)
    expect(maxKubeletSkew(28)).toBe(3)
  })

  it("is silent when pools run the control plane's minor", () => {
    expect(skewFindings('c1', cp('v1.27.6'), [pool('v1.27.6', 'v1.27.5')], '1.28.7')).toEqual([])
  })

  it('warns on pools a minor behind, errors beyond the policy now or once the control plane is at the target', () => {
    const sev = (cpv: string, target: string, ...kubelets: string[]) =>
      skewFindings('c1', cp(cpv), [pool(...kubelets)], target).map((f) => [
        f.severity,
        f.message.replace(/^Node pool c1-md-0 of c1 runs /, ''),
      ])
    expect(sev('v1.27.6', '1.28.7', 'v1.26.6')).toEqual([
      [
        'warning',
        expect.stringMatching(
          /^kubelet 1\.26\.6 while its control plane runs 1\.27\.6: a previous upgrade did not finish/,
        ),
      ],
    ])
    expect(sev('v1.27.6', '1.28.7', 'v1.24.9')).toEqual([
      [
        'error',
        'kubelet 1.24.9, 3 minors behind its control plane 1.27.6; the Kubernetes skew policy allows 2.',
      ],
    ])
    expect(sev('v1.28.7', '1.30.2', 'v1.26.6')).toEqual([
      [
        'error',
        expect.stringMatching(
          /^kubelet 1\.26\.6: once the control plane runs 1\.30\.2 it would be 4 minors behind, more than the 3/,
        ),
      ],
    ])
    expect(sev('v1.27.6', '1.28.7', 'v1.28.7')).toEqual([
      [
        'error',
        expect.stringMatching(
          /^kubelet 1\.28 while its control plane runs 1\.27\.6: kubelets must never be newer/,
        ),
      ],
    ])
  })
})

describe('backup gate', () => {
  it('turned off: info with the reason; done: nothing; Velero missing: error; old: warning', () => {
    expect(
      backupFindings(
        'mgmt',
        { ...BACKUP, enabled: false, reason: 'etcd snapshots by the storage team' },
        undefined,
      ),
    ).toEqual([
      expect.objectContaining({
        ruleId: HEALTH.backup,
        severity: 'info',
        message: expect.stringContaining('(etcd snapshots by the storage team)'),
      }),
    ])
    expect(backupFindings('mgmt', BACKUP, { done: true, evidence: ['x'], pending: [] })).toEqual([])
    const [missing] = backupFindings('mgmt', BACKUP, {
      done: false,
      evidence: [],
      pending: [
        pend(
          'not-installed',
          'Velero is not installed on mgmt (the server does not serve velero.io/v1 Backup): install it',
          'velero.io/v1 Backup',
        ),
      ],
    })
    expect(missing?.severity).toBe('error')
    expect(missing?.message).toMatch(
      /^Velero is not installed on mgmt \(the server does not serve velero.io\/v1 Backup\): /,
    )
    const [old] = backupFindings('mgmt', BACKUP, {
      done: false,
      evidence: [],
      pending: [
        pend(
          'not-at-target',
          'no Completed Velero Backup younger than 12h in kommander on mgmt (newest: kommander/b, 3d old)',
        ),
      ],
    })
    expect(old).toMatchObject({ severity: 'warning', details: { maxAgeSeconds: 43200 } })
    expect(old!.remedy).toMatch(/backup stage takes one before Kommander is upgraded/)
  })
})

describe('rules and de-duplication', () => {
  it('describes every health rule, and SARIF uses the descriptors', () => {
    const ids = healthRules().map((r) => r.id)
    expect(ids.sort()).toEqual(Object.values(HEALTH).sort())
    for (const r of healthRules()) expect(r.help.length).toBeGreaterThan(20)
    const sarif = JSON.parse(
      renderSarif(
        {
          tool: { name: 'dkp-fleet', version: '0.1.0' },
          target: { kubernetes: '1.28.7' },
          findings: controlPlaneFindings('c1', kcp({ updatedReplicas: 1 })),
        },
        {
          informationUri: 'https://example.invalid',
          rules: ruleOf,
          clusterSources: { c1: { file: 'fleet.yaml', line: 7, col: 5 } },
        },
      ),
    )
    expect(sarif.runs[0].tool.driver.rules[0]).toMatchObject({
      id: HEALTH.controlPlane,
      name: 'ControlPlaneNotConverged',
    })
    expect(sarif.runs[0].results[0].locations[0].physicalLocation.region.startLine).toBe(7)
  })

  it('merges findings read through clusters on the same API server, keeping distinct servers apart', () => {
    const f = (cluster: string) => helmReleaseFindings(cluster, [hr('traefik', 'ws', { ready: 'False' })])[0]!
    const merged = mergeSameServer([
      { finding: f('a'), server: 'https://one' },
      { finding: f('b'), server: 'https://one' },
      { finding: f('c'), server: 'https://two' },
      { finding: f('d'), server: '' },
    ])
    expect(merged.map((x) => [x.cluster, x.details?.sameApiServerAs])).toEqual([
      ['a', 'b'],
      ['c', undefined],
      ['d', undefined],
    ])
    expect(merged[0]!.message).toMatch(/Read through the same API server as b\.$/)
  })
})
