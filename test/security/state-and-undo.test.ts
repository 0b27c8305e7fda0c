/**
 * Safe to run as root (issue 9, classes 1, 2, 5, 11, 12, 13; issue 11 part 4): the state directory
 * is trusted only when it is the running user's; state files that are not regular files or are too
 * big are refused at once; undo verifies every record before it writes; a record is saved before
 * anything is printed; two runs never both write one file; a reused pid does not hold a lock; a
 * fix keeps a file's extended attributes, ACL and hard links; an undone step is undecided again.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { chmodSync, chownSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, runCli, binPath, repoRoot } from '../helpers/cli.js';
import { applyFileChange } from '../../src/core/change.js';
import { ProfileStore, emptyProfile, type AppliedRecord } from '../../src/core/profile.js';
import { processStartTime } from '../../src/core/lockfile.js';
import { undoApplied } from '../../src/core/runner.js';
import { UserError } from '../../src/core/errors.js';

const isRoot = process.getuid?.() === 0;
const work = mkdtempSync(path.join(os.tmpdir(), 'dh-sec-'));
chmodSync(work, 0o755);
afterAll(() => rmSync(work, { recursive: true, force: true }));
const env = { DOCKER_HOST: `unix://${path.join(work, 'none.sock')}`, HOME: work };
const ORIGINAL = 'FROM node:20\nWORKDIR /app\nCOPY --chown=node:node . .\nCMD ["node", "server.js"]\n';
const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

let n = 0;
function project(): { dir: string; dockerfile: string; state: string } {
  const dir = path.join(work, `p${++n}`);
  mkdirSync(dir, { recursive: true });
  const dockerfile = path.join(dir, 'Dockerfile');
  writeFileSync(dockerfile, ORIGINAL);
  return { dir, dockerfile, state: path.join(dir, 'state') };
}

/** As the unprivileged `nobody`, the way another account on a shared server would act. */
async function asNobody(argv: string[]): Promise<void> {
  await execa('setpriv', ['--reuid', 'nobody', '--regid', 'nogroup', '--clear-groups', '--', ...argv]);
}

beforeAll(async () => {
  await ensureBuilt();
}, 300_000);

describe.skipIf(!isRoot)('class 1: trusted state', () => {
  it('class 1: a state directory made by another user (nobody, mode 0777) is refused: exit 2 naming path, owner and mode; nothing changed', async () => {
    const p = project();
    const shared = path.join(work, `shared-${n}`);
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const state = path.join(shared, 'state');
    await asNobody(['mkdir', '-m', '0777', state]);
    await asNobody(['chmod', '0777', state]);
    expect(statSync(state).uid).toBe(65534);
    const r = await runCli(['fix', '--file', p.dockerfile, '--only', 'non-root-user:set-user', '--yes', '--state-dir', state], { env });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(state);
    expect(r.stderr).toMatch(/owned by uid 65534 with mode 0777/);
    expect(r.stderr).toMatch(/chown|another --state-dir/);
    expect(readFileSync(p.dockerfile, 'utf8')).toBe(ORIGINAL);
    expect(readdirSync(state)).toEqual([]);
  });

  it('class 1: a state directory of ours in a folder another account owns (it could swap the state between check and read) is refused before anything is read; in a sticky /tmp-like folder it is ours to use', async () => {
    const p = project();
    const applied = await runCli(['fix', '--file', p.dockerfile, '--only', 'non-root-user:set-user', '--yes', '--state-dir', p.state], { env });
    expect(applied.exitCode, applied.stderr).not.toBe(2);
    const fixed = readFileSync(p.dockerfile, 'utf8');
    // The folder above the state becomes nobody's: the state itself is still root's, mode 0700.
    chownSync(p.dir, 65534, 65534);
    const r = await runCli(['undo', '--yes', '--state-dir', p.state], { env });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(p.dir);
    expect(r.stderr).toMatch(/owned by uid 65534 with mode 0755: another account could swap the state/);
    expect(readFileSync(p.dockerfile, 'utf8')).toBe(fixed);
    // Back to root's, but writable by all: refused too; sticky as /tmp is: undone.
    chownSync(p.dir, 0, 0);
    chmodSync(p.dir, 0o777);
    expect((await runCli(['undo', '--yes', '--state-dir', p.state], { env })).exitCode).toBe(2);
    chmodSync(p.dir, 0o1777);
    const undone = await runCli(['undo', '--yes', '--state-dir', p.state], { env });
    expect(undone.exitCode, undone.stderr).toBe(0);
    expect(readFileSync(p.dockerfile, 'utf8')).toBe(ORIGINAL);
  });

  it('class 1: a state directory reached through a link another account owns in a sticky folder (it could repoint the link between a check and a read) is refused before anything is read or written', async () => {
    const p = project();
    const shared = path.join(work, `shared-${n}`);
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const real = path.join(p.dir, 'real');
    mkdirSync(real, { mode: 0o700 });
    const link = path.join(shared, 'link');
    await asNobody(['ln', '-s', real, link]);
    expect(lstatSync(link).uid).toBe(65534);
    for (const argv of [
      ['fix', '--file', p.dockerfile, '--only', 'non-root-user:set-user', '--yes', '--state-dir', path.join(link, 'state')],
      ['undo', '--list', '--state-dir', path.join(link, 'state')],
    ]) {
      const r = await runCli(argv, { env });
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stderr).toContain(link);
      expect(r.stderr).toMatch(/symbolic link owned by uid 65534/);
    }
    expect(readFileSync(p.dockerfile, 'utf8')).toBe(ORIGINAL);
    expect(readdirSync(real)).toEqual([]);
  });

  it('class 1: a profile swapped in by nobody (its file in our directory) is refused, and undo writes nothing', async () => {
    const p = project();
    const applied = await runCli(['fix', '--file', p.dockerfile, '--only', 'non-root-user:set-user', '--yes', '--state-dir', p.state], { env });
    expect(applied.exitCode, applied.stderr).not.toBe(2);
    const fixed = readFileSync(p.dockerfile, 'utf8');
    const profileFile = path.join(p.state, 'profile.json');
    chownSync(profileFile, 65534, 65534);
    const r = await runCli(['undo', '--yes', '--state-dir', p.state], { env });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(profileFile);
    expect(r.stderr).toMatch(/owned by uid 65534 with mode 0600/);
    expect(readFileSync(p.dockerfile, 'utf8')).toBe(fixed);
  });

  it('class 1: a group- or other-writable state file is refused, even when ours', async () => {
    const p = project();
    await runCli(['fix', '--file', p.dockerfile, '--only', 'non-root-user:set-user', '--yes', '--state-dir', p.state], { env });
    const backups = path.join(p.state, 'backups');
    const backup = path.join(backups, readdirSync(backups)[0]!);
    chmodSync(backup, 0o666);
    const r = await runCli(['undo', '--list', '--state-dir', p.state], { env });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(backup);
    expect(r.stderr).toMatch(/mode 0666/);
  });

  it('class 1: a FIFO as profile.json or as the lock is refused at once, never waited on', async () => {
    for (const name of ['profile.json', 'lock']) {
      const p = project();
      mkdirSync(p.state, { mode: 0o700 });
      await execa('mkfifo', ['-m', '0600', path.join(p.state, name)]);
      // No timeout is asserted: a hang would fail the test by the runner's own timeout.
      const r = await runCli(['fix', '--file', p.dockerfile, '--only', 'non-root-user:set-user', '--yes', '--state-dir', p.state], { env, timeoutMs: 60_000 });
      expect(r.exitCode, name).toBe(2);
      expect(r.stderr).toContain(path.join(p.state, name));
      expect(r.stderr).toMatch(/FIFO/);
      expect(readFileSync(p.dockerfile, 'utf8')).toBe(ORIGINAL);
    }
  });

  it('class 1: a profile over the size limit is refused without being read', async () => {
    const p = project();
    mkdirSync(p.state, { mode: 0o700 });
    const file = path.join(p.state, 'profile.json');
    writeFileSync(file, '');
    chmodSync(file, 0o600);
    await execa('truncate', ['-s', '100M', file]);
    const r = await runCli(['undo', '--list', '--state-dir', p.state], { env });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/over the limit of \d+ bytes/);
  });
});

describe('class 2: undo verifies every record before it writes', () => {
  let p: ReturnType<typeof project>;
  let fixed: string;
  const profileOf = () => JSON.parse(readFileSync(path.join(p.state, 'profile.json'), 'utf8'));
  const saveProfile = (data: unknown) => writeFileSync(path.join(p.state, 'profile.json'), JSON.stringify(data));

  beforeEach(async () => {
    p = project();
    const r = await runCli(['fix', '--file', p.dockerfile, '--only', 'non-root-user:set-user', '--yes', '--state-dir', p.state], { env });
    expect(r.exitCode, r.stderr).not.toBe(2);
    fixed = readFileSync(p.dockerfile, 'utf8');
  });

  it('class 2: a backup outside this state\'s backups folder is refused; the target is untouched', async () => {
    const evil = path.join(work, `evil-${n}`);
    writeFileSync(evil, ORIGINAL);
    const data = profileOf();
    data.applied[0].files[0].backup = evil;
    saveProfile(data);
    const r = await runCli(['undo', '--yes', '--state-dir', p.state], { env });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/not inside this state's backups folder/);
    expect(readFileSync(p.dockerfile, 'utf8')).toBe(fixed);
  });

  it('class 2: a backup whose hash is not the recorded before-hash is refused, even with --force', async () => {
    const data = profileOf();
    writeFileSync(data.applied[0].files[0].backup, 'FROM evil\n');
    const r = await runCli(['undo', '--yes', '--force', '--state-dir', p.state], { env });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/backup does not match the recorded content/);
    expect(readFileSync(p.dockerfile, 'utf8')).toBe(fixed);
  });

  it('class 2: a record naming a file its step does not change for its target is refused, even with --force', async () => {
    const other = path.join(work, `victim-${n}`);
    writeFileSync(other, 'root-owned content\n');
    const data = profileOf();
    data.applied[0].files[0].path = other;
    saveProfile(data);
    const r = await runCli(['undo', '--yes', '--force', '--state-dir', p.state], { env });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/which that step does not change there/);
    expect(readFileSync(other, 'utf8')).toBe('root-owned content\n');
  });

  it('class 2: a file the tool created is removed on undo only while it holds exactly what was written (not even with --force)', async () => {
    // A CI workflow, as the scanning step creates for a Dockerfile's repository.
    const created = path.join(p.dir, '.github', 'workflows', 'scan.yml');
    mkdirSync(path.dirname(created), { recursive: true });
    writeFileSync(created, 'edited by a person\n');
    const data = profileOf();
    data.applied.push({ ...data.applied[0], id: 'created-1', at: new Date().toISOString(), files: [{ path: created, backup: null, beforeHash: null, afterHash: sha('what docker-harden wrote\n') }] });
    saveProfile(data);
    const r = await runCli(['undo', 'created-1', '--yes', '--force', '--state-dir', p.state], { env });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/created by docker-harden but changed since/);
    expect(readFileSync(created, 'utf8')).toBe('edited by a person\n');
  });

  it('class 2: undo in the learn sandbox never writes outside the sandbox', async () => {
    const sandbox = path.join(work, `sandbox-${n}`);
    const made = await runCli(['learn', '--sandbox', sandbox], { env });
    expect(made.exitCode, made.stderr).toBe(0);
    const stateDir = path.join(sandbox, '.docker-harden');
    const outside = path.join(work, `outside-${n}`);
    writeFileSync(outside, 'outside\n');
    // A record as the sandbox would make it, with a valid backup, but naming a file outside it.
    const backups = path.join(stateDir, 'backups');
    mkdirSync(backups, { recursive: true, mode: 0o700 });
    const backup = path.join(backups, 'x.bak');
    writeFileSync(backup, 'replaced\n', { mode: 0o600 });
    const profileFile = path.join(stateDir, 'profile.json');
    const data = existsSync(profileFile) ? JSON.parse(readFileSync(profileFile, 'utf8')) : emptyProfile();
    data.applied.push({ id: 'out-1', step: 'non-root-user', target: `dockerfile:${outside}`, proposal: 'x', at: new Date().toISOString(), files: [{ path: outside, backup, beforeHash: sha('replaced\n'), afterHash: sha('outside\n') }], commands: [] });
    writeFileSync(profileFile, JSON.stringify(data), { mode: 0o600 });
    const r = await runCli(['undo', 'out-1', '--yes', '--sandbox', sandbox], { env });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/outside the learn sandbox/);
    expect(readFileSync(outside, 'utf8')).toBe('outside\n');
  });
});

describe('class 5: record before output', () => {
  it('class 5: `fix --yes | head -c 1` does not crash and the change is recorded (undo finds it)', async () => {
    const p = project();
    const fix = execa(process.execPath, [binPath, 'fix', '--file', p.dockerfile, '--only', 'non-root-user:set-user', '--yes', '--state-dir', p.state], {
      cwd: repoRoot,
      env: { NO_COLOR: '1', ...env },
      reject: false,
      stdin: 'ignore',
    });
    const head = execa('head', ['-c', '1'], { reject: false });
    fix.stdout!.pipe(head.stdin!);
    const [r, h] = await Promise.all([fix, head]);
    expect(h.stdout.length).toBe(1);
    expect(r.stderr).not.toMatch(/EPIPE|Error:|at /);
    // 141 as for SIGPIPE once the pipe closed, or the run's own code when it finished first.
    expect([0, 1, 141]).toContain(r.exitCode);
    expect(readFileSync(p.dockerfile, 'utf8')).not.toBe(ORIGINAL);
    const list = await runCli(['undo', '--list', '--state-dir', p.state], { env });
    expect(list.stdout).toMatch(/non-root-user: .*\[applied\]/);
    const undo = await runCli(['undo', '--yes', '--state-dir', p.state], { env });
    expect(undo.exitCode, undo.stderr).toBe(0);
    expect(readFileSync(p.dockerfile, 'utf8')).toBe(ORIGINAL);
  });
});

describe('class 11: no lost update', () => {
  it('class 11: two runs with different state directories changing one file: one writes, the other says "changed since it was checked"', async () => {
    const p = project();
    const change = (tag: string) => ({ path: p.dockerfile, before: ORIGINAL, after: `${ORIGINAL}# ${tag}\n` });
    const results = await Promise.allSettled([
      applyFileChange(change('a'), path.join(p.dir, 'state-a', 'backups')),
      applyFileChange(change('b'), path.join(p.dir, 'state-b', 'backups')),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toBeInstanceOf(UserError);
    expect((lost[0]!.reason as Error).message).toMatch(/changed since it was checked/);
    expect(readFileSync(p.dockerfile, 'utf8')).toMatch(/^# [ab]$/m);
    expect(readdirSync(p.dir).filter((f) => f.includes('docker-harden'))).toEqual([]);
  });
});

describe('class 12: stale locks', () => {
  it('class 12: the lock names its holder by pid and process start time', async () => {
    const store = new ProfileStore(path.join(work, `lock-${++n}`));
    await store.lock();
    try {
      expect(readFileSync(store.lockFile, 'utf8')).toBe(`${process.pid} ${processStartTime(process.pid)}\n`);
    } finally {
      await store.unlock();
    }
  });

  it('class 12: a lock whose pid now belongs to another process (start time differs) is taken over; a live holder still blocks', async () => {
    const dir = path.join(work, `lock-${++n}`);
    mkdirSync(dir, { mode: 0o700 });
    const store = new ProfileStore(dir);
    // pid 1 is alive, but it is not the run that wrote this lock: its start time differs.
    writeFileSync(store.lockFile, `1 ${Number(processStartTime(1) ?? 0) + 12345}\n`, { mode: 0o600 });
    await store.lock();
    await store.unlock();
    // Our own identity is a live holder: a second store waits, then names it.
    writeFileSync(store.lockFile, `${process.pid} ${processStartTime(process.pid)}\n`, { mode: 0o600 });
    await expect(new ProfileStore(dir).lock()).rejects.toThrow(new RegExp(`pid ${process.pid}`));
  });

  // What docker-harden writes is `PID START\n`: anything else was not written by a run of ours.
  it.each([
    ['a live pid alone', '1', 'it holds "1"'],
    ['a live pid alone, with a newline', '1\n', 'it holds "1"'],
    ['nothing', '', 'it is empty'],
    ['a start time that is not one', '2147483646 soon\n', 'it holds "2147483646 soon"'],
    ['an escape sequence, cut short', `\x1b]0;owned\x07${'x'.repeat(200)}`, `it holds "\\x1b]0;owned\\x07${'x'.repeat(50)}..."`],
  ])('class 12: a lock not in docker-harden\'s format (%s) is refused at once, naming the file and what it holds; it stays', async (_name, content, holds) => {
    const dir = path.join(work, `lock-${++n}`);
    mkdirSync(dir, { mode: 0o700 });
    const store = new ProfileStore(dir);
    writeFileSync(store.lockFile, content, { mode: 0o600 });
    const started = Date.now();
    const err = await store.lock(10_000).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).file).toBe(store.lockFile);
    expect((err as UserError).message).toBe(`is not a docker-harden lock: ${holds}, where docker-harden writes its pid and start time; nothing was done`);
    expect((err as UserError).hint).toBe('If no docker-harden is running, remove this file, then run again.');
    // At once: not after the wait a live holder of ours gets.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(readFileSync(store.lockFile, 'utf8')).toBe(content);
  });

  it('class 12: fix beside a lock not in our format: exit 2 at once, the lock file and what it holds named, nothing written', async () => {
    const p = project();
    const lock = path.join(p.dir, '.Dockerfile.docker-harden-lock');
    writeFileSync(lock, '1');
    const started = Date.now();
    const r = await runCli(['fix', '--file', p.dockerfile, '--only', 'non-root-user', '--yes', '--include-review', '--state-dir', p.state], { env });
    expect(r.exitCode, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toContain(`${lock}: is not a docker-harden lock: it holds "1"`);
    expect(r.stdout).toContain('If no docker-harden is running, remove this file, then run again.');
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(readFileSync(p.dockerfile, 'utf8')).toBe(ORIGINAL);
    expect(readFileSync(lock, 'utf8')).toBe('1');
  });
});

describe('class 13: file identity kept', () => {
  const python = ['/usr/bin/python3', '/bin/python3'].find((f) => existsSync(f));

  it.skipIf(!python)('class 13: user.* extended attributes and a POSIX ACL survive a fix', async () => {
    const p = project();
    // Node has no xattr calls: python3 sets them, as setfattr/setfacl would.
    await execa(python!, ['-c', `
import os, struct, sys
f = sys.argv[1]
os.setxattr(f, 'user.owner-note', b'keep me')
acl = struct.pack('<I', 2) + b''.join(struct.pack('<HHI', t, p, i) for t, p, i in [(1, 6, 0xFFFFFFFF), (2, 4, 65534), (4, 4, 0xFFFFFFFF), (0x10, 4, 0xFFFFFFFF), (0x20, 4, 0xFFFFFFFF)])
try:
    os.setxattr(f, 'system.posix_acl_access', acl)
except OSError:
    pass
`, p.dockerfile]);
    const hadAcl = (await execa(python!, ['-c', 'import os,sys; print("system.posix_acl_access" in os.listxattr(sys.argv[1]))', p.dockerfile])).stdout.trim() === 'True';
    await applyFileChange({ path: p.dockerfile, before: ORIGINAL, after: `${ORIGINAL}USER app\n` }, path.join(p.state, 'backups'));
    expect(readFileSync(p.dockerfile, 'utf8')).toBe(`${ORIGINAL}USER app\n`);
    const names = (await execa(python!, ['-c', 'import os,sys; print(os.getxattr(sys.argv[1], "user.owner-note").decode()); print(",".join(sorted(os.listxattr(sys.argv[1]))))', p.dockerfile])).stdout.split('\n');
    expect(names[0]).toBe('keep me');
    if (hadAcl) expect(names[1]).toContain('system.posix_acl_access');
  });

  it('class 13: a file with hard links is edited in place after its backup, never split from its other names', async () => {
    const p = project();
    const other = path.join(p.dir, 'Dockerfile.link');
    linkSync(p.dockerfile, other);
    const inode = statSync(p.dockerfile).ino;
    const written = await applyFileChange({ path: p.dockerfile, before: ORIGINAL, after: `${ORIGINAL}USER app\n` }, path.join(p.state, 'backups'));
    expect(statSync(p.dockerfile).ino).toBe(inode);
    expect(statSync(p.dockerfile).nlink).toBe(2);
    expect(readFileSync(other, 'utf8')).toBe(`${ORIGINAL}USER app\n`);
    expect(readFileSync(written.backup!, 'utf8')).toBe(ORIGINAL);
  });
});

describe('issue 11 part 4: decisions follow reality', () => {
  it('issue 11 part 4: after undo, the undone step is undecided again', async () => {
    const p = project();
    const store = new ProfileStore(p.state);
    const profile = await store.load();
    const written = await applyFileChange({ path: p.dockerfile, before: ORIGINAL, after: `${ORIGINAL}USER app\n` }, store.backupDir);
    const key = `dockerfile:${p.dockerfile}`;
    const record: AppliedRecord = { id: 'r1', step: 'non-root-user', target: key, proposal: 'add-user', at: new Date().toISOString(), files: [written], commands: [] };
    profile.applied.push(record);
    profile.targets[key] = { 'non-root-user': { status: 'done', at: record.at, applied: ['r1'] }, 'pin-base-image': { status: 'skipped', at: record.at, reason: 'mine' } } as never;
    await store.save(profile);
    await undoApplied(record, { store, profile });
    const again = await new ProfileStore(p.state).load();
    expect(again.targets[key]).not.toHaveProperty('non-root-user');
    expect(again.targets[key]).toHaveProperty('pin-base-image');
    expect(readFileSync(p.dockerfile, 'utf8')).toBe(ORIGINAL);
  });

  it('issue 11 part 4: a schema 1 profile is read; its "host" decisions move under the daemon this run reaches', async () => {
    const dir = path.join(work, `old-${++n}`);
    mkdirSync(dir, { mode: 0o700 });
    const old = { schema: 1, tool: 'docker-harden', targets: { host: { 'scan-host-config': { status: 'done', at: '2026-01-01T00:00:00Z' } } }, applied: [] };
    writeFileSync(path.join(dir, 'profile.json'), JSON.stringify(old), { mode: 0o600 });
    const store = new ProfileStore(dir);
    store.hostId = 'ABCD:EFGH';
    const profile = await store.load();
    expect(profile.schema).toBe(2);
    expect(profile.targets).not.toHaveProperty('host');
    expect(profile.targets['host@ABCD:EFGH']).toHaveProperty('scan-host-config');
    await store.save(profile);
    expect(JSON.parse(readFileSync(path.join(dir, 'profile.json'), 'utf8')).schema).toBe(2);
  });
});
