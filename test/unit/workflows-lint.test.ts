// Every workflow in .github/workflows and examples/workflows: @actions/workflow-parser finds
// no error (reusable-workflow calls resolved to the local files, so a caller's `with:` is
// checked against the callee's inputs; actionlint v1.7.12 with shellcheck runs in
// test/effects/workflows-actionlint.test.ts), and the
// platform limits the parser misses hold: ≤ 25 dispatch inputs, every third-party `uses:`
// pinned to a commit SHA with a version comment. Then the shape of the shipped upgrade
// pipeline: job chain, has-work gating, wave slots, approvals, secrets, digests.

import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { upgradeWorkflow, WAVE_SLOTS } from '../../scripts/gen-workflows.js'
import { buildPlan, MAX_WAVE_SIZE } from '../../src/core/plan.js'
import { UPGRADE_ORDER } from '../../src/core/stages.js'
import { loadInventory } from '../../src/effects/inventory-files.js'
import { evaluate, expandMatrix, workflowParser } from '../e2e/workflow-runner.js'
import { SEED_ORDER } from '../helpers/fleet-gen.js'

const { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } = workflowParser

const ROOT = join(import.meta.dirname, '..', '..')
const DIRS = ['.github/workflows', 'examples/workflows']
const FILES = DIRS.flatMap((d) =>
  readdirSync(join(ROOT, d))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => `${d}/${f}`),
)
const UPGRADE = '.github/workflows/dkp-fleet-upgrade.yml'
const CHECK = '.github/workflows/dkp-fleet-check.yml'
const RELEASE = '.github/workflows/release.yml'
/** This project's own reusable workflows, as callers reference them (any owner: GHES mirrors). */
const OWN_WORKFLOW = /^[\w.-]+\/dkp-fleet-upgrade\/\.github\/workflows\/(dkp-fleet-[\w-]+\.yml)@/
/** This project's own action (the examples use its release tag; docs say to pin the SHA). */
const OWN_ACTION = /^[\w.-]+\/dkp-fleet-upgrade@v\d+$/

const read = (file: string) => readFileSync(join(ROOT, file), 'utf8')

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML, navigated freely in assertions
type Yaml = Record<string, any>
/** `${{ expression }}` as written in a workflow. */
const ex = (expression: string) => `\${{ ${expression} }}`
const yamlOf = (file: string) => parseYaml(read(file)) as Yaml

/** Every `uses:` of a file with its line text (for the version comment). */
function usesLines(file: string): { uses: string; line: string }[] {
  return read(file)
    .split('\n')
    .flatMap((line) => {
      const m = /^\s*(?:-\s+)?uses:\s*([^\s#]+)/.exec(line)
      return m ? [{ uses: m[1]!, line }] : []
    })
}

describe('every workflow', () => {
  it('the list covers the shipped workflows and the examples', () => {
    expect(FILES).toEqual(
      expect.arrayContaining([
        '.github/workflows/ci.yml',
        '.github/workflows/check-dist.yml',
        RELEASE,
        UPGRADE,
        CHECK,
        'examples/workflows/dkp-fleet-upgrade.yml',
        'examples/workflows/dkp-fleet-check.yml',
      ]),
    )
  })

  it.each(FILES)('@actions/workflow-parser finds no error in %s', async (file) => {
    const parsed = parseWorkflow({ name: file, content: read(file) }, new NoOperationTraceWriter())
    const tpl = await convertWorkflowTemplate(
      parsed.context,
      parsed.value!,
      {
        getFileContent: async (ref) => {
          const path = (ref as { path: string }).path
          const local = join('.github/workflows', path.split('/').pop()!)
          return { name: local, content: read(local) }
        },
      },
      { fetchReusableWorkflowDepth: 1 },
    )
    expect((tpl.errors ?? []).map((e) => e.Message)).toEqual([])
  })

  it('the parser does check callers against the reusable workflow (negative control)', async () => {
    const content = `on: workflow_dispatch\njobs:\n  up:\n    uses: acme/dkp-fleet-upgrade/.github/workflows/dkp-fleet-upgrade.yml@v1\n    with:\n      bogus: 1\n`
    const parsed = parseWorkflow({ name: 'caller.yml', content }, new NoOperationTraceWriter())
    const tpl = await convertWorkflowTemplate(
      parsed.context,
      parsed.value!,
      { getFileContent: async () => ({ name: UPGRADE, content: read(UPGRADE) }) },
      { fetchReusableWorkflowDepth: 1 },
    )
    expect((tpl.errors ?? []).map((e) => e.Message.replace(/^.*?\): /, ''))).toEqual([
      'Invalid input, bogus is not defined in the referenced workflow.',
      'Secret DKP_MGMT_KUBECONFIG is required, but not provided while calling.',
    ])
  })

  it.each(FILES)('%s: at most 25 workflow_dispatch inputs, least-privilege permissions', (file) => {
    const wf = yamlOf(file)
    const inputs = Object.keys(wf.on?.workflow_dispatch?.inputs ?? {})
    expect(inputs.length).toBeLessThanOrEqual(25)
    // The parser checks input types; GitHub also caps a dispatch payload at 65,535 characters.
    expect(JSON.stringify(wf.on?.workflow_dispatch ?? {}).length).toBeLessThan(65_535)
    expect(wf.permissions, 'workflow-level permissions').toBeTypeOf('object')
    const all: [string, Yaml][] = [
      ['(workflow)', wf.permissions],
      ...Object.entries<Yaml>(wf.jobs).map(([id, j]): [string, Yaml] => [id, j.permissions]),
    ]
    for (const [job, p] of all.filter(([, p]) => p)) {
      expect(p).not.toBe('write-all')
      for (const [scope, level] of Object.entries<string>(p)) {
        if (level !== 'write') continue
        // Only the release job writes contents (the release and the major tag).
        const allowed = file === RELEASE && job === 'release' ? ['contents'] : ['security-events']
        expect(allowed, `${file}: ${job}: ${scope}: write`).toContain(scope)
      }
    }
    // `queue: max` with cancel-in-progress is refused by GitHub but not by the parser.
    for (const c of [wf.concurrency, ...Object.values<Yaml>(wf.jobs).map((j) => j.concurrency)].filter(
      Boolean,
    )) {
      if (typeof c === 'object') expect(c.queue === 'max' && c['cancel-in-progress'] === true).toBe(false)
    }
    for (const [id, job] of Object.entries<Yaml>(wf.jobs)) {
      if (typeof job['timeout-minutes'] === 'number')
        expect(job['timeout-minutes'], `${file}: ${id}: hosted jobs stop at 6 h`).toBeLessThanOrEqual(360)
    }
  })

  it.each(FILES)('%s: every uses: is ./…, or pinned to a verified commit SHA with its version', (file) => {
    for (const { uses, line } of usesLines(file)) {
      if (uses.startsWith('./')) continue
      if (OWN_WORKFLOW.test(uses) || OWN_ACTION.test(uses)) {
        // The project's own release: the examples name the tag and tell users to pin its SHA.
        expect(file.startsWith('examples/'), `${file}: ${uses}`).toBe(true)
        continue
      }
      expect(uses, `${file}: ${line.trim()}`).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/)
      expect(line, `${file}: version comment`).toMatch(/@[0-9a-f]{40} # v\d+(\.\d+){0,2}$/)
    }
  })

  it('the pinned SHAs are the commits of their tags (checked against the upstream repositories)', () => {
    // Looked up in the upstream repositories (git rev-parse <tag>^{commit}); all node24.
    const verified: Record<string, string> = {
      'actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1': 'v7.0.1',
      'actions/setup-node@820762786026740c76f36085b0efc47a31fe5020': 'v7.0.0',
      'actions/setup-go@b7ad1dad31e06c5925ef5d2fc7ad053ef454303e': 'v7.0.0',
      'actions/cache@27d5ce7f107fe9357f9df03efb73ab90386fccae': 'v5.0.5',
      // v6.1.0 (node24, released 2026-06-26): the mirror of actions/cache available here ends at
      // v5.0.5, so this one is cross-checked instead: the top commit of v6.1.0 in Dependabot's
      // 5.0.5 → 6.1.0 release notes (Merge pull request #1768, 55cc834) and the full SHA pinned
      // `# v6.1.0` by several unrelated repositories (docs/pipelines.md, "The dkp cache").
      'actions/cache/restore@55cc8345863c7cc4c66a329aec7e433d2d1c52a9': 'v6.1.0',
      'actions/cache/save@55cc8345863c7cc4c66a329aec7e433d2d1c52a9': 'v6.1.0',
      'actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f': 'v7.0.0',
      // git rev-parse v8.0.1^{commit} in a snapshot of actions/download-artifact (tag dated
      // 2026-03-11, the newest release there; v8 and v8.0.1 point at the same commit).
      'actions/download-artifact@3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c': 'v8.0.1',
      'github/codeql-action/upload-sarif@8aad20d150bbac5944a9f9d289da16a4b0d87c1e': 'v4.36.2',
    }
    for (const file of FILES) {
      for (const { uses, line } of usesLines(file)) {
        if (uses.startsWith('./') || OWN_WORKFLOW.test(uses) || OWN_ACTION.test(uses)) continue
        expect(Object.keys(verified), `${file}: ${uses} is not in the verified list`).toContain(uses)
        expect(line.trim().endsWith(`# ${verified[uses]}`), `${file}: ${line.trim()}`).toBe(true)
      }
    }
  })
})

// ---------------------------------------------------------------------------------------------
// The upgrade pipeline

const wf = yamlOf(UPGRADE)
const jobs = wf.jobs as Record<string, Yaml>
const action = parseYaml(read('action.yml')) as Yaml
const MGMT_CHAIN: string[] = SEED_ORDER.filter((s) => s !== 'verify')
const SLOTS = Number(jobs.plan!.steps.find((s: Yaml) => s.env?.WAVE_SLOTS !== undefined).env.WAVE_SLOTS)
const stageSteps = (job: Yaml): Yaml[] => job.steps.filter((s: Yaml) => s.uses === './.dkp-fleet/action')
/**
 * The stages that run dkp to act (reference/dkp.md §2); verify (gates, verify job) may run it to
 * check a core-addons step. Their jobs take the dkp job's tarball; check never runs dkp.
 */
const DKP_STAGES = [
  'kommander',
  'workspaces',
  'workspace-apps',
  'project-apps',
  'capi-components',
  'core-addons',
  'kubernetes',
]

describe('dkp-fleet-upgrade.yml', () => {
  it('is the file scripts/gen-workflows.ts generates (each job kind written once)', () => {
    expect(read(UPGRADE)).toBe(upgradeWorkflow())
    // The stage inputs are written once: every stage step repeats them only in the output.
    const source = read('scripts/gen-workflows.ts')
    expect(source.match(/plan-digest/g)).toHaveLength(1)
    expect(read(UPGRADE).match(/plan-digest: /g)!.length).toBeGreaterThan(2 * WAVE_SLOTS)
  })

  it('has one job per stage in the DKP order, then a gate and a wave job per slot, then verify', () => {
    expect(UPGRADE_ORDER.slice(0, -1)).toEqual(MGMT_CHAIN)
    const slots = Array.from({ length: SLOTS }, (_, i) => [`gate-${i}`, `wave-${i}`]).flat()
    expect(Object.keys(jobs)).toEqual(['plan', 'dkp', ...MGMT_CHAIN, ...slots, 'verify'])
    expect(jobs.dkp!.needs).toEqual(['plan'])
    let previous = 'plan'
    for (const id of MGMT_CHAIN) {
      // The jobs whose stage runs dkp also need the dkp job (its artifact).
      const dkp = DKP_STAGES.includes(id) ? ['dkp'] : []
      expect(jobs[id]!.needs, id).toEqual(id === 'check' ? ['plan'] : ['plan', previous, ...dkp])
      previous = id
    }
    for (let i = 0; i < SLOTS; i++) {
      expect(jobs[`gate-${i}`]!.needs).toEqual(
        i === 0
          ? ['plan', 'kubernetes', 'dkp']
          : ['plan', 'kubernetes', `gate-${i - 1}`, `wave-${i - 1}`, 'dkp'],
      )
      expect(jobs[`wave-${i}`]!.needs).toEqual(['plan', `gate-${i}`, 'dkp'])
    }
    expect(jobs.verify!.needs).toEqual(['plan', 'kubernetes', ...slots, 'dkp'])
    expect(SLOTS).toBe(8)
  })

  it('management jobs run on !cancelled() && !failure() plus their has-work flag; each names its stage', () => {
    for (const id of MGMT_CHAIN) {
      expect(jobs[id]!.if).toBe(
        `\${{ !cancelled() && !failure() && fromJSON(needs.plan.outputs.stages)['${id}'] }}`,
      )
      const [step] = stageSteps(jobs[id]!)
      expect(step!.with.stage).toBe(id)
    }
    expect(stageSteps(jobs['core-addons']!)[0]!.with.cluster).toBe(ex('needs.plan.outputs.management'))
    expect(stageSteps(jobs.kubernetes!)[0]!.with.cluster).toBe(ex('needs.plan.outputs.management'))
  })

  it('the has-work flags skip exactly the stages the plan leaves out', () => {
    // A fleet without workspaces or catalog apps: those jobs are skipped, the chain goes on.
    const stages = {
      check: true,
      backup: false,
      kommander: true,
      workspaces: false,
      'workspace-apps': false,
      'project-apps': false,
      'custom-apps': true,
      'capi-components': true,
      'core-addons': true,
      kubernetes: true,
      verify: true,
    }
    const results: Record<string, string> = { plan: 'success' }
    const ancestors = (id: string): string[] => ['plan', ...MGMT_CHAIN.slice(0, MGMT_CHAIN.indexOf(id))]
    for (const id of MGMT_CHAIN) {
      const anc = ancestors(id)
      const cond = (jobs[id]!.if as string).slice(3, -2)
      const run = evaluate(
        cond,
        { needs: { plan: { result: 'success', outputs: { stages: JSON.stringify(stages) } } } },
        {
          success: () => anc.every((a) => results[a] === 'success'),
          failure: () => anc.some((a) => results[a] === 'failure'),
          cancelled: () => false,
          always: () => true,
        },
      )
      results[id] = run ? 'success' : 'skipped'
    }
    expect(results).toMatchObject({
      backup: 'skipped',
      workspaces: 'skipped',
      'project-apps': 'skipped',
      kommander: 'success',
      'custom-apps': 'success',
      kubernetes: 'success',
    })
  })

  it('every stage step gets the plan digest, the kubeconfig secret, a pinned dkp and the dry-run flag', () => {
    const declared = Object.keys(action.inputs)
    for (const [id, job] of Object.entries(jobs)) {
      if (id === 'dkp') continue // fetch-dkp: no inventory, no secret (below)
      const steps = stageSteps(job)
      expect(steps.length, id).toBeGreaterThan(0)
      for (const step of steps) {
        for (const key of Object.keys(step.with)) expect(declared, `${id}: with.${key}`).toContain(key)
        expect(step.with.inventory).toBe(ex('inputs.inventory'))
        expect(step.with.kubeconfig).toBe(ex('secrets.DKP_MGMT_KUBECONFIG'))
        expect(step.with.target).toBe(ex('inputs.target'))
        if (id === 'plan') continue
        expect(step.with['plan-digest'], id).toBe(ex('needs.plan.outputs.digest'))
        expect(step.with['require-checksum'], id).toBe(true)
        expect(step.with['dry-run'], id).toBe(ex('inputs.dry-run'))
        for (const k of ['dkp-version', 'dkp-sha256', 'dkp-download-url', 'dkp-path'])
          expect(step.with[k]).toBe(`\${{ inputs.${k} }}`)
      }
    }
  })

  it('the kubeconfig secret only goes to the action input; job outputs come from declared action outputs', () => {
    const text = read(UPGRADE)
    const secretLines = text.split('\n').filter((l) => l.includes('secrets.'))
    for (const l of secretLines) expect(l.trim()).toBe(`kubeconfig: ${ex('secrets.DKP_MGMT_KUBECONFIG')}`)
    const outputs = Object.keys(action.outputs)
    for (const m of text.matchAll(/steps\.(?:plan|stage|fetch)\.outputs\.([\w-]+)/g))
      expect(outputs).toContain(m[1])
    expect(wf.on.workflow_call.secrets).toEqual({
      DKP_MGMT_KUBECONFIG: { description: expect.any(String), required: true },
    })
  })

  it('dispatch and call take the same inputs with the same defaults', () => {
    const d = wf.on.workflow_dispatch.inputs as Yaml
    const c = wf.on.workflow_call.inputs as Yaml
    expect(Object.keys(c)).toEqual(Object.keys(d))
    for (const k of Object.keys(d)) {
      expect(c[k].default, k).toEqual(d[k].default)
      expect(c[k].type, k).toBe(d[k].type)
    }
    expect(d['dry-run']).toMatchObject({ type: 'boolean', default: true })
  })

  it('two upgrades of one fleet never overlap, and nothing cancels a running upgrade', () => {
    expect(wf.concurrency['cancel-in-progress']).toBe(false)
    const g = (inventory: string, dryRun: boolean) =>
      String(
        evalTemplateString(wf.concurrency.group, {
          github: { repository: 'acme/fleet' },
          inputs: { inventory, 'dry-run': dryRun },
        }),
      )
    expect(g('fleet/*.yaml', false)).toBe(g('fleet/*.yaml', false))
    expect(g('fleet/*.yaml', false)).not.toBe(g('other/*.yaml', false))
    expect(g('fleet/*.yaml', true)).not.toBe(g('fleet/*.yaml', false))
    expect(g('fleet/*.yaml', false)).toMatch(/^dkp-fleet-upgrade-acme\/fleet-fleet\/\*\.yaml$/)
  })

  it('approvals: the management Kubernetes job and every wave gate use an environment; dry runs use an unprotected one', () => {
    const env = (id: string, dryRun: boolean) =>
      evalTemplateString(jobs[id]!.environment, { inputs: { 'dry-run': dryRun } })
    expect(env('kubernetes', false)).toBe('dkp-fleet-management')
    expect(env('kubernetes', true)).toBe('dkp-fleet-dry-run')
    for (let i = 0; i < SLOTS; i++) {
      expect(env(`gate-${i}`, false)).toBe('dkp-fleet-waves')
      expect(env(`gate-${i}`, true)).toBe('dkp-fleet-dry-run')
      expect(
        jobs[`wave-${i}`]!.environment,
        'no environment on matrix legs (one approval per wave)',
      ).toBeUndefined()
    }
    const withEnv = Object.entries(jobs)
      .filter(([, j]) => j.environment)
      .map(([id]) => id)
    expect(withEnv).toEqual(['kubernetes', ...Array.from({ length: SLOTS }, (_, i) => `gate-${i}`)])
  })

  it('slot i: the gate verifies before waves[i].wave, the wave job fans out over waves[i].include', () => {
    for (let i = 0; i < SLOTS; i++) {
      const gate = jobs[`gate-${i}`]!
      const [verify] = stageSteps(gate)
      expect(verify!.with).toMatchObject({
        stage: 'verify',
        wave: `\${{ fromJSON(needs.plan.outputs.waves)[${i}].wave }}`,
      })
      expect(verify!['continue-on-error']).toBe(ex('inputs.dry-run'))
      expect(gate.if).toContain(`fromJSON(needs.plan.outputs.wave-count) > ${i}`)
      if (i > 0)
        expect(gate.if).toContain(
          `needs.gate-${i - 1}.result == 'success' && needs.gate-${i - 1}.outputs.status != 'deferred'`,
        )
      // A gate that deferred the wave (a soak) ends the run before the wave, and before verify.
      expect(gate.outputs).toEqual({
        status: ex('steps.stage.outputs.status'),
        'soak-until': ex('steps.stage.outputs.soak-until'),
      })
      expect(jobs.verify!.if).toContain(`needs.gate-${i}.outputs.status != 'deferred'`)
      const wave = jobs[`wave-${i}`]!
      expect(wave.strategy).toEqual({
        'fail-fast': false,
        'max-parallel': ex('fromJSON(needs.plan.outputs.max-parallel)'),
        matrix: { include: `\${{ fromJSON(needs.plan.outputs.waves)[${i}].include }}` },
      })
      expect(wave.if).toBe(
        `\${{ !cancelled() && needs.plan.result == 'success' && needs.gate-${i}.result == 'success' && needs.gate-${i}.outputs.status != 'deferred' }}`,
      )
      expect(stageSteps(wave).map((s) => [s.with.stage, s.with.cluster])).toEqual([
        ['core-addons', ex('matrix.cluster')],
        ['kubernetes', ex('matrix.cluster')],
      ])
    }
  })

  it.each(['examples/fleet.yaml', 'examples/large/*.yaml'])(
    'the slots cover every wave of %s, each leg one cluster, ≤ 256 legs per wave job',
    async (glob) => {
      const { inventory } = await loadInventory(glob, ROOT)
      const plan = buildPlan(inventory)
      expect(plan.waves.length).toBeLessThanOrEqual(SLOTS)
      const outputs = { waves: JSON.stringify(plan.waves), 'wave-count': String(plan.waves.length) }
      const seen: string[] = []
      for (let i = 0; i < SLOTS; i++) {
        const scope = { needs: { plan: { result: 'success', outputs } } }
        const gateRuns = evaluate(
          (jobs[`gate-${i}`]!.if as string).slice(3, -2),
          {
            ...scope,
            needs: {
              ...scope.needs,
              kubernetes: { result: 'success' },
              [`gate-${i - 1}`]: { result: 'success' },
            },
          },
          { success: () => true, failure: () => false, cancelled: () => false, always: () => true },
        )
        expect(Boolean(gateRuns), `gate-${i}`).toBe(i < plan.waves.length)
        if (i >= plan.waves.length) continue
        const include = evaluate(`fromJSON(needs.plan.outputs.waves)[${i}].include`, scope)
        const legs = expandMatrix({ include })
        expect(legs.length).toBeLessThanOrEqual(MAX_WAVE_SIZE)
        for (const leg of legs) expect(Object.keys(leg).sort()).toEqual(['cluster', 'wave'])
        seen.push(...legs.map((l) => String(l.cluster)))
        expect(evaluate(`fromJSON(needs.plan.outputs.waves)[${i}].wave`, scope)).toBe(plan.waves[i]!.wave)
      }
      expect(seen).toEqual(plan.matrix.include.map((e) => e.cluster))
    },
  )

  it('the plan job fails with a clear message when the plan has more waves than slots', async () => {
    const step = jobs.plan!.steps.find((s: Yaml) => s.env?.WAVE_SLOTS !== undefined)
    const { spawnSync } = await import('node:child_process')
    const run = (waveCount: number) =>
      spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run], {
        env: { PATH: process.env.PATH, WAVE_COUNT: String(waveCount), WAVE_SLOTS: String(SLOTS) },
        encoding: 'utf8',
      })
    expect(run(SLOTS).status).toBe(0)
    const over = run(SLOTS + 1)
    expect(over.status).toBe(1)
    expect(over.stdout).toContain(
      `::error title=Too many waves::The plan has ${SLOTS + 1} waves but this workflow has ${SLOTS} wave slots`,
    )
  })

  describe('the dkp cache: one verified download per run, the Actions cache only in a job without secrets', () => {
    const KEY = ex('needs.plan.outputs.dkp-cache-key')
    const PATH = ex('runner.temp') + '/dkp-fleet-dkp-cache'
    const isRestore = (s: Yaml) => String(s.uses).startsWith('actions/cache/restore@')
    const isSave = (s: Yaml) => String(s.uses).startsWith('actions/cache/save@')
    const isUpload = (s: Yaml) => String(s.uses).startsWith('actions/upload-artifact@')
    const isDownload = (s: Yaml) => String(s.uses).startsWith('actions/download-artifact@')
    const dkp = jobs.dkp!
    const dkpSteps = dkp.steps as Yaml[]
    const fetch = dkpSteps.find((s) => s.id === 'fetch')!
    const dkpJobs = Object.entries(jobs).filter(([, j]) =>
      stageSteps(j).some((s) => [...DKP_STAGES, 'verify'].includes(s.with.stage)),
    )
    const always = { success: () => true, failure: () => false, cancelled: () => false, always: () => true }
    const condOf = (step: Yaml) => (step.if as string).slice(3, -2)

    it('only the dkp job touches the Actions cache; it holds no secret, no token permission, and checks out only the action', () => {
      for (const [id, j] of Object.entries(jobs)) {
        const steps = j.steps as Yaml[]
        if (id === 'dkp') continue
        expect(
          steps.some((s) => isRestore(s) || isSave(s) || (isUpload(s) && s.with?.archive === false)),
          id,
        ).toBe(false)
      }
      // No secret reaches the job: no `secrets.` anywhere in it, no environment (whose secrets
      // would be readable), a GITHUB_TOKEN without permissions.
      expect(JSON.stringify(dkp)).not.toContain('secrets.')
      expect(dkp.environment).toBeUndefined()
      expect(dkp.permissions).toEqual({})
      // Checkout of the action only (the inventory stays out), then restore, fetch, save, upload:
      // the upload is the last step, nothing else runs on that runner after the cache restore.
      expect(dkpSteps.map((s) => (s.id as string) ?? s.name)).toEqual([
        'Check out the action (same release as this workflow, see docs/pipelines.md)',
        'dkp-cache',
        'fetch',
        'Save the verified dkp tarball',
        'upload',
      ])
      expect(dkpSteps[0]!.with.path).toBe('.dkp-fleet/action')
      expect(fetch.with).toEqual({
        stage: 'fetch-dkp',
        'dkp-version': ex('needs.plan.outputs.dkp-version'),
        'dkp-sha256': ex('inputs.dkp-sha256'),
        'dkp-download-url': ex('inputs.dkp-download-url'),
        'require-checksum': true,
        'dkp-cache-dir': PATH,
        'timeout-minutes': ex('inputs.timeout-minutes'),
      })
      for (const key of Object.keys(fetch.with)) expect(Object.keys(action.inputs)).toContain(key)
    })

    it('the plan job names the version and the key; restore and save use that exact key and the same path, no restore-keys', () => {
      expect(jobs.plan!.outputs['dkp-cache-key']).toBe(ex('steps.plan.outputs.dkp-cache-key'))
      const planStep = stageSteps(jobs.plan!)[0]!
      for (const k of ['dkp-version', 'dkp-sha256', 'dkp-path'])
        expect(planStep.with[k]).toBe(`\${{ inputs.${k} }}`)
      const version = (inputs: Yaml) =>
        evalTemplateString(jobs.plan!.outputs['dkp-version'], {
          inputs,
          steps: { plan: { outputs: { plan: JSON.stringify({ target: { dkp: 'v2.8.1' } }) } } },
        })
      expect(version({ 'dkp-version': '' })).toBe('v2.8.1')
      expect(version({ 'dkp-version': 'v2.8.2' })).toBe('v2.8.2')
      const restore = dkpSteps.find(isRestore)!
      const save = dkpSteps.find(isSave)!
      expect(restore.with).toEqual({ path: PATH, key: KEY })
      expect(save.with).toEqual({ path: PATH, key: KEY })
      expect(evalTemplateString(PATH, { runner: { temp: '/home/runner/work/_temp' } })).toBe(
        '/home/runner/work/_temp/dkp-fleet-dkp-cache',
      )
    })

    it('the dkp job runs outside dry runs, with a key (none with dkp-path or no checksum), on github.com or GHE.com, when a stage may run dkp', () => {
      const cond = (dkp.if as string).slice(3, -2)
      const stages = Object.fromEntries(UPGRADE_ORDER.map((st) => [st, false]))
      const runs = (o: {
        dryRun?: boolean
        key?: string
        server?: string
        waves?: number
        work?: string[]
      }) =>
        evaluate(
          cond,
          {
            inputs: { 'dry-run': o.dryRun ?? false },
            github: { server_url: o.server ?? 'https://github.com' },
            needs: {
              plan: {
                result: 'success',
                outputs: {
                  'dkp-cache-key': o.key ?? 'dkp-fleet-dkp-v2.8.1-linux-amd64-ab',
                  'wave-count': String(o.waves ?? 1),
                  stages: JSON.stringify({
                    ...stages,
                    ...Object.fromEntries((o.work ?? []).map((w) => [w, true])),
                  }),
                },
              },
            },
          },
          always,
        )
      expect(runs({})).toBe(true)
      expect(runs({ server: 'https://acme.ghe.com' })).toBe(true)
      expect(runs({ dryRun: true })).toBe(false)
      expect(runs({ key: '' })).toBe(false)
      // GHES: the v4+ artifact actions refuse to run there (GHESNotSupportedError).
      expect(runs({ server: 'https://github.example.com' })).toBe(false)
      // Nothing that runs dkp in the plan (no wave, only check/backup/custom-apps/verify).
      expect(runs({ waves: 0, work: ['check', 'backup', 'custom-apps', 'verify'] })).toBe(false)
      for (const st of DKP_STAGES) expect(runs({ waves: 0, work: [st] }), st).toBe(true)
    })

    it('the cache is restored only with dkp-cache on and on a GitHub-hosted runner (a fresh machine per job)', () => {
      const cond = condOf(dkpSteps.find(isRestore)!)
      const runs = (cache: boolean, environment: string) =>
        evaluate(cond, { inputs: { 'dkp-cache': cache }, runner: { environment } }, always)
      expect(runs(true, 'github-hosted')).toBe(true)
      expect(runs(false, 'github-hosted')).toBe(false)
      expect(runs(true, 'self-hosted')).toBe(false)
      // fetch-dkp itself always runs in the job: without the cache it downloads once for the run.
      expect(fetch.if).toBeUndefined()
    })

    it('save runs only after a miss of a restore that ran, when fetch-dkp kept exactly the tarball the key names', () => {
      const cond = condOf(dkpSteps.find(isSave)!)
      const K = 'dkp-fleet-dkp-v2.8.1-linux-amd64-ab'
      const saves = (
        restore: { outcome: string; hit?: string },
        stored: string,
        status: Partial<typeof always> = {},
      ) =>
        evaluate(
          cond,
          {
            needs: { plan: { outputs: { 'dkp-cache-key': K } } },
            steps: {
              'dkp-cache': {
                outcome: restore.outcome,
                outputs: restore.hit ? { 'cache-hit': restore.hit } : {},
              },
              fetch: { outputs: { 'dkp-cache-key': stored } },
            },
          },
          { ...always, ...status },
        )
      expect(saves({ outcome: 'success', hit: 'false' }, K)).toBe(true)
      expect(saves({ outcome: 'success' }, K)).toBe(true) // a miss without the output (restore warned)
      expect(saves({ outcome: 'success', hit: 'true' }, K)).toBe(false) // a hit, forged or not, is never saved over
      expect(saves({ outcome: 'skipped' }, K)).toBe(false) // cache off or self-hosted
      expect(saves({ outcome: 'success', hit: 'false' }, '')).toBe(false)
      // Another platform's tarball (a mixed runner pool) is not saved under this key.
      expect(saves({ outcome: 'success', hit: 'false' }, K.replace('amd64', 'arm64'))).toBe(false)
      expect(saves({ outcome: 'success', hit: 'false' }, K, { cancelled: () => true })).toBe(false)
    })

    it('the tarball goes to the stage jobs as the file itself, kept 1 day; a failed upload does not fail the job', () => {
      const upload = dkpSteps.find(isUpload)!
      expect(dkpSteps.at(-1)).toBe(upload)
      expect(upload.id).toBe('upload')
      expect(upload.with).toEqual({
        path: ex('steps.fetch.outputs.dkp-tarball'),
        archive: false,
        overwrite: true, // "Re-run all jobs" uploads it again under the same name
        'if-no-files-found': 'error',
        'retention-days': 1,
      })
      expect(upload['continue-on-error']).toBe(true)
      expect(evaluate(condOf(upload), { steps: { fetch: { outputs: { 'dkp-tarball': '' } } } }, always)).toBe(
        false,
      )
      // The artifact's id, set only by a successful upload (empty otherwise), is the job's only output.
      expect(dkp.outputs).toEqual({ 'artifact-id': ex('steps.upload.outputs.artifact-id') })
    })

    it('every job whose stage runs dkp takes that artifact into the directory its stage reads, before its stage steps; no other job does', () => {
      expect(dkpJobs.map(([id]) => id)).toEqual([
        ...DKP_STAGES,
        ...Array.from({ length: SLOTS }, (_, i) => [`gate-${i}`, `wave-${i}`]).flat(),
        'verify',
      ])
      for (const [id, j] of Object.entries(jobs)) {
        const steps = j.steps as Yaml[]
        const download = steps.findIndex(isDownload)
        if (!dkpJobs.some(([d]) => d === id)) {
          expect(download, id).toBe(-1)
          expect(
            stageSteps(j).every((s) => s.with['dkp-cache-dir'] === undefined || id === 'dkp'),
            id,
          ).toBe(true)
          continue
        }
        expect(j.needs, id).toContain('dkp')
        const stageIdx = steps.flatMap((s, i) => (s.uses === './.dkp-fleet/action' ? [i] : []))
        expect(download, id).toBeGreaterThan(
          steps.findLastIndex((s) => String(s.uses).startsWith('actions/checkout@')),
        )
        expect(download, id).toBeLessThan(stageIdx[0]!)
        const step = steps[download]!
        expect(step.with, id).toEqual({
          'artifact-ids': ex('needs.dkp.outputs.artifact-id'),
          path: PATH,
          'skip-decompress': true, // one file written as it is: nothing is ever extracted here
        })
        // Expired (1 day, e.g. after a long approval wait), missing or unreadable: the stage
        // downloads dkp itself instead of failing.
        expect(step['continue-on-error'], id).toBe(true)
        for (const s of stageSteps(j)) expect(s.with['dkp-cache-dir'], id).toBe(PATH)
        const cond = condOf(step)
        const runs = (artifact: string, selected = 'true') =>
          evaluate(
            cond,
            {
              needs: { dkp: { outputs: { 'artifact-id': artifact } } },
              env: { DKP_FLEET_SELECTED: selected },
            },
            always,
          )
        expect(runs('4711'), id).toBe(true)
        expect(runs(''), id).toBe(false) // dry run, dkp-path, GHES, no upload
        if (id.startsWith('wave-')) expect(runs('4711', 'false'), id).toBe(false)
      }
    })

    it("the dkp job's output reaches the stage jobs only as an action input, never a shell script", () => {
      for (const [id, j] of Object.entries(jobs))
        for (const s of j.steps as Yaml[])
          if (s.run) expect(`${s.run}${JSON.stringify(s.env ?? {})}`, id).not.toContain('needs.dkp')
    })
  })

  it('the cluster filter selects exact names, comma separated, spaces after commas allowed', () => {
    const expr = (jobs['wave-0']!.env.DKP_FLEET_SELECTED as string).slice(3, -2)
    const selected = (clusters: string, cluster: string) =>
      evaluate(expr, { inputs: { clusters }, matrix: { cluster } })
    expect(selected('', 'edge-1')).toBe(true)
    expect(selected('edge-1', 'edge-1')).toBe(true)
    expect(selected('edge-2,edge-1', 'edge-1')).toBe(true)
    expect(selected('edge-2, edge-1', 'edge-1')).toBe(true)
    expect(selected('edge-10', 'edge-1')).toBe(false)
    expect(selected('prod-edge-1', 'edge-1')).toBe(false)
  })

  it('max-parallel: the dispatch input overrides the inventory, 0 keeps it', () => {
    const expr = (jobs.plan!.outputs['max-parallel'] as string).slice(3, -2)
    const plan = JSON.stringify({ rollout: { maxParallel: 5 } })
    const mp = (input: string) =>
      evaluate(expr, { inputs: { 'max-parallel': input }, steps: { plan: { outputs: { plan } } } })
    expect(mp('0')).toBe(5)
    expect(mp('')).toBe(5)
    expect(mp('3')).toBe('3')
  })
})

describe('dkp-fleet-check.yml', () => {
  const check = yamlOf(CHECK)
  it('runs on a schedule, on dispatch and when called; uploads SARIF and keeps the report', () => {
    expect(Object.keys(check.on)).toEqual(['schedule', 'workflow_dispatch', 'workflow_call'])
    const steps = check.jobs.check.steps as Yaml[]
    const stage = steps.find((s) => s.uses === './.dkp-fleet/action')!
    expect(stage.with.stage).toBe('check')
    expect(
      steps.some(
        (s) =>
          String(s.uses).startsWith('github/codeql-action/upload-sarif@') &&
          s.with.sarif_file === ex('steps.check.outputs.sarif'),
      ),
    ).toBe(true)
    expect(
      steps.some(
        (s) =>
          String(s.uses).startsWith('actions/upload-artifact@') &&
          String(s.with.path).includes('steps.check.outputs.report'),
      ),
    ).toBe(true)
    expect(check.jobs.check.permissions).toEqual({
      contents: 'read',
      'security-events': 'write',
      actions: 'read',
    })
  })
  it("keeps the JSON report in the Actions cache for the next run's trend line; only a job without secrets restores it", () => {
    const isRestore = (st: Yaml) => String(st.uses).startsWith('actions/cache/restore@')
    const isSave = (st: Yaml) => String(st.uses).startsWith('actions/cache/save@')
    const prev = check.jobs.previous as Yaml
    const steps = check.jobs.check.steps as Yaml[]
    // The restoring job holds no secret and no token permission, restores on GitHub-hosted
    // runners only, and hands the report over as one file.
    expect(JSON.stringify(prev)).not.toContain('secrets.')
    expect(prev.environment).toBeUndefined()
    expect(prev.permissions).toEqual({})
    const restore = (prev.steps as Yaml[]).find(isRestore)!
    expect(evaluate(restore.if.slice(3, -2), { runner: { environment: 'github-hosted' } })).toBe(true)
    expect(evaluate(restore.if.slice(3, -2), { runner: { environment: 'self-hosted' } })).toBe(false)
    expect(restore.with['restore-keys']).toBe(ex('steps.key.outputs.prefix'))
    const upload = (prev.steps as Yaml[]).find((st) =>
      String(st.uses).startsWith('actions/upload-artifact@'),
    )!
    expect(upload.with.archive).toBe(false)
    expect((prev.steps as Yaml[]).at(-1)).toBe(upload) // nothing runs after it on that runner
    // The check job never restores the cache; it takes the file without extracting anything.
    expect(steps.some(isRestore)).toBe(false)
    const take = steps.find((st) => st.id === 'previous')!
    expect(take.with['skip-decompress']).toBe(true)
    const stage = steps.find((st) => st.uses === './.dkp-fleet/action')!
    const path = (outcome: string) =>
      evalTemplateString(stage.with['previous-report'], {
        steps: { previous: { outcome } },
        runner: { temp: '/t' },
      })
    expect(path('success')).toBe(`/t/dkp-fleet-previous/report.json`)
    expect(path('skipped')).toBe('')
    expect(path('failure')).toBe('')
    // Saved where it is restored from, under the same prefix, one entry per run attempt.
    const save = steps.find(isSave)!
    expect(save.with.path).toBe(restore.with.path)
    expect(save.with.key).toBe(
      restore.with.key.replace('steps.key.outputs.prefix', 'needs.previous.outputs.key-prefix'),
    )
    expect(prev.outputs['key-prefix']).toBe(ex('steps.key.outputs.prefix'))
    expect(check.jobs.check.needs).toEqual(['previous'])
  })
  it('scheduled runs (no inputs) fall back to the defaults', () => {
    const stage = (check.jobs.check.steps as Yaml[]).find((s) => s.uses === './.dkp-fleet/action')!
    const scope = { inputs: {}, secrets: {}, github: { event_name: 'schedule' } }
    expect(evalTemplateString(stage.with.inventory, scope)).toBe('fleet/*.yaml')
    expect(evalTemplateString(stage.with['fail-on'], scope)).toBe('error')
    const runsOn = evalTemplateString(check.jobs.check['runs-on'], scope)
    expect(runsOn).toBe('ubuntu-latest')
    expect(
      evalTemplateString(check.jobs.check['runs-on'], { inputs: { 'runs-on': '["self-hosted","dkp"]' } }),
    ).toEqual(['self-hosted', 'dkp'])
  })
})

/** Evaluates a YAML string value the way the runner does: literal text with `${{ }}` parts. */
function evalTemplateString(value: string, scope: Record<string, unknown>): unknown {
  const parts = value.split(/(\$\{\{.*?\}\})/).filter((p) => p !== '')
  if (parts.length === 1 && /^\$\{\{.*\}\}$/.test(parts[0]!)) return evaluate(parts[0]!.slice(3, -2), scope)
  return parts
    .map((p) => {
      if (!/^\$\{\{.*\}\}$/.test(p)) return p
      const v = evaluate(p.slice(3, -2), scope)
      return v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)
    })
    .join('')
}
