// Provider facts (reference/dkp.md §2 "Providers", §2.6/2.7, §3, §7) in validation and the
// plan: an AKS cluster in a DKP 2.x fleet is planned like an attached one with Azure's own
// upgrade command; node images are per Kubernetes version (vSphere templates inherited by the
// pools, pinned AWS AMIs warned about); a provider the target's dkp does not list is warned
// about; capiComponents args reach `dkp upgrade capi-components`; inferred Kubernetes
// defaults stay marked as inferred in the table and in the plan.

import { describe, expect, it } from 'vitest'
import { capiComponentsCommand } from '../../src/core/dkp-commands.js'
import { parseInventory } from '../../src/core/inventory.js'
import { planSummary } from '../../src/core/markdown.js'
import { type AttachedCluster, isManaged } from '../../src/core/model.js'
import { buildPlan } from '../../src/core/plan.js'
import { planJson } from '../../src/core/plan-json.js'
import {
  KONVOY_PROVIDERS,
  konvoyProviders,
  nodePoolArgs,
  productOf,
  upgradedOutsideDkp,
} from '../../src/core/providers.js'
import { renderPlan } from '../../src/core/text.js'
import { DKP_MINORS, dkpMinor } from '../../src/core/versions.js'
import { resolveCluster } from '../../src/stages/execute.js'

const fleet = (opts: { dkp?: string; kubernetes?: string; clusters: string[]; management?: string[] }) =>
  `${[
    'apiVersion: dkp-fleet/v1',
    'kind: Fleet',
    'target:',
    `  dkp: ${opts.dkp ?? 'v2.8.1'}`,
    ...(opts.kubernetes === '' ? [] : [`  kubernetes: ${opts.kubernetes ?? '1.28.7'}`]),
    'management:',
    '  name: mgmt',
    ...(opts.management ?? ['  provider: aws']),
    'workspaces:',
    '  - name: team-a',
    opts.clusters.length > 0 ? 'clusters:' : 'clusters: []',
    ...opts.clusters,
  ].join('\n')}\n`
const parse = (text: string) => parseInventory([{ path: 'f.yaml', content: text }])

describe('the provider table is keyed on the target product and version', () => {
  it('DKP up to 2.8, NKP from 2.12', () => {
    expect(productOf('v2.2.0')).toBe('dkp')
    expect(productOf('v2.8.3')).toBe('dkp')
    expect(productOf('v2.12.0')).toBe('nkp')
    expect(productOf('2.14.1')).toBe('nkp')
  })

  it('lists per DKP minor: 2.2 aws/azure/preprovisioned (C), 2.3 + eks, vsphere (C), 2.4–2.8 + gcp (I)', () => {
    expect(konvoyProviders('v2.2.3')).toMatchObject({
      providers: ['aws', 'azure', 'preprovisioned'],
      confidence: 'C',
    })
    expect(konvoyProviders('v2.3.1')).toMatchObject({
      providers: ['aws', 'azure', 'eks', 'preprovisioned', 'vsphere'],
      confidence: 'C',
    })
    for (const minor of ['2.4', '2.5', '2.6', '2.7', '2.8'])
      expect(konvoyProviders(`v${minor}.0`)).toMatchObject({
        providers: ['aws', 'azure', 'eks', 'gcp', 'preprovisioned', 'vsphere'],
        confidence: 'I',
      })
    // NKP: the 2.13.3 help's list (3P) plus nutanix (nkp upgrade cluster nutanix)
    expect(konvoyProviders('v2.13.3')).toMatchObject({ product: 'nkp', confidence: '3P' })
    expect(konvoyProviders('v2.13.3')!.providers).toEqual(
      expect.arrayContaining(['aks', 'nutanix', 'vcd', 'vsphere']),
    )
    expect(konvoyProviders('v2.18.0')).toBeUndefined() // not in the table
    // No DKP line lists aks.
    expect(KONVOY_PROVIDERS.some((l) => l.product === 'dkp' && l.providers.includes('aks'))).toBe(false)
  })

  it('aks is upgraded outside dkp in every DKP 2.x release, not in NKP (2.13+ has an aks provider)', () => {
    for (const t of ['v2.2.0', 'v2.3.3', 'v2.8.1']) expect(upgradedOutsideDkp('aks', t)?.provider).toBe('aks')
    expect(upgradedOutsideDkp('aks', 'v2.13.0')).toBeUndefined()
    for (const p of ['aws', 'azure', 'eks', 'gcp', 'preprovisioned', 'vsphere'])
      expect(upgradedOutsideDkp(p, 'v2.8.1')).toBeUndefined()
    const rule = upgradedOutsideDkp('aks', 'v2.8.1')!
    expect(rule.command('aks-1', '1.28.7')).toBe(
      'az aks upgrade --resource-group <resource group> --name <AKS name of aks-1> --kubernetes-version <a 1.28 version from az aks get-upgrades>',
    )
    expect(rule.docs).toMatch(/^https:\/\/learn\.microsoft\.com\//)
  })
})

describe('an AKS cluster in a DKP 2.x fleet is planned like an attached one', () => {
  const text = fleet({
    clusters: [
      '  - { name: c1, workspace: team-a, provider: aws }',
      '  - name: aks-1', // 13
      '    workspace: team-a',
      '    provider: aks',
      '    wave: 2', // 16
      '    nodepools: [aks-1-np-0]', // 17
      '  - { name: att, workspace: team-a, attached: true }',
    ],
  })
  const { inventory, warnings } = parse(text)

  it('the inventory holds it as attached, keeping its provider; its Konvoy fields are ignored with a warning', () => {
    const aks = inventory.clusters.find((c) => c.name === 'aks-1') as AttachedCluster
    expect(aks).toEqual({
      name: 'aks-1',
      workspace: 'team-a',
      attached: true,
      provider: 'aks',
      source: { file: 'f.yaml', line: 13, col: 5 },
    })
    expect(warnings.map((w) => [`${w.source?.line}:${w.source?.col}`, w.path, w.message])).toEqual([
      ['17:16', 'clusters[1].nodepools', expect.stringMatching(/^ignored: dkp v2\.8\.1 has no aks provider/)],
      [
        '16:11',
        'clusters[1].wave',
        "ignored: dkp v2.8.1 has no aks provider for upgrade addons or update controlplane|nodepool (DKP 2.x; NKP 2.13+ has one), so this cluster is planned like an attached one (its provider's tool upgrades its Kubernetes)",
      ],
    ])
    expect(inventory.clusters.filter(isManaged).map((c) => c.name)).toEqual(['c1'])
  })

  it('the plan has no dkp step for it and reports its gap with the Azure command', () => {
    const plan = buildPlan(inventory, { live: { kubernetes: { 'aks-1': '1.27.9', att: '1.27.3' } } })
    expect(plan.steps.filter((s) => s.cluster === 'aks-1')).toEqual([])
    expect(plan.matrix.include.map((e) => e.cluster)).toEqual(['c1'])
    const [aks, att] = plan.attached
    expect(aks).toEqual({
      cluster: 'aks-1',
      workspace: 'team-a',
      provider: 'aks',
      note: expect.stringContaining(
        'aks: dkp v2.8.1 has no aks provider for upgrade addons or update controlplane|nodepool (DKP 2.x; NKP 2.13+ has one); planned like an attached cluster',
      ),
      upgrade:
        'az aks upgrade --resource-group <resource group> --name <AKS name of aks-1> --kubernetes-version <a 1.28 version from az aks get-upgrades>',
      kubernetes: '1.27.9',
      gap: 'runs 1.27.9; the managed fleet moves to 1.28.7: upgrade it outside DKP with `az aks upgrade --resource-group <resource group> --name <AKS name of aks-1> --kubernetes-version <a 1.28 version from az aks get-upgrades>`',
    })
    // A plain attached cluster keeps the generic note and no command.
    expect(att).toMatchObject({ cluster: 'att', kubernetes: '1.27.3' })
    expect(att).not.toHaveProperty('upgrade')
    expect(att).not.toHaveProperty('provider')
    expect(JSON.parse(planJson(plan)).attached[0].upgrade).toBe(aks!.upgrade)
  })

  it('the text and Markdown plans show the provider command, saying dkp-fleet does not run it', () => {
    const plan = buildPlan(inventory)
    const out = renderPlan(plan)
    expect(out).toContain(
      'aks-1    team-a     ?           aks, no dkp command: upgrade outside DKP, after Kommander',
    )
    expect(out).toContain(
      "Their providers' own upgrade commands (dkp-fleet runs none of them; run after Kommander):\n  aks-1: az aks upgrade --resource-group <resource group>",
    )
    const md = planSummary(plan)
    expect(md).toContain('upgrade with (not run by dkp-fleet)')
    expect(md).toContain('az aks upgrade --resource-group &lt;resource group&gt;')
    expect(md).toContain('> aks: dkp v2.8.1 has no aks provider')
  })

  it('the same cluster as managed would have had core-addons and kubernetes steps (the rule is what changes it)', () => {
    const azure = buildPlan(parse(text.replace('provider: aks', 'provider: azure')).inventory)
    expect(azure.steps.filter((s) => s.cluster === 'aks-1').map((s) => s.stage)).toEqual([
      'core-addons',
      'kubernetes',
    ])
  })

  it('a Konvoy stage run on it is refused as bad input, pointing at the plan for the command', () => {
    expect(() => resolveCluster('kubernetes', inventory, 'aks-1')).toThrow(
      'cluster aks-1 (aks) is planned like an attached cluster: dkp v2.8.1 has no aks provider, so DKP does not run kubernetes on it',
    )
    expect(resolveCluster('kubernetes', inventory, 'c1')).toBe('c1')
  })

  it('an AKS management cluster is an error (it cannot be attached)', () => {
    expect(() => parse(fleet({ management: ['  provider: aks'], clusters: [] }))).toThrow(
      /f\.yaml:8:13: management\.provider: dkp v2\.8\.1 has no aks provider/,
    )
  })
})

describe('a provider the target dkp does not list is warned about, not refused', () => {
  const providerWarnings = (dkp: string, kubernetes: string, provider: string, extra = '') =>
    parse(
      fleet({
        dkp,
        kubernetes,
        clusters: [`  - { name: c1, workspace: team-a, provider: ${provider}${extra} }`],
      }),
    ).warnings.filter((w) => w.path?.endsWith('.provider'))

  it('eks in DKP 2.2 (C: 2.2.3 CLI), gcp in 2.3 (C: 2.3.x CLI), nutanix in 2.8 (I)', () => {
    expect(providerWarnings('v2.2.3', '1.22.8', 'eks')).toEqual([
      {
        source: { file: 'f.yaml', line: 12, col: 46 },
        path: 'clusters[0].provider',
        message:
          'dkp v2.2.3 lists these providers for upgrade addons and update controlplane|nodepool: aws, azure, preprovisioned (dkp 2.2.3 CLI help); eks is not among them, so the Konvoy stages of this cluster fail if this dkp lacks it',
      },
    ])
    expect(providerWarnings('v2.3.2', '1.23.7', 'gcp').map((w) => w.message)).toEqual([
      expect.stringContaining('dkp v2.3.2 lists these providers'),
    ])
    expect(providerWarnings('v2.8.1', '1.28.7', 'nutanix').map((w) => w.message)).toEqual([
      expect.stringContaining('dkp v2.8.1 likely lists these providers'),
    ])
  })

  it('nothing for a listed provider', () => {
    expect(providerWarnings('v2.3.2', '1.23.7', 'eks')).toEqual([])
    expect(providerWarnings('v2.8.1', '1.28.7', 'gcp')).toEqual([])
    expect(
      providerWarnings('v2.8.1', '1.28.7', 'vsphere', ', controlPlane: { args: { vm-template: t } }'),
    ).toEqual([])
  })
})

describe('node images are built per Kubernetes version', () => {
  it('an AWS cluster pinning an AMI gets one warning naming where and the target Kubernetes', () => {
    const { warnings } = parse(
      fleet({
        kubernetes: '',
        management: ['  provider: aws', '  nodepools: [{ name: mgmt-md-0, args: { ami: ami-9 } }]'],
        clusters: [
          '  - name: c1', // 12
          '    workspace: team-a',
          '    provider: aws',
          '    nodepools: [c1-md-0, { name: gpu, args: { ami: ami-1, instance-type: p3.2xlarge } }]', // 15
          '    controlPlane: { args: { ami: ami-1 } }', // 16
          '  - { name: c2, workspace: team-a, provider: aws, nodepools: [{ name: c2-md-0, args: { instance-type: m5.xlarge } }] }',
          '  - { name: e1, workspace: team-a, provider: eks, nodepools: [{ name: e1-md-0, args: { instance-type: m5.xlarge } }] }',
        ],
      }),
    )
    const ami = warnings.filter((w) => w.path?.endsWith('.ami'))
    expect(ami.map((w) => [`${w.source?.line}:${w.source?.col}`, w.path, w.message])).toEqual([
      [
        '8:42',
        'management.nodepools[0].args.ami',
        'pins an AMI for node pool mgmt-md-0: an AMI is built for one Kubernetes version, so each must be built for Kubernetes 1.28.7 (Konvoy Image Builder) before the kubernetes stage runs',
      ],
      [
        '16:29',
        'clusters[0].controlPlane.args.ami',
        expect.stringContaining('pins an AMI for the control plane, node pool gpu: an AMI is built for one'),
      ],
    ])
    // The inventory target had no kubernetes: the message used the release default.
    expect(dkpMinor('v2.8.1')?.kubernetes).toBe('1.28.7')
  })

  it('vSphere pools use the control plane template unless they name their own', () => {
    const cp = { 'vm-template': 'ubuntu-kube-v1.28.7', cpus: '4' }
    expect(nodePoolArgs('vsphere', cp, {})).toEqual({ 'vm-template': 'ubuntu-kube-v1.28.7' })
    expect(nodePoolArgs('vsphere', cp, { memory: '32768' })).toEqual({
      memory: '32768',
      'vm-template': 'ubuntu-kube-v1.28.7',
    })
    expect(nodePoolArgs('vsphere', cp, { 'vm-template': 'gpu-kube-v1.28.7' })).toEqual({
      'vm-template': 'gpu-kube-v1.28.7',
    })
    // Only vSphere inherits; nothing to inherit without a control plane template.
    expect(nodePoolArgs('aws', { ami: 'ami-1' }, {})).toEqual({})
    expect(nodePoolArgs('vsphere', {}, { cpus: '2' })).toEqual({ cpus: '2' })
  })
})

describe('management.capiComponents.args', () => {
  it('are passed to dkp upgrade capi-components as flags', () => {
    const { inventory } = parse(
      fleet({
        management: [
          '  provider: aws',
          '  capiComponents: { args: { with-aws-bootstrap-credentials: true, timeout: 20m } }',
        ],
        clusters: [],
      }),
    )
    expect(inventory.management.capiComponents.args).toEqual({
      'with-aws-bootstrap-credentials': 'true',
      timeout: '20m',
    })
    expect(capiComponentsCommand(inventory).args).toEqual([
      'upgrade',
      'capi-components',
      '--with-aws-bootstrap-credentials=true',
      '--timeout=20m',
    ])
    const bare = parse(fleet({ clusters: [] })).inventory
    expect(capiComponentsCommand(bare).args).toEqual(['upgrade', 'capi-components'])
  })
})

describe('inferred Kubernetes defaults stay marked as inferred', () => {
  it('the version table: 2.1–2.3 from docs and release notes, 2.4–2.8 and NKP 2.12–2.16 inferred, NKP 2.17 third party', () => {
    expect(DKP_MINORS.filter((m) => m.provenance === 'C').map((m) => m.minor)).toEqual(['2.1', '2.2', '2.3'])
    expect(DKP_MINORS.filter((m) => m.provenance === '3P').map((m) => m.minor)).toEqual(['2.17'])
    expect(DKP_MINORS.filter((m) => m.inferred).map((m) => m.minor)).toEqual([
      '2.4',
      '2.5',
      '2.6',
      '2.7',
      '2.8',
      '2.12',
      '2.13',
      '2.14',
      '2.15',
      '2.16',
    ])
  })

  const unpinned = parse(fleet({ kubernetes: '', clusters: [] })).inventory
  const pinned = parse(fleet({ kubernetes: '1.28.7', clusters: [] })).inventory

  it('the plan marks a target Kubernetes taken from an inferred row, in JSON, text and Markdown', () => {
    const plan = buildPlan(unpinned)
    expect(plan.target).toEqual({ dkp: 'v2.8.1', kubernetes: '1.28.7' })
    expect(plan.kubernetesInferred).toBe(true)
    expect(JSON.parse(planJson(plan)).kubernetesInferred).toBe(true)
    expect(renderPlan(plan).split('\n')[0]).toBe(
      'Fleet mgmt: upgrade to DKP v2.8.1, Kubernetes 1.28.7 (inferred default of the release, not from release notes: set target.kubernetes to pin it)',
    )
    expect(planSummary(plan)).toContain(
      '| 1.28.7 (inferred default of the release, not from release notes: set target.kubernetes to pin it) |',
    )
  })

  it('no mark when the version is pinned (inventory or --target-kubernetes) or the row is confirmed', () => {
    expect(buildPlan(pinned).kubernetesInferred).toBeUndefined()
    expect(buildPlan(unpinned, { targetKubernetes: '1.28.7' }).kubernetesInferred).toBeUndefined()
    expect(renderPlan(buildPlan(pinned)).split('\n')[0]).toBe(
      'Fleet mgmt: upgrade to DKP v2.8.1, Kubernetes 1.28.7',
    )
    const v23 = parse(fleet({ dkp: 'v2.3.2', kubernetes: '', clusters: [] })).inventory
    expect(buildPlan(v23).kubernetesInferred).toBeUndefined()
  })

  it('a --target of another minor drops the pinned version for that release default: marked again', () => {
    const plan = buildPlan(pinned, { targetDkp: 'v2.7.1' })
    expect(plan.target.kubernetes).toBe('1.27.6')
    expect(plan.kubernetesInferred).toBe(true)
  })

  it('the mark is not part of the digest (the commands are the same)', () => {
    expect(buildPlan(unpinned).digest).toBe(buildPlan(pinned).digest)
  })
})
