/**
 * `docker-harden export ansible [--state-dir DIR] [--out DIR]`: read the profile and the texts its
 * host changes went from and to, and write the playbook folder. Writes only into a new or empty
 * folder, never through a symbolic link.
 */
import { promises as fs, constants as fsc } from 'node:fs';
import path from 'node:path';
import type { Args } from '../args.js';
import type { Io } from './batch.js';
import { UserError } from '../core/errors.js';
import { ProfileStore, defaultStateDir, type Profile } from '../core/profile.js';
import { describeFsError, readNoFollow } from '../core/change.js';
import { sha256 } from '../core/hash.js';
import { exportAnsible, hostDecisions, isHostKey } from '../export/ansible.js';

const MAX_TEXT = 1024 * 1024;

/**
 * Texts of the backups (inside this state's backups folder only: a state folder copied from the
 * deciding host has them under its own path, found by name), of the files as they are now, and of
 * a copy of the deciding host's daemon.json (--daemon-config). Each is used only where its hash is
 * the one the profile recorded.
 */
async function textsOf(profile: Profile, store: ProfileStore, decidedCopy?: string): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  const add = async (file: string) => {
    const bytes = await readBounded(file);
    if (bytes) texts.set(sha256(bytes), bytes.toString('utf8'));
  };
  const backups = path.resolve(store.backupDir) + path.sep;
  for (const record of profile.applied) {
    if (!isHostKey(record.target) || record.undone) continue;
    for (const file of record.files) {
      if (file.backup) await add(path.resolve(file.backup).startsWith(backups) ? file.backup : path.join(store.backupDir, path.basename(file.backup)));
      await add(file.path);
    }
  }
  if (decidedCopy) await add(decidedCopy);
  return texts;
}

/** A regular file's bytes, at most MAX_TEXT, never through a link; null for anything else. */
async function readBounded(file: string): Promise<Buffer | null> {
  let handle;
  try {
    handle = await fs.open(file, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
  } catch {
    return null; // absent, a link or unreadable: not a text we can trust as ours
  }
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size > MAX_TEXT) return null;
    const buffer = Buffer.alloc(info.size);
    const { bytesRead } = await handle.read(buffer, 0, info.size, 0);
    return buffer.subarray(0, bytesRead);
  } catch {
    return null;
  } finally {
    await handle.close();
  }
}

async function prepareOut(out: string): Promise<void> {
  let info;
  try {
    info = await fs.lstat(out);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw describeFsError(err, out, 'read');
    try {
      await fs.mkdir(out, { recursive: true, mode: 0o755 });
    } catch (e) {
      throw describeFsError(e, out, 'create the folder');
    }
    return;
  }
  if (info.isSymbolicLink()) throw new UserError('is a symbolic link; the export writes only into a real folder', 'Pass --out with a new folder.', out);
  if (!info.isDirectory()) throw new UserError('exists and is not a folder', 'Pass --out with a new or empty folder.', out);
  if ((await fs.readdir(out)).length > 0) {
    throw new UserError('is not empty; the export writes only into a new or empty folder so nothing of yours is overwritten', 'Pass --out with a new folder, or move this one away.', out);
  }
}

async function writeNew(file: string, content: string, mode: number): Promise<void> {
  const handle = await fs.open(file, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, mode).catch((err) => {
    throw describeFsError(err, file, 'create');
  });
  try {
    await handle.writeFile(content);
    await handle.chmod(mode);
  } finally {
    await handle.close();
  }
}

export async function exportCommand(args: Args, io: Io): Promise<number> {
  const kind = args.positional[0];
  if (kind !== 'ansible' || args.positional.length > 1) {
    throw new UserError(
      kind ? `cannot export "${args.positional.join(' ')}"` : 'export needs what to export',
      'Usage: docker-harden export ansible [--state-dir DIR] [--daemon-config FILE] [--out DIR]',
    );
  }
  const store = new ProfileStore(path.resolve(args.stateDir ?? defaultStateDir(io.env)));
  if ((await readNoFollow(store.file).catch(() => null)) === null) {
    throw new UserError(
      'there is no progress profile here to export',
      'Decide on one server first (`docker-harden` or `docker-harden fix --host`), or pass the --state-dir it used.',
      store.file,
    );
  }
  const profile = await store.load();
  const decisions = hostDecisions(profile, await textsOf(profile, store, args.daemonConfig ? path.resolve(args.daemonConfig) : undefined), store.file);
  const files = exportAnsible(decisions, { version: io.version, profileFile: store.file, generatedAt: new Date().toISOString() });

  const out = path.resolve(args.out ?? 'docker-harden-ansible');
  await prepareOut(out);
  for (const file of files) {
    const target = path.join(out, file.path);
    await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
    await writeNew(target, file.content, file.mode);
  }
  const set = decisions.settings.map((s) => (s.remove ? `-${s.key}` : s.key)).join(', ');
  io.stdout.write(
    `wrote ${out}: playbook.yml, README.md, inventory.example.yml, library/ (the two modules)\n` +
      `  ${decisions.settings.length} setting${decisions.settings.length === 1 ? '' : 's'}: ${set}\n` +
      (decisions.skipped.length ? `  ${decisions.skipped.length} skipped step${decisions.skipped.length === 1 ? '' : 's'} listed with their reasons (not rolled out)\n` : '') +
      (decisions.notCarried.length ? `  ${decisions.notCarried.length} host change${decisions.notCarried.length === 1 ? '' : 's'} that are not daemon.json settings listed in README.md (not rolled out)\n` : '') +
      `Next: list your servers in inventory.yml (see inventory.example.yml), then\n` +
      `  ansible-playbook -i inventory.yml ${path.join(out, 'playbook.yml')} --check --diff\n`,
  );
  return 0;
}
