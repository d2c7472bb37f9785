// The dkp binary a stage runs: the pinned version (input `dkp-version`, else the target DKP
// release), installed and verified by the installer, or the pre-installed `dkp-path`.

import { productOf } from '../core/providers.js'
import { type InstallResult, installDkp } from '../effects/dkp-install.js'
import type { Reporter } from '../effects/reporter.js'
import type { DkpSource } from './execute.js'

export async function installDkpForStage(
  source: DkpSource,
  targetDkp: string,
  reporter: Reporter,
  env: NodeJS.ProcessEnv,
  onInstalled?: (result: InstallResult) => void,
): Promise<string> {
  const version = source.version ?? targetDkp
  const cli = productOf(version)
  const path = source.path ?? (source.downloadUrl || source.version ? undefined : source.pathOf?.(cli))
  if (path && !source.path) reporter.info(`using ${cli} from PATH: ${path}`)
  const result = await installDkp({
    version,
    sha256: source.sha256,
    urlTemplate: source.downloadUrl,
    dkpPath: path,
    requireChecksum: source.requireChecksum,
    tarballCacheDir: source.cacheDir,
    log: { info: (m) => reporter.info(m), warning: (m) => reporter.warning(m) },
    cwd: env.GITHUB_WORKSPACE ?? process.cwd(),
  })
  reporter.info(
    `${cli} ${result.version} (${result.source}, sha256 ${result.sha256.slice(0, 12)}…): ${result.binary}`,
  )
  // A verified download kept in the tarball cache: the key to save it under (the shipped
  // workflows save the cache after the stage only when this equals the plan job's key).
  if (result.tarballCache?.state === 'stored') reporter.output('dkp-cache-key', result.tarballCache.key)
  if (result.pinLine) {
    reporter.summary(
      `> **Pin the dkp checksum.** No sha256 was known for dkp ${result.version}; this run trusted the download on first use. Add this to the action's \`with:\` block:\n>\n> \`${result.pinLine}\`\n`,
    )
  }
  onInstalled?.(result)
  return result.binary
}
