// The previous run's JSON report (`previous-report` / `--previous-report`): parsed field by
// field, and a bad file is a warning with no trend line, never a failure.

import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CliIO } from '../../src/cli/io.js'
import { main } from '../../src/cli/main.js'
import { renderJson } from '../../src/core/report/json.js'
import { PREVIOUS_REPORT_MAX_BYTES, parsePreviousReport } from '../../src/core/report/previous.js'
import { loadPreviousReport } from '../../src/stages/check-report.js'

const ROOT = resolve(import.meta.dirname, '../..')

async function cli(args: string[]) {
  const out = { stdout: '', stderr: '' }
  const io: CliIO = {
    stdout: (t) => {
      out.stdout += t
    },
    stderr: (t) => {
      out.stderr += t
    },
    env: { DKP_FLEET_VERSION: '0.1.0' },
    cwd: ROOT,
  }
  const code = await main(['check', ...args], io)
  return { code, ...out }
}

describe('parsePreviousReport', () => {
  const json = renderJson({
    tool: { name: 'dkp-fleet', version: '1.0.0' },
    target: { kubernetes: '1.29' },
    findings: [
      {
        ruleId: 'removed-api/batch/v1beta1/CronJob',
        severity: 'error',
        cluster: 'prod',
        object: { apiVersion: 'batch/v1beta1', kind: 'CronJob', namespace: 'ns', name: 'x' },
        message: 'm',
        remedy: 'r',
      },
      { ruleId: 'r2', severity: 'warning', location: { file: 'a.yaml', line: 3 }, message: 'm', remedy: 'r' },
    ],
  })

  it('keeps what the trend line compares from a JSON report', () => {
    const r = parsePreviousReport(json)
    expect(
      'report' in r &&
        r.report.findings.map((f) => [f.ruleId, f.severity, f.cluster, f.object?.name, f.location?.file]),
    ).toEqual([
      ['removed-api/batch/v1beta1/CronJob', 'error', 'prod', 'x', undefined],
      ['r2', 'warning', undefined, undefined, 'a.yaml'],
    ])
  })

  it.each([
    ['{', /^not JSON: /],
    ['[]', /^not a JSON object$/],
    ['{"schemaVersion":2,"findings":[]}', /^schemaVersion is 2, not 1$/],
    ['{"schemaVersion":1}', /^findings is not an array$/],
    [
      '{"schemaVersion":1,"findings":[{"ruleId":"a","severity":"fatal"}]}',
      /^findings\[0\]\.severity is not one of error, warning, info$/,
    ],
    [
      '{"schemaVersion":1,"findings":[{"ruleId":1,"severity":"error"}]}',
      /^findings\[0\]\.ruleId is not a string$/,
    ],
    [
      '{"schemaVersion":1,"findings":[{"ruleId":"a","severity":"error","object":{"name":3}}]}',
      /^findings\[0\]\.object /,
    ],
    [
      '{"schemaVersion":1,"findings":[{"ruleId":"a","severity":"error","location":{}}]}',
      /^findings\[0\]\.location\.file /,
    ],
  ])('refuses %s', (text, problem) => {
    const r = parsePreviousReport(text)
    expect('problem' in r ? r.problem : 'parsed').toMatch(problem)
  })
})

describe('loadPreviousReport (bounded read)', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dkp-fleet-prev-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('warns and returns nothing for a missing, oversized or malformed file; nothing without a path', async () => {
    const warnings: string[] = []
    const reporter = { warning: (m: string) => warnings.push(m) }
    await writeFile(join(dir, 'big.json'), Buffer.alloc(PREVIOUS_REPORT_MAX_BYTES + 1, 0x20))
    await writeFile(join(dir, 'bad.json'), 'not json')
    expect(await loadPreviousReport(undefined, dir, reporter)).toBeUndefined()
    expect(warnings).toEqual([])
    expect(await loadPreviousReport('missing.json', dir, reporter)).toBeUndefined()
    expect(await loadPreviousReport('big.json', dir, reporter)).toBeUndefined()
    expect(await loadPreviousReport('bad.json', dir, reporter)).toBeUndefined()
    expect(await loadPreviousReport('.', dir, reporter)).toBeUndefined()
    expect(warnings).toHaveLength(4)
    expect(warnings[0]).toMatch(/^previous-report missing\.json: cannot be read \(ENOENT\)/)
    expect(warnings[1]).toContain(
      `${PREVIOUS_REPORT_MAX_BYTES + 1} bytes, over the ${PREVIOUS_REPORT_MAX_BYTES}-byte limit`,
    )
    expect(warnings[2]).toContain('not a dkp-fleet JSON report: not JSON')
    expect(warnings[3]).toContain('not a regular file')
  })
})

describe('dkp-fleet check --previous-report', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dkp-fleet-prev-cli-'))
    await writeFile(
      join(dir, 'certs.yaml'),
      'apiVersion: cert-manager.io/v1beta1\nkind: Issuer\nmetadata: {name: x}\n',
    )
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('prints the trend line against the previous JSON report', async () => {
    const prev = join(dir, 'prev.json')
    const before = await cli([
      '--manifests',
      'test/fixtures/manifests',
      '--target-kubernetes',
      '1.29',
      '--format',
      'json',
      '-o',
      prev,
    ])
    expect(before.code).toBe(1)
    const now = await cli(['--manifests', dir, '--target-kubernetes', '1.29', '--previous-report', prev])
    expect(now.code).toBe(0)
    expect(now.stderr).toBe(
      'Since the previous run: errors 10 → 0 (−10), warnings 2 → 1 (−1), info 0 → 0; 1 new, 12 resolved.\n',
    )
  })

  it('a bad previous report is a warning: the check still runs and exits per --fail-on', async () => {
    await writeFile(join(dir, 'junk.json'), '{"schemaVersion":1,"findings":"no"}')
    const r = await cli([
      '--manifests',
      dir,
      '--target-kubernetes',
      '1.29',
      '--previous-report',
      join(dir, 'junk.json'),
    ])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^SEVERITY/)
    expect(r.stderr).toMatch(
      /^warning: previous-report .*junk\.json: not a dkp-fleet JSON report: findings is not an array; the summary has no trend line this run\n$/,
    )
  })
})
