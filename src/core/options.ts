// The options both shells share, parsed and validated once into a typed object: the action
// feeds `get` from core.getInput, the CLI from its parsed flags (src/cli/options.ts). The
// validation and the error texts are the same; only the name a message gives an option
// differs (`input cluster` in the action, `--cluster` in the CLI), through `label`. Every
// problem is reported at once (InputError, exit code 2).

import { dkpVersionProblem, normalizeDkpVersion, normalizeSha256, sha256Problem } from './download.js'
import { InputError, type InputProblem } from './errors.js'
import { isStageName, PER_CLUSTER_STAGES, STAGES, type StageName } from './stages.js'
import { didYouMean } from './suggest.js'
import { normalizeDkp, normalizeKubernetes } from './versions.js'

/** Option names: the action's inputs exactly as declared in action.yml, and the CLI's flags. */
export const OPTION_NAMES = [
  'stage',
  'inventory',
  'cluster',
  'wave',
  'plan-digest',
  'kubeconfig',
  'target',
  'target-kubernetes',
  'plan-hop',
  'dkp-version',
  'dkp-sha256',
  'dkp-download-url',
  'dkp-path',
  'dkp-cache-dir',
  'require-checksum',
  'dry-run',
  'timeout-minutes',
  'manifests',
  'fail-on',
  'previous-report',
  'reason',
] as const

export type OptionName = (typeof OPTION_NAMES)[number]

export const FAIL_ON = ['error', 'warning', 'none'] as const
export type FailOnLevel = (typeof FAIL_ON)[number]

/** The longest deadline a stage may be given: 7 days. */
export const MAX_TIMEOUT_MINUTES = 7 * 24 * 60

export interface Options {
  stage: StageName
  /** Inventory file(s) or glob(s), comma or newline separated. */
  inventory: string
  cluster?: string
  /** With `verify`: the gate before this wave. */
  wave?: number
  /** The plan job's digest; later jobs refuse to run on a different plan. */
  planDigest?: string
  /** Management kubeconfig: its content in the action (a secret), a file in the CLI. */
  kubeconfig?: string
  /** Target DKP release, overriding the inventory (e.g. from a dispatch input). */
  target?: string
  targetKubernetes?: string
  /** The hop this run performs on the way to the target (the plan job's `hop` output). */
  planHop?: string
  dkpVersion?: string
  dkpSha256?: string
  dkpDownloadUrl?: string
  dkpPath?: string
  /** Tarball cache directory shared between jobs by actions/cache (the shipped workflows set it). */
  dkpCacheDir?: string
  requireChecksum: boolean
  dryRun: boolean
  timeoutMinutes: number
  /** `check`: manifests to scan (comma or newline separated). */
  manifests?: string
  failOn: FailOnLevel
  /** `check`: the previous run's JSON report, for the summary's trend line. */
  previousReport?: string
  /** `pause`: why. */
  reason?: string
}

export interface ParseSettings {
  /** How a message names an option: `input cluster` (action), `--cluster` (CLI). */
  label: (name: OptionName) => string
  /** The stages accepted (default: every stage). */
  stages?: readonly StageName[]
  /** Default of `timeout-minutes` (60; the CLI's read commands use 10). */
  timeoutMinutes?: number
  /** The inventory may be missing (the CLI's status, pause and resume fall back to the demo fleet's). */
  inventoryOptional?: boolean
  /** Options this caller requires besides what the stage requires (`dkp-version` for install). */
  required?: readonly OptionName[]
}

/** Why a required option is needed, shown after `required`. */
const REQUIRED_BECAUSE: Partial<Record<OptionName, string>> = {
  inventory: 'the inventory file(s) or glob(s)',
  'dkp-version': 'the dkp release to install, e.g. v2.8.1',
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const DIGEST = /^sha256:[0-9a-f]{64}$/

/** A value parser's answer: the value, or why the text is not one. */
type Parsed<T> = { value: T } | { problem: string }
const ok = <T>(value: T): Parsed<T> => ({ value })
const no = (problem: string): Parsed<never> => ({ problem })

/** Reads one option set: the typed options and every problem found (none thrown). */
export function readOptions(
  get: (name: OptionName) => string | undefined,
  settings: ParseSettings,
): { options: Options; problems: InputProblem[] } {
  const problems: { name: OptionName; message: string }[] = []
  const opt = (name: OptionName) => {
    const v = (get(name) ?? '').trim()
    return v === '' ? undefined : v
  }
  const read = <T>(name: OptionName, parse: (v: string) => Parsed<T>): T | undefined => {
    const v = opt(name)
    if (v === undefined) return undefined
    const parsed = parse(v)
    if ('value' in parsed) return parsed.value
    problems.push({ name, message: parsed.problem })
    return undefined
  }
  const stages = settings.stages ?? STAGES
  const stage = read('stage', (v) => stageOf(v, stages))
  const stageValid = stage !== undefined || opt('stage') === undefined
  const options: Options = {
    stage: stage ?? 'plan',
    inventory: opt('inventory') ?? '',
    requireChecksum: read('require-checksum', bool) ?? false,
    dryRun: read('dry-run', bool) ?? false,
    timeoutMinutes: read('timeout-minutes', minutes) ?? settings.timeoutMinutes ?? 60,
    failOn: read('fail-on', failOn) ?? 'error',
  }
  assign(options, {
    cluster: read('cluster', clusterName),
    wave: read('wave', (v) =>
      /^\d{1,6}$/.test(v) ? ok(Number(v)) : no(`must be a wave number, not "${v}"`),
    ),
    planDigest: read('plan-digest', (v) =>
      DIGEST.test(v) ? ok(v) : no("must be the plan job's `digest` output (sha256:<64 hex>)"),
    ),
    kubeconfig: opt('kubeconfig'),
    target: read('target', dkpTarget),
    targetKubernetes: read('target-kubernetes', kubernetesTarget),
    planHop: read('plan-hop', dkpTarget),
    dkpVersion: read('dkp-version', (v) => checked(dkpVersionProblem(v), () => normalizeDkpVersion(v))),
    dkpSha256: read('dkp-sha256', (v) => checked(sha256Problem(v), () => normalizeSha256(v))),
    dkpDownloadUrl: opt('dkp-download-url'),
    dkpPath: opt('dkp-path'),
    dkpCacheDir: opt('dkp-cache-dir'),
    manifests: opt('manifests'),
    previousReport: opt('previous-report'),
    reason: opt('reason'),
  })
  problems.push(...missing(options, settings, opt, stageValid))
  // In the order the options are declared (action.yml), whatever the order they were checked in.
  problems.sort((a, b) => OPTION_NAMES.indexOf(a.name) - OPTION_NAMES.indexOf(b.name))
  return { options, problems: problems.map((p) => ({ path: settings.label(p.name), message: p.message })) }
}

/** Parses the options or throws one InputError listing every problem. */
export function parseOptions(
  get: (name: OptionName) => string | undefined,
  settings: ParseSettings,
): Options {
  const { options, problems } = readOptions(get, settings)
  if (problems.length > 0) throw new InputError(problems)
  return options
}

/**
 * Required options that are missing: the inventory (but for a manifests-only check), the
 * cluster of a per-cluster stage (when the stage itself was valid), and the caller's own.
 */
function missing(
  options: Options,
  settings: ParseSettings,
  opt: (name: OptionName) => string | undefined,
  stageValid: boolean,
): { name: OptionName; message: string }[] {
  const out: { name: OptionName; message: string }[] = []
  const need = (name: OptionName, why: string | undefined) => {
    if (opt(name) === undefined) out.push({ name, message: why ? `required: ${why}` : 'required' })
  }
  const manifestsOnlyCheck = options.stage === 'check' && options.manifests !== undefined
  const fetchDkp = options.stage === 'fetch-dkp'
  if (!settings.inventoryOptional && !manifestsOnlyCheck && !fetchDkp)
    need('inventory', REQUIRED_BECAUSE.inventory)
  if (fetchDkp) out.push(...fetchDkpProblems(opt))
  if (stageValid && PER_CLUSTER_STAGES.has(options.stage))
    need(
      'cluster',
      `stage ${options.stage} runs on one cluster: the management cluster or a managed cluster of the plan`,
    )
  for (const name of settings.required ?? []) need(name, REQUIRED_BECAUSE[name])
  return out
}

/**
 * `fetch-dkp` runs in a job that holds no secret and reads no inventory: it is told the
 * version and where to leave the verified tarball, and takes no kubeconfig or dkp-path.
 */
function fetchDkpProblems(
  opt: (name: OptionName) => string | undefined,
): { name: OptionName; message: string }[] {
  const out: { name: OptionName; message: string }[] = []
  if (opt('dkp-version') === undefined)
    out.push({
      name: 'dkp-version',
      message: "required with stage fetch-dkp: the dkp version to fetch (the plan job's `dkp-version`)",
    })
  if (opt('dkp-cache-dir') === undefined)
    out.push({
      name: 'dkp-cache-dir',
      message: 'required with stage fetch-dkp: the directory to leave the verified tarball in',
    })
  if (opt('kubeconfig') !== undefined)
    out.push({
      name: 'kubeconfig',
      message: 'stage fetch-dkp takes no kubeconfig: it runs in a job that holds no secret',
    })
  if (opt('dkp-path') !== undefined)
    out.push({
      name: 'dkp-path',
      message: 'stage fetch-dkp has nothing to fetch with dkp-path: leave the job out',
    })
  return out
}

function stageOf(v: string, stages: readonly StageName[]): Parsed<StageName> {
  return isStageName(v) && stages.includes(v)
    ? ok(v)
    : no(`unknown stage "${v}"${didYouMean(v, stages)}; one of: ${stages.join(', ')}`)
}

function clusterName(v: string): Parsed<string> {
  return DNS_LABEL.test(v) ? ok(v) : no(`"${v}" is not a cluster name (a DNS label)`)
}

function dkpTarget(v: string): Parsed<string> {
  const n = normalizeDkp(v)
  return n ? ok(n) : no(`"${v}" is not a DKP version like v2.8.1`)
}

function kubernetesTarget(v: string): Parsed<string> {
  const n = normalizeKubernetes(v)
  return n ? ok(n) : no(`"${v}" is not a Kubernetes version like 1.28.7`)
}

/** A rule shared with the installer (download.ts): its problem text, else the normalised value. */
function checked(problem: string | undefined, normalize: () => string): Parsed<string> {
  return problem ? no(problem) : ok(normalize())
}

function bool(v: string): Parsed<boolean> {
  return /^(true|false)$/i.test(v) ? ok(v.toLowerCase() === 'true') : no(`must be true or false, not "${v}"`)
}

function minutes(v: string): Parsed<number> {
  const n = Number(v)
  return Number.isFinite(n) && n > 0 && n <= MAX_TIMEOUT_MINUTES
    ? ok(n)
    : no(`must be a number of minutes above 0 and at most ${MAX_TIMEOUT_MINUTES} (7 days), not "${v}"`)
}

function failOn(v: string): Parsed<FailOnLevel> {
  return (FAIL_ON as readonly string[]).includes(v)
    ? ok(v as FailOnLevel)
    : no(`must be error, warning or none, not "${v}"`)
}

/** Sets the optional fields that have a value (so absent ones stay absent, not `undefined`). */
function assign(options: Options, values: Partial<Options>): void {
  for (const [key, value] of Object.entries(values))
    if (value !== undefined) (options as unknown as Record<string, unknown>)[key] = value
}
