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
  let status: DaemonStatus = { phase: 'starting', pid: process.pid }
  const report = (next: Partial<DaemonStatus>) => {
    status = { ...status, ...next }
    writeFileSync(join(dir, 'status.json.tmp'), JSON.stringify(status, null, 2))
    renameSync(join(dir, 'status.json.tmp'), join(dir, 'status.json')) // atomic for readers
  }
  report({ message: 'starting the control plane' })

  let cp: ControlPlane | undefined
  let sim: RunningSimulator | undefined
  let kube: Kube | undefined
  let stopping: Promise<void> | undefined
  const shutdown = (why: string) => {
    stopping ??= (async () => {
      log(`fleet: stopping (${why})`)
      report({ phase: 'stopping', message: why })
      await Promise.resolve(sim?.stop()).catch((e: unknown) => log(`simulator stop: ${(e as Error).message}`))
      kube?.close()
      await cp?.stop()
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
    const { startControlPlane } = await import('./control-plane.js')
    const { Kube } = await import('../effects/kube.js')
    const { fleetCrds, installCrds } = await import('./crds.js')
    cp = await startControlPlane({ dir: join(dir, 'cp'), log })
    report({ server: cp.server, pids: cp.pids, startupMs: cp.startupMs, message: 'installing CRDs' })
    const kubeconfig = join(dir, 'kubeconfig')
    copyFileSync(cp.kubeconfigPath, kubeconfig)
    kube = Kube.fromFile(kubeconfig)
    const crdMs = await installCrds(kube, await fleetCrds({ dir: process.env.DKP_FLEET_CRD_DIR, log }))
    log(`fleet: CRDs installed in ${crdMs} ms`)
    report({ crdMs, kubeconfig })

    if (!values.bare) {
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
      sim = await p.simulate(kube)
      report({ simulator: true })
      log('fleet: simulated controllers running')
    }
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
