// Pure helpers of the installer (src/core/download.ts): versions, platforms, URL templates,
// sha256 inputs, redaction, `dkp version` parsing, the Actions cache key. No I/O.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  cacheVersion,
  checksumKey,
  dkpCacheKey,
  dkpCacheKeyFor,
  dkpPlatform,
  dkpTarballName,
  expandUrlTemplate,
  normalizeDkpVersion,
  normalizeSha256,
  OFFICIAL_URL_TEMPLATE,
  officialDkpUrl,
  parseDkpVersionOutput,
  parseUrlTemplate,
  redactUrl,
} from '../../src/core/download.js'
import { InputError, WorkError } from '../../src/core/errors.js'

const linux = dkpPlatform('linux', 'x64')

describe('versions', () => {
  it('normalises to vX.Y.Z[-pre] and refuses anything else', () => {
    expect(normalizeDkpVersion('2.8.1')).toBe('v2.8.1')
    expect(normalizeDkpVersion(' v2.8.1 ')).toBe('v2.8.1')
    expect(normalizeDkpVersion('v2.9.0-rc.1')).toBe('v2.9.0-rc.1')
    for (const bad of [
      '',
      'latest',
      'v2.8',
      '2.8.1.0',
      'v02.8.1',
      'v2.8.1+build.5',
      'v2.8.1-',
      'v2.8.1-01',
      'V2.8.1',
      'v2.8.1 x',
    ]) {
      expect(() => normalizeDkpVersion(bad), bad).toThrow(InputError)
    }
    expect(() => normalizeDkpVersion('v2.8')).toThrow(
      /dkp version "v2\.8" is not a release version: expected vX\.Y\.Z/,
    )
    expect(cacheVersion('v2.9.0-rc.1')).toBe('2.9.0-rc.1')
  })

  it('accepts every semver core version with or without v (property)', () => {
    fc.assert(
      fc.property(fc.nat(999), fc.nat(999), fc.nat(9999), fc.boolean(), (a, b, c, v) => {
        expect(normalizeDkpVersion(`${v ? 'v' : ''}${a}.${b}.${c}`)).toBe(`v${a}.${b}.${c}`)
      }),
    )
  })
})

describe('platforms', () => {
  it('maps Node platform/arch to the download spelling', () => {
    expect(dkpPlatform('linux', 'x64')).toEqual({ os: 'linux', arch: 'amd64', nodeArch: 'x64' })
    expect(dkpPlatform('darwin', 'arm64')).toEqual({ os: 'darwin', arch: 'arm64', nodeArch: 'arm64' })
    expect(() => dkpPlatform('win32', 'x64')).toThrow(WorkError)
    expect(() => dkpPlatform('linux', 'ia32')).toThrow(
      /not published for architecture "ia32" \(this runner is linux\/ia32\)/,
    )
    expect(() => dkpPlatform('linux', 's390x')).toThrow(/linux or darwin, amd64 \(x64\) or arm64/)
  })
})

describe('URL templates', () => {
  it('the official URL follows reference/dkp.md §3', () => {
    expect(officialDkpUrl('2.8.1', linux)).toBe(
      'https://downloads.d2iq.com/dkp/v2.8.1/dkp_v2.8.1_linux_amd64.tar.gz',
    )
    expect(dkpTarballName('v2.8.1', dkpPlatform('darwin', 'arm64'))).toBe('dkp_v2.8.1_darwin_arm64.tar.gz')
    expect(parseUrlTemplate(OFFICIAL_URL_TEMPLATE).placeholders).toEqual(['version', 'os', 'arch'])
  })

  it('expands {version} (with v), {os} and {arch}, every occurrence', () => {
    expect(
      expandUrlTemplate(
        'https://m.example.com/{os}-{arch}/{version}/dkp_{version}_{os}_{arch}.tgz',
        'v2.8.1',
        linux,
      ),
    ).toBe('https://m.example.com/linux-amd64/v2.8.1/dkp_v2.8.1_linux_amd64.tgz')
    expect(expandUrlTemplate('file:///srv/mirror/dkp-{version}.tar.gz', '2.8.1', linux)).toBe(
      'file:///srv/mirror/dkp-v2.8.1.tar.gz',
    )
  })

  it('names each problem of a malformed template', () => {
    const cases: [string, string][] = [
      [
        'https://m/{version}/{platform}.tgz',
        'unknown placeholder {platform} (known: {version}, {os}, {arch})',
      ],
      ['https://m/{Version}.tgz', 'unknown placeholder {Version}'],
      ['https://m/{}.tgz', 'unknown placeholder {}'],
      ['https://m/{version.tgz', 'unbalanced "{" at position 11'],
      ['https://m/{ver{version}}.tgz', 'unbalanced "{" at position 11'],
      ['https://m/version}.tgz', 'unbalanced "}" at position 18'],
      ['https://m/latest/dkp.tgz', 'has no {version} placeholder'],
      ['ftp://m/{version}.tgz', 'uses "ftp": only http, https and file URLs are supported'],
      ['s3://bucket/{version}.tgz', 'uses "s3"'],
      ['/srv/mirror/{version}.tgz', 'is not a valid absolute URL'],
      ['https://m/{version} .tgz', 'contains whitespace'],
      ['   ', 'is empty'],
    ]
    for (const [tpl, problem] of cases) {
      expect(() => parseUrlTemplate(tpl), tpl).toThrow(InputError)
      expect(() => parseUrlTemplate(tpl), tpl).toThrow(problem)
    }
    expect(() => parseUrlTemplate('x', 'dkp-download-url')).toThrow(/^dkp-download-url "x": /)
  })

  it('any template built from literal text and known placeholders expands to a URL holding the version (property)', () => {
    const literal = fc.stringMatching(/^[a-z0-9._~/-]{0,12}$/)
    const piece = fc.oneof(literal, fc.constantFrom('{version}', '{os}', '{arch}'))
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 6 }), fc.constantFrom('linux', 'darwin'), (pieces, os) => {
        const tpl = `https://mirror.example.com/${pieces.join('')}/{version}.tgz`
        const url = expandUrlTemplate(tpl, 'v2.8.1', dkpPlatform(os, 'arm64'))
        expect(url).not.toMatch(/[{}]/)
        expect(new URL(url).pathname).toContain('v2.8.1')
      }),
    )
  })

  it('rejects any template with a brace that does not form a known placeholder (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{0,8}$/), fc.constantFrom('{', '}'), (name, brace) => {
        fc.pre(!['version', 'os', 'arch'].includes(name))
        const bad = brace === '{' ? `{${name}` : `${name}}`
        expect(() => parseUrlTemplate(`https://m/{version}/${bad}.tgz`)).toThrow(InputError)
        expect(() => parseUrlTemplate(`https://m/{version}/{${name}}.tgz`)).toThrow(/unknown placeholder/)
      }),
    )
  })
})

describe('checksums, redaction, dkp version output', () => {
  it('validates sha256 input', () => {
    const hex = 'AB'.repeat(32)
    expect(normalizeSha256(hex)).toBe(hex.toLowerCase())
    expect(normalizeSha256(`sha256:${hex}`)).toBe(hex.toLowerCase())
    expect(() => normalizeSha256('ab'.repeat(31))).toThrow(
      /dkp-sha256 ".*" is not a sha256: expected 64 hexadecimal digits/,
    )
    expect(() => normalizeSha256('zz'.repeat(32), '--sha256')).toThrow(/^--sha256 /)
    expect(checksumKey('2.8.1', linux)).toBe('linux-amd64-v2.8.1')
  })

  it('masks passwords and query values in URLs', () => {
    expect(redactUrl('https://u:p4ss@m.example.com/a/b.tgz?X-Amz-Signature=abc&x=1')).toBe(
      'https://u:***@m.example.com/a/b.tgz?X-Amz-Signature=***&x=***',
    )
    expect(redactUrl('https://tok3n@m.example.com/a')).toBe('https://***@m.example.com/a')
    expect(redactUrl('https://m.example.com/a')).toBe('https://m.example.com/a')
  })

  it('parses the dkp (or nkp) line of `dkp version`', () => {
    expect(parseDkpVersionOutput('diagnose: v0.9.0\ndkp: v2.8.1\nkommander: v2.8.1\n')).toBe('v2.8.1')
    expect(parseDkpVersionOutput('nkp: v2.12.0\n')).toBe('v2.12.0')
    expect(parseDkpVersionOutput('dkp: 2.8.1\n')).toBe('v2.8.1')
    expect(parseDkpVersionOutput('kommander: v2.8.1\n')).toBeUndefined()
    expect(parseDkpVersionOutput('  dkp: v2.8.1')).toBeUndefined()
  })
})

describe('the Actions cache key of the verified tarball', () => {
  const A = 'a'.repeat(64)
  const B = 'b'.repeat(64)
  const table = { 'linux-amd64-v2.8.1': { sha256: B, source: 'test' } }
  const key = (o: Partial<Parameters<typeof dkpCacheKeyFor>[0]> = {}) =>
    dkpCacheKeyFor({ version: 'v2.8.1', platform: { platform: 'linux', arch: 'x64' }, table, ...o })

  it('names version, platform and the sha256 the tarball is verified against: the pin, else the table', () => {
    expect(key({ sha256: A })).toBe(`dkp-fleet-dkp-v2.8.1-linux-amd64-${A}`)
    expect(key({ sha256: `sha256:${A.toUpperCase()}` })).toBe(`dkp-fleet-dkp-v2.8.1-linux-amd64-${A}`)
    expect(key()).toBe(`dkp-fleet-dkp-v2.8.1-linux-amd64-${B}`)
    expect(key({ version: '2.8.1' })).toBe(key())
    expect(dkpCacheKey('v2.8.1', dkpPlatform('darwin', 'arm64'), A)).toBe(
      `dkp-fleet-dkp-v2.8.1-darwin-arm64-${A}`,
    )
  })

  it('is empty when nothing would be cached: dkp-path, no sha256 known, a platform dkp is not published for', () => {
    expect(key({ dkpPath: '/opt/dkp/dkp', sha256: A })).toBe('')
    expect(key({ version: 'v2.9.0' })).toBe('')
    expect(key({ platform: { platform: 'win32', arch: 'x64' }, sha256: A })).toBe('')
    expect(key({ platform: { platform: 'linux', arch: 'ia32' }, sha256: A })).toBe('')
  })

  it('differs whenever version, os, arch or sha256 differ (no entry stands for two tarballs)', () => {
    const seen = new Set<string>()
    for (const version of ['v2.8.1', 'v2.8.2', 'v2.9.0-rc.1'])
      for (const [platform, arch] of [
        ['linux', 'x64'],
        ['linux', 'arm64'],
        ['darwin', 'x64'],
        ['darwin', 'arm64'],
      ] as const)
        for (const sha256 of [A, B]) seen.add(key({ version, platform: { platform, arch }, sha256 }))
    expect(seen.size).toBe(3 * 4 * 2)
    for (const k of seen) expect(k.length).toBeLessThanOrEqual(512) // the cache's key limit
  })
})
