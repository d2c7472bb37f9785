// Compiles the release ground truth (data/sources/*.tsv, extracted from the public release
// repositories by scripts/extract-release-data.mjs) into data/releases.json: the compact form
// the product, the test fleet and the done-checks read.
//
//   node scripts/gen-release-data.mjs          write data/releases.json
//   node scripts/gen-release-data.mjs --check  exit 1 when the committed file is stale
//
// Shape (see src/core/release-data.ts):
//   { sources: {repo: url}, platform: {tag: Release}, catalog: {tag: Release} }
//   Release = { repo, apps: {app: {appVersion: [[helmRelease, chart, chartVersion, configMaps?], ...]}},
//               defaults?: {management: [app], workspace: [app]}, scopes?: {app: "workspace,project"} }
// `${var:=default}` chart versions are resolved to their default (as Flux's post-build
// substitution does when the variable is unset); `None` (a chartRef, no chart.spec) becomes null.
// `configMaps` (from helmrelease-values.tsv) lists the ConfigMaps the HelmRelease takes its values
// from, when the manifest names them literally (controller-filled `${valuesFrom}` is left out).
// A HelmRelease with a `spec.chartRef` (NKP 2.16+: an OCIRepository next to it, chart-refs.tsv)
// takes that source's `url` (`oci://…`) as chart and its resolved `spec.ref.tag` as chart version.

import { readFileSync, writeFileSync } from 'node:fs'

const SOURCES = {
  'kommander-applications': 'https://github.com/mesosphere/kommander-applications',
  'dkp-catalog-applications': 'https://github.com/mesosphere/dkp-catalog-applications',
}
const OUT = 'data/releases.json'

function rows(path) {
  const [header, ...lines] = readFileSync(path, 'utf8').trim().split('\n')
  const cols = header.split('\t')
  return lines.map((line) => Object.fromEntries(line.split('\t').map((v, i) => [cols[i], v])))
}

/** `${kommanderChartVersion:=v2.8.1}` → `v2.8.1`; `None` → null; anything else as is. */
export function resolveValue(raw) {
  if (raw === 'None' || raw === '') return null
  const m = /^\$\{[A-Za-z_][A-Za-z0-9_]*:=([^}]*)\}$/.exec(raw)
  return m ? m[1] : raw
}

const byVersion = (a, b) => {
  const pa = a.replace(/^v/, '').split('.').map(Number)
  const pb = b.replace(/^v/, '').split('.').map(Number)
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i]
  return 0
}

export function compile() {
  const out = { sources: SOURCES, platform: {}, catalog: {} }
  const key = (r) => [r.repo, r.tag, r.app, r.app_version, r.helmrelease].join('\t')
  const values = new Map()
  for (const r of rows('data/sources/helmrelease-values.tsv')) {
    const names = r.configmaps.split(',').map(resolveValue)
    if (names.every((n) => n && !n.includes('${'))) values.set(key(r), names)
  }
  const refs = new Map()
  for (const r of rows('data/sources/chart-refs.tsv')) {
    if (r.url !== 'None' && r.ref_tag !== 'None') refs.set(key(r), [r.url, resolveValue(r.ref_tag)])
  }
  for (const r of rows('data/sources/kommander-applications.tsv')) {
    const kind = r.repo === 'kommander-applications' ? 'platform' : 'catalog'
    out[kind][r.tag] ??= { repo: r.repo, apps: {} }
    const apps = out[kind][r.tag].apps
    apps[r.app] ??= {}
    apps[r.app][r.app_version] ??= []
    const ref = r.chart === 'None' ? refs.get(key(r)) : undefined
    const row = ref
      ? [r.helmrelease, ...ref]
      : [r.helmrelease, resolveValue(r.chart), resolveValue(r.chart_version)]
    if (values.has(key(r))) row.push(values.get(key(r)))
    apps[r.app][r.app_version].push(row)
  }
  for (const r of rows('data/sources/default-apps.tsv')) {
    const release = out.platform[r.tag]
    if (!release) continue
    release.defaults ??= { management: [], workspace: [] }
    release.defaults[r.scope].push(r.app)
  }
  for (const r of rows('data/sources/app-scopes.tsv')) {
    const release = out.platform[r.tag]
    if (!release) continue
    release.scopes ??= {}
    release.scopes[r.app] = r.scopes
  }
  // Stable order: tags by version, apps and versions by name, rows as extracted.
  for (const kind of ['platform', 'catalog']) {
    const sorted = {}
    for (const tag of Object.keys(out[kind]).sort(byVersion)) {
      const release = out[kind][tag]
      const apps = {}
      for (const app of Object.keys(release.apps).sort()) {
        apps[app] = {}
        for (const v of Object.keys(release.apps[app]).sort()) {
          apps[app][v] = release.apps[app][v].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
        }
      }
      sorted[tag] = { ...release, apps }
    }
    out[kind] = sorted
  }
  return `${JSON.stringify(out)}\n`
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const text = compile()
  if (process.argv.includes('--check')) {
    if (readFileSync(OUT, 'utf8') !== text) {
      process.stderr.write(`${OUT} is stale: run node scripts/gen-release-data.mjs\n`)
      process.exit(1)
    }
  } else {
    writeFileSync(OUT, text)
    process.stderr.write(`wrote ${OUT} (${text.length} bytes)\n`)
  }
}
