// The dkp runner: argument arrays, the job's environment passed through (provider
// credentials) minus the kubeconfig content, output lines kept for reports, and the process
// group killed on abort.

import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { DkpError, DkpRunner } from '../../src/effects/dkp-runner.js'

const saved = { ...process.env }
afterEach(() => {
  process.env = { ...saved }
})

/** Running, not exited (a zombie left to a non-reaping init counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !/^\d+ \(.*\) [ZX] /.test(stat)
  } catch {
    return false
  }
}

function script(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dkp-runner-'))
  const file = join(dir, 'dkp')
  writeFileSync(file, `#!/bin/sh\n${body}\n`)
  chmodSync(file, 0o755)
  return file
}

it('passes provider credentials through and withholds the kubeconfig content', async () => {
  process.env.AWS_ACCESS_KEY_ID = 'AKIAEXAMPLE'
  process.env.INPUT_KUBECONFIG = 'apiVersion: v1\nusers: [{user: {token: secret-token}}]'
  process.env.DKP_MGMT_KUBECONFIG = 'also-the-kubeconfig'
  const runner = new DkpRunner({
    binary: script('env'),
    kubeconfigPath: '/tmp/mgmt.kubeconfig',
    omitEnv: ['INPUT_KUBECONFIG', 'DKP_MGMT_KUBECONFIG'],
  })
  const out = await runner.run({ args: ['version'] }, new AbortController().signal)
  expect(out.stdout).toContain('AWS_ACCESS_KEY_ID=AKIAEXAMPLE')
  expect(out.stdout).not.toContain('secret-token')
  expect(out.stdout).not.toContain('also-the-kubeconfig')
})

it('appends --kubeconfig, keeps arguments as given, and records the command line', async () => {
  const runner = new DkpRunner({
    binary: script('for a in "$@"; do echo "[$a]"; done'),
    kubeconfigPath: '/tmp/k',
  })
  const out = await runner.run(
    { args: ['update', 'nodepool', 'aws', 'a b;$(x)'] },
    new AbortController().signal,
  )
  expect(out.stdout.split('\n')).toEqual([
    '[update]',
    '[nodepool]',
    '[aws]',
    '[a b;$(x)]',
    '[--kubeconfig=/tmp/k]',
  ])
  expect(runner.executed).toEqual(["dkp update nodepool aws 'a b;$(x)' --kubeconfig=/tmp/k"])
})

it('a non-zero exit names the command, exit code and last lines', async () => {
  const runner = new DkpRunner({ binary: script('echo one; echo two >&2; exit 3'), kubeconfigPath: '/tmp/k' })
  const err = await runner
    .run({ args: ['upgrade', 'kommander'] }, new AbortController().signal)
    .catch((e) => e)
  expect(err).toBeInstanceOf(DkpError)
  expect(err.message).toMatch(/^dkp upgrade kommander --kubeconfig=\/tmp\/k exited with code 3/)
  expect(err.tail).toEqual(['one', 'two'])
})

it('abort kills the whole process group', async () => {
  const pidFile = join(mkdtempSync(join(tmpdir(), 'dkp-runner-')), 'child.pid')
  const runner = new DkpRunner({
    binary: script(`sleep 30 & echo $! > ${pidFile}; wait`),
    kubeconfigPath: '/tmp/k',
    killGraceMs: 500,
  })
  const controller = new AbortController()
  const running = runner.run({ args: ['update', 'controlplane'] }, controller.signal).catch((e) => e)
  await new Promise((r) => setTimeout(r, 300))
  controller.abort(new Error('cancelled'))
  const err = await running
  expect(err).toBeInstanceOf(DkpError)
  expect(err.message).toMatch(/was cancelled and killed/)
  const child = Number(readFileSync(pidFile, 'utf8'))
  await new Promise((r) => setTimeout(r, 700))
  expect(alive(child), `pid ${child} (dkp's child) still running`).toBe(false)
})
