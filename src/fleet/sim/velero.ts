// Velero backup controller: a Backup goes New → InProgress (startTimestamp, progress) →
// Completed (completionTimestamp, expiration = start + ttl), or FailedValidation when its
// storage location does not exist, or PartiallyFailed/Failed when a fault asks for it (sim fault
// `fail:<phase or reason>`, or the Backup's label `velero.dkp-fleet.dev/fail=<phase>`).

import { type AnyObject, kubeTime } from '../objects.js'
import { spec, status, type TickContext } from './context.js'

export const BACKUP_FAIL_LABEL = 'velero.dkp-fleet.dev/fail'
const DONE = new Set(['Completed', 'PartiallyFailed', 'Failed', 'FailedValidation', 'Deleting'])

function ttlMs(ttl: string | undefined): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(ttl ?? '')
  if (!ttl || !m) return 720 * 3600_000
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000
}

function totalItems(b: AnyObject): number {
  return 100 + (((b.metadata.name as string).length * 37) % 400)
}

export function reconcileBackups(ctx: TickContext): void {
  const locations = ctx.snap.all('BackupStorageLocation')
  for (const b of ctx.snap.all('Backup')) {
    const phase = status<string>(b, 'phase') ?? ''
    if (DONE.has(phase)) continue
    const fault = ctx.fault(b)
    if (fault?.stall) continue
    ctx.pending(b)
    const update: Update = (patch) =>
      ctx.write({
        op: 'update',
        obj: b,
        manager: 'velero-server',
        compute: (f) => ({ ...f, status: { ...(f.status ?? {}), ...patch(f) } }),
      })
    if (phase === '') {
      accept(ctx, b, locations, update)
      continue
    }
    if (!ctx.due(b, phase)) continue
    const total = totalItems(b)
    if (phase === 'New') {
      update(() => ({
        phase: 'InProgress',
        startTimestamp: kubeTime(),
        progress: { totalItems: total, itemsBackedUp: 0 },
      }))
      continue
    }
    // InProgress: halfway, then the end
    const done = Number(status<number>(b, 'progress', 'itemsBackedUp') ?? 0)
    if (done < total / 2) {
      update(() => ({ progress: { totalItems: total, itemsBackedUp: Math.ceil(total / 2) } }))
      continue
    }
    finish(b, fault?.fail ?? b.metadata.labels?.[BACKUP_FAIL_LABEL], total, update)
  }
}

type Update = (patch: (f: AnyObject) => Record<string, unknown>) => void

/**
 * A new Backup: FailedValidation when its storage location (named, else the namespace's
 * default) does not exist; else, like Velero, the location is written into the spec and the
 * phase goes New.
 */
function accept(ctx: TickContext, b: AnyObject, locations: AnyObject[], update: Update): void {
  const wanted = spec<string>(b, 'storageLocation')
  const bsl = wanted
    ? locations.find((l) => l.metadata.namespace === b.metadata.namespace && l.metadata.name === wanted)
    : locations.find((l) => l.metadata.namespace === b.metadata.namespace && spec<boolean>(l, 'default'))
  if (!bsl) {
    update(() => ({
      phase: 'FailedValidation',
      version: 1,
      formatVersion: '1.1.0',
      validationErrors: [
        wanted
          ? `an existing backup storage location wasn't specified at backup creation time and the server default '${wanted}' doesn't exist. Please address this issue (see \`velero backup-location -h\` for options) and create a new backup. Error: backupstoragelocations.velero.io "${wanted}" not found`
          : 'an existing backup storage location was not specified at backup creation time and no default backup storage location is configured',
      ],
    }))
    return
  }
  ctx.write({
    op: 'update',
    obj: b,
    manager: 'velero-server',
    compute: (f) => ({
      ...f,
      spec: {
        ...(f.spec ?? {}),
        storageLocation: spec<string>(f, 'storageLocation') ?? bsl.metadata.name,
      },
      status: {
        ...(f.status ?? {}),
        phase: 'New',
        version: 1,
        formatVersion: '1.1.0',
        expiration: undefined,
      },
    }),
  })
}

/** The end of a backup: Completed, or the PartiallyFailed/Failed a fault asks for (`want`). */
function finish(b: AnyObject, want: string | undefined, total: number, update: Update): void {
  const start = Date.parse(status<string>(b, 'startTimestamp') ?? kubeTime())
  const end = kubeTime()
  const expiration = kubeTime(new Date(start + ttlMs(spec<string>(b, 'ttl'))))
  if (!want) {
    update(() => ({
      phase: 'Completed',
      completionTimestamp: end,
      expiration,
      progress: { totalItems: total, itemsBackedUp: total },
      warnings: 0,
      errors: 0,
    }))
  } else if (want === 'PartiallyFailed') {
    update(() => ({
      phase: 'PartiallyFailed',
      completionTimestamp: end,
      expiration,
      progress: { totalItems: total, itemsBackedUp: total - 3 },
      warnings: 2,
      errors: 3,
    }))
  } else {
    update(() => ({
      phase: 'Failed',
      completionTimestamp: end,
      expiration,
      failureReason:
        want === 'Failed'
          ? 'error checking if backup already exists in object storage: rpc error: code = Unknown'
          : want,
      progress: { totalItems: total, itemsBackedUp: Math.ceil(total / 2) },
      warnings: 1,
      errors: 1,
    }))
  }
}
