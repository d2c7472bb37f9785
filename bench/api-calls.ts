// Benchmark: API calls per `check` and per stage on the real test apiserver, for fleets of 10,
// 100 and 500 managed clusters. Counted at the HTTP layer: every request goes through a
// loopback HTTPS proxy (test/kube/flaky-proxy.ts, no faults injected) — the stages' own
// clients, the managed clusters' clients (their kubeconfig Secrets point at the proxy too) and
// every retry. The fleet is seeded at the target (DKP v2.8.1), so each stage reads the live
// state it decides from, finds its work done and skips: the read cost of a stage (plus its
// lock and run-record writes). Stages run in plan order, so each finds its prerequisites done;
// the simulated controllers (src/fleet/sim) run beside them on their own, uncounted client.
// Design rule checked: API calls scale with kinds × clusters, never with objects per kind —
// the log-log slope of requests between the two largest fleets is ≤ 1 (0 for what reads only
// the management cluster's lists).
//
//   npx tsx bench/api-calls.ts [--json] [--sizes 10,100,500] [--stages check,kommander,...]
// Needs kube-apiserver + etcd (test/kube/build-bins.sh, cached in ~/.cache/dkp-fleet); without
// them it reports "not available".

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildPlan } from '../src/core/plan.js'
import type { StageName } from '../src/core/stages.js'
import { loadInventory } from '../src/effects/inventory-files.js'
import { Kube } from '../src/effects/kube.js'
import { ConsoleReporter } from '../src/effects/reporter.js'
import { resolveKubeBins, startControlPlane } from '../src/fleet/control-plane.js'
import { ensureUpstreamCrds, fleetCrds, installCrds } from '../src/fleet/crds.js'
import { seedFleet } from '../src/fleet/seed.js'
import { type Simulator, startSimulator } from '../src/fleet/sim/index.js'
import { runStage } from '../src/stages/execute.js'
import { readLiveVersionsFromFile } from '../src/stages/live-versions.js'
import { fleetYaml, generateFleet } from '../test/helpers/fleet-gen.js'
import { standinBundle } from '../test/integration/fleet-helpers.js'
import { startFlakyProxy } from '../test/kube/flaky-proxy.js'
import { type BenchResult, emit, type Figure, figure, flag, quick, round, unavailable } from './lib/common.js'

const TITLE = 'API calls per check and per stage (real kube-apiserver, counted at the HTTP layer)'
const DEFAULT_STAGES = [
  'check',
  'kommander',
  'workspaces',
  'workspace-apps',
  'project-apps',
  'custom-apps',
  'capi-components',
  'core-addons',
  'kubernetes',
  'verify',
]

const progress = (line: string) => process.stderr.write(`[api-calls] ${line}\n`)

interface Count {
  requests: number
  /** `GET clusters`, `PATCH leases`, … (namespace and name dropped). */
  byKind: Record<string, number>
  status?: string
  ms: number
}

/** `GET /apis/cluster.x-k8s.io/v1beta1/namespaces/x/clusters/y?limit=500` → `GET clusters`. */
function kindOf(method: string, path: string): string {
  const parts = path.split('?')[0]!.split('/').filter(Boolean)
  const start = parts[0] === 'api' ? 2 : parts[0] === 'apis' ? 3 : 0
  const rest = parts.slice(start)
  if (rest[0] === 'namespaces' && rest.length >= 3) rest.splice(0, 2)
  return `${method} ${rest[0] ?? parts.join('/')}${rest[2] ? `/${rest[2]}` : ''}`
}

async function main(): Promise<BenchResult> {
  const sizes = (flag('sizes') ?? (quick() ? '10,100' : '10,100,500')).split(',').map(Number)
  const stages = (flag('stages') ?? DEFAULT_STAGES.join(',')).split(',') as StageName[]
  let binDir: string
  let crdDir: string
  try {
    binDir = (await resolveKubeBins({ log: () => {} })).dir
    crdDir = await ensureUpstreamCrds({ log: () => {} })
  } catch (err) {
    return unavailable(
      'api-calls',
      TITLE,
      `kube-apiserver/etcd or CRDs unavailable: ${(err as Error).message.split('\n')[0]}`,
    )
  }

  // A stand-in dkp (the stages check its version even when they skip).
  const shimDir = mkdtempSync(join(tmpdir(), 'dkp-bench-shim-'))
  const shim = join(shimDir, 'dkp')
  writeFileSync(
    shim,
    `#!/bin/sh\nDKP_STANDIN_VERSION=v2.8.1 exec '${process.execPath}' '${await standinBundle()}' "$@"\n`,
  )
  chmodSync(shim, 0o755)

  const perSize: Record<number, Record<string, Count>> = {}
  const seedMs: Record<number, number> = {}
  const objects: Record<number, number> = {}
  try {
    for (const n of sizes) {
      const cp = await startControlPlane({ binDir })
      const dir = mkdtempSync(join(tmpdir(), 'dkp-bench-api-'))
      const proxy = await startFlakyProxy(cp)
      let sim: Simulator | undefined
      try {
        const admin = Kube.fromFile(cp.kubeconfigPath)
        await installCrds(admin, await fleetCrds({ dir: crdDir }))
        const doc = generateFleet({
          managed: n,
          attached: Math.max(1, Math.round(n / 10)),
          workspaces: Math.max(1, Math.round(n / 10)),
          waves: [1, 2],
          workspaceApps: true,
          projectApps: true,
          maxParallel: 10,
          // The backup stage waits for Velero to complete a Backup, which no controller does here.
          backup: false,
          seed: 500,
        })
        // The fleet seeder knows the core addons of these providers only (not nutanix, vcd).
        const seedable = ['aws', 'azure', 'eks', 'vsphere', 'preprovisioned', 'gcp', 'aks']
        for (const c of doc.clusters ?? [])
          if (c.provider && !seedable.includes(c.provider)) c.provider = 'aws'
        writeFileSync(join(dir, 'fleet.yaml'), fleetYaml(doc))
        const { inventory } = await loadInventory('fleet.yaml', dir)
        const proxyKubeconfig = proxy.kubeconfig(cp.adminToken)
        const kubeconfigPath = join(dir, 'kubeconfig')
        writeFileSync(kubeconfigPath, proxyKubeconfig, { mode: 0o600 })
        progress(`${n} clusters: seeding`)
        const seeded = await seedFleet(admin, inventory, { dkp: 'v2.8.1', kubeconfig: proxyKubeconfig })
        admin.close()
        // The simulated controllers (their own client, straight to the apiserver: not counted).
        sim = await startSimulator(Kube.fromFile(cp.kubeconfigPath), { intervalMs: 50 })
        seedMs[n] = seeded.ms
        objects[n] = seeded.objects

        const counts: Record<string, Count> = {}
        const measure = async (label: string, fn: () => Promise<string | undefined>) => {
          progress(`${n} clusters: ${label}`)
          const from = proxy.seen.length
          const t = performance.now()
          let status: string | undefined
          try {
            status = await fn()
          } catch (err) {
            status = `error: ${(err as Error).message.split('\n')[0]}`
          }
          const seen = proxy.seen.slice(from)
          const byKind: Record<string, number> = {}
          for (const r of seen) byKind[kindOf(r.method, r.path)] = (byKind[kindOf(r.method, r.path)] ?? 0) + 1
          counts[label] = { requests: seen.length, byKind, status, ms: round(performance.now() - t) }
        }
        await measure('plan (live versions)', async () => {
          await readLiveVersionsFromFile(kubeconfigPath, inventory)
          return 'ok'
        })
        // A cluster of the first wave: its steps need only the management stages.
        const managed = buildPlan(inventory).waves[0]!.include[0]!.cluster
        for (const stage of stages) {
          const targets =
            stage === 'core-addons' || stage === 'kubernetes'
              ? [inventory.management.name, managed]
              : [undefined]
          for (const cluster of targets) {
            const label =
              cluster === undefined
                ? stage === 'verify'
                  ? 'verify (whole fleet; fails: one managed cluster ran its steps)'
                  : stage
                : `${stage} (${cluster === managed ? 'a managed cluster' : 'management'})`
            await measure(label, async () => {
              const result = await runStage(
                {
                  stage,
                  inventory: 'fleet.yaml',
                  ...(cluster ? { cluster } : {}),
                  kubeconfig: { path: kubeconfigPath },
                  allowKubeconfigEnv: false,
                  dkp: { path: shim, requireChecksum: false },
                  dryRun: false,
                  timeoutMs: 900_000,
                  failOn: 'none',
                  env: { HOME: dir, PATH: process.env.PATH ?? '' },
                  cwd: dir,
                },
                new ConsoleReporter(() => {}),
              )
              return result.status
            })
          }
        }
        perSize[n] = counts
      } finally {
        await sim?.stop()
        await proxy.close()
        await cp.stop()
        rmSync(dir, { recursive: true, force: true })
      }
    }
  } finally {
    rmSync(shimDir, { recursive: true, force: true })
  }

  const labels = Object.keys(perSize[sizes[0]!] ?? {})
  const [a, b] = [sizes.at(-2), sizes.at(-1)]
  const figures: Figure[] = labels.map((label) => {
    const last = perSize[b!]![label]!
    const prev = a !== undefined ? perSize[a]![label] : undefined
    const slope =
      prev && prev.requests > 0 && a !== b
        ? round(Math.log(last.requests / prev.requests) / Math.log(b! / a!), 2)
        : 0
    return figure({
      id: `api-${label}`,
      label: `${label}: requests at ${sizes.join(' / ')} clusters`,
      value: slope,
      unit: 'slope',
      target: { kind: 'max', limit: 1.05, unit: '', text: 'slope ≤ 1 (never per object)' },
      note: `${sizes.map((s) => perSize[s]![label]!.requests).join(' / ')} requests (${last.status}, ${round(last.ms / 1000)} s at ${b}); top: ${Object.entries(
        last.byKind,
      )
        .sort((x, y) => y[1] - x[1])
        .slice(0, 3)
        .map(([k, v]) => `${k} ×${v}`)
        .join(', ')}`,
    })
  })
  return {
    benchmark: 'api-calls',
    title: TITLE,
    available: true,
    node: process.version,
    figures,
    details: { sizes, seedMs, objects, counts: perSize },
  }
}

emit(await main())
