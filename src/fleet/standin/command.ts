// What every stand-in command shares: its context (flags, positional args, the release it
// stands in for), the command-tree node type, the error kinds and the flags several commands
// declare alike.

import type { FlagDef, FlagValues } from './flags.js'

export interface StandinIO {
  stdout(text: string): void
  stderr(text: string): void
  env: NodeJS.ProcessEnv
}

/** Failure of the work (exit 1, `Error: …`). */
export class CliError extends Error {}

/** What a command run gets: its io, parsed flags, positional args and the path that selected it. */
export interface Ctx {
  io: StandinIO
  flags: FlagValues
  args: string[]
  set: Set<string>
  version: string
  path: string[]
}

export interface Command {
  name: string
  aliases?: string[]
  short: string
  use?: string
  flags?: FlagDef[]
  /** Positional argument count: exact number or [min, max]. */
  args?: number | [number, number]
  run?: (ctx: Ctx) => Promise<void>
  children?: Command[]
}

export const KUBECONFIG: FlagDef = {
  name: 'kubeconfig',
  type: 'string',
  usage: 'Path to the kubeconfig for the management cluster',
}
export const CONTEXT: FlagDef = {
  name: 'context',
  type: 'string',
  usage: 'The name of the kubeconfig context to use',
}
export const REQUEST_TIMEOUT: FlagDef = {
  name: 'request-timeout',
  type: 'string',
  default: '0',
  usage:
    "The length of time to wait before giving up on a single server request. Non-zero values should contain a corresponding time unit (e.g. 1s, 2m, 3h). A value of zero means don't timeout requests.",
}
export const CONFIG: FlagDef = {
  name: 'config',
  type: 'string',
  default: '~/.kommander/config',
  usage: 'Path to the kommander config file',
}
export const CORE_TIMEOUT: FlagDef = {
  name: 'core-app-timeout',
  type: 'duration',
  default: 20 * 60_000,
  usage: 'The timeout for core applications',
}
export const PLATFORM_TIMEOUT: FlagDef = {
  name: 'platform-apps-timeout',
  type: 'duration',
  default: 30 * 60_000,
  usage: 'The timeout for platform applications',
}
export const CLUSTER_NAME_FLAG: FlagDef = {
  name: 'cluster-name',
  short: 'c',
  type: 'string',
  usage: 'Name used to prefix the cluster and all the created resources',
  required: true,
}
export const NAMESPACE_FLAG: FlagDef = {
  name: 'namespace',
  short: 'n',
  type: 'string',
  default: 'default',
  usage: 'If present, the namespace scope for this CLI request',
}
export const WAIT: FlagDef = {
  name: 'wait',
  type: 'bool',
  default: true,
  usage: 'If true, wait for operations to complete before returning',
}
