// Live use of an API the target removes, end to end on a real kube-apiserver: the pinned
// v1.36.3 serves no built-in API as deprecated by default (every group it serves is at v1, plus
// autoscaling/v2), so this file starts its own apiserver from the same binary with
// `--runtime-config=networking.k8s.io/v1beta1=true` (IPAddress and ServiceCIDR betas, which that
// release marks deprecated with removed_release 1.37). A client lists IPAddresses at v1beta1;
// the check's read (GET /metrics through the Kube client), the parser and the rule then report
// it: an error for a 1.37 target, a warning for 1.36, nothing for a version nobody requested.
// The apiserver also writes an audit log (`--audit-log-path`, a Metadata-level policy): the
// inventory's `auditLog` read names the client of the deprecated request (its user agent and
// user) in the finding, from the `k8s.io/deprecated`/`k8s.io/removed-release` annotations the
// apiserver itself puts on the event.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { PREFLIGHT } from '../../src/core/preflight-objects.js'
import { Kube } from '../../src/effects/kube.js'
import { readServer, serverFindings } from '../../src/stages/preflight-read.js'
import type { WorkloadCluster } from '../../src/stages/workload-kube.js'
import { useTestCluster } from '../kube/harness.js'

const auditDir = mkdtempSync(join(tmpdir(), 'dkp-fleet-audit-'))
const auditLog = join(auditDir, 'audit.log')
writeFileSync(
  join(auditDir, 'policy.yaml'),
  'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n  - level: Metadata\n',
)
const tc = useTestCluster({
  crds: false,
  apiserverFlags: [
    '--runtime-config=networking.k8s.io/v1beta1=true',
    `--audit-policy-file=${join(auditDir, 'policy.yaml')}`,
    `--audit-log-path=${auditLog}`,
    '--audit-log-format=json',
    '--audit-log-mode=blocking',
  ],
})
afterAll(() => rmSync(auditDir, { recursive: true, force: true }))
const USER_AGENT = 'legacy-ipam-controller/0.9.1 (dkp-fleet audit test)'

describe('deprecated APIs requested, read from the real apiserver /metrics', () => {
  it('a request for networking.k8s.io/v1beta1 is an error for a 1.37 target, a warning for 1.36', async () => {
    const kube = tc.client()
    const wc = {
      name: 'c1',
      source: 'test',
      server: tc.server,
      management: true,
      kube,
    } as unknown as WorkloadCluster
    const before = serverFindings(await readServer(wc), {
      cluster: 'c1',
      target: '1.37.0',
      drainOf: () => undefined,
    })
    expect(before.filter((f) => f.ruleId === PREFLIGHT.deprecatedRequested)).toEqual([])

    await kube.list('networking.k8s.io/v1beta1', 'IPAddress')
    const read = await readServer(wc)
    expect(read.missing).toEqual([])
    const at = (target: string) =>
      serverFindings(read, { cluster: 'c1', target, drainOf: () => undefined }).filter(
        (f) => f.ruleId === PREFLIGHT.deprecatedRequested,
      )
    expect(at('1.37.0')).toMatchObject([
      {
        severity: 'error',
        cluster: 'c1',
        object: { apiVersion: 'networking.k8s.io/v1beta1', kind: 'ipaddresses' },
        details: { removedRelease: '1.37' },
      },
    ])
    expect(at('1.36.3').map((f) => f.severity)).toEqual(['warning'])
    kube.close()
  })
})

describe('deprecated APIs requested, attributed from the real apiserver audit log', () => {
  it("names the request's user agent and service account in the finding", async () => {
    // The client is a workload: a service account (its token from the TokenRequest API) bound
    // to a role that may list ServiceCIDRs, with a user agent of its own.
    const kube = tc.client()
    await kube.create({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'legacy-ipam', namespace: 'default' },
    })
    await kube.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'legacy-ipam' },
      rules: [{ apiGroups: ['networking.k8s.io'], resources: ['servicecidrs'], verbs: ['list'] }],
    })
    await kube.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'legacy-ipam' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'legacy-ipam' },
      subjects: [{ kind: 'ServiceAccount', name: 'legacy-ipam', namespace: 'default' }],
    })
    const tr = await kube.raw<{ status: { token: string } }>(
      'POST',
      '/api/v1/namespaces/default/serviceaccounts/legacy-ipam/token',
      {
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { expirationSeconds: 600 },
        },
      },
    )
    const legacy = Kube.fromInline(
      { server: tc.server, caData: tc.caData, insecureSkipTlsVerify: false, token: tr.status.token },
      { userAgent: USER_AGENT },
    )
    await legacy.list('networking.k8s.io/v1beta1', 'ServiceCIDR')
    await legacy.list('networking.k8s.io/v1beta1', 'ServiceCIDR')
    legacy.close()
    const wc = {
      name: 'c1',
      source: 'test',
      server: tc.server,
      management: true,
      kube,
    } as unknown as WorkloadCluster
    const read = await readServer(wc, { auditLog })
    kube.close()
    expect(read.missing).toEqual([])
    // The apiserver's own event for the request, as written (the annotation names, C).
    const event = readFileSync(auditLog, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .find((e) => e.userAgent === USER_AGENT && e.objectRef?.resource === 'servicecidrs')
    expect(event.annotations).toMatchObject({ 'k8s.io/deprecated': 'true', 'k8s.io/removed-release': '1.37' })
    expect(event.objectRef).toMatchObject({
      apiGroup: 'networking.k8s.io',
      apiVersion: 'v1beta1',
      resource: 'servicecidrs',
    })
    const user = event.user.username as string
    expect(user).toBe('system:serviceaccount:default:legacy-ipam')

    const findings = serverFindings(read, {
      cluster: 'c1',
      target: '1.37.0',
      drainOf: () => undefined,
    }).filter((f) => f.ruleId === PREFLIGHT.deprecatedRequested && f.object?.kind === 'servicecidrs')
    expect(findings).toHaveLength(1)
    expect(findings[0]!.severity).toBe('error')
    expect(findings[0]!.details).toMatchObject({ clientUserAgents: USER_AGENT, clientUsers: user })
    expect(findings[0]!.message).toContain(
      `Its audit log names the clients: ${USER_AGENT} as ${user} (2 requests)`,
    )

    // An unreadable audit log is a scan-incomplete warning; the metric finding stays, unattributed.
    const other = tc.client()
    const missing = await readServer({ ...wc, kube: other } as WorkloadCluster, {
      auditLog: join(auditDir, 'nope.log'),
    })
    other.close()
    expect(missing.missing.map((m) => m.what)).toEqual([`the audit log ${join(auditDir, 'nope.log')}`])
    const plain = serverFindings(missing, {
      cluster: 'c1',
      target: '1.37.0',
      drainOf: () => undefined,
    }).filter((f) => f.ruleId === PREFLIGHT.deprecatedRequested && f.object?.kind === 'servicecidrs')
    expect(plain[0]!.details?.clientUserAgents).toBeUndefined()
  })
})
