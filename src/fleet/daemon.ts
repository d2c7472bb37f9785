// The local fleet daemon (dist/fleet-daemon.js), started detached by `dkp-fleet fleet up`:
// starts etcd + kube-apiserver, installs the CRDs, seeds the inventory's fleet at --dkp and runs
// the simulated controllers until SIGTERM/SIGINT, then stops everything. It reports through
// <dir>/status.json (see DaemonStatus in fleet.ts); its stdout/stderr go to <dir>/daemon.log.
//
//   node dist/fleet-daemon.js --dir D --dkp v2.7.0 --inventory F [--inventory F2] [--bare]

import { copyFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { Inventory } from '../core/model.js'
import type { Kube } from '../effects/kube.js'
import type { ControlPlane } from './control-plane.js'
import type { DaemonStatus } from './fleet.js'

/** The simulated controllers, as the daemon uses them (src/fleet/sim/index.ts). */
export interface RunningSimulator {
  stop(): Promise<void> | void
}

export interface DaemonParts {
  seed(
    kube: Kube,
    inventory: Inventory,
    opts: { dkp: string; kubeconfig: string },
  ): Promise<DaemonStatus['seed']>
  simulate(kube: Kube): Promise<RunningSimulator>
}

const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`)

async function defaultParts(): Promise<DaemonParts> {
  return {
    async seed(kube, inventory, opts) {
      const { seedFleet } = await import('./seed.js')
      const r = await seedFleet(kube, inventory, opts)
      return { objects: r.objects, ms: r.ms, dkp: r.dkp, kubernetes: r.kubernetes }
    },
    async simulate(kube) {
      const { startSimulator } = await import('./sim/index.js')
      return startSimulator(kube, { log })
    },
  }
}

/** What a running daemon holds (stopped in reverse order). */
interface Running {
  cp?: ControlPlane
  sim?: RunningSimulator
  kube?: Kube
}

type Report = (next: Partial<DaemonStatus>) => void

export async function runDaemon(argv: string[], parts?: DaemonParts): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      dir: { type: 'string' },
      dkp: { type: 'string' },
      inventory: { type: 'string', multiple: true },
      bare: { type: 'boolean', default: false },
    },
    strict: true,
  })
  const dir = values.dir
  if (!dir) throw new Error('fleet-daemon: --dir is required')
  const report = statusWriter(dir)
  report({ message: 'starting the control plane' })

  const running: Running = {}
  let stopping: Promise<void> | undefined
  const shutdown = (why: string) => {
    stopping ??= (async () => {
      log(`fleet: stopping (${why})`)
      report({ phase: 'stopping', message: why })
      await Promise.resolve(running.sim?.stop()).catch((e: unknown) =>
        log(`simulator stop: ${(e as Error).message}`),
      )
      running.kube?.close()
      await running.cp?.stop()
      report({ phase: 'stopped' })
    })()
    return stopping
  }
  const stopped = new Promise<void>((resolve) => {
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
      process.once(sig, () => void shutdown(sig).then(resolve))
    }
  })

  try {
    const kubeconfig = await startCluster(dir, running, report)
    if (!values.bare) await seedAndSimulate(values, running, report, parts)
    report({ phase: 'ready', message: 'ready' })
    log(`fleet: ready: export KUBECONFIG=${kubeconfig}`)
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    log(`fleet: failed: ${message}`)
    if (err instanceof Error && err.stack) log(err.stack)
    await shutdown('start-up failed')
    report({ phase: 'failed', message })
    return 1
  }
  await stopped
  return 0
}

/** Writes status.json (atomically for readers), merging each update into the last status. */
function statusWriter(dir: string): Report {
  let status: DaemonStatus = { phase: 'starting', pid: process.pid }
  return (next) => {
    status = { ...status, ...next }
    writeFileSync(join(dir, 'status.json.tmp'), JSON.stringify(status, null, 2))
    renameSync(join(dir, 'status.json.tmp'), join(dir, 'status.json'))
  }
}

/** The control plane with the DKP CRDs; returns the kubeconfig path the fleet's users read. */
async function startCluster(dir: string, running: Running, report: Report): Promise<string> {
  const { startControlPlane } = await import('./control-plane.js')
  const { Kube } = await import('../effects/kube.js')
  const { fleetCrds, installCrds } = await import('./crds.js')
  const cp = await startControlPlane({ dir: join(dir, 'cp'), log })
  running.cp = cp
  report({ server: cp.server, pids: cp.pids, startupMs: cp.startupMs, message: 'installing CRDs' })
  const kubeconfig = join(dir, 'kubeconfig')
  copyFileSync(cp.kubeconfigPath, kubeconfig)
  const kube = Kube.fromFile(kubeconfig)
  running.kube = kube
  const crdMs = await installCrds(kube, await fleetCrds({ dir: process.env.DKP_FLEET_CRD_DIR, log }))
  log(`fleet: CRDs installed in ${crdMs} ms`)
  report({ crdMs, kubeconfig })
  return kubeconfig
}

/** The inventory's fleet seeded at --dkp, then the simulated controllers started. */
async function seedAndSimulate(
  values: { inventory?: string[]; dkp?: string },
  running: Running,
  report: Report,
  parts?: DaemonParts,
): Promise<void> {
  const { cp, kube } = running as Required<Pick<Running, 'cp' | 'kube'>>
  const { loadInventory } = await import('../effects/inventory-files.js')
  const files = values.inventory ?? []
  if (files.length === 0) throw new Error('fleet-daemon: --inventory is required unless --bare')
  if (!values.dkp) throw new Error('fleet-daemon: --dkp is required unless --bare')
  const { inventory } = await loadInventory(files)
  const p = parts ?? (await defaultParts())
  report({ message: `seeding the fleet at DKP ${values.dkp}` })
  const seed = await p.seed(kube, inventory, {
    dkp: values.dkp,
    kubeconfig: cp.kubeconfigFor('admin', cp.adminToken),
  })
  log(
    `fleet: seeded ${seed?.objects ?? '?'} objects at DKP ${seed?.dkp ?? values.dkp} in ${seed?.ms ?? '?'} ms`,
  )
  report({ seed })
  running.sim = await p.simulate(kube)
  report({ simulator: true })
  log('fleet: simulated controllers running')
}

// Entry point when run as a program (dist/fleet-daemon.js or `node --import tsx src/fleet/daemon.ts`).
const entry = process.argv[1] ?? ''
if (/fleet-daemon\.js$|daemon\.ts$/.test(entry)) {
  runDaemon(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      log(`fleet-daemon: ${err instanceof Error ? err.message : String(err)}`)
      process.exit(2)
    },
  )
}
