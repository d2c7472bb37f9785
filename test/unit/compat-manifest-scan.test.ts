import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scanManifestText } from '../../src/core/compat/manifest-scan.js'
import type { Finding } from '../../src/core/findings.js'
import { listManifestFiles, scanManifestPaths } from '../../src/effects/manifest-files.js'

const ROOT = resolve(import.meta.dirname, '../..')
const FIXTURES = 'test/fixtures/manifests'

/** `severity file:line:col ruleId` — the compact form the assertions compare. */
const brief = (f: Finding) =>
  `${f.severity} ${f.location ? `${f.location.file}:${f.location.line}:${f.location.col}` : '-'} ${f.ruleId}`

const scan = (text: string, target: string | number = '1.29', parseAll = false) =>
  scanManifestText(text, 'm.yaml', { target, parseAll })

describe('repository manifest scan (fixtures, target 1.29)', () => {
  it('reports every removed API with file:line:col of its apiVersion value, in walk order', async () => {
    const r = await scanManifestPaths([FIXTURES], { target: '1.29', base: ROOT })
    expect(r.findings.map(brief)).toEqual([
      // multi-document file: ConfigMap, CronJob, empty document, PDB (extra spaces), Deployment
      `error ${FIXTURES}/apps/workloads.yaml:10:13 removed-api/batch/v1beta1/CronJob`,
      `error ${FIXTURES}/apps/workloads.yaml:27:15 removed-api/policy/v1beta1/PodDisruptionBudget`,
      // an unrendered chart template: hard-coded apiVersion still found
      `error ${FIXTURES}/charts/legacy/templates/pdb.yaml:2:13 removed-api/policy/v1beta1/PodDisruptionBudget`,
      // helm template output with # Source: comments
      `error ${FIXTURES}/helm/rendered.yaml:9:13 removed-api/autoscaling/v2beta2/HorizontalPodAutoscaler`,
      `error ${FIXTURES}/helm/rendered.yaml:24:13 removed-api/extensions/v1beta1/Ingress`,
      // JSON (package.json next to it is skipped quietly)
      `error ${FIXTURES}/json/crd.json:2:17 removed-api/apiextensions.k8s.io/v1beta1/CustomResourceDefinition`,
      // documents around a syntax error are still scanned
      `error ${FIXTURES}/misc/broken.yaml:1:13 removed-api/storage.k8s.io/v1beta1/CSIStorageCapacity`,
      `warning ${FIXTURES}/misc/broken.yaml:14:1 manifest-syntax`,
      `error ${FIXTURES}/misc/broken.yaml:23:13 removed-api/networking.k8s.io/v1beta1/IngressClass`,
      // third-party: warning tier; a file name with a space
      `warning ${FIXTURES}/misc/cert manager.yml:1:13 removed-api/cert-manager.io/v1alpha2`,
      // List items
      `error ${FIXTURES}/misc/list.yaml:9:17 removed-api/rbac.authorization.k8s.io/v1beta1/Role`,
      `error ${FIXTURES}/misc/list.yaml:15:17 removed-api/flowcontrol.apiserver.k8s.io/v1beta2/FlowSchema`,
    ])
    expect(r.files).toBe(10) // README.md is not a manifest
  })

  it('names the object, the removal, the replacement and a migration hint', async () => {
    const r = await scanManifestPaths([`${FIXTURES}/apps/workloads.yaml`, `${FIXTURES}/helm`], {
      target: '1.29',
      base: ROOT,
    })
    const cron = r.findings[0]!
    expect(cron.object).toEqual({
      apiVersion: 'batch/v1beta1',
      kind: 'CronJob',
      namespace: 'team-a',
      name: 'nightly-report',
    })
    expect(cron.message).toBe(
      'CronJob "team-a/nightly-report" uses batch/v1beta1, which Kubernetes 1.25 no longer serves (target 1.29).',
    )
    expect(cron.remedy).toMatch(/^Change apiVersion to batch\/v1 \(served since Kubernetes 1\.21\)\. /)
    expect(cron.details).toMatchObject({ removedIn: '1.25', replacement: 'batch/v1', source: 'manifest' })
    expect(cron.cluster).toBeUndefined()

    const ingress = r.findings.find((f) => f.object?.kind === 'Ingress')!
    expect(ingress.message).toContain('Rendered from shop/templates/ingress.yaml.')
    expect(ingress.details?.template).toBe('shop/templates/ingress.yaml')
    expect(ingress.remedy).toContain('pathType')
  })

  it('reports syntax errors of every document with parseAll, and unrendered templates as one info', async () => {
    const r = await scanManifestPaths([`${FIXTURES}/misc/broken.yaml`, `${FIXTURES}/charts`], {
      target: '1.29',
      base: ROOT,
      parseAll: true,
    })
    expect(r.findings.map(brief)).toEqual([
      `error ${FIXTURES}/misc/broken.yaml:1:13 removed-api/storage.k8s.io/v1beta1/CSIStorageCapacity`,
      `warning ${FIXTURES}/misc/broken.yaml:14:1 manifest-syntax`,
      `warning ${FIXTURES}/misc/broken.yaml:21:1 manifest-syntax`,
      `error ${FIXTURES}/misc/broken.yaml:23:13 removed-api/networking.k8s.io/v1beta1/IngressClass`,
      `info ${FIXTURES}/charts/legacy/templates/broken.yaml:8:3 manifest-template`,
      `error ${FIXTURES}/charts/legacy/templates/pdb.yaml:2:13 removed-api/policy/v1beta1/PodDisruptionBudget`,
    ])
    expect(r.findings[1]!.message).toMatch(
      /^YAML syntax error in document 2: .+ The document was not scanned\.$/,
    )
    expect(r.findings[2]!.message).toMatch(/in document 3/)
  })

  it('respects the target: nothing removed after it is reported', async () => {
    const r = await scanManifestPaths([FIXTURES], { target: '1.21', base: ROOT })
    expect(r.findings.map((f) => f.ruleId)).toEqual(['removed-api/cert-manager.io/v1alpha2'])
    const at125 = await scanManifestPaths([FIXTURES], { target: '1.25', base: ROOT })
    expect(at125.findings.some((f) => f.ruleId.includes('v2beta2'))).toBe(false)
    expect(at125.findings.some((f) => f.ruleId === 'removed-api/batch/v1beta1/CronJob')).toBe(true)
  })
})

describe('scanManifestText', () => {
  it('finds List items written the way kubectl get -o yaml writes them (items at column 0)', () => {
    const text = [
      'apiVersion: v1',
      'items:',
      '- apiVersion: v1',
      '  kind: ConfigMap',
      '  metadata:',
      '    name: a',
      '- apiVersion: batch/v1beta1',
      '  kind: CronJob',
      '  metadata:',
      '    name: b',
      '    namespace: jobs',
      'kind: List',
      'metadata:',
      '  resourceVersion: ""',
      '',
    ].join('\n')
    for (const parseAll of [false, true]) {
      const r = scan(text, '1.29', parseAll)
      expect(r.findings.map(brief)).toEqual(['error m.yaml:7:15 removed-api/batch/v1beta1/CronJob'])
      expect(r.findings[0]!.object).toEqual({
        apiVersion: 'batch/v1beta1',
        kind: 'CronJob',
        namespace: 'jobs',
        name: 'b',
      })
      expect(r.documents).toBe(1)
    }
  })

  it('handles flow-style lists, CRLF line endings, a BOM and JSON-escaped slashes', () => {
    const flow =
      'apiVersion: v1\nkind: List\nitems: [{apiVersion: batch/v1beta1, kind: CronJob, metadata: {name: x}}]\n'
    expect(scan(flow).findings.map(brief)).toEqual(['error m.yaml:3:22 removed-api/batch/v1beta1/CronJob'])

    const crlf =
      '---\r\napiVersion: v1\r\nkind: ConfigMap\r\n---\r\n# c\r\napiVersion: batch/v1beta1\r\nkind: CronJob\r\n'
    expect(scan(crlf).findings.map(brief)).toEqual(['error m.yaml:6:13 removed-api/batch/v1beta1/CronJob'])

    const bom = '\ufeffapiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: p}\n'
    expect(scan(bom).findings.map(brief)).toEqual([
      'error m.yaml:1:13 removed-api/policy/v1beta1/PodDisruptionBudget',
    ])

    const escaped = '{"apiVersion": "batch\\/v1beta1", "kind": "CronJob", "metadata": {"name": "j"}}'
    expect(scan(escaped).findings.map(brief)).toEqual(['error m.yaml:1:16 removed-api/batch/v1beta1/CronJob'])
  })

  it('locates each object of a JSON List by its own apiVersion, not a nested one', () => {
    const text = JSON.stringify(
      {
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'autoscaling/v2beta1',
            kind: 'HorizontalPodAutoscaler',
            metadata: { name: 'h', namespace: 'n' },
            spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd' } },
          },
          {
            kind: 'CronJob',
            metadata: { name: 'c' },
            spec: { jobTemplate: { metadata: { ownerReferences: [{ apiVersion: 'v1' }] } } },
            apiVersion: 'batch/v1beta1',
          },
        ],
      },
      null,
      2,
    )
    const fast = scan(text)
    expect(fast.findings.map(brief)).toEqual([
      'error m.yaml:6:21 removed-api/autoscaling/v2beta1/HorizontalPodAutoscaler',
      'error m.yaml:36:21 removed-api/batch/v1beta1/CronJob',
    ])
    expect(scan(text, '1.29', true).findings.map(brief)).toEqual(fast.findings.map(brief))
    expect(fast.objects).toBe(2)
  })

  it('falls back to the YAML parser when JSON has duplicate keys', () => {
    const text =
      '{"apiVersion": "v1", "apiVersion": "batch/v1beta1", "kind": "CronJob", "metadata": {"name": "x"}}\n'
    expect(scan(text).findings.map(brief)).toEqual(['error m.yaml:1:36 removed-api/batch/v1beta1/CronJob'])
  })

  it('skips non-Kubernetes YAML and empty input quietly', () => {
    for (const text of [
      '',
      '---\n---\n',
      '# only a comment\n',
      'replicaCount: 2\napiVersion: batch/v1beta1\n',
      '- a\n- b\n',
      'just a scalar\n',
      'kind: CronJob\nspec: {}\n',
      '{"name": "pkg", "version": "1.0.0"}',
      '[1, 2, 3]',
    ]) {
      expect(scan(text).findings, JSON.stringify(text)).toEqual([])
      expect(scan(text, '1.29', true).findings, JSON.stringify(text)).toEqual([])
    }
  })

  it('never throws on garbage, reporting syntax errors with a location', () => {
    const text = 'apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: [\n'
    const r = scan(text)
    expect(r.findings).toHaveLength(1)
    expect(r.findings[0]!.ruleId).toBe('manifest-syntax')
    expect(r.findings[0]!.severity).toBe('warning')
    expect(r.findings[0]!.location?.line).toBeGreaterThanOrEqual(3)
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (junk) => {
        const withCandidate = `apiVersion: batch/v1beta1\n${junk}`
        scan(withCandidate)
        scan(withCandidate, 25, true)
      }),
      { numRuns: 300 },
    )
  })

  it('shows generateName and missing names; uses the default namespace for Helm releases', () => {
    const text =
      'apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  generateName: job-\n---\napiVersion: batch/v1beta1\nkind: CronJob\n'
    const r = scanManifestText(text, 'x', {
      target: 29,
      source: 'helm-release',
      cluster: 'c1',
      defaultNamespace: 'apps',
    })
    expect(r.findings.map((f) => [f.object?.name, f.object?.namespace, f.location, f.cluster])).toEqual([
      ['job-*', 'apps', undefined, 'c1'],
      ['(unnamed)', 'apps', undefined, 'c1'],
    ])
  })

  it('the fast path finds exactly what a full parse finds (property)', () => {
    const removed = [
      ['batch/v1beta1', 'CronJob'],
      ['policy/v1beta1', 'PodDisruptionBudget'],
      ['extensions/v1beta1', 'Ingress'],
      ['cert-manager.io/v1beta1', 'Issuer'],
      ['flowcontrol.apiserver.k8s.io/v1beta3', 'FlowSchema'],
    ] as const
    const current = [
      ['apps/v1', 'Deployment'],
      ['v1', 'ConfigMap'],
      ['cluster.x-k8s.io/v1beta1', 'Cluster'],
    ] as const
    const obj = fc.record({
      gvk: fc.constantFrom(...removed, ...current),
      name: fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/),
      ns: fc.option(fc.constantFrom('a', 'b-2'), { nil: undefined }),
      style: fc.constantFrom('block', 'flow', 'quoted'),
      nested: fc.boolean(),
    })
    type O = { gvk: readonly [string, string]; name: string; ns?: string; style: string; nested: boolean }
    const render = (o: O, indent: string, first: string) => {
      const [apiVersion, kind] = o.gvk
      const meta = `{name: ${o.name}${o.ns ? `, namespace: ${o.ns}` : ''}}`
      const av = o.style === 'quoted' ? `"${apiVersion}"` : apiVersion
      if (o.style === 'flow') return `${first}{apiVersion: ${av}, kind: ${kind}, metadata: ${meta}}\n`
      const lines = [`apiVersion: ${av}`, `kind: ${kind}`, `metadata: ${meta}`]
      if (o.nested)
        lines.push(
          'spec:',
          '  ref:',
          '    apiVersion: batch/v1beta1',
          '    kind: CronJob',
          '  text: |',
          '    - apiVersion: x',
        )
      return lines.map((l, i) => `${i === 0 ? first : indent}${l}\n`).join('')
    }
    const doc = fc.oneof(
      fc.record({ type: fc.constant('object' as const), o: obj, source: fc.boolean() }),
      fc.record({
        type: fc.constant('list' as const),
        items: fc.array(obj, { maxLength: 4 }),
        indent: fc.constantFrom('', '  '),
        kindFirst: fc.boolean(),
      }),
      fc.constant({ type: 'comment' as const }),
    )
    const file = fc.record({ docs: fc.array(doc, { maxLength: 6 }), crlf: fc.boolean(), lead: fc.boolean() })
    fc.assert(
      fc.property(file, ({ docs, crlf, lead }) => {
        const parts = docs.map((d) => {
          if (d.type === 'comment') return '# nothing here\n'
          if (d.type === 'object')
            return `${d.source ? '# Source: c/templates/t.yaml\n' : ''}${render(d.o, '', '')}`
          const head = d.kindFirst ? 'apiVersion: v1\nkind: List\n' : 'apiVersion: v1\n'
          const items = d.items.length
            ? `items:\n${d.items.map((o) => render({ ...o, style: o.style === 'flow' ? 'block' : o.style }, `${d.indent}  `, `${d.indent}- `)).join('')}`
            : 'items: []\n'
          return `${head}${items}${d.kindFirst ? '' : 'kind: List\n'}`
        })
        let text = (lead ? '---\n' : '') + parts.join('---\n')
        if (crlf) text = text.replace(/\n/g, '\r\n')
        const fast = scan(text).findings.map(brief)
        const full = scan(text, '1.29', true).findings.map(brief)
        expect(fast).toEqual(full)
      }),
      { numRuns: 400 },
    )
  })
})

describe('listManifestFiles', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dkp-fleet-manifests-'))
    const files: Record<string, string> = {
      'b.yaml': 'apiVersion: batch/v1beta1\nkind: CronJob\n',
      'a/z.yml': 'apiVersion: batch/v1beta1\nkind: CronJob\n',
      'a/B.JSON': '{"apiVersion": "batch/v1beta1", "kind": "CronJob"}',
      'a/notes.txt': 'apiVersion: batch/v1beta1',
      'node_modules/pkg/c.yaml': 'apiVersion: batch/v1beta1\nkind: CronJob\n',
      '.git/d.yaml': 'apiVersion: batch/v1beta1\nkind: CronJob\n',
      'real/e.yaml': 'apiVersion: batch/v1beta1\nkind: CronJob\n',
    }
    for (const [name, text] of Object.entries(files)) {
      await mkdir(join(dir, name, '..'), { recursive: true })
      await writeFile(join(dir, name), text)
    }
    await symlink(join(dir, 'real'), join(dir, 'loop-dir'))
    await symlink(join(dir, 'b.yaml'), join(dir, 'link.yaml'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('walks in code-point order, skips node_modules/.git and symlinked directories, keeps paths relative', async () => {
    const files = await listManifestFiles('.', dir)
    expect(files.map((f) => f.display)).toEqual(['a/B.JSON', 'a/z.yml', 'b.yaml', 'link.yaml', 'real/e.yaml'])
    // a directory outside the base: paths relative to the directory itself
    const outside = await listManifestFiles(join(dir, 'a'), join(dir, 'real'))
    expect(outside.map((f) => f.display)).toEqual(['B.JSON', 'z.yml'])
    const single = await listManifestFiles('b.yaml', dir)
    expect(single.map((f) => f.display)).toEqual(['b.yaml'])
  })

  it('rejects a missing path as bad input (exit code 2)', async () => {
    await expect(listManifestFiles('nope', dir)).rejects.toMatchObject({
      name: 'InputError',
      message: '--manifests nope: no such file or directory',
    })
  })

  it('scans each file once even when targets overlap', async () => {
    const r = await scanManifestPaths(['.', 'b.yaml', 'a'], { target: '1.29', base: dir })
    expect(r.files).toBe(5)
    expect(r.findings.map((f) => f.location?.file)).toEqual([
      'a/B.JSON',
      'a/z.yml',
      'b.yaml',
      'link.yaml',
      'real/e.yaml',
    ])
  })
})
