// The health rules' descriptions (SARIF `rules`, docs/checks.md): one entry per rule id of
// health.ts.

import type { RuleDescriptor } from './findings.js'
import { HEALTH, type HealthRuleId } from './health.js'
import { type RuleHelp, ruleHelp } from './rule-help.js'

// The help texts are data: data/rules.json (src/core/rule-help.ts).
const HELP = Object.fromEntries(Object.values(HEALTH).map((id) => [id, ruleHelp(id)])) as Record<
  HealthRuleId,
  RuleHelp
>

let rules: Map<string, RuleDescriptor> | undefined

function buildRules(): Map<string, RuleDescriptor> {
  const out = new Map<string, RuleDescriptor>()
  for (const [id, h] of Object.entries(HELP) as [HealthRuleId, (typeof HELP)[HealthRuleId]][]) {
    out.set(id, {
      id,
      name: h.name,
      shortDescription: h.short,
      fullDescription: h.full,
      help: h.help,
      helpMarkdown: `${h.full}\n\n**Fix:** ${h.help}\n\nSee [the checks documentation](https://github.com/dkp-fleet-upgrade/dkp-fleet-upgrade/blob/main/docs/checks.md#health-gates).`,
      defaultSeverity: h.severity,
      tags: ['dkp', 'health', 'pre-upgrade'],
    })
  }
  return out
}

/** Every health rule (SARIF `rules`, docs). */
export function healthRules(): RuleDescriptor[] {
  rules ??= buildRules()
  return [...rules.values()]
}

export function healthRule(id: string): RuleDescriptor | undefined {
  rules ??= buildRules()
  return rules.get(id)
}
