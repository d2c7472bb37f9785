// The simulated controllers of the test fleet: CAPI, Flux, Kommander, Velero and the
// Deployment controller, played by one loop. Each tick lists every kind once (API calls scale
// with kinds, never with objects), runs each controller over that snapshot and performs their
// writes: status through /status (full-object updates for kinds without a status subresource),
// Machines and HelmReleases created/deleted/patched where those controllers own them. A 409
// re-reads the object and recomputes the write. See docs/test-fleet.md.
//
//   const sim = await startSimulator(kube, { intervalMs: 50 })   // background loop
//   const sim = await startSimulator(kube, { intervalMs: 0 })    // deterministic: await sim.step()

import { isConflict, isNotFound, type Kube } from '../../effects/kube.js'
import { type AnyObject, API, kubeTime } from '../objects.js'
import { reconcileClusterResourceSets } from './addons.js'
import { reconcileClusters, reconcileKommanderClusters } from './cluster.js'
import {
  annotationFault,
  type Fault,
  key,
  matches,
  parseFaultLines,
  Snapshot,
  type TickContext,
  type Write,
} from './context.js'
import { reconcileKubeadmControlPlanes, reconcileManagedControlPlanes } from './control-plane.js'
import { reconcileDeployments } from './deployments.js'
import {
  reconcileAppDeployments,
  reconcileGitRepositories,
  reconcileHelmReleases,
  reconcileKommanderCore,
} from './kommander.js'
import { reconcileMachineDeployments } from './machine-deployment.js'
import { reconcileMachines } from './machines.js'
import { reconcileBackups } from './velero.js'

export type { Fault } from './context.js'
export { BACKUP_FAIL_LABEL } from './velero.js'

/** ConfigMap read every tick for faults set from another process (`dkp-fleet-system/sim-faults`, key `faults`). */
export const FAULTS_CONFIGMAP = { namespace: 'dkp-fleet-system', name: 'sim-faults' }

export interface SimulatorOptions {
  /**
   * `test` (default): 20 ms loop, one tick per phase, machines go Provisioning → Running and a
   * rollout replaces a machine per tick. `demo`: 500 ms loop, two ticks per phase, machines go
   * through Pending/Provisioning/Provisioned/Running: a 3-machine control plane takes ~30 s.
   */
  mode?: 'test' | 'demo'
  /** Loop period in ms; 0 = no loop (drive it with step()/settle()). */
  intervalMs?: number
  /** Period when a tick found nothing to do (default max(4 × intervalMs, 200)). */
  idleIntervalMs?: number
  /** Ticks each phase of a transition lasts (test 1, demo 2). */
  ticksPerPhase?: number
  /**
   * Kinds that rarely change (catalog, addons, providers, backups…) are listed every
   * `coldEvery` ticks (default 4; 1 = every tick); their controllers run on those ticks only.
   */
  coldEvery?: number
  faults?: Fault[]
  /** Writes in flight per tick (default 16). */
  concurrency?: number
  log?: (line: string) => void
}

export interface StepResult {
  writes: number
  /** Objects still mid-transition (need more ticks). */
  pending: number
  /** Which ones (`Kind/ns/name`). */
  pendingKeys: string[]
  errors: string[]
}

export interface Simulator {
  /** One tick: list every kind, reconcile, write. */
  step(): Promise<StepResult>
  /** Steps until a tick writes nothing and nothing is mid-transition; returns the ticks taken. */
  settle(options?: { maxSteps?: number }): Promise<number>
  /** Stops the loop (awaits the tick in flight). */
  stop(): Promise<void>
  stall(kind: string, name?: string, namespace?: string): void
  fail(kind: string, name: string | undefined, reason: string, namespace?: string): void
  slow(kind: string, name: string | undefined, n: number, namespace?: string): void
  clearFaults(): void
  readonly faults: readonly Fault[]
  /** Ticks run and writes made so far; API requests of the simulator's client. */
  readonly stats: { ticks: number; writes: number; requests: number }
}

interface KindSpec {
  kind: string
  apiVersion: string
  labelSelector?: string
  /** Listed every `coldEvery` ticks only. */
  cold?: boolean
}

const KINDS: KindSpec[] = [
  { kind: 'Cluster', apiVersion: API.cluster },
  { kind: 'KubeadmControlPlane', apiVersion: API.controlPlane },
  { kind: 'AWSManagedControlPlane', apiVersion: API.awsManagedControlPlane, cold: true },
  { kind: 'MachineDeployment', apiVersion: API.cluster },
  { kind: 'Machine', apiVersion: API.cluster },
  { kind: 'ClusterResourceSet', apiVersion: API.addons, cold: true },
  { kind: 'ClusterResourceSetBinding', apiVersion: API.addons, cold: true },
  { kind: 'ConfigMap', apiVersion: 'v1', labelSelector: 'konvoy.d2iq.io/addon', cold: true },
  { kind: 'HelmRelease', apiVersion: API.helm },
  { kind: 'AppDeployment', apiVersion: API.apps },
  { kind: 'App', apiVersion: API.apps, cold: true },
  { kind: 'ClusterApp', apiVersion: API.apps, cold: true },
  { kind: 'Project', apiVersion: API.workspaces, cold: true },
  { kind: 'KommanderCluster', apiVersion: API.kommander, cold: true },
  { kind: 'KommanderCore', apiVersion: API.dkp, cold: true },
  { kind: 'GitRepository', apiVersion: API.source, cold: true },
  { kind: 'Deployment', apiVersion: API.deployments, labelSelector: 'cluster.x-k8s.io/provider', cold: true },
  { kind: 'Backup', apiVersion: API.velero, cold: true },
  { kind: 'BackupStorageLocation', apiVersion: API.velero, cold: true },
]

/** Controllers in tick order; `cold` ones run only on ticks that listed the cold kinds. */
const CONTROLLERS: { run: (ctx: TickContext) => void; cold?: boolean }[] = [
  { run: reconcileMachines },
  { run: reconcileKubeadmControlPlanes },
  { run: reconcileManagedControlPlanes, cold: true },
  { run: reconcileMachineDeployments },
  { run: reconcileClusters },
  { run: reconcileKommanderClusters, cold: true },
  { run: reconcileClusterResourceSets, cold: true },
  { run: reconcileAppDeployments },
  { run: reconcileHelmReleases },
  { run: reconcileKommanderCore, cold: true },
  { run: reconcileGitRepositories, cold: true },
  { run: reconcileDeployments, cold: true },
  { run: reconcileBackups, cold: true },
]

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T)
    }),
  )
}

class Sim implements Simulator {
  private kinds: KindSpec[] = []
  private readonly counters = new Map<string, number>()
  private readonly extraFaults: Fault[] = []
  private remoteFaults: Fault[] = []
  private loop: Promise<void> | undefined
  private stopping = false
  private wake: (() => void) | undefined
  readonly stats = { ticks: 0, writes: 0, requests: 0 }
  private readonly startRequests: number
  private last: Snapshot | undefined
  private readonly fast: boolean
  private readonly ticksPerPhase: number
  private readonly interval: number

  constructor(
    private readonly kube: Kube,
    private readonly opts: SimulatorOptions,
  ) {
    this.extraFaults.push(...(opts.faults ?? []))
    this.startRequests = kube.requests
    // DKP_FLEET_SIM_MODE=demo lets `fleet up` users pick demo timing without code changes
    const demo = (opts.mode ?? process.env.DKP_FLEET_SIM_MODE) === 'demo'
    this.fast = !demo
    this.ticksPerPhase = Math.max(1, opts.ticksPerPhase ?? (demo ? 2 : 1))
    this.interval = opts.intervalMs ?? (demo ? 500 : 20)
  }

  get faults(): readonly Fault[] {
    return [...this.extraFaults, ...this.remoteFaults]
  }

  async init(): Promise<void> {
    this.kinds = []
    for (const k of KINDS) if (await this.kube.hasResource(k.apiVersion, k.kind)) this.kinds.push(k)
  }

  start(): void {
    const interval = this.interval
    if (interval <= 0) return
    const idle = this.opts.idleIntervalMs ?? Math.max(4 * interval, 200)
    this.loop = (async () => {
      let delay = interval
      while (!this.stopping) {
        try {
          const r = await this.step()
          delay = r.writes > 0 || r.pending > 0 ? interval : Math.min(idle, delay * 2)
          for (const e of r.errors) this.opts.log?.(`sim: ${e}`)
        } catch (err) {
          this.opts.log?.(`sim: tick failed: ${(err as Error).message}`)
          delay = Math.min(idle, delay * 2)
        }
        if (this.stopping) break
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, delay)
          this.wake = () => {
            clearTimeout(t)
            resolve()
          }
        })
      }
    })()
  }

  async stop(): Promise<void> {
    this.stopping = true
    this.wake?.()
    await this.loop
  }

  stall(kind: string, name?: string, namespace?: string): void {
    this.extraFaults.push({
      kind,
      ...(name ? { name } : {}),
      ...(namespace ? { namespace } : {}),
      stall: true,
    })
  }

  fail(kind: string, name: string | undefined, reason: string, namespace?: string): void {
    this.extraFaults.push({
      kind,
      ...(name ? { name } : {}),
      ...(namespace ? { namespace } : {}),
      fail: reason,
    })
  }

  slow(kind: string, name: string | undefined, n: number, namespace?: string): void {
    this.extraFaults.push({ kind, ...(name ? { name } : {}), ...(namespace ? { namespace } : {}), slow: n })
  }

  clearFaults(): void {
    this.extraFaults.length = 0
  }

  private faultFor(obj: AnyObject): Fault | undefined {
    const own = annotationFault(obj)
    if (own) return own
    return [...this.extraFaults, ...this.remoteFaults].find((f) => matches(f, obj))
  }

  private async snapshot(cold: boolean): Promise<Snapshot> {
    const snap = new Snapshot()
    const kinds = this.kinds.filter((k) => cold || !k.cold || !this.last?.has(k.kind))
    for (const k of this.kinds) if (!kinds.includes(k) && this.last) snap.set(k.kind, this.last.all(k.kind))
    const [lists, faults] = await Promise.all([
      Promise.all(
        kinds.map(async (k) => {
          try {
            return [
              k.kind,
              await this.kube.list(
                k.apiVersion,
                k.kind,
                k.labelSelector ? { labelSelector: k.labelSelector } : {},
              ),
            ] as const
          } catch (err) {
            if (isNotFound(err)) return [k.kind, []] as const // a CRD removed mid-run
            throw err
          }
        }),
      ),
      this.kube
        .get('v1', 'ConfigMap', FAULTS_CONFIGMAP.name, FAULTS_CONFIGMAP.namespace)
        .catch(() => undefined),
    ])
    for (const [kind, items] of lists) snap.set(kind, items as AnyObject[])
    const text = (faults as { data?: Record<string, string> } | undefined)?.data?.faults
    this.remoteFaults = text ? parseFaultLines(text) : []
    return snap
  }

  async step(): Promise<StepResult> {
    const coldEvery = Math.max(1, this.opts.coldEvery ?? 4)
    const cold = this.stats.ticks % coldEvery === 0
    const snap = await this.snapshot(cold)
    const writes: Write[] = []
    const pendingKeys = new Set<string>()
    const seen = new Set<string>()
    const ticksPerPhase = this.ticksPerPhase
    const ctx: TickContext = {
      snap,
      now: kubeTime(),
      ticksPerPhase,
      fast: this.fast,
      due: (obj, phase, extra = 0) => {
        const id = `${key(obj)}#${phase}`
        seen.add(id)
        const n = (this.counters.get(id) ?? 0) + 1
        const need = (ticksPerPhase + extra) * (this.faultFor(obj)?.slow ?? 1)
        if (n >= need) {
          this.counters.delete(id)
          return true
        }
        this.counters.set(id, n)
        return false
      },
      fault: (obj) => this.faultFor(obj),
      write: (w) => writes.push(w),
      pending: (obj) => {
        pendingKeys.add(key(obj))
      },
      log: (line) => this.opts.log?.(line),
    }
    for (const c of CONTROLLERS) if (cold || !c.cold) c.run(ctx)
    // forget counters of transitions that are over (cold controllers keep theirs between their ticks)
    if (cold) for (const id of this.counters.keys()) if (!seen.has(id)) this.counters.delete(id)
    const errors: string[] = []
    let done = 0
    const perform = async (w: Write) => {
      try {
        if (await this.perform(w)) done++
      } catch (err) {
        errors.push(`${w.op} ${key(w.obj)}: ${(err as Error).message}`)
      }
    }
    // deletes first: a rollout never exceeds replicas + 1 machines
    await pool(
      writes.filter((w) => w.op === 'delete'),
      this.opts.concurrency ?? 16,
      perform,
    )
    await pool(
      writes.filter((w) => w.op !== 'delete'),
      this.opts.concurrency ?? 16,
      perform,
    )
    this.stats.ticks++
    this.stats.writes += done
    this.stats.requests = this.kube.requests - this.startRequests
    return { writes: done, pending: pendingKeys.size, pendingKeys: [...pendingKeys], errors }
  }

  /** One write; true when something changed. */
  private async perform(w: Write): Promise<boolean> {
    const { apiVersion, kind } = w.obj
    const name = w.obj.metadata.name as string
    const ns = w.obj.metadata.namespace
    const opts = { fieldManager: w.manager }
    switch (w.op) {
      case 'create':
        try {
          const created = await this.kube.create(w.obj, opts)
          if (w.status) await this.kube.replaceStatus({ ...created, status: w.status }, opts)
          return true
        } catch (err) {
          if (isConflict(err)) return false
          throw err
        }
      case 'delete':
        return this.kube.delete(apiVersion, kind, name, ns)
      case 'patch':
        await this.kube.patchMerge(apiVersion, kind, name, ns, w.patch, opts)
        return true
      case 'status':
      case 'update': {
        let fresh = w.obj
        const res = await this.kube.resource(apiVersion, kind)
        const viaStatus = w.op === 'status' && res?.subresources.includes('status')
        for (let attempt = 1; ; attempt++) {
          const next =
            w.op === 'status'
              ? (() => {
                  const s = w.compute(fresh)
                  return s === undefined ? undefined : { ...fresh, status: s }
                })()
              : w.compute(fresh)
          if (!next) return false
          if (process.env.DKP_SIM_DEBUG)
            console.log('WRITE', key(w.obj), JSON.stringify(fresh.status), '=>', JSON.stringify(next.status))
          try {
            if (viaStatus) await this.kube.replaceStatus(next, opts)
            else await this.kube.replace(next, opts)
            return true
          } catch (err) {
            if (!isConflict(err) || attempt >= 5) {
              if (isNotFound(err)) return false
              throw err
            }
            const got = await this.kube.get(apiVersion, kind, name, ns)
            if (!got) return false
            fresh = got
          }
        }
      }
    }
  }

  async settle(options: { maxSteps?: number } = {}): Promise<number> {
    const max = options.maxSteps ?? 500
    const coldEvery = Math.max(1, this.opts.coldEvery ?? 4)
    let quiet = 0
    let r: StepResult | undefined
    for (let i = 1; i <= max; i++) {
      r = await this.step()
      if (r.errors.length > 0) this.opts.log?.(`sim: ${r.errors.join('; ')}`)
      // settled: a full cycle of ticks (every cold controller ran) without work
      quiet = r.writes === 0 && r.pending === 0 ? quiet + 1 : 0
      if (quiet >= coldEvery) return i
      await sleep(0)
    }
    throw new Error(
      `simulator did not settle within ${max} steps (last tick: ${r?.writes ?? 0} writes; pending: ${r?.pendingKeys.slice(0, 10).join(', ') || 'none'})`,
    )
  }
}

/** Starts the simulated controllers against the API server of `kube`. */
export async function startSimulator(kube: Kube, options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = new Sim(kube, options)
  await sim.init()
  sim.start()
  return sim
}
