// `backup`: the Velero backup the DKP docs require before an upgrade (reference/dkp.md §6).
// Done when a `Completed` velero.io/v1 Backup younger than `backup.maxAge` exists in the
// inventory's Velero namespace (default `kommander`); otherwise its one step creates one the way
// `velero backup create <name>` does (a Kubernetes create, not a dkp command) and waits for its
// phase; a retried job waits for the backup its earlier attempt started. The Kommander stage
// lists this step in its prerequisites, so it refuses to start without a fresh backup (the
// executor leaves the requirement out when the inventory turned backups off and the plan has no
// backup step). The judging is pure: src/core/backup-state.ts.

import {
  BACKUP_API,
  BACKUP_KIND,
  type BackupRead,
  type BackupState,
  backupName,
  backupObject,
  backupPart,
  backupRef,
  backupState,
  FAILED_PHASES,
  failureOf,
  ours,
  progressOf,
  type VeleroBackup,
  veleroCommand,
} from '../core/backup-state.js'
import { WorkError } from '../core/errors.js'
import { type HelmRelease, K } from '../core/kinds.js'
import { helmReleaseView, KOMMANDER_NS, KOMMANDER_RELEASE } from '../core/kommander-releases.js'
import { pendingTexts, type StepState } from '../core/step-state.js'
import { backupTerminal } from '../core/terminal.js'
import { isAlreadyExists } from '../effects/kube.js'
import { defineStage } from './drive.js'
import { refuse, type StageContext, type StageEnv, type Step, type UpgradeStage } from './types.js'

export { DEFAULT_TTL, formatAge, type VeleroBackup } from '../core/backup-state.js'

/** Reads the Backups of the Velero namespace (one list) and what Kommander runs. */
export async function readBackups(env: StageEnv): Promise<BackupRead> {
  const { backup: settings, fleet } = env.inventory
  const read: BackupRead = {
    fleet,
    management: env.inventory.management.name,
    settings,
    targetDkp: env.target.dkp,
    now: env.now().getTime(),
    served: await env.snapshot.served(BACKUP_API, BACKUP_KIND),
    backups: [],
  }
  if (!read.served) return read
  const [backups, kommander] = await Promise.all([
    env.snapshot.list<VeleroBackup>(BACKUP_API, BACKUP_KIND, settings.namespace),
    env.snapshot.get<HelmRelease>(...K.helmRelease, KOMMANDER_RELEASE, KOMMANDER_NS),
  ])
  read.backups = backups
  const applied = kommander ? helmReleaseView(kommander).applied : undefined
  if (applied) read.kommanderAt = applied
  return read
}

/** The backup gate's state from live state (check reads it too). */
export async function readBackupState(env: StageEnv): Promise<BackupState> {
  return backupState(await readBackups(env))
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
        ctx.now().getTime() - Date.parse(existing.metadata.creationTimestamp ?? '') < 60_000
      )
        return existing
    }
  }
  throw new WorkError(
    `could not create Velero Backup ${obj.metadata.namespace}/${base}: the name and its suffixed variants are taken`,
  )
}

/** The one step: create a Backup (or adopt the one an earlier attempt started) and wait for it. */
function backupStep(read: BackupRead, judged: BackupState, ctx: StageContext): Step<BackupRead> {
  const namespace = read.settings.namespace
  const adopted = judged.inFlight
  const obj = adopted ?? backupObject(ctx, backupName(read.fleet, ctx.now()))
  /** The Backup's name once created (a create may add a suffix); the adopted one's at once. */
  let name = adopted?.metadata.name
  const pending = pendingTexts(judged).join('; ')
  return {
    get label() {
      return `Velero Backup ${namespace}/${name ?? obj.metadata.name}`
    },
    action: adopted
      ? {
          kind: 'none',
          why: 'the backup an earlier attempt started',
          log: `Velero Backup ${backupRef(adopted)} from an earlier attempt is ${progressOf(adopted)}: waiting for it`,
        }
      : {
          kind: 'create',
          preview: `create Velero Backup ${backupRef(obj)} (${pending}), like \`${veleroCommand(obj)}\`, and wait for it to complete`,
          evidence: [`would create: ${JSON.stringify({ metadata: obj.metadata, spec: obj.spec })}`],
          async create(c) {
            c.reporter.info(
              `${pending}: creating Velero Backup ${backupRef(obj)} (like \`${veleroCommand(obj)}\`)`,
            )
            name = (await createBackup(c, obj)).metadata.name
          },
        },
    done(s) {
      const current = name === undefined ? undefined : s.backups.find((b) => b.metadata.name === name)
      if (name !== undefined && !current)
        throw new WorkError(`Velero Backup ${namespace}/${name} disappeared while waiting for it (deleted?)`)
      if (current && FAILED_PHASES.has(current.status?.phase ?? '') && !backupTerminal(current))
        throw new WorkError(failureOf(current))
      return backupPart(current, `${namespace}/${name ?? obj.metadata.name}`)
    },
  }
}

const backup: UpgradeStage<BackupRead> = {
  name: 'backup',
  kind: 'upgrade',
  read: (env) => readBackups(env),
  evaluate: (read): StepState => {
    const { backup: _b, inFlight: _i, reason: _r, ...state } = backupState(read)
    return state
  },
  refresh: (env) => env.snapshot.refresh(BACKUP_KIND),

  steps(read, ctx) {
    const judged = backupState(read)
    const missing = judged.pending.find((p) => p.code === 'not-installed')
    if (missing) return refuse('not-installed', missing.text)
    return [backupStep(read, judged, ctx)]
  },

  report: {
    skipped: (read) => {
      const judged = backupState(read)
      return judged.reason === 'pre-upgrade'
        ? `no new backup needed: ${judged.evidence[0]}`
        : `a fresh backup exists: ${judged.evidence[0]}`
    },
    start: () => '',
    dryRun: ({ before, acted }) => {
      const judged = backupState(before)
      const action = acted[0]?.action
      if (judged.inFlight || action?.kind !== 'create')
        return {
          message: `would wait for Velero Backup ${backupRef(judged.inFlight!)} (${progressOf(judged.inFlight!)})`,
          evidence: [],
        }
      return { message: `would ${action.preview}`, evidence: action.evidence }
    },
    done: ({ after, acted }) => {
      // The Backup that satisfies the gate now: the one this step created or waited for.
      const b = backupState(after).backup!
      const s = b.status ?? {}
      const { name, namespace } = b.metadata
      return {
        message: `${acted[0]?.action.kind === 'none' ? 'awaited' : 'created'} Velero Backup ${backupRef(b)}: Completed`,
        evidence: [
          `Velero Backup ${backupRef(b)} Completed at ${s.completionTimestamp ?? '?'}: ${s.progress?.itemsBackedUp ?? '?'}/${s.progress?.totalItems ?? '?'} items, ${s.warnings ?? 0} warning(s), ${s.errors ?? 0} error(s)${s.expiration ? `; expires ${s.expiration}` : ''}`,
          `restore (if the upgrade must be undone): velero restore create --from-backup ${name} -n ${namespace}`,
        ],
        warnings:
          (s.warnings ?? 0) > 0
            ? [
                `Velero Backup ${backupRef(b)} Completed with ${s.warnings} warning(s): see \`velero backup describe ${name} --details -n ${namespace}\``,
              ]
            : [],
      }
    },
  },
}

export const stage = defineStage(backup)
