// The fleet status model shared by `dkp-fleet status` and the action's `status` stage, and the
// pause/resume controls: one picture of the fleet from live state plus the run record — per
// cluster the versions, the last recorded step with its status and age, the lock held on it;
// whether the upgrade is paused (who, when, why); and per plan step whether its done-condition
// holds (each stage module's own `status()`). Reads are lists per kind (the Snapshot) plus one
// get each for the run record and the pause marker: calls scale with kinds, never with clusters.
//
// The JSON form (`--json`, the action's `status` output) is a contract: `apiVersion`
// `dkp-fleet/v1`, `kind` `FleetStatus`; every key is always present (null when unknown); new
// keys may be added, none renamed or removed. docs/safety.md documents it.

import {
  type ChartState,
  type FleetChart,
  fleetChart,
  foldable,
  type WaveCounts,
  waveTotal,
} from '../core/fleet-chart.js'
import { code, escapeHtml, mdTable } from '../core/markdown.js'
import { table } from '../core/text.js'
import type { KubeObject } from '../effects/kube.js'
import type { KubeconfigSource } from '../effects/kubeconfig.js'
import { LEASE_API, type Lease } from '../effects/lease.js'
import type { Reporter } from '../effects/reporter.js'
import {
  MAX_ENTRIES,
  type PauseMarker,
  pauseName,
  type RecordEntry,
  recordName,
} from '../effects/run-record.js'
import { formatAge } from './backup.js'
import { connectManagement, loadPlan, makeEnv, runnerIdentity } from './execute.js'
import {
  type CapiCluster,
  CLUSTER_NAME_LABEL,
  type HelmRelease,
  K,
  type KommanderCluster,
  type MachineDeployment,
} from './kinds.js'
import { readStepStates } from './step-states.js'
import type { StageEnv } from './types.js'

export const STATUS_API_VERSION = 'dkp-fleet/v1'
export const STATUS_KIND = 'FleetStatus'

export type StepStateName = 'done' | 'pending' | 'unknown'

export interface RecordedStep {
  stepId: string
  stage: string
  status: string
  from: string | null
  to: string | null
  started: string
  finished: string
  /** Seconds between `finished` and `observedAt`. */
  ageSeconds: number
  runId: string
  actor: string
  message: string | null
}

export interface LockStatus {
  cluster: string
  /** `<namespace>/dkp-fleet-<cluster>` */
  lease: string
  holder: string
  acquired: string | null
  renewed: string | null
  /** When the lease runs out unless renewed. */
  expires: string | null
  /** True when the holder stopped renewing (a crashed job): the next run takes it over. */
  expired: boolean
}

export interface ClusterStatus {
  name: string
  kind: 'management' | 'managed' | 'attached'
  workspace: string | null
  wave: number | null
  /** DKP (Kommander) version: the management cluster only. */
  dkp: string | null
  /** Kubernetes the control plane runs (bare, `1.28.7`); attached: KommanderCluster status. */
  kubernetes: string | null
  /** The control plane's spec version when it differs from what runs (a rollout in progress). */
  kubernetesDesired: string | null
  /** Node pools (MachineDeployments) and their Kubernetes version. */
  nodepools: { name: string; version: string | null }[]
  /** The newest run record entry for a step on this cluster. */
  lastStep: RecordedStep | null
  lock: LockStatus | null
  /** Plan steps on this cluster and how many are done. */
  steps: { total: number; done: number }
}

export interface StepStatus {
  id: string
  stage: string
  cluster: string
  wave: number | null
  to: string | null
  state: StepStateName
  /** Version found by the done-condition. */
  from: string | null
  /** What is pending (state pending), the evidence (done), or why it is unknown. */
  detail: string
  recorded: { status: string; finished: string; runId: string; actor: string } | null
}

export interface FleetStatus {
  apiVersion: typeof STATUS_API_VERSION
  kind: typeof STATUS_KIND
  fleet: string
  management: string
  observedAt: string
  target: { dkp: string; kubernetes: string }
  planDigest: string
  paused: PauseMarker | null
  backup: {
    enabled: boolean
    disabledReason: string | null
    state: StepStateName | null
    detail: string | null
  }
  clusters: ClusterStatus[]
  steps: StepStatus[]
  locks: LockStatus[]
  record: { configMap: string; pauseConfigMap: string; entries: number; maxEntries: number }
  counts: { steps: number; done: number; pending: number; unknown: number }
  /** True only in the action's `status` output when the full JSON was too large: see `status-file`. */
  truncated: boolean
}

// --- connecting

export interface FleetConnectOptions {
  inventory: string | string[]
  kubeconfig: KubeconfigSource
  /** CLI: fall back to $KUBECONFIG. */
  allowKubeconfigEnv: boolean
  target?: string
  targetKubernetes?: string
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
  const env = makeEnv(
    loaded,
    kube,
    options.signal ?? new AbortController().signal,
    options.now ?? (() => new Date()),
  )
  return {
    env,
    close() {
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

// --- reading

async function readLocks(env: StageEnv): Promise<LockStatus[]> {
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

const bare = (v: string | undefined | null) => (v ? v.replace(/^v/, '') : null)
const first = (lines: string[]) => lines.filter(Boolean).join('; ')

interface ControlPlane extends KubeObject {
  spec?: { version?: string }
  status?: { version?: string }
}

/** Reads the fleet status: live state through the stage modules and the Snapshot, plus the run record. */
export async function readFleetStatus(
  env: StageEnv,
  options: { concurrency?: number } = {},
): Promise<FleetStatus> {
  const { inventory, plan, snapshot } = env
  const now = env.now()
  const mgmt = inventory.management.name

  const [paused, entries, locks] = await Promise.all([
    env.record.pause(),
    env.record.entries({ fresh: true }).catch(() => [] as RecordEntry[]),
    readLocks(env),
  ])

  const latestByStep = new Map<string, RecordEntry>()
  const latestByCluster = new Map<string, RecordEntry>()
  for (const e of entries) {
    const newer = (old: RecordEntry | undefined) => !old || Date.parse(e.finished) >= Date.parse(old.finished)
    if (newer(latestByStep.get(e.stepId))) latestByStep.set(e.stepId, e)
    if (newer(latestByCluster.get(e.cluster))) latestByCluster.set(e.cluster, e)
  }
  const steps: StepStatus[] = plan.steps.map((s) => {
    const rec = latestByStep.get(s.id)
    return {
      id: s.id,
      stage: s.stage,
      cluster: s.cluster,
      wave: s.wave ?? null,
      to: s.to ?? null,
      state: 'unknown',
      from: null,
      detail: '',
      recorded: rec
        ? { status: rec.status, finished: rec.finished, runId: rec.runId, actor: rec.actor }
        : null,
    }
  })
  const direct = steps.filter((s) => s.stage !== 'verify')
  // Steps: each stage module's done-condition; a module that is missing or fails is "unknown".
  const planSteps = direct.map((d) => plan.steps.find((s) => s.id === d.id)!)
  const states = await readStepStates(env, planSteps, options.concurrency)
  direct.forEach((step, i) => {
    const state = states[i]!
    if (state instanceof Error) {
      step.detail = /Cannot find module|ERR_MODULE_NOT_FOUND/.test(state.message)
        ? `the ${step.stage} stage module is not available in this build`
        : `could not read: ${state.message}`
      return
    }
    step.state = state.done ? 'done' : 'pending'
    step.from = bare(state.from)
    step.detail = state.done ? first(state.evidence) : first(state.pending) || 'not at target'
  })
  // verify holds when every other step (but check) does: derived rather than read twice.
  for (const step of steps.filter((s) => s.stage === 'verify')) {
    const others = direct.filter((s) => s.stage !== 'check')
    const gaps = others.filter((s) => s.state !== 'done')
    step.state = gaps.some((s) => s.state === 'unknown') ? 'unknown' : gaps.length === 0 ? 'done' : 'pending'
    step.detail =
      gaps.length === 0
        ? 'every step done'
        : `${gaps.length} step(s) not done: ${gaps
            .slice(0, 5)
            .map((s) => s.id)
            .join(', ')}${gaps.length > 5 ? ', …' : ''}`
  }

  // Live versions: one list per kind.
  const [capiClusters, kcs, mds, kommanderHr, kommanderCore] = await Promise.all([
    snapshot.list<CapiCluster>(...K.cluster),
    snapshot.list<KommanderCluster>(...K.kommanderCluster),
    snapshot.list<MachineDeployment>(...K.machineDeployment),
    snapshot.get<HelmRelease>(...K.helmRelease, 'kommander', 'kommander'),
    snapshot.list<KubeObject & { status?: { version?: string } }>(...K.kommanderCore),
  ])
  const dkp =
    kommanderHr?.status?.history?.[0]?.chartVersion ??
    kommanderHr?.status?.lastAppliedRevision ??
    kommanderCore[0]?.status?.version ??
    null
  const workspaceNs = new Map(inventory.workspaces.map((w) => [w.name, w.namespace]))
  const controlPlanes = new Map<string, Promise<ControlPlane[]>>()
  const controlPlaneOf = async (c: CapiCluster | undefined): Promise<ControlPlane | undefined> => {
    const ref = c?.spec?.controlPlaneRef
    if (!ref?.apiVersion || !ref.kind || !ref.name) return undefined
    const key = `${ref.apiVersion}|${ref.kind}`
    let list = controlPlanes.get(key)
    if (!list) {
      list = snapshot.list<ControlPlane>(ref.apiVersion, ref.kind).catch(() => [])
      controlPlanes.set(key, list)
    }
    const ns = ref.namespace ?? c?.metadata.namespace
    return (await list).find((o) => o.metadata.name === ref.name && o.metadata.namespace === ns)
  }
  const findCluster = (name: string, namespace?: string) => {
    const named = capiClusters.filter((c) => c.metadata.name === name)
    return (
      named.find((c) => c.metadata.namespace === namespace) ?? (named.length === 1 ? named[0] : undefined)
    )
  }
  const stepCounts = new Map<string, { total: number; done: number }>()
  for (const s of steps) {
    const c = stepCounts.get(s.cluster) ?? { total: 0, done: 0 }
    c.total++
    if (s.state === 'done') c.done++
    stepCounts.set(s.cluster, c)
  }
  const lockByCluster = new Map(locks.map((l) => [l.cluster, l]))
  const base = (name: string) => {
    const rec = latestByCluster.get(name)
    return {
      lastStep: rec ? recorded(rec, now) : null,
      lock: lockByCluster.get(name) ?? null,
      steps: stepCounts.get(name) ?? { total: 0, done: 0 },
    }
  }
  const konvoy = async (name: string, namespace: string | undefined) => {
    const c = findCluster(name, namespace)
    const cp = await controlPlaneOf(c)
    const running = bare(cp?.status?.version) ?? null
    const desired = bare(cp?.spec?.version) ?? null
    const pools = c
      ? mds
          .filter(
            (m) =>
              m.metadata.namespace === c.metadata.namespace &&
              (m.metadata.labels?.[CLUSTER_NAME_LABEL] ?? m.spec?.clusterName) === name,
          )
          .map((m) => ({ name: m.metadata.name ?? '', version: bare(m.spec?.template?.spec?.version) }))
          .sort((a, b) => a.name.localeCompare(b.name))
      : []
    return {
      kubernetes: running ?? desired,
      kubernetesDesired: desired && running && desired !== running ? desired : null,
      nodepools: pools,
    }
  }

  const clusters: ClusterStatus[] = []
  clusters.push({
    name: mgmt,
    kind: 'management',
    workspace: null,
    wave: null,
    dkp: dkp ?? null,
    ...(await konvoy(mgmt, inventory.management.namespace)),
    ...base(mgmt),
  })
  const waveOf = new Map(plan.matrix.include.map((e) => [e.cluster, e.wave]))
  for (const c of inventory.clusters) {
    if (c.attached) {
      const kc =
        kcs.find(
          (k) =>
            k.metadata.name === c.name &&
            (!workspaceNs.get(c.workspace) || k.metadata.namespace === workspaceNs.get(c.workspace)),
        ) ?? kcs.find((k) => k.metadata.name === c.name)
      clusters.push({
        name: c.name,
        kind: 'attached',
        workspace: c.workspace,
        wave: null,
        dkp: null,
        kubernetes: bare(kc?.status?.kubernetesVersion),
        kubernetesDesired: null,
        nodepools: [],
        ...base(c.name),
      })
    } else {
      clusters.push({
        name: c.name,
        kind: 'managed',
        workspace: c.workspace,
        wave: waveOf.get(c.name) ?? c.wave,
        dkp: null,
        ...(await konvoy(c.name, c.namespace ?? workspaceNs.get(c.workspace))),
        ...base(c.name),
      })
    }
  }

  const backupStep = steps.find((s) => s.stage === 'backup')
  const counts = { steps: steps.length, done: 0, pending: 0, unknown: 0 }
  for (const s of steps) counts[s.state]++
  return {
    apiVersion: STATUS_API_VERSION,
    kind: STATUS_KIND,
    fleet: inventory.fleet,
    management: mgmt,
    observedAt: now.toISOString(),
    target: { ...plan.target },
    planDigest: plan.digest,
    paused: paused ?? null,
    backup: {
      enabled: inventory.backup.enabled,
      disabledReason: plan.backupDisabled ?? null,
      state: backupStep?.state ?? null,
      detail: backupStep?.detail ?? null,
    },
    clusters,
    steps,
    locks,
    record: {
      configMap: `${env.record.namespace}/${recordName(inventory.fleet)}`,
      pauseConfigMap: `${env.record.namespace}/${pauseName(inventory.fleet)}`,
      entries: entries.length,
      maxEntries: MAX_ENTRIES,
    },
    counts,
    truncated: false,
  }
}

function recorded(e: RecordEntry, now: Date): RecordedStep {
  return {
    stepId: e.stepId,
    stage: e.stage,
    status: e.status,
    from: e.from ?? null,
    to: e.to ?? null,
    started: e.started,
    finished: e.finished,
    ageSeconds: Math.max(0, Math.round((now.getTime() - Date.parse(e.finished)) / 1000)),
    runId: e.runId,
    actor: e.actor,
    message: e.message ?? null,
  }
}

// --- rendering

const ageText = (iso: string | null | undefined, now: string) =>
  iso ? formatAge(Date.parse(now) - Date.parse(iso)) : '-'

function versionText(c: ClusterStatus): string {
  let text = c.kubernetes ?? '?'
  if (c.kubernetesDesired) text += ` → ${c.kubernetesDesired}`
  const pools = [...new Set(c.nodepools.map((p) => p.version ?? '?'))].filter(
    (v) => v !== c.kubernetesDesired && v !== c.kubernetes,
  )
  if (pools.length > 0) text += ` (pools ${pools.join(', ')})`
  return c.kind === 'attached' && !c.kubernetes ? '?' : text
}

function lockText(l: LockStatus | null, now: string): string {
  if (!l) return '-'
  return l.expired
    ? `expired (${l.holder}, renewed ${ageText(l.renewed, now)} ago)`
    : `${l.holder} (renewed ${ageText(l.renewed, now)} ago)`
}

function pausedLine(s: FleetStatus): string | undefined {
  const p = s.paused
  return p ? `PAUSED by ${p.by} since ${p.at} (${ageText(p.at, s.observedAt)} ago): ${p.reason}` : undefined
}

function backupLine(s: FleetStatus): string {
  if (!s.backup.enabled) return `Backup: OFF (${s.backup.disabledReason ?? 'turned off in the inventory'})`
  if (!s.backup.state) return 'Backup: no backup step in the plan'
  return `Backup: ${s.backup.state}${s.backup.detail ? ` — ${s.backup.detail}` : ''}`
}

function clusterRow(c: ClusterStatus, now: string): string[] {
  return [
    c.name,
    c.kind,
    c.wave === null ? '-' : String(c.wave),
    c.dkp ?? '-',
    versionText(c),
    c.steps.total ? `${c.steps.done}/${c.steps.total}` : '-',
    c.lastStep?.stepId ?? '-',
    c.lastStep?.status ?? '-',
    c.lastStep ? formatAge(c.lastStep.ageSeconds * 1000) : '-',
    lockText(c.lock, now),
  ]
}

const CLUSTER_HEADER = [
  'cluster',
  'kind',
  'wave',
  'dkp',
  'kubernetes',
  'steps done',
  'last step',
  'status',
  'age',
  'lock',
]
const STEP_HEADER = ['step', 'state', 'recorded', 'detail']
/** Above this many steps, the text form lists management steps and the managed steps not done. */
const FULL_STEPS = 80
/** Step details longer than this are cut in tables (the JSON keeps them whole). */
const DETAIL_WIDTH = 200

function stepRows(s: FleetStatus, limit: number): { rows: string[][]; hidden: number } {
  const shown =
    s.steps.length <= limit
      ? s.steps
      : s.steps.filter((x) => x.cluster === s.management || x.state !== 'done').slice(0, limit)
  return {
    rows: shown.map((x) => [
      x.id,
      x.state,
      x.recorded ? `${x.recorded.status} ${ageText(x.recorded.finished, s.observedAt)} ago` : '-',
      x.detail.length > DETAIL_WIDTH ? `${x.detail.slice(0, DETAIL_WIDTH - 1)}…` : x.detail,
    ]),
    hidden: s.steps.length - shown.length,
  }
}

/** The terminal table. */
export function renderFleetStatus(s: FleetStatus): string {
  const out: string[] = []
  out.push(
    `Fleet ${s.fleet} (management ${s.management}): target DKP ${s.target.dkp}, Kubernetes ${s.target.kubernetes}; ${s.counts.done}/${s.counts.steps} plan steps done${s.counts.unknown ? `, ${s.counts.unknown} unknown` : ''}`,
    `Observed ${s.observedAt}; plan ${s.planDigest}`,
  )
  out.push(pausedLine(s) ?? 'Not paused.')
  out.push(backupLine(s), '')
  const rollup = waveRollup(s)
  if (rollup.length > 0)
    out.push(
      table(
        ['WAVE', 'CLUSTERS', 'UPGRADED', 'RUNNING', 'FAILED', 'PENDING'],
        rollup.map((w) => [
          `${w.wave}${w.wave === 0 ? ' (canary)' : ''}`,
          ...[waveTotal(w), w.upgraded, w.running, w.failed, w.pending].map(String),
        ]),
      ),
      '',
    )
  out.push(
    table(
      CLUSTER_HEADER,
      s.clusters.map((c) => clusterRow(c, s.observedAt)),
    ),
    '',
  )
  const orphans = s.locks.filter((l) => !s.clusters.some((c) => c.name === l.cluster))
  for (const l of orphans)
    out.push(`Lock on ${l.cluster} (not in the inventory): ${lockText(l, s.observedAt)}`)
  const { rows, hidden } = stepRows(s, FULL_STEPS)
  out.push(table(STEP_HEADER, rows))
  if (hidden > 0) out.push('', `… ${hidden} more step(s) done (--json lists every step).`)
  out.push(
    '',
    `Run record: ConfigMap ${s.record.configMap} (${s.record.entries} of at most ${s.record.maxEntries} entries).`,
  )
  return `${out.join('\n')}\n`
}

/** A managed cluster's state in the rollup: every plan step done, a failed last step, a held lock, else pending. */
export function clusterState(c: ClusterStatus): 'upgraded' | 'running' | 'failed' | 'pending' {
  if (c.steps.total > 0 && c.steps.done === c.steps.total) return 'upgraded'
  if (c.lastStep && (c.lastStep.status === 'failed' || c.lastStep.status === 'cancelled')) return 'failed'
  if (c.lock && !c.lock.expired) return 'running'
  return 'pending'
}

/** Per wave: how many managed clusters are upgraded, running, failed, pending. */
export function waveRollup(s: FleetStatus): WaveCounts[] {
  const waves = new Map<number, WaveCounts>()
  for (const c of s.clusters) {
    if (c.kind !== 'managed' || c.wave === null) continue
    const w = waves.get(c.wave) ?? { wave: c.wave, upgraded: 0, running: 0, failed: 0, pending: 0 }
    w[clusterState(c)]++
    waves.set(c.wave, w)
  }
  return [...waves.values()].sort((a, b) => a.wave - b.wave)
}

/** The status chart: the management chain and the final gate by their steps' states, the waves by their rollup. */
export function statusChart(s: FleetStatus): FleetChart {
  const mgmtLock = s.locks.find((l) => l.cluster === s.management && !l.expired)
  const mgmtSteps = s.steps.filter((x) => x.wave === null)
  let runningShown = false
  const state = (x: StepStatus): ChartState => {
    if (x.state === 'done') return 'done'
    if (x.recorded && (x.recorded.status === 'failed' || x.recorded.status === 'cancelled')) return 'failed'
    if (mgmtLock && !runningShown) {
      runningShown = true
      return 'running'
    }
    return 'pending'
  }
  const last = mgmtSteps.at(-1)
  const final = last && stageRowFinal(last.stage) && mgmtSteps.length > 1 ? last : undefined
  return {
    kind: 'status',
    management: s.management,
    chain: mgmtSteps.filter((x) => x !== final).map((x) => ({ stage: x.stage, state: state(x) })),
    waves: waveRollup(s),
    ...(final ? { final: { stage: final.stage, state: state(final) } } : {}),
  }
}

const stageRowFinal = (stage: string) => stage === 'verify'

/** Rows shown in the job summary before the rest is left to the JSON output. */
const SUMMARY_ROWS = 300

/** Markdown for the job summary. */
export function fleetStatusMarkdown(s: FleetStatus): string {
  const out: string[] = [`## DKP fleet status: ${escapeHtml(s.fleet)}`, '', fleetChart(statusChart(s)), '']
  if (s.paused)
    out.push(
      `> ⏸️ **Paused** by ${escapeHtml(s.paused.by)} since ${escapeHtml(s.paused.at)}: ${escapeHtml(s.paused.reason)}`,
      '',
    )
  if (!s.backup.enabled)
    out.push(
      `> **Backup is off for this fleet:** ${escapeHtml(s.backup.disabledReason ?? 'turned off in the inventory')}`,
      '',
    )
  out.push(
    mdTable(
      ['target DKP', 'target Kubernetes', 'steps done', 'paused', 'backup', 'observed'],
      [
        [
          s.target.dkp,
          s.target.kubernetes,
          `${s.counts.done}/${s.counts.steps}${s.counts.unknown ? ` (${s.counts.unknown} unknown)` : ''}`,
          s.paused ? 'yes' : 'no',
          s.backup.enabled
            ? `${s.backup.state ?? '-'}${s.backup.detail ? `: ${s.backup.detail}` : ''}`
            : 'off',
          s.observedAt,
        ],
      ],
    ),
  )
  const rollup = waveRollup(s)
  if (rollup.length > 0)
    out.push(
      '',
      '### Waves',
      '',
      mdTable(
        ['wave', 'clusters', 'upgraded', 'running', 'failed', 'pending'],
        rollup.map((w) => [
          `${w.wave}${w.wave === 0 ? ' (canary)' : ''}`,
          String(waveTotal(w)),
          String(w.upgraded),
          String(w.running),
          String(w.failed),
          String(w.pending),
        ]),
      ),
    )
  out.push(
    '',
    ...foldable(
      'Clusters',
      mdTable(
        CLUSTER_HEADER,
        s.clusters.slice(0, SUMMARY_ROWS).map((c) => clusterRow(c, s.observedAt)),
      ),
      s.clusters.length,
    ),
  )
  if (s.clusters.length > SUMMARY_ROWS)
    out.push('', `… and ${s.clusters.length - SUMMARY_ROWS} more clusters (the \`status\` output lists all).`)
  const { rows, hidden } = stepRows(s, SUMMARY_ROWS)
  out.push('', ...foldable('Steps', mdTable(STEP_HEADER, rows), rows.length))
  if (hidden > 0) out.push('', `… and ${hidden} more steps (the \`status\` output lists all).`)
  out.push(
    '',
    `Run record: ${code(`kubectl get configmap -n ${s.record.configMap.replace('/', ' ')} -o jsonpath='{.data.entries\\.json}'`)}`,
  )
  return `${out.join('\n')}\n`
}
