// Rule descriptors of the pre-flight checks (SARIF `rules`, docs), from data/rules.json. Pure.

import type { RuleDescriptor } from './findings.js'
import { PREFLIGHT } from './preflight-objects.js'
import { ruleDescriptors } from './rule-help.js'

const PREFLIGHT_RULES = ruleDescriptors(Object.values(PREFLIGHT), {
  anchor: 'pre-flight-checks',
  tags: (id, h) => ['dkp', 'pre-upgrade', ...(h.tags ?? [id.split('/')[0]!])],
})

export const preflightRules = (): RuleDescriptor[] => PREFLIGHT_RULES.all()

export const preflightRule = (id: string): RuleDescriptor | undefined => PREFLIGHT_RULES.get(id)
