// `dkp-fleet fleet up|down`: a local simulated DKP fleet in the background (dev/demo).
// `up` validates the inventory, writes the stand-in dkp shim, starts the daemon
// (src/fleet/daemon.ts → dist/fleet-daemon.js) detached in its own process group, streams its
// progress to stderr and returns once it reports `ready`. `down` stops the daemon's group and
// the control-plane groups it started, then removes the files. State lives in one JSON file
// (fleetStateDir()), so one fleet per user runs at a time.

import { spawn } from 'node:child_process'
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { InputError, WorkError } from '../core/errors.js'
import type { Inventory } from '../core/model.js'
import { productOf } from '../core/providers.js'
import { DKP_MINORS, minorOf, normalizeDkp } from '../core/versions.js'
import { isKnownDkp } from './dkp-releases.js'
import { packageRoot } from './kube-bins.js'
import { isAlive, stopGroup } from './process-groups.js'
import { dkpTags } from './release-table.js'

/** What the daemon writes to `<dir>/status.json`. */
export interface DaemonStatus {
  phase: 'starting' | 'ready' | 'failed' | 'stopping' | 'stopped'
  pid: number
  /** Progress or error text. */
  message?: string
  kubeconfig?: string
  server?: string
  /** Control-plane process ids (each its own process group). */
  pids?: { etcd: number; apiserver: number }
  startupMs?: number
  crdMs?: number
  seed?: { objects: number; ms: number; dkp: string; kubernetes: string }
  simulator?: boolean
}

/** The state file: enough for `fleet down` to find and stop everything. */
export interface FleetState {
  pid: number
  dir: string
  /** Whether `up` created `dir` (then `down` removes it whole). */
  ownDir: boolean
  kubeconfig: string
  binDir: string
  inventory: string[]
  dkp: string
  target: string
  startedAt: string
}

export interface FleetUpOptions {
  /** Inventory files or globs (default: the package's examples/fleet.yaml). */
  inventory?: string[]
  cwd?: string
  /** DKP version to seed the fleet at (default: the release before the inventory's target). */
  dkp?: string
  /** NKP version to seed the fleet at, instead of `dkp` (`v2.13.x`: the newest 2.13 patch of the table). */
  nkp?: string
  /** Directory for the fleet's files (default: a new temp dir). */
  dir?: string
  /** Control plane + CRDs only: no seeding, no simulated controllers. */
  bare?: boolean
  /** Command that runs the daemon (default: this Node + dist/fleet-daemon.js). */
  daemon?: string[]
  /** Command the dkp shim execs (default: this Node + dist/dkp-standin.js). */
  standin?: string[]
  /** Give up waiting for `ready` after this long (default 20 min: a cold binary build is slow). */
  timeoutMs?: number
  env?: NodeJS.ProcessEnv
  /** Progress lines for humans (stderr). */
  log?: (line: string) => void
  /** Loads and validates the inventory (default: src/effects/inventory-files.ts). */
  loadInventory?: (files: string[], cwd: string) => Promise<Inventory>
}

export interface FleetUp {
  state: FleetState
  status: DaemonStatus
  /** Shell lines for `eval "$(dkp-fleet fleet up)"`. */
  exports: string
}

/** `$DKP_FLEET_STATE_DIR`, else `$XDG_RUNTIME_DIR/dkp-fleet`, else `~/.cache/dkp-fleet/fleet`. */
export function fleetStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DKP_FLEET_STATE_DIR) return env.DKP_FLEET_STATE_DIR
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'dkp-fleet')
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'dkp-fleet', 'fleet')
}

const stateFile = (env?: NodeJS.ProcessEnv) => join(fleetStateDir(env), 'fleet.json')

export function readFleetState(env?: NodeJS.ProcessEnv): FleetState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(env), 'utf8')) as FleetState
  } catch {
    return undefined
  }
}

export function readDaemonStatus(dir: string): DaemonStatus | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as DaemonStatus
  } catch {
    return undefined
  }
}

/** True when `pid` is alive and is the daemon of `dir` (guards against pid reuse). */
export function isDaemon(pid: number, dir: string): boolean {
  if (!isAlive(pid)) return false
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(dir)
  } catch {
    return true // no /proc (macOS): trust the live pid
  }
}

/** The release before `target` in the DKP version table (`.0` patch), else the target itself. */
export function defaultSeedVersion(target: string): string {
  const i = DKP_MINORS.findIndex((m) => m.minor === minorOf(target))
  const prev = i > 0 ? DKP_MINORS[i - 1] : undefined
  return prev ? `v${prev.minor}.0` : target
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

export function exportLines(state: FleetState): string {
  return `export KUBECONFIG=${q(state.kubeconfig)}\nexport PATH=${q(join(state.dir, 'bin'))}:"$PATH"\n`
}

export async function fleetUp(options: FleetUpOptions = {}): Promise<FleetUp> {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const log = options.log ?? (() => {})
  const root = packageRoot()

  const running = readFleetState(env)
  if (running && isDaemon(running.pid, running.dir)) {
    throw new WorkError(
      `a fleet is already running (pid ${running.pid}, ${running.dir}); run \`dkp-fleet fleet down\` first`,
    )
  }
  if (running) rmSync(stateFile(env), { force: true }) // stale

  const { files, target, dkp } = await fleetInventory(options, root, cwd)
  const ownDir = !options.dir
  const dir = options.dir ? resolve(cwd, options.dir) : mkdtempSync(join(tmpdir(), 'dkp-fleet-'))
  mkdirSync(join(dir, 'bin'), { recursive: true })
  rmSync(join(dir, 'status.json'), { force: true })
  writeStandinShim(dir, options.standin ?? [process.execPath, join(root, 'dist', 'dkp-standin.js')], target)
  const pid = startDaemon(options, root, { dir, dkp, files, target, cwd, env })
  const state: FleetState = {
    pid,
    dir,
    ownDir,
    kubeconfig: join(dir, 'kubeconfig'),
    binDir: join(dir, 'bin'),
    inventory: files,
    dkp,
    target,
    startedAt: new Date().toISOString(),
  }
  mkdirSync(fleetStateDir(env), { recursive: true })
  writeFileSync(stateFile(env), `${JSON.stringify(state, null, 2)}\n`)
  log(`fleet: daemon pid ${pid}, files in ${dir}; seeding DKP ${dkp} (target ${target})`)
  return waitUntilReady(state, env, log, options.timeoutMs ?? 20 * 60_000)
}

/**
 * The inventory files (default: the package's examples/fleet.yaml), validated here so bad input
 * fails fast with exit code 2; the target and the DKP release to seed (--dkp, else the one
 * before the target).
 */
async function fleetInventory(
  options: FleetUpOptions,
  root: string,
  cwd: string,
): Promise<{ files: string[]; target: string; dkp: string }> {
  const { resolveInventoryFiles, loadInventory } = await import('../effects/inventory-files.js')
  const specs = options.inventory?.length ? options.inventory : [join(root, 'examples', 'fleet.yaml')]
  const files = await resolveInventoryFiles(specs, cwd)
  const inventory = options.loadInventory
    ? await options.loadInventory(files, cwd)
    : (await loadInventory(files, cwd)).inventory
  const target = inventory.target.dkp
  if (options.dkp && options.nkp) throw new InputError('--dkp and --nkp: give at most one seed release')
  const flag = options.nkp ? '--nkp' : '--dkp'
  const given = options.nkp ?? options.dkp
  if (!given) return { files, target, dkp: defaultSeedVersion(target) }
  const v = newestPatch(given) ?? normalizeDkp(given)
  if (!v) throw new InputError(`${flag}: "${given}" is not a version like v2.7.1 or v2.13.x`)
  if (!isKnownDkp(v))
    throw new InputError(
      `${flag}: the test fleet seeds the DKP/NKP releases of the release table (data/releases.json: ${dkpTags().join(', ')}); ${v} is not one`,
    )
  if ((productOf(v) === 'nkp') !== (flag === '--nkp'))
    throw new InputError(
      `${flag}: ${v} is ${productOf(v) === 'nkp' ? 'an NKP release: use --nkp' : 'a DKP release: use --dkp'}`,
    )
  return { files, target, dkp: v }
}

/** `v2.13.x` → the newest v2.13 patch of the release table; undefined for anything else. */
function newestPatch(spec: string): string | undefined {
  const m = /^v?(\d+\.\d+)\.x$/.exec(spec.trim())
  if (!m) return undefined
  return dkpTags()
    .filter((t) => t.startsWith(`v${m[1]}.`))
    .at(-1)
}

/**
 * `<dir>/bin/dkp` and `<dir>/bin/nkp`: shell shims that run the stand-in at the target release
 * (unless set); the stand-in answers as `nkp` for NKP releases (2.12+).
 */
function writeStandinShim(dir: string, standin: string[], target: string): void {
  for (const cli of ['dkp', 'nkp']) {
    const shim = join(dir, 'bin', cli)
    writeFileSync(
      shim,
      `#!/bin/sh\n# Stand-in ${cli} of the local test fleet (dkp-fleet fleet up).\n` +
        `: "\${DKP_STANDIN_VERSION:=${target}}"\nexport DKP_STANDIN_VERSION\n` +
        `exec ${standin.map(q).join(' ')} "$@"\n`,
    )
    chmodSync(shim, 0o755)
  }
}

/** Starts the daemon detached, its output to `<dir>/daemon.log`; returns its pid. */
function startDaemon(
  options: FleetUpOptions,
  root: string,
  run: { dir: string; dkp: string; files: string[]; target: string; cwd: string; env: NodeJS.ProcessEnv },
): number {
  const daemonCmd = options.daemon ?? [process.execPath, join(root, 'dist', 'fleet-daemon.js')]
  if (!existsSync(daemonCmd[daemonCmd.length - 1] ?? '') && !options.daemon) {
    throw new WorkError(`${daemonCmd[1]} is missing: run \`npm run build\` first`)
  }
  const args = [
    ...daemonCmd.slice(1),
    '--dir',
    run.dir,
    '--dkp',
    run.dkp,
    ...run.files.flatMap((f) => ['--inventory', f]),
  ]
  if (options.bare) args.push('--bare')
  const out = openSync(join(run.dir, 'daemon.log'), 'a')
  const child = spawn(daemonCmd[0] as string, args, {
    cwd: run.cwd,
    env: { ...run.env, DKP_STANDIN_VERSION: run.env.DKP_STANDIN_VERSION ?? run.target },
    detached: true,
    stdio: ['ignore', out, out],
  })
  closeSync(out)
  child.unref()
  if (!child.pid) throw new WorkError(`cannot start the fleet daemon (${daemonCmd[0]})`)
  return child.pid
}

/** Follows the daemon's log until it reports ready; on failure, death or timeout stops it and says why. */
async function waitUntilReady(
  state: FleetState,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
  timeoutMs: number,
): Promise<FleetUp> {
  const { dir, pid } = state
  const logFile = join(dir, 'daemon.log')
  const deadline = Date.now() + timeoutMs
  let offset = 0
  const follow = () => {
    offset = streamNew(logFile, offset, (line) => log(`  ${line}`))
  }
  for (;;) {
    follow()
    const status = readDaemonStatus(dir)
    if (status?.phase === 'ready') {
      log(`fleet: ready (${status.server})`)
      return { state, status, exports: exportLines(state) }
    }
    const dead = !isDaemon(pid, dir)
    if (status?.phase === 'failed' || dead || Date.now() > deadline) {
      follow()
      const why =
        status?.phase === 'failed'
          ? (status.message ?? 'failed')
          : dead
            ? 'the daemon exited before the fleet was ready'
            : 'timed out waiting for the fleet'
      const tail = tailText(logFile)
      await fleetDown({ env, log: () => {} })
      throw new WorkError(`fleet up: ${why}\n--- ${logFile} (tail) ---\n${tail}`)
    }
    await sleep(200)
  }
}

export interface FleetDownOptions {
  env?: NodeJS.ProcessEnv
  log?: (line: string) => void
  /** Grace period for the daemon's own shutdown before SIGKILL (default 20 s). */
  graceMs?: number
}

/** Stops the running fleet; false when none was running. Leaves no process and no files behind. */
export async function fleetDown(options: FleetDownOptions = {}): Promise<boolean> {
  const env = options.env ?? process.env
  const log = options.log ?? (() => {})
  const state = readFleetState(env)
  if (!state) return false
  const status = readDaemonStatus(state.dir)
  if (isDaemon(state.pid, state.dir)) {
    log(`fleet: stopping daemon pid ${state.pid}`)
    await stopGroup(state.pid, options.graceMs ?? 20_000)
  }
  // Control-plane processes run in their own groups: make sure they are gone too.
  for (const pid of Object.values(status?.pids ?? {})) {
    if (pid && isAlive(pid)) await stopGroup(pid, 5_000)
  }
  if (state.ownDir) rmSync(state.dir, { recursive: true, force: true })
  else {
    for (const p of ['cp', 'bin', 'kubeconfig', 'status.json', 'status.json.tmp', 'daemon.log']) {
      rmSync(join(state.dir, p), { recursive: true, force: true })
    }
  }
  rmSync(stateFile(env), { force: true })
  log(`fleet: stopped; removed ${state.dir}`)
  return true
}

function streamNew(file: string, offset: number, emit: (line: string) => void): number {
  let size: number
  try {
    size = statSync(file).size
  } catch {
    return offset
  }
  if (size <= offset) return offset
  const fd = openSync(file, 'r')
  try {
    const buf = Buffer.alloc(size - offset)
    readSync(fd, buf, 0, buf.length, offset)
    const text = buf.toString('utf8')
    const end = text.lastIndexOf('\n')
    if (end < 0) return offset
    for (const line of text.slice(0, end).split('\n')) if (line.trim()) emit(line)
    return offset + Buffer.byteLength(text.slice(0, end + 1))
  } finally {
    closeSync(fd)
  }
}

function tailText(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
