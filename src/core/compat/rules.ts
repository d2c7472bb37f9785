// Rule descriptors for every rule id the compatibility scan emits (SARIF `rules`, docs). Pure.

import type { RuleDescriptor } from '../findings.js'
import { HELM_UNDECODABLE_RULE } from './helm.js'
import { LAST_APPLIED, LAST_APPLIED_INVALID_RULE, liveKindRuleId } from './live.js'
import { SYNTAX_RULE, TEMPLATE_RULE, UNREADABLE_RULE } from './manifest-scan.js'
import { HELM_PARTIAL_RULE } from './release-scan.js'
import { GUIDE_URL, REMOVED_APIS, type RemovedApi } from './table.js'

const pascal = (s: string): string =>
  s
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('')

const SOURCE_LABELS: Record<string, string> = {
  guide: 'the Kubernetes deprecated API migration guide',
  kubent: 'kube-no-trouble (kubent) rules',
  pluto: "pluto's versions data",
  datree: "datree's policies",
  'helm-mapkubeapis': "helm-mapkubeapis' map",
}
const sourcesText = (sources: string[]): string =>
  `Source${sources.length > 1 ? 's' : ''}: ${sources.map((s) => SOURCE_LABELS[s] ?? s).join('; ')}.`

const guideAnchor = (removedIn: string): string => `${GUIDE_URL}#v${removedIn.replace('.', '-')}`

function removalRule(e: RemovedApi): RuleDescriptor {
  const what = e.kind === '*' ? `${e.apiVersion} (every kind)` : `${e.kind} ${e.apiVersion}`
  const by = e.component ? `${e.component.name} ${e.component.removedIn}` : `Kubernetes ${e.removedIn}`
  const replacement = e.replacement
    ? `Use ${e.replacement}${e.replacementSince ? ` (served since Kubernetes ${e.replacementSince})` : ''}.`
    : 'There is no replacement API.'
  const notes = [e.note ? `Note: ${e.note}.` : '', sourcesText(e.sources)].filter(Boolean).join(' ')
  const tags = ['kubernetes', 'removed-api', e.tier]
  if (e.removedIn) tags.push(`k8s-${e.removedIn}`)
  if (e.component) tags.push(e.component.name)
  return {
    id: e.ruleId,
    name: `RemovedApi${pascal(e.apiVersion)}${e.kind === '*' ? '' : pascal(e.kind)}`,
    shortDescription: `${what} is removed in ${by}`,
    fullDescription: `${what} is no longer served from ${by} on. Objects that use it cannot be created or updated through it, and tools that apply it (kubectl, Helm, GitOps controllers) fail. ${replacement}`,
    help: `${replacement} ${e.hint} ${notes}`,
    helpMarkdown: [
      `**${what}** is no longer served from ${by} on.`,
      '',
      `- ${replacement}`,
      `- ${e.hint}`,
      `- ${notes}`,
      '',
      e.component
        ? ''
        : `See the [Kubernetes deprecated API migration guide](${guideAnchor(e.removedIn ?? '')}).`,
    ]
      .join('\n')
      .trim(),
    ...(e.component ? {} : { helpUri: guideAnchor(e.removedIn ?? '') }),
    defaultSeverity: e.severity,
    tags,
  }
}

function liveKindRule(group: string, kind: string): RuleDescriptor {
  const id = liveKindRuleId(group, kind)
  const short = `${kind} (${group || 'core'}) objects exist and some of its API versions are removed before the target`
  const help =
    'The API server converts objects to the version a client asks for, so a listed object only shows that the kind is in use. Check that every manifest, chart and controller that writes this kind uses a version the target still serves.'
  return {
    id,
    name: `RemovedApiKindInUse${pascal(group)}${pascal(kind)}`,
    shortDescription: short,
    fullDescription: `${short}. ${help}`,
    help,
    helpMarkdown: `${help}\n\nScan the repository with \`dkp-fleet check --manifests DIR\`; Helm release storage and last-applied annotations are scanned by the live check.`,
    helpUri: GUIDE_URL,
    defaultSeverity: 'info',
    tags: ['kubernetes', 'removed-api', 'live'],
  }
}

const FIXED: RuleDescriptor[] = [
  {
    id: SYNTAX_RULE,
    name: 'ManifestSyntax',
    shortDescription: 'A manifest file is not valid YAML',
    fullDescription:
      'A YAML document in the scanned directory could not be parsed, so it was not checked for removed APIs.',
    help: 'Fix the YAML, or keep files that are not Kubernetes manifests out of the scanned directory.',
    helpMarkdown:
      'Fix the YAML (`kubectl apply` rejects it too), or keep files that are not Kubernetes manifests out of the directory given to `--manifests`.',
    defaultSeverity: 'warning',
    tags: ['kubernetes', 'yaml'],
  },
  {
    id: TEMPLATE_RULE,
    name: 'ManifestTemplate',
    shortDescription: 'An unrendered template could not be scanned',
    fullDescription:
      'A file holds Go/Helm template actions that make it invalid YAML; the documents that failed to parse were not scanned.',
    help: 'Scan the rendered output (helm template) instead of the chart sources.',
    helpMarkdown: 'Render the chart (`helm template <chart> > rendered.yaml`) and scan the output.',
    defaultSeverity: 'info',
    tags: ['kubernetes', 'helm'],
  },
  {
    id: UNREADABLE_RULE,
    name: 'ManifestUnreadable',
    shortDescription: 'A manifest file could not be read',
    fullDescription:
      'A file in the scanned directory could not be read (permissions, size), so it was not scanned.',
    help: 'Make the file readable, or keep it out of the scanned directory.',
    helpMarkdown: 'Make the file readable, or keep it out of the directory given to `--manifests`.',
    defaultSeverity: 'warning',
    tags: ['kubernetes'],
  },
  {
    id: HELM_UNDECODABLE_RULE,
    name: 'HelmReleaseUndecodable',
    shortDescription: 'A Helm release record could not be decoded',
    fullDescription:
      'The newest deployed revision of a Helm release could not be decoded (base64, gzip, JSON), so its manifest was not scanned for removed APIs.',
    help: 'Inspect the release with helm get manifest and check its apiVersions by hand.',
    helpMarkdown:
      'Inspect the release with `helm get manifest <release> -n <namespace>` and check its apiVersions by hand.',
    defaultSeverity: 'warning',
    tags: ['kubernetes', 'helm'],
  },
  {
    id: HELM_PARTIAL_RULE,
    name: 'HelmReleasePartial',
    shortDescription: 'A Helm release was not scanned in full',
    fullDescription:
      'The manifest of a Helm release exceeded a bound of the scan (100 removed-API objects reported per release; documents that are not plain block YAML are parsed only up to 64 KiB each and 256 KiB per release), so part of it was not checked for removed APIs.',
    help: 'Inspect the release with helm get manifest and check its apiVersions by hand.',
    helpMarkdown:
      'Inspect the release with `helm get manifest <release> -n <namespace>` and check its apiVersions by hand.',
    defaultSeverity: 'warning',
    tags: ['kubernetes', 'helm'],
  },
  {
    id: LAST_APPLIED_INVALID_RULE,
    name: 'LastAppliedInvalid',
    shortDescription: 'A last-applied-configuration annotation is not readable',
    fullDescription: `The ${LAST_APPLIED} annotation of an object is not a JSON object with apiVersion and kind, so it was not checked.`,
    help: 'Re-apply the object with kubectl apply, or remove the annotation if nothing applies it any more.',
    helpMarkdown: `Re-apply the object with \`kubectl apply\`, or remove the \`${LAST_APPLIED}\` annotation if nothing applies it any more.`,
    defaultSeverity: 'info',
    tags: ['kubernetes'],
  },
]

let cache: Map<string, RuleDescriptor> | undefined

function all(): Map<string, RuleDescriptor> {
  if (cache) return cache
  cache = new Map()
  for (const e of REMOVED_APIS) cache.set(e.ruleId, removalRule(e))
  for (const e of REMOVED_APIS) {
    if (e.kind === '*' || e.removedIn === null) continue
    const id = liveKindRuleId(e.group, e.kind)
    if (!cache.has(id)) cache.set(id, liveKindRule(e.group, e.kind))
  }
  for (const r of FIXED) cache.set(r.id, r)
  return cache
}

/** Every rule the compatibility scan can emit. */
export function compatRules(): RuleDescriptor[] {
  return [...all().values()]
}

export function compatRule(id: string): RuleDescriptor | undefined {
  return all().get(id)
}
