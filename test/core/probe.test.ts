/**
 * The system probe's read-only commands: run without a shell, with only the given environment,
 * bounded in time and output; a program that cannot start or is stopped reads as exit 127.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { systemProbe } from '../../src/core/probe.js';
import { noteWrite, oneRun } from '../../src/core/writes.js';

const probe = systemProbe({ PATH: '/usr/bin:/bin', ONLY: 'this' });

describe('systemProbe().run', () => {
  const cases: { name: string; argv: string[]; timeoutMs?: number; exitCode: number; stdout?: RegExp; stderr?: RegExp }[] = [
    { name: 'a program that succeeds: its output', argv: ['echo', 'hello', '$HOME', ';', 'x'], exitCode: 0, stdout: /^hello \$HOME ; x\n$/ },
    { name: 'its exit code as it is', argv: ['sh', '-c', 'echo oops >&2; exit 3'], exitCode: 3, stderr: /^oops\n$/ },
    { name: 'only the environment given', argv: ['env'], exitCode: 0, stdout: /^PATH=\/usr\/bin:\/bin\nONLY=this\n$/ },
    { name: 'a program that is not there: 127', argv: ['no-such-program-here'], exitCode: 127 },
    { name: 'one that does not end in time is stopped: 127', argv: ['sleep', '30'], timeoutMs: 300, exitCode: 127 },
    { name: 'one that prints without end is stopped at the output limit: 127', argv: ['cat', '/dev/zero'], exitCode: 127 },
    { name: 'stdin is closed: a program reading it ends', argv: ['cat'], exitCode: 0, stdout: /^$/ },
  ];
  it.each(cases)('$name', async (c) => {
    const r = await probe.run(c.argv, c.timeoutMs ? { timeoutMs: c.timeoutMs } : {});
    expect(r.exitCode).toBe(c.exitCode);
    if (c.stdout) expect(r.stdout).toMatch(c.stdout);
    if (c.stderr) expect(r.stderr).toMatch(c.stderr);
  });
});

describe('systemProbe() file reads within a batch run', () => {
  it('are read once until the run writes something; outside a run, and under /proc, always afresh', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-probe-cache-'));
    try {
      const file = path.join(dir, 'dependabot.yml');
      const reader = systemProbe({ PATH: '/usr/bin:/bin' });
      await oneRun(async () => {
        expect(await reader.readText(file)).toBeNull();
        expect(await reader.stat(file)).toBeNull();
        expect(await reader.readBytes!(file, 1024)).toBeNull();
        expect(await reader.list(dir)).toEqual([]);
        writeFileSync(file, 'version: 2\n');
        expect(await reader.list(dir)).toEqual([]);
        // Written behind the run's back (as no fix does): the run keeps what it read.
        expect(await reader.readText(file)).toBeNull();
        expect(await reader.stat(file)).toBeNull();
        expect(await reader.readBytes!(file, 1024)).toBeNull();
        // A write by the run (a fix, a command) drops what the run read.
        noteWrite();
        expect(await reader.readText(file)).toBe('version: 2\n');
        expect((await reader.stat(file))?.size).toBe(11);
        expect((await reader.readBytes!(file, 1024))?.toString()).toBe('version: 2\n');
        // A caller that changes the list it got does not change what the next one gets.
        (await reader.list(dir)).push('added.yml');
        expect(await reader.list(dir)).toEqual(['dependabot.yml']);
        // Each limit is a read of its own: a smaller one refuses the file.
        expect(await reader.readBytes!(file, 4)).toBeNull();
      });
      writeFileSync(file, 'version: 3\n');
      expect(await reader.readText(file)).toBe('version: 3\n');
      expect((await reader.readBytes!(file, 1024))?.toString()).toBe('version: 3\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('of a path under /proc are never kept', async () => {
    const reader = systemProbe({ PATH: '/usr/bin:/bin' });
    await oneRun(async () => {
      const a = await reader.readText('/proc/uptime');
      await new Promise((r) => setTimeout(r, 1100));
      const b = await reader.readText('/proc/uptime');
      expect(a).not.toBe(b);
    });
  });
});
