// Terminal states (src/stages/terminal.ts): which objects will not reach their target without
// someone stepping in, decided from typed fields and condition types/reasons only.

import { describe, expect, it } from 'vitest'
import { kommanderState } from '../../src/core/kommander-state.js'
import {
  describeTerminal,
  firstTerminalOn,
  goDurationMs,
  sameTerminal,
  TerminalError,
  terminalState,
} from '../../src/core/terminal.js'
import type { KubeObject } from '../../src/effects/kube.js'

const T0 = '2026-01-01T10:00:00Z'
const obj = (kind: string, extra: Record<string, unknown> = {}, meta: Record<string, unknown> = {}) =>
  ({
    apiVersion: 'x/v1',
    kind,
    metadata: { name: 'n', namespace: 'ns', generation: 2, ...meta },
    ...extra,
  }) as KubeObject
const cond = (type: string, status: string, reason?: string, message?: string, at = T0) => ({
  type,
  status,
  ...(reason ? { reason } : {}),
  ...(message ? { message } : {}),
  lastTransitionTime: at,
})

describe('MachineDeployment', () => {
  it('phase Failed or Ready=False MachineDeploymentFailed, once its generation is observed', () => {
    const failed = obj('MachineDeployment', {
      status: {
        phase: 'Failed',
        observedGeneration: 2,
        conditions: [cond('Ready', 'False', 'MachineDeploymentFailed', 'AMI not found')],
      },
    })
    expect(terminalState(failed)).toMatchObject({
      object: 'MachineDeployment ns/n',
      reason: 'MachineDeploymentFailed',
      message: 'AMI not found',
      since: T0,
    })
    expect(terminalState(failed)?.next).toMatch(/kubectl -n ns describe machinedeployment n/)
    const phaseOnly = obj('MachineDeployment', { status: { phase: 'Failed', observedGeneration: 2 } })
    expect(terminalState(phaseOnly)).toMatchObject({ reason: 'Failed', message: 'phase Failed' })
    const stale = obj('MachineDeployment', { status: { phase: 'Failed', observedGeneration: 1 } })
    expect(terminalState(stale), 'a status older than the spec').toBeUndefined()
    const rolling = obj('MachineDeployment', {
      status: {
        phase: 'ScalingUp',
        observedGeneration: 2,
        conditions: [cond('Ready', 'False', 'WaitingForAvailableMachines')],
      },
    })
    expect(terminalState(rolling)).toBeUndefined()
  })
})

describe('control planes', () => {
  it('status.failureReason / failureMessage', () => {
    const kcp = obj('KubeadmControlPlane', {
      status: { observedGeneration: 2, failureReason: 'UpgradeFailed', failureMessage: 'etcd lost quorum' },
    })
    expect(terminalState(kcp)).toMatchObject({
      object: 'KubeadmControlPlane ns/n',
      reason: 'UpgradeFailed',
      message: 'etcd lost quorum',
    })
    const eks = obj('AWSManagedControlPlane', { status: { failureMessage: 'update failed' } })
    expect(terminalState(eks)).toMatchObject({ reason: 'Failed', message: 'update failed' })
    expect(terminalState(obj('KubeadmControlPlane', { status: { observedGeneration: 2 } }))).toBeUndefined()
  })
})

describe('HelmRelease', () => {
  const hr = (status: Record<string, unknown>, spec: Record<string, unknown> = {}) =>
    obj('HelmRelease', { spec, status: { observedGeneration: 2, ...status } })

  it('Stalled=True (v2/v2beta2: RetriesExceeded) is terminal, with the Ready message', () => {
    const t = terminalState(
      hr({
        conditions: [
          cond('Ready', 'False', 'UpgradeFailed', 'Helm upgrade failed: timed out waiting for the condition'),
          cond('Stalled', 'True', 'RetriesExceeded', 'Failed to upgrade after 31 attempt(s)'),
        ],
      }),
    )
    expect(t).toMatchObject({
      object: 'HelmRelease ns/n',
      reason: 'RetriesExceeded',
      message:
        'Failed to upgrade after 31 attempt(s); Helm upgrade failed: timed out waiting for the condition',
    })
    expect(t?.next).toContain('flux suspend helmrelease n -n ns')
  })

  it('v2beta1: UpgradeFailed/InstallFailed is terminal only once the failures exceed the retries', () => {
    const failing = (n: number, retries?: number, reason = 'UpgradeFailed') =>
      hr(
        {
          [reason === 'InstallFailed' ? 'installFailures' : 'upgradeFailures']: n,
          conditions: [cond('Ready', 'False', reason, 'boom')],
        },
        retries === undefined
          ? {}
          : { [reason === 'InstallFailed' ? 'install' : 'upgrade']: { remediation: { retries } } },
      )
    expect(terminalState(failing(1)), 'default 0 retries: the first failure').toMatchObject({
      reason: 'UpgradeFailed',
      message: 'boom; 1 failed upgrade attempt(s), remediation retries (0) exhausted',
    })
    expect(terminalState(failing(3, 30)), 'retries left').toBeUndefined()
    expect(terminalState(failing(31, 30))).toMatchObject({ reason: 'UpgradeFailed' })
    expect(terminalState(failing(100, -1)), 'negative = unlimited').toBeUndefined()
    expect(terminalState(failing(1, 0, 'InstallFailed'))).toMatchObject({ reason: 'InstallFailed' })
    expect(terminalState(hr({ conditions: [cond('Ready', 'Unknown', 'Progressing')] }))).toBeUndefined()
    expect(
      terminalState(
        obj('HelmRelease', {
          status: { observedGeneration: 1, conditions: [cond('Stalled', 'True', 'RetriesExceeded')] },
        }),
      ),
      'not observed at the current generation',
    ).toBeUndefined()
  })

  it('on workload clusters the object names the cluster; kommanderState carries it as StepState.failed', () => {
    const stalled = hr({
      conditions: [cond('Stalled', 'True', 'RetriesExceeded', 'Failed to upgrade after 1 attempt(s)')],
    })
    expect(
      firstTerminalOn([
        { cluster: 'a', helmReleases: [] },
        { cluster: 'b', helmRelease: stalled },
      ])?.object,
    ).toBe('HelmRelease ns/n on cluster b')
    const state = kommanderState({
      target: 'v2.8.1',
      helmReleases: [
        {
          ...stalled,
          metadata: { ...stalled.metadata, name: 'kommander', namespace: 'kommander' },
          spec: { chart: { spec: { version: 'v2.8.1' } } },
        } as never,
      ],
      appDeployments: [],
      clusterApps: [],
      kommanderCores: [],
    })
    expect(state.done).toBe(false)
    expect(state.failed).toMatchObject({
      object: 'HelmRelease kommander/kommander',
      reason: 'RetriesExceeded',
    })
  })
})

describe('Velero Backup', () => {
  it('Failed, PartiallyFailed and FailedValidation with counts and reasons', () => {
    const b = (status: Record<string, unknown>) => obj('Backup', { status })
    expect(
      terminalState(
        b({
          phase: 'PartiallyFailed',
          errors: 3,
          warnings: 2,
          progress: { itemsBackedUp: 97, totalItems: 100 },
        }),
      ),
    ).toMatchObject({
      object: 'Velero Backup ns/n',
      reason: 'PartiallyFailed',
      message: '3 error(s), 2 warning(s); 97/100 items backed up',
    })
    expect(terminalState(b({ phase: 'Failed', errors: 1, failureReason: 'rpc error' }))?.message).toContain(
      'failure reason: rpc error',
    )
    expect(
      terminalState(b({ phase: 'FailedValidation', validationErrors: ['no location'] }))?.message,
    ).toContain('validation errors: no location')
    expect(terminalState(b({ phase: 'InProgress' }))).toBeUndefined()
    expect(terminalState(b({ phase: 'Completed' }))).toBeUndefined()
  })
})

describe('Machine drain past nodeDrainTimeout', () => {
  const machine = (spec: Record<string, unknown>, status: Record<string, unknown>, deleting = true) =>
    obj('Machine', { spec, status }, deleting ? { deletionTimestamp: T0 } : {})
  const draining = (at: string) => ({
    nodeRef: { name: 'ip-10-0-1-7' },
    conditions: [cond('DrainingSucceeded', 'False', 'DrainingFailed', 'Cannot evict pod', at)],
  })
  const now = new Date('2026-01-01T10:05:00Z')

  it('v1beta1: from DrainingSucceeded lastTransitionTime; v1beta2: from status.deletion.nodeDrainStartTime', () => {
    const over = machine({ nodeDrainTimeout: '2m0s' }, draining('2026-01-01T10:01:00Z'))
    expect(terminalState(over, now)).toMatchObject({
      object: 'Machine ns/n',
      reason: 'DrainingFailed',
      message:
        'draining node ip-10-0-1-7 since 2026-01-01T10:01:00Z, longer than its nodeDrainTimeout 2m0s: Cannot evict pod',
      since: '2026-01-01T10:01:00Z',
    })
    expect(terminalState(over, now)?.next).toContain('kubectl get pdb -A')
    expect(
      terminalState(machine({ nodeDrainTimeout: '10m' }, draining('2026-01-01T10:01:00Z')), now),
    ).toBeUndefined()
    const v1beta2 = machine(
      { nodeDrainTimeout: '30s' },
      { ...draining('2026-01-01T10:04:50Z'), deletion: { nodeDrainStartTime: '2026-01-01T10:00:00Z' } },
    )
    expect(terminalState(v1beta2, now)?.since).toBe('2026-01-01T10:00:00Z')
  })

  it('no timeout (unset or 0), not deleting, or drained: not terminal', () => {
    expect(terminalState(machine({}, draining(T0)), now)).toBeUndefined()
    expect(terminalState(machine({ nodeDrainTimeout: '0s' }, draining(T0)), now)).toBeUndefined()
    expect(terminalState(machine({ nodeDrainTimeout: '1s' }, draining(T0), false), now)).toBeUndefined()
    expect(
      terminalState(
        machine({ nodeDrainTimeout: '1s' }, { conditions: [cond('DrainingSucceeded', 'True')] }),
        now,
      ),
    ).toBeUndefined()
  })

  it('Go durations', () => {
    expect(goDurationMs('10m0s')).toBe(600_000)
    expect(goDurationMs('1h2m3.5s')).toBe(3_723_500)
    expect(goDurationMs('500ms')).toBe(500)
    expect(goDurationMs('0')).toBe(0)
    expect(goDurationMs('ten minutes')).toBeUndefined()
    expect(goDurationMs('5x')).toBeUndefined()
  })
})

it('describeTerminal / TerminalError / sameTerminal', () => {
  const t = {
    object: 'MachineDeployment ns/md',
    reason: 'MachineDeploymentFailed',
    message: 'no capacity.',
    next: 'fix it',
    since: T0,
  }
  expect(describeTerminal(t)).toBe(
    'MachineDeployment ns/md failed (MachineDeploymentFailed): no capacity. Next: fix it',
  )
  const err = new TerminalError(t, 'dkp update nodepool aws md')
  expect(err.message).toBe(`${describeTerminal(t)} (stopped waiting and killed dkp update nodepool aws md)`)
  expect(err.failure).toBe(t)
  expect(sameTerminal(t, { ...t })).toBe(true)
  expect(sameTerminal(t, { ...t, since: '2026-01-01T10:00:01Z' })).toBe(false)
  expect(sameTerminal(t, undefined)).toBe(false)
})
