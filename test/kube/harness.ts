// Per-file test cluster: one real etcd + kube-apiserver per test file (Kommander singletons such
// as kommander/kommander make sharing impossible), with every CRD of the fleet installed.
// Tests inside a file isolate by namespace/name (uniqueName()).
//
//   const tc = useTestCluster()            // registers beforeAll/afterAll
//   it('…', async () => { await tc.kube.create(…) })
//
// or manage it yourself: `const c = await startTestCluster(); …; await c.stop()`.

import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, inject } from 'vitest'
import { Kube, type KubeOptions } from '../../src/effects/kube.js'
import { type ControlPlane, startControlPlane } from '../../src/fleet/control-plane.js'
import { fleetCrds, installCrds } from '../../src/fleet/crds.js'

export interface TestCluster extends ControlPlane {
  /** Admin client (system:masters). */
  kube: Kube
  /** Client for the reader token (group dkp-readers, no permissions until a test binds some). */
  reader: Kube
  /** A new client for the admin (own counters/options), e.g. with fast retries. */
  client(options?: KubeOptions): Kube
  /** Milliseconds spent installing CRDs. */
  crdMs: number
}

export interface StartOptions {
  /** Install the fleet CRDs (default true). */
  crds?: boolean
  log?: (line: string) => void
  /** More kube-apiserver flags (e.g. `--runtime-config=…`). */
  apiserverFlags?: string[]
}

/** Why the harness is skipped (KUBE_IT_SKIP), else undefined. */
export function kubeSkipReason(): string | undefined {
  return inject('kube')?.skip
}

export async function startTestCluster(options: StartOptions = {}): Promise<TestCluster> {
  const setup = inject('kube')
  if (setup?.skip) throw new Error(`test cluster unavailable: KUBE_IT_SKIP=${setup.skip}`)
  const cp = await startControlPlane({
    binDir: setup?.binDir ?? process.env.KUBE_BIN_DIR,
    log: options.log,
    ...(options.apiserverFlags ? { apiserverFlags: options.apiserverFlags } : {}),
  })
  try {
    const client = (o: KubeOptions = {}) => Kube.fromFile(cp.kubeconfigPath, o)
    const kube = client()
    const crdMs =
      options.crds === false ? 0 : await installCrds(kube, await fleetCrds({ dir: setup?.crdDir }))
    const reader = client({ context: 'reader' })
    const stop = cp.stop
    return Object.assign(cp, {
      kube,
      reader,
      client,
      crdMs,
      stop: async () => {
        kube.close()
        reader.close()
        await stop()
      },
    })
  } catch (err) {
    await cp.stop()
    throw err
  }
}

/**
 * Starts a test cluster before the file's tests and stops it after them. Under KUBE_IT_SKIP
 * every test of the file is skipped with the reason. Access the fields inside tests/hooks.
 */
export function useTestCluster(options: StartOptions = {}): TestCluster {
  const skip = kubeSkipReason()
  let cluster: TestCluster | undefined
  if (skip) {
    beforeEach((ctx) => ctx.skip(`KUBE_IT_SKIP: ${skip}`))
  } else {
    beforeAll(async () => {
      cluster = await startTestCluster(options)
    })
    afterAll(async () => {
      await cluster?.stop()
    })
  }
  return new Proxy({} as TestCluster, {
    get(_, prop) {
      if (!cluster) throw new Error('test cluster not started yet: use it inside tests or hooks')
      return Reflect.get(cluster, prop)
    },
  })
}

/** A DNS-1123 name unique within the run: `<prefix>-<6 hex>`. */
export function uniqueName(prefix = 't'): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`
}

/** Creates a namespace with a unique name and returns the name. */
export async function createNamespace(kube: Kube, prefix = 'ns'): Promise<string> {
  const name = uniqueName(prefix)
  await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })
  return name
}
