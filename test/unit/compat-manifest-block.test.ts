// The dense-findings fast path (src/core/compat/manifest-block.ts): documents that mention a
// removed apiVersion are loaded with js-yaml and located from their `apiVersion:` lines; every
// case the two could disagree on falls back to the `yaml` parser. The findings (locations, names,
// `# Source:` templates) and syntax warnings must equal what parsing every document gives.

import { describe, expect, it } from 'vitest'
import { scanBlockYaml } from '../../src/core/compat/manifest-block.js'
import { scanManifestText } from '../../src/core/compat/manifest-scan.js'

const same = (text: string) => {
  const fast = scanManifestText(text, 'f.yaml', { target: '1.29' })
  const full = scanManifestText(text, 'f.yaml', { target: '1.29', parseAll: true })
  expect(fast.findings).toEqual(full.findings)
  return fast.findings
}
const fastPath = (text: string) => scanBlockYaml(text, 0, () => {}, undefined)

describe('manifest fast path for dense findings', () => {
  it('gives the same findings as the YAML parser: locations, names, templates, Lists, nested apiVersions', () => {
    const text = [
      '---',
      '# Source: chart/templates/cron.yaml',
      'apiVersion: batch/v1beta1 # old',
      'kind: CronJob',
      'metadata:',
      '  name: nightly',
      '  namespace: jobs',
      '---',
      'kind: HorizontalPodAutoscaler',
      "apiVersion: 'autoscaling/v2beta2'",
      'metadata: { generateName: hpa- }',
      'spec:',
      '  scaleTargetRef:',
      '    apiVersion: apps/v1',
      '    kind: Deployment',
      '    name: web',
      '---',
      'apiVersion: v1',
      'kind: List',
      'metadata: {}',
      'items:',
      '- apiVersion: policy/v1beta1',
      '  kind: PodDisruptionBudget',
      '  metadata:',
      '    name: 1e3',
      'foo: bar',
      '',
    ].join('\n')
    const f = same(text)
    expect(
      f.map((x) => `${x.location?.line}:${x.location?.col} ${x.object?.name} ${x.details?.template ?? ''}`),
    ).toEqual(['3:13 nightly chart/templates/cron.yaml', '10:13 hpa-* ', '22:15 1000 '])
    expect(fastPath('apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: a}\n')).toBe(1)
  })

  it('falls back where the lines cannot tell: flow style, an apiVersion line in a block scalar, duplicate keys, syntax errors', () => {
    const flow = '{apiVersion: batch/v1beta1, kind: CronJob, metadata: {name: a}}\n'
    const inScalar =
      'apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: a}\ndata:\n  x: |\n    apiVersion: v1\n'
    const dup = 'apiVersion: batch/v1beta1\nkind: CronJob\nkind: CronJob\nmetadata: {name: a}\n'
    const broken = 'apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: a\n   bad: [\n'
    for (const t of [flow, inScalar, dup, broken]) expect(fastPath(t), t).toBeUndefined()
    for (const t of [flow, inScalar, dup])
      expect(same(t).map((x) => x.ruleId)).toEqual(['removed-api/batch/v1beta1/CronJob'])
    expect(same(broken).map((x) => x.ruleId)).toEqual(['manifest-syntax'])
  })
})
