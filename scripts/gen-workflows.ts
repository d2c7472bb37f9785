// Generates .github/workflows/dkp-fleet-upgrade.yml: every job kind (management stage, wave
// gate, wave slot) and the action inputs each stage step repeats are written once here.
//
//   npx tsx scripts/gen-workflows.ts          write the workflow
//   npx tsx scripts/gen-workflows.ts --check  exit 1 when the committed file differs (CI)
//
// The workflow stays a plain file in the repository (GitHub runs it as it is; callers read it);
// this script is the only place to change it.

import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { CHECK_ARTIFACT_PREFIX } from '../src/core/report/artifact.js'
import { type PlanStage, STAGE_TABLE } from '../src/core/stage-table.js'

export const UPGRADE_WORKFLOW = '.github/workflows/dkp-fleet-upgrade.yml'

/** Wave slots: gate-N + wave-N job pairs. A plan with more waves fails in the plan job. */
export const WAVE_SLOTS = 8

const CHECKOUT = 'actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1'
const UPLOAD = 'actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f # v7.0.0'
const CACHE_RESTORE = 'actions/cache/restore@55cc8345863c7cc4c66a329aec7e433d2d1c52a9 # v6.1.0'
const CACHE_SAVE = 'actions/cache/save@55cc8345863c7cc4c66a329aec7e433d2d1c52a9 # v6.1.0'
const DOWNLOAD = 'actions/download-artifact@3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c # v8.0.1'
/**
 * Where the verified dkp tarball lives on a runner: in the dkp job between the cache restore and
 * save (the cache entry's path), in a stage job where download-artifact puts the handed-over file.
 */
export const DKP_CACHE_PATH = '${{ runner.temp }}/dkp-fleet-dkp-cache'
const DKP_CACHE_KEY = 'needs.plan.outputs.dkp-cache-key'
/** The one job that touches the Actions cache: it holds no secret (docs/pipelines.md, "The dkp cache"). */
export const DKP_JOB = 'dkp'
const DKP_ARTIFACT = `needs.${DKP_JOB}.outputs.artifact-id`
const RUNS_ON = "${{ startsWith(inputs.runs-on, '[') && fromJSON(inputs.runs-on) || inputs.runs-on }}"

interface WorkflowInput {
  name: string
  description: string
  type: 'string' | 'boolean'
  default: string
  /** Required when dispatched by hand (a caller may rely on the default). */
  dispatchRequired?: boolean
}

/** The dispatch and call inputs: one list, so both triggers take the same inputs and defaults. */
const INPUTS: WorkflowInput[] = [
  {
    name: 'inventory',
    description: 'Inventory file(s) or glob(s) in this repository, comma separated.',
    type: 'string',
    default: 'fleet/*.yaml',
    dispatchRequired: true,
  },
  {
    name: 'target',
    description: "DKP release to reach, e.g. v2.8.1 (empty = the inventory's target.dkp).",
    type: 'string',
    default: '""',
  },
  {
    name: 'target-kubernetes',
    description: "Kubernetes version to reach (empty = the inventory's, or the release default).",
    type: 'string',
    default: '""',
  },
  {
    name: 'dry-run',
    description: 'Read live state and print the dkp commands that would run; change nothing.',
    type: 'boolean',
    default: 'true',
  },
  {
    name: 'clusters',
    description:
      'Managed clusters to upgrade in this run, comma separated (empty = all). Wave gates still apply.',
    type: 'string',
    default: '""',
  },
  {
    name: 'max-parallel',
    description: "Clusters upgraded at once inside a wave (0 = the inventory's rollout.maxParallel).",
    type: 'string',
    default: '"0"',
  },
  {
    name: 'manifests',
    description: 'Directory of manifests for the pre-flight removed-API scan (empty = none).',
    type: 'string',
    default: '""',
  },
  {
    name: 'timeout-minutes',
    description: 'Time limit of each stage; dkp is killed when it runs out.',
    type: 'string',
    default: '"120"',
  },
  {
    name: 'dkp-version',
    description: 'dkp CLI version (empty = the target DKP release).',
    type: 'string',
    default: '""',
  },
  {
    name: 'dkp-sha256',
    description: 'sha256 of the dkp tarball (or of the binary with dkp-path); empty = the shipped table.',
    type: 'string',
    default: '""',
  },
  {
    name: 'dkp-download-url',
    description: 'Mirror URL template with {version}, {os} and {arch} (empty = the official download).',
    type: 'string',
    default: '""',
  },
  {
    name: 'dkp-path',
    description: 'Pre-installed dkp binary on the runner (air-gapped runners); no download.',
    type: 'string',
    default: '""',
  },
  {
    name: 'dkp-cache',
    description:
      'Keep the verified dkp tarball in the Actions cache between runs (restored only by the dkp job, which holds no secret; see docs/pipelines.md). When off, the dkp job downloads it once per run.',
    type: 'boolean',
    default: 'true',
  },
  {
    name: 'runs-on',
    description: 'Runner label, or a JSON list of labels for self-hosted runners.',
    type: 'string',
    default: 'ubuntu-latest',
  },
  {
    name: 'action-repository',
    description: 'Repository of the dkp-fleet-upgrade action (a mirror on GHES).',
    type: 'string',
    default: 'dkp-fleet-upgrade/dkp-fleet-upgrade',
  },
  {
    name: 'action-ref',
    description: 'Release of the action the jobs run; keep it equal to the ref this workflow is used at.',
    type: 'string',
    default: 'v1',
  },
]

/** The action inputs every stage step passes, after its own (`stage`, `cluster`, `wave`, …). */
const COMMON_WITH: [string, string][] = [
  ['inventory', '${{ inputs.inventory }}'],
  ['plan-digest', '${{ needs.plan.outputs.digest }}'],
  ['kubeconfig', '${{ secrets.DKP_MGMT_KUBECONFIG }}'],
  ['target', '${{ inputs.target }}'],
  ['target-kubernetes', '${{ inputs.target-kubernetes }}'],
  // A multi-hop plan: every job performs the plan job's hop (empty when one run reaches the target).
  ['plan-hop', '${{ needs.plan.outputs.hop }}'],
  ['dkp-version', '${{ inputs.dkp-version }}'],
  ['dkp-sha256', '${{ inputs.dkp-sha256 }}'],
  ['dkp-download-url', '${{ inputs.dkp-download-url }}'],
  ['dkp-path', '${{ inputs.dkp-path }}'],
  ['require-checksum', 'true'],
  ['dry-run', '${{ inputs.dry-run }}'],
  ['timeout-minutes', '${{ inputs.timeout-minutes }}'],
]

interface ManagementJob {
  stage: string
  /** Job id and `name:` (management per-cluster stages carry a suffix). */
  id: string
  name: string
  timeout?: number
  environment?: string
  /** Inputs before the common ones. */
  with?: [string, string][]
  /** Steps after the stage step. */
  after?: string[]
  /** The stage may run dkp: the job restores and saves the verified dkp tarball (actions/cache). */
  dkp?: boolean
}

/** What a management job needs beyond its stage-table row. */
const JOB_EXTRAS: Partial<
  Record<PlanStage, Pick<ManagementJob, 'timeout' | 'environment' | 'with' | 'after'>>
> = {
  check: {
    timeout: 30,
    with: [
      ['manifests', '${{ inputs.manifests }}'],
      ['fail-on', 'error'],
    ],
    after: [
      lines(
        '- name: Keep the check report',
        "  if: ${{ !cancelled() && steps.stage.outputs.report != '' }}",
        `  uses: ${UPLOAD}`,
        '  with:',
        `    name: ${CHECK_ARTIFACT_PREFIX}-\${{ github.run_id }}-\${{ github.run_attempt }}`,
        '    path: |',
        '      ${{ steps.stage.outputs.report }}',
        '      ${{ steps.stage.outputs.sarif }}',
        '    retention-days: 90',
      ),
    ],
  },
  kubernetes: { environment: "${{ inputs.dry-run && 'dkp-fleet-dry-run' || 'dkp-fleet-management' }}" },
}

/**
 * The management chain in the stage table's order (the DKP order, reference/dkp.md §1): every
 * stage but the final one (verify, after the waves); per-cluster stages run on the management
 * cluster first.
 */
const MANAGEMENT: ManagementJob[] = STAGE_TABLE.filter((r) => !r.final).map((r) => {
  const extra = JOB_EXTRAS[r.name] ?? {}
  const job: ManagementJob = {
    stage: r.name,
    id: r.name,
    name: r.scope === 'cluster' ? `${r.name} (management)` : r.name,
    ...extra,
  }
  if (r.scope === 'cluster')
    job.with = [...(extra.with ?? []), ['cluster', '${{ needs.plan.outputs.management }}']]
  if (r.dkp) job.dkp = true
  return job
})

/** The stages each wave slot runs per cluster, in order. */
const PER_CLUSTER = STAGE_TABLE.filter((r) => r.scope === 'cluster').map((r) => r.name)

function lines(...l: string[]): string {
  return l.join('\n')
}

function indent(text: string, by: number): string {
  const pad = ' '.repeat(by)
  return text
    .split('\n')
    .map((l) => (l === '' ? l : pad + l))
    .join('\n')
}

function inputsBlock(trigger: 'dispatch' | 'call'): string {
  return INPUTS.map((i) =>
    lines(
      `${i.name}:`,
      `  description: ${i.description}`,
      `  type: ${i.type}`,
      `  required: ${trigger === 'dispatch' && i.dispatchRequired ? 'true' : 'false'}`,
      `  default: ${i.default}`,
    ),
  ).join('\n')
}

function checkoutSteps(condition?: string): string {
  const cond = condition ? `- if: ${condition}\n  name:` : '- name:'
  return lines(
    `${cond} Check out the inventory`,
    `  uses: ${CHECKOUT}`,
    '  with:',
    '    persist-credentials: false',
    actionCheckout(condition),
  )
}

function actionCheckout(condition?: string): string {
  const cond = condition ? `- if: ${condition}\n  name:` : '- name:'
  return lines(
    `${cond} Check out the action (same release as this workflow, see docs/pipelines.md)`,
    `  uses: ${CHECKOUT}`,
    '  with:',
    '    repository: ${{ inputs.action-repository }}',
    '    ref: ${{ inputs.action-ref }}',
    '    path: .dkp-fleet/action',
    '    persist-credentials: false',
    '    sparse-checkout: |',
    '      /action.yml',
    '      /dist/',
    '    sparse-checkout-cone-mode: false',
  )
}

function stageStep(opts: {
  id: string
  stage: string
  condition?: string
  continueOnError?: boolean
  with?: [string, string][]
  /** The stage may run dkp: tell the action where a handed-over verified tarball is. */
  dkpTarball?: boolean
}): string {
  const head = [`- id: ${opts.id}`]
  if (opts.condition) head.push(`  if: ${opts.condition}`)
  head.push('  uses: ./.dkp-fleet/action')
  if (opts.continueOnError) head.push('  continue-on-error: ${{ inputs.dry-run }}')
  const cache: [string, string][] = opts.dkpTarball ? [['dkp-cache-dir', DKP_CACHE_PATH]] : []
  const inputs: [string, string][] = [['stage', opts.stage], ...(opts.with ?? []), ...COMMON_WITH, ...cache]
  return lines(...head, '  with:', ...inputs.map(([k, v]) => `    ${k}: ${v}`))
}

/**
 * A stage job that may run dkp takes the verified tarball the dkp job handed over: one file,
 * written into a fixed directory as it is (skip-decompress: nothing is extracted, whatever was
 * uploaded), which the action installs only when its sha256 equals the pin (docs/installer.md).
 * No artifact (GHES, dkp-path, the tool cache of a self-hosted runner), an expired one or a
 * failed download: the step fails without failing the job, and the stage downloads dkp itself.
 */
function dkpDownloadStep(condition?: string): string {
  const when = [`${DKP_ARTIFACT} != ''`, ...(condition ? [condition] : [])].join(' && ')
  return lines(
    '- name: Take the verified dkp tarball from the dkp job',
    '  id: dkp-tarball',
    `  if: \${{ ${when} }}`,
    `  uses: ${DOWNLOAD}`,
    '  continue-on-error: true',
    '  with:',
    `    artifact-ids: \${{ ${DKP_ARTIFACT} }}`,
    `    path: ${DKP_CACHE_PATH}`,
    '    skip-decompress: true',
  )
}

/**
 * The stages that run dkp to act (reference/dkp.md §2), management ones and the wave legs': the
 * dkp job runs when the plan has work for one of them. (verify, in the gates and the verify job,
 * may run dkp too, but only to check a core-addons step, which is then in the plan.)
 */
const DKP_STAGES = (): string[] => [
  ...new Set([...MANAGEMENT.filter((j) => j.dkp).map((j) => j.stage), ...PER_CLUSTER]),
]

/**
 * The dkp job: the verified dkp tarball for the whole run, in the one job that touches the
 * Actions cache. It holds no secret (no kubeconfig, a token without permissions), checks out only
 * the action, and nothing runs after it on its runner: an Actions cache entry is a tar archive
 * extracted with `tar -P`, so a crafted one can write anywhere on the runner before the action
 * runs, and here it finds nothing to take. The cache is restored only on GitHub-hosted runners
 * (a fresh machine per job); a self-hosted runner may run the next job. The tarball goes to the
 * stage jobs as a run artifact, uploaded as the file itself, and each stage job verifies it
 * again. Without the cache (dkp-cache: false, a self-hosted runner) this job still downloads dkp
 * once for the run. Not on GHES, whose artifact service the v4+ artifact actions do not support.
 */
function dkpJob(): string {
  const hasWork = [
    'fromJSON(needs.plan.outputs.wave-count) > 0',
    ...DKP_STAGES().map((st) => `fromJSON(needs.plan.outputs.stages)['${st}']`),
  ].join(' || ')
  const when = [
    '!inputs.dry-run',
    `${DKP_CACHE_KEY} != ''`,
    "(github.server_url == 'https://github.com' || endsWith(github.server_url, '.ghe.com'))",
    `(${hasWork})`,
  ].join(' && ')
  return job(
    DKP_JOB,
    [
      'name: dkp (fetch and verify; no secrets)',
      'needs: [plan]',
      `if: \${{ ${when} }}`,
      `runs-on: ${RUNS_ON}`,
      'timeout-minutes: 30',
      'permissions: {}',
      'outputs:',
      '  artifact-id: ${{ steps.upload.outputs.artifact-id }}',
    ],
    [
      actionCheckout(),
      dkpRestoreStep(),
      lines(
        '- id: fetch',
        '  uses: ./.dkp-fleet/action',
        '  with:',
        '    stage: fetch-dkp',
        '    dkp-version: ${{ needs.plan.outputs.dkp-version }}',
        '    dkp-sha256: ${{ inputs.dkp-sha256 }}',
        '    dkp-download-url: ${{ inputs.dkp-download-url }}',
        '    require-checksum: true',
        `    dkp-cache-dir: ${DKP_CACHE_PATH}`,
        '    timeout-minutes: ${{ inputs.timeout-minutes }}',
      ),
      dkpSaveStep(),
      lines(
        '- name: Hand the verified dkp tarball to the stage jobs',
        '  id: upload',
        "  if: ${{ steps.fetch.outputs.dkp-tarball != '' }}",
        `  uses: ${UPLOAD}`,
        '  continue-on-error: true',
        '  with:',
        '    path: ${{ steps.fetch.outputs.dkp-tarball }}',
        '    archive: false',
        '    overwrite: true',
        '    if-no-files-found: error',
        '    retention-days: 1',
      ),
    ],
  )
}

/**
 * Restore the verified dkp tarball by its exact key (the plan job's `dkp-cache-key`: version,
 * platform, the sha256 it is verified against; no restore-keys, so nothing of another version or
 * checksum is ever restored), only in the dkp job and only on a GitHub-hosted runner. The action
 * uses it only when its sha256 matches (docs/installer.md).
 */
function dkpRestoreStep(): string {
  return lines(
    '- name: Restore the verified dkp tarball',
    '  id: dkp-cache',
    "  if: ${{ inputs.dkp-cache && runner.environment == 'github-hosted' }}",
    `  uses: ${CACHE_RESTORE}`,
    '  with:',
    `    path: ${DKP_CACHE_PATH}`,
    `    key: \${{ ${DKP_CACHE_KEY} }}`,
  )
}

/**
 * After a miss: save the tarball, only when fetch-dkp says it downloaded and verified exactly
 * what the key names (its `dkp-cache-key` output equals the plan's).
 */
function dkpSaveStep(): string {
  return lines(
    '- name: Save the verified dkp tarball',
    `  if: \${{ !cancelled() && steps.dkp-cache.outcome == 'success' && steps.dkp-cache.outputs.cache-hit != 'true' && steps.fetch.outputs.dkp-cache-key == ${DKP_CACHE_KEY} }}`,
    `  uses: ${CACHE_SAVE}`,
    '  with:',
    `    path: ${DKP_CACHE_PATH}`,
    `    key: \${{ ${DKP_CACHE_KEY} }}`,
  )
}

function job(id: string, header: string[], steps: string[]): string {
  return lines(`${id}:`, ...header.map((h) => indent(h, 2)), '  steps:', ...steps.map((s) => indent(s, 4)))
}

function planJob(): string {
  return job(
    'plan',
    [
      'name: plan',
      `runs-on: ${RUNS_ON}`,
      'timeout-minutes: 15',
      'outputs:',
      '  digest: ${{ steps.plan.outputs.digest }}',
      '  hop: ${{ steps.plan.outputs.hop }}',
      '  hops-left: ${{ steps.plan.outputs.hops-left }}',
      '  dkp-cache-key: ${{ steps.plan.outputs.dkp-cache-key }}',
      '  dkp-version: ${{ inputs.dkp-version || fromJSON(steps.plan.outputs.plan).target.dkp }}',
      '  waves: ${{ steps.plan.outputs.waves }}',
      '  wave-count: ${{ steps.plan.outputs.wave-count }}',
      '  stages: ${{ steps.plan.outputs.stages }}',
      '  management: ${{ fromJSON(steps.plan.outputs.plan).management }}',
      '  max-parallel: ${{ inputs.max-parallel > 0 && inputs.max-parallel || fromJSON(steps.plan.outputs.plan).rollout.maxParallel }}',
    ],
    [
      checkoutSteps(),
      lines(
        '- id: plan',
        '  uses: ./.dkp-fleet/action',
        '  with:',
        '    stage: plan',
        '    inventory: ${{ inputs.inventory }}',
        '    kubeconfig: ${{ secrets.DKP_MGMT_KUBECONFIG }}',
        '    target: ${{ inputs.target }}',
        '    target-kubernetes: ${{ inputs.target-kubernetes }}',
        '    dkp-version: ${{ inputs.dkp-version }}',
        '    dkp-sha256: ${{ inputs.dkp-sha256 }}',
        '    dkp-path: ${{ inputs.dkp-path }}',
        "- name: The plan fits this workflow's wave slots",
        '  env:',
        '    WAVE_COUNT: ${{ steps.plan.outputs.wave-count }}',
        `    WAVE_SLOTS: ${WAVE_SLOTS}`,
        '  run: |',
        '    if [ "$WAVE_COUNT" -gt "$WAVE_SLOTS" ]; then',
        '      echo "::error title=Too many waves::The plan has $WAVE_COUNT waves but this workflow has $WAVE_SLOTS wave slots (wave-0 … wave-$((WAVE_SLOTS - 1))). Merge waves in the inventory, or add gate-N/wave-N jobs to the workflow (docs/pipelines.md, \\"Wave slots\\"). Nothing was changed."',
        '      exit 1',
        '    fi',
        '    echo "$WAVE_COUNT wave(s) in $WAVE_SLOTS slots"',
      ),
    ],
  )
}

function managementJob(j: ManagementJob, previous: string): string {
  const needs = ['plan', ...(previous ? [previous] : []), ...(j.dkp ? [DKP_JOB] : [])]
  const header = [
    `name: ${j.name}`,
    `needs: [${needs.join(', ')}]`,
    `if: \${{ !cancelled() && !failure() && fromJSON(needs.plan.outputs.stages)['${j.stage}'] }}`,
    `runs-on: ${RUNS_ON}`,
  ]
  if (j.timeout) header.push(`timeout-minutes: ${j.timeout}`)
  if (j.environment) header.push(`environment: ${j.environment}`)
  return job(j.id, header, [
    checkoutSteps(),
    ...(j.dkp ? [dkpDownloadStep()] : []),
    stageStep({ id: 'stage', stage: j.stage, dkpTarball: j.dkp, ...(j.with ? { with: j.with } : {}) }),
    ...(j.after ?? []),
  ])
}

function gateJob(slot: number): string {
  const last = MANAGEMENT.at(-1)!.id
  const earlier = Array.from({ length: slot }, (_, i) => [`gate-${i}`, `wave-${i}`]).flat()
  const previousGate = slot > 0 ? ` && ${gateOpen(slot - 1)}` : ''
  return job(
    `gate-${slot}`,
    [
      `name: gate before wave slot ${slot}`,
      `needs: [plan, ${[last, ...earlier.slice(-2), DKP_JOB].join(', ')}]`,
      `if: \${{ !cancelled() && needs.plan.result == 'success' && needs.${last}.result == 'success'${previousGate} && fromJSON(needs.plan.outputs.wave-count) > ${slot} }}`,
      `runs-on: ${RUNS_ON}`,
      // A soak is waited out up to the stage's own time limit: the job's is the same.
      'timeout-minutes: ${{ fromJSON(inputs.timeout-minutes) }}',
      "environment: ${{ inputs.dry-run && 'dkp-fleet-dry-run' || 'dkp-fleet-waves' }}",
      'outputs:',
      '  status: ${{ steps.stage.outputs.status }}',
      '  soak-until: ${{ steps.stage.outputs.soak-until }}',
    ],
    [
      checkoutSteps(),
      // verify may run dkp: a core-addons step with no record is checked with `dkp upgrade addons --dry-run`.
      dkpDownloadStep(),
      stageStep({
        id: 'stage',
        stage: 'verify',
        continueOnError: true,
        with: [['wave', `\${{ fromJSON(needs.plan.outputs.waves)[${slot}].wave }}`]],
        dkpTarball: true,
      }),
    ],
  )
}

/** The gate before a wave slot passed: it succeeded and did not defer the wave (a soak). */
const gateOpen = (slot: number) =>
  `needs.gate-${slot}.result == 'success' && needs.gate-${slot}.outputs.status != 'deferred'`

function waveJob(slot: number): string {
  const selected = "env.DKP_FLEET_SELECTED == 'true'"
  return job(
    `wave-${slot}`,
    [
      `name: wave slot ${slot} · \${{ matrix.cluster }}`,
      `needs: [plan, gate-${slot}, ${DKP_JOB}]`,
      `if: \${{ !cancelled() && needs.plan.result == 'success' && ${gateOpen(slot)} }}`,
      `runs-on: ${RUNS_ON}`,
      'strategy:',
      '  fail-fast: false',
      '  max-parallel: ${{ fromJSON(needs.plan.outputs.max-parallel) }}',
      '  matrix:',
      `    include: \${{ fromJSON(needs.plan.outputs.waves)[${slot}].include }}`,
      'env:',
      "  DKP_FLEET_SELECTED: ${{ inputs.clusters == '' || contains(format(',{0},', inputs.clusters), format(',{0},', matrix.cluster)) || contains(format(',{0},', inputs.clusters), format(', {0},', matrix.cluster)) }}",
    ],
    [
      checkoutSteps(selected),
      dkpDownloadStep(selected),
      ...PER_CLUSTER.map((stage) =>
        stageStep({
          id: stage,
          stage,
          condition: selected,
          with: [['cluster', '${{ matrix.cluster }}']],
          dkpTarball: true,
        }),
      ),
    ],
  )
}

function verifyJob(): string {
  const slots = Array.from({ length: WAVE_SLOTS }, (_, i) => [`gate-${i}`, `wave-${i}`]).flat()
  const needs = ['plan', MANAGEMENT.at(-1)!.id, ...slots, DKP_JOB]
  return job(
    'verify',
    [
      'name: verify',
      'needs:',
      '  [',
      ...needs.map((n) => `    ${n},`),
      '  ]',
      // A gate deferred by a soak ends the run there: the fleet is not at target yet, by design.
      `if: \${{ !cancelled() && needs.plan.result == 'success' && ${Array.from({ length: WAVE_SLOTS }, (_, i) => `needs.gate-${i}.outputs.status != 'deferred'`).join(' && ')} }}`,
      `runs-on: ${RUNS_ON}`,
      'timeout-minutes: 30',
    ],
    [
      checkoutSteps(),
      dkpDownloadStep(),
      stageStep({ id: 'stage', stage: 'verify', continueOnError: true, dkpTarball: true }),
    ],
  )
}

export function upgradeWorkflow(): string {
  const chain = MANAGEMENT.map((j, i) => managementJob(j, i === 0 ? '' : MANAGEMENT[i - 1]!.id))
  const slots = Array.from({ length: WAVE_SLOTS }, (_, i) => [gateJob(i), waveJob(i)]).flat()
  const header = lines(
    '# GENERATED by scripts/gen-workflows.ts from one template per job kind: edit that script,',
    '# then run `npx tsx scripts/gen-workflows.ts` (CI fails when this file differs).',
    '#',
    '# The dispatched DKP fleet upgrade: one stage per job, so each stage has its own log, re-run',
    '# button, timeout and approval gate. Use it from a thin caller (examples/workflows/) with',
    '# `uses: dkp-fleet-upgrade/dkp-fleet-upgrade/.github/workflows/dkp-fleet-upgrade.yml@<release>`',
    '# or dispatch a copy of it. Everything a user sets up is in docs/pipelines.md.',
    '#',
    '#   plan → dkp (the verified dkp tarball for the run; no secrets; the only job that uses the',
    '#   Actions cache) — its artifact goes to every job below that runs dkp',
    '#   plan → check → backup → kommander → workspaces → workspace-apps → project-apps →',
    '#   custom-apps → capi-components → core-addons (mgmt) → kubernetes (mgmt, approval) →',
    '#   gate-0 (approval + verify wave) → wave-0 (matrix) → gate-1 → wave-1 → … → verify',
    '#',
    '# Stages with nothing to do are left out of the plan; their jobs are skipped and the jobs',
    "# after them run on `!cancelled() && !failure()` plus the plan's has-work flags.",
    `# The waves are \`${WAVE_SLOTS}\` fixed slots: a plan with more waves fails in the plan job.`,
    'name: dkp-fleet-upgrade',
    "run-name: \"${{ inputs.dry-run && 'Dry run' || 'Upgrade' }}: ${{ inputs.inventory }} to ${{ inputs.target || 'the inventory target' }}\"",
    '',
    'on:',
    '  workflow_dispatch:',
    '    inputs:',
    indent(inputsBlock('dispatch'), 6),
    '  workflow_call:',
    '    inputs:',
    indent(inputsBlock('call'), 6),
    '    secrets:',
    '      DKP_MGMT_KUBECONFIG:',
    '        description: Kubeconfig content of the management cluster.',
    '        required: true',
    '',
    '# Two upgrades of one fleet never overlap: a second run waits (one waits; a third cancels',
    '# the waiting one, never the running one). Dry runs queue separately.',
    'concurrency:',
    "  group: dkp-fleet-upgrade-${{ github.repository }}-${{ inputs.inventory }}${{ inputs.dry-run && '-dry-run' || '' }}",
    '  cancel-in-progress: false',
    '',
    'permissions:',
    '  contents: read',
    '',
    'jobs:',
  )
  const jobs = [planJob(), dkpJob(), ...chain, ...slots, verifyJob()].map((j) => indent(j, 2)).join('\n\n')
  return `${header}\n${jobs}\n`
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = upgradeWorkflow()
  if (process.argv.includes('--check')) {
    if (readFileSync(UPGRADE_WORKFLOW, 'utf8') !== text) {
      process.stderr.write(
        `${UPGRADE_WORKFLOW} differs from what scripts/gen-workflows.ts generates: run \`npx tsx scripts/gen-workflows.ts\` and commit the result\n`,
      )
      process.exit(1)
    }
  } else {
    writeFileSync(UPGRADE_WORKFLOW, text)
    process.stderr.write(`wrote ${UPGRADE_WORKFLOW}\n`)
  }
}
