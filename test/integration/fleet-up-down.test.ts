// `dkp-fleet fleet up/down` (src/fleet/fleet.ts + the daemon): up returns once the fleet is
// ready and prints working export lines; down leaves no process and no file behind. The daemon
// runs from source (node --import tsx src/fleet/daemon.ts) so this does not depend on dist/.

import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import { Kube } from '../../src/effects/kube.js'
import { isAlive, packageRoot } from '../../src/fleet/control-plane.js'
import { fleetDown, fleetUp, readDaemonStatus, readFleetState } from '../../src/fleet/fleet.js'
import { kubeSkipReason } from '../kube/harness.js'

const root = packageRoot()
const stateDir = mkdtempSync(join(tmpdir(), 'dkp-fleet-state-'))
const env = { ...process.env, DKP_FLEET_STATE_DIR: stateDir }
const daemon = [process.execPath, '--import', 'tsx', join(root, 'src', 'fleet', 'daemon.ts')]
const standin = [process.execPath, '--import', 'tsx', join(root, 'src', 'fleet', 'dkp-standin.ts')]
const lines: string[] = []
const log = (l: string) => lines.push(l)

beforeEach((ctx) => {
  const skip = kubeSkipReason()
  if (skip) ctx.skip(`KUBE_IT_SKIP: ${skip}`)
})

afterAll(async () => {
  await fleetDown({ env })
  rmSync(stateDir, { recursive: true, force: true })
})

describe('fleet up / fleet down', () => {
  it('up (bare) starts the daemon and control plane, prints exports; down stops every process and removes the files', async () => {
    const up = await fleetUp({ bare: true, daemon, standin, env, log, cwd: root })
    const { state } = up
    expect(up.exports).toBe(
      `export KUBECONFIG='${state.dir}/kubeconfig'\nexport PATH='${state.dir}/bin':"$PATH"\n`,
    )
    expect(lines.some((l) => l.includes('kube-apiserver ready'))).toBe(true) // daemon progress streamed
    expect(state.target).toBe('v2.8.1') // examples/fleet.yaml
    expect(state.dkp).toBe('v2.7.0') // default: the release before the target

    // The stand-in dkp shim: absolute Node, target version default, args passed through.
    const shim = readFileSync(join(state.dir, 'bin', 'dkp'), 'utf8')
    expect(shim).toContain(`: "\${DKP_STANDIN_VERSION:=v2.8.1}"`)
    expect(shim).toContain(`exec '${process.execPath}'`)
    expect(shim).toMatch(/"\$@"\n$/)
    expect(statSync(join(state.dir, 'bin', 'dkp')).mode & 0o111).not.toBe(0)

    // The printed kubeconfig reaches a live apiserver with the CRDs installed.
    const kube = Kube.fromFile(state.kubeconfig)
    expect(await kube.hasResource('controlplane.cluster.x-k8s.io/v1beta1', 'KubeadmControlPlane')).toBe(true)
    kube.close()

    const status = readDaemonStatus(state.dir)
    expect(status?.phase).toBe('ready')
    const pids = [state.pid, status?.pids?.apiserver ?? 0, status?.pids?.etcd ?? 0]
    expect(pids.every((p) => p > 0 && isAlive(p))).toBe(true)

    // One fleet at a time.
    await expect(fleetUp({ bare: true, daemon, standin, env, cwd: root })).rejects.toThrow(/already running/)

    expect(await fleetDown({ env, log })).toBe(true)
    for (const p of pids) expect(isAlive(p), `pid ${p}`).toBe(false)
    expect(existsSync(state.dir)).toBe(false)
    expect(readFleetState(env)).toBeUndefined()
    expect(await fleetDown({ env })).toBe(false)
  })

  it('up seeds the example fleet at --dkp and runs the simulated controllers', async () => {
    const { state, status } = await fleetUp({
      dkp: 'v2.7.1',
      daemon,
      standin,
      env,
      cwd: root,
      dir: join(stateDir, 'fleet'),
    })
    try {
      expect(state.ownDir).toBe(false)
      expect(status.seed).toMatchObject({ dkp: 'v2.7.1', kubernetes: '1.27.6' })
      expect(status.seed?.objects).toBeGreaterThan(100)
      expect(status.simulator).toBe(true)
      const kube = Kube.fromFile(state.kubeconfig)
      const kcps = await kube.list<{
        apiVersion: string
        kind: string
        metadata: { name?: string }
        spec: { version: string }
      }>('controlplane.cluster.x-k8s.io/v1beta1', 'KubeadmControlPlane')
      // examples/fleet.yaml: the management cluster plus 12 managed clusters; attached ones have no KCP.
      expect(kcps.map((k) => k.metadata.name)).toContain('mgmt-control-plane')
      expect(kcps).toHaveLength(13)
      expect(new Set(kcps.map((k) => k.spec.version))).toEqual(new Set(['v1.27.6']))
      const hr = await kube.get('helm.toolkit.fluxcd.io/v2beta2', 'HelmRelease', 'kommander', 'kommander')
      expect(hr?.spec?.chart).toMatchObject({ spec: { version: 'v2.7.1' } })
      kube.close()
    } finally {
      expect(await fleetDown({ env })).toBe(true)
    }
    expect(existsSync(join(stateDir, 'fleet', 'cp'))).toBe(false)
    expect(existsSync(join(stateDir, 'fleet', 'kubeconfig'))).toBe(false)
  })

  it('a hard-killed daemon takes the control plane with it (pdeathsig); down still cleans up', async () => {
    const { state } = await fleetUp({ bare: true, daemon, standin, env, cwd: root })
    const status = readDaemonStatus(state.dir)
    const cp = [status?.pids?.apiserver ?? 0, status?.pids?.etcd ?? 0]
    process.kill(state.pid, 'SIGKILL')
    const deadline = Date.now() + 10_000
    while (cp.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    expect(cp.some(isAlive)).toBe(false)
    expect(await fleetDown({ env })).toBe(true)
    expect(existsSync(state.dir)).toBe(false)
  })

  it('bad input fails before anything starts: unknown --dkp text, missing inventory', async () => {
    await expect(fleetUp({ bare: true, daemon, env, dkp: 'latest', cwd: root })).rejects.toThrow(
      /--dkp: "latest"/,
    )
    await expect(fleetUp({ bare: true, daemon, env, inventory: ['nope/*.yaml'], cwd: root })).rejects.toThrow(
      /no inventory file matches "nope\/\*\.yaml"/,
    )
    expect(readFleetState(env)).toBeUndefined()
  })

  it('the CLI: usage errors exit 2, down without a fleet exits 0', async () => {
    const out: string[] = []
    const err: string[] = []
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), env, cwd: root }
    expect(await main(['fleet', 'sideways'], io)).toBe(2)
    expect(err.join('')).toMatch(/unknown subcommand "sideways"/)
    expect(await main(['fleet', 'up', '--colour'], io)).toBe(2)
    expect(await main(['fleet', 'down'], io)).toBe(0)
    expect(err.join('')).toMatch(/no fleet is running/)
    expect(out.join('')).toBe('')
  })
})
