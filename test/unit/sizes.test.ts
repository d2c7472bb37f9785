// scripts/sizes.mjs (printed by `npm run lint`): files over 500 lines and functions over 80
// lines in src/, measured with TypeScript's parser; generated code, data tables and explained
// entries apart.

import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { classify, FILE_LIMIT, FUNCTION_LIMIT, measure } from '../../scripts/sizes.mjs'

const ROOT = resolve(import.meta.dirname, '../..')

describe('classify', () => {
  it('reports long files and functions, counts generated files apart', () => {
    const report = classify([
      { path: 'src/core/short.ts', lines: 120, functions: [] },
      { path: 'src/core/long.ts', lines: FILE_LIMIT + 1, functions: [{ name: 'big', line: 3, lines: 81 }] },
      {
        path: 'src/core/inventory-validator.gen.js',
        lines: 2500,
        functions: [{ name: 'v', line: 1, lines: 900 }],
      },
    ])
    expect(report.files).toEqual([{ path: 'src/core/long.ts', lines: FILE_LIMIT + 1 }])
    expect(report.functions).toEqual([{ path: 'src/core/long.ts', name: 'big', line: 3, lines: 81 }])
    expect(report.generated).toEqual([{ path: 'src/core/inventory-validator.gen.js', lines: 2500 }])
  })
})

describe('measure (the real src/)', () => {
  const files = measure(ROOT)

  it('counts lines as wc -l does', () => {
    const plan = files.find((f: { path: string }) => f.path === 'src/core/plan.ts')
    const text = readFileSync(join(ROOT, 'src/core/plan.ts'), 'utf8')
    expect(plan?.lines).toBe(text.split('\n').length - 1)
    expect(files.length).toBeGreaterThan(100)
  })

  it('finds every function over the limit with its span, and none under it', () => {
    for (const f of files)
      for (const fn of f.functions as { lines: number; line: number }[]) {
        expect(fn.lines).toBeGreaterThan(FUNCTION_LIMIT)
        expect(fn.line).toBeGreaterThan(0)
      }
    const gen = files.find((f: { path: string }) => f.path.endsWith('.gen.js'))
    expect(gen?.functions.length).toBeGreaterThan(0) // the generated validator is one long function
  })
}, 60_000)
