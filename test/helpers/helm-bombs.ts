// Helm release storage Secrets a tenant can write (any namespace of a workload cluster), built
// to exhaust the removed-API scan: each is a valid `helm.sh/release.v1` Secret (labels
// owner=helm, status=deployed; data.release = base64(base64(gzip(JSON)))) under the API
// server's request limit, whose release JSON or rendered manifest is hostile:
//   many-docs    a 12 MiB manifest of tiny documents, each an object of a removed API
//   flow-docs    12 MiB of flow-style documents of a removed API (each needs the YAML parser)
//   one-doc      one 12 MiB document (a removed API, then mapping lines)
//   long-line    one 12 MiB line
//   aliases      billion laughs under a removed API (anchors and aliases, 9 levels × 9)
//   nesting      a removed-API document whose spec nests 1,000,000 flow sequences
//   json-nesting the release JSON itself nests 2,000,000 arrays (in `config`)
//   json-strings the release JSON holds 12 MiB of escaped strings besides the manifest
//   oversized    a 40 MiB manifest (over the 16 MiB record limit after gunzip)
// The 12 MiB ones stay under that limit, so the scan itself meets them.
// Plus `small`: a real-looking release with one removed API (the baseline).

import { gzipSync } from 'node:zlib'

export interface HelmSecret extends Record<string, unknown> {
  apiVersion: 'v1'
  kind: 'Secret'
  type: 'helm.sh/release.v1'
  metadata: { name: string; namespace: string; labels: Record<string, string> }
  data: { release: string }
}

const REMOVED = 'apiVersion: extensions/v1beta1\nkind: Ingress\n'
const MB = 1024 * 1024

/** The release JSON Helm stores (only the fields the scan reads, plus `config`). */
function releaseJson(name: string, namespace: string, manifest: string, config = '{}'): string {
  return `{"name":${JSON.stringify(name)},"info":{"status":"deployed"},"chart":{"metadata":{"name":"bomb","version":"0.1.0"}},"config":${config},"manifest":${JSON.stringify(manifest)},"version":1,"namespace":${JSON.stringify(namespace)}}`
}

export function helmSecret(name: string, namespace: string, json: string | Buffer): HelmSecret {
  const gz = gzipSync(typeof json === 'string' ? Buffer.from(json) : json, { level: 6 })
  const storage = gz.toString('base64')
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'helm.sh/release.v1',
    metadata: {
      name: `sh.helm.release.v1.${name}.v1`,
      namespace,
      labels: { owner: 'helm', name, status: 'deployed', version: '1' },
    },
    data: { release: Buffer.from(storage).toString('base64') },
  }
}

export type BombName =
  | 'small'
  | 'many-docs'
  | 'flow-docs'
  | 'one-doc'
  | 'long-line'
  | 'aliases'
  | 'nesting'
  | 'json-nesting'
  | 'json-strings'
  | 'oversized'

export const BOMBS: BombName[] = [
  'many-docs',
  'flow-docs',
  'one-doc',
  'long-line',
  'aliases',
  'nesting',
  'json-nesting',
  'json-strings',
  'oversized',
]

/** The release JSON of a bomb (as bytes: the large ones are built without a 60 MiB JS string where possible). */
export function bombJson(bomb: BombName, namespace = 'default'): string {
  const name = `bomb-${bomb}`
  switch (bomb) {
    case 'small':
      return releaseJson(
        name,
        namespace,
        `---\n# Source: x/templates/ing.yaml\n${REMOVED}metadata:\n  name: old-ingress\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fine\n`,
      )
    case 'many-docs': {
      const doc = `---\n${REMOVED}metadata:\n  name: x\n`
      return releaseJson(name, namespace, doc.repeat(Math.floor((12 * MB) / doc.length)))
    }
    case 'flow-docs': {
      const doc = '--- {apiVersion: extensions/v1beta1, kind: Ingress, metadata: {name: x}}\n'
      return releaseJson(name, namespace, doc.repeat(Math.floor((12 * MB) / doc.length)))
    }
    case 'oversized': {
      const doc = `---\n${REMOVED}metadata:\n  name: x\n`
      return releaseJson(name, namespace, doc.repeat(Math.floor((40 * MB) / doc.length)))
    }
    case 'one-doc':
      return releaseJson(
        name,
        namespace,
        `${REMOVED}metadata:\n  name: big\nspec:\n${'  k: v\n'.repeat(1.5 * MB)}`,
      )
    case 'long-line':
      return releaseJson(
        name,
        namespace,
        `${REMOVED}metadata:\n  name: long\n  annotations: { a: "${'x'.repeat(12 * MB)}" }\n`,
      )
    case 'aliases': {
      const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
      const letters = 'abcdefghij'
      for (let i = 1; i < letters.length; i++)
        lines.push(
          `${letters[i]}: &${letters[i]} [${Array(9)
            .fill(`*${letters[i - 1]}`)
            .join(',')}]`,
        )
      return releaseJson(name, namespace, `${REMOVED}metadata:\n  name: laughs\n${lines.join('\n')}\n`)
    }
    case 'nesting':
      return releaseJson(
        name,
        namespace,
        `${REMOVED}metadata:\n  name: deep\nspec: ${'['.repeat(MB)}${']'.repeat(MB)}\n`,
      )
    case 'json-nesting':
      return releaseJson(
        name,
        namespace,
        `${REMOVED}metadata:\n  name: deep-json\n`,
        `${'['.repeat(2 * MB)}${']'.repeat(2 * MB)}`,
      )
    case 'json-strings':
      return releaseJson(
        name,
        namespace,
        `${REMOVED}metadata:\n  name: strings\n`,
        `{"files":[${Array(6)
          .fill(JSON.stringify('\n"'.repeat(MB / 2)))
          .join(',')}]}`,
      )
  }
}
