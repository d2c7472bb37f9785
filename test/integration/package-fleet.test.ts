// The installed npm package runs the local demo fleet by itself: `npx dkp-fleet fleet up` in an
// empty directory outside the repository finds its default inventory, the kube-apiserver/etcd
// and CRD build recipes and the stand-in dkp inside the package (package.json `files`), the
// plan reads the seeded live versions through it, and `fleet down` removes everything.

import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type Packed, packAndInstall, run } from '../helpers/packed.js'
import { kubeSkipReason } from '../kube/harness.js'

let p: Packed | undefined
let env: Record<string, string>

beforeEach((ctx) => {
  const skip = kubeSkipReason()
  if (skip) ctx.skip(`KUBE_IT_SKIP: ${skip}`)
})

beforeAll(() => {
  if (kubeSkipReason()) return
  p = packAndInstall()
  env = { DKP_FLEET_STATE_DIR: join(p.work, 'state'), KUBE_BIN_DIR: process.env.KUBE_BIN_DIR ?? '' }
}, 120_000)

afterAll(() => {
  if (!p) return
  run('npx', ['--no', 'dkp-fleet', 'fleet', 'down'], p.app, env)
  rmSync(p.work, { recursive: true, force: true })
})

describe('the installed package', () => {
  it('fleet up from the package, plan against it, fleet down', () => {
    const { app, installed } = p!
    const up = run('npx', ['--no', 'dkp-fleet', 'fleet', 'up', '--dkp', 'v2.7.1'], app, env, 170_000)
    expect(up.code, up.stderr.split('\n').slice(-15).join('\n')).toBe(0)
    const kubeconfig = /^export KUBECONFIG='([^']+)'$/m.exec(up.stdout)?.[1]
    const bin = /^export PATH='([^']+)':"\$PATH"$/m.exec(up.stdout)?.[1]
    expect(kubeconfig && bin, up.stdout).toBeTruthy()

    // The stand-in dkp is the package's own bundle, run by absolute Node path.
    const shim = readFileSync(join(bin!, 'dkp'), 'utf8')
    expect(shim).toContain(`'${join(installed, 'dist', 'dkp-standin.js')}'`)
    const dkp = run(join(bin!, 'dkp'), ['version'], app, env)
    expect(dkp.code, dkp.stderr).toBe(0)
    expect(dkp.stdout).toContain('dkp: v2.8.1')

    // The package's default inventory was seeded at v2.7.1; the plan reads that back.
    const inventory = join(installed, 'examples', 'fleet.yaml')
    const plan = run(
      'npx',
      ['--no', 'dkp-fleet', 'plan', '-i', inventory, '--kubeconfig', kubeconfig!, '--json'],
      app,
      env,
    )
    expect(plan.code, plan.stderr).toBe(0)
    const json = JSON.parse(plan.stdout)
    expect(json.from).toEqual({ dkp: 'v2.7.1', kubernetes: expect.stringMatching(/^1\.27\./) })
    expect(json.steps.find((s: { id: string }) => s.id === 'kommander:mgmt')).toMatchObject({
      from: 'v2.7.1',
      to: 'v2.8.1',
    })

    const down = run('npx', ['--no', 'dkp-fleet', 'fleet', 'down'], app, env)
    expect(down.code, down.stderr).toBe(0)
    expect(existsSync(kubeconfig!)).toBe(false)
  })
})
