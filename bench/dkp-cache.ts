// Benchmark of the dkp cache ("one dkp download per runner pool"), in one run: the dkp part of a
// cluster job (a wave leg: core-addons, then kubernetes, each installing dkp) on a cold runner —
// a fresh tool cache and RUNNER_TEMP, as every hosted job gets — when the Actions cache misses
// (download from the mirror, verify, extract, `dkp version`, keep the tarball, save it) against a
// hit (restore, re-verify the tarball against the pinned sha256, extract, `dkp version`), with
// the mirror throttled to 20 MB/s and to 100 MB/s. Also the same job without the cache (every
// job downloads: the workflow before the cache).
//
//   npx tsx bench/dkp-cache.ts [--json] [--quick] [--runs N] [--rates 20,100] [--scale X]
//
// The tarball: the stand-in dkp is a shell script followed by this Node binary (~120 MiB, a
// compiled binary that compresses about as a Go CLI does, ~2.8:1), so ~45 MB gzipped, the size
// class of a multi-tool Go CLI such as dkp (its real size is not published next to a checksum:
// docs/benchmarks.md). --scale repeats (or cuts) the payload: 2 gives ~90 MB.
// In the shipped workflow the hit is what every stage job does with the dkp job's artifact (and
// the dkp job after a cache hit); the miss is the dkp job after a cache miss.
// Not simulated: the cache's and the artifact's own transfer. The restore and the save are local
// file copies here (GitHub's services cannot be reached from this machine), so the hit figure is
// the floor of a real hit: add the artifact's (or the restore's) download of the same bytes.

import { copyFile, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dkpPlatform, dkpTarballName } from '../src/core/download.js'
import { type InstallResult, installDkp } from '../src/effects/dkp-install.js'
import { buildDkpTarball, startTarballServer } from '../test/helpers/tarball-server.js'
import { type BenchResult, emit, type Figure, figure, flag, median, quick, round } from './lib/common.js'

const VERSION = 'v2.8.1'
const runs = Number(flag('runs') ?? (quick() ? 1 : 3))
const rates = (flag('rates') ?? '20,100').split(',').map(Number)
const scale = Number(flag('scale') ?? (quick() ? 0.25 : 1))

type Phases = Record<string, number>

const tmp = await mkdtemp(join(tmpdir(), 'dkp-cache-bench-'))
const srv = await startTarballServer()
try {
  const node = await readFile(process.execPath)
  const whole = Math.floor(scale)
  const parts = [
    ...Array.from({ length: whole }, () => node),
    node.subarray(0, Math.round((scale - whole) * node.length)),
  ]
  const build = join(tmp, 'build')
  await mkdir(build)
  const tgz = await buildDkpTarball({ dir: build, version: VERSION, payload: Buffer.concat(parts) })
  await rm(build, { recursive: true })
  const platform = dkpPlatform(process.platform, process.arch)
  const name = dkpTarballName(VERSION, platform)
  const store = join(tmp, 'actions-cache') // what the cache service holds after the first save
  await mkdir(store)

  let seq = 0
  /** One cluster job on a fresh runner; returns its phases in ms. */
  async function clusterJob(rate: number, mode: 'miss' | 'hit' | 'no-cache'): Promise<Phases> {
    const runner = join(tmp, `runner-${seq++}`)
    const cacheDir = join(runner, 'temp', 'dkp-fleet-dkp-cache')
    const path = `/r${rate}/dkp/${VERSION}/${name}`
    srv.serve(path, tgz.data)
    srv.failAlways(path, { bytesPerSecond: rate * 1e6 })
    const base = {
      version: VERSION,
      sha256: tgz.sha256,
      requireChecksum: true,
      urlTemplate: `${srv.origin}/r${rate}/dkp/{version}/dkp_{version}_{os}_{arch}.tar.gz`,
      cacheRoot: join(runner, 'tool-cache'),
      tempDir: join(runner, 'temp'),
      ...(mode === 'no-cache' ? {} : { tarballCacheDir: cacheDir }),
      log: { info: () => {}, warning: (m: string) => console.error(`warning: ${m}`) },
    }
    const phases: Phases = {}
    const timed = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
      const t = performance.now()
      const r = await fn()
      phases[label] = round(performance.now() - t)
      return r
    }
    if (mode === 'hit')
      await timed('restore', async () => {
        await mkdir(cacheDir, { recursive: true })
        await copyFile(join(store, name), join(cacheDir, name))
      })
    const before = srv.count(path)
    const first: InstallResult = await timed('core-addons', () => installDkp(base))
    const second: InstallResult = await timed('kubernetes', () => installDkp(base))
    const expected = { miss: 'download', hit: 'tarball-cache', 'no-cache': 'download' }[mode]
    if (first.source !== expected || second.source !== 'cache')
      throw new Error(`${mode}: installs were ${first.source}, ${second.source}`)
    if (srv.count(path) - before !== (mode === 'hit' ? 0 : 1)) throw new Error(`${mode}: wrong request count`)
    if (mode === 'miss') {
      if (first.tarballCache?.state !== 'stored') throw new Error('miss: the tarball was not kept')
      await timed('save', () => copyFile(first.tarballCache!.file, join(store, name)))
    }
    for (const [k, v] of Object.entries(first.timings))
      if (k !== 'totalMs') phases[`core-addons.${k}`] = v as number
    phases.total = round(
      (phases.restore ?? 0) + (phases['core-addons'] ?? 0) + (phases.kubernetes ?? 0) + (phases.save ?? 0),
    )
    await rm(runner, { recursive: true, force: true })
    return phases
  }

  const perRate: Record<string, { miss: Phases[]; hit: Phases[]; noCache: Phases[] }> = {}
  for (const rate of rates) {
    const r = { miss: [] as Phases[], hit: [] as Phases[], noCache: [] as Phases[] }
    // Interleaved, so drift in the machine's load hits all three alike.
    for (let i = 0; i < runs; i++) {
      r.miss.push(await clusterJob(rate, 'miss'))
      r.hit.push(await clusterJob(rate, 'hit'))
      r.noCache.push(await clusterJob(rate, 'no-cache'))
    }
    perRate[rate] = r
  }

  const med = (xs: Phases[], k: string) => round(median(xs.map((p) => p[k] ?? 0)))
  const summary = (xs: Phases[]) =>
    Object.fromEntries([...new Set(xs.flatMap((p) => Object.keys(p)))].map((k) => [k, med(xs, k)]))
  const figures: Figure[] = []
  const details: Record<string, unknown> = {
    tarballBytes: tgz.data.length,
    binaryBytes: (await stat(process.execPath)).size * scale,
    scale,
    runs,
    note: 'restore and save are local file copies (the Actions cache service is not simulated)',
  }
  for (const rate of rates) {
    const r = perRate[rate]!
    const miss = med(r.miss, 'total')
    const hit = med(r.hit, 'total')
    const noCache = med(r.noCache, 'total')
    const effective = round(tgz.data.length / 1e6 / (med(r.miss, 'core-addons.downloadMs') / 1000), 1)
    figures.push(
      figure({
        id: `dkp-cache-hit-${rate}`,
        label: `cluster job on a cold runner, dkp from the cache (mirror ${rate} MB/s)`,
        value: hit,
        unit: 'ms',
        reference: { label: 'cache miss', value: miss, unit: 'ms' },
        note: `tarball ${round(tgz.data.length / 1e6)} MB, download ${effective} MB/s effective; hit: restore ${med(r.hit, 'restore')} + hash ${med(r.hit, 'core-addons.hashMs')} + extract ${med(r.hit, 'core-addons.extractMs')} ms; miss: download ${med(r.miss, 'core-addons.downloadMs')} + extract ${med(r.miss, 'core-addons.extractMs')} + save ${med(r.miss, 'save')} ms; no cache (every job downloads) ${noCache} ms; median of ${runs}`,
      }),
    )
    details[`${rate}MBps`] = { miss: summary(r.miss), hit: summary(r.hit), noCache: summary(r.noCache) }
  }
  const result: BenchResult = {
    benchmark: 'dkp-cache',
    title: `dkp cache: a cold runner's cluster job, Actions cache hit vs miss (${round(tgz.data.length / 1e6)} MB tarball)`,
    available: true,
    node: process.version,
    figures,
    details,
  }
  emit(result)
} finally {
  await srv.close()
  await rm(tmp, { recursive: true, force: true })
}
