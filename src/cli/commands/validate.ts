import { formatProblem } from '../../core/errors.js'
import { loadInventory } from '../../effects/inventory-files.js'
import { releaseChecks } from '../../stages/plan.js'
import { parseFlags } from '../args.js'
import type { Command } from '../io.js'

export const command: Command = async (argv, io) => {
  const { values } = parseFlags(argv, { inventory: { type: 'string', short: 'i', multiple: true } })
  const { inventory, warnings } = await loadInventory(values.inventory ?? [], io.cwd)
  const release = await releaseChecks(inventory, inventory.target.dkp)
  for (const w of [...warnings, ...release.warnings]) io.stderr(`warning: ${formatProblem(w)}\n`)
  for (const n of release.notes) io.stderr(`note: ${n}\n`)
  const managed = inventory.clusters.filter((c) => !c.attached).length
  io.stdout(
    `${inventory.files.join(', ')}: valid (fleet ${inventory.fleet}, target DKP ${inventory.target.dkp}, ${inventory.workspaces.length} workspace(s), ${managed} managed and ${inventory.clusters.length - managed} attached cluster(s))\n`,
  )
  return 0
}
