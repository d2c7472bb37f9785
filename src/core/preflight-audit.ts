// Who still requests deprecated APIs, from a Kubernetes audit log the inventory names
// (`clusters[].auditLog`, JSON lines, one `audit.k8s.io/v1` Event per line). The API server
// annotates every request for a deprecated API with `k8s.io/deprecated: "true"` and, when a
// removal is planned, `k8s.io/removed-release: "<major>.<minor>"` (3P: kubernetes.io, "Auditing"
// and "Deprecated API Migration Guide"; C: the audit log of the test fleet's kube-apiserver
// v1.36.3, test/integration/preflight-removed-api.test.ts). Each such event names the API
// (`objectRef.apiGroup`, `apiVersion`, `resource`, `subresource`), the user
// (`user.username`) and the client (`userAgent`). Pure: text in, clients per API out.

/** One client of a deprecated API: a user agent as a user, and how many requests the log holds. */
export interface AuditClient {
  userAgent: string
  user: string
  requests: number
}

/** `group/version/resource/subresource` (group '' for the core group), as the metric's labels. */
export const apiKey = (group: string, version: string, resource: string, subresource: string): string =>
  `${group}/${version}/${resource}/${subresource}`

export interface AuditAttribution {
  /** API key → its clients, most requests first. */
  clients: Map<string, AuditClient[]>
  /** Lines read and lines that were not an audit event (not JSON, or no objectRef). */
  lines: number
  skipped: number
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '')
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Clients of deprecated APIs in audit-log text (JSON lines). Only events that carry the
 * `k8s.io/deprecated` or `k8s.io/removed-release` annotation count; an event logged twice (at
 * RequestReceived and ResponseComplete stages) counts once per `auditID`.
 */
export function auditAttribution(text: string): AuditAttribution {
  const byApi = new Map<string, Map<string, AuditClient>>()
  const seen = new Set<string>()
  let lines = 0
  let skipped = 0
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    lines++
    let e: unknown
    try {
      e = JSON.parse(line)
    } catch {
      skipped++
      continue
    }
    if (!isObject(e) || !isObject(e.objectRef)) {
      skipped++
      continue
    }
    const annotations = isObject(e.annotations) ? e.annotations : {}
    if (annotations['k8s.io/deprecated'] !== 'true' && str(annotations['k8s.io/removed-release']) === '')
      continue
    const id = str(e.auditID)
    if (id) {
      if (seen.has(id)) continue
      seen.add(id)
    }
    const ref = e.objectRef
    const key = apiKey(str(ref.apiGroup), str(ref.apiVersion), str(ref.resource), str(ref.subresource))
    const userAgent = str(e.userAgent) || '(no user agent)'
    const user = (isObject(e.user) ? str(e.user.username) : '') || '(unknown user)'
    let clients = byApi.get(key)
    if (!clients) {
      clients = new Map()
      byApi.set(key, clients)
    }
    const who = `${userAgent}\u0000${user}`
    const c = clients.get(who)
    if (c) c.requests++
    else clients.set(who, { userAgent, user, requests: 1 })
  }
  const clients = new Map<string, AuditClient[]>()
  for (const [key, m] of byApi)
    clients.set(
      key,
      [...m.values()].sort(
        (a, b) =>
          b.requests - a.requests || a.userAgent.localeCompare(b.userAgent) || a.user.localeCompare(b.user),
      ),
    )
  return { clients, lines, skipped }
}

/** `kubectl/v1.36 as system:serviceaccount:ci:deployer (3 requests); …`, at most `max` clients. */
export function describeClients(clients: readonly AuditClient[], max = 5): string {
  const shown = clients
    .slice(0, max)
    .map((c) => `${c.userAgent} as ${c.user} (${c.requests} request${c.requests === 1 ? '' : 's'})`)
  return `${shown.join('; ')}${clients.length > max ? `; and ${clients.length - max} more` : ''}`
}

/** The most read of an audit log: its last 32 MiB and, of those, the last 200,000 lines. */
export const AUDIT_LOG_MAX_BYTES = 32 * 1024 * 1024
export const AUDIT_LOG_MAX_LINES = 200_000

/**
 * The part of a log's tail that is read: whole lines only (a line cut by the byte window is
 * dropped) and at most `maxLines` of the newest. `cut`: the window started inside the file.
 */
export function auditTail(text: string, cut: boolean, maxLines = AUDIT_LOG_MAX_LINES): string {
  let t = text
  if (cut) {
    const nl = t.indexOf('\n')
    t = nl === -1 ? '' : t.slice(nl + 1)
  }
  let end = t.length
  if (t.endsWith('\n')) end--
  let at = end
  for (let n = 0; n < maxLines; n++) {
    const nl = t.lastIndexOf('\n', at - 1)
    if (nl === -1) return t
    at = nl
  }
  return t.slice(at + 1)
}
