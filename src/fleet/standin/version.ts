// `dkp version [--long] [-o yaml|json]`: the component versions of the release stood in for.

import { stringify } from 'yaml'
import { suffix } from '../objects.js'
import type { Command, Ctx } from './command.js'
import { UsageError } from './flags.js'
import { minorOf } from './object-helpers.js'
import { str } from './session.js'

export const versionCommand: Command = {
  name: 'version',
  short: 'Print the version of every component',
  args: 0,
  flags: [
    { name: 'long', type: 'bool', usage: 'Print the full version information' },
    { name: 'output', short: 'o', type: 'string', usage: 'Output format: yaml|json' },
  ],
  run: printVersion,
}

/** Component versions of a release (dkp/kommander/konvoy = the release; the others inferred). */
export function componentVersions(version: string): Record<string, string> {
  const [, minor, patch] = minorOf(version)
  return {
    diagnose: `v0.${minor + 2}.${patch}`,
    dkp: version,
    kommander: version,
    konvoy: version,
    mindthegap: `v1.${minor + 3}.${patch}`,
  }
}

async function printVersion(ctx: Ctx): Promise<void> {
  const versions = componentVersions(ctx.version)
  const long = Boolean(ctx.flags.long)
  const detail = (v: string) => {
    const [maj, min] = minorOf(v)
    return {
      major: String(maj),
      minor: String(min),
      gitVersion: v,
      gitCommit: suffix(`commit/${v}`, 40).replace(/[^0-9a-f]/g, '0'),
      gitTreeState: 'clean',
      buildDate: '2024-03-01T00:00:00Z',
      goVersion: 'go1.21.6',
      compiler: 'gc',
      platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
    }
  }
  const data = long ? Object.fromEntries(Object.entries(versions).map(([k, v]) => [k, detail(v)])) : versions
  const o = str(ctx.flags.output)
  if (o === 'json') ctx.io.stdout(`${JSON.stringify(data, null, 2)}\n`)
  else if (o === 'yaml' || !o) {
    if (!long)
      ctx.io.stdout(
        Object.entries(versions)
          .map(([k, v]) => `${k}: ${v}\n`)
          .join(''),
      )
    else ctx.io.stdout(stringify(data))
  } else throw new UsageError(`--output must be 'yaml' or 'json'`)
}
