// The policy files other teams look for stay present and true: the Apache-2.0 LICENSE that
// package.json names, SECURITY.md's reporting channel and scope, Dependabot for both
// ecosystems, and in the contributor-facing docs every npm script and repository path they
// mention exists.

import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'

const ROOT = join(import.meta.dirname, '..', '..')
const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8')
const pkg = JSON.parse(read('package.json'))

describe('LICENSE', () => {
  const text = read('LICENSE')
  it('is the Apache License 2.0 text that package.json names, with its appendix', () => {
    expect(pkg.license).toBe('Apache-2.0')
    expect(text.trimStart().startsWith('Apache License')).toBe(true)
    expect(text).toContain('Version 2.0, January 2004')
    const sections = [
      'Definitions',
      'Grant of Copyright License',
      'Grant of Patent License',
      'Redistribution',
      'Submission of Contributions',
      'Trademarks',
      'Disclaimer of Warranty',
      'Limitation of Liability',
      'Accepting Warranty or Additional Liability',
    ]
    sections.forEach((title, i) => {
      expect(text).toContain(`${i + 1}. ${title}.`)
    })
    expect(text).toContain('END OF TERMS AND CONDITIONS')
    expect(text).toContain('APPENDIX: How to apply the Apache License to your work.')
    expect(text).toContain('http://www.apache.org/licenses/LICENSE-2.0')
  })
})

describe('SECURITY.md', () => {
  const text = read('SECURITY.md')
  it('says how to report privately and what is in scope', () => {
    expect(text).toMatch(/private vulnerability reporting/i)
    expect(text).toContain('Report a vulnerability')
    for (const area of [
      'Secret handling',
      'checksum pinning',
      'Workflow permissions',
      'Untrusted data read from clusters',
    ])
      expect(text).toContain(area)
  })
})

describe('.github/dependabot.yml', () => {
  const config = parse(read('.github/dependabot.yml')) as {
    version: number
    updates: {
      'package-ecosystem': string
      directory: string
      groups?: Record<string, unknown>
      ignore?: { 'dependency-name': string }[]
    }[]
  }
  it('updates npm and GitHub Actions, grouped; keeps Node on the action runtime major', () => {
    expect(config.version).toBe(2)
    expect(config.updates.map((u) => u['package-ecosystem']).sort()).toEqual(['github-actions', 'npm'])
    for (const u of config.updates) {
      expect(u.directory).toBe('/')
      expect(Object.keys(u.groups ?? {}).length, u['package-ecosystem']).toBeGreaterThan(0)
    }
    const npm = config.updates.find((u) => u['package-ecosystem'] === 'npm')!
    expect(npm.ignore?.map((i) => i['dependency-name'])).toEqual(
      expect.arrayContaining(['node', '@types/node']),
    )
  })
})

describe('contributor docs name only what exists', () => {
  const docs = ['README.md', 'CONTRIBUTING.md', 'SECURITY.md', 'CHANGELOG.md', 'docs/releasing.md']

  it.each(docs)('%s: every `npm run <script>` is a package.json script', (file) => {
    const scripts = [...read(file).matchAll(/npm run (?:-s )?([\w:-]+)/g)].map((m) => m[1]!)
    for (const s of scripts) expect(Object.keys(pkg.scripts), `${file}: npm run ${s}`).toContain(s)
  })

  it.each(docs)('%s: every repository path it names exists', (file) => {
    const paths = [
      ...read(file).matchAll(
        /(?<![\w/.~-])((?:scripts|src|test|docs|schema|data|examples|bin|\.github|\.ci)\/[\w./-]*[\w-])/g,
      ),
    ]
      .map((m) => m[1]!)
      .filter((p) => !p.includes('<') && !/\/\*|\.\.\./.test(p))
    expect(paths.length).toBeGreaterThan(0)
    const missing = paths.filter((p) => !existsSync(join(ROOT, p)))
    expect(missing, file).toEqual([])
  })
})
