// The bounded Helm release scan (tenant data): the record walker reads exactly what JSON.parse
// reads, the manifest chunks decode to exactly the manifest whatever the cut, the line scanner
// finds what the YAML parser finds on the block-style manifests Helm renders, and every bomb is
// a finding within the limits. Peak memory and time are measured in child processes by the
// reliability suite (test/faults/bounds.test.ts).

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeHelmRelease, MAX_RELEASE_BYTES, scanHelmReleases } from '../../src/core/compat/helm.js'
import { MAX_RECORD_DEPTH, manifestChunks, readReleaseRecord } from '../../src/core/compat/helm-record.js'
import { scanManifestText } from '../../src/core/compat/manifest-scan.js'
import {
  HELM_PARTIAL_RULE,
  MAX_FINDINGS_PER_RELEASE,
  scanReleaseManifest,
} from '../../src/core/compat/release-scan.js'
import { type BombName, bombJson, helmSecret } from '../helpers/helm-bombs.js'

const REF = { namespace: 'shop', name: 'shop', revision: 3 }
const OPTS = { target: '1.29', cluster: 'c', helmRelease: REF, defaultNamespace: 'shop' }

/** Splits a string into chunks at the given sizes (cycled). */
function chunked(text: string, sizes: number[]): string[] {
  const out: string[] = []
  for (let i = 0, k = 0; i < text.length; k++) {
    const n = Math.max(1, sizes[k % sizes.length]!)
    out.push(text.slice(i, i + n))
    i += n
  }
  return out
}

describe('readReleaseRecord and manifestChunks', () => {
  it('read what JSON.parse reads, in any key order, around any nesting', () => {
    fc.assert(
      fc.property(
        fc.record({
          name: fc.string({ unit: 'grapheme', maxLength: 40 }),
          namespace: fc.string({ maxLength: 20 }),
          version: fc.integer({ min: 0, max: 10_000 }),
          status: fc.constantFrom('deployed', 'superseded', 'failed'),
          chart: fc.string({ maxLength: 20 }),
          manifest: fc.string({ unit: 'binary', maxLength: 400 }),
          config: fc.jsonValue({ maxDepth: 4 }),
        }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        (r, sizes, reversed) => {
          const entries: [string, unknown][] = [
            ['name', r.name],
            ['info', { status: r.status, notes: r.manifest }],
            ['chart', { metadata: { name: r.chart, version: '1.0.0' }, templates: [{ data: r.manifest }] }],
            ['config', r.config],
            ['manifest', r.manifest],
            ['version', r.version],
            ['namespace', r.namespace],
          ]
          if (reversed) entries.reverse()
          const bytes = Buffer.from(JSON.stringify(Object.fromEntries(entries)))
          const rec = readReleaseRecord(bytes)
          expect(rec).toMatchObject({
            name: r.name,
            namespace: r.namespace,
            version: r.version,
            status: r.status,
            chartName: r.chart,
            chartVersion: '1.0.0',
          })
          for (const size of sizes)
            expect([...manifestChunks(bytes, rec.manifest!, size)].join('')).toBe(r.manifest)
        },
      ),
      { numRuns: 80 },
    )
  }, 60_000)

  it('cuts chunks between escapes and UTF-8 characters', () => {
    const manifest = 'a\\"\n\té€😀\u2028\u0001x'.repeat(50)
    const bytes = Buffer.from(JSON.stringify({ name: 'n', manifest }))
    const rec = readReleaseRecord(bytes)
    for (let size = 1; size <= 16; size++)
      expect([...manifestChunks(bytes, rec.manifest!, size)].join('')).toBe(manifest)
  })

  it('refuses deep nesting, junk and over-long fields without recursion', () => {
    expect(() => readReleaseRecord(Buffer.from(`{"config":${'['.repeat(1e6)}${']'.repeat(1e6)}}`))).toThrow(
      `nests deeper than ${MAX_RECORD_DEPTH} levels`,
    )
    expect(() => readReleaseRecord(Buffer.from('[1]'))).toThrow(/not JSON/)
    expect(() => readReleaseRecord(Buffer.from('{"name": "x"'))).toThrow(/not JSON/)
    expect(() => readReleaseRecord(Buffer.from('{"name": "x}'))).toThrow(/not JSON/)
    expect(() => readReleaseRecord(Buffer.from(`{"name": "${'x'.repeat(2000)}"}`))).toThrow(/longer than/)
  })
})

describe('scanReleaseManifest', () => {
  const header = fc.record({
    apiVersion: fc.constantFrom('extensions/v1beta1', 'apps/v1', 'batch/v1beta1', 'policy/v1beta1', 'v1'),
    kind: fc.constantFrom(
      'Ingress',
      'Deployment',
      'CronJob',
      'PodSecurityPolicy',
      'ConfigMap',
      'PodDisruptionBudget',
    ),
    name: fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/),
    namespace: fc.option(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), { nil: undefined }),
    quote: fc.constantFrom('', '"', "'"),
    comment: fc.boolean(),
    source: fc.boolean(),
    keyOrder: fc.boolean(),
    indent: fc.constantFrom(2, 4),
  })
  type Header = typeof header extends fc.Arbitrary<infer T> ? T : never
  const render = (h: Header) => {
    const q = (v: string) => `${h.quote}${v}${h.quote}`
    const pad = ' '.repeat(h.indent)
    const meta = [`metadata:`, `${pad}labels:`, `${pad}${pad}app: x`, `${pad}name: ${q(h.name)}`]
    if (h.namespace) meta.push(`${pad}namespace: ${q(h.namespace)}${h.comment ? ' # ns' : ''}`)
    const top = [`apiVersion: ${q(h.apiVersion)}${h.comment ? ' # old' : ''}`, `kind: ${h.kind}`]
    const body = h.keyOrder ? [...meta, ...top] : [...top, ...meta]
    return `${h.source ? `# Source: chart/templates/${h.name}.yaml\n` : ''}${body.join('\n')}\nspec:\n${pad}replicas: 1\n`
  }

  it('finds what the YAML parser finds on block-style manifests, whatever the chunking', () => {
    fc.assert(
      fc.property(
        fc.array(header, { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 4 }),
        (docs, sizes) => {
          const text = docs.map((d) => `---\n${render(d)}`).join('')
          const expected = scanManifestText(text, 'helm:shop/shop', {
            ...OPTS,
            source: 'helm-release',
            parseAll: true,
          })
          const got = scanReleaseManifest(chunked(text, sizes), OPTS)
          expect(got.findings).toEqual(expected.findings)
          expect(got.objects).toBe(expected.objects)
          expect(got.parsedDocuments).toBe(0)
        },
      ),
      { numRuns: 200 },
    )
  })

  it('parses documents the lines cannot tell (flow style, a List), within the budget', () => {
    const text = [
      '--- {apiVersion: extensions/v1beta1, kind: Ingress, metadata: {name: flow}}',
      '---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: batch/v1beta1\n  kind: CronJob\n  metadata:\n    name: listed',
      '---\napiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: inline}',
    ].join('\n')
    const r = scanReleaseManifest([text], OPTS)
    expect(r.findings.map((f) => f.object?.name)).toEqual(['flow', 'listed', 'inline'])
    expect(r.parsedDocuments).toBe(3)
  })

  it(`keeps ${MAX_FINDINGS_PER_RELEASE} removed-API findings per release and says how many more`, () => {
    const text = '---\napiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: x\n'.repeat(5000)
    const r = scanReleaseManifest(chunked(text, [4096]), OPTS)
    expect(r.objects).toBe(5000)
    expect(r.findings).toHaveLength(MAX_FINDINGS_PER_RELEASE + 1)
    const partial = r.findings.at(-1)!
    expect(partial.ruleId).toBe(HELM_PARTIAL_RULE)
    expect(partial.message).toContain(
      '5000 objects with removed APIs; the first 100 are reported, 4900 more are not',
    )
  })

  it('reports documents it cannot afford to parse instead of parsing them', () => {
    const flow = `--- {apiVersion: extensions/v1beta1, kind: Ingress, metadata: {name: x, annotations: {a: "${'y'.repeat(70_000)}"}}}\n`
    const r = scanReleaseManifest([flow, flow], OPTS)
    expect(r.parsedDocuments).toBe(0)
    expect(r.findings.map((f) => f.ruleId)).toEqual([HELM_PARTIAL_RULE])
    expect(r.findings[0]!.message).toContain(
      '2 document(s) mention a removed apiVersion but are not plain block YAML',
    )
  })

  it('reads a header next to a line longer than the line limit', () => {
    const text = `apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: long\n  annotations:\n    a: ${'z'.repeat(1_000_000)}\n`
    const r = scanReleaseManifest(chunked(text, [65536]), OPTS)
    expect(r.findings.map((f) => f.object?.name)).toEqual(['long'])
  })
})

describe('bombs through scanHelmReleases: a finding, never a crash', () => {
  const cases: [BombName, string[]][] = [
    ['small', ['removed-api/extensions/v1beta1/Ingress']],
    ['many-docs', ['removed-api/extensions/v1beta1/Ingress', HELM_PARTIAL_RULE]],
    ['flow-docs', ['removed-api/extensions/v1beta1/Ingress', HELM_PARTIAL_RULE]],
    ['one-doc', ['removed-api/extensions/v1beta1/Ingress']],
    ['long-line', ['removed-api/extensions/v1beta1/Ingress']],
    ['aliases', ['removed-api/extensions/v1beta1/Ingress']],
    ['nesting', ['removed-api/extensions/v1beta1/Ingress']],
    ['json-nesting', ['helm-release-undecodable']],
    ['json-strings', ['removed-api/extensions/v1beta1/Ingress']],
    ['oversized', ['helm-release-undecodable']],
  ]
  const secrets = new Map<BombName, ReturnType<typeof helmSecret>>()
  const secret = (bomb: BombName) => {
    if (!secrets.has(bomb)) secrets.set(bomb, helmSecret(`bomb-${bomb}`, 'default', bombJson(bomb)))
    return secrets.get(bomb)!
  }
  it.each(cases)('%s', (bomb, rules) => {
    const r = scanHelmReleases([secret(bomb)], { cluster: 'c', target: '1.29' })
    expect([...new Set(r.findings.map((f) => f.ruleId))].sort()).toEqual([...rules].sort())
    expect(r.findings.length).toBeLessThanOrEqual(MAX_FINDINGS_PER_RELEASE + 1)
  })

  it(`refuses a record over ${MAX_RELEASE_BYTES} bytes after gunzip, naming the limit`, () => {
    const data = secret('oversized').data.release
    expect(() => decodeHelmRelease(data)).toThrow(`expands beyond ${MAX_RELEASE_BYTES} bytes (the limit)`)
  })
})

describe('gzip size trailer', () => {
  it('refuses a record whose trailer is over the limit without inflating, and a forged trailer at the limit', async () => {
    const { gzipSync } = await import('node:zlib')
    const storage = (json: Buffer, trailer?: number) => {
      const gz = gzipSync(json)
      if (trailer !== undefined) gz.writeUInt32LE(trailer, gz.length - 4)
      return Buffer.from(gz.toString('base64'), 'latin1').toString('base64')
    }
    const big = Buffer.alloc(2 * MAX_RELEASE_BYTES, 0x20)
    expect(() => decodeHelmRelease(storage(big))).toThrow(
      /expands beyond \d+ bytes \(the limit\): its gzip trailer says/,
    )
    // The trailer lies (says 10 bytes): maxOutputLength still stops the inflate at the limit.
    expect(() => decodeHelmRelease(storage(big, 10))).toThrow(
      `expands beyond ${MAX_RELEASE_BYTES} bytes (the limit)`,
    )
    expect(() => decodeHelmRelease(storage(big, 10))).not.toThrow(/trailer says/)
  })
})
