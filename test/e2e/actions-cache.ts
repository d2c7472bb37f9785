// The Actions cache for the test workflow runner: `actions/cache/restore` and
// `actions/cache/save` (pinned at any ref) work on a store shared by the jobs of a run, or of
// several runs when a test passes one store to each. What is kept of GitHub's behaviour
// (actions/cache v5.0.5 src/restoreImpl.ts and src/saveImpl.ts, @actions/cache):
//   - an entry is found by its exact key, else by each `restore-keys` prefix in turn (the
//     newest entry with that prefix); only entries saved with the same `path` list match (the
//     cache "version" hashes the paths as given to the action);
//   - `cache-hit` is 'true' on an exact match, 'false' on a prefix match and not set at all on
//     a miss; `cache-primary-key` and `cache-matched-key` as the action sets them;
//     `fail-on-cache-miss` fails the step, `lookup-only` restores nothing;
//   - keys are immutable: saving an existing key warns and changes nothing, as does saving
//     paths that hold no file; neither fails the step.
// Every leg has its own RUNNER_TEMP and RUNNER_TOOL_CACHE here, where on GitHub's hosted runners
// these directories have the same path in every job; so paths are compared with the leg's
// directories replaced by their names ($RUNNER_TEMP/…), and restored to the restoring leg's.
// Not emulated: globs, `~` outside HOME, cross-OS archives, the combined `actions/cache` action
// (restore + post save), and the tar-level details (an entry holds the files, not an archive).

import { cpSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'

export type CacheActionKind = 'restore' | 'save'

/** `actions/cache/restore@…` → 'restore', `actions/cache/save@…` → 'save'; undefined for others. */
export function cacheActionKind(uses: string): CacheActionKind | 'combined' | undefined {
  const m = /^actions\/cache(\/(restore|save))?@/.exec(uses)
  if (!m) return undefined
  return (m[2] as CacheActionKind | undefined) ?? 'combined'
}

export interface CacheEntry {
  key: string
  /** The `path` input as written, with the leg's directories as names: the cache "version". */
  version: string
  /** Files as tokenised paths (`$RUNNER_TEMP/dkp-fleet-dkp-cache/x.tar.gz`). */
  files: string[]
  /** Where the copies live in the store. */
  dir: string
  savedBy: string
  seq: number
}

export interface CacheEvent {
  job: string
  step: string
  kind: CacheActionKind
  key: string
  /** restore: hit (exact) | partial (a restore-key) | miss; save: saved | exists | no-files. */
  result: 'hit' | 'partial' | 'miss' | 'saved' | 'exists' | 'no-files'
  matchedKey?: string
  files?: string[]
}

/** The directories of one leg, for mapping paths in and out of the store. */
export interface LegDirs {
  RUNNER_TEMP: string
  RUNNER_TOOL_CACHE: string
  GITHUB_WORKSPACE: string
  HOME: string
}

export interface CacheStepResult {
  outputs: Record<string, string>
  log: string[]
  warnings: string[]
  failed?: string
}

export class ActionsCacheStore {
  readonly entries: CacheEntry[] = []
  readonly events: CacheEvent[] = []
  private seq = 0

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true })
  }

  run(
    kind: CacheActionKind,
    inputs: Record<string, string>,
    leg: LegDirs,
    who: { job: string; step: string },
  ): CacheStepResult {
    const key = (inputs.key ?? '').trim()
    const paths = lines(inputs.path)
    if (!key) throw new Error(`${kind}: Input required and not supplied: key`)
    if (paths.length === 0) throw new Error(`${kind}: Input required and not supplied: path`)
    for (const p of paths)
      if (/[*?[]/.test(p)) throw new Error(`${kind}: glob patterns are not emulated by the test runner: ${p}`)
    const version = paths.map((p) => tokenise(absolute(p, leg), leg)).join('\n')
    return kind === 'restore'
      ? this.restore(key, version, inputs, leg, who)
      : this.save(key, version, paths, leg, who)
  }

  private restore(
    key: string,
    version: string,
    inputs: Record<string, string>,
    leg: LegDirs,
    who: { job: string; step: string },
  ): CacheStepResult {
    const restoreKeys = lines(inputs['restore-keys'])
    const sameVersion = this.entries.filter((e) => e.version === version)
    let entry = sameVersion.find((e) => e.key === key)
    let exact = Boolean(entry)
    if (!entry) {
      for (const prefix of restoreKeys) {
        entry = sameVersion.filter((e) => e.key.startsWith(prefix)).sort((a, b) => b.seq - a.seq)[0]
        if (entry) break
      }
      exact = false
    }
    const outputs: Record<string, string> = { 'cache-primary-key': key }
    if (!entry) {
      this.events.push({ ...who, kind: 'restore', key, result: 'miss' })
      const message = `Cache not found for input keys: ${[key, ...restoreKeys].join(', ')}`
      if (truthy(inputs['fail-on-cache-miss']))
        return {
          outputs,
          log: [message],
          warnings: [],
          failed: `Failed to restore cache entry. Exiting as fail-on-cache-miss is set. Input key: ${key}`,
        }
      return { outputs, log: [message], warnings: [] }
    }
    outputs['cache-hit'] = String(exact)
    outputs['cache-matched-key'] = entry.key
    const restored: string[] = []
    if (!truthy(inputs['lookup-only'])) {
      for (const f of entry.files) {
        const target = untokenise(f, leg)
        mkdirSync(resolve(target, '..'), { recursive: true })
        cpSync(join(entry.dir, storeName(f)), target)
        restored.push(target)
      }
    }
    this.events.push({
      ...who,
      kind: 'restore',
      key,
      result: exact ? 'hit' : 'partial',
      matchedKey: entry.key,
      files: restored,
    })
    return { outputs, log: [`Cache restored from key: ${entry.key}`], warnings: [] }
  }

  private save(
    key: string,
    version: string,
    paths: string[],
    leg: LegDirs,
    who: { job: string; step: string },
  ): CacheStepResult {
    const files = paths.flatMap((p) => walk(absolute(p, leg)))
    if (files.length === 0) {
      this.events.push({ ...who, kind: 'save', key, result: 'no-files' })
      return {
        outputs: {},
        log: [],
        warnings: [
          'Path Validation Error: Path(s) specified in the action for caching do(es) not exist, hence no cache is being saved.',
          'Cache save failed.',
        ],
      }
    }
    if (this.entries.some((e) => e.key === key && e.version === version)) {
      this.events.push({ ...who, kind: 'save', key, result: 'exists' })
      return {
        outputs: {},
        log: [],
        warnings: [
          `Failed to save: Unable to reserve cache with key ${key}, another job may be creating this cache.`,
          'Cache save failed.',
        ],
      }
    }
    const dir = join(this.dir, String(this.entries.length))
    const tokens = files.map((f) => tokenise(f, leg))
    for (const [i, f] of files.entries()) {
      const copy = join(dir, storeName(tokens[i]!))
      mkdirSync(resolve(copy, '..'), { recursive: true })
      cpSync(f, copy)
    }
    this.entries.push({ key, version, files: tokens, dir, savedBy: who.job, seq: this.seq++ })
    this.events.push({ ...who, kind: 'save', key, result: 'saved', files })
    return { outputs: {}, log: [`Cache saved with key: ${key}`], warnings: [] }
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

function absolute(p: string, leg: LegDirs): string {
  if (p === '~' || p.startsWith('~/')) return join(leg.HOME, p.slice(1))
  return isAbsolute(p) ? resolve(p) : resolve(leg.GITHUB_WORKSPACE, p)
}

const TOKENS: (keyof LegDirs)[] = ['RUNNER_TEMP', 'RUNNER_TOOL_CACHE', 'GITHUB_WORKSPACE', 'HOME']

/** `/tmp/wf-run-1/wave-0-x/temp/a` → `$RUNNER_TEMP/a` (the most specific directory wins). */
function tokenise(path: string, leg: LegDirs): string {
  const matches = TOKENS.map((t) => ({ t, rel: relative(resolve(leg[t]), path) }))
    .filter((m) => m.rel === '' || (!m.rel.startsWith('..') && !isAbsolute(m.rel)))
    .sort((a, b) => a.rel.length - b.rel.length)
  const best = matches[0]
  return best ? `$${best.t}${best.rel ? `/${best.rel.split(sep).join('/')}` : ''}` : path
}

function untokenise(token: string, leg: LegDirs): string {
  const m = /^\$([A-Z_]+)(\/.*)?$/.exec(token)
  if (!m || !(m[1]! in leg)) return token
  return join(leg[m[1] as keyof LegDirs], m[2] ?? '')
}

function storeName(token: string): string {
  return token.replace(/^\$/, '').replace(/^\/+/, '')
}

function walk(path: string): string[] {
  if (!existsSync(path)) return []
  const st = statSync(path)
  if (st.isFile()) return [path]
  if (!st.isDirectory()) return []
  return readdirSync(path).flatMap((name) => walk(join(path, name)))
}
