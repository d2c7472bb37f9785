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
  const out: ReleaseRecord = {}
  const containers: number[] = [] // 0 object, 1 array
  const keys: (string | undefined)[] = []
  let pos = skipWs(b, 0)
  if (b[pos] !== 0x7b) throw new Error('the Helm release record is not JSON (not an object)')
  type Expect = 'value' | 'valueOrEnd' | 'keyOrEnd' | 'key' | 'colon' | 'commaOrEnd'
  let expect: Expect = 'value'
  const path = (): string | undefined => {
    if (containers.length > 3) return undefined
    for (const c of containers) if (c !== 0) return undefined
    return keys.join('.')
  }
  const open = (kind: number) => {
    if (containers.length >= MAX_RECORD_DEPTH)
      throw new Error(`the Helm release record nests deeper than ${MAX_RECORD_DEPTH} levels`)
    containers.push(kind)
    keys.push(undefined)
  }
  const close = () => {
    containers.pop()
    keys.pop()
    expect = 'commaOrEnd'
  }
  for (;;) {
    pos = skipWs(b, pos)
    if (pos >= b.length) throw new Error('the Helm release record is not JSON (it ends early)')
    const c = b[pos]!
    switch (expect) {
      case 'valueOrEnd':
        if (c === 0x5d) {
          pos++
          close()
          break
        }
        expect = 'value'
        continue
      case 'value': {
        if (c === 0x7b) {
          open(0)
          pos++
          expect = 'keyOrEnd'
          break
        }
        if (c === 0x5b) {
          open(1)
          pos++
          expect = 'valueOrEnd'
          break
        }
        const at = path()
        if (c === QUOTE) {
          const end = stringEnd(b, pos)
          if (at && WANTED.has(at)) take(out, at, b, pos + 1, end)
          pos = end + 1
        } else {
          let end = pos
          while (end < b.length && !isDelimiter(b[end]!)) end++
          if (end === pos)
            throw new Error(`the Helm release record is not JSON (unexpected "${String.fromCharCode(c)}")`)
          if (at === 'version') {
            const n = Number(b.toString('latin1', pos, Math.min(end, pos + 32)))
            if (Number.isInteger(n)) out.version = n
          }
          pos = end
        }
        expect = 'commaOrEnd'
        break
      }
      case 'keyOrEnd':
        if (c === 0x7d) {
          pos++
          close()
          break
        }
        expect = 'key'
        continue
      case 'key': {
        if (c !== QUOTE) throw new Error('the Helm release record is not JSON (a key is not a string)')
        const end = stringEnd(b, pos)
        keys[keys.length - 1] = end - pos - 1 <= 64 ? decodeString(b, pos + 1, end) : ''
        pos = end + 1
        expect = 'colon'
        break
      }
      case 'colon':
        if (c !== 0x3a) throw new Error('the Helm release record is not JSON (":" expected)')
        pos++
        expect = 'value'
        break
      case 'commaOrEnd': {
        if (containers.length === 0) return out
        const top = containers[containers.length - 1]
        if (c === 0x2c) {
          pos++
          expect = top === 0 ? 'key' : 'value'
        } else if ((c === 0x7d && top === 0) || (c === 0x5d && top === 1)) {
          pos++
          close()
        } else throw new Error('the Helm release record is not JSON ("," or a closing bracket expected)')
        break
      }
    }
    if (expect === 'commaOrEnd' && containers.length === 0) return out
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
