// DKP 2.8.1 → NKP 2.12 end to end through the real bundle: the same kind of mixed fleet as
// nkp-upgrade.test.ts (nutanix management cluster, nutanix and aws managed clusters, an
// attached one) seeded at DKP 2.8.1, its inventory targeting NKP v2.12.2. The hop switches
// binaries: every command, Kommander's first, runs the NKP CLI (`nkp` on PATH next to `dkp`).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Plan } from '../../src/core/plan.js'
import { Kube, type KubeObject } from '../../src/effects/kube.js'
import { runBundledCli } from '../helpers/bundled-cli.js'
import { kubeSkipReason } from '../kube/harness.js'

const root = resolve(import.meta.dirname, '../..')
const stateDir = mkdtempSync(join(tmpdir(), 'dkp-fleet-nkp-hop-'))
// The example retargeted at NKP 2.12.2: images built for its Kubernetes, 1.29.6.
const inventory = join(stateDir, 'nkp-2.12.yaml')
let env: NodeJS.ProcessEnv = {}
let kube: Kube

async function dkpFleet(args: string[]) {
  return runBundledCli(args, env)
}

const skip = Boolean(kubeSkipReason())

beforeAll(async () => {
  if (skip) return
  writeFileSync(
    inventory,
    readFileSync(join(root, 'examples/nkp-fleet.yaml'), 'utf8')
      .replace('nkp: v2.14.1', 'nkp: v2.12.2')
      .replaceAll('1.31.4', '1.29.6')
      .replace('    apps:\n      - { name: kafka-operator, version: 0.25.3 }\n', ''),
  )
  env = { ...process.env, DKP_FLEET_STATE_DIR: stateDir, DKP_FLEET_POLL_MS: '200' }
  const up = await dkpFleet(['fleet', 'up', '-i', inventory, '--dkp', 'v2.8.1'])
  expect(up.code, up.stderr).toBe(0)
  const kubeconfig = /^export KUBECONFIG='([^']+)'$/m.exec(up.stdout)?.[1]
  const path = /^export PATH='([^']+)':"\$PATH"$/m.exec(up.stdout)?.[1]
  env = { ...env, KUBECONFIG: kubeconfig, PATH: `${path}:${env.PATH}` }
  kube = Kube.fromFile(kubeconfig!)
}, 180_000)

afterAll(async () => {
  if (skip) return
  kube?.close()
  const down = await dkpFleet(['fleet', 'down'])
  expect(down.code, down.stderr).toBe(0)
  rmSync(stateDir, { recursive: true, force: true })
}, 60_000)

it.skipIf(skip)(
  'DKP 2.8.1 → NKP 2.12.2: every step with the nkp CLI, Kommander first; the fleet ends at 1.29.6',
  async () => {
    const planned = await dkpFleet(['plan', '-i', inventory, '--kubeconfig', env.KUBECONFIG!, '--json'])
    expect(planned.code, planned.stderr).toBe(0)
    const plan = JSON.parse(planned.stdout) as Plan
    expect(plan.from).toEqual({ dkp: 'v2.8.1', kubernetes: '1.28.7' })
    expect(plan.target).toEqual({ dkp: 'v2.12.2', kubernetes: '1.29.6' })
    const commands: { step: string; line: string }[] = []
    for (const step of plan.steps) {
      const args = ['run', step.stage, '-i', inventory, '--json']
      if (step.stage === 'core-addons' || step.stage === 'kubernetes') args.push('--cluster', step.cluster)
      const r = await dkpFleet(args)
      expect(r.code, `${step.id}\n${r.stderr}`).toBe(0)
      const result = JSON.parse(r.stdout) as { status: string; commands: string[]; message?: string }
      expect(['upgraded', 'skipped', 'passed'], `${step.id}: ${result.message}`).toContain(result.status)
      for (const line of result.commands) commands.push({ step: step.id, line })
    }
    // The binary switch: the first command is Kommander's, and every command is nkp's.
    expect(commands[0]).toEqual({
      step: 'kommander:mgmt',
      line: expect.stringMatching(/^nkp upgrade kommander /),
    })
    expect(commands.filter((c) => !c.line.startsWith('nkp '))).toEqual([])
    expect(commands.map((c) => c.step)).toContain('kubernetes:mgmt')
    const kcps = await kube.list<KubeObject & { spec: { version: string }; status: { version?: string } }>(
      'controlplane.cluster.x-k8s.io/v1beta1',
      'KubeadmControlPlane',
    )
    for (const k of kcps) expect([k.metadata.name, k.status.version]).toEqual([k.metadata.name, 'v1.29.6'])
  },
  900_000,
)
