// The installer's options and result (src/effects/dkp-install.ts), and how messages name the
// inputs: the action's input names or the CLI's flags.

import type { ChecksumTable } from '../core/download.js'
import type { DownloadOptions } from './download-file.js'

export interface InstallLogger {
  info(message: string): void
  warning(message: string): void
}

export interface InstallDkpOptions {
  /** `vX.Y.Z` (the `v` is optional), with an optional pre-release. Resolved by the caller. */
  version: string
  /** Pins the sha256 of the tarball (downloads) or of the binary itself (with dkpPath). Input `dkp-sha256`. */
  sha256?: string
  /** Mirror URL template with {version}, {os}, {arch}. Input `dkp-download-url`. Default: the official URL. */
  urlTemplate?: string
  /** Use this pre-installed binary (or a directory holding `dkp`) instead of downloading. Input `dkp-path`. */
  dkpPath?: string
  /** Refuse to download when no sha256 is known (pinned or in the shipped table). Input `require-checksum`. */
  requireChecksum?: boolean
  log: InstallLogger
  /** Tool-cache root (`RUNNER_TOOL_CACHE`). Default: resolveInstallDirs(process.env). */
  cacheRoot?: string
  /** Where downloads are staged (`RUNNER_TEMP`); a private sub-directory is made and always removed. */
  tempDir?: string
  /**
   * The tarball cache: a directory holding the verified tarball between jobs (the shipped
   * workflow's dkp job fills it from the Actions cache or a download and hands the file to the
   * other jobs as an artifact; input `dkp-cache-dir`). After a tool-cache miss, a tarball
   * found there is installed only when its sha256 equals the pinned or table value (else it is
   * deleted, with a warning, and dkp is downloaded); a downloaded tarball is put there once every
   * check passed. Not used when no sha256 is known.
   */
  tarballCacheDir?: string
  /** Target platform; default this process's. */
  platform?: { platform: string; arch: string }
  /** Resolves a relative dkpPath. Default process.cwd(). */
  cwd?: string
  /** Checksum table; default the shipped src/core/dkp-checksums.json. */
  checksums?: ChecksumTable
  /** Download retries and timeouts (defaults: 4 attempts, 1 s backoff doubling, 60 s idle, 10 min overall). */
  download?: Omit<DownloadOptions, 'log'>
  /** Timeout of `dkp version`. Default 30 s. */
  versionTimeoutMs?: number
  /** How messages name the inputs: the action's input names by default; the CLI passes its flags. */
  labels?: Partial<InputLabels>
}

export interface InputLabels {
  version: string
  sha256: string
  urlTemplate: string
  dkpPath: string
  requireChecksum: string
}

export const ACTION_LABELS: InputLabels = {
  version: 'dkp-version',
  sha256: 'dkp-sha256',
  urlTemplate: 'dkp-download-url',
  dkpPath: 'dkp-path',
  requireChecksum: 'require-checksum',
}

export const CLI_LABELS: InputLabels = {
  version: '--version',
  sha256: '--sha256',
  urlTemplate: '--url',
  dkpPath: '--dkp-path',
  requireChecksum: '--require-checksum',
}

export type InstallSource = 'cache' | 'tarball-cache' | 'download' | 'dkp-path'
/** How the artifact was verified: against a pinned sha256, the shipped table, or not at all (computed, trust on first use). */
export type ChecksumOrigin = 'pinned' | 'table' | 'computed' | 'none'

export interface InstallResult {
  /** Absolute path of the dkp executable: stages run this path (argv arrays), not `dkp` from PATH. */
  binary: string
  /** Directory holding it: what the action adds to PATH. */
  dir: string
  /** Normalised version, `v2.8.1`. */
  version: string
  /** sha256 of the binary. */
  sha256: string
  /** sha256 of the tarball it came from (cache and download). */
  tarballSha256?: string
  source: InstallSource
  checksum: ChecksumOrigin
  /** Redacted download URL (cache and download). */
  url?: string
  /** `dkp-sha256: <hex>` when no checksum was known: the line to pin (the action puts it in the job summary). */
  pinLine?: string
  /**
   * The tarball cache's part: `restored` = installed from the verified tarball found there;
   * `stored` = the verified download was put there, to be saved under `key` (dkpCacheKey).
   */
  tarballCache?: { key: string; file: string; state: 'restored' | 'stored' }
  /** Milliseconds per phase. */
  timings: {
    totalMs: number
    downloadMs?: number
    /** sha256 of a tarball found in the tarball cache. */
    hashMs?: number
    extractMs?: number
    versionMs?: number
    cacheMs?: number
    verifyMs?: number
  }
}
