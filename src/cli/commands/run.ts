import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import { InputError } from '../../core/errors.js'
import { UPGRADE_ORDER } from '../../core/stages.js'
import { defaultLogPath, LogFile } from '../../effects/log-file.js'
import { ConsoleReporter } from '../../effects/reporter.js'
import { runStage } from '../../stages/execute.js'
import type { StageResult } from '../../stages/types.js'
import { commandArgs, list, optionsFromFlags, str } from '../args.js'
import type { Command } from '../io.js'
import { COMMAND_SPECS } from '../specs.js'

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
  const args = commandArgs(argv, COMMAND_SPECS.run!, io)
  if (!args) return 0
  const { values, positionals } = args
  const [stage] = positionals
  if (!stage)
    throw new InputError(
      `usage: dkp-fleet run <stage> -i <inventory> [--cluster NAME]; stages: ${UPGRADE_ORDER.join(', ')} (dkp-fleet run --help)`,
    )
  const { json: _j, 'log-file': _l, ...shared } = values
  const options = optionsFromFlags(
    { ...shared, stage },
    { stages: UPGRADE_ORDER, labels: { stage: '<stage>' } },
  )

  const log = new LogFile(str(values['log-file']) ?? defaultLogPath(io.env, `run-${stage}`))
  const reporter = new ConsoleReporter(io.stderr, log)
  // Locally, a dkp (or, for an NKP target, an nkp) already on PATH is the expected one (e.g. the
  // demo fleet's stand-in); its version is still checked. Pass --dkp-version/--dkp-download-url
  // to download instead.
  const pathOf = (cli: 'dkp' | 'nkp') => findOnPath(cli, io.env.PATH)
  const cancel = new AbortController()
  const onSignal = () => cancel.abort(new Error('interrupted'))
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    const result = await runStage(
      {
        stage: options.stage,
        inventory: list(values.inventory),
        cluster: options.cluster,
        wave: options.wave,
        planDigest: options.planDigest,
        kubeconfig: { path: options.kubeconfig },
        allowKubeconfigEnv: true,
        target: options.target,
        targetKubernetes: options.targetKubernetes,
        ...(options.planHop ? { hop: options.planHop } : {}),
        dkp: {
          version: options.dkpVersion,
          sha256: options.dkpSha256,
          downloadUrl: options.dkpDownloadUrl,
          path: options.dkpPath,
          pathOf,
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
    const failed = result.status === 'failed' || result.status === 'cancelled'
    if (log.used) io.stderr(`dkp output: ${log.path}\n`)
    if (failed && log.used) io.stderr(failureTail(log.tail(), log.path))
    io.stdout(values.json ? `${JSON.stringify(result)}\n` : resultText(result))
    // A refusal of bad input (a path that skips a minor or goes backwards) exits 2, like every bad input.
    if (result.badInput) return 2
    return failed ? 1 : 0
  } finally {
    log.close()
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

/** The last lines of dkp's output on a failure, and where the rest is. */
export function failureTail(lines: string[], path: string): string {
  if (lines.length === 0) return ''
  return `last ${lines.length} line(s) of dkp output (all of it in ${path}):\n${lines.map((l) => `  | ${l}`).join('\n')}\n`
}
