// Bad inventories, table-driven. Each case lists EVERY problem parseInventory must report for
// its files, in order: file:line:col, field path and a fragment of the message. Comparing the
// whole list checks that all problems are reported at once and that no spurious follow-up
// errors appear (a value the schema rejected is not complained about a second time).

import { describe, expect, it } from 'vitest'
import { formatProblem, InputError, type InputProblem } from '../../src/core/errors.js'
import { MAX_FILE_BYTES, parseInventory } from '../../src/core/inventory.js'

/** [file:line:col, field path (undefined when the problem has none), message fragment] */
type Expected = [at: string, path: string | undefined, fragment: string]

interface Case {
  name: string
  /** One file (fleet.yaml) or several, in load order. */
  files: string | Uint8Array | Record<string, string | Uint8Array>
  expect: Expected[]
}

const F = 'fleet.yaml'

// Lines 1-10 of most cases; `clusters:` follows on line 11, the first cluster on line 12.
const HEAD = [
  'apiVersion: dkp-fleet/v1', //  1
  'kind: Fleet', //  2
  'target:', //  3
  '  dkp: v2.8.1', //  4
  '  kubernetes: 1.28.7', //  5
  'management:', //  6
  '  name: mgmt', //  7
  '  provider: aws', //  8
  'workspaces:', //  9
  '  - name: team-a', // 10
]
const text = (lines: string[]) => `${lines.join('\n')}\n`
/** HEAD followed by more lines (line 11 onwards). */
const fleet = (...more: string[]) => text([...HEAD, ...more])
/** HEAD + `clusters:` (line 11) + cluster lines from line 12. */
const withClusters = (...lines: string[]) => fleet('clusters:', ...lines)
/** HEAD with some of its lines (1-based) replaced, then more lines. */
const edit = (changes: Record<number, string>, ...more: string[]) =>
  text([...HEAD.map((l, i) => changes[i + 1] ?? l), ...more])
/** A document that only adds clusters (for second files and documents). */
const clustersDoc = (...lines: string[]) =>
  text(['apiVersion: dkp-fleet/v1', 'kind: Fleet', 'clusters:', ...lines])
const c1 = ['  - name: c1', '    workspace: team-a', '    provider: aws'] // lines 12-14 after withClusters

const DNS = 'must be a lowercase DNS label'

const CASES: Case[] = [
  // ---- args that would redirect dkp ----
  {
    name: 'args may not set flags dkp-fleet sets itself (kubeconfig, context, cluster-name, ...)',
    files: withClusters(
      '  - name: c1',
      '    workspace: team-a',
      '    provider: aws',
      '    controlPlane: { args: { context: other, ami: ami-1 } }',
      '    nodepools: [{ name: c1-md-0, args: { kubernetes-version: v1.30.0 } }]',
    ),
    expect: [
      [`${F}:15:29`, 'clusters[0].controlPlane.args.context', '--context is set by dkp-fleet itself'],
      [
        `${F}:16:42`,
        'clusters[0].nodepools[0].args.kubernetes-version',
        '--kubernetes-version is set by dkp-fleet itself',
      ],
    ],
  },
  // ---- wrong types ----
  {
    name: 'target.dkp written as a number',
    files: edit({ 4: '  dkp: 2.8' }),
    expect: [[`${F}:4:8`, 'target.dkp', 'must be a string, not number 2.8 (quote it: "2.8")']],
  },
  {
    name: 'an app version YAML reads as a number: the hint quotes what was written',
    files: fleet('    apps:', '      - { name: kafka, version: 1.10 }'),
    expect: [
      [`${F}:12:33`, 'workspaces[0].apps[0].version', 'must be a string, not number 1.1 (quote it: "1.10")'],
    ],
  },
  {
    name: 'rollout.maxParallel is a string',
    files: fleet('rollout:', '  maxParallel: "5"'),
    expect: [[`${F}:12:16`, 'rollout.maxParallel', 'must be an integer, not string "5"']],
  },
  {
    name: 'canary: yes is a string in YAML 1.2',
    files: withClusters(...c1, '    canary: yes'),
    expect: [[`${F}:15:13`, 'clusters[0].canary', 'must be a boolean, not string "yes"']],
  },
  {
    name: 'wave is not an integer',
    files: withClusters(...c1, '    wave: 1.5'),
    expect: [[`${F}:15:11`, 'clusters[0].wave', 'must be an integer, not number 1.5']],
  },
  {
    name: 'nodepools is a string, not a list',
    files: withClusters(...c1, '    nodepools: md-0'),
    expect: [[`${F}:15:16`, 'clusters[0].nodepools', 'must be an array, not string "md-0"']],
  },
  {
    name: 'workspaces is a string, not a list',
    files: edit({ 9: 'workspaces: team-a', 10: '# (no list)' }),
    expect: [[`${F}:9:13`, 'workspaces', 'must be an array, not string "team-a"']],
  },
  {
    name: 'cluster name is a number',
    files: withClusters('  - name: 123', '    workspace: team-a', '    provider: aws'),
    expect: [[`${F}:12:11`, 'clusters[0].name', 'must be a string, not number 123 (quote it: "123")']],
  },
  {
    name: 'management is a list, not a mapping (and is not then reported missing)',
    files: edit({ 6: 'management: [mgmt, aws]', 7: '#', 8: '#' }),
    expect: [[`${F}:6:13`, 'management', 'must be an object, not a list']],
  },
  {
    name: 'a cluster entry is a plain string',
    files: withClusters('  - c1'),
    expect: [[`${F}:12:5`, 'clusters[0]', 'must be an object, not string "c1"']],
  },
  {
    name: 'backup.enabled is a string',
    files: fleet('backup:', '  enabled: "no"', '  reason: test'),
    expect: [[`${F}:12:12`, 'backup.enabled', 'must be a boolean, not string "no"']],
  },

  // ---- missing required fields ----
  {
    name: 'target without dkp',
    files: edit({ 4: '  kubernetes: 1.28.7', 5: '#' }),
    expect: [
      [
        `${F}:4:3`,
        'target',
        'target.dkp or target.nkp is required (target.nkp for NKP 2.12+, target.dkp for DKP 2.x)',
      ],
    ],
  },
  {
    name: 'target with both dkp and nkp',
    files: edit({ 5: '  nkp: v2.12.0' }),
    expect: [
      [
        `${F}:5:8`,
        'target.nkp',
        'target.dkp and target.nkp are both given: name exactly one release (target.nkp for NKP 2.12+, target.dkp for DKP 2.x)',
      ],
    ],
  },
  {
    name: 'an NKP release under target.dkp names the spelling to use',
    files: edit({ 4: '  dkp: v2.13.1', 5: '#' }),
    expect: [
      [
        `${F}:4:8`,
        'target.dkp',
        'v2.13.1 is an NKP release (DKP was renamed NKP from 2.12): write target.nkp: v2.13.1',
      ],
    ],
  },
  {
    name: 'management without provider',
    files: edit({ 8: '#' }),
    expect: [[`${F}:7:3`, 'management.provider', 'required field is missing']],
  },
  {
    name: 'cluster without name and workspace: both reported',
    files: withClusters('  - provider: aws'),
    expect: [
      [`${F}:12:5`, 'clusters[0].name', 'required field is missing'],
      [`${F}:12:5`, 'clusters[0].workspace', 'required field is missing'],
    ],
  },
  {
    name: 'app without version',
    files: fleet('    apps:', '      - name: kafka'),
    expect: [[`${F}:12:9`, 'workspaces[0].apps[0].version', 'required field is missing']],
  },
  {
    name: 'apiVersion and kind missing',
    files: edit({ 1: '#', 2: '#' }),
    expect: [
      [`${F}:3:1`, 'apiVersion', 'required field is missing'],
      [`${F}:3:1`, 'kind', 'required field is missing'],
    ],
  },
  {
    name: 'a null cluster name',
    files: withClusters('  - name:', '    workspace: team-a', '    provider: aws'),
    expect: [[`${F}:12:10`, 'clusters[0].name', 'must be a string, not null']],
  },

  // ---- unknown fields ----
  {
    name: 'misspelt cluster field: did you mean, and the missing provider',
    files: withClusters('  - name: c1', '    workspace: team-a', '    provder: aws'),
    expect: [
      [`${F}:12:5`, 'clusters[0].provider', 'required for a managed cluster'],
      [`${F}:14:5`, 'clusters[0].provder', 'unknown field (did you mean "provider"?)'],
    ],
  },
  {
    name: 'misspelt top-level key',
    files: fleet('cluster:', ...c1),
    expect: [[`${F}:11:1`, 'cluster', 'unknown field (did you mean "clusters"?); allowed: apiVersion, kind']],
  },
  {
    name: 'misspelt management field',
    files: edit({ 9: '  namspace: kube-system', 10: '#' }),
    expect: [[`${F}:9:3`, 'management.namspace', 'unknown field (did you mean "namespace"?)']],
  },
  {
    name: 'unknown field with nothing close: no suggestion, the allowed keys listed',
    files: edit({ 5: '  colour: blue' }),
    expect: [[`${F}:5:3`, 'target.colour', 'unknown field; allowed: dkp, nkp, kubernetes']],
  },
  {
    name: 'misspelt window field inside a cluster',
    files: withClusters(...c1, '    window: { start: "01:00", end: "03:00", timezon: UTC }'),
    expect: [[`${F}:15:45`, 'clusters[0].window.timezon', 'did you mean "timezone"?']],
  },

  // ---- apiVersion / kind ----
  {
    name: 'wrong apiVersion and kind',
    files: edit({ 1: 'apiVersion: dkp-fleet/v2', 2: 'kind: Flet' }),
    expect: [
      [`${F}:1:13`, 'apiVersion', 'must be "dkp-fleet/v1"'],
      [`${F}:2:7`, 'kind', 'must be "Fleet"'],
    ],
  },

  // ---- versions ----
  {
    name: 'target.dkp "2.8" (no patch)',
    files: edit({ 4: '  dkp: "2.8"' }),
    expect: [[`${F}:4:8`, 'target.dkp', 'must be a DKP version like v2.8.1 (got "2.8")']],
  },
  {
    name: 'target.dkp v2.8 (no patch)',
    files: edit({ 4: '  dkp: v2.8' }),
    expect: [[`${F}:4:8`, 'target.dkp', 'must be a DKP version like v2.8.1 (got "v2.8")']],
  },
  {
    name: 'target.kubernetes "1.28" (no patch)',
    files: edit({ 5: '  kubernetes: "1.28"' }),
    expect: [[`${F}:5:15`, 'target.kubernetes', 'must be a Kubernetes version like 1.28.7']],
  },
  {
    name: 'unknown DKP release without target.kubernetes',
    files: edit({ 4: '  dkp: v2.9.0', 5: '#' }),
    expect: [
      [`${F}:4:8`, 'target.dkp', 'DKP v2.9.0 is not in the built-in release table; set target.kubernetes'],
    ],
  },
  {
    name: 'target.kubernetes newer than the release supports',
    files: edit({ 5: '  kubernetes: 1.29.1' }),
    expect: [
      [
        `${F}:5:15`,
        'target.kubernetes',
        'Kubernetes 1.29.1 is newer than DKP v2.8.1 supports (up to 1.28.x)',
      ],
    ],
  },
  {
    name: 'target.kubernetes older than the release supports',
    files: edit({ 5: '  kubernetes: 1.25.3' }),
    expect: [[`${F}:5:15`, 'target.kubernetes', 'older than DKP v2.8.1 supports (from 1.26)']],
  },
  {
    name: 'an NKP release as target',
    files: edit({ 4: '  dkp: v2.12.0', 5: '#' }),
    expect: [[`${F}:4:8`, 'target.dkp', 'NKP release']],
  },
  {
    name: 'bad catalog app version',
    files: fleet('    apps:', '      - { name: kafka, version: "1.0 beta" }'),
    expect: [
      [`${F}:12:33`, 'workspaces[0].apps[0].version', 'must be a version like 0.25.1 (got "1.0 beta")'],
    ],
  },

  {
    name: 'catalog app versions that are not versions: latest, a word, empty, two parts (all at once)',
    files: fleet(
      '    apps:', // 11
      '      - { name: kafka-operator, version: latest }', // 12
      '      - { name: gitlab-runner, version: stable }', // 13
      '      - { name: jenkins, version: "" }', // 14
      '      - { name: zk, version: "0.2" }', // 15
      '      - { name: ok-1, version: 0.2.16-dkp.1 }', // 16
      '      - { name: ok-2, version: 0.23.0-dev.0 }', // 17
      '    projects:', // 18
      '      - name: p', // 19
      '        apps: [{ name: kafka-operator, version: newest }]', // 20
    ),
    expect: [
      [`${F}:12:42`, 'workspaces[0].apps[0].version', '"latest" is not a version: give the catalog version'],
      [`${F}:13:41`, 'workspaces[0].apps[1].version', '"stable" is not a version'],
      [`${F}:14:35`, 'workspaces[0].apps[2].version', 'must be a version like 0.25.1 (got "")'],
      [`${F}:15:30`, 'workspaces[0].apps[3].version', '"0.2" is not a version'],
      [`${F}:20:49`, 'workspaces[0].projects[0].apps[0].version', '"newest" is not a version'],
    ],
  },

  // ---- provider facts (reference/dkp.md §2) ----
  {
    name: 'a vsphere cluster without vm-template, wherever its control plane is (or is not) written',
    files: edit(
      { 8: '  provider: vsphere' }, // the management cluster: no controlPlane at all
      'clusters:', // 11
      '  - { name: c1, workspace: team-a, provider: vsphere }', // 12
      '  - { name: c2, workspace: team-a, provider: vsphere, controlPlane: { args: { cpus: 4 } } }', // 13
      '  - name: c3', // 14
      '    workspace: team-a', // 15
      '    provider: vsphere', // 16
      '    controlPlane: {}', // 17
      '    nodepools: [{ name: c3-md-0, args: { vm-template: pool-only } }]', // 18
      '  - { name: c4, workspace: team-a, provider: vsphere, controlPlane: { args: { vm-template: [a, b] } } }', // 19
      '  - { name: c5, workspace: team-a, provider: vsphere, controlPlane: { args: { vm-template: t-1.28.7 } } }', // 20
    ),
    expect: [
      [
        `${F}:7:3`,
        'management.controlPlane.args.vm-template',
        'required for a vsphere cluster: vSphere node templates are built per Kubernetes version; name the template built for Kubernetes 1.28.7',
      ],
      [`${F}:12:5`, 'clusters[0].controlPlane.args.vm-template', 'required for a vsphere cluster'],
      [`${F}:13:77`, 'clusters[1].controlPlane.args.vm-template', 'required for a vsphere cluster'],
      [`${F}:17:19`, 'clusters[2].controlPlane.args.vm-template', 'required for a vsphere cluster'],
      [`${F}:19:92`, 'clusters[3].controlPlane.args.vm-template', 'must name one VM template'],
    ],
  },
  {
    name: 'an aks management cluster in a DKP 2.x fleet cannot be planned like an attached one',
    files: edit({ 8: '  provider: aks' }),
    expect: [
      [
        `${F}:8:13`,
        'management.provider',
        'dkp v2.8.1 has no aks provider for upgrade addons or update controlplane|nodepool (DKP 2.x; NKP 2.13+ has one): a management cluster cannot be planned like an attached one',
      ],
    ],
  },
  {
    name: 'management.capiComponents.args: the refused flags, an unknown key beside args',
    files: edit(
      {
        9: '  capiComponents:',
        10: '    args: { kubeconfig: /tmp/x, with-aws-bootstrap-credentials: true }',
      },
      '    wait: false', // 11
    ),
    expect: [
      [`${F}:10:13`, 'management.capiComponents.args.kubeconfig', '--kubeconfig is set by dkp-fleet itself'],
      [`${F}:11:5`, 'management.capiComponents.wait', 'unknown field; allowed: args'],
    ],
  },

  // ---- duplicates ----
  {
    name: 'a cluster name used in two files names both places',
    files: {
      'a.yaml': withClusters(...c1),
      'b.yaml': clustersDoc('  - name: c2', '    workspace: team-a', '    provider: aws', ...c1),
    },
    expect: [
      [
        'b.yaml:7:11',
        'clusters[1].name',
        'cluster name "c1" is already used by another cluster at a.yaml:12:5',
      ],
    ],
  },
  {
    name: 'a cluster name used twice in one file',
    files: withClusters(...c1, '  - { name: c1, workspace: team-a, provider: gcp }'),
    expect: [[`${F}:15:13`, 'clusters[1].name', 'already used by another cluster at fleet.yaml:12:5']],
  },
  {
    name: 'a workspace defined twice (in two files)',
    files: {
      'a.yaml': fleet(),
      'b.yaml': text(['apiVersion: dkp-fleet/v1', 'kind: Fleet', 'workspaces:', '  - name: team-a']),
    },
    expect: [
      ['b.yaml:4:11', 'workspaces[0].name', 'workspace "team-a" is defined twice (also at a.yaml:10:5)'],
    ],
  },
  {
    name: 'a project defined twice in one workspace',
    files: fleet('    projects:', '      - name: payments', '      - name: payments'),
    expect: [
      [
        `${F}:13:15`,
        'workspaces[0].projects[1].name',
        'project "payments" is defined twice in workspace "team-a" (also at fleet.yaml:12:9)',
      ],
    ],
  },
  {
    name: 'an app listed twice in a workspace and twice in a project',
    files: fleet(
      '    apps:',
      '      - { name: kafka, version: 1.0.0 }',
      '      - { name: kafka, version: 1.0.1 }',
      '    projects:',
      '      - name: p',
      '        apps:',
      '          - { name: zk, version: 0.2.16 }',
      '          - { name: zk, version: 0.2.16 }',
    ),
    expect: [
      [`${F}:13:9`, 'workspaces[0].apps[1].name', 'app "kafka" is listed twice (also at fleet.yaml:12:9)'],
      [
        `${F}:18:13`,
        'workspaces[0].projects[0].apps[1].name',
        'app "zk" is listed twice (also at fleet.yaml:17:13)',
      ],
    ],
  },
  {
    name: 'a cluster named like the management cluster',
    files: withClusters('  - name: mgmt', '    workspace: team-a', '    provider: aws'),
    expect: [[`${F}:12:11`, 'clusters[0].name', 'already used by the management cluster at fleet.yaml:7:3']],
  },

  // ---- references ----
  {
    name: 'unknown workspace with a suggestion',
    files: withClusters('  - name: c1', '    workspace: tema-a', '    provider: aws'),
    expect: [
      [
        `${F}:13:16`,
        'clusters[0].workspace',
        'unknown workspace "tema-a" (did you mean "team-a"?); defined workspaces: team-a',
      ],
    ],
  },
  {
    name: 'unknown workspace, nothing close',
    files: withClusters('  - name: c1', '    workspace: payments', '    provider: aws'),
    expect: [
      [`${F}:13:16`, 'clusters[0].workspace', 'unknown workspace "payments"; defined workspaces: team-a'],
    ],
  },
  {
    name: 'workspaces defined in another file are known (and suggested)',
    files: {
      'a.yaml': edit(
        { 9: '#', 10: '#' },
        'clusters:',
        ...c1,
        '  - { name: c2, workspace: team-z, provider: aws }',
      ),
      'b.yaml': text(['apiVersion: dkp-fleet/v1', 'kind: Fleet', 'workspaces:', '  - name: team-a']),
    },
    expect: [
      [
        'a.yaml:15:28',
        'clusters[1].workspace',
        'unknown workspace "team-z" (did you mean "team-a"?); defined workspaces: team-a',
      ],
    ],
  },

  // ---- attached / managed clusters ----
  {
    name: 'an attached cluster given node pools, wave, canary, window, namespace and controlPlane',
    files: withClusters(
      '  - name: edge-7',
      '    workspace: team-a',
      '    attached: true',
      '    nodepools: [md-0]',
      '    wave: 2',
      '    canary: true',
      '    window: { start: "01:00", end: "02:00" }',
      '    namespace: team-a',
      '    controlPlane: { args: { ami: ami-1 } }',
    ),
    expect: [
      [`${F}:15:16`, 'clusters[0].nodepools', 'an attached cluster has no nodepools'],
      [`${F}:16:11`, 'clusters[0].wave', 'an attached cluster has no wave'],
      [`${F}:17:13`, 'clusters[0].canary', 'an attached cluster has no canary'],
      [`${F}:18:13`, 'clusters[0].window', 'an attached cluster has no window'],
      [`${F}:19:16`, 'clusters[0].namespace', 'an attached cluster has no namespace'],
      [`${F}:20:19`, 'clusters[0].controlPlane', 'an attached cluster has no controlPlane'],
    ],
  },
  {
    name: 'a managed cluster without provider',
    files: withClusters('  - name: c1', '    workspace: team-a'),
    expect: [[`${F}:12:5`, 'clusters[0].provider', 'required for a managed cluster (or set attached: true)']],
  },
  {
    name: 'an unsupported provider',
    files: withClusters('  - name: c1', '    workspace: team-a', '    provider: openstack'),
    expect: [[`${F}:14:15`, 'clusters[0].provider', 'must be one of: aws, azure']],
  },
  {
    name: 'wave 0 (the canary wave)',
    files: withClusters(...c1, '    wave: 0'),
    expect: [
      [
        `${F}:15:11`,
        'clusters[0].wave',
        'must be 1 or more (wave 0 is the canary wave: set canary: true instead)',
      ],
    ],
  },
  {
    name: 'a node pool name reused by two clusters in one namespace',
    files: withClusters(
      '  - { name: c1, workspace: team-a, provider: aws, nodepools: [md-0] }',
      '  - { name: c2, workspace: team-a, provider: aws, nodepools: [md-1, md-0] }',
    ),
    expect: [
      [
        `${F}:13:69`,
        'clusters[1].nodepools[1]',
        'node pool "md-0" is also a node pool of cluster "c1" in the same namespace',
      ],
    ],
  },
  {
    name: 'a node pool listed twice in one cluster (name and object form)',
    files: withClusters(
      ...c1,
      '    nodepools:',
      '      - md-0',
      '      - { name: md-0, args: { ami: ami-1 } }',
    ),
    expect: [[`${F}:17:9`, 'clusters[0].nodepools[1]', 'node pool "md-0" is listed twice']],
  },
  {
    name: 'an empty node pool list',
    files: withClusters(...c1, '    nodepools: []'),
    expect: [[`${F}:15:16`, 'clusters[0].nodepools', 'fewer than 1']],
  },

  // ---- exactly one target / management ----
  {
    name: 'two targets across files',
    files: {
      'a.yaml': fleet(),
      'b.yaml': text(['apiVersion: dkp-fleet/v1', 'kind: Fleet', 'target:', '  dkp: v2.8.0']),
    },
    expect: [['b.yaml:4:3', 'target', 'defined twice: also at a.yaml:4:3; a fleet has exactly one target']],
  },
  {
    name: 'two managements across files (and two rollouts)',
    files: {
      'a.yaml': fleet('rollout: { maxParallel: 2 }'),
      'b.yaml': text([
        'apiVersion: dkp-fleet/v1',
        'kind: Fleet',
        'management: { name: other, provider: aws }',
        'rollout: { maxParallel: 3 }',
      ]),
    },
    expect: [
      ['b.yaml:3:13', 'management', 'defined twice: also at a.yaml:7:3; a fleet has exactly one management'],
      ['b.yaml:4:10', 'rollout', 'defined twice: also at a.yaml:11:10'],
    ],
  },
  {
    name: 'neither target nor management anywhere',
    files: {
      'a.yaml': text(['apiVersion: dkp-fleet/v1', 'kind: Fleet', 'clusters: []']),
      'b.yaml': text(['apiVersion: dkp-fleet/v1', 'kind: Fleet', 'workspaces: []']),
    },
    expect: [
      ['a.yaml:1:1', 'target', 'no file defines target (exactly one is required)'],
      ['a.yaml:1:1', 'management', 'no file defines management (exactly one is required)'],
    ],
  },

  // ---- YAML itself ----
  {
    name: 'YAML syntax error: position of the error, no follow-up "no target" noise',
    files: edit({ 5: '  kubernetes: [1.28.7' }),
    expect: [[`${F}:6:1`, undefined, 'YAML syntax error']],
  },
  {
    name: 'tab indentation',
    files: withClusters('\t- name: c1'),
    expect: [[`${F}:12:1`, undefined, 'YAML syntax error: Tabs are not allowed as indentation']],
  },
  {
    name: 'a nested mapping on one line',
    files: withClusters('  - name: c1', '    workspace: team-a', '    provider: aws: eks'),
    expect: [
      [`${F}:14:15`, undefined, 'YAML syntax error: Nested mappings are not allowed in compact mappings'],
    ],
  },
  {
    name: 'an unterminated quoted string',
    files: withClusters('  - name: "c1', '    workspace: team-a'),
    expect: [[`${F}:14:1`, undefined, 'YAML syntax error: Missing closing "quote']],
  },
  {
    name: 'duplicate YAML keys',
    files: withClusters('  - name: c1', '    workspace: team-a', '    name: c2', '    provider: aws'),
    expect: [[`${F}:14:5`, undefined, 'Map keys must be unique']],
  },
  {
    name: 'non-UTF-8 bytes (a Latin-1 "é"): the position of the first bad byte',
    files: new Uint8Array([
      ...new TextEncoder().encode(withClusters('  - name: c1', '    workspace: team-')),
      0xe9,
      0x0a,
    ]),
    expect: [[`${F}:14:1`, undefined, 'not valid UTF-8 (byte offset 194)']],
  },
  {
    name: 'a document that is a list',
    files: text(['- apiVersion: dkp-fleet/v1', '- kind: Fleet']),
    expect: [[`${F}:1:1`, undefined, 'a Fleet document must be a mapping']],
  },
  {
    name: 'a document that is a scalar',
    files: text(['# just a word', 'fleet']),
    expect: [[`${F}:2:1`, undefined, 'a Fleet document must be a mapping']],
  },
  {
    name: 'a deeply nested document',
    files: fleet(`deep: ${'['.repeat(80)}${']'.repeat(80)}`),
    expect: [[`${F}:11:70`, undefined, 'document nested deeper than 64 levels']],
  },
  {
    name: 'an alias bomb',
    files: text([
      'apiVersion: dkp-fleet/v1',
      'kind: Fleet',
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
    ]),
    expect: [[`${F}:1:1`, undefined, 'cannot read document']],
  },
  {
    name: 'an empty file',
    files: '',
    expect: [[`${F}:1:1`, undefined, 'no Fleet document found']],
  },
  {
    name: 'a file with only comments',
    files: '# TODO: write the fleet\n\n',
    expect: [[`${F}:1:1`, undefined, 'no Fleet document found']],
  },
  {
    name: 'a file larger than the limit',
    files: new Uint8Array(MAX_FILE_BYTES + 1),
    expect: [[`${F}:1:1`, undefined, `inventory files are limited to ${MAX_FILE_BYTES} bytes`]],
  },
  {
    name: 'CRLF line endings keep positions right',
    files: withClusters(...c1, '    wave: x').replace(/\n/g, '\r\n'),
    expect: [[`${F}:15:11`, 'clusters[0].wave', 'must be an integer, not string "x"']],
  },

  // ---- backup, windows ----
  {
    name: 'backup disabled without a reason',
    files: fleet('backup:', '  enabled: false'),
    expect: [[`${F}:12:12`, 'backup.reason', 'required when backup.enabled is false']],
  },
  {
    name: 'backup maxAge is not a duration',
    files: fleet('backup:', '  maxAge: 1 day'),
    expect: [[`${F}:12:11`, 'backup.maxAge', 'must be a duration like 24h']],
  },
  {
    name: 'an unknown time zone',
    files: withClusters(...c1, '    window: { start: "01:00", end: "03:00", timezone: Mars/Olympus }'),
    expect: [[`${F}:15:55`, 'clusters[0].window.timezone', 'unknown time zone "Mars/Olympus"']],
  },
  {
    name: "a time zone that is not a zone name: the schema's message, never the raw pattern",
    files: withClusters(...c1, '    window: { start: "01:00", end: "03:00", timezone: "Europe Berlin" }'),
    expect: [
      [
        `${F}:15:55`,
        'clusters[0].window.timezone',
        'must be an IANA time zone name like Europe/Berlin or UTC (got "Europe Berlin")',
      ],
    ],
  },
  {
    name: 'a blank reason for turning backups off',
    files: fleet('backup:', '  enabled: false', '  reason: " "'),
    expect: [
      [`${F}:13:11`, 'backup.reason', 'must not be blank: say why this fleet upgrades without a backup'],
    ],
  },
  {
    name: 'a window whose end equals its start',
    files: withClusters(...c1, '    window: { start: "02:00", end: "02:00" }'),
    expect: [[`${F}:15:36`, 'clusters[0].window.end', 'the window is empty: end equals start']],
  },
  {
    name: 'a window with a bad day and bad times: all reported, no bogus "empty window"',
    files: withClusters(...c1, '    window: { days: [sat, funday], start: "25:00", end: "2:00" }'),
    expect: [
      [`${F}:15:27`, 'clusters[0].window.days[1]', 'must be one of: mon, tue, wed, thu, fri, sat, sun'],
      [`${F}:15:43`, 'clusters[0].window.start', 'must be a time like 02:00 (got "25:00")'],
      [`${F}:15:57`, 'clusters[0].window.end', 'must be a time like 02:00 (got "2:00")'],
    ],
  },
  {
    name: 'a window without end on the management cluster',
    files: edit({ 8: '  provider: aws', 9: '  window: { start: "01:00" }', 10: '#' }),
    expect: [[`${F}:9:11`, 'management.window.end', 'required field is missing']],
  },

  // ---- command args and names (argv and shell safety) ----
  {
    name: 'a newline in a command arg value',
    files: withClusters(...c1, '    controlPlane: { args: { ami: "ami-1\\n--force" } }'),
    expect: [[`${F}:15:34`, 'clusters[0].controlPlane.args.ami', 'must be one line (no newline']],
  },
  {
    name: 'a newline in one value of a list arg',
    files: edit({ 9: '  kommander:', 10: '    args: { charts-bundle: [a.tar.gz, "b.tar.gz\\r"] }' }),
    expect: [[`${F}:10:39`, 'management.kommander.args.charts-bundle[1]', 'must be one line']],
  },
  {
    name: 'a flag name with leading dashes',
    files: withClusters(...c1, '    controlPlane: { args: { --ami: ami-1 } }'),
    expect: [[`${F}:15:29`, 'clusters[0].controlPlane.args.--ami', 'must be a flag name without dashes']],
  },
  {
    name: 'a mapping as an arg value',
    files: withClusters(...c1, '    nodepools: [{ name: md-0, args: { ami: { id: x } } }]'),
    expect: [
      [
        `${F}:15:44`,
        'clusters[0].nodepools[0].args.ami',
        'must be a string, number, boolean or list of strings',
      ],
    ],
  },
  {
    name: 'shell metacharacters in a cluster name: a;rm -rf /',
    files: withClusters('  - name: "a;rm -rf /"', '    workspace: team-a', '    provider: aws'),
    expect: [[`${F}:12:11`, 'clusters[0].name', `${DNS}`]],
  },
  {
    name: 'a path in a cluster name: ../x',
    files: withClusters('  - name: ../x', '    workspace: team-a', '    provider: aws'),
    expect: [
      [
        `${F}:12:11`,
        'clusters[0].name',
        `${DNS} (a-z, 0-9, "-", at most 63 characters, no leading or trailing "-") (got "../x")`,
      ],
    ],
  },
  {
    name: 'command substitution in a cluster name: $(x)',
    files: withClusters('  - name: $(x)', '    workspace: team-a', '    provider: aws'),
    expect: [[`${F}:12:11`, 'clusters[0].name', `${DNS}`]],
  },
  {
    name: 'shell metacharacters in a workspace reference and in a node pool',
    files: withClusters(
      '  - name: c1',
      '    workspace: "team-a && curl x"',
      '    provider: aws',
      '    nodepools: ["md-0;reboot"]',
    ),
    expect: [
      [`${F}:13:16`, 'clusters[0].workspace', DNS],
      [`${F}:15:17`, 'clusters[0].nodepools[0]', 'must be a lowercase DNS name'],
    ],
  },
  {
    name: 'uppercase and over-long names',
    files: withClusters(`  - name: ${'a'.repeat(64)}`, '    workspace: Team-A', '    provider: aws'),
    expect: [
      [`${F}:12:11`, 'clusters[0].name', DNS],
      [`${F}:13:16`, 'clusters[0].workspace', DNS],
    ],
  },
  {
    name: 'a kubeconfigEnv that is not a variable name',
    files: edit({ 8: '  provider: aws', 9: '  kubeconfigEnv: $KUBECONFIG', 10: '#' }),
    expect: [[`${F}:9:18`, 'management.kubeconfigEnv', 'must be an environment variable name']],
  },

  // ---- rollout ----
  {
    name: 'rollout bounds',
    files: fleet('rollout:', '  maxParallel: 0', '  failureThreshold: -1'),
    expect: [
      [`${F}:12:16`, 'rollout.maxParallel', 'must be at least 1'],
      [`${F}:13:21`, 'rollout.failureThreshold', 'must be at least 0'],
    ],
  },

  // ---- several documents and files ----
  {
    name: 'errors in the second and third document of a file: file-relative lines',
    files: text([
      ...HEAD,
      '---',
      'apiVersion: dkp-fleet/v1', // 12
      'kind: Fleet',
      'clusters:',
      '  - name: c1', // 15
      '    workspace: team-a',
      '    provider: aws',
      '    wave: 0', // 18
      '---',
      'apiVersion: dkp-fleet/v1', // 20
      'kind: Fleet',
      'clusters:',
      '  - { name: c1, workspace: team-a, provider: aws }', // 23
    ]),
    expect: [
      [`${F}:18:11`, 'clusters[0].wave', 'must be 1 or more'],
      [`${F}:23:13`, 'clusters[0].name', 'already used by another cluster at fleet.yaml:15:5'],
    ],
  },
  {
    name: 'a syntax error in one document does not hide schema errors in another',
    files: text([
      ...HEAD,
      '---',
      'apiVersion: dkp-fleet/v1',
      'kind: Fleet',
      'clusters: [{ name: c1, workspace: team-a, provider: @aws }]',
      '---',
      'kind: Fleet',
      'apiVersion: dkp-fleet/v1',
      'rollout: { maxParallel: many }',
    ]),
    expect: [
      [`${F}:14:53`, undefined, 'YAML syntax error: Plain value cannot start with reserved character @'],
      [`${F}:18:25`, 'rollout.maxParallel', 'must be an integer, not string "many"'],
    ],
  },
  {
    name: 'problems in several files come in load order, then line order',
    files: {
      'b.yaml': clustersDoc('  - { name: c9, workspace: team-a, provider: aws, wave: 0 }'),
      'a.yaml': edit({ 4: '  dkp: v2.8' }),
    },
    expect: [
      ['b.yaml:4:57', 'clusters[0].wave', 'must be 1 or more'],
      ['a.yaml:4:8', 'target.dkp', 'must be a DKP version'],
    ],
  },
  {
    name: 'a kitchen sink: every problem of the file at once, in line order',
    files: text([
      'apiVersion: dkp-fleet/v1',
      'kind: Fleet',
      'target:',
      '  dkp: v2.8', // 4
      'management:',
      '  name: Mgmt', // 6
      '  provider: aws',
      '  namspace: x', // 8
      'workspaces:',
      '  - name: team-a', // 10
      '  - name: team-a', // 11
      'clusters:',
      '  - name: c1', // 13
      '    workspace: team-b', // 14
      '  - name: c1', // 15
      '    workspace: team-a',
      '    provider: aws',
      '    attached: true',
      '    wave: 2', // 19
      'rollout:',
      '  maxParallel: 0', // 21
      'backup:',
      '  enabled: false', // 23
    ]),
    expect: [
      [`${F}:4:8`, 'target.dkp', 'must be a DKP version'],
      [`${F}:6:9`, 'management.name', DNS],
      [`${F}:8:3`, 'management.namspace', 'did you mean "namespace"?'],
      [`${F}:11:11`, 'workspaces[1].name', 'workspace "team-a" is defined twice (also at fleet.yaml:10:5)'],
      [`${F}:13:5`, 'clusters[0].provider', 'required for a managed cluster'],
      [`${F}:14:16`, 'clusters[0].workspace', 'unknown workspace "team-b" (did you mean "team-a"?)'],
      [
        `${F}:15:11`,
        'clusters[1].name',
        'cluster name "c1" is already used by another cluster at fleet.yaml:13:5',
      ],
      [`${F}:21:16`, 'rollout.maxParallel', 'must be at least 1'],
      [`${F}:23:12`, 'backup.reason', 'required when backup.enabled is false'],
    ],
  },
]

const filesOf = (c: Case) =>
  typeof c.files === 'string' || c.files instanceof Uint8Array
    ? [{ path: F, content: c.files }]
    : Object.entries(c.files).map(([path, content]) => ({ path, content }))

function problemsOf(c: Case): InputProblem[] {
  try {
    parseInventory(filesOf(c))
  } catch (err) {
    if (err instanceof InputError) return err.problems
    throw err
  }
  throw new Error(`${c.name}: parsed without error`)
}

describe('bad inventories: every problem located, all at once', () => {
  it('has at least 45 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(45)
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length)
  })

  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const problems = problemsOf(c)
    const actual = problems.map((p) => [
      p.source ? `${p.source.file}:${p.source.line}:${p.source.col}` : undefined,
      p.path,
      p.message,
    ])
    expect(actual).toEqual(
      c.expect.map(([at, path, fragment]) => [at, path, expect.stringContaining(fragment)]),
    )
    // The one-line form users see: file:line:col: field: message, never a stack trace.
    for (const p of problems) {
      const line = formatProblem(p)
      expect(line).toMatch(/^[^:\s]+:\d+:\d+: /)
      if (p.path) expect(line).toContain(`: ${p.path}: `)
      expect(line).not.toContain('\n')
      expect(line).not.toMatch(/\bat .*\.(ts|js):\d+/)
    }
  })
})

describe('InputError', () => {
  it('joins every problem into its message, one per line', () => {
    const c = CASES.find((x) => x.name.startsWith('a kitchen sink'))!
    try {
      parseInventory(filesOf(c))
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(InputError)
      const lines = (err as InputError).message.split('\n')
      expect(lines).toHaveLength(c.expect.length)
      expect(lines[0]).toBe('fleet.yaml:4:8: target.dkp: must be a DKP version like v2.8.1 (got "v2.8")')
    }
  })

  it('refuses an empty file list', () => {
    expect(() => parseInventory([])).toThrow(/no inventory files given/)
  })
})
