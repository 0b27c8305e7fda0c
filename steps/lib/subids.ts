/**
 * /etc/subuid and /etc/subgid: `owner:start:count` lines, where owner is a user name or a uid.
 * Used by user-namespaces (the remap user's ranges) and rootless-docker (the person's ranges).
 */
import type { Probe } from '../../src/core/probe.js';

export interface SubIdRange {
  owner: string;
  start: number;
  count: number;
  /** 1-based line in the file. */
  line: number;
}

export function parseSubIds(text: string | null): SubIdRange[] {
  const out: SubIdRange[] = [];
  (text ?? '').split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const [owner, start, count] = line.split(':');
    const s = Number(start);
    const c = Number(count);
    if (owner && Number.isInteger(s) && Number.isInteger(c) && c > 0) out.push({ owner, start: s, count: c, line: i + 1 });
  });
  return out;
}

export function rangesOf(ranges: SubIdRange[], user: string, uid: number | null): SubIdRange[] {
  return ranges.filter((r) => r.owner === user || (uid !== null && r.owner === String(uid)));
}

export function overlap(a: SubIdRange, b: SubIdRange): boolean {
  return a.start < b.start + b.count && b.start < a.start + a.count;
}

export function totalCount(ranges: SubIdRange[]): number {
  return ranges.reduce((n, r) => n + r.count, 0);
}

export interface SubIdReport {
  file: string;
  exists: boolean;
  mine: SubIdRange[];
  /** Ranges of other owners that overlap one of `mine`, with the range they overlap. */
  overlaps: { mine: SubIdRange; other: SubIdRange }[];
}

/** The user's ranges in /etc/subuid or /etc/subgid, and whom they overlap. */
export async function subIdReport(probe: Probe, file: '/etc/subuid' | '/etc/subgid', user: string, id: number | null): Promise<SubIdReport> {
  const text = await probe.readText(file);
  const all = parseSubIds(text);
  const mine = rangesOf(all, user, id);
  const others = all.filter((r) => !mine.includes(r));
  const overlaps: SubIdReport['overlaps'] = [];
  for (const m of mine) for (const o of others) if (overlap(m, o)) overlaps.push({ mine: m, other: o });
  return { file, exists: text !== null, mine, overlaps };
}

export function showRange(r: SubIdRange): string {
  return `${r.owner}:${r.start}:${r.count}`;
}
