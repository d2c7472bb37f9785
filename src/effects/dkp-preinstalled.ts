// A pre-installed dkp (input dkp-path, for air-gapped runners), and the `dkp version` check every
// install ends with. `dkp version` runs through node:child_process's execFile (argv array,
// timeout, SIGKILL, bounded output): @actions/exec has no timeout and no way to stop the
// process it started.

import { type ExecFileException, execFile } from 'node:child_process'
import { constants } from 'node:fs'
import { access, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { type ChecksumTable, checksumKey, dkpPlatform, parseDkpVersionOutput } from '../core/download.js'
import { InputError, WorkError } from '../core/errors.js'
import type { InputLabels, InstallDkpOptions, InstallResult } from './dkp-install-options.js'
import { TOOL_NAME } from './dkp-tool-cache.js'
import { sha256File } from './sha256.js'

const elapsed = (since: number) => Math.round((performance.now() - since) * 10) / 10

export async function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  )
}

/** Runs `<binary> version` (argv array, timeout) and checks it reports `version`. */
export async function checkVersion(
  binary: string,
  version: string,
  timeoutMs = 30_000,
  label: string = binary,
): Promise<void> {
  const { stdout, stderr, error } = await new Promise<{
    stdout: string
    stderr: string
    error: ExecFileException | null
  }>((resolveRun) => {
    execFile(
      binary,
      ['version'],
      {
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 1 << 20,
        env: { ...process.env },
        windowsHide: true,
      },
      (err, out, errOut) => resolveRun({ stdout: String(out), stderr: String(errOut), error: err }),
    )
  })
  const tail = (s: string) => s.trim().split('\n').slice(-5).join('\n')
  if (error) {
    if (error.killed || error.signal === 'SIGKILL') {
      throw new WorkError(`\`${label} version\` did not finish within ${timeoutMs / 1000} s; it was killed`)
    }
    if (typeof error.code === 'string') {
      throw new WorkError(`could not run ${label}: ${error.message}`, { cause: error })
    }
    throw new WorkError(
      `\`${label} version\` exited with code ${String(error.code)}${stderr.trim() ? `: ${tail(stderr)}` : ''}`,
      { cause: error },
    )
  }
  const reported = parseDkpVersionOutput(stdout) ?? parseDkpVersionOutput(stderr)
  if (!reported) {
    throw new WorkError(
      `\`${label} version\` printed no "dkp: vX.Y.Z" line; is it dkp? Output: ${tail(stdout) || tail(stderr) || '(none)'}`,
    )
  }
  if (reported !== version) {
    throw new WorkError(`${label} reports dkp ${reported}, but ${version} was requested; it is not used`)
  }
}

/** The binary a dkp-path names (a file, or a directory holding `dkp`): a regular executable file. */
async function locate(given: string, opts: InstallDkpOptions, L: InputLabels) {
  const abs = resolve(opts.cwd ?? process.cwd(), given)
  let binary = abs
  let st = await stat(abs).catch(() => undefined)
  if (!st) throw new InputError(`${L.dkpPath} ${abs} does not exist`)
  if (st.isDirectory()) {
    binary = join(abs, TOOL_NAME)
    st = await stat(binary).catch(() => undefined)
    if (!st) throw new InputError(`${L.dkpPath} ${abs} is a directory without a dkp binary in it`)
  }
  if (!st.isFile()) throw new InputError(`${L.dkpPath} ${binary} is not a regular file`)
  if (!(await isExecutable(binary))) {
    throw new InputError(
      `${L.dkpPath} ${binary} is not executable (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}); make it executable (chmod +x)`,
    )
  }
  return binary
}

/** Uses a pre-installed binary: sha256 checked against the pin or the table's binarySha256, then `dkp version`. */
export async function usePreinstalled(
  given: string,
  version: string,
  pin: string | undefined,
  table: ChecksumTable,
  here: { platform: string; arch: string },
  opts: InstallDkpOptions,
  L: InputLabels,
  t0: number,
): Promise<InstallResult> {
  const binary = await locate(given, opts, L)
  const t = performance.now()
  const sha = await sha256File(binary)
  let anchor: string | undefined
  try {
    anchor = table[checksumKey(version, dkpPlatform(here.platform, here.arch))]?.binarySha256
  } catch {
    anchor = undefined // an unsupported platform has no table entry
  }
  const expected = pin ?? anchor
  if (expected && sha !== expected) {
    throw new WorkError(
      `checksum mismatch for ${L.dkpPath} ${binary}: expected sha256 ${expected} (${pin ? L.sha256 : 'shipped table'}), got sha256 ${sha}`,
    )
  }
  const verifyMs = elapsed(t)
  const tv = performance.now()
  await checkVersion(binary, version, opts.versionTimeoutMs, binary)
  const versionMs = elapsed(tv)
  opts.log.info(
    `using the pre-installed dkp ${version} at ${binary} (sha256 ${sha}${expected ? ', verified' : ''})` +
      (opts.requireChecksum && !expected
        ? `; ${L.requireChecksum} applies to downloads, not to ${L.dkpPath}`
        : ''),
  )
  return {
    binary,
    dir: dirname(binary),
    version,
    sha256: sha,
    source: 'dkp-path',
    checksum: pin ? 'pinned' : anchor ? 'table' : 'none',
    timings: { totalMs: elapsed(t0), verifyMs, versionMs },
  }
}
