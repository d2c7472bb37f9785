// Size report for src/: files over 500 lines and functions over 80 lines (issue 16's limits).
// Printed by `npm run lint`, never a gate: it exits 0 whatever it finds (pass --strict to
// exit 1 when something is over and not explained below).
//
// Function spans come from the TypeScript compiler's own parser: typescript 7 (the Go
// compiler) has no in-process JS parser; its `typescript/unstable/sync` API runs tsgo and hands
// back each source file's AST. Every function-like node counts on its own (a nested arrow
// function counts inside its parent too), from its first token to its closing line.
//
//   node scripts/sizes.mjs [--json] [--strict]

import { relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SyntaxKind } from 'typescript/unstable/ast'
import { API } from 'typescript/unstable/sync'

export const FILE_LIMIT = 500
export const FUNCTION_LIMIT = 80

/** Generated code: counted apart, never split by hand (regenerate it instead). */
const GENERATED = [/\.gen\.js$/]

/**
 * Data tables: files (or functions) that are mostly a literal table; splitting them would
 * split one table. Each entry says why it stays.
 */
const DATA_TABLES = {}

/**
 * Over the limit for a reason: `path` or `path#function` → why it stays. Kept empty when
 * everything is within the limits; the lint output lists what is over and not explained.
 */
const EXPLAINED = {}

const FUNCTION_KINDS = new Set([
  SyntaxKind.FunctionDeclaration,
  SyntaxKind.FunctionExpression,
  SyntaxKind.ArrowFunction,
  SyntaxKind.MethodDeclaration,
  SyntaxKind.Constructor,
  SyntaxKind.GetAccessor,
  SyntaxKind.SetAccessor,
])

/** A readable name for a function node: its own, its variable's or property's, else the call it is passed to. */
function nameOf(node) {
  if (node.name?.text) return node.name.text
  if (node.kind === SyntaxKind.Constructor) return 'constructor'
  const parent = node.parent
  if (!parent) return '<anonymous>'
  if (parent.name?.text) return parent.name.text
  if (parent.kind === SyntaxKind.CallExpression || parent.kind === SyntaxKind.NewExpression) {
    const callee = parent.expression
    const called = callee?.name?.text ?? callee?.text
    const prefix = parent.kind === SyntaxKind.NewExpression ? 'new ' : ''
    return called ? `${prefix}${called}(…) callback` : '<callback>'
  }
  return '<anonymous>'
}

function lineOf(sourceFile, pos) {
  return sourceFile.getLineAndCharacterOfPosition(pos).line + 1
}

/** Every function over the limit in one parsed file, with its class prefix (`Kube.list`). */
function longFunctions(sourceFile, limit) {
  const out = []
  const visit = (node, owner) => {
    let inner = owner
    if (node.kind === SyntaxKind.ClassDeclaration && node.name?.text) inner = node.name.text
    if (FUNCTION_KINDS.has(node.kind)) {
      const start = lineOf(sourceFile, node.getStart(sourceFile))
      const end = lineOf(sourceFile, node.end)
      const lines = end - start + 1
      const name = nameOf(node)
      const qualified =
        owner && (node.kind === SyntaxKind.MethodDeclaration || node.kind === SyntaxKind.Constructor)
          ? `${owner}.${name}`
          : name
      if (lines > limit) out.push({ name: qualified, line: start, lines })
    }
    node.forEachChild((child) => visit(child, inner))
  }
  visit(sourceFile, undefined)
  return out
}

/** Parses src/ with the project's tsconfig and measures every file and function. */
export function measure(root) {
  const api = new API({ cwd: root })
  try {
    const snapshot = api.updateSnapshot({ openProject: resolve(root, 'tsconfig.json') })
    const project = snapshot.getProjects()[0]
    if (!project) throw new Error('tsconfig.json: no project')
    const srcDir = resolve(root, 'src') + sep
    const files = []
    for (const fileName of project.program.getSourceFileNames()) {
      if (!fileName.startsWith(srcDir) || fileName.endsWith('.d.ts')) continue
      const sourceFile = project.program.getSourceFile(fileName)
      if (!sourceFile) continue
      const path = relative(root, fileName).split(sep).join('/')
      const text = sourceFile.text
      const lines = text.length === 0 ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
      files.push({ path, lines, functions: longFunctions(sourceFile, FUNCTION_LIMIT) })
    }
    return files.sort((a, b) => a.path.localeCompare(b.path))
  } finally {
    api.close()
  }
}

/** Sorts what is over the limits into generated, data tables, explained and to fix. */
export function classify(files) {
  const report = { generated: [], dataTables: [], explained: [], files: [], functions: [] }
  for (const f of files) {
    if (GENERATED.some((re) => re.test(f.path))) {
      report.generated.push({ path: f.path, lines: f.lines })
      continue
    }
    if (f.lines > FILE_LIMIT) {
      const why = DATA_TABLES[f.path] ?? EXPLAINED[f.path]
      if (why) (DATA_TABLES[f.path] ? report.dataTables : report.explained).push({ ...f, why })
      else report.files.push({ path: f.path, lines: f.lines })
    }
    for (const fn of f.functions) {
      const key = `${f.path}#${fn.name}`
      const why = DATA_TABLES[key] ?? EXPLAINED[key]
      const entry = { path: f.path, name: fn.name, line: fn.line, lines: fn.lines }
      if (why) (DATA_TABLES[key] ? report.dataTables : report.explained).push({ ...entry, why })
      else report.functions.push(entry)
    }
  }
  return report
}

function render(report, fileCount) {
  const out = []
  out.push(
    `sizes (src/, ${fileCount} files): ${report.files.length} file(s) over ${FILE_LIMIT} lines, ${report.functions.length} function(s) over ${FUNCTION_LIMIT} lines`,
  )
  for (const f of report.files) out.push(`  file      ${f.path}: ${f.lines} lines`)
  for (const f of report.functions) out.push(`  function  ${f.path}:${f.line} ${f.name}: ${f.lines} lines`)
  if (report.dataTables.length > 0) {
    out.push(`data tables (not counted):`)
    for (const d of report.dataTables)
      out.push(`  ${d.path}${d.name ? `#${d.name}` : ''}: ${d.lines} lines: ${d.why}`)
  }
  if (report.explained.length > 0) {
    out.push(`over the limit, with the reason:`)
    for (const d of report.explained)
      out.push(`  ${d.path}${d.name ? `#${d.name}` : ''}: ${d.lines} lines: ${d.why}`)
  }
  if (report.generated.length > 0)
    out.push(
      `generated (not counted): ${report.generated.map((g) => `${g.path} (${g.lines} lines)`).join(', ')}`,
    )
  return `${out.join('\n')}\n`
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(fileURLToPath(import.meta.url), '../..')
  const files = measure(root)
  const report = classify(files)
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
  else process.stdout.write(render(report, files.length))
  if (process.argv.includes('--strict') && report.files.length + report.functions.length > 0)
    process.exitCode = 1
}
