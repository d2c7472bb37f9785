// Inventory files (YAML text) → one validated Inventory. Pure: the caller reads the files.
// Every problem is located (file:line:col + field path) and all of them are reported at once.

import { CORE_SCHEMA, loadAll } from 'js-yaml'
import { isScalar } from 'yaml'
import { RESERVED_FLAGS } from './command-args.js'
import { InputError, type InputProblem } from './errors.js'
import { validate as validateDocument } from './inventory-validator.gen.js'
import type {
  AttachedCluster,
  BackupSettings,
  CatalogApp,
  Cluster,
  CommandArgs,
  Inventory,
  MaintenanceWindow,
  Management,
  NodePool,
  SourceRef,
  Target,
  Workspace,
} from './model.js'
import { AMI, konvoyProviders, upgradedOutsideDkp, VM_TEMPLATE } from './providers.js'
import {
  defaultKubernetesFor,
  dkpMinor,
  kubernetesSupportedBy,
  normalizeDkp,
  normalizeKubernetes,
} from './versions.js'
import {
  at,
  fieldPath,
  keyAt,
  type Locator,
  lazyLocator,
  locatorOf,
  MAX_DEPTH,
  nodeAt,
  type PathSegment,
  parseYamlFile,
  type SourceDoc,
} from './yaml-source.js'

export interface InventoryFile {
  /** Path as shown in messages (relative to the working directory). */
  path: string
  content: Uint8Array | string
}

export interface LoadedInventory {
  inventory: Inventory
  /** Not fatal, but worth showing (e.g. inferred version data). */
  warnings: InputProblem[]
}

/** Largest inventory file accepted: far above any real fleet, small enough to bound memory. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024
/** All inventory files of one run together: the same bound (parsing costs ~100 bytes of memory per byte). */
export const MAX_TOTAL_BYTES = MAX_FILE_BYTES

interface AjvError {
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

const DEFAULT_BACKUP_MAX_AGE = '24h'

type Raw = Record<string, unknown>

interface ParsedDoc {
  src: Locator
  value: Raw
  /** JSON pointers the schema rejected (already pruned from value). */
  invalid: Set<string>
}

const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v)
const items = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])

/**
 * Parses and validates inventory files. A valid inventory takes the fast path (js-yaml, no
 * source positions until one is read); anything the fast path does not accept is parsed again
 * with source positions on every node, so every problem is located exactly.
 */
export function parseInventory(files: InventoryFile[]): LoadedInventory {
  return parseFast(files) ?? parseLocated(files)
}

/** The fast path: undefined whenever anything is off (then parseLocated reports it). */
function parseFast(files: InventoryFile[]): LoadedInventory | undefined {
  if (files.length === 0) return undefined
  const docs: ParsedDoc[] = []
  for (const file of files) {
    let text: string
    if (typeof file.content === 'string') text = file.content
    else {
      if (file.content.byteLength > MAX_FILE_BYTES) return undefined
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(file.content)
      } catch {
        return undefined
      }
    }
    let values: unknown[]
    try {
      values = loadAll(text, {
        schema: CORE_SCHEMA,
        maxDepth: MAX_DEPTH,
        maxAliases: 100,
        filename: file.path,
      })
    } catch {
      return undefined
    }
    for (const [index, value] of values.entries()) {
      if (value === null || value === undefined) continue
      if (!isObject(value) || !validateDocument(value)) return undefined
      docs.push({ src: lazyLocator(file.path, text, index), value, invalid: new Set() })
    }
  }
  if (docs.length === 0) return undefined
  const result = buildInventory(
    docs,
    files.map((f) => f.path),
  )
  if (result.problems.length > 0 || !result.inventory) return undefined
  return { inventory: result.inventory, warnings: result.warnings }
}

/** Every node with its source position; all problems of all files, located. Exported for tests. */
export function parseLocated(files: InventoryFile[]): LoadedInventory {
  const problems: InputProblem[] = []
  const docs: ParsedDoc[] = []
  // A file or document that could not be read may hold target/management: don't also claim they are missing.
  let unreadable = false
  if (files.length === 0) throw new InputError('no inventory files given')

  for (const file of files) {
    const text = decodeText(file, problems)
    if (text === undefined) {
      unreadable = true
      continue
    }
    const parsed = parseYamlFile(file.path, text)
    problems.push(...parsed.problems)
    if (parsed.problems.length > 0) unreadable = true
    for (const src of parsed.docs) {
      if (src.doc.contents === null) continue // an empty document (e.g. a trailing ---)
      let value: unknown
      try {
        value = src.doc.toJS({ maxAliasCount: 100 })
      } catch (err) {
        problems.push({ source: at(src, null), message: `cannot read document: ${(err as Error).message}` })
        unreadable = true
        continue
      }
      if (value === null || value === undefined) continue // `---` with nothing after it: an empty document
      if (typeof value !== 'object' || Array.isArray(value)) {
        problems.push({
          source: at(src, null),
          message: 'a Fleet document must be a mapping (apiVersion: dkp-fleet/v1, kind: Fleet, ...)',
        })
        unreadable = true
        continue
      }
      const errors = validateDocument(value) ? [] : (validateDocument.errors ?? [])
      problems.push(...schemaProblems(src, value, errors))
      // Semantic checks still run on what the schema accepted, so one run reports everything.
      docs.push({
        src: locatorOf(src),
        value: pruneInvalid(value as Raw, errors),
        invalid: new Set(errors.map((e) => e.instancePath)),
      })
    }
  }
  if (docs.length === 0 && problems.length === 0) {
    throw new InputError(
      files.map((f) => ({ source: { file: f.path, line: 1, col: 1 }, message: 'no Fleet document found' })),
    )
  }
  const result = buildInventory(
    docs,
    files.map((f) => f.path),
    unreadable,
  )
  problems.push(...result.problems)
  if (problems.length > 0 || !result.inventory) throw new InputError(sortProblems(problems, files))
  return { inventory: result.inventory, warnings: result.warnings }
}

function sortProblems(problems: InputProblem[], files: InventoryFile[]): InputProblem[] {
  const order = new Map(files.map((f, i) => [f.path, i]))
  const key = (p: InputProblem) => [
    order.get(p.source?.file ?? '') ?? -1,
    p.source?.line ?? 0,
    p.source?.col ?? 0,
  ]
  return problems
    .map((p, i) => ({ p, i, k: key(p) }))
    .sort((a, b) => a.k[0]! - b.k[0]! || a.k[1]! - b.k[1]! || a.k[2]! - b.k[2]! || a.i - b.i)
    .map((x) => x.p)
}

/** Removes every value the schema rejected, leaving a document the semantic pass can trust. */
function pruneInvalid(value: Raw, errors: AjvError[]): Raw {
  for (const e of errors) {
    if (e.keyword === 'required' || e.instancePath === '') continue
    const path = e.instancePath.split('/').slice(1).map(unescapePointer).map(toSegment)
    if (e.keyword === 'additionalProperties') path.push(String(e.params.additionalProperty))
    let parent: unknown = value
    for (const seg of path.slice(0, -1))
      parent = (parent as Record<string | number, unknown> | undefined)?.[seg]
    if (parent && typeof parent === 'object')
      (parent as Record<string | number, unknown>)[path.at(-1)!] = undefined
  }
  return value
}

function decodeText(file: InventoryFile, problems: InputProblem[]): string | undefined {
  if (typeof file.content === 'string') return file.content
  if (file.content.byteLength > MAX_FILE_BYTES) {
    problems.push({
      source: { file: file.path, line: 1, col: 1 },
      message: `file is ${file.content.byteLength} bytes; inventory files are limited to ${MAX_FILE_BYTES} bytes`,
    })
    return undefined
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(file.content)
  } catch {
    const bad = firstInvalidUtf8(file.content)
    const before = new TextDecoder().decode(file.content.subarray(0, bad))
    const line = before.split('\n').length
    const col = before.length - before.lastIndexOf('\n')
    problems.push({ source: { file: file.path, line, col }, message: `not valid UTF-8 (byte offset ${bad})` })
    return undefined
  }
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  let lo = 0
  let hi = bytes.length
  const ok = (n: number) => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, n), { stream: true })
      return true
    } catch {
      return false
    }
  }
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (ok(mid)) lo = mid
    else hi = mid - 1
  }
  // bytes[lo] is where decoding fails; when it breaks a multi-byte sequence that started
  // earlier (a Latin-1 "é" is a lead byte followed by ASCII), point at that sequence's start.
  for (let k = 1; k <= 3 && lo - k >= 0; k++) {
    const b = bytes[lo - k]!
    if (b < 0x80) break
    if (b >= 0xc0) {
      const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2
      if (lo - k + length > lo) return lo - k
      break
    }
  }
  return lo
}

// ---- schema errors → located, readable problems ----

function schemaProblems(src: SourceDoc, value: unknown, errors: AjvError[]): InputProblem[] {
  const out: InputProblem[] = []
  // An anyOf (node pool: name or object; arg values) reports every branch. Keep the errors of
  // the branch that fits the value's type; fall back to one anyOf message when none does.
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath))
  const under = (p: string, e: AjvError) => e.instancePath === p || e.instancePath.startsWith(`${p}/`)
  const relevant = errors.filter((e) => {
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
  const seen = new Set<string>()
  for (const e of relevant) {
    const path = e.instancePath.split('/').slice(1).map(unescapePointer).map(toSegment)
    let problem: InputProblem
    // A bad key (propertyNames): one problem at the key itself, not the whole mapping.
    if (e.keyword === 'propertyNames' || e.propertyName !== undefined) {
      const prop = String(e.propertyName ?? e.params.propertyName)
      problem = {
        source: at(src, keyAt(src, path, prop)),
        path: fieldPath([...path, clipKey(prop)]),
        message: patternMessage(e),
      }
      const key = `${problem.path}|${problem.message}`
      if (!seen.has(key)) {
        seen.add(key)
        out.push(problem)
      }
      continue
    }
    switch (e.keyword) {
      case 'required': {
        const prop = String(e.params.missingProperty)
        problem = {
          source: at(src, nodeAt(src, path)),
          path: fieldPath([...path, prop]),
          message: 'required field is missing',
        }
        break
      }
      case 'additionalProperties': {
        const prop = String(e.params.additionalProperty)
        const allowed = allowedKeys(path)
        const hint = suggest(prop, allowed)
        problem = {
          source: at(src, keyAt(src, path, prop)),
          path: fieldPath([...path, clipKey(prop)]),
          message: `unknown field${hint ? ` (did you mean "${hint}"?)` : ''}${allowed.length ? `; allowed: ${allowed.join(', ')}` : ''}`,
        }
        break
      }
      case 'type': {
        // The hint quotes what the user wrote (`1.10`), not the number YAML made of it (1.1).
        const node = nodeAt(src, path)
        const written = isScalar(node) && typeof node.source === 'string' ? node.source : undefined
        problem = located(src, path, typeMessage(String(e.params.type), valueAt(value, path), written))
        break
      }
      case 'enum':
        problem = located(src, path, `must be one of: ${(e.params.allowedValues as unknown[]).join(', ')}`)
        break
      case 'const':
        problem = located(src, path, `must be "${String(e.params.allowedValue)}"`)
        break
      case 'pattern':
        problem = located(src, path, `${patternMessage(e)} (got ${shown(valueAt(value, path))})`)
        break
      case 'anyOf':
        problem = located(
          src,
          path,
          /\/nodepools\/\d+$/.test(e.instancePath)
            ? 'must be a node pool name or { name, args }'
            : 'must be a string, number, boolean or list of strings',
        )
        break
      case 'minimum':
        problem = located(
          src,
          path,
          path.at(-1) === 'wave'
            ? 'must be 1 or more (wave 0 is the canary wave: set canary: true instead)'
            : `must be at least ${String(e.params.limit)}`,
        )
        break
      default:
        problem = located(src, path, e.message ?? e.keyword)
    }
    const key = `${problem.path}|${problem.message}`
    if (!seen.has(key)) {
      seen.add(key)
      out.push(problem)
    }
  }
  return out
}

const located = (src: SourceDoc, path: PathSegment[], message: string): InputProblem => ({
  source: at(src, nodeAt(src, path)),
  path: fieldPath(path),
  message,
})

const unescapePointer = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~')
const toSegment = (s: string): PathSegment => (/^\d+$/.test(s) ? Number(s) : s)
const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`)

function typeMessage(expected: string, actual: unknown, written?: string): string {
  const quoteHint =
    expected === 'string' && typeof actual === 'number' ? ` (quote it: "${written ?? actual}")` : ''
  return `must be ${article(expected)}, not ${describe(actual)}${quoteHint}`
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a mapping'
  return `${typeof v} ${shown(v)}`
}

/** A value as quoted in a message, cut to a readable length (a 5 MB string is not echoed back). */
function shown(v: unknown, max = 80): string {
  const text = JSON.stringify(v) ?? String(v)
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`
}

/** Names for a message, at most `max` of them (a fleet may define a thousand workspaces). */
const listed = (names: string[], max = 20) =>
  names.length === 0
    ? 'none'
    : `${names.slice(0, max).join(', ')}${names.length > max ? `, … (${names.length} in all)` : ''}`

/** A key as shown in a field path, cut like shown(). */
const clipKey = (key: string, max = 80) => (key.length <= max ? key : `${key.slice(0, max)}…`)

function valueAt(value: unknown, path: PathSegment[]): unknown {
  let v = value
  for (const seg of path) v = (v as Record<string | number, unknown> | undefined)?.[seg]
  return v
}

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
  target: ['dkp', 'kubernetes'],
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
  rollout: ['maxParallel', 'failureThreshold'],
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
    'window',
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
  if (typeof last === 'number') return ALLOWED_KEYS[ITEM_KIND[String(path.at(-2))] ?? ''] ?? []
  return ALLOWED_KEYS[last] ?? []
}

/** The closest allowed key within edit distance 2, e.g. `namspace` → `namespace`. */
function suggest(word: string, options: string[]): string | undefined {
  let best: string | undefined
  let bestDistance = 3
  for (const o of options) {
    if (Math.abs(word.length - o.length) >= bestDistance) continue
    const d = editDistance(word.toLowerCase(), o.toLowerCase())
    if (d < bestDistance) {
      best = o
      bestDistance = d
    }
  }
  return best
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = cur
    }
  }
  return row[b.length]!
}

// ---- merge documents and check meaning ----

interface Built {
  inventory?: Inventory
  problems: InputProblem[]
  warnings: InputProblem[]
}

function buildInventory(docs: ParsedDoc[], files: string[], unreadable = false): Built {
  const problems: InputProblem[] = []
  const warnings: InputProblem[] = []
  const here = (src: Locator, path: PathSegment[]) => src.node(path)
  const where = (s: SourceRef) => `${s.file}:${s.line}:${s.col}`
  // A value the schema rejected was pruned; it still counts as "given" (no second error about it).
  const given = (d: ParsedDoc, path: PathSegment[]) =>
    valueAt(d.value, path) !== undefined || d.invalid.has(`/${path.join('/')}`)

  const singles = (key: 'target' | 'management' | 'rollout' | 'backup' | 'metadata') => {
    const found = docs.filter((d) => given(d, [key]))
    for (const extra of found.slice(1)) {
      problems.push({
        source: here(extra.src, [key]),
        path: key,
        message: `defined twice: also at ${where(here(found[0]!.src, [key]))}; a fleet has exactly one ${key}`,
      })
    }
    return found[0]
  }
  const targetDoc = singles('target')
  const managementDoc = singles('management')
  const rolloutDoc = singles('rollout')
  const backupDoc = singles('backup')
  const metadataDoc = singles('metadata')
  const firstSource = docs[0] ? docs[0].src.doc() : { file: files[0] ?? '', line: 1, col: 1 }
  if (!targetDoc && !unreadable)
    problems.push({
      source: firstSource,
      path: 'target',
      message: 'no file defines target (exactly one is required)',
    })
  if (!managementDoc && !unreadable)
    problems.push({
      source: firstSource,
      path: 'management',
      message: 'no file defines management (exactly one is required)',
    })

  // target
  let target: Target | undefined
  let targetSource = firstSource
  const rawTarget = targetDoc?.value.target
  if (targetDoc && isObject(rawTarget) && typeof rawTarget.dkp === 'string') {
    targetSource = here(targetDoc.src, ['target'])
    const dkp = normalizeDkp(rawTarget.dkp)!
    target = { dkp }
    if (typeof rawTarget.kubernetes === 'string')
      target.kubernetes = normalizeKubernetes(rawTarget.kubernetes)!
    const release = dkpMinor(dkp)
    if (!release && !target.kubernetes && !targetDoc.invalid.has('/target/kubernetes')) {
      problems.push({
        source: here(targetDoc.src, ['target', 'dkp']),
        path: 'target.dkp',
        message: `DKP ${dkp} is not in the built-in release table; set target.kubernetes to the Kubernetes version it ships`,
      })
    } else if (release?.nkp) {
      problems.push({
        source: here(targetDoc.src, ['target', 'dkp']),
        path: 'target.dkp',
        message: `${dkp} is an NKP release (nkp binary, different commands); this version of dkp-fleet drives DKP 2.x only`,
      })
    }
    if (target.kubernetes) {
      const unsupported = kubernetesSupportedBy(dkp, target.kubernetes)
      if (unsupported)
        problems.push({
          source: here(targetDoc.src, ['target', 'kubernetes']),
          path: 'target.kubernetes',
          message: unsupported,
        })
    } else if (release?.inferred) {
      warnings.push({
        source: here(targetDoc.src, ['target', 'dkp']),
        path: 'target.kubernetes',
        message: `using Kubernetes ${defaultKubernetesFor(dkp)} for DKP ${dkp}: inferred from image-builder defaults, not release notes; set target.kubernetes to pin it`,
      })
    }
  }

  // Provider facts (reference/dkp.md §2 "Providers", §2.6/2.7): what the target's dkp can do
  // with a cluster of this provider, and the images that are built per Kubernetes version.
  const targetKubernetes = target ? (target.kubernetes ?? defaultKubernetesFor(target.dkp)) : undefined
  const checkProvider = (
    doc: ParsedDoc,
    base: PathSegment[],
    raw: Raw,
    provider: string,
    pools: NodePool[] | undefined,
    controlPlaneArgs: Record<string, string | string[]>,
  ) => {
    if (!provider) return
    const line = target ? konvoyProviders(target.dkp) : undefined
    if (line && !line.providers.includes(provider)) {
      warnings.push({
        source: here(doc.src, [...base, 'provider']),
        path: fieldPath([...base, 'provider']),
        message: `dkp ${target!.dkp} ${line.confidence === 'I' ? 'likely lists' : 'lists'} these providers for upgrade addons and update controlplane|nodepool: ${line.providers.join(', ')} (${line.source}); ${provider} is not among them, so the Konvoy stages of this cluster fail if this dkp lacks it`,
      })
    }
    const cpArgsPath = [...base, 'controlPlane', 'args']
    if (provider === 'vsphere') {
      const template = controlPlaneArgs[VM_TEMPLATE]
      if (!given(doc, [...cpArgsPath, VM_TEMPLATE])) {
        const at = given(doc, cpArgsPath)
          ? cpArgsPath
          : given(doc, [...base, 'controlPlane'])
            ? [...base, 'controlPlane']
            : base
        problems.push({
          source: here(doc.src, at),
          path: fieldPath([...cpArgsPath, VM_TEMPLATE]),
          message: `required for a vsphere cluster: vSphere node templates are built per Kubernetes version; name the template built for Kubernetes ${targetKubernetes ?? 'of the target'} (node pools use it unless their args name their own)`,
        })
      } else if (template !== undefined && (typeof template !== 'string' || template === '')) {
        problems.push({
          source: here(doc.src, [...cpArgsPath, VM_TEMPLATE]),
          path: fieldPath([...cpArgsPath, VM_TEMPLATE]),
          message: 'must name one VM template',
        })
      }
    }
    if (provider === 'aws') {
      const pinned: PathSegment[][] = []
      if (controlPlaneArgs[AMI] !== undefined) pinned.push([...cpArgsPath, AMI])
      items(raw.nodepools).forEach((p, j) => {
        if (isObject(p) && isObject(p.args) && p.args[AMI] !== undefined)
          pinned.push([...base, 'nodepools', j, 'args', AMI])
      })
      if (pinned.length > 0) {
        const names = pinned.map((p) =>
          p.includes('controlPlane')
            ? 'the control plane'
            : `node pool ${pools?.[p[p.length - 3] as number]?.name ?? '?'}`,
        )
        warnings.push({
          source: doc.src.key(pinned[0]!.slice(0, -1), AMI),
          path: fieldPath(pinned[0]!),
          message: `pins an AMI for ${names.join(', ')}: an AMI is built for one Kubernetes version, so each must be built for Kubernetes ${targetKubernetes ?? 'of the target'} (Konvoy Image Builder) before the kubernetes stage runs`,
        })
      }
    }
  }

  // management
  let management: Management | undefined
  const rawManagement = managementDoc?.value.management
  if (managementDoc && isObject(rawManagement) && typeof rawManagement.name === 'string') {
    const src = managementDoc.src
    const raw = rawManagement
    management = {
      name: raw.name as string,
      provider: String(raw.provider ?? ''),
      namespace: (raw.namespace as string | undefined) ?? 'default',
      kommander: { args: normalizeArgs((raw.kommander as Raw | undefined)?.args) },
      capiComponents: { args: normalizeArgs((raw.capiComponents as Raw | undefined)?.args) },
      controlPlane: { args: normalizeArgs((raw.controlPlane as Raw | undefined)?.args) },
      source: here(src, ['management']),
    }
    if (raw.kubeconfigEnv !== undefined) management.kubeconfigEnv = String(raw.kubeconfigEnv)
    if (raw.nodepools !== undefined) management.nodepools = nodepoolsOf(raw.nodepools)
    if (isObject(raw.window))
      management.window = windowOf(raw.window, src, ['management', 'window'], problems)
    const outside = target ? upgradedOutsideDkp(management.provider, target.dkp) : undefined
    if (outside) {
      problems.push({
        source: here(src, ['management', 'provider']),
        path: 'management.provider',
        message: `${outside.reason}: a management cluster cannot be planned like an attached one, so dkp-fleet cannot upgrade this fleet`,
      })
    } else {
      checkProvider(
        managementDoc,
        ['management'],
        raw,
        management.provider,
        management.nodepools,
        management.controlPlane.args,
      )
    }
  }

  // workspaces
  const workspaces: Workspace[] = []
  const workspaceAt = new Map<string, SourceRef>()
  for (const doc of docs) {
    const { src, value } = doc
    items(value.workspaces).forEach((raw, i) => {
      const path = ['workspaces', i]
      if (!isObject(raw) || typeof raw.name !== 'string') return
      const source = here(src, path)
      const name = raw.name
      const previous = workspaceAt.get(name)
      if (previous) {
        problems.push({
          source: here(src, [...path, 'name']),
          path: `${fieldPath(path)}.name`,
          message: `workspace "${name}" is defined twice (also at ${where(previous)})`,
        })
        return
      }
      workspaceAt.set(name, source)
      const ws: Workspace = {
        name,
        apps: appsOf(raw.apps, src, [...path, 'apps'], problems),
        projects: [],
        source,
      }
      if (typeof raw.namespace === 'string') ws.namespace = raw.namespace
      const projectAt = new Map<string, SourceRef>()
      items(raw.projects).forEach((p, j) => {
        const ppath = [...path, 'projects', j]
        if (!isObject(p) || typeof p.name !== 'string') return
        const psource = here(src, ppath)
        const prev = projectAt.get(p.name)
        if (prev) {
          problems.push({
            source: here(src, [...ppath, 'name']),
            path: `${fieldPath(ppath)}.name`,
            message: `project "${p.name}" is defined twice in workspace "${name}" (also at ${where(prev)})`,
          })
          return
        }
        projectAt.set(p.name, psource)
        ws.projects.push({
          name: p.name,
          apps: appsOf(p.apps, src, [...ppath, 'apps'], problems),
          source: psource,
        })
      })
      workspaces.push(ws)
    })
  }
  const invalidWorkspaceNames = docs.some((d) =>
    [...d.invalid].some((p) => /^\/workspaces(\/\d+(\/name)?)?$/.test(p)),
  )

  // clusters
  const clusters: Cluster[] = []
  const clusterAt = new Map<string, SourceRef>()
  if (management) clusterAt.set(management.name, management.source)
  // MachineDeployment names are unique per namespace: two clusters sharing one cannot both own `md-0`.
  const poolOwner = new Map<string, string>()
  const namespaceOf = (ws: string, ns: unknown) =>
    typeof ns === 'string' ? ns : (workspaces.find((w) => w.name === ws)?.namespace ?? `workspace:${ws}`)
  for (const doc of docs) {
    const { src, value } = doc
    items(value.clusters).forEach((raw, i) => {
      const path = ['clusters', i]
      if (!isObject(raw) || typeof raw.name !== 'string') return
      const source = here(src, path)
      const name = raw.name
      const previous = clusterAt.get(name)
      if (previous) {
        const what = management && name === management.name ? 'the management cluster' : 'another cluster'
        problems.push({
          source: here(src, [...path, 'name']),
          path: `${fieldPath(path)}.name`,
          message: `cluster name "${name}" is already used by ${what} at ${where(previous)}`,
        })
        return
      }
      clusterAt.set(name, source)
      const workspace = typeof raw.workspace === 'string' ? raw.workspace : ''
      if (workspace && !workspaceAt.has(workspace) && !invalidWorkspaceNames) {
        const hint = suggest(workspace, [...workspaceAt.keys()])
        problems.push({
          source: here(src, [...path, 'workspace']),
          path: `${fieldPath(path)}.workspace`,
          message: `unknown workspace "${workspace}"${hint ? ` (did you mean "${hint}"?)` : ''}; defined workspaces: ${listed([...workspaceAt.keys()])}`,
        })
      }
      if (raw.attached === true) {
        for (const field of ['nodepools', 'controlPlane', 'wave', 'canary', 'window', 'namespace'] as const) {
          if (given(doc, [...path, field])) {
            problems.push({
              source: here(src, [...path, field]),
              path: `${fieldPath(path)}.${field}`,
              message: `an attached cluster has no ${field}: DKP upgrades only its apps; its Kubernetes is upgraded outside DKP`,
            })
          }
        }
        clusters.push({
          name,
          workspace,
          attached: true,
          ...(raw.allowInsecureSkipTlsVerify === true ? { allowInsecureSkipTlsVerify: true } : {}),
          source,
        })
        return
      }
      if (!given(doc, [...path, 'provider'])) {
        problems.push({
          source: here(src, path),
          path: `${fieldPath(path)}.provider`,
          message: 'required for a managed cluster (or set attached: true)',
        })
      }
      const outside = target ? upgradedOutsideDkp(String(raw.provider ?? ''), target.dkp) : undefined
      if (outside) {
        // The target's dkp has no Konvoy commands for it: plan it like an attached cluster.
        for (const field of ['nodepools', 'controlPlane', 'wave', 'canary', 'window', 'namespace'] as const) {
          if (given(doc, [...path, field])) {
            warnings.push({
              source: here(src, [...path, field]),
              path: `${fieldPath(path)}.${field}`,
              message: `ignored: ${outside.reason}, so this cluster is planned like an attached one (its provider's tool upgrades its Kubernetes)`,
            })
          }
        }
        const attached: AttachedCluster = {
          name,
          workspace,
          attached: true,
          provider: outside.provider,
          source,
        }
        clusters.push(attached)
        return
      }
      const cluster: Cluster = {
        name,
        workspace,
        attached: false,
        provider: String(raw.provider ?? ''),
        controlPlane: { args: normalizeArgs((raw.controlPlane as Raw | undefined)?.args) },
        wave: raw.canary === true ? 0 : typeof raw.wave === 'number' ? raw.wave : 1,
        canary: raw.canary === true,
        source,
      }
      if (typeof raw.namespace === 'string') cluster.namespace = raw.namespace
      if (raw.allowInsecureSkipTlsVerify === true) cluster.allowInsecureSkipTlsVerify = true
      if (raw.nodepools !== undefined) {
        cluster.nodepools = nodepoolsOf(raw.nodepools)
        const ns = namespaceOf(workspace, raw.namespace)
        cluster.nodepools.forEach((pool, j) => {
          const key = `${ns}/${pool.name}`
          const other = poolOwner.get(key)
          if (other) {
            problems.push({
              source: here(src, [...path, 'nodepools', j]),
              path: fieldPath([...path, 'nodepools', j]),
              message:
                other === name
                  ? `node pool "${pool.name}" is listed twice`
                  : `node pool "${pool.name}" is also a node pool of cluster "${other}" in the same namespace; MachineDeployment names are unique per namespace (DKP names them <cluster>-md-0)`,
            })
          }
          poolOwner.set(key, name)
        })
      }
      if (isObject(raw.window)) cluster.window = windowOf(raw.window, src, [...path, 'window'], problems)
      checkProvider(doc, path, raw, cluster.provider, cluster.nodepools, cluster.controlPlane.args)
      if (raw.canary === true && raw.wave !== undefined) {
        warnings.push({
          source: here(src, [...path, 'wave']),
          path: `${fieldPath(path)}.wave`,
          message: 'ignored: canaries always run in wave 0',
        })
      }
      clusters.push(cluster)
    })
  }

  // rollout + backup
  const rolloutRaw = isObject(rolloutDoc?.value.rollout) ? (rolloutDoc.value.rollout as Raw) : {}
  const rollout = {
    maxParallel: typeof rolloutRaw.maxParallel === 'number' ? rolloutRaw.maxParallel : 1,
    failureThreshold: typeof rolloutRaw.failureThreshold === 'number' ? rolloutRaw.failureThreshold : 0,
  }
  const backupRaw = isObject(backupDoc?.value.backup) ? (backupDoc.value.backup as Raw) : {}
  const backup: BackupSettings = {
    enabled: backupRaw.enabled !== false,
    namespace: typeof backupRaw.namespace === 'string' ? backupRaw.namespace : 'kommander',
    maxAgeSeconds: parseDuration(
      typeof backupRaw.maxAge === 'string' ? backupRaw.maxAge : DEFAULT_BACKUP_MAX_AGE,
    ),
  }
  if (typeof backupRaw.reason === 'string') backup.reason = backupRaw.reason
  if (typeof backupRaw.storageLocation === 'string') backup.storageLocation = backupRaw.storageLocation
  if (typeof backupRaw.ttl === 'string') backup.ttl = backupRaw.ttl
  if (!backup.enabled && backupDoc && !given(backupDoc, ['backup', 'reason'])) {
    problems.push({
      source: here(backupDoc.src, ['backup', 'enabled']),
      path: 'backup.reason',
      message:
        'required when backup.enabled is false: say why this fleet upgrades without a backup (shown in every summary)',
    })
  }

  for (const doc of docs) checkReservedFlags(doc, problems)

  const metadata = metadataDoc?.value.metadata
  const fleet =
    (isObject(metadata) && typeof metadata.name === 'string' ? metadata.name : undefined) ??
    management?.name ??
    'fleet'
  if (!target || !management) return { problems, warnings }
  return {
    problems,
    warnings,
    inventory: { fleet, target, management, workspaces, clusters, rollout, backup, files, targetSource },
  }
}

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
function checkReservedFlags(doc: ParsedDoc, problems: InputProblem[]) {
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

function appsOf(raw: unknown, src: Locator, path: PathSegment[], problems: InputProblem[]): CatalogApp[] {
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

function nodepoolsOf(raw: unknown): NodePool[] {
  return items(raw).flatMap((p) =>
    typeof p === 'string'
      ? [{ name: p, args: {} }]
      : isObject(p) && typeof p.name === 'string'
        ? [{ name: p.name, args: normalizeArgs(p.args) }]
        : [],
  )
}

function normalizeArgs(raw: unknown): CommandArgs {
  const out: CommandArgs = {}
  for (const [k, v] of Object.entries(isObject(raw) ? raw : {})) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.map(String) : String(v)
  }
  return out
}

function windowOf(raw: Raw, src: Locator, path: PathSegment[], problems: InputProblem[]): MaintenanceWindow {
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
