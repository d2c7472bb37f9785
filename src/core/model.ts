// The validated fleet inventory: what every other module consumes. Pure data, no I/O.
// Field names follow the inventory contract in docs/inventory.md (never renamed, only extended).

/** Where a value came from in the user's YAML files (1-based line and column). */
export interface SourceRef {
  file: string
  line: number
  col: number
}

/** Extra flags passed through to a dkp command: `{ ami: 'ami-1' }` → `--ami=ami-1`. */
export type CommandArgs = Record<string, string | string[]>

export interface CatalogApp {
  /** AppDeployment name. */
  name: string
  /** Target version (bare, e.g. `0.25.1`). */
  version: string
  source: SourceRef
  /** Where `version` is written, and its field path (`workspaces[0].apps[1].version`). */
  versionSource?: SourceRef
  versionPath?: string
}

export interface Project {
  name: string
  apps: CatalogApp[]
  source: SourceRef
}

export interface Workspace {
  name: string
  /** Namespace of the workspace; read from the Workspace object when absent. */
  namespace?: string
  apps: CatalogApp[]
  projects: Project[]
  source: SourceRef
}

export interface NodePool {
  name: string
  args: CommandArgs
}

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun'

export interface MaintenanceWindow {
  days: Weekday[]
  /** "HH:MM", 24 h clock. An end at or before the start crosses midnight. */
  start: string
  end: string
  /** IANA time zone name, default UTC. */
  timezone: string
}

export interface ManagedCluster {
  name: string
  workspace: string
  attached: false
  provider: string
  /** Namespace of the cluster's CAPI objects on the management cluster; defaults to the workspace's. */
  namespace?: string
  /** Node pools in inventory order; undefined → discovered from MachineDeployments. */
  nodepools?: NodePool[]
  controlPlane: { args: CommandArgs }
  wave: number
  canary: boolean
  /** Expected node count: orders a wave's matrix when neither history nor live Machines say more. */
  nodes?: number
  window?: MaintenanceWindow
  /** Accept `insecure-skip-tls-verify: true` in this cluster's kubeconfig Secret (refused otherwise). */
  allowInsecureSkipTlsVerify?: boolean
  /** The API server's audit log (JSON lines), relative to the inventory file (`source.file`). */
  auditLog?: string
  source: SourceRef
}

export interface AttachedCluster {
  name: string
  workspace: string
  attached: true
  /**
   * The inventory's provider when the cluster was given as managed but the target's dkp has no
   * Konvoy commands for it (aks in DKP 2.x): planned like an attached cluster.
   */
  provider?: string
  /** Accept `insecure-skip-tls-verify: true` in this cluster's kubeconfig Secret (refused otherwise). */
  allowInsecureSkipTlsVerify?: boolean
  /** The API server's audit log (JSON lines), relative to the inventory file (`source.file`). */
  auditLog?: string
  source: SourceRef
}

export type Cluster = ManagedCluster | AttachedCluster

export interface Management {
  name: string
  provider: string
  /** Namespace of the management cluster's own CAPI objects. */
  namespace: string
  /** Environment variable that holds the management kubeconfig content. */
  kubeconfigEnv?: string
  kommander: { args: CommandArgs }
  /** Flags `dkp upgrade capi-components` must be given again (proxy, credentials). */
  capiComponents: { args: CommandArgs }
  nodepools?: NodePool[]
  controlPlane: { args: CommandArgs }
  window?: MaintenanceWindow
  source: SourceRef
}

export interface BackupSettings {
  enabled: boolean
  /** Required when disabled: shown in every summary. */
  reason?: string
  /** Velero namespace on the management cluster. */
  namespace: string
  storageLocation?: string
  /** A Completed backup younger than this (seconds) satisfies the gate. */
  maxAgeSeconds: number
  /** Backup TTL (Velero `spec.ttl`), e.g. "720h0m0s". */
  ttl?: string
}

export interface Rollout {
  /** Concurrency inside a wave (the workflow's max-parallel). */
  maxParallel: number
  /** Failed or unfinished clusters tolerated before later waves halt (default 0: the first failure halts). */
  failureThreshold: number
  /** Seconds a wave soaks before the next may start (`rollout.soak`); absent: 0. */
  soakSeconds?: number
  /** Per-wave soak overrides in seconds, by plan wave number (`rollout.waves.<N>.soak`). */
  waveSoakSeconds?: Record<string, number>
}

export interface Target {
  /** DKP release, normalised with a leading `v`: `v2.8.1`. */
  dkp: string
  /** Kubernetes version without `v`: `1.28.7`. Absent → default for the DKP release. */
  kubernetes?: string
}

export interface Inventory {
  /** Fleet name: names the run record, locks and pause marker. Default: the management cluster's name. */
  fleet: string
  target: Target
  management: Management
  workspaces: Workspace[]
  clusters: Cluster[]
  rollout: Rollout
  backup: BackupSettings
  /** The files merged into this inventory, in load order. */
  files: string[]
  /** Where `target` was defined. */
  targetSource: SourceRef
}

export const isManaged = (c: Cluster): c is ManagedCluster => !c.attached
