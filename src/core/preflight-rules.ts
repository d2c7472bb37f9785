// Rule descriptors of the pre-flight checks (SARIF `rules`, docs), from data/rules.json. Pure.

import type { RuleDescriptor } from './findings.js'
import { PREFLIGHT } from './preflight-objects.js'
import { ruleHelp } from './rule-help.js'

let rules: Map<string, RuleDescriptor> | undefined

function build(): Map<string, RuleDescriptor> {
  const out = new Map<string, RuleDescriptor>()
  for (const id of Object.values(PREFLIGHT)) {
    const h = ruleHelp(id)
    out.set(id, {
      id,
      name: h.name,
      shortDescription: h.short,
      fullDescription: h.full,
      help: h.help,
      helpMarkdown:
        h.helpMarkdown ??
        `${h.full}\n\n**Fix:** ${h.help}\n\nSee [the checks documentation](https://github.com/dkp-fleet-upgrade/dkp-fleet-upgrade/blob/main/docs/checks.md#pre-flight-checks).`,
      defaultSeverity: h.severity,
      tags: ['dkp', 'pre-upgrade', ...(h.tags ?? [id.split('/')[0]!])],
    })
  }
  return out
}

export function preflightRules(): RuleDescriptor[] {
  rules ??= build()
  return [...rules.values()]
}

export function preflightRule(id: string): RuleDescriptor | undefined {
  rules ??= build()
  return rules.get(id)
}
