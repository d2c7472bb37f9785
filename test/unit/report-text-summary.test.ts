import { describe, expect, it } from 'vitest'
import type { Finding, Severity } from '../../src/core/findings.js'
import { selectAnnotations } from '../../src/core/report/annotations.js'
import { escapeHtml, terminalSafe } from '../../src/core/report/escape.js'
import { exitCodeFor } from '../../src/core/report/exit-code.js'
import type { CheckReport } from '../../src/core/report/model.js'
import { renderSummary } from '../../src/core/report/summary.js'
import { renderText } from '../../src/core/report/text.js'

const tool = { name: 'dkp-fleet', version: '0.1.0' }

const finding = (severity: Severity, i: number, extra: Partial<Finding> = {}): Finding => ({
  ruleId: 'removed-api/batch/v1beta1/CronJob',
  severity,
  object: { apiVersion: 'batch/v1beta1', kind: 'CronJob', namespace: 'jobs', name: `c${i}` },
  location: { file: 'deploy/cron.yaml', line: i, col: 13 },
  message: `CronJob "jobs/c${i}" uses batch/v1beta1.`,
  remedy: 'Change apiVersion to batch/v1.',
  ...extra,
})

describe('text report', () => {
  it('prints a table, the fixes once per rule, and a summary line', () => {
    const report: CheckReport = {
      tool,
      target: { kubernetes: '1.29' },
      findings: [
        finding('warning', 7, {
          ruleId: 'manifest-syntax',
          object: undefined,
          message: 'YAML syntax error.',
          remedy: 'Fix it.',
        }),
        finding('error', 3),
        finding('error', 1),
        finding('info', 2, { location: undefined, cluster: 'prod', message: 'kind in use' }),
      ],
      scanned: { files: 2, documents: 9 },
    }
    expect(renderText(report)).toBe(
      [
        'SEVERITY  WHERE                  OBJECT           MESSAGE',
        'error     deploy/cron.yaml:1:13  CronJob jobs/c1  CronJob "jobs/c1" uses batch/v1beta1.',
        'error     deploy/cron.yaml:3:13  CronJob jobs/c3  CronJob "jobs/c3" uses batch/v1beta1.',
        'warning   deploy/cron.yaml:7:13                   YAML syntax error.',
        'info      cluster prod           CronJob jobs/c2  kind in use',
        '',
        'How to fix:',
        '  removed-api/batch/v1beta1/CronJob (3): Change apiVersion to batch/v1.',
        '  manifest-syntax (1): Fix it.',
        '',
        '2 errors, 1 warning, 1 info (target Kubernetes 1.29; 2 files, 9 documents scanned)',
        '',
      ].join('\n'),
    )
  })

  it('says so when there is nothing, and never passes terminal escapes through', () => {
    expect(renderText({ tool, target: { kubernetes: '1.29' }, findings: [], scanned: { files: 1 } })).toBe(
      'No findings (target Kubernetes 1.29; 1 file scanned)\n',
    )
    const evil = finding('error', 1, { message: 'bad \u001b[31mred\u001b[0m\nline \u202eabc' })
    const text = renderText({ tool, target: {}, findings: [evil] })
    expect(text).not.toMatch(/[\u001b\u202e]/)
    expect(terminalSafe('a\r\nb\u0007')).toBe('a b?')
  })
})

describe('job summary', () => {
  const clusters: CheckReport['clusters'] = [
    { name: 'mgmt', role: 'management', kubernetes: '1.28.7', status: 'checked' },
    { name: 'edge<script>', role: 'attached', status: 'unreachable', note: 'dial tcp: i/o timeout' },
  ]

  it('has a per-cluster table and findings grouped by severity, everything escaped', () => {
    const report: CheckReport = {
      tool,
      target: { kubernetes: '1.29' },
      manifests: ['deploy'],
      scanned: { files: 3 },
      clusters,
      findings: [
        finding('error', 1),
        finding('warning', 2, {
          cluster: 'edge<script>',
          location: undefined,
          message: '<img src=x onerror=alert(1)> @team | `code` [link](javascript:x) *bold*',
        }),
        finding('info', 3, { cluster: 'mgmt', location: undefined }),
      ],
    }
    const md = renderSummary(report)
    expect(md).toContain('## dkp-fleet check: target Kubernetes 1.29')
    expect(md).toContain('**1 error, 1 warning, 1 info**')
    expect(md).toContain(
      '<tr><td>repository <code>deploy</code></td><td>files</td><td></td><td>scanned</td><td>1</td><td>0</td><td>0</td></tr>',
    )
    expect(md).toContain(
      '<tr><td><code>mgmt</code></td><td>management</td><td>1.28.7</td><td>checked</td><td>0</td><td>0</td><td>1</td></tr>',
    )
    expect(md).toContain('<code>edge&lt;script&gt;</code>')
    expect(md).toContain(
      '&lt;img src=x onerror=alert(1)&gt; &#64;team &#124; &#96;code&#96; &#91;link&#93;(javascript:x) &#42;bold&#42;',
    )
    expect(md).not.toContain('<script>')
    expect(md).not.toContain('<img')
    expect(md.indexOf('Errors (1)')).toBeLessThan(md.indexOf('Warnings (1)'))
    expect(md.indexOf('Warnings (1)')).toBeLessThan(md.indexOf('Info (1)'))
    expect(md).toContain('<details open><summary><strong>Errors (1)</strong></summary>')
    expect(md).not.toContain('more finding')
  })

  it('stays under the byte limit and notes how many findings were left out', () => {
    const findings = Array.from({ length: 5000 }, (_, i) => finding(i % 2 ? 'warning' : 'error', i + 1))
    const maxBytes = 64 * 1024
    const md = renderSummary({ tool, target: { kubernetes: '1.29' }, findings }, { maxBytes })
    expect(Buffer.byteLength(md)).toBeLessThanOrEqual(maxBytes)
    const shown = (md.match(/<tr><td><code>deploy/g) ?? []).length
    expect(shown).toBeGreaterThan(50)
    expect(md).toContain(`> ${5000 - shown} more findings are not shown`)
    expect(md).toContain('The JSON report (`--format json`) lists every finding.')
    // default budget: under GitHub's 1 MiB step summary limit
    const big = renderSummary({
      tool,
      target: {},
      findings: Array.from({ length: 20000 }, (_, i) => finding('error', i)),
    })
    expect(Buffer.byteLength(big)).toBeLessThan(1024 * 1024)
  })

  it('escapes HTML and Markdown-active characters', () => {
    expect(escapeHtml('a&b<c>"d\'e\nf')).toBe('a&amp;b&lt;c&gt;&quot;d&#39;e<br>f')
  })
})

describe('annotations', () => {
  it('picks the worst 10 errors and 10 warnings on repository files and counts the rest', () => {
    const findings = [
      ...Array.from({ length: 14 }, (_, i) => finding('error', 20 - i)),
      ...Array.from({ length: 11 }, (_, i) => finding('warning', i + 1)),
      finding('info', 1),
      finding('error', 99, { location: undefined, cluster: 'prod' }), // no repository line
    ]
    const sel = selectAnnotations(findings)
    expect(sel.annotations.filter((a) => a.level === 'error').map((a) => a.startLine)).toEqual([
      7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    ])
    expect(sel.annotations.filter((a) => a.level === 'warning')).toHaveLength(10)
    expect(sel.omitted).toEqual({ error: 4, warning: 1 })
    expect(sel.note).toBe(
      '5 more findings on repository files (4 errors, 1 warning) are not annotated: GitHub shows at most 10 error and 10 warning annotations per step. See the job summary or the JSON report.',
    )
    expect(sel.annotations[0]).toEqual({
      level: 'error',
      title: 'removed-api/batch/v1beta1/CronJob',
      message: 'CronJob "jobs/c7" uses batch/v1beta1.\nFix: Change apiVersion to batch/v1.',
      file: 'deploy/cron.yaml',
      startLine: 7,
      startColumn: 13,
    })
    expect(selectAnnotations([finding('error', 1)]).note).toBeUndefined()
  })
})

describe('exit codes (--fail-on)', () => {
  const e = finding('error', 1)
  const w = finding('warning', 1)
  const i = finding('info', 1)
  it.each([
    ['error', [e], 1],
    ['error', [w, i], 0],
    ['warning', [w], 1],
    ['warning', [i], 0],
    ['warning', [e], 1],
    ['none', [e, w], 0],
    ['error', [], 0],
  ] as const)('--fail-on %s with %j → %i', (failOn, findings, code) => {
    expect(exitCodeFor([...findings], failOn)).toBe(code)
  })
})
