// The stand-in `dkp` CLI: the command lines of reference/dkp.md §2 with their flags, acting on
// the API server of --kubeconfig the way §5 says the real CLI does: it writes spec fields and
// creates objects, never status (the simulated controllers move status), prints the documented
// lines and, where the real CLI waits, polls until converged. What each command writes:
// docs/test-fleet.md, "Seeding, simulator and stand-in dkp".
// One file per command (upgrade-*.ts, update-*.ts, get-*.ts, version.ts); this module is the
// router: it walks the command path, parses the flags and runs the command.

import { dkpRelease, isKnownDkp } from '../dkp-releases.js'
import { vPrefixed } from '../objects.js'
import type { Command, Ctx, StandinIO } from './command.js'
import { type FlagDef, flagUsage, type Parsed, parseFlags, UsageError } from './flags.js'
import { getAppDeploymentsCommand } from './get-appdeployments.js'
import { getNodePoolsCommand } from './get-nodepools.js'
import { getWorkspacesCommand } from './get-workspaces.js'
import { minorNumber } from './release-flags.js'
import { printInjectedErrors } from './session.js'
import { updateControlPlaneCommand } from './update-controlplane.js'
import { updateNodePoolCommand } from './update-nodepool.js'
import { upgradeAddonsCommand } from './upgrade-addons.js'
import { upgradeCapiComponentsCommand } from './upgrade-capi-components.js'
import { upgradeCatalogAppCommand } from './upgrade-catalogapp.js'
import { upgradeClusterCommand } from './upgrade-cluster.js'
import { upgradeKommanderCommand } from './upgrade-kommander.js'
import { upgradeWorkspaceCommand } from './upgrade-workspace.js'
import { versionCommand } from './version.js'

export type { StandinIO } from './command.js'

/** The command tree of the release stood in for (its providers name the provider subcommands). */
function tree(version: string): Command {
  const providers = dkpRelease(version).providers
  const nkp = minorNumber(version) >= 12
  return {
    name: nkp ? 'nkp' : 'dkp',
    short: `${nkp ? 'NKP' : 'DKP'} CLI (stand-in for tests: dkp-fleet-upgrade)`,
    children: [
      {
        name: 'upgrade',
        short: `Upgrade one of [addons, capi-components, catalogapp, ${nkp ? 'cluster, ' : ''}kommander, workspace]`,
        children: [
          upgradeKommanderCommand(version),
          upgradeWorkspaceCommand(version),
          upgradeCatalogAppCommand,
          upgradeCapiComponentsCommand,
          // NKP: addons of nutanix clusters come with `upgrade cluster nutanix` (3P)
          upgradeAddonsCommand(nkp ? [...providers, 'nutanix'].sort() : providers),
          ...(nkp ? [upgradeClusterCommand] : []),
        ],
      },
      {
        name: 'update',
        short: 'Update one of [controlplane, nodepool]',
        children: [updateControlPlaneCommand(providers, version), updateNodePoolCommand(providers, version)],
      },
      {
        name: 'get',
        short: 'Display one or many resources',
        children: [getWorkspacesCommand, getAppDeploymentsCommand, getNodePoolsCommand],
      },
      versionCommand,
    ],
  }
}

const GLOBAL_FLAGS: FlagDef[] = [
  { name: 'verbose', short: 'v', type: 'int', default: -1, usage: 'Output verbosity' },
]

function usageOf(cmd: Command, path: string[]): string {
  const full = path.join(' ')
  const lines = [
    `Usage:\n  ${[...path.slice(0, -1), cmd.use ?? cmd.name].join(' ')}${cmd.children ? ' [command]' : ''}${cmd.flags ? ' [flags]' : ''}`,
  ]
  if (cmd.aliases) lines.push(`\nAliases:\n  ${[cmd.name, ...cmd.aliases].join(', ')}`)
  if (cmd.children) {
    const w = Math.max(...cmd.children.map((c) => c.name.length))
    lines.push(
      `\nAvailable Commands:\n${cmd.children.map((c) => `  ${c.name.padEnd(w)} ${c.short}`).join('\n')}`,
    )
  }
  if (cmd.flags)
    lines.push(
      `\nFlags:\n${flagUsage([...cmd.flags, { name: 'help', short: 'h', type: 'bool', usage: `help for ${cmd.name}` }])}`,
    )
  lines.push(`\nGlobal Flags:\n${flagUsage(GLOBAL_FLAGS)}`)
  if (cmd.children) lines.push(`\nUse "${full} [command] --help" for more information about a command.`)
  return `${lines.join('\n')}\n`
}

/** Runs the stand-in with `argv` (without node and script); returns the exit code. */
export async function runStandin(argv: string[], io: StandinIO): Promise<number> {
  const version = normalizeVersion(io.env.DKP_STANDIN_VERSION ?? 'v2.8.1')
  if (!version || !isKnownDkp(version)) {
    io.stderr(
      `Error: DKP_STANDIN_VERSION=${io.env.DKP_STANDIN_VERSION} is not a DKP release the stand-in knows\n`,
    )
    return 1
  }
  const root = tree(version)
  // walk the command path: leading non-flag words select subcommands
  let cmd = root
  const path = [root.name]
  let i = 0
  const rest: string[] = []
  for (; i < argv.length; i++) {
    const a = argv[i] as string
    if (a.startsWith('-')) {
      rest.push(a)
      // like cobra's stripFlags: a flag given before the subcommand takes the next word as its
      // value unless it is a bool flag or spelled `--flag=value`
      if (takesValue(a) && i + 1 < argv.length) rest.push(argv[++i] as string)
      continue
    }
    if (!cmd.children) break
    const next = cmd.children.find((c) => c.name === a || c.aliases?.includes(a))
    if (!next) {
      if (rest.some((r) => r === '-h' || r === '--help')) break
      io.stderr(
        `Error: unknown command "${a}" for "${path.join(' ')}"\nRun '${path.join(' ')} --help' for usage.\n`,
      )
      return 1
    }
    cmd = next
    path.push(next.name)
  }
  rest.push(...argv.slice(i))
  let parsed: Parsed
  try {
    parsed = parseFlags(rest, [...(cmd.flags ?? []), ...GLOBAL_FLAGS])
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`Error: ${err.message}\n${usageOf(cmd, path)}`)
      return 1
    }
    throw err
  }
  if (parsed.help || !cmd.run) {
    if (!cmd.run && parsed.args.length > 0 && !parsed.help) {
      io.stderr(
        `Error: unknown command "${parsed.args[0]}" for "${path.join(' ')}"\nRun '${path.join(' ')} --help' for usage.\n`,
      )
      return 1
    }
    io.stdout(`${cmd.short}\n\n${usageOf(cmd, path)}`)
    return 0
  }
  const [min, max] =
    typeof cmd.args === 'number' ? [cmd.args, cmd.args] : (cmd.args ?? [0, Number.POSITIVE_INFINITY])
  if (parsed.args.length < min || parsed.args.length > max) {
    io.stderr(`Error: accepts ${min} arg(s), received ${parsed.args.length}\n${usageOf(cmd, path)}`)
    return 1
  }
  try {
    const ctx: Ctx = { io, flags: parsed.values, args: parsed.args, set: parsed.set, version, path }
    printInjectedErrors(ctx)
    await cmd.run(ctx)
    return 0
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`Error: ${err.message}\n${usageOf(cmd, path)}`)
      return 1
    }
    io.stderr(`Error: ${(err as Error).message}\n`)
    return 1
  }
}

const BOOL_FLAGS = new Set([
  'help',
  'wait',
  'dry-run',
  'long',
  'all-namespaces',
  'disallow-charts-download',
  'with-aws-bootstrap-credentials',
  'show-managed-fields',
  'allow-missing-template-keys',
])
const BOOL_SHORTS = new Set(['h', 'A'])

function takesValue(arg: string): boolean {
  if (arg === '--' || arg.includes('=')) return false
  if (arg.startsWith('--')) return !BOOL_FLAGS.has(arg.slice(2))
  return arg.length === 2 && !BOOL_SHORTS.has(arg.slice(1))
}

const normalizeVersion = (v: string): string | undefined =>
  /^v?\d+\.\d+\.\d+$/.test(v.trim()) ? vPrefixed(v.trim()) : undefined
