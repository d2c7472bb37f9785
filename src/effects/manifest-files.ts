// Reads a `--manifests` directory (or file) and hands each file's text to the pure scanner.
// The only I/O of the repository scan. Walk order is deterministic (code-point order of
// names); node_modules and .git are skipped; symlinked files are read, symlinked directories
// are not followed (no cycles). Locations are relative to `base` (the repository root, the
// cwd by default) when the file lies inside it, else relative to the scanned directory.

import type { Dirent } from 'node:fs'
import { readdir, readFile, stat } from 'node:fs/promises'
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { scanManifestText, UNREADABLE_RULE } from '../core/compat/manifest-scan.js'
import { InputError } from '../core/errors.js'
import type { Finding } from '../core/findings.js'

export const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'] as const
const SKIP_DIRS = new Set(['node_modules', '.git'])
/** Larger files are reported (manifest-unreadable) and not read. */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024

export interface ManifestFile {
  /** Absolute path. */
  path: string
  /** Path used in findings: relative, `/`-separated. */
  display: string
}

const byName = (a: Dirent, b: Dirent): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
const isManifestName = (name: string): boolean =>
  MANIFEST_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext))

/** Every manifest file under `target` (a directory or a single file), in walk order. */
export async function listManifestFiles(
  target: string,
  base: string = process.cwd(),
): Promise<ManifestFile[]> {
  const root = isAbsolute(target) ? target : resolve(base, target)
  const st = await stat(root).catch((err: NodeJS.ErrnoException) => {
    throw new InputError(
      `--manifests ${target}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`,
    )
  })
  const display = (abs: string): string => {
    const fromBase = relative(base, abs)
    const rel =
      fromBase.startsWith('..') || isAbsolute(fromBase)
        ? st.isDirectory()
          ? relative(root, abs)
          : basename(abs)
        : fromBase
    return rel.split(sep).join('/')
  }
  if (st.isFile()) return [{ path: root, display: display(root) }]
  if (!st.isDirectory()) throw new InputError(`--manifests ${target}: not a directory or file`)

  const out: ManifestFile[] = []
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort(byName)
    for (const e of entries) {
      const abs = join(dir, e.name)
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) await walk(abs)
      } else if (isManifestName(e.name)) {
        if (
          e.isFile() ||
          (e.isSymbolicLink() &&
            (await stat(abs).then(
              (s) => s.isFile(),
              () => false,
            )))
        )
          out.push({ path: abs, display: display(abs) })
      }
    }
  }
  await walk(root)
  return out
}

export interface ManifestScanSummary {
  findings: Finding[]
  files: number
  documents: number
  /** Documents parsed in full (those mentioning a removed apiVersion, or all with parseAll). */
  parsedDocuments: number
  /** Kubernetes objects in the parsed documents. */
  objects: number
  bytes: number
}

export interface ScanManifestsOptions {
  /** Target Kubernetes version (`1.29`). */
  target: string | number
  /** Repository root for relative paths; default the cwd. */
  base?: string
  /** Files read ahead of the scanner. */
  readAhead?: number
  /** Parse every document (reports syntax errors everywhere; slower). */
  parseAll?: boolean
}

/** Scans every manifest under each target (directories or files). Files are scanned in order. */
export async function scanManifestPaths(
  targets: readonly string[],
  options: ScanManifestsOptions,
): Promise<ManifestScanSummary> {
  const base = options.base ?? process.cwd()
  const files: ManifestFile[] = []
  const seen = new Set<string>()
  for (const t of targets) {
    for (const f of await listManifestFiles(t, base)) {
      if (seen.has(f.path)) continue
      seen.add(f.path)
      files.push(f)
    }
  }
  const summary: ManifestScanSummary = {
    findings: [],
    files: files.length,
    documents: 0,
    parsedDocuments: 0,
    objects: 0,
    bytes: 0,
  }
  const ahead = Math.max(1, options.readAhead ?? 8)
  const reads: Promise<string | Finding>[] = []
  const read = (i: number) => {
    const f = files[i]
    if (f && !reads[i]) reads[i] = readManifest(f)
  }
  for (let i = 0; i < files.length; i++) {
    for (let j = i; j < i + ahead; j++) read(j)
    const content = await reads[i]!
    reads[i] = Promise.resolve('') // release the text
    if (typeof content !== 'string') {
      summary.findings.push(content)
      continue
    }
    summary.bytes += Buffer.byteLength(content, 'utf8')
    const r = scanManifestText(content, files[i]!.display, {
      target: options.target,
      ...(options.parseAll ? { parseAll: true } : {}),
    })
    summary.findings.push(...r.findings)
    summary.documents += r.documents
    summary.parsedDocuments += r.parsedDocuments
    summary.objects += r.objects
  }
  return summary
}

async function readManifest(f: ManifestFile): Promise<string | Finding> {
  try {
    const size = (await stat(f.path)).size
    if (size > MAX_MANIFEST_BYTES)
      return unreadable(f, `it is ${size} bytes; the limit is ${MAX_MANIFEST_BYTES}`)
    return await readFile(f.path, 'utf8')
  } catch (err) {
    return unreadable(f, (err as NodeJS.ErrnoException).code ?? (err as Error).message)
  }
}

function unreadable(f: ManifestFile, reason: string): Finding {
  return {
    ruleId: UNREADABLE_RULE,
    severity: 'warning',
    location: { file: f.display, line: 1, col: 1 },
    message: `${f.display} was not scanned: ${reason}.`,
    remedy: 'Make the file readable, or keep it out of the scanned directory.',
  }
}
