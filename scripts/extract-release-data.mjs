// Re-derives the release ground truth from bare git clones of the public release repositories
// (mesosphere/kommander-applications and mesosphere/dkp-catalog-applications). Run by hand when
// a release appears; CI never needs the clones, it reads the committed TSVs in data/sources/.
//
//   node scripts/extract-release-data.mjs --kommander-applications <git dir> \
//        --catalog-applications <git dir> [--check]
//
// Writes (or with --check, compares against):
//   data/sources/kommander-applications.tsv  one row per HelmRelease each app version deploys,
//     from `<services|applications>/<app>/<version>/*.yaml` (defaults/, kustomization.yaml and
//     metadata.yaml left out): repo, tag, app, app_version, helmrelease, chart, chart_version
//   data/sources/default-apps.tsv  which platform apps a release enables by default, from the
//     kommander app's `defaults/cm.yaml`: `managementApps` (management cluster only) and
//     `attached.prerequisites.defaultApps` (every workspace cluster): repo, tag, scope, app
//   data/sources/app-scopes.tsv  each platform app's `metadata.yaml` `type` and `scope`
//     (workspace, project): repo, tag, app, type, scopes
//   data/sources/helmrelease-values.tsv  the ConfigMaps each of those HelmReleases takes its
//     values from (`spec.valuesFrom[kind=ConfigMap].name`, in order, comma-separated; only
//     HelmReleases that have any): repo, tag, app, app_version, helmrelease, configmaps
//   data/sources/chart-refs.tsv  for HelmReleases without `chart.spec` (NKP 2.16+ use
//     `spec.chartRef`): the source object it names, looked up among the documents of the same
//     app version (an OCIRepository next to the HelmRelease): repo, tag, app, app_version,
//     helmrelease, ref_kind, ref_name, url, ref_tag (`spec.ref.tag`, e.g.
//     `${kommanderChartVersion:=v2.17.1}`; `None` when the source is not in the tag)
//
// Only final release tags (vX.Y.Z) from v2.2.0 on are read.

import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { parseAllDocuments, parse as parseYaml } from 'yaml'

const args = process.argv.slice(2)
const opt = (name) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}
const repos = [
  { repo: 'kommander-applications', dir: opt('--kommander-applications') },
  { repo: 'dkp-catalog-applications', dir: opt('--catalog-applications') },
]
const check = args.includes('--check')
if (repos.some((r) => !r.dir)) {
  process.stderr.write(
    'usage: node scripts/extract-release-data.mjs --kommander-applications <git dir> --catalog-applications <git dir> [--check]\n',
  )
  process.exit(2)
}

const git = (dir, ...a) =>
  execFileSync('git', ['--git-dir', dir, ...a], { encoding: 'utf8', maxBuffer: 1 << 28 })

function releaseTags(dir) {
  return git(dir, 'tag', '--list', 'v*')
    .split('\n')
    .filter((t) => /^v\d+\.\d+\.\d+$/.test(t))
    .filter((t) => {
      const [maj, min] = t.slice(1).split('.').map(Number)
      return maj > 2 || (maj === 2 && min >= 2)
    })
    .sort(byVersion)
}

function byVersion(a, b) {
  const pa = a.slice(1).split('.').map(Number)
  const pb = b.slice(1).split('.').map(Number)
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i]
  return 0
}

const hr = []
const values = []
const defaults = []
const scopes = []
const refs = []
for (const { repo, dir } of repos) {
  for (const tag of releaseTags(dir)) {
    const files = git(dir, 'ls-tree', '-r', '--name-only', tag).split('\n')
    const appFile = /^(services|applications)\/([^/]+)\/([^/]+)\/(?:(?!defaults\/)[^/]+\/)*([^/]+\.ya?ml)$/
    // The sources (OCIRepository, HelmRepository) of each app version, by kind and name, for
    // the chartRef lookup below; the names stay unsubstituted (`${releaseName}-${appVersion}-chart`)
    // on both sides, as the manifests spell them.
    const sources = new Map()
    const chartRefs = []
    for (const file of files) {
      const m = appFile.exec(file)
      if (!m || m[4] === 'kustomization.yaml' || m[4] === 'metadata.yaml') continue
      for (const doc of parseAllDocuments(git(dir, 'show', `${tag}:${file}`))) {
        const obj = doc.toJS()
        if (obj?.kind === 'OCIRepository')
          sources.set([m[2], m[3], obj.kind, obj.metadata?.name].join('\t'), obj)
        if (obj?.kind !== 'HelmRelease') continue
        const spec = obj.spec?.chart?.spec
        hr.push([repo, tag, m[2], m[3], obj.metadata?.name, spec?.chart ?? 'None', spec?.version ?? 'None'])
        const cms = (obj.spec?.valuesFrom ?? []).filter((v) => v?.kind === 'ConfigMap').map((v) => v.name)
        if (cms.length > 0) values.push([repo, tag, m[2], m[3], obj.metadata?.name, cms.join(',')])
        if (!spec && obj.spec?.chartRef) chartRefs.push([m[2], m[3], obj.metadata?.name, obj.spec.chartRef])
      }
    }
    for (const [app, version, name, ref] of chartRefs) {
      const source = sources.get([app, version, ref.kind, ref.name].join('\t'))
      refs.push([
        repo,
        tag,
        app,
        version,
        name,
        ref.kind ?? 'None',
        ref.name ?? 'None',
        source?.spec?.url ?? 'None',
        source?.spec?.ref?.tag ?? source?.spec?.ref?.semver ?? 'None',
      ])
    }
    if (repo !== 'kommander-applications') continue
    // The kommander app's default values: `defaults/cm.yaml` up to 2.16, `helmrelease/cm.yaml`
    // from 2.17 (one ConfigMap whose values.yaml holds managementApps).
    const cm = files.find((f) =>
      /^(services|applications)\/kommander\/[^/]+\/(defaults|helmrelease)\/cm\.yaml$/.test(f),
    )
    if (cm) {
      const docs = parseAllDocuments(git(dir, 'show', `${tag}:${cm}`)).map((d) => d.toJS())
      const valueSets = docs.map((d) => parseYaml(Object.values(d?.data ?? {})[0] ?? '') ?? {})
      const values = valueSets.find((v) => v.managementApps || v.attached) ?? {}
      const attached = values.attached?.prerequisites?.defaultApps ?? []
      const wsApps = Array.isArray(attached) ? attached : Object.keys(attached)
      for (const app of values.managementApps ?? []) defaults.push([repo, tag, 'management', app])
      for (const app of wsApps) defaults.push([repo, tag, 'workspace', app])
    }
    for (const file of files) {
      const m = /^(services|applications)\/([^/]+)\/(?:[^/]+\/)?metadata\.yaml$/.exec(file)
      if (!m) continue
      const meta = parseYaml(git(dir, 'show', `${tag}:${file}`)) ?? {}
      if (!meta.scope) continue
      const row = [repo, tag, m[2], meta.type ?? '', [].concat(meta.scope).join(',')]
      if (!scopes.some((s) => s[1] === tag && s[2] === m[2])) scopes.push(row)
    }
  }
}

const tsv = (header, rows) => `${[header, ...rows].map((r) => r.join('\t')).join('\n')}\n`
const outputs = {
  'data/sources/kommander-applications.tsv': tsv(
    ['repo', 'tag', 'app', 'app_version', 'helmrelease', 'chart', 'chart_version'],
    hr,
  ),
  'data/sources/default-apps.tsv': tsv(['repo', 'tag', 'scope', 'app'], defaults),
  'data/sources/app-scopes.tsv': tsv(['repo', 'tag', 'app', 'type', 'scopes'], scopes),
  'data/sources/helmrelease-values.tsv': tsv(
    ['repo', 'tag', 'app', 'app_version', 'helmrelease', 'configmaps'],
    values,
  ),
  'data/sources/chart-refs.tsv': tsv(
    ['repo', 'tag', 'app', 'app_version', 'helmrelease', 'ref_kind', 'ref_name', 'url', 'ref_tag'],
    refs,
  ),
}
let differs = 0
for (const [path, text] of Object.entries(outputs)) {
  if (!check) {
    writeFileSync(path, text)
    process.stderr.write(`wrote ${path} (${text.split('\n').length - 2} rows)\n`)
    continue
  }
  const sorted = (t) => t.trim().split('\n').slice(1).sort()
  const have = new Set(sorted(readFileSync(path, 'utf8')))
  const want = new Set(sorted(text))
  const missing = [...want].filter((r) => !have.has(r))
  const extra = [...have].filter((r) => !want.has(r))
  if (missing.length + extra.length) differs++
  process.stderr.write(`${path}: ${missing.length} rows missing, ${extra.length} rows extra\n`)
  for (const r of missing.slice(0, 5)) process.stderr.write(`  - missing: ${r}\n`)
  for (const r of extra.slice(0, 5)) process.stderr.write(`  + extra: ${r}\n`)
}
process.exit(differs ? 1 : 0)
