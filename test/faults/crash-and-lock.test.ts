/**
 * A process killed (SIGKILL) at random points in the middle of applying a large change, many
 * times over, and several runs contending for one state directory. The target always holds the
 * old or the new text, never a mix; the profile always loads; every backup it names is real; and
 * holders of the lock never overlap, even when they race to take over a lock left by a dead run.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ProfileStore } from '../../src/core/profile.js';
import { ensureBuilt, repoRoot, runCli } from '../helpers/cli.js';

const children = path.join(repoRoot, 'test', 'faults', 'children');
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  await ensureBuilt();
}, 300_000);

function bigText(tag: string, lines: number): string {
  let out = `# ${tag}\nFROM debian:12\n`;
  for (let i = 0; i < lines; i++) out += `RUN echo ${tag}-${String(i).padStart(7, '0')} >/dev/null\n`;
  return out + 'CMD ["app"]\n';
}

/** The lock a run that has exited leaves: its pid and start time (field 22 of /proc/PID/stat), as docker-harden writes them. */
async function deadRunLock(): Promise<string> {
  const r = await execa(process.execPath, ['-e', "const s = require('fs').readFileSync('/proc/self/stat', 'utf8'); process.stdout.write(`${process.pid} ${s.slice(s.lastIndexOf(')') + 2).split(' ')[19]}`)"]);
  return r.stdout + '\n';
}

describe('killed with SIGKILL in the middle of an apply', () => {
  it('leaves the old or the new file, never a mix, and a readable profile (20 random kills)', async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'dh-kill-'));
    try {
      const a = bigText('old', 40_000); // ~1.6 MB
      const b = bigText('new', 52_000); // ~2.1 MB: a torn write would show as a length or a line mix
      const aFile = path.join(work, 'a.txt');
      const bFile = path.join(work, 'b.txt');
      writeFileSync(aFile, a);
      writeFileSync(bFile, b);
      const target = path.join(work, 'app', 'Dockerfile');
      const stateDir = path.join(work, 'state');
      await execa('mkdir', ['-p', path.dirname(target)]);
      writeFileSync(target, a);
      const store = new ProfileStore(stateDir);
      const hashes = new Set([sha(a), sha(b)]);
      let killedMidway = 0;
      for (let round = 0; round < 20; round++) {
        const child = execa(process.execPath, [path.join(children, 'apply-loop.mjs'), target, stateDir, aFile, bFile], { reject: false, buffer: false });
        await new Promise<void>((resolve, reject) => {
          child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
          child.on('exit', () => reject(new Error('the apply loop exited before it was killed')));
        });
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 250)));
        child.kill('SIGKILL');
        const result = await child;
        expect(result.signal).toBe('SIGKILL');
        killedMidway++;

        const content = readFileSync(target);
        expect(hashes.has(sha(content)), `round ${round}: the target is neither the old nor the new text (${content.length} bytes)`).toBe(true);
        const profile = await store.load();
        expect(profile.applied.length).toBeGreaterThan(0);
        for (const record of profile.applied) {
          for (const f of record.files) {
            expect(existsSync(f.backup!), `backup named in the profile is missing: ${f.backup}`).toBe(true);
            expect(sha(readFileSync(f.backup!))).toBe(f.beforeHash);
          }
        }
        // Only the target and our own temp files (a write cut short) may be in its directory.
        for (const name of readdirSync(path.dirname(target))) {
          // The per-file write lock a killed run leaves is taken over by the next run (its holder is gone).
          expect(name === 'Dockerfile' || /^\.Dockerfile\.docker-harden-lock(\.[\w.]+)?$/.test(name) || /^\.Dockerfile\.docker-harden-[0-9a-f]{12}\.tmp$/.test(name), name).toBe(true);
        }
      }
      expect(killedMidway).toBe(20);
      // The lock left by the last killed run is taken over by the next one.
      await store.lock();
      await store.unlock();
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 180_000);
});

describe('two runs on one state directory at once', () => {
  it('holders of the lock never overlap, even racing to take over a dead run\'s lock', async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'dh-lock-'));
    try {
      const stateDir = path.join(work, 'state');
      const log = path.join(work, 'log');
      writeFileSync(log, '');
      for (let round = 0; round < 5; round++) {
        await execa('mkdir', ['-p', stateDir]);
        writeFileSync(path.join(stateDir, 'lock'), await deadRunLock());
        const runs = Array.from({ length: 8 }, (_, i) =>
          execa(process.execPath, [path.join(children, 'hold-lock.mjs'), stateDir, log, `${round}.${i}`, '30', '30000'], { reject: false }),
        );
        const results = await Promise.all(runs);
        for (const r of results) expect(r.exitCode, r.stderr).toBe(0);
      }
      const lines = readFileSync(log, 'utf8').trim().split('\n');
      expect(lines).toHaveLength(80);
      for (let i = 0; i < lines.length; i += 2) {
        const id = lines[i]!.replace(/^start /, '');
        expect(lines[i], `line ${i + 1}`).toBe(`start ${id}`);
        expect(lines[i + 1], `holders overlapped: ${lines.slice(i, i + 3).join(' | ')}`).toBe(`end ${id}`);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);

  it('two `fix` runs started at once on one Dockerfile: one waits its turn or stops with the message; the result is one whole fix', async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'dh-twofix-'));
    try {
      const original = 'FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD ["node", "server.js"]\n';
      // What one run alone makes of it.
      const alone = path.join(work, 'alone', 'Dockerfile');
      await execa('mkdir', ['-p', path.dirname(alone)]);
      writeFileSync(alone, original);
      const single = await runCli(['fix', '--file', alone, '--yes', '--include-review', '--only', 'non-root-user,slim-base-image', '--state-dir', path.join(work, 'alone-state')]);
      expect(single.exitCode, single.stdout + single.stderr).toBeLessThan(2);
      const expected = readFileSync(alone, 'utf8');
      expect(expected).not.toBe(original);
      for (let round = 0; round < 3; round++) {
        const dockerfile = path.join(work, `r${round}`, 'Dockerfile');
        const state = path.join(work, `r${round}-state`);
        await execa('mkdir', ['-p', path.dirname(dockerfile)]);
        writeFileSync(dockerfile, original);
        const runs = await Promise.all([0, 1].map(() => runCli(['fix', '--file', dockerfile, '--yes', '--include-review', '--only', 'non-root-user,slim-base-image', '--state-dir', state])));
        for (const r of runs) {
          if (r.exitCode === 2) expect(r.stderr).toMatch(/another docker-harden run \(pid \d+\) is using this state directory|changed since it was checked/);
          else expect(r.exitCode, r.stdout + r.stderr).toBeLessThan(2);
        }
        expect(runs.some((r) => r.exitCode < 2)).toBe(true);
        expect(readFileSync(dockerfile, 'utf8')).toBe(expected);
        // Every change in the profile is whole: its backup holds what was there before it.
        const profile = await new ProfileStore(state).load();
        for (const record of profile.applied) for (const f of record.files) expect(sha(readFileSync(f.backup!))).toBe(f.beforeHash);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 180_000);

  it('a second `fix` while the state directory is held exits 2 with the message and writes nothing', async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'dh-lock-'));
    try {
      const stateDir = path.join(work, 'state');
      const dockerfile = path.join(work, 'Dockerfile');
      writeFileSync(dockerfile, 'FROM debian:12\nRUN apt-get update\nCMD ["app"]\n');
      const holder = execa(process.execPath, [path.join(children, 'hold-lock.mjs'), stateDir, path.join(work, 'log'), 'holder', '8000', '0'], { reject: false, buffer: false });
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
        holder.on('exit', () => reject(new Error('the lock holder exited early')));
      });
      const before = readFileSync(dockerfile);
      const r = await runCli(['fix', '--file', dockerfile, '--yes', '--include-review', '--state-dir', stateDir]);
      holder.kill('SIGTERM');
      await holder;
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain(`another docker-harden run (pid ${holder.pid}) is using this state directory`);
      expect(r.stderr).toContain('--state-dir');
      expect(readFileSync(dockerfile)).toEqual(before);
      expect(existsSync(path.join(stateDir, 'profile.json'))).toBe(false);
      expect(readdirSync(work).sort()).toEqual(['Dockerfile', 'log', 'state']);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 60_000);
});
