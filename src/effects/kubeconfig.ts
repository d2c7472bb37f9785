// Kubeconfigs: where the management one comes from, masking its secret fields (not the whole
// text: GitHub drops outputs containing a masked value), 0600 temp files removed at the end,
// and managed clusters' kubeconfigs read from Secrets on the management cluster.

import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { InputError } from '../core/errors.js'
import type { Inventory } from '../core/model.js'
import type { Reporter } from './reporter.js'
import { registeredTempDirs, registerTempDir, removeTempDirs } from './temp-files.js'

/** Fields whose values are credentials wherever they appear in a kubeconfig. */
const SECRET_KEYS = new Set([
  'token',
  'password',
  'client-key-data',
  'client-certificate-data',
  'certificate-authority-data',
  'id-token',
  'refresh-token',
  'client-secret',
  'access-token',
  'secret',
])

/** Every credential value in a kubeconfig (YAML or JSON), for masking. */
export function secretValues(content: string): string[] {
  let doc: unknown
  try {
    doc = parse(content)
  } catch {
    return []
  }
  const found = new Set<string>()
  const encoded = new Set<string>()
  const walk = (node: unknown, key?: string) => {
    if (typeof node === 'string') {
      if (key && (SECRET_KEYS.has(key) || /token|secret|password/i.test(key)) && node.length >= 8) {
        found.add(node)
        if (key.endsWith('-data')) encoded.add(node)
      }
      return
    }
    if (Array.isArray(node)) for (const item of node) walk(item)
    else if (node && typeof node === 'object') {
      const obj = node as Record<string, unknown>
      // exec plugin env entries: { name: AWS_SECRET_ACCESS_KEY, value: ... }
      if (
        typeof obj.name === 'string' &&
        typeof obj.value === 'string' &&
        /token|secret|key|password/i.test(obj.name)
      ) {
        found.add(obj.value)
      }
      for (const [k, v] of Object.entries(obj)) walk(v, k)
    }
  }
  walk(doc)
  // The *-data fields are base64 PEM, often printed decoded too: mask each decoded line as well.
  // Only those: a token of hex or base64 characters decodes to binary noise, not to a secret.
  for (const value of encoded) {
    if (!/^[A-Za-z0-9+/=\s]+$/.test(value) || value.length < 32) continue
    const decoded = Buffer.from(value, 'base64').toString('utf8')
    for (const line of decoded.split('\n'))
      if (line.trim().length >= 16 && !line.startsWith('-----')) found.add(line.trim())
  }
  return [...found]
}

/**
 * Warnings for a management kubeconfig (trusted: it may use exec plugins, files, any field the
 * Kubernetes client supports) that turns off what protects its credentials on the wire.
 */
export function managementTransportWarnings(
  kube: { server: string; insecureSkipTlsVerify: boolean },
  from: string,
): string[] {
  const out: string[] = []
  if (kube.insecureSkipTlsVerify)
    out.push(
      `the management kubeconfig from ${from} sets insecure-skip-tls-verify: the certificate of ${kube.server} is not checked, so anyone on the network path could read its credentials and answer in its name; put its CA in certificate-authority-data instead`,
    )
  if (/^http:/i.test(kube.server))
    out.push(
      `the management kubeconfig from ${from} reaches ${kube.server} over plain http: its credentials cross the network unencrypted`,
    )
  return out
}

export function maskKubeconfig(content: string, reporter: Pick<Reporter, 'secret'>): void {
  for (const value of secretValues(content)) reporter.secret(value)
}

/**
 * Writes a kubeconfig to a fresh 0700 directory as a 0600 file. The directory is registered
 * (temp-files.ts) before anything is written, so every exit path removes it; `onDir` is told
 * at the same moment (the action saves it for the post step).
 */
export function writeTempKubeconfig(content: string, label = 'mgmt', onDir?: (dir: string) => void): string {
  const base = process.env.RUNNER_TEMP || tmpdir()
  const dir = mkdtempSync(join(base, 'dkp-fleet-kube-'))
  registerTempDir(dir)
  onDir?.(dir)
  chmodSync(dir, 0o700)
  const file = join(dir, `${label.replace(/[^a-z0-9-]/gi, '_')}.kubeconfig`)
  writeFileSync(file, content, { mode: 0o600 })
  return file
}

export function tempKubeconfigDirs(): string[] {
  return registeredTempDirs()
}

export function removeTempKubeconfigs(dirs?: Iterable<string>): void {
  removeTempDirs(dirs)
}

export interface KubeconfigSource {
  /** Content given directly (the action's `kubeconfig` input). */
  content?: string
  /** A file (the CLI's --kubeconfig). */
  path?: string
}

/**
 * The management kubeconfig content: explicit content or file first, then the environment
 * variable the inventory names (`management.kubeconfigEnv`), then $KUBECONFIG (CLI only).
 */
export function managementKubeconfig(
  inventory: Inventory | undefined,
  source: KubeconfigSource,
  env: NodeJS.ProcessEnv,
  options: { allowKubeconfigEnv: boolean },
): { content: string; from: string } {
  if (source.content) return { content: source.content, from: 'the kubeconfig input' }
  if (source.path) return { content: readKubeconfigFile(source.path), from: source.path }
  const envName = inventory?.management.kubeconfigEnv
  if (envName && env[envName]) return { content: env[envName]!, from: `$${envName}` }
  if (options.allowKubeconfigEnv && env.KUBECONFIG) {
    const first = env.KUBECONFIG.split(':')[0]!
    return { content: readKubeconfigFile(first), from: `$KUBECONFIG (${first})` }
  }
  throw new InputError(
    `no kubeconfig for the management cluster: pass --kubeconfig FILE (action input \`kubeconfig\`)${envName ? ` or set $${envName}` : ', or set management.kubeconfigEnv in the inventory'}`,
  )
}

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a parent is not a directory',
  ELOOP: 'too many symbolic links',
}

/** Reads a kubeconfig file; a file that cannot be read is bad input (exit 2) naming the file. */
export function readKubeconfigFile(path: string, what = 'kubeconfig'): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new InputError(
      `cannot read ${what} ${path}: ${code ? `${READ_ERRORS[code] ?? 'read failed'} (${code})` : (err as Error).message}`,
    )
  }
}
