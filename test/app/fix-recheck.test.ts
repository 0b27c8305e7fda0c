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
