// Every CLI command as data: its summary, usage, flags (type, default, help) and examples. The
// parser (args.ts) reads the flags from here, `--help` renders them (help.ts), and the
// top-level usage lists the summaries, so a flag cannot exist without its help line. Nothing
// here loads a command's module: `dkp-fleet plan --help` stays instant.

import { UPGRADE_ORDER } from '../core/stages.js'

export interface FlagSpec {
  type: 'string' | 'boolean'
  short?: string
  multiple?: boolean
  /** The value's placeholder in help (`<glob>`, `M`). */
  arg?: string
  help: string
  /** The default as shown in help (the parser's defaults live in the options parser). */
  default?: string
}

export interface CommandSpec {
  /** `plan`, or `fleet up` for a subcommand. */
  name: string
  summary: string
  /** Usage lines after `dkp-fleet `. */
  usage: string[]
  /** A paragraph or two: what the command does. */
  about: string
  /** Positional arguments: name and help. */
  args?: { name: string; help: string }[]
  flags: Record<string, FlagSpec>
  examples: string[]
  /** `fleet`: its subcommands (each a spec of its own). */
  subcommands?: Record<string, CommandSpec>
}

const inventory = (
  help = 'inventory file(s) or glob(s); repeatable, comma separated, or several files after -i',
): FlagSpec => ({
  type: 'string',
  short: 'i',
  multiple: true,
  arg: '<glob>',
  help,
})
const kubeconfig: FlagSpec = {
  type: 'string',
  arg: 'FILE',
  help: 'management cluster kubeconfig file',
  default: "the inventory's kubeconfigEnv, then $KUBECONFIG",
}
const target: FlagSpec = {
  type: 'string',
  arg: 'vX.Y.Z',
  help: 'target DKP release, overriding the inventory',
}
const targetKubernetes: FlagSpec = {
  type: 'string',
  arg: '1.NN.P',
  help: 'target Kubernetes version, overriding the inventory',
}
const hop: FlagSpec = {
  type: 'string',
  arg: 'vX.Y.Z',
  help: "the hop of a multi-hop plan this run performs (the plan's hops[0].to); the target stays where the hops lead",
}
const timeout = (minutes: number): FlagSpec => ({
  type: 'string',
  arg: 'M',
  help: 'deadline in minutes for the API calls and dkp commands',
  default: String(minutes),
})
const dryRun = (help: string): FlagSpec => ({ type: 'boolean', help, default: 'false' })
const json = (help: string): FlagSpec => ({ type: 'boolean', help, default: 'false' })
const DKP_FLAGS: Record<string, FlagSpec> = {
  'dkp-path': {
    type: 'string',
    arg: 'PATH',
    help: 'a pre-installed dkp binary (its version is checked)',
    default: 'dkp on $PATH',
  },
  'dkp-version': {
    type: 'string',
    arg: 'vX.Y.Z',
    help: 'download this dkp release instead of using one on $PATH',
  },
  'dkp-sha256': { type: 'string', arg: 'HEX', help: 'sha256 of the dkp release tarball' },
  'dkp-download-url': { type: 'string', arg: 'TEMPLATE', help: 'mirror URL with {version}, {os}, {arch}' },
  'require-checksum': {
    type: 'boolean',
    help: 'refuse to download without a known sha256',
    default: 'false',
  },
}
const logFile: FlagSpec = {
  type: 'string',
  arg: 'FILE',
  help: "where dkp's full output goes (rendered YAML, long logs); the console shows progress and, on failure, the last lines",
  default: '$XDG_STATE_HOME/dkp-fleet/logs/<command>-<time>.log',
}

const STAGES = UPGRADE_ORDER.join(', ')

export const COMMAND_SPECS: Record<string, CommandSpec> = {
  validate: {
    name: 'validate',
    summary: 'validate inventory files',
    usage: ['validate -i <glob>'],
    about:
      'Checks the inventory files against the schema and the release data; every problem is reported at once, naming file, line and field (exit 2).',
    flags: { inventory: inventory() },
    examples: ["dkp-fleet validate -i 'fleet/*.yaml'"],
  },
  schema: {
    name: 'schema',
    summary: 'print the inventory JSON Schema',
    usage: ['schema'],
    about: 'Prints the JSON Schema of inventory files (for editors and CI linters).',
    flags: {},
    examples: ['dkp-fleet schema > fleet.schema.json'],
  },
  plan: {
    name: 'plan',
    summary: 'print the upgrade plan (table, --json, or --format markdown)',
    usage: ['plan -i <glob> [--kubeconfig FILE] [--format text|json|markdown]'],
    about:
      'Builds the upgrade plan: the management chain, the canary wave, then each wave. With a kubeconfig (--kubeconfig or $KUBECONFIG) steps already at target are marked done and the path from the live versions is checked.',
    flags: {
      inventory: inventory(),
      kubeconfig: { ...kubeconfig, default: '$KUBECONFIG (no live versions when unset)' },
      target,
      'target-kubernetes': targetKubernetes,
      format: {
        type: 'string',
        arg: 'FORMAT',
        help: 'text, json (the plan file), or markdown (what the job summary shows)',
        default: 'text',
      },
      json: json('same as --format json'),
      'timeout-minutes': timeout(10),
    },
    examples: [
      "dkp-fleet plan -i 'fleet/*.yaml'",
      'dkp-fleet plan -i examples/fleet.yaml --format markdown > plan.md',
    ],
  },
  check: {
    name: 'check',
    summary: 'pre-flight health and compatibility checks',
    usage: [
      'check --manifests DIR... --target-kubernetes 1.NN [--format FORMAT] [-o FILE]',
      'check -i <glob> [--kubeconfig FILE] [--manifests DIR]... [--fail-on LEVEL]',
    ],
    about:
      'Reports Kubernetes APIs that the target version no longer serves (and, with a fleet, the health gates). With only --manifests and --target-kubernetes it scans files and needs no cluster.',
    flags: {
      inventory: inventory(
        'the fleet inventory: health gates and the live removed-API scan of every cluster',
      ),
      kubeconfig,
      manifests: {
        type: 'string',
        multiple: true,
        arg: 'DIR',
        help: 'directory (or file) of YAML/JSON manifests; repeatable',
      },
      'target-kubernetes': {
        type: 'string',
        arg: '1.NN',
        help: "target Kubernetes version (1.29, v1.29.6); with -i it defaults to the inventory's target",
      },
      format: { type: 'string', arg: 'FORMAT', help: 'text, json or sarif', default: 'text' },
      output: { type: 'string', short: 'o', arg: 'FILE', help: 'write the report to FILE instead of stdout' },
      'fail-on': {
        type: 'string',
        arg: 'LEVEL',
        help: 'exit 1 on findings of this severity or worse: error, warning, none',
        default: 'error',
      },
      'previous-report': {
        type: 'string',
        arg: 'FILE',
        help: "the previous run's JSON report (--format json): prints a trend line (counts then and now, findings new and resolved); a bad file only warns",
      },
      'timeout-minutes': timeout(10),
    },
    examples: [
      'dkp-fleet check --manifests deploy/ --target-kubernetes 1.29',
      "dkp-fleet check -i 'fleet/*.yaml' --format sarif -o check.sarif",
    ],
  },
  run: {
    name: 'run',
    summary: 'run one stage: run <stage> -i <glob> [--cluster NAME]',
    usage: ['run <stage> -i <glob> [--cluster NAME] [options]'],
    about:
      'Runs one stage of the plan, as one job of the workflow does: skipped when already at target, else it takes the cluster lock, runs dkp and waits for the done-condition.',
    args: [{ name: '<stage>', help: `one of: ${STAGES}` }],
    flags: {
      inventory: inventory(),
      cluster: {
        type: 'string',
        short: 'c',
        arg: 'NAME',
        help: 'the cluster of a per-cluster stage (core-addons, kubernetes)',
      },
      wave: { type: 'string', arg: 'N', help: 'with verify: the gate before wave N' },
      kubeconfig,
      target,
      'target-kubernetes': targetKubernetes,
      'plan-hop': hop,
      'plan-digest': {
        type: 'string',
        arg: 'sha256:…',
        help: "refuse to run on a plan other than this digest (the plan job's output)",
      },
      ...DKP_FLAGS,
      'dry-run': dryRun('print the dkp commands instead of running them'),
      'timeout-minutes': timeout(60),
      manifests: { type: 'string', arg: 'DIRS', help: 'with check: manifests to scan too' },
      'fail-on': {
        type: 'string',
        arg: 'LEVEL',
        help: 'with check: error, warning or none',
        default: 'error',
      },
      'previous-report': {
        type: 'string',
        arg: 'FILE',
        help: "with check: the previous run's JSON report, for the summary's trend line",
      },
      'log-file': logFile,
      json: json('print the result as JSON'),
    },
    examples: [
      'dkp-fleet run kommander -i examples/fleet.yaml',
      'dkp-fleet run kubernetes -i examples/fleet.yaml --cluster prod-eu-1 --dry-run',
    ],
  },
  upgrade: {
    name: 'upgrade',
    summary: 'upgrade the whole fleet locally, wave by wave',
    usage: ['upgrade -i <glob> [--max-parallel N] [--clusters a,b] [--until STAGE] [--dry-run]'],
    about:
      "Runs the whole plan on this machine with the workflow's rules: the management chain, the canary wave, then each wave at maxParallel clusters at once, the verify gate before each wave; more failed clusters than failureThreshold halt the later waves. Pause markers stop it, maintenance windows defer clusters, each cluster is locked while it changes. Run it again to continue: steps already done are skipped.",
    flags: {
      inventory: inventory(),
      kubeconfig,
      target,
      'target-kubernetes': targetKubernetes,
      'all-hops': {
        type: 'boolean',
        help: 'when the target is more than one minor away, run every hop (each with its own dkp: give --dkp-download-url) instead of the first',
      },
      'max-parallel': {
        type: 'string',
        arg: 'N',
        help: 'clusters upgraded at once inside a wave',
        default: "the inventory's rollout.maxParallel",
      },
      clusters: {
        type: 'string',
        arg: 'a,b',
        help: 'only these managed clusters (the management chain still runs)',
      },
      until: { type: 'string', arg: 'STAGE', help: `stop after this stage (one of: ${STAGES})` },
      ...DKP_FLAGS,
      'dry-run': dryRun('print what would run, change nothing'),
      'timeout-minutes': timeout(60),
      'log-file': logFile,
      json: json('one JSON event per line (step started/finished, with status)'),
    },
    examples: [
      'dkp-fleet upgrade -i examples/fleet.yaml --max-parallel 2',
      "dkp-fleet upgrade -i 'fleet/*.yaml' --clusters prod-eu-1,prod-us-1 --until core-addons --dry-run",
    ],
  },
  install: {
    name: 'install',
    summary: 'install the pinned dkp CLI, print its path',
    usage: ['install --version vX.Y.Z [options]'],
    about:
      'Installs the dkp CLI: from the tool cache when a verified copy is there (re-hashed on every use), else downloaded, its sha256 checked before extraction, `dkp version` checked, then cached. Prints the path of the dkp binary on stdout; progress and warnings go to stderr. Cache: $RUNNER_TOOL_CACHE on GitHub runners, else $XDG_CACHE_HOME/dkp-fleet/tool-cache (default ~/.cache/dkp-fleet/tool-cache).',
    flags: {
      version: { type: 'string', arg: 'vX.Y.Z', help: 'dkp release to install (required)' },
      sha256: {
        type: 'string',
        arg: 'HEX',
        help: 'sha256 of the release tarball (with --dkp-path: of the binary)',
        default: 'the shipped table',
      },
      url: {
        type: 'string',
        arg: 'TEMPLATE',
        help: 'mirror URL with {version}, {os}, {arch}',
        default: 'the official download URL',
      },
      'require-checksum': {
        type: 'boolean',
        help: 'refuse to download when no sha256 is known',
        default: 'false',
      },
      'dkp-path': {
        type: 'string',
        arg: 'PATH',
        help: 'use this pre-installed binary (or a directory holding dkp); its version is checked',
      },
      quiet: {
        type: 'boolean',
        short: 'q',
        help: 'no progress lines (warnings still go to stderr)',
        default: 'false',
      },
    },
    examples: ['DKP=$(dkp-fleet install --version v2.8.1)'],
  },
  status: {
    name: 'status',
    summary: 'fleet status from live state and the run record',
    usage: ['status [-i <glob>] [--kubeconfig FILE] [--format text|json|markdown]'],
    about:
      "One table of the fleet from live state plus the run record: versions, last step, locks, pause, each plan step's done-condition. Without -i, the running demo fleet's inventory is used.",
    flags: {
      inventory: inventory(),
      kubeconfig,
      target,
      'target-kubernetes': targetKubernetes,
      format: {
        type: 'string',
        arg: 'FORMAT',
        help: 'text, json or markdown (what the job summary shows)',
        default: 'text',
      },
      json: json('same as --format json'),
      'timeout-minutes': timeout(10),
    },
    examples: ['dkp-fleet status -i examples/fleet.yaml', 'dkp-fleet status --json'],
  },
  pause: {
    name: 'pause',
    summary: 'pause the fleet upgrade (stages end deferred)',
    usage: ['pause [--reason TEXT] [-i <glob>] [--kubeconfig FILE]'],
    about:
      "Sets the fleet's pause marker on the management cluster: every mutating stage then ends deferred without changing anything. Pausing again updates the reason.",
    flags: {
      inventory: inventory(),
      kubeconfig,
      target,
      'target-kubernetes': targetKubernetes,
      reason: { type: 'string', arg: 'TEXT', help: 'why (shown by status and in deferred results)' },
      'dry-run': dryRun('say what would change'),
      'timeout-minutes': timeout(10),
    },
    examples: ["dkp-fleet pause -i examples/fleet.yaml --reason 'incident 4711'"],
  },
  resume: {
    name: 'resume',
    summary: 'resume a paused fleet upgrade',
    usage: ['resume [-i <glob>] [--kubeconfig FILE]'],
    about:
      "Removes the fleet's pause marker. Nothing else changes: the next run continues (steps already done skip).",
    flags: {
      inventory: inventory(),
      kubeconfig,
      target,
      'target-kubernetes': targetKubernetes,
      'dry-run': dryRun('say what would change'),
      'timeout-minutes': timeout(10),
    },
    examples: ['dkp-fleet resume -i examples/fleet.yaml'],
  },
  fleet: {
    name: 'fleet',
    summary: 'fleet up|down: a local simulated DKP fleet (dev/demo)',
    usage: ['fleet up [options]', 'fleet down'],
    about:
      'A local simulated DKP fleet: a real kube-apiserver + etcd with the DKP CRDs, simulated controllers and a stand-in dkp.',
    flags: {},
    examples: ['eval "$(dkp-fleet fleet up --demo)"', 'dkp-fleet fleet down'],
    subcommands: {
      up: {
        name: 'fleet up',
        summary: 'start a simulated fleet and print the shell exports',
        usage: ['fleet up [-i <glob>]... [--dkp vX.Y.Z | --nkp vX.Y.Z] [--dir DIR] [--bare] [--demo]'],
        about:
          "Starts a real kube-apiserver + etcd in the background, seeds the inventory's fleet at --dkp, runs the simulated controllers, and prints `export KUBECONFIG=...` and `export PATH=<dir with the stand-in dkp>:$PATH` (progress goes to stderr).",
        flags: {
          inventory: {
            ...inventory('inventory of the fleet to seed'),
            default: "the package's examples/fleet.yaml",
          },
          dkp: {
            type: 'string',
            arg: 'vX.Y.Z',
            help: 'the release the fleet starts at',
            default: "the release before the inventory's target",
          },
          nkp: {
            type: 'string',
            arg: 'vX.Y.Z',
            help: 'seed an NKP release (2.12+) instead; vX.Y.x takes the newest patch of that minor. The stand-in is on PATH as dkp and as nkp',
          },
          dir: {
            type: 'string',
            arg: 'DIR',
            help: "the fleet's files",
            default: 'a new temporary directory',
          },
          bare: {
            type: 'boolean',
            help: 'control plane and CRDs only (no seeding, no controllers)',
            default: 'false',
          },
          demo: {
            type: 'boolean',
            help: 'realistic timing (a control plane rolls in about 30 s)',
            default: 'false',
          },
        },
        examples: [
          'eval "$(dkp-fleet fleet up --demo)"',
          'eval "$(dkp-fleet fleet up -i examples/fleet.yaml --dkp v2.7.1)"',
        ],
      },
      down: {
        name: 'fleet down',
        summary: 'stop the fleet and remove its files',
        usage: ['fleet down'],
        about: 'Stops the running simulated fleet and removes its files.',
        flags: {},
        examples: ['dkp-fleet fleet down'],
      },
    },
  },
}
