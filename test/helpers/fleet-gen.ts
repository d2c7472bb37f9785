// Generator of valid fleet inventories, as YAML-shaped objects and as YAML text (one file or
// split over several files and documents). Deterministic for a given set of parameters (a
// seeded PRNG, no Math.random), so unit tests, property tests (fleetArbitrary), benchmarks
// and fault tests can share the same fleets and regenerate them exactly.

import fc from 'fast-check'
import { stringify } from 'yaml'

/** One inventory document as written in YAML (the shape of schema/fleet.schema.json). */
export interface FleetDocument {
  apiVersion: 'dkp-fleet/v1'
  kind: 'Fleet'
  metadata?: { name: string }
  target?: { dkp: string; kubernetes?: string }
  management?: {
    name: string
    provider: string
    namespace?: string
    kubeconfigEnv?: string
    nodepools?: (string | { name: string; args?: Record<string, unknown> })[]
  }
  workspaces?: WorkspaceDoc[]
  clusters?: ClusterDoc[]
  rollout?: { maxParallel?: number; failureThreshold?: number }
  backup?: { enabled?: boolean; reason?: string; namespace?: string; maxAge?: string }
}

export interface WorkspaceDoc {
  name: string
  namespace?: string
  apps?: { name: string; version: string }[]
  projects?: { name: string; apps?: { name: string; version: string }[] }[]
}

export interface ClusterDoc {
  name: string
  workspace: string
  provider?: string
  attached?: boolean
  namespace?: string
  nodepools?: (string | { name: string; args?: Record<string, unknown> })[]
  controlPlane?: { args: Record<string, unknown> }
  wave?: number
  canary?: boolean
  window?: { days?: string[]; start: string; end: string; timezone?: string }
}

export interface FleetParams {
  /** Managed clusters. */
  managed: number
  /** Attached clusters, interleaved with the managed ones in inventory order. */
  attached?: number
  /** Workspaces (at least 1 when there are clusters). Default: 3, or 0 for an empty fleet. */
  workspaces?: number
  /** Inventory wave numbers the non-canary clusters are spread over (gaps allowed). Default [1]. */
  waves?: number[]
  /** Share (0..1) of managed clusters marked `canary: true`. Default 0. */
  canaryRatio?: number
  /** Catalog apps on workspaces / in projects (each stage is left out of the plan without them). */
  workspaceApps?: boolean
  projectApps?: boolean
  /** false → `backup: { enabled: false, reason }`. Default true (the inventory default). */
  backup?: boolean
  /** Leave `wave: 1` unwritten (the default) on clusters of wave 1. Default true. */
  omitDefaultWave?: boolean
  target?: { dkp: string; kubernetes?: string }
  management?: string
  maxParallel?: number
  /** PRNG seed: picks workspaces, waves, providers, canaries, node pools, positions. */
  seed?: number
  /** Cluster name prefix (names are `<prefix>-<n>`, zero-padded). Default `c`. */
  prefix?: string
}

// Providers DKP 2.x's dkp upgrades (reference/dkp.md §2; aks is planned like attached, nutanix
// is NKP's). Eight entries, so the PRNG draws stay the same as before.
const PROVIDERS = ['aws', 'azure', 'vsphere', 'preprovisioned', 'gcp', 'eks', 'aws', 'azure'] as const

/** Each provider's own machine-image flag of `dkp update nodepool` (reference §2.6/2.7). */
const POOL_ARGS: Record<(typeof PROVIDERS)[number], Record<string, unknown> | undefined> = {
  aws: { ami: 'ami-0a1b2c3d' },
  azure: { 'machine-size': 'Standard_NC6s_v3' },
  vsphere: { 'vm-template': 'ubuntu-2204-gpu-kube-v1.28.7' },
  gcp: { image: 'projects/example/global/images/gpu-kube-v1-28-7' },
  eks: { 'instance-type': 'p3.2xlarge' },
  preprovisioned: undefined,
}

/** mulberry32: small, fast, deterministic. Returns floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const pad = (n: number, total: number) => String(n).padStart(Math.max(3, String(total).length), '0')

/** A valid fleet as one YAML-shaped document. */
export function generateFleet(params: FleetParams): FleetDocument {
  const rand = prng(params.seed ?? 1)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!
  const attachedCount = params.attached ?? 0
  const clusterCount = params.managed + attachedCount
  const wsCount = Math.max(params.workspaces ?? (clusterCount > 0 ? 3 : 0), clusterCount > 0 ? 1 : 0)
  const waves = params.waves && params.waves.length > 0 ? params.waves : [1]
  const prefix = params.prefix ?? 'c'
  const omitDefaultWave = params.omitDefaultWave ?? true

  const workspaces: WorkspaceDoc[] = Array.from({ length: wsCount }, (_, i) => {
    const ws: WorkspaceDoc = { name: `ws-${i + 1}`, namespace: `ws-${i + 1}-ns` }
    if (params.workspaceApps) ws.apps = [{ name: `app-${i + 1}`, version: `1.${i}.0` }]
    if (params.projectApps)
      ws.projects = [{ name: `proj-${i + 1}`, apps: [{ name: `papp-${i + 1}`, version: `0.${i}.1` }] }]
    else if (i === 0) ws.projects = [{ name: 'proj-empty' }]
    return ws
  })

  // Decide which inventory positions hold attached clusters, keeping the counts exact.
  const kinds: boolean[] = [
    ...Array.from({ length: params.managed }, () => false),
    ...Array.from({ length: attachedCount }, () => true),
  ]
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    ;[kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!]
  }

  let m = 0
  let a = 0
  const clusters: ClusterDoc[] = kinds.map((attached) => {
    const workspace = `ws-${1 + Math.floor(rand() * wsCount)}`
    if (attached) {
      a++
      return { name: `att-${pad(a, attachedCount)}`, workspace, attached: true }
    }
    m++
    const name = `${prefix}-${pad(m, params.managed)}`
    const provider = pick(PROVIDERS)
    const c: ClusterDoc = { name, workspace, provider }
    // vSphere node templates are built per Kubernetes version: required, pools inherit it.
    if (provider === 'vsphere') c.controlPlane = { args: { 'vm-template': 'ubuntu-2204-kube-v1.28.7' } }
    if (rand() < (params.canaryRatio ?? 0)) c.canary = true
    else {
      const wave = pick(waves)
      if (wave !== 1 || !omitDefaultWave) c.wave = wave
    }
    const poolRoll = rand()
    if (poolRoll < 0.3) c.nodepools = [`${name}-md-0`]
    else if (poolRoll < 0.4) {
      const args = POOL_ARGS[provider]
      // A copy per cluster: a shared object would be written as a YAML anchor and aliases,
      // and a large fleet would then exceed the parsers' alias limit (100).
      c.nodepools = [`${name}-md-0`, args ? { name: `${name}-gpu`, args: { ...args } } : `${name}-gpu`]
    }
    return c
  })

  const doc: FleetDocument = {
    apiVersion: 'dkp-fleet/v1',
    kind: 'Fleet',
    target: params.target ?? { dkp: 'v2.8.1', kubernetes: '1.28.7' },
    management: { name: params.management ?? 'mgmt', provider: 'aws' },
  }
  if (workspaces.length > 0) doc.workspaces = workspaces
  if (clusters.length > 0) doc.clusters = clusters
  if (params.maxParallel !== undefined) doc.rollout = { maxParallel: params.maxParallel }
  if (params.backup === false) doc.backup = { enabled: false, reason: 'generated test fleet' }
  return doc
}

/** YAML text of one document (block style, no line folding). */
export function fleetYaml(doc: FleetDocument, header = ''): string {
  return `${header}${stringify(doc, { lineWidth: 0 })}`
}

export interface FleetFile {
  path: string
  content: string
}

/**
 * The same fleet spread over several files: `<dir>fleet.yaml` holds target, management,
 * workspaces, rollout and backup; the clusters follow in `clusters-<k>.yaml` files (in
 * inventory order, so a sorted glob merges them back in the original order), each file
 * holding `docsPerFile` YAML documents.
 */
export function splitFleet(
  doc: FleetDocument,
  opts: { files?: number; docsPerFile?: number; dir?: string } = {},
): FleetFile[] {
  const dir = opts.dir ?? ''
  const { clusters = [], ...rest } = doc
  const fileCount = Math.max(1, opts.files ?? 2)
  const docsPerFile = Math.max(1, opts.docsPerFile ?? 1)
  const out: FleetFile[] = [{ path: `${dir}fleet.yaml`, content: fleetYaml(rest as FleetDocument) }]
  const perFile = Math.ceil(clusters.length / fileCount)
  for (let f = 0; f < fileCount && f * perFile < clusters.length; f++) {
    const chunk = clusters.slice(f * perFile, (f + 1) * perFile)
    const perDoc = Math.ceil(chunk.length / docsPerFile)
    const docs: string[] = []
    for (let d = 0; d * perDoc < chunk.length; d++) {
      docs.push(
        fleetYaml({
          apiVersion: 'dkp-fleet/v1',
          kind: 'Fleet',
          clusters: chunk.slice(d * perDoc, (d + 1) * perDoc),
        }),
      )
    }
    out.push({ path: `${dir}clusters-${pad(f + 1, fileCount)}.yaml`, content: docs.join('---\n') })
  }
  return out
}

/** A deep copy with every mapping's keys in a shuffled order (values and list order unchanged). */
export function reorderKeys<T>(value: T, seed = 7): T {
  const rand = prng(seed)
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk)
    if (v && typeof v === 'object') {
      const entries = Object.entries(v)
      for (let i = entries.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1))
        ;[entries[i], entries[j]] = [entries[j]!, entries[i]!]
      }
      return Object.fromEntries(entries.map(([k, x]) => [k, walk(x)]))
    }
    return v
  }
  return walk(value) as T
}

/** YAML with a comment before every top-level key and after every cluster entry. */
export function withComments(yamlText: string): string {
  return `# generated fleet\n${yamlText
    .split('\n')
    .map((line) =>
      /^[a-z]/i.test(line)
        ? `# section ${line.split(':')[0]}\n${line}`
        : /^ {2}- name: /.test(line)
          ? `${line} # entry`
          : line,
    )
    .join('\n')}`
}

export interface ArbitraryOptions {
  minManaged?: number
  maxManaged?: number
  maxAttached?: number
  maxWorkspaces?: number
  /** Largest inventory wave number (waves are drawn from 1..maxWave, so gaps occur). */
  maxWave?: number
}

/** fast-check arbitrary of fleet parameters; shrinks towards small fleets. */
export function fleetArbitrary(opts: ArbitraryOptions = {}): fc.Arbitrary<FleetParams> {
  return fc.record({
    managed: fc.integer({ min: opts.minManaged ?? 0, max: opts.maxManaged ?? 40 }),
    attached: fc.integer({ min: 0, max: opts.maxAttached ?? 3 }),
    workspaces: fc.integer({ min: 1, max: opts.maxWorkspaces ?? 4 }),
    waves: fc.uniqueArray(fc.integer({ min: 1, max: opts.maxWave ?? 6 }), { minLength: 1, maxLength: 4 }),
    canaryRatio: fc.constantFrom(0, 0, 0.05, 0.2, 1),
    workspaceApps: fc.boolean(),
    projectApps: fc.boolean(),
    backup: fc.boolean(),
    omitDefaultWave: fc.boolean(),
    maxParallel: fc.integer({ min: 1, max: 256 }),
    seed: fc.integer({ min: 0, max: 0x7fffffff }),
  })
}

// ---- plan invariants (shared by unit, property, fault tests and benchmarks) ----

/** Minimal structural views of the core's Inventory and Plan (kept local so this helper stays decoupled). */
interface InventoryView {
  management: { name: string }
  workspaces: { apps: unknown[]; projects: { apps: unknown[] }[] }[]
  clusters: (
    | { name: string; workspace: string; attached: true }
    | { name: string; attached: false; wave: number; canary: boolean }
  )[]
  backup: { enabled: boolean }
}
interface PlanView {
  management: string
  steps: { id: string; stage: string; cluster: string; needs: string[]; wave?: number }[]
  matrix: { include: { cluster: string; wave: number }[] }
  waves: { wave: number; include: { cluster: string; wave: number }[] }[]
  attached: { cluster: string; workspace: string; note: string }[]
  stages: Record<string, boolean>
  backupDisabled?: string
  digest: string
}

export const SEED_ORDER = [
  'check',
  'backup',
  'kommander',
  'workspaces',
  'workspace-apps',
  'project-apps',
  'custom-apps',
  'capi-components',
  'core-addons',
  'kubernetes',
  'verify',
] as const

export const WAVE_LIMIT = 256

/** The expected waves, computed independently of src/core/plan.ts: canaries, then inventory waves ascending, split at 256. */
export function expectedWaves(inv: InventoryView): { wave: number; clusters: string[] }[] {
  const managed = inv.clusters.filter((c) => !c.attached) as { name: string; wave: number; canary: boolean }[]
  const groups: { canary: boolean; names: string[] }[] = []
  const canaries = managed.filter((c) => c.canary).map((c) => c.name)
  if (canaries.length > 0) groups.push({ canary: true, names: canaries })
  const numbers = [...new Set(managed.filter((c) => !c.canary).map((c) => c.wave))].sort((a, b) => a - b)
  for (const n of numbers)
    groups.push({ canary: false, names: managed.filter((c) => !c.canary && c.wave === n).map((c) => c.name) })
  const out: { wave: number; clusters: string[] }[] = []
  let next = 1
  for (const g of groups) {
    for (let i = 0; i < g.names.length; i += WAVE_LIMIT) {
      out.push({ wave: g.canary && i === 0 ? 0 : next++, clusters: g.names.slice(i, i + WAVE_LIMIT) })
    }
  }
  return out
}

/** Transitive "needs" as bitsets; lists of needs shared by many steps are computed once. */
export function reachability(steps: PlanView['steps']): (from: string, to: string) => boolean {
  const index = new Map(steps.map((s, i) => [s.id, i]))
  const words = Math.ceil(steps.length / 32) || 1
  const anc: Uint32Array[] = []
  const cache = new Map<string, Uint32Array>()
  steps.forEach((s, i) => {
    const key = s.needs.join('\n')
    let bits = cache.get(key)
    if (!bits) {
      bits = new Uint32Array(words)
      for (const n of s.needs) {
        const j = index.get(n)
        if (j === undefined || j >= i) continue // reported separately
        const other = anc[j]!
        for (let w = 0; w < words; w++) bits[w]! |= other[w]!
        bits[j >> 5]! |= 1 << (j & 31)
      }
      cache.set(key, bits)
    }
    anc[i] = bits
  })
  return (from, to) => {
    const i = index.get(from)
    const j = index.get(to)
    if (i === undefined || j === undefined) return false
    return (anc[i]![j >> 5]! & (1 << (j & 31))) !== 0
  }
}

/**
 * Every ordering, wave and shape invariant of a plan, checked against its inventory.
 * Returns the violations (empty when the plan is sound); stops listing after `max`.
 */
export function planViolations(plan: PlanView, inv: InventoryView, max = 20): string[] {
  const out: string[] = []
  const fail = (m: string) => {
    if (out.length < max) out.push(m)
  }
  const mgmt = inv.management.name
  const steps = plan.steps
  const position = new Map<string, number>()

  // ids: unique, <stage>:<cluster>; needs: earlier steps only
  steps.forEach((s, i) => {
    if (s.id !== `${s.stage}:${s.cluster}`) fail(`${s.id}: id is not <stage>:<cluster>`)
    if (position.has(s.id)) fail(`${s.id}: duplicate id`)
    position.set(s.id, i)
    if (!(SEED_ORDER as readonly string[]).includes(s.stage)) fail(`${s.id}: unknown stage`)
    for (const n of s.needs) {
      const j = position.get(n)
      if (j === undefined) fail(`${s.id} needs ${n}, which is not an earlier step`)
    }
    if (new Set(s.needs).size !== s.needs.length) fail(`${s.id}: repeated needs`)
  })
  const reaches = reachability(steps)

  // management chain: seed order, each step reaching the previous one
  const chain = steps.filter((s) => s.cluster === mgmt)
  const order = chain.map((s) => SEED_ORDER.indexOf(s.stage as (typeof SEED_ORDER)[number]))
  if (order.some((o, i) => i > 0 && o <= order[i - 1]!))
    fail(`management steps out of seed order: ${chain.map((s) => s.stage)}`)
  chain.forEach((s, i) => {
    if (i > 0 && !reaches(s.id, chain[i - 1]!.id)) fail(`${s.id} does not need ${chain[i - 1]!.id}`)
  })
  if (steps[0]?.id !== `check:${mgmt}` || steps[0].needs.length !== 0)
    fail('the plan does not start with the check gate')
  if (steps.at(-1)?.id !== `verify:${mgmt}`) fail('the plan does not end with verify')
  for (const s of steps)
    if (s.id !== steps.at(-1)?.id && !reaches(`verify:${mgmt}`, s.id)) fail(`verify does not need ${s.id}`)

  // stages left out when they have nothing to do
  const managed = inv.clusters.filter((c) => !c.attached)
  const has = {
    backup: inv.backup.enabled,
    workspaces: inv.workspaces.length > 0,
    'workspace-apps': inv.workspaces.some((w) => w.apps.length > 0),
    'project-apps': inv.workspaces.some((w) => w.projects.some((p) => p.apps.length > 0)),
  }
  for (const [stage, expected] of Object.entries(has)) {
    if (chain.some((s) => s.stage === stage) !== expected)
      fail(`${stage} step ${expected ? 'missing' : 'present'}`)
  }
  for (const stage of SEED_ORDER) {
    if (plan.stages[stage] !== steps.some((s) => s.stage === stage))
      fail(`stages.${stage} disagrees with the steps`)
  }
  if (inv.backup.enabled === (plan.backupDisabled !== undefined))
    fail('backupDisabled disagrees with the inventory')
  const mgmtStages = chain.map((s) => s.stage)
  for (const stage of [
    'check',
    'kommander',
    'custom-apps',
    'capi-components',
    'core-addons',
    'kubernetes',
    'verify',
  ])
    if (!mgmtStages.includes(stage)) fail(`management step ${stage} missing`)

  // per managed cluster: core-addons → kubernetes, after kubernetes:mgmt; attached clusters have no steps
  const perCluster = new Map<string, string[]>()
  for (const s of steps)
    if (s.cluster !== mgmt) perCluster.set(s.cluster, [...(perCluster.get(s.cluster) ?? []), s.stage])
  for (const c of managed) {
    const stages = perCluster.get(c.name)
    if (stages?.join() !== 'core-addons,kubernetes')
      fail(`${c.name}: steps ${stages} (want core-addons,kubernetes)`)
    if (!reaches(`core-addons:${c.name}`, `kubernetes:${mgmt}`))
      fail(`core-addons:${c.name} does not need kubernetes:${mgmt}`)
    if (!reaches(`kubernetes:${c.name}`, `core-addons:${c.name}`))
      fail(`kubernetes:${c.name} does not need its core-addons`)
  }
  for (const c of inv.clusters.filter((x) => x.attached))
    if (perCluster.has(c.name)) fail(`attached ${c.name} has steps`)
  if (perCluster.size !== managed.length)
    fail('steps for clusters that are not managed clusters of the inventory')

  // waves: as computed independently, ≤ 256, consecutive, minimal entries; matrix = all waves
  const want = expectedWaves(inv)
  const got = plan.waves.map((w) => ({ wave: w.wave, clusters: w.include.map((e) => e.cluster) }))
  if (JSON.stringify(got) !== JSON.stringify(want))
    fail(`waves ${JSON.stringify(got).slice(0, 300)} != ${JSON.stringify(want).slice(0, 300)}`)
  plan.waves.forEach((w, i) => {
    if (w.include.length === 0 || w.include.length > WAVE_LIMIT)
      fail(`wave ${w.wave} has ${w.include.length} clusters`)
    if (i > 0 && w.wave !== plan.waves[i - 1]!.wave + 1)
      fail(`wave ${w.wave} does not follow ${plan.waves[i - 1]!.wave}`)
    for (const e of w.include) {
      if (Object.keys(e).join() !== 'cluster,wave' || e.wave !== w.wave)
        fail(`wave ${w.wave}: entry ${JSON.stringify(e)}`)
    }
  })
  if (plan.waves.length > 0 && plan.waves[0]!.wave !== (managed.some((c) => c.canary) ? 0 : 1))
    fail('first wave number')
  if (JSON.stringify(plan.matrix.include) !== JSON.stringify(plan.waves.flatMap((w) => w.include)))
    fail('matrix is not the waves concatenated')

  // every step of wave N (transitively) needs every step of wave N-1; steps carry their wave
  const stepsOfWave = plan.waves.map((w) =>
    w.include.flatMap((e) => [`core-addons:${e.cluster}`, `kubernetes:${e.cluster}`]),
  )
  plan.waves.forEach((w, i) => {
    for (const id of stepsOfWave[i]!)
      if (steps[position.get(id) ?? -1]?.wave !== w.wave) fail(`${id}: wave is not ${w.wave}`)
    if (i === 0) return
    for (const id of stepsOfWave[i]!)
      for (const before of stepsOfWave[i - 1]!)
        if (!reaches(id, before)) fail(`${id} (wave ${w.wave}) does not need ${before}`)
  })

  // attached clusters listed, in inventory order, with a note
  const attached = inv.clusters.filter((c) => c.attached) as { name: string; workspace: string }[]
  if (
    JSON.stringify(plan.attached.map((a) => [a.cluster, a.workspace])) !==
    JSON.stringify(attached.map((a) => [a.name, a.workspace]))
  )
    fail('attached list differs from the inventory')
  if (plan.attached.some((a) => !a.note.includes('DKP does not upgrade'))) fail('attached note missing')
  if (!/^sha256:[0-9a-f]{64}$/.test(plan.digest)) fail(`digest ${plan.digest}`)
  return out
}
