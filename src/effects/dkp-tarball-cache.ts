// The tarball cache (option tarballCacheDir, action input dkp-cache-dir): the published tarball
// as verified, under its published name, e.g. <dir>/dkp_v2.8.1_linux_amd64.tar.gz, in the
// directory the shipped workflow's dkp job fills and hands to the other jobs. The tarball, not the
// binary: its sha256 is what dkp-sha256 and the table pin, so a tarball restored from a cache
// entry that another job wrote is checked against a value that does not live in that entry.

import { mkdir, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { type DkpPlatform, dkpCacheKey, dkpTarballName } from '../core/download.js'
import { moveFile } from './dkp-tool-cache.js'
import { sha256File } from './sha256.js'

export interface TarballCacheLog {
  info(message: string): void
  warning(message: string): void
}

export interface TarballCacheSlot {
  /** The tarball's path in the cache directory. */
  file: string
  /** The Actions cache key the workflow saves it under (dkpCacheKey). */
  key: string
  version: string
  /** The sha256 the tarball must have, and where it comes from. */
  expected: { sha256: string; how: 'pinned' | 'table' }
  log: TarballCacheLog
}

/** The slot for this version and platform; undefined when no directory is given or no sha256 is known. */
export function tarballCacheSlot(
  dir: string | undefined,
  version: string,
  platform: DkpPlatform,
  expected: TarballCacheSlot['expected'] | undefined,
  log: TarballCacheLog,
): TarballCacheSlot | undefined {
  if (!dir?.trim() || !expected) return undefined
  return {
    file: join(resolve(dir.trim()), dkpTarballName(version, platform)),
    key: dkpCacheKey(version, platform, expected.sha256),
    version,
    expected,
    log,
  }
}

/**
 * The cached tarball when its sha256 equals the expected value. A tarball that does not match
 * is deleted with a warning and undefined is returned (then dkp is downloaded).
 */
export async function findCachedTarball(
  slot: TarballCacheSlot,
): Promise<{ sha256: string; hashMs: number } | undefined> {
  const { file, key, expected, log } = slot
  const st = await stat(file).catch(() => undefined)
  if (!st) {
    log.info(`no dkp tarball in the tarball cache (${file})`)
    return undefined
  }
  const t = performance.now()
  const actual = st.isFile() ? await sha256File(file) : 'not a regular file'
  const hashMs = Math.round((performance.now() - t) * 10) / 10
  if (actual !== expected.sha256) {
    log.warning(
      `the cached dkp tarball ${file} has sha256 ${actual}, but the ${expected.how} sha256 is ${expected.sha256}: ` +
        'it is not used, and dkp is downloaded instead. The cache entry it came from is corrupt or was written by something ' +
        `other than dkp-fleet: investigate, then delete the Actions cache entry ${key} (e.g. \`gh cache delete ${key}\`).`,
    )
    await rm(file, { recursive: true, force: true })
    return undefined
  }
  log.info(
    `found dkp ${slot.version} in the tarball cache: ${file}, sha256 matches the ${expected.how} value (${actual})`,
  )
  return { sha256: actual, hashMs }
}

/**
 * Puts a downloaded tarball that passed every check into the tarball cache (staged under a
 * hidden name in the same directory, then renamed). A failure only costs later jobs a
 * download: a warning, and false.
 */
export async function keepTarball(slot: TarballCacheSlot, tarball: string): Promise<boolean> {
  const { file, key, log } = slot
  const dir = dirname(file)
  const staging = join(dir, `.${basename(file)}.${process.pid}-${Date.now()}.partial`)
  try {
    await mkdir(dir, { recursive: true })
    await moveFile(tarball, staging)
    await rename(staging, file)
    log.info(`kept the verified tarball at ${file} for later jobs (cache key ${key})`)
    return true
  } catch (err) {
    await rm(staging, { force: true }).catch(() => {})
    log.warning(
      `could not keep the verified dkp tarball in ${dir} (${String(err)}): later jobs download it again`,
    )
    return false
  }
}
