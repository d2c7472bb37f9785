// The release table the product reads (data/releases.json) agrees row for row with the ground
// truth extracted from the public release repositories (data/sources/kommander-applications.tsv,
// the same rows as the shared reference), and the loader answers from it.

import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadReleaseData } from '../../src/core/release-data.js'

const ROOT = resolve(import.meta.dirname, '../..')

function tsvRows(path: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(join(ROOT, path), 'utf8').trim().split('\n')
  const cols = header!.split('\t')
  return lines.map((l) => Object.fromEntries(l.split('\t').map((v, i) => [cols[i]!, v])))
}

const resolveValue = (raw: string): string | null => {
  if (raw === 'None') return null
  return /^\$\{\w+:=([^}]*)\}$/.exec(raw)?.[1] ?? raw
}

describe('release data', () => {
  it('is fresh: scripts/gen-release-data.mjs --check passes', () => {
    expect(() =>
      execFileSync(process.execPath, ['scripts/gen-release-data.mjs', '--check'], {
        cwd: ROOT,
        stdio: 'pipe',
      }),
    ).not.toThrow()
  })

  it('holds every TSV row, and nothing else', async () => {
    const data = await loadReleaseData()
    const rows = tsvRows('data/sources/kommander-applications.tsv')
    expect(rows.length).toBeGreaterThan(2500)
    // A chartRef HelmRelease (no chart.spec) reads its chart and version from its source.
    const key = (r: Record<string, string>) => [r.repo, r.tag, r.app, r.app_version, r.helmrelease].join('\t')
    const refs = new Map(tsvRows('data/sources/chart-refs.tsv').map((r) => [key(r), r]))
    const fromTsv = new Set(
      rows.map((r) => {
        const ref = r.chart === 'None' ? refs.get(key(r)) : undefined
        return JSON.stringify([
          r.repo,
          r.tag,
          r.app,
          r.app_version,
          r.helmrelease,
          ref ? ref.url : resolveValue(r.chart!),
          resolveValue(ref ? ref.ref_tag! : r.chart_version!),
        ])
      }),
    )
    const fromData = new Set<string>()
    for (const [kind, tags] of [
      ['platform', data.platformTags()],
      ['catalog', data.catalogTags()],
    ] as const) {
      for (const tag of tags) {
        const release = kind === 'platform' ? data.platform(tag)! : data.catalog(tag)!
        for (const app of release.apps())
          for (const version of release.versions(app))
            for (const hr of release.helmReleases(app, version)!)
              fromData.add(
                JSON.stringify([
                  release.repo.replace('mesosphere/', ''),
                  tag,
                  app,
                  version,
                  hr.name,
                  hr.chart,
                  hr.chartVersion,
                ]),
              )
      }
    }
    expect([...fromData].filter((r) => !fromTsv.has(r))).toEqual([])
    expect([...fromTsv].filter((r) => !fromData.has(r))).toEqual([])
  })

  it('resolves NKP 2.16+ chartRef HelmReleases through their OCIRepository (kommander v2.17.1)', async () => {
    const data = await loadReleaseData()
    const kommander = data.platform('2.17.1')!.helmReleases('kommander', '0.17.1')!
    const hr = kommander.find((h) => h.name === 'kommander')!
    expect(hr.chart).toBe('oci://docker.io/mesosphere/kommander-chart')
    expect(hr.chartVersion).toBe('v2.17.1')
    // 2.15 still names the chart in chart.spec (a HelmRepository)
    const old = data
      .platform('2.15.0')!
      .helmReleases('kommander', '0.15.0')!
      .find((h) => h.name === 'kommander')!
    expect([old.chart, old.chartVersion]).toEqual(['kommander', 'v2.15.0'])
    // 2.17 moved the kommander defaults to helmrelease/cm.yaml: its default apps are read from there
    expect(data.platform('2.17.1')!.defaults?.management).toContain('kommander')
  })

  it('answers the cases the fidelity review measured (v2.8.1)', async () => {
    const data = await loadReleaseData()
    const r = data.platform('2.8.1')!
    expect(r.source).toBe('https://github.com/mesosphere/kommander-applications/tree/v2.8.1')
    expect(r.helmReleases('gitea', '8.2.1')).toEqual([
      {
        name: 'gitea',
        dynamic: false,
        chart: 'gitea',
        chartVersion: '8.2.0',
        values: ['gitea-8.2.1-d2iq-defaults'],
      },
    ])
    expect(r.helmReleases('cert-manager', '1.14.2')!.map((h) => h.name)).toEqual([
      'cert-manager',
      'cert-manager-crds',
    ])
    expect(r.helmReleases('grafana-logging', '6.60.2')![0]!.chart).toBe('grafana')
    const kommander = r.helmReleases('kommander', '0.8.1')!
    expect(kommander.find((h) => h.name === 'kommander')!.chartVersion).toBe('v2.8.1')
    expect(kommander.filter((h) => h.dynamic).map((h) => h.chart)).toEqual(['cluster-observer', 'mtls-proxy'])
    expect(r.defaults!.workspace).toContain('cert-manager')
    expect(r.defaults!.management).toContain('gitea')
    expect(r.scope('project-grafana-loki')).toEqual(['project'])
    expect(data.platform('v2.9.0')).toBeUndefined()
  })

  it('knows the values ConfigMaps each release names (helmrelease-values.tsv), not the controller-filled ones', async () => {
    const data = await loadReleaseData()
    const rows = tsvRows('data/sources/helmrelease-values.tsv')
    expect(rows.length).toBeGreaterThan(2000)
    let literal = 0
    for (const row of rows) {
      const release = row.repo === 'kommander-applications' ? data.platform(row.tag!) : data.catalog(row.tag!)
      const hr = release!.helmReleases(row.app!, row.app_version!)!.find((h) => h.name === row.helmrelease)
      expect(hr, `${row.tag} ${row.app} ${row.helmrelease}`).toBeDefined()
      if (row.configmaps!.includes('${')) continue
      literal++
      expect(hr!.values, `${row.tag} ${row.app} ${row.helmrelease}`).toEqual(row.configmaps!.split(','))
    }
    expect(literal).toBeGreaterThan(2000)
    const kommander = data.platform('v2.8.1')!.helmReleases('kommander', '0.8.1')!
    expect(kommander.find((h) => h.name === 'kommander')!.values).toEqual([
      'kommander-0.8.1-d2iq-defaults',
      'kommander-0.8.1-overrides',
    ])
    expect(kommander.filter((h) => h.dynamic).every((h) => h.values === undefined)).toBe(true)
    // zookeeper-operator 0.2.16-dkp.1: same chart as 0.2.15, values of its own version
    expect(data.catalog('v2.8.1')!.helmReleases('zookeeper-operator', '0.2.16-dkp.1')![0]!.values).toEqual([
      'zookeeper-operator-0.2.16-dkp.1-d2iq-defaults',
    ])
  })

  it('ships catalog apps whose chart differs from the app version', async () => {
    const data = await loadReleaseData()
    const c = data.catalog('v2.8.1')!
    expect(c.versions('zookeeper-operator')).toContain('0.2.16-dkp.1')
    expect(c.helmReleases('zookeeper-operator', '0.2.16-dkp.1')![0]!.chartVersion).toBe('0.2.15')
    expect(data.catalog('v2.14.0')!.helmReleases('kafka-operator', '0.25.3')?.[0]?.chartVersion).toBe(
      '0.25.1',
    )
  })
})
