// The per-cluster lock: a coordination.k8s.io/v1 Lease `dkp-fleet-<cluster>` on the management
// cluster, 60 s duration renewed every 20 s. Renewal errors are retried until the lease would
// expire (the management control plane may be rolling); then the stage is aborted.

import { WorkError } from '../core/errors.js'
import { isAlreadyExists, isConflict, isNotFound, type Kube, type KubeObject, microTime } from './kube.js'

export interface Lease extends KubeObject {
  spec: {
    holderIdentity?: string
    leaseDurationSeconds?: number
    acquireTime?: string
    renewTime?: string
    leaseTransitions?: number
  }
}

export interface LockOptions {
  namespace: string
  cluster: string
  holder: string
  durationSeconds?: number
  renewEveryMs?: number
  /** Told about a takeover of an expired lock, renewal trouble and loss. */
  warn?: (message: string) => void
  now?: () => Date
}

export const LEASE_API = 'coordination.k8s.io/v1'
export const leaseName = (cluster: string) => `dkp-fleet-${cluster}`

export class ClusterLock {
  private timer: NodeJS.Timeout | undefined
  private released = false
  private readonly lostController = new AbortController()

  private constructor(
    private readonly kube: Kube,
    private readonly opts: Required<Omit<LockOptions, 'warn'>> & Pick<LockOptions, 'warn'>,
    private lease: Lease,
  ) {}

  /** Aborted when the lease could not be renewed before it expired. */
  get lost(): AbortSignal {
    return this.lostController.signal
  }

  get name(): string {
    return leaseName(this.opts.cluster)
  }

  static async acquire(kube: Kube, options: LockOptions): Promise<ClusterLock> {
    const opts = { durationSeconds: 60, renewEveryMs: 20_000, now: () => new Date(), ...options }
    const name = leaseName(opts.cluster)
    const now = opts.now()
    const fresh: Lease = {
      apiVersion: LEASE_API,
      kind: 'Lease',
      metadata: { name, namespace: opts.namespace, labels: { 'app.kubernetes.io/managed-by': 'dkp-fleet' } },
      spec: {
        holderIdentity: opts.holder,
        leaseDurationSeconds: opts.durationSeconds,
        acquireTime: microTime(now),
        renewTime: microTime(now),
        leaseTransitions: 0,
      },
    }
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await kube.get<Lease>(LEASE_API, 'Lease', name, opts.namespace)
      if (!current) {
        try {
          const created = await kube.create(fresh)
          return ClusterLock.start(kube, opts, created)
        } catch (err) {
          // A retried create can meet its own first attempt: look again.
          if (isAlreadyExists(err)) continue
          throw err
        }
      }
      const holder = current.spec?.holderIdentity
      const expired = expiresAt(current) <= now.getTime()
      if (holder && holder !== opts.holder && !expired) {
        throw new WorkError(
          `cluster ${opts.cluster} is locked by ${holder} (Lease ${opts.namespace}/${name}, acquired ${current.spec.acquireTime ?? '?'}, renewed ${current.spec.renewTime ?? '?'}): another run is changing it; wait for it to finish or, if that run is gone, for the lease to expire (${current.spec.leaseDurationSeconds ?? '?'} s)`,
        )
      }
      if (holder && holder !== opts.holder) {
        opts.warn?.(
          `taking over the expired lock on ${opts.cluster} from ${holder} (last renewed ${current.spec.renewTime ?? '?'})`,
        )
      }
      const taken: Lease = {
        ...current,
        spec: {
          ...fresh.spec,
          acquireTime:
            holder === opts.holder
              ? (current.spec.acquireTime ?? fresh.spec.acquireTime)
              : fresh.spec.acquireTime,
          leaseTransitions: (current.spec.leaseTransitions ?? 0) + (holder === opts.holder ? 0 : 1),
        },
      }
      try {
        return ClusterLock.start(kube, opts, await kube.replace(taken))
      } catch (err) {
        if (isConflict(err)) continue // someone else moved it: decide again on a fresh read
        throw err
      }
    }
    throw new WorkError(`could not take the lock on ${opts.cluster}: the Lease kept changing under us`)
  }

  private static start(kube: Kube, opts: ClusterLock['opts'], lease: Lease): ClusterLock {
    const lock = new ClusterLock(kube, opts, lease)
    lock.schedule(opts.renewEveryMs)
    return lock
  }

  private schedule(ms: number) {
    if (this.released) return
    this.timer = setTimeout(() => void this.renew(), ms)
    this.timer.unref()
  }

  private async renew() {
    const { now, renewEveryMs, warn } = this.opts
    try {
      const next: Lease = { ...this.lease, spec: { ...this.lease.spec, renewTime: microTime(now()) } }
      this.lease = await this.kube.replace(next)
      this.schedule(renewEveryMs)
    } catch (err) {
      if (this.released) return
      if (isConflict(err) || isNotFound(err)) {
        const current = await this.kube
          .get<Lease>(LEASE_API, 'Lease', this.name, this.opts.namespace)
          .catch(() => undefined)
        if (current?.spec?.holderIdentity === this.opts.holder) {
          this.lease = current
          this.schedule(0)
          return
        }
        this.lose(
          `the lock on ${this.opts.cluster} was taken by ${current?.spec?.holderIdentity ?? 'nobody (deleted)'}`,
        )
        return
      }
      if (now().getTime() + 1000 >= expiresAt(this.lease)) {
        this.lose(
          `the lock on ${this.opts.cluster} expired: renewing failed until the lease ran out (${(err as Error).message})`,
        )
        return
      }
      warn?.(`renewing the lock on ${this.opts.cluster} failed, retrying: ${(err as Error).message}`)
      this.schedule(Math.min(2000, renewEveryMs))
    }
  }

  private lose(message: string) {
    this.released = true
    this.opts.warn?.(message)
    this.lostController.abort(new WorkError(message))
  }

  /**
   * Gives the lock up (deletes the Lease if we still hold it). Safe to call twice. Says whether
   * we still held it: `lost` (why) when another run took it over — the renewal saw it, or the
   * Lease now names another holder or is gone (taken over and released while this process was
   * stopped or cut off). A run that lost its lock must not record over the newer holder's result.
   */
  async release(): Promise<ReleaseResult> {
    if (this.timer) clearTimeout(this.timer)
    const lostReason = this.lostController.signal.reason
    if (this.lostController.signal.aborted)
      return { lost: lostReason instanceof Error ? lostReason.message : String(lostReason) }
    if (this.released) return { released: true }
    this.released = true
    const { namespace, cluster, holder } = this.opts
    const current = await this.kube.get<Lease>(LEASE_API, 'Lease', this.name, namespace)
    if (!current)
      return {
        lost: `the Lease ${namespace}/${this.name} is gone: another run took the lock over after it expired and has released it`,
      }
    if (current.spec?.holderIdentity !== holder)
      return {
        lost: `the lock on ${cluster} is held by ${current.spec?.holderIdentity ?? 'nobody'} now (acquired ${current.spec?.acquireTime ?? '?'}): it expired while this run was not renewing it`,
      }
    await releaseLease(this.kube, namespace, cluster, holder)
    return { released: true }
  }
}

export type ReleaseResult = { released: true; lost?: undefined } | { released?: undefined; lost: string }

/** Deletes the Lease when `holder` holds it; used by release and by the post step. */
export async function releaseLease(
  kube: Kube,
  namespace: string,
  cluster: string,
  holder: string,
): Promise<boolean> {
  const current = await kube.get<Lease>(LEASE_API, 'Lease', leaseName(cluster), namespace)
  if (!current || current.spec?.holderIdentity !== holder) return false
  try {
    await kube.replace<Lease>({
      ...current,
      spec: { ...current.spec, holderIdentity: undefined, renewTime: undefined },
    })
    await kube.delete(LEASE_API, 'Lease', leaseName(cluster), namespace)
    return true
  } catch (err) {
    if (isConflict(err) || isNotFound(err)) return false
    throw err
  }
}

function expiresAt(lease: Lease): number {
  const renewed = Date.parse(lease.spec?.renewTime ?? lease.spec?.acquireTime ?? '')
  if (Number.isNaN(renewed)) return 0
  return renewed + (lease.spec?.leaseDurationSeconds ?? 60) * 1000
}
