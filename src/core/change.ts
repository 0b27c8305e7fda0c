/**
 * File changes: unified diffs for showing, and the one safe way to write. Every write keeps a
 * backup (mode 0600, in the state directory), writes a temp file beside the target and renames
 * it over, keeping the target's mode and owner. A crash leaves the old file or the new, never a mix.
 * Symlinks are never followed when writing: not at the target, not in the backup directory.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs, constants as fsc } from 'node:fs';
import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import type { FileChange } from './step.js';
import { UserError } from './errors.js';

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * A unified diff of one change, with the file path in the headers and three lines of context.
 * The diff package puts "Index: <name>" and a rule on top when both names are the same: dropped.
 */
export function unifiedDiff(change: FileChange): string {
  const oldName = change.before === null ? '/dev/null' : change.path;
  return createTwoFilesPatch(oldName, change.path, change.before ?? '', change.after, undefined, undefined, {
    context: 3,
  }).replace(/^(Index: [^\n]*\n)?=+\n/, '');
}

export interface WrittenFile {
  path: string;
  /** Backup of the previous content, or null when the file was created. */
  backup: string | null;
  beforeHash: string | null;
  afterHash: string;
}

/** Read a file's bytes without following a symlink at the path itself; null when it is absent. */
export async function readNoFollow(file: string): Promise<Buffer | null> {
  let handle;
  try {
    handle = await fs.open(file, fsc.O_RDONLY | fsc.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw new UserError(`is a symbolic link; docker-harden does not write through links`, 'Point the option at the real file.', file);
    throw describeFsError(err, file, 'read');
  }
  try {
    return await handle.readFile();
  } catch (err) {
    throw describeFsError(err, file, 'read'); // EISDIR: a directory opens, but does not read
  } finally {
    await handle.close();
  }
}

/** Make sure a directory exists, is a real directory (not a symlink) and is private to its owner. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 }).catch(async (err) => {
    // A recursive mkdir reports ENOENT where the cause is EROFS or EACCES; ask once more without it.
    const cause = await fs.mkdir(dir, { mode: 0o700 }).then(
      () => null,
      (again: NodeJS.ErrnoException) => (again.code === 'ENOENT' || again.code === 'EEXIST' ? err : again),
    );
    if (cause) throw describeFsError(cause, dir, 'create');
  });
  const info = await fs.lstat(dir);
  if (info.isSymbolicLink() || !info.isDirectory()) {
    throw new UserError('is not a plain directory (a symbolic link?); refusing to keep backups there', 'Remove it or pass another --state-dir.', dir);
  }
}

/**
 * Write `content` to `file` atomically: temp file in the same directory (O_EXCL, O_NOFOLLOW),
 * fsync, rename over the target, fsync the directory. Mode and owner of an existing file are kept.
 */
export async function writeFileAtomic(file: string, content: string | Buffer, newMode = 0o644): Promise<void> {
  const dir = path.dirname(file);
  let mode = newMode;
  let owner: { uid: number; gid: number } | null = null;
  try {
    const info = await fs.lstat(file);
    if (info.isSymbolicLink()) throw new UserError('is a symbolic link; docker-harden does not write through links', 'Point the option at the real file.', file);
    if (!info.isFile()) throw new UserError('is not a regular file', undefined, file);
    mode = info.mode & 0o7777;
    owner = { uid: info.uid, gid: info.gid };
  } catch (err) {
    if (err instanceof UserError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw describeFsError(err, file, 'write');
  }
  const temp = path.join(dir, `.${path.basename(file)}.docker-harden-${randomBytes(6).toString('hex')}.tmp`);
  let handle;
  try {
    handle = await fs.open(temp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
  } catch (err) {
    throw describeFsError(err, file, 'write');
  }
  try {
    await handle.writeFile(content);
    if (owner && process.getuid?.() === 0) await handle.chown(owner.uid, owner.gid);
    await handle.chmod(mode);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.rename(temp, file);
  } catch (err) {
    if (handle) await handle.close().catch(() => undefined);
    await fs.unlink(temp).catch(() => undefined);
    throw describeFsError(err, file, 'write');
  }
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await fs.open(dir, fsc.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    /* some file systems cannot fsync a directory; the rename is still atomic */
  }
}

/** Store a backup copy (mode 0600) in `backupDir`, never overwriting or following a link. */
export async function writeBackup(backupDir: string, original: string, content: Buffer): Promise<string> {
  await ensurePrivateDir(backupDir);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const name = `${stamp}-${randomBytes(4).toString('hex')}-${path.basename(original)}.bak`;
  const file = path.join(backupDir, name);
  let handle;
  try {
    handle = await fs.open(file, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
    await handle.writeFile(content);
    await handle.sync();
  } catch (err) {
    // A partial backup (no space left) must not stay behind looking like a real one.
    if (handle) {
      await handle.close().catch(() => undefined);
      handle = undefined;
      await fs.unlink(file).catch(() => undefined);
    }
    throw describeFsError(err, file, 'write the backup');
  } finally {
    await handle?.close();
  }
  await syncDir(backupDir);
  return file;
}

/**
 * Apply one change: re-read the target and refuse if it no longer holds `before` (someone edited it
 * since the check), keep a backup, then write atomically.
 */
export async function applyFileChange(change: FileChange, backupDir: string): Promise<WrittenFile> {
  const current = await readNoFollow(change.path);
  if (change.before === null) {
    if (current !== null) throw new UserError('was created by someone else since it was checked; nothing written', 'Run the check again.', change.path);
  } else if (current === null || current.toString('utf8') !== change.before) {
    throw new UserError('changed since it was checked; nothing written', 'Run the check again to see a fresh diff.', change.path);
  }
  const backup = current === null ? null : await writeBackup(backupDir, change.path, current);
  try {
    await writeFileAtomic(change.path, change.after, change.mode ?? 0o644);
  } catch (err) {
    // The target kept its bytes: drop the backup too, so a failed write leaves nothing behind.
    if (backup) await fs.unlink(backup).catch(() => undefined);
    throw err;
  }
  return {
    path: change.path,
    backup,
    beforeHash: current === null ? null : sha256(current),
    afterHash: sha256(change.after),
  };
}

/**
 * Create the missing folders above a new file, one at a time, only inside `root` (the target's
 * repository or folder) and never through a symbolic link. Returns the folders made, deepest
 * last, so a rollback can remove them again.
 */
export async function makeParentDirs(file: string, root: string): Promise<string[]> {
  const dir = path.dirname(path.resolve(file));
  const base = path.resolve(root);
  const rel = path.relative(base, dir);
  if (rel === '') return [];
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new UserError(`is outside ${base}; docker-harden only creates folders inside the target's repository or folder`, undefined, file);
  }
  const made: string[] = [];
  let current = base;
  for (const part of rel.split(path.sep)) {
    current = path.join(current, part);
    try {
      await fs.mkdir(current, { mode: 0o755 });
      made.push(current);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw describeFsError(err, current, 'create the folder');
    }
    const info = await fs.lstat(current);
    if (info.isSymbolicLink() || !info.isDirectory()) {
      throw new UserError('is not a plain folder (a symbolic link?); docker-harden does not write through links', 'Create the folder yourself and run fix again.', current);
    }
  }
  return made;
}

/** Remove folders made by makeParentDirs when they are empty again (deepest first). */
export async function removeEmptyDirs(dirs: string[]): Promise<void> {
  for (const dir of [...dirs].reverse()) await fs.rmdir(dir).catch(() => undefined);
}

/** Put a file back as it was before `written`: the backup byte for byte, or remove a created file. */
export async function restoreFile(written: Pick<WrittenFile, 'path' | 'backup'>): Promise<void> {
  if (written.backup === null) {
    await fs.unlink(written.path).catch((err) => {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw describeFsError(err, written.path, 'remove');
    });
    return;
  }
  const content = await readNoFollow(written.backup);
  if (content === null) throw new UserError('backup is missing; the file was left as it is', undefined, written.backup);
  await writeFileAtomic(written.path, content);
}

/** A file-system error in the person's words. */
export function describeFsError(err: unknown, file: string, action: string): UserError {
  const code = (err as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return new UserError(`permission denied (cannot ${action})`, 'Run as a user who may change it (root for host files).', file);
    case 'ENOSPC':
      return new UserError(`no space left on the device (cannot ${action}); nothing was changed`, 'Free some space and try again.', file);
    case 'EROFS':
      return new UserError(`is on a read-only file system (cannot ${action}); nothing was changed`, undefined, file);
    case 'ENOENT':
      return new UserError(`does not exist (cannot ${action})`, undefined, file);
    case 'EISDIR':
      return new UserError(`is a directory, not a file`, 'Pass the path of a file.', file);
    case 'ELOOP':
      return new UserError('is a symbolic link; docker-harden does not write through links', undefined, file);
    default:
      return new UserError(`cannot ${action}: ${(err as Error)?.message ?? String(err)}`, undefined, file);
  }
}

/** Show a secret's shape, never its value: the first 4 characters and the length. */
export function redact(secret: string): string {
  if (secret.length <= 4) return '****';
  return `${secret.slice(0, 4)}… (${secret.length} characters, redacted)`;
}
