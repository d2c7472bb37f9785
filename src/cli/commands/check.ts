// dkp-fleet check: pre-flight checks without changing anything.
//   check --manifests DIR --target-kubernetes 1.NN [--format text|json|sarif] [--output FILE]
//         [--fail-on error|warning|none] [--previous-report FILE]
// scans repository manifests for removed APIs and needs no cluster. The live mode (`-i <glob>`
// with `--kubeconfig F`: health gates, Helm releases, last-applied, live kinds) plugs in
// through `LiveCheck`: check-live.ts, loaded only when asked for (it brings the
// Kubernetes client).

import { writeFile } from 'node:fs/promises'
import { isAbsolute, resolve } from 'node:path'
import { compatRule } from '../../core/compat/rules.js'
import { parseMinor } from '../../core/compat/table.js'
import { InputError } from '../../core/errors.js'
import { countBySeverity, type Finding } from '../../core/findings.js'
import { exitCodeFor, type FailOn } from '../../core/report/exit-code.js'
import { trendLine } from '../../core/report/fleet-table.js'
import { renderJson } from '../../core/report/json.js'
import type { LiveCheck, LiveCheckOptions } from '../../core/report/live-check.js'
import { type CheckReport, type ScanStats, TOOL_INFORMATION_URI, TOOL_NAME } from '../../core/report/model.js'
import { renderSarif } from '../../core/report/sarif.js'
import { renderText, summaryLine } from '../../core/report/text.js'
import { toolVersion } from '../../core/version.js'
import { scanManifestPaths } from '../../effects/manifest-files.js'
import { loadPreviousReport } from '../../stages/check-report.js'
import { applyTimeout, list, parseCommand, READ_TIMEOUT_MINUTES, readFlagOptions, str } from '../args.js'
import { renderHelp } from '../help.js'
import type { CliIO, Command } from '../io.js'
import { COMMAND_SPECS } from '../specs.js'

export const FORMATS = ['text', 'json', 'sarif'] as const
export type Format = (typeof FORMATS)[number]

export interface CheckOptions extends LiveCheckOptions {
  manifests: string[]
  /** As given, without a leading `v` (e.g. `1.29` or `1.29.6`). */
  targetKubernetes?: string
  format: Format
  output?: string
  failOn: FailOn
  /** The previous run's JSON report: a trend line on stderr (counts and findings new/resolved since). */
  previousReport?: string
  /** Deadline of the live check's API calls (--timeout-minutes, default 10). */
  timeoutMinutes?: number
}

export type { LiveCheck, LiveCheckResult } from '../../core/report/live-check.js'

export function parseCheckArgs(argv: string[]): CheckOptions | 'help' {
  const parsed0 = parseCommand(argv, COMMAND_SPECS.check!)
  if (parsed0.help) return 'help'
  const values = parsed0.values
  // The options the action shares (fail-on, timeout-minutes, kubeconfig, inventory). The
  // --target-kubernetes of a check is the removed-API scan's target, a minor is enough
  // (1.29): checked here, not as an upgrade target.
  const { 'target-kubernetes': _scanTarget, ...shared } = values
  const { options: parsed, problems: sharedProblems } = readFlagOptions(
    { ...shared, stage: 'check' },
    { timeoutMinutes: READ_TIMEOUT_MINUTES, inventoryOptional: true },
  )
  const problems: string[] = []
  const format = str(values.format) ?? 'text'
  if (!(FORMATS as readonly string[]).includes(format))
    problems.push(`--format must be one of ${FORMATS.join(', ')} (got "${format}")`)
  let targetKubernetes: string | undefined
  const t = str(values['target-kubernetes'])
  if (t !== undefined) {
    try {
      parseMinor(t)
      targetKubernetes = t.trim().replace(/^v/, '')
    } catch (err) {
      problems.push(`--target-kubernetes: ${(err as Error).message}`)
    }
  }
  const manifests = list(values.manifests)
  const inventory = list(values.inventory)
  const live = inventory.length > 0 || parsed.kubeconfig !== undefined
  if (!live) {
    if (manifests.length === 0)
      problems.push('nothing to check: pass --manifests DIR (and/or -i <glob> --kubeconfig F)')
    if (targetKubernetes === undefined && t === undefined)
      problems.push(
        '--target-kubernetes is required when no inventory is given (e.g. --target-kubernetes 1.29)',
      )
  }
  if (problems.length + sharedProblems.length > 0)
    throw new InputError([
      ...sharedProblems,
      ...problems.map((message) => ({ message: `check: ${message}` })),
    ])
  return {
    manifests,
    ...(targetKubernetes !== undefined ? { targetKubernetes } : {}),
    format: format as Format,
    ...(str(values.output) !== undefined ? { output: str(values.output)! } : {}),
    failOn: parsed.failOn,
    ...(parsed.previousReport !== undefined ? { previousReport: parsed.previousReport } : {}),
    inventory,
    ...(parsed.kubeconfig !== undefined ? { kubeconfig: parsed.kubeconfig } : {}),
    timeoutMinutes: parsed.timeoutMinutes,
  }
}

/** Runs a check: repository scan, plus the live check when an inventory or kubeconfig is given. */
export async function runCheck(
  options: CheckOptions,
  io: CliIO,
  live: LiveCheck = liveFleetCheck,
): Promise<number> {
  const liveResult = options.inventory.length > 0 || options.kubeconfig ? await live(options, io) : undefined
  const targetKubernetes = options.targetKubernetes ?? liveResult?.target.kubernetes
  if (targetKubernetes === undefined)
    throw new InputError(
      'check: no target Kubernetes version: pass --target-kubernetes 1.NN or set target.kubernetes',
    )

  const findings: Finding[] = [...(liveResult?.findings ?? [])]
  const scanned: ScanStats = { ...(liveResult?.scanned ?? {}) }
  if (options.manifests.length > 0) {
    const repo = await scanManifestPaths(options.manifests, { target: targetKubernetes, base: io.cwd })
    findings.push(...repo.findings)
    scanned.files = repo.files
    scanned.documents = repo.documents
    scanned.bytes = repo.bytes
  }
  const report: CheckReport = {
    tool: { name: TOOL_NAME, version: toolVersion(io.env) },
    target: { ...(liveResult?.target ?? {}), kubernetes: targetKubernetes },
    findings,
    ...(liveResult ? { clusters: liveResult.clusters } : {}),
    ...(options.manifests.length > 0 ? { manifests: options.manifests } : {}),
    scanned,
  }
  const liveRules = new Map((liveResult?.rules ?? []).map((r) => [r.id, r]))
  const rendered =
    options.format === 'json'
      ? renderJson(report)
      : options.format === 'sarif'
        ? renderSarif(report, {
            informationUri: TOOL_INFORMATION_URI,
            rules: (id) => liveRules.get(id) ?? compatRule(id),
            ...(liveResult ? { clusterSources: liveResult.clusterSources } : {}),
            ...(liveResult?.fallback ? { fallback: liveResult.fallback } : {}),
            srcRoot: io.cwd,
          })
        : renderText(report)

  if (options.output !== undefined) {
    const path = isAbsolute(options.output) ? options.output : resolve(io.cwd, options.output)
    await writeFile(path, rendered)
    io.stderr(
      `${summaryLine(report, countBySeverity(findings))}; ${options.format} report written to ${options.output}\n`,
    )
  } else {
    io.stdout(rendered)
    if (options.format !== 'text') io.stderr(`${summaryLine(report, countBySeverity(findings))}\n`)
  }
  const previous = await loadPreviousReport(options.previousReport, io.cwd, {
    warning: (m) => io.stderr(`warning: ${m}\n`),
  })
  const trend = trendLine(previous, report)
  if (trend) io.stderr(`${trend}\n`)
  return exitCodeFor(findings, options.failOn)
}

export const command: Command = async (argv, io) => {
  const options = parseCheckArgs(argv)
  if (options === 'help') {
    io.stdout(renderHelp(COMMAND_SPECS.check!))
    return 0
  }
  applyTimeout(options.timeoutMinutes ?? READ_TIMEOUT_MINUTES)
  return runCheck(options, io, liveFleetCheck)
}

/** The live mode, loaded on demand (the Kubernetes client stays out of file-only checks). */
export const liveFleetCheck: LiveCheck = async (options, io) =>
  (await import('./check-live.js')).liveCheck(options, io)
