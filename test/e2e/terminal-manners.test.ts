/**
 * Terminal manners, in a real pseudo-terminal (and a real pipe): Ctrl-C exits 130 in the wizard
 * and at a batch question, the output ends with a newline, a pasted reason with its Enter is
 * taken whole, and a reader that closes the pipe early ends the run quietly.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { binPath, ensureBuilt, runCli } from '../helpers/cli.js';
import { spawnCli, stripAnsi, KEY, type PtyRun } from './pty.js';

const DOCKERFILE = 'FROM node:20\nWORKDIR /app\nCOPY . .\nCMD ["node","index.js"]\n';

function workspace() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-pty-manners-'));
  const dockerfile = path.join(dir, 'Dockerfile');
  writeFileSync(dockerfile, DOCKERFILE);
  return { dir, dockerfile, stateDir: path.join(dir, 'state') };
}

async function finish(run: PtyRun): Promise<number> {
  const code = await Promise.race([run.exited, new Promise<number>((r) => setTimeout(() => r(-1), 15_000))]);
  run.kill();
  return code;
}

/** The output as a person sees it: escapes (cursor show/hide, colours) removed. */
function endsWithNewline(run: PtyRun): boolean {
  return stripAnsi(run.raw()).replace(/\u001b\[\?\d+[hl]/g, '').endsWith('\n');
}

beforeAll(async () => {
  await ensureBuilt();
}, 300_000);

describe('terminal manners', () => {
  it('Ctrl-C in the wizard: summary, exit 130, the output ends with a newline, nothing written', async () => {
    const ws = workspace();
    const run = spawnCli(['--file', ws.dockerfile, '--only', 'non-root-user', '--state-dir', ws.stateDir], { cwd: ws.dir, cols: 80, rows: 24 });
    try {
      await run.waitFor('❯ Apply');
      await run.press(KEY.ctrlC);
      await run.waitFor('Progress is saved.');
      expect(await finish(run)).toBe(130);
    } finally {
      run.kill();
    }
    expect(endsWithNewline(run)).toBe(true);
    expect(readFileSync(ws.dockerfile, 'utf8')).toBe(DOCKERFILE);
  });

  it('Ctrl-C at the learn offer: nothing changed, exit 130, the output ends with a newline', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-pty-offer-'));
    const run = spawnCli([], { cwd: dir, env: { DOCKER_HOST: 'unix:///nonexistent/docker-harden-test.sock' } });
    try {
      await run.waitFor('[Y/n]');
      await run.press(KEY.ctrlC);
      await run.waitFor('Nothing was changed.');
      expect(await finish(run)).toBe(130);
    } finally {
      run.kill();
    }
    expect(endsWithNewline(run)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('q in the wizard exits 0, and its output ends with a newline too', async () => {
    const ws = workspace();
    const run = spawnCli(['--file', ws.dockerfile, '--only', 'non-root-user', '--state-dir', ws.stateDir], { cwd: ws.dir, cols: 60, rows: 20 });
    try {
      await run.waitFor('❯ Apply');
      await run.press('q');
      await run.waitFor('Progress is saved.');
      expect(await finish(run)).toBe(0);
    } finally {
      run.kill();
    }
    expect(endsWithNewline(run)).toBe(true);
  });

  it('Ctrl-C at a batch question (fix without --yes): exit 130, the line ended, nothing written, the lock released', async () => {
    const ws = workspace();
    const run = spawnCli(['fix', '--file', ws.dockerfile, '--only', 'non-root-user', '--state-dir', ws.stateDir], { cwd: ws.dir, cols: 80, rows: 24 });
    try {
      await run.waitFor('[y/N]');
      await run.press(KEY.ctrlC);
      expect(await finish(run)).toBe(130);
    } finally {
      run.kill();
    }
    expect(endsWithNewline(run)).toBe(true);
    expect(run.text()).not.toMatch(/docker-harden: |Error/);
    expect(readFileSync(ws.dockerfile, 'utf8')).toBe(DOCKERFILE);
    expect(readdirSync(ws.stateDir)).not.toContain('lock');
  });

  it('a skip reason pasted with its Enter is taken whole and saved', async () => {
    const ws = workspace();
    const run = spawnCli(['--file', ws.dockerfile, '--only', 'non-root-user,slim-base-image', '--state-dir', ws.stateDir], { cwd: ws.dir, cols: 80, rows: 24 });
    const reason = 'the platform team mandates node:20 (ticket OPS-1234)';
    try {
      await run.waitFor('❯ Apply');
      await run.press('s');
      await run.waitFor('Why?');
      await run.paste(`${reason}\r`);
      await run.waitFor('6. Use a small base image');
      const next = await run.waitFor('OPS-1234)).');
      expect(next.replace(/\s+/g, ' ')).toContain(`skipped (${reason}).`);
      await run.press('q');
      await run.waitFor('Progress is saved.');
      expect(await finish(run)).toBe(0);
    } finally {
      run.kill();
    }
    const profile = JSON.parse(readFileSync(path.join(ws.stateDir, 'profile.json'), 'utf8')) as { targets: Record<string, Record<string, { status: string; reason?: string }>> };
    expect(Object.values(profile.targets)[0]!['non-root-user']).toMatchObject({ status: 'skipped', reason });
  });

  it('a reader that closes the pipe early: the run ends quietly, exit 141, nothing on stderr', async () => {
    const sandbox = path.join(mkdtempSync(path.join(os.tmpdir(), 'dh-pipe-')), 'sandbox');
    expect((await runCli(['learn', '--sandbox', sandbox])).exitCode).toBe(0);
    // A report far larger than a pipe's buffer, its reader gone before the first write.
    const child = spawn(process.execPath, [binPath, 'report', '--sandbox', sandbox, '--format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).toBe('');
    expect(code).toBe(141);
  });
});
