// Results computed once per stage environment (one job): a dkp probe per cluster, what the
// removed-API scan reads from each API server. Scoped to the environment that made them, so
// nothing outlives a job or is shared between jobs in one process; a failed computation is
// forgotten, so the next caller tries again.

export class Memo {
  private readonly byOwner = new WeakMap<object, Map<string, Promise<unknown>>>()
  private readonly entries = new Map<string, Promise<unknown>>()

  /** `compute()` once per key in this environment. */
  once<T>(key: string, compute: () => Promise<T>): Promise<T> {
    return remember(this.entries, key, compute)
  }

  /** `compute()` once per owner (a client) and key in this environment. */
  onceFor<T>(owner: object, key: string, compute: () => Promise<T>): Promise<T> {
    let entries = this.byOwner.get(owner)
    if (!entries) {
      entries = new Map()
      this.byOwner.set(owner, entries)
    }
    return remember(entries, key, compute)
  }
}

function remember<T>(
  entries: Map<string, Promise<unknown>>,
  key: string,
  compute: () => Promise<T>,
): Promise<T> {
  const known = entries.get(key) as Promise<T> | undefined
  if (known) return known
  const pending = compute()
  entries.set(key, pending)
  pending.catch(() => entries.delete(key))
  return pending
}
