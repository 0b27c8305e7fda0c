/**
 * How many files this process has written or removed. Look-ups cached for a run (a repository's
 * root, its CI files) hold only while this number stays the same: a fix that adds a workflow is
 * seen by the check that follows it.
 */
let writes = 0;

export function noteWrite(): void {
  writes++;
}

export function writeCount(): number {
  return writes;
}

/** A per-key cache for one owner (a probe, a session) that empties itself after any write. */
export function cachedUntilWrite<O extends object, T>(): (owner: O, key: string, compute: () => T) => T {
  const tables = new WeakMap<O, { writes: number; values: Map<string, T> }>();
  return (owner, key, compute) => {
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
