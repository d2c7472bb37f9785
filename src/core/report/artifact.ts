// Where a user finds the check's report files: the artifact the shipped workflows upload
// (scripts/gen-workflows.ts names it from the same prefix), linked from the run's page, never
// the runner's temporary path (gone when the job ends).

/** The check report artifact: `dkp-fleet-check-<run id>-<attempt>` (report.json, check.sarif). */
export const CHECK_ARTIFACT_PREFIX = 'dkp-fleet-check'

export interface ReportArtifact {
  /** The artifact's name as the run page lists it. */
  name: string
  /** The run page's artifacts section, when the run is known. */
  url?: string
}

/** The artifact of this run, from the GitHub environment; undefined outside a workflow run. */
export function checkArtifact(env: Record<string, string | undefined>): ReportArtifact | undefined {
  const run = env.GITHUB_RUN_ID
  if (!run) return undefined
  const name = `${CHECK_ARTIFACT_PREFIX}-${run}-${env.GITHUB_RUN_ATTEMPT || '1'}`
  const server = env.GITHUB_SERVER_URL || 'https://github.com'
  return env.GITHUB_REPOSITORY
    ? { name, url: `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${run}#artifacts` }
    : { name }
}

/** The summary's closing line naming the report files by the artifact a user can open. */
export function reportFilesNote(artifact: ReportArtifact | undefined): string {
  if (!artifact)
    return '\nReport files: `report.json` (JSON) and `check.sarif` (SARIF), written next to the job (the `report` and `sarif` outputs).\n'
  const link = artifact.url ? `[${artifact.name}](${artifact.url})` : `**${artifact.name}**`
  return `\nReport files: \`report.json\` (JSON) and \`check.sarif\` (SARIF) in the artifact ${link} of this run (the shipped workflows upload it; SARIF also appears under Security → Code scanning).\n`
}
