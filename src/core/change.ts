/**
 * File changes: unified diffs for showing, and the one safe way to write. Every write keeps a
 * backup (mode 0600, in the state directory), writes a temp file beside the target and renames
 * it over, keeping the target's mode and owner. A crash leaves the old file or the new, never a mix.
 * Symlinks are never followed when writing: not at the target, not in the backup directory.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs, constants as fsc } from 'node:fs';
import path from 'node:path';
import { FILE_HEADERS_ONLY, formatPatch, structuredPatch } from 'diff';
import type { FileChange } from './step.js';
import { UserError } from './errors.js';
import { noteWrite } from './writes.js';

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

const CONTEXT = 3;

/**
 * A unified diff of one change, with the file path in the headers and three lines of context.
 * Only the lines between the first and the last difference (and their context) go through the
 * diff algorithm: a one-line fix of a 7,000-line compose file costs that line, not the file.
 */
export function unifiedDiff(change: FileChange): string {
  const oldName = change.before === null ? '/dev/null' : change.path;
  const before = change.before ?? '';
  const after = change.after;
  if (change.edits && before.endsWith('\n') && after.endsWith('\n')) return `--- ${oldName}\n+++ ${change.path}\n${hunksFromEdits(before, change.edits)}`;
  const { start, beforeEnd, afterEnd, skippedLines } = changedLines(before, after);
  const patch = structuredPatch(oldName, change.path, before.slice(start, beforeEnd), after.slice(start, afterEnd), undefined, undefined, { context: CONTEXT });
  for (const hunk of patch.hunks) {
    hunk.oldStart += skippedLines;
    hunk.newStart += skippedLines;
  }
  return formatPatch(patch, FILE_HEADERS_ONLY);
}

/**
 * The hunks of a change known as edits of `before` (non-overlapping, [start, end) replaced by
 * text): each edit widened to whole lines, hunks of nearby edits merged. A batch of 3,000 edits
 * spread over a file is far from anything a line-diff algorithm does quickly.
 */
function hunksFromEdits(before: string, edits: { start: number; end: number; text: string }[]): string {
  const starts = newlineStarts(before);
  const lineCount = starts.length - 1; // `before` ends with a newline
  // Whole-line blocks: lines [from, to) of before become `lines`.
  const blocks: { from: number; to: number; lines: string[] }[] = [];
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  let i = 0;
  while (i < sorted.length) {
    const from = lineAt(starts, sorted[i]!.start);
    let to = Math.max(from, endLine(starts, sorted[i]!.end));
    let j = i + 1;
    while (j < sorted.length && lineAt(starts, sorted[j]!.start) < to) to = Math.max(to, endLine(starts, sorted[j]!.end)), j++;
    let text = '';
    let at = starts[from]!;
    for (const e of sorted.slice(i, j)) {
      text += before.slice(at, e.start) + e.text;
      at = e.end;
    }
    text += before.slice(at, starts[to]!);
    const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
    if (!(lines.length === to - from && lines.every((l, k) => l === lineText(before, starts, from + k)))) blocks.push({ from, to, lines });
    i = j;
  }
  const out: string[] = [];
  let delta = 0;
  for (let b = 0; b < blocks.length; ) {
    let e = b;
    while (e + 1 < blocks.length && blocks[e + 1]!.from - blocks[e]!.to <= 2 * CONTEXT) e++;
    const first = Math.max(0, blocks[b]!.from - CONTEXT);
    const last = Math.min(lineCount, blocks[e]!.to + CONTEXT);
    const body: string[] = [];
    let oldLines = 0;
    let newLines = 0;
    let line = first;
    const newStart = first + delta;
    for (let k = b; k <= e; k++) {
      const block = blocks[k]!;
      for (; line < block.from; line++, oldLines++, newLines++) body.push(' ' + lineText(before, starts, line));
      for (; line < block.to; line++, oldLines++) body.push('-' + lineText(before, starts, line));
      for (const l of block.lines) body.push('+' + l), newLines++;
      delta += block.lines.length - (block.to - block.from);
    }
    for (; line < last; line++, oldLines++, newLines++) body.push(' ' + lineText(before, starts, line));
    out.push(`@@ -${oldLines === 0 ? first : first + 1},${oldLines} +${newLines === 0 ? newStart : newStart + 1},${newLines} @@`, ...body);
    b = e + 1;
  }
  return out.length ? out.join('\n') + '\n' : '';
}

/** The line index just past an edit ending at `end`: the next line start at or after it. */
function endLine(starts: number[], end: number): number {
  const line = lineAt(starts, end);
  return starts[line] === end ? line : line + 1;
}

function lineText(text: string, starts: number[], line: number): string {
  return text.slice(starts[line]!, starts[line + 1]! - 1);
}

/**
 * The part of two texts that differs, widened to whole lines plus CONTEXT lines each side: the
 * same offset `start` in both (the texts agree before it), the ends in each, and how many lines
 * come before `start`.
 */
function changedLines(before: string, after: string): { start: number; beforeEnd: number; afterEnd: number; skippedLines: number } {
  const prefix = commonPrefixLength(before, after);
  if (prefix === before.length && prefix === after.length) return { start: 0, beforeEnd: 0, afterEnd: 0, skippedLines: 0 };
  const starts = newlineStarts(before);
  const skippedLines = Math.max(0, lineAt(starts, prefix) - CONTEXT);
  const start = starts[skippedLines]!;
  // The common end, not reaching back into the common start, from a line start in both texts.
  const suffix = commonSuffixLength(before, after, Math.min(before.length, after.length) - prefix);
  let tailStart = before.length - suffix;
  if (!(tailStart > 0 && before[tailStart - 1] === '\n' && after[after.length - suffix - 1] === '\n')) {
    const nl = before.indexOf('\n', tailStart);
    tailStart = nl === -1 ? before.length : nl + 1;
  }
  for (let i = 0; i < CONTEXT && tailStart < before.length; i++) {
    const nl = before.indexOf('\n', tailStart);
    tailStart = nl === -1 ? before.length : nl + 1;
  }
  return { start, beforeEnd: tailStart, afterEnd: tailStart + after.length - before.length, skippedLines };
}

// Lines as the diff package splits them (at \n only). The last text's table is kept: every
// proposal of a compose step diffs against the same file.
let lastText: string | undefined;
let lastStarts: number[] = [];

function newlineStarts(text: string): number[] {
  if (text === lastText) return lastStarts;
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  lastText = text;
  lastStarts = starts;
  return starts;
}

/** The index of the line holding `offset`. */
function lineAt(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

const CHUNK = 256;

function commonPrefixLength(a: string, b: string): number {
  const max = Math.min(a.length, b.length);
  let i = 0;
  // Whole chunks first: comparing two slices is one native call, a character loop is many.
  while (i + CHUNK <= max && a.slice(i, i + CHUNK) === b.slice(i, i + CHUNK)) i += CHUNK;
  while (i < max && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

function commonSuffixLength(a: string, b: string, max: number): number {
  let n = 0;
  while (n + CHUNK <= max && a.slice(a.length - n - CHUNK, a.length - n) === b.slice(b.length - n - CHUNK, b.length - n)) n += CHUNK;
  while (n < max && a.charCodeAt(a.length - n - 1) === b.charCodeAt(b.length - n - 1)) n++;
  return n;
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
  noteWrite();
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
    noteWrite();
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
