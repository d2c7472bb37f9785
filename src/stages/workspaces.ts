// `workspaces`: `dkp upgrade workspace <name>` for every inventory workspace not yet at target
// (reference/dkp.md §1 step 2, §2.2), one step per workspace. The management workspace
// (namespace `kommander`) is covered by the kommander stage. Done per workspace when its platform
// AppDeployments (workspace and project namespaces) reference the release's ClusterApps, and on
// each of its clusters (read through their kubeconfig Secrets) every HelmRelease in the workspace
// namespace is Ready at its generation and (where the release table knows the target) every
// HelmRelease the table lists for the enabled apps runs the table's chart version
// (src/core/kommander-state.ts, docs/stages.md). The stage is done only once Kommander is.

import { workspaceCommand } from '../core/dkp-commands.js'
import { type AppDeployment, K, type KommanderApp } from '../core/kinds.js'
import { KOMMANDER_NS, platformTargets } from '../core/kommander-releases.js'
import {
  type KommanderInputs,
  kommanderState,
  type WorkspaceInputs,
  workspaceState,
} from '../core/kommander-state.js'
import { loadReleaseData } from '../core/release-data.js'
import { pend, type StepState } from '../core/step-state.js'
import { defineStage } from './drive.js'
import { type Item, itemSteps, itemsReport, itemsState, problemItem } from './items.js'
import { readKommander } from './kommander.js'
import type { StageEnv, UpgradeStage } from './types.js'
import { resolveWorkspace, workspaceReleases } from './workspace-read.js'

/** One inventory workspace as read: what workspaceState() judges, or why it cannot be upgraded. */
interface WorkspaceRead {
  name: string
  problem?: string
  /** The management workspace (namespace `kommander`): the kommander stage covers it. */
  management?: true
  inputs?: WorkspaceInputs
}

export interface WorkspacesState {
  kommander: KommanderInputs
  workspaces: WorkspaceRead[]
}

/** Reads every inventory workspace (and Kommander, whose done-condition the stage's includes). */
export async function readWorkspaces(env: StageEnv): Promise<WorkspacesState> {
  const [kommander, release, appDeployments, clusterApps] = await Promise.all([
    readKommander(env),
    loadReleaseData().then((data) => data.platform(env.target.dkp)),
    env.snapshot.list<AppDeployment>(...K.appDeployment),
    env.snapshot.list<KommanderApp>(...K.clusterApp),
  ])
  const targets = platformTargets(
    appDeployments.filter((ad) => ad.metadata.namespace === KOMMANDER_NS),
    clusterApps,
  )
  const workspaces: WorkspaceRead[] = []
  for (const ws of env.inventory.workspaces) {
    const resolved = await resolveWorkspace(env, ws)
    if (resolved.problem || !resolved.namespace) {
      workspaces.push({ name: ws.name, problem: resolved.problem ?? `workspace ${ws.name} has no namespace` })
      continue
    }
    if (resolved.namespace === KOMMANDER_NS) {
      workspaces.push({ name: ws.name, management: true })
      continue
    }
    const projectNamespaces = [...resolved.projects.values()]
    const { clusters, notes } = await workspaceReleases(
      env,
      resolved.namespace,
      new Set([resolved.namespace, ...projectNamespaces]),
    )
    workspaces.push({
      name: ws.name,
      inputs: {
        workspace: ws.name,
        namespace: resolved.namespace,
        projectNamespaces,
        target: env.target.dkp,
        release,
        appDeployments,
        clusterApps,
        targets,
        clusters,
        notes,
      },
    })
  }
  return { kommander, workspaces }
}

/** One item per inventory workspace: its state, command and (when it cannot be upgraded) problem. */
export function workspaceItems(state: WorkspacesState): Item[] {
  return state.workspaces.map((ws) => {
    const label = `workspace ${ws.name}`
    const command = workspaceCommand(ws.name)
    if (ws.problem) return problemItem(label, command, ws.problem)
    if (ws.management || !ws.inputs) {
      const evidence = `${label} is the management workspace (namespace ${KOMMANDER_NS}): covered by the kommander stage`
      return { label, command, state: { done: true, evidence: [evidence], pending: [] } }
    }
    return { label, command, state: workspaceState(ws.inputs) }
  })
}

/**
 * The workspaces follow the management cluster's ClusterApps: they are at the plan's target only
 * once Kommander is, else "done" would only mean "matches the old release".
 */
function evaluate(state: WorkspacesState): StepState {
  const items = itemsState(workspaceItems(state))
  if (kommanderState(state.kommander).done) return items
  const waiting = pend('prerequisite', `Kommander is not at ${state.kommander.target} yet`, 'kommander')
  return { ...items, done: false, pending: [waiting, ...items.pending] }
}

const WHAT = 'workspace platform apps'

const workspaces: UpgradeStage<WorkspacesState> = {
  name: 'workspaces',
  kind: 'upgrade',
  read: (env) => readWorkspaces(env),
  evaluate,
  steps: (state) => itemSteps(workspaceItems, state, WHAT),
  refresh(env) {
    env.snapshot.refresh()
    env.workloads.refresh()
  },
  report: itemsReport(workspaceItems, WHAT),
}

export const stage = defineStage(workspaces)
