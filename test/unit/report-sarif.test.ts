import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { Ajv } from 'ajv'
import * as ajvFormats from 'ajv-formats'
import { describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import { compatRule } from '../../src/core/compat/rules.js'
import type { Finding } from '../../src/core/findings.js'
import type { CheckReport } from '../../src/core/report/model.js'
import { FINGERPRINT_KEY, renderSarif, toSarif } from '../../src/core/report/sarif.js'

const ROOT = resolve(import.meta.dirname, '../..')
const GOLDEN = resolve(ROOT, 'test/fixtures/golden/check-manifests.sarif')

/** The vendored OASIS schema declares draft-04; Ajv 8 speaks draft-07 with the same keywords. */
function sarifValidator() {
  const schema = JSON.parse(readFileSync(resolve(ROOT, 'test/fixtures/sarif-schema-2.1.0.json'), 'utf8'))
  schema.$schema = 'http://json-schema.org/draft-07/schema#'
  schema.$id = schema.id
  delete schema.id
  const ajv = new Ajv({ allErrors: true, strict: false })
  const addFormats = ((ajvFormats as unknown as { default: unknown }).default ?? ajvFormats) as (
    a: Ajv,
  ) => void
  addFormats(ajv)
  return ajv.compile(schema)
}
const validate = sarifValidator()

function expectValid(log: unknown) {
  const ok = validate(log)
  expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([])
  expect(ok).toBe(true)
}

async function runCli(argv: string[]) {
  let stdout = ''
  let stderr = ''
  const code = await main(argv, {
    stdout: (t) => {
      stdout += t
    },
    stderr: (t) => {
      stderr += t
    },
    env: { DKP_FLEET_VERSION: '0.1.0' },
    cwd: ROOT,
  })
  return { code, stdout, stderr }
}

type SarifResult = {
  ruleId: string
  ruleIndex: number
  level: string
  message: { text: string }
  locations: {
    physicalLocation: {
      artifactLocation: { uri: string; uriBaseId?: string }
      region: { startLine: number; startColumn?: number }
    }
  }[]
  partialFingerprints: Record<string, string>
}
type SarifRule = {
  id: string
  shortDescription: { text: string }
  fullDescription: { text: string }
  help: { text: string; markdown: string }
  defaultConfiguration: { level: string }
  properties: { tags: string[] }
}
type SarifLog = {
  version: string
  runs: {
    tool: { driver: { name: string; version: string; informationUri: string; rules: SarifRule[] } }
    results: SarifResult[]
    invocations?: unknown[]
  }[]
}

describe('SARIF for repository manifests (golden)', () => {
  it('matches the golden file byte for byte and validates against the SARIF 2.1.0 schema', async () => {
    const { code, stdout } = await runCli([
      'check',
      '--manifests',
      'test/fixtures/manifests',
      '--target-kubernetes',
      '1.29',
      '--format',
      'sarif',
    ])
    expect(code).toBe(1) // errors found, default --fail-on error
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, stdout)
    expect(stdout).toBe(readFileSync(GOLDEN, 'utf8'))
    expectValid(JSON.parse(stdout))
  })

  it('carries what GitHub code scanning uses: driver, rules with help, located results, fingerprints', () => {
    const log = JSON.parse(readFileSync(GOLDEN, 'utf8')) as SarifLog
    expect(log.version).toBe('2.1.0')
    const run = log.runs[0]!
    expect(run.tool.driver).toMatchObject({ name: 'dkp-fleet', version: '0.1.0' })
    expect(run.tool.driver.informationUri).toMatch(/^https:\/\//)
    const rules = run.tool.driver.rules
    for (const r of rules) {
      expect(r.shortDescription.text.length).toBeGreaterThan(0)
      expect(r.fullDescription.text.length).toBeGreaterThan(0)
      expect(r.help.text.length).toBeGreaterThan(0)
      expect(r.help.markdown.length).toBeGreaterThan(0)
      expect(['error', 'warning', 'note']).toContain(r.defaultConfiguration.level)
      expect(r.properties.tags.length).toBeGreaterThan(0)
      expect(r.properties.tags.length).toBeLessThanOrEqual(20)
    }
    expect(run.results).toHaveLength(12)
    const fingerprints = new Set<string>()
    for (const res of run.results) {
      expect(rules[res.ruleIndex]!.id).toBe(res.ruleId)
      expect(res.locations).toHaveLength(1)
      const loc = res.locations[0]!.physicalLocation
      expect(loc.artifactLocation.uriBaseId).toBe('%SRCROOT%')
      expect(loc.artifactLocation.uri).toMatch(/^test\/fixtures\/manifests\//)
      expect(loc.region.startLine).toBeGreaterThan(0)
      expect(loc.region.startColumn).toBeGreaterThan(0)
      fingerprints.add(res.partialFingerprints[FINGERPRINT_KEY]!)
    }
    expect(fingerprints.size).toBe(run.results.length)
    const cert = run.results.find((r) => r.ruleId === 'removed-api/cert-manager.io/v1alpha2')!
    expect(cert.level).toBe('warning')
    expect(cert.locations[0]!.physicalLocation.artifactLocation.uri).toBe(
      'test/fixtures/manifests/misc/cert%20manager.yml',
    )
    const cron = run.results.find((r) => r.ruleId === 'removed-api/batch/v1beta1/CronJob')!
    expect(cron.locations[0]!.physicalLocation.region).toEqual({ startLine: 10, startColumn: 13 })
    expect(cron.message.text).toContain('Fix: Change apiVersion to batch/v1')
  })
})

const tool = { name: 'dkp-fleet', version: '0.1.0' }
const opts = { informationUri: 'https://example.com/dkp-fleet', rules: compatRule }

const cronFinding = (extra: Partial<Finding>): Finding => ({
  ruleId: 'removed-api/batch/v1beta1/CronJob',
  severity: 'error',
  object: { apiVersion: 'batch/v1beta1', kind: 'CronJob', namespace: 'jobs', name: 'nightly' },
  message: 'CronJob "jobs/nightly" uses batch/v1beta1.',
  remedy: 'Change apiVersion to batch/v1.',
  ...extra,
})

describe('SARIF for live-cluster findings', () => {
  const report: CheckReport = {
    tool,
    target: { kubernetes: '1.29' },
    findings: [
      cronFinding({ cluster: 'prod-east-1', details: { source: 'helm-release' } }),
      {
        ruleId: 'health/helmrelease-ready',
        severity: 'warning',
        cluster: 'mgmt',
        object: {
          apiVersion: 'helm.toolkit.fluxcd.io/v2',
          kind: 'HelmRelease',
          namespace: 'kommander',
          name: 'traefik',
        },
        message: 'HelmRelease kommander/traefik is not Ready.',
        remedy: 'Check the HelmRelease status.',
      },
      { ruleId: 'health/unreachable', severity: 'error', message: 'x', remedy: 'y', cluster: 'ghost' },
    ],
  }

  it('places them on the cluster line of the inventory, else on the fallback; still schema-valid', () => {
    const log = toSarif(report, {
      ...opts,
      clusterSources: new Map([
        ['prod-east-1', { file: 'fleet/clusters.yaml', line: 12, col: 5 }],
        ['mgmt', { file: 'fleet/fleet.yaml', line: 7, col: 3 }],
      ]),
      fallback: { file: 'fleet/fleet.yaml', line: 1, col: 1 },
    }) as unknown as SarifLog
    expectValid(log)
    const where = log.runs[0]!.results.map((r) => [
      r.ruleId,
      r.locations[0]!.physicalLocation.artifactLocation.uri,
      r.locations[0]!.physicalLocation.region.startLine,
      r.message.text.slice(0, 22),
    ])
    expect(where).toEqual([
      ['health/unreachable', 'fleet/fleet.yaml', 1, '[cluster ghost] x Fix:'],
      ['removed-api/batch/v1beta1/CronJob', 'fleet/clusters.yaml', 12, '[cluster prod-east-1] '],
      ['health/helmrelease-ready', 'fleet/fleet.yaml', 7, '[cluster mgmt] HelmRel'],
    ])
    // an unknown rule id still gets a complete descriptor
    const rule = log.runs[0]!.tool.driver.rules.find((r) => r.id === 'health/helmrelease-ready')!
    expect(rule.defaultConfiguration.level).toBe('warning')
    expect(rule.help.text).toBe('Check the HelmRelease status.')
  })

  it('accepts a record of cluster sources and relativises absolute paths under srcRoot', () => {
    const log = toSarif(
      { tool, target: {}, findings: [cronFinding({ cluster: 'prod-east-1' })] },
      {
        ...opts,
        clusterSources: { 'prod-east-1': { file: '/repo/fleet/a b.yaml', line: 3, col: 1 } },
        srcRoot: '/repo',
      },
    ) as unknown as SarifLog
    expect(log.runs[0]!.results[0]!.locations[0]!.physicalLocation.artifactLocation).toEqual({
      uri: 'fleet/a%20b.yaml',
      uriBaseId: '%SRCROOT%',
    })
  })

  it('refuses to emit a result without a location (GitHub rejects those)', () => {
    expect(() => renderSarif(report, opts)).toThrow(/has no location/)
  })
})

describe('SARIF limits and stability', () => {
  it('keeps the worst results under the per-run limit and says how many were left out', () => {
    const findings: Finding[] = []
    for (let i = 1; i <= 30; i++) {
      findings.push(
        cronFinding({
          severity: i % 3 === 0 ? 'error' : 'info',
          location: { file: 'a.yaml', line: i, col: 1 },
          object: { apiVersion: 'batch/v1beta1', kind: 'CronJob', name: `c${i}` },
        }),
      )
    }
    const log = toSarif({ tool, target: {}, findings }, { ...opts, maxResults: 10 }) as unknown as SarifLog
    expectValid(log)
    const run = log.runs[0]!
    expect(run.results).toHaveLength(10)
    expect(run.results.every((r) => r.level === 'error')).toBe(true)
    expect(JSON.stringify(run.invocations)).toContain('20 of 30 findings were left out')
  })

  it('keeps fingerprints when a finding moves to another line; output is deterministic', () => {
    const at = (line: number) =>
      toSarif(
        { tool, target: {}, findings: [cronFinding({ location: { file: 'a.yaml', line, col: 13 } })] },
        opts,
      ) as unknown as SarifLog
    const fp = (log: SarifLog) => log.runs[0]!.results[0]!.partialFingerprints[FINGERPRINT_KEY]
    expect(fp(at(3))).toBe(fp(at(40)))
    const findings = [
      cronFinding({ location: { file: 'b.yaml', line: 2 } }),
      cronFinding({ location: { file: 'a.yaml', line: 9 } }),
      cronFinding({ location: { file: 'a.yaml', line: 9 } }), // same object twice: fingerprints still unique
    ]
    const one = renderSarif({ tool, target: {}, findings }, opts)
    const two = renderSarif({ tool, target: {}, findings: [...findings].reverse() }, opts)
    expect(one).toBe(two)
    const prints = (JSON.parse(one) as SarifLog).runs[0]!.results.map(
      (r) => r.partialFingerprints[FINGERPRINT_KEY],
    )
    expect(new Set(prints).size).toBe(3)
  })
})
