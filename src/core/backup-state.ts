// The backup gate (reference/dkp.md §6) as pure functions: which Velero Backup satisfies it
// (a Completed one younger than `backup.maxAge`, else the pre-upgrade one dkp-fleet took for the
// target once Kommander runs it), the Backup object `velero backup create <name>` would send
// (plus dkp-fleet's labels), and how a running Backup is doing. The stage (src/stages/backup.ts)
// reads and creates.

import { K } from './kinds.js'
import type { KubeObject } from './kube-object.js'
import type { BackupSettings, Inventory } from './model.js'
import { type PartState, type Pending, pend, type StepState } from './step-state.js'
import { backupTerminal } from './terminal.js'
import { sameVersion } from './versions.js'

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

export const FAILED_PHASES = new Set(['PartiallyFailed', 'Failed', 'FailedValidation', 'Deleting'])
export const ACTIVE_PHASES = new Set([
  '',
  'New',
  'InProgress',
  'WaitingForPluginOperations',
  'WaitingForPluginOperationsPartiallyFailed',
  'Finalizing',
  'FinalizingPartiallyFailed',
])

export const [BACKUP_API, BACKUP_KIND] = K.backup

export const ours = (b: VeleroBackup, fleet: string) =>
  b.metadata.labels?.[MANAGED_BY] === 'dkp-fleet' && (b.metadata.labels?.[FLEET_LABEL] ?? fleet) === fleet
export const completedAt = (b: VeleroBackup) => Date.parse(b.status?.completionTimestamp ?? '')
export const backupRef = (b: VeleroBackup) => `${b.metadata.namespace}/${b.metadata.name}`

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
export function backupObject(
  env: { inventory: Pick<Inventory, 'backup' | 'fleet'>; target: { dkp: string } },
  name: string,
): VeleroBackup {
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
export function labelValue(value: string): string {
  return value
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '')
}

export function progressOf(b: VeleroBackup): string {
  const p = b.status?.progress
  const phase = b.status?.phase || 'not picked up by Velero yet'
  return p?.totalItems ? `${phase}: ${p.itemsBackedUp ?? 0}/${p.totalItems} items` : phase
}

export function failureOf(b: VeleroBackup): string {
  const s = b.status ?? {}
  const parts = [
    `Velero Backup ${backupRef(b)} ended ${s.phase}: ${s.errors ?? 0} error(s), ${s.warnings ?? 0} warning(s)`,
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

/** What the backup gate reads: the Backups in the Velero namespace and what Kommander runs. */
export interface BackupRead {
  fleet: string
  management: string
  settings: BackupSettings
  targetDkp: string
  /** Epoch ms of the read. */
  now: number
  /** False when the server does not serve velero.io/v1 Backup (Velero not installed). */
  served: boolean
  backups: VeleroBackup[]
  /** Kommander's applied chart version (= the DKP release running). */
  kommanderAt?: string
}

/** The backup gate's state: why it holds (a fresh backup, or the pre-upgrade one once Kommander runs the target). */
export interface BackupState extends StepState {
  backup?: VeleroBackup
  /** A backup dkp-fleet started that is still running (a retried job waits for it). */
  inFlight?: VeleroBackup
  /** Why it holds. */
  reason?: 'fresh' | 'pre-upgrade'
}

/** The freshest Completed backup, preferring those dkp-fleet made. Pure. */
export function backupState(read: BackupRead): BackupState {
  const { settings, fleet, now } = read
  const where = `${settings.namespace} on ${read.management}`
  if (!read.served) {
    const object = `${BACKUP_API} Backup`
    const text = `Velero is not installed on ${read.management} (the server does not serve ${object}): install or enable Velero, or turn backups off in the inventory with a reason`
    return { done: false, evidence: [], pending: [pend('not-installed', text, object)] }
  }
  const maxAgeMs = settings.maxAgeSeconds * 1000
  const completed = read.backups
    .filter((b) => b.status?.phase === 'Completed' && Number.isFinite(completedAt(b)))
    .sort((a, b) => completedAt(b) - completedAt(a))
  const fresh = completed.filter((b) => now - completedAt(b) <= maxAgeMs)
  const pick = fresh.find((b) => ours(b, fleet)) ?? fresh[0]
  if (pick) {
    const age = formatAge(now - completedAt(pick))
    const evidence = `Velero Backup ${backupRef(pick)} Completed ${age} ago (at ${pick.status?.completionTimestamp}; max age ${formatAge(maxAgeMs)})${ours(pick, fleet) ? ', made by dkp-fleet' : ''}`
    return { done: true, backup: pick, reason: 'fresh', evidence: [evidence], pending: [] }
  }
  // Once Kommander runs the target, the pre-upgrade backup has served its purpose: the backup
  // taken for this target (labelled by dkp-fleet) keeps the step done for verify and status.
  const preUpgrade = completed.find(
    (b) => ours(b, fleet) && b.metadata.labels?.[TARGET_LABEL] === labelValue(read.targetDkp),
  )
  if (preUpgrade && sameVersion(read.kommanderAt, read.targetDkp)) {
    const evidence = `pre-upgrade Velero Backup ${backupRef(preUpgrade)} for ${read.targetDkp} Completed ${formatAge(now - completedAt(preUpgrade))} ago; Kommander already runs ${read.targetDkp}`
    return { done: true, backup: preUpgrade, reason: 'pre-upgrade', evidence: [evidence], pending: [] }
  }
  const newest = completed[0]
  const pending: Pending[] = [
    pend(
      'not-at-target',
      newest
        ? `no Completed Velero Backup younger than ${formatAge(maxAgeMs)} in ${where} (newest: ${backupRef(newest)}, ${formatAge(now - completedAt(newest))} old)`
        : `no Completed Velero Backup in ${where}`,
    ),
  ]
  const created = (b: VeleroBackup) => Date.parse(b.metadata.creationTimestamp ?? '')
  const inFlight = read.backups
    .filter((b) => ours(b, fleet) && ACTIVE_PHASES.has(b.status?.phase ?? '') && now - created(b) <= maxAgeMs)
    .sort((a, b) => created(b) - created(a))[0]
  const state: BackupState = { done: false, evidence: [], pending }
  if (inFlight) {
    pending.push(
      pend(
        'converging',
        `Backup ${backupRef(inFlight)} ${progressOf(inFlight)}`,
        `Backup ${backupRef(inFlight)}`,
      ),
    )
    state.inFlight = inFlight
  }
  return state
}

/** One Backup's part: Completed, still running (its progress), or failed (a terminal state; `Deleting` a failure of its own). */
export function backupPart(b: VeleroBackup | undefined, ref: string): PartState {
  if (!b)
    return {
      done: false,
      evidence: [],
      pending: [pend('not-found', `Velero Backup ${ref} not created yet`, ref)],
    }
  const phase = b.status?.phase ?? ''
  const progress = progressOf(b)
  if (phase === 'Completed')
    return { done: true, evidence: [`Velero Backup ${ref} Completed`], pending: [], progress }
  const part: PartState = {
    done: false,
    evidence: [],
    pending: [pend('converging', progress, `Velero Backup ${ref}`)],
    progress,
  }
  // Failed, PartiallyFailed, FailedValidation: a terminal state (the summary names it and what to do)
  const failed = backupTerminal(b)
  if (failed) part.failed = failed
  return part
}
