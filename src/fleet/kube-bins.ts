// The kube-apiserver and etcd binaries of the test control plane: `$KUBE_BIN_DIR`, or built
// (and cached) by test/kube/build-bins.sh; and the package root the build script lives under.

import { spawn } from 'node:child_process'
import { constants, existsSync, readFileSync } from 'node:fs'
import { access } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { WorkError } from '../core/errors.js'

export interface KubeBins {
  dir: string
  kubeApiserver: string
  etcd: string
}

/** The package root (holding package.json), from src/fleet/ or from dist/ (bundled). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const pj = join(dir, 'package.json')
    if (existsSync(pj)) {
      try {
        if (JSON.parse(readFileSync(pj, 'utf8')).name === 'dkp-fleet-upgrade') return dir
      } catch {
        // not ours; keep looking
      }
    }
    const up = dirname(dir)
    if (up === dir) throw new WorkError('cannot find the dkp-fleet-upgrade package root (package.json)')
    dir = up
  }
}

/**
 * kube-apiserver and etcd: `$KUBE_BIN_DIR` when set, else built (or reused from the cache) by
 * test/kube/build-bins.sh, which needs Go and the Go module proxy on a cold cache.
 */
export async function resolveKubeBins(
  options: { log?: (line: string) => void; env?: NodeJS.ProcessEnv } = {},
) {
  const env = options.env ?? process.env
  const fromEnv = env.KUBE_BIN_DIR
  if (fromEnv) return checkBins(fromEnv, 'KUBE_BIN_DIR')
  const script = join(packageRoot(), 'test', 'kube', 'build-bins.sh')
  if (!existsSync(script)) {
    throw new WorkError(`kube-apiserver/etcd: KUBE_BIN_DIR is not set and ${script} is missing`)
  }
  const { code, stdout, stderr } = await run('bash', [script], env, options.log)
  const dir = stdout.trim().split('\n').pop() ?? ''
  if (code !== 0 || !dir) {
    const tail = stderr.trim().split('\n').slice(-15).join('\n')
    const why = code === 3 ? 'no Go toolchain on PATH' : `exit code ${code}`
    throw new WorkError(
      `cannot build kube-apiserver and etcd (test/kube/build-bins.sh: ${why}). Install Go ≥ 1.24 with access ` +
        `to the Go module proxy, or set KUBE_BIN_DIR to a directory holding both binaries.\n${tail}`,
    )
  }
  return checkBins(dir, 'test/kube/build-bins.sh')
}

export async function checkBins(dir: string, from: string): Promise<KubeBins> {
  const bins = { dir, kubeApiserver: join(dir, 'kube-apiserver'), etcd: join(dir, 'etcd') }
  for (const p of [bins.kubeApiserver, bins.etcd]) {
    try {
      await access(p, constants.X_OK)
    } catch {
      throw new WorkError(`${from}: ${p} is missing or not executable`)
    }
  }
  return bins
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, log?: (line: string) => void) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => {
      stdout += d
    })
    child.stderr.on('data', (d: Buffer) => {
      stderr += d
      if (log) for (const line of String(d).split('\n')) if (line.trim()) log(line)
    })
    child.on('error', (err) => resolve({ code: 127, stdout, stderr: `${stderr}\n${err.message}` }))
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }))
  })
}
