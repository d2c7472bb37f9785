// The Kommander chain (kommander → workspaces → workspace-apps → project-apps) through the
// executor on the real apiserver: the example fleet seeded at DKP v2.7.1, the simulated
// controllers running, the stand-in dkp behind a shim. Each stage is asserted on the cluster
// objects it must change; second runs are `skipped` with no dkp command; dry runs change no
// resourceVersion; refusals and stand-in failures are reported with what the user needs.

import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Inventory } from '../../src/core/model.js'
import type { PlanStage, StageName } from '../../src/core/stages.js'
import { pendingTexts } from '../../src/core/step-state.js'
import { loadInventory } from '../../src/effects/inventory-files.js'
import type { AnyObject } from '../../src/effects/kube.js'
import { ConsoleReporter } from '../../src/effects/reporter.js'
import { packageRoot } from '../../src/fleet/control-plane.js'
import { API } from '../../src/fleet/objects.js'
import { RELEASES } from '../../src/fleet/release-table.js'
import { projectNamespace, seedFleet } from '../../src/fleet/seed.js'
import { type Simulator, startSimulator } from '../../src/fleet/sim/index.js'
import { loadPlan, makeEnv, runStage } from '../../src/stages/execute.js'
import { loadStage } from '../../src/stages/registry.js'
import type { StageResult } from '../../src/stages/types.js'
import { workloadCluster } from '../../src/stages/workload-kube.js'
import { releaseClusterApp } from '../helpers/release-shape.js'
import { useTestCluster } from '../kube/harness.js'

const tc = useTestCluster()
const root = packageRoot()
const FROM = 'v2.7.1'
const TARGET = 'v2.8.1'
const INVENTORY = join(root, 'examples', 'fleet.yaml')
const work = mkdtempSync(join(tmpdir(), 'dkp-fleet-kommander-it-'))
const durations: Record<string, number> = {}

let inventory: Inventory
let sim: Simulator
let dkpPath: string

/** Environment the stand-in reads (the runner passes process.env to dkp). */
function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]))
  Object.assign(process.env, vars)
  return fn().finally(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  })
}

interface Run {
  result: StageResult
  lines: string[]
  out: string
}

async function run(
  stage: StageName,
  opts: { dryRun?: boolean; inventory?: string; env?: Record<string, string> } = {},
): Promise<Run> {
  const lines: string[] = []
  const reporter = new ConsoleReporter((t) => lines.push(...t.replace(/\n$/, '').split('\n')))
  const result = await withEnv(opts.env ?? {}, () =>
    runStage(
      {
        stage,
        inventory: opts.inventory ?? INVENTORY,
        kubeconfig: { path: tc.kubeconfigPath },
        allowKubeconfigEnv: false,
        dkp: { path: dkpPath, requireChecksum: false },
        dryRun: opts.dryRun ?? false,
        timeoutMs: 170_000,
        failOn: 'error',
        env: process.env,
        cwd: root,
      },
      reporter,
    ),
  )
  if (process.env.STAGES_IT_LOG)
    console.log(
      `--- ${stage}${opts.dryRun ? ' (dry run)' : ''}\n${lines.join('\n')}\n=> ${JSON.stringify(result, null, 1)}`,
    )
  if (!opts.dryRun && result.status !== 'failed') {
    durations[`${stage}${durations[stage] === undefined ? '' : ' (again)'}`] =
      Date.parse(result.finished) - Date.parse(result.started)
  }
  return { result, lines, out: lines.join('\n') }
}

const get = (apiVersion: string, kind: string, name: string, namespace?: string) =>
  tc.kube.get(apiVersion, kind, name, namespace) as Promise<AnyObject>
const appRef = async (name: string, ns: string) =>
  ((await get(API.apps, 'AppDeployment', name, ns)).spec as { appRef: { name: string } }).appRef.name
const hrVersion = async (name: string, ns: string) => {
  const hr = (await get(API.helm, 'HelmRelease', name, ns)) as AnyObject & {
    spec: { chart: { spec: { version: string } } }
    status: { history?: { chartVersion: string }[]; conditions?: { type: string; status: string }[] }
  }
  const ready = hr.status.conditions?.find((c) => c.type === 'Ready')?.status
  return `${hr.spec.chart.spec.version}/${hr.status.history?.[0]?.chartVersion}/${ready}`
}

/** resourceVersion of every object of the kinds the Kommander stages touch. */
async function versions(): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const [apiVersion, kind] of [
    [API.helm, 'HelmRelease'],
    [API.apps, 'AppDeployment'],
    [API.apps, 'App'],
    [API.apps, 'ClusterApp'],
    [API.dkp, 'KommanderCore'],
    [API.source, 'GitRepository'],
  ] as const) {
    for (const o of await tc.kube.list(apiVersion, kind)) {
      out.set(`${kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`, o.metadata.resourceVersion!)
    }
  }
  return out
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A stage's done-condition read with a fresh management client, as verify and plan read it. */
async function statusOf(name: PlanStage) {
  const loaded = await loadPlan({ inventory: INVENTORY, cwd: root }, new ConsoleReporter(() => {}))
  const env = makeEnv(loaded, tc.client())
  return (await loadStage(name)).status(env, inventory.management.name)
}

/** The kubeconfig path is a fresh temp file per run: compare command lines without it. */
const bareCommands = (r: StageResult) => r.commands.map((c) => c.replace(/ --kubeconfig=\S+$/, ''))

beforeAll(async () => {
  inventory = (await loadInventory(INVENTORY)).inventory
  await seedFleet(tc.kube, inventory, { dkp: FROM, kubeconfig: readFileSync(tc.kubeconfigPath, 'utf8') })
  sim = await startSimulator(tc.client(), { intervalMs: 50 })
  // The stand-in dkp bundled from source into the temp dir (the same esbuild settings as
  // scripts/build.mjs, without touching dist/): always current, and it starts in well under a
  // second where `node --import tsx` takes several.
  const { build } = await import('esbuild')
  const bundle = join(work, 'dkp-standin.mjs')
  await build({
    entryPoints: [join(root, 'src', 'fleet', 'dkp-standin.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22.19',
    outfile: bundle,
    banner: {
      js: "import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);",
    },
    logLevel: 'warning',
  })
  dkpPath = join(work, 'dkp')
  writeFileSync(
    dkpPath,
    `#!/bin/sh\n: "\${DKP_STANDIN_VERSION:=${TARGET}}"\nexport DKP_STANDIN_VERSION\nexec '${process.execPath}' '${bundle}' "$@"\n`,
  )
  chmodSync(dkpPath, 0o755)
  process.env.DKP_FLEET_POLL_MS = '100'
})

afterAll(async () => {
  await sim?.stop()
  rmSync(work, { recursive: true, force: true })
  delete process.env.DKP_FLEET_POLL_MS
  console.log(`Kommander chain stage durations (ms) on the example fleet: ${JSON.stringify(durations)}`)
})

describe('Kommander chain on the example fleet', () => {
  it('workspaces refuses to start before kommander, naming the missing stage', async () => {
    const { result } = await run('workspaces')
    expect(result.status).toBe('failed')
    expect(result.message).toMatch(
      /^refusing to start workspaces:mgmt: kommander is not done on mgmt \(HelmRelease kommander\/kommander chart v2\.7\.1 \(want v2\.8\.1\)/,
    )
    expect(result.commands).toEqual([])
  })

  it('backup (prerequisite of kommander) completes', async () => {
    const { result } = await run('backup')
    expect(result.status).toBe('upgraded')
  })

  it('kommander dry run prints the command and changes nothing', async () => {
    const before = await versions()
    const { result, out } = await run('kommander', { dryRun: true })
    expect(result.status).toBe('dry-run')
    expect(bareCommands(result)).toEqual(['dkp upgrade kommander'])
    expect(out).toMatch(/dry run: would run dkp upgrade kommander --kubeconfig=/)
    expect(result.from).toBe(FROM)
    expect(await versions()).toEqual(before)
  })

  it('kommander: dkp failing halfway fails the stage with the command, exit code and last lines; the step stays not done', async () => {
    // exit 1 after the GitRepository, the release's new ClusterApps, both Kommander
    // HelmReleases, and only three of the platform AppDeployments repointed
    const from = RELEASES.platform(FROM)!
    const to = RELEASES.platform(TARGET)!
    const newClusterApps = to
      .apps()
      .flatMap((a) => to.versions(a).filter((v) => !from.versions(a).includes(v)))
    const writes = 1 + newClusterApps.length + 2 + 3
    const { result } = await run('kommander', { env: { DKP_STANDIN_FAIL: `upgrade-kommander:${writes}` } })
    expect(result.status).toBe('failed')
    expect(bareCommands(result)).toEqual(['dkp upgrade kommander'])
    expect(result.message).toMatch(
      /^dkp upgrade kommander --kubeconfig=\S+ exited with code 1; last output:\n(?: {2}.*\n)* {2}.*DKP_STANDIN_FAIL/,
    )
    // the simulated helm-controller releases the new chart; platform apps still point at old ClusterApps
    for (let i = 0; i < 200 && (await hrVersion('kommander', 'kommander')) !== 'v2.8.1/v2.8.1/True'; i++)
      await sleep(100)
    expect(await hrVersion('kommander', 'kommander')).toBe('v2.8.1/v2.8.1/True')
    const state = await statusOf('kommander')
    expect(state.done).toBe(false)
    expect(pendingTexts(state).join('\n')).toMatch(
      /platform AppDeployments not on release v2\.8\.1's ClusterApps: kommander\/\S+ → \S+ \(want /,
    )
  })

  it('kommander re-run upgrades Kommander and the management platform apps', async () => {
    const { result, out } = await run('kommander')
    expect(result, out).toMatchObject({ status: 'upgraded', to: TARGET })
    expect(bareCommands(result)).toEqual(['dkp upgrade kommander'])
    expect(result.evidence).toContain('HelmRelease kommander/kommander at v2.8.1, Ready')
    expect(result.evidence).toContain('KommanderCore kommander-core status.version v2.8.1')
    expect(await hrVersion('kommander', 'kommander')).toBe('v2.8.1/v2.8.1/True')
    expect(result.evidence?.join('\n')).toMatch(
      /HelmReleases of \d+ enabled apps in kommander at the chart versions of https:\/\/github\.com\/mesosphere\/kommander-applications\/tree\/v2\.8\.1/,
    )
    expect(await appRef('traefik', 'kommander')).toBe('traefik-26.0.0')
    expect(await hrVersion('traefik', 'kommander')).toBe('26.0.0/26.0.0/True')
    // the chart version the release lists, not the app version (gitea 8.2.1 → chart 8.2.0)
    expect(await appRef('gitea', 'kommander')).toBe('gitea-8.2.1')
    expect(await hrVersion('gitea', 'kommander')).toBe('8.2.0/8.2.0/True')
    expect(await hrVersion('cert-manager-crds', 'kommander')).toBe('v1.14.2/v1.14.2/True')
    const core = await get(API.dkp, 'KommanderCore', 'kommander-core')
    expect((core.status as { version: string }).version).toBe(TARGET)
    // workspaces are not touched by this stage
    expect(await appRef('traefik', 'team-a-x7k2p')).toBe(releaseClusterApp(FROM, 'traefik'))
  })

  it('kommander again: skipped, no dkp command, nothing changed', async () => {
    const before = await versions()
    const { result } = await run('kommander')
    expect(result).toMatchObject({ status: 'skipped', from: TARGET, commands: [] })
    expect(result.message).toBe('already at target')
    expect(await versions()).toEqual(before)
  })

  it('workspaces refuses an inventory namespace that differs from the live Workspace, running nothing', async () => {
    const wrong = join(work, 'wrong-namespace.yaml')
    writeFileSync(
      wrong,
      readFileSync(INVENTORY, 'utf8').replace('namespace: team-b-m4q9z', 'namespace: team-b-typo'),
    )
    const { result } = await run('workspaces', { inventory: wrong })
    expect(result).toMatchObject({ status: 'failed', commands: [] })
    expect(result.message).toBe(
      'refusing to upgrade workspace platform apps: 1 item(s) cannot be upgraded, nothing was run:\n- workspace team-b: the inventory gives workspace team-b namespace team-b-typo, but its Workspace uses team-b-m4q9z: fix workspaces[].namespace (or leave it out to read it from the cluster)',
    )
  })

  it('workspaces dry run lists one command per workspace and changes nothing', async () => {
    const before = await versions()
    const { result, out } = await run('workspaces', { dryRun: true })
    expect(result.status).toBe('dry-run')
    expect(bareCommands(result)).toEqual([
      'dkp upgrade workspace team-a',
      'dkp upgrade workspace team-b',
      'dkp upgrade workspace edge',
    ])
    expect(out).toContain(
      `workspace team-a (team-a-x7k2p): platform AppDeployments not on release v2.8.1's ClusterApps: `,
    )
    expect(out).toContain(
      `team-a-x7k2p/cert-manager → ${releaseClusterApp(FROM, 'cert-manager')} (want cert-manager-1.14.2)`,
    )
    expect(await versions()).toEqual(before)
  })

  it('workspaces upgrades the platform apps of every workspace and its projects', async () => {
    const { result, out } = await run('workspaces')
    expect(result.status, out).toBe('upgraded')
    expect(bareCommands(result)).toEqual([
      'dkp upgrade workspace team-a',
      'dkp upgrade workspace team-b',
      'dkp upgrade workspace edge',
    ])
    for (const ns of ['team-a-x7k2p', 'team-b-m4q9z', 'edge-p2w8d']) {
      expect(await appRef('traefik', ns)).toBe('traefik-26.0.0')
      expect(await appRef('kubernetes-dashboard', ns)).toBe('kubernetes-dashboard-6.0.9')
      expect(await hrVersion('traefik', ns)).toBe('26.0.0/26.0.0/True')
      expect(await hrVersion('kubernetes-dashboard', ns)).toBe('6.0.8/6.0.8/True')
      expect(await hrVersion('gatekeeper-proxy-mutations', ns)).toBe('v0.0.1/v0.0.1/True')
    }
    const payments = projectNamespace('team-a', 'payments')
    const pgl = RELEASES.platform(TARGET)!.versions('project-grafana-logging')[0]!
    const pglChart = RELEASES.platform(TARGET)!.helmReleases('project-grafana-logging', pgl)![0]!.chartVersion
    expect(await appRef('project-grafana-logging', payments)).toBe(`project-grafana-logging-${pgl}`)
    expect(await hrVersion('project-grafana-logging', payments)).toBe(`${pglChart}/${pglChart}/True`)
    // catalog apps are left to the next stages
    expect(await appRef('kafka-operator', 'team-a-x7k2p')).toBe('kafka-operator-0.20.2')
    expect(result.evidence?.join('\n')).toContain(
      'workspace team-a (team-a-x7k2p): HelmReleases Ready and at the chart versions of https://github.com/mesosphere/kommander-applications/tree/v2.8.1 on prod-east-1, prod-east-2, prod-west-1, prod-west-2, stage-east-1',
    )
  })

  it('workspaces again: skipped with evidence, no dkp command', async () => {
    const { result, out } = await run('workspaces')
    expect(result).toMatchObject({ status: 'skipped', commands: [] })
    expect(out).toMatch(/skip workspace edge: already at target/)
  })

  it('workspace-apps refuses a catalog version that does not exist, running nothing', async () => {
    const bad = join(work, 'missing-version.yaml')
    writeFileSync(
      bad,
      readFileSync(INVENTORY, 'utf8').replace(
        '{ name: kafka-operator, version: 0.25.1 }',
        '{ name: kafka-operator, version: 0.26.0 }',
      ),
    )
    const before = await versions()
    const { result } = await run('workspace-apps', { inventory: bad })
    expect(result.status).toBe('failed')
    expect(result.commands).toEqual([])
    expect(result.message).toContain(
      'app team-a/kafka-operator: App kafka-operator-0.26.0 does not exist in team-a-x7k2p: the catalog has no kafka-operator 0.26.0 (available: 0.20.0, 0.20.2, 0.23.0-dev.0, 0.25.1)',
    )
    expect(await versions()).toEqual(before)
  })

  it('workspace-apps: a failing dkp command fails the stage with the command, exit code and last lines', async () => {
    const { result } = await run('workspace-apps', {
      env: { DKP_STANDIN_FAIL: 'upgrade-catalogapp@jenkins' },
    })
    expect(result.status).toBe('failed')
    expect(bareCommands(result)).toEqual([
      'dkp upgrade catalogapp kafka-operator --workspace=team-a --to-version=0.25.1',
      'dkp upgrade catalogapp jenkins --workspace=team-b --to-version=4.3.20',
    ])
    expect(result.message).toMatch(
      /^dkp upgrade catalogapp jenkins --workspace=team-b --to-version=4\.3\.20 --kubeconfig=\S+ exited with code 1; last output:\n {2}\S/,
    )
    expect(await appRef('jenkins', 'team-b-m4q9z')).toBe('jenkins-4.2.20')
  })

  it('workspace-apps re-run completes the upgrade', async () => {
    // The failed run left kafka-operator's release re-rendering in team-a's namespace, and every
    // HelmRelease of a workspace namespace must be Ready for the workspaces step (this stage's
    // prerequisite) to read done: a re-run right away would be refused until it settles, as a
    // re-run some minutes later never is.
    for (let i = 0; i < 300 && !(await statusOf('workspaces')).done; i++) await sleep(100)
    expect(pendingTexts(await statusOf('workspaces'))).toEqual([])
    const { result, out } = await run('workspace-apps')
    expect(result.status, out).toBe('upgraded')
    expect(bareCommands(result)).toContain(
      'dkp upgrade catalogapp jenkins --workspace=team-b --to-version=4.3.20',
    )
    expect(await appRef('kafka-operator', 'team-a-x7k2p')).toBe('kafka-operator-0.25.1')
    expect(await hrVersion('kafka-operator', 'team-a-x7k2p')).toBe('0.25.1/0.25.1/True')
    expect(await appRef('jenkins', 'team-b-m4q9z')).toBe('jenkins-4.3.20')
    expect(result.evidence).toContain('AppDeployment team-b-m4q9z/jenkins → App jenkins-4.3.20')
    // jenkins is in no catalog tag of the release table: generic checks, and the evidence says so
    expect(result.evidence?.join('\n')).toMatch(/the release table does not know jenkins 4\.3\.20/)
    expect(result.evidence?.join('\n')).toContain(
      'HelmRelease team-a-x7k2p/kafka-operator at the chart versions of https://github.com/mesosphere/dkp-catalog-applications/tree/v2.8.1',
    )
    // project apps are the next stage's
    expect(await appRef('zookeeper-operator-m7x2q', projectNamespace('team-a', 'payments'))).toBe(
      'zookeeper-operator-0.2.15',
    )
  })

  it('workspace-apps again: skipped, no dkp command', async () => {
    const { result } = await run('workspace-apps')
    expect(result).toMatchObject({ status: 'skipped', commands: [] })
  })

  it('project-apps dry run, then upgrade, then skipped', async () => {
    const before = await versions()
    const dry = await run('project-apps', { dryRun: true })
    expect(dry.result.status).toBe('dry-run')
    expect(bareCommands(dry.result)).toEqual([
      'dkp upgrade catalogapp zookeeper-operator-m7x2q --workspace=team-a --project=payments --to-version=0.2.16-dkp.1',
      'dkp upgrade catalogapp gitlab-runner --workspace=team-b --project=ci --to-version=0.54.0',
    ])
    expect(await versions()).toEqual(before)

    const { result, out } = await run('project-apps')
    expect(result.status, out).toBe('upgraded')
    const payments = projectNamespace('team-a', 'payments')
    const ci = projectNamespace('team-b', 'ci')
    expect(await appRef('zookeeper-operator-m7x2q', payments)).toBe('zookeeper-operator-0.2.16-dkp.1')
    // the catalog's chart for 0.2.16-dkp.1 is 0.2.15, in a HelmRelease named after the app
    expect(await hrVersion('zookeeper-operator', payments)).toBe('0.2.15/0.2.15/True')
    const zk = (await get(API.helm, 'HelmRelease', 'zookeeper-operator', payments)) as AnyObject & {
      spec: { valuesFrom: { name: string }[] }
    }
    expect(zk.spec.valuesFrom[0]!.name).toBe('zookeeper-operator-0.2.16-dkp.1-d2iq-defaults')
    expect(await appRef('gitlab-runner', ci)).toBe('gitlab-runner-0.54.0')
    expect(await hrVersion('gitlab-runner', ci)).toBe('0.54.0/0.54.0/True')

    const again = await run('project-apps')
    expect(again.result).toMatchObject({ status: 'skipped', commands: [] })
  })

  it('every Kommander stage reads done afterwards', async () => {
    const loaded = await loadPlan({ inventory: INVENTORY, cwd: root }, new ConsoleReporter(() => {}))
    const kube = tc.client()
    const env = makeEnv(loaded, kube)
    const calls: Record<string, number> = {}
    for (const name of ['kommander', 'workspaces', 'workspace-apps', 'project-apps'] as const) {
      const before = kube.requests
      const state = await (await loadStage(name)).status(env, 'mgmt')
      expect(pendingTexts(state), name).toEqual([])
      expect(state.done).toBe(true)
      calls[name] = kube.requests - before
    }
    // API calls scale with kinds × clusters: one list per kind on the management cluster (plus
    // discovery and one kubeconfig Secret read per workspace cluster), and the 14 workspace
    // clusters share one client here because their Secrets hold the same kubeconfig.
    const workload = await workloadCluster(env, 'prod-east-1')
    console.log(
      `status() API calls on the management cluster: ${JSON.stringify(calls)}; on the shared workload client: ${workload.kube.requests}`,
    )
    expect(calls.kommander).toBeLessThanOrEqual(12)
    expect(calls.workspaces).toBeLessThanOrEqual(14 + 12)
    expect(calls['workspace-apps']! + calls['project-apps']!).toBeLessThanOrEqual(4)
    expect(workload.kube.requests).toBeLessThanOrEqual(4)
  })
})
