// A throwaway Kubernetes control plane: etcd + kube-apiserver on loopback with random ports, a
// self-signed serving certificate, token auth (an admin in system:masters, a reader in
// dkp-readers), RBAC on. Used by the integration tests (test/kube/harness.ts) and by the
// `dkp-fleet fleet up` daemon. Recipe: reference/test-apiserver.md §2; docs/test-fleet.md.
// The binaries come from kube-bins.ts, the process groups from process-groups.ts.

import type { ChildProcess } from 'node:child_process'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WorkError } from '../core/errors.js'
import { checkBins, type KubeBins, resolveKubeBins } from './kube-bins.js'
import { sleep, spawnDaemon, stopGroup, tail } from './process-groups.js'

export { type KubeBins, packageRoot, resolveKubeBins } from './kube-bins.js'
export { isAlive, stopGroup } from './process-groups.js'

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
  /** More kube-apiserver flags (e.g. `--runtime-config=…` to serve a beta API). */
  apiserverFlags?: string[]
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

/** Tokens of the two users (token-auth file) and the service-account signing key, written to `dir`. */
function writeCredentials(dir: string): { adminToken: string; readerToken: string } {
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
  return { adminToken, readerToken }
}

function etcdArgs(dir: string, etcdUrl: string, peerUrl: string): string[] {
  return [
    '--name=it',
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=${etcdUrl}`,
    `--advertise-client-urls=${etcdUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=it=${peerUrl}`,
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ]
}

function apiserverArgs(dir: string, etcdUrl: string, server: string, apiPort: number): string[] {
  return [
    `--etcd-servers=${etcdUrl}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${apiPort}`,
    `--cert-dir=${join(dir, 'pki')}`,
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
}

/** One start of etcd + kube-apiserver: the processes, their readiness and their stop. */
class Daemons {
  readonly log: (line: string) => void
  readonly timeoutMs: number
  readonly dir: string
  readonly pki: string
  readonly etcdLog: string
  readonly apiLog: string
  readonly etcdUrl: string
  readonly server: string
  readonly apiArgs: string[]
  readonly etcd: ChildProcess
  apiserver: ChildProcess
  /** The serving certificate, once the apiserver wrote it. */
  ca: Buffer | undefined
  stopped: Promise<void> | undefined

  constructor(
    private readonly bins: KubeBins,
    readonly options: ControlPlaneOptions,
    ports: number[],
    private readonly adminToken: string,
  ) {
    const [etcdPort, peerPort, apiPort] = ports as [number, number, number]
    this.log = options.log ?? (() => {})
    this.timeoutMs = options.timeoutMs ?? 90_000
    this.dir = options.dir ?? ''
    this.pki = join(this.dir, 'pki')
    this.etcdLog = join(this.dir, 'etcd.log')
    this.apiLog = join(this.dir, 'kube-apiserver.log')
    this.etcdUrl = `http://127.0.0.1:${etcdPort}`
    this.server = `https://127.0.0.1:${apiPort}`
    this.apiArgs = [
      ...apiserverArgs(this.dir, this.etcdUrl, this.server, apiPort),
      ...(options.apiserverFlags ?? []),
    ]
    this.etcd = spawnDaemon(
      bins.etcd,
      etcdArgs(this.dir, this.etcdUrl, `http://127.0.0.1:${peerPort}`),
      this.etcdLog,
    )
    this.apiserver = spawnDaemon(bins.kubeApiserver, this.apiArgs, this.apiLog)
  }

  /** Why a daemon is gone (a port race throws), or undefined while it runs. */
  died(child: ChildProcess, name: string, file: string): string | undefined {
    if (child.exitCode === null && child.signalCode === null) return undefined
    const text = tail(file)
    if (/address already in use/.test(text)) throw new PortRace(`${name}: address already in use`)
    return `${name} exited (${child.exitCode ?? child.signalCode}); last lines of ${file}:\n${text}`
  }

  etcdReady(): Promise<void> {
    return waitFor(
      'etcd',
      this.timeoutMs,
      async () => {
        const r = await httpGet(`${this.etcdUrl}/health`)
        return r.status === 200 || `GET /health: ${r.status || r.body}`
      },
      () => this.died(this.etcd, 'etcd', this.etcdLog),
    )
  }

  /** Ready: the serving certificate written, /readyz 200, and the admin can read a namespace. */
  apiserverReady(what: string): Promise<void> {
    const apiserver = this.apiserver
    return waitFor(
      what,
      this.timeoutMs,
      async () => {
        const crt = join(this.pki, 'apiserver.crt')
        if (!this.ca) {
          if (!existsSync(crt) || statSync(crt).size === 0) return 'no serving certificate yet'
          this.ca = readFileSync(crt)
        }
        const ready = await httpsGet(`${this.server}/readyz`, this.ca)
        if (ready.status !== 200) return `GET /readyz: ${ready.status || ready.body}`
        const ns = await httpsGet(`${this.server}/api/v1/namespaces/default`, this.ca, this.adminToken)
        return ns.status === 200 || `GET /api/v1/namespaces/default: ${ns.status || ns.body}`
      },
      () => this.died(apiserver, 'kube-apiserver', this.apiLog) ?? this.died(this.etcd, 'etcd', this.etcdLog),
    )
  }

  /** Same port, flags, cert dir (the serving certificate is reused) and etcd: a restart, not a new cluster. */
  async restartApiserver(pids: { apiserver: number }, opts: { downMs?: number } = {}): Promise<number> {
    if (this.stopped) throw new WorkError('restartApiserver: the control plane was stopped')
    const t0 = performance.now()
    await stopGroup(this.apiserver)
    if (opts.downMs) await sleep(opts.downMs)
    this.apiserver = spawnDaemon(this.bins.kubeApiserver, this.apiArgs, this.apiLog)
    pids.apiserver = this.apiserver.pid ?? 0
    await this.apiserverReady('kube-apiserver (restart)')
    const ms = Math.round(performance.now() - t0)
    this.log(`control plane: kube-apiserver restarted at ${this.server} in ${ms} ms`)
    return ms
  }

  stop(ownDir: boolean, keep: boolean): Promise<void> {
    this.stopped ??= (async () => {
      await stopGroup(this.apiserver)
      await stopGroup(this.etcd)
      if (!keep) {
        if (ownDir) rmSync(this.dir, { recursive: true, force: true })
        else
          for (const p of ['pki', 'etcd', 'sa.key', 'tokens.csv'])
            rmSync(join(this.dir, p), { recursive: true, force: true })
      } else this.log(`control plane: kept ${this.dir} (KUBE_IT_KEEP=1)`)
    })()
    return this.stopped
  }

  logs(): string {
    return `\n--- kube-apiserver.log (tail) ---\n${tail(this.apiLog)}\n--- etcd.log (tail) ---\n${tail(this.etcdLog)}`
  }
}

async function startOnce(bins: KubeBins, options: ControlPlaneOptions): Promise<ControlPlane> {
  const log = options.log ?? (() => {})
  const ownDir = !options.dir
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'dkp-kube-'))
  mkdirSync(dir, { recursive: true })
  const keep = options.keep ?? process.env.KUBE_IT_KEEP === '1'
  const started = performance.now()
  const ports = await distinctPorts(3)
  rmSync(join(dir, 'pki'), { recursive: true, force: true })
  rmSync(join(dir, 'etcd'), { recursive: true, force: true })
  const { adminToken, readerToken } = writeCredentials(dir)
  const d = new Daemons(bins, { ...options, dir }, ports, adminToken)
  const stop = () => d.stop(ownDir, keep)
  try {
    await d.etcdReady()
    log(`control plane: etcd ready after ${Math.round(performance.now() - started)} ms`)
    await d.apiserverReady('kube-apiserver')
    const caData = (d.ca as Buffer).toString('base64')
    const startupMs = Math.round(performance.now() - started)
    log(`control plane: kube-apiserver ready at ${d.server} after ${startupMs} ms`)
    const kubeconfigPath = join(dir, 'kubeconfig')
    const users = [
      { name: 'admin', token: adminToken },
      { name: 'reader', token: readerToken },
    ]
    writeFileSync(kubeconfigPath, JSON.stringify(kubeconfig(d.server, caData, users), null, 2), {
      mode: 0o600,
    })
    const pids = { etcd: d.etcd.pid ?? 0, apiserver: d.apiserver.pid ?? 0 }
    return {
      kubeconfigPath,
      server: d.server,
      caData,
      adminToken,
      readerToken,
      dir,
      pids,
      startupMs,
      kubeconfigFor: (user, token) =>
        JSON.stringify(kubeconfig(d.server, caData, [{ name: user, token }]), null, 2),
      restartApiserver: (opts) => d.restartApiserver(pids, opts),
      stop,
    }
  } catch (err) {
    const logs = d.logs()
    await stop()
    if (err instanceof PortRace) throw err
    throw new WorkError(`control plane did not start: ${(err as Error).message}${logs}`, { cause: err })
  }
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
