import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import { InputError } from '../../core/errors.js'
import { UPGRADE_ORDER } from '../../core/stages.js'
import { ConsoleReporter } from '../../effects/reporter.js'
import { runStage } from '../../stages/execute.js'
import type { StageResult } from '../../stages/types.js'
import { optionsFromFlags, parseFlags } from '../args.js'
import type { Command } from '../io.js'

function findOnPath(name: string, path = ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue
    const file = join(dir, name)
    try {
      accessSync(file, constants.X_OK)
      return file
    } catch {}
  }
  return undefined
}

const RUN_FLAGS = {
  inventory: { type: 'string', short: 'i', multiple: true },
  cluster: { type: 'string', short: 'c' },
  wave: { type: 'string' },
  kubeconfig: { type: 'string' },
  target: { type: 'string' },
  'target-kubernetes': { type: 'string' },
  'plan-digest': { type: 'string' },
  'dkp-path': { type: 'string' },
  'dkp-version': { type: 'string' },
  'dkp-sha256': { type: 'string' },
  'dkp-download-url': { type: 'string' },
  'require-checksum': { type: 'boolean', default: false },
  'dry-run': { type: 'boolean', default: false },
  'timeout-minutes': { type: 'string' },
  manifests: { type: 'string' },
  'fail-on': { type: 'string' },
  'previous-report': { type: 'string' },
  json: { type: 'boolean', default: false },
} as const

export const command: Command = async (argv, io) => {
  const { values, positionals } = parseFlags(argv, RUN_FLAGS, true)
  const [stage, ...extra] = positionals
  if (!stage || extra.length > 0)
    throw new InputError(
      `usage: dkp-fleet run <stage> -i <inventory> [--cluster NAME]; stages: ${UPGRADE_ORDER.join(', ')}`,
    )
  const options = optionsFromFlags(
    { ...values, stage },
    { stages: UPGRADE_ORDER, labels: { stage: '<stage>' } },
  )

  const reporter = new ConsoleReporter(io.stderr)
  // Locally, a dkp already on PATH is the expected one (e.g. the demo fleet's stand-in); its
  // version is still checked. Pass --dkp-version/--dkp-download-url to download instead.
  let dkpPath = options.dkpPath
  if (!dkpPath && !options.dkpDownloadUrl && !options.dkpVersion) {
    dkpPath = findOnPath('dkp', io.env.PATH)
    if (dkpPath) reporter.info(`using dkp from PATH: ${dkpPath}`)
  }
  const cancel = new AbortController()
  const onSignal = () => cancel.abort(new Error('interrupted'))
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    const result = await runStage(
      {
        stage: options.stage,
        inventory: values.inventory ?? [],
        cluster: options.cluster,
        wave: options.wave,
        planDigest: options.planDigest,
        kubeconfig: { path: options.kubeconfig },
        allowKubeconfigEnv: true,
        target: options.target,
        targetKubernetes: options.targetKubernetes,
        dkp: {
          version: options.dkpVersion,
          sha256: options.dkpSha256,
          downloadUrl: options.dkpDownloadUrl,
          path: dkpPath,
          requireChecksum: options.requireChecksum,
        },
        dryRun: options.dryRun,
        timeoutMs: options.timeoutMinutes * 60_000,
        manifests: options.manifests,
        failOn: options.failOn,
        previousReport: options.previousReport,
        env: io.env,
        cwd: io.cwd,
        signal: cancel.signal,
      },
      reporter,
    )
    io.stdout(values.json ? `${JSON.stringify(result)}\n` : resultText(result))
    // A refusal of bad input (a path that skips a minor or goes backwards) exits 2, like every bad input.
    if (result.badInput) return 2
    return result.status === 'failed' || result.status === 'cancelled' ? 1 : 0
  } finally {
    process.removeListener('SIGINT', onSignal)
    process.removeListener('SIGTERM', onSignal)
  }
}

/** The result for a terminal: step, status and versions, the message, the commands (run or would run). */
function resultText(result: StageResult): string {
  const versions = result.from
    ? ` (${result.from} → ${result.to ?? '?'})`
    : result.to
      ? ` (to ${result.to})`
      : ''
  let out = `${result.stepId}: ${result.status}${versions}\n`
  if (result.message) out += `  ${result.message.replace(/\n/g, '\n  ')}\n`
  for (const c of result.commands) out += `  ${result.status === 'dry-run' ? 'would run' : 'ran'}: ${c}\n`
  return out
}
