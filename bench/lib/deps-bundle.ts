// The bundle part of bench/deps.ts: the installer (src/effects/dkp-install.ts) bundled the way
// scripts/build.mjs bundles dist/ (esbuild, ESM, minified, code splitting), alone and with each
// Actions toolkit package imported next to it. Figures: the bytes loaded at start (the entry and
// the chunks it imports statically; dynamic imports such as the proxy agent are not counted)
// and the CPU time of `node <entry>` (median of interleaved runs). Also the bytes js-yaml and
// yaml take in a bundle of the inventory parser (the plan path).

import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { type Figure, figure, median, quick, ROOT, round, runTimed } from './common.js'

const VARIANTS: [string, string][] = [
  ['installer alone', ''],
  ['+ @actions/tool-cache', "export { find, cacheDir, extractTar, downloadTool } from '@actions/tool-cache'"],
  ['+ @actions/http-client', "export { HttpClient } from '@actions/http-client'"],
  ['+ @actions/exec', "export { getExecOutput } from '@actions/exec'"],
  ['+ @actions/io', "export { cp, mv, rmRF, mkdirP, which } from '@actions/io'"],
]

const BANNER =
  "import { createRequire as __benchRequire } from 'node:module'; const require = __benchRequire(import.meta.url);"

interface Meta {
  outputs: Record<string, { bytes: number; entryPoint?: string; imports: { path: string; kind: string }[] }>
  inputs?: Record<string, unknown>
}

/** Bytes of the entry and every chunk reachable from it through static imports. */
function staticBytes(meta: Meta, entry: string): number {
  const seen = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file) || !meta.outputs[file]) return
    seen.add(file)
    for (const i of meta.outputs[file]!.imports) if (i.kind === 'import-statement') visit(i.path)
  }
  visit(entry)
  return [...seen].reduce((n, f) => n + meta.outputs[f]!.bytes, 0)
}

async function bundleVariant(
  dir: string,
  extra: string,
): Promise<{ entry: string; bytes: number; total: number }> {
  const { build } = await import('esbuild')
  const contents = `export { installDkp } from ${JSON.stringify(join(ROOT, 'src/effects/dkp-install.ts'))}\n${extra}\n`
  const r = await build({
    stdin: { contents, resolveDir: ROOT, loader: 'ts', sourcefile: 'entry.ts' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22.19',
    outdir: dir,
    entryNames: 'entry',
    outExtension: { '.js': '.mjs' },
    minify: true,
    metafile: true,
    logLevel: 'silent',
    banner: { js: BANNER },
  })
  const meta = r.metafile as unknown as Meta
  const entryKey = Object.keys(meta.outputs).find((k) => k.endsWith('entry.mjs'))!
  const total = Object.entries(meta.outputs)
    .filter(([k]) => k.endsWith('.mjs'))
    .reduce((n, [, o]) => n + o.bytes, 0)
  return { entry: join(dir, 'entry.mjs'), bytes: staticBytes(meta, entryKey), total }
}

/** CPU time (user + system) of `node <entry>`: steadier than wall time on a shared machine. */
async function loadCpuMs(entry: string): Promise<number> {
  const r = await runTimed(process.execPath, [entry], { rss: true })
  if (r.code !== 0 || r.cpuMs === undefined) throw new Error(`node ${entry} exited ${r.code}: ${r.stderr}`)
  return r.cpuMs
}

/** Bytes of each package's modules in a bundle of parseInventory (minified, one file). */
async function yamlParserBytes(): Promise<Record<string, number> | undefined> {
  if (!existsSync(join(ROOT, 'src/core/inventory-validator.gen.js'))) return undefined
  const { build } = await import('esbuild')
  const r = await build({
    stdin: {
      contents: `export { parseInventory } from ${JSON.stringify(join(ROOT, 'src/core/inventory.ts'))}`,
      resolveDir: ROOT,
      loader: 'ts',
    },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22.19',
    minify: true,
    metafile: true,
    write: false,
    logLevel: 'silent',
  })
  const out = Object.values(r.metafile.outputs)[0]!
  const bytes: Record<string, number> = { total: out.bytes }
  for (const [input, v] of Object.entries(out.inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1]
    if (pkg === 'js-yaml' || pkg === 'yaml') bytes[pkg] = (bytes[pkg] ?? 0) + v.bytesInOutput
  }
  return bytes
}

export async function bundleFigures(tmp: string): Promise<{ figures: Figure[]; details: object }> {
  const built = []
  const skipped: string[] = []
  for (const [i, [label, extra]] of VARIANTS.entries()) {
    // @actions/exec and @actions/io are no longer declared: measured while something installs them.
    const b = await bundleVariant(join(tmp, `bundle-${i}`), extra).catch((err: Error) => {
      skipped.push(`${label}: ${err.message.split('\n')[0]}`)
      return undefined
    })
    if (b) built.push({ label, ...b, ms: [] as number[] })
  }
  const runs = quick() ? 5 : 9
  for (let r = 0; r < runs; r++) for (const b of built) b.ms.push(await loadCpuMs(b.entry))
  const base = built[0]!
  const kib = (n: number) => round(n / 1024, 1)
  const figures: Figure[] = built.slice(1).map((b) =>
    figure({
      id: `deps-bundle-${b.label.replace(/^\+ @actions\//, '')}`,
      label: `installer ${b.label}: bytes loaded at start`,
      value: kib(b.bytes),
      unit: 'KiB',
      reference: { label: 'installer alone', value: kib(base.bytes), unit: 'KiB' },
      note: `load CPU ${round(median(b.ms), 0)} ms vs ${round(median(base.ms), 0)} ms (median of ${runs}); all chunks ${kib(b.total)} KiB vs ${kib(base.total)} KiB`,
    }),
  )
  const yaml = await yamlParserBytes()
  if (yaml) {
    figures.push(
      figure({
        id: 'deps-js-yaml-bytes',
        label: 'js-yaml in the inventory parser bundle (the fast path)',
        value: kib(yaml['js-yaml'] ?? 0),
        unit: 'KiB',
        reference: { label: 'whole parser bundle', value: kib(yaml.total!), unit: 'KiB' },
        note: `yaml (the located parser) ${kib(yaml.yaml ?? 0)} KiB`,
      }),
    )
  }
  const sizes = built.map((b) => ({
    label: b.label,
    bytes: b.bytes,
    total: b.total,
    loadMs: round(median(b.ms), 1),
  }))
  return {
    figures,
    details: { bundles: sizes, skipped, yamlParserBytes: yaml, entrySize: statSync(base.entry).size },
  }
}
