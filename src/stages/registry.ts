// Stage name → module, loaded on demand so a job only loads the stage it runs.

import type { PlanStage } from '../core/stages.js'
import type { StageModule } from './types.js'

const LOADERS: Record<PlanStage, () => Promise<{ stage: StageModule }>> = {
  check: () => import('./check.js'),
  backup: () => import('./backup.js'),
  kommander: () => import('./kommander.js'),
  workspaces: () => import('./workspaces.js'),
  'workspace-apps': () => import('./workspace-apps.js'),
  'project-apps': () => import('./project-apps.js'),
  'custom-apps': () => import('./custom-apps.js'),
  'capi-components': () => import('./capi-components.js'),
  'core-addons': () => import('./core-addons.js'),
  kubernetes: () => import('./kubernetes.js'),
  verify: () => import('./verify.js'),
}

export async function loadStage(name: PlanStage): Promise<StageModule> {
  return (await LOADERS[name]()).stage
}
