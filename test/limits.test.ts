/**
 * Input of any size: each input kind has a limit (src/core/limits.ts, listed in SECURITY.md) and
 * is refused before it is parsed, with the file, the limit and exit 2; a device or FIFO is never
 * read (no hang); nesting deeper than any real file needs ends in a message, never in "Maximum
 * call stack size exceeded".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, runCli } from './helpers/cli.js';
import { LIMITS, jsonTooDeep, readLimited, readLimitedSync } from '../src/core/limits.js';
import { loadDockerfile } from '../src/dockerfile/model.js';
import { parseDaemonConfig } from '../src/host/daemon-validate.js';
import { editService } from '../src/compose/edit.js';

let dir: string;
beforeAll(async () => {
  await ensureBuilt();
  dir = mkdtempSync(path.join(os.tmpdir(), 'dh-limits-'));
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const deep = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

describe('refused early, exit 2, the file and the limit named', () => {
  it('--daemon-config /dev/zero', async () => {
    const r = await runCli(['check', '--host', '--daemon-config', '/dev/zero', '--state-dir', path.join(dir, 's')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('/dev/zero: is not a regular file (a device, FIFO or socket), so it is not a daemon.json');
  });

  it('--daemon-config over the daemon.json limit', async () => {
    const file = path.join(dir, 'big.json');
    writeFileSync(file, `{"labels": ["${'x'.repeat(LIMITS.daemonJson)}"]}`);
    const r = await runCli(['check', '--host', '--daemon-config', file, '--state-dir', path.join(dir, 's')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${file}: is too large`);
    expect(r.stderr).toContain('over the limit of 1 MiB for a daemon.json');
  });

  it('a compose file over its limit', async () => {
    const file = path.join(dir, 'big.yaml');
    writeFileSync(file, `services:\n  a:\n    image: x\n    labels: {big: "${'x'.repeat(LIMITS.compose)}"}\n`);
    const r = await runCli(['check', '--compose', file, '--state-dir', path.join(dir, 's')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('over the limit of 8 MiB for a compose file');
  });

  it('a compose file with flow collections nested 100,000 deep', async () => {
    const file = path.join(dir, 'deep.yaml');
    writeFileSync(file, `services:\n  a: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`);
    const r = await runCli(['check', '--compose', file, '--state-dir', path.join(dir, 's')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${file}:2:`);
    expect(r.stderr).toContain(`nests objects and arrays more than ${LIMITS.jsonDepth} levels deep`);
    expect(r.stderr).not.toContain('Maximum call stack');
  });
});

describe('the readers and parsers themselves', () => {
  it('a FIFO is refused without blocking; a file is read up to the limit only', async () => {
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    await expect(readLimited(fifo, 'daemon.json', LIMITS.daemonJson)).rejects.toThrow(/is not a regular file/);
    const file = path.join(dir, 'ten');
    writeFileSync(file, '0123456789');
    await expect(readLimited(file, 'daemon.json', 9)).rejects.toThrow(/is too large: 10 bytes, over the limit of 9 bytes/);
    expect((await readLimited(file, 'daemon.json', 10))!.toString()).toBe('0123456789');
    expect(await readLimited(path.join(dir, 'absent'), 'daemon.json', 10)).toBeNull();
    // A path through a file does not exist either (ENOTDIR), for both readers.
    expect(await readLimited(path.join(file, 'x'), 'daemon.json', 10)).toBeNull();
    expect(readLimitedSync(path.join(file, 'x'), 'Dockerfile', 10)).toBeNull();
  });

  it('a reader shows the caller the stat of the file it opened, and a throw there stops the read', async () => {
    const file = path.join(dir, 'seen');
    writeFileSync(file, 'FROM scratch\n');
    const inodes: number[] = [];
    expect(readLimitedSync(file, 'Dockerfile', 100, { seen: (info) => inodes.push(info.ino) })!.toString()).toBe('FROM scratch\n');
    await readLimited(file, 'compose file', 100, { seen: (info) => inodes.push(info.ino) });
    expect(inodes).toEqual([statSync(file).ino, statSync(file).ino]);
    expect(() => readLimitedSync(file, 'Dockerfile', 100, { seen: () => { throw new Error('refused'); } })).toThrow('refused');
  });

  it('the Dockerfile loader names a directory, a FIFO and a missing file, without blocking', async () => {
    const fifo = path.join(dir, 'fifo-dockerfile');
    execFileSync('mkfifo', [fifo]);
    await expect(loadDockerfile(fifo)).rejects.toThrow(/is not a regular file/);
    await expect(loadDockerfile(dir)).rejects.toMatchObject({ message: expect.stringContaining('is a directory, not a Dockerfile'), hint: expect.stringContaining('--file ./Dockerfile') });
    await expect(loadDockerfile(path.join(dir, 'absent', 'Dockerfile'))).rejects.toThrow(/not found/);
    const file = path.join(dir, 'Dockerfile');
    writeFileSync(file, 'FROM busybox\nUSER 1000\n');
    let version: number | undefined;
    expect((await loadDockerfile(file, (info) => (version = info.ino))).stages).toHaveLength(1);
    expect(version).toBe(statSync(file).ino);
  });

  it('daemon.json nested 100,000 deep: a message at the line and column, no stack overflow', () => {
    expect(() => parseDaemonConfig(deep(100_000), '/etc/docker/daemon.json')).toThrow(/nests objects and arrays more than 200 levels deep/);
    try {
      parseDaemonConfig(deep(100_000), '/etc/docker/daemon.json');
    } catch (err) {
      expect((err as { line?: number; column?: number }).column).toBe(5 * 200 + 1);
    }
  });

  it('the depth scan ignores brackets inside strings and accepts real nesting', () => {
    expect(jsonTooDeep(`{"a": "${'['.repeat(1000)}"}`)).toBeNull();
    expect(jsonTooDeep(deep(200))).toBeNull();
    expect(jsonTooDeep(deep(201))).toBe(5 * 200);
    expect(() => editService(`services:\n  a: ${'['.repeat(300)}${']'.repeat(300)}\n`, 'a', [{ op: 'set', key: 'x', value: 1 }])).toThrow(/more than 200 levels deep/);
  });
});
