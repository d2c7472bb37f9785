// The DKP release table, upgrade paths (no minor skipped, never down) and Kubernetes ranges.

import { describe, expect, it } from 'vitest'
import {
  checkDkpPath,
  checkKubernetesPath,
  compareVersions,
  DKP_MINORS,
  defaultKubernetesFor,
  dkpMinor,
  kubernetesSupport,
  kubernetesSupportedBy,
  minorOf,
  normalizeDkp,
  normalizeKubernetes,
} from '../../src/core/versions.js'

describe('release table', () => {
  it('lists DKP minors in ascending order, each with an ascending default Kubernetes', () => {
    for (let i = 1; i < DKP_MINORS.length; i++) {
      const [a, b] = [DKP_MINORS[i - 1]!, DKP_MINORS[i]!]
      expect(compareVersions(`${a.minor}.0`, `${b.minor}.0`), `${a.minor} < ${b.minor}`).toBeLessThan(0)
      expect(compareVersions(a.kubernetes, b.kubernetes)).toBeLessThan(0)
    }
  })

  it('each release supports its own default Kubernetes', () => {
    for (const m of DKP_MINORS)
      expect(kubernetesSupportedBy(`v${m.minor}.0`, m.kubernetes), m.minor).toBeUndefined()
  })

  it('maps DKP 2.8 to Kubernetes 1.28.7 by default', () => {
    expect(defaultKubernetesFor('v2.8.1')).toBe('1.28.7')
    expect(dkpMinor('2.8.0')?.minor).toBe('2.8')
    expect(defaultKubernetesFor('v2.9.0')).toBeUndefined()
  })
})

describe('normalising', () => {
  it.each([
    ['2.8.1', 'v2.8.1'],
    ['v2.8.1', 'v2.8.1'],
    [' v2.8.1 ', 'v2.8.1'],
    ['v2.8.1-rc.1', 'v2.8.1-rc.1'],
    ['2.8', undefined],
    ['v2.8', undefined],
    ['v2.8.1+build', undefined],
    ['latest', undefined],
  ])('DKP %j → %j', (input, out) => {
    expect(normalizeDkp(input)).toBe(out)
  })

  it.each([
    ['1.28.7', '1.28.7'],
    ['v1.28.7', '1.28.7'],
    ['v1.28.7+fips.0', '1.28.7+fips.0'],
    ['1.28', undefined],
    ['1.28.7-rc.0', undefined],
  ])('Kubernetes %j → %j', (input, out) => {
    expect(normalizeKubernetes(input)).toBe(out)
  })

  it('minorOf and compareVersions ignore v and build metadata', () => {
    expect(minorOf('v2.12.0')).toBe('2.12')
    expect(compareVersions('v1.28.7+fips.0', '1.28.7')).toBe(0)
    expect(compareVersions('v2.10.0', 'v2.9.9')).toBe(1)
  })
})

describe('DKP upgrade path', () => {
  it.each([
    ['v2.7.1', 'v2.8.1'],
    ['v2.8.0', 'v2.8.1'],
    ['v2.8.1', 'v2.8.1'],
    ['2.6.0', 'v2.7.1'],
    ['v2.1.0', 'v2.2.0'],
  ])('%s → %s is allowed', (from, to) => {
    expect(checkDkpPath(from, to)).toEqual({ ok: true, kind: 'ok', path: [from, to] })
  })

  it('2.5.x → 2.7.x is refused, listing v2.6.x', () => {
    const r = checkDkpPath('v2.5.2', 'v2.7.1')
    expect(r.ok).toBe(false)
    expect(r.path).toEqual(['v2.5.2', 'v2.6.x', 'v2.7.1'])
    expect(r.reason).toBe(
      'upgrading DKP v2.5.2 to v2.7.1 skips minor release v2.6.x; DKP minors cannot be skipped: upgrade v2.5.2 → v2.6.x → v2.7.1, one release per run',
    )
  })

  it('2.4 → 2.8 names every minor in between', () => {
    const r = checkDkpPath('v2.4.0', 'v2.8.1')
    expect(r.ok).toBe(false)
    expect(r.path).toEqual(['v2.4.0', 'v2.5.x', 'v2.6.x', 'v2.7.x', 'v2.8.1'])
    expect(r.reason).toContain('skips minor releases v2.5.x, v2.6.x, v2.7.x')
  })

  it.each([
    ['v2.8.1', 'v2.8.0'],
    ['v2.8.1', 'v2.7.1'],
  ])('downgrade %s → %s is refused', (from, to) => {
    const r = checkDkpPath(from, to)
    expect(r.ok).toBe(false)
    expect(r.reason).toContain(`${to} is older than the running ${from}: DKP cannot be downgraded`)
  })

  it('an unknown release on either end is refused, naming it', () => {
    expect(checkDkpPath('v2.8.1', 'v2.9.0')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('DKP v2.9.0 is not in the known release table'),
    })
    expect(checkDkpPath('v1.9.0', 'v2.1.0')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('DKP v1.9.0 is not in the known release table'),
    })
  })
})

describe('Kubernetes path', () => {
  it.each([
    ['1.27.6', '1.28.7'],
    ['1.28.1', '1.28.7'],
    ['v1.28.7', '1.28.7'],
    ['1.27.6+fips.0', '1.28.7+fips.0'],
  ])('%s → %s is allowed', (from, to) => {
    expect(checkKubernetesPath(from, to).ok).toBe(true)
  })

  it('a skipped minor is refused with the path to take', () => {
    const r = checkKubernetesPath('1.26.6', '1.28.7')
    expect(r).toEqual({
      ok: false,
      kind: 'skip',
      path: ['1.26.6', '1.27.x', '1.28.7'],
      reason: 'Kubernetes 1.26.6 → 1.28.7 skips minor 1.27.x: upgrade 1.26.6 → 1.27.x → 1.28.7',
    })
    expect(checkKubernetesPath('1.25.0', '1.28.7').path).toEqual(['1.25.0', '1.26.x', '1.27.x', '1.28.7'])
  })

  it('a downgrade is refused', () => {
    expect(checkKubernetesPath('1.28.7', '1.28.1')).toMatchObject({
      ok: false,
      reason: 'Kubernetes 1.28.1 is older than the running 1.28.7: no downgrade',
    })
    expect(checkKubernetesPath('1.28.7', '1.27.9').ok).toBe(false)
  })

  it('a major version change is refused', () => {
    expect(checkKubernetesPath('1.28.7', '2.0.0')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('major'),
    })
  })
})

describe('Kubernetes versions a release supports', () => {
  it.each([
    ['v2.8.1', '1.28.7', undefined],
    ['v2.8.1', '1.27.9', undefined],
    ['v2.8.1', '1.26.0', undefined],
    ['v2.8.1', '1.29.0', 'Kubernetes 1.29.0 is newer than DKP v2.8.1 supports (up to 1.28.x)'],
    ['v2.8.1', '1.25.9', 'Kubernetes 1.25.9 is older than DKP v2.8.1 supports (from 1.26)'],
    ['v2.7.1', '1.28.7', 'Kubernetes 1.28.7 is newer than DKP v2.7.1 supports (up to 1.27.x)'],
    ['v2.9.0', '1.40.0', undefined], // unknown release: no opinion (target.kubernetes decides)
  ])('DKP %s with Kubernetes %s → %j', (dkp, k, message) => {
    expect(kubernetesSupportedBy(dkp, k)).toBe(message)
  })
})

describe('path and support checks say what kind of answer they are (no caller reads the wording)', () => {
  it.each([
    ['v2.7.1', 'v2.8.1', 'ok'],
    ['v2.8.1', 'v2.7.1', 'downgrade'],
    ['v2.5.2', 'v2.7.1', 'skip'],
    ['v2.8.1', 'v2.9.0', 'unknown'],
  ] as const)('DKP %s → %s: %s', (from, to, kind) => {
    expect(checkDkpPath(from, to).kind).toBe(kind)
  })

  it.each([
    ['1.27.6', '1.28.7', 'ok'],
    ['1.28.7', '1.28.1', 'downgrade'],
    ['1.26.6', '1.28.7', 'skip'],
    ['1.28.7', '2.0.0', 'major'],
    ['latest', '1.28.7', 'unknown'],
    ['1.28.7', '1.28', 'unknown'],
  ] as const)('Kubernetes %s → %s: %s', (from, to, kind) => {
    const r = checkKubernetesPath(from, to)
    expect(r.kind).toBe(kind)
    expect(r.ok).toBe(kind === 'ok')
  })

  it('support ranges: newer, older, ok, and a release the table does not know', () => {
    expect(kubernetesSupport('v2.8.1', '1.29.0').kind).toBe('newer')
    expect(kubernetesSupport('v2.8.1', '1.25.9').kind).toBe('older')
    expect(kubernetesSupport('v2.8.1', '1.27.9')).toEqual({ kind: 'ok' })
    expect(kubernetesSupport('v9.9.9', '1.27.9')).toEqual({ kind: 'unknown-release' })
  })

  it('the release table comes from data/dkp-releases.json with a provenance per value', async () => {
    const { default: raw } = await import('../../data/dkp-releases.json', { with: { type: 'json' } })
    expect(raw.releases.map((r) => r.minor)).toEqual(DKP_MINORS.map((m) => m.minor))
    for (const r of raw.releases) {
      expect(['C', '3P', 'I']).toContain(r.kubernetes.provenance)
      expect(['C', '3P', 'I']).toContain(r.oldestKubernetes.provenance)
    }
  })
})
