// `dkp-fleet check -i <glob> [--kubeconfig F]`: the check stage's gates and scan over the live
// fleet (src/stages/check-fleet.ts), reported by the CLI (check.ts loads this module only when
// asked for: it brings the Kubernetes client).

import { isAbsolute, resolve } from 'node:path'
import { InputError, messageOf, WorkError } from '../../core/errors.js'
import { healthRules } from '../../core/health-rules.js'
import { preflightRules } from '../../core/preflight-rules.js'
import type { LiveCheck, LiveCheckResult } from '../../core/report/live-check.js'
import { checkFleet, clusterSources, type FleetCheckResult } from '../../stages/check-fleet.js'

/**
 * `dkp-fleet check -i <glob> [--kubeconfig F]`: the same gates and scan, reported by the CLI.
 * The inventory's target drives the health gates (DKP and Kubernetes paths); --target-kubernetes,
 * when given, is the removed-API scan's target.
 */
export const liveCheck: LiveCheck = async (options, io): Promise<LiveCheckResult> => {
  if (options.inventory.length === 0)
    throw new InputError(
      "check: the live check needs the inventory: pass -i <glob> (and --kubeconfig F, or the kubeconfig the inventory's kubeconfigEnv or $KUBECONFIG names)",
    )
  const [{ ConsoleReporter }, { closeEnv, loadPlan, makeEnv, managementClient }, { managementKubeconfig }] =
    await Promise.all([
      import('../../effects/reporter.js'),
      import('../../stages/connect.js'),
      import('../../effects/kubeconfig.js'),
    ])
  const reporter = new ConsoleReporter(io.stderr)
  const loaded = await loadPlan({ inventory: options.inventory, cwd: io.cwd }, reporter)
  const path =
    options.kubeconfig === undefined
      ? undefined
      : isAbsolute(options.kubeconfig)
        ? options.kubeconfig
        : resolve(io.cwd, options.kubeconfig)
  const { content, from } = managementKubeconfig(loaded.inventory, path ? { path } : {}, io.env, {
    allowKubeconfigEnv: true,
  })
  const kube = managementClient(content, from, reporter)
  const env = makeEnv(loaded, kube)
  let live: FleetCheckResult
  try {
    live = await checkFleet(env, {
      ...(options.targetKubernetes ? { targetKubernetes: options.targetKubernetes } : {}),
    })
  } catch (err) {
    throw err instanceof InputError
      ? err
      : new WorkError(`check of the fleet failed: ${messageOf(err)}`, { cause: err })
  } finally {
    closeEnv(env)
    kube.close()
  }
  io.stderr(
    `checked ${live.clusters.length} clusters of fleet ${loaded.inventory.fleet} (management ${kube.server}) in ${(live.ms / 1000).toFixed(1)} s with ${live.apiRequests} API requests\n`,
  )
  return {
    findings: live.findings,
    clusters: live.clusters,
    target: {
      kubernetes: options.targetKubernetes ?? loaded.plan.target.kubernetes,
      dkp: loaded.plan.target.dkp,
    },
    clusterSources: clusterSources(loaded.inventory),
    fallback: loaded.inventory.management.source,
    rules: [...healthRules(), ...preflightRules()],
    scanned: live.scanned,
  }
}
