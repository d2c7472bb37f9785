// Merges the documents of an inventory into one model and checks its meaning: exactly one
// target and management, the target against the release table, workspaces and projects
// (unique names), clusters (inventory-clusters.ts), rollout, backup (a reason when off) and
// the flags dkp-fleet reserves. Every problem and warning is collected, located. Pure.

import type { InputProblem } from './errors.js'
import { buildClusters } from './inventory-clusters.js'
import {
  type BuildContext,
  given,
  here,
  isObject,
  items,
  type ParsedDoc,
  type Raw,
  where,
} from './inventory-doc.js'
import {
  appsOf,
  checkReservedFlags,
  nodepoolsOf,
  normalizeArgs,
  parseDuration,
  windowOf,
} from './inventory-fields.js'
import { checkProvider } from './inventory-provider-checks.js'
import type { BackupSettings, Inventory, Management, SourceRef, Target, Workspace } from './model.js'
import { productOf, upgradedOutsideDkp } from './providers.js'
import {
  defaultKubernetesFor,
  dkpMinor,
  kubernetesSupportedBy,
  normalizeDkp,
  normalizeKubernetes,
  platformName,
} from './versions.js'
import { fieldPath } from './yaml-source.js'

const DEFAULT_BACKUP_MAX_AGE = '24h'

export interface Built {
  inventory?: Inventory
  problems: InputProblem[]
  warnings: InputProblem[]
}

type Single = 'target' | 'management' | 'rollout' | 'backup' | 'metadata'

export function buildInventory(docs: ParsedDoc[], files: string[], unreadable = false): Built {
  const ctx: BuildContext = { problems: [], warnings: [] }
  const { problems, warnings } = ctx
  const single = (key: Single) => singleDoc(ctx, docs, key)
  const targetDoc = single('target')
  const managementDoc = single('management')
  const rolloutDoc = single('rollout')
  const backupDoc = single('backup')
  const metadataDoc = single('metadata')
  const firstSource = docs[0] ? docs[0].src.doc() : { file: files[0] ?? '', line: 1, col: 1 }
  for (const [doc, key] of [
    [targetDoc, 'target'],
    [managementDoc, 'management'],
  ] as const) {
    if (!doc && !unreadable)
      problems.push({
        source: firstSource,
        path: key,
        message: `no file defines ${key} (exactly one is required)`,
      })
  }
  const { target, targetSource } = readTarget(ctx, targetDoc, firstSource)
  ctx.target = target
  ctx.targetKubernetes = target ? (target.kubernetes ?? defaultKubernetesFor(target.dkp)) : undefined
  const management = readManagement(ctx, managementDoc)
  const workspaces = readWorkspaces(ctx, docs)
  const workspaceNamesInvalid = docs.some((d) =>
    [...d.invalid].some((p) => /^\/workspaces(\/\d+(\/name)?)?$/.test(p)),
  )
  const clusters = buildClusters(ctx, docs, management, workspaces, workspaceNamesInvalid)
  const rollout = readRollout(rolloutDoc)
  const backup = readBackup(ctx, backupDoc)
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

/** The one document that defines `key` (each further one is a problem). */
function singleDoc(ctx: BuildContext, docs: ParsedDoc[], key: Single): ParsedDoc | undefined {
  const found = docs.filter((d) => given(d, [key]))
  for (const extra of found.slice(1)) {
    ctx.problems.push({
      source: here(extra.src, [key]),
      path: key,
      message: `defined twice: also at ${where(here(found[0]!.src, [key]))}; a fleet has exactly one ${key}`,
    })
  }
  return found[0]
}

/**
 * The target, checked against the release table: exactly one of target.dkp and target.nkp,
 * spelled for the product the version belongs to (NKP from 2.12); unknown releases need
 * target.kubernetes.
 */
function readTarget(
  ctx: BuildContext,
  targetDoc: ParsedDoc | undefined,
  firstSource: SourceRef,
): { target?: Target; targetSource: SourceRef } {
  const rawTarget = targetDoc?.value.target
  if (!targetDoc || !isObject(rawTarget)) return { targetSource: firstSource }
  const at = (...path: string[]) => here(targetDoc.src, ['target', ...path])
  const spelled = (['dkp', 'nkp'] as const).filter(
    (k) => rawTarget[k] !== undefined || targetDoc.invalid.has(`/target/${k}`),
  )
  if (spelled.length !== 1) {
    ctx.problems.push({
      source: at(...(spelled.length > 1 ? ['nkp'] : [])),
      path: spelled.length > 1 ? 'target.nkp' : 'target',
      message:
        spelled.length > 1
          ? 'target.dkp and target.nkp are both given: name exactly one release (target.nkp for NKP 2.12+, target.dkp for DKP 2.x)'
          : 'target.dkp or target.nkp is required (target.nkp for NKP 2.12+, target.dkp for DKP 2.x)',
    })
    return { targetSource: at() }
  }
  const key = spelled[0]!
  if (typeof rawTarget[key] !== 'string' || targetDoc.invalid.has(`/target/${key}`))
    return { targetSource: firstSource }
  const dkp = normalizeDkp(rawTarget[key] as string)!
  const target: Target = { dkp }
  if (typeof rawTarget.kubernetes === 'string') target.kubernetes = normalizeKubernetes(rawTarget.kubernetes)!
  const release = dkpMinor(dkp)
  const product = productOf(dkp)
  if (!release && !target.kubernetes && !targetDoc.invalid.has('/target/kubernetes')) {
    ctx.problems.push({
      source: at(key),
      path: `target.${key}`,
      message: `${platformName(dkp)} ${dkp} is not in the built-in release table; set target.kubernetes to the Kubernetes version it ships`,
    })
  } else if (product !== key) {
    ctx.problems.push({
      source: at(key),
      path: `target.${key}`,
      message:
        product === 'nkp'
          ? `${dkp} is an NKP release (DKP was renamed NKP from 2.12): write target.nkp: ${dkp}`
          : `${dkp} is a DKP release (NKP starts at 2.12): write target.dkp: ${dkp}`,
    })
  }
  if (target.kubernetes) {
    const unsupported = kubernetesSupportedBy(dkp, target.kubernetes)
    if (unsupported)
      ctx.problems.push({ source: at('kubernetes'), path: 'target.kubernetes', message: unsupported })
  } else if (release?.inferred) {
    ctx.warnings.push({
      source: at(key),
      path: 'target.kubernetes',
      message: `using Kubernetes ${defaultKubernetesFor(dkp)} for ${platformName(dkp)} ${dkp}: inferred from image-builder defaults, not release notes; set target.kubernetes to pin it`,
    })
  }
  return { target, targetSource: at() }
}

function readManagement(ctx: BuildContext, managementDoc: ParsedDoc | undefined): Management | undefined {
  const raw = managementDoc?.value.management
  if (!managementDoc || !isObject(raw) || typeof raw.name !== 'string') return undefined
  const src = managementDoc.src
  const management: Management = {
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
    management.window = windowOf(raw.window, src, ['management', 'window'], ctx.problems)
  const outside = ctx.target ? upgradedOutsideDkp(management.provider, ctx.target.dkp) : undefined
  if (outside) {
    ctx.problems.push({
      source: here(src, ['management', 'provider']),
      path: 'management.provider',
      message: `${outside.reason}: a management cluster cannot be planned like an attached one, so dkp-fleet cannot upgrade this fleet`,
    })
  } else {
    checkProvider(ctx, {
      doc: managementDoc,
      base: ['management'],
      raw,
      provider: management.provider,
      pools: management.nodepools,
      controlPlaneArgs: management.controlPlane.args,
    })
  }
  return management
}

/** Workspaces of every document (names unique), each with its apps and projects (unique per workspace). */
function readWorkspaces(ctx: BuildContext, docs: ParsedDoc[]): Workspace[] {
  const workspaces: Workspace[] = []
  const workspaceAt = new Map<string, SourceRef>()
  for (const { src, value } of docs) {
    items(value.workspaces).forEach((raw, i) => {
      const path = ['workspaces', i]
      if (!isObject(raw) || typeof raw.name !== 'string') return
      const source = here(src, path)
      const name = raw.name
      const previous = workspaceAt.get(name)
      if (previous) {
        ctx.problems.push({
          source: here(src, [...path, 'name']),
          path: `${fieldPath(path)}.name`,
          message: `workspace "${name}" is defined twice (also at ${where(previous)})`,
        })
        return
      }
      workspaceAt.set(name, source)
      const ws: Workspace = {
        name,
        apps: appsOf(raw.apps, src, [...path, 'apps'], ctx.problems),
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
          ctx.problems.push({
            source: here(src, [...ppath, 'name']),
            path: `${fieldPath(ppath)}.name`,
            message: `project "${p.name}" is defined twice in workspace "${name}" (also at ${where(prev)})`,
          })
          return
        }
        projectAt.set(p.name, psource)
        ws.projects.push({
          name: p.name,
          apps: appsOf(p.apps, src, [...ppath, 'apps'], ctx.problems),
          source: psource,
        })
      })
      workspaces.push(ws)
    })
  }
  return workspaces
}

function readRollout(rolloutDoc: ParsedDoc | undefined): Inventory['rollout'] {
  const raw = isObject(rolloutDoc?.value.rollout) ? (rolloutDoc.value.rollout as Raw) : {}
  return {
    maxParallel: typeof raw.maxParallel === 'number' ? raw.maxParallel : 1,
    failureThreshold: typeof raw.failureThreshold === 'number' ? raw.failureThreshold : 0,
  }
}

/** Backup settings; turning the backup off needs a reason (shown in every summary). */
function readBackup(ctx: BuildContext, backupDoc: ParsedDoc | undefined): BackupSettings {
  const raw = isObject(backupDoc?.value.backup) ? (backupDoc.value.backup as Raw) : {}
  const backup: BackupSettings = {
    enabled: raw.enabled !== false,
    namespace: typeof raw.namespace === 'string' ? raw.namespace : 'kommander',
    maxAgeSeconds: parseDuration(typeof raw.maxAge === 'string' ? raw.maxAge : DEFAULT_BACKUP_MAX_AGE),
  }
  if (typeof raw.reason === 'string') backup.reason = raw.reason
  if (typeof raw.storageLocation === 'string') backup.storageLocation = raw.storageLocation
  if (typeof raw.ttl === 'string') backup.ttl = raw.ttl
  if (!backup.enabled && backupDoc && !given(backupDoc, ['backup', 'reason'])) {
    ctx.problems.push({
      source: here(backupDoc.src, ['backup', 'enabled']),
      path: 'backup.reason',
      message:
        'required when backup.enabled is false: say why this fleet upgrades without a backup (shown in every summary)',
    })
  }
  return backup
}
