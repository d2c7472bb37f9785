// Test-side reading of the release table: what a fleet at a DKP release must run, to compare
// with the live objects (names, charts and chart versions from data/releases.json, never
// derived from app versions).

import { expect } from 'vitest'
import type { Kube } from '../../src/effects/kube.js'
import { API, dig, getCondition } from '../../src/fleet/objects.js'
import { RELEASES } from '../../src/fleet/release-table.js'

/** `<appId>-<version>` of the ClusterApp a release ships for an app. */
export function releaseClusterApp(tag: string, appId: string): string | undefined {
  const v = RELEASES.platform(tag)?.versions(appId)[0]
  return v === undefined ? undefined : `${appId}-${v}`
}

/**
 * Every platform AppDeployment references the release's ClusterApp; every HelmRelease the table
 * lists for the apps enabled in a namespace exists there at the table's chart version, released
 * and Ready; every HelmRelease anywhere is released at its spec version and Ready.
 */
export async function expectPlatformAt(kube: Kube, tag: string): Promise<void> {
  const release = RELEASES.platform(tag)!
  const hrs = await kube.list(API.helm, 'HelmRelease')
  for (const hr of hrs) {
    const id = `${hr.metadata.namespace}/${hr.metadata.name}`
    expect(dig(hr, 'status', 'lastAppliedRevision'), id).toBe(dig(hr, 'spec', 'chart', 'spec', 'version'))
    expect(getCondition(hr, 'Ready')?.status, id).toBe('True')
  }
  let checked = 0
  for (const ad of await kube.list(API.apps, 'AppDeployment')) {
    const ref = dig<{ kind: string; name: string }>(ad, 'spec', 'appRef')!
    if (ref.kind !== 'ClusterApp') continue
    const appId = ad.metadata.name!
    const id = `${ad.metadata.namespace}/${appId}`
    expect(ref.name, id).toBe(releaseClusterApp(tag, appId))
    const version = release.versions(appId)[0]!
    for (const row of release.helmReleases(appId, version)!) {
      const found = hrs.filter(
        (h) =>
          h.metadata.namespace === ad.metadata.namespace &&
          (row.dynamic
            ? dig(h, 'spec', 'chart', 'spec', 'chart') === row.chart
            : h.metadata.name === row.name),
      )
      if (!row.dynamic) expect(found, `${id}: HelmRelease ${row.name}`).toHaveLength(1)
      for (const h of found) {
        expect(dig(h, 'spec', 'chart', 'spec', 'chart'), `${id}: ${h.metadata.name}`).toBe(row.chart)
        expect(dig(h, 'spec', 'chart', 'spec', 'version'), `${id}: ${h.metadata.name}`).toBe(row.chartVersion)
        checked++
      }
    }
  }
  expect(checked).toBeGreaterThan(20)
}
