// NKP (the renamed DKP) end to end through the real bundle (node dist/cli.js), as a user runs it:
//   eval "$(dkp-fleet fleet up -i examples/nkp-fleet.yaml --nkp v2.13.x)"
//   dkp-fleet plan -i examples/nkp-fleet.yaml --kubeconfig "$KUBECONFIG" --json
//   dkp-fleet run <stage> [--cluster C] -i examples/nkp-fleet.yaml      (every step, in plan order)
// A mixed fleet (a nutanix management cluster, nutanix and aws managed clusters, an attached
// one) goes NKP 2.13 → 2.14: nutanix clusters through `nkp upgrade cluster nutanix` (their
// capi-components/core-addons steps covered, not run), the aws cluster through the Konvoy chain
// with nkp; a second pass is all skipped (gates passed); then 2.14 → 2.16 planned as two hops.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Plan } from '../../src/core/plan.js'
import { STAGE_TABLE } from '../../src/core/stage-table.js'
import { Kube, type KubeObject } from '../../src/effects/kube.js'
import { runBundledCli } from '../helpers/bundled-cli.js'
import { kubeSkipReason } from '../kube/harness.js'

const inventory = 'examples/nkp-fleet.yaml'
const stateDir = mkdtempSync(join(tmpdir(), 'dkp-fleet-nkp-e2e-'))
let env: NodeJS.ProcessEnv = {}
let kube: Kube

async function dkpFleet(args: string[]) {
  return runBundledCli(args, env)
}

function applyExports(text: string, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const kubeconfig = /^export KUBECONFIG='([^']+)'$/m.exec(text)?.[1]
  const path = /^export PATH='([^']+)':"\$PATH"$/m.exec(text)?.[1]
  if (!kubeconfig || !path) throw new Error(`unexpected fleet up output:\n${text}`)
  return { ...base, KUBECONFIG: kubeconfig, PATH: `${path}:${base.PATH}` }
}

const skip = Boolean(kubeSkipReason())

beforeAll(async () => {
  if (skip) return
  env = { ...process.env, DKP_FLEET_STATE_DIR: stateDir, DKP_FLEET_POLL_MS: '200' }
  const up = await dkpFleet(['fleet', 'up', '-i', inventory, '--nkp', 'v2.13.x'])
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

interface Versioned extends KubeObject {
  metadata: { name: string; namespace: string; resourceVersion: string }
  spec: { version?: string; template?: { spec: { version: string; infrastructureRef: { name: string } } } }
  status: { version?: string }
}

interface Result {
  stepId: string
  status: string
  commands: string[]
  message?: string
}

it.skipIf(skip)(
  'a mixed NKP fleet goes 2.13 → 2.14 step by step; nutanix through nkp upgrade cluster nutanix; a second pass changes nothing',
  async () => {
    const planned = await dkpFleet(['plan', '-i', inventory, '--kubeconfig', env.KUBECONFIG!, '--json'])
    expect(planned.code, planned.stderr).toBe(0)
    const plan = JSON.parse(planned.stdout) as Plan
    expect(plan.from).toEqual({ dkp: 'v2.13.3', kubernetes: '1.30.5' })
    expect(plan.target).toEqual({ dkp: 'v2.14.1', kubernetes: '1.31.4' })
    expect(plan.steps.filter((s) => s.coveredBy).map((s) => s.id)).toEqual([
      'capi-components:mgmt',
      'core-addons:mgmt',
      'core-addons:prod-ntnx-1',
      'core-addons:prod-ntnx-2',
    ])

    const runAll = async (): Promise<Result[]> => {
      const results: Result[] = []
      for (const step of plan.steps) {
        const args = ['run', step.stage, '-i', inventory, '--json']
        if (step.stage === 'core-addons' || step.stage === 'kubernetes') args.push('--cluster', step.cluster)
        const r = await dkpFleet(args)
        expect(r.code, `${step.id}\n${r.stderr}`).toBe(0)
        results.push(JSON.parse(r.stdout) as Result)
      }
      return results
    }

    const first = await runAll()
    const byId = Object.fromEntries(first.map((r) => [r.stepId, r]))
    for (const r of first)
      expect(['upgraded', 'skipped', 'passed'], `${r.stepId}: ${r.message}`).toContain(r.status)
    expect(byId['kommander:mgmt']?.status).toBe('upgraded')
    expect(byId['kommander:mgmt']?.commands).toEqual([expect.stringMatching(/^nkp upgrade kommander /)])
    // covered steps run nothing and say why
    for (const id of ['capi-components:mgmt', 'core-addons:mgmt', 'core-addons:prod-ntnx-2']) {
      expect(byId[id]?.status, id).toBe('skipped')
      expect(byId[id]?.commands, id).toEqual([])
      expect(byId[id]?.message, id).toMatch(/^covered by kubernetes:/)
    }
    expect(byId['kubernetes:mgmt']?.commands).toEqual([
      expect.stringMatching(
        /^nkp upgrade cluster nutanix --cluster-name=mgmt -n default --vm-image=nkp-rocky-9\.5-release-1\.31\.4 --kubeconfig=/,
      ),
    ])
    expect(byId['kubernetes:prod-ntnx-2']?.commands).toEqual([
      expect.stringMatching(
        /^nkp upgrade cluster nutanix --cluster-name=prod-ntnx-2 -n \S+ --control-plane-vm-image=nkp-rocky-9\.5-release-1\.31\.4 --worker-vm-images=prod-ntnx-2-md-0=nkp-rocky-9\.5-release-1\.31\.4 --worker-vm-images=prod-ntnx-2-gpu=nkp-rocky-9\.5-gpu-release-1\.31\.4 /,
      ),
    ])
    // the aws cluster keeps the Konvoy chain, with nkp
    expect(byId['core-addons:prod-aws-1']?.commands).toEqual([
      expect.stringMatching(/^nkp upgrade addons aws /),
    ])
    expect(byId['kubernetes:prod-aws-1']?.commands[0]).toMatch(
      /^nkp update controlplane aws --cluster-name=prod-aws-1 .*--kubernetes-version=v1\.31\.4/,
    )
    expect(byId['verify:mgmt']?.status).toBe('passed')

    // What kubectl shows: every control plane and pool at 1.31.4; nutanix pools on their new image.
    const kcps = await kube.list<Versioned>('controlplane.cluster.x-k8s.io/v1beta1', 'KubeadmControlPlane')
    expect(kcps.length).toBe(4)
    for (const k of kcps)
      expect([k.metadata.name, k.spec.version, k.status.version]).toEqual([
        k.metadata.name,
        'v1.31.4',
        'v1.31.4',
      ])
    const mds = await kube.list<Versioned>('cluster.x-k8s.io/v1beta1', 'MachineDeployment')
    for (const m of mds)
      expect([m.metadata.name, m.spec.template?.spec.version]).toEqual([m.metadata.name, 'v1.31.4'])
    const gpu = mds.find((m) => m.metadata.name === 'prod-ntnx-2-gpu')!
    const template = await kube.get<
      KubeObject & { spec: { template: { spec: { image: { name: string } } } } }
    >(
      'infrastructure.cluster.x-k8s.io/v1beta1',
      'NutanixMachineTemplate',
      gpu.spec.template!.spec.infrastructureRef.name,
      gpu.metadata.namespace,
    )
    expect(template?.spec.template.spec.image.name).toBe('nkp-rocky-9.5-gpu-release-1.31.4')

    // A second pass: upgrade steps skipped, gates passed, no command, no control plane changed.
    const before = new Map(
      kcps.map((k) => [`${k.metadata.namespace}/${k.metadata.name}`, k.metadata.resourceVersion]),
    )
    const second = await runAll()
    for (const r of second) {
      const gate = STAGE_TABLE.find((row) => row.name === r.stepId.split(':')[0])?.kind === 'gate'
      expect(r.status, r.stepId).toBe(gate ? 'passed' : 'skipped')
      expect(r.commands, r.stepId).toEqual([])
    }
    for (const k of await kube.list<Versioned>(
      'controlplane.cluster.x-k8s.io/v1beta1',
      'KubeadmControlPlane',
    ))
      expect(k.metadata.resourceVersion).toBe(before.get(`${k.metadata.namespace}/${k.metadata.name}`))
  },
  900_000,
)

it.skipIf(skip)(
  '2.14 → 2.16 is planned as two hops through 2.15; a stage job without the hop refuses it',
  async () => {
    const r = await dkpFleet([
      'plan',
      '-i',
      inventory,
      '--kubeconfig',
      env.KUBECONFIG!,
      '--target',
      'v2.16.1',
      '--json',
    ])
    expect(r.code, r.stderr).toBe(0)
    const plan = JSON.parse(r.stdout) as Plan
    expect(plan.hops).toEqual([
      { from: 'v2.14.1', to: 'v2.15.2' },
      { from: 'v2.15.2', to: 'v2.16.1' },
    ])
    expect(plan.target.dkp).toBe('v2.15.2')
    expect(plan.goal?.dkp).toBe('v2.16.1')
    // A job given the target but not the plan's hop: refused before any command, naming 2.15.
    const run = await dkpFleet([
      'run',
      'kommander',
      '-i',
      inventory,
      '--target',
      'v2.16.1',
      '--dry-run',
      '--json',
    ])
    expect(run.code, run.stderr).toBe(2)
    expect(run.stderr + run.stdout).toContain('v2.14.1 → v2.15.x → v2.16.1')
  },
)
