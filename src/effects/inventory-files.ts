// Reads inventory files named by globs (one or many, comma or newline separated) and hands
// their bytes to the pure parser. The only file I/O of inventory loading.

import { readFile, stat } from 'node:fs/promises'
import { isAbsolute, relative, resolve } from 'node:path'
import { glob, isDynamicPattern } from 'tinyglobby'
import { InputError, type InputProblem } from '../core/errors.js'
import { type LoadedInventory, MAX_FILE_BYTES, MAX_TOTAL_BYTES, parseInventory } from '../core/inventory.js'

export function splitGlobs(spec: string | string[]): string[] {
  const parts = Array.isArray(spec) ? spec : [spec]
  return parts
    .flatMap((p) => p.split(/[\n,]/))
    .map((p) => p.trim())
    .filter(Boolean)
}

/** Files matching the globs, sorted per pattern, deduplicated, relative to cwd for messages. */
export async function resolveInventoryFiles(spec: string | string[], cwd = process.cwd()): Promise<string[]> {
  const patterns = splitGlobs(spec)
  if (patterns.length === 0)
    throw new InputError('no inventory given: pass -i <file or glob> (input `inventory`)')
  const out: string[] = []
  const missing: string[] = []
  for (const pattern of patterns) {
    let matches: string[]
    if (isDynamicPattern(pattern)) {
      matches = (await glob(pattern, { cwd, absolute: true, onlyFiles: true, dot: false })).sort()
    } else {
      const abs = isAbsolute(pattern) ? pattern : resolve(cwd, pattern)
      matches = (await stat(abs).then(
        (s) => s.isFile(),
        () => false,
      ))
        ? [abs]
        : []
    }
    if (matches.length === 0) missing.push(pattern)
    for (const m of matches) if (!out.includes(m)) out.push(m)
  }
  if (missing.length > 0) {
    throw new InputError(
      missing.map((p) => ({ message: `no inventory file matches "${p}" (relative to ${cwd})` })),
    )
  }
  return out
}

/** Files named in a "too large together" error (the largest first). */
const TOTAL_LISTED = 20

export async function loadInventory(spec: string | string[], cwd = process.cwd()): Promise<LoadedInventory> {
  const files = (await resolveInventoryFiles(spec, cwd)).map((abs) => ({ abs, path: displayPath(abs, cwd) }))
  const sized = await Promise.all(files.map(async (f) => ({ ...f, size: (await stat(f.abs)).size })))
  const tooLarge = sized.filter((f) => f.size > MAX_FILE_BYTES)
  if (tooLarge.length > 0) {
    throw new InputError(
      tooLarge.map((f) => ({
        source: { file: f.path, line: 1, col: 1 },
        message: `file is ${f.size} bytes; the limit is ${MAX_FILE_BYTES}`,
      })),
    )
  }
  // Parsing holds every file at once: the files together get the one-file bound.
  const total = sized.reduce((sum, f) => sum + f.size, 0)
  if (total > MAX_TOTAL_BYTES) {
    const largest = [...sized].sort((a, b) => b.size - a.size).slice(0, TOTAL_LISTED)
    const listed = sized.filter((f) => largest.includes(f))
    const problems: InputProblem[] = listed.map((f) => ({
      source: { file: f.path, line: 1, col: 1 },
      message: `file is ${f.size} bytes; the ${sized.length} inventory files are ${total} bytes together, over the limit of ${MAX_TOTAL_BYTES} bytes for all files together`,
    }))
    if (sized.length > listed.length)
      problems.push({ message: `… and ${sized.length - listed.length} smaller inventory files` })
    throw new InputError(problems)
  }
  const contents = await Promise.all(
    sized.map(async (f) => ({ path: f.path, content: new Uint8Array(await readFile(f.abs)) })),
  )
  return parseInventory(contents)
}

function displayPath(abs: string, cwd: string): string {
  const rel = relative(cwd, abs)
  return rel.startsWith('..') ? abs : rel
}
