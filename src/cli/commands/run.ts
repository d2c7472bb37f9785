import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import { InputError } from '../../core/errors.js'
import { isStageName, UPGRADE_ORDER } from '../../core/stages.js'
import { ConsoleReporter } from '../../effects/reporter.js'
import { runStage } from '../../stages/execute.js'
import { parseFlags } from '../args.js'
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

export const command: Command = async (argv, io) => {
  const { values, positionals } = parseFlags(
    argv,
    {
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
      'timeout-minutes': { type: 'string', default: '60' },
      manifests: { type: 'string' },
      'fail-on': { type: 'string', default: 'error' },
      json: { type: 'boolean', default: false },
    },
    true,
  )
  const [stage, ...extra] = positionals
  if (
    !stage ||
    extra.length > 0 ||
    !isStageName(stage) ||
    !(UPGRADE_ORDER as readonly string[]).includes(stage)
  ) {
    throw new InputError(
      `usage: dkp-fleet run <stage> -i <inventory> [--cluster NAME]; stages: ${UPGRADE_ORDER.join(', ')}`,
    )
  }
  const timeout = Number(values['timeout-minutes'])
  if (!(timeout > 0)) throw new InputError('--timeout-minutes must be a positive number')
  const failOn = values['fail-on']
  if (failOn !== 'error' && failOn !== 'warning' && failOn !== 'none')
    throw new InputError('--fail-on must be error, warning or none')
  if (values.wave !== undefined && !/^\d+$/.test(values.wave))
    throw new InputError('--wave must be a wave number')

  const reporter = new ConsoleReporter(io.stderr)
  // Locally, a dkp already on PATH is the expected one (e.g. the demo fleet's stand-in); its
  // version is still checked. Pass --dkp-version/--dkp-download-url to download instead.
  let dkpPath = values['dkp-path']
  if (!dkpPath && !values['dkp-download-url'] && !values['dkp-version']) {
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
        stage,
        inventory: values.inventory ?? [],
        cluster: values.cluster,
        wave: values.wave === undefined ? undefined : Number(values.wave),
        planDigest: values['plan-digest'],
        kubeconfig: { path: values.kubeconfig },
        allowKubeconfigEnv: true,
        target: values.target,
        targetKubernetes: values['target-kubernetes'],
        dkp: {
          version: values['dkp-version'],
          sha256: values['dkp-sha256'],
          downloadUrl: values['dkp-download-url'],
          path: dkpPath,
          requireChecksum: values['require-checksum'],
        },
        dryRun: values['dry-run'],
        timeoutMs: timeout * 60_000,
        manifests: values.manifests,
        failOn,
        env: io.env,
        cwd: io.cwd,
        signal: cancel.signal,
      },
      reporter,
    )
    if (values.json) io.stdout(`${JSON.stringify(result)}\n`)
    else {
      const versions = result.from
        ? ` (${result.from} → ${result.to ?? '?'})`
        : result.to
          ? ` (to ${result.to})`
          : ''
      io.stdout(`${result.stepId}: ${result.status}${versions}\n`)
      if (result.message) io.stdout(`  ${result.message.replace(/\n/g, '\n  ')}\n`)
      for (const c of result.commands)
        io.stdout(`  ${result.status === 'dry-run' ? 'would run' : 'ran'}: ${c}\n`)
    }
    // A refusal of bad input (a path that skips a minor or goes backwards) exits 2, like every bad input.
    if (result.badInput) return 2
    return result.status === 'failed' || result.status === 'cancelled' ? 1 : 0
  } finally {
    process.removeListener('SIGINT', onSignal)
    process.removeListener('SIGTERM', onSignal)
  }
}
