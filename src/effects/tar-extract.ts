// Pulls one executable (`dkp`) out of a .tar.gz in a single streaming pass, hashing it as it is
// written. Only a regular file named `dkp` at the archive root or one directory down is written,
// under a fixed name in the destination: no other path, link or device from the archive is ever
// created, so a hostile archive cannot write outside the destination. Reads ustar, GNU (long
// names, base-256 sizes) and pax (path/size records) archives. Memory stays bounded whatever the
// archive holds: the metadata records kept in memory (pax headers, GNU long names) are refused
// beyond MAX_PAX_HEADER_BYTES / MAX_LONG_NAME_BYTES before any of their data is read, and only
// the first few member names are kept for messages. Not tool-cache's extractTar, which runs
// `tar xz` over the whole archive: every member is written to disk, links included, and a
// metadata record of any size is held in memory, by tar and again by @actions/exec's line
// buffer when tar names the member in an error (measured in bench/deps.ts).

import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { chmod, type FileHandle, open, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { createGunzip } from 'node:zlib'

/** The archive is not a usable tar.gz, or has no usable `dkp`. */
export class ArchiveError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ArchiveError'
  }
}

export interface ExtractedBinary {
  /** Where the binary was written: `<dest>/<name>`. */
  path: string
  /** Its name inside the archive, e.g. `dkp` or `dkp_v2.8.1/dkp`. */
  member: string
  /** Permission bits from the archive (masked with 0o755). */
  mode: number
  size: number
  sha256: string
}

export interface ExtractOptions {
  /** The binary's name. Default `dkp`. */
  name?: string
  /** Refuse archives that expand beyond this many bytes (decompression bombs). Default 4 GiB. */
  maxBytes?: number
}

interface Candidate {
  member: string
  depth: 0 | 1
  file: string
  mode: number
  size: number
  sha256: string
}

const BLOCK = 512
/** A pax extended header is kept in memory to read its records: larger ones are refused. */
export const MAX_PAX_HEADER_BYTES = 1024 * 1024
/** A GNU long name (or link name) record: a path, far below this. */
export const MAX_LONG_NAME_BYTES = 64 * 1024
/** Member names kept for the "no dkp binary" message (the rest are counted). */
const NAMES_KEPT = 12

/** Extracts `<name>` from a gzip-compressed tar archive into `dest` (an existing, empty directory). */
export async function extractBinaryFromTarGz(
  archive: string,
  dest: string,
  opts: ExtractOptions = {},
): Promise<ExtractedBinary> {
  const name = opts.name ?? 'dkp'
  const maxBytes = opts.maxBytes ?? 4 * 1024 ** 3
  const parser = new TarScanner(name, dest)
  const gunzip = createGunzip({ chunkSize: 256 * 1024 })
  const source = createReadStream(archive, { highWaterMark: 256 * 1024 })
  source.on('error', (err) => gunzip.destroy(err))
  source.pipe(gunzip)
  let total = 0
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      total += chunk.length
      if (total > maxBytes) throw new ArchiveError(`archive expands beyond ${maxBytes} bytes; refusing it`)
      await parser.push(chunk)
      if (parser.ended) break
    }
    parser.finish()
  } catch (err) {
    await parser.abort()
    if (err instanceof ArchiveError) throw err
    throw new ArchiveError(`not a valid .tar.gz: ${zlibReason(err)}`)
  } finally {
    source.destroy()
    gunzip.destroy()
  }
  return parser.choose()
}

function zlibReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException
  if (e?.code === 'Z_BUF_ERROR') return 'the gzip data is truncated (unexpected end of file)'
  if (e?.code === 'Z_DATA_ERROR') return `the gzip data is corrupt (${e.message})`
  return e instanceof Error ? e.message : String(err)
}

type Meta = 'pax' | 'gnu-longname' | 'ignore'

class TarScanner {
  ended = false
  private readonly header = Buffer.alloc(BLOCK)
  private headerLen = 0
  private state: 'header' | 'data' | 'pad' = 'header'
  private remaining = 0
  private pad = 0
  private offset = 0
  private entryName = ''
  private meta: Meta | undefined
  private metaChunks: Buffer[] = []
  private sink: { fh: FileHandle; hash: ReturnType<typeof createHash>; c: Candidate } | undefined
  private paxPath: string | undefined
  private paxSize: number | undefined
  private longName: string | undefined
  private readonly candidates: Candidate[] = []
  private readonly entries: string[] = []
  private entryCount = 0
  private readonly links: string[] = []
  private seq = 0

  constructor(
    private readonly name: string,
    private readonly dest: string,
  ) {}

  async push(chunk: Buffer): Promise<void> {
    let off = 0
    while (off < chunk.length && !this.ended) {
      if (this.state === 'header') {
        const take = Math.min(BLOCK - this.headerLen, chunk.length - off)
        chunk.copy(this.header, this.headerLen, off, off + take)
        this.headerLen += take
        off += take
        if (this.headerLen === BLOCK) {
          this.headerLen = 0
          await this.onHeader()
          this.offset += BLOCK
        }
      } else if (this.state === 'data') {
        const take = Math.min(this.remaining, chunk.length - off)
        const part = chunk.subarray(off, off + take)
        if (this.sink) {
          this.sink.hash.update(part)
          await this.sink.fh.write(part)
        } else if (this.meta && this.meta !== 'ignore') {
          this.metaChunks.push(Buffer.from(part))
        }
        off += take
        this.remaining -= take
        this.offset += take
        if (this.remaining === 0) await this.endEntry()
      } else {
        const take = Math.min(this.pad, chunk.length - off)
        off += take
        this.pad -= take
        this.offset += take
        if (this.pad === 0) this.state = 'header'
      }
    }
  }

  finish(): void {
    if (this.ended) return
    if (this.state !== 'header' || this.headerLen !== 0) {
      throw new ArchiveError(`the archive is truncated (it ends inside ${this.entryName || 'a header'})`)
    }
    if (this.offset === 0) throw new ArchiveError('the archive is empty')
  }

  async abort(): Promise<void> {
    const open = this.sink
    this.sink = undefined
    if (open) {
      await open.fh.close().catch(() => {})
      await rm(open.c.file, { force: true })
    }
    await Promise.all(this.candidates.map((c) => rm(c.file, { force: true })))
  }

  async choose(): Promise<ExtractedBinary> {
    const root = this.candidates.filter((c) => c.depth === 0)
    const nested = this.candidates.filter((c) => c.depth === 1)
    let pick: Candidate | undefined = root.at(-1)
    if (!pick) {
      const dirs = [...new Set(nested.map((c) => c.member))]
      if (dirs.length > 1) {
        await this.abort()
        throw new ArchiveError(
          `the archive holds several ${this.name} binaries (${dirs.join(', ')}); expected one`,
        )
      }
      pick = nested.at(-1)
    }
    if (!pick) {
      await this.abort()
      if (this.links.length > 0) {
        throw new ArchiveError(
          `${this.links.join(', ')} in the archive is a link, not a regular file; refusing it`,
        )
      }
      const shown = this.entries.join(', ')
      const more = this.entryCount > this.entries.length ? `, … (${this.entryCount} entries)` : ''
      throw new ArchiveError(
        `no ${this.name} binary at the archive's root or one directory down; it holds: ${shown || '(nothing)'}${more}`,
      )
    }
    const chosen = pick
    await Promise.all(this.candidates.filter((c) => c !== chosen).map((c) => rm(c.file, { force: true })))
    const path = join(this.dest, this.name)
    await rename(chosen.file, path)
    await chmod(path, chosen.mode)
    return { path, member: chosen.member, mode: chosen.mode, size: chosen.size, sha256: chosen.sha256 }
  }

  private async onHeader(): Promise<void> {
    const h = this.header
    if (h.every((b) => b === 0)) {
      this.ended = true
      return
    }
    const stored = octal(h, 148, 8)
    let sum = 0
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] as number)
    if (stored === undefined || stored !== sum) {
      throw new ArchiveError(
        this.offset === 0
          ? 'not a tar archive inside the gzip data (bad header checksum)'
          : `corrupt tar header at byte ${this.offset}`,
      )
    }
    const type = String.fromCharCode(h[156] as number)
    let name = cstr(h, 0, 100)
    if (h.toString('latin1', 257, 263) === 'ustar\0') {
      const prefix = cstr(h, 345, 155)
      if (prefix) name = `${prefix}/${name}`
    }
    let size = tarSize(h)
    if (size === undefined) throw new ArchiveError(`corrupt tar header at byte ${this.offset} (bad size)`)
    const mode = (octal(h, 100, 8) ?? 0o644) & 0o7777

    if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
      const limit =
        type === 'x' ? MAX_PAX_HEADER_BYTES : type === 'L' ? MAX_LONG_NAME_BYTES : Number.POSITIVE_INFINITY
      if (size > limit) {
        throw new ArchiveError(
          `the archive holds a ${type === 'x' ? 'pax extended header' : 'GNU long-name record'} of ${size} bytes at byte ${this.offset}; the limit is ${limit}: refusing it`,
        )
      }
      this.meta = type === 'x' ? 'pax' : type === 'L' ? 'gnu-longname' : 'ignore'
      this.metaChunks = []
      this.entryName = type === 'x' ? 'a pax header' : 'a GNU long-name header'
      return this.startData(size)
    }
    this.meta = undefined
    if (this.longName !== undefined) name = this.longName
    if (this.paxPath !== undefined) name = this.paxPath
    if (this.paxSize !== undefined) size = this.paxSize
    this.longName = this.paxPath = this.paxSize = undefined
    this.entryName = name
    if (this.entryCount++ < NAMES_KEPT) this.entries.push(clipName(name))

    const depth = this.depthOf(name)
    const regular = type === '0' || type === '\0' || type === '7'
    if (depth !== undefined && regular) {
      const file = join(this.dest, `.member-${this.seq++}`)
      const c: Candidate = { member: name, depth, file, mode: mode & 0o755, size, sha256: '' }
      this.sink = { fh: await open(file, 'wx', 0o600), hash: createHash('sha256'), c }
    } else if (depth !== undefined && (type === '1' || type === '2') && this.links.length < NAMES_KEPT) {
      this.links.push(clipName(name))
    }
    return this.startData(size)
  }

  private async startData(size: number): Promise<void> {
    this.remaining = size
    this.pad = (BLOCK - (size % BLOCK)) % BLOCK
    this.state = 'data'
    if (size === 0) await this.endEntry()
  }

  private async endEntry(): Promise<void> {
    if (this.sink) {
      const { fh, hash, c } = this.sink
      this.sink = undefined
      await fh.close()
      c.sha256 = hash.digest('hex')
      this.candidates.push(c)
    }
    if (this.meta === 'pax') this.readPax(Buffer.concat(this.metaChunks))
    if (this.meta === 'gnu-longname')
      this.longName = cstr(Buffer.concat(this.metaChunks), 0, Number.MAX_SAFE_INTEGER)
    this.metaChunks = []
    this.state = this.pad > 0 ? 'pad' : 'header'
  }

  private readPax(buf: Buffer): void {
    let pos = 0
    while (pos < buf.length) {
      const space = buf.indexOf(0x20, pos)
      if (space < 0) break
      const len = Number.parseInt(buf.toString('latin1', pos, space), 10)
      if (!Number.isFinite(len) || len <= 0 || pos + len > buf.length) {
        throw new ArchiveError(`corrupt pax header before ${this.entryName}`)
      }
      const record = buf.toString('utf8', space + 1, pos + len - 1)
      const eq = record.indexOf('=')
      const key = record.slice(0, eq)
      const value = record.slice(eq + 1)
      if (key === 'path') this.paxPath = value
      if (key === 'size' && /^\d+$/.test(value)) this.paxSize = Number(value)
      pos += len
    }
  }

  /** 0 for `dkp` at the root, 1 for `<dir>/dkp`, undefined otherwise. */
  private depthOf(member: string): 0 | 1 | undefined {
    const parts = member.split('/').filter((p) => p !== '' && p !== '.')
    if (parts.includes('..') || parts.at(-1) !== this.name) return undefined
    return parts.length === 1 ? 0 : parts.length === 2 ? 1 : undefined
  }
}

/** Member names quoted in messages: at most 200 characters. */
const clipName = (name: string) =>
  name.length > 200 ? `${name.slice(0, 200)}… (${name.length} characters)` : name

function cstr(buf: Buffer, start: number, len: number): string {
  const end = Math.min(buf.length, start + len)
  const nul = buf.indexOf(0, start)
  return buf.toString('utf8', start, nul >= 0 && nul < end ? nul : end)
}

function octal(buf: Buffer, start: number, len: number): number | undefined {
  const s = buf
    .toString('latin1', start, start + len)
    .replace(/[\0 ]+$/g, '')
    .replace(/^ +/, '')
  if (!/^[0-7]+$/.test(s)) return undefined
  return Number.parseInt(s, 8)
}

function tarSize(h: Buffer): number | undefined {
  if (((h[124] as number) & 0x80) !== 0) {
    // GNU base-256: the remaining bits, big-endian.
    let n = (h[124] as number) & 0x7f
    for (let i = 125; i < 136; i++) n = n * 256 + (h[i] as number)
    return Number.isSafeInteger(n) ? n : undefined
  }
  const s = h
    .toString('latin1', 124, 136)
    .replace(/[\0 ]+$/g, '')
    .replace(/^ +/, '')
  if (s === '') return 0
  return /^[0-7]+$/.test(s) ? Number.parseInt(s, 8) : undefined
}
