// Temp directories this process made (0700 dirs holding 0600 kubeconfig copies): registered the
// moment they exist, so every exit path removes them — the command's `finally`, a normal exit or
// process.exit() (an `exit` hook), and SIGINT/SIGTERM/SIGHUP in the CLI (src/cli/main.ts). Only
// SIGKILL leaves them; in the action the post step removes what the job state names.
// No dependencies: the CLI entry imports it without loading anything else.

import { rmSync } from 'node:fs'

const dirs = new Set<string>()
let hooked = false

/** Registers a directory for removal at exit (call it before writing anything into it). */
export function registerTempDir(dir: string): void {
  dirs.add(dir)
  if (!hooked) {
    hooked = true
    process.on('exit', () => removeTempDirs())
  }
}

/** Directories registered and not yet removed. */
export function registeredTempDirs(): string[] {
  return [...dirs]
}

/** Removes the given (default: every registered) directory; never throws. */
export function removeTempDirs(list: Iterable<string> = dirs): void {
  for (const dir of [...list]) {
    try {
      rmSync(dir, { recursive: true, force: true })
    } catch {
      // best effort: a directory we cannot remove is reported by nothing better than leaving it
    }
    dirs.delete(dir)
  }
}
