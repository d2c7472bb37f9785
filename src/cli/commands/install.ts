// dkp-fleet install: install the pinned dkp CLI (verified, cached) and print its path on stdout,
// alone, so `DKP=$(dkp-fleet install --version v2.8.1 --sha256 …)` works. Progress and warnings
// go to stderr. Outside GitHub (no RUNNER_* variables) the cache is
// $XDG_CACHE_HOME/dkp-fleet/tool-cache (or ~/.cache/dkp-fleet/tool-cache), temp files go to the OS temp dir.

import { CLI_LABELS, installDkp, resolveInstallDirs } from '../../effects/dkp-install.js'
import { commandArgs, optionsFromFlags } from '../args.js'
import type { Command } from '../io.js'
import { COMMAND_SPECS } from '../specs.js'

export const command: Command = async (argv, io) => {
  const args = commandArgs(argv, COMMAND_SPECS.install!, io)
  if (!args) return 0
  const { values } = args
  const options = optionsFromFlags(values, {
    inventoryOptional: true,
    required: ['dkp-version'],
    labels: { 'dkp-version': '--version', 'dkp-sha256': '--sha256', 'dkp-download-url': '--url' },
  })
  const dirs = resolveInstallDirs(io.env)
  const result = await installDkp({
    version: options.dkpVersion ?? '',
    ...(options.dkpSha256 !== undefined ? { sha256: options.dkpSha256 } : {}),
    ...(options.dkpDownloadUrl !== undefined ? { urlTemplate: options.dkpDownloadUrl } : {}),
    ...(options.dkpPath !== undefined ? { dkpPath: options.dkpPath } : {}),
    requireChecksum: options.requireChecksum,
    cacheRoot: dirs.cacheRoot,
    tempDir: dirs.tempDir,
    cwd: io.cwd,
    labels: CLI_LABELS,
    log: {
      info: (m) => {
        if (!values.quiet) io.stderr(`${m}\n`)
      },
      warning: (m) => io.stderr(`warning: ${m}\n`),
    },
  })
  io.stdout(`${result.binary}\n`)
  return 0
}
