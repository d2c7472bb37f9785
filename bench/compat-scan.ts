// Benchmark: removed-API scan throughput of `dkp-fleet check --manifests` on a generated corpus.
//   npx tsx bench/compat-scan.ts [--objects 50000] [--files 500] [--runs 3] [--skip-full] [--keep] [--json]
//     [--removed 0.03] [--dense 0.4 | --dense 0] [--pluto PATH]
// The corpus (fixed seed, so every run scans the same bytes) mixes plain multi-document YAML,
// `helm template` output with `# Source:` comments, `List` kinds and JSON files; about 3% of
// the objects use a removed API. It is written to a temp dir, scanned `--runs` times through
// the same code path as the CLI (directory walk, file reads, YAML parse, table lookups), and
// deleted. Reported: objects/s and MB/s of the best and the median run of the default scan,
// and of one run with parseAll (every document through the YAML parser) for comparison; the
// two must agree on the findings.
// The dense case (issue 20 §6): the same corpus shape with `--dense` (default 0.4) of the
// objects on removed APIs, so the cost of a finding shows; `--dense 0` skips it. With a pluto
// binary (`--pluto PATH`, or $PLUTO_BIN; build v5.21.1 with `go build
// github.com/fairwindsops/pluto/v5/cmd/pluto` in a throwaway module), `pluto detect-files` runs
// on both corpora, best of the same runs, and the ratios ours/pluto are reported (below 1:
// faster than pluto), with both finding counts (pluto's removed-at-target objects).

import { spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { scanManifestPaths } from '../src/effects/manifest-files.js'

const { values } = parseArgs({
  options: {
    objects: { type: 'string', default: '50000' },
    files: { type: 'string', default: '500' },
    runs: { type: 'string', default: '3' },
    target: { type: 'string', default: '1.29' },
    json: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'skip-full': { type: 'boolean', default: false },
    removed: { type: 'string', default: '0.03' },
    dense: { type: 'string', default: '0.4' },
    pluto: { type: 'string', default: process.env.PLUTO_BIN ?? '' },
  },
})
const OBJECTS = Number(values.objects)
const FILES = Number(values.files)
const RUNS = Math.max(1, Number(values.runs))
const SEED = 0x5eed_2024
/** Share of objects that use a removed API (0.03 by default; 0.4 is the dense case). */
const REMOVED_SHARE = Number(values.removed)

/** mulberry32: small, fast, deterministic. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
let random = rng(SEED)
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!

const CURRENT = [
  ['apps/v1', 'Deployment'],
  ['v1', 'Service'],
  ['v1', 'ConfigMap'],
  ['batch/v1', 'CronJob'],
  ['policy/v1', 'PodDisruptionBudget'],
  ['networking.k8s.io/v1', 'Ingress'],
  ['autoscaling/v2', 'HorizontalPodAutoscaler'],
  ['rbac.authorization.k8s.io/v1', 'RoleBinding'],
] as const
const REMOVED = [
  ['batch/v1beta1', 'CronJob'],
  ['policy/v1beta1', 'PodDisruptionBudget'],
  ['extensions/v1beta1', 'Ingress'],
  ['autoscaling/v2beta2', 'HorizontalPodAutoscaler'],
  ['rbac.authorization.k8s.io/v1beta1', 'RoleBinding'],
] as const

function objectOf(i: number, share: number): Record<string, unknown> {
  const [apiVersion, kind] = random() < share ? pick(REMOVED) : pick(CURRENT)
  const name = `obj-${i}`
  const namespace = `team-${i % 37}`
  const labels = {
    app: name,
    'app.kubernetes.io/part-of': `suite-${i % 11}`,
    tier: pick(['web', 'db', 'batch']),
  }
  const container = {
    name: 'main',
    image: `registry.example.com/${name}:${1 + (i % 9)}.${i % 13}.0`,
    ports: [{ containerPort: 8080, name: 'http' }],
    env: [
      { name: 'LOG_LEVEL', value: pick(['info', 'debug', 'warn']) },
      { name: 'REGION', value: pick(['us-east-1', 'eu-west-1']) },
    ],
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
  }
  const spec =
    kind === 'Deployment'
      ? {
          replicas: 2,
          selector: { matchLabels: { app: name } },
          template: { metadata: { labels }, spec: { containers: [container] } },
        }
      : kind === 'ConfigMap'
        ? undefined
        : { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] }
  return {
    apiVersion,
    kind,
    metadata: { name, namespace, labels, annotations: { 'example.com/owner': `owner-${i % 5}` } },
    ...(spec ? { spec } : { data: { 'config.yaml': `key: ${i}\nother: value\n` } }),
  }
}

function yamlOf(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    return value
      .map((v) => {
        const body = yamlOf(v, `${indent}  `)
        return `${indent}- ${body.trimStart()}`
      })
      .join('')
  }
  if (value && typeof value === 'object') {
    return Object.entries(value)
      .map(([k, v]) => {
        const key = /^[A-Za-z0-9_./-]+$/.test(k) ? k : JSON.stringify(k)
        if (v && typeof v === 'object') return `${indent}${key}:\n${yamlOf(v, `${indent}  `)}`
        return `${indent}${key}: ${typeof v === 'string' ? JSON.stringify(v) : String(v)}\n`
      })
      .join('')
  }
  return `${JSON.stringify(value)}\n`
}

async function generate(dir: string, share = REMOVED_SHARE): Promise<{ bytes: number; objects: number }> {
  random = rng(SEED)
  let bytes = 0
  let next = 0
  const perFile = Math.ceil(OBJECTS / FILES)
  for (let f = 0; f < FILES && next < OBJECTS; f++) {
    const objs: Record<string, unknown>[] = []
    for (let k = 0; k < perFile && next < OBJECTS; k++) objs.push(objectOf(next++, share))
    const style = f % 20
    let name: string
    let text: string
    if (style === 0) {
      name = `json/file-${f}.json`
      text = `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objs }, null, 2)}\n`
    } else if (style < 3) {
      name = `lists/file-${f}.yaml`
      text = yamlOf({ apiVersion: 'v1', kind: 'List', items: objs })
    } else if (style < 6) {
      name = `rendered/chart-${f}.yaml`
      text = objs.map((o, k) => `---\n# Source: chart-${f}/templates/t${k}.yaml\n${yamlOf(o)}`).join('')
    } else {
      name = `apps/team-${f % 23}/file-${f}.yaml`
      text = objs.map((o) => yamlOf(o)).join('---\n')
    }
    const path = join(dir, name)
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, text)
    bytes += Buffer.byteLength(text)
  }
  return { bytes, objects: next }
}

interface Run {
  seconds: number
  findings: number
  files: number
  bytes: number
  parsedDocuments: number
}

async function measure(dir: string, parseAll: boolean, runs: number): Promise<Run[]> {
  const out: Run[] = []
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint()
    const result = await scanManifestPaths([dir], { target: values.target, base: dir, parseAll })
    const seconds = Number(process.hrtime.bigint() - start) / 1e9
    out.push({
      seconds,
      findings: result.findings.length,
      files: result.files,
      bytes: result.bytes,
      parsedDocuments: result.parsedDocuments,
    })
  }
  return out.sort((a, b) => a.seconds - b.seconds)
}

interface PlutoRun {
  seconds: number
  /** Objects pluto reports as removed at the target. */
  removed: number
}

/** `pluto detect-files` on a directory, best of `runs` (wall time of the whole process). */
function runPluto(bin: string, dir: string, runs: number): PlutoRun {
  const minor = String(values.target).replace(/^v/, '').split('.').slice(0, 2).join('.')
  let best: PlutoRun | undefined
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint()
    const res = spawnSync(
      bin,
      ['detect-files', '-d', dir, '-o', 'json', '--target-versions', `k8s=v${minor}.0`],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 30,
      },
    )
    const seconds = Number(process.hrtime.bigint() - start) / 1e9
    if (res.error) throw res.error
    const items = (JSON.parse(res.stdout || '{}') as { items?: { removed?: boolean }[] }).items ?? []
    const run = { seconds, removed: items.filter((i) => i.removed).length }
    if (!best || run.seconds < best.seconds) best = run
  }
  return best!
}

interface DenseResult {
  denseShare: number
  denseFindings: number
  denseSeconds: number
  denseObjectsPerSecond: number
  denseParsedDocuments: number
  msPerExtraFinding: number | null
  msPerDocument: number
  plutoSeconds?: number
  plutoFindings?: number
  plutoDenseSeconds?: number
  plutoDenseFindings?: number
  ratioToPluto?: number
  denseRatioToPluto?: number
}

/** The dense corpus: scanned by us (best of RUNS) and, when given, by pluto. */
async function dense(
  share: number,
  sparse: { seconds: number; findings: number; dir: string },
): Promise<DenseResult> {
  const dir = await mkdtemp(join(tmpdir(), 'dkp-fleet-bench-dense-'))
  try {
    const { objects } = await generate(dir, share)
    const best = (await measure(dir, false, RUNS))[0]!
    const extraFindings = best.findings - sparse.findings
    const out: DenseResult = {
      denseShare: share,
      denseFindings: best.findings,
      denseSeconds: Number(best.seconds.toFixed(3)),
      denseObjectsPerSecond: Math.round(objects / best.seconds),
      denseParsedDocuments: best.parsedDocuments,
      // what a finding adds over a scanned document of the sparse corpus
      msPerExtraFinding:
        extraFindings > 0
          ? Number((((best.seconds - sparse.seconds) * 1000) / extraFindings).toFixed(4))
          : null,
      msPerDocument: Number(((sparse.seconds * 1000) / objects).toFixed(4)),
    }
    if (values.pluto) {
      const p0 = runPluto(values.pluto, sparse.dir, RUNS)
      const p1 = runPluto(values.pluto, dir, RUNS)
      Object.assign(out, {
        plutoSeconds: Number(p0.seconds.toFixed(3)),
        plutoFindings: p0.removed,
        plutoDenseSeconds: Number(p1.seconds.toFixed(3)),
        plutoDenseFindings: p1.removed,
        ratioToPluto: Number((sparse.seconds / p0.seconds).toFixed(3)),
        denseRatioToPluto: Number((best.seconds / p1.seconds).toFixed(3)),
      })
    }
    return out
  } finally {
    if (!values.keep) await rm(dir, { recursive: true, force: true })
  }
}

const dir = await mkdtemp(join(tmpdir(), 'dkp-fleet-bench-'))
try {
  const { bytes, objects } = await generate(dir)
  const fast = await measure(dir, false, RUNS)
  const full = values['skip-full'] ? [] : await measure(dir, true, 1)
  const best = fast[0]!
  const median = fast[Math.floor(fast.length / 2)]!
  const fullRun = full[0]
  const denseResult: Partial<DenseResult> =
    Number(values.dense) > 0
      ? await dense(Number(values.dense), { seconds: best.seconds, findings: best.findings, dir })
      : {}
  if (fullRun && fullRun.findings !== best.findings)
    throw new Error(`fast path found ${best.findings} findings, full parse ${fullRun.findings}`)
  const out = {
    benchmark: 'compat-scan',
    node: process.version,
    seed: SEED,
    target: values.target,
    files: best.files,
    objects,
    megabytes: Number((bytes / 1e6).toFixed(2)),
    findings: best.findings,
    runs: RUNS,
    bestSeconds: Number(best.seconds.toFixed(3)),
    medianSeconds: Number(median.seconds.toFixed(3)),
    objectsPerSecond: Math.round(objects / best.seconds),
    megabytesPerSecond: Number((best.bytes / 1e6 / best.seconds).toFixed(2)),
    medianObjectsPerSecond: Math.round(objects / median.seconds),
    parsedDocuments: best.parsedDocuments,
    ...denseResult,
    ...(fullRun
      ? {
          fullParseSeconds: Number(fullRun.seconds.toFixed(3)),
          fullParseObjectsPerSecond: Math.round(objects / fullRun.seconds),
          fullParseMegabytesPerSecond: Number((fullRun.bytes / 1e6 / fullRun.seconds).toFixed(2)),
        }
      : {}),
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(out)}\n`)
  } else {
    const n = (x: number) => x.toLocaleString('en-US')
    process.stdout.write(
      `compat-scan: ${n(out.objects)} objects in ${out.files} files (${out.megabytes} MB, ${n(out.findings)} findings), target ${out.target}\n` +
        `  default (parses only documents that mention a removed apiVersion: ${n(out.parsedDocuments)}), best of ${RUNS}: ` +
        `${out.bestSeconds} s = ${n(out.objectsPerSecond)} objects/s, ${out.megabytesPerSecond} MB/s (median ${out.medianSeconds} s)\n` +
        (fullRun
          ? `  parseAll (every document through the YAML parser), 1 run: ${out.fullParseSeconds} s = ` +
            `${n(out.fullParseObjectsPerSecond ?? 0)} objects/s, ${out.fullParseMegabytesPerSecond} MB/s\n`
          : '') +
        (out.denseFindings !== undefined
          ? `  dense (${Number(out.denseShare) * 100} % removed): ${n(Number(out.denseFindings))} findings in ${out.denseSeconds} s = ${n(Number(out.denseObjectsPerSecond))} objects/s; ` +
            `${out.msPerExtraFinding} ms per extra finding vs ${out.msPerDocument} ms per document\n`
          : '') +
        (out.plutoSeconds !== undefined
          ? `  pluto detect-files: ${out.plutoSeconds} s (${out.plutoFindings} removed) sparse, ${out.plutoDenseSeconds} s (${out.plutoDenseFindings} removed) dense; ours/pluto ×${out.ratioToPluto} sparse, ×${out.denseRatioToPluto} dense\n`
          : ''),
    )
  }
} finally {
  if (values.keep) process.stderr.write(`corpus kept in ${dir}\n`)
  else await rm(dir, { recursive: true, force: true })
}
