// `project-apps`: `dkp upgrade catalogapp <app> --workspace=<ws> --project=<p> --to-version=<v>`
// for every catalog app the inventory lists under a project (reference/dkp.md §1 step 4, §2.3:
// the docs pass both flags). Same done-condition and refusals as `workspace-apps`, with the
// AppDeployment and HelmRelease in the project's namespace and the App in the project's or
// the workspace's namespace.

import { catalogStage } from './workspace-apps.js'

export const stage = catalogStage('project-apps', 'project')
