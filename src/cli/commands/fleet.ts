// dkp-fleet fleet up|down: a local simulated DKP fleet (dev/demo). `up` prints only shell lines on
// stdout (progress goes to stderr), so `eval "$(npx dkp-fleet fleet up)"` works.

import { InputError } from '../../core/errors.js'
import { parseFlags } from '../args.js'
import type { Command } from '../io.js'

const USAGE = `Usage:
  dkp-fleet fleet up [-i <glob>]... [--dkp vX.Y.Z | --nkp vX.Y.Z] [--dir DIR] [--bare] [--demo]
  dkp-fleet fleet down

up    starts a real kube-apiserver + etcd with the DKP CRDs in the background, seeds the
      inventory's fleet (default: the package's examples/fleet.yaml) at --dkp (default: the
      release before the inventory's target), runs the simulated controllers, and prints
        export KUBECONFIG=...
        export PATH=<dir with the stand-in dkp>:$PATH
      --nkp: seed an NKP release (2.12+) instead; a patch of x (v2.13.x) takes the newest
      patch of that minor in the release table. The stand-in is on PATH as dkp and as nkp.
      --bare: control plane and CRDs only (no seeding, no controllers).
      --demo: the simulated controllers take realistic time (a control plane rolls in about
      30 s) instead of the fast test timing.
down  stops the fleet and removes its files.
`

export const command: Command = async (argv, io) => {
  const [sub, ...rest] = argv
  if (!sub || sub === '--help' || sub === '-h') {
    io.stdout(USAGE)
    return sub ? 0 : 2
  }
  const { fleetDown, fleetUp } = await import('../../fleet/fleet.js')
  const log = (line: string) => io.stderr(`${line}\n`)
  if (sub === 'up') {
    const { values } = parseFlags(rest, {
      inventory: { type: 'string', short: 'i', multiple: true },
      dkp: { type: 'string' },
      nkp: { type: 'string' },
      dir: { type: 'string' },
      bare: { type: 'boolean', default: false },
      demo: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    })
    if (values.help) {
      io.stdout(USAGE)
      return 0
    }
    const up = await fleetUp({
      inventory: values.inventory,
      dkp: values.dkp,
      nkp: values.nkp,
      dir: values.dir,
      bare: values.bare,
      cwd: io.cwd,
      env: values.demo ? { ...io.env, DKP_FLEET_SIM_MODE: 'demo' } : io.env,
      log,
    })
    io.stdout(up.exports)
    return 0
  }
  if (sub === 'down') {
    const { values } = parseFlags(rest, { help: { type: 'boolean', short: 'h', default: false } })
    if (values.help) {
      io.stdout(USAGE)
      return 0
    }
    if (!(await fleetDown({ env: io.env, log }))) log('fleet: no fleet is running')
    return 0
  }
  throw new InputError(`fleet: unknown subcommand "${sub}" (expected up or down)\n\n${USAGE}`)
}
