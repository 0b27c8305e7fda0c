/**
 * Faults while writing: no space left, a read-only file system, permission denied, a file changed
 * by someone else since the check, and symbolic links where a file or the backup directory should
 * be. In each case the person gets a UserError naming the file, and nothing is left half-done:
 * the target keeps its bytes, no temp file or orphan backup is left, the profile stays loadable.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, chownSync, lchownSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyFileChange } from '../../src/core/change.js';
import { UserError } from '../../src/core/errors.js';
import { ProfileStore, emptyProfile } from '../../src/core/profile.js';
import { applyProposal } from '../../src/core/runner.js';
import type { Proposal, Step, Target } from '../../src/core/step.js';
import { chattr, chattrUnavailable, mountTmpfs, snapshot, tmpfsUnavailable, type Tmpfs } from './fs-helpers.js';

const step = { meta: { id: 'non-root-user' } } as Step;

function proposalFor(file: string, before: string | null, after: string): Proposal {
  return { kind: 'change', id: 'p', title: 'test change', changes: [{ path: file, before, after }], commands: [], warnings: [] };
}

async function expectUserError(p: Promise<unknown>, message: RegExp, file?: string): Promise<UserError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, 'expected a UserError').toBeInstanceOf(UserError);
  const u = err as UserError;
  expect(u.message).toMatch(message);
  if (file) expect(u.file).toBe(file);
  return u;
}

let work: string;
let stateDir: string;
beforeEach(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'dh-faults-'));
  stateDir = path.join(work, 'state');
});
afterEach(() => {
  rmSync(work, { recursive: true, force: true });
});

const OLD = 'FROM debian:12\nRUN apt-get update\nCMD ["app"]\n';
const NEW = 'FROM debian:12\nRUN apt-get update\nUSER 10001:10001\nCMD ["app"]\n';

describe.skipIf(tmpfsUnavailable !== null)('no space left on the device', () => {
  let fsmall: Tmpfs;
  beforeEach(async () => {
    fsmall = await mountTmpfs(64);
  });
  afterEach(async () => {
    await fsmall.unmount();
  });

  it('target on a full file system: clear error, target unchanged, no temp file left', async () => {
    const target = path.join(fsmall.dir, 'Dockerfile');
    writeFileSync(target, OLD);
    const big = OLD + '#'.repeat(200 * 1024) + '\n';
    const before = snapshot(fsmall.dir);
    await expectUserError(applyFileChange({ path: target, before: OLD, after: big }, path.join(stateDir, 'backups')), /no space left on the device.*nothing was changed/, target);
    expect(snapshot(fsmall.dir)).toEqual(before);
    expect(readFileSync(target, 'utf8')).toBe(OLD);
    // The backup taken before the failed write is removed again: nothing was changed anywhere.
    expect(existsSync(path.join(stateDir, 'backups')) ? readdirSync(path.join(stateDir, 'backups')) : []).toEqual([]);
  });

  it('a hard-linked target (written in place) on a file system that fills part way: clear error, both names keep every old byte', async () => {
    const target = path.join(fsmall.dir, 'compose.yaml');
    const old = 'services:\n' + Array.from({ length: 300 }, (_, i) => `  s${i}:\n    image: nginx:1.27\n`).join('');
    writeFileSync(target, old);
    linkSync(target, path.join(fsmall.dir, 'other-name.yaml'));
    // Leave a few KiB free: the new text starts to fit, then the disk is full.
    writeFileSync(path.join(fsmall.dir, 'filler'), Buffer.alloc(64 * 1024 - old.length - 12 * 1024));
    const bigger = old.replace(/image: nginx:1.27\n/g, 'image: nginx:1.27\n    read_only: true\n    cap_drop: [ALL]\n');
    await expectUserError(applyFileChange({ path: target, before: old, after: bigger }, path.join(stateDir, 'backups')), /no space left on the device.*nothing was changed/, target);
    expect(readFileSync(target, 'utf8')).toBe(old);
    expect(readFileSync(path.join(fsmall.dir, 'other-name.yaml'), 'utf8')).toBe(old);
  });

  it('backup directory on a full file system: clear error, target unchanged, no partial backup left', async () => {
    const target = path.join(work, 'Dockerfile');
    const large = OLD + 'x'.repeat(100 * 1024) + '\n';
    writeFileSync(target, large);
    const backupDir = path.join(fsmall.dir, 'backups');
    await expectUserError(applyFileChange({ path: target, before: large, after: NEW }, backupDir), /no space left on the device/);
    expect(readFileSync(target, 'utf8')).toBe(large);
    expect(readdirSync(backupDir)).toEqual([]);
  });

  it('profile cannot be saved after the write: the file is rolled back, the old profile stays', async () => {
    // The state directory has room for the small backup but not for a second copy of the profile.
    const store = new ProfileStore(fsmall.dir);
    const profile = emptyProfile();
    for (let i = 0; i < 80; i++) {
      profile.applied.push({
        id: `old-${i}`, step: 'non-root-user', target: 'x', proposal: 'p', at: new Date(0).toISOString(),
        files: [{ path: `/nowhere/${'p'.repeat(200)}`, backup: null, beforeHash: null, afterHash: 'h'.repeat(64) }], commands: [],
      });
    }
    await store.save(profile);
    const profileBytes = readFileSync(store.file);
    expect(profileBytes.length).toBeGreaterThan(33 * 1024);
    const target = path.join(work, 'Dockerfile');
    writeFileSync(target, OLD);
    const loaded = await store.load();
    const t: Target = { kind: 'dockerfile', path: target, label: target };
    await expectUserError(applyProposal(step, t, proposalFor(target, OLD, NEW), { store, profile: loaded }), /no space left on the device/);
    expect(readFileSync(target, 'utf8')).toBe(OLD);
    expect(readFileSync(store.file)).toEqual(profileBytes);
    expect((await store.load()).applied).toHaveLength(80);
    expect(readdirSync(fsmall.dir).filter((n) => n.includes('docker-harden') && n.endsWith('.tmp'))).toEqual([]);
    expect(readdirSync(store.backupDir)).toEqual([]);
  });
});

describe.skipIf(tmpfsUnavailable !== null)('read-only file system', () => {
  let ro: Tmpfs;
  beforeEach(async () => {
    ro = await mountTmpfs(256);
  });
  afterEach(async () => {
    await ro.unmount();
  });

  it('target on a read-only file system: clear error, nothing changed', async () => {
    const target = path.join(ro.dir, 'daemon.json');
    writeFileSync(target, '{"icc": true}\n');
    await ro.readOnly();
    const before = snapshot(ro.dir);
    await expectUserError(applyFileChange({ path: target, before: '{"icc": true}\n', after: '{"icc": false}\n' }, path.join(stateDir, 'backups')), /read-only file system.*nothing was changed/, target);
    expect(snapshot(ro.dir)).toEqual(before);
    // The write lock beside the target cannot be made either: refused before any backup is taken.
    const backups = path.join(stateDir, 'backups');
    expect(existsSync(backups) ? readdirSync(backups) : []).toEqual([]);
  });

  it('state directory on a read-only file system: clear error before the target is touched', async () => {
    const target = path.join(work, 'Dockerfile');
    writeFileSync(target, OLD);
    mkdirSync(path.join(ro.dir, 'state'));
    await ro.readOnly();
    const store = new ProfileStore(path.join(ro.dir, 'state'));
    const t: Target = { kind: 'dockerfile', path: target, label: target };
    await expectUserError(applyProposal(step, t, proposalFor(target, OLD, NEW), { store, profile: await store.load() }), /read-only file system/);
    expect(readFileSync(target, 'utf8')).toBe(OLD);
    expect(readdirSync(work).sort()).toEqual(['Dockerfile']);
  });
});

describe.skipIf(chattrUnavailable !== null)('permission denied (immutable attribute: root is refused too)', () => {
  // As root, mode bits do not stop a write; the immutable attribute does (EPERM), so it stands in
  // for "a file this user may not change".
  const undo: string[] = [];
  afterEach(async () => {
    for (const f of undo.splice(0)) await chattr('-i', f).catch(() => undefined);
  });

  it('an immutable target: clear error, unchanged, no temp file left in its directory', async () => {
    const target = path.join(work, 'Dockerfile');
    writeFileSync(target, OLD);
    await chattr('+i', target);
    undo.push(target);
    const before = snapshot(work);
    const refused = await expectUserError(applyFileChange({ path: target, before: OLD, after: NEW }, path.join(stateDir, 'backups')), /permission denied/, target);
    // Root is told what stops even root, not to run as root.
    expect(refused.message).toContain('permission denied even to root');
    expect(refused.hint).toMatch(/chattr -i/);
    await chattr('-i', target);
    const after = snapshot(work);
    delete after['state/'];
    delete after['state/backups/'];
    expect(after).toEqual(before);
    expect(readdirSync(path.join(stateDir, 'backups'))).toEqual([]);
  });

  it('an immutable directory (no temp file can be created): clear error, unchanged', async () => {
    const dir = path.join(work, 'app');
    mkdirSync(dir);
    const target = path.join(dir, 'Dockerfile');
    writeFileSync(target, OLD);
    await chattr('+i', dir);
    undo.push(dir);
    await expectUserError(applyFileChange({ path: target, before: OLD, after: NEW }, path.join(stateDir, 'backups')), /permission denied/, target);
    expect(readdirSync(dir)).toEqual(['Dockerfile']);
    expect(readFileSync(target, 'utf8')).toBe(OLD);
  });

  it('an immutable profile: the applied change is rolled back, not left unrecorded', async () => {
    const store = new ProfileStore(stateDir);
    await store.save(emptyProfile());
    await chattr('+i', store.file);
    undo.push(store.file);
    const target = path.join(work, 'Dockerfile');
    writeFileSync(target, OLD);
    const t: Target = { kind: 'dockerfile', path: target, label: target };
    await expectUserError(applyProposal(step, t, proposalFor(target, OLD, NEW), { store, profile: await store.load() }), /permission denied/);
    expect(readFileSync(target, 'utf8')).toBe(OLD);
  });
});

describe('the file changed by someone else between check and apply', () => {
  it('edited since the check: refused, the edit kept, no backup taken', async () => {
    const target = path.join(work, 'Dockerfile');
    writeFileSync(target, OLD);
    const change = { path: target, before: OLD, after: NEW };
    writeFileSync(target, OLD + 'EXPOSE 8080\n'); // someone else's edit
    await expectUserError(applyFileChange(change, path.join(stateDir, 'backups')), /changed since it was checked; nothing written/, target);
    expect(readFileSync(target, 'utf8')).toBe(OLD + 'EXPOSE 8080\n');
    expect(existsSync(path.join(stateDir, 'backups'))).toBe(false);
  });

  it('removed since the check: refused, not re-created', async () => {
    const target = path.join(work, 'Dockerfile');
    await expectUserError(applyFileChange({ path: target, before: OLD, after: NEW }, path.join(stateDir, 'backups')), /changed since it was checked/, target);
    expect(existsSync(target)).toBe(false);
  });

  it('created since the check (the change meant to create it): refused, theirs kept', async () => {
    const target = path.join(work, '.github', 'workflows', 'scan.yml');
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, 'theirs\n');
    await expectUserError(applyFileChange({ path: target, before: null, after: 'ours\n' }, path.join(stateDir, 'backups')), /created by someone else/, target);
    expect(readFileSync(target, 'utf8')).toBe('theirs\n');
  });

  it('through the runner: the profile records nothing and the other files of the proposal are restored', async () => {
    const a = path.join(work, 'a.json');
    const b = path.join(work, 'b.json');
    writeFileSync(a, '{"a": 1}\n');
    writeFileSync(b, '{"b": 1}\n');
    const store = new ProfileStore(stateDir);
    const proposal: Proposal = {
      kind: 'change', risk: 'safe',
      id: 'two', title: 'two files', warnings: [], commands: [],
      changes: [
        { path: a, before: '{"a": 1}\n', after: '{"a": 2}\n' },
        { path: b, before: '{"b": 1}\n', after: '{"b": 2}\n' },
      ],
    };
    writeFileSync(b, '{"b": "edited"}\n');
    const t: Target = { kind: 'dockerfile', path: a, label: a };
    await expectUserError(applyProposal(step, t, proposal, { store, profile: await store.load() }), /changed since it was checked/, b);
    expect(readFileSync(a, 'utf8')).toBe('{"a": 1}\n');
    expect(readFileSync(b, 'utf8')).toBe('{"b": "edited"}\n');
    expect((await store.load()).applied).toEqual([]);
  });
});

describe('symbolic links are never followed to write elsewhere', () => {
  it('a symlinked daemon.json: refused, the file it points at unchanged', async () => {
    const real = path.join(work, 'real-daemon.json');
    writeFileSync(real, '{"icc": true}\n');
    const link = path.join(work, 'daemon.json');
    symlinkSync(real, link);
    await expectUserError(applyFileChange({ path: link, before: '{"icc": true}\n', after: '{"icc": false}\n' }, path.join(stateDir, 'backups')), /symbolic link/, link);
    expect(readFileSync(real, 'utf8')).toBe('{"icc": true}\n');
  });

  it.skipIf(process.getuid?.() !== 0)('a target in a folder another account owns (it could swap the folder for a link mid-write): refused, nothing written; through a link root made, written', async () => {
    const theirs = path.join(work, 'home-of-nobody');
    mkdirSync(path.join(theirs, 'proj'), { recursive: true });
    const target = path.join(theirs, 'proj', 'Dockerfile');
    writeFileSync(target, OLD);
    chownSync(theirs, 65534, 65534);
    const refused = await expectUserError(applyFileChange({ path: target, before: OLD, after: NEW }, path.join(stateDir, 'backups')), /owned by uid 65534 with mode 0755: another account could swap that folder/, target);
    expect(refused.message).toContain(theirs);
    expect(refused.hint).toMatch(/sudo -u '#65534'/);
    expect(readFileSync(target, 'utf8')).toBe(OLD);
    // A link in folders only root may change cannot be swapped: it is written through.
    chownSync(theirs, 0, 0);
    const link = path.join(work, 'proj-link');
    symlinkSync(path.join(theirs, 'proj'), link);
    await applyFileChange({ path: path.join(link, 'Dockerfile'), before: OLD, after: NEW }, path.join(stateDir, 'backups'));
    expect(readFileSync(target, 'utf8')).toBe(NEW);
  });

  it.skipIf(process.getuid?.() !== 0)('a target reached through a link another account owns in a sticky folder (its owner may repoint it mid-write): refused, nothing written', async () => {
    const proj = path.join(work, 'proj');
    mkdirSync(proj);
    const target = path.join(proj, 'Dockerfile');
    writeFileSync(target, OLD);
    const shared = path.join(work, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const link = path.join(shared, 'proj');
    symlinkSync(proj, link);
    lchownSync(link, 65534, 65534);
    const refused = await expectUserError(applyFileChange({ path: path.join(link, 'Dockerfile'), before: OLD, after: NEW }, path.join(stateDir, 'backups')), /a symbolic link owned by uid 65534/);
    expect(refused.message).toContain(link);
    expect(readFileSync(target, 'utf8')).toBe(OLD);
    expect(existsSync(stateDir)).toBe(false);
  });

  it('a dangling symlink where a new file is to be created: refused, nothing created at the link target', async () => {
    const elsewhere = path.join(work, 'elsewhere.conf');
    const link = path.join(work, 'new.conf');
    symlinkSync(elsewhere, link);
    await expect(applyFileChange({ path: link, before: null, after: 'x\n' }, path.join(stateDir, 'backups'))).rejects.toBeInstanceOf(UserError);
    expect(existsSync(elsewhere)).toBe(false);
  });

  it('a symlinked backup directory: refused, nothing written through it, target unchanged', async () => {
    const target = path.join(work, 'Dockerfile');
    writeFileSync(target, OLD);
    const elsewhere = path.join(work, 'elsewhere');
    mkdirSync(elsewhere);
    mkdirSync(stateDir);
    symlinkSync(elsewhere, path.join(stateDir, 'backups'));
    await expectUserError(applyFileChange({ path: target, before: OLD, after: NEW }, path.join(stateDir, 'backups')), /not a plain directory/);
    expect(readdirSync(elsewhere)).toEqual([]);
    expect(readFileSync(target, 'utf8')).toBe(OLD);
  });

  it('a file where the state folder should be, or above it: said in words, nothing written', async () => {
    const target = path.join(work, 'Dockerfile');
    writeFileSync(target, OLD);
    writeFileSync(stateDir, 'notes\n');
    const there = await expectUserError(applyFileChange({ path: target, before: OLD, after: NEW }, stateDir), /^is there already and is not a folder$/, stateDir);
    expect(there.hint).toMatch(/another --state-dir/);
    await expectUserError(applyFileChange({ path: target, before: OLD, after: NEW }, path.join(stateDir, 'backups')), /^has a file where a folder of its path should be \(cannot create\)$/, path.join(stateDir, 'backups'));
    expect(readFileSync(stateDir, 'utf8')).toBe('notes\n');
    expect(readFileSync(target, 'utf8')).toBe(OLD);
  });

  it('a symlinked profile.json: load and save refuse, the file it points at unchanged', async () => {
    mkdirSync(stateDir);
    const other = path.join(work, 'other.json');
    const otherText = JSON.stringify(emptyProfile());
    writeFileSync(other, otherText);
    symlinkSync(other, path.join(stateDir, 'profile.json'));
    const store = new ProfileStore(stateDir);
    await expectUserError(store.load(), /symbolic link/);
    await expectUserError(store.save(emptyProfile()), /symbolic link/);
    expect(readFileSync(other, 'utf8')).toBe(otherText);
  });

  it('a symlinked lock file: not followed, the file it points at unchanged', async () => {
    mkdirSync(stateDir);
    const victim = path.join(work, 'victim');
    writeFileSync(victim, 'keep me\n');
    symlinkSync(victim, path.join(stateDir, 'lock'));
    const store = new ProfileStore(stateDir);
    await store.lock().catch(() => undefined);
    await store.unlock();
    expect(readFileSync(victim, 'utf8')).toBe('keep me\n');
  });
});
