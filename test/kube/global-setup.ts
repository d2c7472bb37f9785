// vitest globalSetup of the integration, e2e and faults tiers: makes sure kube-apiserver, etcd
// and the upstream CRDs are available (built/fetched once per machine, then reused from the
// cache) and hands their locations to the test files (inject('kube')). When they cannot be
// had, the tier FAILS with the reason; only KUBE_IT_SKIP=<reason> (a developer without Go)
// turns that into loudly reported skips. .ci/run never sets it.

import type { TestProject } from 'vitest/node'
import { resolveKubeBins } from '../../src/fleet/control-plane.js'
import { ensureUpstreamCrds } from '../../src/fleet/crds.js'

export interface KubeSetup {
  /** Directory with kube-apiserver and etcd; undefined when skipped. */
  binDir?: string
  /** Directory with the upstream CRD YAML files; undefined when skipped. */
  crdDir?: string
  /** Set when KUBE_IT_SKIP is: every test using the harness is skipped with this reason. */
  skip?: string
}

declare module 'vitest' {
  export interface ProvidedContext {
    kube: KubeSetup
  }
}

const banner = (text: string) => `\n${'!'.repeat(78)}\n${text}\n${'!'.repeat(78)}\n`

export default async function setup(project: TestProject): Promise<void> {
  const skip = process.env.KUBE_IT_SKIP
  if (skip) {
    process.stderr.write(
      banner(`KUBE_IT_SKIP is set: tests on the real kube-apiserver are SKIPPED.\nReason given: ${skip}`),
    )
    project.provide('kube', { skip })
    return
  }
  const started = Date.now()
  const log = (line: string) => process.stderr.write(`[kube setup] ${line}\n`)
  try {
    // scripts/test.mjs already tried build-bins.sh and passes its failure on: do not build twice.
    if (process.env.KUBE_BIN_ERROR && !process.env.KUBE_BIN_DIR) throw new Error(process.env.KUBE_BIN_ERROR)
    const bins = await resolveKubeBins({ log })
    const crdDir = await ensureUpstreamCrds({ log })
    // Files that spawn child processes (fleet up) or scripts find them without inject().
    process.env.KUBE_BIN_DIR = bins.dir
    process.env.DKP_FLEET_CRD_DIR = crdDir
    log(`kube-apiserver + etcd: ${bins.dir}; CRDs: ${crdDir} (${Date.now() - started} ms)`)
    project.provide('kube', { binDir: bins.dir, crdDir })
  } catch (err) {
    process.stderr.write(
      banner(
        `The integration tier needs kube-apiserver + etcd and the upstream CRDs, and they could not be had:\n` +
          `${(err as Error).message}\n\nSet KUBE_IT_SKIP=<reason> only on a developer machine without Go.`,
      ),
    )
    throw err
  }
}
