// Valid inventories: defaults, merging documents and files, warnings, the shipped examples,
// and the schema's shape against the parser's "allowed keys" table.

import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ALLOWED_KEYS, parseDuration, parseInventory } from '../../src/core/inventory.js'
import { validate } from '../../src/core/inventory-validator.gen.js'
import { isManaged, type ManagedCluster } from '../../src/core/model.js'
import { fleetYaml, generateFleet, reorderKeys, splitFleet, withComments } from '../helpers/fleet-gen.js'

const ROOT = resolve(import.meta.dirname, '../..')
const read = (rel: string) => ({ path: rel, content: readFileSync(join(ROOT, rel), 'utf8') })

const MINIMAL = `apiVersion: dkp-fleet/v1
kind: Fleet
target:
  dkp: 2.8.1
management:
  name: mgmt
  provider: aws
workspaces:
  - name: team-a
clusters:
  - name: c1
    workspace: team-a
    provider: aws
  - name: c2
    workspace: team-a
    provider: azure
    canary: true
  - name: att
    workspace: team-a
    attached: true
`

describe('defaults', () => {
  const { inventory, warnings } = parseInventory([{ path: 'f.yaml', content: MINIMAL }])

  it('normalises the DKP version and leaves kubernetes to the release table', () => {
    expect(inventory.target).toEqual({ dkp: 'v2.8.1' })
    expect(inventory.targetSource).toEqual({ file: 'f.yaml', line: 4, col: 3 })
  })

  it('warns that the default Kubernetes of an inferred release is inferred', () => {
    expect(warnings).toEqual([
      {
        source: { file: 'f.yaml', line: 4, col: 8 },
        path: 'target.kubernetes',
        message: expect.stringContaining('using Kubernetes 1.28.7 for DKP v2.8.1: inferred'),
      },
    ])
  })

  it('management: namespace default, no args, fleet named after it', () => {
    expect(inventory.management).toMatchObject({
      name: 'mgmt',
      provider: 'aws',
      namespace: 'default',
      kommander: { args: {} },
      controlPlane: { args: {} },
    })
    expect(inventory.management.nodepools).toBeUndefined()
    expect(inventory.management.kubeconfigEnv).toBeUndefined()
    expect(inventory.fleet).toBe('mgmt')
  })

  // failureThreshold counts the failures tolerated before later waves halt: 0 = the first halts.
  it('rollout: maxParallel 1, failureThreshold 0 (the first failure halts later waves)', () => {
    expect(inventory.rollout).toEqual({ maxParallel: 1, failureThreshold: 0 })
  })

  it('backup: on, in kommander, fresh for 24h', () => {
    expect(inventory.backup).toEqual({ enabled: true, namespace: 'kommander', maxAgeSeconds: 86_400 })
  })

  it('clusters: wave 1, not canary, node pools discovered, namespace from the workspace', () => {
    const [c1, c2, att] = inventory.clusters
    expect(c1).toEqual({
      name: 'c1',
      workspace: 'team-a',
      attached: false,
      provider: 'aws',
      controlPlane: { args: {} },
      wave: 1,
      canary: false,
      source: { file: 'f.yaml', line: 11, col: 5 },
    })
    expect((c2 as ManagedCluster).canary).toBe(true)
    expect((c2 as ManagedCluster).wave).toBe(0)
    expect(att).toEqual({
      name: 'att',
      workspace: 'team-a',
      attached: true,
      source: { file: 'f.yaml', line: 18, col: 5 },
    })
  })

  it('workspaces: no apps, no projects, namespace read later', () => {
    expect(inventory.workspaces).toEqual([
      { name: 'team-a', apps: [], projects: [], source: { file: 'f.yaml', line: 9, col: 5 } },
    ])
  })

  it('window: every day, UTC', () => {
    const text = MINIMAL.replace(
      '    provider: aws\n',
      '    provider: aws\n    window: { start: "22:00", end: "04:00" }\n',
    )
    const c = parseInventory([{ path: 'f.yaml', content: text }]).inventory.clusters[0] as ManagedCluster
    expect(c.window).toEqual({
      days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
      start: '22:00',
      end: '04:00',
      timezone: 'UTC',
    })
  })
})

describe('explicit values', () => {
  it('keeps node pools, args, namespaces, windows and rollout settings', () => {
    const text = `apiVersion: dkp-fleet/v1
kind: Fleet
metadata: { name: prod }
target: { dkp: v2.7.1, kubernetes: v1.27.6 }
management:
  name: mgmt
  provider: vsphere
  namespace: capi-system
  kubeconfigEnv: MGMT_KUBECONFIG
  kommander: { args: { charts-bundle: [a.tar.gz, b.tar.gz], airgapped: true } }
  capiComponents: { args: { with-aws-bootstrap-credentials: true } }
  nodepools: [mgmt-md-0]
  controlPlane: { args: { vm-template: ubuntu-2204-kube-v1.27.6 } }
workspaces:
  - name: team-a
    namespace: team-a-x7k2p
    apps: [{ name: kafka-operator, version: 0.25.1 }]
    projects:
      - name: payments
        apps: [{ name: zookeeper-operator, version: "0.2.16" }]
clusters:
  - name: c1
    workspace: team-a
    provider: aws
    namespace: other-ns
    wave: 3
    nodepools: [c1-md-0, { name: gpu, args: { ami: ami-1, replicas: 3 } }]
    controlPlane: { args: { ami: ami-1 } }
    window: { days: [sat, sun], start: "02:00", end: "06:00", timezone: Europe/Berlin }
rollout: { maxParallel: 5, failureThreshold: 0 }
backup: { enabled: false, reason: restore drill done yesterday, maxAge: 1h30m }
`
    const { inventory, warnings } = parseInventory([{ path: 'f.yaml', content: text }])
    // The pinned AMIs of c1 (aws): one warning for the cluster, at the control plane's.
    expect(warnings.map((w) => w.path)).toEqual(['clusters[0].controlPlane.args.ami'])
    expect(inventory.fleet).toBe('prod')
    expect(inventory.target).toEqual({ dkp: 'v2.7.1', kubernetes: '1.27.6' })
    expect(inventory.management).toMatchObject({
      namespace: 'capi-system',
      kubeconfigEnv: 'MGMT_KUBECONFIG',
      kommander: { args: { 'charts-bundle': ['a.tar.gz', 'b.tar.gz'], airgapped: 'true' } },
      capiComponents: { args: { 'with-aws-bootstrap-credentials': 'true' } },
      nodepools: [{ name: 'mgmt-md-0', args: {} }],
      controlPlane: { args: { 'vm-template': 'ubuntu-2204-kube-v1.27.6' } },
    })
    expect(inventory.workspaces[0]).toMatchObject({
      namespace: 'team-a-x7k2p',
      apps: [{ name: 'kafka-operator', version: '0.25.1' }],
      projects: [{ name: 'payments', apps: [{ name: 'zookeeper-operator', version: '0.2.16' }] }],
    })
    expect(inventory.clusters[0]).toMatchObject({
      namespace: 'other-ns',
      wave: 3,
      nodepools: [
        { name: 'c1-md-0', args: {} },
        { name: 'gpu', args: { ami: 'ami-1', replicas: '3' } },
      ],
      controlPlane: { args: { ami: 'ami-1' } },
      window: { days: ['sat', 'sun'], start: '02:00', end: '06:00', timezone: 'Europe/Berlin' },
    })
    expect(inventory.rollout).toEqual({ maxParallel: 5, failureThreshold: 0 })
    expect(inventory.backup).toMatchObject({
      enabled: false,
      reason: 'restore drill done yesterday',
      maxAgeSeconds: 5400,
    })
  })

  it('warns when a canary also names a wave', () => {
    const text = MINIMAL.replace('    canary: true\n', '    canary: true\n    wave: 4\n')
    const { inventory, warnings } = parseInventory([{ path: 'f.yaml', content: text }])
    expect((inventory.clusters[1] as ManagedCluster).wave).toBe(0)
    expect(warnings.map((w) => [w.path, w.message])).toContainEqual([
      'clusters[1].wave',
      'ignored: canaries always run in wave 0',
    ])
  })

  it('accepts an unknown DKP release when target.kubernetes is given', () => {
    const text = MINIMAL.replace('  dkp: 2.8.1\n', '  dkp: v2.9.0\n  kubernetes: 1.29.2\n')
    expect(parseInventory([{ path: 'f.yaml', content: text }]).inventory.target).toEqual({
      dkp: 'v2.9.0',
      kubernetes: '1.29.2',
    })
  })

  it('lets the same node pool name live in different namespaces', () => {
    const text = `apiVersion: dkp-fleet/v1
kind: Fleet
target: { dkp: v2.8.1, kubernetes: 1.28.7 }
management: { name: mgmt, provider: aws }
workspaces: [{ name: a }, { name: b }]
clusters:
  - { name: c1, workspace: a, provider: aws, nodepools: [md-0] }
  - { name: c2, workspace: b, provider: aws, nodepools: [md-0] }
  - { name: c3, workspace: a, provider: aws, namespace: elsewhere, nodepools: [md-0] }
`
    expect(parseInventory([{ path: 'f.yaml', content: text }]).inventory.clusters).toHaveLength(3)
  })
})

describe('merging documents and files', () => {
  it('merges several documents of one file (an empty trailing document is ignored)', () => {
    const text = `apiVersion: dkp-fleet/v1
kind: Fleet
target: { dkp: v2.8.1, kubernetes: 1.28.7 }
management: { name: mgmt, provider: aws }
---
apiVersion: dkp-fleet/v1
kind: Fleet
workspaces: [{ name: a }]
clusters: [{ name: c1, workspace: b, provider: aws }]
---
apiVersion: dkp-fleet/v1
kind: Fleet
workspaces: [{ name: b }]
clusters: [{ name: c2, workspace: a, provider: aws }]
---
`
    const { inventory } = parseInventory([{ path: 'f.yaml', content: text }])
    expect(inventory.workspaces.map((w) => w.name)).toEqual(['a', 'b'])
    expect(inventory.clusters.map((c) => [c.name, c.source.line])).toEqual([
      ['c1', 9],
      ['c2', 14],
    ])
    expect(inventory.files).toEqual(['f.yaml'])
  })

  it('merges files in the order given, concatenating workspaces and clusters', () => {
    const doc = generateFleet({
      managed: 30,
      attached: 2,
      workspaces: 3,
      waves: [1, 2],
      canaryRatio: 0.1,
      seed: 3,
    })
    const files = splitFleet(doc, { files: 3, docsPerFile: 2, dir: 'inv/' })
    const merged = parseInventory(files).inventory
    const single = parseInventory([{ path: 'one.yaml', content: fleetYaml(doc) }]).inventory
    expect(merged.files).toEqual(files.map((f) => f.path))
    expect(merged.clusters.map((c) => c.name)).toEqual(doc.clusters!.map((c) => c.name))
    expect(merged.clusters.map((c) => c.name)).toEqual(single.clusters.map((c) => c.name))
    expect(merged.workspaces.map((w) => w.name)).toEqual(['ws-1', 'ws-2', 'ws-3'])
    expect(merged.clusters[0]!.source.file).toMatch(/^inv\/clusters-/)
  })

  it('does not depend on key order or comments', () => {
    const doc = generateFleet({ managed: 12, attached: 1, waves: [1, 3], canaryRatio: 0.2, seed: 9 })
    const a = parseInventory([{ path: 'f.yaml', content: fleetYaml(doc) }]).inventory
    const b = parseInventory([
      { path: 'f.yaml', content: withComments(fleetYaml(reorderKeys(doc, 11))) },
    ]).inventory
    const strip = (inv: typeof a) =>
      JSON.stringify(inv, (k, v) => (k === 'source' || k === 'targetSource' ? undefined : v))
    expect(strip(b)).toBe(strip(a))
  })
})

describe('shipped examples', () => {
  it('examples/fleet.yaml: 3 workspaces, 12 managed clusters (a canary and waves 1-3), 2 attached', () => {
    const { inventory, warnings } = parseInventory([read('examples/fleet.yaml')])
    // prod-east-1 pins an AMI (control plane and its gpu pool): the one warning of the example.
    expect(warnings).toEqual([
      {
        source: { file: 'examples/fleet.yaml', line: 56, col: 29 },
        path: 'clusters[1].controlPlane.args.ami',
        message: expect.stringContaining(
          'pins an AMI for the control plane, node pool prod-east-1-gpu: an AMI is built for one Kubernetes version',
        ),
      },
    ])
    expect(inventory.workspaces).toHaveLength(3)
    const managed = inventory.clusters.filter(isManaged)
    expect(managed).toHaveLength(12)
    expect(managed.filter((c) => c.canary).length).toBeGreaterThanOrEqual(1)
    expect(new Set(managed.filter((c) => !c.canary).map((c) => c.wave))).toEqual(new Set([1, 2, 3]))
    expect(inventory.clusters.filter((c) => c.attached)).toHaveLength(2)
    expect(inventory.workspaces.some((w) => w.projects.some((p) => p.apps.length > 0))).toBe(true)
  })

  it('examples/standalone.yaml: a management cluster alone', () => {
    const { inventory } = parseInventory([read('examples/standalone.yaml')])
    expect(inventory.workspaces).toEqual([])
    expect(inventory.clusters).toEqual([])
  })

  it('every example document passes the JSON Schema as written', async () => {
    const { parseAllDocuments } = await import('yaml')
    for (const file of ['examples/fleet.yaml', 'examples/standalone.yaml']) {
      for (const d of parseAllDocuments(read(file).content) as { toJS(): unknown }[]) {
        expect(validate(d.toJS()), `${file}: ${JSON.stringify(validate.errors)}`).toBe(true)
      }
    }
  })
})

describe('schema and parser agree', () => {
  const schema = JSON.parse(readFileSync(join(ROOT, 'schema/fleet.schema.json'), 'utf8'))
  const keys = (s: { properties?: object }) => Object.keys(s.properties ?? {})
  const def = (name: string) => schema.definitions[name]

  it('ALLOWED_KEYS lists exactly the properties of each schema object', () => {
    expect(ALLOWED_KEYS.root).toEqual(keys(schema))
    for (const k of ['metadata', 'target', 'management', 'rollout', 'backup'])
      expect(ALLOWED_KEYS[k], k).toEqual(keys(schema.properties[k]))
    expect(ALLOWED_KEYS.kommander).toEqual(keys(schema.properties.management.properties.kommander))
    expect(ALLOWED_KEYS.capiComponents).toEqual(keys(schema.properties.management.properties.capiComponents))
    expect(ALLOWED_KEYS.nodepool).toEqual(keys(def('nodepool').anyOf[1]))
    for (const k of ['controlPlane', 'app', 'project', 'workspace', 'window', 'cluster'])
      expect(ALLOWED_KEYS[k], k).toEqual(keys(def(k)))
  })

  it('every object in the schema refuses unknown keys (so typos are reported)', () => {
    const open: string[] = []
    const walk = (node: unknown, where: string) => {
      if (!node || typeof node !== 'object') return
      const n = node as Record<string, unknown>
      if (n.type === 'object' && n.properties && n.additionalProperties !== false) open.push(where)
      for (const [k, v] of Object.entries(n)) walk(v, `${where}/${k}`)
    }
    walk(schema, '#')
    expect(open).toEqual([])
  })
})

describe('parseDuration', () => {
  it.each([
    ['24h', 86_400],
    ['90m', 5400],
    ['1h30m', 5400],
    ['7d', 604_800],
    ['1.5h', 5400],
    ['500ms', 0.5],
  ])('%s → %d s', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds)
  })
})
