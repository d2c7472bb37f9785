// `dkp-fleet upgrade`: the whole plan on this machine, in the workflow's order (the schedule of
// src/core/upgrade-schedule.ts). Every step is one call of the executor the action runs
// (`runStep`: the CLI runs `dkp-fleet run <stage>` for it, so locks, windows, the pause marker,
// skip-when-done and the run record are the executor's own); this module only decides what
// runs next: the chain in order, each wave at maxParallel clusters, the gate before each wave,
// a halt when a gate fails or (without gates) more clusters failed than failureThreshold, a stop
// when the fleet is paused.

import {
  type Phase,
  type Schedule,
  type ScheduledStep,
  STEP_OK,
  type StepStatus,
  scheduledSteps,
  waveHalts,
} from '../core/upgrade-schedule.js'

/** What one executor call ended as. */
export interface StepOutcome {
  status: StepStatus
  message?: string
  /** The `run` process's exit code: 2 = bad input. */
  exitCode: number
}

export interface StepRecord extends StepOutcome {
  step: ScheduledStep
  /** Milliseconds since the epoch. */
  started: number
  finished: number
}

export type UpgradeEvent =
  | {
      event: 'start'
      fleet: string
      steps: number
      maxParallel: number
      failureThreshold: number
      notes: string[]
    }
  | { event: 'step-started'; step: string; stage: string; cluster: string; wave?: number; time: string }
  | {
      event: 'step-finished'
      step: string
      stage: string
      cluster: string
      wave?: number
      status: StepStatus
      seconds: number
      message?: string
      time: string
    }
  | { event: 'halted'; wave: number; reason: string; time: string }
  | { event: 'paused'; by: string; reason: string; time: string }
  | {
      event: 'finished'
      result: UpgradeResultName
      exitCode: number
      counts: Record<string, number>
      time: string
    }

/** done: every step ran and ended well; the others say why it stopped. */
export type UpgradeResultName = 'done' | 'failed' | 'halted' | 'paused' | 'incomplete' | 'cancelled'

export interface UpgradeOptions {
  fleet: string
  schedule: Schedule
  maxParallel: number
  failureThreshold: number
  runStep(step: ScheduledStep, signal: AbortSignal): Promise<StepOutcome>
  /** The fleet's pause marker, read before each step starts. */
  paused(): Promise<{ by: string; reason: string } | undefined>
  emit(event: UpgradeEvent): void
  signal: AbortSignal
  now?: () => Date
}

export interface UpgradeResult {
  result: UpgradeResultName
  exitCode: number
  records: StepRecord[]
}

class Stop extends Error {
  constructor(readonly result: UpgradeResultName) {
    super(result)
  }
}

export function runUpgrade(o: UpgradeOptions): Promise<UpgradeResult> {
  return new UpgradeRun(o).run()
}

/** One upgrade: the phases in order, every executor call recorded and reported as events. */
class UpgradeRun {
  private readonly records: StepRecord[] = []
  private readonly now: () => Date
  constructor(private readonly o: UpgradeOptions) {
    this.now = o.now ?? (() => new Date())
  }

  async run(): Promise<UpgradeResult> {
    const { o, records } = this
    o.emit({
      event: 'start',
      fleet: o.fleet,
      steps: scheduledSteps(o.schedule).length,
      maxParallel: o.maxParallel,
      failureThreshold: o.failureThreshold,
      notes: o.schedule.notes,
    })
    let result: UpgradeResultName = 'done'
    try {
      for (const phase of o.schedule.phases) await this.phase(phase)
    } catch (err) {
      if (!(err instanceof Stop)) throw err
      result = err.result
    }
    if (o.signal.aborted) result = 'cancelled'
    // Every step ran, but a cluster failed or was deferred (a window) and the rules let the
    // later waves go on: not done.
    if (result === 'done' && records.some((r) => !STEP_OK.has(r.status)))
      result = records.some((r) => r.status === 'failed') ? 'failed' : 'incomplete'
    const exitCode = result === 'done' ? 0 : records.some((r) => r.exitCode === 2) ? 2 : 1
    const counts: Record<string, number> = {}
    for (const r of records) counts[r.status] = (counts[r.status] ?? 0) + 1
    o.emit({ event: 'finished', result, exitCode, counts, time: this.now().toISOString() })
    return { result, exitCode, records }
  }

  /** Stops (cancelled, paused) before a step starts. */
  private async checkPause(): Promise<void> {
    if (this.o.signal.aborted) throw new Stop('cancelled')
    const p = await this.o.paused()
    if (!p) return
    this.o.emit({ event: 'paused', by: p.by, reason: p.reason, time: this.now().toISOString() })
    throw new Stop('paused')
  }

  /** One executor call, between its started and finished events. */
  private async step(step: ScheduledStep): Promise<StepRecord> {
    const { o } = this
    const started = this.now()
    const at = { step: step.id, stage: step.stage, cluster: step.cluster, ...wave(step) }
    o.emit({ event: 'step-started', ...at, time: started.toISOString() })
    let outcome: StepOutcome
    try {
      outcome = await o.runStep(step, o.signal)
    } catch (err) {
      outcome = { status: 'failed', message: (err as Error).message, exitCode: 1 }
    }
    const finished = this.now()
    const record: StepRecord = { step, ...outcome, started: started.getTime(), finished: finished.getTime() }
    this.records.push(record)
    o.emit({
      event: 'step-finished',
      ...at,
      status: outcome.status,
      seconds: Math.round((finished.getTime() - started.getTime()) / 100) / 10,
      ...(outcome.message ? { message: outcome.message } : {}),
      time: finished.toISOString(),
    })
    return record
  }

  private async phase(phase: Phase): Promise<void> {
    if (phase.kind === 'chain') {
      for (const step of phase.steps) {
        await this.checkPause()
        const r = await this.step(step)
        if (!STEP_OK.has(r.status)) throw new Stop(stopFor(r.status))
      }
      return
    }
    if (phase.kind === 'wave') return this.wave(phase)
    await this.checkPause()
    const r = await this.step(phase.step)
    if (STEP_OK.has(r.status)) return
    if (phase.kind === 'gate' && r.status === 'failed') {
      this.halt(phase.step.wave ?? 0, r.message ?? 'the verify gate failed')
    }
    throw new Stop(stopFor(r.status))
  }

  private halt(wave: number, reason: string): never {
    this.o.emit({ event: 'halted', wave, reason, time: this.now().toISOString() })
    throw new Stop('halted')
  }

  /** A wave: clusters from a queue, maxParallel at once; each cluster's steps in order. */
  private async wave(phase: Phase & { kind: 'wave' }): Promise<void> {
    const { o } = this
    const queue = [...phase.clusters]
    let failed = 0
    let stop: Stop | undefined
    const worker = async () => {
      for (let next = queue.shift(); next && !stop; next = queue.shift()) {
        try {
          await this.checkPause()
        } catch (err) {
          stop ??= err as Stop
          return
        }
        for (const step of next.steps) {
          const r = await this.step(step)
          if (STEP_OK.has(r.status)) continue
          if (r.status === 'failed' || r.status === 'cancelled') failed++
          break
        }
      }
    }
    const workers = Math.max(1, Math.min(o.maxParallel, phase.clusters.length))
    await Promise.all(Array.from({ length: workers }, worker))
    if (stop) throw stop
    if (o.signal.aborted) throw new Stop('cancelled')
    // Gated: the next gate decides from live state (as in the workflow). Not gated (dry run,
    // --until): failed clusters of this wave beyond failureThreshold halt the later ones.
    const gated = o.schedule.phases.some((p) => p.kind === 'gate')
    if (!gated && waveHalts(failed, o.failureThreshold))
      this.halt(
        phase.wave,
        `${failed} cluster(s) of wave ${phase.wave} failed, failureThreshold is ${o.failureThreshold}`,
      )
  }
}

const wave = (s: ScheduledStep) => (s.wave !== undefined ? { wave: s.wave } : {})

function stopFor(status: StepStatus): UpgradeResultName {
  return status === 'failed' ? 'failed' : status === 'cancelled' ? 'cancelled' : 'incomplete'
}
