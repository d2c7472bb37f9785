// What a kubeconfig read from a Secret on the management cluster may carry. Such Secrets are
// tenant data: whoever attaches a cluster to a workspace, or can write Secrets in a workspace
// namespace, writes them. So only inline credentials are taken from them, and the client is
// built from those values alone (src/effects/kube.ts `Kube.fromInline`), never from the text:
//   - taken: server (https only), certificate-authority-data, tls-server-name, client-certificate-data,
//     client-key-data, token, username/password, the context's namespace;
//   - refused, every occurrence named at once: exec plugins and auth-providers (they run commands
//     or read files on the runner), every file path (token-file / tokenFile,
//     certificate-authority, client-certificate, client-key), proxy-url, a non-https server, and
//     insecure-skip-tls-verify unless the inventory allows it for that cluster;
//   - anything else (impersonation, extensions, preferences) is ignored: it never reaches the client.
// Pure: text in, values or a refusal out.

import { parseDocument } from 'yaml'

/** The values a workload client is built from. */
export interface InlineKubeconfig {
  server: string
  /** Base64 PEM. */
  caData?: string
  tlsServerName?: string
  /** True only when the kubeconfig sets it and the caller allowed it. */
  insecureSkipTlsVerify: boolean
  /** Base64 PEM. */
  certData?: string
  /** Base64 PEM. */
  keyData?: string
  token?: string
  username?: string
  password?: string
  namespace?: string
}

/** One refused field: its path in the kubeconfig (`users[0].user.exec`) and why. */
export interface KubeconfigProblem {
  field: string
  reason: string
}

/** The kubeconfig cannot be used; `problems` lists every refused field. */
export class KubeconfigRefusedError extends Error {
  readonly problems: KubeconfigProblem[]
  constructor(problems: KubeconfigProblem[]) {
    super(problems.map((p) => `${p.field}: ${p.reason}`).join('; '))
    this.name = 'KubeconfigRefusedError'
    this.problems = problems
  }
}

/** Larger than any real kubeconfig; a Secret holds at most 1 MiB anyway. */
export const MAX_UNTRUSTED_KUBECONFIG_BYTES = 256 * 1024

const RUNS_COMMAND = 'would run a command on the runner'
const READS_FILE = "names a file on the runner's disk"

/** Fields refused wherever they appear in a cluster entry. */
const CLUSTER_REFUSED: Record<string, string> = {
  'certificate-authority': `${READS_FILE}; put the CA in certificate-authority-data`,
  'proxy-url': 'would send the requests through another server',
}

/** Fields refused wherever they appear in a user entry. */
const USER_REFUSED: Record<string, string> = {
  exec: `an exec credential plugin ${RUNS_COMMAND}; use a token or client-certificate-data/client-key-data`,
  'auth-provider': `an auth-provider ${RUNS_COMMAND} (cmd-path) or reads a file (tokenFile); use a token or client certificate data`,
  'token-file': `${READS_FILE}; put the token in token`,
  tokenFile: `${READS_FILE}; put the token in token`,
  'client-certificate': `${READS_FILE}; use client-certificate-data`,
  'client-key': `${READS_FILE}; use client-key-data`,
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

/**
 * The inline credentials of the kubeconfig's current context, or a KubeconfigRefusedError naming
 * every refused field. `allowInsecureSkipTlsVerify`: the inventory allows
 * `insecure-skip-tls-verify: true` for this cluster.
 */
export function inlineKubeconfig(
  text: string,
  options: { allowInsecureSkipTlsVerify?: boolean } = {},
): InlineKubeconfig {
  const root = parseRoot(text)
  const problems: KubeconfigProblem[] = []
  const clusters = entries(root, 'clusters', 'cluster', problems)
  const users = entries(root, 'users', 'user', problems)
  const contexts = entries(root, 'contexts', 'context', problems)
  refuseFields(clusters, users, problems)
  const { ctx, clusterIndex, userIndex } = currentContext(root, contexts, clusters, users, problems)
  const out: InlineKubeconfig = { server: '', insecureSkipTlsVerify: false }
  const cluster = clusters[clusterIndex]
  if (cluster) readCluster(cluster, `clusters[${clusterIndex}].cluster`, out, problems, options)
  const user = users[userIndex]
  if (user) {
    const at = `users[${userIndex}].user`
    takeString(user.body, 'client-certificate-data', at, problems, (v) => (out.certData = v), true)
    takeString(user.body, 'client-key-data', at, problems, (v) => (out.keyData = v), true)
    takeString(user.body, 'token', at, problems, (v) => (out.token = v))
    takeString(user.body, 'username', at, problems, (v) => (out.username = v))
    takeString(user.body, 'password', at, problems, (v) => (out.password = v))
  }
  if (ctx && typeof ctx.body.namespace === 'string' && ctx.body.namespace !== '')
    out.namespace = ctx.body.namespace

  if (problems.length > 0) throw new KubeconfigRefusedError(problems)
  return out
}

/** The document as a mapping: bounded in size, no aliases, unique keys; else refused. */
function parseRoot(text: string): Record<string, unknown> {
  if (text.length > MAX_UNTRUSTED_KUBECONFIG_BYTES) {
    throw new KubeconfigRefusedError([
      {
        field: '(document)',
        reason: `${text.length} bytes; a kubeconfig read from a Secret is limited to ${MAX_UNTRUSTED_KUBECONFIG_BYTES}`,
      },
    ])
  }
  // No aliases (kubeconfigs have none; they are how YAML bombs grow), unique keys (two readers
  // of the same text must not see different values).
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false })
  const first = doc.errors[0]
  if (first) {
    throw new KubeconfigRefusedError([
      { field: '(document)', reason: `not valid YAML or JSON: ${first.message.split('\n')[0]}` },
    ])
  }
  let root: unknown
  try {
    root = doc.toJS({ maxAliasCount: 0 })
  } catch (err) {
    throw new KubeconfigRefusedError([
      { field: '(document)', reason: (err as Error).message.split('\n')[0]! },
    ])
  }
  if (!isRecord(root)) throw new KubeconfigRefusedError([{ field: '(document)', reason: 'not a mapping' }])
  return root
}

/** Refused fields are refused in every entry, used or not: the Secret may carry only inline data. */
function refuseFields(clusters: Entry[], users: Entry[], problems: KubeconfigProblem[]): void {
  clusters.forEach(({ body }, i) => {
    for (const [key, reason] of Object.entries(CLUSTER_REFUSED))
      if (body[key] !== undefined && body[key] !== '')
        problems.push({ field: `clusters[${i}].cluster.${key}`, reason })
  })
  users.forEach(({ body }, i) => {
    for (const [key, reason] of Object.entries(USER_REFUSED))
      if (body[key] !== undefined && body[key] !== null)
        problems.push({ field: `users[${i}].user.${key}`, reason })
  })
}

/** The current context and the indexes of the cluster and user it names (-1 when missing). */
function currentContext(
  root: Record<string, unknown>,
  contexts: Entry[],
  clusters: Entry[],
  users: Entry[],
  problems: KubeconfigProblem[],
): { ctx: Entry | undefined; clusterIndex: number; userIndex: number } {
  const current = root['current-context']
  const ctxIndex = contexts.findIndex((c) => c.name === current)
  if (typeof current !== 'string' || current === '') {
    problems.push({ field: 'current-context', reason: 'missing: say which context to use' })
  } else if (ctxIndex < 0) {
    problems.push({
      field: 'current-context',
      reason: `names context "${clip(current)}", which is not defined`,
    })
  }
  const ctx = contexts[ctxIndex]
  const clusterName = ctx ? ctx.body.cluster : undefined
  const userName = ctx ? ctx.body.user : undefined
  const clusterIndex = clusters.findIndex((c) => c.name === clusterName)
  const userIndex =
    typeof userName === 'string' && userName !== '' ? users.findIndex((u) => u.name === userName) : -1
  if (ctx && clusterIndex < 0)
    problems.push({
      field: `contexts[${ctxIndex}].context.cluster`,
      reason: `names cluster "${clip(String(clusterName ?? ''))}", which is not defined`,
    })
  if (ctx && typeof userName === 'string' && userName !== '' && userIndex < 0)
    problems.push({
      field: `contexts[${ctxIndex}].context.user`,
      reason: `names user "${clip(userName)}", which is not defined`,
    })
  return { ctx, clusterIndex, userIndex }
}

/** The cluster's server (https, no credentials in the URL), TLS check switch, CA data and server name. */
function readCluster(
  cluster: Entry,
  at: string,
  out: InlineKubeconfig,
  problems: KubeconfigProblem[],
  options: { allowInsecureSkipTlsVerify?: boolean },
): void {
  const server = cluster.body.server
  if (typeof server !== 'string' || server === '') {
    problems.push({ field: `${at}.server`, reason: 'missing' })
  } else {
    let url: URL | undefined
    try {
      url = new URL(server)
    } catch {
      problems.push({ field: `${at}.server`, reason: `"${clip(server)}" is not a URL` })
    }
    if (url && url.protocol !== 'https:') {
      problems.push({
        field: `${at}.server`,
        reason: `${url.protocol.replace(/:$/, '')}:// is refused: credentials are sent only over https`,
      })
    } else if (url && (url.username || url.password)) {
      problems.push({ field: `${at}.server`, reason: 'carries credentials in the URL' })
    } else if (url) {
      out.server = server
    }
  }
  const insecure = cluster.body['insecure-skip-tls-verify']
  if (insecure !== undefined && insecure !== false && insecure !== null) {
    if (options.allowInsecureSkipTlsVerify) out.insecureSkipTlsVerify = true
    else
      problems.push({
        field: `${at}.insecure-skip-tls-verify`,
        reason:
          "turns off the server's certificate check; refused unless the inventory sets allowInsecureSkipTlsVerify: true on this cluster",
      })
  }
  takeString(cluster.body, 'certificate-authority-data', `${at}`, problems, (v) => (out.caData = v), true)
  takeString(cluster.body, 'tls-server-name', `${at}`, problems, (v) => (out.tlsServerName = v))
}

interface Entry {
  name: unknown
  body: Record<string, unknown>
}

/** The named entries of a list (`clusters`, `users`, `contexts`); a malformed list is a problem. */
function entries(
  root: Record<string, unknown>,
  list: string,
  inner: string,
  problems: KubeconfigProblem[],
): Entry[] {
  const value = root[list]
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) {
    problems.push({ field: list, reason: 'not a list' })
    return []
  }
  return value.map((item, i) => {
    if (!isRecord(item)) {
      problems.push({ field: `${list}[${i}]`, reason: 'not a mapping' })
      return { name: undefined, body: {} }
    }
    const body = item[inner]
    if (body !== undefined && body !== null && !isRecord(body)) {
      problems.push({ field: `${list}[${i}].${inner}`, reason: 'not a mapping' })
      return { name: item.name, body: {} }
    }
    return { name: item.name, body: (body as Record<string, unknown> | undefined) ?? {} }
  })
}

function takeString(
  body: Record<string, unknown>,
  key: string,
  at: string,
  problems: KubeconfigProblem[],
  set: (value: string) => void,
  base64 = false,
): void {
  const value = body[key]
  if (value === undefined || value === null || value === '') return
  if (typeof value !== 'string') {
    problems.push({ field: `${at}.${key}`, reason: 'not a string' })
    return
  }
  if (base64 && !BASE64.test(value.replace(/\s+/g, ''))) {
    problems.push({ field: `${at}.${key}`, reason: 'not base64' })
    return
  }
  set(base64 ? value.replace(/\s+/g, '') : value)
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** Names from tenant text, shown in messages: short, one line. */
function clip(text: string): string {
  const one = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ')
  return one.length > 60 ? `${one.slice(0, 60)}…` : one
}
