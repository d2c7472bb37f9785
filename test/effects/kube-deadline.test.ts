// The Kubernetes client against a black-holed API server (a listener that accepts connections
// and never answers, not even the TLS handshake): a request that times out is retried once, not
// five times, and no call outlives its deadline — the instance's, else the process's — failing
// with a typed KubeError that names the call and what set the deadline.

import net from 'node:net'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { setProcessDeadline } from '../../src/effects/deadline.js'
import { Kube, KubeError } from '../../src/effects/kube.js'

let server: net.Server
let url: string

beforeAll(async () => {
  server = net.createServer((s) => s.on('error', () => {}))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  url = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`
})
afterAll(() => {
  setProcessDeadline(undefined)
  server.close()
})

const kubeconfig = () =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'bh', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'u', user: { token: 'black-hole-token' } }],
    contexts: [{ name: 'c', context: { cluster: 'bh', user: 'u' } }],
    'current-context': 'c',
  })

it('a request that gets no response is retried once, then fails as a request timeout naming the call', async () => {
  const attempts: number[] = []
  const kube = Kube.fromString(kubeconfig(), {
    timeoutMs: 200,
    retry: { retries: 5, baseDelayMs: 10 },
    onRequest: (e) => attempts.push(e.attempt),
  })
  try {
    const err = await kube.get('v1', 'ConfigMap', 'x', 'default').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KubeError)
    expect((err as KubeError).timedOut).toBe('request')
    expect((err as KubeError).message).toMatch(
      /^discover v1: no response within 0\.2 s \(server https:\/\/127\.0\.0\.1:\d+\) \(after 2 attempts\)$/,
    )
    expect(attempts, 'one retry, not five').toEqual([1, 2])
  } finally {
    kube.close()
  }
})

it("the instance's deadline cuts a call mid-request, naming the call and the deadline", async () => {
  const kube = Kube.fromString(kubeconfig(), {
    deadline: { at: Date.now() + 400, what: 'timeout-minutes 0.01' },
  })
  const started = Date.now()
  try {
    const err = await kube.list('v1', 'ConfigMap', { namespace: 'default' }).catch((e: unknown) => e)
    const ms = Date.now() - started
    expect(err).toBeInstanceOf(KubeError)
    expect((err as KubeError).timedOut).toBe('deadline')
    expect((err as KubeError).message).toMatch(
      /^discover v1: no response before the deadline \(timeout-minutes 0\.01\) from https:\/\/127\.0\.0\.1:\d+$/,
    )
    expect(ms).toBeGreaterThanOrEqual(380)
    expect(ms).toBeLessThan(2000)
  } finally {
    kube.close()
  }
})

it("the process's deadline applies to every client without one; a passed deadline fails before any request", async () => {
  let requests = 0
  setProcessDeadline({ at: Date.now() - 1, what: '--timeout-minutes 10' })
  const kube = Kube.fromString(kubeconfig(), { onRequest: () => requests++ })
  try {
    const err = await kube.get('v1', 'Secret', 's', 'default').catch((e: unknown) => e)
    expect((err as KubeError).timedOut).toBe('deadline')
    expect((err as KubeError).message).toContain('(--timeout-minutes 10)')
    expect(requests).toBe(0)
    // an instance deadline wins over the process's
    kube.deadline = { at: Date.now() + 300, what: 'cleanup budget' }
    const cut = await kube.get('v1', 'Secret', 's', 'default').catch((e: unknown) => e)
    expect((cut as KubeError).message).toContain('(cleanup budget)')
    expect(requests).toBe(1)
  } finally {
    setProcessDeadline(undefined)
    kube.close()
  }
})
