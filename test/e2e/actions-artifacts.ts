// Run artifacts for the test workflow runner: `actions/upload-artifact` (v7) and
// `actions/download-artifact` (v8), pinned at any ref, on a store shared by the jobs of a run and
// by its re-run attempts (artifacts belong to the run: a later attempt sees the earlier
// attempts' artifacts, and uploading a name that exists fails unless `overwrite`). What is kept of
// GitHub's behaviour (actions/upload-artifact v7.0.0, actions/download-artifact v8.0.1 and
// @actions/artifact 6.x, read in their sources):
//   - upload: `path` lines are files or directories (a single directory is the root, else the
//     files' common parent); hidden files are left out unless `include-hidden-files`; no file
//     → `if-no-files-found` (warn, error, ignore); `archive: false` uploads exactly one file as it
//     is, named after it (the `name` input is ignored); outputs `artifact-id`, `artifact-digest`
//     (sha256 of the uploaded file when not archived), `artifact-url`; `retention-days` kept;
//   - download: by `name` (the newest artifact of that name), by `artifact-ids` (comma
//     separated; the ones found, a warning for the others) or all / `pattern`; one artifact, or
//     `merge-multiple`, goes straight into `path`, several into `path/<name>`; a file uploaded
//     with `archive: false` is written as `path/<name>` (nothing extracted), an archived one
//     extracted with its relative paths; `download-path` output; an expired artifact is gone.
// Not emulated (the step throws): globs and `!` exclusions in `path`, `skip-decompress` of an
// archived artifact (that writes the zip itself), `github-token`/`run-id` (another run), the
// `merge` sub-action.

import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'

export type ArtifactActionKind = 'upload' | 'download'

/** `actions/upload-artifact@…` → 'upload', `actions/download-artifact@…` → 'download'. */
export function artifactActionKind(uses: string): ArtifactActionKind | 'merge' | undefined {
  if (/^actions\/upload-artifact\/merge@/.test(uses)) return 'merge'
  if (/^actions\/upload-artifact@/.test(uses)) return 'upload'
  if (/^actions\/download-artifact@/.test(uses)) return 'download'
  return undefined
}

export interface Artifact {
  id: number
  runId: string
  name: string
  /** false: one file uploaded as it is (`archive: false`). */
  archived: boolean
  /** Relative paths of the files (archived), or the one file's name. */
  files: string[]
  /** Where the copies live in the store. */
  dir: string
  digest: string
  retentionDays?: number
  uploadedBy: string
  attempt: number
  expired: boolean
}

export interface ArtifactEvent {
  job: string
  step: string
  kind: ArtifactActionKind
  /** upload: uploaded | replaced | exists | no-files; download: downloaded | not-found */
  result: 'uploaded' | 'replaced' | 'exists' | 'no-files' | 'downloaded' | 'not-found'
  names: string[]
  /** Absolute paths written (download) or read (upload). */
  files: string[]
}

export interface ArtifactStepResult {
  outputs: Record<string, string>
  log: string[]
  warnings: string[]
  failed?: string
}

export interface ArtifactLeg {
  runId: string
  attempt: number
  GITHUB_WORKSPACE: string
  HOME: string
}

const BAD_NAME = /["':<>|*?\r\n\\/]/

export class ArtifactStore {
  /** Every artifact ever uploaded and not deleted (expired ones stay, marked). */
  readonly artifacts: Artifact[] = []
  readonly events: ArtifactEvent[] = []
  private nextId = 4000

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true })
  }

  /** The retention period of an artifact has passed (GitHub deletes it). */
  expire(name: string, runId?: string): void {
    for (const a of this.artifacts) if (a.name === name && (!runId || a.runId === runId)) a.expired = true
  }

  /** The artifacts a run can see: its own, not expired. */
  live(runId: string): Artifact[] {
    return this.artifacts.filter((a) => a.runId === runId && !a.expired)
  }

  run(
    kind: ArtifactActionKind,
    inputs: Record<string, string>,
    leg: ArtifactLeg,
    who: { job: string; step: string },
  ): ArtifactStepResult {
    return kind === 'upload' ? this.upload(inputs, leg, who) : this.download(inputs, leg, who)
  }

  private upload(inputs: Record<string, string>, leg: ArtifactLeg, who: { job: string; step: string }) {
    const paths = lines(inputs.path)
    if (paths.length === 0) throw new Error('upload-artifact: Input required and not supplied: path')
    for (const p of paths)
      if (/[*?[]/.test(p) || p.startsWith('!'))
        throw new Error(`upload-artifact: globs and exclusions are not emulated by the test runner: ${p}`)
    const hidden = truthy(inputs['include-hidden-files'])
    const roots = paths.map((p) => absolute(p, leg))
    const files = roots.flatMap((r) => walk(r, hidden))
    const archive = (inputs.archive ?? 'true').trim().toLowerCase() !== 'false'
    const ifNone = (inputs['if-no-files-found'] ?? 'warn').trim() || 'warn'
    const none = (names: string[]): ArtifactStepResult => {
      this.events.push({ ...who, kind: 'upload', result: 'no-files', names, files: [] })
      const message = `No files were found with the provided path: ${paths.join(', ')}. No artifacts will be uploaded.`
      if (ifNone === 'error') return { outputs: {}, log: [], warnings: [], failed: message }
      return {
        outputs: {},
        log: ifNone === 'ignore' ? [message] : [],
        warnings: ifNone === 'warn' ? [message] : [],
      }
    }
    if (files.length === 0) return none([inputs.name || 'artifact'])
    if (!archive && files.length !== 1)
      return {
        outputs: {},
        log: [],
        warnings: [],
        failed: 'skipArchive option is only supported when uploading a single file',
      }
    const name = archive ? (inputs.name ?? '').trim() || 'artifact' : basename(files[0]!)
    if (BAD_NAME.test(name))
      return { outputs: {}, log: [], warnings: [], failed: `The artifact name is not valid: ${name}` }
    const existing = this.live(leg.runId).filter((a) => a.name === name)
    let replaced = false
    if (existing.length > 0) {
      if (!truthy(inputs.overwrite)) {
        this.events.push({ ...who, kind: 'upload', result: 'exists', names: [name], files: [] })
        return {
          outputs: {},
          log: [],
          warnings: [],
          failed:
            'Failed to CreateArtifact: Received non-retryable error: Failed request: (409) Conflict: an artifact with this name already exists on the workflow run',
        }
      }
      for (const a of existing) this.artifacts.splice(this.artifacts.indexOf(a), 1)
      replaced = true
    }
    const root = archive ? rootOf(roots, files) : dirname(files[0]!)
    const rel = files.map((f) => relative(root, f).split(sep).join('/'))
    const id = this.nextId++
    const dir = join(this.dir, String(id))
    for (const [i, f] of files.entries()) {
      const copy = join(dir, rel[i]!)
      mkdirSync(dirname(copy), { recursive: true })
      cpSync(f, copy)
    }
    const hash = createHash('sha256')
    if (archive) for (const [i, r] of rel.entries()) hash.update(`${r}\0`).update(readFileSync(files[i]!))
    else hash.update(readFileSync(files[0]!))
    const digest = hash.digest('hex')
    const retention = inputs['retention-days']?.trim()
    this.artifacts.push({
      id,
      runId: leg.runId,
      name,
      archived: archive,
      files: rel,
      dir,
      digest,
      ...(retention ? { retentionDays: Number(retention) } : {}),
      uploadedBy: who.job,
      attempt: leg.attempt,
      expired: false,
    })
    this.events.push({
      ...who,
      kind: 'upload',
      result: replaced ? 'replaced' : 'uploaded',
      names: [name],
      files,
    })
    return {
      outputs: {
        'artifact-id': String(id),
        'artifact-digest': digest,
        'artifact-url': `https://github.com/runs/${leg.runId}/artifacts/${id}`,
      },
      log: [
        ...(replaced ? [`Artifact '${name}' deleted`] : []),
        `With the provided path, there will be ${files.length} file(s) uploaded`,
        `Artifact ${name} successfully finalized. Artifact ID ${id}`,
      ],
      warnings: [],
    }
  }

  private download(inputs: Record<string, string>, leg: ArtifactLeg, who: { job: string; step: string }) {
    if (inputs['github-token']?.trim() || (inputs['run-id']?.trim() && inputs['run-id'].trim() !== leg.runId))
      throw new Error('download-artifact: artifacts of another run (github-token, run-id) are not emulated')
    const name = inputs.name?.trim() ?? ''
    const idsText = inputs['artifact-ids']?.trim() ?? ''
    if (name && idsText)
      return {
        outputs: {},
        log: [],
        warnings: [],
        failed: "Inputs 'name' and 'artifact-ids' cannot be used together. Please specify only one.",
      }
    const fail = (message: string, names: string[]): ArtifactStepResult => {
      this.events.push({ ...who, kind: 'download', result: 'not-found', names, files: [] })
      return { outputs: {}, log: [], warnings: [], failed: `Unable to download artifact(s): ${message}` }
    }
    const live = this.live(leg.runId)
    // listArtifacts({ latest: true }): the newest artifact of each name.
    const latest = live.filter((a) => !live.some((b) => b.name === a.name && b.id > a.id))
    const warnings: string[] = []
    let chosen: Artifact[]
    if (name) {
      const found = live.filter((a) => a.name === name).sort((a, b) => b.id - a.id)[0]
      if (!found) return fail(`Artifact '${name}' not found`, [name])
      chosen = [found]
    } else if (idsText) {
      const ids = idsText
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean)
      if (ids.length === 0) return fail("No valid artifact IDs provided in 'artifact-ids' input", [])
      const numbers = ids.map((t) => Number.parseInt(t, 10))
      if (numbers.some(Number.isNaN))
        return fail(`Invalid artifact ID: '${ids[numbers.findIndex(Number.isNaN)]}'. Must be a number.`, [])
      chosen = latest.filter((a) => numbers.includes(a.id))
      if (chosen.length === 0) return fail('None of the provided artifact IDs were found', ids)
      const missing = numbers.filter((n) => !chosen.some((a) => a.id === n))
      if (missing.length) warnings.push(`Could not find the following artifact IDs: ${missing.join(', ')}`)
    } else {
      const pattern = inputs.pattern?.trim()
      chosen = pattern ? latest.filter((a) => globMatch(pattern, a.name)) : latest
    }
    const target = resolve((inputs.path?.trim() || leg.GITHUB_WORKSPACE).replace(/^~/, leg.HOME))
    const skipDecompress = truthy(inputs['skip-decompress'])
    const single = Boolean(name) || truthy(inputs['merge-multiple']) || chosen.length === 1
    const written: string[] = []
    for (const a of chosen) {
      const into = single ? target : join(target, a.name)
      mkdirSync(into, { recursive: true })
      if (a.archived && skipDecompress)
        throw new Error('download-artifact: skip-decompress of an archived artifact is not emulated')
      if (!a.archived) {
        // The raw file, named by the artifact (Content-Disposition, reduced to its base name).
        const to = join(into, basename(a.name))
        cpSync(join(a.dir, a.files[0]!), to)
        written.push(to)
        continue
      }
      for (const f of a.files) {
        const to = join(into, f)
        if (relative(into, to).startsWith('..')) throw new Error(`an artifact entry escapes its path: ${f}`)
        mkdirSync(dirname(to), { recursive: true })
        cpSync(join(a.dir, f), to)
        written.push(to)
      }
    }
    this.events.push({
      ...who,
      kind: 'download',
      result: 'downloaded',
      names: chosen.map((a) => a.name),
      files: written,
    })
    return {
      outputs: { 'download-path': target },
      log: [
        ...chosen.map((a) => `- ${a.name} (ID: ${a.id}, Expected Digest: sha256:${a.digest})`),
        `Total of ${chosen.length} artifact(s) downloaded`,
      ],
      warnings,
    }
  }
}

function lines(text: string | undefined): string[] {
  return (text ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
}

function truthy(v: string | undefined): boolean {
  return (v ?? '').trim().toLowerCase() === 'true'
}

function absolute(p: string, leg: ArtifactLeg): string {
  if (p === '~' || p.startsWith('~/')) return join(leg.HOME, p.slice(1))
  return isAbsolute(p) ? resolve(p) : resolve(leg.GITHUB_WORKSPACE, p)
}

function walk(path: string, hidden: boolean): string[] {
  if (!existsSync(path)) return []
  const st = statSync(path)
  if (st.isFile()) return [path]
  if (!st.isDirectory()) return []
  return readdirSync(path)
    .filter((n) => hidden || !n.startsWith('.'))
    .sort()
    .flatMap((n) => walk(join(path, n), hidden))
}

/** One directory given: it is the root; otherwise the files' common parent directory. */
function rootOf(roots: string[], files: string[]): string {
  if (roots.length === 1 && existsSync(roots[0]!) && statSync(roots[0]!).isDirectory()) return roots[0]!
  let root = dirname(files[0]!)
  for (const f of files) while (relative(root, f).startsWith('..')) root = dirname(root)
  return root
}

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  )
  return re.test(name)
}
