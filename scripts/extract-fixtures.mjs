// Writes the real-shape fixtures of the fidelity tier (test/fixtures/releases/<tag>/) from bare
// git clones of the public release repositories: every HelmRelease document a DKP release
// deploys for the apps a fleet enables, verbatim from the manifests with `${…}` resolved as
// Kommander resolves it (test/fixtures/releases/README.md), plus the ClusterApps, Apps and
// AppDeployments Kommander creates for them (not in the manifests: built after its naming).
// Run by hand; CI reads the committed files. `--check` compares instead of writing.
//
//   node scripts/extract-fixtures.mjs --kommander-applications <git dir> \
//        --catalog-applications <git dir> [--check]

import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'

const args = process.argv.slice(2)
const opt = (name) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}
const dirs = {
  'kommander-applications': opt('--kommander-applications'),
  'dkp-catalog-applications': opt('--catalog-applications'),
}
const check = args.includes('--check')
if (!dirs['kommander-applications'] || !dirs['dkp-catalog-applications']) {
  process.stderr.write(
    'usage: node scripts/extract-fixtures.mjs --kommander-applications <git dir> --catalog-applications <git dir> [--check]\n',
  )
  process.exit(2)
}

const OUT = 'test/fixtures/releases'
const TAGS = ['v2.7.1', 'v2.8.1']
/** The fleet the fixtures describe: the example inventory's team-a, its project, one attached cluster. */
const WORKSPACE = { name: 'team-a', namespace: 'team-a-x7k2p' }
const PROJECT = { name: 'payments', namespace: 'payments-q7c4n' }
const ATTACHED = 'edge-7'
/** Catalog apps per tag: the AppDeployment name (not the app's), the app, its version at that tag. */
const CATALOG = {
  'v2.7.1': [
    { ad: 'kafka-operator', app: 'kafka-operator', version: '0.20.2', ns: WORKSPACE.namespace },
    { ad: 'zookeeper-operator-m7x2q', app: 'zookeeper-operator', version: '0.2.15', ns: PROJECT.namespace },
  ],
  'v2.8.1': [
    { ad: 'kafka-operator', app: 'kafka-operator', version: '0.25.1', ns: WORKSPACE.namespace },
    {
      ad: 'zookeeper-operator-m7x2q',
      app: 'zookeeper-operator',
      version: '0.2.16-dkp.1',
      ns: PROJECT.namespace,
    },
  ],
}
/** Project platform apps the fleet enables (not a release default: a user's choice). */
const PROJECT_APPS = ['project-grafana-logging']

const git = (repo, ...a) =>
  execFileSync('git', ['--git-dir', dirs[repo], ...a], { encoding: 'utf8', maxBuffer: 1 << 28 })
const releases = JSON.parse(readFileSync('data/releases.json', 'utf8'))

/**
 * `${…}` as Kommander resolves it: Flux post-build substitution of the AppDeployment's
 * Kustomization (`releaseNamespace`, `workspaceNamespace` and the substitution-vars ConfigMap),
 * `${var:=default}` / `${var:-default}` taking the default when the variable is unset, and the
 * controller-filled names of the dynamic releases. Any other variable in a HelmRelease document
 * is an error: the fixtures must not guess.
 */
function resolve(text, vars, where) {
  return text.replace(
    /(\$?)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[=-])([^}]*))?\}/g,
    (all, escaped, name, op, dflt) => {
      if (escaped) return all.slice(1) // `$${x}` is a literal `${x}`
      if (name in vars) return vars[name]
      if (op !== undefined) return dflt
      throw new Error(`${where}: no value for \${${name}}`)
    },
  )
}

/** HelmRelease documents of one app version directory, each with the path it came from. */
function helmReleaseDocs(repo, tag, app, version) {
  const files = git(repo, 'ls-tree', '-r', '--name-only', tag, `services/${app}/${version}`).split('\n')
  const out = []
  for (const file of files) {
    if (!/\.ya?ml$/.test(file) || /\/defaults\//.test(file) || /\/(kustomization|metadata)\.yaml$/.test(file))
      continue
    const text = git(repo, 'show', `${tag}:${file}`)
    for (const doc of parseAllDocuments(text)) {
      const obj = doc.toJS()
      if (obj?.kind !== 'HelmRelease') continue
      const [start, , end] = doc.range
      out.push({
        file,
        chart: obj.spec?.chart?.spec?.chart,
        text: text
          .slice(start, end)
          .replace(/^---\n/, '')
          .trimEnd(),
      })
    }
  }
  return out
}

/** `vars` may depend on the document's chart (the dynamic releases' names). */
function render(repo, tag, app, version, vars) {
  return helmReleaseDocs(repo, tag, app, version).map(
    (d) =>
      `# mesosphere/${repo} ${tag} ${d.file}\n${resolve(d.text, typeof vars === 'function' ? vars(d.chart) : vars, `${tag} ${d.file}`)}`,
  )
}

const unique = (list) => [...new Set(list)]

for (const tag of TAGS) {
  const platform = releases.platform[tag]
  const ships = (app) => app in platform.apps
  const version = (app) => Object.keys(platform.apps[app])[0]
  // the management cluster is also a workspace cluster: managementApps ∪ defaultApps (I)
  const management = unique(
    [
      'kommander',
      'kommander-appmanagement',
      ...platform.defaults.management,
      ...platform.defaults.workspace,
    ].filter(ships),
  )
  const workspace = platform.defaults.workspace.filter(ships)
  const files = {}

  const ns = (namespace, workspaceNamespace) => ({ releaseNamespace: namespace, workspaceNamespace })
  files['kommander.yaml'] = management.flatMap((app) =>
    render('kommander-applications', tag, app, version(app), (chart) => ({
      ...ns('kommander', 'kommander'),
      // the dynamic releases, as Kommander's controllers fill them for one attached cluster:
      // names `<chart>-<cluster>` in `kommander` (I)
      name: `${chart}-${ATTACHED}`,
      generatedName: `${chart}-`,
      namespace: 'kommander',
      releaseName: `${chart}-${ATTACHED}`,
      targetNamespace: WORKSPACE.namespace,
      clusterID: '3f2c9a61-7d0e-4b8a-9c55-0e1d2f3a4b5c',
      prometheusService: 'kube-prometheus-stack-prometheus',
      valuesFrom: `${chart}-${ATTACHED}-values`,
    })),
  )
  files[`${WORKSPACE.name}.yaml`] = [
    ...workspace.flatMap((app) =>
      render('kommander-applications', tag, app, version(app), ns(WORKSPACE.namespace, WORKSPACE.namespace)),
    ),
    ...CATALOG[tag]
      .filter((c) => c.ns === WORKSPACE.namespace)
      .flatMap((c) =>
        render('dkp-catalog-applications', tag, c.app, c.version, ns(c.ns, WORKSPACE.namespace)),
      ),
  ]
  files[`${PROJECT.name}.yaml`] = [
    ...PROJECT_APPS.filter(ships).flatMap((app) =>
      render('kommander-applications', tag, app, version(app), ns(PROJECT.namespace, WORKSPACE.namespace)),
    ),
    ...CATALOG[tag]
      .filter((c) => c.ns === PROJECT.namespace)
      .flatMap((c) =>
        render('dkp-catalog-applications', tag, c.app, c.version, ns(c.ns, WORKSPACE.namespace)),
      ),
  ]

  // Kommander's objects for them: a ClusterApp per app version of the repository, an
  // AppDeployment per enabled app named after it, Apps for the catalog versions of the
  // workspace, the catalog AppDeployments as the inventory names them (built, not extracted).
  const objects = []
  const clusterApps = unique([...management, ...workspace, ...PROJECT_APPS.filter(ships)])
  for (const app of clusterApps)
    objects.push({
      apiVersion: 'apps.kommander.d2iq.io/v1alpha3',
      kind: 'ClusterApp',
      metadata: { name: `${app}-${version(app)}`, labels: { 'apps.kommander.d2iq.io/app-id': app } },
      spec: {
        appId: app,
        version: version(app),
        type: 'internal',
        artifacts: { git: { path: `./services/${app}/${version(app)}` } },
      },
    })
  const appDeployment = (name, namespace, kind, ref) => ({
    apiVersion: 'apps.kommander.d2iq.io/v1alpha3',
    kind: 'AppDeployment',
    metadata: { name, namespace },
    spec: { appRef: { kind, name: ref } },
  })
  for (const app of management)
    objects.push(appDeployment(app, 'kommander', 'ClusterApp', `${app}-${version(app)}`))
  for (const app of workspace)
    objects.push(appDeployment(app, WORKSPACE.namespace, 'ClusterApp', `${app}-${version(app)}`))
  for (const app of PROJECT_APPS.filter(ships))
    objects.push(appDeployment(app, PROJECT.namespace, 'ClusterApp', `${app}-${version(app)}`))
  const catalog = releases.catalog[tag]
  for (const c of CATALOG[tag]) {
    for (const v of Object.keys(catalog.apps[c.app]))
      objects.push({
        apiVersion: 'apps.kommander.d2iq.io/v1alpha3',
        kind: 'App',
        metadata: { name: `${c.app}-${v}`, namespace: WORKSPACE.namespace },
        spec: {
          appId: c.app,
          version: v,
          type: 'catalog',
          artifacts: { git: { path: `./services/${c.app}/${v}` } },
        },
      })
    objects.push(appDeployment(c.ad, c.ns, 'App', `${c.app}-${c.version}`))
  }
  files['kommander-objects.json'] = objects

  const dir = join(OUT, tag)
  if (!check) mkdirSync(dir, { recursive: true })
  for (const [name, content] of Object.entries(files)) {
    const text = name.endsWith('.json')
      ? `${JSON.stringify(content, null, 2)}\n`
      : `${content.map((d) => `---\n${d}\n`).join('')}`
    const path = join(dir, name)
    if (check) {
      if (!existsSync(path) || readFileSync(path, 'utf8') !== text) {
        process.stderr.write(`${path} differs from a fresh extraction\n`)
        process.exitCode = 1
      }
    } else {
      writeFileSync(path, text)
      process.stderr.write(`wrote ${path}\n`)
    }
  }
}
