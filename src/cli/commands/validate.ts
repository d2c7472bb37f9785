import { formatProblem } from '../../core/errors.js'
import { platformName } from '../../core/versions.js'
import { loadInventory } from '../../effects/inventory-files.js'
import { releaseChecks } from '../../stages/plan.js'
import { commandArgs, list } from '../args.js'
import type { Command } from '../io.js'
import { COMMAND_SPECS } from '../specs.js'

export const command: Command = async (argv, io) => {
  const args = commandArgs(argv, COMMAND_SPECS.validate!, io)
  if (!args) return 0
  const { inventory, warnings } = await loadInventory(list(args.values.inventory), io.cwd)
  const release = await releaseChecks(inventory, inventory.target.dkp)
  for (const w of [...warnings, ...release.warnings]) io.stderr(`warning: ${formatProblem(w)}\n`)
  for (const n of release.notes) io.stderr(`note: ${n}\n`)
  const managed = inventory.clusters.filter((c) => !c.attached).length
  io.stdout(
    `${inventory.files.join(', ')}: valid (fleet ${inventory.fleet}, target ${platformName(inventory.target.dkp)} ${inventory.target.dkp}, ${inventory.workspaces.length} workspace(s), ${managed} managed and ${inventory.clusters.length - managed} attached cluster(s))\n`,
  )
  return 0
}
