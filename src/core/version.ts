// This release's version: package.json's, bundled at build time (the release workflow checks
// that it equals the tag). `DKP_FLEET_VERSION` overrides it where output must stay stable.
import pkg from '../../package.json' with { type: 'json' }

export const VERSION: string = pkg.version

/** The version reports and `--version` name: `DKP_FLEET_VERSION` of the given environment, else this release's. */
export function toolVersion(env: Readonly<Record<string, string | undefined>>): string {
  return env.DKP_FLEET_VERSION || VERSION
}
