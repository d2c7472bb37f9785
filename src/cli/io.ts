// What a CLI command may touch: its output streams and environment. Injected so tests can
// run commands in-process and capture everything they print.

export interface CliIO {
  stdout: (text: string) => void
  stderr: (text: string) => void
  env: NodeJS.ProcessEnv
  cwd: string
  /** Whether stdout/stderr are terminals (colour, the live view); absent = not a terminal. */
  tty?: { stdout?: boolean; stderr?: boolean }
}

export const processIO = (): CliIO => ({
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  cwd: process.cwd(),
  tty: { stdout: process.stdout.isTTY === true, stderr: process.stderr.isTTY === true },
})

/** A CLI command: parses its own argv (after the command name) and returns the exit code. */
export type Command = (argv: string[], io: CliIO) => Promise<number>
