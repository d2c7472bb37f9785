// Rule descriptors for every rule id the compatibility scan emits (SARIF `rules`, docs). Pure.
// The texts are data (data/rules.json, src/core/rule-help.ts): the fixed rules as written
// there, the removed-API rules composed per row of data/removed-apis.json.

import type { RuleDescriptor } from '../findings.js'
import { KIND_IN_USE_TEXTS, REMOVED_API_TEXTS, ruleHelp } from '../rule-help.js'
import { HELM_UNDECODABLE_RULE } from './helm.js'
import { LAST_APPLIED_INVALID_RULE, liveKindRuleId } from './live.js'
import { SYNTAX_RULE, TEMPLATE_RULE, UNREADABLE_RULE } from './manifest-scan.js'
import { HELM_PARTIAL_RULE } from './release-scan.js'
import { GUIDE_URL, REMOVED_APIS, type RemovedApi } from './table.js'

const pascal = (s: string): string =>
  s
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('')

const sourcesText = (sources: string[]): string =>
  `Source${sources.length > 1 ? 's' : ''}: ${sources.map((s) => REMOVED_API_TEXTS.sources[s] ?? s).join('; ')}.`

const guideAnchor = (removedIn: string): string => `${GUIDE_URL}#v${removedIn.replace('.', '-')}`

function removalRule(e: RemovedApi): RuleDescriptor {
  const what = e.kind === '*' ? `${e.apiVersion} (every kind)` : `${e.kind} ${e.apiVersion}`
  const by = e.component ? `${e.component.name} ${e.component.removedIn}` : `Kubernetes ${e.removedIn}`
  const replacement = e.replacement
    ? `Use ${e.replacement}${e.replacementSince ? ` (served since Kubernetes ${e.replacementSince})` : ''}.`
    : REMOVED_API_TEXTS.noReplacement
  const notes = [e.note ? `Note: ${e.note}.` : '', sourcesText(e.sources)].filter(Boolean).join(' ')
  const tags = ['kubernetes', 'removed-api', e.tier]
  if (e.removedIn) tags.push(`k8s-${e.removedIn}`)
  if (e.component) tags.push(e.component.name)
  return {
    id: e.ruleId,
    name: `RemovedApi${pascal(e.apiVersion)}${e.kind === '*' ? '' : pascal(e.kind)}`,
    shortDescription: `${what} is removed in ${by}`,
    fullDescription: `${what} is no longer served from ${by} on. ${REMOVED_API_TEXTS.consequence} ${replacement}`,
    help: `${replacement} ${e.hint} ${notes}`,
    helpMarkdown: [
      `**${what}** is no longer served from ${by} on.`,
      '',
      `- ${replacement}`,
      `- ${e.hint}`,
      `- ${notes}`,
      '',
      e.component ? '' : `See the [${REMOVED_API_TEXTS.guideTitle}](${guideAnchor(e.removedIn ?? '')}).`,
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
  const { help, helpMarkdown, severity, tags } = KIND_IN_USE_TEXTS
  return {
    id,
    name: `RemovedApiKindInUse${pascal(group)}${pascal(kind)}`,
    shortDescription: short,
    fullDescription: `${short}. ${help}`,
    help,
    helpMarkdown,
    helpUri: GUIDE_URL,
    defaultSeverity: severity,
    tags: [...tags],
  }
}

/** The rules whose every word is data/rules.json's. */
const FIXED_IDS = [
  SYNTAX_RULE,
  TEMPLATE_RULE,
  UNREADABLE_RULE,
  HELM_UNDECODABLE_RULE,
  HELM_PARTIAL_RULE,
  LAST_APPLIED_INVALID_RULE,
]

function fixedRule(id: string): RuleDescriptor {
  const h = ruleHelp(id)
  return {
    id,
    name: h.name,
    shortDescription: h.short,
    fullDescription: h.full,
    help: h.help,
    helpMarkdown: h.helpMarkdown ?? h.help,
    defaultSeverity: h.severity,
    tags: [...(h.tags ?? [])],
  }
}

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
  for (const id of FIXED_IDS) cache.set(id, fixedRule(id))
  return cache
}

/** Every rule the compatibility scan can emit. */
export function compatRules(): RuleDescriptor[] {
  return [...all().values()]
}

export function compatRule(id: string): RuleDescriptor | undefined {
  return all().get(id)
}
