/**
 * How many files this process has written or removed. Look-ups cached for a run (a repository's
 * root, its CI files) hold only while this number stays the same: a fix that adds a workflow is
 * seen by the check that follows it. They are cached only inside `oneRun` (a batch check or fix
 * over many targets); the wizard's "check again" and library callers always look afresh, since a
 * person may have changed a file meanwhile.
 */
let writes = 0;
let inRun = 0;

/** Run `fn` with the run's look-ups cached; they are dropped when it ends. */
export async function oneRun<T>(fn: () => Promise<T>): Promise<T> {
  inRun++;
  try {
    return await fn();
  } finally {
    inRun--;
    writes++;
  }
}

export function noteWrite(): void {
  writes++;
}

export function writeCount(): number {
  return writes;
}

/** A per-key cache for one owner (a probe) that empties itself after any write; used only inside oneRun. */
export function cachedUntilWrite<O extends object, T>(): (owner: O, key: string, compute: () => T) => T {
  const tables = new WeakMap<O, { writes: number; values: Map<string, T> }>();
  return (owner, key, compute) => {
    if (inRun === 0) return compute();
    let table = tables.get(owner);
    if (!table || table.writes !== writes) {
      table = { writes, values: new Map() };
      tables.set(owner, table);
    }
    if (table.values.has(key)) return table.values.get(key)!;
    const value = compute();
    table.values.set(key, value);
    return value;
  };
}
