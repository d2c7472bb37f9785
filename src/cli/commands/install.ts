// dkp-fleet install: install the pinned dkp CLI (verified, cached) and print its path on stdout,
// alone, so `DKP=$(dkp-fleet install --version v2.8.1 --sha256 …)` works. Progress and warnings
// go to stderr. Outside GitHub (no RUNNER_* variables) the cache is
// $XDG_CACHE_HOME/dkp-fleet/tool-cache (or ~/.cache/dkp-fleet/tool-cache), temp files go to the OS temp dir.

import { CLI_LABELS, installDkp, resolveInstallDirs } from '../../effects/dkp-install.js'
import { optionsFromFlags, parseFlags } from '../args.js'
import type { Command } from '../io.js'

export const HELP = `Usage: dkp-fleet install --version vX.Y.Z [options]

Installs the dkp CLI: from the tool cache when a verified copy is there (re-hashed on every use),
else downloaded, its sha256 checked before extraction, \`dkp version\` checked, then cached.
Prints the path of the dkp binary on stdout; progress and warnings go to stderr.

Options:
  --version vX.Y.Z      dkp release to install (required)
  --sha256 HEX          sha256 of the release tarball (with --dkp-path: of the binary)
  --url TEMPLATE        mirror URL with {version}, {os}, {arch}, e.g.
                        https://mirror.example.com/dkp/{version}/dkp_{version}_{os}_{arch}.tar.gz
  --require-checksum    refuse to download when no sha256 is known (--sha256 or the shipped table)
  --dkp-path PATH       use this pre-installed binary (or a directory holding dkp); its version is checked
  -q, --quiet           no progress lines (warnings still go to stderr)

Cache: $RUNNER_TOOL_CACHE on GitHub runners, else $XDG_CACHE_HOME/dkp-fleet/tool-cache
(default ~/.cache/dkp-fleet/tool-cache). Exit codes: 0 installed, 1 failed (e.g. checksum
mismatch), 2 bad input.
`

export const command: Command = async (argv, io) => {
  const { values } = parseFlags(argv, {
    version: { type: 'string' },
    sha256: { type: 'string' },
    url: { type: 'string' },
    'require-checksum': { type: 'boolean' },
    'dkp-path': { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
    help: { type: 'boolean', short: 'h' },
  })
  if (values.help) {
    io.stdout(HELP)
    return 0
  }
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
