// Bundles the action, the post step, the CLI and the dev-fleet programs into dist/ as ESM.
// client-node sits behind dynamic import() so the plan path never loads it (code splitting).
// The inventory JSON Schema is compiled to a standalone ajv validator first (no ajv compile at start-up).

import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'
import { generateValidator } from './gen-validator.mjs'

await generateValidator()

rmSync('dist', { recursive: true, force: true })
const result = await build({
  entryPoints: {
    index: 'src/index.ts',
    post: 'src/post.ts',
    cli: 'src/cli.ts',
    'dkp-standin': 'src/fleet/dkp-standin.ts',
    'fleet-daemon': 'src/fleet/daemon.ts',
  },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22.19',
  outdir: 'dist',
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
  minify: true,
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
  banner: {
    js: "import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);",
  },
})

writeLicenses(result.metafile)

/** dist/licenses.txt: the licence of every package bundled into dist/, sorted by name. */
function writeLicenses(metafile) {
  const packages = new Set()
  for (const input of Object.keys(metafile.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)
    if (m) packages.add(m[1])
  }
  const sections = [...packages].sort().map((name) => {
    const dir = join('node_modules', name)
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f))
    const text =
      file && existsSync(join(dir, file))
        ? readFileSync(join(dir, file), 'utf8').trim()
        : '(no licence file shipped)'
    return `${name}@${pkg.version} (${pkg.license ?? 'unknown licence'})\n\n${text}\n`
  })
  writeFileSync(
    'dist/licenses.txt',
    `Packages bundled into dist/ and their licences.\n\n${sections.join('\n---\n\n')}`,
  )
}
