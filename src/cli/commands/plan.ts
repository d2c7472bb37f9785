// dkp-fleet plan -i <glob> [--kubeconfig F] [--format text|json|markdown]: the upgrade plan.
// With a kubeconfig (--kubeconfig, the inventory's kubeconfigEnv, then $KUBECONFIG, as the
// other commands) the live versions mark steps done and check the path.

import { formatProblem, InputError } from '../../core/errors.js'
import { planSummary } from '../../core/markdown.js'
import { buildPlan, type LiveVersions } from '../../core/plan.js'
import { planJsonChunks } from '../../core/plan-json.js'
import { renderPlan } from '../../core/text.js'
import { loadInventory } from '../../effects/inventory-files.js'
import { managementKubeconfig } from '../../effects/kubeconfig.js'
import { ConsoleReporter } from '../../effects/reporter.js'
import { releaseChecks } from '../../stages/plan.js'
import { applyTimeout, commandArgs, list, optionsFromFlags, READ_TIMEOUT_MINUTES, str } from '../args.js'
import type { Command } from '../io.js'
import { COMMAND_SPECS } from '../specs.js'

export const PLAN_FORMATS = ['text', 'json', 'markdown'] as const

export const command: Command = async (argv, io) => {
  const args = commandArgs(argv, COMMAND_SPECS.plan!, io)
  if (!args) return 0
  const { values } = args
  const format = values.json ? 'json' : (str(values.format) ?? 'text')
  const { format: _f, json: _j, ...shared } = values
  const parsed = optionsFromFlags(shared, { timeoutMinutes: READ_TIMEOUT_MINUTES })
  if (!(PLAN_FORMATS as readonly string[]).includes(format))
    throw new InputError([
      { path: '--format', message: `must be one of ${PLAN_FORMATS.join(', ')}, not "${format}"` },
    ])
  applyTimeout(parsed.timeoutMinutes)
  const { inventory, warnings } = await loadInventory(list(values.inventory), io.cwd)
  for (const w of warnings) io.stderr(`warning: ${formatProblem(w)}\n`)
  const options = { targetDkp: parsed.target, targetKubernetes: parsed.targetKubernetes }
  let live: LiveVersions | undefined
  // As run, status and check: --kubeconfig, then the inventory's kubeconfigEnv, then $KUBECONFIG.
  const envName = inventory.management.kubeconfigEnv
  if (parsed.kubeconfig || (envName && io.env[envName]) || io.env.KUBECONFIG) {
    const { content, from } = managementKubeconfig(inventory, { path: parsed.kubeconfig }, io.env, {
      allowKubeconfigEnv: true,
    })
    if (!parsed.kubeconfig) io.stderr(`plan: live versions through ${from}\n`)
    const { readLiveVersionsFromContent } = await import('../../stages/live-versions.js')
    live = await readLiveVersionsFromContent(
      content,
      inventory,
      options,
      new ConsoleReporter(io.stderr),
      from,
    )
  }
  const plan = buildPlan(inventory, { ...options, live })
  const release = await releaseChecks(inventory, plan.target.dkp)
  for (const w of release.warnings) io.stderr(`warning: ${formatProblem(w)}\n`)
  for (const n of release.notes) io.stderr(`note: ${n}\n`)
  if (format === 'json') {
    for (const chunk of planJsonChunks(plan)) io.stdout(chunk)
    io.stdout('\n')
  } else if (format === 'markdown') io.stdout(planSummary(plan))
  else io.stdout(renderPlan(plan))
  return 0
}
