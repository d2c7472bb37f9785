// One child process of the CLI itself (`dkp-fleet run <stage> … --json` for `upgrade`): argv
// array (never a shell string), stdout collected (the JSON result), stderr handed on line by
// line (progress, for the log file). An abort sends SIGTERM: `run` then stops dkp, releases
// its lock and records `cancelled` before it exits.

import { spawn } from 'node:child_process'

export interface ChildResult {
  /** Exit code; 128 + n when a signal ended it. */
  code: number
  stdout: string
}

export function runChild(
  argv: string[],
  options: { env: NodeJS.ProcessEnv; cwd: string; signal: AbortSignal; onLine: (line: string) => void },
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let carry = ''
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
    })
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      const parts = (carry + d).split('\n')
      carry = parts.pop() ?? ''
      for (const line of parts) options.onLine(line)
    })
    const abort = () => child.kill('SIGTERM')
    options.signal.addEventListener('abort', abort, { once: true })
    child.on('error', (err) => {
      options.signal.removeEventListener('abort', abort)
      reject(err)
    })
    child.on('close', (code, signal) => {
      options.signal.removeEventListener('abort', abort)
      if (carry) options.onLine(carry)
      resolve({ code: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15), stdout })
    })
  })
}
