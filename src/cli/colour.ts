// Colour on a terminal only: FORCE_COLOR (not 0) turns it on, NO_COLOR (non-empty) off, else
// colour when the stream is a TTY (never in pipes or files). As Node decides for its own output:
// FORCE_COLOR wins over NO_COLOR.

export interface Paint {
  enabled: boolean
  bold(s: string): string
  dim(s: string): string
  red(s: string): string
  green(s: string): string
  yellow(s: string): string
  cyan(s: string): string
}

export function colourEnabled(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  const force = env.FORCE_COLOR
  if (force !== undefined) return force !== '0' && force !== 'false'
  if (env.NO_COLOR) return false
  return isTTY && env.TERM !== 'dumb'
}

const sgr = (on: boolean, open: number, close: number) => (s: string) =>
  on ? `\x1b[${open}m${s}\x1b[${close}m` : s

export function paint(enabled: boolean): Paint {
  return {
    enabled,
    bold: sgr(enabled, 1, 22),
    dim: sgr(enabled, 2, 22),
    red: sgr(enabled, 31, 39),
    green: sgr(enabled, 32, 39),
    yellow: sgr(enabled, 33, 39),
    cyan: sgr(enabled, 36, 39),
  }
}

/** Colour for a step or cluster state word. */
export function stateColour(p: Paint, state: string): (s: string) => string {
  switch (state) {
    case 'succeeded':
    case 'skipped':
    case 'passed':
    case 'done':
    case 'upgraded':
      return p.green
    case 'failed':
    case 'cancelled':
    case 'halted':
      return p.red
    case 'deferred':
    case 'paused':
    case 'running':
      return p.yellow
    default:
      return (s) => s
  }
}
