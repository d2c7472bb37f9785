// A small executor of GitHub Actions workflows for tests: it parses a workflow with
// @actions/workflow-parser, evaluates `needs`, `if`, `strategy` (matrix incl. `fromJSON`
// and `include`), `environment`, `concurrency`, `env`, `with:` and job `outputs` with
// @actions/expressions, and runs the jobs in dependency order the way the runner does:
//   - a step that `uses:` a local JavaScript action (`./…`, mapped by `localActions`) runs
//     `node <main>` as a child process with INPUT_* variables and real GITHUB_OUTPUT,
//     GITHUB_STATE, GITHUB_STEP_SUMMARY, GITHUB_ENV and GITHUB_PATH files, then its `post`
//     (after the job's steps, in reverse order, with STATE_* from the main step);
//   - `run:` steps run in bash (same files, same env);
//   - `actions/cache/restore` and `actions/cache/save` work on an emulated Actions cache
//     shared by the run's jobs (test/e2e/actions-cache.ts; pass `cache` to share it between
//     runs), each job on a fresh RUNNER_TEMP and RUNNER_TOOL_CACHE as on hosted runners
//     (`runner.environment` is github-hosted unless a shared `toolCache` is given);
//   - `actions/upload-artifact` and `actions/download-artifact` work on the run's artifacts
//     (test/e2e/actions-artifacts.ts; pass `artifacts` and the same `runId` with a higher
//     `runAttempt` for a re-run that sees them);
//   - other `uses:` (checkout, upload-sarif, …) are recorded as skipped;
//   - a job calling a reusable workflow (`jobs.<id>.uses`) runs that workflow (mapped by
//     `workflows`) with its `with:` inputs and secrets, and takes its `workflow_call` outputs.
// Platform behaviour kept on purpose: job-level `success()`/`failure()` look at all
// ancestors (a skipped ancestor makes `success()` false), matrix legs share one set of job
// outputs (the last leg to finish with a non-empty value wins), `max-parallel` and
// `fail-fast` are honoured, an output containing a masked value is dropped, an empty matrix
// fails the job, environments ask an approval hook.
//
// It runs under vitest only (the parser imports JSON, which plain node refuses).

import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { registerHooks } from 'node:module'
import { tmpdir } from 'node:os'
import { delimiter, isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { data, Evaluator, Lexer, Parser } from '@actions/expressions'
import type { FunctionDefinition } from '@actions/expressions/funcs/info'
import type {
  ActionStep,
  Job,
  ReusableWorkflowJob,
  RunStep,
  WorkflowJob,
  WorkflowTemplate,
} from '@actions/workflow-parser/model/workflow-template'
import type { MappingToken } from '@actions/workflow-parser/templates/tokens/mapping-token'
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token'
import { parse as parseYaml } from 'yaml'
import { ArtifactStore, artifactActionKind } from './actions-artifacts.js'
import { ActionsCacheStore, cacheActionKind } from './actions-cache.js'

// @actions/workflow-parser imports its JSON schema without an import attribute (written for
// bundlers); Node refuses that. Serve its JSON files as ES modules instead, then load it.
registerHooks({
  load(url, context, nextLoad) {
    if (url.startsWith('file:') && url.includes('/@actions/workflow-parser/') && url.endsWith('.json')) {
      const json = readFileSync(fileURLToPath(url), 'utf8')
      return { format: 'module', source: `export default ${json}`, shortCircuit: true }
    }
    return nextLoad(url, context)
  },
})
export const workflowParser = await import('@actions/workflow-parser')
const {
  convertWorkflowTemplate,
  isBasicExpression,
  isBoolean,
  isMapping,
  isNumber,
  isSequence,
  isString,
  NoOperationTraceWriter,
  parseWorkflow,
} = workflowParser

export type Result = 'success' | 'failure' | 'cancelled' | 'skipped'

export interface RunnerOptions {
  /** Workflow file (absolute, or relative to `workspace`). */
  file: string
  event: 'workflow_dispatch' | 'workflow_call' | 'schedule' | 'push'
  /** Inputs as the event would carry them (dispatch: strings or booleans). */
  inputs?: Record<string, string | number | boolean>
  secrets?: Record<string, string>
  vars?: Record<string, string>
  /** GITHUB_WORKSPACE: the checked-out repository (cwd of every step). */
  workspace: string
  /** `uses:` value (e.g. `./.dkp-fleet/action`) → directory holding action.yml. */
  localActions?: Record<string, string>
  /** `jobs.<id>.uses` value (or its part before `@`) → workflow file. */
  workflows?: Record<string, string>
  /** The runner's own environment (PATH, HOME, …) plus anything a test injects (fault switches). */
  env?: NodeJS.ProcessEnv
  /** Node used for JavaScript actions (default: this process's). */
  node?: string
  /** GITHUB_RUN_ID etc. */
  runId?: string
  runAttempt?: number
  repository?: string
  actor?: string
  /** Asked before a job with an `environment` starts; false = rejected (the job fails). */
  approve?: (request: { job: string; environment: string }) => boolean | Promise<boolean>
  /** Execute `run:` steps in bash (default) or record them as skipped. */
  runSteps?: 'bash' | 'skip'
  /** Called when a job or leg finishes (progress logs in tests). */
  onJob?: (job: JobRun) => void
  onLeg?: (job: string, leg: LegRun) => void
  /** A shared RUNNER_TOOL_CACHE (a runner image with a pre-populated cache); default: fresh per leg. */
  toolCache?: string
  /** The Actions cache (actions/cache/restore and /save); default: a new, empty one per run. */
  cache?: ActionsCacheStore
  /** Run artifacts (upload/download-artifact); default: a new, empty store per run. */
  artifacts?: ArtifactStore
  /** `runner.environment`; default github-hosted (a fresh runner per job), self-hosted with `toolCache`. */
  runnerEnvironment?: 'github-hosted' | 'self-hosted'
  /** Temp root for RUNNER_TEMP/RUNNER_TOOL_CACHE/command files (default: a new dir in the OS temp dir). */
  tempRoot?: string
  /** Prefix of job ids (nested reusable workflows). */
  jobPrefix?: string
}

export interface StepRun {
  id: string
  name: string
  kind: 'action' | 'run' | 'skipped-uses' | 'cache' | 'artifact'
  uses?: string
  /** success | failure | skipped (before continue-on-error). */
  outcome: Result
  /** After continue-on-error. */
  conclusion: Result
  inputs?: Record<string, string>
  outputs: Record<string, string>
  summary: string
  /** stdout + stderr, workflow commands included, masks applied. */
  log: string
  exitCode?: number | null
  ms: number
  post?: { exitCode: number | null; log: string; ms: number }
  /** Why it did not run. */
  reason?: string
}

export interface LegRun {
  matrix?: Record<string, unknown>
  name: string
  result: Result
  steps: StepRun[]
  outputs: Record<string, string>
  ms: number
  annotations: Annotation[]
}

export interface Annotation {
  level: 'error' | 'warning' | 'notice'
  message: string
  step: string
}

export interface JobRun {
  id: string
  name: string
  result: Result
  outputs: Record<string, string>
  legs: LegRun[]
  /** Evaluated `environment` name, when the job has one. */
  environment?: string
  runsOn?: unknown
  strategy?: { maxParallel: number; failFast: boolean; legs: number }
  /** Why it was skipped or failed before any step. */
  reason?: string
  /** Jobs of a called reusable workflow. */
  called?: WorkflowRun
  started: number
  ms: number
  /** The largest number of legs that ran at once. */
  peakParallel: number
}

export interface WorkflowRun {
  name: string
  result: Result
  jobs: Map<string, JobRun>
  concurrency?: { group: string; cancelInProgress: boolean }
  runName?: string
  inputs: Record<string, unknown>
  outputs: Record<string, string>
  ms: number
  /** Values registered with ::add-mask:: in any step. */
  masks: Set<string>
  /** The Actions cache the run used (its entries and every restore and save). */
  cache: ActionsCacheStore
  /** The run's artifacts (every upload and download). */
  artifacts: ArtifactStore
}

/** Parse errors of a workflow (empty when it is valid). */
export async function workflowErrors(name: string, content: string): Promise<string[]> {
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter())
  const tpl = await convertWorkflowTemplate(parsed.context, parsed.value!)
  return (tpl.errors ?? []).map((e) => e.Message)
}

// ------------------------------------------------------------------------ expressions

const CONTEXTS = [
  'github',
  'inputs',
  'vars',
  'secrets',
  'env',
  'matrix',
  'strategy',
  'needs',
  'steps',
  'job',
  'jobs',
  'runner',
]
const STATUS_FUNCTIONS = ['success', 'failure', 'cancelled', 'always'] as const
type StatusFunctions = Record<(typeof STATUS_FUNCTIONS)[number], () => boolean>

type Scope = Record<string, unknown>

export function evaluate(expression: string, scope: Scope, status?: StatusFunctions): unknown {
  const lexed = new Lexer(expression).lex()
  const ast = new Parser(
    lexed.tokens,
    CONTEXTS,
    [...STATUS_FUNCTIONS, 'hashFiles'].map((name) => ({
      name,
      minArgs: 0,
      maxArgs: name === 'hashFiles' ? 255 : 0,
    })),
  ).parse()
  const functions = new Map<string, FunctionDefinition>(
    STATUS_FUNCTIONS.map((name) => [
      name,
      {
        name,
        minArgs: 0,
        maxArgs: 0,
        call: () => {
          if (!status) throw new Error(`${name}() is not allowed here: ${expression}`)
          return new data.BooleanData(status[name]())
        },
      },
    ]),
  )
  functions.set('hashfiles', {
    name: 'hashFiles',
    minArgs: 1,
    maxArgs: 255,
    call: () => {
      throw new Error('hashFiles() is not supported by the test workflow runner')
    },
  })
  const context = JSON.parse(JSON.stringify(scope), data.reviver) as data.Dictionary
  const value = new Evaluator(ast, context, functions).evaluate()
  return JSON.parse(JSON.stringify(value, data.replacer) ?? 'null')
}

export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === '' || v === 0) return false
  if (typeof v === 'number' && Number.isNaN(v)) return false
  return true
}

/** How the runner turns an expression result into an input/env string. */
export function toText(v: unknown): string {
  if (v === null || v === undefined) return ''
  if (typeof v === 'string') return v
  if (typeof v === 'boolean' || typeof v === 'number') return String(v)
  return JSON.stringify(v)
}

/** A template token with its expressions evaluated, as plain JSON. */
export function evalToken(token: TemplateToken | undefined, scope: Scope, status?: StatusFunctions): unknown {
  if (token === undefined) return undefined
  if (isBasicExpression(token)) return evaluate(token.expression, scope, status)
  if (isString(token)) return token.value
  if (isNumber(token) || isBoolean(token)) return token.value
  if (isSequence(token)) return [...token].map((t) => evalToken(t, scope, status))
  if (isMapping(token)) {
    const out: Record<string, unknown> = {}
    for (const pair of token)
      out[String(evalToken(pair.key, scope, status))] = evalToken(pair.value, scope, status)
    return out
  }
  return null
}

// ------------------------------------------------------------------------ files and commands

/** Parses a GITHUB_OUTPUT/GITHUB_ENV/GITHUB_STATE file (`k=v` and `k<<DELIM` blocks). */
export function parseCommandFile(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (!line) continue
    const h = line.indexOf('<<')
    const e = line.indexOf('=')
    if (h > 0 && (e < 0 || h < e)) {
      const name = line.slice(0, h)
      const delim = line.slice(h + 2)
      const values: string[] = []
      i++
      while (i < lines.length && lines[i] !== delim) values.push(lines[i++]!)
      if (i >= lines.length) throw new Error(`matching delimiter not found: ${delim}`)
      out[name] = values.join('\n')
    } else if (e > 0) {
      out[line.slice(0, e)] = line.slice(e + 1)
    } else {
      throw new Error(`invalid command file line: ${line}`)
    }
  }
  return out
}

function readText(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : ''
}

interface ChildResult {
  code: number | null
  log: string
  ms: number
}

function runChild(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; signal: AbortSignal; onLine: (line: string) => void },
): Promise<ChildResult> {
  const started = Date.now()
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let log = ''
    let pending = ''
    const take = (d: Buffer) => {
      const text = pending + d.toString('utf8')
      const lines = text.split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) {
        options.onLine(line)
        log += `${line}\n`
      }
    }
    child.stdout.on('data', take)
    child.stderr.on('data', take)
    // The runner sends SIGINT on cancellation, then SIGTERM after 7.5 s.
    const onAbort = () => {
      child.kill('SIGINT')
      setTimeout(() => child.kill('SIGTERM'), 7_500).unref()
    }
    if (options.signal.aborted) onAbort()
    options.signal.addEventListener('abort', onAbort, { once: true })
    child.on('error', reject)
    child.on('close', (code) => {
      options.signal.removeEventListener('abort', onAbort)
      if (pending) {
        options.onLine(pending)
        log += pending
      }
      resolvePromise({ code, log, ms: Date.now() - started })
    })
  })
}

// ------------------------------------------------------------------------ the run

interface RawJob {
  mapping: MappingToken
  steps: MappingToken[]
}

function rawJobs(root: TemplateToken): Map<string, RawJob> {
  const out = new Map<string, RawJob>()
  if (!isMapping(root)) return out
  const jobs = root.find('jobs')
  if (!jobs || !isMapping(jobs)) return out
  for (const pair of jobs) {
    if (!isString(pair.key) || !isMapping(pair.value)) continue
    const steps = pair.value.find('steps')
    out.set(pair.key.value, {
      mapping: pair.value,
      steps: steps && isSequence(steps) ? ([...steps].filter(isMapping) as MappingToken[]) : [],
    })
  }
  return out
}

interface ActionMeta {
  dir: string
  inputs: Record<string, { default?: string }>
  main: string
  post?: string
  postIf?: string
  using: string
}

function loadAction(dir: string): ActionMeta {
  const file = ['action.yml', 'action.yaml'].map((f) => join(dir, f)).find(existsSync)
  if (!file) throw new Error(`no action.yml in ${dir}`)
  const meta = parseYaml(readFileSync(file, 'utf8')) as {
    inputs?: Record<string, { default?: unknown }>
    runs: { using: string; main: string; post?: string; 'post-if'?: string }
  }
  if (!/^node\d+$/.test(meta.runs.using))
    throw new Error(`${file}: only JavaScript actions are supported (runs.using ${meta.runs.using})`)
  const inputs: ActionMeta['inputs'] = {}
  for (const [name, def] of Object.entries(meta.inputs ?? {}))
    inputs[name] = def?.default === undefined ? {} : { default: String(def.default) }
  return {
    dir,
    inputs,
    main: meta.runs.main,
    ...(meta.runs.post ? { post: meta.runs.post } : {}),
    ...(meta.runs['post-if'] ? { postIf: meta.runs['post-if'] } : {}),
    using: meta.runs.using,
  }
}

/** Expands `strategy.matrix` (dimensions × include, minus exclude) as GitHub does for our uses. */
export function expandMatrix(matrix: unknown): Record<string, unknown>[] {
  if (matrix === undefined || matrix === null) return [{}]
  if (typeof matrix !== 'object' || Array.isArray(matrix))
    throw new Error(`Unexpected matrix value: ${JSON.stringify(matrix)}`)
  const m = matrix as Record<string, unknown>
  const include = m.include ?? []
  const exclude = m.exclude ?? []
  if (!Array.isArray(include))
    throw new Error(`Unexpected value for matrix include: ${JSON.stringify(include)}`)
  if (!Array.isArray(exclude))
    throw new Error(`Unexpected value for matrix exclude: ${JSON.stringify(exclude)}`)
  const dims = Object.entries(m).filter(([k]) => k !== 'include' && k !== 'exclude')
  let combos: Record<string, unknown>[] = dims.length > 0 ? [{}] : []
  for (const [key, values] of dims) {
    if (!Array.isArray(values)) throw new Error(`Matrix dimension ${key} must be a list`)
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [key]: v })))
  }
  combos = combos.filter(
    (c) =>
      !exclude.some((x) =>
        Object.entries(x as object).every(([k, v]) => JSON.stringify(c[k]) === JSON.stringify(v)),
      ),
  )
  const dimKeys = new Set(dims.map(([k]) => k))
  for (const inc of include as Record<string, unknown>[]) {
    if (!inc || typeof inc !== 'object')
      throw new Error(`Unexpected matrix include entry: ${JSON.stringify(inc)}`)
    // An include entry extends every combination it matches on the original dimensions;
    // one matching none (or any, when there are no dimensions) is added as a new leg.
    const matching = combos.filter((c) =>
      Object.entries(inc).every(([k, v]) => !dimKeys.has(k) || JSON.stringify(c[k]) === JSON.stringify(v)),
    )
    const extendsSome = dims.length > 0 && matching.length > 0
    if (extendsSome) for (const c of matching) Object.assign(c, inc)
    else combos.push({ ...inc })
  }
  if (combos.length === 0) throw new Error('Matrix vector does not contain any values')
  if (combos.length > 256) throw new Error(`Strategy produced more than 256 jobs (${combos.length})`)
  return combos
}

function inputDefinitions(tpl: WorkflowTemplate, event: RunnerOptions['event']) {
  const ev = tpl.events as Record<string, { inputs?: Record<string, { type?: string; default?: unknown }> }>
  return event === 'workflow_dispatch' || event === 'workflow_call' ? (ev[event]?.inputs ?? {}) : {}
}

function resolveInputs(tpl: WorkflowTemplate, opts: RunnerOptions): Record<string, unknown> {
  const defs = inputDefinitions(tpl, opts.event)
  const given = opts.inputs ?? {}
  for (const name of Object.keys(given))
    if (!(name in defs))
      throw new Error(`Unexpected input(s) '${name}', valid inputs are ${Object.keys(defs).join(', ')}`)
  const out: Record<string, unknown> = {}
  for (const [name, def] of Object.entries(defs)) {
    let value: unknown = name in given ? given[name] : def.default
    if (value !== null && typeof value === 'object' && 'value' in (value as object))
      value = (value as { value: unknown }).value
    if (def.type === 'boolean') value = value === true || value === 'true'
    else if (def.type === 'number') value = value === undefined || value === '' ? null : Number(value)
    else value = value === undefined ? '' : String(value)
    out[name] = value
  }
  return out
}

class Semaphore {
  private active = 0
  peak = 0
  private readonly waiting: (() => void)[] = []
  constructor(private readonly limit: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    while (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r))
    this.active++
    this.peak = Math.max(this.peak, this.active)
    try {
      return await fn()
    } finally {
      this.active--
      this.waiting.shift()?.()
    }
  }
}

export async function runWorkflow(opts: RunnerOptions): Promise<WorkflowRun> {
  const started = Date.now()
  const file = isAbsolute(opts.file) ? opts.file : join(opts.workspace, opts.file)
  const content = readFileSync(file, 'utf8')
  const parsed = parseWorkflow({ name: file, content }, new NoOperationTraceWriter())
  const tpl = await convertWorkflowTemplate(parsed.context, parsed.value!)
  if (tpl.errors?.length) throw new Error(`${file}: ${tpl.errors.map((e) => e.Message).join('; ')}`)
  const raw = rawJobs(parsed.value!)
  const rootMapping = parsed.value as MappingToken
  const workflowName = (() => {
    const t = rootMapping.find('name')
    return t && isString(t) ? t.value : file
  })()

  const tempRoot = opts.tempRoot ?? mkdtempSync(join(tmpdir(), 'wf-run-'))
  mkdirSync(tempRoot, { recursive: true })
  const runId = opts.runId ?? String(Date.now())
  const runAttempt = opts.runAttempt ?? 1
  const repository = opts.repository ?? 'dkp-fleet-upgrade/dkp-fleet-upgrade'
  const inputs = resolveInputs(tpl, opts)
  const masks = new Set<string>()
  const cache = opts.cache ?? new ActionsCacheStore(join(tempRoot, 'actions-cache'))
  const artifacts = opts.artifacts ?? new ArtifactStore(join(tempRoot, 'artifacts'))
  const github = {
    event_name: opts.event,
    event: { inputs: Object.fromEntries(Object.entries(opts.inputs ?? {}).map(([k, v]) => [k, v])) },
    repository,
    repository_owner: repository.split('/')[0],
    run_id: runId,
    run_number: runId,
    run_attempt: String(runAttempt),
    actor: opts.actor ?? 'e2e-tester',
    triggering_actor: opts.actor ?? 'e2e-tester',
    workflow: workflowName,
    ref: 'refs/heads/main',
    ref_name: 'main',
    sha: '0000000000000000000000000000000000000000',
    server_url: 'https://github.com',
    api_url: 'https://api.github.com',
    workspace: opts.workspace,
    token: '',
  }
  const base: Scope = { github, inputs, vars: opts.vars ?? {}, secrets: opts.secrets ?? {} }
  const workflowEnv = (evalToken(tpl.env, base) ?? {}) as Record<string, unknown>
  const run: WorkflowRun = {
    name: workflowName,
    result: 'success',
    jobs: new Map(),
    inputs,
    outputs: {},
    ms: 0,
    masks,
    cache,
    artifacts,
  }
  const runNameToken = rootMapping.find('run-name')
  if (runNameToken) run.runName = toText(evalToken(runNameToken, base))
  if (tpl.concurrency) {
    const c = evalToken(tpl.concurrency, base)
    run.concurrency =
      typeof c === 'string'
        ? { group: c, cancelInProgress: false }
        : {
            group: toText((c as Record<string, unknown>).group),
            cancelInProgress: truthy((c as Record<string, unknown>)['cancel-in-progress']),
          }
  }

  const jobs = new Map(tpl.jobs.map((j) => [j.id.value, j]))
  const ancestors = (id: string, seen = new Set<string>()): Set<string> => {
    for (const n of jobs.get(id)?.needs ?? []) {
      if (seen.has(n.value)) continue
      seen.add(n.value)
      ancestors(n.value, seen)
    }
    return seen
  }
  const done = new Map<string, Promise<JobRun>>()
  const results = new Map<string, JobRun>()

  const startJob = (id: string): Promise<JobRun> => {
    let p = done.get(id)
    if (p) return p
    p = (async () => {
      const job = jobs.get(id)!
      await Promise.all((job.needs ?? []).map((n) => startJob(n.value)))
      const jr = await executeJob(job)
      results.set(id, jr)
      run.jobs.set(id, jr)
      opts.onJob?.(jr)
      return jr
    })()
    done.set(id, p)
    return p
  }

  const executeJob = async (job: WorkflowJob): Promise<JobRun> => {
    const id = job.id.value
    const jobStarted = Date.now()
    const jr: JobRun = {
      id: `${opts.jobPrefix ?? ''}${id}`,
      name: job.name && isString(job.name) ? job.name.value : id,
      result: 'skipped',
      outputs: {},
      legs: [],
      started: jobStarted,
      ms: 0,
      peakParallel: 0,
    }
    const finish = (result: Result, reason?: string) => {
      jr.result = result
      if (reason) jr.reason = reason
      jr.ms = Date.now() - jobStarted
      return jr
    }
    const needs: Record<string, unknown> = {}
    for (const n of job.needs ?? []) {
      const r = results.get(n.value)!
      needs[n.value] = { result: r.result, outputs: r.outputs }
    }
    const anc = [...ancestors(id)].map((a) => results.get(a)!)
    const jobStatus: StatusFunctions = {
      success: () => anc.every((a) => a.result === 'success'),
      failure: () => anc.some((a) => a.result === 'failure'),
      cancelled: () => false,
      always: () => true,
    }
    const jobScope: Scope = { ...base, needs }
    let condition: unknown
    try {
      condition = evaluate(job.if.expression, jobScope, jobStatus)
    } catch (err) {
      return finish('failure', `if: ${(err as Error).message}`)
    }
    if (!truthy(condition)) return finish('skipped', `if: ${job.if.expression}`)

    if (job.type === 'reusableWorkflowJob')
      return executeCalled(job as ReusableWorkflowJob, jr, jobScope, finish)

    const j = job as Job
    const rawJob = raw.get(id)
    if (j.environment) {
      const env = evalToken(j.environment, jobScope)
      const name = toText(
        typeof env === 'object' && env !== null ? (env as Record<string, unknown>).name : env,
      )
      jr.environment = name
      if (name && opts.approve && !(await opts.approve({ job: jr.id, environment: name })))
        return finish('failure', `deployment to ${name} was rejected`)
    }

    let legsMatrix: Record<string, unknown>[]
    let maxParallel = Number.POSITIVE_INFINITY
    let failFast = true
    try {
      const strategy = (evalToken(j.strategy, jobScope) ?? {}) as Record<string, unknown>
      legsMatrix = j.strategy ? expandMatrix(strategy.matrix) : [{}]
      if (strategy['max-parallel'] !== undefined && strategy['max-parallel'] !== null) {
        maxParallel = Number(strategy['max-parallel'])
        if (!Number.isInteger(maxParallel) || maxParallel < 1)
          throw new Error(`Unexpected value '${toText(strategy['max-parallel'])}' for max-parallel`)
      }
      if (strategy['fail-fast'] !== undefined) failFast = truthy(strategy['fail-fast'])
      if (j.strategy) jr.strategy = { maxParallel, failFast, legs: legsMatrix.length }
    } catch (err) {
      return finish('failure', `strategy: ${(err as Error).message}`)
    }

    const sem = new Semaphore(maxParallel)
    const abortAll = new AbortController()
    const legs = await Promise.all(
      legsMatrix.map((matrix, index) =>
        sem.run(async () => {
          if (abortAll.signal.aborted) {
            const leg: LegRun = {
              matrix,
              name: jr.name,
              result: 'cancelled',
              steps: [],
              outputs: {},
              ms: 0,
              annotations: [],
            }
            return leg
          }
          const leg = await executeLeg(
            j,
            rawJob,
            jobScope,
            matrix,
            index,
            legsMatrix.length,
            maxParallel,
            failFast,
            jr,
          )
          if (leg.result === 'failure' && failFast && legsMatrix.length > 1) abortAll.abort()
          opts.onLeg?.(jr.id, leg)
          // Matrix legs share one set of outputs: the last leg to finish with a value wins.
          for (const [k, v] of Object.entries(leg.outputs)) if (v !== '') jr.outputs[k] = v
          return leg
        }),
      ),
    )
    jr.legs = legs
    jr.peakParallel = sem.peak
    const result: Result = legs.some((l) => l.result === 'failure')
      ? 'failure'
      : legs.some((l) => l.result === 'cancelled')
        ? 'cancelled'
        : 'success'
    return finish(result)
  }

  const executeCalled = async (
    job: ReusableWorkflowJob,
    jr: JobRun,
    scope: Scope,
    finish: (r: Result, reason?: string) => JobRun,
  ): Promise<JobRun> => {
    const ref = job.ref.value
    const target = opts.workflows?.[ref] ?? opts.workflows?.[ref.split('@')[0]!]
    if (!target) return finish('failure', `no local file for the reusable workflow ${ref}`)
    const withValues = (evalToken(job['input-values'], scope) ?? {}) as Record<string, unknown>
    const secrets = job['inherit-secrets']
      ? { ...(opts.secrets ?? {}) }
      : ((evalToken(job['secret-values'], scope) ?? {}) as Record<string, string>)
    const called = await runWorkflow({
      ...opts,
      file: target,
      event: 'workflow_call',
      inputs: Object.fromEntries(
        Object.entries(withValues).map(([k, v]) => [k, v as string | number | boolean]),
      ),
      secrets: Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, toText(v)])),
      tempRoot: join(tempRoot, `call-${jr.id}`),
      jobPrefix: `${jr.id} / `,
      runId,
      cache,
      artifacts,
    })
    jr.called = called
    jr.outputs = called.outputs
    for (const m of called.masks) masks.add(m)
    return finish(called.result)
  }

  const executeLeg = async (
    j: Job,
    rawJob: RawJob | undefined,
    jobScope: Scope,
    matrix: Record<string, unknown>,
    index: number,
    total: number,
    maxParallel: number,
    failFast: boolean,
    jr: JobRun,
  ): Promise<LegRun> => {
    const legStarted = Date.now()
    const legDir = mkdtempSync(join(tempRoot, `${j.id.value}-`))
    const runnerTemp = join(legDir, 'temp')
    const toolCache = opts.toolCache ?? join(legDir, 'tool-cache')
    mkdirSync(runnerTemp)
    mkdirSync(toolCache, { recursive: true })
    const strategy = {
      'fail-fast': failFast,
      'job-index': index,
      'job-total': total,
      'max-parallel': Number.isFinite(maxParallel) ? maxParallel : total,
    }
    const runner = {
      os: 'Linux',
      arch: 'X64',
      name: `e2e-runner-${index}`,
      temp: runnerTemp,
      tool_cache: toolCache,
      environment: opts.runnerEnvironment ?? (opts.toolCache ? 'self-hosted' : 'github-hosted'),
    }
    const legScope: Scope = { ...jobScope, matrix, strategy, runner, job: { status: 'success' } }
    const leg: LegRun = {
      matrix,
      name: jr.name,
      result: 'success',
      steps: [],
      outputs: {},
      ms: 0,
      annotations: [],
    }
    try {
      if (j.name) leg.name = toText(evalToken(j.name, legScope))
      jr.runsOn = evalToken(j['runs-on'], legScope)
    } catch (err) {
      leg.result = 'failure'
      leg.annotations.push({ level: 'error', message: (err as Error).message, step: '(job)' })
      return leg
    }
    let jobEnv: Record<string, string> = {}
    try {
      jobEnv = Object.fromEntries(
        Object.entries({
          ...workflowEnv,
          ...((evalToken(j.env, legScope) ?? {}) as Record<string, unknown>),
        }).map(([k, v]) => [k, toText(v)]),
      )
    } catch (err) {
      leg.result = 'failure'
      leg.annotations.push({ level: 'error', message: `env: ${(err as Error).message}`, step: '(job)' })
      return leg
    }
    const timeoutToken = rawJob?.mapping.find('timeout-minutes')
    const timeoutMinutes = timeoutToken ? Number(evalToken(timeoutToken, legScope)) : 360
    const cancel = new AbortController()
    const timer = setTimeout(() => cancel.abort(), timeoutMinutes * 60_000)
    timer.unref()

    const steps: Record<string, { outputs: Record<string, string>; outcome: Result; conclusion: Result }> = {}
    const extraEnv: Record<string, string> = {}
    const extraPath: string[] = []
    const posts: {
      step: StepRun
      action: ActionMeta
      state: Record<string, string>
      env: NodeJS.ProcessEnv
      postIf: string
    }[] = []
    let failed = false
    const stepStatus = (): StatusFunctions => ({
      success: () => !failed && !cancel.signal.aborted,
      failure: () => failed,
      cancelled: () => cancel.signal.aborted,
      always: () => true,
    })

    const commonEnv = (stepId: string, files: Record<string, string>): NodeJS.ProcessEnv => ({
      ...(opts.env ?? process.env),
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: opts.workspace,
      GITHUB_REPOSITORY: repository,
      GITHUB_REPOSITORY_OWNER: repository.split('/')[0],
      GITHUB_RUN_ID: runId,
      GITHUB_RUN_NUMBER: runId,
      GITHUB_RUN_ATTEMPT: String(runAttempt),
      GITHUB_ACTOR: github.actor,
      GITHUB_TRIGGERING_ACTOR: github.actor,
      GITHUB_WORKFLOW: workflowName,
      GITHUB_JOB: j.id.value,
      GITHUB_EVENT_NAME: opts.event,
      GITHUB_REF: github.ref,
      GITHUB_SHA: github.sha,
      GITHUB_SERVER_URL: github.server_url,
      GITHUB_API_URL: github.api_url,
      GITHUB_ACTION: stepId,
      RUNNER_OS: 'Linux',
      RUNNER_ARCH: 'X64',
      RUNNER_NAME: runner.name,
      RUNNER_TEMP: runnerTemp,
      RUNNER_TOOL_CACHE: toolCache,
      ...jobEnv,
      ...extraEnv,
      ...files,
    })

    const onLine = (stepName: string) => (line: string) => {
      const m = /^::add-mask::(.*)$/.exec(line)
      if (m?.[1]) masks.add(m[1])
      const a = /^::(error|warning|notice)(?:\s[^:]*)?::(.*)$/.exec(line)
      if (a)
        leg.annotations.push({
          level: a[1] as Annotation['level'],
          message: unescapeCommand(a[2]!),
          step: stepName,
        })
    }

    const isLocalAction = (uses: string) => Boolean(opts.localActions?.[uses]) || uses.startsWith('./')
    const stepsRaw = rawJob?.steps ?? []
    for (const [i, step] of j.steps.entries()) {
      const rawStep = stepsRaw[i]
      const stepScope = (): Scope => ({
        ...legScope,
        steps,
        job: { status: failed ? 'failure' : 'success' },
        env: { ...jobEnv, ...extraEnv },
      })
      const sr: StepRun = {
        id: step.id,
        name: step.name ? toText(evalToken(step.name, stepScope())) : step.id,
        kind: !('uses' in step)
          ? 'run'
          : isLocalAction((step as ActionStep).uses.value)
            ? 'action'
            : cacheActionKind((step as ActionStep).uses.value)
              ? 'cache'
              : artifactActionKind((step as ActionStep).uses.value)
                ? 'artifact'
                : 'skipped-uses',
        outcome: 'skipped',
        conclusion: 'skipped',
        outputs: {},
        summary: '',
        log: '',
        ms: 0,
      }
      leg.steps.push(sr)
      const stepIf = 'if' in step && step.if ? step.if.expression : 'success()'
      let run = false
      try {
        run = truthy(evaluate(stepIf, stepScope(), stepStatus()))
      } catch (err) {
        sr.outcome = sr.conclusion = 'failure'
        sr.reason = `if: ${(err as Error).message}`
        failed = true
        continue
      }
      if (!run) {
        sr.reason = `if: ${stepIf}`
        steps[step.id] = { outputs: {}, outcome: 'skipped', conclusion: 'skipped' }
        continue
      }
      const continueOnError = (() => {
        const c = (step as ActionStep)['continue-on-error']
        if (c === undefined) return false
        if (typeof c === 'boolean') return c
        return truthy(evalToken(c, stepScope()))
      })()
      const stepEnv = Object.fromEntries(
        Object.entries(
          (evalToken((step as ActionStep).env, stepScope()) ?? {}) as Record<string, unknown>,
        ).map(([k, v]) => [k, toText(v)]),
      )
      const stepDir = mkdtempSync(join(legDir, 'step-'))
      const files = {
        GITHUB_OUTPUT: join(stepDir, 'output'),
        GITHUB_STATE: join(stepDir, 'state'),
        GITHUB_STEP_SUMMARY: join(stepDir, 'summary'),
        GITHUB_ENV: join(stepDir, 'env'),
        GITHUB_PATH: join(stepDir, 'path'),
      }
      for (const f of Object.values(files)) writeFileSync(f, '')
      const pathEnv = (env: NodeJS.ProcessEnv) =>
        extraPath.length ? { PATH: [...extraPath, env.PATH ?? ''].join(delimiter) } : {}
      let exit: ChildResult | undefined
      if ('uses' in step) {
        const uses = (step as ActionStep).uses.value
        sr.uses = uses
        const local =
          opts.localActions?.[uses] ?? (uses.startsWith('./') ? resolve(opts.workspace, uses) : undefined)
        const cacheKind = local ? undefined : cacheActionKind(uses)
        if (cacheKind === 'combined')
          throw new Error(
            `${uses}: the combined actions/cache (restore + post save) is not emulated; use actions/cache/restore and actions/cache/save`,
          )
        if (cacheKind) {
          sr.kind = 'cache'
          const started = Date.now()
          const withValues = (evalToken(rawStep?.find('with'), stepScope()) ?? {}) as Record<string, unknown>
          const given = Object.fromEntries(Object.entries(withValues).map(([k, v]) => [k, toText(v)]))
          sr.inputs = given
          const env = commonEnv(step.id, files)
          const r = cache.run(
            cacheKind,
            given,
            {
              RUNNER_TEMP: runnerTemp,
              RUNNER_TOOL_CACHE: toolCache,
              GITHUB_WORKSPACE: opts.workspace,
              HOME: env.HOME ?? tmpdir(),
            },
            {
              job: `${jr.id}${leg.matrix && Object.keys(leg.matrix).length ? ` (${String(leg.matrix.cluster ?? index)})` : ''}`,
              step: step.id,
            },
          )
          for (const w of r.warnings) leg.annotations.push({ level: 'warning', message: w, step: sr.name })
          if (r.failed) leg.annotations.push({ level: 'error', message: r.failed, step: sr.name })
          sr.log = [
            ...r.log,
            ...r.warnings.map((w) => `::warning::${w}`),
            ...(r.failed ? [`::error::${r.failed}`] : []),
          ].join('\n')
          sr.outputs = r.outputs
          sr.ms = Date.now() - started
          sr.outcome = r.failed ? 'failure' : 'success'
          sr.conclusion = sr.outcome === 'failure' && continueOnError ? 'success' : sr.outcome
          if (sr.conclusion === 'failure') failed = true
          steps[step.id] = { outputs: sr.outputs, outcome: sr.outcome, conclusion: sr.conclusion }
          continue
        }
        const artifactKind = local ? undefined : artifactActionKind(uses)
        if (artifactKind === 'merge')
          throw new Error(`${uses}: actions/upload-artifact/merge is not emulated by the test runner`)
        if (artifactKind) {
          sr.kind = 'artifact'
          const started = Date.now()
          const withValues = (evalToken(rawStep?.find('with'), stepScope()) ?? {}) as Record<string, unknown>
          const given = Object.fromEntries(Object.entries(withValues).map(([k, v]) => [k, toText(v)]))
          sr.inputs = given
          const env = commonEnv(step.id, files)
          const r = artifacts.run(
            artifactKind,
            given,
            { runId, attempt: runAttempt, GITHUB_WORKSPACE: opts.workspace, HOME: env.HOME ?? tmpdir() },
            {
              job: `${jr.id}${leg.matrix && Object.keys(leg.matrix).length ? ` (${String(leg.matrix.cluster ?? index)})` : ''}`,
              step: step.id,
            },
          )
          for (const w of r.warnings) leg.annotations.push({ level: 'warning', message: w, step: sr.name })
          if (r.failed) leg.annotations.push({ level: 'error', message: r.failed, step: sr.name })
          sr.log = [
            ...r.log,
            ...r.warnings.map((w) => `::warning::${w}`),
            ...(r.failed ? [`::error::${r.failed}`] : []),
          ].join('\n')
          sr.outputs = r.outputs
          sr.ms = Date.now() - started
          sr.outcome = r.failed ? 'failure' : 'success'
          sr.conclusion = sr.outcome === 'failure' && continueOnError ? 'success' : sr.outcome
          if (sr.conclusion === 'failure') failed = true
          steps[step.id] = { outputs: sr.outputs, outcome: sr.outcome, conclusion: sr.conclusion }
          continue
        }
        if (!local) {
          sr.kind = 'skipped-uses'
          sr.reason = 'not executed by the test runner (third-party action)'
          steps[step.id] = { outputs: {}, outcome: 'success', conclusion: 'success' }
          sr.outcome = sr.conclusion = 'success'
          continue
        }
        const action = loadAction(local)
        const withValues = (evalToken(rawStep?.find('with'), stepScope()) ?? {}) as Record<string, unknown>
        const given: Record<string, string> = {}
        for (const [k, v] of Object.entries(withValues)) given[k] = toText(v)
        for (const k of Object.keys(given))
          if (!(k in action.inputs))
            leg.annotations.push({ level: 'warning', message: `Unexpected input(s) '${k}'`, step: sr.name })
        const inputEnv: Record<string, string> = {}
        for (const [name, def] of Object.entries(action.inputs)) {
          const value = name in given ? given[name] : def.default
          if (value !== undefined) inputEnv[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
        }
        sr.inputs = given
        const env = { ...commonEnv(step.id, files), ...stepEnv, ...inputEnv, GITHUB_ACTION_PATH: action.dir }
        Object.assign(env, pathEnv(env))
        exit = await runChild(opts.node ?? process.execPath, [join(action.dir, action.main)], {
          cwd: opts.workspace,
          env,
          signal: cancel.signal,
          onLine: onLine(sr.name),
        })
        if (action.post) {
          const state = parseCommandFile(readText(files.GITHUB_STATE))
          posts.push({ step: sr, action, state, env, postIf: action.postIf ?? 'always()' })
        }
      } else {
        const script = toText(evalToken((step as RunStep).run, stepScope()))
        if (opts.runSteps === 'skip') {
          sr.reason = 'run steps are not executed in this run'
          steps[step.id] = { outputs: {}, outcome: 'success', conclusion: 'success' }
          sr.outcome = sr.conclusion = 'success'
          continue
        }
        const scriptFile = join(stepDir, 'script.sh')
        writeFileSync(scriptFile, script)
        const env = { ...commonEnv(step.id, files), ...stepEnv }
        Object.assign(env, pathEnv(env))
        exit = await runChild('bash', ['--noprofile', '--norc', '-eo', 'pipefail', scriptFile], {
          cwd: opts.workspace,
          env,
          signal: cancel.signal,
          onLine: onLine(sr.name),
        })
      }
      sr.exitCode = exit.code
      sr.log = maskText(exit.log, masks)
      sr.ms = exit.ms
      try {
        sr.outputs = parseCommandFile(readText(files.GITHUB_OUTPUT))
        Object.assign(extraEnv, parseCommandFile(readText(files.GITHUB_ENV)))
      } catch (err) {
        leg.annotations.push({ level: 'error', message: (err as Error).message, step: sr.name })
        exit.code = exit.code || 1
      }
      for (const p of readText(files.GITHUB_PATH).split('\n').filter(Boolean).reverse()) extraPath.unshift(p)
      sr.summary = readText(files.GITHUB_STEP_SUMMARY)
      sr.outcome = cancel.signal.aborted ? 'cancelled' : exit.code === 0 ? 'success' : 'failure'
      sr.conclusion = sr.outcome === 'failure' && continueOnError ? 'success' : sr.outcome
      if (sr.conclusion === 'failure') failed = true
      steps[step.id] = { outputs: sr.outputs, outcome: sr.outcome, conclusion: sr.conclusion }
    }

    // Post steps: reverse order, `post-if` against the job status (default always()).
    for (const p of posts.reverse()) {
      if (!truthy(evaluate(p.postIf, { ...legScope, steps }, stepStatus()))) continue
      const stateEnv = Object.fromEntries(Object.entries(p.state).map(([k, v]) => [`STATE_${k}`, v]))
      const postDir = mkdtempSync(join(legDir, 'post-'))
      const postFiles = {
        GITHUB_OUTPUT: join(postDir, 'output'),
        GITHUB_STATE: join(postDir, 'state'),
        GITHUB_STEP_SUMMARY: join(postDir, 'summary'),
        GITHUB_ENV: join(postDir, 'env'),
        GITHUB_PATH: join(postDir, 'path'),
      }
      for (const f of Object.values(postFiles)) writeFileSync(f, '')
      const r = await runChild(opts.node ?? process.execPath, [join(p.action.dir, p.action.post!)], {
        cwd: opts.workspace,
        env: { ...p.env, ...stateEnv, ...postFiles },
        signal: new AbortController().signal,
        onLine: onLine(`Post ${p.step.name}`),
      })
      p.step.post = { exitCode: r.code, log: maskText(r.log, masks), ms: r.ms }
      p.step.summary += readText(postFiles.GITHUB_STEP_SUMMARY)
      if (r.code !== 0) failed = true
    }
    clearTimeout(timer)

    leg.result = cancel.signal.aborted ? 'cancelled' : failed ? 'failure' : 'success'
    // Job outputs: evaluated once per leg; a value containing a secret is dropped, as GitHub does.
    for (const pair of j.outputs ? [...j.outputs] : []) {
      const k = toText(evalToken(pair.key, legScope))
      let text: string
      try {
        text = toText(evalToken(pair.value, { ...legScope, steps }))
      } catch (err) {
        // GitHub fails the job when an output expression errors (e.g. fromJSON('') after a failed step).
        leg.annotations.push({
          level: 'error',
          message: `outputs.${k}: ${(err as Error).message}`,
          step: '(job)',
        })
        leg.result = 'failure'
        continue
      }
      if ([...masks].some((m) => m.length > 0 && text.includes(m))) {
        leg.annotations.push({
          level: 'warning',
          message: `Skip output '${k}' since it may contain secret.`,
          step: '(job)',
        })
        continue
      }
      leg.outputs[k] = text
    }
    leg.ms = Date.now() - legStarted
    return leg
  }

  await Promise.all([...jobs.keys()].map((id) => startJob(id)))
  const all = [...run.jobs.values()]
  run.result = all.some((j) => j.result === 'failure')
    ? 'failure'
    : all.some((j) => j.result === 'cancelled')
      ? 'cancelled'
      : 'success'

  // workflow_call outputs
  if (opts.event === 'workflow_call') {
    const on = rootMapping.find('on')
    const call = on && isMapping(on) ? on.find('workflow_call') : undefined
    const outs = call && isMapping(call) ? call.find('outputs') : undefined
    if (outs && isMapping(outs)) {
      const jobsScope = Object.fromEntries(
        [...run.jobs].map(([k, v]) => [k, { result: v.result, outputs: v.outputs }]),
      )
      for (const pair of outs) {
        if (!isString(pair.key) || !isMapping(pair.value)) continue
        run.outputs[pair.key.value] = toText(
          evalToken(pair.value.find('value'), { ...base, jobs: jobsScope }),
        )
      }
    }
  }
  run.ms = Date.now() - started
  return run
}

function unescapeCommand(s: string): string {
  return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
}

function maskText(text: string, masks: Set<string>): string {
  let out = text
  for (const m of masks) if (m.length >= 4) out = out.split(m).join('***')
  return out
}

/** Every leg of every job (called workflows included), in job order. */
export function allLegs(run: WorkflowRun): { job: string; leg: LegRun }[] {
  const out: { job: string; leg: LegRun }[] = []
  for (const j of run.jobs.values()) {
    for (const leg of j.legs) out.push({ job: j.id, leg })
    if (j.called) out.push(...allLegs(j.called))
  }
  return out
}

/** Every job, flattening called workflows. */
export function allJobs(run: WorkflowRun): JobRun[] {
  return [...run.jobs.values()].flatMap((j) => [j, ...(j.called ? allJobs(j.called) : [])])
}

/** A one-line-per-job table for test logs. */
export function describeRun(run: WorkflowRun): string {
  return allJobs(run)
    .map((j) => {
      const legs =
        j.legs.length > 1 || j.strategy
          ? ` [${j.legs.map((l) => `${String(l.matrix?.cluster ?? l.name)}:${l.result}`).join(' ')}]`
          : ''
      return `${j.id.padEnd(34)} ${j.result.padEnd(9)} ${(j.ms / 1000).toFixed(1).padStart(6)} s${legs}${j.reason && j.result !== 'success' ? `  (${j.reason})` : ''}`
    })
    .join('\n')
}
