// The inventory's small parts, read from a document the schema accepted: command args (and
// the flags dkp-fleet reserves), catalog apps, node pools, maintenance windows, durations.
// Pure.

import { RESERVED_FLAGS } from './command-args.js'
import type { InputProblem } from './errors.js'
import { isObject, items, type ParsedDoc, type Raw, valueAt } from './inventory-doc.js'
import { shown } from './inventory-wording.js'
import type { CatalogApp, CommandArgs, MaintenanceWindow, NodePool, SourceRef } from './model.js'
import { fieldPath, type Locator, type PathSegment } from './yaml-source.js'

/** Every `args` map of a document, with its path. */
function argsPaths(value: Raw): PathSegment[][] {
  const paths: PathSegment[][] = []
  const pools = (base: PathSegment[], raw: unknown) =>
    items(raw).forEach((p, j) => {
      if (isObject(p) && isObject(p.args)) paths.push([...base, 'nodepools', j, 'args'])
    })
  const m = value.management
  if (isObject(m)) {
    if (isObject(m.kommander) && isObject(m.kommander.args)) paths.push(['management', 'kommander', 'args'])
    if (isObject(m.capiComponents) && isObject(m.capiComponents.args))
      paths.push(['management', 'capiComponents', 'args'])
    if (isObject(m.controlPlane) && isObject(m.controlPlane.args))
      paths.push(['management', 'controlPlane', 'args'])
    pools(['management'], m.nodepools)
  }
  items(value.clusters).forEach((c, i) => {
    if (!isObject(c)) return
    if (isObject(c.controlPlane) && isObject(c.controlPlane.args))
      paths.push(['clusters', i, 'controlPlane', 'args'])
    pools(['clusters', i], c.nodepools)
  })
  return paths
}

/** Flags dkp-fleet sets itself (where dkp connects, what it targets) cannot come from `args`. */
export function checkReservedFlags(doc: ParsedDoc, problems: InputProblem[]) {
  for (const path of argsPaths(doc.value)) {
    const args = valueAt(doc.value, path) as Raw
    for (const key of Object.keys(args)) {
      if (!RESERVED_FLAGS.has(key)) continue
      problems.push({
        source: doc.src.key(path, key),
        path: fieldPath([...path, key]),
        message: `--${key} is set by dkp-fleet itself and cannot be passed through args`,
      })
    }
  }
}

export function appsOf(
  raw: unknown,
  src: Locator,
  path: PathSegment[],
  problems: InputProblem[],
): CatalogApp[] {
  const apps: CatalogApp[] = []
  const seen = new Map<string, SourceRef>()
  items(raw).forEach((a, i) => {
    if (!isObject(a) || typeof a.name !== 'string') return
    const source = src.node([...path, i])
    const name = a.name
    const prev = seen.get(name)
    if (prev) {
      problems.push({
        source,
        path: `${fieldPath([...path, i])}.name`,
        message: `app "${name}" is listed twice (also at ${prev.file}:${prev.line}:${prev.col})`,
      })
      return
    }
    seen.set(name, source)
    const versionPath = fieldPath([...path, i, 'version'])
    const versionSource = src.node([...path, i, 'version'])
    // The schema already reported a missing or mistyped version (and pruned it).
    if (typeof a.version === 'string' && !CATALOG_VERSION.test(a.version)) {
      problems.push({
        source: versionSource,
        path: versionPath,
        message: `${shown(a.version)} is not a version: give the catalog version to upgrade to, like 0.25.1 or 0.2.16-dkp.1 (the App's version; dkp upgrade catalogapp --to-version takes it)`,
      })
    }
    apps.push({ name, version: String(a.version), source, versionSource, versionPath })
  })
  return apps
}

/**
 * A catalog app version: what `dkp upgrade catalogapp --to-version` takes and an App's
 * `spec.version` holds, semver with optional pre-release and build parts (`0.25.1`,
 * `0.2.16-dkp.1`, `0.23.0-dev.0`). `latest`, a word or a bare number is not one.
 */
export const CATALOG_VERSION =
  /^v?\d+\.\d+\.\d+(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/

export function nodepoolsOf(raw: unknown): NodePool[] {
  return items(raw).flatMap((p) =>
    typeof p === 'string'
      ? [{ name: p, args: {} }]
      : isObject(p) && typeof p.name === 'string'
        ? [{ name: p.name, args: normalizeArgs(p.args) }]
        : [],
  )
}

export function normalizeArgs(raw: unknown): CommandArgs {
  const out: CommandArgs = {}
  for (const [k, v] of Object.entries(isObject(raw) ? raw : {})) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.map(String) : String(v)
  }
  return out
}

export function windowOf(
  raw: Raw,
  src: Locator,
  path: PathSegment[],
  problems: InputProblem[],
): MaintenanceWindow {
  const window: MaintenanceWindow = {
    days: (raw.days as MaintenanceWindow['days'] | undefined) ?? [
      'mon',
      'tue',
      'wed',
      'thu',
      'fri',
      'sat',
      'sun',
    ],
    start: String(raw.start),
    end: String(raw.end),
    timezone: (raw.timezone as string | undefined) ?? 'UTC',
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: window.timezone })
  } catch {
    problems.push({
      source: src.node([...path, 'timezone']),
      path: `${fieldPath(path)}.timezone`,
      message: `unknown time zone "${window.timezone}" (use an IANA name like Europe/Berlin or UTC)`,
    })
  }
  if (typeof raw.start === 'string' && raw.start === raw.end) {
    problems.push({
      source: src.node([...path, 'end']),
      path: `${fieldPath(path)}.end`,
      message: 'the window is empty: end equals start',
    })
  }
  return window
}

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }

/** `1h30m` → 5400 (seconds). The schema has already checked the form. */
export function parseDuration(text: string): number {
  let total = 0
  for (const m of text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)/g))
    total += Number(m[1]) * UNIT_SECONDS[m[2]!]!
  return total
}
