// dkp dies with dkp-fleet (issue 15, item 5), proven in real processes: a parent Node process
// runs a dkp stand-in through DkpRunner; the test SIGKILLs the parent (no handler runs) or
// SIGSTOPs it (alive, not running), and checks that the stand-in — and the child it started —
// is gone within the bound. Also: a dkp that cannot start is reported as such, and the caller's
// NODE_OPTIONS reach dkp without touching the watchdog's own Node.

import { type ChildProcess, spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { DkpError, DkpRunner } from '../../src/effects/dkp-runner.js'

const ROOT = resolve(import.meta.dirname, '../..')
const children: ChildProcess[] = []
afterEach(() => {
  for (const c of children.splice(0)) {
    try {
      process.kill(c.pid!, 'SIGCONT')
      c.kill('SIGKILL')
    } catch {}
  }
})

/** Running, not exited (a zombie counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !/^\d+ \(.*\) [ZX] /.test(stat)
  } catch {
    return false
  }
}

async function until(what: string, check: () => boolean, ms: number): Promise<number> {
  const started = Date.now()
  while (!check()) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms: ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
  return Date.now() - started
}

/** A dkp stand-in that records its pid and its child's pid, then waits (ignoring SIGTERM once). */
function standIn(dir: string): string {
  const file = join(dir, 'dkp')
  writeFileSync(
    file,
    `#!/bin/sh\necho $$ > ${dir}/dkp.pid\nsleep 300 &\necho $! > ${dir}/child.pid\necho "NODE_OPTIONS=$NODE_OPTIONS"\nwait\n`,
  )
  chmodSync(file, 0o755)
  return file
}

/** A real parent process running the stand-in through DkpRunner (TypeScript source under tsx). */
function parent(dir: string, opts: { orphanMs?: number; nodeOptions?: string } = {}): ChildProcess {
  const script = join(dir, 'parent.mts')
  writeFileSync(
    script,
    [
      `import { DkpRunner } from ${JSON.stringify(join(ROOT, 'src/effects/dkp-runner.ts'))}`,
      `const runner = new DkpRunner({ binary: ${JSON.stringify(join(dir, 'dkp'))}, kubeconfigPath: '/tmp/k', killGraceMs: 500${opts.orphanMs ? `, orphanMs: ${opts.orphanMs}` : ''}, onLine: (l) => console.log('dkp:', l) })`,
      `try { await runner.run({ args: ['update', 'nodepool'] }, new AbortController().signal); console.log('RESULT ok') }`,
      `catch (e) { console.log('RESULT', e.reason, e.message.split('\\n')[0]) }`,
    ].join('\n'),
  )
  const env: NodeJS.ProcessEnv = { ...process.env }
  delete env.NODE_OPTIONS
  if (opts.nodeOptions) env.NODE_OPTIONS = opts.nodeOptions
  const c = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.push(c)
  return c
}

const pidIn = (dir: string, f: string) => Number(readFileSync(join(dir, f), 'utf8'))

it('SIGKILL of dkp-fleet (no handler runs): the watchdog stops dkp and its child within the grace period', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dkp-watchdog-kill-'))
  standIn(dir)
  const p = parent(dir)
  await until('dkp to start', () => existsSync(join(dir, 'child.pid')), 20_000)
  const dkp = pidIn(dir, 'dkp.pid')
  const child = pidIn(dir, 'child.pid')
  expect(alive(dkp) && alive(child)).toBe(true)
  p.kill('SIGKILL')
  const ms = await until('dkp and its child to be gone', () => !alive(dkp) && !alive(child), 5000)
  console.log(`dkp gone ${ms} ms after SIGKILL of its parent`)
})

it('SIGSTOP of dkp-fleet: no heartbeat, so dkp is stopped; resumed, dkp-fleet reports why', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dkp-watchdog-stop-'))
  standIn(dir)
  const p = parent(dir, { orphanMs: 1000 })
  let out = ''
  p.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d
  })
  await until('dkp to start', () => existsSync(join(dir, 'child.pid')), 20_000)
  const dkp = pidIn(dir, 'dkp.pid')
  const child = pidIn(dir, 'child.pid')
  p.kill('SIGSTOP')
  const ms = await until('dkp and its child to be gone', () => !alive(dkp) && !alive(child), 8000)
  expect(ms).toBeGreaterThanOrEqual(800)
  p.kill('SIGCONT')
  await new Promise((r) => p.on('close', r))
  expect(out).toMatch(
    /RESULT orphaned dkp update nodepool --kubeconfig=\/tmp\/k was stopped by its watchdog: dkp-fleet was not running \(stopped or frozen\) for more than 1 s/,
  )
})

it("the caller's NODE_OPTIONS reach dkp, not the watchdog's Node", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dkp-watchdog-env-'))
  const file = join(dir, 'dkp')
  writeFileSync(file, '#!/bin/sh\necho "NODE_OPTIONS=$NODE_OPTIONS"\n')
  chmodSync(file, 0o755)
  const saved = process.env.NODE_OPTIONS
  // a preload that would break any Node started with it
  process.env.NODE_OPTIONS = '--require /nonexistent/preload.js'
  try {
    const out = await new DkpRunner({ binary: file, kubeconfigPath: '/tmp/k' }).run(
      { args: ['version'] },
      new AbortController().signal,
    )
    expect(out.stdout).toBe('NODE_OPTIONS=--require /nonexistent/preload.js')
  } finally {
    if (saved === undefined) delete process.env.NODE_OPTIONS
    else process.env.NODE_OPTIONS = saved
  }
})

it('a dkp that cannot be started is reported as such', async () => {
  const err = await new DkpRunner({ binary: '/nonexistent/dkp', kubeconfigPath: '/tmp/k' })
    .run({ args: ['version'] }, new AbortController().signal)
    .catch((e: unknown) => e)
  expect(err).toBeInstanceOf(DkpError)
  expect((err as DkpError).reason).toBe('spawn')
  expect((err as DkpError).message).toMatch(
    /^dkp version --kubeconfig=\/tmp\/k could not start: spawn \/nonexistent\/dkp ENOENT/,
  )
})
