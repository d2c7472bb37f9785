// Live use of an API the target removes, end to end on a real kube-apiserver: the pinned
// v1.36.3 serves no built-in API as deprecated by default (every group it serves is at v1, plus
// autoscaling/v2), so this file starts its own apiserver from the same binary with
// `--runtime-config=networking.k8s.io/v1beta1=true` (IPAddress and ServiceCIDR betas, which that
// release marks deprecated with removed_release 1.37). A client lists IPAddresses at v1beta1;
// the check's read (GET /metrics through the Kube client), the parser and the rule then report
// it: an error for a 1.37 target, a warning for 1.36, nothing for a version nobody requested.

import { describe, expect, it } from 'vitest'
import { PREFLIGHT } from '../../src/core/preflight-objects.js'
import { readServer, serverFindings } from '../../src/stages/preflight-read.js'
import type { WorkloadCluster } from '../../src/stages/workload-kube.js'
import { useTestCluster } from '../kube/harness.js'

const tc = useTestCluster({
  crds: false,
  apiserverFlags: ['--runtime-config=networking.k8s.io/v1beta1=true'],
})

describe('deprecated APIs requested, read from the real apiserver /metrics', () => {
  it('a request for networking.k8s.io/v1beta1 is an error for a 1.37 target, a warning for 1.36', async () => {
    const kube = tc.client()
    const wc = {
      name: 'c1',
      source: 'test',
      server: tc.server,
      management: true,
      kube,
    } as unknown as WorkloadCluster
    const before = serverFindings(await readServer(wc), {
      cluster: 'c1',
      target: '1.37.0',
      drainOf: () => undefined,
    })
    expect(before.filter((f) => f.ruleId === PREFLIGHT.deprecatedRequested)).toEqual([])

    await kube.list('networking.k8s.io/v1beta1', 'IPAddress')
    const read = await readServer(wc)
    expect(read.missing).toEqual([])
    const at = (target: string) =>
      serverFindings(read, { cluster: 'c1', target, drainOf: () => undefined }).filter(
        (f) => f.ruleId === PREFLIGHT.deprecatedRequested,
      )
    expect(at('1.37.0')).toMatchObject([
      {
        severity: 'error',
        cluster: 'c1',
        object: { apiVersion: 'networking.k8s.io/v1beta1', kind: 'ipaddresses' },
        details: { removedRelease: '1.37' },
      },
    ])
    expect(at('1.36.3').map((f) => f.severity)).toEqual(['warning'])
    kube.close()
  })
})
