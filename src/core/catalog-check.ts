// Catalog app versions of the inventory against the catalog the target release ships
// (mesosphere/dkp-catalog-applications, the tag named like the DKP target: v2.8.1). A version
// the catalog does not ship is a warning, never an error: a site may add its own catalog
// repository. Pure: the caller loads the release data (src/core/release-data.ts) and passes it.

import type { InputProblem } from './errors.js'
import type { CatalogApp, Inventory } from './model.js'
import type { ReleaseData } from './release-data.js'

export interface CatalogCheck {
  warnings: InputProblem[]
  /** Said once, when nothing could be checked (the table has no catalog for the target). */
  notes: string[]
}

/** Every catalog app of the inventory (workspaces and projects), in inventory order. */
export function inventoryCatalogApps(inv: Inventory): CatalogApp[] {
  return inv.workspaces.flatMap((w) => [...w.apps, ...w.projects.flatMap((p) => p.apps)])
}

/**
 * The catalog app an AppDeployment name stands for: the app id itself (`kafka-operator`, how
 * Kommander names an AppDeployment by default) or the longest known id followed by `-`
 * (`kafka-operator-abc`). Undefined for a name no catalog knows (a site's own catalog).
 */
export function catalogAppIdOf(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined
  for (const id of known) {
    if ((name === id || name.startsWith(`${id}-`)) && (!best || id.length > best.length)) best = id
  }
  return best
}

export function checkCatalogVersions(inv: Inventory, targetDkp: string, data: ReleaseData): CatalogCheck {
  const apps = inventoryCatalogApps(inv)
  const out: CatalogCheck = { warnings: [], notes: [] }
  if (apps.length === 0) return out
  const catalog = data.catalog(targetDkp)
  if (!catalog) {
    const tags = data.catalogTags()
    out.notes.push(
      `catalog app versions not checked: the release table has no mesosphere/dkp-catalog-applications tag ${targetDkp} (it has ${tags[0]}–${tags.at(-1)}, ${tags.length} tags)`,
    )
    return out
  }
  const known = new Set(data.catalogTags().flatMap((t) => data.catalog(t)?.apps() ?? []))
  for (const app of apps) {
    const id = catalogAppIdOf(app.name, known)
    if (!id) continue
    const versions = catalog.versions(id)
    if (versions.includes(app.version)) continue
    const ships =
      versions.length > 0 ? `which ships ${id} ${versions.join(', ')}` : `which ships no ${id} at all`
    const warning: InputProblem = {
      source: app.versionSource ?? app.source,
      message: `${id} ${app.version} is not in the DKP ${targetDkp} catalog (${catalog.repo} ${catalog.tag}), ${ships}; fine if your own catalog repository provides it`,
    }
    if (app.versionPath) warning.path = app.versionPath
    out.warnings.push(warning)
  }
  return out
}
