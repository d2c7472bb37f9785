// The run record: one ConfigMap per fleet on the management cluster holding the results of
// every stage run (plan digest, step, status, versions, times, who, dkp commands). It is the
// audit trail and the evidence where live state cannot tell whether a step ran (a check that
// passed, CAPI components upgraded for a release). Bounded: the oldest entries roll off.
// The pause marker lives in a second ConfigMap so pausing never contends with record writes.

import { WorkError } from '../core/errors.js'
import { isAlreadyExists, isConflict, type Kube, type KubeObject } from './kube.js'

export interface RecordEntry {
  stepId: string
  stage: string
  cluster: string
  status: string
  from?: string
  to?: string
  started: string
  finished: string
  planDigest: string
  runId: string
  actor: string
  commands: string[]
  message?: string
}

export interface PauseMarker {
  reason: string
  by: string
  at: string
}

interface ConfigMap extends KubeObject {
  data?: Record<string, string>
}

/** Entries kept; with ~600 bytes each this stays far below the 1 MiB object limit. */
export const MAX_ENTRIES = 400
const MAX_BYTES = 700_000
const ENTRIES_KEY = 'entries.json'

export const recordName = (fleet: string) => `dkp-fleet-${fleet}-record`
export const pauseName = (fleet: string) => `dkp-fleet-${fleet}-pause`

export class RunRecord {
  private cache: RecordEntry[] | undefined

  constructor(
    private readonly kube: Kube,
    readonly namespace: string,
    readonly fleet: string,
  ) {}

  async entries(options: { fresh?: boolean } = {}): Promise<RecordEntry[]> {
    if (this.cache && !options.fresh) return this.cache
    const cm = await this.kube.get<ConfigMap>('v1', 'ConfigMap', recordName(this.fleet), this.namespace)
    this.cache = parseEntries(cm)
    return this.cache
  }

  /** The newest entry for a step (optionally only entries reaching `to`). */
  async latest(stepId: string, to?: string): Promise<RecordEntry | undefined> {
    const all = await this.entries()
    for (let i = all.length - 1; i >= 0; i--) {
      const e = all[i]!
      if (e.stepId === stepId && (to === undefined || e.to === to)) return e
    }
    return undefined
  }

  /** Appends an entry; concurrent writers (matrix jobs) are serialised by resourceVersion. */
  async append(entry: RecordEntry): Promise<void> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const cm = await this.kube.get<ConfigMap>('v1', 'ConfigMap', recordName(this.fleet), this.namespace)
      const entries = [...parseEntries(cm), entry]
      const data = { [ENTRIES_KEY]: serialize(entries) }
      try {
        if (cm) await this.kube.replace<ConfigMap>({ ...cm, data: { ...cm.data, ...data } })
        else
          await this.kube.create<ConfigMap>({
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: {
              name: recordName(this.fleet),
              namespace: this.namespace,
              labels: { 'app.kubernetes.io/managed-by': 'dkp-fleet', 'dkp-fleet/fleet': this.fleet },
            },
            data,
          })
        this.cache = undefined
        return
      } catch (err) {
        if (isConflict(err) || isAlreadyExists(err)) {
          await new Promise((r) => setTimeout(r, 50 + Math.random() * 200))
          continue
        }
        throw err
      }
    }
    throw new WorkError(
      `could not update the run record ${this.namespace}/${recordName(this.fleet)}: too many concurrent writers`,
    )
  }

  async pause(): Promise<PauseMarker | undefined> {
    const cm = await this.kube.get<ConfigMap>('v1', 'ConfigMap', pauseName(this.fleet), this.namespace)
    if (!cm?.data?.reason) return undefined
    return {
      reason: cm.data.reason,
      by: cm.data.by ?? 'unknown',
      at: cm.data.at ?? cm.metadata.creationTimestamp ?? '',
    }
  }

  async setPause(marker: PauseMarker): Promise<void> {
    const body: ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: pauseName(this.fleet),
        namespace: this.namespace,
        labels: { 'app.kubernetes.io/managed-by': 'dkp-fleet', 'dkp-fleet/fleet': this.fleet },
      },
      data: { reason: marker.reason, by: marker.by, at: marker.at },
    }
    try {
      await this.kube.create(body)
    } catch (err) {
      if (!isAlreadyExists(err)) throw err
      const cm = await this.kube.get<ConfigMap>('v1', 'ConfigMap', pauseName(this.fleet), this.namespace)
      await this.kube.replace<ConfigMap>({
        ...body,
        metadata: { ...body.metadata, resourceVersion: cm?.metadata.resourceVersion },
      })
    }
  }

  /** Removes the pause marker; false when the fleet was not paused. */
  async clearPause(): Promise<boolean> {
    return this.kube.delete('v1', 'ConfigMap', pauseName(this.fleet), this.namespace)
  }
}

function parseEntries(cm: ConfigMap | undefined): RecordEntry[] {
  const text = cm?.data?.[ENTRIES_KEY]
  if (!text) return []
  try {
    const parsed = JSON.parse(text) as unknown
    return Array.isArray(parsed) ? (parsed as RecordEntry[]) : []
  } catch {
    return []
  }
}

/** Newest entries that fit the bounds, one entry per line (readable with kubectl). */
function serialize(entries: RecordEntry[]): string {
  let kept = entries.slice(-MAX_ENTRIES)
  let text = `[\n${kept.map((e) => JSON.stringify(e)).join(',\n')}\n]`
  while (text.length > MAX_BYTES && kept.length > 1) {
    kept = kept.slice(Math.ceil(kept.length / 10))
    text = `[\n${kept.map((e) => JSON.stringify(e)).join(',\n')}\n]`
  }
  return text
}
