// Helpers of the fleet-* integration tests: the stand-in dkp bundled once per file (esbuild,
// ~1 s) and run as a child process the way the product runs dkp, and spec snapshots for
// "changes exactly this" assertions.

import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'esbuild'
import type { Kube } from '../../src/effects/kube.js'
import { type AnyObject, API } from '../../src/fleet/objects.js'

let bundled: Promise<string> | undefined

/** dist-like bundle of src/fleet/dkp-standin.ts in a temp dir (built once per test file). */
export function standinBundle(): Promise<string> {
  bundled ??= (async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'dkp-standin-')), 'dkp-standin.js')
    await build({
      entryPoints: ['src/fleet/dkp-standin.ts'],
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node22.19',
      outfile: out,
      logLevel: 'warning',
      banner: {
        js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
      },
    })
    return out
  })()
  return bundled
}

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
  ms: number
}

/** Runs the stand-in dkp as a child process (Node by absolute path, like the shim). */
export async function dkp(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 120_000,
): Promise<RunResult> {
  const script = await standinBundle()
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      env: { ...process.env, DKP_STANDIN_POLL_MS: '50', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => {
      stdout += d
    })
    child.stderr.on('data', (d: Buffer) => {
      stderr += d
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, ms: Date.now() - started })
    })
  })
}

/** Kinds whose spec-side content the stand-in may change. */
export const WATCHED: [string, string][] = [
  [API.cluster, 'Cluster'],
  [API.controlPlane, 'KubeadmControlPlane'],
  [API.awsManagedControlPlane, 'AWSManagedControlPlane'],
  [API.cluster, 'MachineDeployment'],
  [API.cluster, 'Machine'],
  [API.addons, 'ClusterResourceSet'],
  [API.addons, 'ClusterResourceSetBinding'],
  ['v1', 'ConfigMap'],
  [API.helm, 'HelmRelease'],
  [API.apps, 'AppDeployment'],
  [API.apps, 'App'],
  [API.apps, 'ClusterApp'],
  [API.workspaces, 'Workspace'],
  [API.workspaces, 'Project'],
  [API.kommander, 'KommanderCluster'],
  [API.dkp, 'KommanderCore'],
  [API.source, 'GitRepository'],
  [API.clusterctl, 'Provider'],
  [API.deployments, 'Deployment'],
  ['infrastructure.cluster.x-k8s.io/v1beta2', 'AWSMachineTemplate'],
]

/** Everything but status and server-managed metadata, per object key. */
export async function specSnapshot(kube: Kube): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  await Promise.all(
    WATCHED.map(async ([apiVersion, kind]) => {
      for (const o of await kube.list(apiVersion, kind)) {
        const { status: _s, metadata, ...rest } = o as AnyObject
        const {
          managedFields: _m,
          resourceVersion: _r,
          generation: _g,
          creationTimestamp: _c,
          uid: _u,
          ...meta
        } = metadata as Record<string, unknown>
        out.set(
          `${kind} ${metadata.namespace ? `${metadata.namespace}/` : ''}${metadata.name}`,
          JSON.stringify({ ...rest, metadata: meta }),
        )
      }
    }),
  )
  return out
}

/** Keys created, deleted and changed between two snapshots. */
export function diffSnapshots(before: Map<string, string>, after: Map<string, string>) {
  const created = [...after.keys()].filter((k) => !before.has(k)).sort()
  const deleted = [...before.keys()].filter((k) => !after.has(k)).sort()
  const changed = [...after.keys()].filter((k) => before.has(k) && before.get(k) !== after.get(k)).sort()
  return { created, deleted, changed }
}
