import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LiveCheck, parseCheckArgs, runCheck } from '../../src/cli/commands/check.js'
import type { CliIO } from '../../src/cli/io.js'
import { main } from '../../src/cli/main.js'

const ROOT = resolve(import.meta.dirname, '../..')

function capture(cwd = ROOT) {
  const out = { stdout: '', stderr: '' }
  const io: CliIO = {
    stdout: (t) => {
      out.stdout += t
    },
    stderr: (t) => {
      out.stderr += t
    },
    env: { DKP_FLEET_VERSION: '0.1.0' },
    cwd,
  }
  return { io, out }
}

async function check(args: string[], cwd = ROOT) {
  const { io, out } = capture(cwd)
  const code = await main(['check', ...args], io)
  return { code, ...out }
}

describe('dkp-fleet check --manifests (no cluster, no inventory)', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dkp-fleet-check-'))
    await writeFile(
      join(dir, 'certs.yaml'),
      'apiVersion: cert-manager.io/v1beta1\nkind: Issuer\nmetadata: {name: x}\n',
    )
    await writeFile(join(dir, 'ok.yaml'), 'apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: y}\n')
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('prints the text report and exits 1 on errors (default --fail-on error)', async () => {
    const r = await check(['--manifests', 'test/fixtures/manifests', '--target-kubernetes', '1.29'])
    expect(r.code).toBe(1)
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/^SEVERITY {2}WHERE/)
    expect(r.stdout).toContain('test/fixtures/manifests/apps/workloads.yaml:10:13')
    expect(r.stdout).toContain('How to fix:')
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe(
      '10 errors, 2 warnings, 0 info (target Kubernetes 1.29; 10 files, 20 documents scanned)',
    )
  })

  it('sets the exit code from --fail-on', async () => {
    const base = ['--manifests', dir, '--target-kubernetes', 'v1.29.6']
    expect((await check(base)).code).toBe(0) // only a warning (third-party)
    expect((await check([...base, '--fail-on', 'warning'])).code).toBe(1)
    expect((await check([...base, '--fail-on', 'none'])).code).toBe(0)
    expect(
      (
        await check([
          '--manifests',
          'test/fixtures/manifests',
          '--target-kubernetes',
          '1.29',
          '--fail-on',
          'none',
        ])
      ).code,
    ).toBe(0)
    expect(
      (
        await check([
          '--manifests',
          join(dir, 'ok.yaml'),
          '--target-kubernetes',
          '1.33',
          '--fail-on',
          'warning',
        ])
      ).code,
    ).toBe(0)
  })

  it('writes --output files (json, sarif) and prints only a summary on stderr', async () => {
    const out = join(dir, 'report.sarif')
    const r = await check([
      '--manifests',
      dir,
      '--target-kubernetes',
      '1.29',
      '--format',
      'sarif',
      '--output',
      out,
    ])
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(
      `0 errors, 1 warning, 0 info (target Kubernetes 1.29; 2 files, 2 documents scanned); sarif report written to ${out}\n`,
    )
    const sarif = JSON.parse(await readFile(out, 'utf8'))
    expect(sarif.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe('certs.yaml')

    const json = await check(['--manifests', dir, '--target-kubernetes', '1.29', '--format', 'json'])
    expect(JSON.parse(json.stdout).counts).toEqual({ error: 0, warning: 1, info: 0, total: 1 })
    expect(json.stderr).toContain('1 warning')
  })

  it.each([
    [['--manifests', 'x'], /--target-kubernetes is required/],
    [['--target-kubernetes', '1.29'], /nothing to check: pass --manifests DIR/],
    [
      ['--manifests', 'x', '--target-kubernetes', '2.0'],
      /--target-kubernetes: not a Kubernetes 1\.x version: "2\.0"/,
    ],
    [
      ['--manifests', 'x', '--target-kubernetes', '1.29', '--format', 'xml'],
      /--format must be one of text, json, sarif/,
    ],
    [
      ['--manifests', 'x', '--target-kubernetes', '1.29', '--fail-on', 'all'],
      /^--fail-on: must be error, warning or none, not "all"$/m,
    ],
    [
      ['--manifests', 'does-not-exist', '--target-kubernetes', '1.29'],
      /--manifests does-not-exist: no such file or directory/,
    ],
    [['--manifests', 'x', '--bogus'], /usage: unknown flag --bogus for dkp-fleet check/],
    [['-i', 'fleet.yaml', '--kubeconfig', 'k'], /no inventory file matches "fleet\.yaml"/],
  ])('rejects %j with exit code 2 and one clear message', async (args, message) => {
    const r = await check(args)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(message)
    expect(r.stderr).not.toMatch(/\n\s+at /) // no stack trace
  })

  it('prints usage with --help', async () => {
    const r = await check(['--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Usage: dkp-fleet check')
  })
})

describe('live-mode extension point', () => {
  it('merges live findings, takes the target from the live result and places SARIF results on inventory lines', async () => {
    const live: LiveCheck = async (options) => {
      expect(options.inventory).toEqual(['fleet.yaml'])
      return {
        target: { kubernetes: '1.27.6', dkp: 'v2.7.1' },
        clusters: [{ name: 'prod', role: 'managed', kubernetes: '1.26.6', status: 'checked' }],
        clusterSources: new Map([['prod', { file: 'fleet.yaml', line: 14, col: 5 }]]),
        fallback: { file: 'fleet.yaml', line: 1, col: 1 },
        findings: [
          {
            ruleId: 'health/kcp-converged',
            severity: 'error',
            cluster: 'prod',
            message: 'KubeadmControlPlane prod-control-plane is not converged.',
            remedy: 'Wait for the rollout.',
          },
        ],
      }
    }
    const options = parseCheckArgs([
      '-i',
      'fleet.yaml',
      '--kubeconfig',
      'k',
      '--manifests',
      'test/fixtures/manifests/helm',
      '--format',
      'sarif',
    ])
    if (options === 'help') throw new Error('unexpected')
    const { io, out } = capture()
    const code = await runCheck(options, io, live)
    expect(code).toBe(1)
    const log = JSON.parse(out.stdout)
    expect(log.runs[0].properties.targetKubernetes).toBe('1.27.6')
    const results = log.runs[0].results.map(
      (r: {
        ruleId: string
        locations: {
          physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } }
        }[]
      }) => [
        r.ruleId,
        r.locations[0]!.physicalLocation.artifactLocation.uri,
        r.locations[0]!.physicalLocation.region.startLine,
      ],
    )
    expect(results).toEqual([
      [
        'removed-api/autoscaling/v2beta2/HorizontalPodAutoscaler',
        'test/fixtures/manifests/helm/rendered.yaml',
        9,
      ],
      ['removed-api/extensions/v1beta1/Ingress', 'test/fixtures/manifests/helm/rendered.yaml', 24],
      ['health/kcp-converged', 'fleet.yaml', 14],
    ])
  })
})
