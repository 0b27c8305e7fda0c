/**
 * RuleTester-style tables for every step, in one shape for its three worlds: a case gives a
 * Dockerfile (the default), a compose file (`target: 'compose'`) or a recorded host (`host`),
 * and what the check must say; `afterFix` applies the step's proposals the way `fix --yes` does
 * (one, re-check, the next), then requires a pass, no further proposal, and exactly the expected
 * lines changed. A host's fixes restart dockerd: they are proven on a real one (test/integration),
 * so a host case has no `afterFix`.
 */
import { expect, it, beforeAll, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { diffLines } from 'diff';
import type { Risk, Status, Step } from '../../src/core/step.js';
import { SHARED_CODES } from '../../src/core/codes.js';
import { composeTarget, contextFor, dockerfileTarget, hostTarget, memoryProbe, type MemoryWorld } from '../helpers/world.js';
import { recordedHost, type RecordedHost } from '../helpers/recorded-host.js';

interface CaseBase {
  name: string;
  /** Files, commands and users the step sees through its probe. */
  world?: MemoryWorld;
}

/** A Dockerfile (the default) or a compose file, given as its text. */
export interface FileCase extends CaseBase {
  target?: 'dockerfile' | 'compose';
  given: string;
  /**
   * Files beside the Dockerfile (relative path -> content), as the step's probe reads them and on
   * disk (a compose file is read as docker compose reads it). The Dockerfile is named
   * dockerfileName(case name).
   */
  context?: Record<string, string>;
  expect: Expectation;
}

/** A recorded Docker host (what the test dockerd cannot be: another Engine, AppArmor, SELinux). */
export interface HostCase extends CaseBase {
  target: 'host';
  host: RecordedHost;
  expect: Omit<Expectation, 'afterFix'>;
}

export type StepCase = FileCase | HostCase;

interface Expectation {
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
    /** The ids of the proposals, in order. */
    proposals?: string[];
    /** null: no proposal with a change. */
    afterFix?: {
      /** Lines the fix removes and adds (line diff, endings included in the comparison). */
      removed?: string[];
      added?: string[];
      contains?: string[];
      /** The whole result. */
      equals?: string;
      warnings?: string[];
      /** Substrings that no warning may contain. */
      noWarnings?: string[];
      /** How many warnings the applied proposals give in all (a change with nothing to warn of but its general risk: 1). */
      warningCount?: number;
    } | null;
}

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The file name a Dockerfile case is written under, beside the files of its `context`. */
export function dockerfileName(caseName: string): string {
  return `${caseName.replace(/[^a-z0-9]+/gi, '-')}.Dockerfile`;
}

export function runStepTable(step: Step, cases: StepCase[]): void {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), `dh-${step.meta.id}-`));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  let n = 0;
  const written: string[] = [];
  it.each(cases)('$name', async (c) => {
    let file: string | undefined;
    let ctx;
    if (c.target === 'host') ctx = contextFor(hostTarget, { host: recordedHost(c.host), probe: memoryProbe(c.world) });
    else if (c.target === 'compose') {
      // Each compose file in a folder of its own: the folder is the project.
      const project = path.join(dir, `compose-${n++}`);
      mkdirSync(project);
      file = path.join(project, 'compose.yaml');
      writeFileSync(file, c.given);
      ctx = contextFor(composeTarget(file), { probe: memoryProbe(c.world) });
    } else {
      file = path.join(dir, dockerfileName(c.name));
      writeFileSync(file, c.given);
      const context = Object.fromEntries(Object.entries(c.context ?? {}).map(([rel, text]) => [path.join(dir, rel), text]));
      // The cases share a folder: what an earlier case wrote beside its Dockerfile is not this one's.
      for (const at of written.splice(0)) rmSync(at, { force: true });
      for (const [at, text] of Object.entries(context)) {
        mkdirSync(path.dirname(at), { recursive: true });
        writeFileSync(at, text);
        written.push(at);
      }
      ctx = contextFor(dockerfileTarget(file), { probe: memoryProbe({ ...c.world, files: { ...c.world?.files, ...context } }) });
    }
    const result = await step.check(ctx);
    const messages = result.findings.map((f) => f.message);
    expect(result.status, messages.join('\n')).toBe(c.expect.status);
    for (const want of c.expect.findings ?? []) expect(messages.some((m) => m.includes(want)), `no finding with "${want}" in:\n${messages.join('\n')}`).toBe(true);
    for (const not of c.expect.absent ?? []) expect(messages.some((m) => m.includes(not)), `unexpected "${not}"`).toBe(false);
    if (c.expect.lines) expect(result.findings.map((f) => f.line)).toEqual(c.expect.lines);
    if (c.expect.codes) expect(result.findings.map((f) => f.code)).toEqual(c.expect.codes);
    for (const f of result.findings) expect(step.meta.codes[f.code] ?? SHARED_CODES[f.code], `undeclared code ${f.code}`).toBeDefined();
    if (file) for (const f of result.findings) expect(f, 'a finding in a file names the file and line').toMatchObject({ file, line: expect.any(Number) });
    for (const want of c.expect.notes ?? []) expect((result.notes ?? []).some((n) => n.includes(want)), `no note with "${want}" in ${JSON.stringify(result.notes)}`).toBe(true);

    const all = await step.propose!(ctx, result);
    if (c.expect.risks) expect(Object.fromEntries(all.map((p) => [p.id, p.risk]))).toEqual(c.expect.risks);
    if (c.expect.proposals) expect(all.map((p) => p.id)).toEqual(c.expect.proposals);
    for (const p of all) if (p.risk === 'advice') expect(p.changes, `advice ${p.id} is never written`).toEqual([]);
    // A review fix says how it may break and how to check.
    for (const p of all) if (p.risk === 'review') expect(p.warnings.length > 0 || Boolean(p.description), `review ${p.id} says how it may break`).toBe(true);
    for (const want of c.expect.advice ?? []) {
      expect(all.some((p) => p.risk === 'advice' && (p.description ?? '').includes(want)), `no advice with "${want}" in ${JSON.stringify(all.map((p) => p.description))}`).toBe(true);
    }
    const proposals = all.filter((p) => p.changes.length > 0);
    if (c.target === 'host' || c.expect.afterFix === undefined || !file) return;
    if (c.expect.afterFix === null) {
      expect(proposals.map((p) => p.title)).toEqual([]);
      return;
    }
    expect(proposals.length, 'a proposal').toBeGreaterThan(0);
    const fix = c.expect.afterFix;
    const warnings: string[] = [];
    // As `fix --yes` does: apply one proposal, re-check, ask again.
    for (let round = 0; round < 20; round++) {
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
    for (const unwanted of fix.noWarnings ?? []) expect(warnings.filter((w) => w.includes(unwanted)), `a warning "${unwanted}"`).toEqual([]);
    if (fix.warningCount !== undefined) expect(warnings, 'the warnings of the applied fixes').toHaveLength(fix.warningCount);
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
