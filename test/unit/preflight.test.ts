// The pre-flight rules (issue 20) on plain objects: drain blockers, kubelet skew, deprecated
// APIs requested (parsed from metric text captured from the real kube-apiserver v1.36.3),
// certificates and etcd. Every rule is also shown silent on the fixed object.

import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { certificateFindings, etcdFindings } from '../../src/core/preflight-certs.js'
import { drainFindings, selectorMatches } from '../../src/core/preflight-drain.js'
import { deprecatedRequestFindings, parseDeprecatedRequests } from '../../src/core/preflight-metrics.js'
import type { Node, Pdb, Pod } from '../../src/core/preflight-objects.js'
import { preflightRules } from '../../src/core/preflight-rules.js'
import { allowedKubeletLag, kubeletSkewFindings, skewRefusal } from '../../src/core/preflight-skew.js'
import { ruleHelpIds } from '../../src/core/rule-help.js'

const pod = (
  name: string,
  o: Partial<Pod['spec']> & { labels?: Record<string, string>; owner?: string } = {},
): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: 'apps',
    labels: o.labels ?? { app: name },
    ...(o.owner
      ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: o.owner, name: 'x', controller: true }] }
      : {}),
  },
  spec: { nodeName: o.nodeName ?? 'node-a', ...(o.volumes ? { volumes: o.volumes } : {}) },
  status: { phase: 'Running' },
})

const pdb = (name: string, spec: Pdb['spec'], status?: Pdb['status']): Pdb => ({
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: { name, namespace: 'apps' },
  spec,
  ...(status ? { status } : {}),
})

describe('drain blockers', () => {
  const web = [
    pod('web-1', { labels: { app: 'web' }, owner: 'ReplicaSet' }),
    pod('web-2', { labels: { app: 'web' }, owner: 'ReplicaSet', nodeName: 'node-b' }),
  ]
  const drainOf = (n: string) =>
    n === 'node-a' ? { machine: 'ns/m-a' } : { machine: 'ns/m-b', timeout: '10m' }

  it('a budget that allows no disruption with healthy pods is an error at the PDB, saying how long the drain waits', () => {
    const f = drainFindings(
      'c1',
      [
        pdb(
          'web',
          { selector: { matchLabels: { app: 'web' } }, minAvailable: 1 },
          { disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2, expectedPods: 2 },
        ),
      ],
      web,
      drainOf,
    )
    expect(f).toHaveLength(1)
    expect(f[0]).toMatchObject({
      ruleId: 'drain/pdb-blocks',
      severity: 'error',
      cluster: 'c1',
      object: { kind: 'PodDisruptionBudget', namespace: 'apps', name: 'web' },
      details: { reason: 'no-disruption-allowed', drainWaitsForever: true },
    })
    expect(f[0]!.message).toContain('would wait forever (nodeDrainTimeout unset)')
    // the fix: one disruption allowed
    expect(
      drainFindings(
        'c1',
        [
          pdb(
            'web',
            { selector: { matchLabels: { app: 'web' } }, minAvailable: 1 },
            { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2 },
          ),
        ],
        web,
        drainOf,
      ),
    ).toEqual([])
  })

  it('maxUnavailable 0 and minAvailable covering every pod block by spec alone; a single replica is named', () => {
    expect(
      drainFindings(
        'c1',
        [pdb('a', { selector: { matchLabels: { app: 'web' } }, maxUnavailable: '0%' })],
        web,
      )[0]?.details?.reason,
    ).toBe('max-unavailable-zero')
    expect(
      drainFindings('c1', [pdb('a', { selector: { matchLabels: { app: 'web' } }, minAvailable: 2 })], web)[0]
        ?.details?.reason,
    ).toBe('min-available-all')
    expect(
      drainFindings(
        'c1',
        [pdb('a', { selector: { matchLabels: { app: 'web' } }, minAvailable: '100%' })],
        web,
      )[0]?.details?.reason,
    ).toBe('min-available-all')
    const single = drainFindings(
      'c1',
      [pdb('db', { selector: { matchLabels: { app: 'db' } }, minAvailable: 1 })],
      [pod('db-0', { labels: { app: 'db' }, owner: 'StatefulSet', nodeName: 'node-b' })],
      drainOf,
    )
    expect(single[0]).toMatchObject({ details: { reason: 'single-replica', drainWaitsForever: false } })
    expect(single[0]!.message).toContain('would wait 10m (nodeDrainTimeout)')
    expect(
      drainFindings('c1', [pdb('a', { selector: { matchLabels: { app: 'web' } }, minAvailable: 1 })], web),
    ).toEqual([])
  })

  it('a status nobody computed yet (what the API server stores on create) does not hide a spec that blocks', () => {
    const zeroed = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 }
    const f = drainFindings(
      'c1',
      [pdb('a', { selector: { matchLabels: { app: 'web' } }, minAvailable: 2 }, zeroed)],
      web,
    )
    expect(f[0]?.details?.reason).toBe('min-available-all')
    expect(
      drainFindings(
        'c1',
        [pdb('a', { selector: { matchLabels: { app: 'web' } }, minAvailable: 1 }, zeroed)],
        web,
      ),
    ).toEqual([])
  })

  it('a budget that selects nothing is a warning; pods of other namespaces do not count', () => {
    const other = {
      ...pod('web-x', { labels: { app: 'web' }, owner: 'ReplicaSet' }),
      metadata: { name: 'web-x', namespace: 'other', labels: { app: 'web' } },
    }
    const f = drainFindings(
      'c1',
      [pdb('gone', { selector: { matchLabels: { app: 'web' } }, maxUnavailable: 1 })],
      [other as Pod],
    )
    expect(f.map((x) => [x.ruleId, x.severity])).toEqual([
      ['drain/pdb-no-match', 'warning'],
      ['drain/bare-pod', 'warning'],
    ])
  })

  it('bare pods and emptyDir pods are warnings at the pod; DaemonSet, mirror and finished pods are left alone', () => {
    const bare = pod('debug')
    const scratch = pod('cache-1', {
      owner: 'ReplicaSet',
      volumes: [{ name: 'tmp', emptyDir: {} }, { name: 'cfg' }],
    })
    const ds = pod('agent', { owner: 'DaemonSet', volumes: [{ name: 'tmp', emptyDir: {} }] })
    const mirror: Pod = {
      ...pod('etcd-node-a'),
      metadata: {
        name: 'etcd-node-a',
        namespace: 'kube-system',
        annotations: { 'kubernetes.io/config.mirror': 'x' },
      },
    }
    const done: Pod = { ...pod('job-done'), status: { phase: 'Succeeded' } }
    const f = drainFindings('c1', [], [bare, scratch, ds, mirror, done])
    expect(f.map((x) => `${x.ruleId} ${x.object?.name}`)).toEqual([
      'drain/bare-pod debug',
      'drain/emptydir-data cache-1',
    ])
    expect(f[1]!.details).toEqual({ volumes: 'tmp' })
  })

  it('label selectors: null matches nothing, {} everything, expressions as Kubernetes defines them', () => {
    expect(selectorMatches(null, { a: '1' })).toBe(false)
    expect(selectorMatches({}, { a: '1' })).toBe(true)
    expect(
      selectorMatches({ matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '2'] }] }, { a: '2' }),
    ).toBe(true)
    expect(
      selectorMatches({ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }, { a: '1' }),
    ).toBe(false)
    expect(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, {})).toBe(true)
    expect(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'Exists' }] }, {})).toBe(false)
  })
})

describe('kubelet skew', () => {
  const node = (name: string, v: string): Node => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    status: { nodeInfo: { kubeletVersion: v } },
  })

  it('follows the policy: three minors from kubelet 1.25, two before, never newer', () => {
    expect(allowedKubeletLag(25)).toBe(3)
    expect(allowedKubeletLag(24)).toBe(2)
    const f = kubeletSkewFindings(
      'c1',
      [node('ok', 'v1.28.7'), node('old', 'v1.24.9'), node('new', 'v1.30.0'), node('three', 'v1.26.1')],
      '1.29.6',
      '1.28.7',
    )
    expect(f.map((x) => `${x.severity} ${x.object?.name}`)).toEqual([
      'error old',
      'error new',
      'warning three',
    ])
    expect(f[0]!.object).toEqual({ apiVersion: 'v1', kind: 'Node', name: 'old' })
    expect(skewRefusal(f).map((x) => x.object?.name)).toEqual(['old', 'new'])
    // 1.24 → 1.26 is two minors: allowed for a 1.24 kubelet; 1.25 → 1.28 three: allowed
    expect(kubeletSkewFindings('c1', [node('a', '1.24.0')], '1.26.0')).toEqual([])
    expect(kubeletSkewFindings('c1', [node('a', '1.25.0')], '1.28.0')).toEqual([])
    expect(kubeletSkewFindings('c1', [node('a', '1.24.0')], '1.27.0')).toHaveLength(1)
  })
})

describe('deprecated APIs requested (apiserver_requested_deprecated_apis)', () => {
  const captured = readFileSync(
    resolve(import.meta.dirname, '../fixtures/metrics/kube-apiserver-v1.36.3.txt'),
    'utf8',
  )

  it('parses the metric text of the real kube-apiserver v1.36.3: a served beta (removed_release 1.37) and a deprecated CRD version (none)', () => {
    expect(parseDeprecatedRequests(captured)).toEqual([
      {
        group: 'networking.k8s.io',
        version: 'v1beta1',
        resource: 'ipaddresses',
        subresource: '',
        removedRelease: '1.37',
      },
      {
        group: 'probe.example.com',
        version: 'v1beta1',
        resource: 'widgets',
        subresource: '',
        removedRelease: '',
      },
    ])
    const sev = (target: string) =>
      deprecatedRequestFindings('mgmt', parseDeprecatedRequests(captured), target).map(
        (f) => `${f.severity} ${f.object?.apiVersion}`,
      )
    expect(sev('1.37')).toEqual(['error networking.k8s.io/v1beta1', 'info probe.example.com/v1beta1'])
    expect(sev('1.36.3')).toEqual(['warning networking.k8s.io/v1beta1', 'info probe.example.com/v1beta1'])
  })

  it('removed at or before the target is an error, later a warning; zero gauges, comments and other metrics are ignored', () => {
    const text = [
      '# HELP apiserver_requested_deprecated_apis x',
      'apiserver_requested_deprecated_apis{group="batch",removed_release="1.25",resource="cronjobs",subresource="",version="v1beta1"} 1',
      'apiserver_requested_deprecated_apis{group="",removed_release="1.40",resource="pods",subresource="status",version="v2beta1"} 1',
      'apiserver_requested_deprecated_apis{group="flowcontrol.apiserver.k8s.io",removed_release="1.29",resource="flowschemas",subresource="",version="v1beta2"} 0',
      'xapiserver_requested_deprecated_apis{group="a",removed_release="1.1",resource="b",subresource="",version="v1"} 1',
    ].join('\n')
    const f = deprecatedRequestFindings('c1', parseDeprecatedRequests(text), '1.29.6')
    expect(f.map((x) => `${x.severity} ${x.details?.resource}`)).toEqual(['error cronjobs', 'warning pods'])
    expect(f[1]!.object).toEqual({ apiVersion: 'v2beta1', kind: 'pods', name: '*/status' })
  })
})

describe('certificates and etcd', () => {
  const dir = mkdtempSync(join(tmpdir(), 'preflight-cert-'))
  const certB64 = (days: number) => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'k.pem'),
        '-out',
        join(dir, 'c.pem'),
        '-days',
        String(days),
        '-subj',
        '/CN=kubernetes',
      ],
      { stdio: 'ignore' },
    )
    return readFileSync(join(dir, 'c.pem')).toString('base64')
  }
  const secret = (name: string, crt: string) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'cluster.x-k8s.io/secret',
    metadata: { name, namespace: 'ns' },
    data: { 'tls.crt': crt },
  })

  it('a CA Secret expiring within 7 days is an error, within 30 a warning, later nothing', () => {
    const now = new Date()
    const f = certificateFindings(
      'c1',
      [secret('c1-ca', certB64(3)), secret('c1-etcd', certB64(20)), secret('c1-proxy', certB64(365))],
      [],
      { now },
    )
    expect(f.map((x) => `${x.severity} ${x.object?.name}`)).toEqual(['error c1-ca', 'warning c1-etcd'])
    const machine = {
      apiVersion: 'cluster.x-k8s.io/v1beta1',
      kind: 'Machine',
      metadata: { name: 'cp-0', namespace: 'ns' },
      status: { certificatesExpiryDate: new Date(now.getTime() - 1000).toISOString() },
    }
    expect(certificateFindings('c1', [], [machine], { now })[0]!.message).toContain('expired at')
  })

  it('EtcdClusterHealthy=False on a KubeadmControlPlane is an error; True or absent is not', () => {
    const kcp = (status: string) => ({
      apiVersion: 'controlplane.cluster.x-k8s.io/v1beta1',
      kind: 'KubeadmControlPlane',
      metadata: { name: 'c1-cp', namespace: 'ns' },
      status: {
        conditions: [
          {
            type: 'EtcdClusterHealthy',
            status,
            reason: 'EtcdClusterUnhealthy',
            message: 'member cp-1 unreachable',
          },
        ],
      },
    })
    expect(etcdFindings('c1', kcp('False'))[0]).toMatchObject({
      ruleId: 'etcd/member-unhealthy',
      severity: 'error',
      object: { name: 'c1-cp' },
    })
    expect(etcdFindings('c1', kcp('True'))).toEqual([])
    expect(etcdFindings('c1', undefined)).toEqual([])
  })
})

it('every pre-flight rule has help in data/rules.json', () => {
  const ids = ruleHelpIds()
  for (const r of preflightRules()) {
    expect(ids).toContain(r.id)
    expect(r.help.length).toBeGreaterThan(10)
  }
  expect(preflightRules()).toHaveLength(8)
})
