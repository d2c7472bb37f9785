import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { Ajv } from 'ajv'
import { describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import type { Finding } from '../../src/core/findings.js'
import { JSON_REPORT_SCHEMA_VERSION, renderJson, toJsonReport } from '../../src/core/report/json.js'
import type { CheckReport } from '../../src/core/report/model.js'

const ROOT = resolve(import.meta.dirname, '../..')
const GOLDEN = resolve(ROOT, 'test/fixtures/golden/check-manifests.json')
const schema = JSON.parse(readFileSync(resolve(ROOT, 'src/core/report/check-report.schema.json'), 'utf8'))
const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema)

function expectValid(report: unknown) {
  validate(report)
  expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([])
}

const f = (extra: Partial<Finding> & Pick<Finding, 'severity'>): Finding => ({
  ruleId: 'removed-api/batch/v1beta1/CronJob',
  message: 'm',
  remedy: 'r',
  ...extra,
})

describe('JSON report', () => {
  it('is stable: golden output of `check --format json` for the fixtures, valid against its schema', async () => {
    let stdout = ''
    const code = await main(
      ['check', '--manifests', 'test/fixtures/manifests', '--target-kubernetes', '1.29', '--format', 'json'],
      {
        stdout: (t) => {
          stdout += t
        },
        stderr: () => {},
        env: { DKP_FLEET_VERSION: '0.1.0' },
        cwd: ROOT,
      },
    )
    expect(code).toBe(1)
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, stdout)
    expect(stdout).toBe(readFileSync(GOLDEN, 'utf8'))
    const report = JSON.parse(stdout)
    expectValid(report)
    expect(report.schemaVersion).toBe(JSON_REPORT_SCHEMA_VERSION)
    expect(report.counts).toEqual({ error: 10, warning: 2, info: 0, total: 12 })
    expect(Object.keys(report)).toEqual([
      'schemaVersion',
      'tool',
      'target',
      'counts',
      'scanned',
      'manifests',
      'findings',
    ])
  })

  it('sorts findings deterministically, orders keys, counts per cluster and validates', () => {
    const findings: Finding[] = [
      f({ severity: 'info', cluster: 'b', message: 'i' }),
      f({ severity: 'warning', location: { file: 'z.yaml', line: 1 } }),
      f({
        severity: 'error',
        cluster: 'a',
        details: { z: 1, a: 'x', m: true },
        object: { name: 'n', kind: 'CronJob', apiVersion: 'batch/v1beta1', namespace: 'ns' },
      }),
      f({ severity: 'error', location: { col: 3, line: 9, file: 'a.yaml' } }),
      f({ severity: 'error', location: { file: 'a.yaml', line: 2, col: 1 } }),
    ]
    const report: CheckReport = {
      tool: { name: 'dkp-fleet', version: '1.2.3' },
      target: { dkp: 'v2.8.1', kubernetes: '1.28.7' },
      findings,
      clusters: [
        { name: 'a', role: 'management', kubernetes: '1.27.6', status: 'checked' },
        { name: 'b', role: 'managed', status: 'unreachable', note: 'connection refused' },
      ],
      scanned: { objects: 4, files: 2, clusters: 2 },
    }
    const json = toJsonReport(report)
    expectValid(json)
    expect(
      json.findings.map((x) => [x.severity, x.cluster ?? '', x.location?.file ?? '', x.location?.line ?? 0]),
    ).toEqual([
      ['error', '', 'a.yaml', 2],
      ['error', '', 'a.yaml', 9],
      ['error', 'a', '', 0],
      ['warning', '', 'z.yaml', 1],
      ['info', 'b', '', 0],
    ])
    expect(Object.keys(json.findings[1]!.location!)).toEqual(['file', 'line', 'col'])
    expect(Object.keys(json.findings[2]!)).toEqual([
      'ruleId',
      'severity',
      'cluster',
      'object',
      'message',
      'remedy',
      'details',
    ])
    expect(Object.keys(json.findings[2]!.object!)).toEqual(['apiVersion', 'kind', 'namespace', 'name'])
    expect(Object.keys(json.findings[2]!.details!)).toEqual(['a', 'm', 'z'])
    expect(json.target).toEqual({ kubernetes: '1.28.7', dkp: 'v2.8.1' })
    expect(json.scanned).toEqual({ files: 2, objects: 4, clusters: 2 })
    expect(json.clusters).toEqual([
      {
        name: 'a',
        role: 'management',
        kubernetes: '1.27.6',
        status: 'checked',
        counts: { error: 1, warning: 0, info: 0, total: 1 },
      },
      {
        name: 'b',
        role: 'managed',
        status: 'unreachable',
        note: 'connection refused',
        counts: { error: 0, warning: 0, info: 1, total: 1 },
      },
    ])
    // same findings in another order → byte-identical text
    expect(renderJson({ ...report, findings: [...findings].reverse() })).toBe(renderJson(report))
    expect(renderJson(report).endsWith('}\n')).toBe(true)
  })

  it('drops properties outside the documented finding shape', () => {
    const odd = {
      ...f({ severity: 'error' }),
      extra: 'no',
      object: { apiVersion: 'v1', kind: 'X', name: 'y', uid: 'u' },
    }
    const json = toJsonReport({ tool: { name: 't', version: '0' }, target: {}, findings: [odd as Finding] })
    expectValid(json)
    expect(json.findings[0]).not.toHaveProperty('extra')
    expect(json.findings[0]!.object).not.toHaveProperty('uid')
  })
})
