// `npm test`: every tier. Builds (or reuses) the kube-apiserver + etcd binaries first and
// bundles dist/ (tests run the real bundles), then runs vitest over all projects.
//   npm test            unit, effects, integration, fidelity, e2e, faults
//   npm test -- faults  one project (any vitest args after the name pass through)
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const projects = ['unit', 'effects', 'integration', 'fidelity', 'e2e', 'faults']
const only = projects.includes(args[0]) ? args.shift() : undefined
const needsKube = !only || ['integration', 'fidelity', 'e2e', 'faults'].includes(only)

function step(title, fn) {
  const t = Date.now()
  process.stderr.write(`▶ ${title}\n`)
  const ok = fn()
  process.stderr.write(`  ${ok ? 'done' : 'FAILED'} in ${((Date.now() - t) / 1000).toFixed(1)} s\n`)
  return ok
}

const env = { ...process.env }
if (needsKube && !env.KUBE_BIN_DIR && !env.KUBE_IT_SKIP) {
  step('kube-apiserver + etcd from the Go module proxy (cached after the first build)', () => {
    const logDir = join(root, '.tmp')
    mkdirSync(logDir, { recursive: true })
    const log = join(logDir, 'build-bins.log')
    const r = spawnSync('bash', [join(root, 'test/kube/build-bins.sh')], { encoding: 'utf8', env })
    writeFileSync(log, `${r.stderr ?? ''}${r.error ? String(r.error) : ''}`)
    if (r.status === 0 && r.stdout.trim() && existsSync(join(r.stdout.trim(), 'kube-apiserver'))) {
      env.KUBE_BIN_DIR = r.stdout.trim()
      process.stderr.write(`  binaries: ${env.KUBE_BIN_DIR}\n`)
      return true
    }
    // The integration tiers fail with this reason (test/kube/global-setup.ts); never skipped.
    const tail = readFileSync(log, 'utf8').split('\n').slice(-30).join('\n')
    env.KUBE_BIN_ERROR = `test/kube/build-bins.sh exited ${r.status ?? r.error}: ${tail}`
    process.stderr.write(`${tail}\n`)
    return false
  })
}

if (
  !step(
    'bundle dist/ (npm run build)',
    () => spawnSync('npm', ['run', '-s', 'build'], { stdio: 'inherit', env }).status === 0,
  )
) {
  process.exit(1)
}

const vitest = join(root, 'node_modules/.bin/vitest')
const r = spawnSync(vitest, ['run', ...(only ? ['--project', only] : []), ...args], { stdio: 'inherit', env })
process.exit(r.status ?? 1)
