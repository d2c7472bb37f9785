import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import {
  decodeHelmRelease,
  latestDeployedReleases,
  scanHelmReleases,
  storageIdentity,
} from '../../src/core/compat/helm.js'
import { LAST_APPLIED, lastAppliedOf, scanLastApplied, scanLiveKinds } from '../../src/core/compat/live.js'
import type { KubeObject } from '../../src/core/compat/objects.js'

const MANIFEST = `---
# Source: shop/templates/cronjob.yaml
apiVersion: batch/v1beta1
kind: CronJob
metadata:
  name: shop-cleanup
spec:
  schedule: "@daily"
---
# Source: shop/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  namespace: shop
`

/** A Helm release record exactly as Helm's storage writes it: base64(gzip(JSON)). */
function helmRecord(release: Record<string, unknown>, gzip = true): string {
  const json = Buffer.from(JSON.stringify(release))
  return (gzip ? gzipSync(json) : json).toString('base64')
}

function releaseJson(name: string, version: number, status: string, manifest = MANIFEST) {
  return {
    name,
    namespace: 'shop',
    version,
    info: { status, description: 'Upgrade complete' },
    chart: { metadata: { name: 'shop', version: '1.2.3' } },
    manifest,
  }
}

/** A helm.sh/release.v1 Secret as the API returns it: data values base64 once more. */
function helmSecret(name: string, version: number, status: string, manifest = MANIFEST): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'helm.sh/release.v1',
    metadata: {
      name: `sh.helm.release.v1.${name}.v${version}`,
      namespace: 'shop',
      labels: { owner: 'helm', name, status, version: String(version) },
    },
    data: {
      release: Buffer.from(helmRecord(releaseJson(name, version, status, manifest))).toString('base64'),
    },
  }
}

describe('Helm release storage', () => {
  it('decodes a Secret record (base64 twice, gzip) and a ConfigMap record (base64 once)', () => {
    const secret = helmSecret('shop', 3, 'deployed')
    const fromSecret = decodeHelmRelease((secret.data as { release: string }).release)
    expect(fromSecret).toEqual({
      name: 'shop',
      namespace: 'shop',
      version: 3,
      status: 'deployed',
      chart: 'shop-1.2.3',
      manifest: MANIFEST,
    })
    const fromConfigMap = decodeHelmRelease(helmRecord(releaseJson('shop', 3, 'deployed')), 'configmap')
    expect(fromConfigMap).toEqual(fromSecret)
    // old records were not gzip'd: the magic check lets them through
    expect(
      decodeHelmRelease(helmRecord(releaseJson('shop', 1, 'deployed'), false), 'configmap').manifest,
    ).toBe(MANIFEST)
  })

  it('refuses records that are not base64, not gzip JSON, or not a release, with a reason', () => {
    expect(() => decodeHelmRelease('%%%not base64%%%')).toThrow(/not base64/)
    expect(() => decodeHelmRelease(Buffer.from('H4sIAAAA').toString('base64'))).toThrow(/gunzip/)
    expect(() => decodeHelmRelease(Buffer.from('{"x": 1}').toString('base64'), 'configmap')).toThrow(
      /no release name/,
    )
    const notJson = Buffer.from(gzipSync('not json')).toString('base64')
    expect(() => decodeHelmRelease(notJson, 'configmap')).toThrow(/not JSON/)
  })

  it('keeps only the newest deployed revision of each release', () => {
    const storage = [
      helmSecret('shop', 1, 'superseded'),
      helmSecret('shop', 2, 'deployed'), // stale: a newer deployed revision exists
      helmSecret('shop', 4, 'deployed'),
      helmSecret('shop', 5, 'failed'),
      helmSecret('cart', 7, 'deployed'),
      { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'other', namespace: 'shop' } },
    ]
    expect(latestDeployedReleases(storage).map((o) => storageIdentity(o))).toEqual([
      { namespace: 'shop', release: 'cart', revision: 7 },
      { namespace: 'shop', release: 'shop', revision: 4 },
    ])
  })

  it('reports removed APIs in the stored manifest, naming cluster, release and object', () => {
    const storage = [helmSecret('shop', 1, 'superseded'), helmSecret('shop', 2, 'deployed')]
    const r = scanHelmReleases(storage, { cluster: 'prod-east-1', target: '1.27' })
    expect(r.releases).toBe(1)
    expect(r.objects).toBe(2) // every document's header is read from its lines; none needed the YAML parser
    expect(r.parsedDocuments).toBe(0)
    expect(r.findings).toHaveLength(1)
    const f = r.findings[0]!
    expect(f).toMatchObject({
      ruleId: 'removed-api/batch/v1beta1/CronJob',
      severity: 'error',
      cluster: 'prod-east-1',
      object: { apiVersion: 'batch/v1beta1', kind: 'CronJob', namespace: 'shop', name: 'shop-cleanup' },
      details: {
        helmRelease: 'shop/shop',
        helmRevision: 2,
        source: 'helm-release',
        template: 'shop/templates/cronjob.yaml',
      },
    })
    expect(f.location).toBeUndefined()
    expect(f.message).toContain(
      'Helm release shop/shop (revision 2) stores CronJob "shop/shop-cleanup" as batch/v1beta1',
    )
    expect(f.remedy).toContain('helm-mapkubeapis')
  })

  it('turns an undecodable record into a warning, not a crash', () => {
    const bad = helmSecret('shop', 9, 'deployed')
    ;(bad.data as Record<string, string>).release = Buffer.from('garbage!').toString('base64')
    const r = scanHelmReleases([bad], { cluster: 'c', target: 29 })
    expect(r.findings).toEqual([
      expect.objectContaining({
        ruleId: 'helm-release-undecodable',
        severity: 'warning',
        cluster: 'c',
        object: { apiVersion: 'v1', kind: 'Secret', namespace: 'shop', name: 'sh.helm.release.v1.shop.v9' },
      }),
    ])
  })

  it('reads ConfigMap-driver storage too', () => {
    const cm: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'sh.helm.release.v1.shop.v1',
        namespace: 'shop',
        labels: { owner: 'helm', name: 'shop', status: 'deployed', version: '1' },
      },
      data: { release: helmRecord(releaseJson('shop', 1, 'deployed')) },
    }
    expect(scanHelmReleases([cm], { cluster: 'c', target: '1.25' }).findings.map((f) => f.ruleId)).toEqual([
      'removed-api/batch/v1beta1/CronJob',
    ])
  })
})

describe('last-applied-configuration', () => {
  const applied = (obj: Record<string, unknown>): KubeObject => ({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: {
      name: 'nightly',
      namespace: 'jobs',
      annotations: { [LAST_APPLIED]: JSON.stringify(obj) },
      // managedFields name old versions too: never read
      managedFields: [{ apiVersion: 'batch/v1beta1', manager: 'kubectl', operation: 'Update' }],
    },
  })

  it('parses the annotation, ignoring managedFields', () => {
    const o = applied({ apiVersion: 'batch/v1beta1', kind: 'CronJob', metadata: { name: 'nightly' } })
    expect(lastAppliedOf(o)).toEqual({
      apiVersion: 'batch/v1beta1',
      kind: 'CronJob',
      metadata: { name: 'nightly' },
    })
    expect(lastAppliedOf({ kind: 'X', metadata: {} })).toBeUndefined()
    expect(lastAppliedOf({ metadata: { annotations: { [LAST_APPLIED]: '{not json' } } })).toBeUndefined()
  })

  it('reports an object last applied with a removed version as a warning naming the live object', () => {
    const objects = [
      applied({
        apiVersion: 'batch/v1beta1',
        kind: 'CronJob',
        metadata: { name: 'nightly', namespace: 'jobs' },
      }),
      applied({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'nightly' } }),
      // no annotation, only managedFields with the old version: nothing
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'ssa', namespace: 'jobs', managedFields: [{ apiVersion: 'batch/v1beta1' }] },
      },
    ]
    const findings = scanLastApplied(objects, { cluster: 'edge-7', target: '1.25' })
    expect(findings).toHaveLength(1)
    expect(findings[0]).toMatchObject({
      ruleId: 'removed-api/batch/v1beta1/CronJob',
      severity: 'warning',
      cluster: 'edge-7',
      object: { apiVersion: 'batch/v1beta1', kind: 'CronJob', namespace: 'jobs', name: 'nightly' },
      details: { source: 'last-applied' },
    })
    expect(findings[0]!.message).toContain('was last applied as batch/v1beta1')
    expect(scanLastApplied(objects, { cluster: 'edge-7', target: '1.24' })).toEqual([])
  })

  it('flags an unreadable annotation as info', () => {
    const o: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x', namespace: 'y', annotations: { [LAST_APPLIED]: '{"broken"' } },
    }
    expect(scanLastApplied([o], { cluster: 'c', target: 29 })).toEqual([
      expect.objectContaining({ ruleId: 'last-applied-invalid', severity: 'info', cluster: 'c' }),
    ])
  })
})

describe('live kinds', () => {
  const hpa = (name: string, ns = 'web') => ({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace: ns },
  })

  it('reports each kind in use whose old versions go away between current and target (info)', () => {
    const objects = [
      hpa('b'),
      hpa('a'),
      hpa('c'),
      hpa('d'),
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } },
    ]
    const findings = scanLiveKinds(objects, { cluster: 'prod', current: '1.25.4', target: '1.26' })
    expect(findings).toHaveLength(1)
    expect(findings[0]).toMatchObject({
      ruleId: 'removed-api-kind/autoscaling/HorizontalPodAutoscaler',
      severity: 'info',
      cluster: 'prod',
      object: { kind: 'HorizontalPodAutoscaler', namespace: 'web', name: 'a' },
      details: { count: 4, removedVersions: 'autoscaling/v2beta2', replacement: 'autoscaling/v2' },
    })
    expect(findings[0]!.message).toContain(
      '4 HorizontalPodAutoscaler object(s) exist (web/a, web/b, web/c, and 1 more)',
    )
    // nothing is removed between 1.26 and 1.26, and Deployments' old versions went in 1.16
    expect(scanLiveKinds(objects, { cluster: 'prod', current: '1.26', target: '1.26' })).toEqual([])
  })

  it('warns when the whole API goes with no replacement (PodSecurityPolicy in 1.25)', () => {
    const psp = { apiVersion: 'policy/v1beta1', kind: 'PodSecurityPolicy', metadata: { name: 'restricted' } }
    const [f] = scanLiveKinds([psp], { cluster: 'mgmt', current: '1.24', target: '1.25' })
    expect(f).toMatchObject({ severity: 'warning', ruleId: 'removed-api-kind/policy/PodSecurityPolicy' })
    expect(f!.remedy).toContain('Pod Security Admission')
  })
})
