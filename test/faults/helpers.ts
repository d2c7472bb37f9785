// Helpers of the reliability suite's fleet-faults and secrets files: the action bundle as a job
// runs it (a snapshot of action.yml + dist/, `node dist/index.js` then `node dist/post.js` as child
// processes with INPUT_* variables and real GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / GITHUB_STATE
// files), a stand-in `dkp` shim that logs its pids, argv and the mode of the kubeconfig it is
// given, a strict GITHUB_OUTPUT parser, process-tree checks, live done-conditions, and the forms a
// secret can leak in.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parse } from 'yaml'
import { buildPlan } from '../../src/core/plan.js'
import type { PlanStage } from '../../src/core/stages.js'
import { loadInventory } from '../../src/effects/inventory-files.js'
import type { Kube } from '../../src/effects/kube.js'
import { LEASE_API, type Lease } from '../../src/effects/lease.js'
import { type RecordEntry, RunRecord } from '../../src/effects/run-record.js'
import { isAlive } from '../../src/fleet/control-plane.js'
import { makeEnv } from '../../src/stages/execute.js'
import { loadStage } from '../../src/stages/registry.js'
import type { StageResult, StepState } from '../../src/stages/types.js'

export const ROOT = resolve(import.meta.dirname, '../..')
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/**
 * action.yml + dist/ copied to a temp dir (what a workflow checks out), so a concurrent
 * `npm run build` cannot swap the bundle mid-file. Throws when dist/ is not built.
 */
export function actionSnapshot(): string {
  for (const f of ['index.js', 'post.js', 'cli.js', 'dkp-standin.js'])
    if (!existsSync(join(ROOT, 'dist', f)))
      throw new Error(`dist/${f} is missing: run \`npm run build\` (npm test builds it first)`)
  const dir = mkdtempSync(join(tmpdir(), 'dkp-fleet-faults-action-'))
  cpSync(join(ROOT, 'action.yml'), join(dir, 'action.yml'))
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true })
  return dir
}

// ---------------------------------------------------------------- the stand-in dkp as a shim

export interface Shim {
  /** The executable (`dkp-path`). */
  path: string
  dir: string
  /** argv of every invocation (one line each, `--kubeconfig=…` dropped). */
  calls(): string[]
  /** Pid of every invocation (its process group is led by dkp's watchdog, see src/effects/dkp-watchdog.ts). */
  pids(): number[]
  /** `<file mode> <dir mode> <path>` of the kubeconfig each invocation was given. */
  modes(): { file: string; dir: string; path: string }[]
  reset(): void
}

/** The body of a `dkp` script: logs, then execs the stand-in bundle with this Node. */
export function shimScript(standin: string, logDir: string, env: Record<string, string> = {}): string {
  const exports = Object.entries(env)
    .map(([k, v]) => `export ${k}=${q(v)}\n`)
    .join('')
  return [
    '#!/bin/sh',
    exports.trimEnd(),
    `echo "$$" >> ${q(join(logDir, 'pids.log'))}`,
    'for a in "$@"; do',
    '  case "$a" in',
    `    --kubeconfig=*) k="\${a#--kubeconfig=}"; echo "$(stat -c %a "$k") $(stat -c %a "$(dirname "$k")") $k" >> ${q(join(logDir, 'modes.log'))} ;;`,
    '  esac',
    'done',
    `printf '%s\\n' "$*" | sed 's/ --kubeconfig=[^ ]*//' >> ${q(join(logDir, 'calls.log'))}`,
    `exec ${q(process.execPath)} ${q(standin)} "$@"`,
    '',
  ].join('\n')
}

export function makeShim(actionDir: string, env: Record<string, string> = {}): Shim {
  const dir = mkdtempSync(join(tmpdir(), 'dkp-faults-shim-'))
  const path = join(dir, 'dkp')
  writeFileSync(path, shimScript(join(actionDir, 'dist', 'dkp-standin.js'), dir, env))
  chmodSync(path, 0o755)
  return shimLogs(path, dir)
}

/** Reads the logs a shim script (shimScript) writes into `dir`. */
export function shimLogs(path: string, dir: string): Shim {
  const read = (f: string) => {
    const file = join(dir, f)
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []
  }
  return {
    path,
    dir,
    calls: () => read('calls.log'),
    pids: () => read('pids.log').map(Number),
    modes: () =>
      read('modes.log').map((l) => {
        const [file, d, ...p] = l.split(' ')
        return { file: file!, dir: d!, path: p.join(' ') }
      }),
    reset: () => {
      for (const f of ['calls.log', 'pids.log', 'modes.log']) writeFileSync(join(dir, f), '')
    },
  }
}

// ---------------------------------------------------------------- GITHUB_OUTPUT and friends

/**
 * Parses a GITHUB_OUTPUT/GITHUB_STATE file strictly as @actions/core writes it: only
 * `name<<ghadelimiter_<uuid>` blocks, each closed by its delimiter. Throws on anything else
 * (a half-written block, a stray line).
 */
export function parseCommandFile(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  const lines = text.split('\n')
  let i = 0
  while (i < lines.length) {
    const line = lines[i]!
    if (line === '' && i === lines.length - 1) break
    const m = /^([^<=\n]+)<<(ghadelimiter_[0-9a-f-]{36})$/.exec(line)
    if (!m)
      throw new Error(`line ${i + 1} is not a name<<delimiter header: ${JSON.stringify(line.slice(0, 200))}`)
    const end = lines.indexOf(m[2]!, i + 1)
    if (end < 0) throw new Error(`${m[1]}: block not closed (delimiter ${m[2]} missing)`)
    out[m[1]!] = lines.slice(i + 1, end).join('\n')
    i = end + 1
  }
  return out
}

/** Output names declared in action.yml; nothing else may be written. */
export function declaredOutputs(actionDir: string): Set<string> {
  const doc = parse(readFileSync(join(actionDir, 'action.yml'), 'utf8')) as {
    outputs: Record<string, unknown>
  }
  return new Set(Object.keys(doc.outputs))
}

function inputDefaults(actionDir: string): Record<string, string> {
  const doc = parse(readFileSync(join(actionDir, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: unknown }>
  }
  const out: Record<string, string> = {}
  for (const [name, def] of Object.entries(doc.inputs))
    if (def.default !== undefined) out[name] = String(def.default)
  return out
}

// ---------------------------------------------------------------- jobs

export interface JobFiles {
  GITHUB_OUTPUT: string
  GITHUB_STEP_SUMMARY: string
  GITHUB_STATE: string
}

export interface StepRun {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** Raw GITHUB_OUTPUT text. */
  outputText: string
  /** Parsed strictly (parseCommandFile); undefined with `outputError` when it does not parse. */
  outputs: Record<string, string>
  outputError?: string
  summary: string
  ms: number
  pid: number
}

export interface Job {
  id: string
  /** The job's directory: files and RUNNER_TEMP (`<dir>/temp`). */
  dir: string
  runnerTemp: string
  env: Record<string, string>
  main: StepRun
  /** GITHUB_STATE written by the main step, parsed. */
  state: Record<string, string>
  /** The `result` output, parsed (undefined when the step wrote none). */
  result?: StageResult
  post?: StepRun
}

export interface RunningJob {
  id: string
  child: ChildProcess
  dir: string
  done: Promise<Job>
}

export interface JobOptions {
  /** Extra environment (fault switches, RUNNER_DEBUG, …). */
  env?: Record<string, string>
  /** Kill the main step after this long (a safety net; default 240 s). */
  killAfterMs?: number
  /** Told every line of the main step's stdout as it arrives. */
  onLine?: (line: string) => void
}

let jobSeq = 0

/** Runs the action's main and post steps like a runner: one directory per job. */
export class ActionRunner {
  private readonly defaults: Record<string, string>
  constructor(
    readonly actionDir: string,
    /** GITHUB_WORKSPACE and cwd: where the inventory lives. */
    readonly workspace: string,
    /** Environment every job gets (PATH, HOME, poll periods, …). */
    readonly baseEnv: Record<string, string>,
    readonly work: string = mkdtempSync(join(tmpdir(), 'dkp-faults-jobs-')),
  ) {
    this.defaults = inputDefaults(actionDir)
  }

  /** Starts the main step (node dist/index.js); `done` resolves once it exited and its files are read. */
  start(inputs: Record<string, string>, options: JobOptions = {}): RunningJob {
    const id = `job-${++jobSeq}-${randomBytes(2).toString('hex')}`
    const dir = join(this.work, id)
    const runnerTemp = join(dir, 'temp')
    mkdirSync(runnerTemp, { recursive: true })
    const files = stepFiles(dir, 'main')
    const env: Record<string, string> = {
      ...this.baseEnv,
      RUNNER_TEMP: runnerTemp,
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: this.workspace,
      GITHUB_REPOSITORY: 'acme/fleet',
      GITHUB_RUN_ID: String(7_000_000 + jobSeq),
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_ACTOR: 'octocat',
      GITHUB_JOB: inputs.stage ?? 'plan',
      ...options.env,
      ...inputEnv({ ...this.defaults, ...inputs }),
    }
    const { child, done } = runStep(
      join(this.actionDir, 'dist', 'index.js'),
      env,
      files,
      this.workspace,
      options,
    )
    return {
      id,
      child,
      dir,
      done: done.then((main) => {
        const state = parseCommandFile(readFileSync(files.GITHUB_STATE, 'utf8'))
        let result: StageResult | undefined
        if (main.outputs.result !== undefined) result = JSON.parse(main.outputs.result) as StageResult
        const job: Job = { id, dir, runnerTemp, env, main, state }
        if (result) job.result = result
        return job
      }),
    }
  }

  async run(inputs: Record<string, string>, options: JobOptions = {}): Promise<Job> {
    return this.start(inputs, options).done
  }

  /** The post step (node dist/post.js) with the main step's state as STATE_* and the same inputs. */
  async post(job: Job): Promise<Job> {
    const files = stepFiles(job.dir, 'post')
    const env: Record<string, string> = { ...job.env }
    for (const [k, v] of Object.entries(job.state)) env[`STATE_${k}`] = v
    const { done } = runStep(join(this.actionDir, 'dist', 'post.js'), env, files, this.workspace, {})
    job.post = await done
    return job
  }

  /** Main step, then the post step (as a runner always does). */
  async runWithPost(inputs: Record<string, string>, options: JobOptions = {}): Promise<Job> {
    return this.post(await this.run(inputs, options))
  }
}

function stepFiles(dir: string, step: string): JobFiles {
  const files = {
    GITHUB_OUTPUT: join(dir, `${step}.output`),
    GITHUB_STEP_SUMMARY: join(dir, `${step}.summary`),
    GITHUB_STATE: join(dir, `${step}.state`),
  }
  for (const f of Object.values(files)) writeFileSync(f, '')
  return files
}

function inputEnv(inputs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [`INPUT_${k.replace(/ /g, '_').toUpperCase()}`, v]),
  )
}

function runStep(
  script: string,
  env: Record<string, string>,
  files: JobFiles,
  cwd: string,
  options: JobOptions,
): { child: ChildProcess; done: Promise<StepRun> } {
  const started = Date.now()
  const child = spawn(process.execPath, [script], {
    cwd,
    env: { ...env, ...files },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  let partial = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d
    if (options.onLine) {
      const parts = (partial + d).split('\n')
      partial = parts.pop() ?? ''
      for (const l of parts) options.onLine(l)
    }
  })
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 240_000)
  const done = new Promise<StepRun>((resolveDone, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const outputText = readFileSync(files.GITHUB_OUTPUT, 'utf8')
      let outputs: Record<string, string> = {}
      let outputError: string | undefined
      try {
        outputs = parseCommandFile(outputText)
      } catch (err) {
        outputError = (err as Error).message
      }
      const run: StepRun = {
        code,
        signal,
        stdout,
        stderr,
        outputText,
        outputs,
        summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'),
        ms: Date.now() - started,
        pid: child.pid ?? 0,
      }
      if (outputError) run.outputError = outputError
      resolveDone(run)
    })
  })
  return { child, done }
}

/** The log as a reader sees it: stdout + stderr, for assertion messages. */
export function logOf(job: Job, chars = 4000): string {
  const text = `${job.main.stdout}\n${job.main.stderr}${job.post ? `\n--- post ---\n${job.post.stdout}\n${job.post.stderr}` : ''}`
  return text.slice(-chars)
}

/** Waits until `check` is true (polling), or throws naming `what`. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
  everyMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

// ---------------------------------------------------------------- processes

/** True while any process of group `pgid` exists. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
    return true
  } catch {
    return false
  }
}

/** `pid args` of every process whose command line mentions `text` (ps). */
export function processesMentioning(text: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,pgid=,stat=,args='], { encoding: 'utf8' })
  return out
    .split('\n')
    .filter((l) => l.includes(text) && !/^\s*\d+\s+\d+\s+Z/.test(l))
    .map((l) => l.trim())
}

/** Pids (and their process groups) still alive, after a grace period for reaping. */
export async function survivors(pids: number[], graceMs = 3000): Promise<number[]> {
  const deadline = Date.now() + graceMs
  let alive = pids.filter((p) => isAlive(p) || groupAlive(p))
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100))
    alive = alive.filter((p) => isAlive(p) || groupAlive(p))
  }
  return alive
}

// ---------------------------------------------------------------- live state

/**
 * A step's done-condition read from live state, as `verify` reads it, with a fresh client
 * (workload-cluster lists are cached per management client: a reused one would read stale lists).
 */
export async function liveState(
  client: () => Kube,
  inventoryPath: string,
  stage: PlanStage,
  cluster: string,
): Promise<StepState> {
  const { inventory } = await loadInventory(inventoryPath)
  const plan = buildPlan(inventory, {})
  const kube = client()
  const env = makeEnv({ inventory, plan }, kube)
  try {
    return await (await loadStage(stage)).status(env, cluster)
  } finally {
    env.workloads.close()
    kube.close()
  }
}

/** dkp-fleet Leases in a namespace (holder identities). */
export async function leases(kube: Kube, namespace: string): Promise<{ name: string; holder?: string }[]> {
  const all = await kube.list<Lease>(LEASE_API, 'Lease', {
    namespace,
    labelSelector: 'app.kubernetes.io/managed-by=dkp-fleet',
  })
  return all.map((l) => ({ name: l.metadata.name ?? '', holder: l.spec?.holderIdentity }))
}

export async function recordEntries(kube: Kube, namespace: string, fleet: string): Promise<RecordEntry[]> {
  return new RunRecord(kube, namespace, fleet).entries({ fresh: true })
}

// ---------------------------------------------------------------- secrets

/** A recognisable secret: `<label>-<hex>` (lower case, no characters that need quoting). */
export function recognisable(label: string, bytes = 20): string {
  return `${label}-${randomBytes(bytes).toString('hex')}`
}

/**
 * The forms in which `secret` could leak: raw, and base64 at the three byte alignments it can
 * take inside a longer base64 text (the stable middle part of each), plus hex and URL-encoded.
 */
export function leakForms(secret: string): string[] {
  const forms = new Set<string>([secret])
  for (let pad = 0; pad < 3; pad++) {
    // the first and last 4 characters mix with the bytes around the secret; the middle does not
    const core = Buffer.from(`${'x'.repeat(pad)}${secret}`)
      .toString('base64')
      .slice(4, -4)
    if (core.length >= 12) {
      forms.add(core)
      forms.add(core.replace(/\+/g, '-').replace(/\//g, '_')) // base64url
    }
  }
  forms.add(Buffer.from(secret).toString('hex'))
  forms.add(encodeURIComponent(secret))
  return [...forms]
}

/** Every regular file under `dir` (recursive), with its mode. */
export function filesUnder(dir: string): { path: string; mode: number }[] {
  if (!existsSync(dir)) return []
  const out: { path: string; mode: number }[] = []
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const p = join(e.parentPath, e.name)
    if (e.isFile()) out.push({ path: p, mode: statSync(p).mode & 0o777 })
  }
  return out
}
