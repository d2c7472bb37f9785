// Issue 14's "done when", through the real bundle as a user runs it:
//   eval "$(dkp-fleet fleet up -i examples/fleet.yaml --dkp v2.8.1)"
// seeds the real v2.8.1 platform HelmReleases (names, charts and chart versions as the release
// table has them), and `dkp-fleet run kommander` / `run workspaces` end `skipped` with no dkp
// command, before any prerequisite is asked for: no backup exists, and the backup step would
// refuse them if it were asked. The poll interval is set to 10 minutes, so a stage that waited
// even once could not finish within the test's timeout.

import { execFile } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Kube } from '../../src/effects/kube.js'
import { API, dig } from '../../src/fleet/objects.js'
import { enabledApps, RELEASES } from '../../src/fleet/release-table.js'
import type { StageResult } from '../../src/stages/types.js'
import { kubeSkipReason } from '../kube/harness.js'

const run = promisify(execFile)
const root = resolve(import.meta.dirname, '../..')
const cli = join(root, 'dist', 'cli.js')
const inventory = 'examples/fleet.yaml'
const work = mkdtempSync(join(tmpdir(), 'dkp-fleet-at-release-'))
const marker = join(work, 'dkp-was-run')
const dkpPath = join(work, 'dkp')
let env: NodeJS.ProcessEnv = {}
let kube: Kube
const skip = Boolean(kubeSkipReason())

async function dkpFleet(args: string[]) {
  try {
    const r = await run(process.execPath, [cli, ...args], { cwd: root, env, maxBuffer: 64 * 1024 * 1024 })
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string }
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

async function runStage(stage: string, ...extra: string[]) {
  const r = await dkpFleet(['run', stage, '-i', inventory, '--dkp-path', dkpPath, '--json', ...extra])
  return { code: r.code, stderr: r.stderr, result: JSON.parse(r.stdout) as StageResult }
}

beforeAll(async () => {
  if (skip) return
  // a dkp that leaves a trace and fails: any command run would show
  writeFileSync(dkpPath, `#!/bin/sh\ntouch '${marker}'\necho "dkp must not run" >&2\nexit 3\n`)
  chmodSync(dkpPath, 0o755)
  env = { ...process.env, DKP_FLEET_STATE_DIR: join(work, 'state'), DKP_FLEET_POLL_MS: '600000' }
  const up = await dkpFleet(['fleet', 'up', '-i', inventory, '--dkp', 'v2.8.1'])
  expect(up.code, up.stderr).toBe(0)
  const kubeconfig = /^export KUBECONFIG='([^']+)'$/m.exec(up.stdout)?.[1]
  expect(kubeconfig, up.stdout).toBeDefined()
  env.KUBECONFIG = kubeconfig
  kube = Kube.fromFile(kubeconfig!)
}, 240_000)

afterAll(async () => {
  if (skip) return
  kube?.close()
  const down = await dkpFleet(['fleet', 'down'])
  expect(down.code, down.stderr).toBe(0)
  rmSync(work, { recursive: true, force: true })
}, 60_000)

describe.skipIf(skip)('fleet up --dkp v2.8.1', () => {
  it('seeds the real v2.8.1 platform HelmReleases: names, charts and chart versions of the release table', async () => {
    const release = RELEASES.platform('v2.8.1')!
    const rows = (apps: string[]) =>
      apps.flatMap((a) => release.helmReleases(a, release.versions(a)[0]!)!.filter((r) => !r.dynamic))
    const live = async (ns: string) =>
      (await kube.list(API.helm, 'HelmRelease', { namespace: ns }))
        .filter((h) => !h.metadata.labels?.['kommander.mesosphere.io/cluster-id'])
        .map((h) => [
          h.metadata.name,
          dig(h, 'spec', 'chart', 'spec', 'chart'),
          dig(h, 'spec', 'chart', 'spec', 'version'),
        ])
        .sort()
    const want = (apps: string[]) =>
      rows(apps)
        .map((r) => [r.name, r.chart, r.chartVersion])
        .sort()
    const enabled = enabledApps('v2.8.1')
    expect(await live('kommander')).toEqual(want(enabled.management))
    // edge-p2w8d: a workspace with no catalog apps, only the release's default apps (and a custom app)
    expect((await live('edge-p2w8d')).filter(([name]) => name !== 'podinfo')).toEqual(want(enabled.workspace))
    // the cases the review measured
    const chart = async (name: string) =>
      dig(await kube.get(API.helm, 'HelmRelease', name, 'kommander'), 'spec', 'chart', 'spec', 'version')
    expect(await chart('gitea')).toBe('8.2.0')
    expect(await chart('traefik-forward-auth-mgmt')).toBe('0.3.10')
    expect(await chart('kubefed')).toBe('0.10.4')
    expect(await chart('kommander')).toBe('v2.8.1')
    expect(await chart('cert-manager')).toBe('v1.14.2')
    expect(await chart('gatekeeper')).toBe('3.14.1')
    expect(await chart('kube-prometheus-stack')).toBe('48.3.2')
    expect(await chart('traefik')).toBe('26.0.0')
    expect(await chart('dex')).toBe('2.13.11')
  })

  it('run kommander, run workspaces: skipped, no dkp command, the backup prerequisite never asked for', async () => {
    for (const stage of ['kommander', 'workspaces']) {
      const { code, stderr, result } = await runStage(stage)
      expect(code, stderr).toBe(0)
      expect(result, stage).toMatchObject({ status: 'skipped', commands: [] })
      expect(result.evidence?.join('\n'), stage).toMatch(
        /at the chart versions of https:\/\/github\.com\/mesosphere\/kommander-applications\/tree\/v2\.8\.1/,
      )
    }
    expect(existsSync(marker)).toBe(false)
    // no backup was taken or asked for: with one required, a step with work would refuse to start
    expect(await kube.list(API.velero, 'Backup')).toEqual([])
  })

  it('a step at target on a cluster is skipped too (kubernetes on mgmt: core-addons and capi-components not done)', async () => {
    const { code, stderr, result } = await runStage('kubernetes', '--cluster', 'mgmt')
    expect(code, stderr).toBe(0)
    expect(result).toMatchObject({ status: 'skipped', commands: [] })
    expect(existsSync(marker)).toBe(false)
  })

  it('a step that has work still checks its prerequisites, naming the missing ones', async () => {
    const { code, result } = await runStage('backup', '--dry-run')
    expect(code).toBe(0)
    expect(result.status).toBe('dry-run') // a backup would be taken: there is none
    const capi = await runStage('capi-components')
    expect(capi.code).toBe(1)
    expect(capi.result.status).toBe('failed')
    expect(capi.result.message).toMatch(
      /^refusing to start capi-components:mgmt: workspace-apps is not done on mgmt \(app team-a\/kafka-operator: AppDeployment team-a-x7k2p\/kafka-operator → kafka-operator-0\.20\.2 \(want kafka-operator-0\.25\.1\)/,
    )
    expect(capi.result.message).toContain('custom-apps is not done on mgmt')
    expect(existsSync(marker)).toBe(false)
  })
})
