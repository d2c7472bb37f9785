// Schema errors (the generated validator's) → located, readable problems: one per bad key or
// value, at the key or value itself, in the words the schema's patternErrorMessage and the
// allowed keys give. Pure.

import { isScalar } from 'yaml'
import type { InputProblem } from './errors.js'
import { valueAt } from './inventory-doc.js'
import { clipKey, shown, suggest, toSegment, typeMessage, unescapePointer } from './inventory-wording.js'
import { at, fieldPath, keyAt, nodeAt, type PathSegment, type SourceDoc } from './yaml-source.js'

export interface AjvError {
  instancePath: string
  schemaPath: string
  keyword: string
  params: Record<string, unknown>
  message?: string
  /** Set on errors of a `propertyNames` subschema: the offending key. */
  propertyName?: string
  /** The schema object holding the failing keyword (its `patternErrorMessage`). */
  parentSchema?: Record<string, unknown>
}

/** Pointer parts as path segments: a number only where the value there is a list (`rollout.waves."2"` is a key). */
function segmentsIn(value: unknown, parts: string[]): PathSegment[] {
  let here = value
  return parts.map((part) => {
    const segment = Array.isArray(here) ? toSegment(part) : part
    here = here !== null && typeof here === 'object' ? (here as Record<string, unknown>)[part] : undefined
    return segment
  })
}

/** Every problem of one document's schema errors, located; duplicates (same field and message) once. */
export function schemaProblems(src: SourceDoc, value: unknown, errors: AjvError[]): InputProblem[] {
  const out: InputProblem[] = []
  const seen = new Set<string>()
  for (const e of relevantErrors(errors)) {
    const path = segmentsIn(value, e.instancePath.split('/').slice(1).map(unescapePointer))
    const problem =
      e.keyword === 'propertyNames' || e.propertyName !== undefined
        ? keyProblem(src, e, path)
        : valueProblem(src, value, e, path)
    const key = `${problem.path}|${problem.message}`
    if (!seen.has(key)) {
      seen.add(key)
      out.push(problem)
    }
  }
  return out
}

/**
 * An anyOf (node pool: name or object; arg values) reports every branch. Keep the errors of
 * the branch that fits the value's type; fall back to one anyOf message when none does.
 */
function relevantErrors(errors: AjvError[]): AjvError[] {
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath))
  const under = (p: string, e: AjvError) => e.instancePath === p || e.instancePath.startsWith(`${p}/`)
  return errors.filter((e) => {
    if (e.keyword === 'type' && anyOfPaths.has(e.instancePath)) return false
    if (e.keyword === 'anyOf')
      return !errors.some(
        (o) =>
          o !== e &&
          o.keyword !== 'anyOf' &&
          under(e.instancePath, o) &&
          !(o.keyword === 'type' && o.instancePath === e.instancePath),
      )
    return true
  })
}

/** A bad key (propertyNames): one problem at the key itself, not the whole mapping. */
function keyProblem(src: SourceDoc, e: AjvError, path: PathSegment[]): InputProblem {
  const prop = String(e.propertyName ?? e.params.propertyName)
  return {
    source: at(src, keyAt(src, path, prop)),
    path: fieldPath([...path, clipKey(prop)]),
    message: patternMessage(e),
  }
}

function valueProblem(src: SourceDoc, value: unknown, e: AjvError, path: PathSegment[]): InputProblem {
  switch (e.keyword) {
    case 'required':
      return {
        source: at(src, nodeAt(src, path)),
        path: fieldPath([...path, String(e.params.missingProperty)]),
        message: 'required field is missing',
      }
    case 'additionalProperties': {
      const prop = String(e.params.additionalProperty)
      const allowed = allowedKeys(path)
      const hint = suggest(prop, allowed)
      return {
        source: at(src, keyAt(src, path, prop)),
        path: fieldPath([...path, clipKey(prop)]),
        message: `unknown field${hint ? ` (did you mean "${hint}"?)` : ''}${allowed.length ? `; allowed: ${allowed.join(', ')}` : ''}`,
      }
    }
    case 'type': {
      // The hint quotes what the user wrote (`1.10`), not the number YAML made of it (1.1).
      const node = nodeAt(src, path)
      const written = isScalar(node) && typeof node.source === 'string' ? node.source : undefined
      return located(src, path, typeMessage(String(e.params.type), valueAt(value, path), written))
    }
    case 'enum':
      return located(src, path, `must be one of: ${(e.params.allowedValues as unknown[]).join(', ')}`)
    case 'const':
      return located(src, path, `must be "${String(e.params.allowedValue)}"`)
    case 'pattern':
      return located(src, path, `${patternMessage(e)} (got ${shown(valueAt(value, path))})`)
    case 'anyOf':
      return located(
        src,
        path,
        /\/nodepools\/\d+$/.test(e.instancePath)
          ? 'must be a node pool name or { name, args }'
          : 'must be a string, number, boolean or list of strings',
      )
    case 'minimum':
      return located(
        src,
        path,
        path.at(-1) === 'wave'
          ? 'must be 1 or more (wave 0 is the canary wave: set canary: true instead)'
          : `must be at least ${String(e.params.limit)}`,
      )
    default:
      return located(src, path, e.message ?? e.keyword)
  }
}

const located = (src: SourceDoc, path: PathSegment[], message: string): InputProblem => ({
  source: at(src, nodeAt(src, path)),
  path: fieldPath(path),
  message,
})

/**
 * The human message of a failed `pattern`: the schema's `patternErrorMessage` beside it, the
 * same text editors show (a unit test checks that every pattern has one).
 */
function patternMessage(e: AjvError): string {
  // A bad key is reported twice: the pattern inside propertyNames, and propertyNames itself.
  const holder =
    e.keyword === 'propertyNames'
      ? (e.parentSchema?.propertyNames as AjvError['parentSchema'])
      : e.parentSchema
  const message = holder?.patternErrorMessage
  return typeof message === 'string' ? message : 'has an invalid format'
}

// Keys allowed at a schema location, for "unknown field" messages. Kept next to the schema
// shape; a unit test checks them against schema/fleet.schema.json.
export const ALLOWED_KEYS: Record<string, string[]> = {
  root: [
    'apiVersion',
    'kind',
    'metadata',
    'target',
    'management',
    'workspaces',
    'clusters',
    'rollout',
    'backup',
  ],
  metadata: ['name'],
  target: ['dkp', 'nkp', 'kubernetes'],
  management: [
    'name',
    'provider',
    'namespace',
    'kubeconfigEnv',
    'kommander',
    'capiComponents',
    'nodepools',
    'controlPlane',
    'window',
  ],
  kommander: ['args'],
  capiComponents: ['args'],
  rollout: ['maxParallel', 'failureThreshold', 'soak', 'waves'],
  waveRollout: ['soak'],
  backup: ['enabled', 'reason', 'namespace', 'storageLocation', 'maxAge', 'ttl'],
  nodepool: ['name', 'args'],
  controlPlane: ['args'],
  app: ['name', 'version'],
  project: ['name', 'apps'],
  workspace: ['name', 'namespace', 'apps', 'projects'],
  window: ['days', 'start', 'end', 'timezone'],
  cluster: [
    'name',
    'workspace',
    'attached',
    'provider',
    'namespace',
    'nodepools',
    'controlPlane',
    'wave',
    'canary',
    'nodes',
    'window',
    'auditLog',
    'allowInsecureSkipTlsVerify',
  ],
}

const ITEM_KIND: Record<string, string> = {
  clusters: 'cluster',
  workspaces: 'workspace',
  projects: 'project',
  apps: 'app',
  nodepools: 'nodepool',
}

/** Allowed keys of the mapping at `path`, from its position in the document. */
function allowedKeys(path: PathSegment[]): string[] {
  const last = path.at(-1)
  if (last === undefined) return ALLOWED_KEYS.root!
  if (path.at(-2) === 'waves' && path.at(-3) === 'rollout') return ALLOWED_KEYS.waveRollout!
  if (typeof last === 'number') return ALLOWED_KEYS[ITEM_KIND[String(path.at(-2))] ?? ''] ?? []
  return ALLOWED_KEYS[last] ?? []
}
