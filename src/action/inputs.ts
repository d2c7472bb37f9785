// The action's inputs, parsed and validated once into a typed object. Fed by core.getInput
// in the action and by a plain map in tests. Every name read here is declared in action.yml
// (a unit test checks both directions).

import { InputError, type InputProblem } from '../core/errors.js'
import { isStageName, STAGES, type StageName } from '../core/stages.js'
import { normalizeDkp, normalizeKubernetes } from '../core/versions.js'

export interface ActionInputs {
  stage: StageName
  /** Inventory file(s) or glob(s), comma or newline separated. */
  inventory: string
  cluster?: string
  /** With `verify`: the gate before this wave. */
  wave?: number
  /** The plan job's digest; later jobs refuse to run on a different plan. */
  planDigest?: string
  /** Management kubeconfig content (a secret). */
  kubeconfig?: string
  /** Target DKP release, overriding the inventory (e.g. from a dispatch input). */
  target?: string
  targetKubernetes?: string
  dkpVersion?: string
  dkpSha256?: string
  dkpDownloadUrl?: string
  dkpPath?: string
  /** Tarball cache directory shared between jobs by actions/cache (the shipped workflows set it). */
  dkpCacheDir?: string
  requireChecksum: boolean
  dryRun: boolean
  timeoutMinutes: number
  /** `check`: directory of manifests to scan. */
  manifests?: string
  failOn: 'error' | 'warning' | 'none'
  /** `pause`: why. */
  reason?: string
}

/** Input names exactly as declared in action.yml. */
export const INPUT_NAMES = [
  'stage',
  'inventory',
  'cluster',
  'wave',
  'plan-digest',
  'kubeconfig',
  'target',
  'target-kubernetes',
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
  'reason',
] as const

export type InputName = (typeof INPUT_NAMES)[number]

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

export function parseInputs(get: (name: InputName) => string): ActionInputs {
  const problems: InputProblem[] = []
  const bad = (name: InputName, message: string) => problems.push({ path: `input ${name}`, message })
  const opt = (name: InputName) => {
    const v = get(name).trim()
    return v === '' ? undefined : v
  }
  const bool = (name: InputName, fallback: boolean) => {
    const v = opt(name)
    if (v === undefined) return fallback
    if (/^(true|false)$/i.test(v)) return v.toLowerCase() === 'true'
    bad(name, `must be true or false, not "${v}"`)
    return fallback
  }

  const stageText = opt('stage') ?? 'plan'
  if (!isStageName(stageText)) bad('stage', `unknown stage "${stageText}"; one of: ${STAGES.join(', ')}`)
  const inventory = opt('inventory') ?? ''
  const manifestsOnlyCheck = stageText === 'check' && opt('manifests') !== undefined
  const fetchDkp = stageText === 'fetch-dkp'
  if (!inventory && !manifestsOnlyCheck && !fetchDkp)
    bad('inventory', 'required: the inventory file(s) or glob(s)')
  // fetch-dkp runs in a job that holds no secret and reads no inventory: it is told the version.
  if (fetchDkp) {
    if (opt('dkp-version') === undefined)
      bad(
        'dkp-version',
        "required with stage fetch-dkp: the dkp version to fetch (the plan job's `dkp-version`)",
      )
    if (opt('dkp-cache-dir') === undefined)
      bad('dkp-cache-dir', 'required with stage fetch-dkp: the directory to leave the verified tarball in')
    if (opt('kubeconfig') !== undefined)
      bad('kubeconfig', 'stage fetch-dkp takes no kubeconfig: it runs in a job that holds no secret')
    if (opt('dkp-path') !== undefined)
      bad('dkp-path', 'stage fetch-dkp has nothing to fetch with dkp-path: leave the job out')
  }

  const cluster = opt('cluster')
  if (cluster !== undefined && !NAME.test(cluster))
    bad('cluster', `"${cluster}" is not a cluster name (a DNS label)`)

  let wave: number | undefined
  const waveText = opt('wave')
  if (waveText !== undefined) {
    if (/^\d{1,6}$/.test(waveText)) wave = Number(waveText)
    else bad('wave', `must be a wave number, not "${waveText}"`)
  }

  const planDigest = opt('plan-digest')
  if (planDigest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(planDigest))
    bad('plan-digest', "must be the plan job's `digest` output (sha256:<64 hex>)")

  const version = (name: InputName, normalize: (v: string) => string | undefined, example: string) => {
    const v = opt(name)
    if (v === undefined) return undefined
    const n = normalize(v)
    if (!n) bad(name, `"${v}" is not a version like ${example}`)
    return n
  }
  const target = version('target', normalizeDkp, 'v2.8.1')
  const targetKubernetes = version('target-kubernetes', normalizeKubernetes, '1.28.7')
  const dkpVersion = version('dkp-version', normalizeDkp, 'v2.8.1')

  const dkpSha256 = opt('dkp-sha256')?.toLowerCase()
  if (dkpSha256 !== undefined && !/^[0-9a-f]{64}$/.test(dkpSha256))
    bad('dkp-sha256', 'must be 64 hex characters')

  let timeoutMinutes = 60
  const timeoutText = opt('timeout-minutes')
  if (timeoutText !== undefined) {
    const n = Number(timeoutText)
    if (Number.isFinite(n) && n > 0 && n <= 7 * 24 * 60) timeoutMinutes = n
    else bad('timeout-minutes', `must be a number of minutes between 1 and 10080, not "${timeoutText}"`)
  }

  const failOnText = opt('fail-on') ?? 'error'
  if (!['error', 'warning', 'none'].includes(failOnText))
    bad('fail-on', `must be error, warning or none, not "${failOnText}"`)

  const inputs: ActionInputs = {
    stage: stageText as StageName,
    inventory,
    requireChecksum: bool('require-checksum', false),
    dryRun: bool('dry-run', false),
    timeoutMinutes,
    failOn: failOnText as ActionInputs['failOn'],
  }
  const assign = <K extends keyof ActionInputs>(key: K, value: ActionInputs[K] | undefined) => {
    if (value !== undefined) inputs[key] = value
  }
  assign('cluster', cluster)
  assign('wave', wave)
  assign('planDigest', planDigest)
  assign('kubeconfig', opt('kubeconfig'))
  assign('target', target)
  assign('targetKubernetes', targetKubernetes)
  assign('dkpVersion', dkpVersion)
  assign('dkpSha256', dkpSha256)
  assign('dkpDownloadUrl', opt('dkp-download-url'))
  assign('dkpPath', opt('dkp-path'))
  assign('dkpCacheDir', opt('dkp-cache-dir'))
  assign('manifests', opt('manifests'))
  assign('reason', opt('reason'))
  if (problems.length > 0) throw new InputError(problems)
  return inputs
}
