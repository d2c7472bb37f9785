// Multi-hop upgrades through the local CLI (issue 21 item 1), through the real bundle as child
// processes: the example fleet seeded at DKP v2.6.1 (`fleet up --dkp v2.6.1`), its inventory
// targeting v2.8.1, two minors away.
//   1. `plan` lists two hops, v2.6.1 → v2.7.3 (2.7's latest patch in the release data) →
//      v2.8.1, and plans the first; `upgrade --all-hops` without a mirror is refused, nothing runs.
//   2. `upgrade` runs hop 1 with the v2.7.3 dkp; the plan then has no hop left but the last;
//      `upgrade` again (the v2.8.1 dkp) completes: the whole fleet at v2.8.1 / 1.28.7.
//   3. A fresh fleet at v2.6.1: `upgrade --all-hops` with a mirror serving each release's dkp
//      runs both hops in one command, each with its own release's dkp.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { dkpPlatform, dkpTarballName } from '../../src/core/download.js'
import type { Plan } from '../../src/core/plan.js'
import { loadInventory } from '../../src/effects/inventory-files.js'
import { Kube } from '../../src/effects/kube.js'
import { runBundledCli } from '../helpers/bundled-cli.js'
import { buildDkpTarball, startTarballServer, type TarballServer } from '../helpers/tarball-server.js'
import { kubeSkipReason } from '../kube/harness.js'
import { expectFleetAtTarget } from './pipeline-helpers.js'

const root = resolve(import.meta.dirname, '../..')
const inventory = 'examples/fleet.yaml'
const stateDir = mkdtempSync(join(tmpdir(), 'dkp-fleet-hops-'))
let env: NodeJS.ProcessEnv = {}
let fleetBin = ''
let kube: Kube | undefined

async function dkpFleet(args: string[], extra: NodeJS.ProcessEnv = {}) {
  return runBundledCli(args, { ...env, ...extra })
}

/** A fleet at DKP v2.6.1 (the previous one, if any, taken down). */
async function fleetAt261() {
  kube?.close()
  if (env.KUBECONFIG) expect((await dkpFleet(['fleet', 'down'])).code).toBe(0)
  const base: NodeJS.ProcessEnv = { ...process.env, DKP_FLEET_STATE_DIR: stateDir, DKP_FLEET_POLL_MS: '200' }
  delete base.DKP_STANDIN_VERSION
  env = base
  const up = await dkpFleet(['fleet', 'up', '-i', inventory, '--dkp', 'v2.6.1'])
  expect(up.code, up.stderr).toBe(0)
  const kubeconfig = /^export KUBECONFIG='([^']+)'$/m.exec(up.stdout)![1]!
  fleetBin = /^export PATH='([^']+)':"\$PATH"$/m.exec(up.stdout)![1]!
  env = { ...base, KUBECONFIG: kubeconfig, PATH: `${fleetBin}:${base.PATH}` }
  kube = Kube.fromFile(kubeconfig)
}

async function plan(): Promise<Plan> {
  const r = await dkpFleet(['plan', '-i', inventory, '--json'])
  expect(r.code, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as Plan
}

const skip = Boolean(kubeSkipReason())
const tarballPath = (version: string) =>
  `/dkp/${version}/${dkpTarballName(version, dkpPlatform(process.platform, process.arch))}`

beforeAll(async () => {
  if (!skip) await fleetAt261()
}, 180_000)

afterAll(async () => {
  if (skip) return
  kube?.close()
  const down = await dkpFleet(['fleet', 'down'])
  expect(down.code, down.stderr).toBe(0)
  rmSync(stateDir, { recursive: true, force: true })
}, 60_000)

it.skipIf(skip)(
  'plans two hops from v2.6.1, runs the first, then plans and completes the last',
  async () => {
    const first = await plan()
    expect(first.from).toEqual({ dkp: 'v2.6.1', kubernetes: '1.26.6' })
    expect(first.hops).toEqual([
      { from: 'v2.6.1', to: 'v2.7.3' },
      { from: 'v2.7.3', to: 'v2.8.1' },
    ])
    expect(first.target).toEqual({ dkp: 'v2.7.3', kubernetes: '1.27.6' })
    expect(first.goal).toEqual({ dkp: 'v2.8.1', kubernetes: '1.28.7' })
    expect(first.steps.find((s) => s.id === 'kommander:mgmt')!.to).toBe('v2.7.3')

    // --all-hops needs each hop's dkp from a mirror: refused before anything runs.
    const refused = await dkpFleet(['upgrade', '-i', inventory, '--all-hops'])
    expect(refused.code, refused.stderr).toBe(2)
    expect(refused.stderr).toContain('--all-hops needs --dkp-download-url')
    expect((await plan()).from).toEqual(first.from)

    // Hop 1, with the v2.7.3 dkp on PATH.
    const hop1 = await dkpFleet(['upgrade', '-i', inventory, '--max-parallel', '4'], {
      DKP_STANDIN_VERSION: 'v2.7.3',
    })
    expect(hop1.code, `${hop1.stdout}\n${hop1.stderr}`).toBe(0)
    expect(hop1.stdout).toContain('note: hop 1 of 2: v2.6.1 → v2.7.3')
    expect(hop1.stdout).toContain('Hop to v2.7.3 done; v2.8.1 is 1 more hop(s) away')

    // The plan now starts from v2.7.3: one minor to go, no hops.
    const second = await plan()
    expect(second.from).toEqual({ dkp: 'v2.7.3', kubernetes: '1.27.6' })
    expect(second.target).toEqual({ dkp: 'v2.8.1', kubernetes: '1.28.7' })
    expect(second.hops).toBeUndefined()
    expect(second.goal).toBeUndefined()
    expect(second.digest).not.toBe(first.digest)

    const hop2 = await dkpFleet(['upgrade', '-i', inventory, '--max-parallel', '4'], {
      DKP_STANDIN_VERSION: 'v2.8.1',
    })
    expect(hop2.code, `${hop2.stdout}\n${hop2.stderr}`).toBe(0)
    expect(hop2.stdout).not.toContain('hop')
    await expectFleetAtTarget(kube!, (await loadInventory(inventory, root)).inventory)
  },
  600_000,
)

it.skipIf(skip)(
  '--all-hops runs both hops in one command, each with its own release dkp from the mirror',
  async () => {
    await fleetAt261()
    const server: TarballServer = await startTarballServer()
    const scratch = mkdtempSync(join(tmpdir(), 'dkp-fleet-hops-mirror-'))
    try {
      // Each release tarball holds a dkp that answers as its own release.
      for (const version of ['v2.7.3', 'v2.8.1']) {
        const tgz = await buildDkpTarball({
          dir: scratch,
          script: `#!/bin/sh\nDKP_STANDIN_VERSION=${version} exec '${fleetBin}/dkp' "$@"\n`,
        })
        server.serve(tarballPath(version), tgz.data)
      }
      const all = await dkpFleet(
        [
          'upgrade',
          '-i',
          inventory,
          '--all-hops',
          '--max-parallel',
          '4',
          '--dkp-download-url',
          `${server.origin}/dkp/{version}/dkp_{version}_{os}_{arch}.tar.gz`,
        ],
        { XDG_CACHE_HOME: join(scratch, 'cache') },
      )
      expect(all.code, `${all.stdout}\n${all.stderr}`).toBe(0)
      expect(all.stdout).toContain('note: hop 1 of 2: v2.6.1 → v2.7.3')
      expect(all.stdout).toContain('Hop to v2.7.3 done; planning the next hop from the live versions.')
      // One download per release, each reused by the later steps of its hop.
      expect(server.count(tarballPath('v2.7.3'))).toBe(1)
      expect(server.count(tarballPath('v2.8.1'))).toBe(1)
      await expectFleetAtTarget(kube!, (await loadInventory(inventory, root)).inventory)
    } finally {
      await server.close()
      rmSync(scratch, { recursive: true, force: true })
    }
  },
  600_000,
)
