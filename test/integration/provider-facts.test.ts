// Provider facts through real processes on the test fleet (examples/fleet.yaml seeded at DKP
// v2.7.1): the stand-in dkp accepts what the real CLI accepts (reference/dkp.md §2) —
// --kubeconfig and --kubernetes-version optional, --disable-appdeployments from 2.3, each
// provider's own machine flags and nothing else, the provider list of each DKP minor — and the
// product passes a vSphere cluster's template to its node pools and the inventory's
// capiComponents args to `dkp upgrade capi-components`.

import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadInventory } from '../../src/effects/inventory-files.js'
import { API, dig } from '../../src/fleet/objects.js'
import { seedFleet } from '../../src/fleet/seed.js'
import { type Simulator, startSimulator } from '../../src/fleet/sim/index.js'
import { runStandin } from '../../src/fleet/standin/main.js'
import { useTestCluster } from '../kube/harness.js'
import { dkp } from './fleet-helpers.js'
import { makeShim, root, type Shim, stageRunner } from './stages-konvoy-helpers.js'

const tc = useTestCluster()
const NS_B = 'team-b-m4q9z' // build-1 (vsphere) lives in workspace team-b
let sim: Simulator
let shim: Shim
let kc: string

/** The stand-in with a clean environment: no KUBECONFIG unless given, HOME as given. */
const standin = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  dkp(args, { KUBECONFIG: undefined, DKP_STANDIN_VERSION: 'v2.8.1', ...env })

beforeAll(async () => {
  kc = tc.kubeconfigPath
  const { inventory } = await loadInventory('examples/fleet.yaml')
  await seedFleet(tc.kube, inventory, { dkp: 'v2.7.1', kubeconfig: readFileSync(kc, 'utf8') })
  sim = await startSimulator(tc.kube, { intervalMs: 50 })
  shim = await makeShim('provider-facts')
}, 240_000)

afterAll(async () => {
  await sim?.stop()
})

describe('the stand-in: --kubeconfig is optional like a cobra/client-go CLI', () => {
  it('absent: $KUBECONFIG, else ~/.kube/config; a missing file is a failure (exit 1)', async () => {
    const names = (out: string) =>
      (JSON.parse(out) as { items: { metadata: { name: string } }[] }).items
        .map((w) => w.metadata.name)
        .sort()

    const fromEnv = await standin(['get', 'workspaces', '-o', 'json'], { KUBECONFIG: kc })
    expect(fromEnv.stderr).toBe('')
    expect(fromEnv.code).toBe(0)
    expect(names(fromEnv.stdout)).toEqual(expect.arrayContaining(['edge', 'team-a', 'team-b']))

    const home = mkdtempSync(join(tmpdir(), 'standin-home-'))
    mkdirSync(join(home, '.kube'))
    writeFileSync(join(home, '.kube', 'config'), readFileSync(kc))
    const fromHome = await standin(['get', 'workspaces', '-o', 'json'], { HOME: home })
    expect(fromHome.code).toBe(0)
    expect(names(fromHome.stdout)).toEqual(names(fromEnv.stdout))

    const missing = await standin(['get', 'workspaces'], { KUBECONFIG: join(home, 'nope') })
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/^Error: failed to load kubeconfig .*nope/)
  })
})

describe('the stand-in: --kubernetes-version is optional (the release default)', () => {
  it('update controlplane without it moves to the CLI release default (v2.8.1 → v1.28.7)', async () => {
    const before = await tc.kube.get(API.controlPlane, 'KubeadmControlPlane', 'build-2-control-plane', NS_B)
    expect(dig(before, 'spec', 'version')).toBe('v1.27.6')
    const r = await standin(
      [
        'update',
        'controlplane',
        'vsphere',
        '-c',
        'build-2',
        '-n',
        NS_B,
        '--vm-template=ubuntu-2204-kube-v1.28.7',
        '--wait=false',
      ],
      { KUBECONFIG: kc },
    )
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const after = await tc.kube.get(API.controlPlane, 'KubeadmControlPlane', 'build-2-control-plane', NS_B)
    expect(dig(after, 'spec', 'version')).toBe('v1.28.7')
    // the template flag gave the control plane a new machine template
    expect(dig(after, 'spec', 'machineTemplate', 'infrastructureRef', 'name')).not.toBe(
      dig(before, 'spec', 'machineTemplate', 'infrastructureRef', 'name'),
    )
  })

  it('the help shows the default per release', async () => {
    const v23 = await standin(['update', 'nodepool', 'aws', '--help'], { DKP_STANDIN_VERSION: 'v2.3.1' })
    expect(v23.stdout).toMatch(
      /--kubernetes-version string\s+The Kubernetes version to update to \(default "v1\.23\.7"\)/,
    )
  })
})

describe('the stand-in: --disable-appdeployments follows the release', () => {
  it('absent in 2.2 (unknown flag, exit 1); default [fluent-bit] on upgrade kommander from 2.3', async () => {
    const v22 = await standin(
      ['upgrade', 'kommander', '--disable-appdeployments=fluent-bit', '--kubeconfig', kc],
      {
        DKP_STANDIN_VERSION: 'v2.2.3',
      },
    )
    expect(v22.code).toBe(1)
    expect(v22.stderr).toMatch(/^Error: unknown flag: --disable-appdeployments\n/)
    const help22 = await standin(['upgrade', 'kommander', '--help'], { DKP_STANDIN_VERSION: 'v2.2.3' })
    expect(help22.code).toBe(0)
    expect(help22.stdout).not.toContain('disable-appdeployments')
    for (const v of ['v2.3.0', 'v2.8.1']) {
      const help = await standin(['upgrade', 'kommander', '--help'], { DKP_STANDIN_VERSION: v })
      expect(help.stdout).toMatch(/--disable-appdeployments strings\s+.*\(default \[fluent-bit\]\)/)
      const ws = await standin(['upgrade', 'workspace', '--help'], { DKP_STANDIN_VERSION: v })
      expect(ws.stdout).toMatch(/--disable-appdeployments strings/)
      expect(ws.stdout).not.toContain('(default [fluent-bit])')
    }
  })
})

describe('the stand-in: each provider takes its own flags, each DKP minor its own providers', () => {
  const OWN: Record<string, { controlplane: string[]; nodepool: string[] }> = {
    aws: {
      controlplane: ['--ami=ami-1', '--instance-type=m5.xlarge'],
      nodepool: ['--ami=ami-1', '--instance-type=m5.xlarge'],
    },
    azure: { controlplane: ['--machine-size=Standard_D4s_v3'], nodepool: ['--machine-size=Standard_D4s_v3'] },
    vsphere: {
      controlplane: ['--cpus=4', '--disk-size=80', '--memory=16384', '--vm-template=t'],
      nodepool: ['--cpus=4', '--disk-size=80', '--memory=16384', '--vm-template=t'],
    },
    eks: { controlplane: [], nodepool: ['--instance-type=m5.xlarge'] },
    preprovisioned: { controlplane: [], nodepool: [] },
    gcp: {
      controlplane: ['--image=img', '--image-family=fam', '--instance-type=n2-standard-4'],
      nodepool: ['--image=img', '--image-family=fam', '--instance-type=n2-standard-4'],
    },
  }
  const ALL = [
    '--ami=x',
    '--instance-type=x',
    '--machine-size=x',
    '--cpus=1',
    '--disk-size=1',
    '--memory=1',
    '--vm-template=x',
    '--image=x',
    '--image-family=x',
  ]
  const nameOf = (flag: string) => flag.slice(2, flag.indexOf('='))

  /** In-process (the same parser the process runs; --help stops before any API call). */
  async function inProcess(argv: string[]): Promise<{ code: number; stderr: string }> {
    let stderr = ''
    const code = await runStandin(argv, {
      stdout: () => {},
      stderr: (t) => {
        stderr += t
      },
      env: { DKP_STANDIN_VERSION: 'v2.8.1' },
    })
    return { code, stderr }
  }

  it('own flags accepted, every other provider flag refused like cobra (exit 1, unknown flag)', async () => {
    const failures: string[] = []
    for (const [provider, own] of Object.entries(OWN)) {
      for (const which of ['controlplane', 'nodepool'] as const) {
        const base = ['update', which, provider, ...(which === 'nodepool' ? ['np'] : []), '-c', 'x']
        const ok = await inProcess([...base, ...own[which], '--help'])
        if (ok.code !== 0) failures.push(`${provider} ${which} ${own[which].join(' ')}: ${ok.stderr}`)
        const ownNames = new Set(own[which].map(nameOf))
        for (const flag of ALL.filter((f) => !ownNames.has(nameOf(f)))) {
          const bad = await inProcess([...base, flag, '--help'])
          if (bad.code !== 1 || !bad.stderr.startsWith(`Error: unknown flag: --${nameOf(flag)}\n`))
            failures.push(`${provider} ${which} ${flag}: exit ${bad.code} ${bad.stderr.split('\n')[0]}`)
        }
      }
    }
    expect(failures).toEqual([])
    // The same through the real process, once each way.
    const own = await standin(['update', 'nodepool', 'gcp', 'np', '-c', 'x', '--image-family=f', '--help'])
    expect(own.code).toBe(0)
    const other = await standin(['update', 'nodepool', 'gcp', 'np', '-c', 'x', '--vm-template=t'])
    expect(other.code).toBe(1)
    expect(other.stderr).toMatch(/^Error: unknown flag: --vm-template\n/)
    expect(other.stderr).toContain('Usage:\n  dkp update nodepool gcp NODEPOOL_NAME [flags]')
  })

  it('2.2: aws, azure, preprovisioned; 2.3: + eks, vsphere; 2.4 on: + gcp; never aks', async () => {
    const listed = async (version: string) => {
      const help = await standin(['update', 'nodepool', '--help'], { DKP_STANDIN_VERSION: version })
      return help.stdout.match(/one of \[([^\]]*)\]/)?.[1]
    }
    expect(await listed('v2.2.3')).toBe('aws, azure, preprovisioned')
    expect(await listed('v2.3.2')).toBe('aws, azure, eks, preprovisioned, vsphere')
    expect(await listed('v2.4.0')).toBe('aws, azure, eks, gcp, preprovisioned, vsphere')
    expect(await listed('v2.8.1')).toBe('aws, azure, eks, gcp, preprovisioned, vsphere')
    const eks22 = await standin(['upgrade', 'addons', 'eks', '-c', 'x', '--kubeconfig', kc], {
      DKP_STANDIN_VERSION: 'v2.2.3',
    })
    expect(eks22.code).toBe(1)
    expect(eks22.stderr).toMatch(/^Error: unknown command "eks" for "dkp upgrade addons"/)
    const gcp23 = await standin(['update', 'controlplane', 'gcp', '-c', 'x'], {
      DKP_STANDIN_VERSION: 'v2.3.2',
    })
    expect(gcp23.stderr).toMatch(/^Error: unknown command "gcp" for "dkp update controlplane"/)
    const aks = await standin(['update', 'nodepool', 'aks', 'np', '-c', 'x'])
    expect(aks.stderr).toMatch(/^Error: unknown command "aks" for "dkp update nodepool"/)
  })
})

describe('the product passes provider args through', () => {
  it('kubernetes on a vsphere cluster: the control plane template goes to its node pools', async () => {
    const r = stageRunner(kc, 'examples/fleet.yaml', () => shim)
    const res = await r.run('kubernetes', 'build-1', { dryRun: true })
    expect(res.status, res.log).toBe('dry-run')
    expect(res.commands).toEqual([
      expect.stringMatching(
        /^dkp update controlplane vsphere --cluster-name=build-1 -n team-b-m4q9z --kubernetes-version=v1\.28\.7 --vm-template=ubuntu-2204-kube-v1\.28\.7 --kubeconfig=/,
      ),
      expect.stringMatching(
        /^dkp update nodepool vsphere build-1-md-0 --cluster-name=build-1 -n team-b-m4q9z --kubernetes-version=v1\.28\.7 --vm-template=ubuntu-2204-kube-v1\.28\.7 --kubeconfig=/,
      ),
    ])
    // …and the stand-in (the real CLI's flag set) takes that node pool command as it is.
    const np = await standin(
      [
        'update',
        'nodepool',
        'vsphere',
        'build-1-md-0',
        '--cluster-name=build-1',
        '-n',
        NS_B,
        '--kubernetes-version=v1.28.7',
        '--vm-template=ubuntu-2204-kube-v1.28.7',
        '--wait=false',
        `--kubeconfig=${kc}`,
      ],
      {},
    )
    expect(np.stderr).toBe('')
    expect(np.code).toBe(0)
    const md = await tc.kube.get(API.cluster, 'MachineDeployment', 'build-1-md-0', NS_B)
    expect(dig(md, 'spec', 'template', 'spec', 'version')).toBe('v1.28.7')
  })

  it('capi-components: management.capiComponents.args reach the command, and the stand-in takes them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'capi-args-'))
    const file = join(dir, 'fleet.yaml')
    writeFileSync(
      file,
      readFileSync(join(root, 'examples/fleet.yaml'), 'utf8').replace(
        '  kubeconfigEnv: DKP_MGMT_KUBECONFIG\n',
        '  kubeconfigEnv: DKP_MGMT_KUBECONFIG\n  capiComponents: { args: { with-aws-bootstrap-credentials: true } }\n',
      ),
    )
    const r = stageRunner(kc, file, () => shim)
    const res = await r.run('capi-components', undefined, { dryRun: true })
    expect(res.status, res.log).toBe('dry-run')
    expect(res.commands).toEqual([
      expect.stringMatching(
        /^dkp upgrade capi-components --with-aws-bootstrap-credentials=true --kubeconfig=/,
      ),
    ])
    const help = await standin([
      'upgrade',
      'capi-components',
      '--with-aws-bootstrap-credentials=true',
      '--help',
    ])
    expect(help.code).toBe(0)
  })
})
