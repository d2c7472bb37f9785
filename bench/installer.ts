// Benchmark of the dkp installer, in one run: a cold install (download over loopback, sha256,
// extract, `dkp version`, cache) against a cache hit of the same tarball (re-hash of the cached
// binary), plus sha256 throughput. Target: a cache hit costs < 5 % of a cold install.
//
//   npx tsx bench/installer.ts [--json] [--size MiB] [--cold N] [--hits N] [--bandwidth MB/s]
//
// The stand-in dkp is a shell script followed by a payload (the first --size MiB of this Node
// binary, default all of it, ~120 MiB: it compresses like a real Go binary, ~2.8:1). Loopback
// makes the download nearly free, so the ratio measured here is a worst case; --bandwidth
// throttles the server to model a real link.

import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { dkpPlatform } from '../src/core/download.js'
import { installDkp } from '../src/effects/dkp-install.js'
import { sha256File } from '../src/effects/sha256.js'
import { buildDkpTarball, startTarballServer, tarballName } from '../test/helpers/tarball-server.js'
import { median, round } from './lib/common.js'

const { values } = parseArgs({
  options: {
    json: { type: 'boolean' },
    size: { type: 'string' },
    cold: { type: 'string' },
    hits: { type: 'string' },
    bandwidth: { type: 'string' },
    // run.mjs passes --quick to every benchmark: fewer rounds here.
    quick: { type: 'boolean' },
  },
})

const coldRuns = Number(values.cold ?? (values.quick ? 2 : 3))
const hitRuns = Number(values.hits ?? (values.quick ? 5 : 15))

const tmp = await mkdtemp(join(tmpdir(), 'dkp-bench-'))
const srv = await startTarballServer()
try {
  const node = await readFile(process.execPath)
  const payload = values.size ? node.subarray(0, Number(values.size) * 1024 * 1024) : node
  const build = join(tmp, 'build')
  await mkdir(build)
  const tgz = await buildDkpTarball({ dir: build, version: 'v2.8.1', payload })
  await rm(build, { recursive: true })
  const here = dkpPlatform(process.platform, process.arch)
  const path = `/dkp/v2.8.1/${tarballName('v2.8.1', here.os, here.arch)}`
  srv.serve(path, tgz.data)
  if (values.bandwidth) srv.failAlways(path, { bytesPerSecond: Number(values.bandwidth) * 1e6 })
  const base = {
    version: 'v2.8.1',
    sha256: tgz.sha256,
    urlTemplate: `${srv.origin}/dkp/{version}/dkp_{version}_{os}_{arch}.tar.gz`,
    tempDir: join(tmp, 'temp'),
    log: { info: () => {}, warning: (m: string) => console.error(`warning: ${m}`) },
  }

  const cold: number[] = []
  const phases: Record<string, number[]> = {}
  let cacheRoot = ''
  for (let i = 0; i < coldRuns; i++) {
    cacheRoot = join(tmp, `cache-${i}`)
    const t = performance.now()
    const r = await installDkp({ ...base, cacheRoot })
    cold.push(performance.now() - t)
    if (r.source !== 'download') throw new Error(`cold run ${i} was a ${r.source}`)
    for (const [k, v] of Object.entries(r.timings)) {
      phases[k] = [...(phases[k] ?? []), v as number]
    }
  }
  const requests = srv.count(path)
  const hits: number[] = []
  for (let i = 0; i < hitRuns; i++) {
    const t = performance.now()
    const r = await installDkp({ ...base, cacheRoot })
    hits.push(performance.now() - t)
    if (r.source !== 'cache') throw new Error(`hit run ${i} was a ${r.source}`)
  }
  if (srv.count(path) !== requests) throw new Error('a cache hit made a request')

  const binary = join(cacheRoot, 'dkp', '2.8.1', here.nodeArch, 'dkp')
  const hashRuns: number[] = []
  for (let i = 0; i < 5; i++) {
    const t = performance.now()
    await sha256File(binary)
    hashRuns.push(performance.now() - t)
  }
  const binaryBytes = (await stat(binary)).size
  const coldMs = median(cold)
  const hitMs = median(hits)
  const result = {
    benchmark: 'installer',
    node: process.version,
    link: values.bandwidth ? `${values.bandwidth} MB/s (throttled)` : 'loopback (unthrottled)',
    tarballBytes: tgz.data.length,
    binaryBytes,
    coldInstallMs: round(coldMs),
    coldPhasesMs: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, round(median(v))])),
    downloadBytesPerSecond: Math.round(tgz.data.length / (median(phases.downloadMs ?? [1]) / 1000)),
    cacheHitMs: round(hitMs),
    hitToColdRatio: round(hitMs / coldMs, 4),
    target: 0.05,
    meetsTarget: hitMs / coldMs < 0.05,
    sha256BytesPerSecond: Math.round(binaryBytes / (median(hashRuns) / 1000)),
    runs: { cold: cold.length, hits: hits.length },
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`)
  } else {
    const mb = (b: number) => `${round(b / 1e6)} MB`
    console.log(`dkp installer benchmark (${result.link}, Node ${process.version})`)
    console.log(
      `  tarball ${mb(result.tarballBytes)}, binary ${mb(binaryBytes)}, download ${mb(result.downloadBytesPerSecond)}/s`,
    )
    console.log(
      `  cold install  ${result.coldInstallMs} ms  (median of ${cold.length}; phases ${JSON.stringify(result.coldPhasesMs)})`,
    )
    console.log(`  cache hit     ${result.cacheHitMs} ms  (median of ${hits.length}; re-hashes the binary)`)
    console.log(
      `  hit / cold    ${round(result.hitToColdRatio * 100, 2)} %  (target < 5 %: ${result.meetsTarget ? 'met' : 'NOT met'})`,
    )
    console.log(`  sha256        ${mb(result.sha256BytesPerSecond)}/s`)
  }
} finally {
  await srv.close()
  await rm(tmp, { recursive: true, force: true })
}
