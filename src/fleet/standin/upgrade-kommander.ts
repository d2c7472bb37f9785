// `dkp upgrade kommander`: preflight (upgrade path, failing HelmReleases), the applications
// repository's ClusterApps at the target, Kommander core and the platform AppDeployments of the
// management cluster moved to it, then waits until the release table's HelmReleases are
// released (reference/dkp.md §2, §5).

import { DKP_MINORS } from '../../core/versions.js'
import type { Kube } from '../../effects/kube.js'
import { dkpRelease } from '../dkp-releases.js'
import { API, dig, getCondition, helmReleaseConverged, KOMMANDER_NS, vPrefixed } from '../objects.js'
import { enabledApps, RELEASES } from '../release-table.js'
import {
  CliError,
  CONFIG,
  CONTEXT,
  CORE_TIMEOUT,
  type Command,
  type Ctx,
  KUBECONFIG,
  PLATFORM_TIMEOUT,
  REQUEST_TIMEOUT,
} from './command.js'
import {
  appIdOf,
  helmApiOf,
  minorOf,
  patchIfChanged,
  releasedAsListed,
  throwIfFailed,
} from './object-helpers.js'
import { disableAppDeploymentsFlags } from './release-flags.js'
import { kubeOf, str, type Writer, waitFor, writerFor } from './session.js'

export const upgradeKommanderCommand = (version: string): Command => ({
  name: 'kommander',
  short: 'Upgrade Kommander and its platform applications on the management cluster',
  args: 0,
  flags: [
    KUBECONFIG,
    CONTEXT,
    REQUEST_TIMEOUT,
    CONFIG,
    {
      name: 'kommander-applications-repository',
      type: 'string',
      default: version,
      usage: 'Kommander applications repository: a git tag, a checkout directory or a .tar.gz',
    },
    {
      name: 'charts-bundle',
      type: 'stringArray',
      default: [],
      usage: 'Chart bundle (.tar.gz) to upload; repeatable',
    },
    {
      name: 'disallow-charts-download',
      type: 'bool',
      usage: 'Do not download charts from the internet',
    },
    { name: 'kommander-charts-version', type: 'string', usage: 'Version of the Kommander charts' },
    CORE_TIMEOUT,
    PLATFORM_TIMEOUT,
    ...disableAppDeploymentsFlags(version, 'kommander'),
    {
      name: 'gitea-kommander-repository-name',
      type: 'string',
      default: 'kommander',
      usage: 'Name of the Gitea repository holding the Kommander applications',
    },
  ],
  run: upgradeKommander,
})

/** One run of the command: what its steps share. */
interface Run {
  ctx: Ctx
  kube: Kube
  w: Writer
  helmApi: string
  /** The Kommander chart version upgraded to. */
  target: string
  out: (line: string) => void
}

type PlatformRelease = NonNullable<ReturnType<typeof RELEASES.platform>>

const CORE_RELEASES = ['kommander', 'kommander-appmanagement']

async function upgradeKommander(ctx: Ctx): Promise<void> {
  const kube = kubeOf(ctx)
  const helmApi = await helmApiOf(kube)
  const hr = await kube.get(helmApi, 'HelmRelease', 'kommander', KOMMANDER_NS)
  if (!hr)
    throw new CliError(
      'Kommander is not installed: HelmRelease kommander/kommander not found (wrong --kubeconfig?)',
    )
  const target = str(ctx.flags['kommander-charts-version'])
    ? vPrefixed(String(ctx.flags['kommander-charts-version']))
    : dkpRelease(ctx.version).kommanderChart
  const run: Run = {
    ctx,
    kube,
    w: writerFor(ctx, []),
    helmApi,
    target,
    out: (line) => ctx.io.stdout(`${line}\n`),
  }
  await preflight(run, String(dig(hr, 'spec', 'chart', 'spec', 'version') ?? ''))
  const platform = await updateApplicationDefinitions(run)
  await upgradeCore(run)
  const enabled = await movePlatformApps(run, platform)
  await run.w.done()
  await waitForReleases(run, enabled)
}

/** The previous minor, or the same minor with a lower (or equal) patch; no failing HelmRelease. */
async function preflight({ kube, helmApi, target, out }: Run, current: string): Promise<void> {
  const [cMaj, cMin, cPatch] = minorOf(current)
  const [tMaj, tMin, tPatch] = minorOf(target)
  // The previous minor of the release line: DKP 2.8 before NKP 2.12 (the renamed DKP).
  const at = DKP_MINORS.findIndex((m) => m.minor === `${tMaj}.${tMin}`)
  const previous = at > 0 ? DKP_MINORS[at - 1]!.minor : `${tMaj}.${tMin - 1}`
  const ok = `${cMaj}.${cMin}` === previous || (cMaj === tMaj && cMin === tMin && cPatch <= tPatch)
  if (!ok) {
    out(' ✗ Ensuring upgrading conditions are met')
    throw new CliError(
      `cannot upgrade Kommander from ${current} to ${target}: only upgrades from the previous minor release (v${previous}.x) or an older patch of v${tMaj}.${tMin} are supported`,
    )
  }
  const failing = (await kube.list(helmApi, 'HelmRelease', { namespace: KOMMANDER_NS })).filter(
    (h) => getCondition(h, 'Ready')?.status === 'False',
  )
  if (failing.length > 0) {
    out(' ✗ Ensuring upgrading conditions are met')
    throw new CliError(
      `HelmReleases not ready in namespace ${KOMMANDER_NS}: ${failing.map((h) => `${h.metadata.name} (${getCondition(h, 'Ready')?.message ?? ''})`).join(', ')}`,
    )
  }
  out(' ✓ Ensuring upgrading conditions are met')
}

/**
 * Application definitions: the Kommander applications repository at the target, and every app
 * it ships (release table) as a ClusterApp.
 */
async function updateApplicationDefinitions({ kube, w, target, out }: Run): Promise<PlatformRelease> {
  const sourceApi = (await kube.hasResource(API.source, 'GitRepository')) ? API.source : API.sourceV1beta2
  const repo = await kube.get(sourceApi, 'GitRepository', 'management', 'kommander-flux')
  if (repo)
    await patchIfChanged(
      w,
      kube,
      repo,
      { spec: { ref: { tag: target } } },
      dig(repo, 'spec', 'ref', 'tag') !== target,
    )
  const platform = RELEASES.platform(target)
  if (!platform) throw new CliError(`Kommander applications ${target} not found`)
  for (const appId of platform.apps()) {
    for (const version of platform.versions(appId)) {
      const name = `${appId}-${version}`
      if (await kube.get(API.apps, 'ClusterApp', name)) continue
      await w.write(() =>
        kube.create({
          apiVersion: API.apps,
          kind: 'ClusterApp',
          metadata: { name, labels: { 'apps.kommander.d2iq.io/app-id': appId } },
          spec: {
            appId,
            version,
            type: 'internal',
            artifacts: { git: { path: `./services/${appId}/${version}` } },
          },
        }),
      )
    }
  }
  out(' ✓ Ensuring application definitions are updated')
  out(' ✓ Ensuring helm-mirror implementation is migrated to chartmuseum')
  return platform
}

/** Kommander core: its HelmReleases at the target chart. */
async function upgradeCore({ kube, w, helmApi, target }: Run): Promise<void> {
  for (const name of CORE_RELEASES) {
    const h = await kube.get(helmApi, 'HelmRelease', name, KOMMANDER_NS)
    if (h)
      await patchIfChanged(
        w,
        kube,
        h,
        { spec: { chart: { spec: { version: target } } } },
        dig(h, 'spec', 'chart', 'spec', 'version') !== target,
      )
  }
}

/**
 * Platform apps on the management cluster: every ClusterApp-kind AppDeployment in `kommander`
 * whose app the target ships moves to the target's ClusterApp; apps the target enables by
 * default there (I: managementApps ∪ defaultApps) get one when missing. Returns the enabled
 * apps with their versions.
 */
async function movePlatformApps(
  { ctx, kube, w, target }: Run,
  platform: PlatformRelease,
): Promise<Map<string, string>> {
  const disabled = new Set((ctx.flags['disable-appdeployments'] as string[] | undefined) ?? [])
  const version = (appId: string) => platform.versions(appId)[0]
  const ads = await kube.list(API.apps, 'AppDeployment', { namespace: KOMMANDER_NS })
  const present = new Set<string>()
  const enabled = new Map<string, string>()
  for (const ad of ads) {
    const ref = dig<{ kind: string; name: string }>(ad, 'spec', 'appRef')
    if (ref?.kind !== 'ClusterApp') continue
    const appId = (await appIdOf(kube, ref, KOMMANDER_NS)) ?? ''
    present.add(appId)
    const v = version(appId)
    if (!v || disabled.has(ad.metadata.name as string) || disabled.has(appId)) continue
    enabled.set(appId, v)
    const appName = `${appId}-${v}`
    await patchIfChanged(
      w,
      kube,
      ad,
      { spec: { appRef: { kind: 'ClusterApp', name: appName } } },
      ref.name !== appName,
    )
  }
  for (const appId of enabledApps(target).management) {
    const v = version(appId)
    if (present.has(appId) || disabled.has(appId) || !v) continue
    enabled.set(appId, v)
    await w.write(() =>
      kube.create({
        apiVersion: API.apps,
        kind: 'AppDeployment',
        metadata: { name: appId, namespace: KOMMANDER_NS },
        spec: { appRef: { kind: 'ClusterApp', name: `${appId}-${v}` } },
      }),
    )
  }
  return enabled
}

/** Waits for Kommander core, then for the release table's HelmReleases of the enabled apps. */
async function waitForReleases(
  { ctx, kube, helmApi, target, out }: Run,
  enabled: Map<string, string>,
): Promise<void> {
  await waitFor(
    ctx,
    'the Kommander core applications',
    Number(ctx.flags['core-app-timeout'] ?? 0),
    async () => {
      for (const name of CORE_RELEASES) {
        const h = await kube.get(helmApi, 'HelmRelease', name, KOMMANDER_NS)
        if (h) throwIfFailed(h)
        if (h && !helmReleaseConverged(h))
          return `HelmRelease ${KOMMANDER_NS}/${name} not released at ${target}`
      }
      return true
    },
  )
  out(' ✓ Ensuring Kommander core is upgraded')
  await waitFor(
    ctx,
    'the platform applications',
    Number(ctx.flags['platform-apps-timeout'] ?? 0),
    async () => {
      const hrs = await kube.list(helmApi, 'HelmRelease', { namespace: KOMMANDER_NS })
      hrs.forEach(throwIfFailed)
      return releasedAsListed(hrs, KOMMANDER_NS, [...enabled], target)
    },
  )
  out(' ✓ Ensuring platform applications are upgraded')
}
