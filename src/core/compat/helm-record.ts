// Reading a Helm release record (the JSON Helm stores, after base64 and gunzip) with bounded
// memory and time, whatever a tenant wrote into it: the record is walked byte by byte without
// building the JSON value (no recursion, nesting capped), only the few fields the scan needs
// are decoded, and the rendered manifest is handed out in decoded chunks of at most 64 KiB, so
// no copy of it is ever held whole. Pure.

/** The fields of a release record the removed-API scan reads. */
export interface ReleaseRecord {
  name?: string
  namespace?: string
  version?: number
  status?: string
  chartName?: string
  chartVersion?: string
  /** Byte range of the manifest string's content (between its quotes) in the record. */
  manifest?: [number, number]
}

/** Containers nested deeper than this are refused (Helm's own records nest a few dozen levels). */
export const MAX_RECORD_DEPTH = 512
/** A field the scan reads (name, namespace, status, chart) longer than this is refused. */
const MAX_FIELD_BYTES = 1024

const WANTED = new Set([
  'name',
  'namespace',
  'version',
  'manifest',
  'info.status',
  'chart.metadata.name',
  'chart.metadata.version',
])

const QUOTE = 0x22
const BACKSLASH = 0x5c

/** Walks the record; throws an Error with a short reason when it is not a JSON object or nests too deep. */
export function readReleaseRecord(b: Buffer): ReleaseRecord {
  return new RecordWalker(b).walk()
}

type Expect = 'value' | 'valueOrEnd' | 'keyOrEnd' | 'key' | 'colon' | 'commaOrEnd'

/** The walk's state: position, open containers (0 object, 1 array) with their current keys. */
class RecordWalker {
  readonly out: ReleaseRecord = {}
  private readonly containers: number[] = []
  private readonly keys: (string | undefined)[] = []
  private pos: number
  private expect: Expect = 'value'

  constructor(private readonly b: Buffer) {
    this.pos = skipWs(b, 0)
    if (b[this.pos] !== 0x7b) throw new Error('the Helm release record is not JSON (not an object)')
  }

  walk(): ReleaseRecord {
    for (;;) {
      this.pos = skipWs(this.b, this.pos)
      if (this.pos >= this.b.length) throw new Error('the Helm release record is not JSON (it ends early)')
      const c = this.b[this.pos]!
      if (this.step(c)) return this.out
      if (this.expect === 'commaOrEnd' && this.containers.length === 0) return this.out
    }
  }

  /** One token at `pos`; true when the record is complete. */
  private step(c: number): boolean {
    switch (this.expect) {
      case 'valueOrEnd':
        if (c === 0x5d) this.closeAt()
        else this.expect = 'value'
        return false
      case 'value':
        this.value(c)
        return false
      case 'keyOrEnd':
        if (c === 0x7d) this.closeAt()
        else this.expect = 'key'
        return false
      case 'key':
        this.key(c)
        return false
      case 'colon':
        if (c !== 0x3a) throw new Error('the Helm release record is not JSON (":" expected)')
        this.pos++
        this.expect = 'value'
        return false
      case 'commaOrEnd':
        return this.commaOrEnd(c)
    }
  }

  /** The dotted key path of the current value when it is a wanted field's, else undefined. */
  private path(): string | undefined {
    if (this.containers.length > 3) return undefined
    for (const c of this.containers) if (c !== 0) return undefined
    return this.keys.join('.')
  }

  private open(kind: number): void {
    if (this.containers.length >= MAX_RECORD_DEPTH)
      throw new Error(`the Helm release record nests deeper than ${MAX_RECORD_DEPTH} levels`)
    this.containers.push(kind)
    this.keys.push(undefined)
    this.pos++
    this.expect = kind === 0 ? 'keyOrEnd' : 'valueOrEnd'
  }

  private closeAt(): void {
    this.pos++
    this.containers.pop()
    this.keys.pop()
    this.expect = 'commaOrEnd'
  }

  private value(c: number): void {
    const { b } = this
    if (c === 0x7b || c === 0x5b) {
      this.open(c === 0x7b ? 0 : 1)
      return
    }
    const at = this.path()
    if (c === QUOTE) {
      const end = stringEnd(b, this.pos)
      if (at && WANTED.has(at)) take(this.out, at, b, this.pos + 1, end)
      this.pos = end + 1
    } else {
      let end = this.pos
      while (end < b.length && !isDelimiter(b[end]!)) end++
      if (end === this.pos)
        throw new Error(`the Helm release record is not JSON (unexpected "${String.fromCharCode(c)}")`)
      if (at === 'version') {
        const n = Number(b.toString('latin1', this.pos, Math.min(end, this.pos + 32)))
        if (Number.isInteger(n)) this.out.version = n
      }
      this.pos = end
    }
    this.expect = 'commaOrEnd'
  }

  private key(c: number): void {
    if (c !== QUOTE) throw new Error('the Helm release record is not JSON (a key is not a string)')
    const end = stringEnd(this.b, this.pos)
    this.keys[this.keys.length - 1] = end - this.pos - 1 <= 64 ? decodeString(this.b, this.pos + 1, end) : ''
    this.pos = end + 1
    this.expect = 'colon'
  }

  private commaOrEnd(c: number): boolean {
    if (this.containers.length === 0) return true
    const top = this.containers[this.containers.length - 1]
    if (c === 0x2c) {
      this.pos++
      this.expect = top === 0 ? 'key' : 'value'
    } else if ((c === 0x7d && top === 0) || (c === 0x5d && top === 1)) {
      this.closeAt()
    } else throw new Error('the Helm release record is not JSON ("," or a closing bracket expected)')
    return false
  }
}

function take(out: ReleaseRecord, at: string, b: Buffer, start: number, end: number): void {
  if (at === 'manifest') {
    out.manifest = [start, end]
    return
  }
  if (end - start > MAX_FIELD_BYTES)
    throw new Error(`the Helm release record's ${at} is longer than ${MAX_FIELD_BYTES} bytes`)
  const value = decodeString(b, start, end)
  if (at === 'name') out.name = value
  else if (at === 'namespace') out.namespace = value
  else if (at === 'info.status') out.status = value
  else if (at === 'chart.metadata.name') out.chartName = value
  else if (at === 'chart.metadata.version') out.chartVersion = value
}

/**
 * The manifest's decoded text in chunks of at most `chunkBytes` source bytes, cut where no
 * escape sequence or UTF-8 character is split.
 */
export function* manifestChunks(
  b: Buffer,
  range: [number, number],
  chunkBytes = 64 * 1024,
): Generator<string> {
  let start = range[0]
  const end = range[1]
  while (start < end) {
    let cut = Math.min(end, start + chunkBytes)
    if (cut < end) {
      while (cut > start && (b[cut]! & 0xc0) === 0x80) cut-- // inside a UTF-8 character
      // before an escape that would be split: an unescaped backslash among the last 6 bytes
      for (let q = cut - 1; q >= Math.max(start, cut - 6); q--) {
        if (b[q] !== BACKSLASH) continue
        let run = 0
        while (q - run - 1 >= start && b[q - run - 1] === BACKSLASH) run++
        if (run % 2 === 1) continue // this backslash is escaped itself
        const length = b[q + 1] === 0x75 ? 6 : 2 // \uXXXX or \n, \", …
        if (q + length > cut) cut = q
        break
      }
      // a chunk smaller than one escape or character: take that one whole
      if (cut === start) cut = Math.min(end, start + unitLength(b, start))
    }
    yield decodeString(b, start, cut)
    start = cut
  }
}

/** Bytes of the escape sequence or UTF-8 character at `p`. */
function unitLength(b: Buffer, p: number): number {
  const c = b[p]!
  if (c === BACKSLASH) return b[p + 1] === 0x75 ? 6 : 2
  return c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1
}

function decodeString(b: Buffer, start: number, end: number): string {
  const raw = b.toString('utf8', start, end)
  if (raw.indexOf('\\') < 0 && !/[\u0000-\u001f]/.test(raw)) return raw
  try {
    return JSON.parse(`"${raw}"`) as string
  } catch {
    throw new Error('the Helm release record is not JSON (a bad string)')
  }
}

/** Index of the closing quote of the string whose opening quote is at `open`. */
function stringEnd(b: Buffer, open: number): number {
  let p = open + 1
  for (;;) {
    const q = b.indexOf(QUOTE, p)
    if (q < 0) throw new Error('the Helm release record is not JSON (an unclosed string)')
    let run = 0
    while (b[q - run - 1] === BACKSLASH) run++
    if (run % 2 === 0) return q
    p = q + 1
  }
}

function skipWs(b: Buffer, pos: number): number {
  while (pos < b.length) {
    const c = b[pos]!
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break
    pos++
  }
  return pos
}

const isDelimiter = (c: number) =>
  c === 0x2c || c === 0x7d || c === 0x5d || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x3a
