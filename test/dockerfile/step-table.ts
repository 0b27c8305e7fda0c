/**
 * RuleTester-style tables for the Dockerfile steps: each case gives a Dockerfile and what the
 * check must say; `afterFix` applies the step's proposals the way `fix --yes` does (one, re-check,
 * the next), then requires a pass, no further proposal, and exactly the expected lines changed.
 */
import { expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { diffLines } from 'diff';
import type { Risk, Status, Step } from '../../src/core/step.js';
import { SHARED_CODES } from '../../src/core/codes.js';
import { contextFor, dockerfileTarget, memoryProbe, type MemoryWorld } from '../helpers/world.js';

export interface StepCase {
  name: string;
  given: string;
  world?: MemoryWorld;
  expect: {
    status: Status;
    /** Substrings: each must be in some finding's message. */
    findings?: string[];
    /** Finding codes, in order. */
    codes?: string[];
    /** Finding lines, in order. */
    lines?: number[];
    /** Substrings that no finding may contain. */
    absent?: string[];
    /** Substrings of the check's notes. */
    notes?: string[];
    /** The risk of each proposal, by id (every proposal must be listed); advice carries no change. */
    risks?: Record<string, Risk>;
    /** Substrings of the advice proposals' descriptions. */
    advice?: string[];
    /** null: no proposal with a change. */
    afterFix?: {
      /** Lines the fix removes and adds (line diff, endings included in the comparison). */
      removed?: string[];
      added?: string[];
      contains?: string[];
      /** The whole result. */
      equals?: string;
      warnings?: string[];
    } | null;
  };
}

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function runStepTable(step: Step, cases: StepCase[]): void {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), `dh-${step.meta.id}-`));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(cases)('$name', async (c) => {
    const file = path.join(dir, `${c.name.replace(/[^a-z0-9]+/gi, '-')}.Dockerfile`);
    writeFileSync(file, c.given);
    const ctx = contextFor(dockerfileTarget(file), { probe: memoryProbe(c.world) });
    const result = await step.check(ctx);
    const messages = result.findings.map((f) => f.message);
    expect(result.status, messages.join('\n')).toBe(c.expect.status);
    for (const want of c.expect.findings ?? []) expect(messages.some((m) => m.includes(want)), `no finding with "${want}" in:\n${messages.join('\n')}`).toBe(true);
    for (const not of c.expect.absent ?? []) expect(messages.some((m) => m.includes(not)), `unexpected "${not}"`).toBe(false);
    if (c.expect.lines) expect(result.findings.map((f) => f.line)).toEqual(c.expect.lines);
    if (c.expect.codes) expect(result.findings.map((f) => f.code)).toEqual(c.expect.codes);
    for (const f of result.findings) expect(step.meta.codes[f.code] ?? SHARED_CODES[f.code], `undeclared code ${f.code}`).toBeDefined();
    for (const f of result.findings) expect(f.file).toBe(file);
    for (const want of c.expect.notes ?? []) expect((result.notes ?? []).some((n) => n.includes(want)), `no note with "${want}" in ${JSON.stringify(result.notes)}`).toBe(true);

    const all = await step.propose!(ctx, result);
    if (c.expect.risks) expect(Object.fromEntries(all.map((p) => [p.id, p.risk]))).toEqual(c.expect.risks);
    for (const p of all) if (p.risk === 'advice') expect(p.changes, `advice ${p.id} is never written`).toEqual([]);
    for (const want of c.expect.advice ?? []) {
      expect(all.some((p) => p.risk === 'advice' && (p.description ?? '').includes(want)), `no advice with "${want}" in ${JSON.stringify(all.map((p) => p.description))}`).toBe(true);
    }
    const proposals = all.filter((p) => p.changes.length > 0);
    if (c.expect.afterFix === undefined) return;
    if (c.expect.afterFix === null) {
      expect(proposals.map((p) => p.title)).toEqual([]);
      return;
    }
    expect(proposals.length, 'a proposal').toBeGreaterThan(0);
    const fix = c.expect.afterFix;
    const warnings: string[] = [];
    // As `fix --yes` does: apply one proposal, re-check, ask again.
    for (let round = 0; round < 5; round++) {
      const now = await step.check(ctx);
      if (now.status === 'pass') break;
      const next = (await step.propose!(ctx, now)).find((p) => p.changes.length > 0);
      if (!next) break;
      warnings.push(...next.warnings);
      for (const change of next.changes) {
        expect(change.path).toBe(file);
        expect(change.before).toBe(readFileSync(file, 'utf8'));
        writeFileSync(file, change.after);
      }
    }
    const after = readFileSync(file, 'utf8');
    const recheck = await step.check(ctx);
    expect(recheck.status, `${after}\n${recheck.findings.map((f) => f.message).join('\n')}`).toBe('pass');
    expect((await step.propose!(ctx, recheck)).filter((p) => p.changes.length > 0), 'a second fix changes nothing').toEqual([]);
    if (fix.equals !== undefined) expect(after).toBe(fix.equals);
    for (const want of fix.contains ?? []) expect(after).toContain(want);
    for (const want of fix.warnings ?? []) expect(warnings.some((w) => w.includes(want)), `no warning "${want}" in ${JSON.stringify(warnings)}`).toBe(true);
    if (fix.removed || fix.added) {
      // A file without a final newline gets one before the lines added after its last line.
      const eolOf = /\r\n/.test(c.given) ? '\r\n' : '\n';
      const closed = (t: string) => (/[\r\n]$/.test(t) ? t : t + eolOf);
      const parts = diffLines(closed(c.given), closed(after));
      const lines = (value: string) => value.split(/(?<=\r\n|\n|\r)/).filter((l) => l !== '');
      const removed = parts.filter((p) => p.removed).flatMap((p) => lines(p.value));
      const added = parts.filter((p) => p.added).flatMap((p) => lines(p.value));
      if (fix.removed) expect(removed.map((l) => l.replace(/\r?\n$|\r$/, ''))).toEqual(fix.removed);
      if (fix.added) expect(added.map((l) => l.replace(/\r?\n$|\r$/, ''))).toEqual(fix.added);
      // Added lines use the file's own line ending.
      for (const l of added) expect(l.endsWith(eolOf), `line ending of ${JSON.stringify(l)}`).toBe(true);
    }
  });
}
