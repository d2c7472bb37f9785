// Retries of src/effects/kube.ts on the real apiserver behind test/kube/flaky-proxy.ts: 429
// (Retry-After honoured), 5xx and connection resets are retried with backoff; other 4xx never;
// exhausted retries end in one clear error; every attempt is counted.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Kube, KubeError, type KubeObject, type RequestEvent } from '../../src/effects/kube.js'
import { type FlakyProxy, startFlakyProxy } from '../kube/flaky-proxy.js'
import { createNamespace, useTestCluster } from '../kube/harness.js'

const tc = useTestCluster({ crds: false })
let proxy: FlakyProxy
let ns: string

beforeAll(async () => {
  proxy = await startFlakyProxy(tc)
  ns = await createNamespace(tc.kube)
})
afterAll(async () => {
  await proxy?.close()
})

function client(events: RequestEvent[] = [], retries = 4): Kube {
  return Kube.fromString(proxy.kubeconfig(tc.adminToken), {
    retry: { retries, baseDelayMs: 20, maxDelayMs: 2000 },
    onRequest: (e) => events.push(e),
  })
}

const cm = (name: string): KubeObject & { data: Record<string, string> } => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns },
  data: { a: '1' },
})

describe('retries through a flaky proxy', () => {
  it('retries 429 and honours Retry-After', async () => {
    const events: RequestEvent[] = []
    const kube = client(events)
    await kube.hasResource('v1', 'ConfigMap') // discovery first, so only the get is faulted
    proxy.failNext(2, { status: 429, retryAfter: '1' }, (r) => r.path.includes('/configmaps/'))
    await tc.kube.create(cm('r429'))
    const started = Date.now()
    const got = await kube.get('v1', 'ConfigMap', 'r429', ns)
    const elapsed = Date.now() - started
    expect(got?.metadata.name).toBe('r429')
    expect(events.filter((e) => e.path.includes('/configmaps/')).map((e) => e.status)).toEqual([
      429, 429, 200,
    ])
    expect(elapsed).toBeGreaterThanOrEqual(1900) // 2 × Retry-After: 1 s (backoff alone would be ~60 ms)
    expect(kube.retriedRequests).toBe(2)
  })

  it('retries 500/503 and connection resets, for reads and writes', async () => {
    const events: RequestEvent[] = []
    const kube = client(events)
    await kube.hasResource('v1', 'ConfigMap')
    proxy.failNext(1, { status: 500 }, (r) => r.method === 'POST')
    proxy.failNext(1, 'reset', (r) => r.method === 'POST')
    proxy.failNext(1, { status: 503 }, (r) => r.method === 'POST')
    const created = await kube.create(cm('r5xx'))
    expect(created.metadata.uid).toBeTruthy()
    expect(events.filter((e) => e.method === 'POST').map((e) => e.status)).toEqual([500, 0, 503, 201])

    proxy.failNext(2, 'reset', (r) => r.method === 'PATCH')
    const patched = await kube.patchMerge('v1', 'ConfigMap', 'r5xx', ns, { data: { a: '2' } })
    expect((patched as unknown as { data: Record<string, string> }).data.a).toBe('2')

    proxy.failNext(1, { status: 502 }, (r) => r.method === 'GET' && r.path.includes('/configmaps?'))
    expect((await kube.list('v1', 'ConfigMap', { namespace: ns })).length).toBeGreaterThanOrEqual(2)
  })

  it('never retries other 4xx', async () => {
    const events: RequestEvent[] = []
    const kube = client(events)
    await kube.hasResource('v1', 'ConfigMap')
    proxy.failNext(
      1,
      { status: 403, message: 'nope' },
      (r) => r.method === 'GET' && r.path.includes('/configmaps/'),
    )
    const err = (await kube.get('v1', 'ConfigMap', 'r429', ns).catch((e: unknown) => e)) as KubeError
    expect(err.code).toBe(403)
    expect(err.attempts).toBe(1)
    await tc.kube.create(cm('dup'))
    const dup = (await kube.create(cm('dup')).catch((e: unknown) => e)) as KubeError
    expect(dup.code).toBe(409)
    expect(dup.attempts).toBe(1)
    expect(events.filter((e) => e.path.includes('/configmaps')).length).toBe(2)
  })

  it('gives up after the bounded retries with one message naming the call and the last status', async () => {
    const events: RequestEvent[] = []
    const kube = client(events, 2)
    await kube.hasResource('v1', 'ConfigMap')
    proxy.failNext(3, { status: 503, message: 'etcd leader changed' }, (r) =>
      r.path.includes('/configmaps/r429'),
    )
    const err = (await kube.get('v1', 'ConfigMap', 'r429', ns).catch((e: unknown) => e)) as KubeError
    expect(err).toBeInstanceOf(KubeError)
    expect(err.message).toBe(
      `get ConfigMap ${ns}/r429: HTTP 503 InternalError: etcd leader changed (after 3 attempts)`,
    )
    expect(err.message).not.toContain(tc.adminToken)
    expect(events.filter((e) => e.path.includes('/configmaps/r429')).map((e) => e.status)).toEqual([
      503, 503, 503,
    ])

    proxy.failNext(3, 'reset', (r) => r.path.includes('/configmaps/r429'))
    const net = (await kube.get('v1', 'ConfigMap', 'r429', ns).catch((e: unknown) => e)) as KubeError
    expect(net.code).toBe(0)
    expect(net.message).toMatch(
      new RegExp(
        `^get ConfigMap ${ns}/r429: ECONNRESET: .*\\(server https://127\\.0\\.0\\.1:\\d+\\) \\(after 3 attempts\\)$`,
      ),
    )
  })

  it('times out a hanging request and retries it', async () => {
    const kube = Kube.fromString(proxy.kubeconfig(tc.adminToken), {
      timeoutMs: 300,
      retry: { retries: 1, baseDelayMs: 10 },
    })
    await kube.hasResource('v1', 'ConfigMap')
    proxy.failNext(1, 'hang', (r) => r.path.includes('/configmaps/r429'))
    expect((await kube.get('v1', 'ConfigMap', 'r429', ns))?.metadata.name).toBe('r429')
    expect(kube.retriedRequests).toBe(1)
  })

  it('counts every request per instance, retries included', async () => {
    const kube = client()
    let hooked = 0
    const off = kube.onRequest(() => {
      hooked++
    })
    proxy.failNext(1, { status: 500 }, (r) => r.path.includes('/configmaps/r429'))
    await kube.get('v1', 'ConfigMap', 'r429', ns) // discovery + 500 + 200
    expect(kube.requests).toBe(3)
    expect(hooked).toBe(3)
    off()
    await kube.get('v1', 'ConfigMap', 'r429', ns)
    expect(kube.requests).toBe(4)
    expect(hooked).toBe(3)
  })
})
