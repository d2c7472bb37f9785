// Stage `fetch-dkp`: the verified dkp release tarball for the other jobs of a run. It runs in a
// job that holds no secret (the shipped upgrade workflow's `dkp` job, docs/pipelines.md "The dkp
// cache"): that job may restore the Actions cache, whose entries are extracted with `tar -P` and
// so can write anywhere on its runner; no job that holds the kubeconfig ever does. The tarball is
// taken from `dkp-cache-dir` when its sha256 equals the pin or the shipped table (else it is
// deleted and dkp is downloaded), checked as every install is (sha256, `dkp version`), and left
// in `dkp-cache-dir`; the output `dkp-tarball` names it for actions/upload-artifact. Every stage
// job that receives it verifies it again against the same pin before using it.

import { dkpPlatform, expectedTarballSha256 } from '../core/download.js'
import { WorkError } from '../core/errors.js'
import { escapeHtml } from '../core/markdown.js'
import { installDkp } from '../effects/dkp-install.js'
import type { Reporter } from '../effects/reporter.js'
import type { ActionInputs } from './inputs.js'

export async function fetchDkp(inputs: ActionInputs, reporter: Reporter): Promise<void> {
  // parseInputs makes sure of these for this stage; the checks keep the types honest.
  if (!inputs.dkpVersion || !inputs.dkpCacheDir)
    throw new WorkError('fetch-dkp: dkp-version and dkp-cache-dir are required')
  const platform = dkpPlatform(process.platform, process.arch)
  const expected = expectedTarballSha256(inputs.dkpVersion, platform, inputs.dkpSha256)
  if (!expected) {
    throw new WorkError(
      `fetch-dkp: no sha256 is known for dkp ${inputs.dkpVersion} (${platform.os}/${platform.arch}): pin it with dkp-sha256 ` +
        '(nothing else can verify a tarball handed to other jobs)',
    )
  }
  const result = await installDkp({
    version: inputs.dkpVersion,
    sha256: inputs.dkpSha256,
    urlTemplate: inputs.dkpDownloadUrl,
    requireChecksum: true,
    tarballCacheDir: inputs.dkpCacheDir,
    log: { info: (m) => reporter.info(m), warning: (m) => reporter.warning(m) },
    cwd: process.env.GITHUB_WORKSPACE ?? process.cwd(),
  })
  const how = `sha256 ${result.tarballSha256 ?? result.sha256} matches the ${expected.how} value`
  let line: string
  if (result.tarballCache) {
    reporter.output('dkp-tarball', result.tarballCache.file)
    // Downloaded, verified and kept: the key to save it under in the Actions cache.
    if (result.tarballCache.state === 'stored') reporter.output('dkp-cache-key', result.tarballCache.key)
    line =
      result.tarballCache.state === 'restored'
        ? `dkp ${result.version}: the tarball from the Actions cache is verified (${how}); it goes to the stage jobs`
        : `dkp ${result.version}: downloaded from ${result.url ?? 'the download URL'} and verified (${how}); it goes to the stage jobs`
  } else {
    // This runner's tool cache already held the verified binary (a runner image filled with
    // `dkp-fleet install`): there is no tarball to hand over, and the stage jobs' runners are
    // expected to hold it too.
    line = `dkp ${result.version}: found verified in this runner's tool cache; no tarball to hand over, each stage job installs dkp itself`
  }
  reporter.info(line)
  reporter.summary(`## fetch-dkp\n\n${escapeHtml(line)}\n`)
}
