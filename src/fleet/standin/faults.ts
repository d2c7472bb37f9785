// Fault switches of the stand-in dkp, read from the environment (docs/test-fleet.md):
//   DKP_STANDIN_FAIL=<cmd>[@<target>][:<after-writes>]   exit 1 after that many writes (default 0)
//   DKP_STANDIN_HANG=<cmd>[@<target>][:<after-writes>]   hang (sleep forever) after that many writes
//   DKP_STANDIN_PRINT_ERRORS=<cmd>[@<target>]             print error lines on stderr, still succeed
//   DKP_STANDIN_SLOW=<cmd>[@<target>]:<factor>            objects written get the simulator's
//                                                          `slow:<factor>` fault annotation
// <cmd> is the command path joined by `-` (`update-nodepool`, `upgrade-kommander`, …) or `*`;
// <target> a cluster, node pool, workspace or AppDeployment name. Several rules: comma-separated.

export interface FaultRule {
  command: string
  target?: string
  /** after-writes for FAIL/HANG, factor for SLOW. */
  n: number
}

export function parseRules(text: string | undefined, defaultN = 0): FaultRule[] {
  if (!text) return []
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const m = /^([^@:]+)(?:@([^:]+))?(?::(\d+))?$/.exec(s)
      if (!m) return { command: s, n: defaultN }
      return {
        command: (m[1] as string).trim().replace(/\s+/g, '-'),
        ...(m[2] ? { target: m[2] } : {}),
        n: m[3] ? Number(m[3]) : defaultN,
      }
    })
}

export function findRule(
  rules: FaultRule[],
  command: string,
  targets: (string | undefined)[],
): FaultRule | undefined {
  return rules.find(
    (r) =>
      (r.command === '*' || r.command === command) &&
      (!r.target || targets.some((t) => t !== undefined && t === r.target)),
  )
}

export interface StandinFaults {
  fail?: FaultRule
  hang?: FaultRule
  printErrors?: FaultRule
  slow?: FaultRule
}

export function faultsFor(
  env: NodeJS.ProcessEnv,
  command: string,
  targets: (string | undefined)[],
): StandinFaults {
  return {
    fail: findRule(parseRules(env.DKP_STANDIN_FAIL), command, targets),
    hang: findRule(parseRules(env.DKP_STANDIN_HANG), command, targets),
    printErrors: findRule(parseRules(env.DKP_STANDIN_PRINT_ERRORS), command, targets),
    slow: findRule(parseRules(env.DKP_STANDIN_SLOW, 3), command, targets),
  }
}
