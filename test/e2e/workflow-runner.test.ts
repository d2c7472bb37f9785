// The workflow runner itself, on small synthetic workflows (no cluster): the GitHub semantics
// the pipeline e2e tests rely on — job-level status functions over ancestors, the
// `!cancelled() && !failure()` pattern after a skipped job, matrix expansion from JSON,
// max-parallel, fail-fast, collapsing matrix outputs, masked outputs dropped, empty
// matrices failing, INPUT_* and STATE_* for a JavaScript action and its post step,
// continue-on-error, reusable-workflow calls, the Actions cache and run artifacts.

import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { expandMatrix, parseCommandFile, runWorkflow, type WorkflowRun } from './workflow-runner.js'

function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'wf-self-'))
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name)
    mkdirSync(join(path, '..'), { recursive: true })
    writeFileSync(path, content)
  }
  return dir
}

// A JavaScript action without dependencies: echoes its input as an output, saves state, can fail.
const ACTION = {
  'act/action.yml': `name: t\ndescription: t\ninputs:\n  value: { description: v, default: dflt }\n  fail: { description: f, default: 'false' }\noutputs:\n  echo: { description: e }\nruns:\n  using: node24\n  main: main.mjs\n  post: post.mjs\n`,
  'act/main.mjs': `import { appendFileSync } from 'node:fs'
const v = process.env.INPUT_VALUE
appendFileSync(process.env.GITHUB_OUTPUT, 'echo<<EOF_1\\n' + v + '\\nEOF_1\\n')
appendFileSync(process.env.GITHUB_STATE, 'seen<<EOF_2\\n' + v + '\\nEOF_2\\n')
appendFileSync(process.env.GITHUB_STEP_SUMMARY, '# ' + v + '\\n')
if (v.startsWith('secret')) console.log('::add-mask::' + v)
console.log('input=' + v + ' runner_temp=' + (process.env.RUNNER_TEMP ? 'set' : 'unset'))
if (process.env.INPUT_FAIL === 'true') { console.log('::error::failing as asked'); process.exitCode = 1 }
`,
  'act/post.mjs': `console.log('post saw ' + process.env.STATE_seen)\n`,
}

const run = (
  ws: string,
  file: string,
  extra: Partial<Parameters<typeof runWorkflow>[0]> = {},
): Promise<WorkflowRun> =>
  runWorkflow({ file, event: 'workflow_dispatch', workspace: ws, env: { PATH: process.env.PATH }, ...extra })

describe('workflow runner semantics', () => {
  it('parses output files: k=v and heredoc blocks', () => {
    expect(parseCommandFile('a=1\nb<<X\nline 1\nline=2\nX\nc=x=y\n')).toEqual({
      a: '1',
      b: 'line 1\nline=2',
      c: 'x=y',
    })
    expect(() => parseCommandFile('a<<X\nnever closed\n')).toThrow(/matching delimiter/)
  })

  it('expands matrices like GitHub for include-only and dimension forms', () => {
    expect(
      expandMatrix({
        include: [
          { cluster: 'a', wave: 1 },
          { cluster: 'b', wave: 1 },
        ],
      }),
    ).toEqual([
      { cluster: 'a', wave: 1 },
      { cluster: 'b', wave: 1 },
    ])
    expect(expandMatrix({ os: ['l', 'm'], include: [{ os: 'l', extra: 1 }, { os: 'w' }] })).toEqual([
      { os: 'l', extra: 1 },
      { os: 'm' },
      { os: 'w' },
    ])
    expect(() => expandMatrix({ include: [] })).toThrow(/does not contain any values/)
    expect(() => expandMatrix({ include: null })).toThrow()
  })

  it('status functions, skipped ancestors, needs outputs, matrix from JSON, max-parallel, collapsing outputs', async () => {
    const ws = workspace({
      ...ACTION,
      'wf.yml': `on:
  workflow_dispatch:
    inputs:
      flag: { type: boolean, default: false }
permissions: {}
jobs:
  plan:
    runs-on: ubuntu-latest
    outputs:
      list: \${{ steps.p.outputs.list }}
    steps:
      - id: p
        run: echo 'list=[{"n":"a"},{"n":"b"},{"n":"c"}]' >> "$GITHUB_OUTPUT"
  optional:
    needs: plan
    if: \${{ inputs.flag }}
    runs-on: ubuntu-latest
    steps:
      - run: echo never
  default-after-skip:
    needs: [plan, optional]
    runs-on: ubuntu-latest
    steps:
      - run: echo skipped because an ancestor was skipped
  pattern-after-skip:
    needs: [plan, optional]
    if: \${{ !cancelled() && !failure() }}
    runs-on: ubuntu-latest
    steps:
      - run: echo runs
  fan:
    needs: [plan, pattern-after-skip]
    if: \${{ !cancelled() && !failure() }}
    runs-on: ubuntu-latest
    strategy:
      max-parallel: 2
      matrix:
        include: \${{ fromJSON(needs.plan.outputs.list) }}
    outputs:
      last: \${{ steps.a.outputs.echo }}
    steps:
      - id: a
        uses: ./act
        with:
          value: leg-\${{ matrix.n }}
      - run: sleep 0.3
`,
    })
    const r = await run(ws, 'wf.yml')
    const j = (id: string) => r.jobs.get(id)!
    expect(j('optional').result).toBe('skipped')
    expect(j('default-after-skip').result).toBe('skipped')
    expect(j('pattern-after-skip').result).toBe('success')
    expect(j('fan').result).toBe('success')
    expect(j('fan').legs.map((l) => l.matrix?.n)).toEqual(['a', 'b', 'c'])
    expect(j('fan').peakParallel).toBe(2)
    // One set of outputs for all legs: the last leg to finish wins.
    expect(['leg-a', 'leg-b', 'leg-c']).toContain(j('fan').outputs.last)
    const step = j('fan').legs[0]!.steps[0]!
    expect(step.inputs).toEqual({ value: 'leg-a' })
    expect(step.log).toContain('input=leg-a runner_temp=set')
    expect(step.summary).toBe('# leg-a\n')
    expect(step.post?.log).toContain('post saw leg-a')
    expect(r.result).toBe('success')
  })

  it('emulates the Actions cache across jobs: exact-key restore (cache-hit), restore-keys, immutable keys, paths on fresh runner dirs', async () => {
    const ws = workspace({
      'wf.yml': `on: workflow_dispatch
permissions: {}
jobs:
  first:
    runs-on: ubuntu-latest
    steps:
      - id: restore
        uses: actions/cache/restore@55cc8345863c7cc4c66a329aec7e433d2d1c52a9 # v6.1.0
        with:
          path: \${{ runner.temp }}/c
          key: k-1
      - run: |
          test -z "$HIT"
          test ! -e "$RUNNER_TEMP/c"
          ls "$RUNNER_TOOL_CACHE" | wc -l | grep -qx 0
          mkdir -p "$RUNNER_TEMP/c" && echo one > "$RUNNER_TEMP/c/f"
          echo "$RUNNER_TEMP" > "$GITHUB_WORKSPACE/first-temp"
        env:
          HIT: \${{ steps.restore.outputs.cache-hit }}
      - uses: actions/cache/save@55cc8345863c7cc4c66a329aec7e433d2d1c52a9 # v6.1.0
        with:
          path: \${{ runner.temp }}/c
          key: k-1
      - name: saving the key again warns and changes nothing
        uses: actions/cache/save@55cc8345863c7cc4c66a329aec7e433d2d1c52a9 # v6.1.0
        with:
          path: \${{ runner.temp }}/c
          key: k-1
      - name: nothing to save warns
        uses: actions/cache/save@55cc8345863c7cc4c66a329aec7e433d2d1c52a9 # v6.1.0
        with:
          path: \${{ runner.temp }}/empty
          key: k-empty
  second:
    needs: first
    runs-on: ubuntu-latest
    steps:
      - id: exact
        uses: actions/cache/restore@55cc8345863c7cc4c66a329aec7e433d2d1c52a9 # v6.1.0
        with:
          path: \${{ runner.temp }}/c
          key: k-1
      - id: prefix
        uses: actions/cache/restore@55cc8345863c7cc4c66a329aec7e433d2d1c52a9 # v6.1.0
        with:
          path: \${{ runner.temp }}/c
          key: k-2
          restore-keys: k-
      - id: other-path
        uses: actions/cache/restore@55cc8345863c7cc4c66a329aec7e433d2d1c52a9 # v6.1.0
        with:
          path: \${{ runner.temp }}/d
          key: k-1
      - run: |
          test "$EXACT" = true && test "$PREFIX" = false && test "$MATCHED" = k-1 && test -z "$OTHER"
          test "$(cat "$RUNNER_TEMP/c/f")" = one
          test "$RUNNER_TEMP" != "$(cat "$GITHUB_WORKSPACE/first-temp")"
        env:
          EXACT: \${{ steps.exact.outputs.cache-hit }}
          PREFIX: \${{ steps.prefix.outputs.cache-hit }}
          MATCHED: \${{ steps.prefix.outputs.cache-matched-key }}
          OTHER: \${{ steps.other-path.outputs.cache-hit }}
      - id: strict
        uses: actions/cache/restore@55cc8345863c7cc4c66a329aec7e433d2d1c52a9 # v6.1.0
        continue-on-error: true
        with:
          path: \${{ runner.temp }}/c
          key: k-none
          fail-on-cache-miss: true
`,
    })
    const r = await run(ws, 'wf.yml')
    const first = r.jobs.get('first')!.legs[0]!
    const second = r.jobs.get('second')!.legs[0]!
    expect([...r.jobs.values()].map((j) => `${j.id}:${j.result}`)).toEqual([
      'first:success',
      'second:success',
    ])
    expect(first.annotations.map((a) => a.message)).toEqual([
      'Failed to save: Unable to reserve cache with key k-1, another job may be creating this cache.',
      'Cache save failed.',
      'Path Validation Error: Path(s) specified in the action for caching do(es) not exist, hence no cache is being saved.',
      'Cache save failed.',
    ])
    expect(r.cache.entries.map((e) => [e.key, e.version, e.files])).toEqual([
      ['k-1', '$RUNNER_TEMP/c', ['$RUNNER_TEMP/c/f']],
    ])
    expect(r.cache.events.map((e) => `${e.job} ${e.step} ${e.kind} ${e.result}`)).toEqual([
      'first restore restore miss',
      expect.stringMatching(/^first \S+ save saved$/),
      expect.stringMatching(/^first \S+ save exists$/),
      expect.stringMatching(/^first \S+ save no-files$/),
      'second exact restore hit',
      'second prefix restore partial',
      'second other-path restore miss',
      'second strict restore miss',
    ])
    expect(second.steps.find((s) => s.id === 'strict')).toMatchObject({
      outcome: 'failure',
      conclusion: 'success',
    })
    // The combined action (restore + post save) is refused rather than skipped silently.
    const ws2 = workspace({
      'wf.yml': `on: workflow_dispatch\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/cache@27d5ce7f107fe9357f9df03efb73ab90386fccae # v5.0.5\n        with: { path: x, key: y }\n`,
    })
    await expect(run(ws2, 'wf.yml')).rejects.toThrow(/combined actions\/cache .* is not emulated/)
  })

  it('emulates run artifacts: a raw file (archive: false) by id, an archive by name, conflicts, expiry and a re-run attempt', async () => {
    const UP = 'actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f # v7.0.0'
    const DOWN = 'actions/download-artifact@3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c # v8.0.1'
    const ws = workspace({
      'wf.yml': `on: workflow_dispatch
permissions: {}
jobs:
  up:
    runs-on: ubuntu-latest
    outputs:
      id: \${{ steps.raw.outputs.artifact-id }}
    steps:
      - run: |
          mkdir -p "$RUNNER_TEMP/d/sub" && printf tgz > "$RUNNER_TEMP/d/dkp_v2.8.1_linux_amd64.tar.gz"
          printf a > "$RUNNER_TEMP/d/sub/a.txt" && printf h > "$RUNNER_TEMP/d/.hidden"
      - id: raw
        uses: ${UP}
        with:
          path: \${{ runner.temp }}/d/dkp_v2.8.1_linux_amd64.tar.gz
          name: ignored-with-archive-false
          archive: false
          retention-days: 1
      - id: again
        name: the same name again fails without overwrite
        uses: ${UP}
        continue-on-error: true
        with:
          path: \${{ runner.temp }}/d/dkp_v2.8.1_linux_amd64.tar.gz
          archive: false
      - id: zipped
        uses: ${UP}
        with:
          name: tree
          path: \${{ runner.temp }}/d
      - id: two
        name: archive false takes one file only
        uses: ${UP}
        continue-on-error: true
        with:
          path: \${{ runner.temp }}/d
          archive: false
  down:
    needs: up
    runs-on: ubuntu-latest
    steps:
      - id: by-id
        uses: ${DOWN}
        with:
          artifact-ids: \${{ needs.up.outputs.id }}
          path: \${{ runner.temp }}/got
          skip-decompress: true
      - uses: ${DOWN}
        with:
          name: tree
          path: \${{ runner.temp }}/tree
      - id: missing
        uses: ${DOWN}
        continue-on-error: true
        with:
          name: nope
          path: \${{ runner.temp }}/nope
      - run: |
          test "$(cat "$RUNNER_TEMP/got/dkp_v2.8.1_linux_amd64.tar.gz")" = tgz
          test "$(ls -A "$RUNNER_TEMP/got")" = dkp_v2.8.1_linux_amd64.tar.gz
          test "$(cat "$RUNNER_TEMP/tree/sub/a.txt")" = a && test ! -e "$RUNNER_TEMP/tree/.hidden"
          test "$WHERE" = "$RUNNER_TEMP/got"
        env:
          WHERE: \${{ steps.by-id.outputs.download-path }}
`,
    })
    const r = await run(ws, 'wf.yml', { runId: '77' })
    expect([...r.jobs.values()].map((j) => `${j.id}:${j.result}`)).toEqual(['up:success', 'down:success'])
    const up = r.jobs.get('up')!.legs[0]!
    const step = (leg: typeof up, id: string) => leg.steps.find((s) => s.id === id)!
    // Not archived: the digest is the file's own sha256.
    expect(step(up, 'raw').outputs['artifact-digest']).toBe(createHash('sha256').update('tgz').digest('hex'))
    expect(step(up, 'again')).toMatchObject({ outcome: 'failure', conclusion: 'success' })
    expect(step(up, 'again').log).toContain('(409) Conflict: an artifact with this name already exists')
    expect(step(up, 'two').log).toContain('only supported when uploading a single file')
    expect(r.artifacts.live('77').map((a) => [a.name, a.archived, a.files, a.retentionDays])).toEqual([
      ['dkp_v2.8.1_linux_amd64.tar.gz', false, ['dkp_v2.8.1_linux_amd64.tar.gz'], 1],
      ['tree', true, ['dkp_v2.8.1_linux_amd64.tar.gz', 'sub/a.txt'], undefined],
    ])
    const down = r.jobs.get('down')!.legs[0]!
    expect(step(down, 'missing').log).toContain("Unable to download artifact(s): Artifact 'nope' not found")

    // A re-run attempt of the same run sees the artifacts (and may replace one with overwrite);
    // once expired, a download by id fails. Another run sees none of them.
    const ws2 = workspace({
      'wf.yml': `on: workflow_dispatch
permissions: {}
jobs:
  again:
    runs-on: ubuntu-latest
    steps:
      - run: printf new > "$RUNNER_TEMP/dkp_v2.8.1_linux_amd64.tar.gz"
      - id: re
        uses: ${UP}
        with:
          path: \${{ runner.temp }}/dkp_v2.8.1_linux_amd64.tar.gz
          archive: false
          overwrite: true
      - id: tree
        uses: ${DOWN}
        continue-on-error: true
        with:
          name: tree
          path: \${{ runner.temp }}/tree
`,
    })
    const store = r.artifacts
    const attempt2 = await run(ws2, 'wf.yml', { runId: '77', runAttempt: 2, artifacts: store })
    const leg = attempt2.jobs.get('again')!.legs[0]!
    expect(step(leg, 'tree').outcome).toBe('success')
    expect(step(leg, 're').log).toContain("Artifact 'dkp_v2.8.1_linux_amd64.tar.gz' deleted")
    expect(store.live('77').map((a) => [a.name, a.attempt])).toEqual([
      ['tree', 1],
      ['dkp_v2.8.1_linux_amd64.tar.gz', 2],
    ])
    const other = await run(ws2, 'wf.yml', { runId: '78', artifacts: store })
    expect(step(other.jobs.get('again')!.legs[0]!, 'tree').log).toContain("Artifact 'tree' not found")
    store.expire('tree', '77')
    const attempt3 = await run(ws2, 'wf.yml', { runId: '77', runAttempt: 3, artifacts: store })
    expect(step(attempt3.jobs.get('again')!.legs[0]!, 'tree')).toMatchObject({
      outcome: 'failure',
      conclusion: 'success',
    })
  })

  it('fail-fast cancels legs not started; continue-on-error keeps the job green; failure() after a failure', async () => {
    const ws = workspace({
      ...ACTION,
      'wf.yml': `on: workflow_dispatch
permissions: {}
jobs:
  fast:
    runs-on: ubuntu-latest
    strategy:
      max-parallel: 1
      matrix:
        v: [x, y, z]
    steps:
      - uses: ./act
        with: { value: '\${{ matrix.v }}', fail: "\${{ matrix.v == 'x' }}" }
  tolerant:
    runs-on: ubuntu-latest
    steps:
      - id: f
        uses: ./act
        continue-on-error: true
        with: { fail: true }
      - if: steps.f.outcome == 'failure'
        run: echo saw the failure
  after:
    needs: fast
    if: failure()
    runs-on: ubuntu-latest
    steps:
      - run: echo cleanup
`,
    })
    const r = await run(ws, 'wf.yml')
    expect(r.jobs.get('fast')!.result).toBe('failure')
    expect(r.jobs.get('fast')!.legs.map((l) => l.result)).toEqual(['failure', 'cancelled', 'cancelled'])
    expect(r.jobs.get('fast')!.legs[0]!.annotations).toContainEqual({
      level: 'error',
      message: 'failing as asked',
      step: '__self',
    })
    const tolerant = r.jobs.get('tolerant')!
    expect(tolerant.result).toBe('success')
    expect(tolerant.legs[0]!.steps.map((s) => [s.outcome, s.conclusion])).toEqual([
      ['failure', 'success'],
      ['success', 'success'],
    ])
    expect(r.jobs.get('after')!.result).toBe('success')
  })

  it('drops a job output holding a masked value; fails an empty matrix; asks for approvals', async () => {
    const ws = workspace({
      ...ACTION,
      'wf.yml': `on: workflow_dispatch
permissions: {}
jobs:
  masked:
    runs-on: ubuntu-latest
    environment: prod
    outputs:
      leaked: \${{ steps.a.outputs.echo }}
    steps:
      - id: a
        uses: ./act
        with: { value: secret-1234 }
  empty:
    needs: masked
    runs-on: ubuntu-latest
    strategy:
      matrix:
        include: \${{ fromJSON('[]') }}
    steps:
      - run: echo never
`,
    })
    const approvals: string[] = []
    const r = await run(ws, 'wf.yml', {
      approve: ({ job, environment }) => {
        approvals.push(`${job}:${environment}`)
        return true
      },
    })
    expect(approvals).toEqual(['masked:prod'])
    expect(r.jobs.get('masked')!.outputs).toEqual({})
    expect(r.jobs.get('masked')!.legs[0]!.annotations.map((a) => a.message)).toContain(
      "Skip output 'leaked' since it may contain secret.",
    )
    expect(r.jobs.get('masked')!.legs[0]!.steps[0]!.log).toContain('input=***')
    expect(r.jobs.get('empty')!.result).toBe('failure')
    expect(r.jobs.get('empty')!.reason).toMatch(/does not contain any values/)
    const rejected = await run(ws, 'wf.yml', { approve: () => false })
    expect(rejected.jobs.get('masked')!.result).toBe('failure')
    expect(rejected.jobs.get('empty')!.result).toBe('skipped')
  })

  it('runs a reusable workflow with its inputs and secrets and returns its outputs', async () => {
    const ws = workspace({
      ...ACTION,
      'called.yml': `on:
  workflow_call:
    inputs:
      value: { type: string, required: true }
      on: { type: boolean, default: false }
    secrets:
      TOKEN: { required: true }
    outputs:
      echoed: { value: '\${{ jobs.inner.outputs.out }}' }
permissions: {}
jobs:
  inner:
    runs-on: ubuntu-latest
    outputs:
      out: \${{ steps.a.outputs.echo }}
    steps:
      - id: a
        uses: ./act
        with: { value: "\${{ inputs.value }}-\${{ inputs.on }}-\${{ secrets.TOKEN != '' }}" }
`,
      'caller.yml': `on: workflow_dispatch
permissions: {}
jobs:
  call:
    uses: acme/repo/.github/workflows/called.yml@v1
    with:
      value: hello
      on: true
    secrets:
      TOKEN: \${{ secrets.MY_TOKEN }}
  use:
    needs: call
    runs-on: ubuntu-latest
    steps:
      - run: test "$V" = hello-true-true
        env:
          V: \${{ needs.call.outputs.echoed }}
`,
    })
    const r = await run(ws, 'caller.yml', {
      secrets: { MY_TOKEN: 't0k3n' },
      workflows: { 'acme/repo/.github/workflows/called.yml': join(ws, 'called.yml') },
    })
    expect(r.jobs.get('call')!.result).toBe('success')
    expect(r.jobs.get('call')!.outputs).toEqual({ echoed: 'hello-true-true' })
    expect(r.jobs.get('call')!.called!.jobs.get('inner')!.id).toBe('call / inner')
    expect(r.jobs.get('use')!.result).toBe('success')
  })
})
