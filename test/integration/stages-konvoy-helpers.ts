// Helpers of the stages-konvoy* integration tests: stand-in dkp shims (one per fault scenario,
// each logging its invocations and pids), a collecting reporter, runStage with the test
// fleet's defaults, resourceVersion snapshots for "changes nothing", and marking the Kommander
// stages done the way an operator would (plain stand-in dkp commands, then the simulator).

import { appendFileSync, chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { StageName } from '../../src/core/stages.js'
import type { Kube } from '../../src/effects/kube.js'
import { ConsoleReporter } from '../../src/effects/reporter.js'
import { API } from '../../src/fleet/objects.js'
import { type RunOptions, runStage } from '../../src/stages/execute.js'
import type { StageResult } from '../../src/stages/types.js'
import { dkp, standinBundle } from './fleet-helpers.js'

export const root = resolve(import.meta.dirname, '../..')

export interface Shim {
  path: string
  /** Every invocation's argv (one line each, `--kubeconfig` dropped). */
  calls(): string[]
  /** Pids of the invocations. */
  pids(): number[]
  reset(): void
}

/** A `dkp` shell script exec'ing the stand-in bundle with this Node, with extra env baked in. */
export async function makeShim(name: string, env: Record<string, string> = {}): Promise<Shim> {
  const bundle = await standinBundle()
  const dir = mkdtempSync(join(tmpdir(), `dkp-shim-${name}-`))
  const path = join(dir, 'dkp')
  const log = join(dir, 'calls.log')
  const pids = join(dir, 'pids.log')
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`
  const exports = Object.entries({ DKP_STANDIN_VERSION: 'v2.8.1', DKP_STANDIN_POLL_MS: '50', ...env })
    .map(([k, v]) => `export ${k}=${q(v)}\n`)
    .join('')
  writeFileSync(
    path,
    `#!/bin/sh\n${exports}echo "$$" >> ${q(pids)}\nprintf '%s\\n' "$*" | sed 's/ --kubeconfig=[^ ]*//' >> ${q(log)}\nexec ${q(process.execPath)} ${q(bundle)} "$@"\n`,
  )
  chmodSync(path, 0o755)
  const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : [])
  return {
    path,
    calls: () => read(log),
    pids: () => read(pids).map(Number),
    reset: () => {
      writeFileSync(log, '')
      writeFileSync(pids, '')
    },
  }
}

export class Collecting extends ConsoleReporter {
  readonly lines: string[] = []
  constructor(private readonly onLine?: (line: string) => void) {
    super((t) => {
      for (const l of t.split('\n').filter(Boolean)) {
        this.lines.push(l)
        this.onLine?.(l)
      }
    })
  }
  text(): string {
    return this.lines.join('\n')
  }
}

export interface Runner {
  run(
    stage: StageName,
    cluster?: string,
    opts?: {
      shim?: Shim
      dryRun?: boolean
      timeoutMs?: number
      env?: NodeJS.ProcessEnv
      reporter?: Collecting
    },
  ): Promise<StageResult & { log: string; ms: number }>
}

/** runStage against the test fleet: inventory file, admin kubeconfig, a shim as `dkp-path`. */
export function stageRunner(
  kubeconfigPath: string,
  inventory: string,
  defaultShim: () => Shim,
  durations?: string[],
): Runner {
  return {
    async run(stage, cluster, opts = {}) {
      const reporter = opts.reporter ?? new Collecting()
      const options: RunOptions = {
        stage,
        inventory,
        ...(cluster ? { cluster } : {}),
        kubeconfig: { path: kubeconfigPath },
        allowKubeconfigEnv: false,
        dkp: { path: (opts.shim ?? defaultShim()).path, requireChecksum: false },
        dryRun: opts.dryRun ?? false,
        timeoutMs: opts.timeoutMs ?? 150_000,
        failOn: 'error',
        // The job's environment: where the executor reads how often to poll (the tests set it for speed).
        env: {
          ...(opts.env ?? { HOME: process.env.HOME ?? tmpdir(), PATH: process.env.PATH ?? '' }),
          DKP_FLEET_POLL_MS: process.env.DKP_FLEET_POLL_MS,
        },
        cwd: root,
      }
      const t0 = performance.now()
      const result = await runStage(options, reporter)
      const ms = Math.round(performance.now() - t0)
      durations?.push(
        `${stage}:${cluster ?? '-'}${opts.dryRun ? ' (dry run)' : ''} → ${result.status} in ${(ms / 1000).toFixed(1)} s`,
      )
      return { ...result, log: reporter.text(), ms }
    },
  }
}

/** `Kind ns/name → resourceVersion` for every object of the given kinds in a namespace. */
export async function resourceVersions(
  kube: Kube,
  namespace: string,
  kinds: [string, string][],
): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const [apiVersion, kind] of kinds) {
    for (const o of await kube.list(apiVersion, kind, { namespace })) {
      out.set(`${kind} ${o.metadata.namespace}/${o.metadata.name}`, String(o.metadata.resourceVersion))
    }
  }
  return out
}

export const CAPI_KINDS: [string, string][] = [
  [API.cluster, 'Cluster'],
  [API.controlPlane, 'KubeadmControlPlane'],
  [API.cluster, 'MachineDeployment'],
  [API.cluster, 'Machine'],
  [API.addons, 'ClusterResourceSet'],
  ['v1', 'ConfigMap'],
]

/**
 * Brings the Kommander side to the target the way an operator would: the stand-in's
 * `upgrade kommander`, `upgrade workspace` and `upgrade catalogapp` commands (the simulator
 * then moves the HelmReleases). Returns the commands' outputs on failure.
 */
export async function upgradeKommanderSide(kubeconfigPath: string): Promise<void> {
  const k = `--kubeconfig=${kubeconfigPath}`
  const env = { DKP_STANDIN_VERSION: 'v2.8.1' }
  const commands = [
    ['upgrade', 'kommander', k],
    ['upgrade', 'workspace', 'team-a', k],
    ['upgrade', 'workspace', 'team-b', k],
    ['upgrade', 'workspace', 'edge', k],
    ['upgrade', 'catalogapp', 'kafka-operator', '--workspace=team-a', '--to-version=0.25.1', k],
    ['upgrade', 'catalogapp', 'jenkins', '--workspace=team-b', '--to-version=4.3.20', k],
    [
      'upgrade',
      'catalogapp',
      'zookeeper-operator-m7x2q',
      '--workspace=team-a',
      '--project=payments',
      '--to-version=0.2.16-dkp.1',
      k,
    ],
    [
      'upgrade',
      'catalogapp',
      'gitlab-runner',
      '--workspace=team-b',
      '--project=ci',
      '--to-version=0.54.0',
      k,
    ],
  ]
  for (const args of commands) {
    const r = await dkp(args, env)
    if (r.code !== 0)
      throw new Error(`dkp ${args.slice(0, -1).join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`)
  }
}

export function note(file: string, line: string): void {
  appendFileSync(file, `${line}\n`)
}

/**
 * A StageContext built the way runStage builds one, for calling a stage module directly (no
 * lock, no prerequisites, no record write): edge cases that need no earlier stage.
 */
export async function moduleContext(opts: {
  kube: Kube
  kubeconfigPath: string
  inventory: import('../../src/core/model.js').Inventory
  stage: import('../../src/core/stages.js').PlanStage
  cluster: string
  shim?: Shim
  dryRun?: boolean
  targetKubernetes?: string
  /** A hop of a multi-hop plan (the stage job's plan-hop). */
  hop?: string
  reporter?: Collecting
}): Promise<import('../../src/stages/types.js').StageContext & { reporter: Collecting }> {
  const { buildPlan } = await import('../../src/core/plan.js')
  const { makeEnv } = await import('../../src/stages/execute.js')
  const { DkpRunner } = await import('../../src/effects/dkp-runner.js')
  const reporter = opts.reporter ?? new Collecting()
  const plan = buildPlan(opts.inventory, {
    ...(opts.targetKubernetes ? { targetKubernetes: opts.targetKubernetes } : {}),
    ...(opts.hop ? { hop: opts.hop } : {}),
  })
  let runner: InstanceType<typeof DkpRunner> | undefined
  const dkp = async () => {
    if (!opts.shim) throw new Error('no dkp in this test context')
    runner ??= new DkpRunner({
      binary: opts.shim.path,
      kubeconfigPath: opts.kubeconfigPath,
      onLine: (l) => reporter.info(l),
    })
    return runner
  }
  // The stages poll as the job's environment says (the tests set DKP_FLEET_POLL_MS for speed).
  const env = makeEnv({ inventory: opts.inventory, plan }, opts.kube, {
    dkp,
    pollMs: Number(process.env.DKP_FLEET_POLL_MS) || 5000,
  })
  const managed = opts.inventory.clusters.find((c) => c.name === opts.cluster && !c.attached)
  return {
    ...env,
    stage: opts.stage,
    cluster: opts.cluster,
    ...(managed && !managed.attached ? { managed } : {}),
    kubeconfigPath: opts.kubeconfigPath,
    dkp,
    reporter,
    runner: { runId: 'test', actor: 'test', holder: 'test' },
    dryRun: opts.dryRun ?? false,
    deadline: Date.now() + 120_000,
    extra: {},
    place: { cwd: process.cwd(), reportDir: tmpdir(), toolVersion: 'test' },
  }
}
