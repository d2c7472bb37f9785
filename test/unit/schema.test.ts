// schema/fleet.schema.json stands on its own for editors: every property documented, each
// pattern with a human message, defaults that are the parser's defaults, examples that are
// valid, a raw `$id` that README's modeline shows. Then the bundled example inventories and a
// few bad documents go through a standard JSON Schema validator (@cfworker/json-schema, draft-07)
// that shares nothing with the project's code path (no ajv, no generated validator, no parser).

import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { type Schema, Validator } from '@cfworker/json-schema'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { parseDuration, parseInventory } from '../../src/core/inventory.js'
import { isManaged } from '../../src/core/model.js'
import { DEFAULT_TTL } from '../../src/stages/backup.js'

const ROOT = join(import.meta.dirname, '..', '..')
const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8')
const schema = JSON.parse(read('schema/fleet.schema.json'))

// biome-ignore lint/suspicious/noExplicitAny: a JSON Schema document, walked generically
type Node = Record<string, any>

/** Every subschema with its JSON pointer, wherever it sits (properties, definitions, anyOf, items, …). */
function subschemas(node: unknown, at = '#'): { at: string; node: Node }[] {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return []
  const n = node as Node
  const out = [{ at, node: n }]
  for (const key of ['properties', 'definitions', '$defs', 'patternProperties']) {
    for (const [k, v] of Object.entries<unknown>(n[key] ?? {}))
      out.push(...subschemas(v, `${at}/${key}/${k}`))
  }
  for (const key of [
    'items',
    'additionalProperties',
    'propertyNames',
    'not',
    'if',
    'then',
    'else',
    'contains',
  ]) {
    if (Array.isArray(n[key])) {
      for (const [i, v] of (n[key] as unknown[]).entries()) out.push(...subschemas(v, `${at}/${key}/${i}`))
    } else out.push(...subschemas(n[key], `${at}/${key}`))
  }
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    for (const [i, v] of ((n[key] ?? []) as unknown[]).entries())
      out.push(...subschemas(v, `${at}/${key}/${i}`))
  }
  return out
}

/** Every property declaration anywhere in the schema: `<pointer of its object>/properties/<name>`. */
function properties(root: unknown): { at: string; node: Node }[] {
  return subschemas(root).flatMap(({ at, node }) =>
    Object.entries<Node>(node.properties ?? {}).map(([k, v]) => ({ at: `${at}/properties/${k}`, node: v })),
  )
}

/**
 * A validator for one subschema, with the root's definitions so its $refs resolve (copies: the
 * validator records each schema object it dereferences, so objects are never shared between two).
 */
const validatorFor = (sub: Node) =>
  new Validator(structuredClone({ ...sub, definitions: schema.definitions }) as Schema, '7', false)

describe('schema/fleet.schema.json: complete for editors', () => {
  const props = properties(schema)

  it('declares the properties the inventory contract needs (the walk finds them)', () => {
    const names = props.map((p) => p.at)
    expect(names.length).toBeGreaterThanOrEqual(54)
    expect(names).toEqual(
      expect.arrayContaining([
        '#/properties/target/properties/dkp',
        '#/properties/management/properties/kommander/properties/args',
        '#/definitions/nodepool/anyOf/1/properties/args',
        '#/definitions/cluster/properties/window',
      ]),
    )
  })

  it('every property has a description of its own (not only through a $ref)', () => {
    const missing = props
      .filter(({ node }) => typeof node.description !== 'string' || node.description.trim().length < 10)
      .map((p) => p.at)
    expect(missing).toEqual([])
  })

  it('the walk catches a property added without a description (negative control)', () => {
    const extended = structuredClone(schema)
    extended.properties.management.properties.capiComponents = {
      type: 'object',
      properties: { args: { $ref: '#/definitions/commandArgs' } },
    }
    const missing = properties(extended)
      .filter(({ node }) => typeof node.description !== 'string')
      .map((p) => p.at)
    expect(missing).toEqual([
      '#/properties/management/properties/capiComponents',
      '#/properties/management/properties/capiComponents/properties/args',
    ])
  })

  it('every definition has a description (hover text for list items)', () => {
    const missing = Object.entries<Node>(schema.definitions)
      .filter(([, d]) => typeof d.description !== 'string')
      .map(([k]) => k)
    expect(missing).toEqual([])
  })

  it('every pattern has a human message (patternErrorMessage, shown by editors and by dkp-fleet)', () => {
    const patterns = subschemas(schema).filter(({ node }) => typeof node.pattern === 'string')
    expect(patterns.length).toBeGreaterThanOrEqual(12)
    const missing = patterns
      .filter(({ node }) => !/^must /.test(String(node.patternErrorMessage ?? '')))
      .map((p) => p.at)
    expect(missing).toEqual([])
    // A message never quotes the regular expression it stands for.
    for (const { node } of patterns) expect(node.patternErrorMessage).not.toContain(node.pattern)
  })

  it('beside a $ref there are only annotations (draft-07 ignores siblings of $ref)', () => {
    const annotations = ['$ref', 'description', 'default', 'examples', 'title', '$comment']
    const extra = subschemas(schema)
      .filter(({ node }) => typeof node.$ref === 'string')
      .flatMap(({ at, node }) =>
        Object.keys(node)
          .filter((k) => !annotations.includes(k))
          .map((k) => `${at}: ${k}`),
      )
    expect(extra).toEqual([])
  })

  it('every default and every example is valid against its own property', () => {
    const bad: string[] = []
    let checked = 0
    for (const { at, node } of subschemas(schema)) {
      if (at === '#') continue
      const values = [
        ...('default' in node ? [['default', node.default]] : []),
        ...(Array.isArray(node.examples) ? node.examples.map((e: unknown) => ['example', e]) : []),
      ]
      if (values.length === 0) continue
      const v = validatorFor(node)
      for (const [kind, value] of values) {
        checked++
        const r = v.validate(value)
        if (!r.valid) bad.push(`${at} ${kind} ${JSON.stringify(value)}: ${r.errors.at(-1)?.error}`)
      }
    }
    expect(bad).toEqual([])
    expect(checked).toBeGreaterThan(40)
    // The check itself rejects a wrong default.
    expect(validatorFor(schema.properties.rollout.properties.maxParallel).validate(0).valid).toBe(false)
  })

  it('every default is the one the parser applies', () => {
    const { inventory } = parseInventory([
      {
        path: 'fleet.yaml',
        content: [
          'apiVersion: dkp-fleet/v1',
          'kind: Fleet',
          'target: { dkp: v2.8.1, kubernetes: 1.28.7 }',
          'management: { name: mgmt, provider: aws }',
          'workspaces: [{ name: team-a }]',
          'clusters:',
          '  - { name: c1, workspace: team-a, provider: aws, window: { start: "02:00", end: "04:00" } }',
          '',
        ].join('\n'),
      },
    ])
    const c1 = inventory.clusters[0]!
    if (!isManaged(c1)) throw new Error('c1 is managed')
    const p = schema.properties
    const d = schema.definitions
    const defaults: [string, unknown, unknown][] = [
      ['management.namespace', p.management.properties.namespace.default, inventory.management.namespace],
      ['rollout.maxParallel', p.rollout.properties.maxParallel.default, inventory.rollout.maxParallel],
      [
        'rollout.failureThreshold',
        p.rollout.properties.failureThreshold.default,
        inventory.rollout.failureThreshold,
      ],
      ['rollout.soak', parseDuration(p.rollout.properties.soak.default), inventory.rollout.soakSeconds ?? 0],
      ['backup.enabled', p.backup.properties.enabled.default, inventory.backup.enabled],
      ['backup.namespace', p.backup.properties.namespace.default, inventory.backup.namespace],
      ['backup.maxAge', parseDuration(p.backup.properties.maxAge.default), inventory.backup.maxAgeSeconds],
      ['backup.ttl', p.backup.properties.ttl.default, DEFAULT_TTL],
      ['cluster.attached', d.cluster.properties.attached.default, c1.attached],
      ['cluster.wave', d.cluster.properties.wave.default, c1.wave],
      ['cluster.canary', d.cluster.properties.canary.default, c1.canary],
      [
        'cluster.allowInsecureSkipTlsVerify',
        d.cluster.properties.allowInsecureSkipTlsVerify.default,
        c1.allowInsecureSkipTlsVerify === true,
      ],
      ['window.days', d.window.properties.days.default, c1.window?.days],
      ['window.timezone', d.window.properties.timezone.default, c1.window?.timezone],
    ]
    for (const [field, declared, applied] of defaults) expect(applied, field).toEqual(declared)
    // …and that is every default the schema declares.
    const declaredCount = subschemas(schema).filter(({ node }) => 'default' in node).length
    expect(declaredCount).toBe(defaults.length)
  })

  it('$id is the raw URL of this file in the repository package.json names', () => {
    const pkg = JSON.parse(read('package.json'))
    const repo = /github\.com\/([\w.-]+\/[\w.-]+?)(?:\.git)?$/.exec(pkg.repository.url)?.[1]
    expect(repo).toBeTruthy()
    expect(schema.$id).toBe(`https://raw.githubusercontent.com/${repo}/main/schema/fleet.schema.json`)
  })

  it('README shows the whole modeline, with the $id', () => {
    expect(read('README.md')).toContain(`# yaml-language-server: $schema=${schema.$id}\n`)
    expect(read('README.md')).not.toMatch(/\$schema=https:\/\/…/)
  })

  it('is a valid draft-07 schema (checked against the draft-07 meta-schema)', () => {
    const meta = JSON.parse(read('node_modules/ajv/dist/refs/json-schema-draft-07.json'))
    const r = new Validator(meta, '7', false).validate(schema)
    expect(r.errors.map((e) => `${e.instanceLocation}: ${e.error}`)).toEqual([])
  })
})

// ---------------------------------------------------------------------------------------------
// A standard validator on real inventories

const standard = new Validator(structuredClone(schema) as Schema, '7', false)

/** Every .yaml file under examples/: the bundled example inventories (workflow callers are .yml). */
function exampleInventories(dir = join(ROOT, 'examples')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name)
    if (e.isDirectory()) return exampleInventories(path)
    return e.name.endsWith('.yaml') ? [relative(ROOT, path)] : []
  })
}

describe('a standard JSON Schema validator accepts the bundled inventories', () => {
  const files = [
    ...exampleInventories(),
    ...readdirSync(join(ROOT, 'test/fixtures/inventories/valid')).map(
      (f) => `test/fixtures/inventories/valid/${f}`,
    ),
  ]

  it('finds the examples', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'examples/fleet.yaml',
        'examples/standalone.yaml',
        'examples/large/fleet.yaml',
      ]),
    )
  })

  it.each(files)('%s: every document is valid', (file) => {
    const docs = parseAllDocuments(read(file)) as unknown as { toJS(): unknown }[]
    expect(docs.length).toBeGreaterThan(0)
    for (const [i, doc] of docs.entries()) {
      const r = standard.validate(doc.toJS())
      expect(r.errors.map((e) => `document ${i}: ${e.instanceLocation}: ${e.error}`)).toEqual([])
    }
  })
})

describe('a standard JSON Schema validator rejects bad documents, at the field', () => {
  const base = () => ({
    apiVersion: 'dkp-fleet/v1',
    kind: 'Fleet',
    target: { dkp: 'v2.8.1' },
    management: { name: 'mgmt', provider: 'aws' },
    workspaces: [{ name: 'team-a' }],
    clusters: [{ name: 'c1', workspace: 'team-a', provider: 'aws' }],
  })
  const cases: [string, (d: Node) => void, string, string][] = [
    ['a DKP version without its patch', (d) => (d.target.dkp = 'v2.8'), '#/target/dkp', 'pattern'],
    ['an unknown provider', (d) => (d.clusters[0].provider = 'openstack'), '#/clusters/0/provider', 'enum'],
    ['wave 0 (canary: true instead)', (d) => (d.clusters[0].wave = 0), '#/clusters/0/wave', 'minimum'],
    ['a misspelt field', (d) => (d.clusters[0].namspace = 'x'), '#/clusters/0', 'additionalProperties'],
    ['a cluster without its workspace', (d) => delete d.clusters[0].workspace, '#/clusters/0', 'required'],
    [
      'a shell command in a cluster name',
      (d) => (d.clusters[0].name = 'a;rm -rf /'),
      '#/clusters/0/name',
      'pattern',
    ],
    [
      'a newline in a flag value',
      (d) => (d.clusters[0].controlPlane = { args: { ami: 'ami-1\n--force' } }),
      '#/clusters/0/controlPlane/args/ami',
      'pattern',
    ],
    [
      'a flag name with dashes',
      (d) => (d.management.kommander = { args: { '--charts-bundle': 'x' } }),
      '#/management/kommander/args',
      'propertyNames',
    ],
    [
      'a window end of 25:00',
      (d) => (d.clusters[0].window = { start: '02:00', end: '25:00' }),
      '#/clusters/0/window/end',
      'pattern',
    ],
    ['maxParallel over 256', (d) => (d.rollout = { maxParallel: 257 }), '#/rollout/maxParallel', 'maximum'],
    ['a wrong kind', (d) => (d.kind = 'Cluster'), '#/kind', 'const'],
  ]

  it('the base document is valid', () => {
    expect(standard.validate(base()).valid).toBe(true)
  })

  it.each(cases)('%s', (_name, change, at, keyword) => {
    const doc = base()
    change(doc)
    const r = standard.validate(doc)
    expect(r.valid).toBe(false)
    expect(r.errors.map((e) => [e.instanceLocation, e.keyword])).toContainEqual([at, keyword])
  })
})
