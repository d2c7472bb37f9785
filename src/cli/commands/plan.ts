import { formatProblem } from '../../core/errors.js'
import { buildPlan, type LiveVersions } from '../../core/plan.js'
import { planJsonChunks } from '../../core/plan-json.js'
import { renderPlan } from '../../core/text.js'
import { loadInventory } from '../../effects/inventory-files.js'
import { releaseChecks } from '../../stages/plan.js'
import { applyTimeout, parseFlags, TIMEOUT_FLAG } from '../args.js'
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
  applyTimeout(values['timeout-minutes'])
  const { inventory, warnings } = await loadInventory(values.inventory ?? [], io.cwd)
  for (const w of warnings) io.stderr(`warning: ${formatProblem(w)}\n`)
  const options = { targetDkp: values.target, targetKubernetes: values['target-kubernetes'] }
  let live: LiveVersions | undefined
  if (values.kubeconfig) {
    const { readLiveVersionsFromFile } = await import('../../stages/live-versions.js')
    live = await readLiveVersionsFromFile(values.kubeconfig, inventory, options)
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
