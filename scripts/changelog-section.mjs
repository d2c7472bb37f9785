// The release notes of one version: its section of CHANGELOG.md (Keep a Changelog form).
//   node scripts/changelog-section.mjs v1.2.3             print the section body of [1.2.3]
//   node scripts/changelog-section.mjs v1.2.3 --release   also check that the tag is a version
//                                                         tag, package.json has that version
//                                                         and the section is dated
// Exit 2 with one message naming what is missing. Used by .github/workflows/release.yml.
import { readFileSync } from 'node:fs'

/** `v1.2.3` or `1.2.3` (with an optional pre-release) → `1.2.3`; undefined for anything else. */
export function versionOf(tag) {
  const m = /^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/.exec(String(tag).trim())
  return m ? m[1] : undefined
}

/**
 * The section of `version` ('1.2.3' or 'Unreleased'): its heading's date (undefined when the
 * heading has none) and its body, trimmed, without the heading and without the link
 * references at the end of the file. Undefined when the changelog has no such heading.
 * @param {string} changelog
 * @param {string} version
 * @returns {{ date?: string, body: string } | undefined}
 */
export function changelogSection(changelog, version) {
  const lines = changelog.split(/\r?\n/)
  const heading = /^## \[([^\]]+)\](?:\s+-\s+(\d{4}-\d{2}-\d{2}))?\s*$/
  const start = lines.findIndex((l) => heading.exec(l)?.[1] === version)
  if (start < 0) return undefined
  const date = heading.exec(lines[start])?.[2]
  let end = start + 1
  while (end < lines.length && !/^## /.test(lines[end]) && !/^\[[^\]]+\]:\s/.test(lines[end])) end++
  return {
    date,
    body: lines
      .slice(start + 1, end)
      .join('\n')
      .trim(),
  }
}

/**
 * The notes for a release tag, or the reason there are none.
 * @returns {{ notes: string } | { problem: string }}
 */
export function releaseNotes(tag, changelog, packageVersion, { release = false } = {}) {
  const version = versionOf(tag)
  if (!version) return { problem: `"${tag}" is not a version tag like v1.2.3` }
  if (release && !String(tag).startsWith('v')) return { problem: `"${tag}": release tags start with v` }
  if (release && packageVersion !== version)
    return {
      problem: `package.json has version ${packageVersion}, the tag ${tag}: set "version": "${version}" and tag that commit`,
    }
  const section = changelogSection(changelog, version)
  if (!section) return { problem: `CHANGELOG.md has no "## [${version}] - YYYY-MM-DD" section` }
  if (release && !section.date)
    return { problem: `CHANGELOG.md: the [${version}] heading has no date ("## [${version}] - YYYY-MM-DD")` }
  if (!section.body) return { problem: `CHANGELOG.md: the [${version}] section is empty` }
  return { notes: `${section.body}\n` }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [tag = ''] = process.argv.slice(2).filter((a) => !a.startsWith('--'))
  const release = process.argv.includes('--release')
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'))
  const result = releaseNotes(tag, readFileSync('CHANGELOG.md', 'utf8'), pkg.version, { release })
  if ('problem' in result) {
    process.stderr.write(`changelog-section: ${result.problem}\n`)
    process.exit(2)
  }
  process.stdout.write(result.notes)
}
