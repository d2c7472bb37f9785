// Kubeconfigs a tenant could put in a workload cluster's kubeconfig Secret on the management
// cluster, each trying to make dkp-fleet run a command, read a runner file or send credentials
// where they should not go; plus the tripwires that prove none of it happened:
//   - a marker file the exec plugin / auth-provider command would create;
//   - a "runner file" (stands for any file on the runner: a token, a key) whose access time is
//     set far in the past, so any read of it moves the atime (relatime updates an atime older
//     than 24 h), and whose content is recognisable in any output;
//   - a loopback HTTP listener that records every request (method, path, Authorization) and
//     answers 401 with a Status echoing the Authorization header, as a hostile server would.
// Shared by the in-process integration test and the CLI test of the reliability suite.

import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface Recorded {
  method: string
  path: string
  authorization: string | undefined
}

export interface Listener {
  url: string
  requests: Recorded[]
  close(): Promise<void>
}

/** A plain-HTTP listener on 127.0.0.1 that records every request and echoes its credentials back. */
export async function recordingListener(): Promise<Listener> {
  const requests: Recorded[] = []
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization })
    res.writeHead(401, { 'content-type': 'application/json' })
    res.end(
      JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'Unauthorized',
        code: 401,
        message: `hostile server saw Authorization: ${req.headers.authorization ?? '(none)'}`,
      }),
    )
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

export interface Tripwires {
  dir: string
  /** Created by the exec plugin / auth-provider command if it ever runs. */
  marker: string
  /** A runner file with recognisable content and an atime in 2001. */
  runnerFile: string
  runnerFileContent: string
  /** Whether the marker exists. */
  ran(): boolean
  /** Whether the runner file was read since the tripwires were set (its atime moved). */
  read(): boolean
  /** Sets the runner file's atime back to 2001 (after a positive control read it). */
  rearm(): void
}

export function tripwires(): Tripwires {
  const dir = mkdtempSync(join(tmpdir(), 'dkp-hostile-'))
  const marker = join(dir, 'marker-command-ran')
  const runnerFile = join(dir, 'runner-secret.txt')
  const runnerFileContent = `runner-file-${randomBytes(16).toString('hex')}`
  writeFileSync(runnerFile, runnerFileContent)
  const past = new Date('2001-01-01T00:00:00Z')
  const rearm = () => utimesSync(runnerFile, past, past)
  rearm()
  return {
    dir,
    marker,
    runnerFile,
    runnerFileContent,
    ran: () => existsSync(marker),
    read: () => statSync(runnerFile).atimeMs > past.getTime(),
    rearm,
  }
}

export interface Attack {
  /** Short label, used in Secret names: `exec`, `auth-provider`, … */
  name: string
  /** The kubeconfig field the error must name. */
  field: RegExp
  /** The kubeconfig (JSON text). */
  kubeconfig: string
}

const EXEC_CREDENTIAL =
  '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"from-exec"}}'

/**
 * One kubeconfig per attack. `server`/`caData`/`token` are the real test apiserver's, so the
 * only thing wrong with each kubeconfig is the attack itself; `listener` is the recording
 * listener (plain HTTP).
 */
export function attacks(
  real: { server: string; caData: string; token: string },
  wires: Tripwires,
  listener: { url: string },
): Attack[] {
  const config = (cluster: Record<string, unknown>, user: Record<string, unknown>) =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster }],
      users: [{ name: 'u', user }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    })
  const secure = { server: real.server, 'certificate-authority-data': real.caData }
  // @kubernetes/client-node speaks plain http only with insecure-skip-tls-verify set.
  const plainHttp = { 'insecure-skip-tls-verify': true }
  const touch = `touch '${wires.marker}'; echo '${EXEC_CREDENTIAL}'`
  return [
    {
      name: 'exec',
      field: /users\[0\]\.user\.exec/,
      kubeconfig: config(secure, {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1beta1',
          command: '/bin/sh',
          args: ['-c', touch],
          interactiveMode: 'Never',
        },
      }),
    },
    {
      name: 'auth-provider',
      field: /users\[0\]\.user\.auth-provider/,
      kubeconfig: config(secure, {
        'auth-provider': {
          name: 'gcp',
          config: { 'cmd-path': '/bin/sh', 'cmd-args': `-c "${touch.replace(/"/g, '\\"')}"` },
        },
      }),
    },
    {
      name: 'token-file',
      field: /users\[0\]\.user\.token-file/,
      kubeconfig: config({ server: listener.url, ...plainHttp }, { 'token-file': wires.runnerFile }),
    },
    {
      name: 'provider-tokenfile',
      field: /users\[0\]\.user\.auth-provider/,
      kubeconfig: config(
        { server: listener.url, ...plainHttp },
        { 'auth-provider': { name: 'file', config: { tokenFile: wires.runnerFile } } },
      ),
    },
    {
      name: 'plain-http',
      field: /clusters\[0\]\.cluster\.server/,
      kubeconfig: config({ server: listener.url, ...plainHttp }, { token: real.token }),
    },
    {
      name: 'ca-file',
      field: /clusters\[0\]\.cluster\.certificate-authority\b/,
      kubeconfig: config(
        { server: real.server, 'certificate-authority': wires.runnerFile },
        { token: real.token },
      ),
    },
    {
      name: 'client-key-file',
      field: /users\[0\]\.user\.client-key\b/,
      kubeconfig: config(secure, { 'client-certificate-data': real.caData, 'client-key': wires.runnerFile }),
    },
    {
      name: 'client-cert-file',
      field: /users\[0\]\.user\.client-certificate\b/,
      kubeconfig: config(secure, { 'client-certificate': wires.runnerFile, token: real.token }),
    },
    {
      name: 'insecure',
      field: /clusters\[0\]\.cluster\.insecure-skip-tls-verify/,
      kubeconfig: config({ server: real.server, 'insecure-skip-tls-verify': true }, { token: real.token }),
    },
    {
      name: 'proxy',
      field: /clusters\[0\]\.cluster\.proxy-url/,
      kubeconfig: config({ ...secure, 'proxy-url': listener.url }, { token: real.token }),
    },
  ]
}
