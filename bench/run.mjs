// `npm run bench`: every benchmark in its own child process (clean timings and memory figures),
// then one table: figure, value, reference, ratio, target, result. `npm run bench -- --json`
// prints the same as one JSON document. See bench/README.md.
//
//   npm run bench [-- --json] [--quick] [--only a,b] [--skip a,b] [--dist DIR] [--list] [--strict]
//
// Benchmarks are TypeScript (bench/*.ts); each is bundled with esbuild into .tmp/bench/ (the
// project's packages stay external) and run on the project's Node, so no loader sits in the
// measured process. A benchmark whose file or inputs are missing (no dist/ yet, a helper not
// landed) is reported "not available" and does not fail the run; a benchmark that crashes does.

import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, platform, release } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

// The project's Node (node_modules/.bin/node, Node 24) even when started with another node.
const projectNode = join(root, 'node_modules/node/bin/node')
if (
  existsSync(projectNode) &&
  realpathSync(process.execPath) !== realpathSync(projectNode) &&
  !process.env.DKP_BENCH_REEXEC
) {
  const r = spawnSync(projectNode, process.argv.slice(1), {
    stdio: 'inherit',
    env: { ...process.env, DKP_BENCH_REEXEC: '1' },
  })
  process.exit(r.status ?? 1)
}

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    skip: { type: 'string' },
    dist: { type: 'string' },
    list: { type: 'boolean', default: false },
    strict: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
})

/**
 * The benchmarks, in the order they run. `adapt` turns a benchmark's own JSON into the runner's
 * result shape when it prints a different one (the installer and compat-scan benchmarks do).
 */
const BENCHMARKS = [
  { name: 'action-overhead', file: 'bench/action-overhead.ts', quickArgs: ['--runs', '7'] },
  { name: 'plan-scale', file: 'bench/plan-scale.ts', quickArgs: ['--sizes', '100,1000', '--runs', '1'] },
  { name: 'makespan', file: 'bench/makespan.ts', quickArgs: [] },
  // Two fresh simulated fleets upgraded by `dkp-fleet upgrade` (about 6 minutes; --quick too).
  { name: 'upgrade-makespan', file: 'bench/upgrade-makespan.ts', quickArgs: [] },
  { name: 'bundle-size', file: 'bench/bundle-size.ts', quickArgs: [] },
  {
    name: 'installer',
    file: 'bench/installer.ts',
    quickArgs: ['--size', '32', '--cold', '1', '--hits', '5'],
    adapt: adaptInstaller,
  },
  {
    name: 'dkp-cache',
    file: 'bench/dkp-cache.ts',
    quickArgs: ['--runs', '1', '--scale', '0.25'],
  },
  // The installer's hand-written pieces against the Actions toolkit functions they replace
  // (docs/architecture.md "Dependencies"); about 2 minutes, 1.5 with --quick.
  { name: 'deps', file: 'bench/deps.ts', quickArgs: ['--cap-seconds', '10'] },
  {
    name: 'compat-scan',
    file: 'bench/compat-scan.ts',
    quickArgs: ['--objects', '10000', '--files', '100', '--runs', '1', '--skip-full'],
    adapt: adaptCompatScan,
  },
  // SLOT: requests per `check` and per stage on the real test apiserver for 10/100/500
  // clusters, counted at the HTTP layer (kube.onRequest / kube.requests of src/effects/kube.ts).
  // Drop bench/api-calls.ts in (same result shape, see bench/README.md) and it runs here.
  { name: 'api-calls', file: 'bench/api-calls.ts', quickArgs: ['--sizes', '10,100'], slot: true },
]

if (values.help) {
  process.stdout.write(`${readHeader()}\n`)
  process.exit(0)
}
if (values.list) {
  for (const b of BENCHMARKS)
    process.stdout.write(
      `${b.name.padEnd(16)} ${b.file}${existsSync(join(root, b.file)) ? '' : '  (not available)'}\n`,
    )
  process.exit(0)
}

const pick = (list) =>
  list
    ? list
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined
const only = pick(values.only)
const skip = pick(values.skip) ?? []
const unknown = [...(only ?? []), ...skip].filter((n) => !BENCHMARKS.some((b) => b.name === n))
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown benchmark(s): ${unknown.join(', ')}; see --list\n`)
  process.exit(2)
}
const selected = BENCHMARKS.filter((b) => (!only || only.includes(b.name)) && !skip.includes(b.name))

const outDir = join(root, '.tmp/bench')
mkdirSync(outDir, { recursive: true })
const started = new Date()
const load0 = loadavg()
const results = []
const log = (line) => {
  if (!values.json || process.stderr.isTTY) process.stderr.write(`${line}\n`)
}

for (const b of selected) {
  const src = join(root, b.file)
  if (!existsSync(src)) {
    results.push(
      notAvailable(
        b,
        b.slot ? `slot: ${b.file} is not written yet (see bench/README.md)` : `${b.file} does not exist`,
      ),
    )
    log(`- ${b.name}: not available`)
    continue
  }
  const t = Date.now()
  log(`▶ ${b.name} …`)
  let bundle
  try {
    bundle = await bundleOf(b)
  } catch (err) {
    results.push(notAvailable(b, `cannot bundle ${b.file}: ${firstLine(err.message)}`))
    log(`  not available (${firstLine(err.message)})`)
    continue
  }
  const args = [bundle, '--json', ...(values.quick ? b.quickArgs.concat('--quick') : [])]
  if (values.dist) args.push('--dist', values.dist)
  const r = await run(process.execPath, args)
  let result
  try {
    const line = r.stdout
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .at(-1)
    if (r.code !== 0 || !line) throw new Error(`exited ${r.code}: ${lastLines(r.stderr || r.stdout)}`)
    const parsed = JSON.parse(line)
    result = b.adapt ? b.adapt(parsed) : parsed
  } catch (err) {
    result = {
      benchmark: b.name,
      title: b.name,
      available: true,
      error: err.message,
      figures: [],
      details: {},
    }
  }
  result.seconds = Math.round((Date.now() - t) / 100) / 10
  results.push(result)
  log(`  ${result.error ? 'ERROR' : result.available ? 'done' : 'not available'} in ${result.seconds} s`)
}

const report = {
  date: started.toISOString(),
  node: process.version,
  platform: `${platform()} ${release()} ${process.arch}`,
  cpu: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
  loadAverage: {
    start: load0.map((x) => Math.round(x * 100) / 100),
    end: loadavg().map((x) => Math.round(x * 100) / 100),
  },
  quick: values.quick,
  results,
}
// The last run as a whole, and each benchmark's last result on its own (a run with --only
// leaves the others' files as they were).
mkdirSync(join(root, 'bench/results'), { recursive: true })
writeFileSync(join(root, 'bench/results/latest.json'), `${JSON.stringify(report, null, 2)}\n`)
for (const r of results) {
  const { results: _all, ...meta } = report
  writeFileSync(
    join(root, `bench/results/${r.benchmark}.json`),
    `${JSON.stringify({ ...meta, result: r }, null, 2)}\n`,
  )
}

if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`)
else process.stdout.write(renderTable(report))

const crashed = results.filter((r) => r.error)
const failed = results.flatMap((r) => (r.figures ?? []).filter((f) => f.pass === false))
process.exitCode = crashed.length > 0 || (values.strict && failed.length > 0) ? 1 : 0

// ---- helpers ----

async function bundleOf(b) {
  const { build } = await import('esbuild')
  const outfile = join(outDir, `${b.name}.mjs`)
  await build({
    entryPoints: [join(root, b.file)],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22.19',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'silent',
    banner: {
      js: "import { createRequire as __benchRequire } from 'node:module'; const require = __benchRequire(import.meta.url);",
    },
  })
  return outfile
}

function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: root,
      env: { ...process.env, DKP_BENCH_ROOT: root },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d
    })
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 30 * 60_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

function notAvailable(b, reason) {
  return { benchmark: b.name, title: b.name, available: false, reason, figures: [], details: {} }
}

function adaptInstaller(r) {
  return {
    benchmark: 'installer',
    title: `dkp installer: cache hit vs cold install (${r.link})`,
    available: true,
    node: r.node,
    figures: [
      {
        id: 'installer-cache-hit',
        label: 'cache-hit install (re-hash of the cached binary)',
        value: r.cacheHitMs,
        unit: 'ms',
        reference: { label: 'cold install', value: r.coldInstallMs, unit: 'ms' },
        ratio: r.hitToColdRatio,
        target: { kind: 'max', limit: r.target, unit: '×', text: `< ${r.target * 100} % of cold` },
        pass: r.meetsTarget,
        note: `binary ${Math.round(r.binaryBytes / 1e6)} MB, sha256 ${Math.round(r.sha256BytesPerSecond / 1e6)} MB/s`,
      },
    ],
    details: r,
  }
}

function adaptCompatScan(r) {
  const figures = [
    {
      id: 'compat-scan-throughput',
      label: `compat scan, ${r.objects.toLocaleString('en-US')} objects in ${r.files} files`,
      value: r.objectsPerSecond,
      unit: 'objects/s',
      note: `${r.megabytesPerSecond} MB/s, ${r.findings} findings, best of ${r.runs} (median ${r.medianObjectsPerSecond} objects/s)`,
    },
  ]
  if (r.fullParseObjectsPerSecond) {
    figures[0].reference = {
      label: 'parse every document',
      value: r.fullParseObjectsPerSecond,
      unit: 'objects/s',
    }
    figures[0].ratio = Math.round((r.objectsPerSecond / r.fullParseObjectsPerSecond) * 100) / 100
  }
  if (r.denseFindings !== undefined) {
    // issue 20 §6: a finding should cost about what a scanned document costs
    figures.push({
      id: 'compat-scan-dense',
      label: `compat scan, dense case (${Math.round(r.denseShare * 100)} % on removed APIs, ${r.denseFindings} findings)`,
      value: r.denseObjectsPerSecond,
      unit: 'objects/s',
      reference: { label: 'sparse corpus', value: r.objectsPerSecond, unit: 'objects/s' },
      ratio: Math.round((r.denseObjectsPerSecond / r.objectsPerSecond) * 100) / 100,
      note: `${r.msPerExtraFinding} ms per extra finding vs ${r.msPerDocument} ms per scanned document`,
    })
  }
  for (const [id, label, ours, theirs, ratio, found, plutoFound] of [
    [
      'compat-scan-vs-pluto',
      'sparse corpus vs pluto v5.21.1 detect-files',
      r.bestSeconds,
      r.plutoSeconds,
      r.ratioToPluto,
      r.findings,
      r.plutoFindings,
    ],
    [
      'compat-scan-dense-vs-pluto',
      'dense corpus vs pluto v5.21.1 detect-files',
      r.denseSeconds,
      r.plutoDenseSeconds,
      r.denseRatioToPluto,
      r.denseFindings,
      r.plutoDenseFindings,
    ],
  ]) {
    if (theirs === undefined) continue
    figures.push({
      id,
      label,
      value: ours,
      unit: 's',
      reference: { label: 'pluto', value: theirs, unit: 's' },
      ratio,
      target: { kind: 'max', limit: 1, unit: '×', text: "at most pluto's wall time" },
      pass: ratio <= 1,
      note: `findings: ours ${found}, pluto ${plutoFound} (removed at the target)`,
    })
  }
  return {
    benchmark: 'compat-scan',
    title: 'Compat scan throughput',
    available: true,
    node: r.node,
    figures,
    details: r,
  }
}

function fmt(value, unit) {
  if (value === undefined || value === null || Number.isNaN(value)) return '–'
  // Ratios keep four decimals (1.0474 is not 1.05 next to a 1.05 target); tiny values two digits.
  const n =
    typeof value !== 'number'
      ? String(value)
      : value !== 0 && Math.abs(value) < 0.01
        ? value.toPrecision(2)
        : value.toLocaleString('en-US', { maximumFractionDigits: unit === '×' || !unit ? 4 : 2 })
  return unit ? `${n} ${unit}` : n
}

function renderTable(rep) {
  const rows = [['Figure', 'Value', 'Reference', 'Ratio', 'Target', 'Result']]
  const notes = []
  for (const r of rep.results) {
    rows.push([`[${r.benchmark}]`, '', '', '', '', ''])
    if (r.error) {
      rows.push([`  ERROR: ${firstLine(r.error)}`, '', '', '', '', 'error'])
      continue
    }
    if (!r.available) {
      rows.push([`  not available: ${r.reason}`, '', '', '', '', 'n/a'])
      continue
    }
    for (const f of r.figures) {
      rows.push([
        `  ${f.label}`,
        fmt(f.value, f.unit),
        f.reference ? `${f.reference.label}: ${fmt(f.reference.value, f.reference.unit)}` : '',
        f.ratio !== undefined ? `×${fmt(f.ratio)}` : '',
        f.target?.text ?? '',
        f.pass === undefined ? '' : f.pass ? 'pass' : 'FAIL',
      ])
      if (f.note) notes.push(`${f.label}: ${f.note}`)
    }
  }
  const widths = rows[0].map((_, i) => Math.min(i === 0 ? 70 : 40, Math.max(...rows.map((r) => r[i].length))))
  const line = (r) =>
    r
      .map((c, i) => (c.length > widths[i] ? `${c.slice(0, widths[i] - 1)}…` : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd()
  const out = [
    `dkp-fleet benchmarks — Node ${rep.node}, ${rep.platform}, ${rep.cpu}; load ${rep.loadAverage.start[0]} → ${rep.loadAverage.end[0]}${rep.quick ? ' (quick)' : ''}`,
    '',
    line(rows[0]),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.slice(1).map(line),
    '',
    'Notes:',
    ...notes.map((n) => `  - ${n}`),
    '',
    'Full results: bench/results/latest.json (npm run bench -- --json prints them).',
    '',
  ]
  return out.join('\n')
}

function firstLine(s) {
  return (
    String(s)
      .split('\n')
      .find((l) => l.trim()) ?? ''
  )
}

function lastLines(s) {
  const lines = String(s).trim().split('\n')
  const error = lines.find((l) => /^\w*Error\b/.test(l))
  const tail = lines.slice(-8)
  return [...(error && !tail.includes(error) ? [error] : []), ...tail].join('\n')
}

function readHeader() {
  return (
    'npm run bench [-- --json] [--quick] [--only a,b] [--skip a,b] [--dist DIR] [--list] [--strict]\nBenchmarks: ' +
    BENCHMARKS.map((b) => b.name).join(', ')
  )
}
