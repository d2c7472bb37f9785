// A throwaway Kubernetes control plane: etcd + kube-apiserver on loopback with random ports, a
// self-signed serving certificate, token auth (an admin in system:masters, a reader in
// dkp-readers), RBAC on. Used by the integration tests (test/kube/harness.ts) and by the
// `dkp-fleet fleet up` daemon. Recipe: reference/test-apiserver.md §2; docs/test-fleet.md.

import { type ChildProcess, spawn } from 'node:child_process'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import {
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { access } from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { WorkError } from '../core/errors.js'

export interface KubeBins {
  dir: string
  kubeApiserver: string
  etcd: string
}

export interface ControlPlaneOptions {
  /** Directory holding `kube-apiserver` and `etcd` (default: resolveKubeBins()). */
  binDir?: string
  /** Work directory (certs, etcd data, logs, kubeconfig). Default: a new temp dir, removed by stop(). */
  dir?: string
  /** Readiness timeout (default 90 s). */
  timeoutMs?: number
  /** Progress lines (default: none). */
  log?: (line: string) => void
  /** Keep the work dir after stop() (default: env KUBE_IT_KEEP=1). */
  keep?: boolean
}

export interface ControlPlane {
  /** kubeconfig (JSON) with contexts `admin` (current) and `reader`. */
  kubeconfigPath: string
  /** `https://127.0.0.1:<port>` */
  server: string
  /** Base64 PEM of the serving certificate chain (the kubeconfig's certificate-authority-data). */
  caData: string
  /** Bearer token of user `dkp-admin`, group `system:masters` (bypasses RBAC). */
  adminToken: string
  /** Bearer token of user `dkp-reader`, group `dkp-readers` (no permissions until bound). */
  readerToken: string
  /** Work directory: pki/, etcd/, *.log, kubeconfig, tokens.csv. */
  dir: string
  /** Process ids (each also its own process group id). */
  pids: { etcd: number; apiserver: number }
  /** Milliseconds from spawning etcd to the apiserver answering /api/v1/namespaces/default. */
  startupMs: number
  /** A kubeconfig for another user of this server (e.g. a ServiceAccount token). */
  kubeconfigFor(user: string, token: string): string
  /**
   * Stops kube-apiserver (SIGTERM to its group), waits `downMs`, starts it again with the same
   * port, flags, certificates and etcd (so objects survive, and `tokens.csv` is re-read), and
   * resolves with the milliseconds from stop to ready. For fault tests; `pids.apiserver` follows.
   */
  restartApiserver(options?: { downMs?: number }): Promise<number>
  /** SIGTERM to both process groups, SIGKILL after 10 s; removes the dir unless kept. Idempotent. */
  stop(): Promise<void>
}

// ---- binaries -------------------------------------------------------------------------------

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

async function checkBins(dir: string, from: string): Promise<KubeBins> {
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

// ---- processes --------------------------------------------------------------------------------

const live = new Set<number>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  // Last resort when the owner never called stop(): synchronous kills only.
  process.on('exit', () => {
    for (const pid of live) killGroup(pid, 'SIGKILL')
  })
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    try {
      process.kill(pid, signal)
    } catch {
      // already gone
    }
  }
}

/** True while `pid` exists and is not a zombie (an exited child nobody reaped yet). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return true // no /proc: trust kill(0)
  }
}

/** SIGTERM to the group, then SIGKILL after `graceMs`; resolves when the leader is gone. */
export async function stopGroup(child: ChildProcess | number, graceMs = 10_000): Promise<void> {
  const pid = typeof child === 'number' ? child : child.pid
  if (!pid) return
  const exited =
    typeof child === 'number' || child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((r) => child.once('exit', () => r()))
  killGroup(pid, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (isAlive(pid) && Date.now() < deadline) await sleep(50)
  if (isAlive(pid)) killGroup(pid, 'SIGKILL')
  try {
    process.kill(-pid, 'SIGKILL') // stragglers in the group (never the bare pid: it may be reused)
  } catch {
    // group empty
  }
  if (typeof child !== 'number') await Promise.race([exited, sleep(2000)])
  const reaped = Date.now() + 5000
  while (typeof child === 'number' && isAlive(pid) && Date.now() < reaped) await sleep(50)
  live.delete(pid)
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p))

/** Spawns in a new process group with output to `logFile`; dies with its parent when setpriv is available. */
function spawnDaemon(bin: string, args: string[], logFile: string): ChildProcess {
  const fd = openSync(logFile, 'a')
  // setpriv --pdeathsig: the kernel kills the child when the spawning thread dies (even by SIGKILL).
  const [cmd, argv] = SETPRIV ? [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', bin, ...args]] : [bin, args]
  const child = spawn(cmd, argv, { detached: true, stdio: ['ignore', fd, fd] })
  if (child.pid) live.add(child.pid)
  installExitHook()
  return child
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port
      srv.close(() => resolve(port))
    })
  })
}

function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

function httpsGet(
  url: string,
  ca: Buffer | undefined,
  token?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = https.get(
      url,
      {
        ca,
        rejectUnauthorized: ca !== undefined,
        headers: token ? { Authorization: `Bearer ${token}` } : {},
        timeout: 5000,
        agent: false,
      },
      (res) => {
        let body = ''
        res.on('data', (d: Buffer) => {
          body += d
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
        res.on('error', () => resolve({ status: 0, body }))
      },
    )
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', (e) => resolve({ status: 0, body: e.message }))
  })
}

async function waitFor(
  what: string,
  timeoutMs: number,
  check: () => Promise<string | true>,
  died: () => string | undefined,
) {
  const deadline = Date.now() + timeoutMs
  let last = ''
  for (let delay = 25; ; delay = Math.min(delay * 1.5, 250)) {
    const gone = died()
    if (gone) throw new WorkError(`${what}: ${gone}`)
    const r = await check()
    if (r === true) return
    last = r
    if (Date.now() > deadline) throw new WorkError(`${what}: not ready after ${timeoutMs / 1000} s (${last})`)
    await sleep(delay)
  }
}

// ---- the control plane ------------------------------------------------------------------------

/** Starts etcd + kube-apiserver; retries once on a port race. */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const bins = options.binDir
    ? await checkBins(options.binDir, 'binDir')
    : await resolveKubeBins({ log: options.log })
  try {
    return await startOnce(bins, options)
  } catch (err) {
    if (!(err instanceof PortRace)) throw err
    options.log?.(`control plane: port taken (${err.message}); retrying with new ports`)
    return startOnce(bins, options)
  }
}

class PortRace extends Error {}

async function startOnce(bins: KubeBins, options: ControlPlaneOptions): Promise<ControlPlane> {
  const log = options.log ?? (() => {})
  const timeoutMs = options.timeoutMs ?? 90_000
  const ownDir = !options.dir
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'dkp-kube-'))
  mkdirSync(dir, { recursive: true })
  const keep = options.keep ?? process.env.KUBE_IT_KEEP === '1'
  const started = performance.now()
  const [etcdPort, peerPort, apiPort] = await distinctPorts(3)
  const pki = join(dir, 'pki')
  rmSync(pki, { recursive: true, force: true })
  rmSync(join(dir, 'etcd'), { recursive: true, force: true })

  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  })
  writeFileSync(join(dir, 'sa.key'), privateKey, { mode: 0o600 })
  writeFileSync(join(dir, 'sa.pub'), publicKey)
  const adminToken = randomBytes(24).toString('hex')
  const readerToken = randomBytes(24).toString('hex')
  writeFileSync(
    join(dir, 'tokens.csv'),
    `${adminToken},dkp-admin,u1,"system:masters"\n${readerToken},dkp-reader,u2,"dkp-readers"\n`,
    { mode: 0o600 },
  )

  const etcdLog = join(dir, 'etcd.log')
  const apiLog = join(dir, 'kube-apiserver.log')
  const etcdUrl = `http://127.0.0.1:${etcdPort}`
  const peerUrl = `http://127.0.0.1:${peerPort}`
  const etcd = spawnDaemon(
    bins.etcd,
    [
      '--name=it',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=it=${peerUrl}`,
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ],
    etcdLog,
  )
  const server = `https://127.0.0.1:${apiPort}`
  const apiArgs = [
    `--etcd-servers=${etcdUrl}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${apiPort}`,
    `--cert-dir=${pki}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    '--advertise-address=127.0.0.1',
    '--endpoint-reconciler-type=none',
    `--token-auth-file=${join(dir, 'tokens.csv')}`,
    '--authorization-mode=RBAC',
    `--service-account-issuer=${server}`,
    `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
    `--service-account-key-file=${join(dir, 'sa.pub')}`,
    '--disable-admission-plugins=ServiceAccount,ResourceQuota',
    '--profiling=false',
  ]
  let apiserver = spawnDaemon(bins.kubeApiserver, apiArgs, apiLog)

  let stopped: Promise<void> | undefined
  const stop = () => {
    stopped ??= (async () => {
      await stopGroup(apiserver)
      await stopGroup(etcd)
      if (!keep) {
        if (ownDir) rmSync(dir, { recursive: true, force: true })
        else
          for (const p of ['pki', 'etcd', 'sa.key', 'tokens.csv'])
            rmSync(join(dir, p), { recursive: true, force: true })
      } else log(`control plane: kept ${dir} (KUBE_IT_KEEP=1)`)
    })()
    return stopped
  }
  const died = (child: ChildProcess, name: string, file: string) => () => {
    if (child.exitCode === null && child.signalCode === null) return undefined
    const text = tail(file)
    if (/address already in use/.test(text)) throw new PortRace(`${name}: address already in use`)
    return `${name} exited (${child.exitCode ?? child.signalCode}); last lines of ${file}:\n${text}`
  }

  try {
    await waitFor(
      'etcd',
      timeoutMs,
      async () => {
        const r = await httpGet(`${etcdUrl}/health`)
        return r.status === 200 || `GET /health: ${r.status || r.body}`
      },
      died(etcd, 'etcd', etcdLog),
    )
    log(`control plane: etcd ready after ${Math.round(performance.now() - started)} ms`)
    let ca: Buffer | undefined
    const apiserverReady = (what: string) => {
      const dead = died(apiserver, 'kube-apiserver', apiLog)
      return waitFor(
        what,
        timeoutMs,
        async () => {
          const crt = join(pki, 'apiserver.crt')
          if (!ca) {
            if (!existsSync(crt) || statSync(crt).size === 0) return 'no serving certificate yet'
            ca = readFileSync(crt)
          }
          const ready = await httpsGet(`${server}/readyz`, ca)
          if (ready.status !== 200) return `GET /readyz: ${ready.status || ready.body}`
          const ns = await httpsGet(`${server}/api/v1/namespaces/default`, ca, adminToken)
          return ns.status === 200 || `GET /api/v1/namespaces/default: ${ns.status || ns.body}`
        },
        () => dead() ?? died(etcd, 'etcd', etcdLog)(),
      )
    }
    await apiserverReady('kube-apiserver')
    const caData = (ca as Buffer).toString('base64')
    const startupMs = Math.round(performance.now() - started)
    log(`control plane: kube-apiserver ready at ${server} after ${startupMs} ms`)

    const kubeconfigFor = (user: string, token: string) =>
      JSON.stringify(kubeconfig(server, caData, [{ name: user, token }]), null, 2)
    const kubeconfigPath = join(dir, 'kubeconfig')
    writeFileSync(
      kubeconfigPath,
      JSON.stringify(
        kubeconfig(server, caData, [
          { name: 'admin', token: adminToken },
          { name: 'reader', token: readerToken },
        ]),
        null,
        2,
      ),
      { mode: 0o600 },
    )
    const pids = { etcd: etcd.pid ?? 0, apiserver: apiserver.pid ?? 0 }
    // Same port, flags, cert dir (the serving certificate is reused) and etcd: a restart, not a new cluster.
    const restartApiserver = async (opts: { downMs?: number } = {}) => {
      if (stopped) throw new WorkError('restartApiserver: the control plane was stopped')
      const t0 = performance.now()
      await stopGroup(apiserver)
      if (opts.downMs) await sleep(opts.downMs)
      apiserver = spawnDaemon(bins.kubeApiserver, apiArgs, apiLog)
      pids.apiserver = apiserver.pid ?? 0
      await apiserverReady('kube-apiserver (restart)')
      const ms = Math.round(performance.now() - t0)
      log(`control plane: kube-apiserver restarted at ${server} in ${ms} ms`)
      return ms
    }
    return {
      kubeconfigPath,
      server,
      caData,
      adminToken,
      readerToken,
      dir,
      pids,
      startupMs,
      kubeconfigFor,
      restartApiserver,
      stop,
    }
  } catch (err) {
    const logs = `\n--- kube-apiserver.log (tail) ---\n${tail(apiLog)}\n--- etcd.log (tail) ---\n${tail(etcdLog)}`
    await stop()
    if (err instanceof PortRace) throw err
    throw new WorkError(`control plane did not start: ${(err as Error).message}${logs}`, { cause: err })
  }
}

async function distinctPorts(n: number): Promise<number[]> {
  const ports = new Set<number>()
  while (ports.size < n) ports.add(await freePort())
  return [...ports]
}

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 5000, agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: '' }))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', (e) => resolve({ status: 0, body: e.message }))
  })
}

/** A kubeconfig object (JSON is valid YAML) with one context per user, the first current. */
export function kubeconfig(server: string, caData: string, users: { name: string; token: string }[]) {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'dkp-fleet', cluster: { server, 'certificate-authority-data': caData } }],
    users: users.map((u) => ({ name: u.name, user: { token: u.token } })),
    contexts: users.map((u) => ({ name: u.name, context: { cluster: 'dkp-fleet', user: u.name } })),
    'current-context': users[0]?.name ?? '',
  }
}
