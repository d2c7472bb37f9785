// The CLI as a user runs it in the end-to-end tests: `node dist/cli.js <args>` from the
// repository root, as a child process with its own environment.

import { execFile } from 'node:child_process'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
const root = resolve(import.meta.dirname, '../..')
const cli = join(root, 'dist', 'cli.js')

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs the bundled CLI; a non-zero exit is a result (its code and output), never a throw. */
export async function runBundledCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  try {
    const r = await run(process.execPath, [cli, ...args], { cwd: root, env, maxBuffer: 64 * 1024 * 1024 })
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}
