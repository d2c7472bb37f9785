// Turns a removal-table hit into a Finding with the same wording for every source: repository
// manifests, Helm release storage and last-applied annotations. Pure.

import type { Finding, FindingLocation, ObjectRef, Severity } from '../findings.js'
import { minorString, type RemovedApi, replacementAt } from './table.js'

/** Where the apiVersion was seen. */
export type ScanSource = 'manifest' | 'helm-release' | 'last-applied'

export interface HelmReleaseRef {
  namespace: string
  name: string
  revision: number
}

export interface RemovedApiContext {
  targetMinor: number
  source: ScanSource
  cluster?: string
  location?: FindingLocation
  helmRelease?: HelmReleaseRef
  /** Helm's `# Source: chart/templates/x.yaml` comment above the document. */
  template?: string
}

/** A last-applied annotation can lag behind the object: never more than a warning. */
const SOURCE_CAP: Record<ScanSource, Severity> = {
  manifest: 'error',
  'helm-release': 'error',
  'last-applied': 'warning',
}

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 }
const milder = (a: Severity, b: Severity): Severity => (RANK[a] >= RANK[b] ? a : b)

const quoted = (o: ObjectRef): string => `"${o.namespace ? `${o.namespace}/` : ''}${o.name}"`

export function removedApiFinding(entry: RemovedApi, object: ObjectRef, ctx: RemovedApiContext): Finding {
  const target = minorString(ctx.targetMinor)
  const gone = entry.component
    ? `which ${entry.component.name} ${entry.component.removedIn} no longer serves`
    : `which Kubernetes ${entry.removedIn} no longer serves (target ${target})`
  const subject = `${object.kind} ${quoted(object)}`
  let message: string
  switch (ctx.source) {
    case 'manifest':
      message = `${subject} uses ${object.apiVersion}, ${gone}.`
      break
    case 'helm-release': {
      const r = ctx.helmRelease
      const release = r ? `Helm release ${r.namespace}/${r.name} (revision ${r.revision})` : 'A Helm release'
      message = `${release} stores ${subject} as ${object.apiVersion}, ${gone}; helm upgrade of this release fails until the stored manifest is fixed.`
      break
    }
    case 'last-applied':
      message = `${subject} was last applied as ${object.apiVersion} (kubectl.kubernetes.io/last-applied-configuration), ${gone}.`
      break
  }
  if (entry.tier === 'tool-data')
    message += ` Alpha or config-file API; removal release from ${entry.sources.join(', ')} data.`
  if (ctx.template) message += ` Rendered from ${ctx.template}.`

  const replacement = replacementAt(entry, ctx.targetMinor)
  const change = replacement
    ? `Change apiVersion to ${replacement.apiVersion}${replacement.since ? ` (served since Kubernetes ${replacement.since})` : ''}. `
    : ''
  let remedy = `${change}${entry.hint}`
  if (ctx.source === 'helm-release')
    remedy = `Before the upgrade, deploy a chart version that renders the new apiVersion (or rewrite the stored release with helm-mapkubeapis). ${remedy}`
  if (ctx.source === 'last-applied')
    remedy = `Re-apply the object's manifest with the new apiVersion (kubectl apply); an annotation left by an older apply may be stale. ${remedy}`

  const details: Record<string, string | number | boolean> = {
    source: ctx.source,
    apiVersion: object.apiVersion,
    tier: entry.tier,
    targetKubernetes: target,
  }
  if (entry.removedIn) details.removedIn = entry.removedIn
  if (entry.component) {
    details.component = entry.component.name
    details.componentRemovedIn = entry.component.removedIn
  }
  if (replacement) {
    details.replacement = replacement.apiVersion
    if (replacement.since) details.replacementSince = replacement.since
  }
  if (ctx.helmRelease) {
    details.helmRelease = `${ctx.helmRelease.namespace}/${ctx.helmRelease.name}`
    details.helmRevision = ctx.helmRelease.revision
  }
  if (ctx.template) details.template = ctx.template

  return {
    ruleId: entry.ruleId,
    severity: milder(entry.severity, SOURCE_CAP[ctx.source]),
    ...(ctx.cluster !== undefined ? { cluster: ctx.cluster } : {}),
    object,
    ...(ctx.location ? { location: ctx.location } : {}),
    message,
    remedy,
    details,
  }
}
