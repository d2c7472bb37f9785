// The policy for kubeconfigs read from Secrets (tenant data): only inline credentials of the
// current context are taken; exec, auth-provider, file paths, proxies, plain http and (unless
// allowed) insecure-skip-tls-verify are refused, every one named at once; YAML bombs and junk
// are refusals, not crashes.

import { describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { inlineKubeconfig, KubeconfigRefusedError } from '../../src/core/kubeconfig-policy.js'

const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64')

function config(
  cluster: Record<string, unknown>,
  user: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'c',
        cluster: { server: 'https://10.0.0.1:6443', 'certificate-authority-data': CA, ...cluster },
      },
    ],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u', namespace: 'team-a' } }],
    'current-context': 'x',
    ...extra,
  }
}

function refusal(text: string, options = {}): KubeconfigRefusedError {
  try {
    inlineKubeconfig(text, options)
  } catch (err) {
    if (err instanceof KubeconfigRefusedError) return err
    throw err
  }
  throw new Error('accepted')
}

describe('inlineKubeconfig', () => {
  it('takes the inline credentials of the current context (CAPI client certificate, attached token, basic auth), YAML or JSON', () => {
    const capi = config({}, { 'client-certificate-data': CA, 'client-key-data': CA })
    expect(inlineKubeconfig(stringify(capi))).toEqual({
      server: 'https://10.0.0.1:6443',
      caData: CA,
      certData: CA,
      keyData: CA,
      insecureSkipTlsVerify: false,
      namespace: 'team-a',
    })
    const token = config({ 'tls-server-name': 'api.internal' }, { token: 'abc.def' })
    expect(inlineKubeconfig(JSON.stringify(token))).toMatchObject({
      token: 'abc.def',
      tlsServerName: 'api.internal',
    })
    const basic = config({}, { username: 'admin', password: 'pw' })
    expect(inlineKubeconfig(JSON.stringify(basic))).toMatchObject({ username: 'admin', password: 'pw' })
  })

  it('ignores fields that never reach the client (impersonation, extensions, preferences)', () => {
    const text = stringify(
      config(
        { extensions: [{ name: 'x', extension: {} }] },
        { token: 't0k3n', as: 'system:admin' },
        { preferences: {} },
      ),
    )
    expect(inlineKubeconfig(text)).toEqual({
      server: 'https://10.0.0.1:6443',
      caData: CA,
      token: 't0k3n',
      insecureSkipTlsVerify: false,
      namespace: 'team-a',
    })
  })

  const refused: [string, Record<string, unknown>, Record<string, unknown>, string][] = [
    ['exec plugin', {}, { exec: { command: '/bin/sh', args: ['-c', 'id'] } }, 'users[0].user.exec'],
    [
      'auth-provider cmd-path',
      {},
      { 'auth-provider': { name: 'gcp', config: { 'cmd-path': 'sh' } } },
      'users[0].user.auth-provider',
    ],
    [
      'auth-provider tokenFile',
      {},
      { 'auth-provider': { name: 'x', config: { tokenFile: '/etc/passwd' } } },
      'users[0].user.auth-provider',
    ],
    ['token-file', {}, { 'token-file': '/var/run/secrets/token' }, 'users[0].user.token-file'],
    ['tokenFile', {}, { tokenFile: '/var/run/secrets/token' }, 'users[0].user.tokenFile'],
    [
      'client-certificate path',
      {},
      { 'client-certificate': '/etc/ssl/c.pem' },
      'users[0].user.client-certificate',
    ],
    ['client-key path', {}, { 'client-key': '/etc/ssl/k.pem' }, 'users[0].user.client-key'],
    [
      'certificate-authority path',
      { 'certificate-authority': '/etc/ssl/ca.pem' },
      { token: 't' },
      'clusters[0].cluster.certificate-authority',
    ],
    ['proxy-url', { 'proxy-url': 'socks5://10.0.0.9:1080' }, { token: 't' }, 'clusters[0].cluster.proxy-url'],
    ['http server', { server: 'http://10.0.0.1:8080' }, { token: 't' }, 'clusters[0].cluster.server'],
    [
      'credentials in the URL',
      { server: 'https://u:p@10.0.0.1' },
      { token: 't' },
      'clusters[0].cluster.server',
    ],
    [
      'insecure-skip-tls-verify',
      { 'insecure-skip-tls-verify': true },
      { token: 't' },
      'clusters[0].cluster.insecure-skip-tls-verify',
    ],
    [
      'not base64 CA data',
      { 'certificate-authority-data': '../../etc/passwd' },
      { token: 't' },
      'clusters[0].cluster.certificate-authority-data',
    ],
  ]
  it.each(refused)('refuses %s, naming the field', (_what, cluster, user, field) => {
    const err = refusal(JSON.stringify(config(cluster, user)))
    expect(err.problems.map((p) => p.field)).toEqual([field])
    expect(err.message).toContain(field)
  })

  it('refuses dangerous fields in entries the current context does not use, and lists every problem at once', () => {
    const doc = config({}, { token: 't' })
    doc.users.push({ name: 'other', user: { exec: { command: 'x' } } as never })
    doc.clusters.push({
      name: 'other',
      cluster: { server: 'http://x', 'certificate-authority': '/x' } as never,
    })
    const err = refusal(JSON.stringify(doc))
    expect(err.problems.map((p) => p.field)).toEqual([
      'clusters[1].cluster.certificate-authority',
      'users[1].user.exec',
    ])
    const all = config({ server: 'http://a', 'proxy-url': 'http://b' }, { exec: {}, 'token-file': '/t' })
    expect(refusal(JSON.stringify(all)).problems.map((p) => p.field)).toEqual([
      'clusters[0].cluster.proxy-url',
      'users[0].user.exec',
      'users[0].user.token-file',
      'clusters[0].cluster.server',
    ])
  })

  it('accepts insecure-skip-tls-verify only when allowed', () => {
    const text = JSON.stringify(config({ 'insecure-skip-tls-verify': true }, { token: 't' }))
    expect(inlineKubeconfig(text, { allowInsecureSkipTlsVerify: true }).insecureSkipTlsVerify).toBe(true)
    expect(refusal(text).message).toMatch(/allowInsecureSkipTlsVerify: true/)
    const off = JSON.stringify(config({ 'insecure-skip-tls-verify': false }, { token: 't' }))
    expect(inlineKubeconfig(off).insecureSkipTlsVerify).toBe(false)
  })

  it('refuses a kubeconfig without a usable context, naming what is missing', () => {
    const noCurrent = { ...config({}, { token: 't' }), 'current-context': undefined }
    expect(refusal(JSON.stringify(noCurrent)).problems[0]!.field).toBe('current-context')
    const dangling = {
      ...config({}, { token: 't' }),
      contexts: [{ name: 'x', context: { cluster: 'nope', user: 'u' } }],
    }
    expect(refusal(JSON.stringify(dangling)).problems.map((p) => p.field)).toEqual([
      'contexts[0].context.cluster',
    ])
  })

  it('YAML bombs, duplicate keys, junk and oversized text are refusals (bounded), never crashes', () => {
    const laughs = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for (let i = 1; i < 12; i++)
      laughs.push(
        `${'bcdefghijklm'[i - 1]}: &${'bcdefghijklm'[i - 1]} [${Array(9)
          .fill(`*${'abcdefghijkl'[i - 1]}`)
          .join(',')}]`,
      )
    laughs.push('clusters: [*l]')
    expect(refusal(laughs.join('\n')).problems[0]!.field).toBe('(document)')
    expect(refusal('a: 1\na: 2\n').problems[0]!.reason).toMatch(/not valid YAML/)
    expect(refusal('[[[[[[[[').problems[0]!.field).toBe('(document)')
    expect(refusal('- 1\n- 2').problems[0]!.reason).toBe('not a mapping')
    expect(refusal('x'.repeat(300_000)).problems[0]!.reason).toMatch(/limited to/)
    expect(refusal(`${'['.repeat(100_000)}`).problems[0]!.field).toBe('(document)')
  })
})
