/** Words for people: "did you mean" suggestions and counted nouns ("1 check", "2 checks"). */

/** Edit distance (insert, delete, replace, swap of neighbours), stopping early past `limit`. */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) rows.push([i, ...Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * The candidate closest to what was typed, when it is close enough to be a slip (a third of its
 * length, at least one edit), or one that starts with it; otherwise undefined.
 */
export function closest(typed: string, candidates: readonly string[]): string | undefined {
  const input = typed.toLowerCase();
  const limit = Math.max(1, Math.floor(input.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const c of candidates) {
    const d = distance(input, c.toLowerCase(), limit);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  if (best) return best;
  const prefixed = candidates.filter((c) => input.length >= 3 && c.toLowerCase().startsWith(input));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** `Did you mean "x"? ` or nothing, to put before a hint. */
export function didYouMean(typed: string, candidates: readonly string[]): string {
  const match = closest(typed, candidates);
  return match ? `Did you mean "${match}"? ` : '';
}

/** "1 check", "2 checks", "0 checks"; `many` for nouns that do not take an s. */
export function counted(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
