// Benchmark: the size of dist/ and what each path actually loads. Every entry and chunk (bytes
// and gzip), the total, and — measured with a module-load hook in a real run — the bytes loaded
// by a plan job (`dist/index.js`, INPUT_STAGE=plan) and by `dkp-fleet plan`, against the chunk
// that holds @kubernetes/client-node, which those paths must never load.
//
//   npx tsx bench/bundle-size.ts [--json] [--dist DIR]

import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { gzipSync } from 'node:zlib'
import {
  type BenchResult,
  cleanEnv,
  emit,
  type Figure,
  figure,
  NODE,
  ROOT,
  round,
  runTimed,
  stageDist,
  unavailable,
} from './lib/common.js'

const TITLE = 'Bundle size of dist/ (entries, chunks, what the plan path loads)'

/** Preload: records every file: module the process loads, written as JSON on exit. */
const LOAD_TRACE =
  'data:text/javascript,' +
  encodeURIComponent(
    "import{registerHooks}from'node:module';import{writeFileSync}from'node:fs';import{fileURLToPath}from'node:url';" +
      'const seen=new Set();registerHooks({load(u,c,n){if(u.startsWith("file:"))seen.add(fileURLToPath(u));return n(u,c)}});' +
      "process.on('exit',()=>writeFileSync(process.env.DKP_BENCH_TRACE,JSON.stringify([...seen])))",
  )

const kb = (b: number) => round(b / 1024, 1)

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  )
}

async function main(): Promise<BenchResult> {
  let dist: ReturnType<typeof stageDist>
  try {
    dist = stageDist(['index.js', 'cli.js'])
  } catch (err) {
    return unavailable('bundle-size', TITLE, (err as Error).message)
  }
  try {
    const files = walk(dist.dir).filter((f) => f.endsWith('.js'))
    const info = files.map((f) => {
      const data = readFileSync(f)
      const rel = relative(dist.dir, f)
      return {
        file: rel,
        bytes: data.length,
        gzip: gzipSync(data).length,
        entry: !rel.includes('/'),
        kube: data.includes('"KubeConfig"'),
      }
    })
    const maps = walk(dist.dir)
      .filter((f) => f.endsWith('.map'))
      .reduce((t, f) => t + readFileSync(f).length, 0)
    const total = info.reduce((t, f) => t + f.bytes, 0)
    const totalGzip = info.reduce((t, f) => t + f.gzip, 0)
    const kube = info.filter((f) => f.kube)
    const kubeBytes = kube.reduce((t, f) => t + f.bytes, 0)

    // What a plan job and `dkp-fleet plan` load, measured.
    const work = join(dist.dir, '..', 'work')
    mkdirSync(join(work, 'temp'), { recursive: true })
    copyFileSync(join(ROOT, 'examples/fleet.yaml'), join(work, 'fleet.yaml'))
    const trace = async (label: string, args: string[], env: NodeJS.ProcessEnv) => {
      const out = join(work, `trace-${label}.json`)
      const r = await runTimed(NODE, ['--import', LOAD_TRACE, ...args], {
        env: { ...env, DKP_BENCH_TRACE: out },
        cwd: work,
      })
      const loaded = (JSON.parse(readFileSync(out, 'utf8')) as string[]).filter((f) => f.startsWith(dist.dir))
      const rel = new Set(loaded.map((f) => relative(dist.dir, f)))
      const bytes = info.filter((f) => rel.has(f.file)).reduce((t, f) => t + f.bytes, 0)
      return {
        label,
        exitCode: r.code,
        files: [...rel].sort(),
        bytes,
        kubeLoaded: kube.some((k) => rel.has(k.file)),
      }
    }
    writeFileSync(join(work, 'output'), '')
    writeFileSync(join(work, 'summary'), '')
    const planJob = await trace('action-plan', [join(dist.dir, 'index.js')], {
      ...cleanEnv(),
      INPUT_STAGE: 'plan',
      INPUT_INVENTORY: 'fleet.yaml',
      GITHUB_OUTPUT: join(work, 'output'),
      GITHUB_STEP_SUMMARY: join(work, 'summary'),
      RUNNER_TEMP: join(work, 'temp'),
    })
    const cliPlan = await trace(
      'cli-plan',
      [join(dist.dir, 'cli.js'), 'plan', '-i', 'fleet.yaml', '--json'],
      cleanEnv(),
    )
    const cliValidate = await trace(
      'cli-validate',
      [join(dist.dir, 'cli.js'), 'validate', '-i', 'fleet.yaml'],
      cleanEnv(),
    )

    const figures: Figure[] = [
      figure({
        id: 'dist-total',
        label: `dist/ JavaScript, ${info.filter((f) => f.entry).length} entries + ${info.filter((f) => !f.entry).length} chunks`,
        value: kb(total),
        unit: 'KiB',
        note: `gzip ${kb(totalGzip)} KiB; source maps ${kb(maps)} KiB more`,
      }),
      figure({
        id: 'plan-path-bytes',
        label: 'loaded by a plan job (index.js, INPUT_STAGE=plan)',
        value: kb(planJob.bytes),
        unit: 'KiB',
        reference: { label: 'client-node chunk', value: kb(kubeBytes), unit: 'KiB' },
        note: `${planJob.files.length} files of dist/; exit ${planJob.exitCode}`,
      }),
      figure({
        id: 'cli-plan-bytes',
        label: 'loaded by dkp-fleet plan',
        value: kb(cliPlan.bytes),
        unit: 'KiB',
        reference: { label: 'dist/ total', value: kb(total), unit: 'KiB' },
        note: `validate loads ${kb(cliValidate.bytes)} KiB`,
      }),
      figure({
        id: 'plan-path-kube',
        label: 'client-node bytes loaded on the plan paths (action, CLI)',
        value: kb(
          (planJob.kubeLoaded || cliPlan.kubeLoaded || cliValidate.kubeLoaded ? kubeBytes : 0) +
            (kube.length === 0 ? Number.NaN : 0),
        ),
        unit: 'KiB',
        target: { kind: 'max', limit: 0, unit: 'KiB', text: '0 (dynamic import only)' },
        note:
          kube.length === 0
            ? 'no chunk with @kubernetes/client-node found'
            : `client-node in ${kube.map((k) => k.file).join(', ')}`,
      }),
    ]
    for (const e of info.filter((f) => f.entry)) {
      figures.push(
        figure({ id: `entry-${e.file}`, label: `entry ${e.file}`, value: kb(e.bytes), unit: 'KiB' }),
      )
    }
    return {
      benchmark: 'bundle-size',
      title: TITLE,
      available: true,
      node: process.version,
      figures,
      details: {
        dist: dist.source,
        totalBytes: total,
        totalGzipBytes: totalGzip,
        sourceMapBytes: maps,
        kubeChunks: kube.map((k) => ({ file: k.file, bytes: k.bytes })),
        largest: [...info].sort((a, b) => b.bytes - a.bytes).slice(0, 10),
        entries: info.filter((f) => f.entry),
        paths: [planJob, cliPlan, cliValidate],
      },
    }
  } finally {
    dist.cleanup()
  }
}

emit(await main())
