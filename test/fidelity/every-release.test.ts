// The test fleet and the done-checks agree at every DKP release of the release table: a fleet
// seeded at tag T (fleetObjects, what `fleet up --dkp T` creates) reads as done for target T in
// the kommander and workspaces checks, and as not done for the next tag. Pure: objects in,
// states out, for all 25 tags v2.2.0–v2.8.3.

import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseInventory } from '../../src/core/inventory.js'
import type { AppDeployment, HelmRelease, KommanderApp } from '../../src/core/kinds.js'
import { platformTargets } from '../../src/core/kommander-releases.js'
import { kommanderState, workspaceState } from '../../src/core/kommander-state.js'
import { pendingTexts } from '../../src/core/step-state.js'
import { dkpRelease } from '../../src/fleet/dkp-releases.js'
import { dkpTags, RELEASES } from '../../src/fleet/release-table.js'
import { fleetObjects } from '../../src/fleet/seed.js'

const inventory = parseInventory([
  { path: 'examples/fleet.yaml', content: readFileSync('examples/fleet.yaml', 'utf8') },
]).inventory

function fleetAt(tag: string) {
  const { objects, layout } = fleetObjects(inventory, { dkp: tag, now: new Date(0) })
  const live = objects.map((o) => ({ ...o.obj, ...(o.status ? { status: o.status } : {}) }))
  const of = <T>(kind: string) => live.filter((o) => o.kind === kind) as unknown as T[]
  return {
    layout,
    helmReleases: of<HelmRelease>('HelmRelease'),
    appDeployments: of<AppDeployment>('AppDeployment'),
    clusterApps: of<KommanderApp>('ClusterApp'),
    kommanderCores: of<{ metadata: { name?: string }; status?: { version?: string } }>('KommanderCore'),
  }
}

function states(tag: string, target: string) {
  const f = fleetAt(tag)
  const inNs = <T extends { metadata: { namespace?: string } }>(list: T[], ns: string) =>
    list.filter((o) => o.metadata.namespace === ns)
  const release = RELEASES.platform(target)
  const kommander = kommanderState({
    target,
    release,
    helmReleases: inNs(f.helmReleases, 'kommander'),
    appDeployments: inNs(f.appDeployments, 'kommander'),
    clusterApps: f.clusterApps,
    kommanderCores: f.kommanderCores,
  })
  const targets = platformTargets(inNs(f.appDeployments, 'kommander'), f.clusterApps)
  const workspaces = f.layout.workspaces.map((ws) => {
    const namespaces = [ws.namespace, ...ws.projects.map((p) => p.namespace)]
    return workspaceState({
      workspace: ws.name,
      namespace: ws.namespace,
      projectNamespaces: ws.projects.map((p) => p.namespace),
      target,
      release,
      appDeployments: f.appDeployments.filter((a) => namespaces.includes(a.metadata.namespace!)),
      clusterApps: f.clusterApps,
      targets,
      clusters: [
        {
          cluster: 'c',
          helmReleases: f.helmReleases.filter((h) => namespaces.includes(h.metadata.namespace!)),
        },
      ],
    })
  })
  return { kommander, workspaces }
}

describe('every DKP and NKP release of the table', () => {
  const tags = dkpTags()
  it('covers DKP v2.2.0–v2.8.3 and NKP v2.12.0–v2.17.1', () => {
    // kommander-applications has no v2.6.3 tag; 18 NKP tags v2.12.0–v2.17.1
    expect(tags.filter((t) => /^v2\.[2-8]\./.test(t))).toHaveLength(25)
    expect(tags).toHaveLength(43)
    expect([tags[0], tags.at(-1)]).toEqual(['v2.2.0', 'v2.17.1'])
    expect(tags).toContain('v2.12.0')
  })

  for (const [i, tag] of tags.entries()) {
    it(`${tag}: a fleet seeded there is done for ${tag}${tags[i + 1] ? ` and not for ${tags[i + 1]}` : ''}`, () => {
      expect(dkpRelease(tag).kommanderApp).toBe(RELEASES.platform(tag)!.versions('kommander')[0])
      const at = states(tag, tag)
      expect(pendingTexts(at.kommander), tag).toEqual([])
      for (const ws of at.workspaces) expect(pendingTexts(ws), tag).toEqual([])
      const next = tags[i + 1]
      if (!next) return
      const behind = states(tag, next)
      expect(behind.kommander.done).toBe(false)
      expect(pendingTexts(behind.kommander)[0]).toBe(
        `HelmRelease kommander/kommander chart ${tag} (want ${next}), Ready`,
      )
    })
  }
})
