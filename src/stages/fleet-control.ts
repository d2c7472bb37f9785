// The fleet controls `dkp-fleet status`, `pause` and `resume` (and the action's stages of those
// names) share: connecting to the management cluster with the inventory's plan, the locks held
// (the dkp-fleet Leases), and setting or clearing the pause marker.

import type { KubeconfigSource } from '../effects/kubeconfig.js'
import { LEASE_API, type Lease } from '../effects/lease.js'
import type { Reporter } from '../effects/reporter.js'
import { type PauseMarker, pauseName } from '../effects/run-record.js'
import { closeEnv, connectManagement, loadPlan, makeEnv, runnerIdentity } from './connect.js'
import type { LockStatus } from './fleet-status-model.js'
import type { StageEnv } from './types.js'

export interface FleetConnectOptions {
  inventory: string | string[]
  kubeconfig: KubeconfigSource
  /** CLI: fall back to $KUBECONFIG. */
  allowKubeconfigEnv: boolean
  target?: string
  targetKubernetes?: string
  hop?: string
  env: NodeJS.ProcessEnv
  cwd: string
  now?: () => Date
  signal?: AbortSignal
}

export interface FleetConnection {
  env: StageEnv
  close(): void
}

/** Loads the inventory and plan, connects to the management cluster: what status, pause and resume share. */
export async function connectFleet(
  options: FleetConnectOptions,
  reporter: Reporter,
): Promise<FleetConnection> {
  const loaded = await loadPlan(options, reporter)
  const { kube, kubeconfigPath } = await connectManagement(loaded.inventory, options, reporter)
  const { removeTempKubeconfigs } = await import('../effects/kubeconfig.js')
  const env = makeEnv(loaded, kube, {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.now ? { now: options.now } : {}),
  })
  return {
    env,
    close() {
      closeEnv(env)
      removeTempKubeconfigs([kubeconfigPath.slice(0, kubeconfigPath.lastIndexOf('/'))])
      kube.close()
    },
  }
}

// --- pause and resume

/** Who pauses: the GitHub actor and run, or user@host. */
export function pausedBy(processEnv: NodeJS.ProcessEnv): string {
  const runner = runnerIdentity(processEnv)
  if (!processEnv.GITHUB_RUN_ID) return runner.actor
  const server = processEnv.GITHUB_SERVER_URL ?? 'https://github.com'
  return `${runner.actor} (${server}/${runner.runId})`
}

export interface PauseResult {
  marker: PauseMarker
  previous: PauseMarker | null
  /** Locks held right now: stages in flight that stop at their next pause check or finish their step. */
  locks: LockStatus[]
  message: string
}

export async function pauseFleet(
  env: StageEnv,
  options: { reason?: string; by: string; dryRun?: boolean },
): Promise<PauseResult> {
  const previous = (await env.record.pause()) ?? null
  const reason = options.reason?.trim() || `paused by ${options.by}`
  const marker: PauseMarker = { reason, by: options.by, at: env.now().toISOString() }
  const where = `ConfigMap ${env.record.namespace}/${pauseName(env.inventory.fleet)}`
  const locks = await readLocks(env)
  const lines: string[] = []
  if (options.dryRun) {
    lines.push(`dry run: would pause fleet ${env.inventory.fleet} (${where}): ${reason}`)
  } else {
    await env.record.setPause(marker)
    lines.push(
      previous
        ? `fleet ${env.inventory.fleet} was already paused by ${previous.by} since ${previous.at} (${previous.reason}); updated: ${reason} (by ${marker.by} at ${marker.at})`
        : `paused fleet ${env.inventory.fleet}: ${reason} (by ${marker.by} at ${marker.at}; marker ${where})`,
    )
  }
  lines.push(
    'every mutating stage now ends `deferred` without changing anything; the kubernetes stage also stops between node pools',
  )
  const active = locks.filter((l) => !l.expired)
  if (active.length > 0) {
    lines.push(
      `${active.length} stage(s) in flight (locks held): ${active.map((l) => `${l.cluster} by ${l.holder}`).join('; ')}: they finish the step they are in, then stop`,
    )
  } else lines.push('no stage is running now (no locks held)')
  lines.push('continue with `dkp-fleet resume` (or the resume stage), then dispatch the pipeline again')
  return { marker, previous, locks, message: lines.join('\n') }
}

export interface ResumeResult {
  previous: PauseMarker | null
  message: string
}

export async function resumeFleet(
  env: StageEnv,
  options: { by: string; dryRun?: boolean },
): Promise<ResumeResult> {
  const previous = (await env.record.pause()) ?? null
  const fleet = env.inventory.fleet
  if (!previous) {
    // A marker without a reason is not a pause; clear leftovers all the same.
    if (!options.dryRun) await env.record.clearPause()
    return { previous, message: `fleet ${fleet} is not paused: nothing to resume` }
  }
  if (options.dryRun) {
    return {
      previous,
      message: `dry run: would resume fleet ${fleet} (paused by ${previous.by} since ${previous.at}: ${previous.reason})`,
    }
  }
  await env.record.clearPause()
  return {
    previous,
    message: `resumed fleet ${fleet} (was paused by ${previous.by} since ${previous.at}: ${previous.reason}); resumed by ${options.by}. The next dispatch continues where the upgrade stopped: stages already done skip.`,
  }
}

// --- locks

/** The dkp-fleet Leases in the management namespace, by cluster. */
export async function readLocks(env: StageEnv): Promise<LockStatus[]> {
  const namespace = env.inventory.management.namespace
  if (!(await env.kube.hasResource(LEASE_API, 'Lease'))) return []
  const leases = await env.kube.list<Lease>(LEASE_API, 'Lease', { namespace })
  const now = env.now().getTime()
  const out: LockStatus[] = []
  for (const l of leases) {
    const name = l.metadata.name ?? ''
    const holder = l.spec?.holderIdentity
    if (!name.startsWith('dkp-fleet-') || !holder) continue
    const renewed = l.spec.renewTime ?? l.spec.acquireTime
    const renewedMs = Date.parse(renewed ?? '')
    const expiresMs = Number.isNaN(renewedMs)
      ? Number.NaN
      : renewedMs + (l.spec.leaseDurationSeconds ?? 60) * 1000
    out.push({
      cluster: name.slice('dkp-fleet-'.length),
      lease: `${namespace}/${name}`,
      holder,
      acquired: l.spec.acquireTime ?? null,
      renewed: renewed ?? null,
      expires: Number.isNaN(expiresMs) ? null : new Date(expiresMs).toISOString(),
      expired: Number.isNaN(expiresMs) || expiresMs <= now,
    })
  }
  return out.sort((a, b) => a.cluster.localeCompare(b.cluster))
}
