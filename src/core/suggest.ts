/** Words for people: "did you mean" suggestions and counted nouns ("1 check", "2 checks"). */
import { closestWord } from './words.js';

/**
 * The candidate nearest to what was typed when it is close enough to be a slip, else the one
 * candidate that starts with it (`slim-base` for `slim-base-image`); otherwise undefined.
 */
export function closest(typed: string, candidates: readonly string[]): string | undefined {
  const near = closestWord(typed, candidates);
  if (near) return near;
  const input = typed.toLowerCase();
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
