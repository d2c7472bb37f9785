// Reliability: tenant-controlled data costs bounded memory and time. Each case runs in a child
// process whose peak RSS and CPU time are measured (process.resourceUsage() at exit):
//   - Helm release storage bombs (test/helpers/helm-bombs.ts) through the pure scan
//     (scanHelmReleases in `node --import tsx test/faults/scan-child.mjs`), one release per child,
//     against the same child scanning a small release: the growth must stay under 50 MB and 5 s
//     of CPU, and each bomb must end as a finding;
//   - the same bombs planted on the real test apiserver and read by `dkp-fleet check` (dist/cli.js)
//     through a managed cluster's kubeconfig Secret: exit as the findings say, no crash, one
//     finding per bomb, peak RSS within 100 MB of a check without them;
//   - tar.gz bombs (a 1 GiB pax header, a 1 GiB GNU long name, each ~1 MB gzip'd) served by a
//     loopback mirror to `dkp-fleet install --url … --sha256 …`: refused naming the limit;
//   - a valid fleet over the total limit (240,000 clusters in 3 files, 19 MiB) to
//     `dkp-fleet validate`: exit 2 naming every file, nothing parsed.
// DKP_FLEET_DIST=<dir> and DKP_FLEET_SRC=<repo> point the cases at another build (to measure the
// figures before a change); the figures are printed for docs/reliability.md.

import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_FILE_BYTES } from '../../src/core/inventory.js'
import { loadInventory } from '../../src/effects/inventory-files.js'
import type { KubeObject } from '../../src/effects/kube.js'
import { seedFleet } from '../../src/fleet/seed.js'
import { generateFleet, splitFleet } from '../helpers/fleet-gen.js'
import { BOMBS, type BombName, bombJson, helmSecret } from '../helpers/helm-bombs.js'
import { startTarballServer, writeTarBomb } from '../helpers/tarball-server.js'
import { useTestCluster } from '../kube/harness.js'
import { actionSnapshot, ROOT } from './helpers.js'

const SRC = resolve(process.env.DKP_FLEET_SRC ?? ROOT)
const tc = useTestCluster()
const rows: string[] = []
let dist: string
let work: string

interface Measured {
  code: number | null
  stdout: string
  stderr: string
  cpuMs: number
  rssMB: number
  wallMs: number
}

// The peak is the process's own: VmHWM of /proc/self/status (per address space, reset by exec),
// not resourceUsage().maxRSS, which Linux carries across exec from the forked copy of the parent
// (a vitest worker that had just built a 40 MiB bomb showed up as +80 MB in its child).
const USAGE_PRELOAD =
  'data:text/javascript,' +
  encodeURIComponent(
    "import{writeFileSync,readFileSync}from'node:fs';const f=process.env.DKP_BOUNDS_USAGE;if(f)process.on('exit',()=>{const u=process.resourceUsage();" +
      "let kb=u.maxRSS;try{kb=Number(/^VmHWM:\\s+(\\d+)/m.exec(readFileSync('/proc/self/status','utf8'))[1])}catch{}" +
      'writeFileSync(f,JSON.stringify({cpuMs:(u.userCPUTime+u.systemCPUTime)/1000,rssMB:kb/1024}))})',
  )

/** A child process with its peak RSS and CPU time; killed after `timeoutMs`. */
function measured(
  args: string[],
  {
    env = {},
    cwd = work,
    timeoutMs = 120_000,
  }: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<Measured> {
  const usage = join(work, `usage-${Math.random().toString(36).slice(2)}.json`)
  const started = performance.now()
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, ['--import', USAGE_PRELOAD, ...args], {
      cwd,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: join(work, 'home'),
        TMPDIR: work,
        DKP_BOUNDS_USAGE: usage,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      const u = existsSync(usage)
        ? (JSON.parse(readFileSync(usage, 'utf8')) as { cpuMs: number; rssMB: number })
        : undefined
      done({
        code,
        stdout,
        stderr,
        cpuMs: Math.round(u?.cpuMs ?? Number.NaN),
        rssMB: Math.round(u?.rssMB ?? Number.NaN),
        wallMs: Math.round(performance.now() - started),
      })
    })
  })
}

const cli = (args: string[], env: Record<string, string> = {}) =>
  measured([join(dist, 'dist', 'cli.js'), ...args], { env })

beforeAll(() => {
  dist = process.env.DKP_FLEET_DIST ? resolve(process.env.DKP_FLEET_DIST, '..') : actionSnapshot()
  work = mkdtempSync(join(tmpdir(), 'dkp-bounds-'))
})

afterAll(() => {
  console.log(`bounds (src ${SRC}, dist ${dist}):\n  ${rows.join('\n  ')}`)
  rmSync(work, { recursive: true, force: true })
})

// ---------------------------------------------------------------- Helm release storage

describe('Helm release storage bombs: one release costs < 50 MB and < 5 s of CPU, and ends as a finding', () => {
  const scan = async (bomb: BombName) => {
    const file = join(work, `${bomb}.json`)
    writeFileSync(file, JSON.stringify([helmSecret(`bomb-${bomb}`, 'default', bombJson(bomb))]))
    const r = await measured(
      [
        '--import',
        'tsx',
        join(ROOT, 'test', 'faults', 'scan-child.mjs'),
        join(SRC, 'src/core/compat/helm.ts'),
        'helm',
        file,
      ],
      { cwd: ROOT, timeoutMs: 180_000 },
    )
    const out = r.stdout.trim()
      ? (JSON.parse(r.stdout.trim()) as { result?: { rules: string[] }; error?: string; baseRssMB?: number })
      : {}
    // What the scan itself added: the child's peak over its own RSS once its modules were
    // loaded (start-up peaks of separate children differ by tens of MB on a busy machine).
    return { ...r, out, workMB: r.rssMB - (out.baseRssMB ?? Number.NaN) }
  }
  let base: Awaited<ReturnType<typeof scan>>
  beforeAll(async () => {
    // twice: the first child also fills tsx's compile cache
    await scan('small')
    base = await scan('small')
    expect(base.code, base.stderr).toBe(0)
    rows.push(
      `helm small (baseline): ${base.rssMB} MB peak (${base.workMB} MB over its start), ${base.cpuMs} ms CPU`,
    )
  }, 200_000)

  it.each(BOMBS)(
    '%s',
    async (bomb) => {
      // The lower of two children: one child's peak varies with GC timing on a loaded machine,
      // while a real regression shows in both.
      const [a, b] = [await scan(bomb), await scan(bomb)]
      const r = a.workMB <= b.workMB ? a : b
      const grew = r.workMB - base.workMB
      rows.push(
        `helm ${bomb}: exit ${r.code}, +${grew} MB over the baseline's scan (${r.rssMB} MB peak, ${r.workMB} MB over its own start), ${r.cpuMs} ms CPU, ${r.wallMs} ms wall, ${JSON.stringify(r.out.result?.rules ?? r.out.error ?? r.stderr.slice(-200))}`,
      )
      expect(r.code, r.stderr.slice(-2000)).toBe(0)
      expect(r.out.error).toBeUndefined()
      expect(r.out.result?.rules.length).toBeGreaterThan(0)
      expect(grew).toBeLessThan(50)
      expect(r.cpuMs - base.cpuMs).toBeLessThan(5000)
    },
    200_000,
  )
})

describe('the same bombs read from a cluster by dkp-fleet check (dist/cli.js)', () => {
  const WS_NS = 'team-b-b0mbs'
  const BOMB_NS = 'tenant-bombs'
  let repo: string
  beforeAll(async () => {
    repo = join(work, 'repo')
    mkdirSync(repo, { recursive: true })
    writeFileSync(
      join(repo, 'fleet.yaml'),
      `apiVersion: dkp-fleet/v1
kind: Fleet
metadata: { name: bombs }
target: { dkp: v2.8.1, kubernetes: 1.28.7 }
management: { name: mgmt, provider: aws, namespace: default }
workspaces:
  - name: team-b
    namespace: ${WS_NS}
clusters:
  - { name: east-1, workspace: team-b, provider: aws, nodepools: [east-1-md-0] }
`,
    )
    const { inventory } = await loadInventory(join(repo, 'fleet.yaml'))
    await seedFleet(tc.kube, inventory, {
      dkp: 'v2.7.1',
      kubeconfig: readFileSync(tc.kubeconfigPath, 'utf8'),
    })
    await tc.kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: BOMB_NS } })
  }, 180_000)

  it('every bomb is a finding; no crash; memory stays near a check without them', async () => {
    const args = [
      'check',
      '-i',
      'fleet.yaml',
      '--kubeconfig',
      tc.kubeconfigPath,
      '--format',
      'json',
      '--fail-on',
      'none',
    ]
    const check = () => measured([join(dist, 'dist', 'cli.js'), ...args], { cwd: repo, timeoutMs: 300_000 })
    // The lower peak of two checks each time: one process's peak varies by tens of MB with GC
    // timing (101 and 167 MB for the same check), while a release held beyond its scan shows in both.
    const lower = (x: Measured, y: Measured) => (x.rssMB <= y.rssMB ? x : y)
    const before = lower(await check(), await check())
    expect(before.code, before.stderr.slice(-2000)).toBe(0)
    for (const bomb of BOMBS)
      await tc.kube.create(
        helmSecret(`bomb-${bomb}`, BOMB_NS, bombJson(bomb, BOMB_NS)) as unknown as KubeObject,
      )
    const r = lower(await check(), await check())
    rows.push(
      `check without bombs: ${before.rssMB} MB peak, ${before.cpuMs} ms CPU; with ${BOMBS.length} bomb releases: exit ${r.code}, ${r.rssMB} MB peak, ${r.cpuMs} ms CPU, ${r.wallMs} ms wall`,
    )
    expect(r.code, r.stderr.slice(-2000)).toBe(0)
    expect(r.stderr).not.toMatch(/^\s+at /m)
    const report = JSON.parse(r.stdout) as {
      findings: { ruleId: string; message: string; details?: Record<string, unknown> }[]
    }
    for (const bomb of BOMBS) {
      const about = report.findings.filter((f) => f.message.includes(`${BOMB_NS}/bomb-${bomb} `))
      expect(about.length, `no finding for ${bomb}`).toBeGreaterThan(0)
    }
    expect(r.rssMB - before.rssMB).toBeLessThan(100)
  }, 600_000)
})

// ---------------------------------------------------------------- tar.gz

describe('tar.gz bombs from a mirror: refused naming the limit, memory bounded', () => {
  it.each(['pax', 'longname'] as const)(
    'a 1 GiB %s record',
    async (kind) => {
      const file = join(work, `${kind}.tgz`)
      await writeTarBomb(file, kind, 1024 * 1024 * 1024)
      const data = readFileSync(file)
      const sha = createHash('sha256').update(data).digest('hex')
      const srv = await startTarballServer()
      try {
        srv.serve('/dkp/v2.8.1/dkp_v2.8.1_linux_amd64.tar.gz', data)
        srv.serve('/dkp/v2.8.1/dkp_v2.8.1_linux_arm64.tar.gz', data)
        const r = await cli(
          [
            'install',
            '--version',
            'v2.8.1',
            '--url',
            `${srv.origin}/dkp/{version}/dkp_{version}_{os}_{arch}.tar.gz`,
            '--sha256',
            sha,
          ],
          { XDG_CACHE_HOME: join(work, `xdg-${kind}`) },
        )
        rows.push(
          `tar ${kind} 1 GiB (${Math.round(data.length / 1024)} KB gzip'd): exit ${r.code}, ${r.rssMB} MB peak, ${r.cpuMs} ms CPU: ${r.stderr.trim().split('\n').at(-1)?.slice(0, 200)}`,
        )
        expect(r.code).toBe(1)
        expect(r.stderr).toMatch(
          kind === 'pax'
            ? /pax extended header of 1073741824 bytes/
            : /GNU long-name record of 1073741824 bytes/,
        )
        expect(r.rssMB).toBeLessThan(200)
      } finally {
        await srv.close()
      }
    },
    300_000,
  )
})

// ---------------------------------------------------------------- inventories

describe('inventories over the total limit', () => {
  it('a valid fleet of 240,000 clusters in 3 files (19 MiB together): exit 2 naming each file, nothing parsed', async () => {
    const dir = join(work, 'big')
    mkdirSync(dir, { recursive: true })
    const files = splitFleet(generateFleet({ managed: 240_000, workspaces: 100, seed: 4 }), { files: 3 })
    for (const f of files) writeFileSync(join(dir, f.path), f.content)
    const sizes = files.map((f) => Buffer.byteLength(f.content))
    const total = sizes.reduce((a, b) => a + b, 0)
    const r = await measured([join(dist, 'dist', 'cli.js'), 'validate', '-i', 'big/*.yaml'])
    rows.push(
      `inventory of 240,000 clusters in ${files.length} files (${total} bytes): exit ${r.code}, ${r.rssMB} MB peak, ${r.cpuMs} ms CPU: ${r.stderr.split('\n')[0]?.slice(0, 200)}`,
    )
    expect(r.code).toBe(2)
    files.forEach((f, i) => {
      expect(r.stderr).toContain(
        `big/${f.path}:1:1: file is ${sizes[i]} bytes; the ${files.length} inventory files are ${total} bytes together, over the limit of ${MAX_FILE_BYTES} bytes for all files together`,
      )
    })
    expect(r.rssMB).toBeLessThan(150)
  }, 300_000)
})
