// Benchmark: plan scale. Generated fleets of 100, 1,000 and 10,000 managed clusters (10
// clusters per workspace: 1,000 workspaces at 10k; 1% attached; three inventory waves and 0.5%
// canaries, so waves split at 256) measured two ways, each size in fresh processes:
//   in-process  a child reads the file and times parseInventory (YAML + schema + semantics),
//               buildPlan and JSON.stringify separately, then reports its peak RSS; a second
//               child times the YAML parse alone (so parse = YAML + validation is split)
//   end to end  `node dist/cli.js plan -i <file> --json > /dev/null`: wall time and peak RSS
// plus one action plan job (`node dist/index.js`, INPUT_STAGE=plan) on the largest fleet, with the
// size of every output it writes against GitHub's 1 MB-per-job limit (counted as UTF-16).
// Growth exponent: log-log slope of time between 1k and 10k (1.0 = linear).
// js-yaml's worth: parseInventory (the js-yaml fast path) against parseLocated (the `yaml`
// parser with positions, all the inventory parsing would be without js-yaml), parse alone, each
// in a fresh child, interleaved in the same run: CPU time and peak RSS as ratios.
//
//   npx tsx bench/plan-scale.ts [--json] [--sizes 100,1000,10000] [--runs N] [--dist DIR] [--quick]

import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LineCounter, parseAllDocuments } from 'yaml'
import { parseInventory, parseLocated } from '../src/core/inventory.js'
import { buildPlan } from '../src/core/plan.js'
import { planJsonChunks } from '../src/core/plan-json.js'
import { fleetYaml, generateFleet } from '../test/helpers/fleet-gen.js'
import {
  type BenchResult,
  cleanEnv,
  emit,
  type Figure,
  figure,
  flag,
  mb,
  median,
  NODE,
  quick,
  round,
  runTimed,
  stageDist,
} from './lib/common.js'

const TITLE = 'Plan scale (100 / 1,000 / 10,000 clusters)'
const GITHUB_JOB_OUTPUT_LIMIT = 1024 * 1024

interface ChildFull {
  bytes: number
  readMs: number
  parseMs: number
  planMs: number
  serializeMs: number
  totalMs: number
  /** CPU time (user + system) of parse, plan and serialize: steadier than wall time on a busy machine. */
  cpuMs: { parse: number; plan: number; serialize: number; total: number }
  jsonBytes: number
  steps: number
  needsEntries: number
  waves: number
  baselineRss: number
  maxRss: number
  heapUsed: number
}

interface ChildParse {
  ms: number
  cpuMs: number
  maxRss: number
  baselineRss: number
}

interface ChildYaml {
  yamlMs: number
  yamlCpuMs: number
  maxRss: number
}

// ---- child modes: one measurement in a fresh process, one JSON line on stdout ----

async function child(mode: string, file: string): Promise<void> {
  const baselineRss = process.memoryUsage().rss
  const cpu = () => {
    const u = process.cpuUsage()
    return (u.user + u.system) / 1000
  }
  const c0 = cpu()
  const t0 = performance.now()
  const content = new Uint8Array(readFileSync(file))
  const t1 = performance.now()
  const c1 = cpu()
  if (mode === 'yaml') {
    const lines = new LineCounter()
    const docs = parseAllDocuments(new TextDecoder('utf-8', { fatal: true }).decode(content), {
      lineCounter: lines,
      prettyErrors: false,
      uniqueKeys: true,
    })
    for (const d of Array.isArray(docs) ? docs : [docs]) d.toJS({ maxAliasCount: 100 })
    const out: ChildYaml = {
      yamlMs: performance.now() - t1,
      yamlCpuMs: cpu() - c1,
      maxRss: process.resourceUsage().maxRSS * 1024,
    }
    process.stdout.write(`${JSON.stringify(out)}\n`)
    return
  }
  if (mode === 'parse-fast' || mode === 'parse-located') {
    const parse = mode === 'parse-fast' ? parseInventory : parseLocated
    const { inventory } = parse([{ path: 'fleet.yaml', content }])
    if (inventory.clusters.length === 0) throw new Error('no clusters parsed')
    const out: ChildParse = {
      ms: performance.now() - t1,
      cpuMs: cpu() - c1,
      maxRss: process.resourceUsage().maxRSS * 1024,
      baselineRss,
    }
    process.stdout.write(`${JSON.stringify(out)}\n`)
    return
  }
  const { inventory } = parseInventory([{ path: 'fleet.yaml', content }])
  const t2 = performance.now()
  const c2 = cpu()
  const plan = buildPlan(inventory)
  const t3 = performance.now()
  const c3 = cpu()
  // Serialised the way `dkp-fleet plan --json` and the plan job write it: streamed in chunks
  // (to /dev/null here), never one whole string.
  let jsonBytes = 0
  const sink = openSync('/dev/null', 'w')
  for (const chunk of planJsonChunks(plan)) {
    writeSync(sink, chunk)
    jsonBytes += Buffer.byteLength(chunk)
  }
  closeSync(sink)
  const t4 = performance.now()
  const c4 = cpu()
  const out: ChildFull = {
    bytes: content.byteLength,
    readMs: t1 - t0,
    parseMs: t2 - t1,
    planMs: t3 - t2,
    serializeMs: t4 - t3,
    totalMs: t4 - t0,
    cpuMs: { parse: c2 - c1, plan: c3 - c2, serialize: c4 - c3, total: c4 - c0 },
    jsonBytes,
    steps: plan.steps.length,
    needsEntries: plan.steps.reduce((n, s) => n + s.needs.length, 0),
    waves: plan.waves.length,
    baselineRss,
    maxRss: process.resourceUsage().maxRSS * 1024,
    heapUsed: process.memoryUsage().heapUsed,
  }
  process.stdout.write(`${JSON.stringify(out)}\n`)
}

// ---- parent ----

/** Re-runs this benchmark file as a child (its bundle, or the .ts through tsx). */
function selfArgs(): string[] {
  const self = process.argv[1]!
  return self.endsWith('.ts') ? ['--import', 'tsx', self] : [self]
}

async function runChild<T>(mode: string, file: string): Promise<T> {
  const r = await runTimed(NODE, [...selfArgs(), '--child', mode, file], { env: process.env })
  if (r.code !== 0) throw new Error(`child ${mode} ${file} exited ${r.code}: ${r.stderr}`)
  return JSON.parse(r.stdout) as T
}

function fleetFile(dir: string, clusters: number): { file: string; bytes: number; workspaces: number } {
  const workspaces = Math.max(1, Math.round(clusters / 10))
  const doc = generateFleet({
    managed: clusters,
    attached: Math.round(clusters / 100),
    workspaces,
    waves: [1, 2, 3],
    canaryRatio: 0.005,
    maxParallel: 10,
    workspaceApps: true,
    projectApps: true,
    seed: 20_240_601,
  })
  const file = join(dir, `fleet-${clusters}.yaml`)
  const text = fleetYaml(doc, `# generated by bench/plan-scale.ts: ${clusters} managed clusters\n`)
  writeFileSync(file, text)
  return { file, bytes: Buffer.byteLength(text), workspaces }
}

/** Sizes of the outputs a job wrote to GITHUB_OUTPUT (heredoc form name<<delimiter). */
function outputSizes(text: string): Record<string, number> {
  const sizes: Record<string, number> = {}
  const re = /^([^\n<]+)<<(\S+)\n([\s\S]*?)\n\2$/gm
  for (const m of text.matchAll(re)) sizes[m[1]!] = m[3]!.length
  return sizes
}

async function parent(): Promise<BenchResult> {
  const sizes = (flag('sizes') ?? (quick() ? '100,1000' : '100,1000,10000')).split(',').map(Number)
  const runs = Number(flag('runs') ?? (quick() ? 1 : 3))
  const dir = mkdtempSync(join(tmpdir(), 'dkp-bench-plan-'))
  let dist: ReturnType<typeof stageDist> | undefined
  let distError: string | undefined
  try {
    dist = stageDist(['cli.js', 'index.js'])
  } catch (err) {
    distError = (err as Error).message
  }
  try {
    const rows: Record<string, unknown>[] = []
    const inproc = new Map<number, ChildFull>()
    const e2e = new Map<number, { ms: number; rss: number }>()
    const parsers = new Map<number, { fast: ChildParse; located: ChildParse }>()
    for (const n of sizes) {
      const { file, bytes, workspaces } = fleetFile(dir, n)
      const full: ChildFull[] = []
      const yaml: ChildYaml[] = []
      const cli: { ms: number; rss: number }[] = []
      const fast: ChildParse[] = []
      const located: ChildParse[] = []
      for (let r = 0; r < runs; r++) {
        full.push(await runChild<ChildFull>('full', file))
        yaml.push(await runChild<ChildYaml>('yaml', file))
        fast.push(await runChild<ChildParse>('parse-fast', file))
        located.push(await runChild<ChildParse>('parse-located', file))
        if (dist) {
          // stdout straight to /dev/null, as in `> /dev/null`: the 10k plan is tens of MB.
          const devnull = openSync('/dev/null', 'w')
          try {
            const t = await runTimed(NODE, [join(dist.dir, 'cli.js'), 'plan', '-i', file, '--json'], {
              rss: true,
              stdoutFd: devnull,
            })
            if (t.code !== 0) throw new Error(`dkp-fleet plan on ${n} clusters exited ${t.code}: ${t.stderr}`)
            cli.push({ ms: t.wallMs, rss: t.maxRss ?? Number.NaN })
          } finally {
            closeSync(devnull)
          }
        }
      }
      const med = <T>(xs: T[], f: (x: T) => number) => median(xs.map(f))
      const m: ChildFull = {
        ...full[0]!,
        readMs: med(full, (x) => x.readMs),
        parseMs: med(full, (x) => x.parseMs),
        planMs: med(full, (x) => x.planMs),
        serializeMs: med(full, (x) => x.serializeMs),
        totalMs: med(full, (x) => x.totalMs),
        cpuMs: {
          parse: med(full, (x) => x.cpuMs.parse),
          plan: med(full, (x) => x.cpuMs.plan),
          serialize: med(full, (x) => x.cpuMs.serialize),
          total: med(full, (x) => x.cpuMs.total),
        },
        maxRss: med(full, (x) => x.maxRss),
        baselineRss: med(full, (x) => x.baselineRss),
      }
      inproc.set(n, m)
      const medParse = (xs: ChildParse[]): ChildParse => ({
        ms: med(xs, (x) => x.ms),
        cpuMs: med(xs, (x) => x.cpuMs),
        maxRss: med(xs, (x) => x.maxRss),
        baselineRss: med(xs, (x) => x.baselineRss),
      })
      parsers.set(n, { fast: medParse(fast), located: medParse(located) })
      const yamlMs = med(yaml, (x) => x.yamlMs)
      const yamlCpuMs = med(yaml, (x) => x.yamlCpuMs)
      if (cli.length) e2e.set(n, { ms: med(cli, (x) => x.ms), rss: med(cli, (x) => x.rss) })
      rows.push({
        clusters: n,
        workspaces,
        inventoryBytes: bytes,
        steps: m.steps,
        waves: m.waves,
        needsEntries: m.needsEntries,
        planJsonBytes: m.jsonBytes,
        inProcessMs: {
          read: round(m.readMs),
          parseInventory: round(m.parseMs),
          ofWhichYaml: round(yamlMs),
          validateAndBuild: round(Math.max(0, m.parseMs - yamlMs)),
          buildPlan: round(m.planMs),
          serialize: round(m.serializeMs),
          total: round(m.totalMs),
        },
        inProcessCpuMs: {
          parseInventory: round(m.cpuMs.parse),
          ofWhichYaml: round(yamlCpuMs),
          buildPlan: round(m.cpuMs.plan),
          serialize: round(m.cpuMs.serialize),
          total: round(m.cpuMs.total),
        },
        inProcessPeakRssMB: mb(m.maxRss),
        processBaselineRssMB: mb(m.baselineRss),
        parseOnly: parsers.get(n),
        cliEndToEnd: e2e.has(n) ? { ms: round(e2e.get(n)!.ms), peakRssMB: mb(e2e.get(n)!.rss) } : distError,
      })
    }

    // One action plan job on the largest fleet: time, memory and the outputs it writes.
    let action: Record<string, unknown> | undefined
    const largest = Math.max(...sizes)
    if (dist) {
      const work = join(dir, 'job')
      mkdirSync(join(work, 'temp'), { recursive: true })
      const output = join(work, 'output')
      writeFileSync(output, '')
      writeFileSync(join(work, 'summary'), '')
      const t = await runTimed(NODE, [join(dist.dir, 'index.js')], {
        env: cleanEnv({
          INPUT_STAGE: 'plan',
          INPUT_INVENTORY: join(dir, `fleet-${largest}.yaml`),
          GITHUB_OUTPUT: output,
          GITHUB_STEP_SUMMARY: join(work, 'summary'),
          RUNNER_TEMP: join(work, 'temp'),
          GITHUB_ACTIONS: 'true',
        }),
        rss: true,
      })
      const outputs = outputSizes(readFileSync(output, 'utf8'))
      const chars = Object.values(outputs).reduce((a, b) => a + b, 0)
      // GitHub's 1 MB limit applies to job outputs: the shipped workflow's plan job forwards
      // these step outputs (.github/workflows/dkp-fleet-upgrade.yml, jobs.plan.outputs).
      const forwarded = ['digest', 'waves', 'wave-count', 'stages', 'plan']
      const jobChars = forwarded.reduce((a, k) => a + (outputs[k] ?? 0), 0)
      action = {
        clusters: largest,
        exitCode: t.code,
        ms: round(t.wallMs),
        peakRssMB: mb(t.maxRss ?? Number.NaN),
        outputChars: outputs,
        outputUtf16Bytes: chars * 2,
        jobOutputUtf16Bytes: jobChars * 2,
        summaryBytes: readFileSync(join(work, 'summary')).length,
        error: t.code === 0 ? undefined : t.stdout.split('\n').find((l) => l.startsWith('::error')),
      }
    }

    const figures: Figure[] = []
    const top = inproc.get(largest)!
    const slope = (f: (n: number) => number | undefined) => {
      const [a, b] = [sizes.at(-2), sizes.at(-1)]
      if (a === undefined || b === undefined) return undefined
      const [ya, yb] = [f(a), f(b)]
      return ya && yb ? round(Math.log(yb / ya) / Math.log(b / a), 2) : undefined
    }
    const refLabel = (n: number) => `${n.toLocaleString('en-US')} clusters`
    figures.push(
      figure({
        id: 'plan-inproc-time',
        label: `parse + plan + serialize, ${refLabel(largest)} (in-process)`,
        value: round(top.totalMs),
        unit: 'ms',
        target: { kind: 'max', limit: 1000, unit: 'ms', text: '≤ 1 s' },
        note: `parse ${round(top.parseMs)} ms, buildPlan ${round(top.planMs)} ms, JSON ${round(top.serializeMs)} ms; CPU ${round(top.cpuMs.total)} ms`,
      }),
      figure({
        id: 'plan-buildplan-time',
        label: `buildPlan alone, ${refLabel(largest)}`,
        value: round(top.planMs, 1),
        unit: 'ms',
        target: { kind: 'max', limit: 1000, unit: 'ms', text: '≤ 1 s' },
      }),
      figure({
        id: 'plan-inproc-rss',
        label: `peak RSS, ${refLabel(largest)} (in-process)`,
        value: mb(top.maxRss),
        unit: 'MB',
        reference: { label: 'same process before work', value: mb(top.baselineRss), unit: 'MB' },
        target: { kind: 'max', limit: 200, unit: 'MB', text: '≤ 200 MB' },
      }),
    )
    const p = parsers.get(largest)!
    const ratios = sizes
      .map((n) => {
        const q = parsers.get(n)!
        return `${refLabel(n)} ×${round(q.fast.cpuMs / q.located.cpuMs, 2)}`
      })
      .join(', ')
    figures.push(
      figure({
        id: 'plan-parse-js-yaml',
        label: `parseInventory with the js-yaml fast path, ${refLabel(largest)} (CPU)`,
        value: round(p.fast.cpuMs),
        unit: 'ms',
        reference: { label: 'yaml only (parseLocated)', value: round(p.located.cpuMs), unit: 'ms' },
        note: `CPU ratio by size: ${ratios}; wall ${round(p.fast.ms)} vs ${round(p.located.ms)} ms; peak RSS ${mb(p.fast.maxRss)} vs ${mb(p.located.maxRss)} MB (process before work ${mb(p.fast.baselineRss)} MB)`,
      }),
    )
    const e = e2e.get(largest)
    if (e) {
      figures.push(
        figure({
          id: 'plan-cli-time',
          label: `dkp-fleet plan --json, ${refLabel(largest)} (end to end)`,
          value: round(e.ms),
          unit: 'ms',
          target: { kind: 'max', limit: 1000, unit: 'ms', text: '≤ 1 s' },
        }),
        figure({
          id: 'plan-cli-rss',
          label: `dkp-fleet plan --json peak RSS, ${refLabel(largest)}`,
          value: mb(e.rss),
          unit: 'MB',
          target: { kind: 'max', limit: 200, unit: 'MB', text: '≤ 200 MB' },
        }),
      )
    }
    const exp = slope((n) => inproc.get(n)?.totalMs)
    if (exp !== undefined)
      figures.push(
        figure({
          id: 'plan-growth',
          label: `growth exponent of in-process time (${sizes.at(-2)} → ${sizes.at(-1)})`,
          value: exp,
          unit: '',
          target: { kind: 'max', limit: 1.2, unit: '', text: '≤ 1.2 (≈ linear)' },
          note: `buildPlan alone ${slope((n) => inproc.get(n)?.planMs)}; end to end ${slope((n) => e2e.get(n)?.ms) ?? 'n/a'}; plan JSON size ${slope((n) => inproc.get(n)?.jsonBytes)}`,
        }),
      )
    figures.push(
      figure({
        id: 'plan-json-size',
        label: `plan JSON size, ${refLabel(largest)}`,
        value: mb(top.jsonBytes),
        unit: 'MB',
        reference: { label: 'inventory YAML', value: mb(top.bytes), unit: 'MB' },
        note: `${top.steps} steps, ${top.needsEntries.toLocaleString('en-US')} needs entries in ${top.waves} waves`,
      }),
    )
    if (action) {
      figures.push(
        figure({
          id: 'action-plan-outputs',
          label: `plan job outputs the shipped workflow forwards, ${refLabel(largest)} (UTF-16 bytes)`,
          value: mb(action.jobOutputUtf16Bytes as number),
          unit: 'MB',
          reference: { label: 'GitHub job output limit', value: mb(GITHUB_JOB_OUTPUT_LIMIT), unit: 'MB' },
          target: { kind: 'max', limit: mb(GITHUB_JOB_OUTPUT_LIMIT), unit: 'MB', text: '≤ 1 MB per job' },
          note: `all step outputs ${mb(action.outputUtf16Bytes as number)} MB (matrix and waves each list every managed cluster; the workflow forwards waves only); job ${action.ms} ms, peak RSS ${action.peakRssMB} MB; largest: ${Object.entries(
            action.outputChars as Record<string, number>,
          )
            .sort((a, b) => b[1] - a[1])
            .slice(0, 3)
            .map(([k, v]) => `${k} ${round(v / 1024)} KiB`)
            .join(', ')}`,
        }),
      )
    }
    return {
      benchmark: 'plan-scale',
      title: TITLE,
      available: true,
      node: process.version,
      figures,
      details: { runs, sizes: rows, actionPlanJob: action, dist: dist?.source ?? distError },
    }
  } finally {
    dist?.cleanup()
    rmSync(dir, { recursive: true, force: true })
  }
}

const childAt = process.argv.indexOf('--child')
if (childAt >= 0) {
  // The same young-generation setting as the CLI and action entries, so the in-process figure
  // measures the core as the product runs it.
  await import('../src/heap-tuning.js')
  await child(process.argv[childAt + 1]!, process.argv[childAt + 2]!)
} else emit(await parent())
