import { describe, expect, it } from 'vitest'
import { HELM_UNDECODABLE_RULE } from '../../src/core/compat/helm.js'
import { LAST_APPLIED_INVALID_RULE, liveKindRuleId } from '../../src/core/compat/live.js'
import { SYNTAX_RULE, TEMPLATE_RULE, UNREADABLE_RULE } from '../../src/core/compat/manifest-scan.js'
import { compatRule, compatRules } from '../../src/core/compat/rules.js'
import {
  lookupRemoval,
  NEWEST_TABLE_MINOR,
  parseMinor,
  REMOVED_APIS,
  removalsBetween,
  removalsUpTo,
  removedAt,
  replacementAt,
} from '../../src/core/compat/table.js'

const ids = (entries: { apiVersion: string; kind: string }[]) =>
  entries.map((e) => `${e.apiVersion} ${e.kind}`).sort()

describe('removal table data', () => {
  it('has every served row of k8s-compat.md §1 with its removal release and replacement', () => {
    // [removedIn, apiVersion, kind, replacement] straight from the reference table
    const expected: [string, string, string, string | null][] = [
      ['1.16', 'extensions/v1beta1', 'NetworkPolicy', 'networking.k8s.io/v1'],
      ['1.16', 'extensions/v1beta1', 'DaemonSet', 'apps/v1'],
      ['1.16', 'apps/v1beta2', 'DaemonSet', 'apps/v1'],
      ['1.16', 'extensions/v1beta1', 'Deployment', 'apps/v1'],
      ['1.16', 'apps/v1beta1', 'Deployment', 'apps/v1'],
      ['1.16', 'apps/v1beta2', 'Deployment', 'apps/v1'],
      ['1.16', 'extensions/v1beta1', 'ReplicaSet', 'apps/v1'],
      ['1.16', 'apps/v1beta1', 'ReplicaSet', 'apps/v1'],
      ['1.16', 'apps/v1beta2', 'ReplicaSet', 'apps/v1'],
      ['1.16', 'apps/v1beta1', 'StatefulSet', 'apps/v1'],
      ['1.16', 'apps/v1beta2', 'StatefulSet', 'apps/v1'],
      ['1.16', 'extensions/v1beta1', 'PodSecurityPolicy', 'policy/v1beta1'],
      [
        '1.22',
        'admissionregistration.k8s.io/v1beta1',
        'MutatingWebhookConfiguration',
        'admissionregistration.k8s.io/v1',
      ],
      [
        '1.22',
        'admissionregistration.k8s.io/v1beta1',
        'ValidatingWebhookConfiguration',
        'admissionregistration.k8s.io/v1',
      ],
      ['1.22', 'apiextensions.k8s.io/v1beta1', 'CustomResourceDefinition', 'apiextensions.k8s.io/v1'],
      ['1.22', 'apiregistration.k8s.io/v1beta1', 'APIService', 'apiregistration.k8s.io/v1'],
      ['1.22', 'authentication.k8s.io/v1beta1', 'TokenReview', 'authentication.k8s.io/v1'],
      ['1.22', 'authorization.k8s.io/v1beta1', 'SubjectAccessReview', 'authorization.k8s.io/v1'],
      ['1.22', 'authorization.k8s.io/v1beta1', 'SelfSubjectAccessReview', 'authorization.k8s.io/v1'],
      ['1.22', 'authorization.k8s.io/v1beta1', 'LocalSubjectAccessReview', 'authorization.k8s.io/v1'],
      ['1.22', 'certificates.k8s.io/v1beta1', 'CertificateSigningRequest', 'certificates.k8s.io/v1'],
      ['1.22', 'coordination.k8s.io/v1beta1', 'Lease', 'coordination.k8s.io/v1'],
      ['1.22', 'extensions/v1beta1', 'Ingress', 'networking.k8s.io/v1'],
      ['1.22', 'networking.k8s.io/v1beta1', 'Ingress', 'networking.k8s.io/v1'],
      ['1.22', 'networking.k8s.io/v1beta1', 'IngressClass', 'networking.k8s.io/v1'],
      ['1.22', 'rbac.authorization.k8s.io/v1beta1', 'ClusterRole', 'rbac.authorization.k8s.io/v1'],
      ['1.22', 'rbac.authorization.k8s.io/v1beta1', 'ClusterRoleBinding', 'rbac.authorization.k8s.io/v1'],
      ['1.22', 'rbac.authorization.k8s.io/v1beta1', 'Role', 'rbac.authorization.k8s.io/v1'],
      ['1.22', 'rbac.authorization.k8s.io/v1beta1', 'RoleBinding', 'rbac.authorization.k8s.io/v1'],
      ['1.22', 'scheduling.k8s.io/v1beta1', 'PriorityClass', 'scheduling.k8s.io/v1'],
      ['1.22', 'storage.k8s.io/v1beta1', 'CSIDriver', 'storage.k8s.io/v1'],
      ['1.22', 'storage.k8s.io/v1beta1', 'CSINode', 'storage.k8s.io/v1'],
      ['1.22', 'storage.k8s.io/v1beta1', 'StorageClass', 'storage.k8s.io/v1'],
      ['1.22', 'storage.k8s.io/v1beta1', 'VolumeAttachment', 'storage.k8s.io/v1'],
      ['1.25', 'batch/v1beta1', 'CronJob', 'batch/v1'],
      ['1.25', 'discovery.k8s.io/v1beta1', 'EndpointSlice', 'discovery.k8s.io/v1'],
      ['1.25', 'events.k8s.io/v1beta1', 'Event', 'events.k8s.io/v1'],
      ['1.25', 'autoscaling/v2beta1', 'HorizontalPodAutoscaler', 'autoscaling/v2'],
      ['1.25', 'policy/v1beta1', 'PodDisruptionBudget', 'policy/v1'],
      ['1.25', 'policy/v1beta1', 'PodSecurityPolicy', null],
      ['1.25', 'node.k8s.io/v1beta1', 'RuntimeClass', 'node.k8s.io/v1'],
      ['1.26', 'flowcontrol.apiserver.k8s.io/v1beta1', 'FlowSchema', 'flowcontrol.apiserver.k8s.io/v1beta3'],
      [
        '1.26',
        'flowcontrol.apiserver.k8s.io/v1beta1',
        'PriorityLevelConfiguration',
        'flowcontrol.apiserver.k8s.io/v1beta3',
      ],
      ['1.26', 'autoscaling/v2beta2', 'HorizontalPodAutoscaler', 'autoscaling/v2'],
      ['1.27', 'storage.k8s.io/v1beta1', 'CSIStorageCapacity', 'storage.k8s.io/v1'],
      ['1.29', 'flowcontrol.apiserver.k8s.io/v1beta2', 'FlowSchema', 'flowcontrol.apiserver.k8s.io/v1'],
      [
        '1.29',
        'flowcontrol.apiserver.k8s.io/v1beta2',
        'PriorityLevelConfiguration',
        'flowcontrol.apiserver.k8s.io/v1',
      ],
      ['1.32', 'flowcontrol.apiserver.k8s.io/v1beta3', 'FlowSchema', 'flowcontrol.apiserver.k8s.io/v1'],
      [
        '1.32',
        'flowcontrol.apiserver.k8s.io/v1beta3',
        'PriorityLevelConfiguration',
        'flowcontrol.apiserver.k8s.io/v1',
      ],
    ]
    const served = REMOVED_APIS.filter((e) => e.tier === 'served')
    expect(served.map((e) => [e.removedIn, e.apiVersion, e.kind, e.replacement]).sort()).toEqual(
      expected.sort(),
    )
    for (const e of served) expect(e.severity).toBe('error')
  })

  it('keeps tool-data-only and third-party entries in the warning tier', () => {
    const tool = REMOVED_APIS.filter((e) => e.tier === 'tool-data')
    expect(ids(tool)).toEqual(
      ids([
        { apiVersion: 'admissionregistration.k8s.io/v1alpha1', kind: 'ValidatingAdmissionPolicy' },
        { apiVersion: 'admissionregistration.k8s.io/v1alpha1', kind: 'ValidatingAdmissionPolicyBinding' },
        { apiVersion: 'audit.k8s.io/v1alpha1', kind: 'Event' },
        { apiVersion: 'audit.k8s.io/v1alpha1', kind: 'Policy' },
        { apiVersion: 'audit.k8s.io/v1beta1', kind: 'Event' },
        { apiVersion: 'audit.k8s.io/v1beta1', kind: 'Policy' },
        { apiVersion: 'rbac.authorization.k8s.io/v1alpha1', kind: 'ClusterRole' },
        { apiVersion: 'rbac.authorization.k8s.io/v1alpha1', kind: 'ClusterRoleBinding' },
        { apiVersion: 'rbac.authorization.k8s.io/v1alpha1', kind: 'Role' },
        { apiVersion: 'rbac.authorization.k8s.io/v1alpha1', kind: 'RoleBinding' },
        { apiVersion: 'resource.k8s.io/v1alpha3', kind: '*' },
        { apiVersion: 'resource.k8s.io/v1beta1', kind: '*' },
        { apiVersion: 'scheduling.k8s.io/v1alpha1', kind: 'PriorityClass' },
        { apiVersion: 'storage.k8s.io/v1alpha1', kind: 'VolumeAttributesClass' },
        { apiVersion: 'storagemigration.k8s.io/v1alpha1', kind: '*' },
      ]),
    )
    const third = REMOVED_APIS.filter((e) => e.tier === 'third-party')
    expect(third.map((e) => e.apiVersion).sort()).toEqual([
      'acme.cert-manager.io/v1alpha2',
      'acme.cert-manager.io/v1alpha3',
      'acme.cert-manager.io/v1beta1',
      'authentication.istio.io/v1alpha1',
      'cert-manager.io/v1alpha2',
      'cert-manager.io/v1alpha3',
      'cert-manager.io/v1beta1',
      'certmanager.k8s.io/v1alpha1',
      'rbac.istio.io/v1alpha1',
    ])
    for (const e of [...tool, ...third]) expect(e.severity).toBe('warning')
    for (const e of third) expect(e.removedIn).toBeNull()
  })

  it('gives every entry a hint, sources and a unique rule id; covers 1.16 through 1.36', () => {
    const rules = new Set<string>()
    for (const e of REMOVED_APIS) {
      expect(e.hint.length).toBeGreaterThan(10)
      expect(e.sources.length).toBeGreaterThan(0)
      expect(rules.has(e.ruleId)).toBe(false)
      rules.add(e.ruleId)
    }
    expect(
      Math.min(...REMOVED_APIS.flatMap((e) => (e.removedInMinor === null ? [] : [e.removedInMinor]))),
    ).toBe(16)
    expect(NEWEST_TABLE_MINOR).toBeGreaterThanOrEqual(33)
  })
})

describe('removalsBetween / removalsUpTo', () => {
  it('1.24 → 1.25 finds batch/v1beta1 CronJob and policy/v1beta1 PDB (and the rest of 1.25)', () => {
    const found = ids(removalsBetween('1.24', '1.25'))
    expect(found).toContain('batch/v1beta1 CronJob')
    expect(found).toContain('policy/v1beta1 PodDisruptionBudget')
    expect(found).toEqual(
      ids([
        { apiVersion: 'autoscaling/v2beta1', kind: 'HorizontalPodAutoscaler' },
        { apiVersion: 'batch/v1beta1', kind: 'CronJob' },
        { apiVersion: 'discovery.k8s.io/v1beta1', kind: 'EndpointSlice' },
        { apiVersion: 'events.k8s.io/v1beta1', kind: 'Event' },
        { apiVersion: 'node.k8s.io/v1beta1', kind: 'RuntimeClass' },
        { apiVersion: 'policy/v1beta1', kind: 'PodDisruptionBudget' },
        { apiVersion: 'policy/v1beta1', kind: 'PodSecurityPolicy' },
      ]),
    )
  })

  it('1.25 → 1.26 finds autoscaling/v2beta2 HPA and flowcontrol v1beta1', () => {
    expect(ids(removalsBetween(25, 26))).toEqual(
      ids([
        { apiVersion: 'autoscaling/v2beta2', kind: 'HorizontalPodAutoscaler' },
        { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta1', kind: 'FlowSchema' },
        { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta1', kind: 'PriorityLevelConfiguration' },
      ]),
    )
  })

  it('finds nothing for 1.27 → 1.28 (and the other empty minors)', () => {
    expect(removalsBetween('1.27', '1.28')).toEqual([])
    // the guide lists no removals for 1.17–1.21, 1.23, 1.24, 1.28, 1.30, 1.31 and 1.33
    for (const to of [17, 18, 19, 20, 21, 23, 24, 28, 30, 31, 33]) {
      expect(removalsBetween(to - 1, to).filter((e) => e.tier === 'served')).toEqual([])
    }
  })

  it('checks every minor of a multi-minor jump: (from, to] is half-open', () => {
    const jump = removalsBetween('1.21', '1.29')
    expect(jump.some((e) => e.removedIn === '1.22')).toBe(true)
    expect(jump.some((e) => e.removedIn === '1.29')).toBe(true)
    expect(jump.some((e) => e.removedIn === '1.16')).toBe(false)
    expect(jump.some((e) => e.removedIn === '1.32')).toBe(false)
    expect(removalsBetween('1.29', '1.29')).toEqual([])
  })

  it('removalsUpTo includes every Kubernetes removal at or before the target, plus third-party', () => {
    const upTo = removalsUpTo('v1.25.4')
    expect(upTo.every((e) => e.removedInMinor === null || e.removedInMinor <= 25)).toBe(true)
    expect(upTo.some((e) => e.removedIn === '1.16')).toBe(true)
    expect(upTo.some((e) => e.tier === 'third-party')).toBe(true)
    expect(upTo.some((e) => e.removedIn === '1.26')).toBe(false)
  })
})

describe('lookups', () => {
  it('parses minors in the forms users write', () => {
    expect(parseMinor('1.29')).toBe(29)
    expect(parseMinor('v1.29.6')).toBe(29)
    expect(parseMinor('1.23.7+fips.0')).toBe(23)
    expect(parseMinor(' 1.30 ')).toBe(30)
    expect(parseMinor(28)).toBe(28)
    expect(() => parseMinor('2.29')).toThrow(/1\.x/)
    expect(() => parseMinor('latest')).toThrow()
    expect(() => parseMinor(-1)).toThrow()
  })

  it('answers removedAt against the target; wildcard kinds match any kind of the group/version', () => {
    expect(removedAt('batch/v1beta1', 'CronJob', 24)).toBeUndefined()
    expect(removedAt('batch/v1beta1', 'CronJob', 25)?.replacement).toBe('batch/v1')
    expect(removedAt('batch/v1', 'CronJob', 33)).toBeUndefined()
    expect(removedAt('cert-manager.io/v1alpha2', 'Issuer', 16)?.tier).toBe('third-party')
    expect(lookupRemoval('resource.k8s.io/v1alpha3', 'ResourceClaim')?.kind).toBe('*')
  })

  it('follows the replacement chain past replacements that are themselves gone at the target', () => {
    const v1beta1 = lookupRemoval('flowcontrol.apiserver.k8s.io/v1beta1', 'FlowSchema')!
    expect(replacementAt(v1beta1, 29)?.apiVersion).toBe('flowcontrol.apiserver.k8s.io/v1beta3')
    expect(replacementAt(v1beta1, 32)?.apiVersion).toBe('flowcontrol.apiserver.k8s.io/v1')
    const psp = lookupRemoval('extensions/v1beta1', 'PodSecurityPolicy')!
    expect(replacementAt(psp, 24)?.apiVersion).toBe('policy/v1beta1')
    expect(replacementAt(psp, 25)).toBeNull()
  })
})

describe('rule descriptors', () => {
  it('describe every rule id the compatibility scan can emit', () => {
    const ids = [
      ...REMOVED_APIS.map((e) => e.ruleId),
      SYNTAX_RULE,
      TEMPLATE_RULE,
      UNREADABLE_RULE,
      HELM_UNDECODABLE_RULE,
      LAST_APPLIED_INVALID_RULE,
      liveKindRuleId('batch', 'CronJob'),
      liveKindRuleId('policy', 'PodSecurityPolicy'),
    ]
    for (const id of ids) {
      const rule = compatRule(id)
      expect(rule, id).toBeDefined()
      expect(rule!.help.length).toBeGreaterThan(0)
      expect(rule!.helpMarkdown.length).toBeGreaterThan(0)
      expect(rule!.tags.length).toBeLessThanOrEqual(20)
    }
    expect(compatRules().length).toBe(new Set(compatRules().map((r) => r.id)).size)
    expect(compatRule('removed-api/batch/v1beta1/CronJob')!.helpUri).toBe(
      'https://kubernetes.io/docs/reference/using-api/deprecation-guide/#v1-25',
    )
  })
})
