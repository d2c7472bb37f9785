// The help of every rule id `dkp-fleet check` reports, as reviewed data: data/rules.json
// (bundled, next to data/removed-apis.json). Checked when first read: a rule without a name,
// descriptions, fix or a known severity is a build error, not a report with holes. Pure.

import raw from '../../data/rules.json' with { type: 'json' }
import type { RuleDescriptor, Severity } from './findings.js'

/** One rule's help as data/rules.json states it. */
export interface RuleHelp {
  /** PascalCase name (SARIF `name`). */
  name: string
  short: string
  full: string
  /** The fix, in plain text. */
  help: string
  /** The fix in Markdown, where it says more than `help`. */
  helpMarkdown?: string
  severity: Severity
  tags?: string[]
}

/** The texts the removed-API rules are composed from, one rule per row of removed-apis.json. */
export interface RemovedApiTexts {
  consequence: string
  noReplacement: string
  guideTitle: string
  /** Source id (removed-apis.json `sources`) → how the help names it. */
  sources: Record<string, string>
}

/** The rule of a kind that is in use on a cluster and has versions removed before the target. */
export interface KindInUseTexts {
  help: string
  helpMarkdown: string
  severity: Severity
  tags: string[]
}

const SEVERITIES: ReadonlySet<string> = new Set(['error', 'warning', 'info'])

function checkHelp(id: string, h: Record<string, unknown>): RuleHelp {
  for (const field of ['name', 'short', 'full', 'help'])
    if (typeof h[field] !== 'string' || (h[field] as string).trim() === '')
      throw new Error(`data/rules.json: rules["${id}"].${field} must be a non-empty string`)
  if (!SEVERITIES.has(h.severity as string))
    throw new Error(`data/rules.json: rules["${id}"].severity must be error, warning or info`)
  return h as unknown as RuleHelp
}

/** The `rules` object of data/rules.json, checked: every problem throws naming the rule and field. */
export function parseRuleHelp(rules: unknown): Map<string, RuleHelp> {
  if (typeof rules !== 'object' || rules === null || Array.isArray(rules))
    throw new Error('data/rules.json: rules must be an object of rule id → help')
  return new Map(
    Object.entries(rules as Record<string, unknown>).map(([id, h]) => {
      if (typeof h !== 'object' || h === null)
        throw new Error(`data/rules.json: rules["${id}"] must be an object`)
      return [id, checkHelp(id, h as Record<string, unknown>)]
    }),
  )
}

let help: Map<string, RuleHelp> | undefined

function all(): Map<string, RuleHelp> {
  help ??= parseRuleHelp(raw.rules)
  return help
}

/** The help of one rule id; throws when data/rules.json has none (every emitted id must have help). */
export function ruleHelp(id: string): RuleHelp {
  const h = all().get(id)
  if (!h) throw new Error(`data/rules.json has no help for rule ${id}`)
  return h
}

/** Every rule id with help in data/rules.json. */
export function ruleHelpIds(): string[] {
  return [...all().keys()]
}

export const REMOVED_API_TEXTS: RemovedApiTexts = raw.removedApi
export const KIND_IN_USE_TEXTS: KindInUseTexts = raw.removedApiKindInUse as KindInUseTexts

/** Where docs/checks.md describes a family of rules, and the SARIF tags of its rules. */
export interface RuleFamily {
  anchor: string
  tags: (id: string, help: RuleHelp) => string[]
}

/**
 * The SARIF rule descriptors of a family of rule ids, from data/rules.json: built on first use,
 * then `all()` and `get(id)` read the same map.
 */
export function ruleDescriptors(
  ids: readonly string[],
  family: RuleFamily,
): { all(): RuleDescriptor[]; get(id: string): RuleDescriptor | undefined } {
  let rules: Map<string, RuleDescriptor> | undefined
  const built = (): Map<string, RuleDescriptor> => {
    rules ??= new Map(
      ids.map((id) => {
        const h = ruleHelp(id)
        const docs = `https://github.com/dkp-fleet-upgrade/dkp-fleet-upgrade/blob/main/docs/checks.md#${family.anchor}`
        return [
          id,
          {
            id,
            name: h.name,
            shortDescription: h.short,
            fullDescription: h.full,
            help: h.help,
            helpMarkdown:
              h.helpMarkdown ?? `${h.full}\n\n**Fix:** ${h.help}\n\nSee [the checks documentation](${docs}).`,
            defaultSeverity: h.severity,
            tags: family.tags(id, h),
          },
        ]
      }),
    )
    return rules
  }
  return { all: () => [...built().values()], get: (id) => built().get(id) }
}
