// Findings read through clusters that share an API server (the test fleet's managed clusters
// share one) are the same objects: reported once, under the first cluster, naming the others.

import { describeObject, type Finding } from '../core/findings.js'

const objectKey = (f: Finding) =>
  f.object
    ? `${f.object.apiVersion}|${describeObject(f.object)}`
    : `message|${f.message.replaceAll(f.cluster ?? '\u0000', '')}`

/**
 * Findings read through clusters that share an API server are the same objects: one finding
 * per (server, rule, severity, object), under the first cluster, naming the others.
 */
export function mergeSameServer(items: readonly { finding: Finding; server: string }[]): Finding[] {
  const kept = new Map<string, { finding: Finding; others: string[] }>()
  const out: { finding: Finding; others: string[] }[] = []
  for (const { finding, server } of items) {
    if (!server) {
      out.push({ finding, others: [] })
      continue
    }
    const key = `${server}\u0000${finding.ruleId}\u0000${finding.severity}\u0000${objectKey(finding)}`
    const seen = kept.get(key)
    if (seen) {
      if (finding.cluster && !seen.others.includes(finding.cluster)) seen.others.push(finding.cluster)
      continue
    }
    const entry = { finding, others: [] as string[] }
    kept.set(key, entry)
    out.push(entry)
  }
  return out.map(({ finding, others }) =>
    others.length === 0
      ? finding
      : {
          ...finding,
          message: `${finding.message} Read through the same API server as ${others.length > 5 ? `${others.slice(0, 5).join(', ')} and ${others.length - 5} more` : others.join(', ')}.`,
          details: { ...(finding.details ?? {}), sameApiServerAs: others.join(',') },
        },
  )
}
