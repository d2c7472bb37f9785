// Benchmark: what the action costs a job before and after dkp's own work.
//   npx tsx bench/action-overhead.ts [--json] [--runs N] [--dist DIR]
// One run measures, interleaved round by round (the order rotates each round), on the same Node:
//   ref   `node -e 0`
//   noop  `node dist/index.js` with an invalid stage: loads the whole static bundle, fails fast
//   plan  `node dist/index.js` as a plan job on examples/fleet.yaml with real GITHUB_OUTPUT /
//         GITHUB_STEP_SUMMARY files and RUNNER_TEMP (start to exit, and start to first line)
//   cli   `node dist/cli.js plan -i examples/fleet.yaml --json`
// dist/ is copied outside the repository first, so nothing resolves from node_modules.
// Also: parseInputs in-process (first call and warmed per-call cost).

import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseInputs } from '../src/action/inputs.js'
import {
  type BenchResult,
  cleanEnv,
  emit,
  figure,
  flag,
  median,
  NODE,
  quantile,
  quick,
  ROOT,
  round,
  runTimed,
  stageDist,
  type TimedRun,
  unavailable,
} from './lib/common.js'

const TITLE = 'Action overhead per job (cold node dist/index.js vs node -e 0)'
const runs = Number(flag('runs') ?? (quick() ? 7 : 21))

async function main(): Promise<BenchResult> {
  let dist: ReturnType<typeof stageDist>
  try {
    dist = stageDist(['index.js', 'cli.js'])
  } catch (err) {
    return unavailable('action-overhead', TITLE, (err as Error).message)
  }
  const work = join(dist.dir, '..', 'work')
  mkdirSync(work)
  copyFileSync(join(ROOT, 'examples/fleet.yaml'), join(work, 'fleet.yaml'))
  const runnerTemp = join(work, 'runner-temp')
  const output = join(work, 'github-output')
  const summary = join(work, 'step-summary')
  const index = join(dist.dir, 'index.js')
  const cli = join(dist.dir, 'cli.js')
  const planEnv = cleanEnv({
    INPUT_STAGE: 'plan',
    INPUT_INVENTORY: 'fleet.yaml',
    'INPUT_DRY-RUN': 'false',
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
    RUNNER_TEMP: runnerTemp,
    GITHUB_ACTIONS: 'true',
  })
  const noopEnv = cleanEnv({ INPUT_STAGE: 'no-such-stage', GITHUB_ACTIONS: 'true' })

  const kinds = {
    ref: () => runTimed(NODE, ['-e', '0'], { rss: true }),
    noop: () => runTimed(NODE, [index], { env: noopEnv, cwd: work, rss: true }),
    plan: () => {
      // Fresh files each run, as a runner gives each step.
      rmSync(runnerTemp, { recursive: true, force: true })
      mkdirSync(runnerTemp)
      writeFileSync(output, '')
      writeFileSync(summary, '')
      return runTimed(NODE, [index], { env: planEnv, cwd: work, rss: true })
    },
    cli: () =>
      runTimed(NODE, [cli, 'plan', '-i', 'fleet.yaml', '--json'], {
        cwd: work,
        keepStdout: false,
        rss: true,
      }),
  } as const
  type Kind = keyof typeof kinds
  const order = Object.keys(kinds) as Kind[]
  const samples: Record<Kind, TimedRun[]> = { ref: [], noop: [], plan: [], cli: [] }
  try {
    // One warm-up round (page cache, first exec of the binary), not counted.
    for (const k of order) await kinds[k]()
    for (let r = 0; r < runs; r++) {
      for (let i = 0; i < order.length; i++) {
        const k = order[(i + r) % order.length]!
        samples[k].push(await kinds[k]())
      }
    }
    const last = samples.plan.at(-1)!
    if (last.code !== 0) throw new Error(`the plan job exited ${last.code}: ${last.stderr || last.stdout}`)
    const outputs = readFileSync(output, 'utf8')
    if (!/^digest<</m.test(outputs)) throw new Error('the plan job wrote no digest output')
    const noopRun = samples.noop.at(-1)!
    if (noopRun.code !== 1 || !noopRun.stdout.includes('::error::'))
      throw new Error(`the no-op job should fail on its stage input: exit ${noopRun.code}, ${noopRun.stdout}`)
    const cliRun = samples.cli.at(-1)!
    if (cliRun.code !== 0) throw new Error(`dkp-fleet plan exited ${cliRun.code}: ${cliRun.stderr}`)

    const wall = (k: Kind) => samples[k].map((s) => s.wallMs)
    const cpu = (k: Kind) => median(samples[k].map((s) => s.cpuMs ?? Number.NaN))
    const rss = (k: Kind) => median(samples[k].map((s) => s.maxRss ?? Number.NaN))
    // Paired differences (same round) are steadier than a difference of medians on a busy machine.
    const beyond = (k: Kind) => median(samples[k].map((s, i) => s.wallMs - samples.ref[i]!.wallMs))
    const ref = median(wall('ref'))
    const refFig = { label: 'node -e 0', value: round(ref), unit: 'ms' }
    const firstLine = median(samples.plan.map((s) => s.firstOutputMs ?? s.wallMs))

    // parseInputs in-process: the first call (cold code) and the warmed cost per call.
    const inputs: Record<string, string> = {
      stage: 'kubernetes',
      inventory: 'fleet/*.yaml',
      cluster: 'prod-east-1',
      'plan-digest': `sha256:${'a'.repeat(64)}`,
      'dkp-version': 'v2.8.1',
      'dkp-sha256': 'b'.repeat(64),
      'dry-run': 'false',
      'timeout-minutes': '90',
    }
    const get = (name: string) => inputs[name] ?? ''
    let t = process.hrtime.bigint()
    parseInputs(get)
    const firstParseUs = Number(process.hrtime.bigint() - t) / 1e3
    const N = 20_000
    t = process.hrtime.bigint()
    for (let i = 0; i < N; i++) parseInputs(get)
    const perCallUs = Number(process.hrtime.bigint() - t) / 1e3 / N

    const figures = [
      figure({
        id: 'bundle-load',
        label: 'bundle load (index.js, no-op stage) beyond node',
        value: round(beyond('noop')),
        unit: 'ms',
        reference: refFig,
        ratio: round(median(wall('noop')) / ref, 2),
        target: { kind: 'max', limit: 150, unit: 'ms', text: '≤ 150 ms' },
        note: `absolute ${round(median(wall('noop')))} ms; CPU ${round(cpu('noop'))} ms vs ${round(cpu('ref'))} ms for node -e 0 (${round(cpu('noop') - cpu('ref'))} ms beyond)`,
      }),
      figure({
        id: 'bundle-load-cpu',
        label: 'bundle load, CPU time beyond node (steady under load)',
        value: round(cpu('noop') - cpu('ref')),
        unit: 'ms',
        reference: { label: 'node -e 0 CPU', value: round(cpu('ref')), unit: 'ms' },
        ratio: round(cpu('noop') / cpu('ref'), 2),
        target: { kind: 'max', limit: 150, unit: 'ms', text: '≤ 150 ms' },
      }),
      figure({
        id: 'plan-job',
        label: 'plan job (example fleet), start to exit',
        value: round(median(wall('plan'))),
        unit: 'ms',
        reference: refFig,
        target: { kind: 'max', limit: 500, unit: 'ms', text: '≤ 500 ms' },
        note: `${round(beyond('plan'))} ms beyond node; p90 ${round(quantile(wall('plan'), 0.9))} ms; CPU ${round(cpu('plan'))} ms; peak RSS ${round(rss('plan') / 1048576)} MB`,
      }),
      figure({
        id: 'plan-first-line',
        label: 'plan job, start to first output line',
        value: round(firstLine),
        unit: 'ms',
        reference: refFig,
      }),
      figure({
        id: 'cli-plan',
        label: 'dkp-fleet plan --json (example fleet), start to exit',
        value: round(median(wall('cli'))),
        unit: 'ms',
        reference: refFig,
        note: `${round(beyond('cli'))} ms beyond node`,
      }),
      figure({
        id: 'parse-inputs',
        label: 'parseInputs, in-process (warm, per call)',
        value: round(perCallUs, 2),
        unit: 'µs',
        reference: { label: 'node -e 0', value: round(ref * 1000), unit: 'µs' },
        note: `first call ${round(firstParseUs)} µs`,
      }),
    ]
    return {
      benchmark: 'action-overhead',
      title: TITLE,
      available: true,
      node: process.version,
      figures,
      details: {
        runs,
        dist: dist.source,
        medianMs: Object.fromEntries(order.map((k) => [k, round(median(wall(k)))])),
        medianCpuMs: Object.fromEntries(order.map((k) => [k, round(cpu(k))])),
        medianPeakRssMB: Object.fromEntries(order.map((k) => [k, round(rss(k) / 1048576)])),
        minMs: Object.fromEntries(order.map((k) => [k, round(Math.min(...wall(k)))])),
        p10Ms: Object.fromEntries(order.map((k) => [k, round(quantile(wall(k), 0.1))])),
        p90Ms: Object.fromEntries(order.map((k) => [k, round(quantile(wall(k), 0.9))])),
        outputBytes: Buffer.byteLength(outputs),
        summaryBytes: readFileSync(summary).length,
      },
    }
  } finally {
    dist.cleanup()
  }
}

emit(await main())
