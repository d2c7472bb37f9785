// The local CLI path end to end, through the real bundle (node dist/cli.js) as child
// processes, exactly as a user runs it:
//   eval "$(dkp-fleet fleet up -i examples/fleet.yaml --dkp v2.7.1)"
//   dkp-fleet plan -i examples/fleet.yaml --kubeconfig "$KUBECONFIG" --json
//   dkp-fleet run <stage> [--cluster C] -i examples/fleet.yaml      (every step, in plan order)
// then the versions everywhere, a second pass that changes nothing, `status`, pause making the
// next stage deferred, and `fleet down` leaving no process.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Plan } from '../../src/core/plan.js'
import { STAGE_TABLE } from '../../src/core/stage-table.js'
import { Kube, type KubeObject } from '../../src/effects/kube.js'
import { runBundledCli } from '../helpers/bundled-cli.js'
import { kubeSkipReason } from '../kube/harness.js'

const inventory = 'examples/fleet.yaml'
const stateDir = mkdtempSync(join(tmpdir(), 'dkp-fleet-cli-e2e-'))
let env: NodeJS.ProcessEnv = {}
let kube: Kube

async function dkpFleet(args: string[], extra: NodeJS.ProcessEnv = {}) {
  return runBundledCli(args, { ...env, ...extra })
}

/** `export KUBECONFIG='…'` / `export PATH='…':"$PATH"` → environment entries. */
function applyExports(text: string, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...base }
  const kubeconfig = /^export KUBECONFIG='([^']+)'$/m.exec(text)?.[1]
  const path = /^export PATH='([^']+)':"\$PATH"$/m.exec(text)?.[1]
  if (!kubeconfig || !path) throw new Error(`unexpected fleet up output:\n${text}`)
  out.KUBECONFIG = kubeconfig
  out.PATH = `${path}:${base.PATH}`
  return out
}

// Only under an explicit KUBE_IT_SKIP (printed loudly by the global setup).
const skip = Boolean(kubeSkipReason())

beforeAll(async () => {
  if (skip) return
  env = { ...process.env, DKP_FLEET_STATE_DIR: stateDir, DKP_FLEET_POLL_MS: '200' }
  const up = await dkpFleet(['fleet', 'up', '-i', inventory, '--dkp', 'v2.7.1'])
  expect(up.code, up.stderr).toBe(0)
  env = applyExports(up.stdout, env)
  kube = Kube.fromFile(env.KUBECONFIG!)
}, 180_000)

afterAll(async () => {
  if (skip) return
  kube?.close()
  const down = await dkpFleet(['fleet', 'down'])
  expect(down.code, down.stderr).toBe(0)
  rmSync(stateDir, { recursive: true, force: true })
}, 60_000)

interface KubeadmControlPlane extends KubeObject {
  metadata: { name: string; namespace: string; resourceVersion: string }
  spec: { version: string }
  status: { version?: string }
}
interface MachineDeployment extends KubeObject {
  metadata: { name: string }
  spec: { template: { spec: { version: string } } }
}
interface HelmRelease extends KubeObject {
  spec: { chart: { spec: { version: string } } }
}

it.skipIf(skip)(
  'runs every step of `plan --json` in order, upgrades the whole fleet, and a second pass changes nothing',
  async () => {
    const planned = await dkpFleet(['plan', '-i', inventory, '--kubeconfig', env.KUBECONFIG!, '--json'])
    expect(planned.code, planned.stderr).toBe(0)
    const plan = JSON.parse(planned.stdout) as Plan
    expect(plan.from).toEqual({ dkp: 'v2.7.1', kubernetes: '1.27.6' })
    expect(plan.steps.some((s) => s.done)).toBe(false)

    const runAll = async () => {
      const results: { stepId: string; status: string; commands: string[] }[] = []
      for (const step of plan.steps) {
        const args = ['run', step.stage, '-i', inventory, '--json']
        if (step.stage === 'core-addons' || step.stage === 'kubernetes') args.push('--cluster', step.cluster)
        const r = await dkpFleet(args)
        expect(r.code, `${step.id}\n${r.stderr}`).toBe(0)
        results.push(JSON.parse(r.stdout))
      }
      return results
    }

    const first = await runAll()
    expect(first.map((r) => r.stepId)).toEqual(plan.steps.map((s) => s.id))
    for (const r of first) expect(['upgraded', 'skipped', 'passed'], r.stepId).toContain(r.status)
    expect(first.find((r) => r.stepId === 'kommander:mgmt')?.status).toBe('upgraded')
    expect(first.find((r) => r.stepId === 'kubernetes:prod-east-1')?.commands).toEqual([
      expect.stringMatching(
        /^dkp update controlplane aws --cluster-name=prod-east-1 -n team-a-x7k2p --kubernetes-version=v1\.28\.7 --ami=ami-0a1b2c3d /,
      ),
      expect.stringMatching(/^dkp update nodepool aws prod-east-1-md-0 /),
      expect.stringMatching(/^dkp update nodepool aws prod-east-1-gpu .*--ami=ami-0a1b2c3d /),
    ])

    // What kubectl shows: every control plane and node pool at the target, Kommander released.
    const kcps = await kube.list<KubeadmControlPlane>(
      'controlplane.cluster.x-k8s.io/v1beta1',
      'KubeadmControlPlane',
    )
    expect(kcps).toHaveLength(13)
    for (const k of kcps)
      expect([k.metadata.name, k.spec.version, k.status.version]).toEqual([
        k.metadata.name,
        'v1.28.7',
        'v1.28.7',
      ])
    const mds = await kube.list<MachineDeployment>('cluster.x-k8s.io/v1beta1', 'MachineDeployment')
    for (const m of mds)
      expect([m.metadata.name, m.spec.template.spec.version]).toEqual([m.metadata.name, 'v1.28.7'])
    const hr = await kube.get<HelmRelease>(
      'helm.toolkit.fluxcd.io/v2beta2',
      'HelmRelease',
      'kommander',
      'kommander',
    )
    expect(hr?.spec.chart.spec.version).toBe('v2.8.1')

    // A second pass: every step skipped (the gates pass), no dkp command, no object changed.
    const before = new Map(
      kcps.map((k) => [`${k.metadata.namespace}/${k.metadata.name}`, k.metadata.resourceVersion]),
    )
    const second = await runAll()
    for (const r of second) {
      expect(r.status, r.stepId).toBe(
        STAGE_TABLE.find((row) => row.name === r.stepId.split(':')[0])?.kind === 'gate'
          ? 'passed'
          : 'skipped',
      )
      expect(r.commands, r.stepId).toEqual([])
    }
    const after = await kube.list<KubeadmControlPlane>(
      'controlplane.cluster.x-k8s.io/v1beta1',
      'KubeadmControlPlane',
    )
    for (const k of after)
      expect(k.metadata.resourceVersion).toBe(before.get(`${k.metadata.namespace}/${k.metadata.name}`))

    // The plan now reads every step as done.
    const replanned = JSON.parse(
      (await dkpFleet(['plan', '-i', inventory, '--kubeconfig', env.KUBECONFIG!, '--json'])).stdout,
    ) as Plan
    expect(
      replanned.steps.filter((s) => s.stage !== 'check' && s.stage !== 'verify' && !s.done).map((s) => s.id),
    ).toEqual([])
    expect(replanned.digest).toBe(plan.digest)
  },
  900_000,
)

it.skipIf(skip)(
  'pause makes the next stage deferred without changing the cluster; status shows it; resume clears it',
  async () => {
    const paused = await dkpFleet(['pause', '--reason', 'change freeze', '-i', inventory])
    expect(paused.code, paused.stderr).toBe(0)
    const rv = (await kube.get<KubeadmControlPlane>(
      'controlplane.cluster.x-k8s.io/v1beta1',
      'KubeadmControlPlane',
      'edge-1-control-plane',
      'edge-p2w8d',
    ))!.metadata.resourceVersion
    const r = await dkpFleet(['run', 'kubernetes', '--cluster', 'edge-1', '-i', inventory, '--json'])
    expect(r.code, r.stderr).toBe(0)
    const result = JSON.parse(r.stdout) as { status: string; message: string }
    expect(result.status).toBe('deferred')
    expect(result.message).toMatch(/paused by .* change freeze/)
    expect(
      (await kube.get<KubeadmControlPlane>(
        'controlplane.cluster.x-k8s.io/v1beta1',
        'KubeadmControlPlane',
        'edge-1-control-plane',
        'edge-p2w8d',
      ))!.metadata.resourceVersion,
    ).toBe(rv)

    const status = await dkpFleet(['status', '-i', inventory, '--json'])
    expect(status.code, status.stderr).toBe(0)
    const s = JSON.parse(status.stdout) as { paused: { reason: string } | null }
    expect(s.paused?.reason).toBe('change freeze')

    expect((await dkpFleet(['resume', '-i', inventory])).code).toBe(0)
    const again = JSON.parse((await dkpFleet(['status', '-i', inventory, '--json'])).stdout) as {
      paused: unknown
    }
    expect(again.paused).toBeNull()
  },
  120_000,
)
