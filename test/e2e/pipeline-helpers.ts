// Helpers of the workflow e2e tests: the action as the reusable workflow checks it out (a
// snapshot of action.yml + dist/, so a concurrent `npm run build` cannot pull it away mid-run),
// the stand-in dkp shim, a dispatcher for the shipped workflows on the workflow runner, and
// reads of the fleet's live state for assertions.

import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { expect } from 'vitest'
import { dkpCacheKeyFor, dkpPlatform, dkpTarballName } from '../../src/core/download.js'
import type { Inventory } from '../../src/core/model.js'
import { isManaged } from '../../src/core/model.js'
import type { Kube } from '../../src/effects/kube.js'
import { API, dig } from '../../src/fleet/objects.js'
import { expectPlatformAt } from '../helpers/release-shape.js'
import { startTarballServer, type TarballServer } from '../helpers/tarball-server.js'
import {
  allJobs,
  allLegs,
  type JobRun,
  type RunnerOptions,
  runWorkflow,
  type WorkflowRun,
} from './workflow-runner.js'

export const ROOT = resolve(import.meta.dirname, '../..')
export const UPGRADE_WORKFLOW = '.github/workflows/dkp-fleet-upgrade.yml'
export const TARGET = { dkp: 'v2.8.1', kubernetes: 'v1.28.7' }

/** action.yml + dist/ copied to a temp dir: what the workflow's sparse checkout holds. */
export function actionSnapshot(): string {
  if (!existsSync(join(ROOT, 'dist/index.js')) || !existsSync(join(ROOT, 'dist/post.js')))
    throw new Error('dist/ is not built: run `npm run build` (npm test does it first)')
  const dir = mkdtempSync(join(tmpdir(), 'dkp-fleet-action-'))
  cpSync(join(ROOT, 'action.yml'), join(dir, 'action.yml'))
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true })
  return dir
}

/** `dkp` shim exec'ing the stand-in bundle with this Node (docs/test-fleet.md). */
export function standinShim(actionDir: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dkp-standin-bin-'))
  const path = join(dir, 'dkp')
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`
  writeFileSync(
    path,
    `#!/bin/sh\nexec ${q(process.execPath)} ${q(join(actionDir, 'dist/dkp-standin.js'))} "$@"\n`,
  )
  chmodSync(path, 0o755)
  return path
}

export interface Dispatcher {
  actionDir: string
  shim: string
  approvals: { job: string; environment: string }[]
  /** Removes the action snapshot, the shim and the runs' temp files (KEEP_E2E_TMP=1 keeps them). */
  cleanup(): void
  dispatch(
    inputs: Record<string, string | boolean>,
    options?: Partial<RunnerOptions> & { faults?: Record<string, string> },
  ): Promise<WorkflowRun>
}

let runCounter = 0

/** Runs the shipped upgrade workflow (or a caller of it) against the test fleet. */
export function dispatcher(
  kubeconfig: () => string,
  log: (line: string) => void = () => {},
  /** The release the stand-in reports (an NKP one answers as `nkp`). */
  standinVersion: string = TARGET.dkp,
): Dispatcher {
  const actionDir = actionSnapshot()
  const shim = standinShim(actionDir)
  const approvals: Dispatcher['approvals'] = []
  const scratch = mkdtempSync(join(tmpdir(), 'wf-e2e-'))
  mkdirSync(scratch, { recursive: true })
  return {
    actionDir,
    shim,
    approvals,
    cleanup() {
      if (process.env.KEEP_E2E_TMP) return
      for (const dir of [actionDir, dirname(shim), scratch]) rmSync(dir, { recursive: true, force: true })
    },
    async dispatch(inputs, options = {}) {
      const { faults, ...rest } = options
      const runId = String(9_000_000 + ++runCounter)
      return runWorkflow({
        file: UPGRADE_WORKFLOW,
        event: 'workflow_dispatch',
        workspace: ROOT,
        inputs,
        secrets: { DKP_MGMT_KUBECONFIG: kubeconfig() },
        localActions: { './.dkp-fleet/action': actionDir },
        workflows: {
          'dkp-fleet-upgrade/dkp-fleet-upgrade/.github/workflows/dkp-fleet-upgrade.yml': join(
            ROOT,
            UPGRADE_WORKFLOW,
          ),
        },
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME ?? tmpdir(),
          // The stand-in dkp reports this release; the stages poll fast; the fault switches.
          DKP_STANDIN_VERSION: standinVersion,
          DKP_STANDIN_POLL_MS: '50',
          DKP_FLEET_POLL_MS: '100',
          ...faults,
        },
        runId,
        tempRoot: join(scratch, `run-${runId}`),
        approve: (request) => {
          approvals.push(request)
          return true
        },
        onJob: (job: JobRun) =>
          log(
            `  ${job.id.padEnd(32)} ${job.result.padEnd(9)} ${(job.ms / 1000).toFixed(1).padStart(5)} s${job.legs.length > 1 ? ` (${job.legs.length} legs, ≤ ${job.peakParallel} at once)` : ''}`,
          ),
        ...rest,
      })
    },
  }
}

/** A release tarball on disk holding `dkp` (or `nkp`) = the file at `binary` (the stand-in shim, or a forgery). */
export function dkpTarball(
  binary: string,
  dir: string,
  member: 'dkp' | 'nkp' = 'dkp',
): { data: Buffer; sha256: string } {
  const build = mkdtempSync(join(dir, 'tgz-'))
  cpSync(binary, join(build, member))
  chmodSync(join(build, member), 0o755)
  const file = join(dir, `${Date.now()}-${Math.random().toString(36).slice(2)}.tar.gz`)
  execFileSync('tar', ['-czf', file, '-C', build, member])
  rmSync(build, { recursive: true, force: true })
  const data = readFileSync(file)
  return { data, sha256: createHash('sha256').update(data).digest('hex') }
}

export interface StandinMirror {
  /** `dkp-download-url` for the workflow. */
  template: string
  /** sha256 of the served tarball (`dkp-sha256`). */
  sha256: string
  /** The plan job's `dkp-cache-key` for this tarball on this machine. */
  cacheKey: string
  /** The tarball's published name (what the tarball cache holds). */
  name: string
  /** Download requests for the tarball so far. */
  requests(): number
  server: TarballServer
  close(): Promise<void>
}

/**
 * A loopback HTTP mirror (test/helpers/tarball-server.ts) serving the stand-in dkp as the
 * release tarball of TARGET.dkp for this machine's platform, with a request count.
 */
export async function standinMirror(d: Dispatcher, version: string = TARGET.dkp): Promise<StandinMirror> {
  const server = await startTarballServer()
  const dir = mkdtempSync(join(tmpdir(), 'dkp-mirror-'))
  // An NKP release tarball holds `nkp` (3P)
  const tgz = dkpTarball(d.shim, dir, /^v2\.1\d\./.test(version) ? 'nkp' : 'dkp')
  const platform = dkpPlatform(process.platform, process.arch)
  const name = dkpTarballName(version, platform)
  const path = `/dkp/${version}/${name}`
  server.serve(path, tgz.data)
  return {
    template: `${server.origin}/dkp/{version}/dkp_{version}_{os}_{arch}.tar.gz`,
    sha256: tgz.sha256,
    cacheKey: dkpCacheKeyFor({
      version,
      sha256: tgz.sha256,
      platform: { platform: process.platform, arch: process.arch },
    }),
    name,
    requests: () => server.count(path),
    server,
    async close() {
      await server.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** The action's `result` output of a job's stage step(s), by cluster. */
export function stageResults(
  job: JobRun | undefined,
): { cluster: string; stage: string; status: string; commands: string[] }[] {
  if (!job) return []
  return job.legs.flatMap((leg) =>
    leg.steps
      .filter((s) => s.kind === 'action' && s.outputs.result)
      .map(
        (s) =>
          JSON.parse(s.outputs.result!) as {
            cluster: string
            stage: string
            status: string
            commands: string[]
          },
      ),
  )
}

export function job(run: WorkflowRun, id: string): JobRun {
  const j = allJobs(run).find((x) => x.id === id || x.id.endsWith(` / ${id}`))
  if (!j) throw new Error(`no job ${id} in the run`)
  return j
}

/** The first failing step's log of a job (for assertion messages). */
export function failureLog(j: JobRun): string {
  for (const leg of j.legs)
    for (const s of leg.steps)
      if (s.outcome === 'failure') return `${leg.name} › ${s.name}:\n${s.log.slice(-4000)}`
  return j.reason ?? ''
}

const KINDS: [string, string][] = [
  [API.cluster, 'Cluster'],
  [API.controlPlane, 'KubeadmControlPlane'],
  [API.cluster, 'MachineDeployment'],
  [API.cluster, 'MachineSet'],
  [API.cluster, 'Machine'],
  [API.addons, 'ClusterResourceSet'],
  [API.addons, 'ClusterResourceSetBinding'],
  [API.clusterctl, 'Provider'],
  [API.helm, 'HelmRelease'],
  [API.source, 'GitRepository'],
  [API.apps, 'AppDeployment'],
  [API.apps, 'App'],
  [API.apps, 'ClusterApp'],
  [API.workspaces, 'Workspace'],
  [API.workspaces, 'Project'],
  [API.kommander, 'KommanderCluster'],
  [API.dkp, 'KommanderCore'],
  [API.velero, 'Backup'],
  ['infrastructure.cluster.x-k8s.io/v1beta2', 'AWSMachineTemplate'],
  ['bootstrap.cluster.x-k8s.io/v1beta1', 'KubeadmConfigTemplate'],
]

/** `Kind ns/name → resourceVersion` of every CAPI/Kommander/Flux/Velero object. */
export async function resourceVersions(kube: Kube): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const [apiVersion, kind] of KINDS) {
    for (const o of await kube.list(apiVersion, kind)) {
      out.set(`${kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`, String(o.metadata.resourceVersion))
    }
  }
  return out
}

/** Kubernetes version (spec) of each cluster's control plane and node pools, by cluster name. */
export async function clusterVersions(
  kube: Kube,
): Promise<Map<string, { controlPlane: string; pools: string[] }>> {
  const out = new Map<string, { controlPlane: string; pools: string[] }>()
  for (const kcp of await kube.list(API.controlPlane, 'KubeadmControlPlane')) {
    const cluster =
      kcp.metadata.labels?.['cluster.x-k8s.io/cluster-name'] ??
      kcp.metadata.name!.replace(/-control-plane$/, '')
    out.set(cluster, { controlPlane: String(dig(kcp, 'spec', 'version')), pools: [] })
  }
  for (const md of await kube.list(API.cluster, 'MachineDeployment')) {
    const cluster = String(dig(md, 'spec', 'clusterName'))
    const entry = out.get(cluster) ?? { controlPlane: '', pools: [] }
    entry.pools.push(String(dig(md, 'spec', 'template', 'spec', 'version')))
    out.set(cluster, entry)
  }
  return out
}

/** Every KCP, MachineDeployment, Machine, HelmRelease and AppDeployment at the target. */
export async function expectFleetAtTarget(kube: Kube, inventory: Inventory): Promise<void> {
  const k8s = TARGET.kubernetes
  const kcps = await kube.list(API.controlPlane, 'KubeadmControlPlane')
  expect(kcps.length).toBe(inventory.clusters.filter(isManaged).length + 1)
  for (const kcp of kcps) {
    expect(dig(kcp, 'spec', 'version'), kcp.metadata.name).toBe(k8s)
    expect(kcp.status, kcp.metadata.name).toMatchObject({ version: k8s, unavailableReplicas: 0 })
  }
  for (const md of await kube.list(API.cluster, 'MachineDeployment')) {
    expect(dig(md, 'spec', 'template', 'spec', 'version'), md.metadata.name).toBe(k8s)
    expect(md.status, md.metadata.name).toMatchObject({ phase: 'Running', unavailableReplicas: 0 })
  }
  for (const m of await kube.list(API.cluster, 'Machine'))
    expect(dig(m, 'status', 'nodeInfo', 'kubeletVersion'), m.metadata.name).toBe(k8s)
  await expectPlatformAt(kube, TARGET.dkp)
  const catalog = new Map(
    inventory.workspaces
      .flatMap((w) => [...w.apps, ...w.projects.flatMap((p) => p.apps)])
      .map((a) => [a.name, a.version]),
  )
  for (const ad of await kube.list(API.apps, 'AppDeployment')) {
    const ref = dig<{ kind: string; name: string }>(ad, 'spec', 'appRef')!
    const name = ad.metadata.name!
    if (ref.kind === 'App' && catalog.has(name))
      expect(ref.name.endsWith(`-${catalog.get(name)}`), `${ad.metadata.namespace}/${name}`).toBe(true)
  }
  const kommander = await kube.get(API.helm, 'HelmRelease', 'kommander', 'kommander')
  expect(dig(kommander, 'status', 'history', 0, 'chartVersion')).toBe(TARGET.dkp)
}

/** The management jobs whose stage runs dkp (reference/dkp.md §2). */
export const DKP_MGMT_JOBS = [
  'kommander',
  'workspaces',
  'workspace-apps',
  'project-apps',
  'capi-components',
  'core-addons',
  'kubernetes',
]

/**
 * The stage jobs and the dkp job's tarball: every job that may run dkp (the management dkp
 * stages, the gates, the wave legs, verify) took the dkp job's artifact (its download step green
 * in every leg that ran), and every stage step that installed dkp found that tarball and
 * verified it against the pin before use (one install per stage step); no stage step downloaded
 * dkp, restored the Actions cache or saw another sha256. Returns the names of the legs, one
 * entry per install.
 */
export function expectStageJobsTookTheArtifact(run: WorkflowRun, sha: string): string[] {
  const kind = (id: string) => id.replace(/^(wave|gate)-\d+$/, '$1')
  const takers = allLegs(run).filter(({ leg }) => leg.steps.some((s) => s.id === 'dkp-tarball'))
  expect(new Set(takers.map(({ job }) => kind(job)))).toEqual(
    new Set([...DKP_MGMT_JOBS, 'gate', 'wave', 'verify']),
  )
  expect(run.cache.events.filter((e) => e.job !== 'dkp' && !e.job.startsWith('another'))).toEqual([])
  const installed: string[] = []
  for (const { leg } of takers) {
    const download = leg.steps.find((s) => s.id === 'dkp-tarball')!
    expect(download.outcome, leg.name).toBe('success')
    for (const s of leg.steps.filter((x) => x.kind === 'action')) {
      const where = `${leg.name} › ${s.name}`
      expect(s.log, where).not.toContain('downloading dkp')
      expect(s.log, where).not.toMatch(/has sha256 [0-9a-f]{64}, but/)
      const installs = s.log.split('\n').filter((l) => l.startsWith(`dkp ${TARGET.dkp} (`))
      if (installs.length === 0) continue
      expect(installs.length, where).toBe(1)
      // A second stage in a leg uses that runner's tool cache (the binary re-hashed).
      if (installs[0]!.startsWith(`dkp ${TARGET.dkp} (cache, `)) continue
      expect(installs[0], where).toMatch(/ \(tarball-cache, sha256 /)
      expect(s.log, where).toContain(`found dkp ${TARGET.dkp} in the tarball cache: `)
      expect(s.log, where).toContain(`sha256 matches the pinned value (${sha})`)
      installed.push(leg.name)
    }
  }
  expect(installed.length).toBeGreaterThan(0)
  return installed
}
