// `backup`: the Velero backup the DKP docs require before an upgrade (reference/dkp.md §6).
// Done when a `Completed` velero.io/v1 Backup younger than `backup.maxAge` exists in the
// inventory's Velero namespace (default `kommander`); otherwise it creates one the way
// `velero backup create <name>` does and waits for its phase. The Kommander stage lists this
// step in its prerequisites, so it refuses to start without a fresh backup (the executor leaves
// the requirement out when the inventory turned backups off and the plan has no backup step).

import { WorkError } from '../core/errors.js'
import { type HelmRelease, K } from '../core/kinds.js'
import { backupTerminal } from '../core/terminal.js'
import { sameVersion } from '../core/versions.js'
import { isAlreadyExists, type KubeObject } from '../effects/kube.js'
import { waitFor } from './flow.js'
import type { StageContext, StageEnv, StageModule, StageOutcome, StepState } from './types.js'

/** Velero's Backup, with the fields read and written here. */
export interface VeleroBackup extends KubeObject {
  spec?: {
    includedNamespaces?: string[]
    storageLocation?: string
    ttl?: string
    [key: string]: unknown
  }
  status?: {
    phase?: string
    startTimestamp?: string
    completionTimestamp?: string
    expiration?: string
    progress?: { totalItems?: number; itemsBackedUp?: number }
    errors?: number
    warnings?: number
    failureReason?: string
    validationErrors?: string[]
  }
}

export const MANAGED_BY = 'app.kubernetes.io/managed-by'
export const FLEET_LABEL = 'dkp-fleet/fleet'
/** The DKP release the backup was taken before upgrading to. */
export const TARGET_LABEL = 'dkp-fleet/target'
export const STORAGE_LOCATION_LABEL = 'velero.io/storage-location'
/** `velero backup create`'s default TTL (Velero's DefaultBackupTTL, 30 days). */
export const DEFAULT_TTL = '720h0m0s'

const FAILED_PHASES = new Set(['PartiallyFailed', 'Failed', 'FailedValidation', 'Deleting'])
const ACTIVE_PHASES = new Set([
  '',
  'New',
  'InProgress',
  'WaitingForPluginOperations',
  'WaitingForPluginOperationsPartiallyFailed',
  'Finalizing',
  'FinalizingPartiallyFailed',
])

const [BACKUP_API, BACKUP_KIND] = K.backup

const ours = (b: VeleroBackup, fleet: string) =>
  b.metadata.labels?.[MANAGED_BY] === 'dkp-fleet' && (b.metadata.labels?.[FLEET_LABEL] ?? fleet) === fleet
const completedAt = (b: VeleroBackup) => Date.parse(b.status?.completionTimestamp ?? '')
const ref = (b: VeleroBackup) => `${b.metadata.namespace}/${b.metadata.name}`

/** `2h13m`, `5d3h`, `42s`: an age for messages and tables. */
export function formatAge(ms: number): string {
  if (!Number.isFinite(ms)) return '?'
  const s = Math.max(0, Math.floor(ms / 1000))
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m${s % 60 ? `${s % 60}s` : ''}`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h}h${m % 60 ? `${m % 60}m` : ''}`
  const d = Math.floor(h / 24)
  return `${d}d${h % 24 ? `${h % 24}h` : ''}`
}

/** `velero backup create`'s name for a fleet backup: `dkp-fleet-<fleet>-<UTC yyyymmddhhmmss>`. */
export function backupName(fleet: string, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace(/[-:T]/g, '')
  const base = `dkp-fleet-${fleet}`.slice(0, 253 - stamp.length - 1).replace(/[-.]+$/, '')
  return `${base}-${stamp}`
}

/** The Backup object `velero backup create <name>` would send, plus our labels. */
export function backupObject(env: Pick<StageEnv, 'inventory' | 'target'>, name: string): VeleroBackup {
  const { backup, fleet } = env.inventory
  const labels: Record<string, string> = {
    [MANAGED_BY]: 'dkp-fleet',
    [FLEET_LABEL]: labelValue(fleet),
    [TARGET_LABEL]: labelValue(env.target.dkp),
  }
  if (backup.storageLocation) labels[STORAGE_LOCATION_LABEL] = labelValue(backup.storageLocation)
  const spec: NonNullable<VeleroBackup['spec']> = {
    includedNamespaces: ['*'],
    ttl: backup.ttl ?? DEFAULT_TTL,
  }
  if (backup.storageLocation) spec.storageLocation = backup.storageLocation
  return {
    apiVersion: BACKUP_API,
    kind: BACKUP_KIND,
    metadata: { name, namespace: backup.namespace, labels },
    spec,
  }
}

/** The equivalent velero command line, for messages and dry runs. */
export function veleroCommand(obj: VeleroBackup): string {
  const args = ['velero', 'backup', 'create', obj.metadata.name!, '--namespace', obj.metadata.namespace!]
  if (obj.spec?.storageLocation) args.push('--storage-location', obj.spec.storageLocation)
  args.push('--ttl', obj.spec?.ttl ?? DEFAULT_TTL)
  args.push(
    '--labels',
    Object.entries(obj.metadata.labels ?? {})
      .filter(([k]) => k !== STORAGE_LOCATION_LABEL)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
  )
  return args.join(' ')
}

/** Label values: at most 63 characters of [A-Za-z0-9._-], alphanumeric at both ends (like Velero's label.GetValidName). */
function labelValue(value: string): string {
  return value
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '')
}

function progressOf(b: VeleroBackup): string {
  const p = b.status?.progress
  const phase = b.status?.phase || 'not picked up by Velero yet'
  return p?.totalItems ? `${phase}: ${p.itemsBackedUp ?? 0}/${p.totalItems} items` : phase
}

function failureOf(b: VeleroBackup): string {
  const s = b.status ?? {}
  const parts = [
    `Velero Backup ${ref(b)} ended ${s.phase}: ${s.errors ?? 0} error(s), ${s.warnings ?? 0} warning(s)`,
  ]
  if (s.progress?.totalItems)
    parts.push(`${s.progress.itemsBackedUp ?? 0}/${s.progress.totalItems} items backed up`)
  if (s.failureReason) parts.push(`failure reason: ${s.failureReason}`)
  if (s.validationErrors?.length) parts.push(`validation errors: ${s.validationErrors.join('; ')}`)
  parts.push(
    `see \`velero backup describe ${b.metadata.name} --details -n ${b.metadata.namespace}\` and \`velero backup logs ${b.metadata.name} -n ${b.metadata.namespace}\`; fix the cause and run the backup stage again (the upgrade does not start without a Completed backup)`,
  )
  return parts.join('; ')
}

/** Kommander's applied chart version (= the DKP release) from HelmRelease kommander/kommander. */
async function kommanderAt(env: StageEnv): Promise<string | undefined> {
  const hr = await env.snapshot.get<HelmRelease>(...K.helmRelease, 'kommander', 'kommander')
  return hr?.status?.history?.[0]?.chartVersion ?? hr?.status?.lastAppliedRevision
}

/** The backup gate's state: the freshest Completed backup, preferring those dkp-fleet made. */
export async function backupState(
  env: StageEnv,
): Promise<StepState & { backup?: VeleroBackup; inFlight?: VeleroBackup }> {
  const { backup: settings, fleet } = env.inventory
  const where = `${settings.namespace} on ${env.inventory.management.name}`
  if (!(await env.snapshot.served(BACKUP_API, BACKUP_KIND))) {
    return {
      done: false,
      evidence: [],
      pending: [
        `Velero is not installed on ${env.inventory.management.name} (the server does not serve ${BACKUP_API} Backup): install or enable Velero, or turn backups off in the inventory with a reason`,
      ],
    }
  }
  const now = env.now().getTime()
  const maxAgeMs = settings.maxAgeSeconds * 1000
  const backups = await env.snapshot.list<VeleroBackup>(BACKUP_API, BACKUP_KIND, settings.namespace)
  const completed = backups
    .filter((b) => b.status?.phase === 'Completed' && Number.isFinite(completedAt(b)))
    .sort((a, b) => completedAt(b) - completedAt(a))
  const fresh = completed.filter((b) => now - completedAt(b) <= maxAgeMs)
  const pick = fresh.find((b) => ours(b, fleet)) ?? fresh[0]
  if (pick) {
    const age = formatAge(now - completedAt(pick))
    return {
      done: true,
      backup: pick,
      evidence: [
        `Velero Backup ${ref(pick)} Completed ${age} ago (at ${pick.status?.completionTimestamp}; max age ${formatAge(maxAgeMs)})${ours(pick, fleet) ? ', made by dkp-fleet' : ''}`,
      ],
      pending: [],
    }
  }
  // Once Kommander runs the target, the pre-upgrade backup has served its purpose: the backup
  // taken for this target (labelled by dkp-fleet) keeps the step done for verify and status.
  const preUpgrade = completed.find(
    (b) => ours(b, fleet) && b.metadata.labels?.[TARGET_LABEL] === labelValue(env.target.dkp),
  )
  if (preUpgrade && sameVersion(await kommanderAt(env), env.target.dkp)) {
    return {
      done: true,
      backup: preUpgrade,
      evidence: [
        `pre-upgrade Velero Backup ${ref(preUpgrade)} for ${env.target.dkp} Completed ${formatAge(now - completedAt(preUpgrade))} ago; Kommander already runs ${env.target.dkp}`,
      ],
      pending: [],
    }
  }
  const pending: string[] = []
  const newest = completed[0]
  pending.push(
    newest
      ? `no Completed Velero Backup younger than ${formatAge(maxAgeMs)} in ${where} (newest: ${ref(newest)}, ${formatAge(now - completedAt(newest))} old)`
      : `no Completed Velero Backup in ${where}`,
  )
  const inFlight = backups
    .filter(
      (b) =>
        ours(b, fleet) &&
        ACTIVE_PHASES.has(b.status?.phase ?? '') &&
        now - Date.parse(b.metadata.creationTimestamp ?? '') <= maxAgeMs,
    )
    .sort(
      (a, b) =>
        Date.parse(b.metadata.creationTimestamp ?? '') - Date.parse(a.metadata.creationTimestamp ?? ''),
    )[0]
  if (inFlight) pending.push(`Backup ${ref(inFlight)} ${progressOf(inFlight)}`)
  const state: StepState & { inFlight?: VeleroBackup } = { done: false, evidence: [], pending }
  if (inFlight) state.inFlight = inFlight
  return state
}

/**
 * Creates the Backup. A name already taken (two runs in one second) gets a suffix; a create
 * retried after an ambiguous failure that meets its own first attempt (ours, still New) adopts it.
 */
async function createBackup(ctx: StageContext, obj: VeleroBackup): Promise<VeleroBackup> {
  const base = obj.metadata.name!
  for (let n = 1; n <= 5; n++) {
    const attempt: VeleroBackup = {
      ...obj,
      metadata: { ...obj.metadata, name: n === 1 ? base : `${base}-${n}` },
    }
    try {
      return await ctx.kube.create(attempt)
    } catch (err) {
      if (!isAlreadyExists(err)) throw err
      const existing = await ctx.kube.get<VeleroBackup>(
        BACKUP_API,
        BACKUP_KIND,
        attempt.metadata.name!,
        attempt.metadata.namespace,
      )
      if (
        existing &&
        ours(existing, ctx.inventory.fleet) &&
        !existing.status?.phase &&
        now(ctx) - Date.parse(existing.metadata.creationTimestamp ?? '') < 60_000
      )
        return existing
    }
  }
  throw new WorkError(
    `could not create Velero Backup ${obj.metadata.namespace}/${base}: the name and its suffixed variants are taken`,
  )
}

const now = (env: Pick<StageEnv, 'now'>) => env.now().getTime()

export const stage: StageModule = {
  name: 'backup',

  async status(env) {
    const { backup: _b, inFlight: _i, ...state } = await backupState(env)
    return state
  },

  async run(ctx: StageContext): Promise<StageOutcome> {
    const before = await backupState(ctx)
    if (before.done) {
      return {
        status: 'skipped',
        commands: [],
        message: before.evidence[0]!.startsWith('pre-upgrade')
          ? `no new backup needed: ${before.evidence[0]}`
          : `a fresh backup exists: ${before.evidence[0]}`,
        evidence: before.evidence,
      }
    }
    if (before.pending[0]?.startsWith('Velero is not installed')) throw new WorkError(before.pending[0])

    let obj: VeleroBackup
    const adopted = before.inFlight
    if (adopted) {
      // A retried job: wait for the backup the earlier attempt started rather than starting another.
      obj = adopted
      ctx.reporter.info(
        `Velero Backup ${ref(adopted)} from an earlier attempt is ${progressOf(adopted)}: waiting for it`,
      )
    } else {
      obj = backupObject(ctx, backupName(ctx.inventory.fleet, ctx.now()))
      const command = veleroCommand(obj)
      if (ctx.dryRun) {
        return {
          status: 'dry-run',
          commands: [],
          message: `would create Velero Backup ${ref(obj)} (${before.pending.join('; ')}), like \`${command}\`, and wait for it to complete`,
          evidence: [`would create: ${JSON.stringify({ metadata: obj.metadata, spec: obj.spec })}`],
        }
      }
      ctx.reporter.info(
        `${before.pending.join('; ')}: creating Velero Backup ${ref(obj)} (like \`${command}\`)`,
      )
      obj = await createBackup(ctx, obj)
    }
    if (ctx.dryRun) {
      return {
        status: 'dry-run',
        commands: [],
        message: `would wait for Velero Backup ${ref(obj)} (${progressOf(obj)})`,
        evidence: [],
      }
    }

    const name = obj.metadata.name!
    const namespace = obj.metadata.namespace!
    let last: VeleroBackup = obj
    await waitFor(ctx, `Velero Backup ${namespace}/${name}`, async () => {
      const current = await ctx.kube.get<VeleroBackup>(BACKUP_API, BACKUP_KIND, name, namespace)
      if (!current)
        throw new WorkError(`Velero Backup ${namespace}/${name} disappeared while waiting for it (deleted?)`)
      last = current
      const phase = current.status?.phase ?? ''
      // Failed, PartiallyFailed, FailedValidation: a terminal state (the summary names it and what to do)
      const failed = backupTerminal(current)
      if (failed) return { done: false, evidence: [], pending: [progressOf(current)], failed }
      if (FAILED_PHASES.has(phase)) throw new WorkError(failureOf(current))
      return { done: phase === 'Completed', evidence: [], pending: [progressOf(current)] }
    })
    ctx.snapshot.refresh(BACKUP_KIND)

    const s = last.status ?? {}
    if ((s.warnings ?? 0) > 0) {
      ctx.reporter.warning(
        `Velero Backup ${namespace}/${name} Completed with ${s.warnings} warning(s): see \`velero backup describe ${name} --details -n ${namespace}\``,
      )
    }
    return {
      status: 'upgraded',
      commands: [],
      message: `${adopted ? 'awaited' : 'created'} Velero Backup ${namespace}/${name}: Completed`,
      evidence: [
        `Velero Backup ${namespace}/${name} Completed at ${s.completionTimestamp ?? '?'}: ${s.progress?.itemsBackedUp ?? '?'}/${s.progress?.totalItems ?? '?'} items, ${s.warnings ?? 0} warning(s), ${s.errors ?? 0} error(s)${s.expiration ? `; expires ${s.expiration}` : ''}`,
        `restore (if the upgrade must be undone): velero restore create --from-backup ${name} -n ${namespace}`,
      ],
    }
  },
}
