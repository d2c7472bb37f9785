// .github/workflows/release.yml: its shape (tag trigger, read-only check job with the dist and
// unit-tier gates, a release job that alone may write), and its release job run for real: every
// `run:` step in bash as the runner runs it (`bash --noprofile --norc -eo pipefail`), in a
// scratch git repository with release tags, the real scripts/changelog-section.mjs and
// `npm pack`, and a stand-in `gh` that records its argument vectors (the GitHub API is the one
// part not run). Then scripts/changelog-section.mjs on its own.

import { spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { changelogSection, releaseNotes, versionOf } from '../../scripts/changelog-section.mjs'
import { evaluate } from '../e2e/workflow-runner.js'

const ROOT = join(import.meta.dirname, '..', '..')
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML, navigated freely in assertions
type Yaml = Record<string, any>
const wf = parse(readFileSync(join(ROOT, '.github/workflows/release.yml'), 'utf8')) as Yaml
const runs = (job: string) => (wf.jobs[job].steps as Yaml[]).filter((s) => s.run).map((s) => String(s.run))

describe('release.yml: shape', () => {
  it('runs on version tags only', () => {
    expect(wf.on).toEqual({ push: { tags: ['v*.*.*'] } })
  })

  it('the check job is read-only and gates on the default branch, the changelog, a fresh dist/ and the unit tier', () => {
    expect(wf.permissions).toEqual({})
    const check = wf.jobs.check
    expect(check.permissions).toEqual({ contents: 'read' })
    const steps = runs('check')
    const at = (needle: string) => steps.findIndex((r) => r.includes(needle))
    expect(at('git merge-base --is-ancestor HEAD')).toBeGreaterThanOrEqual(0)
    expect(at('node scripts/changelog-section.mjs "$TAG" --release')).toBeGreaterThanOrEqual(0)
    // build, then the dist/ comparison, then the unit tier
    expect(at('npm run build')).toBeLessThan(
      at('git status --porcelain -- dist src/core/inventory-validator.gen.js'),
    )
    expect(at('git status --porcelain')).toBeLessThan(at('npm run test:unit'))
  })

  it('no checkout keeps the token in .git/config (the release job calls gh with its own env)', () => {
    const checkouts = [...wf.jobs.check.steps, ...wf.jobs.release.steps].filter((s: Yaml) =>
      String(s.uses).startsWith('actions/checkout@'),
    )
    expect(checkouts).toHaveLength(2)
    for (const c of checkouts) expect(c.with['persist-credentials']).toBe(false)
  })

  it('only the release job writes, and only contents; it runs after the check', () => {
    expect(wf.jobs.release.needs).toBe('check')
    expect(wf.jobs.release.permissions).toEqual({ contents: 'write' })
    expect(Object.keys(wf.jobs)).toEqual(['check', 'release'])
  })
})

// ---------------------------------------------------------------------------------------------

const CHANGELOG = `# Changelog

## [Unreleased]

- next things

## [2.0.0] - 2026-12-24

### Changed

- everything

## [1.2.0] - 2026-12-01

### Added

- wave soak

## [1.1.0] - 2026-11-01

- one

## [1.0.1] - 2026-10-02

- fix

[Unreleased]: https://example.test/compare/v1.2.0...HEAD
[1.2.0]: https://example.test/compare/v1.1.0...v1.2.0
`

const GH_STUB = `#!/usr/bin/env bash
# Stand-in gh: records argv (one argument per line, then ---); \`gh api repos/R/git/ref/tags/T\`
# succeeds only for the tags listed in GH_EXISTING.
{ printf '%s\\n' "$@"; echo ---; } >> "$GH_LOG"
if [ "$1" = api ] && [[ "$2" == */git/ref/tags/* ]]; then
  case " $GH_EXISTING " in *" \${2##*/} "*) exit 0 ;; *) exit 1 ;; esac
fi
exit 0
`

const scratch = mkdtempSync(join(tmpdir(), 'dkp-fleet-release-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))
const PATH = [join(scratch, 'bin'), dirname(process.execPath), process.env.PATH].join(delimiter)

function git(repo: string, ...args: string[]) {
  const r = spawnSync('git', args, { cwd: repo, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`)
  return r.stdout.trim()
}

interface Variant {
  /** CHANGELOG.md of the repository (default: the fixture above). */
  changelog?: string
  /** package.json version at the tag (default: the tag's). */
  pkgVersion?: string
}

/** A repository at `tag` (package.json at its version), with `others` tagged on earlier commits. */
function repoAt(tag: string, others: string[], variant: Variant = {}): { repo: string; sha: string } {
  const repo = mkdtempSync(join(scratch, 'repo-'))
  git(repo, 'init', '-q', '-b', 'main')
  git(repo, 'config', 'user.email', 't@example.test')
  git(repo, 'config', 'user.name', 't')
  mkdirSync(join(repo, 'schema'))
  copyFileSync(join(ROOT, 'schema/fleet.schema.json'), join(repo, 'schema/fleet.schema.json'))
  mkdirSync(join(repo, 'scripts'))
  copyFileSync(join(ROOT, 'scripts/changelog-section.mjs'), join(repo, 'scripts/changelog-section.mjs'))
  writeFileSync(join(repo, 'CHANGELOG.md'), variant.changelog ?? CHANGELOG)
  for (const t of [...others, tag]) {
    const version = t === tag && variant.pkgVersion ? variant.pkgVersion : t.slice(1)
    writeFileSync(
      join(repo, 'package.json'),
      `${JSON.stringify({ name: 'dkp-fleet-upgrade', version, files: ['schema/fleet.schema.json'] })}\n`,
    )
    git(repo, 'add', '.')
    git(repo, 'commit', '-qm', t)
    git(repo, 'tag', t)
  }
  return { repo, sha: git(repo, 'rev-parse', 'HEAD') }
}

/** Runs every `run:` step of the release job; returns gh's recorded calls (argv lists). */
function releaseJob(tag: string, others: string[], existingTags: string[], variant: Variant = {}) {
  mkdirSync(join(scratch, 'bin'), { recursive: true })
  writeFileSync(join(scratch, 'bin', 'gh'), GH_STUB)
  chmodSync(join(scratch, 'bin', 'gh'), 0o755)
  const { repo, sha } = repoAt(tag, others, variant)
  const runnerTemp = mkdtempSync(join(scratch, 'temp-'))
  const ghLog = join(runnerTemp, 'gh.log')
  const outputs: Record<string, Record<string, string>> = {}
  const logs: string[] = []
  for (const step of wf.jobs.release.steps as Yaml[]) {
    if (!step.run) continue
    const outFile = join(runnerTemp, `output-${logs.length}`)
    writeFileSync(outFile, '')
    const scope = {
      github: { ref_name: tag, token: 'ghs_stand-in', repository: 'acme/dkp-fleet-upgrade' },
      steps: Object.fromEntries(Object.entries(outputs).map(([id, o]) => [id, { outputs: o }])),
    }
    const env: Record<string, string> = {}
    for (const [k, v] of Object.entries<string>(step.env ?? {})) {
      const m = /^\$\{\{(.*)\}\}$/.exec(String(v))
      env[k] = m ? String(evaluate(m[1]!.trim(), scope) ?? '') : String(v)
    }
    const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run], {
      cwd: repo,
      encoding: 'utf8',
      env: {
        PATH,
        HOME: scratch,
        RUNNER_TEMP: runnerTemp,
        GITHUB_OUTPUT: outFile,
        GH_LOG: ghLog,
        GH_EXISTING: existingTags.join(' '),
        npm_config_update_notifier: 'false',
        ...env,
      },
    })
    logs.push(`${step.name ?? step.run}: ${r.stdout}${r.stderr}`)
    if (r.status !== 0) throw new Error(`step failed (${r.status}): ${logs.at(-1)}`)
    if (step.id) {
      outputs[step.id] = Object.fromEntries(
        readFileSync(outFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      )
    }
  }
  let calls: string[][] = []
  try {
    calls = readFileSync(ghLog, 'utf8')
      .split('---\n')
      .filter(Boolean)
      .map((c) => c.trimEnd().split('\n'))
  } catch {
    // gh never called
  }
  return { calls, sha, runnerTemp, notes: readFileSync(join(runnerTemp, 'notes.md'), 'utf8'), logs }
}

describe('release.yml: the release job, run', () => {
  it('a new newest release: notes from its CHANGELOG section, schema and package attached, v1 moved', () => {
    const { calls, sha, runnerTemp, notes } = releaseJob('v1.2.0', ['v1.0.1', 'v1.1.0'], ['v1'])
    expect(notes).toBe('### Added\n\n- wave soak\n')
    expect(calls).toEqual([
      [
        'release',
        'create',
        'v1.2.0',
        '--verify-tag',
        '--title',
        'v1.2.0',
        '--notes-file',
        join(runnerTemp, 'notes.md'),
        'schema/fleet.schema.json',
        join(runnerTemp, 'dkp-fleet-upgrade-1.2.0.tgz'),
      ],
      ['api', 'repos/acme/dkp-fleet-upgrade/git/ref/tags/v1', '--silent'],
      [
        'api',
        '--method',
        'PATCH',
        'repos/acme/dkp-fleet-upgrade/git/refs/tags/v1',
        '-f',
        `sha=${sha}`,
        '-F',
        'force=true',
        '--silent',
      ],
    ])
  })

  it('the first release of a major line creates its tag', () => {
    const { calls, sha } = releaseJob('v2.0.0', ['v1.2.0'], ['v1'])
    expect(calls.at(-1)).toEqual([
      'api',
      '--method',
      'POST',
      'repos/acme/dkp-fleet-upgrade/git/refs',
      '-f',
      'ref=refs/tags/v2',
      '-f',
      `sha=${sha}`,
      '--silent',
    ])
  })

  it('a fix to an older line (v1.0.1 after v1.1.0) is released but leaves v1 alone', () => {
    const { calls } = releaseJob('v1.0.1', ['v1.1.0'], ['v1'])
    expect(calls.map((c) => c.slice(0, 3))).toEqual([['release', 'create', 'v1.0.1']])
  })

  it('a pre-release is marked so and leaves the major tag alone', () => {
    const changelog = CHANGELOG.replace('## [2.0.0] - 2026-12-24', '## [2.0.0-rc.1] - 2026-12-20')
    expect(changelog).not.toBe(CHANGELOG)
    const { calls, notes } = releaseJob('v2.0.0-rc.1', ['v1.2.0'], ['v1'], { changelog })
    expect(notes).toBe('### Changed\n\n- everything\n')
    expect(calls).toHaveLength(1)
    expect(calls[0]!.slice(0, 3)).toEqual(['release', 'create', 'v2.0.0-rc.1'])
    expect(calls[0]).toContain('--prerelease')
  })

  it('a tag whose package.json disagrees stops before anything is created', () => {
    expect(() => releaseJob('v1.2.0', ['v1.1.0'], ['v1'], { pkgVersion: '1.1.9' })).toThrow(
      /package.json has version 1.1.9, the tag v1.2.0/,
    )
  })

  it('a tag without a CHANGELOG section stops before anything is created', () => {
    expect(() => releaseJob('v1.3.0', ['v1.2.0'], ['v1'])).toThrow(
      /CHANGELOG.md has no "## \[1.3.0\] - YYYY-MM-DD" section/,
    )
  })
})

// ---------------------------------------------------------------------------------------------

describe('scripts/changelog-section.mjs', () => {
  it('takes one section: up to the next heading, without link references', () => {
    expect(changelogSection(CHANGELOG, '1.2.0')).toEqual({
      date: '2026-12-01',
      body: '### Added\n\n- wave soak',
    })
    expect(changelogSection(CHANGELOG, '1.0.1')).toEqual({ date: '2026-10-02', body: '- fix' })
    expect(changelogSection(CHANGELOG, 'Unreleased')).toEqual({ date: undefined, body: '- next things' })
    expect(changelogSection(CHANGELOG, '1.2')).toBeUndefined()
    expect(changelogSection(CHANGELOG, '9.9.9')).toBeUndefined()
  })

  it('tags: v1.2.3 and 1.2.3, pre-releases; nothing else', () => {
    expect(versionOf('v1.2.3')).toBe('1.2.3')
    expect(versionOf('1.2.3')).toBe('1.2.3')
    expect(versionOf('v2.0.0-rc.1')).toBe('2.0.0-rc.1')
    for (const bad of ['v1', 'v1.2', 'release-1.2.3', 'v1.2.3 ; rm -rf /', 'Unreleased'])
      expect(versionOf(bad), bad).toBeUndefined()
  })

  it('a release needs a dated, non-empty section and the same version in package.json', () => {
    expect(releaseNotes('v1.2.0', CHANGELOG, '1.2.0', { release: true })).toEqual({
      notes: '### Added\n\n- wave soak\n',
    })
    expect(releaseNotes('v1.2.0', CHANGELOG, '1.2.1', { release: true })).toEqual({
      problem: 'package.json has version 1.2.1, the tag v1.2.0: set "version": "1.2.0" and tag that commit',
    })
    expect(releaseNotes('1.2.0', CHANGELOG, '1.2.0', { release: true })).toEqual({
      problem: '"1.2.0": release tags start with v',
    })
    const undated = CHANGELOG.replace('## [1.2.0] - 2026-12-01', '## [1.2.0]')
    expect(releaseNotes('v1.2.0', undated, '1.2.0', { release: true })).toEqual({
      problem: 'CHANGELOG.md: the [1.2.0] heading has no date ("## [1.2.0] - YYYY-MM-DD")',
    })
    const empty = CHANGELOG.replace('### Added\n\n- wave soak\n', '')
    expect(releaseNotes('v1.2.0', empty, '1.2.0', { release: true })).toEqual({
      problem: 'CHANGELOG.md: the [1.2.0] section is empty',
    })
  })

  it("the project's CHANGELOG.md has an Unreleased section and every version section is dated", () => {
    const text = readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8')
    expect(changelogSection(text, 'Unreleased')?.body).toMatch(/^### Added/)
    for (const m of text.matchAll(/^## \[(\d+\.\d+\.\d+[^\]]*)\](.*)$/gm))
      expect(m[2], `[${m[1]}] needs " - YYYY-MM-DD"`).toMatch(/^ - \d{4}-\d{2}-\d{2}$/)
  })
})
