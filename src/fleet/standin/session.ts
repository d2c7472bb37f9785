// What a command run touches besides its output: the API server of --kubeconfig, writes
// counted against the fault switches (DKP_STANDIN_FAIL/HANG/SLOW, docs/test-fleet.md), the
// injected client-go error lines, and polling waits with their deadlines.

import { Kube } from '../../effects/kube.js'
import { dkpRelease } from '../dkp-releases.js'
import { FAULT_ANNOTATION } from '../objects.js'
import { CliError, type Ctx } from './command.js'
import { faultsFor, type StandinFaults } from './faults.js'
import { formatDuration } from './flags.js'

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
export const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

/** `--kubeconfig`, else like a cobra/client-go CLI: `$KUBECONFIG`, else `~/.kube/config`. */
export function kubeOf(ctx: Ctx): Kube {
  const path = str(ctx.flags.kubeconfig)
  const context = str(ctx.flags.context) ?? str(ctx.flags['use-context'])
  const options = { fieldManager: 'dkp', userAgent: `dkp/${ctx.version}`, ...(context ? { context } : {}) }
  try {
    return path ? Kube.fromFile(path, options) : Kube.fromDefault(options)
  } catch (err) {
    throw new CliError(
      `failed to load kubeconfig ${path ?? ctx.io.env.KUBECONFIG ?? '~/.kube/config'}: ${(err as Error).message}`,
    )
  }
}

export function pollMs(env: NodeJS.ProcessEnv): number {
  return Math.max(10, Number(env.DKP_STANDIN_POLL_MS ?? 250) || 250)
}

/** Counts writes; fails or hangs at the fault's threshold; marks objects slow. */
export class Writer {
  count = 0
  constructor(
    private readonly ctx: Ctx,
    readonly faults: StandinFaults,
  ) {}

  private async gate(): Promise<void> {
    const { fail, hang } = this.faults
    if (hang && this.count >= hang.n) {
      this.ctx.io.stderr(`I${stamp()} hanging (DKP_STANDIN_HANG) after ${this.count} write(s)\n`)
      await new Promise(() => setInterval(() => {}, 1 << 30))
    }
    if (fail && this.count >= fail.n) {
      throw new CliError(
        `${this.ctx.path.slice(1).join(' ')}: injected failure after ${this.count} write(s) (DKP_STANDIN_FAIL)`,
      )
    }
  }

  /** Annotations to add to written objects (slow fault). */
  get annotations(): Record<string, string> | undefined {
    return this.faults.slow ? { [FAULT_ANNOTATION]: `slow:${this.faults.slow.n}` } : undefined
  }

  async write<T>(fn: () => Promise<T>): Promise<T> {
    await this.gate()
    const out = await fn()
    this.count++
    const delay = Number(this.ctx.io.env.DKP_STANDIN_WRITE_DELAY_MS ?? 0)
    if (delay > 0) await sleep(delay)
    return out
  }

  /** After the last write: a threshold at or above the total still fires. */
  async done(): Promise<void> {
    const { fail, hang } = this.faults
    if ((fail && this.count >= fail.n) || (hang && this.count >= hang.n)) await this.gate()
  }
}

export function stamp(): string {
  const d = new Date()
  const p = (n: number, w = 2) => String(n).padStart(w, '0')
  return `${p(d.getMonth() + 1)}${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}000 ${process.pid}`
}

/** Fault-switch key of a command: its path without the provider (`update-nodepool`). */
export function commandKey(ctx: Ctx): string {
  const providers = dkpRelease(ctx.version).providers
  return ctx.path
    .slice(1)
    .filter((p) => !providers.includes(p))
    .join('-')
}

/** DKP_STANDIN_PRINT_ERRORS: client-go style error lines on stderr; the command goes on. */
export function printInjectedErrors(ctx: Ctx): void {
  const targets = [ctx.flags['cluster-name'], ctx.flags.workspace, ctx.flags.project, ...ctx.args].map((v) =>
    typeof v === 'string' ? v : undefined,
  )
  if (!faultsFor(ctx.io.env, commandKey(ctx), targets).printErrors) return
  ctx.io.stderr(
    `E${stamp()} reflector.go:147] k8s.io/client-go/tools/cache: failed to list *v1.Secret: the server is currently unable to handle the request\n` +
      `W${stamp()} warnings.go:70] unable to refresh discovery information: an error on the server ("") has prevented the request from succeeding\n` +
      `E${stamp()} memcache.go:265] couldn't get current server API group list: Get "https://127.0.0.1/api?timeout=32s": net/http: TLS handshake timeout\n`,
  )
}

export function writerFor(ctx: Ctx, targets: (string | undefined)[]): Writer {
  return new Writer(ctx, faultsFor(ctx.io.env, commandKey(ctx), targets))
}

/** Polls `check` until it returns true; `limitMs` 0 = forever (env DKP_STANDIN_WAIT_TIMEOUT_MS caps it). */
export async function waitFor(
  ctx: Ctx,
  what: string,
  limitMs: number,
  check: () => Promise<boolean | string>,
): Promise<void> {
  const cap = Number(ctx.io.env.DKP_STANDIN_WAIT_TIMEOUT_MS ?? 0)
  const limit = limitMs > 0 && cap > 0 ? Math.min(limitMs, cap) : limitMs || cap
  const deadline = limit > 0 ? Date.now() + limit : Number.POSITIVE_INFINITY
  const poll = pollMs(ctx.io.env)
  let last: string | boolean = false
  for (;;) {
    last = await check()
    if (last === true) return
    if (Date.now() > deadline) {
      throw new CliError(
        `timed out waiting for ${what}${typeof last === 'string' ? `: ${last}` : ''} (after ${formatDuration(limit)})`,
      )
    }
    await sleep(poll)
  }
}
