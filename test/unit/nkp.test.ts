// NKP (2.12–2.17, the renamed DKP) in the pure core: the target.nkp spelling, the release table
// rows and their marks, the path rules (DKP 2.8.x → NKP 2.12.x, then one NKP minor at a time),
// nutanix clusters (vm-image required, a pool's own image, no target.kubernetes other than the
// one the CLI builds in), the `nkp upgrade cluster nutanix` argv, and the plan's covered steps.

import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { upgradeClusterCommand } from '../../src/core/dkp-commands.js'
import { InputError } from '../../src/core/errors.js'
import { parseInventory } from '../../src/core/inventory.js'
import { planSummary } from '../../src/core/markdown.js'
import { buildPlan } from '../../src/core/plan.js'
import { renderPlan } from '../../src/core/text.js'
import { checkDkpPath, DKP_MINORS, defaultKubernetesFor } from '../../src/core/versions.js'

const ROOT = resolve(import.meta.dirname, '../..')
const example = readFileSync(join(ROOT, 'examples/nkp-fleet.yaml'), 'utf8')
const parse = (content: string) => parseInventory([{ path: 'nkp.yaml', content }])

function problemsOf(content: string): string[] {
  try {
    parse(content)
  } catch (err) {
    if (err instanceof InputError)
      return err.problems.map((p) => `${p.source?.line}:${p.source?.col} ${p.path}: ${p.message}`)
    throw err
  }
  return []
}

describe('the release table and paths', () => {
  it('has NKP 2.12–2.17, each with its default Kubernetes minor one above the last', () => {
    const nkp = DKP_MINORS.filter((m) => m.nkp)
    expect(nkp.map((m) => m.minor)).toEqual(['2.12', '2.13', '2.14', '2.15', '2.16', '2.17'])
    expect(nkp.map((m) => m.kubernetes)).toEqual(['1.29.6', '1.30.5', '1.31.4', '1.32.3', '1.33.2', '1.34.3'])
    expect(defaultKubernetesFor('v2.17.1')).toBe('1.34.3')
  })

  it('DKP 2.8.x → NKP 2.12.x and NKP 2.x → 2.(x+1) are allowed; patches too', () => {
    for (const [from, to] of [
      ['v2.8.1', 'v2.12.1'],
      ['v2.12.0', 'v2.13.3'],
      ['v2.13.1', 'v2.14.1'],
      ['v2.16.1', 'v2.17.1'],
      ['v2.14.0', 'v2.14.3'],
    ])
      expect(checkDkpPath(from!, to!)).toMatchObject({ ok: true, kind: 'ok' })
  })

  it('2.12 → 2.14 is refused naming 2.13; DKP 2.7 → NKP 2.12 names 2.8; a downgrade is refused', () => {
    const skip = checkDkpPath('v2.12.1', 'v2.14.1')
    expect(skip).toMatchObject({ ok: false, kind: 'skip', path: ['v2.12.1', 'v2.13.x', 'v2.14.1'] })
    expect(skip.reason).toContain('NKP minors cannot be skipped')
    const cross = checkDkpPath('v2.7.1', 'v2.12.0')
    expect(cross).toMatchObject({ ok: false, kind: 'skip', path: ['v2.7.1', 'v2.8.x', 'v2.12.0'] })
    expect(cross.reason).toContain('DKP 2.8.x goes to NKP 2.12.x')
    expect(checkDkpPath('v2.13.0', 'v2.12.2')).toMatchObject({ ok: false, kind: 'downgrade' })
  })

  it('the plan refuses 2.12 → 2.14 against live versions, naming the release to go through', () => {
    const inv = parse(example.replace('nkp: v2.14.1', 'nkp: v2.14.1')).inventory
    expect(() => buildPlan(inv, { live: { dkp: 'v2.12.2', kubernetes: {} } })).toThrow(
      /v2\.12\.2 → v2\.13\.x → v2\.14\.1/,
    )
    expect(() => buildPlan(inv, { live: { dkp: 'v2.13.1', kubernetes: {} } })).not.toThrow()
  })
})

describe('the inventory', () => {
  it('reads target.nkp; the example is valid with one warning (the inferred Kubernetes)', () => {
    const { inventory, warnings } = parse(example)
    expect(inventory.target).toEqual({ dkp: 'v2.14.1' })
    expect(warnings.map((w) => w.message)).toEqual([expect.stringContaining('NKP v2.14.1: inferred')])
  })

  it('a DKP release under target.nkp names the spelling to use', () => {
    expect(problemsOf(example.replace('nkp: v2.14.1', 'nkp: v2.8.1'))).toContainEqual(
      expect.stringContaining(
        'target.nkp: v2.8.1 is a DKP release (NKP starts at 2.12): write target.dkp: v2.8.1',
      ),
    )
  })

  it('a nutanix cluster without vm-image is an error naming file line and field; every one at once', () => {
    const noImage = example
      .replace(
        '  controlPlane:\n    args: { vm-image: nkp-rocky-9.5-release-1.31.4 }   # covers the node pools too\n',
        '',
      )
      .replace(
        '    canary: true\n    controlPlane: { args: { vm-image: nkp-rocky-9.5-release-1.31.4 } }\n',
        '    canary: true\n',
      )
    expect(problemsOf(noImage)).toEqual([
      '17:3 management.controlPlane.args.vm-image: required for a nutanix cluster: nkp upgrade cluster nutanix needs the VM image built for Kubernetes 1.31.4 (node pools use it unless their args name their own)',
      '28:5 clusters[0].controlPlane.args.vm-image: required for a nutanix cluster: nkp upgrade cluster nutanix needs the VM image built for Kubernetes 1.31.4 (node pools use it unless their args name their own)',
    ])
  })

  it('a nutanix pool naming an empty image is an error at that pool', () => {
    const bad = example.replace(
      'args: { vm-image: nkp-rocky-9.5-gpu-release-1.31.4 }',
      'args: { vm-image: "" }',
    )
    expect(problemsOf(bad)).toEqual([
      expect.stringMatching(
        /^\d+:\d+ clusters\[1\]\.nodepools\[1\]\.args\.vm-image: must name one VM image$/,
      ),
    ])
  })

  it('target.kubernetes other than the one nkp builds in is refused for nutanix clusters', () => {
    const pinned = example.replace('  nkp: v2.14.1 ', '  nkp: v2.14.1\n  kubernetes: 1.31.1 ')
    const problems = problemsOf(pinned)
    expect(problems).toHaveLength(3) // the management cluster and the two nutanix clusters
    expect(problems[0]).toContain('has no --kubernetes-version')
    // the built-in version itself is fine
    expect(problemsOf(example.replace('  nkp: v2.14.1 ', '  nkp: v2.14.1\n  kubernetes: 1.31.4 '))).toEqual(
      [],
    )
  })
})

describe('nkp upgrade cluster nutanix', () => {
  const kc = {
    name: 'prod-ntnx-2',
    namespace: 'team-a',
    provider: 'nutanix',
    controlPlaneArgs: { 'vm-image': 'img-a' },
  }
  it('one --vm-image when no pool names its own', () => {
    expect(upgradeClusterCommand(kc, [{ name: 'md-0', args: {} }], '1.31.4').args).toEqual([
      'upgrade',
      'cluster',
      'nutanix',
      '--cluster-name=prod-ntnx-2',
      '-n',
      'team-a',
      '--vm-image=img-a',
    ])
  })
  it('a pool with its own image: the control plane image and one image per pool', () => {
    const cmd = upgradeClusterCommand(
      { ...kc, controlPlaneArgs: { 'vm-image': 'img-a', timeout: '45m' } },
      [
        { name: 'md-0', args: {} },
        { name: 'gpu', args: { 'vm-image': 'img-gpu' } },
      ],
      '1.31.4',
    )
    expect(cmd.args.slice(6)).toEqual([
      '--control-plane-vm-image=img-a',
      '--worker-vm-images=md-0=img-a',
      '--worker-vm-images=gpu=img-gpu',
      '--timeout=45m',
    ])
    expect(cmd.args).not.toContain('--kubernetes-version')
  })
})

describe('the plan', () => {
  const plan = buildPlan(parse(example).inventory)
  it('covers capi-components and core-addons of nutanix clusters by their kubernetes step', () => {
    const covered = Object.fromEntries(plan.steps.filter((s) => s.coveredBy).map((s) => [s.id, s.coveredBy]))
    expect(covered).toEqual({
      'capi-components:mgmt': 'kubernetes:mgmt',
      'core-addons:mgmt': 'kubernetes:mgmt',
      'core-addons:prod-ntnx-1': 'kubernetes:prod-ntnx-1',
      'core-addons:prod-ntnx-2': 'kubernetes:prod-ntnx-2',
    })
    // the aws cluster keeps the Konvoy chain
    expect(plan.steps.find((s) => s.id === 'core-addons:prod-aws-1')?.coveredBy).toBeUndefined()
  })
  it('names NKP and the inferred mark in text and Markdown, and lists the covered steps', () => {
    const text = renderPlan(plan)
    expect(text).toContain('upgrade to NKP v2.14.1, Kubernetes 1.31.4 (inferred default')
    expect(text).toMatch(/capi-components:mgmt\s+kubernetes:mgmt\s+nkp upgrade cluster nutanix/)
    expect(planSummary(plan)).toContain('target NKP')
    expect(plan.product).toBe('NKP')
  })
  it('marks 2.17 as third party, and the digest changes with coverage', () => {
    const p17 = buildPlan(
      parse(example.replace('nkp: v2.14.1', 'nkp: v2.17.1').replaceAll('1.31.4', '1.34.3')).inventory,
    )
    expect(p17.kubernetesThirdParty).toBe(true)
    expect(renderPlan(p17)).toContain('third-party source (3P)')
    const aws = buildPlan(
      parse(example.replace('  provider: nutanix\n  namespace', '  provider: aws\n  namespace')).inventory,
    )
    expect(aws.steps.find((s) => s.id === 'capi-components:mgmt')?.coveredBy).toBeUndefined()
    expect(aws.digest).not.toBe(plan.digest)
  })
})
