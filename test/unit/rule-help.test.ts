// Rule help is data (data/rules.json, next to data/removed-apis.json): every rule id the check
// reports has its help there, nothing else is there, the loader refuses holes, and the SARIF
// rules carry exactly its words.

import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { compatRule, compatRules } from '../../src/core/compat/rules.js'
import { HEALTH } from '../../src/core/health.js'
import { healthRule, healthRules } from '../../src/core/health-rules.js'
import { PREFLIGHT } from '../../src/core/preflight-objects.js'
import { renderSarif } from '../../src/core/report/sarif.js'
import { parseRuleHelp, ruleHelp, ruleHelpIds } from '../../src/core/rule-help.js'

const ROOT = resolve(import.meta.dirname, '../..')
const data = JSON.parse(readFileSync(join(ROOT, 'data/rules.json'), 'utf8'))

describe('data/rules.json', () => {
  const fixedCompat = compatRules().filter((r) => !r.id.startsWith('removed-api'))

  it('has help for every health, pre-flight and fixed compat rule, and nothing else', () => {
    const emitted = [
      ...Object.values(HEALTH),
      ...Object.values(PREFLIGHT),
      ...fixedCompat.map((r) => r.id),
    ].sort()
    expect(ruleHelpIds().sort()).toEqual(emitted)
    expect(fixedCompat.length).toBeGreaterThanOrEqual(6)
  })

  it('is what the rule descriptors say, word for word', () => {
    for (const id of Object.values(HEALTH)) {
      const r = healthRule(id)!
      expect([r.name, r.shortDescription, r.fullDescription, r.help, r.defaultSeverity]).toEqual([
        data.rules[id].name,
        data.rules[id].short,
        data.rules[id].full,
        data.rules[id].help,
        data.rules[id].severity,
      ])
      expect(r.helpMarkdown).toContain(`**Fix:** ${data.rules[id].help}`)
    }
    for (const r of fixedCompat) {
      expect(r.help).toBe(data.rules[r.id].help)
      expect(r.helpMarkdown).toBe(data.rules[r.id].helpMarkdown)
      expect(r.tags).toEqual(data.rules[r.id].tags)
    }
    const kindInUse = compatRules().find((r) => r.id.startsWith('removed-api-kind/'))!
    expect(kindInUse.help).toBe(data.removedApiKindInUse.help)
    const cronJob = compatRule('removed-api/batch/v1beta1/CronJob')!
    expect(cronJob.fullDescription).toContain(data.removedApi.consequence)
    expect(cronJob.help).toContain(data.removedApi.sources.guide)
  })

  it('the SARIF report reads its rules from it', () => {
    const sarif = JSON.parse(
      renderSarif(
        {
          tool: { name: 'dkp-fleet', version: '0.0.0' },
          target: { kubernetes: '1.29.0' },
          findings: [
            {
              ruleId: HEALTH.backup,
              severity: 'warning',
              cluster: 'mgmt',
              message: 'no backup',
              remedy: 'take one',
            },
          ],
        },
        {
          informationUri: 'https://example.invalid',
          rules: (id) => healthRule(id) ?? compatRule(id),
          fallback: { file: 'fleet.yaml', line: 1, col: 1 },
          srcRoot: ROOT,
        },
      ),
    )
    const rule = sarif.runs[0].tool.driver.rules[0]
    expect(rule.id).toBe(HEALTH.backup)
    expect(rule.help.text).toBe(data.rules[HEALTH.backup].help)
    expect(rule.shortDescription.text).toBe(data.rules[HEALTH.backup].short)
  })

  it('every health rule keeps a fix worth reading', () => {
    for (const r of healthRules()) expect(r.help.length).toBeGreaterThan(20)
  })
})

describe('the loader refuses holes', () => {
  const good = { name: 'X', short: 's', full: 'f', help: 'h', severity: 'error' }

  it.each([
    [{ a: { ...good, help: '' } }, 'rules["a"].help must be a non-empty string'],
    [{ a: { ...good, name: undefined } }, 'rules["a"].name must be a non-empty string'],
    [{ a: { ...good, severity: 'fatal' } }, 'rules["a"].severity must be error, warning or info'],
    [{ a: 'text' }, 'rules["a"] must be an object'],
    [[], 'rules must be an object'],
  ])('%j', (rules, message) => {
    expect(() => parseRuleHelp(rules)).toThrow(message)
  })

  it('accepts a complete entry', () => {
    expect(parseRuleHelp({ a: good }).get('a')).toEqual(good)
  })

  it('an id without help is an error, not an empty rule', () => {
    expect(() => ruleHelp('health/no-such-rule')).toThrow(
      'data/rules.json has no help for rule health/no-such-rule',
    )
  })
})
