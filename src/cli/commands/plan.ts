import { formatProblem } from '../../core/errors.js'
import { buildPlan, type LiveVersions } from '../../core/plan.js'
import { planJsonChunks } from '../../core/plan-json.js'
import { renderPlan } from '../../core/text.js'
import { loadInventory } from '../../effects/inventory-files.js'
import { releaseChecks } from '../../stages/plan.js'
import { applyTimeout, optionsFromFlags, parseFlags, READ_TIMEOUT_MINUTES, TIMEOUT_FLAG } from '../args.js'
import type { Command } from '../io.js'

export const command: Command = async (argv, io) => {
  const { values } = parseFlags(argv, {
    inventory: { type: 'string', short: 'i', multiple: true },
    target: { type: 'string' },
    'target-kubernetes': { type: 'string' },
    kubeconfig: { type: 'string' },
    json: { type: 'boolean', default: false },
    ...TIMEOUT_FLAG,
  })
  const parsed = optionsFromFlags(values, { timeoutMinutes: READ_TIMEOUT_MINUTES })
  applyTimeout(parsed.timeoutMinutes)
  const { inventory, warnings } = await loadInventory(values.inventory ?? [], io.cwd)
  for (const w of warnings) io.stderr(`warning: ${formatProblem(w)}\n`)
  const options = { targetDkp: parsed.target, targetKubernetes: parsed.targetKubernetes }
  let live: LiveVersions | undefined
  if (parsed.kubeconfig) {
    const { readLiveVersionsFromFile } = await import('../../stages/live-versions.js')
    live = await readLiveVersionsFromFile(parsed.kubeconfig, inventory, options)
  }
  const plan = buildPlan(inventory, { ...options, live })
  const release = await releaseChecks(inventory, plan.target.dkp)
  for (const w of release.warnings) io.stderr(`warning: ${formatProblem(w)}\n`)
  for (const n of release.notes) io.stderr(`note: ${n}\n`)
  if (values.json) {
    for (const chunk of planJsonChunks(plan)) io.stdout(chunk)
    io.stdout('\n')
  } else io.stdout(renderPlan(plan))
  return 0
}
