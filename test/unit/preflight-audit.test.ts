// Attribution of deprecated-API requests from an audit log (clusters[].auditLog): the pure
// parse (annotations, dedupe by auditID, malformed lines), the bounded tail, the inventory
// field, and the finding that names the clients.

import { describe, expect, it } from 'vitest'
import { InputError } from '../../src/core/errors.js'
import { parseInventory } from '../../src/core/inventory.js'
import { auditAttribution, auditTail, describeClients } from '../../src/core/preflight-audit.js'
import { deprecatedRequestFindings } from '../../src/core/preflight-metrics.js'
import { auditLogsOf } from '../../src/stages/check-fleet.js'

const event = (o: Record<string, unknown>) =>
  JSON.stringify({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    stage: 'ResponseComplete',
    objectRef: { resource: 'cronjobs', apiGroup: 'batch', apiVersion: 'v1beta1' },
    user: { username: 'system:serviceaccount:ci:deployer' },
    userAgent: 'helm/v3.14.0',
    annotations: { 'k8s.io/deprecated': 'true', 'k8s.io/removed-release': '1.25' },
    ...o,
  })

describe('auditAttribution', () => {
  it('counts annotated requests per API and client, once per auditID; skips the rest', () => {
    const log = [
      event({ auditID: 'a' }),
      event({ auditID: 'a', stage: 'ResponseStarted' }), // same request, another stage
      event({ auditID: 'b' }),
      event({ auditID: 'c', userAgent: 'kubectl/v1.24.0', user: { username: 'alice' } }),
      event({ auditID: 'd', annotations: {} }), // not deprecated
      event({
        auditID: 'e',
        objectRef: { resource: 'ingresses', apiGroup: 'extensions', apiVersion: 'v1beta1' },
        annotations: { 'k8s.io/deprecated': 'true' },
      }),
      event({
        auditID: 'f',
        objectRef: { resource: 'componentstatuses', apiVersion: 'v1' },
        userAgent: undefined,
        user: undefined,
      }),
      '{not json',
      JSON.stringify({ kind: 'Event', auditID: 'g' }), // no objectRef
      '',
    ].join('\n')
    const a = auditAttribution(log)
    expect(a.lines).toBe(9)
    expect(a.skipped).toBe(2)
    expect(a.clients.get('batch/v1beta1/cronjobs/')).toEqual([
      { userAgent: 'helm/v3.14.0', user: 'system:serviceaccount:ci:deployer', requests: 2 },
      { userAgent: 'kubectl/v1.24.0', user: 'alice', requests: 1 },
    ])
    expect(a.clients.get('extensions/v1beta1/ingresses/')).toHaveLength(1)
    expect(a.clients.get('/v1/componentstatuses/')).toEqual([
      { userAgent: '(no user agent)', user: '(unknown user)', requests: 1 },
    ])
  })

  it('describeClients lists at most five and counts the rest', () => {
    const many = Array.from({ length: 7 }, (_, i) => ({ userAgent: `ua${i}`, user: `u${i}`, requests: 1 }))
    expect(describeClients(many)).toBe(
      'ua0 as u0 (1 request); ua1 as u1 (1 request); ua2 as u2 (1 request); ua3 as u3 (1 request); ua4 as u4 (1 request); and 2 more',
    )
  })
})

describe('auditTail (bounded read)', () => {
  it('drops the line the byte window cut and keeps the newest lines', () => {
    expect(auditTail('ut line\nl1\nl2\n', true)).toBe('l1\nl2\n')
    expect(auditTail('l0\nl1\nl2\n', false)).toBe('l0\nl1\nl2\n')
    expect(auditTail('l0\nl1\nl2\nl3\n', false, 2)).toBe('l2\nl3\n')
    expect(auditTail('l0\nl1\nl2\nl3', false, 2)).toBe('l2\nl3')
    expect(auditTail('no newline at all', true)).toBe('')
  })
})

describe('the deprecated-API finding with an audit log', () => {
  const request = {
    group: 'batch',
    version: 'v1beta1',
    resource: 'cronjobs',
    subresource: '',
    removedRelease: '1.25',
  }
  it('names the user agents and users that requested the API', () => {
    const clients = auditAttribution(
      [event({ auditID: 'a' }), event({ auditID: 'b', userAgent: 'argocd/2.9' })].join('\n'),
    ).clients
    const [f] = deprecatedRequestFindings('prod', [request], '1.25.0', clients)
    expect(f!.severity).toBe('error')
    expect(f!.message).toContain(
      'Its audit log names the clients: argocd/2.9 as system:serviceaccount:ci:deployer (1 request); helm/v3.14.0 as system:serviceaccount:ci:deployer (1 request).',
    )
    expect(f!.details).toMatchObject({
      clientUserAgents: 'argocd/2.9, helm/v3.14.0',
      clientUsers: 'system:serviceaccount:ci:deployer',
    })
  })
  it('without a client in the log, says to look for one', () => {
    const [f] = deprecatedRequestFindings('prod', [request], '1.25.0', new Map())
    expect(f!.details?.clients).toBeUndefined()
    expect(f!.remedy).toContain("Find the client in the API server's audit log")
  })
})

describe('inventory clusters[].auditLog', () => {
  const inv = (extra: string) =>
    `apiVersion: dkp-fleet/v1\nkind: Fleet\ntarget:\n  dkp: v2.8.1\n  kubernetes: 1.28.7\nmanagement:\n  name: mgmt\n  provider: aws\nworkspaces:\n  - name: team-a\nclusters:\n  - name: c1\n    workspace: team-a\n    provider: aws\n${extra}`
  it('is kept as written (relative to the inventory file)', () => {
    const { inventory } = parseInventory([
      { path: 'fleet/fleet.yaml', content: inv('    auditLog: audit/c1.log\n') },
    ])
    expect(inventory.clusters[0]!.auditLog).toBe('audit/c1.log')
    expect(inventory.clusters[0]!.source.file).toBe('fleet/fleet.yaml')
    // The check reads it next to the inventory file, from the repository checkout.
    expect(auditLogsOf(inventory, '/repo')).toEqual(new Map([['c1', '/repo/fleet/audit/c1.log']]))
  })
  it('must be a non-empty string, located', () => {
    try {
      parseInventory([{ path: 'fleet.yaml', content: inv('    auditLog: 3\n') }])
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(InputError)
      expect((err as InputError).problems).toMatchObject([
        { path: 'clusters[0].auditLog', source: { file: 'fleet.yaml', line: 15 } },
      ])
    }
  })
})
