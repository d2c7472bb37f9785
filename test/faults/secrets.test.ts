// Reliability: secrets. The management kubeconfig carries a fresh recognisable bearer token
// (added to the test apiserver's token file as system:masters, the apiserver restarted to read
// it) and a client certificate + key; the managed and attached clusters' kubeconfig Secrets carry
// tokens of their own. Every stage then runs through the real action bundle (`node dist/index.js`
// + `node dist/post.js`, RUNNER_DEBUG=1): plan with the kubeconfig, check, backup, the Kommander
// chain, custom-apps, capi-components, core-addons and kubernetes on mgmt and on managed
// clusters, status, pause (a stage deferred), resume, a dry run, a dkp failure, a job whose
// process tree is killed, verify. For every job:
//   - no secret's bytes (raw, base64 at any alignment, base64url, hex, URL-encoded) in stdout
//     (the `::add-mask::` commands aside), stderr, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY (main and
//     post step), or any file left in RUNNER_TEMP (plan.json, the check's report.json and SARIF,
//     the status file, …) after the post step;
//   - `::add-mask::` issued for the management token and key; for the managed clusters' tokens
//     where their Secrets are read; never for the whole kubeconfig, a multi-line value, anything
//     shorter than 8 characters or common kubeconfig text — only secret fields and the lines of
//     the decoded base64 (PEM) fields;
//   - the temp kubeconfig dkp is given is mode 0600 in a 0700 directory (logged by the dkp shim
//     at every invocation; also listed in RUNNER_TEMP while a slow stage runs), and gone after the
//     post step.
// And the CLI (`dkp-fleet plan|check|status|run … --kubeconfig F`, with --debug, a dkp failure):
// no secret on stdout/stderr, no temp kubeconfig left in TMPDIR.

import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { loadInventory } from '../../src/effects/inventory-files.js'
import { Kube, type KubeObject } from '../../src/effects/kube.js'
import { seedFleet } from '../../src/fleet/seed.js'
import { type Simulator, startSimulator } from '../../src/fleet/sim/index.js'
import { useTestCluster } from '../kube/harness.js'
import {
  ActionRunner,
  actionSnapshot,
  filesUnder,
  type Job,
  leakForms,
  logOf,
  makeShim,
  recognisable,
  type Shim,
  until,
} from './helpers.js'

const tc = useTestCluster()

const WS_NS = 'team-s-s3cr7'
const INVENTORY_YAML = `apiVersion: dkp-fleet/v1
kind: Fleet
metadata: { name: secrets }
target: { dkp: v2.8.1, kubernetes: 1.28.7 }
management: { name: mgmt, provider: aws, namespace: default }
backup: { namespace: kommander, maxAge: 12h }
workspaces:
  - name: team-s
    namespace: ${WS_NS}
    apps: [{ name: kafka-operator, version: 0.25.1 }]
    projects:
      - name: vault
        apps: [{ name: zookeeper-operator, version: 0.2.16 }]
clusters:
  - { name: east-1, workspace: team-s, provider: aws, nodepools: [east-1-md-0] }
  - { name: east-2, workspace: team-s, provider: aws, nodepools: [east-2-md-0] }
  - { name: edge-7, workspace: team-s, attached: true }
`

interface Secret {
  what: string
  value: string
}

let actionDir: string
let workspace: string
let sim: Simulator
let shim: Shim
let runner: ActionRunner
let mgmtKubeconfig: string
let mgmtKubeconfigFile: string
/** Every secret whose bytes must never leak. */
const secrets: Secret[] = []
/** Every value add-mask may be issued for (secret fields and the lines of decoded *-data fields). */
const maskable = new Set<string>()
let tokens: Record<'mgmt' | 'east-1' | 'east-2' | 'edge-7', string>
const rows: string[] = []
const tally = { jobs: 0, clean: 0, leaks: 0 }

/** A kubeconfig (YAML, as users keep them) for one user of the test apiserver. */
function kubeconfigYaml(user: string, auth: Record<string, string>): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'fleet', cluster: { server: tc.server, 'certificate-authority-data': tc.caData } }],
    users: [{ name: user, user: auth }],
    contexts: [{ name: user, context: { cluster: 'fleet', user } }],
    'current-context': user,
  })
}

/** Records what may be masked for a kubeconfig: its secret field values and decoded PEM lines. */
function allowMasks(auth: Record<string, string>) {
  for (const [k, v] of Object.entries({ ...auth, 'certificate-authority-data': tc.caData })) {
    maskable.add(v)
    if (k.endsWith('-data'))
      for (const line of Buffer.from(v, 'base64').toString('utf8').split('\n'))
        if (line.trim().length >= 16 && !line.startsWith('-----')) maskable.add(line.trim())
  }
}

beforeAll(async () => {
  actionDir = actionSnapshot()
  workspace = join(actionDir, 'repo')
  mkdirSync(workspace, { recursive: true })
  writeFileSync(join(workspace, 'fleet.yaml'), INVENTORY_YAML)

  // Fresh tokens, known to the apiserver as system:masters after a restart (tokens.csv is read at start).
  tokens = {
    mgmt: recognisable('dkpfleet-mgmt-token'),
    'east-1': recognisable('dkpfleet-east1-token'),
    // a bare hex token, as static tokens often are (also valid base64 text)
    'east-2': randomBytes(24).toString('hex'),
    'edge-7': recognisable('dkpfleet-edge7-token'),
  }
  appendFileSync(
    join(tc.dir, 'tokens.csv'),
    Object.entries(tokens)
      .map(([c, t], i) => `${t},secret-test-${c},u${100 + i},"system:masters"\n`)
      .join(''),
  )
  await tc.restartApiserver()

  // A client certificate and key (the apiserver has no client CA: the token authenticates).
  const pki = mkdtempSync(join(tmpdir(), 'dkp-secrets-pki-'))
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=dkp-fleet-secrets-test',
      '-keyout',
      join(pki, 'key.pem'),
      '-out',
      join(pki, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  )
  const keyPem = readFileSync(join(pki, 'key.pem'), 'utf8')
  const mgmtAuth = {
    token: tokens.mgmt,
    'client-certificate-data': readFileSync(join(pki, 'cert.pem')).toString('base64'),
    'client-key-data': Buffer.from(keyPem).toString('base64'),
  }
  mgmtKubeconfig = kubeconfigYaml('fleet-admin', mgmtAuth)
  allowMasks(mgmtAuth)
  secrets.push({ what: 'management token', value: tokens.mgmt })
  secrets.push({ what: 'management client-key-data', value: mgmtAuth['client-key-data'] })
  for (const line of keyPem.split('\n').filter((l) => l && !l.startsWith('-----')))
    secrets.push({ what: 'management client key (PEM line)', value: line })
  mgmtKubeconfigFile = join(pki, 'mgmt.kubeconfig')
  writeFileSync(mgmtKubeconfigFile, mgmtKubeconfig, { mode: 0o600 })

  // The kubeconfig works (token + client cert/key) before anything relies on it.
  const probe = Kube.fromString(mgmtKubeconfig)
  expect((await probe.list('v1', 'Namespace')).length).toBeGreaterThan(0)
  probe.close()

  const { inventory } = await loadInventory(join(workspace, 'fleet.yaml'))
  await seedFleet(tc.kube, inventory, { dkp: 'v2.7.1', kubeconfig: readFileSync(tc.kubeconfigPath, 'utf8') })
  // Each managed/attached cluster's Secret gets its own kubeconfig and token.
  for (const cluster of ['east-1', 'east-2', 'edge-7'] as const) {
    const auth = { token: tokens[cluster] }
    allowMasks(auth)
    secrets.push({ what: `${cluster} token`, value: tokens[cluster] })
    const key = cluster === 'edge-7' ? 'kubeconfig' : 'value'
    const s = await tc.kube.get<KubeObject & { data?: Record<string, string> }>(
      'v1',
      'Secret',
      `${cluster}-kubeconfig`,
      WS_NS,
    )
    expect(s?.data?.[key], `${cluster}-kubeconfig key ${key}`).toBeDefined()
    await tc.kube.replace({
      ...s!,
      data: { [key]: Buffer.from(kubeconfigYaml(`${cluster}-admin`, auth)).toString('base64') },
    })
  }
  sim = await startSimulator(tc.kube, { intervalMs: 20 })
  shim = makeShim(actionDir, { DKP_STANDIN_VERSION: 'v2.8.1', DKP_STANDIN_POLL_MS: '50' })
  runner = new ActionRunner(actionDir, workspace, {
    PATH: process.env.PATH ?? '',
    HOME: join(actionDir, 'home'),
    DKP_FLEET_POLL_MS: '100',
    RUNNER_DEBUG: '1',
  })
}, 180_000)

afterAll(async () => {
  await sim?.stop()
  console.log(
    `secrets: ${tally.jobs} action jobs, ${tally.clean} clean, ${tally.leaks} leaks\n  ${rows.join('\n  ')}`,
  )
})

// ---------------------------------------------------------------- checks

const MASK = /^::add-mask::(.*)$/gm
/** Strings a mask must never be: common kubeconfig text (masking them would blank logs and drop outputs). */
const COMMON = [
  'apiVersion',
  'v1',
  'Config',
  'kind',
  'clusters',
  'users',
  'token',
  'fleet',
  'fleet-admin',
  'mgmt',
  'east-1',
  'default',
]

function masksOf(stdout: string): string[] {
  return [...stdout.matchAll(MASK)].map((m) => m[1]!)
}

/** Where any secret's bytes appear (label, form, place), for one job after its post step. */
function leaks(job: Job): string[] {
  const places: [string, string][] = []
  for (const [name, step] of [
    ['main', job.main],
    ['post', job.post],
  ] as const) {
    if (!step) continue
    places.push([`${name} stdout`, step.stdout.replace(MASK, '')])
    places.push([`${name} stderr`, step.stderr])
    places.push([`${name} GITHUB_OUTPUT`, step.outputText])
    places.push([`${name} GITHUB_STEP_SUMMARY`, step.summary])
  }
  for (const f of filesUnder(job.runnerTemp))
    places.push([`file ${f.path.slice(job.runnerTemp.length + 1)}`, readFileSync(f.path, 'latin1')])
  const found: string[] = []
  for (const s of secrets)
    for (const form of leakForms(s.value))
      for (const [where, text] of places)
        if (text.includes(form))
          found.push(`${s.what} (${form === s.value ? 'raw' : `form ${form.slice(0, 12)}…`}) in ${where}`)
  return found
}

/** Everything the secrets contract says about one finished job (main + post). */
function expectSecretsKept(label: string, job: Job, opts: { managedMasked?: boolean } = {}) {
  tally.jobs++
  const found = leaks(job)
  tally.leaks += found.length
  expect(found, `${label}: secret bytes leaked`).toEqual([])
  const masks = [...masksOf(job.main.stdout), ...masksOf(job.post?.stdout ?? '')]
  expect(masks, `${label}: the management token is masked`).toContain(tokens.mgmt)
  expect(masks, `${label}: the management client-key-data is masked`).toContain(
    secrets.find((s) => s.what === 'management client-key-data')!.value,
  )
  // masked before anything else is written (a mask covers only later output)
  const lines = job.main.stdout.split('\n')
  const firstOther = lines.findIndex(
    (l) => l !== '' && !l.startsWith('::add-mask::') && !l.startsWith('::debug::'),
  )
  expect(lines.indexOf(`::add-mask::${tokens.mgmt}`), `${label}: the token is masked first`).toBeLessThan(
    firstOther < 0 ? lines.length : firstOther,
  )
  if (opts.managedMasked)
    for (const c of ['east-1', 'east-2', 'edge-7'] as const)
      expect(masks, `${label}: ${c}'s token masked when its Secret is read`).toContain(tokens[c])
  for (const m of masks) {
    expect(m.length, `${label}: mask ${JSON.stringify(m.slice(0, 40))} is too short`).toBeGreaterThanOrEqual(
      8,
    )
    expect(m, `${label}: a multi-line mask (the whole kubeconfig?)`).not.toMatch(/%0A|%0D/)
    expect(COMMON, `${label}: a common string masked`).not.toContain(m)
    expect(
      maskable.has(m),
      `${label}: add-mask for something that is not a secret field: ${JSON.stringify(m.slice(0, 60))}`,
    ).toBe(true)
  }
  // dkp was handed a 0600 kubeconfig in a 0700 directory, and the post step left none behind.
  for (const m of shim.modes().filter((x) => x.path.startsWith(job.runnerTemp)))
    expect(`${m.file} ${m.dir}`, `${label}: mode of ${m.path}`).toBe('600 700')
  expect(
    readdirSync(job.runnerTemp).filter((f) => f.startsWith('dkp-fleet-kube-')),
    `${label}: temp kubeconfigs left`,
  ).toEqual([])
  tally.clean++
  rows.push(
    `${label}: ${job.result?.status ?? (job.main.code === 0 ? 'ok' : `exit ${job.main.code}`)}, ${masks.length} masks (${new Set(masks).size} distinct), ${filesUnder(job.runnerTemp).length} files left in RUNNER_TEMP, 0 leaks`,
  )
}

const stageInputs = (stage: string, extra: Record<string, string> = {}) => ({
  stage,
  inventory: 'fleet.yaml',
  kubeconfig: mgmtKubeconfig,
  'dkp-path': shim.path,
  ...extra,
})

async function job(
  label: string,
  stage: string,
  extra: Record<string, string> = {},
  opts: { env?: Record<string, string>; status?: string[]; managedMasked?: boolean } = {},
) {
  const j = await runner.runWithPost(stageInputs(stage, extra), { env: opts.env ?? {} })
  if (opts.status)
    expect(opts.status, `${label}\n${logOf(j)}`).toContain(
      j.result?.status ?? (j.main.code === 0 ? 'ok' : 'failed'),
    )
  expectSecretsKept(label, j, opts)
  return j
}

// ---------------------------------------------------------------- the action

describe('secrets through every stage of the action', () => {
  it('the leak detector finds planted secrets (raw, inside base64, hex, in a left-over file)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dkp-secrets-control-'))
    const step = {
      code: 0,
      signal: null,
      stdout: '',
      stderr: '',
      outputText: '',
      outputs: {},
      summary: '',
      ms: 0,
      pid: 0,
    }
    const fake = (patch: Partial<typeof step>, file?: string): Job => {
      const runnerTemp = mkdtempSync(join(dir, 'job-'))
      if (file) writeFileSync(join(runnerTemp, 'left.txt'), file)
      return { id: 'control', dir, runnerTemp, env: {}, main: { ...step, ...patch }, state: {} }
    }
    const b64 = (t: string) => Buffer.from(t).toString('base64')
    expect(leaks(fake({ stdout: `token: ${tokens['east-1']}` }))).toEqual([
      expect.stringContaining('east-1 token (raw) in main stdout'),
    ])
    for (const pad of ['', 'a', 'ab'])
      expect(
        leaks(fake({ outputText: b64(`${pad}${mgmtKubeconfig}`) })).some((l) =>
          l.startsWith('management token (form'),
        ),
      ).toBe(true)
    expect(leaks(fake({ summary: Buffer.from(tokens['edge-7']).toString('hex') }))).not.toEqual([])
    expect(leaks(fake({}, `x${b64(mgmtKubeconfig)}`)).some((l) => l.includes('in file left.txt'))).toBe(true)
    expect(leaks(fake({ stdout: `::add-mask::${tokens.mgmt}\nclean` }))).toEqual([])
  })

  it('plan with the kubeconfig (live versions read through every cluster Secret)', async () => {
    const j = await job('plan', 'plan', {}, { managedMasked: true })
    expect(j.main.code, logOf(j)).toBe(0)
    expect(j.main.outputs.plan).toBeDefined()
  })

  it('check (live: every cluster read; report.json and check.sarif in RUNNER_TEMP)', async () => {
    const j = await job('check', 'check', { 'fail-on': 'none' }, { managedMasked: true })
    expect(
      filesUnder(j.runnerTemp)
        .map((f) => f.path)
        .filter((p) => /report\.json$|\.sarif$/.test(p)),
    ).toHaveLength(2)
  })

  it('backup, kommander, workspaces, workspace-apps, project-apps, custom-apps, capi-components', async () => {
    for (const stage of [
      'backup',
      'kommander',
      'workspaces',
      'workspace-apps',
      'project-apps',
      'custom-apps',
      'capi-components',
    ])
      await job(stage, stage, {}, { status: ['upgraded', 'skipped', 'passed'] })
  })

  it('core-addons and kubernetes on mgmt; kubeconfig 0600 in RUNNER_TEMP while the rollout runs', async () => {
    await job('core-addons mgmt', 'core-addons', { cluster: 'mgmt' }, { status: ['upgraded'] })
    const calls = shim.calls().length
    const running = runner.start(stageInputs('kubernetes', { cluster: 'mgmt' }), {
      env: { DKP_STANDIN_SLOW: 'update-controlplane:6' },
    })
    const temp = join(running.dir, 'temp')
    await until('dkp update controlplane', () =>
      shim
        .calls()
        .slice(calls)
        .some((c) => c.startsWith('update controlplane')),
    )
    const dirs = readdirSync(temp).filter((f) => f.startsWith('dkp-fleet-kube-'))
    expect(dirs).toHaveLength(1)
    const dir = join(temp, dirs[0]!)
    const files = readdirSync(dir)
    expect(files).toEqual(['mgmt.kubeconfig'])
    expect((statSync(dir).mode & 0o777).toString(8)).toBe('700')
    expect((statSync(join(dir, files[0]!)).mode & 0o777).toString(8)).toBe('600')
    expect(statSync(join(dir, files[0]!)).uid).toBe(process.getuid?.())
    const j = await runner.post(await running.done)
    expect(j.result?.status, logOf(j)).toBe('upgraded')
    expectSecretsKept('kubernetes mgmt (listed while running)', j)
  })

  it('core-addons and kubernetes on a managed cluster', async () => {
    await job('core-addons east-1', 'core-addons', { cluster: 'east-1' }, { status: ['upgraded'] })
    await job('kubernetes east-1', 'kubernetes', { cluster: 'east-1' }, { status: ['upgraded'] })
  })

  it('status, pause (a stage deferred), resume, a dry run', async () => {
    const s = await job('status', 'status')
    expect(s.main.code, logOf(s)).toBe(0)
    const p = await job('pause', 'pause', { reason: 'change freeze' })
    expect(p.main.outputs.paused).toBe('true')
    await job('core-addons east-2 (paused)', 'core-addons', { cluster: 'east-2' }, { status: ['deferred'] })
    const r = await job('resume', 'resume')
    expect(r.main.outputs.paused).toBe('false')
    await job('core-addons east-2', 'core-addons', { cluster: 'east-2' }, { status: ['upgraded'] })
    await job(
      'kubernetes east-2 (dry run)',
      'kubernetes',
      { cluster: 'east-2', 'dry-run': 'true' },
      { status: ['dry-run'] },
    )
  })

  it('a dkp failure (client-go error lines, last output in the summary), then a killed process tree, then the resume', async () => {
    const failed = await job(
      'kubernetes east-2 (dkp fails)',
      'kubernetes',
      { cluster: 'east-2' },
      {
        env: { DKP_STANDIN_FAIL: 'update-controlplane:1', DKP_STANDIN_PRINT_ERRORS: 'update-controlplane' },
        status: ['failed'],
      },
    )
    expect(failed.main.summary).toContain('injected failure')
    const viaCli = await cliRun(
      'run kubernetes (dkp fails, --debug)',
      ['run', 'kubernetes', ...K(), '--cluster', 'east-2', '--dkp-path', shim.path, '--debug'],
      { DKP_STANDIN_FAIL: 'update-nodepool:0', DKP_STANDIN_PRINT_ERRORS: 'update-nodepool' },
    )
    expect(viaCli.code, viaCli.stderr).toBe(1)
    expect(viaCli.stderr).toContain('injected failure')

    // The runner kills the step's process tree: the temp kubeconfig stays until the post step.
    const calls = shim.calls().length
    const pids = shim.pids().length
    const running = runner.start(stageInputs('kubernetes', { cluster: 'east-2' }), {
      env: { DKP_STANDIN_HANG: 'update-nodepool:1' },
    })
    await until('dkp update nodepool', () =>
      shim
        .calls()
        .slice(calls)
        .some((c) => c.startsWith('update nodepool')),
    )
    for (const pid of shim.pids().slice(pids))
      try {
        process.kill(-pid, 'SIGKILL')
      } catch {}
    running.child.kill('SIGKILL')
    const killed = await running.done
    expect(readdirSync(killed.runnerTemp).filter((f) => f.startsWith('dkp-fleet-kube-'))).toHaveLength(1)
    await runner.post(killed)
    expect(killed.post?.code, logOf(killed)).toBe(0)
    expectSecretsKept('kubernetes east-2 (killed, then post)', killed)

    await job('kubernetes east-2', 'kubernetes', { cluster: 'east-2' }, { status: ['upgraded'] })
  })

  it('verify (every cluster read through its Secret)', async () => {
    await job('verify', 'verify', {}, { status: ['passed'], managedMasked: true })
  })
})

// ---------------------------------------------------------------- the CLI

let cliTmp: string | undefined

/** `dkp-fleet …` (dist/cli.js) outside GitHub: no RUNNER_* variables, temp files in TMPDIR. */
async function cliRun(label: string, args: string[], extra: Record<string, string> = {}) {
  cliTmp ??= mkdtempSync(join(tmpdir(), 'dkp-secrets-cli-tmp-'))
  const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [join(actionDir, 'dist', 'cli.js'), ...args], {
      cwd: workspace,
      env: {
        PATH: process.env.PATH ?? '',
        DKP_FLEET_POLL_MS: '100',
        HOME: join(cliTmp!, 'home'),
        TMPDIR: cliTmp!,
        XDG_CACHE_HOME: join(cliTmp!, 'cache'),
        ...extra,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
  tally.jobs++
  const found: string[] = []
  for (const s of secrets)
    for (const form of leakForms(s.value))
      for (const [where, text] of [
        ['stdout', r.stdout],
        ['stderr', r.stderr],
      ] as const)
        if (text.includes(form)) found.push(`${s.what} in ${where}`)
  tally.leaks += found.length
  expect(found, `dkp-fleet ${label}: secret bytes printed\n${r.stderr.slice(-2000)}`).toEqual([])
  expect([0, 1, 2], `dkp-fleet ${label}\n${r.stderr.slice(-2000)}`).toContain(r.code)
  expect(
    readdirSync(cliTmp).filter((f) => f.startsWith('dkp-fleet-kube-')),
    `${label}: temp kubeconfig left in TMPDIR`,
  ).toEqual([])
  tally.clean++
  rows.push(`cli ${label}: exit ${r.code}, 0 leaks`)
  return r
}

const K = () => ['-i', 'fleet.yaml', '--kubeconfig', mgmtKubeconfigFile]

describe('secrets through the CLI', () => {
  it('dkp-fleet plan/check/status/run with --kubeconfig F never prints a secret; no temp kubeconfig left', async () => {
    await cliRun('plan --json', ['plan', ...K(), '--json'])
    await cliRun('plan (table) --debug', ['plan', ...K(), '--debug'])
    await cliRun('check --format sarif', ['check', ...K(), '--format', 'sarif', '--fail-on', 'none'])
    await cliRun('check --format json', ['check', ...K(), '--format', 'json', '--fail-on', 'none'])
    await cliRun('status --json', ['status', ...K(), '--json'])
    await cliRun('run verify --json', ['run', 'verify', ...K(), '--json'])
    await cliRun('run kubernetes --dry-run', [
      'run',
      'kubernetes',
      ...K(),
      '--cluster',
      'east-1',
      '--dkp-path',
      shim.path,
      '--dry-run',
    ])
    const bad = await cliRun('run kubernetes (unreadable kubeconfig, --debug)', [
      'run',
      'kubernetes',
      '-i',
      'fleet.yaml',
      '--kubeconfig',
      '/nonexistent',
      '--cluster',
      'east-1',
      '--debug',
    ])
    expect(bad.code).toBe(2)
    for (const f of filesUnder(cliTmp!)) {
      const text = readFileSync(f.path, 'latin1')
      for (const s of secrets) expect(text.includes(s.value), `${s.what} in ${f.path}`).toBe(false)
    }
  })
})
