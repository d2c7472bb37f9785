// The real-shape fixtures (test/fixtures/releases/<tag>/, see its README): HelmReleases verbatim
// from the release manifests with `${…}` resolved, plus the Kommander objects built after its
// naming. Statuses are added here as a released Flux would have written them.

import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseAllDocuments } from 'yaml'
import type { AppDeployment, HelmRelease, KommanderApp } from '../../src/core/kinds.js'

export const FIXTURES = resolve(import.meta.dirname, '../fixtures/releases')

export interface FixtureSet {
  tag: string
  /** `namespace` → HelmReleases there. */
  helmReleases: HelmRelease[]
  appDeployments: AppDeployment[]
  clusterApps: KommanderApp[]
  apps: KommanderApp[]
  /** The provenance comment above each HelmRelease: `mesosphere/<repo> <tag> <path>`. */
  sources: string[]
}

/**
 * The status Flux's helm-controller leaves on a HelmRelease it released at its chart version:
 * Ready and Released True at generation 1, `lastAppliedRevision`; from Flux 2.2 (DKP 2.8, API
 * v2beta2) also `history[0].chartVersion`.
 */
export function released(hr: HelmRelease, flux22: boolean): HelmRelease {
  const version = hr.spec?.chart?.spec?.version ?? ''
  const condition = (type: string) => ({
    type,
    status: 'True' as const,
    reason: 'InstallSucceeded',
    message: `Helm install succeeded for release ${hr.metadata.namespace}/${hr.metadata.name}.v1 with chart ${hr.spec?.chart?.spec?.chart}@${version}`,
    observedGeneration: 1,
    lastTransitionTime: '2024-03-01T12:00:00Z',
  })
  return {
    ...hr,
    metadata: { ...hr.metadata, generation: 1 },
    status: {
      observedGeneration: 1,
      lastAppliedRevision: version,
      lastAttemptedRevision: version,
      ...(flux22 ? { history: [{ chartVersion: version }] } : {}),
      conditions: [condition('Ready'), condition('Released')],
    } as HelmRelease['status'],
  }
}

export function loadFixtureSet(tag: string): FixtureSet {
  const dir = join(FIXTURES, tag)
  const flux22 = tag.startsWith('v2.8')
  const helmReleases: HelmRelease[] = []
  const sources: string[] = []
  for (const file of ['kommander.yaml', 'team-a.yaml', 'payments.yaml']) {
    const text = readFileSync(join(dir, file), 'utf8')
    for (const doc of parseAllDocuments(text)) {
      const obj = doc.toJS() as HelmRelease | null
      if (!obj) continue
      helmReleases.push(released(obj, flux22))
      const contents = doc.contents as { commentBefore?: string | null } | null
      sources.push(String(doc.commentBefore ?? contents?.commentBefore ?? '').trim())
    }
  }
  const objects = JSON.parse(readFileSync(join(dir, 'kommander-objects.json'), 'utf8')) as (
    | AppDeployment
    | KommanderApp
  )[]
  return {
    tag,
    helmReleases,
    sources,
    appDeployments: objects.filter((o) => o.kind === 'AppDeployment') as AppDeployment[],
    clusterApps: objects.filter((o) => o.kind === 'ClusterApp') as KommanderApp[],
    apps: objects.filter((o) => o.kind === 'App') as KommanderApp[],
  }
}

export const inNamespace = <T extends { metadata: { namespace?: string } }>(list: readonly T[], ns: string) =>
  list.filter((o) => o.metadata.namespace === ns)
