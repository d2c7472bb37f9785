// Child process of the reliability suite's bounds tests: runs one pure scan of tenant data and
// reports its cost. argv: <module to import (a .ts under src/, loaded with tsx)> <kind> <input file>.
// kind `helm`: the input is a JSON list of Helm storage objects → scanHelmReleases.
// kind `inventory`: the input is a JSON list of inventory file paths → loadInventory.
// Prints one JSON line: { ms, cpuMs, rssMB, baseRssMB, result | error }.
import { readFileSync } from 'node:fs'

const [modulePath, kind, input] = process.argv.slice(2)
const mod = await import(modulePath)
const base = process.memoryUsage().rss
const started = performance.now()
let result
let error
try {
  if (kind === 'helm') {
    const storage = JSON.parse(readFileSync(input, 'utf8'))
    const r = mod.scanHelmReleases(storage, { cluster: 'c', target: '1.29' })
    result = {
      releases: r.releases,
      objects: r.objects,
      findings: r.findings.length,
      rules: [...new Set(r.findings.map((f) => f.ruleId))].sort(),
      first: r.findings.find((f) => f.ruleId !== 'removed-api')?.message?.slice(0, 400),
    }
  } else if (kind === 'inventory') {
    const files = JSON.parse(readFileSync(input, 'utf8'))
    const r = await mod.loadInventory(files, '/')
    result = { clusters: r.inventory.clusters.length }
  }
} catch (err) {
  error = String(err?.message ?? err).slice(0, 600)
}
const u = process.resourceUsage()
process.stdout.write(
  `${JSON.stringify({
    ms: Math.round(performance.now() - started),
    cpuMs: Math.round((u.userCPUTime + u.systemCPUTime) / 1000),
    rssMB: Math.round(u.maxRSS / 1024),
    baseRssMB: Math.round(base / 1024 / 1024),
    result,
    error,
  })}\n`,
)
