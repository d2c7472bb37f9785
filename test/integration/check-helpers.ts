// Helpers of the check*.test.ts files: a StageEnv on the test fleet, the states they seed
// (HelmRelease conditions, Velero backups, Helm release storage, last-applied annotations), and
// the SARIF schema validator.

import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { Ajv } from 'ajv'
import * as ajvFormats from 'ajv-formats'
import type { Finding } from '../../src/core/findings.js'
import type { AnyObject, Kube } from '../../src/effects/kube.js'
import { ConsoleReporter } from '../../src/effects/reporter.js'
import { API } from '../../src/fleet/objects.js'
import { writeStatus } from '../../src/fleet/seed.js'
import { checkFleet, type FleetCheckResult } from '../../src/stages/check.js'
import { loadPlan, makeEnv } from '../../src/stages/execute.js'
import type { StageEnv } from '../../src/stages/types.js'

const ROOT = resolve(import.meta.dirname, '../..')
export const INVENTORY = 'examples/fleet.yaml'

export async function fleetEnv(kube: Kube, inventory = INVENTORY): Promise<StageEnv> {
  const loaded = await loadPlan({ inventory, cwd: ROOT }, new ConsoleReporter(() => {}))
  return makeEnv(loaded, kube)
}

/** One check over a fresh environment (fresh clients: request counts start at 0). */
export async function runFleetCheck(
  client: () => Kube,
  options: { targetKubernetes?: string; scan?: boolean } = {},
): Promise<FleetCheckResult> {
  const env = await fleetEnv(client())
  try {
    return await checkFleet(env, options)
  } finally {
    env.workloads.close()
    env.kube.close()
  }
}

/** Findings as one line each, for assertion messages. */
export const lines = (findings: readonly Finding[]) =>
  findings.map((f) => `${f.severity} ${f.ruleId} [${f.cluster ?? ''}] ${f.message}`).join('\n')

export const errorsAndWarnings = (r: FleetCheckResult) => r.findings.filter((f) => f.severity !== 'info')

/** A Velero Backup with a Completed status `ageMs` ago. */
export async function completedBackup(kube: Kube, name: string, ageMs: number): Promise<void> {
  const done = new Date(Date.now() - ageMs)
  const obj = await kube.create<AnyObject>({
    apiVersion: API.velero,
    kind: 'Backup',
    metadata: { name, namespace: 'kommander', labels: { 'app.kubernetes.io/managed-by': 'dkp-fleet' } },
    spec: { includedNamespaces: ['*'], storageLocation: 'default', ttl: '720h0m0s' },
  })
  await writeStatus(kube, obj, {
    phase: 'Completed',
    startTimestamp: new Date(done.getTime() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z'),
    completionTimestamp: done.toISOString().replace(/\.\d+Z$/, 'Z'),
    progress: { totalItems: 10, itemsBackedUp: 10 },
  })
}

/** Sets a HelmRelease's Ready condition to False (what helm-controller writes after a failed upgrade). */
export async function helmReleaseNotReady(kube: Kube, name: string, namespace: string, message: string) {
  const hr = (await kube.get(API.helm, 'HelmRelease', name, namespace))!
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
  await writeStatus(kube, hr, {
    conditions: [
      { type: 'Ready', status: 'False', reason: 'UpgradeFailed', message, lastTransitionTime: now },
      { type: 'Released', status: 'False', reason: 'UpgradeFailed', message, lastTransitionTime: now },
    ],
  })
}

/** Helm's storage Secret of one release revision (data.release = base64 of base64(gzip(JSON))). */
export function helmSecret(
  release: string,
  namespace: string,
  revision: number,
  status: 'deployed' | 'superseded' | 'failed',
  manifest: string,
): AnyObject {
  const record = {
    name: release,
    namespace,
    version: revision,
    info: { status },
    chart: { metadata: { name: release, version: `1.${revision}.0` } },
    manifest,
  }
  const storage = gzipSync(Buffer.from(JSON.stringify(record))).toString('base64')
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: `sh.helm.release.v1.${release}.v${revision}`,
      namespace,
      labels: { owner: 'helm', name: release, status, version: String(revision) },
    },
    type: 'helm.sh/release.v1',
    data: { release: Buffer.from(storage).toString('base64') },
  }
}

export const PDB_V1BETA1 = `---
# Source: legacy/templates/pdb.yaml
apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata:
  name: legacy
spec:
  minAvailable: 1
  selector: { matchLabels: { app: legacy } }
---
apiVersion: v1
kind: Service
metadata:
  name: legacy
spec:
  ports: [{ port: 80 }]
`

export const CRONJOB_V1BETA1 = `apiVersion: batch/v1beta1
kind: CronJob
metadata:
  name: old-report
spec:
  schedule: "0 1 * * *"
  jobTemplate: { spec: { template: { spec: { containers: [{ name: r, image: busybox }], restartPolicy: Never } } } }
`

/** A CronJob (served as batch/v1) whose last-applied annotation says batch/v1beta1. */
export function cronJobLastApplied(
  name: string,
  namespace: string,
  extra: Record<string, string> = {},
): AnyObject {
  const applied = {
    apiVersion: 'batch/v1beta1',
    kind: 'CronJob',
    metadata: { name, namespace },
    spec: {
      schedule: '0 1 * * *',
      jobTemplate: {
        spec: {
          template: { spec: { containers: [{ name: 'r', image: 'busybox' }], restartPolicy: 'Never' } },
        },
      },
    },
  }
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: {
      name,
      namespace,
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(applied), ...extra },
    },
    spec: applied.spec,
  }
}

/** The vendored OASIS SARIF 2.1.0 schema as an Ajv validator. */
export function sarifValidator() {
  const schema = JSON.parse(readFileSync(resolve(ROOT, 'test/fixtures/sarif-schema-2.1.0.json'), 'utf8'))
  schema.$schema = 'http://json-schema.org/draft-07/schema#'
  schema.$id = schema.id
  delete schema.id
  const ajv = new Ajv({ allErrors: true, strict: false })
  const addFormats = ((ajvFormats as unknown as { default: unknown }).default ?? ajvFormats) as (
    a: Ajv,
  ) => void
  addFormats(ajv)
  return ajv.compile(schema)
}
