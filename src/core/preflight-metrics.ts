// Live use of deprecated and removed APIs (issue 20 §2): the API server's own record of the
// deprecated APIs it was asked for, the gauge `apiserver_requested_deprecated_apis` on
// `/metrics` (labels group, version, resource, subresource, removed_release; set to 1 once
// such a request was served since that API server started) (C: the metric text of the
// test fleet's kube-apiserver v1.36.3, test/fixtures/metrics/). Built-in beta APIs carry the
// release that removes them; deprecated versions of CustomResourceDefinitions carry an empty
// `removed_release` (C: same). Pure: Prometheus text in, findings out.

import type { Finding } from './findings.js'
import { type AuditClient, apiKey, describeClients } from './preflight-audit.js'
import { kubeMinor, PREFLIGHT, preflightFinding } from './preflight-objects.js'

export const DEPRECATED_API_METRIC = 'apiserver_requested_deprecated_apis'

export interface DeprecatedRequest {
  group: string
  version: string
  resource: string
  subresource: string
  /** `1.32`, or '' when the API has no announced removal (deprecated CRD versions). */
  removedRelease: string
}

const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/y

function parseLabels(text: string): Record<string, string> | undefined {
  const labels: Record<string, string> = {}
  let i = 0
  while (i < text.length) {
    LABEL.lastIndex = i
    const m = LABEL.exec(text)
    if (!m) return undefined
    labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
    i = LABEL.lastIndex
    if (text[i] === ',') i++
    while (text[i] === ' ') i++
  }
  return labels
}

/**
 * The samples of `apiserver_requested_deprecated_apis` with a value above 0, from the
 * Prometheus text format (comments, other metrics and malformed lines are skipped).
 */
export function parseDeprecatedRequests(metrics: string): DeprecatedRequest[] {
  const out: DeprecatedRequest[] = []
  const seen = new Set<string>()
  const prefix = `${DEPRECATED_API_METRIC}{`
  let at = metrics.indexOf(prefix)
  while (at !== -1) {
    const lineStart = at === 0 || metrics[at - 1] === '\n'
    const end = metrics.indexOf('\n', at)
    const line = metrics.slice(at, end === -1 ? undefined : end)
    at = metrics.indexOf(prefix, end === -1 ? metrics.length : end)
    if (!lineStart) continue
    const close = line.lastIndexOf('}')
    if (close === -1) continue
    const labels = parseLabels(line.slice(prefix.length, close))
    const value = Number(
      line
        .slice(close + 1)
        .trim()
        .split(/\s+/)[0],
    )
    if (!labels || !(value > 0)) continue
    const r: DeprecatedRequest = {
      group: labels.group ?? '',
      version: labels.version ?? '',
      resource: labels.resource ?? '',
      subresource: labels.subresource ?? '',
      removedRelease: labels.removed_release ?? '',
    }
    const key = `${r.group}/${r.version}/${r.resource}/${r.subresource}`
    if (!r.version || !r.resource || seen.has(key)) continue
    seen.add(key)
    out.push(r)
  }
  return out
}

const apiVersionOf = (r: DeprecatedRequest) => (r.group ? `${r.group}/${r.version}` : r.version)

/**
 * Findings for what was requested: removed at or before the target → error (clients still use
 * it and break on the upgrade); removed later → warning; no removal announced (deprecated CRD
 * versions) → info. With `clients` (from the cluster's audit log, preflight-audit.ts), each
 * finding names the user agents and users that requested the API.
 */
export function deprecatedRequestFindings(
  cluster: string,
  requests: readonly DeprecatedRequest[],
  target: string,
  clients?: ReadonlyMap<string, readonly AuditClient[]>,
): Finding[] {
  const to = kubeMinor(target)
  return requests.map((r) => {
    const removed = kubeMinor(r.removedRelease)
    const what = `${r.resource}${r.subresource ? `/${r.subresource}` : ''} ${apiVersionOf(r)}`
    const severity = removed === undefined ? 'info' : to !== undefined && removed <= to ? 'error' : 'warning'
    const when =
      removed === undefined
        ? 'which is deprecated (no removal release announced)'
        : severity === 'error'
          ? `which Kubernetes ${r.removedRelease} removes (the target is ${target})`
          : `which Kubernetes ${r.removedRelease} removes, after the target ${target}`
    const who = clients?.get(apiKey(r.group, r.version, r.resource, r.subresource)) ?? []
    const named = who.length > 0 ? describeClients(who) : undefined
    return preflightFinding(
      PREFLIGHT.deprecatedRequested,
      severity,
      cluster,
      { apiVersion: apiVersionOf(r), kind: r.resource, name: r.subresource ? `*/${r.subresource}` : '*' },
      named
        ? `The API server of ${cluster} served requests for ${what} since it started, ${when}. Its audit log names the clients: ${named}.`
        : `The API server of ${cluster} served requests for ${what} since it started, ${when}: some client (a controller, a CI job, kubectl) still uses it.`,
      named
        ? `Move these clients to the replacement version before the upgrade (a service account names the workload; the user agent names the program).`
        : `Find the client in the API server's audit log (annotation k8s.io/removed-release, or the request's user agent) and move it to the replacement version before the upgrade.`,
      {
        group: r.group,
        version: r.version,
        resource: r.resource,
        ...(r.subresource ? { subresource: r.subresource } : {}),
        ...(r.removedRelease ? { removedRelease: r.removedRelease } : {}),
        ...(named
          ? {
              clients: named,
              clientUserAgents: [...new Set(who.map((c) => c.userAgent))].join(', '),
              clientUsers: [...new Set(who.map((c) => c.user))].join(', '),
            }
          : {}),
      },
    )
  })
}
