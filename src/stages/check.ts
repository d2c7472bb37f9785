// `check`: the pre-flight gate and the scheduled compatibility check. It changes nothing: the
// health gates and the live removed-API scan over the whole fleet (check-fleet.ts), with
// `manifests` the repository scan too, published as report.json, check.sarif, the job summary
// and annotations (check-report.ts). It passes or fails per `fail-on`.
//
// Its done-condition: the run record has a passing `check` entry for this plan digest (the
// executor records gates like any stage).

import { type Finding, sortFindings } from '../core/findings.js'
import type { FailOn } from '../core/report/exit-code.js'
import { type CheckReport, type ScanStats, TOOL_NAME } from '../core/report/model.js'
import { summaryLine } from '../core/report/text.js'
import type { StepState } from '../core/step-state.js'
import { checkFleet, clusterSources, type FleetCheckResult } from './check-fleet.js'
import { loadPreviousReport, type Published, publishCheck, splitManifests } from './check-report.js'
import { defineStage } from './drive.js'
import { gateState } from './gate-record.js'
import type { GateStage, StageContext, Verdict } from './types.js'

export { checkFleet, clusterSources, type FleetCheckResult } from './check-fleet.js'
export { mergeSameServer } from './check-merge.js'
export { publishCheck, ruleOf, splitManifests } from './check-report.js'

/** The live check and, with `manifests`, the repository scan, as one report. */
async function report(ctx: StageContext): Promise<{ report: CheckReport; live: FleetCheckResult }> {
  const live = await ctx.reporter.group('health gates and live removed-API scan', () =>
    checkFleet(ctx, { log: (l) => ctx.reporter.info(l), cwd: ctx.place.cwd }),
  )
  const findings = [...live.findings]
  const scanned: ScanStats = { ...live.scanned }
  const manifests = splitManifests(ctx.extra.manifests)
  if (manifests.length > 0) {
    const { scanManifestPaths } = await import('../effects/manifest-files.js')
    const repo = await scanManifestPaths(manifests, { target: ctx.target.kubernetes, base: ctx.place.cwd })
    findings.push(...repo.findings)
    Object.assign(scanned, { files: repo.files, documents: repo.documents, bytes: repo.bytes })
  }
  return {
    live,
    report: {
      tool: { name: TOOL_NAME, version: ctx.place.toolVersion },
      target: { kubernetes: ctx.target.kubernetes, dkp: ctx.target.dkp },
      findings,
      clusters: live.clusters,
      ...(manifests.length > 0 ? { manifests } : {}),
      scanned,
    },
  }
}

/** Passed or failed per `fail-on`; a failure lists the worst findings. */
function verdict(report: CheckReport, published: Published, failOn: FailOn): Verdict {
  const findings: Finding[] = report.findings
  const line = summaryLine(report, published.counts)
  const failed = published.exitCode === 1
  const worst = sortFindings(findings).filter(
    (f) => f.severity === 'error' || (failOn === 'warning' && f.severity === 'warning'),
  )
  const message = failed
    ? [
        `check failed (fail-on ${failOn}): ${line}`,
        ...worst
          .slice(0, 20)
          .map(
            (f) =>
              `${f.severity}: ${f.cluster ? `[${f.cluster}] ` : f.location ? `${f.location.file}:${f.location.line}: ` : ''}${f.message}`,
          ),
        ...(worst.length > 20 ? [`… and ${worst.length - 20} more in ${published.report}`] : []),
      ].join('\n')
    : `check passed (fail-on ${failOn}): ${line}; report ${published.report}`
  return {
    passed: !failed,
    message,
    findings,
    evidence: [
      `${published.counts.error} error(s), ${published.counts.warning} warning(s), ${published.counts.info} info`,
      `JSON report: ${published.report}`,
      `SARIF: ${published.sarif}`,
    ],
    outputs: published.outputs,
  }
}

const check: GateStage<StepState> = {
  name: 'check',
  kind: 'gate',
  read: (env, cluster) =>
    gateState(
      env,
      `check:${cluster}`,
      (e) => e.planDigest === env.plan.digest,
      `plan ${env.plan.digest.slice(0, 19)}…`,
      'run the check stage',
    ),
  evaluate: (state) => state,

  async check(ctx) {
    const failOn = ctx.extra.failOn ?? 'error'
    const { report: checked, live } = await report(ctx)
    const previous = await loadPreviousReport(ctx.extra.previousReport, ctx.place.cwd, ctx.reporter)
    const published = await publishCheck(checked, ctx.reporter, {
      dir: ctx.place.reportDir,
      ...(ctx.place.reportArtifact ? { artifact: ctx.place.reportArtifact } : {}),
      clusterSources: clusterSources(ctx.inventory),
      fallback: ctx.inventory.management.source,
      srcRoot: ctx.place.cwd,
      failOn,
      ...(previous ? { previous } : {}),
    })
    ctx.reporter.info(
      `check: ${live.clusters.length} clusters in ${(live.ms / 1000).toFixed(1)} s, ${live.apiRequests} API requests`,
    )
    return verdict(checked, published, failOn)
  },
}

export const stage = defineStage(check)
