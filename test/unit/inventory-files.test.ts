// loadInventory: globs over real files in a temp dir (the only file I/O of inventory loading).

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InputError } from '../../src/core/errors.js'
import { loadInventory, resolveInventoryFiles, splitGlobs } from '../../src/effects/inventory-files.js'
import { generateFleet, splitFleet } from '../helpers/fleet-gen.js'

let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dkp-fleet-inv-'))
  const doc = generateFleet({ managed: 40, attached: 3, waves: [1, 2], canaryRatio: 0.1, seed: 21 })
  await mkdir(join(dir, 'fleet'), { recursive: true })
  for (const f of splitFleet(doc, { files: 4, docsPerFile: 2, dir: 'fleet/' }))
    await writeFile(join(dir, f.path), f.content)
  await writeFile(join(dir, 'fleet', 'README.md'), '# not yaml\n')
  await mkdir(join(dir, 'bad'), { recursive: true })
  await writeFile(
    join(dir, 'bad', 'a.yaml'),
    'apiVersion: dkp-fleet/v1\nkind: Fleet\ntarget: { dkp: v2.8 }\n',
  )
  await writeFile(
    join(dir, 'bad', 'b.yaml'),
    'apiVersion: dkp-fleet/v1\nkind: Fleet\nmanagement: { name: m, provider: aws }\nclusters: [{ name: x, workspace: nope, provider: aws }]\n',
  )
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function inputError(p: Promise<unknown>): Promise<InputError> {
  try {
    await p
  } catch (err) {
    if (err instanceof InputError) return err
    throw err
  }
  throw new Error('expected an InputError')
}

describe('loadInventory', () => {
  it('merges every file a glob matches, sorted, with paths relative to cwd', async () => {
    const { inventory } = await loadInventory('fleet/*.yaml', dir)
    expect(inventory.files).toEqual([
      'fleet/clusters-001.yaml',
      'fleet/clusters-002.yaml',
      'fleet/clusters-003.yaml',
      'fleet/clusters-004.yaml',
      'fleet/fleet.yaml',
    ])
    expect(inventory.clusters).toHaveLength(43)
    expect(inventory.clusters[0]!.source.file).toBe('fleet/clusters-001.yaml')
    expect(inventory.target.dkp).toBe('v2.8.1')
  })

  it('takes comma- and newline-separated lists of files and globs, without duplicates', async () => {
    const spec = 'fleet/fleet.yaml, fleet/clusters-00[12].yaml\nfleet/clusters-*.yaml'
    const files = await resolveInventoryFiles(spec, dir)
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual([
      'fleet/fleet.yaml',
      'fleet/clusters-001.yaml',
      'fleet/clusters-002.yaml',
      'fleet/clusters-003.yaml',
      'fleet/clusters-004.yaml',
    ])
    expect((await loadInventory(spec, dir)).inventory.clusters).toHaveLength(43)
    expect(splitGlobs(['a.yaml,b.yaml', ' c.yaml \n'])).toEqual(['a.yaml', 'b.yaml', 'c.yaml'])
  })

  it('names the glob that matched nothing (all of them at once)', async () => {
    const err = await inputError(loadInventory('fleet/*.yml, nowhere/fleet.yaml', dir))
    expect(err.problems.map((p) => p.message)).toEqual([
      `no inventory file matches "fleet/*.yml" (relative to ${dir})`,
      `no inventory file matches "nowhere/fleet.yaml" (relative to ${dir})`,
    ])
  })

  it('refuses an empty spec', async () => {
    const err = await inputError(loadInventory('', dir))
    expect(err.message).toMatch(/no inventory given/)
  })

  it('a directory is not a file', async () => {
    const err = await inputError(loadInventory('fleet', dir))
    expect(err.message).toContain('no inventory file matches "fleet"')
  })

  it('reports the problems of every file, with relative paths', async () => {
    const err = await inputError(loadInventory('bad/*.yaml', dir))
    expect(err.message.split('\n')).toEqual([
      'bad/a.yaml:3:16: target.dkp: must be a DKP version like v2.8.1 (got "v2.8")',
      'bad/b.yaml:4:34: clusters[0].workspace: unknown workspace "nope"; defined workspaces: none',
    ])
  })

  it('caps the files together at the per-file limit, naming every file and its size', async () => {
    await mkdir(join(dir, 'big'), { recursive: true })
    const seven = `# ${'x'.repeat(7 * 1024 * 1024)}\n`
    for (const f of ['a', 'b', 'c']) await writeFile(join(dir, 'big', `${f}.yaml`), seven)
    const err = await inputError(loadInventory('big/*.yaml', dir))
    const total = 3 * Buffer.byteLength(seven)
    expect(err.message.split('\n')).toEqual(
      ['a', 'b', 'c'].map(
        (f) =>
          `big/${f}.yaml:1:1: file is ${Buffer.byteLength(seven)} bytes; the 3 inventory files are ${total} bytes together, over the limit of ${16 * 1024 * 1024} bytes for all files together`,
      ),
    )
  })

  it('accepts an absolute path', async () => {
    const { inventory } = await loadInventory(join(dir, 'fleet', '*.yaml'), '/')
    expect(inventory.clusters).toHaveLength(43)
  })
})
