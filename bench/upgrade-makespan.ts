// Benchmark: the demo fleet's makespan under `dkp-fleet upgrade`, maxParallel 2 against 1. For
// each, a fresh simulated fleet (`fleet up -i examples/fleet.yaml --dkp v2.7.1`, the fast test
// timing, or the realistic one with --demo) is upgraded to v2.8.1 by one `dkp-fleet upgrade
// --json` command through dist/cli.js; the figure is its wall time, and the waves' part of it
// (first wave step started to last wave step finished, from the events), as a ratio to
// maxParallel 1. The management chain runs one step at a time either way.
//
//   npx tsx bench/upgrade-makespan.ts [--json] [--demo]

import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { type BenchResult, emit, figure, flag, NODE, ROOT, round, unavailable } from './lib/common.js'

const exec = promisify(execFile)
const TITLE = 'Demo fleet makespan under `dkp-fleet upgrade` (maxParallel 2 vs 1)'
const CLI = join(ROOT, 'dist', 'cli.js')
const INVENTORY = 'examples/fleet.yaml'

interface Event {
  event: string
  wave?: number
  step?: string
  time: string
}

async function cli(args: string[], env: NodeJS.ProcessEnv) {
  return exec(NODE, [CLI, ...args], { cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024 })
}

async function measure(maxParallel: number, demo: boolean): Promise<{ total: number; waves: number }> {
  const stateDir = mkdtempSync(join(tmpdir(), 'dkp-bench-upgrade-'))
  let env: NodeJS.ProcessEnv = {
    ...process.env,
    DKP_FLEET_STATE_DIR: stateDir,
    NO_COLOR: '1',
    XDG_STATE_HOME: stateDir,
  }
  try {
    const up = await cli(
      ['fleet', 'up', '-i', INVENTORY, '--dkp', 'v2.7.1', ...(demo ? ['--demo'] : [])],
      env,
    )
    const kubeconfig = /^export KUBECONFIG='([^']+)'$/m.exec(up.stdout)?.[1]
    const path = /^export PATH='([^']+)':"\$PATH"$/m.exec(up.stdout)?.[1]
    env = { ...env, KUBECONFIG: kubeconfig, PATH: `${path}:${process.env.PATH}` }
    const t0 = performance.now()
    const r = await cli(['upgrade', '-i', INVENTORY, '--max-parallel', String(maxParallel), '--json'], env)
    const total = (performance.now() - t0) / 1000
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Event)
    const inWaves = events.filter(
      (e) =>
        (e.event === 'step-started' || e.event === 'step-finished') &&
        e.wave !== undefined &&
        !e.step?.includes('@'),
    )
    const times = inWaves.map((e) => Date.parse(e.time))
    return { total, waves: (Math.max(...times) - Math.min(...times)) / 1000 }
  } finally {
    await cli(['fleet', 'down'], env).catch(() => undefined)
    rmSync(stateDir, { recursive: true, force: true })
  }
}

async function main(): Promise<BenchResult> {
  const demo = flag('demo') === 'true'
  const node = process.version
  try {
    await exec(NODE, [CLI, '--version'])
  } catch {
    return unavailable('upgrade-makespan', TITLE, 'dist/cli.js is missing: run npm run build')
  }
  const one = await measure(1, demo)
  const two = await measure(2, demo)
  return {
    benchmark: 'upgrade-makespan',
    title: TITLE,
    available: true,
    node,
    figures: [
      figure({
        id: 'upgrade-makespan-total',
        label: `\`dkp-fleet upgrade\`, example fleet (13 clusters, 4 waves), maxParallel 2, ${demo ? 'demo' : 'fast'} timing`,
        value: round(two.total, 1),
        unit: 's',
        reference: { label: 'maxParallel 1', value: round(one.total, 1), unit: 's' },
      }),
      figure({
        id: 'upgrade-makespan-waves',
        label: 'the same, the waves alone (first wave step started to last finished)',
        value: round(two.waves, 1),
        unit: 's',
        reference: { label: 'maxParallel 1', value: round(one.waves, 1), unit: 's' },
      }),
    ],
    details: { demo, maxParallel1: one, maxParallel2: two },
  }
}

emit(await main())
