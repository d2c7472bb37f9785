// Kubeconfigs for the Kubernetes client (kube.ts): loaded from a file or text with parse errors
// that never quote the content (a kubeconfig's lines are credentials), or built from vetted
// inline values (src/core/kubeconfig-policy.ts).

import { KubeConfig } from '@kubernetes/client-node'
import { InputError } from '../core/errors.js'
import type { InlineKubeconfig } from '../core/kubeconfig-policy.js'

/**
 * Loads a kubeconfig, turning a parse error into a message without the content: the YAML
 * parser quotes the offending lines, and a kubeconfig's lines are credentials.
 */
export function loadKubeconfig(load: () => void, what: string): void {
  try {
    load()
  } catch (err) {
    const e = err as {
      name?: string
      reason?: string
      mark?: { line: number; column: number }
      code?: string
    }
    if (e.name === 'YAMLException') {
      const at = e.mark ? ` at line ${e.mark.line + 1}, column ${e.mark.column + 1}` : ''
      throw new InputError(`${what} is not valid YAML or JSON${at}: ${e.reason ?? 'parse error'}`)
    }
    if (e.code === 'ENOENT' || e.code === 'EACCES') throw new InputError(`cannot read ${what}: ${e.code}`)
    throw new InputError(
      `${what} is not a usable kubeconfig: ${String((err as Error).message)
        .split('\n')[0]!
        .slice(0, 200)}`,
    )
  }
}

/** A client-node KubeConfig of one inline context: no exec or auth-provider plugin, no file. */
export function inlineKubeConfig(config: InlineKubeconfig): KubeConfig {
  const kc = new KubeConfig()
  kc.loadFromOptions({
    clusters: [
      {
        name: 'inline',
        server: config.server,
        skipTLSVerify: config.insecureSkipTlsVerify,
        ...(config.caData ? { caData: config.caData } : {}),
        ...(config.tlsServerName ? { tlsServerName: config.tlsServerName } : {}),
      },
    ],
    users: [
      {
        name: 'inline',
        ...(config.certData ? { certData: config.certData } : {}),
        ...(config.keyData ? { keyData: config.keyData } : {}),
        ...(config.token ? { token: config.token } : {}),
        ...(config.username ? { username: config.username } : {}),
        ...(config.password ? { password: config.password } : {}),
      },
    ],
    contexts: [
      {
        name: 'inline',
        cluster: 'inline',
        user: 'inline',
        ...(config.namespace ? { namespace: config.namespace } : {}),
      },
    ],
    currentContext: 'inline',
  })
  return kc
}
