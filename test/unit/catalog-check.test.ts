// Catalog app versions of the inventory against the release table (data/releases.json, from the
// mesosphere/dkp-catalog-applications tags): a version the target's catalog does not ship is
// a warning listing what it ships, located at the version; an app no DKP catalog knows and a
// target the table has no catalog for are never errors. Through the CLI too (validate, plan
// with --target), and the action's reporter.

import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { CliIO } from '../../src/cli/io.js'
import { main } from '../../src/cli/main.js'
import { catalogAppIdOf, checkCatalogVersions } from '../../src/core/catalog-check.js'
import { parseInventory } from '../../src/core/inventory.js'
import { loadReleaseData, type RawReleaseData, releaseDataFrom } from '../../src/core/release-data.js'
import { ConsoleReporter } from '../../src/effects/reporter.js'
import { releaseChecks, reportReleaseChecks } from '../../src/stages/plan.js'

const ROOT = resolve(import.meta.dirname, '../..')

const inventoryWith = (apps: string[], projectApps: string[] = [], dkp = 'v2.8.1') =>
  parseInventory([
    {
      path: 'f.yaml',
      content: `${[
        'apiVersion: dkp-fleet/v1',
        'kind: Fleet',
        `target: { dkp: ${dkp}, kubernetes: 1.28.7 }`,
        'management: { name: mgmt, provider: aws }',
        'workspaces:',
        '  - name: team-a', // 6
        apps.length > 0 ? '    apps:' : '    apps: []', // 7
        ...apps.map((a) => `      - ${a}`), // 8…
        '    projects:',
        '      - name: p',
        `        apps: [${projectApps.join(', ')}]`,
      ].join('\n')}\n`,
    },
  ]).inventory

describe('catalog app versions against the target catalog (real release data)', async () => {
  const data = await loadReleaseData()

  it('the table agrees with what the test expects to exist (v2.8.1 catalog)', () => {
    expect(data.catalog('v2.8.1')?.versions('kafka-operator')).toEqual([
      '0.20.0',
      '0.20.2',
      '0.23.0-dev.0',
      '0.25.1',
    ])
  })

  it('a shipped version says nothing; another one warns at its version, listing what ships', () => {
    const inv = inventoryWith([
      '{ name: kafka-operator, version: 0.25.1 }', // 8
      '{ name: kafka-operator-abc, version: 0.25.9 }', // 9
      '{ name: zookeeper-operator, version: 0.2.16-dkp.2 }', // 10
    ])
    const { warnings, notes } = checkCatalogVersions(inv, 'v2.8.1', data)
    expect(notes).toEqual([])
    expect(warnings).toEqual([
      {
        source: { file: 'f.yaml', line: 9, col: 46 },
        path: 'workspaces[0].apps[1].version',
        message:
          'kafka-operator 0.25.9 is not in the DKP v2.8.1 catalog (mesosphere/dkp-catalog-applications v2.8.1), which ships kafka-operator 0.20.0, 0.20.2, 0.23.0-dev.0, 0.25.1; fine if your own catalog repository provides it',
      },
    ])
  })

  it('project apps too; the versions are those of the target tag, not of another release', () => {
    const inv = inventoryWith(
      [],
      ['{ name: zk, version: 0.2.16 }', '{ name: zookeeper-operator, version: 0.2.16-dkp.3 }'],
    )
    // 0.2.16-dkp.3 is in later catalogs, not in v2.8.1's.
    expect(data.catalog('v2.8.1')?.versions('zookeeper-operator')).not.toContain('0.2.16-dkp.3')
    const { warnings } = checkCatalogVersions(inv, 'v2.8.1', data)
    expect(warnings.map((w) => [w.path, w.source?.line])).toEqual([
      ['workspaces[0].projects[0].apps[1].version', 10],
    ])
    expect(warnings[0]!.message).toContain(
      'which ships zookeeper-operator 0.2.13, 0.2.14, 0.2.15, 0.2.16-dkp.1, 0.2.16-dkp.2',
    )
  })

  it('an app the target catalog no longer ships: warned, "ships no … at all"', () => {
    const inv = inventoryWith(['{ name: spark-operator, version: 1.1.17 }'])
    const [w] = checkCatalogVersions(inv, 'v2.8.1', data).warnings
    expect(w!.message).toContain('spark-operator 1.1.17 is not in the DKP v2.8.1 catalog')
    expect(w!.message).toContain('which ships no spark-operator at all')
    // …and fine for a release whose catalog has it.
    const v261 = data.catalog('v2.6.1')!.versions('spark-operator')
    expect(
      checkCatalogVersions(inventoryWith([`{ name: spark-operator, version: ${v261[0]} }`]), 'v2.6.1', data)
        .warnings,
    ).toEqual([])
  })

  it('apps no DKP catalog knows (a site catalog: jenkins, my-app) are not checked', () => {
    const inv = inventoryWith(['{ name: jenkins, version: 4.3.20 }', '{ name: my-app, version: 0.0.1 }'])
    expect(checkCatalogVersions(inv, 'v2.8.1', data)).toEqual({ warnings: [], notes: [] })
  })

  it('a target the table has no catalog for: no warning, one note, never an error', () => {
    const inv = inventoryWith([
      '{ name: kafka-operator, version: 9.9.9 }',
      '{ name: zookeeper-operator, version: 9.9.9 }',
    ])
    const { warnings, notes } = checkCatalogVersions(inv, 'v2.8.4', data)
    expect(warnings).toEqual([])
    expect(notes).toEqual([
      'catalog app versions not checked: the release table has no mesosphere/dkp-catalog-applications tag v2.8.4 (it has v2.2.0–v2.14.0, 33 tags)',
    ])
  })

  it('no catalog apps: nothing to say (and nothing loaded)', async () => {
    const inv = inventoryWith([])
    expect(checkCatalogVersions(inv, 'v2.8.4', data)).toEqual({ warnings: [], notes: [] })
    expect(await releaseChecks(inv, 'v2.8.4')).toEqual({ warnings: [], notes: [] })
  })
})

describe('catalogAppIdOf', () => {
  it('the name itself, or the longest known id followed by "-"', () => {
    const known = ['kafka-operator', 'kafka', 'zookeeper-operator']
    expect(catalogAppIdOf('kafka-operator', known)).toBe('kafka-operator')
    expect(catalogAppIdOf('kafka-operator-abc', known)).toBe('kafka-operator')
    expect(catalogAppIdOf('kafka-x', known)).toBe('kafka')
    expect(catalogAppIdOf('kafkaesque', known)).toBeUndefined()
    expect(catalogAppIdOf('my-zookeeper-operator', known)).toBeUndefined()
  })
})

describe('pure: the check reads only the table it is given', () => {
  it('a hand-made table', () => {
    const raw: RawReleaseData = {
      sources: { 'dkp-catalog-applications': 'https://github.com/mesosphere/dkp-catalog-applications' },
      platform: {},
      catalog: {
        'v2.8.1': {
          repo: 'dkp-catalog-applications',
          apps: { demo: { '1.0.0': [['demo', 'demo', '1.0.0']], '1.1.0': [['demo', 'demo', '1.0.5']] } },
        },
      },
    }
    const inv = inventoryWith(['{ name: demo, version: 1.2.0 }'])
    expect(checkCatalogVersions(inv, 'v2.8.1', releaseDataFrom(raw)).warnings[0]!.message).toContain(
      'which ships demo 1.0.0, 1.1.0',
    )
  })
})

async function run(...argv: string[]) {
  let stdout = ''
  let stderr = ''
  const io: CliIO = {
    stdout: (t) => {
      stdout += t
    },
    stderr: (t) => {
      stderr += t
    },
    env: {},
    cwd: ROOT,
  }
  const code = await main(argv, io)
  return { code, stdout, stderr }
}

describe('where the check runs', () => {
  it('plan checks against the target it plans for (--target)', async () => {
    // the example's zookeeper-operator 0.2.16-dkp.1 is in the v2.7+ catalogs, not in v2.6.2's
    const r = await run('plan', '-i', 'examples/fleet.yaml', '--target', 'v2.6.2', '--json')
    expect(r.code).toBe(0)
    expect(r.stderr).toContain(
      'warning: examples/fleet.yaml:28:56: workspaces[0].projects[0].apps[0].version: zookeeper-operator 0.2.16-dkp.1 is not in the DKP v2.6.2 catalog (mesosphere/dkp-catalog-applications v2.6.2)',
    )
    const shipped = await run('plan', '-i', 'examples/fleet.yaml', '--target', 'v2.7.1', '--json')
    expect(shipped.code).toBe(0)
    expect(shipped.stderr).not.toContain('zookeeper-operator')
    const unknown = await run('plan', '-i', 'examples/fleet.yaml', '--target', 'v2.8.4', '--json')
    expect(unknown.code).toBe(0)
    expect(unknown.stderr).not.toContain('zookeeper-operator')
    expect(unknown.stderr).toContain('note: catalog app versions not checked')
  })

  it('the action reports warnings with their location and notes as info', async () => {
    const lines: string[] = []
    const reporter = new ConsoleReporter((t) => lines.push(t))
    const inv = inventoryWith(['{ name: kafka-operator, version: 0.1.0 }'])
    await reportReleaseChecks(inv, 'v2.8.1', reporter)
    await reportReleaseChecks(inv, 'v2.9.0', reporter)
    expect(lines).toEqual([
      expect.stringMatching(
        /^warning: f\.yaml:8:42: workspaces\[0\]\.apps\[0\]\.version: kafka-operator 0\.1\.0 is not in/,
      ),
      expect.stringMatching(/^note: catalog app versions not checked: .* tag v2\.9\.0/),
    ])
  })
})
