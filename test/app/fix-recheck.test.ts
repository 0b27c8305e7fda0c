/**
 * fix --yes checks a step once before it writes and once after, through the engine's re-check:
 * the run that follows a write is that re-check, not a third check of the same file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { parseArgs } from '../../src/args.js';
import { fixCommand } from '../../src/app/batch.js';
import { defineStep, type Step } from '../../src/core/step.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dh-fix-recheck-'));
  writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A step that wants a file beside the Dockerfile, and counts how often it is checked. */
function countingStep(marker: string, counts: { checks: number }): Step {
  return defineStep({
    meta: { id: 'marker-file', order: 1, title: 'A marker file', targets: ['dockerfile'], summary: 's', explain: 'e', references: [], codes: { 'DH-TEST-MARKER': { title: 't', severity: 'low', help: 'h' } } },
    async check() {
      counts.checks++;
      if (existsSync(marker)) return { status: 'pass', findings: [] };
      return { status: 'fail', findings: [{ code: 'DH-TEST-MARKER', message: 'no marker file', severity: 'low' }] };
    },
    async propose() {
      return [{ id: 'write-marker', title: 'Write the marker', kind: 'change', risk: 'safe', changes: [{ path: marker, before: null, after: 'x\n', mode: 0o644 }], commands: [], warnings: [] }];
    },
  });
}

describe('fix --yes and the re-check after a write', () => {
  it('checks the step twice: before the write and once after it', async () => {
    const counts = { checks: 0 };
    const marker = path.join(dir, 'marker');
    const stdout = new PassThrough();
    let text = '';
    stdout.on('data', (c: Buffer) => (text += c.toString()));
    const args = parseArgs(['fix', '--yes', '--file', path.join(dir, 'Dockerfile'), '--state-dir', path.join(dir, 'state')]);
    const io = { stdout, stderr: new PassThrough(), stdinIsTTY: false, env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' }, version: '0.0.0-test', registry: [countingStep(marker, counts)] };
    const code = await fixCommand(args, io);
    expect(text).toContain('applied; the check now passes');
    expect(code).toBe(0);
    expect(existsSync(marker)).toBe(true);
    expect(counts.checks).toBe(2);
  });
});

/**
 * Two fixes where the second is proposed only once the first is written: by a later step (`cascade`
 * in another step) or by the same step's re-check.
 */
function cascadingSteps(dir: string): Step[] {
  const first = path.join(dir, 'first');
  const second = path.join(dir, 'second');
  const codes = { 'DH-TEST-CASCADE': { title: 't', severity: 'low' as const, help: 'h' } };
  const write = (id: string, file: string) => ({ id, title: `Write ${path.basename(file)}`, kind: 'change' as const, risk: 'safe' as const, changes: [{ path: file, before: null, after: 'x\n', mode: 0o644 }], commands: [], warnings: [] });
  const failing = { status: 'fail' as const, findings: [{ code: 'DH-TEST-CASCADE', message: 'missing', severity: 'low' as const }] };
  return [
    defineStep({
      meta: { id: 'cascade-first', order: 1, title: 'First', targets: ['dockerfile'], summary: 's', explain: 'e', references: [], codes },
      async check() {
        return existsSync(first) ? { status: 'pass', findings: [] } : failing;
      },
      async propose() {
        return [write('write-first', first)];
      },
    }),
    defineStep({
      meta: { id: 'cascade-second', order: 2, title: 'Second', targets: ['dockerfile'], summary: 's', explain: 'e', references: [], codes },
      async check() {
        return existsSync(second) ? { status: 'pass', findings: [] } : failing;
      },
      // Proposed only once the first file is there.
      async propose() {
        return existsSync(first) ? [write('write-second', second)] : [];
      },
    }),
  ];
}

/** The same two fixes proposed by one step, the second only after the first is written. */
function oneCascadingStep(dir: string): Step[] {
  const first = path.join(dir, 'first');
  const second = path.join(dir, 'second');
  const write = (id: string, file: string) => ({ id, title: `Write ${path.basename(file)}`, kind: 'change' as const, risk: 'safe' as const, changes: [{ path: file, before: null, after: 'x\n', mode: 0o644 }], commands: [], warnings: [] });
  return [
    defineStep({
      meta: { id: 'cascade-one', order: 1, title: 'One', targets: ['dockerfile'], summary: 's', explain: 'e', references: [], codes: { 'DH-TEST-CASCADE': { title: 't', severity: 'low', help: 'h' } } },
      async check() {
        return existsSync(first) && existsSync(second) ? { status: 'pass', findings: [] } : { status: 'fail', findings: [{ code: 'DH-TEST-CASCADE', message: 'missing', severity: 'low' }] };
      },
      async propose() {
        if (!existsSync(first)) return [write('write-first', first)];
        return existsSync(second) ? [] : [write('write-second', second)];
      },
    }),
  ];
}

describe('fix --yes applies what the check showed before anything changed', () => {
  it.each([
    { name: 'a fix a later step proposes only after an earlier step wrote', registry: cascadingSteps, later: 'cascade-second' },
    { name: 'a fix the same step proposes only after its first one', registry: oneCascadingStep, later: 'cascade-one' },
  ])('$name waits for the next run, and says so', async ({ registry, later }) => {
    const caseDir = mkdtempSync(path.join(dir, 'cascade-'));
    writeFileSync(path.join(caseDir, 'Dockerfile'), 'FROM scratch\n');
    const fix = async () => {
      const stdout = new PassThrough();
      let text = '';
      stdout.on('data', (c: Buffer) => (text += c.toString()));
      const args = parseArgs(['fix', '--yes', '--no-color', '--file', path.join(caseDir, 'Dockerfile'), '--state-dir', path.join(caseDir, 'state')]);
      const io = { stdout, stderr: new PassThrough(), stdinIsTTY: false, env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' }, version: '0.0.0-test', registry: registry(caseDir) };
      const code = await fixCommand(args, io);
      return { code, text };
    };
    const first = await fix();
    expect(existsSync(path.join(caseDir, 'first'))).toBe(true);
    expect(existsSync(path.join(caseDir, 'second'))).toBe(false);
    expect(first.text).toContain('not applied, proposed only after an earlier fix of this run:\n  Write second\n');
    expect(first.text).toContain(`docker-harden check --only ${later} shows it; run fix again to apply it`);
    expect(first.text.trimEnd().split('\n').at(-1)).toBe('fix: 1 fix applied; 1 check still fails or warns (docker-harden check shows why)');
    expect(first.code).toBe(1);
    // The next run shows it first (it is what check now proposes), and applies it.
    const second = await fix();
    expect(existsSync(path.join(caseDir, 'second'))).toBe(true);
    expect(second.text).not.toContain('proposed only after');
    expect(second.code).toBe(0);
  });
});
