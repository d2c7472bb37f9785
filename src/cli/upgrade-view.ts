// What `dkp-fleet upgrade` shows: on a terminal a live view (finished steps scroll above one
// line per running cluster: stage, state, elapsed), in a pipe or CI plain lines, with --json one
// event per line; then the final table (not with --json: the `finished` event ends the stream).

import { table } from '../core/text.js'
import type { StepRecord, UpgradeEvent } from '../stages/upgrade.js'
import { type Paint, stateColour } from './colour.js'

export type ViewMode = 'tty' | 'plain' | 'json'

/** `1m02s`, `12s`. */
export function elapsed(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
}

const clock = (iso: string) => iso.slice(11, 19)

interface Running {
  step: string
  stage: string
  cluster: string
  wave?: number
  started: number
}

export class UpgradeView {
  private readonly running = new Map<string, Running>()
  private drawn = 0
  private timer: NodeJS.Timeout | undefined
  private done = 0
  private total = 0

  constructor(
    private readonly mode: ViewMode,
    private readonly write: (text: string) => void,
    private readonly paint: Paint,
    private readonly now: () => number = Date.now,
    /** Redraw interval of the live view (ms). */
    private readonly tick = 1000,
  ) {}

  emit(e: UpgradeEvent): void {
    if (this.mode === 'json') {
      this.write(`${JSON.stringify(e)}\n`)
      return
    }
    this.clear()
    this.write(this.line(e))
    if (e.event === 'start') this.total = e.steps
    if (e.event === 'step-started')
      this.running.set(e.step, {
        step: e.step,
        stage: e.stage,
        cluster: e.cluster,
        ...(e.wave !== undefined ? { wave: e.wave } : {}),
        started: Date.parse(e.time),
      })
    if (e.event === 'step-finished') {
      this.running.delete(e.step)
      this.done++
    }
    if (e.event === 'finished') this.stop()
    else this.draw()
  }

  /** The permanent line an event leaves (empty for none). */
  line(e: UpgradeEvent): string {
    const p = this.paint
    switch (e.event) {
      case 'start':
        return `${p.bold(`Upgrading fleet ${e.fleet}`)}: ${e.steps} step(s), up to ${e.maxParallel} cluster(s) at once, later waves halt after more than ${e.failureThreshold} failed cluster(s)\n${e.notes.map((n) => `note: ${n}\n`).join('')}`
      case 'step-started':
        return this.mode === 'plain'
          ? `${clock(e.time)}  started   ${e.step}${e.wave !== undefined ? ` (wave ${e.wave})` : ''}\n`
          : ''
      case 'step-finished': {
        const status = stateColour(p, e.status)(e.status.padEnd(8))
        const msg =
          e.status === 'failed' || e.status === 'deferred' || e.status === 'cancelled'
            ? `\n    ${(e.message ?? '').split('\n').slice(0, 6).join('\n    ')}`
            : ''
        return `${clock(e.time)}  ${status}  ${e.step}${e.wave !== undefined ? ` (wave ${e.wave})` : ''}  ${elapsed(e.seconds * 1000)}${msg}\n`
      }
      case 'halted':
        return `${clock(e.time)}  ${p.red('halted')}    before wave ${e.wave}: ${e.reason}\n`
      case 'paused':
        return `${clock(e.time)}  ${p.yellow('paused')}    by ${e.by}: ${e.reason} (run \`dkp-fleet resume\`, then upgrade again)\n`
      case 'finished':
        return ''
    }
  }

  /** The live block: one line per running cluster. */
  liveBlock(): string[] {
    const now = this.now()
    const rows = [...this.running.values()].map((r) => [
      `  ${this.paint.yellow('●')} ${r.cluster}`,
      r.wave !== undefined ? `wave ${r.wave}` : 'management',
      r.stage,
      this.paint.yellow('running'),
      elapsed(now - r.started),
    ])
    const width = (i: number) => Math.max(...rows.map((r) => visible(r[i]!).length))
    const lines = rows.map((r) => r.map((c, i) => (i < r.length - 1 ? pad(c, width(i)) : c)).join('  '))
    return [`${this.paint.dim(`${this.done}/${this.total} steps finished`)}`, ...lines]
  }

  private draw(): void {
    if (this.mode !== 'tty') return
    const lines = this.liveBlock()
    this.write(`${lines.join('\n')}\n`)
    this.drawn = lines.length
    if (!this.timer && this.tick > 0) {
      this.timer = setInterval(() => {
        this.clear()
        this.draw()
      }, this.tick)
      this.timer.unref()
    }
  }

  private clear(): void {
    if (this.mode !== 'tty' || this.drawn === 0) return
    // Up to the block's first line, then erase to the end of the screen.
    this.write(`\x1b[${this.drawn}F\x1b[J`)
    this.drawn = 0
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    this.clear()
  }
}

/** The final table: one row per cluster (and gate), its steps' statuses and time taken. */
export function finalTable(records: StepRecord[]): string {
  const rows = new Map<string, { wave: string; steps: { stage: string; status: string }[]; ms: number }>()
  for (const r of records) {
    const key = r.step.gate ? `verify (gate before wave ${r.step.wave})` : r.step.cluster
    const row = rows.get(key) ?? {
      wave: r.step.wave !== undefined && !r.step.gate ? String(r.step.wave) : '-',
      steps: [],
      ms: 0,
    }
    row.steps.push({ stage: r.step.stage, status: r.status })
    row.ms += r.finished - r.started
    rows.set(key, row)
  }
  return table(
    ['CLUSTER', 'WAVE', 'STEPS', 'TIME'],
    [...rows.entries()].map(([k, v]) => [k, v.wave, stepsText(v.steps), elapsed(v.ms)]),
  )
}

const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '')
const pad = (s: string, width: number) => s + ' '.repeat(Math.max(0, width - visible(s).length))

/** Up to 3 steps by name (`core-addons upgraded, kubernetes upgraded`); more as counts, naming any that did not end well. */
function stepsText(steps: { stage: string; status: string }[]): string {
  if (steps.length <= 3) return steps.map((s) => `${s.stage} ${s.status}`).join(', ')
  const counts = new Map<string, number>()
  for (const s of steps) counts.set(s.status, (counts.get(s.status) ?? 0) + 1)
  const bad = steps.filter((s) => !['upgraded', 'skipped', 'passed', 'dry-run'].includes(s.status))
  return `${steps.length} steps: ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}${bad.length ? ` (${bad.map((s) => `${s.stage} ${s.status}`).join(', ')})` : ''}`
}
