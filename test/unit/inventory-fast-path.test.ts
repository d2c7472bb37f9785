// parseInventory reads a valid inventory with js-yaml and computes source positions only when
// one is read; anything else goes through the located parser. These tests hold the two paths
// to the same result: same inventory, same warnings, same positions.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { type InventoryFile, parseInventory, parseLocated } from '../../src/core/inventory.js'
import {
  fleetArbitrary,
  fleetYaml,
  generateFleet,
  reorderKeys,
  splitFleet,
  withComments,
} from '../helpers/fleet-gen.js'

/** Plain data, getters read: what a consumer of the inventory sees. */
const plain = (v: unknown) => JSON.parse(JSON.stringify(v))

function same(files: InventoryFile[]) {
  const fast = parseInventory(files)
  const located = parseLocated(files)
  expect(plain(fast)).toEqual(plain(located))
}

describe('the fast path agrees with the located parser', () => {
  it('on generated fleets: one file, several files and documents, reordered keys, comments', () => {
    fc.assert(
      fc.property(
        fleetArbitrary({ maxManaged: 30 }),
        fc.integer({ min: 1, max: 3 }),
        (params, docsPerFile) => {
          const doc = generateFleet(params)
          same([{ path: 'fleet.yaml', content: fleetYaml(doc) }])
          same(splitFleet(doc, { files: 2, docsPerFile }))
          same([{ path: 'fleet.yaml', content: withComments(fleetYaml(reorderKeys(doc))) }])
        },
      ),
      { numRuns: 40 },
    )
  })

  it('on flow style, anchors and aliases, quoted scalars and the shipped examples', () => {
    const flow = stringify(
      {
        apiVersion: 'dkp-fleet/v1',
        kind: 'Fleet',
        target: { dkp: 'v2.8.1' },
        management: { name: 'm', provider: 'aws' },
      },
      { collectionStyle: 'flow' },
    )
    same([{ path: 'flow.yaml', content: flow }])
    same([
      {
        path: 'anchors.yaml',
        content: [
          'apiVersion: dkp-fleet/v1',
          'kind: Fleet',
          'target: { dkp: "v2.8.1", kubernetes: \'1.28.7\' }',
          'management: { name: mgmt, provider: aws }',
          'workspaces: [{ name: a }]',
          'clusters:',
          '  - &c { name: c1, workspace: a, provider: aws, nodepools: [c1-md-0] }',
          '  - { name: c2, workspace: a, provider: aws, controlPlane: { args: &args { ami: ami-1 } } }',
          '  - { name: c3, workspace: a, provider: aws, controlPlane: { args: *args } }',
          '',
        ].join('\n'),
      },
    ])
  })

  it('reads positions lazily but exactly: the first cluster of the example fleet', async () => {
    const { readFileSync } = await import('node:fs')
    const files = [{ path: 'examples/fleet.yaml', content: readFileSync('examples/fleet.yaml', 'utf8') }]
    const cluster = parseInventory(files).inventory.clusters[0]!
    expect(plain(cluster.source)).toEqual(plain(parseLocated(files).inventory.clusters[0]!.source))
    expect(cluster.source.line).toBeGreaterThan(1)
  })

  it('leaves every problem to the located parser (same messages and positions)', () => {
    const bad: InventoryFile[] = [
      {
        path: 'bad.yaml',
        content:
          'apiVersion: dkp-fleet/v1\nkind: Fleet\ntarget: { dkp: v2.8.1 }\nmanagement: { name: m, provider: aws }\nclusters:\n  - { name: c1, workspace: nope, provider: aws }\n',
      },
    ]
    const message = (fn: () => unknown) => {
      try {
        fn()
      } catch (err) {
        return (err as Error).message
      }
      return 'no error'
    }
    expect(message(() => parseInventory(bad))).toBe(message(() => parseLocated(bad)))
    expect(message(() => parseInventory(bad))).toMatch(
      /^bad\.yaml:6:28: clusters\[0\]\.workspace: unknown workspace "nope"/,
    )
  })
})
