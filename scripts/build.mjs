// Bundles the action, the post step, the CLI and the dev-fleet programs into dist/ as ESM.
// client-node sits behind dynamic import() so the plan path never loads it (code splitting).
// The inventory JSON Schema is compiled to a standalone ajv validator first (no ajv compile at start-up).

import { rmSync } from 'node:fs'
import { build } from 'esbuild'
import { generateValidator } from './gen-validator.mjs'

await generateValidator()

rmSync('dist', { recursive: true, force: true })
await build({
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
  legalComments: 'linked',
  logLevel: 'warning',
  banner: {
    js: "import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);",
  },
})
