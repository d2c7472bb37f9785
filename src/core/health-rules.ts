// The health rules' descriptions (SARIF `rules`, docs/checks.md): one entry per rule id of
// health.ts. The help texts are data: data/rules.json (src/core/rule-help.ts).

import type { RuleDescriptor } from './findings.js'
import { HEALTH } from './health.js'
import { ruleDescriptors } from './rule-help.js'

const HEALTH_RULES = ruleDescriptors(Object.values(HEALTH), {
  anchor: 'health-gates',
  tags: () => ['dkp', 'health', 'pre-upgrade'],
})

/** Every health rule (SARIF `rules`, docs). */
export const healthRules = (): RuleDescriptor[] => HEALTH_RULES.all()

export const healthRule = (id: string): RuleDescriptor | undefined => HEALTH_RULES.get(id)
