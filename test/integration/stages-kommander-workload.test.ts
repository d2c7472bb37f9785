// workload-kube: reaching a workspace/managed/attached cluster through its kubeconfig Secret on
// the management cluster, on the real apiserver. Both Secret keys, the CAPI fallback, the
// management cluster itself, caching (API calls per kind and cluster, clients shared by
// identical kubeconfigs), masking, and a clear error naming the cluster for every way it can
// fail (unreachable, Secret missing, no kubeconfig key, not joined, unknown).

import { readFileSync } from 'node:fs'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { K } from '../../src/core/kinds.js'
import { buildPlan } from '../../src/core/plan.js'
import { loadInventory } from '../../src/effects/inventory-files.js'
import type { Kube } from '../../src/effects/kube.js'
import { packageRoot } from '../../src/fleet/control-plane.js'
import { API } from '../../src/fleet/objects.js'
import { makeEnv } from '../../src/stages/execute.js'
import type { StageEnv } from '../../src/stages/types.js'
import { workloadCluster, workspaceClusters } from '../../src/stages/workload-kube.js'
import {
  type Attack,
  attacks,
  type Listener,
  recordingListener,
  type Tripwires,
  tripwires,
} from '../helpers/hostile-kubeconfig.js'
import { createNamespace, useTestCluster } from '../kube/harness.js'

const tc = useTestCluster()
let ns: string
let mgmtKube: Kube
let env: StageEnv
let kubeconfig: string

async function secret(name: string, data: Record<string, string>) {
  await tc.kube.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: ns },
    stringData: data,
  })
}

async function kommanderCluster(name: string, kubeconfigRef?: string) {
  await tc.kube.create({
    apiVersion: API.kommander,
    kind: 'KommanderCluster',
    metadata: { name, namespace: ns },
    spec: kubeconfigRef ? { kubeconfigRef: { name: kubeconfigRef } } : {},
  })
}

beforeAll(async () => {
  ns = await createNamespace(tc.kube, 'ws')
  kubeconfig = readFileSync(tc.kubeconfigPath, 'utf8')
  const down = JSON.parse(kubeconfig)
  for (const c of down.clusters) c.cluster.server = 'https://127.0.0.1:1'
  await secret('managed-kubeconfig', { value: kubeconfig })
  await secret('attached-kubeconfig', { kubeconfig })
  await secret('down-kubeconfig', { value: JSON.stringify(down) })
  await secret('badkey-kubeconfig', { other: 'x' })
  await secret('capi-only-kubeconfig', { value: kubeconfig })
  await kommanderCluster('managed', 'managed-kubeconfig')
  await kommanderCluster('attached', 'attached-kubeconfig')
  await kommanderCluster('down', 'down-kubeconfig')
  await kommanderCluster('nosecret', 'nosecret-kubeconfig')
  await kommanderCluster('badkey', 'badkey-kubeconfig')
  await kommanderCluster('pending')
  await tc.kube.create({
    apiVersion: API.cluster,
    kind: 'Cluster',
    metadata: { name: 'capi-only', namespace: ns },
    spec: {},
  })
  const { inventory } = await loadInventory(join(packageRoot(), 'examples', 'fleet.yaml'))
  mgmtKube = tc.client()
  env = makeEnv({ inventory, plan: buildPlan(inventory) }, mgmtKube)
})

describe('workloadCluster', () => {
  it('reads through the Secret a KommanderCluster names (keys value and kubeconfig), masking its credentials', async () => {
    const masked: string[] = []
    const reporter = { secret: (v: string) => masked.push(v) }
    const managed = await workloadCluster(env, 'managed', { namespace: ns, reporter })
    expect(managed.source).toBe(`Secret ${ns}/managed-kubeconfig (key value)`)
    expect(managed.management).toBe(false)
    expect(managed.server).toBe(tc.server)
    expect(masked).toContain(tc.adminToken)
    const attached = await workloadCluster(env, 'attached', { reporter })
    expect(attached.source).toBe(`Secret ${ns}/attached-kubeconfig (key kubeconfig)`)
    const clusters = await attached.list(...K.kommanderCluster, ns)
    expect(clusters.map((c) => c.metadata.name).sort()).toEqual([
      'attached',
      'badkey',
      'down',
      'managed',
      'nosecret',
      'pending',
    ])
  })

  it('falls back to the CAPI <cluster>-kubeconfig Secret, and to the management connection for the management cluster', async () => {
    expect((await workloadCluster(env, 'capi-only')).source).toBe(
      `Secret ${ns}/capi-only-kubeconfig (key value)`,
    )
    const mgmt = await workloadCluster(env, 'mgmt')
    expect(mgmt).toMatchObject({ management: true, source: 'the management kubeconfig' })
    expect(mgmt.kube).toBe(env.kube)
    expect(mgmt.snapshot).toBe(env.snapshot)
  })

  it('caches per cluster and shares one client between identical kubeconfigs; lists once per kind until refreshed', async () => {
    const a = await workloadCluster(env, 'managed', { namespace: ns })
    const again = await workloadCluster(env, 'managed', { namespace: ns })
    const b = await workloadCluster(env, 'attached', { namespace: ns })
    expect(again).toBe(a)
    expect(b.kube).toBe(a.kube)
    await a.list(...K.helmRelease)
    const before = a.kube.requests
    await a.list(...K.helmRelease, ns)
    await b.list(...K.helmRelease)
    expect(a.kube.requests).toBe(before)
    env.workloads.refresh()
    await b.list(...K.helmRelease)
    expect(a.kube.requests).toBe(before + 1)
    env.workloads.close()
    await b.list(...K.kommanderCluster) // still usable after close
  })

  it('an unreachable cluster is an error naming the cluster, its server and the Secret', async () => {
    const down = await workloadCluster(env, 'down', { namespace: ns })
    const started = Date.now()
    await expect(down.list(...K.helmRelease)).rejects.toThrow(
      new RegExp(
        `^cluster down is unreachable at https://127\\.0\\.0\\.1:1 \\(kubeconfig from Secret ${ns}/down-kubeconfig \\(key value\\)\\): `,
      ),
    )
    expect(Date.now() - started).toBeLessThan(15_000)
  })

  it('names the cluster when its kubeconfig cannot be had', async () => {
    await expect(workloadCluster(env, 'nosecret')).rejects.toThrow(
      `cluster nosecret: its kubeconfig Secret ${ns}/nosecret-kubeconfig (from KommanderCluster ${ns}/nosecret) does not exist`,
    )
    await expect(workloadCluster(env, 'badkey')).rejects.toThrow(
      `cluster badkey: Secret ${ns}/badkey-kubeconfig has no kubeconfig under key "value" or "kubeconfig" (keys: other)`,
    )
    await expect(workloadCluster(env, 'pending')).rejects.toThrow(
      `cluster pending: KommanderCluster ${ns}/pending has no spec.kubeconfigRef (phase unknown): it is not joined, its kubeconfig is unknown`,
    )
    await expect(workloadCluster(env, 'nowhere')).rejects.toThrow(
      'cluster nowhere: no KommanderCluster and no CAPI Cluster of that name on the management cluster, so its kubeconfig Secret is unknown',
    )
    // a failure is not cached: once the Secret exists the cluster is reachable
    await secret('nosecret-kubeconfig', { value: kubeconfig })
    expect((await workloadCluster(env, 'nosecret')).source).toBe(
      `Secret ${ns}/nosecret-kubeconfig (key value)`,
    )
  })

  it('workspaceClusters lists the KommanderClusters of a workspace namespace', async () => {
    env.snapshot.refresh()
    expect((await workspaceClusters(env, ns)).length).toBe(6)
  })
})

describe('kubeconfig Secrets are tenant data: only inline credentials, https, no commands, no files', () => {
  let wires: Tripwires
  let listener: Listener
  let list: Attack[]
  let hostile: https.Server
  let hostileUrl: string
  const seen: string[] = []

  beforeAll(async () => {
    wires = tripwires()
    listener = await recordingListener()
    list = attacks({ server: tc.server, caData: tc.caData, token: tc.adminToken }, wires, listener)
    for (const a of list) {
      await secret(`hostile-${a.name}-kubeconfig`, { value: a.kubeconfig })
      await kommanderCluster(`hostile-${a.name}`, `hostile-${a.name}-kubeconfig`)
    }
    // An https server with the test apiserver's own serving certificate (so the Secret's CA data
    // verifies it) whose errors echo the credentials, with a workflow command and 20 KB of text.
    hostile = https.createServer(
      {
        cert: readFileSync(join(tc.dir, 'pki', 'apiserver.crt')),
        key: readFileSync(join(tc.dir, 'pki', 'apiserver.key')),
      },
      (req, res) => {
        seen.push(req.headers.authorization ?? '')
        res.writeHead(403, { 'content-type': 'application/json' })
        res.end(
          JSON.stringify({
            kind: 'Status',
            status: 'Failure',
            reason: 'Forbidden',
            code: 403,
            message: `you sent ${req.headers.authorization}\n::error::injected\n${'x'.repeat(20_000)}`,
          }),
        )
      },
    )
    await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r))
    hostileUrl = `https://127.0.0.1:${(hostile.address() as AddressInfo).port}`
    const echo = JSON.parse(kubeconfig)
    for (const c of echo.clusters) c.cluster.server = hostileUrl
    await secret('echo-kubeconfig', { value: JSON.stringify(echo) })
    await kommanderCluster('echo', 'echo-kubeconfig')
    env.snapshot.refresh()
  })

  afterAll(async () => {
    await listener?.close()
    hostile?.closeAllConnections()
    await new Promise((r) => hostile?.close(r))
  })

  it('refuses each attack naming the cluster, the Secret, its key and the field; nothing runs, is read or is sent', async () => {
    const failures: string[] = []
    for (const a of list) {
      const name = `hostile-${a.name}`
      const attempt = workloadCluster(env, name, { namespace: ns }).then((wc) => wc.list(...K.helmRelease))
      const err = await attempt.then(
        () => undefined,
        (e: Error) => e,
      )
      if (!err) {
        failures.push(`${a.name}: accepted`)
        continue
      }
      const wanted = [`cluster ${name}: `, `Secret ${ns}/${name}-kubeconfig (key value)`]
      for (const w of wanted)
        if (!err.message.includes(w)) failures.push(`${a.name}: "${w}" missing in: ${err.message}`)
      if (!a.field.test(err.message))
        failures.push(`${a.name}: field ${a.field} not named in: ${err.message}`)
      if (err.message.includes(wires.runnerFileContent))
        failures.push(`${a.name}: runner file content in the error`)
    }
    expect(failures).toEqual([])
    expect(wires.ran(), 'a command from the Secret ran').toBe(false)
    expect(wires.read(), 'a file named by the Secret was read').toBe(false)
    expect(listener.requests, 'requests reached the plain-HTTP listener').toEqual([])
  })

  it('all refusals of one kubeconfig are reported at once', async () => {
    const all = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: listener.url, 'certificate-authority': wires.runnerFile } }],
      users: [{ name: 'u', user: { exec: { command: 'true' }, 'token-file': wires.runnerFile } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    })
    await secret('hostile-all-kubeconfig', { value: all })
    await kommanderCluster('hostile-all', 'hostile-all-kubeconfig')
    env.snapshot.refresh()
    const err = await workloadCluster(env, 'hostile-all', { namespace: ns }).then(
      () => undefined,
      (e: Error) => e,
    )
    for (const field of [
      'clusters[0].cluster.server',
      'clusters[0].cluster.certificate-authority',
      'users[0].user.exec',
      'users[0].user.token-file',
    ])
      expect(err?.message).toContain(field)
    expect(wires.read()).toBe(false)
  })

  it('insecure-skip-tls-verify is accepted only for a cluster the inventory allows it for', async () => {
    const inventory = structuredClone(env.inventory)
    inventory.clusters.push({
      name: 'hostile-insecure',
      workspace: inventory.workspaces[0]!.name,
      attached: true,
      allowInsecureSkipTlsVerify: true,
      source: { file: 'fleet.yaml', line: 1, col: 1 },
    })
    const allowing = makeEnv({ inventory, plan: buildPlan(inventory) }, tc.client())
    const wc = await workloadCluster(allowing, 'hostile-insecure', { namespace: ns })
    expect((await wc.list(...K.kommanderCluster, ns)).length).toBeGreaterThan(0)
    // the same Secret, another cluster name (not allowed): refused, even with a shared content cache
    await expect(workloadCluster(env, 'hostile-insecure', { namespace: ns })).rejects.toThrow(
      /insecure-skip-tls-verify.*allowInsecureSkipTlsVerify/s,
    )
  })

  it("a tenant server's error text is masked and clipped", async () => {
    const wc = await workloadCluster(env, 'echo', { namespace: ns })
    const err = await wc.list(...K.helmRelease).then(
      () => undefined,
      (e: Error) => e,
    )
    expect(seen.length).toBeGreaterThan(0)
    expect(seen[0]).toBe(`Bearer ${tc.adminToken}`)
    expect(err?.message).toContain('HTTP 403')
    expect(err?.message).not.toContain(tc.adminToken)
    expect(err?.message).toContain('***')
    expect(err?.message).not.toMatch(/\n::error::/)
    expect(err?.message).not.toContain('\n')
    expect(err!.message.length).toBeLessThan(1000)
  })
})
