// The removed-API compatibility scan (k8s-compat.md): the removal table, the scans of
// repository manifests, Helm release storage, last-applied annotations and live kinds, and the
// rule descriptors for reports. Pure: callers read files and clusters and pass the content in.

export {
  decodeHelmRelease,
  HELM_UNDECODABLE_RULE,
  type HelmDriver,
  type HelmRelease,
  type HelmScanContext,
  type HelmScanResult,
  isHelmStorage,
  latestDeployedReleases,
  scanHelmReleases,
  storageIdentity,
} from './helm.js'
export {
  LAST_APPLIED,
  LAST_APPLIED_INVALID_RULE,
  type LiveKindContext,
  type LiveScanContext,
  lastAppliedOf,
  liveKindRuleId,
  scanLastApplied,
  scanLiveKinds,
} from './live.js'
export {
  type ManifestScanOptions,
  type ManifestScanResult,
  neutraliseTemplates,
  SYNTAX_RULE,
  scanManifestText,
  scanObjects,
  TEMPLATE_RULE,
  UNREADABLE_RULE,
} from './manifest-scan.js'
export type { KubeObject } from './objects.js'
export { HELM_PARTIAL_RULE, MAX_FINDINGS_PER_RELEASE, scanReleaseManifest } from './release-scan.js'
export { type HelmReleaseRef, removedApiFinding, type ScanSource } from './removed-finding.js'
export { compatRule, compatRules } from './rules.js'
export {
  GUIDE_URL,
  lookupRemoval,
  minorString,
  NEWEST_TABLE_MINOR,
  parseMinor,
  REMOVED_APIS,
  type RemovalTier,
  type RemovedApi,
  removalsBetween,
  removalsUpTo,
  removedAt,
  replacementAt,
} from './table.js'
