// The stand-in `dkp` CLI: the command lines of reference/dkp.md §2 with their flags, acting on
// the API server of --kubeconfig the way §5 says the real CLI does: it writes spec fields and
// creates objects, never status (the simulated controllers move status), prints the documented
// lines and, where the real CLI waits, polls until converged. What each command writes:
// docs/test-fleet.md, "Seeding, simulator and stand-in dkp".

import { stringify } from 'yaml'
import { Kube } from '../../effects/kube.js'
import { addonObjects, CLUSTER_NAME_LABEL } from '../addons.js'
import { dkpRelease, isKnownDkp } from '../dkp-releases.js'
import {
  type AnyObject,
  API,
  CLUSTER_NAME,
  controlPlaneVersion,
  dig,
  FAULT_ANNOTATION,
  getCondition,
  helmReleaseConverged,
  KOMMANDER_NS,
  MGMT_WORKSPACE,
  PROVIDER_LABEL,
  suffix,
  vPrefixed,
} from '../objects.js'
import { appHelmReleases, enabledApps, RELEASES } from '../release-table.js'
import { faultsFor, type StandinFaults } from './faults.js'
import {
  type FlagDef,
  type FlagValues,
  flagUsage,
  formatDuration,
  type Parsed,
  parseFlags,
  UsageError,
} from './flags.js'
import { disableAppDeploymentsFlags, minorNumber, providerFlags } from './release-flags.js'

export interface StandinIO {
  stdout(text: string): void
  stderr(text: string): void
  env: NodeJS.ProcessEnv
}

/** Failure of the work (exit 1, `Error: …`). */
class CliError extends Error {}

// ------------------------------------------------------------------------------ command tree

interface Ctx {
  io: StandinIO
  flags: FlagValues
  args: string[]
  set: Set<string>
  version: string
  path: string[]
}

interface Command {
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

const KUBECONFIG: FlagDef = {
  name: 'kubeconfig',
  type: 'string',
  usage: 'Path to the kubeconfig for the management cluster',
}
const CONTEXT: FlagDef = {
  name: 'context',
  type: 'string',
  usage: 'The name of the kubeconfig context to use',
}
const REQUEST_TIMEOUT: FlagDef = {
  name: 'request-timeout',
  type: 'string',
  default: '0',
  usage:
    "The length of time to wait before giving up on a single server request. Non-zero values should contain a corresponding time unit (e.g. 1s, 2m, 3h). A value of zero means don't timeout requests.",
}
const CONFIG: FlagDef = {
  name: 'config',
  type: 'string',
  default: '~/.kommander/config',
  usage: 'Path to the kommander config file',
}
const CORE_TIMEOUT: FlagDef = {
  name: 'core-app-timeout',
  type: 'duration',
  default: 20 * 60_000,
  usage: 'The timeout for core applications',
}
const PLATFORM_TIMEOUT: FlagDef = {
  name: 'platform-apps-timeout',
  type: 'duration',
  default: 30 * 60_000,
  usage: 'The timeout for platform applications',
}
const CLUSTER_NAME_FLAG: FlagDef = {
  name: 'cluster-name',
  short: 'c',
  type: 'string',
  usage: 'Name used to prefix the cluster and all the created resources',
  required: true,
}
const NAMESPACE_FLAG: FlagDef = {
  name: 'namespace',
  short: 'n',
  type: 'string',
  default: 'default',
  usage: 'If present, the namespace scope for this CLI request',
}
const WAIT: FlagDef = {
  name: 'wait',
  type: 'bool',
  default: true,
  usage: 'If true, wait for operations to complete before returning',
}

function updateFlags(provider: string, which: 'controlplane' | 'nodepool', version: string): FlagDef[] {
  const nkp = minorNumber(version) >= 12
  return [
    CLUSTER_NAME_FLAG,
    NAMESPACE_FLAG,
    KUBECONFIG,
    { name: 'use-context', type: 'string', usage: 'The name of the kubeconfig context to use' },
    {
      name: 'kubernetes-version',
      type: 'string',
      default: vPrefixed(dkpRelease(version).kubernetes),
      usage: 'The Kubernetes version to update to',
    },
    WAIT,
    ...(nkp
      ? [
          {
            name: 'timeout',
            type: 'duration' as const,
            default: 30 * 60_000,
            usage: 'The length of time to wait before giving up',
          },
        ]
      : []),
    ...providerFlags(provider, which),
  ]
}

function tree(version: string): Command {
  const providers = dkpRelease(version).providers
  return {
    name: 'dkp',
    short: 'DKP CLI (stand-in for tests: dkp-fleet-upgrade)',
    children: [
      {
        name: 'upgrade',
        short: 'Upgrade one of [addons, capi-components, catalogapp, kommander, workspace]',
        children: [
          {
            name: 'kommander',
            short: 'Upgrade Kommander and its platform applications on the management cluster',
            args: 0,
            flags: [
              KUBECONFIG,
              CONTEXT,
              REQUEST_TIMEOUT,
              CONFIG,
              {
                name: 'kommander-applications-repository',
                type: 'string',
                default: version,
                usage: 'Kommander applications repository: a git tag, a checkout directory or a .tar.gz',
              },
              {
                name: 'charts-bundle',
                type: 'stringArray',
                default: [],
                usage: 'Chart bundle (.tar.gz) to upload; repeatable',
              },
              {
                name: 'disallow-charts-download',
                type: 'bool',
                usage: 'Do not download charts from the internet',
              },
              { name: 'kommander-charts-version', type: 'string', usage: 'Version of the Kommander charts' },
              CORE_TIMEOUT,
              PLATFORM_TIMEOUT,
              ...disableAppDeploymentsFlags(version, 'kommander'),
              {
                name: 'gitea-kommander-repository-name',
                type: 'string',
                default: 'kommander',
                usage: 'Name of the Gitea repository holding the Kommander applications',
              },
            ],
            run: upgradeKommander,
          },
          {
            name: 'workspace',
            use: 'workspace WORKSPACE_NAME',
            short: 'Upgrade the platform applications of a workspace',
            args: 1,
            flags: [
              {
                name: 'dry-run',
                type: 'bool',
                usage: 'List the AppDeployments that would be upgraded, change nothing',
              },
              KUBECONFIG,
              CONTEXT,
              CONFIG,
              REQUEST_TIMEOUT,
              CORE_TIMEOUT,
              PLATFORM_TIMEOUT,
              ...disableAppDeploymentsFlags(version, 'workspace'),
            ],
            run: upgradeWorkspace,
          },
          {
            name: 'catalogapp',
            use: 'catalogapp APPDEPLOYMENT_NAME',
            short: 'Upgrade a catalog application deployment',
            args: 1,
            flags: [
              { name: 'to-version', type: 'string', usage: 'The version to upgrade to', required: true },
              { name: 'workspace', short: 'w', type: 'string', usage: 'Workspace of the AppDeployment' },
              { name: 'project', short: 'p', type: 'string', usage: 'Project of the AppDeployment' },
              KUBECONFIG,
              CONTEXT,
              CONFIG,
              REQUEST_TIMEOUT,
            ],
            run: upgradeCatalogApp,
          },
          {
            name: 'capi-components',
            short: 'Upgrade the CAPI components on the management cluster',
            args: 0,
            flags: [
              KUBECONFIG,
              {
                name: 'timeout',
                type: 'duration',
                default: 10 * 60_000,
                usage: 'The length of time to wait before giving up; 0 waits forever',
              },
              WAIT,
              {
                name: 'with-aws-bootstrap-credentials',
                type: 'bool',
                usage: 'Set the AWS credentials of the bootstrap cluster on the CAPA controller',
              },
            ],
            run: upgradeCapiComponents,
          },
          {
            name: 'addons',
            short: `Upgrade the core addons of a cluster: one of [${providers.join(', ')}]`,
            children: providers.map((p) => ({
              name: p,
              short: `Upgrade the core addons of a ${p} cluster`,
              args: 0,
              flags: [
                CLUSTER_NAME_FLAG,
                NAMESPACE_FLAG,
                KUBECONFIG,
                {
                  name: 'dry-run',
                  type: 'bool',
                  usage: 'Only print the objects that would be sent, without sending them',
                },
                {
                  name: 'output',
                  short: 'o',
                  type: 'string',
                  usage:
                    'Output format. One of: json|yaml|name|go-template|go-template-file|template|templatefile|jsonpath|jsonpath-as-json|jsonpath-file',
                },
                {
                  name: 'allow-missing-template-keys',
                  type: 'bool',
                  default: true,
                  usage:
                    'If true, ignore any errors in templates when a field or map key is missing in the template',
                },
                {
                  name: 'show-managed-fields',
                  type: 'bool',
                  usage: 'If true, keep the managedFields when printing objects in JSON or YAML format',
                },
                {
                  name: 'template',
                  type: 'string',
                  usage:
                    'Template string or path to template file to use when -o=go-template, -o=go-template-file',
                },
              ],
              run: upgradeAddons,
            })),
          },
        ],
      },
      {
        name: 'update',
        short: 'Update one of [controlplane, nodepool]',
        children: [
          {
            name: 'controlplane',
            short: `Update the control plane of a cluster: one of [${providers.join(', ')}]`,
            children: providers.map((p) => ({
              name: p,
              short: `Update the control plane of a ${p} cluster`,
              args: 0,
              flags: updateFlags(p, 'controlplane', version),
              run: updateControlPlane,
            })),
          },
          {
            name: 'nodepool',
            short: `Update a node pool of a cluster: one of [${providers.join(', ')}]`,
            children: providers.map((p) => ({
              name: p,
              use: `${p} NODEPOOL_NAME`,
              short: `Update a node pool of a ${p} cluster`,
              args: 1,
              flags: updateFlags(p, 'nodepool', version),
              run: updateNodePool,
            })),
          },
        ],
      },
      {
        name: 'get',
        short: 'Display one or many resources',
        children: [
          {
            name: 'workspaces',
            aliases: ['workspace', 'ws'],
            short: 'Display workspaces',
            args: 0,
            flags: [
              KUBECONFIG,
              CONTEXT,
              { name: 'all-namespaces', short: 'A', type: 'bool', usage: 'List across all namespaces' },
              {
                name: 'output',
                short: 'o',
                type: 'string',
                default: 'table',
                usage: 'Output format: table|yaml|json',
              },
            ],
            run: getWorkspaces,
          },
          {
            name: 'appdeployments',
            aliases: ['appdeployment', 'appdeploy'],
            short: 'Display AppDeployments',
            args: 0,
            flags: [
              KUBECONFIG,
              CONTEXT,
              { name: 'workspace', short: 'w', type: 'string', usage: 'Workspace of the AppDeployments' },
              { name: 'project', short: 'p', type: 'string', usage: 'Project of the AppDeployments' },
              { name: 'all-namespaces', short: 'A', type: 'bool', usage: 'List across all namespaces' },
              {
                name: 'output',
                short: 'o',
                type: 'string',
                default: 'table',
                usage: 'Output format: table|yaml|json',
              },
            ],
            run: getAppDeployments,
          },
          {
            name: 'nodepools',
            aliases: ['nodepool', 'np'],
            short: 'Display node pools of a cluster',
            args: 0,
            flags: [
              CLUSTER_NAME_FLAG,
              NAMESPACE_FLAG,
              KUBECONFIG,
              {
                name: 'output',
                short: 'o',
                type: 'string',
                default: 'table',
                usage: 'Output format: table|yaml|json',
              },
            ],
            run: getNodePools,
          },
        ],
      },
      {
        name: 'version',
        short: 'Print the version of every component',
        args: 0,
        flags: [
          { name: 'long', type: 'bool', usage: 'Print the full version information' },
          { name: 'output', short: 'o', type: 'string', usage: 'Output format: yaml|json' },
        ],
        run: printVersion,
      },
    ],
  }
}

const GLOBAL_FLAGS: FlagDef[] = [
  { name: 'verbose', short: 'v', type: 'int', default: -1, usage: 'Output verbosity' },
]

function usageOf(cmd: Command, path: string[]): string {
  const full = path.join(' ')
  const lines = [
    `Usage:\n  ${[...path.slice(0, -1), cmd.use ?? cmd.name].join(' ')}${cmd.children ? ' [command]' : ''}${cmd.flags ? ' [flags]' : ''}`,
  ]
  if (cmd.aliases) lines.push(`\nAliases:\n  ${[cmd.name, ...cmd.aliases].join(', ')}`)
  if (cmd.children) {
    const w = Math.max(...cmd.children.map((c) => c.name.length))
    lines.push(
      `\nAvailable Commands:\n${cmd.children.map((c) => `  ${c.name.padEnd(w)} ${c.short}`).join('\n')}`,
    )
  }
  if (cmd.flags)
    lines.push(
      `\nFlags:\n${flagUsage([...cmd.flags, { name: 'help', short: 'h', type: 'bool', usage: `help for ${cmd.name}` }])}`,
    )
  lines.push(`\nGlobal Flags:\n${flagUsage(GLOBAL_FLAGS)}`)
  if (cmd.children) lines.push(`\nUse "${full} [command] --help" for more information about a command.`)
  return `${lines.join('\n')}\n`
}

/** Runs the stand-in with `argv` (without node and script); returns the exit code. */
export async function runStandin(argv: string[], io: StandinIO): Promise<number> {
  const version = normalizeVersion(io.env.DKP_STANDIN_VERSION ?? 'v2.8.1')
  if (!version || !isKnownDkp(version)) {
    io.stderr(
      `Error: DKP_STANDIN_VERSION=${io.env.DKP_STANDIN_VERSION} is not a DKP release the stand-in knows\n`,
    )
    return 1
  }
  const root = tree(version)
  // walk the command path: leading non-flag words select subcommands
  let cmd = root
  const path = ['dkp']
  let i = 0
  const rest: string[] = []
  for (; i < argv.length; i++) {
    const a = argv[i] as string
    if (a.startsWith('-')) {
      rest.push(a)
      // like cobra's stripFlags: a flag given before the subcommand takes the next word as its
      // value unless it is a bool flag or spelled `--flag=value`
      if (takesValue(a) && i + 1 < argv.length) rest.push(argv[++i] as string)
      continue
    }
    if (!cmd.children) break
    const next = cmd.children.find((c) => c.name === a || c.aliases?.includes(a))
    if (!next) {
      if (rest.some((r) => r === '-h' || r === '--help')) break
      io.stderr(
        `Error: unknown command "${a}" for "${path.join(' ')}"\nRun '${path.join(' ')} --help' for usage.\n`,
      )
      return 1
    }
    cmd = next
    path.push(next.name)
  }
  rest.push(...argv.slice(i))
  let parsed: Parsed
  try {
    parsed = parseFlags(rest, [...(cmd.flags ?? []), ...GLOBAL_FLAGS])
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`Error: ${err.message}\n${usageOf(cmd, path)}`)
      return 1
    }
    throw err
  }
  if (parsed.help || !cmd.run) {
    if (!cmd.run && parsed.args.length > 0 && !parsed.help) {
      io.stderr(
        `Error: unknown command "${parsed.args[0]}" for "${path.join(' ')}"\nRun '${path.join(' ')} --help' for usage.\n`,
      )
      return 1
    }
    io.stdout(`${cmd.short}\n\n${usageOf(cmd, path)}`)
    return 0
  }
  const [min, max] =
    typeof cmd.args === 'number' ? [cmd.args, cmd.args] : (cmd.args ?? [0, Number.POSITIVE_INFINITY])
  if (parsed.args.length < min || parsed.args.length > max) {
    io.stderr(`Error: accepts ${min} arg(s), received ${parsed.args.length}\n${usageOf(cmd, path)}`)
    return 1
  }
  try {
    const ctx: Ctx = { io, flags: parsed.values, args: parsed.args, set: parsed.set, version, path }
    printInjectedErrors(ctx)
    await cmd.run(ctx)
    return 0
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`Error: ${err.message}\n${usageOf(cmd, path)}`)
      return 1
    }
    io.stderr(`Error: ${(err as Error).message}\n`)
    return 1
  }
}

const BOOL_FLAGS = new Set([
  'help',
  'wait',
  'dry-run',
  'long',
  'all-namespaces',
  'disallow-charts-download',
  'with-aws-bootstrap-credentials',
  'show-managed-fields',
  'allow-missing-template-keys',
])
const BOOL_SHORTS = new Set(['h', 'A'])

function takesValue(arg: string): boolean {
  if (arg === '--' || arg.includes('=')) return false
  if (arg.startsWith('--')) return !BOOL_FLAGS.has(arg.slice(2))
  return arg.length === 2 && !BOOL_SHORTS.has(arg.slice(1))
}

const normalizeVersion = (v: string): string | undefined =>
  /^v?\d+\.\d+\.\d+$/.test(v.trim()) ? vPrefixed(v.trim()) : undefined

// ------------------------------------------------------------------------------ helpers

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

/** `--kubeconfig`, else like a cobra/client-go CLI: `$KUBECONFIG`, else `~/.kube/config`. */
function kubeOf(ctx: Ctx): Kube {
  const path = str(ctx.flags.kubeconfig)
  const context = str(ctx.flags.context) ?? str(ctx.flags['use-context'])
  const options = { fieldManager: 'dkp', userAgent: `dkp/${ctx.version}`, ...(context ? { context } : {}) }
  try {
    return path ? Kube.fromFile(path, options) : Kube.fromDefault(options)
  } catch (err) {
    throw new CliError(
      `failed to load kubeconfig ${path ?? ctx.io.env.KUBECONFIG ?? '~/.kube/config'}: ${(err as Error).message}`,
    )
  }
}

function pollMs(env: NodeJS.ProcessEnv): number {
  return Math.max(10, Number(env.DKP_STANDIN_POLL_MS ?? 250) || 250)
}

/** Counts writes; fails or hangs at the fault's threshold; marks objects slow. */
class Writer {
  count = 0
  constructor(
    private readonly ctx: Ctx,
    readonly faults: StandinFaults,
  ) {}

  private async gate(): Promise<void> {
    const { fail, hang } = this.faults
    if (hang && this.count >= hang.n) {
      this.ctx.io.stderr(`I${stamp()} hanging (DKP_STANDIN_HANG) after ${this.count} write(s)\n`)
      await new Promise(() => setInterval(() => {}, 1 << 30))
    }
    if (fail && this.count >= fail.n) {
      throw new CliError(
        `${this.ctx.path.slice(1).join(' ')}: injected failure after ${this.count} write(s) (DKP_STANDIN_FAIL)`,
      )
    }
  }

  /** Annotations to add to written objects (slow fault). */
  get annotations(): Record<string, string> | undefined {
    return this.faults.slow ? { [FAULT_ANNOTATION]: `slow:${this.faults.slow.n}` } : undefined
  }

  async write<T>(fn: () => Promise<T>): Promise<T> {
    await this.gate()
    const out = await fn()
    this.count++
    const delay = Number(this.ctx.io.env.DKP_STANDIN_WRITE_DELAY_MS ?? 0)
    if (delay > 0) await sleep(delay)
    return out
  }

  /** After the last write: a threshold at or above the total still fires. */
  async done(): Promise<void> {
    const { fail, hang } = this.faults
    if ((fail && this.count >= fail.n) || (hang && this.count >= hang.n)) await this.gate()
  }
}

function stamp(): string {
  const d = new Date()
  const p = (n: number, w = 2) => String(n).padStart(w, '0')
  return `${p(d.getMonth() + 1)}${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}000 ${process.pid}`
}

/** Fault-switch key of a command: its path without the provider (`update-nodepool`). */
function commandKey(ctx: Ctx): string {
  const providers = dkpRelease(ctx.version).providers
  return ctx.path
    .slice(1)
    .filter((p) => !providers.includes(p))
    .join('-')
}

/** DKP_STANDIN_PRINT_ERRORS: client-go style error lines on stderr; the command goes on. */
function printInjectedErrors(ctx: Ctx): void {
  const targets = [ctx.flags['cluster-name'], ctx.flags.workspace, ctx.flags.project, ...ctx.args].map((v) =>
    typeof v === 'string' ? v : undefined,
  )
  if (!faultsFor(ctx.io.env, commandKey(ctx), targets).printErrors) return
  ctx.io.stderr(
    `E${stamp()} reflector.go:147] k8s.io/client-go/tools/cache: failed to list *v1.Secret: the server is currently unable to handle the request\n` +
      `W${stamp()} warnings.go:70] unable to refresh discovery information: an error on the server ("") has prevented the request from succeeding\n` +
      `E${stamp()} memcache.go:265] couldn't get current server API group list: Get "https://127.0.0.1/api?timeout=32s": net/http: TLS handshake timeout\n`,
  )
}

function writerFor(ctx: Ctx, targets: (string | undefined)[]): Writer {
  return new Writer(ctx, faultsFor(ctx.io.env, commandKey(ctx), targets))
}

/** Polls `check` until it returns true; `limitMs` 0 = forever (env DKP_STANDIN_WAIT_TIMEOUT_MS caps it). */
async function waitFor(
  ctx: Ctx,
  what: string,
  limitMs: number,
  check: () => Promise<boolean | string>,
): Promise<void> {
  const cap = Number(ctx.io.env.DKP_STANDIN_WAIT_TIMEOUT_MS ?? 0)
  const limit = limitMs > 0 && cap > 0 ? Math.min(limitMs, cap) : limitMs || cap
  const deadline = limit > 0 ? Date.now() + limit : Number.POSITIVE_INFINITY
  const poll = pollMs(ctx.io.env)
  let last: string | boolean = false
  for (;;) {
    last = await check()
    if (last === true) return
    if (Date.now() > deadline) {
      throw new CliError(
        `timed out waiting for ${what}${typeof last === 'string' ? `: ${last}` : ''} (after ${formatDuration(limit)})`,
      )
    }
    await sleep(poll)
  }
}

function minorOf(v: string): [number, number, number] {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v)
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0]
}

function helmApiOf(kube: Kube): Promise<string> {
  return kube.hasResource(API.helm, 'HelmRelease').then((ok) => (ok ? API.helm : API.helmV1))
}

async function patchIfChanged(
  w: Writer,
  kube: Kube,
  obj: AnyObject,
  patch: Record<string, unknown>,
  changed: boolean,
): Promise<boolean> {
  if (!changed) return false
  const annotations = w.annotations
  await w.write(() =>
    kube.patchMerge(obj.apiVersion, obj.kind, obj.metadata.name as string, obj.metadata.namespace, {
      ...patch,
      ...(annotations ? { metadata: { annotations } } : {}),
    }),
  )
  return true
}

function appIdOf(
  kube: Kube,
  ref: { kind: string; name: string } | undefined,
  ns: string | undefined,
): Promise<string | undefined> {
  if (!ref) return Promise.resolve(undefined)
  const get =
    ref.kind === 'ClusterApp'
      ? kube.get(API.apps, 'ClusterApp', ref.name)
      : kube.get(API.apps, 'App', ref.name, ns)
  return get.then((app) => dig<string>(app, 'spec', 'appId') ?? ref.name.replace(/-v?\d+\.\d+\.\d+.*$/, ''))
}

// ------------------------------------------------------------------------------ upgrade kommander

/** A HelmRelease whose attempt at its spec version failed (Ready=False): the CLI gives up. */
function throwIfFailed(h: AnyObject): void {
  const ready = getCondition(h, 'Ready')
  if (
    ready?.status === 'False' &&
    dig(h, 'status', 'lastAttemptedRevision') === dig(h, 'spec', 'chart', 'spec', 'version')
  ) {
    throw new CliError(
      `HelmRelease ${h.metadata.namespace}/${h.metadata.name} failed: ${ready.message ?? ready.reason ?? ''}`,
    )
  }
}

async function upgradeKommander(ctx: Ctx): Promise<void> {
  const kube = kubeOf(ctx)
  const rel = dkpRelease(ctx.version)
  const w = writerFor(ctx, [])
  const out = (s: string) => ctx.io.stdout(`${s}\n`)
  const helmApi = await helmApiOf(kube)
  const hr = await kube.get(helmApi, 'HelmRelease', 'kommander', KOMMANDER_NS)
  if (!hr)
    throw new CliError(
      'Kommander is not installed: HelmRelease kommander/kommander not found (wrong --kubeconfig?)',
    )
  const current = String(dig(hr, 'spec', 'chart', 'spec', 'version') ?? '')
  const target = str(ctx.flags['kommander-charts-version'])
    ? vPrefixed(String(ctx.flags['kommander-charts-version']))
    : rel.kommanderChart
  // preflight: previous minor, or the same minor with a lower (or equal) patch
  const [cMaj, cMin, cPatch] = minorOf(current)
  const [tMaj, tMin, tPatch] = minorOf(target)
  const ok = cMaj === tMaj && (cMin === tMin - 1 || (cMin === tMin && cPatch <= tPatch))
  if (!ok) {
    out(' ✗ Ensuring upgrading conditions are met')
    throw new CliError(
      `cannot upgrade Kommander from ${current} to ${target}: only upgrades from the previous minor release (v${tMaj}.${tMin - 1}.x) or an older patch of v${tMaj}.${tMin} are supported`,
    )
  }
  const failing = (await kube.list(helmApi, 'HelmRelease', { namespace: KOMMANDER_NS })).filter(
    (h) => getCondition(h, 'Ready')?.status === 'False',
  )
  if (failing.length > 0) {
    out(' ✗ Ensuring upgrading conditions are met')
    throw new CliError(
      `HelmReleases not ready in namespace ${KOMMANDER_NS}: ${failing.map((h) => `${h.metadata.name} (${getCondition(h, 'Ready')?.message ?? ''})`).join(', ')}`,
    )
  }
  out(' ✓ Ensuring upgrading conditions are met')

  // application definitions: the Kommander applications repository at the target
  const sourceApi = (await kube.hasResource(API.source, 'GitRepository')) ? API.source : API.sourceV1beta2
  const repo = await kube.get(sourceApi, 'GitRepository', 'management', 'kommander-flux')
  if (repo)
    await patchIfChanged(
      w,
      kube,
      repo,
      { spec: { ref: { tag: target } } },
      dig(repo, 'spec', 'ref', 'tag') !== target,
    )
  // every app the target's applications repository ships becomes a ClusterApp (release table)
  const tPlatform = RELEASES.platform(target)
  if (!tPlatform) throw new CliError(`Kommander applications ${target} not found`)
  for (const appId of tPlatform.apps()) {
    for (const version of tPlatform.versions(appId)) {
      const name = `${appId}-${version}`
      if (await kube.get(API.apps, 'ClusterApp', name)) continue
      await w.write(() =>
        kube.create({
          apiVersion: API.apps,
          kind: 'ClusterApp',
          metadata: { name, labels: { 'apps.kommander.d2iq.io/app-id': appId } },
          spec: {
            appId,
            version,
            type: 'internal',
            artifacts: { git: { path: `./services/${appId}/${version}` } },
          },
        }),
      )
    }
  }
  out(' ✓ Ensuring application definitions are updated')
  out(' ✓ Ensuring helm-mirror implementation is migrated to chartmuseum')

  // Kommander core
  for (const name of ['kommander', 'kommander-appmanagement']) {
    const h = await kube.get(helmApi, 'HelmRelease', name, KOMMANDER_NS)
    if (h)
      await patchIfChanged(
        w,
        kube,
        h,
        { spec: { chart: { spec: { version: target } } } },
        dig(h, 'spec', 'chart', 'spec', 'version') !== target,
      )
  }
  // platform apps on the management cluster: every ClusterApp-kind AppDeployment in `kommander`
  // whose app the target ships moves to the target's ClusterApp; apps the target enables by
  // default there (I: managementApps ∪ defaultApps) get one when missing
  const disabled = new Set((ctx.flags['disable-appdeployments'] as string[] | undefined) ?? [])
  const version = (appId: string) => tPlatform.versions(appId)[0]
  const ads = await kube.list(API.apps, 'AppDeployment', { namespace: KOMMANDER_NS })
  const present = new Set<string>()
  const enabled = new Map<string, string>()
  for (const ad of ads) {
    const ref = dig<{ kind: string; name: string }>(ad, 'spec', 'appRef')
    if (ref?.kind !== 'ClusterApp') continue
    const appId = (await appIdOf(kube, ref, KOMMANDER_NS)) ?? ''
    present.add(appId)
    const v = version(appId)
    if (!v || disabled.has(ad.metadata.name as string) || disabled.has(appId)) continue
    enabled.set(appId, v)
    const appName = `${appId}-${v}`
    await patchIfChanged(
      w,
      kube,
      ad,
      { spec: { appRef: { kind: 'ClusterApp', name: appName } } },
      ref.name !== appName,
    )
  }
  for (const appId of enabledApps(target).management) {
    const v = version(appId)
    if (present.has(appId) || disabled.has(appId) || !v) continue
    enabled.set(appId, v)
    await w.write(() =>
      kube.create({
        apiVersion: API.apps,
        kind: 'AppDeployment',
        metadata: { name: appId, namespace: KOMMANDER_NS },
        spec: { appRef: { kind: 'ClusterApp', name: `${appId}-${v}` } },
      }),
    )
  }
  await w.done()

  await waitFor(
    ctx,
    'the Kommander core applications',
    Number(ctx.flags['core-app-timeout'] ?? 0),
    async () => {
      for (const name of ['kommander', 'kommander-appmanagement']) {
        const h = await kube.get(helmApi, 'HelmRelease', name, KOMMANDER_NS)
        if (h) throwIfFailed(h)
        if (h && !helmReleaseConverged(h))
          return `HelmRelease ${KOMMANDER_NS}/${name} not released at ${target}`
      }
      return true
    },
  )
  out(' ✓ Ensuring Kommander core is upgraded')
  await waitFor(
    ctx,
    'the platform applications',
    Number(ctx.flags['platform-apps-timeout'] ?? 0),
    async () => {
      const hrs = await kube.list(helmApi, 'HelmRelease', { namespace: KOMMANDER_NS })
      hrs.forEach(throwIfFailed)
      return releasedAsListed(hrs, KOMMANDER_NS, [...enabled], target)
    },
  )
  out(' ✓ Ensuring platform applications are upgraded')
}

/**
 * True once every HelmRelease the release table lists for the apps (appId, version) exists in
 * `ns` at its chart version with the listed values and is released (dynamic ones, by chart,
 * where they exist); else what is missing.
 */
function releasedAsListed(
  hrs: readonly AnyObject[],
  ns: string,
  apps: readonly (readonly [string, string])[],
  tag: string | undefined,
  kind: 'platform' | 'catalog' = 'platform',
): true | string {
  for (const [appId, version] of apps) {
    for (const row of appHelmReleases(kind, appId, version, tag).rows) {
      if (!row.chartVersion) continue
      const matching = row.dynamic
        ? hrs.filter((h) => dig(h, 'spec', 'chart', 'spec', 'chart') === row.chart)
        : hrs.filter((h) => h.metadata.name === row.name)
      if (!row.dynamic && matching.length === 0) return `HelmRelease ${ns}/${row.name} missing`
      for (const h of matching) {
        const values = (dig<{ name?: string }[]>(h, 'spec', 'valuesFrom') ?? []).map((v) => v.name)
        if (
          dig(h, 'spec', 'chart', 'spec', 'version') !== row.chartVersion ||
          (row.values ?? []).some((v) => !values.includes(v)) ||
          !helmReleaseConverged(h)
        )
          return `HelmRelease ${ns}/${h.metadata.name} not released at ${row.chartVersion}`
      }
    }
  }
  return true
}

// ------------------------------------------------------------------------------ upgrade workspace

async function workspaceNamespaces(
  kube: Kube,
  name: string,
): Promise<{ ns: string; projects: { name: string; ns: string }[] }> {
  const ws = await kube.get(API.workspaces, 'Workspace', name)
  if (!ws) throw new CliError(`workspace "${name}" not found`)
  const ns = dig<string>(ws, 'status', 'namespaceRef', 'name') ?? dig<string>(ws, 'spec', 'namespaceName')
  if (!ns) throw new CliError(`workspace "${name}" has no namespace yet`)
  const projects = (await kube.list(API.workspaces, 'Project', { namespace: ns })).map((p) => ({
    name: p.metadata.name as string,
    ns: dig<string>(p, 'status', 'namespaceRef', 'name') ?? dig<string>(p, 'spec', 'namespaceName') ?? '',
  }))
  return { ns, projects: projects.filter((p) => p.ns) }
}

async function upgradeWorkspace(ctx: Ctx): Promise<void> {
  const kube = kubeOf(ctx)
  const name = ctx.args[0] as string
  const w = writerFor(ctx, [name])
  const helmApi = await helmApiOf(kube)
  const { ns, projects } = await workspaceNamespaces(kube, name)
  // the versions on the management cluster: its Kommander release, and the kommander AppDeployments
  const mgmtHr = await kube.get(helmApi, 'HelmRelease', 'kommander', KOMMANDER_NS)
  const mgmtVersion = String(dig(mgmtHr, 'spec', 'chart', 'spec', 'version') ?? ctx.version)
  const mgmtRelease = RELEASES.platform(isKnownDkp(mgmtVersion) ? mgmtVersion : ctx.version)
  const want = new Map(
    (mgmtRelease?.apps() ?? []).map((appId) => [appId, `${appId}-${mgmtRelease!.versions(appId)[0]}`]),
  )
  for (const ad of await kube.list(API.apps, 'AppDeployment', { namespace: KOMMANDER_NS })) {
    const ref = dig<{ kind: string; name: string }>(ad, 'spec', 'appRef')
    if (ref?.kind !== 'ClusterApp') continue
    const appId = await appIdOf(kube, ref, KOMMANDER_NS)
    if (appId) want.set(appId, ref.name)
  }
  const disabled = new Set((ctx.flags['disable-appdeployments'] as string[] | undefined) ?? [])
  const changes: { ad: AnyObject; from: string; to: string }[] = []
  for (const n of [ns, ...projects.map((p) => p.ns)]) {
    for (const ad of await kube.list(API.apps, 'AppDeployment', { namespace: n })) {
      const ref = dig<{ kind: string; name: string }>(ad, 'spec', 'appRef')
      if (ref?.kind !== 'ClusterApp' || disabled.has(ad.metadata.name as string)) continue
      const appId = await appIdOf(kube, ref, n)
      const to = appId ? want.get(appId) : undefined
      if (to && to !== ref.name) changes.push({ ad, from: ref.name, to })
    }
  }
  if (ctx.flags['dry-run']) {
    for (const c of changes)
      ctx.io.stdout(`appdeployment ${c.ad.metadata.namespace}/${c.ad.metadata.name}: ${c.from} -> ${c.to}\n`)
    return
  }
  for (const c of changes) {
    await patchIfChanged(w, kube, c.ad, { spec: { appRef: { kind: 'ClusterApp', name: c.to } } }, true)
  }
  await w.done()
  await waitFor(
    ctx,
    `the platform applications of workspace ${name}`,
    Number(ctx.flags['platform-apps-timeout'] ?? 0),
    async () => {
      for (const c of changes) {
        const n = c.ad.metadata.namespace as string
        const app = await kube.get(API.apps, 'ClusterApp', c.to)
        const appId = dig<string>(app, 'spec', 'appId') ?? ''
        const version = dig<string>(app, 'spec', 'version') ?? ''
        const hrs = await kube.list(helmApi, 'HelmRelease', { namespace: n })
        hrs.forEach(throwIfFailed)
        const done = releasedAsListed(hrs, n, [[appId, version]], mgmtRelease?.tag)
        if (done !== true) return done
      }
      return true
    },
  )
  ctx.io.stdout(` ✓ Upgrading platform applications of workspace ${name}\n`)
}

// ------------------------------------------------------------------------------ upgrade catalogapp

async function upgradeCatalogApp(ctx: Ctx): Promise<void> {
  const kube = kubeOf(ctx)
  const adName = ctx.args[0] as string
  const toVersion = String(ctx.flags['to-version'])
  const wsName = str(ctx.flags.workspace)
  const projectName = str(ctx.flags.project)
  if (!wsName && !projectName) throw new UsageError('either --workspace or --project must be set')
  const w = writerFor(ctx, [adName, wsName, projectName])
  let wsNs: string | undefined
  let targetNs: string
  if (wsName) {
    const { ns, projects } = await workspaceNamespaces(kube, wsName)
    wsNs = ns
    if (projectName) {
      const p = projects.find((x) => x.name === projectName)
      if (!p) throw new CliError(`project "${projectName}" not found in workspace "${wsName}"`)
      targetNs = p.ns
    } else targetNs = ns
  } else {
    const matches = (await kube.list(API.workspaces, 'Project')).filter(
      (p) => p.metadata.name === projectName,
    )
    if (matches.length !== 1)
      throw new CliError(
        matches.length
          ? `project "${projectName}" exists in several workspaces: pass --workspace`
          : `project "${projectName}" not found`,
      )
    wsNs = matches[0]?.metadata.namespace
    targetNs = dig<string>(matches[0], 'status', 'namespaceRef', 'name') ?? ''
  }
  const ad = await kube.get(API.apps, 'AppDeployment', adName, targetNs)
  if (!ad) throw new CliError(`appdeployment "${adName}" not found in namespace "${targetNs}"`)
  const ref = dig<{ kind: string; name: string }>(ad, 'spec', 'appRef')
  if (ref?.kind === 'ClusterApp') {
    throw new CliError(
      `appdeployment "${adName}" is a platform application (ClusterApp); platform applications are upgraded with "dkp upgrade workspace"`,
    )
  }
  const current =
    (await kube.get(API.apps, 'App', ref?.name ?? '', targetNs)) ??
    (await kube.get(API.apps, 'App', ref?.name ?? '', wsNs))
  const appId =
    dig<string>(current, 'spec', 'appId') ?? (ref?.name ?? adName).replace(/-v?\d+\.\d+\.\d+.*$/, '')
  const targetApp = `${appId}-${toVersion}`
  if (
    !(await kube.get(API.apps, 'App', targetApp, targetNs)) &&
    !(await kube.get(API.apps, 'App', targetApp, wsNs))
  ) {
    throw new CliError(
      `app "${targetApp}" not found in the catalog of workspace "${wsName ?? wsNs}": version ${toVersion} of ${appId} is not available`,
    )
  }
  if (ref?.name === targetApp) {
    ctx.io.stdout(`appdeployment.apps.kommander.d2iq.io/${adName} is already at version ${toVersion}\n`)
    return
  }
  await patchIfChanged(w, kube, ad, { spec: { appRef: { kind: 'App', name: targetApp } } }, true)
  await w.done()
  ctx.io.stdout(`appdeployment.apps.kommander.d2iq.io/${adName} upgraded to version ${toVersion}\n`)
}

// ------------------------------------------------------------------------------ upgrade capi-components

async function upgradeCapiComponents(ctx: Ctx): Promise<void> {
  const kube = kubeOf(ctx)
  const w = writerFor(ctx, [])
  const rel = dkpRelease(ctx.version)
  const touched: AnyObject[] = []
  for (const comp of rel.capi) {
    for (const d of comp.deployments) {
      const live = await kube.get(API.deployments, 'Deployment', d.name, comp.namespace)
      if (!live) continue
      touched.push(live)
      const containers = (
        dig<{ name: string; image: string }[]>(live, 'spec', 'template', 'spec', 'containers') ?? []
      ).map((c) => (c.name === d.container ? { ...c, image: d.image } : c))
      const changed = containers.some(
        (c, i) => c.image !== dig(live, 'spec', 'template', 'spec', 'containers', i, 'image'),
      )
      if (changed) {
        await w.write(() =>
          kube.patchMerge(API.deployments, 'Deployment', d.name, comp.namespace, {
            spec: { template: { spec: { containers } } },
            ...(w.annotations ? { metadata: { annotations: w.annotations } } : {}),
          }),
        )
      }
    }
    if (comp.type !== 'CertManager' && (await kube.hasResource(API.clusterctl, 'Provider'))) {
      const p = await kube.get(API.clusterctl, 'Provider', comp.name, comp.namespace)
      if (p && (p as { version?: string }).version !== comp.version) {
        await w.write(() =>
          kube.patchMerge(API.clusterctl, 'Provider', comp.name, comp.namespace, { version: comp.version }),
        )
      }
    }
  }
  ctx.io.stdout(' ✓ Upgrading CAPI components\n')
  if (ctx.flags.wait) {
    await waitFor(ctx, 'CAPI components to be upgraded', Number(ctx.flags.timeout ?? 0), async () => {
      for (const d of touched) {
        const live = await kube.get(
          API.deployments,
          'Deployment',
          d.metadata.name as string,
          d.metadata.namespace,
        )
        if (!live) continue
        const ok =
          dig<number>(live, 'status', 'observedGeneration') === live.metadata.generation &&
          dig<number>(live, 'status', 'updatedReplicas') === Number(dig(live, 'spec', 'replicas') ?? 1) &&
          getCondition(live, 'Available')?.status === 'True'
        if (!ok) return `Deployment ${d.metadata.namespace}/${d.metadata.name} not available`
      }
      return true
    })
    ctx.io.stdout(' ✓ Waiting for CAPI components to be upgraded\n')
  }
  ctx.io.stdout(' ✓ Initializing new CAPI components\n')
  // global (not per-cluster) ClusterResourceSets of older releases
  for (const crs of await kube.list(API.addons, 'ClusterResourceSet')) {
    if (crs.metadata.labels?.[CLUSTER_NAME_LABEL]) continue
    await w.write(() =>
      kube.delete(API.addons, 'ClusterResourceSet', crs.metadata.name as string, crs.metadata.namespace),
    )
  }
  await w.done()
  ctx.io.stdout(' ✓ Deleting Outdated Global ClusterResourceSets\n')
}

// ------------------------------------------------------------------------------ upgrade addons

async function clusterOf(kube: Kube, name: string, ns: string, provider: string): Promise<AnyObject> {
  const cluster = await kube.get(API.cluster, 'Cluster', name, ns)
  if (!cluster)
    throw new CliError(
      `failed to get Cluster: clusters.cluster.x-k8s.io "${name}" not found in namespace "${ns}"`,
    )
  const actual = cluster.metadata.labels?.[PROVIDER_LABEL]
  if (actual && actual !== provider) {
    throw new CliError(`cluster "${name}" was created with provider "${actual}", not "${provider}"`)
  }
  return cluster
}

async function upgradeAddons(ctx: Ctx): Promise<void> {
  const provider = ctx.path[ctx.path.length - 1] as string
  const name = String(ctx.flags['cluster-name'])
  const ns = String(ctx.flags.namespace ?? 'default')
  const output = str(ctx.flags.output)
  const objects = addonObjects(ctx.version, name, ns, provider)
  const kube = kubeOf(ctx)
  await clusterOf(kube, name, ns, provider)
  ctx.io.stdout('Generating addon resources\n')
  if (ctx.flags['dry-run']) {
    const list = objects.flatMap((o) => [o.clusterResourceSet, o.configMap])
    if (output === 'yaml') ctx.io.stdout(list.map((o) => stringify(o)).join('---\n'))
    else if (output === 'json')
      ctx.io.stdout(
        `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: list, metadata: {} }, null, 4)}\n`,
      )
    else if (output === 'name')
      ctx.io.stdout(
        list
          .map(
            (o) =>
              `${o.kind === 'ConfigMap' ? 'configmap' : 'clusterresourceset.addons.cluster.x-k8s.io'}/${o.metadata.name}\n`,
          )
          .join(''),
      )
    else if (output)
      throw new UsageError(
        `unable to match a printer suitable for the output format "${output}", allowed formats are: json,name,yaml`,
      )
    else {
      for (const o of objects) {
        ctx.io.stdout(
          `clusterresourceset.addons.cluster.x-k8s.io/${o.clusterResourceSet.metadata.name} upgraded (dry run)\n`,
        )
        ctx.io.stdout(`configmap/${o.configMap.metadata.name} upgraded (dry run)\n`)
      }
    }
    return
  }
  const w = writerFor(ctx, [name])
  for (const o of objects) {
    for (const obj of [o.clusterResourceSet, o.configMap]) {
      const live = await kube.get(obj.apiVersion, obj.kind, obj.metadata.name as string, ns)
      if (!live) {
        await w.write(() => kube.create(obj))
      } else {
        const body =
          obj.kind === 'ConfigMap' ? { data: (obj as { data?: unknown }).data } : { spec: obj.spec }
        const liveBody =
          obj.kind === 'ConfigMap' ? { data: (live as { data?: unknown }).data } : { spec: live.spec }
        const labelsDiffer = Object.entries(obj.metadata.labels ?? {}).some(
          ([k, v]) => live.metadata.labels?.[k] !== v,
        )
        if (JSON.stringify(canon(body)) !== JSON.stringify(canon(liveBody)) || labelsDiffer) {
          // replace: manual edits of the CRS/ConfigMap are overwritten (C: 2.3 docs)
          await w.write(() =>
            kube.replace({
              ...live,
              ...body,
              metadata: { ...live.metadata, labels: { ...live.metadata.labels, ...obj.metadata.labels } },
            } as AnyObject),
          )
        }
      }
      ctx.io.stdout(
        `${obj.kind === 'ConfigMap' ? 'configmap' : 'clusterresourceset.addons.cluster.x-k8s.io'}/${obj.metadata.name} upgraded\n`,
      )
    }
  }
  await w.done()
}

function canon(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canon)
  if (v === null || typeof v !== 'object') return v
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, canon((v as Record<string, unknown>)[k])]),
  )
}

// ------------------------------------------------------------------------------ update controlplane / nodepool

/** Provider flags given: the new infrastructure template's content. */
function templateChange(
  ctx: Ctx,
  provider: string,
  which: 'controlplane' | 'nodepool',
): Record<string, string | number> | undefined {
  const given = providerFlags(provider, which).filter((f) => ctx.set.has(f.name))
  if (given.length === 0) return undefined
  return Object.fromEntries(given.map((f) => [f.name, ctx.flags[f.name] as string | number]))
}

function k8sVersionFlag(ctx: Ctx): string {
  const raw = String(ctx.flags['kubernetes-version'])
  if (!/^v?\d+\.\d+\.\d+(\+fips\.\d+)?$/.test(raw))
    throw new CliError(`invalid Kubernetes version "${raw}": expected a version such as v1.28.7`)
  return vPrefixed(raw)
}

/** The CAPI KCP webhook's check: no minor skipped, no downgrade. */
function checkVersionChange(kind: string, name: string, from: string, to: string): void {
  const [fa, fb, fc] = minorOf(from)
  const [ta, tb, tc] = minorOf(to)
  const down = ta < fa || (ta === fa && (tb < fb || (tb === fb && tc < fc)))
  if (down || ta !== fa || tb - fb > 1) {
    throw new CliError(
      `admission webhook "validation.${kind.toLowerCase()}.controlplane.cluster.x-k8s.io" denied the request: ${kind}.controlplane.cluster.x-k8s.io "${name}" is invalid: spec.version: Forbidden: cannot update Kubernetes version from ${from} to ${to}`,
    )
  }
}

async function newTemplate(
  kube: Kube,
  w: Writer,
  ref: { apiVersion: string; kind: string; name: string },
  ns: string,
  base: string,
  version: string,
  change: Record<string, string | number>,
): Promise<string> {
  const name = `${base}-${suffix(`${version}/${JSON.stringify(change)}`, 6)}`
  if (ref.kind === 'AWSMachineTemplate' && (await kube.hasResource(ref.apiVersion, ref.kind))) {
    if (!(await kube.get(ref.apiVersion, ref.kind, name, ns))) {
      await w.write(() =>
        kube.create({
          apiVersion: ref.apiVersion,
          kind: ref.kind,
          metadata: { name, namespace: ns },
          spec: {
            template: {
              spec: {
                instanceType: String(change['instance-type'] ?? 'm5.2xlarge'),
                ...(change.ami ? { ami: { id: String(change.ami) } } : {}),
                iamInstanceProfile: 'nodes.cluster-api-provider-aws.sigs.k8s.io',
                sshKeyName: 'default',
              },
            },
          },
        }),
      )
    }
  }
  return name
}

async function updateControlPlane(ctx: Ctx): Promise<void> {
  const provider = ctx.path[ctx.path.length - 1] as string
  const name = String(ctx.flags['cluster-name'])
  const ns = String(ctx.flags.namespace ?? 'default')
  const version = k8sVersionFlag(ctx)
  const kube = kubeOf(ctx)
  const w = writerFor(ctx, [name])
  const cluster = await clusterOf(kube, name, ns, provider)
  const ref = dig<{ apiVersion: string; kind: string; name: string; namespace?: string }>(
    cluster,
    'spec',
    'controlPlaneRef',
  )
  if (!ref) throw new CliError(`cluster "${name}" has no control plane reference`)
  const cp = await kube.get(ref.apiVersion, ref.kind, ref.name, ref.namespace ?? ns)
  if (!cp) throw new CliError(`failed to get control plane: ${ref.kind} ${ns}/${ref.name} not found`)
  const current = String(dig(cp, 'spec', 'version') ?? '')
  if (current !== version) checkVersionChange(ref.kind, ref.name, current, version)
  const change = templateChange(ctx, provider, 'controlplane')
  const patch: Record<string, unknown> = { spec: { version } }
  let changed = current !== version
  if (change && ref.kind === 'KubeadmControlPlane') {
    const tRef = dig<{ apiVersion: string; kind: string; name: string }>(
      cp,
      'spec',
      'machineTemplate',
      'infrastructureRef',
    )
    if (tRef) {
      const tName = await newTemplate(kube, w, tRef, ns, `${ref.name}`, version, change)
      if (tName !== tRef.name) {
        changed = true
        ;(patch.spec as Record<string, unknown>).machineTemplate = {
          infrastructureRef: { ...tRef, name: tName },
        }
      }
    }
  }
  const [group] = ref.apiVersion.split('/')
  ctx.io.stdout(
    `Updating control plane resource ${group}/${ref.apiVersion.split('/')[1]}, Kind=${ref.kind} ${ns}/${ref.name}\n`,
  )
  await patchIfChanged(w, kube, cp, patch, changed)
  await w.done()
  if (!ctx.flags.wait) return
  ctx.io.stdout('Waiting for control plane update to finish.\n')
  await waitFor(ctx, 'the control plane update', Number(ctx.flags.timeout ?? 0), async () => {
    const live = await kube.get(ref.apiVersion, ref.kind, ref.name, ref.namespace ?? ns)
    if (!live) return 'control plane gone'
    const s = (live.status ?? {}) as Record<string, unknown>
    const ready = getCondition(live, 'Ready')?.status === 'True'
    if (ref.kind !== 'KubeadmControlPlane') {
      const applied = controlPlaneVersion(live)
      return (applied === version && ready) || `control plane at ${applied ?? 'unknown version'}`
    }
    const replicas = Number(dig(live, 'spec', 'replicas') ?? 1)
    const ok =
      s.version === version &&
      s.updatedReplicas === replicas &&
      s.replicas === replicas &&
      s.readyReplicas === replicas &&
      Number(s.unavailableReplicas ?? 0) === 0 &&
      s.observedGeneration === live.metadata.generation &&
      ready
    return ok || `${String(s.updatedReplicas ?? 0)}/${replicas} replicas updated`
  })
  ctx.io.stdout(' ✓ Updating the control plane\n')
}

async function updateNodePool(ctx: Ctx): Promise<void> {
  const provider = ctx.path[ctx.path.length - 1] as string
  const pool = ctx.args[0] as string
  const name = String(ctx.flags['cluster-name'])
  const ns = String(ctx.flags.namespace ?? 'default')
  const version = k8sVersionFlag(ctx)
  const kube = kubeOf(ctx)
  const w = writerFor(ctx, [name, pool])
  await clusterOf(kube, name, ns, provider)
  const md = await kube.get(API.cluster, 'MachineDeployment', pool, ns)
  if (!md)
    throw new CliError(
      `failed to get node pool "${pool}": machinedeployments.cluster.x-k8s.io "${pool}" not found`,
    )
  const owner = md.metadata.labels?.[CLUSTER_NAME] ?? dig<string>(md, 'spec', 'clusterName')
  if (owner !== name) throw new CliError(`node pool "${pool}" belongs to cluster "${owner}", not "${name}"`)
  const current = String(dig(md, 'spec', 'template', 'spec', 'version') ?? '')
  const change = templateChange(ctx, provider, 'nodepool')
  const spec: Record<string, unknown> = { version }
  let changed = current !== version
  if (change) {
    const tRef = dig<{ apiVersion: string; kind: string; name: string }>(
      md,
      'spec',
      'template',
      'spec',
      'infrastructureRef',
    )
    if (tRef) {
      const tName = await newTemplate(kube, w, tRef, ns, pool, version, change)
      if (tName !== tRef.name) {
        changed = true
        spec.infrastructureRef = { ...tRef, name: tName }
      }
    }
  }
  ctx.io.stdout(`Updating node pool resource ${API.cluster}, Kind=MachineDeployment ${ns}/${pool}\n`)
  await patchIfChanged(w, kube, md, { spec: { template: { spec } } }, changed)
  await w.done()
  if (!ctx.flags.wait) return
  ctx.io.stdout('Waiting for node pool update to finish.\n')
  await waitFor(ctx, `the ${pool} node pool update`, Number(ctx.flags.timeout ?? 0), async () => {
    const live = await kube.get(API.cluster, 'MachineDeployment', pool, ns)
    if (!live) return 'node pool gone'
    const s = (live.status ?? {}) as Record<string, unknown>
    const replicas = Number(dig(live, 'spec', 'replicas') ?? 1)
    if (
      !(
        s.updatedReplicas === replicas &&
        s.readyReplicas === replicas &&
        s.replicas === replicas &&
        Number(s.unavailableReplicas ?? 0) === 0 &&
        s.phase === 'Running' &&
        s.observedGeneration === live.metadata.generation
      )
    ) {
      return `${String(s.updatedReplicas ?? 0)}/${replicas} replicas updated, phase ${String(s.phase)}`
    }
    const machines = await kube.list(API.cluster, 'Machine', {
      namespace: ns,
      labelSelector: `cluster.x-k8s.io/deployment-name=${pool}`,
    })
    const old = machines.filter((m) => dig(m, 'spec', 'version') !== version)
    return old.length === 0 || `${old.length} machine(s) not at ${version}`
  })
  ctx.io.stdout(` ✓ Updating the ${pool} node pool\n`)
}

// ------------------------------------------------------------------------------ get / version

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? []
  return `${rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 3))).join('')).join('\n')}\n`
}

function printObjects(ctx: Ctx, items: AnyObject[], rows: () => string[][]): void {
  const o = str(ctx.flags.output) ?? 'table'
  if (o === 'yaml') ctx.io.stdout(stringify({ apiVersion: 'v1', kind: 'List', items }))
  else if (o === 'json')
    ctx.io.stdout(`${JSON.stringify({ apiVersion: 'v1', kind: 'List', items }, null, 2)}\n`)
  else if (o === 'table') ctx.io.stdout(table(rows()))
  else throw new UsageError(`unknown output format "${o}": one of table|yaml|json`)
}

async function getWorkspaces(ctx: Ctx): Promise<void> {
  const items = await kubeOf(ctx).list(API.workspaces, 'Workspace')
  printObjects(ctx, items, () => [
    ['NAME', 'NAMESPACE'],
    ...items.map((w) => [w.metadata.name as string, dig<string>(w, 'status', 'namespaceRef', 'name') ?? '']),
  ])
}

async function getAppDeployments(ctx: Ctx): Promise<void> {
  const kube = kubeOf(ctx)
  let namespace: string | undefined
  if (!ctx.flags['all-namespaces']) {
    const wsName = str(ctx.flags.workspace) ?? MGMT_WORKSPACE
    const { ns, projects } = await workspaceNamespaces(kube, wsName)
    namespace = ns
    if (str(ctx.flags.project)) {
      const p = projects.find((x) => x.name === ctx.flags.project)
      if (!p) throw new CliError(`project "${String(ctx.flags.project)}" not found in workspace "${wsName}"`)
      namespace = p.ns
    }
  }
  const items = await kube.list(API.apps, 'AppDeployment', namespace ? { namespace } : {})
  const all = !namespace
  printObjects(ctx, items, () => [
    [...(all ? ['NAMESPACE'] : []), 'NAME', 'APP', 'KIND'],
    ...items.map((a) => [
      ...(all ? [a.metadata.namespace as string] : []),
      a.metadata.name as string,
      dig<string>(a, 'spec', 'appRef', 'name') ?? '',
      dig<string>(a, 'spec', 'appRef', 'kind') ?? '',
    ]),
  ])
}

async function getNodePools(ctx: Ctx): Promise<void> {
  const name = String(ctx.flags['cluster-name'])
  const ns = String(ctx.flags.namespace ?? 'default')
  const items = await kubeOf(ctx).list(API.cluster, 'MachineDeployment', {
    namespace: ns,
    labelSelector: `${CLUSTER_NAME}=${name}`,
  })
  printObjects(ctx, items, () => [
    ['NODEPOOL', 'DESIRED', 'READY', 'KUBERNETES VERSION'],
    ...items.map((md) => [
      md.metadata.name as string,
      String(dig(md, 'spec', 'replicas') ?? 0),
      String(dig(md, 'status', 'readyReplicas') ?? 0),
      dig<string>(md, 'spec', 'template', 'spec', 'version') ?? '',
    ]),
  ])
}

/** Component versions of a release (dkp/kommander/konvoy = the release; the others inferred). */
export function componentVersions(version: string): Record<string, string> {
  const [, minor, patch] = minorOf(version)
  return {
    diagnose: `v0.${minor + 2}.${patch}`,
    dkp: version,
    kommander: version,
    konvoy: version,
    mindthegap: `v1.${minor + 3}.${patch}`,
  }
}

async function printVersion(ctx: Ctx): Promise<void> {
  const versions = componentVersions(ctx.version)
  const long = Boolean(ctx.flags.long)
  const detail = (v: string) => {
    const [maj, min] = minorOf(v)
    return {
      major: String(maj),
      minor: String(min),
      gitVersion: v,
      gitCommit: suffix(`commit/${v}`, 40).replace(/[^0-9a-f]/g, '0'),
      gitTreeState: 'clean',
      buildDate: '2024-03-01T00:00:00Z',
      goVersion: 'go1.21.6',
      compiler: 'gc',
      platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
    }
  }
  const data = long ? Object.fromEntries(Object.entries(versions).map(([k, v]) => [k, detail(v)])) : versions
  const o = str(ctx.flags.output)
  if (o === 'json') ctx.io.stdout(`${JSON.stringify(data, null, 2)}\n`)
  else if (o === 'yaml' || !o) {
    if (!long)
      ctx.io.stdout(
        Object.entries(versions)
          .map(([k, v]) => `${k}: ${v}\n`)
          .join(''),
      )
    else ctx.io.stdout(stringify(data))
  } else throw new UsageError(`--output must be 'yaml' or 'json'`)
}
