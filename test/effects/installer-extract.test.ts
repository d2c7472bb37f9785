// The streaming tar.gz reader of the installer against archives made by the system tar in every
// format it writes, and against broken and hostile archives.

import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  ArchiveError,
  extractBinaryFromTarGz,
  MAX_LONG_NAME_BYTES,
  MAX_PAX_HEADER_BYTES,
} from '../../src/effects/tar-extract.js'
import {
  buildDkpTarball,
  type DkpTarballSpec,
  dkpStandInScript,
  sha256,
  tarHeader,
  writeTarBomb,
} from '../helpers/tarball-server.js'

const run = promisify(execFile)
let tmp: string
let out: string

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'dkp-extract-'))
  out = join(tmp, 'out')
  await mkdir(out)
})
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true })
})

async function extract(spec: Omit<DkpTarballSpec, 'dir'>) {
  const t = await buildDkpTarball({ dir: tmp, ...spec })
  return { t, got: await extractBinaryFromTarGz(t.file, out) }
}

async function refused(p: Promise<unknown>): Promise<ArchiveError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(ArchiveError)
  // Only what was asked for is ever written: on failure, nothing.
  expect(await readdir(out)).toEqual([])
  return err as ArchiveError
}

describe('extractBinaryFromTarGz', () => {
  for (const format of ['gnu', 'oldgnu', 'posix', 'ustar', 'v7'] as const) {
    for (const layout of ['root', 'subdir'] as const) {
      it(`reads ${format} archives with dkp at the ${layout}`, async () => {
        const { t, got } = await extract({ format, layout, extraFiles: { 'README.md': 'hi\n' } })
        expect(got.sha256).toBe(t.binarySha256)
        expect(got.member).toBe(layout === 'root' ? 'dkp' : 'dkp_v2.8.1/dkp')
        expect(got.mode).toBe(0o755)
        expect(got.path).toBe(join(out, 'dkp'))
        expect(sha256(await readFile(got.path))).toBe(t.binarySha256)
        expect(((await stat(got.path)).mode & 0o777).toString(8)).toBe('755')
        expect(await readdir(out)).toEqual(['dkp'])
      })
    }
  }

  for (const format of ['gnu', 'posix', 'ustar'] as const) {
    it(`reads long directory names (${format}: ${format === 'gnu' ? 'GNU long-name records' : format === 'posix' ? 'pax path records' : 'the ustar prefix field'})`, async () => {
      // ustar splits a path > 100 bytes into prefix + name at a slash; one component must fit in 100.
      const subdir = `dkp_v2.8.1_${'long'.repeat(format === 'ustar' ? 21 : 30)}`
      const { t, got } = await extract({ format, layout: 'subdir', subdir })
      expect(got.member).toBe(`${subdir}/dkp`)
      expect(got.sha256).toBe(t.binarySha256)
    })
  }

  it('reads ./-prefixed member names (tar -C dir .)', async () => {
    const { t, got } = await extract({ dotSlash: true, layout: 'subdir' })
    expect(got.member).toBe('./dkp_v2.8.1/dkp')
    expect(got.sha256).toBe(t.binarySha256)
  })

  it('streams a large binary across many chunks, hashing it on the way', async () => {
    const payload = randomBytes(5 * 1024 * 1024 + 123)
    const { t, got } = await extract({ payload, format: 'posix' })
    expect(got.size).toBe(dkpStandInScript().length + payload.length)
    expect(got.sha256).toBe(t.binarySha256)
    expect((await run(got.path, ['version'])).stdout).toContain('dkp: v2.8.1')
  })

  it('prefers dkp at the root over one in a sub-directory', async () => {
    const root = join(tmp, 'src')
    await mkdir(join(root, 'sub'), { recursive: true })
    await writeFile(join(root, 'sub', 'dkp'), 'nested', { mode: 0o755 })
    await writeFile(join(root, 'dkp'), 'root', { mode: 0o755 })
    await run('tar', ['-czf', join(tmp, 'a.tgz'), '-C', root, 'sub', 'dkp'])
    const got = await extractBinaryFromTarGz(join(tmp, 'a.tgz'), out)
    expect(await readFile(got.path, 'utf8')).toBe('root')
    expect(await readdir(out)).toEqual(['dkp'])
  })

  it('refuses two dkp binaries in different sub-directories', async () => {
    const root = join(tmp, 'src')
    for (const d of ['a', 'b']) {
      await mkdir(join(root, d), { recursive: true })
      await writeFile(join(root, d, 'dkp'), d, { mode: 0o755 })
    }
    await run('tar', ['-czf', join(tmp, 'a.tgz'), '-C', root, 'a', 'b'])
    const err = await refused(extractBinaryFromTarGz(join(tmp, 'a.tgz'), out))
    expect(err.message).toBe('the archive holds several dkp binaries (a/dkp, b/dkp); expected one')
  })

  it('never writes outside the destination: ../dkp is not a candidate', async () => {
    const root = join(tmp, 'src', 'inner')
    await mkdir(root, { recursive: true })
    await writeFile(join(tmp, 'src', 'dkp'), 'escaped', { mode: 0o755 })
    // -P keeps the ../ in the member name.
    await run('tar', ['-P', '-czf', join(tmp, 'evil.tgz'), '-C', root, '../dkp'])
    const listing = (await run('tar', ['-tzf', join(tmp, 'evil.tgz')])).stdout.trim()
    expect(listing).toBe('../dkp')
    const err = await refused(extractBinaryFromTarGz(join(tmp, 'evil.tgz'), out))
    expect(err.message).toMatch(/no dkp binary .* it holds: \.\.\/dkp/)
    expect(await readdir(tmp)).not.toContain('dkp')
  })

  it('refuses a symbolic link named dkp', async () => {
    const err = await refused(
      buildDkpTarball({ dir: tmp, symlink: true }).then((t) => extractBinaryFromTarGz(t.file, out)),
    )
    expect(err.message).toBe('dkp in the archive is a link, not a regular file; refusing it')
  })

  it('refuses a truncated gzip stream', async () => {
    const t = await buildDkpTarball({ dir: tmp, payload: randomBytes(200_000) })
    await writeFile(join(tmp, 'cut.tgz'), t.data.subarray(0, 50_000))
    const err = await refused(extractBinaryFromTarGz(join(tmp, 'cut.tgz'), out))
    expect(err.message).toBe('not a valid .tar.gz: the gzip data is truncated (unexpected end of file)')
  })

  it('refuses a tar cut short inside a complete gzip stream', async () => {
    const t = await buildDkpTarball({ dir: tmp, format: 'ustar', payload: randomBytes(10_000) })
    const tar = (await import('node:zlib')).gunzipSync(t.data)
    await writeFile(join(tmp, 'cut.tgz'), gzipSync(tar.subarray(0, 512 + 4000)))
    const err = await refused(extractBinaryFromTarGz(join(tmp, 'cut.tgz'), out))
    expect(err.message).toBe('the archive is truncated (it ends inside dkp)')
  })

  it('refuses corrupt gzip data and a corrupt tar header', async () => {
    await writeFile(join(tmp, 'junk.tgz'), randomBytes(4096))
    expect((await refused(extractBinaryFromTarGz(join(tmp, 'junk.tgz'), out))).message).toMatch(
      /^not a valid \.tar\.gz: the gzip data is corrupt \(incorrect header check\)$/,
    )
    const t = await buildDkpTarball({ dir: tmp, format: 'ustar', extraFiles: { 'zz-last': 'x' } })
    const tar = (await import('node:zlib')).gunzipSync(t.data)
    const second = 1024 // dkp's header (512) + its data padded to one block (< 512 bytes)
    tar[second + 5] = (tar[second + 5] as number) ^ 0xff
    await writeFile(join(tmp, 'bad.tgz'), gzipSync(tar))
    expect((await refused(extractBinaryFromTarGz(join(tmp, 'bad.tgz'), out))).message).toBe(
      'corrupt tar header at byte 1024',
    )
  })

  it('refuses archives that expand beyond the limit (decompression bombs)', async () => {
    const t = await buildDkpTarball({ dir: tmp, extraFiles: { 'aaa-filler': '\0'.repeat(8 * 1024 * 1024) } })
    expect(t.data.length).toBeLessThan(64 * 1024)
    const err = await refused(extractBinaryFromTarGz(t.file, out, { maxBytes: 1024 * 1024 }))
    expect(err.message).toBe('archive expands beyond 1048576 bytes; refusing it')
  })

  it('refuses a pax header or GNU long name beyond its limit before reading it (memory stays bounded)', async () => {
    for (const [kind, limit, what] of [
      ['pax', MAX_PAX_HEADER_BYTES, 'pax extended header'],
      ['longname', MAX_LONG_NAME_BYTES, 'GNU long-name record'],
    ] as const) {
      const file = join(tmp, `${kind}.tgz`)
      await writeTarBomb(file, kind, 256 * 1024 * 1024)
      expect((await stat(file)).size).toBeLessThan(1024 * 1024)
      const before = process.memoryUsage().rss
      const err = await refused(extractBinaryFromTarGz(file, out))
      expect(err.message).toBe(
        `the archive holds a ${what} of ${256 * 1024 * 1024} bytes at byte 0; the limit is ${limit}: refusing it`,
      )
      expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024)
      // at the limit it is read (a long path is legal): the dkp after it is found under that name
      await writeTarBomb(file, kind, limit)
      const got = await extractBinaryFromTarGz(file, out)
      expect(got.member.length).toBeGreaterThan(1000)
      await rm(got.path)
    }
  })

  it('keeps only a few member names for its message, however many members there are', async () => {
    const members = Array.from({ length: 5000 }, (_, i) => [tarHeader(`file-${i}-${'x'.repeat(80)}`, '0', 0)])
    await writeFile(join(tmp, 'many.tgz'), gzipSync(Buffer.concat([...members.flat(), Buffer.alloc(1024)])))
    const err = await refused(extractBinaryFromTarGz(join(tmp, 'many.tgz'), out))
    expect(err.message).toMatch(
      /^no dkp binary at the archive's root or one directory down; it holds: file-0-x+, .*, … \(5000 entries\)$/,
    )
    expect(err.message.length).toBeLessThan(2000)
  })

  it('reports an empty archive', async () => {
    await writeFile(join(tmp, 'empty.tgz'), gzipSync(Buffer.alloc(0)))
    expect((await refused(extractBinaryFromTarGz(join(tmp, 'empty.tgz'), out))).message).toBe(
      'the archive is empty',
    )
  })
})
