/**
 * File changes: unified diffs for showing, and the one safe way to write. Every write keeps a
 * backup (mode 0600, in the state directory), writes a temp file beside the target and renames
 * it over, keeping the target's mode and owner. A crash leaves the old file or the new, never a mix.
 * Symlinks are never followed when writing: not at the target, not in the backup directory.
 *
 * Over 400 lines: writing safely is one job with many cases (locks, symlinks, hard links, xattrs,
 * owners, backups), kept together so there is one way to write.
 */
import { existsSync, promises as fs, constants as fsc } from 'node:fs';
import path from 'node:path';
// The one module of diff that makes patches, not its index: the index loads sixty modules.
import { FILE_HEADERS_ONLY, formatPatch, structuredPatch } from 'diff/lib/patch/create.js';
import type { FileChange } from './step.js';
import { UserError } from './errors.js';
import { LockFile } from './lockfile.js';
import { noteWrite } from './writes.js';
import { randomHex, sha256 } from './hash.js';

const CONTEXT = 3;

/**
 * A unified diff of one change, with the file path in the headers and three lines of context.
 * Only the lines between the first and the last difference (and their context) go through the
 * diff algorithm: a one-line fix of a 7,000-line compose file costs that line, not the file.
 */
export function unifiedDiff(change: FileChange): string {
  const oldName = change.before === null ? '/dev/null' : change.path;
  const before = change.before ?? '';
  // Edits that stop short of the end, or add whole lines after it, keep before's final newline:
  // `after` (built lazily for a compose service's change, and checked by parsing it) is then not
  // needed at all, as for the last service of a file.
  const endKept = change.edits && before.endsWith('\n') && change.edits.every((e) => e.end < before.length || (e.start === before.length && e.text.endsWith('\n')));
  if (change.edits && endKept) return `--- ${oldName}\n+++ ${change.path}\n${hunksFromEdits(before, change.edits)}`;
  const after = change.after;
  // A new file (a proposed CI workflow, one per Dockerfile of a repository) is all additions.
  if (change.before === null && after.endsWith('\n')) {
    const lines = after.slice(0, -1).split('\n');
    return `--- ${oldName}\n+++ ${change.path}\n@@ -0,0 +1,${lines.length} @@\n+${lines.join('\n+')}\n`;
  }
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
 * The diff as a terminal shows it: where every line it shows ends in CRLF (a file saved on
 * Windows), the carriage returns are left out and said once, as a diff's `\` note, rather than
 * shown as \x0d on each line. The edit keeps them; JSON and SARIF carry the diff as it is.
 */
export function shownDiff(change: FileChange): string {
  const diff = unifiedDiff(change);
  const lines = diff.replace(/\n$/, '').split('\n');
  const body = lines.filter((l) => /^[ +-]/.test(l) && !/^(\+\+\+|---) /.test(l));
  if (body.length === 0 || !body.every((l) => l.endsWith('\r'))) return diff;
  return `${lines.map((l) => l.replace(/\r$/, '')).join('\n')}\n\\ CRLF line endings, kept\n`;
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
    for (; j < sorted.length && lineAt(starts, sorted[j]!.start) < to; j++) to = Math.max(to, endLine(starts, sorted[j]!.end));
    let text = '';
    let at = starts[from]!;
    for (const e of sorted.slice(i, j)) {
      text += before.slice(at, e.start) + e.text;
      at = e.end;
    }
    text += before.slice(at, starts[to]!);
    const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
    // Lines an edit writes back as they were (the rest of a RUN whose sudo went) are context, as a line diff shows them.
    let head = 0;
    while (head < lines.length && from + head < to && lines[head] === lineText(before, starts, from + head)) head++;
    let tail = 0;
    while (tail < lines.length - head && to - tail > from + head && lines[lines.length - 1 - tail] === lineText(before, starts, to - 1 - tail)) tail++;
    if (from + head < to - tail || head < lines.length - tail) blocks.push({ from: from + head, to: to - tail, lines: lines.slice(head, lines.length - tail) });
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
      for (const l of block.lines) body.push('+' + l);
      newLines += block.lines.length;
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

/** Files the tool reads whole (its state, the targets it writes) are refused above this size. */
export const MAX_READ_BYTES = 32 * 1024 * 1024;

/**
 * Read a file's bytes without following a symlink at the path itself; null when it is absent.
 * Opened non-blocking and checked on the open handle before reading, so a FIFO, a device or a
 * socket put in its place is refused at once instead of hanging the run, and so is a file over
 * `maxBytes`.
 */
export async function readNoFollow(file: string, maxBytes = MAX_READ_BYTES): Promise<Buffer | null> {
  let handle;
  try {
    handle = await fs.open(file, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw new UserError(`is a symbolic link; docker-harden does not write through links`, 'Point the option at the real file.', file);
    if (code === 'ENXIO') throw new UserError('is a socket or a FIFO with no writer, not a regular file; it was not read', 'Remove it, or point the option at a regular file.', file);
    throw describeFsError(err, file, 'read');
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw describeFsError(Object.assign(new Error('EISDIR'), { code: 'EISDIR' }), file, 'read');
    if (!info.isFile()) throw new UserError(`is a ${kindOf(info)}, not a regular file; it was not read`, 'Remove it, or point the option at a regular file.', file);
    if (info.size > maxBytes) {
      throw new UserError(`is ${info.size} bytes, over the limit of ${maxBytes} bytes; it was not read`, 'Check that this is the right file.', file);
    }
    const bytes = Buffer.alloc(info.size);
    let filled = 0;
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return bytes.subarray(0, filled);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw describeFsError(err, file, 'read'); // EISDIR: a directory opens, but does not read
  } finally {
    await handle.close();
  }
}

/** What a non-regular file is, in the person's words. */
export function kindOf(info: { isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean; isSymbolicLink(): boolean; isDirectory(): boolean }): string {
  if (info.isFIFO()) return 'FIFO (named pipe)';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'device';
  if (info.isSocket()) return 'socket';
  if (info.isSymbolicLink()) return 'symbolic link';
  if (info.isDirectory()) return 'directory';
  return 'special file';
}

/** Make sure a directory exists, is a real directory (not a symlink) and is private to its owner. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 }).catch(async (err) => {
    // A recursive mkdir reports ENOENT where the cause is EROFS or EACCES; ask once more without it.
    const cause = await fs.mkdir(dir, { mode: 0o700 }).then(
      () => null,
      (again: NodeJS.ErrnoException) => (again.code === 'ENOENT' || again.code === 'EEXIST' ? err : again),
    );
    if ((cause as NodeJS.ErrnoException | null)?.code === 'EEXIST') throw new UserError('is there already and is not a folder', 'Move it away, or pass another --state-dir.', dir);
    if (cause) throw describeFsError(cause, dir, 'create');
  });
  const info = await fs.lstat(dir);
  if (info.isSymbolicLink() || !info.isDirectory()) {
    throw new UserError('is not a plain directory (a symbolic link?); refusing to keep backups there', 'Remove it or pass another --state-dir.', dir);
  }
}

/**
 * The first folder of `dir` and those above it, up to /, as written and as they resolve, that
 * another account may change: owned by someone other than root or the running user, or writable
 * by others (by a group, unless it is root's or, for an ordinary user, one of theirs) and not
 * sticky (/tmp, where others cannot rename what is not theirs). Such an account could swap a
 * folder for a link between a check and a write, and make this run write where it chose. A link
 * on the way that another account owns counts too (`link`): in a sticky folder its owner may
 * replace it at any moment, and each use of the path goes where it points then.
 */
export async function untrustedFolder(dir: string): Promise<{ folder: string; uid: number; mode: string; link?: true } | null> {
  const uid = process.getuid?.();
  if (uid === undefined) return null;
  const groups = uid === 0 ? [0] : [0, ...(process.getgroups?.() ?? [])];
  const chain = (start: string) => {
    const out: string[] = [];
    for (let d = start; ; d = path.dirname(d)) {
      out.push(d);
      if (path.dirname(d) === d) return out;
    }
  };
  const absolute = path.resolve(dir);
  const real = await fs.realpath(absolute).catch(() => null);
  for (const folder of new Set([...chain(absolute), ...(real ? chain(real) : [])])) {
    const info = await fs.lstat(folder).catch(() => null);
    if (!info) continue;
    // Where a link leads is in the resolved chain; the link itself is its owner's to replace.
    if (info.isSymbolicLink()) {
      if (info.uid !== 0 && info.uid !== uid) return { folder, uid: info.uid, mode: `0${(info.mode & 0o7777).toString(8)}`, link: true };
      continue;
    }
    const sticky = (info.mode & 0o1000) !== 0;
    const othersWrite = (info.mode & 0o002) !== 0 || ((info.mode & 0o020) !== 0 && !groups.includes(info.gid));
    if ((info.uid !== 0 && info.uid !== uid) || (othersWrite && !sticky)) return { folder, uid: info.uid, mode: `0${(info.mode & 0o7777).toString(8)}` };
  }
  return null;
}

/** Refuse a file whose folders (or a link on the way) another account could change: see untrustedFolder. */
async function assertTrustedFolders(file: string): Promise<void> {
  // Links are never followed to write: nor through a folder another account could swap for one.
  const bad = await untrustedFolder(path.dirname(file));
  if (bad) {
    throw new UserError(
      bad.link
        ? `is reached through ${bad.folder}, a symbolic link owned by uid ${bad.uid}: that account could point it elsewhere while docker-harden writes, so nothing was written`
        : `is in ${bad.folder}, owned by uid ${bad.uid} with mode ${bad.mode}: another account could swap that folder for a link while docker-harden writes, so nothing was written`,
      bad.link
        ? 'Pass the real path of the file, not one through that link.'
        : `Run docker-harden as the account that owns it (sudo -u '#${bad.uid}' docker-harden ...), or move the file to folders only root or you can change.`,
      file,
    );
  }
}

/**
 * Write `content` to `file` atomically: temp file in the same directory (O_EXCL, O_NOFOLLOW),
 * fsync, rename over the target, fsync the directory. The target's identity is kept: mode, owner,
 * extended attributes, ACLs and SELinux label are copied to the temp file before the rename. A
 * file with more than one hard link is written in place instead (a rename would split it from its
 * other names); the caller keeps a backup first. With `expectHash`, the target's bytes are
 * compared once more immediately before the rename, so an edit made meanwhile is never lost.
 * `ownState` is for files docker-harden keeps for itself in its private state directory: they carry
 * no attributes of anyone else's to keep, so none are copied (a cp process per write).
 */
export async function writeFileAtomic(file: string, content: string | Buffer, newMode = 0o644, expectHash?: string | null, { ownState = false } = {}): Promise<void> {
  noteWrite();
  const dir = path.dirname(file);
  await assertTrustedFolders(file);
  let mode = newMode;
  let existing: import('node:fs').Stats | null = null;
  try {
    const info = await fs.lstat(file);
    if (info.isSymbolicLink()) throw new UserError('is a symbolic link; docker-harden does not write through links', 'Point the option at the real file.', file);
    if (!info.isFile()) throw new UserError('is not a regular file', undefined, file);
    mode = info.mode & 0o7777;
    existing = info;
  } catch (err) {
    if (err instanceof UserError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw describeFsError(err, file, 'write');
  }
  if (existing && existing.nlink > 1) return writeInPlace(file, content, existing, expectHash);
  const temp = path.join(dir, `.${path.basename(file)}.docker-harden-${randomHex(6)}.tmp`);
  let handle;
  try {
    handle = await fs.open(temp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
  } catch (err) {
    throw describeFsError(err, file, 'write');
  }
  let inPlace = false;
  try {
    await handle.writeFile(content);
    if (existing && process.getuid?.() === 0) await handle.chown(existing.uid, existing.gid);
    await handle.chmod(mode);
    await handle.sync();
    await handle.close();
    handle = undefined;
    if (existing && !ownState && !(await copyAttributes(file, temp))) inPlace = true;
    if (!inPlace) {
      if (expectHash !== undefined) await expectContent(file, expectHash);
      await fs.rename(temp, file);
    }
  } catch (err) {
    if (handle) await handle.close().catch(() => undefined);
    await fs.unlink(temp).catch(() => undefined);
    throw err instanceof UserError ? err : describeFsError(err, file, 'write');
  }
  if (inPlace) {
    // The attributes could not be copied (no GNU cp): writing into the file itself keeps them.
    await fs.unlink(temp).catch(() => undefined);
    return writeInPlace(file, content, existing!, expectHash);
  }
  await syncDir(dir);
}

/** Refuse when the file no longer holds what was checked (hash of its bytes, or absent for null). */
async function expectContent(file: string, expectHash: string | null): Promise<void> {
  const now = await readNoFollow(file);
  const same = expectHash === null ? now === null : now !== null && sha256(now) === expectHash;
  if (!same) throw new UserError('changed since it was checked; nothing written', 'Run the check again to see a fresh diff.', file);
}

const CP = ['/usr/bin/cp', '/bin/cp'].find((p) => existsSync(p));

/**
 * Copy extended attributes, ACLs and the SELinux label of `from` to `to` with GNU cp (Node has no
 * xattr calls). False when that is not possible here, so the caller writes in place instead.
 */
async function copyAttributes(from: string, to: string): Promise<boolean> {
  if (!CP) return false;
  const preserve = ['mode', 'ownership', 'xattr', ...(existsSync('/sys/fs/selinux/enforce') ? ['context'] : [])].join(',');
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    execFile(CP, ['--attributes-only', '--no-dereference', `--preserve=${preserve}`, '--', from, to], { timeout: 30_000, env: { LC_ALL: 'C', PATH: '/usr/bin:/bin' } }, (err) => resolve(!err));
  });
}

/** Write into the file itself: its inode, links, owner, mode and attributes stay as they are. */
async function writeInPlace(file: string, content: string | Buffer, seen: import('node:fs').Stats, expectHash?: string | null): Promise<void> {
  let handle;
  try {
    handle = await fs.open(file, fsc.O_RDWR | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
  } catch (err) {
    throw describeFsError(err, file, 'write');
  }
  try {
    const info = await handle.stat();
    if (info.ino !== seen.ino || info.dev !== seen.dev || !info.isFile()) {
      throw new UserError('was replaced while docker-harden was writing it; nothing written', 'Run the check again.', file);
    }
    if (expectHash !== undefined) await expectContent(file, expectHash);
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    // Written over the old bytes, then cut to length: the file keeps the space it had, so when the
    // disk fills part way (a write that stops short, then ENOSPC) the old bytes fit back where they were.
    const old = await handle.readFile();
    try {
      await writeAll(handle, bytes);
      await handle.truncate(bytes.length);
      await handle.sync();
    } catch (err) {
      try {
        await writeAll(handle, old);
        await handle.truncate(old.length);
        await handle.sync();
      } catch {
        throw new UserError(`could not be written (${(err as NodeJS.ErrnoException).code ?? String(err)}), nor put back as it was`, 'Free some space, then restore it with docker-harden undo --force (its backup is kept).', file);
      }
      throw err;
    }
  } catch (err) {
    throw err instanceof UserError ? err : describeFsError(err, file, 'write');
  } finally {
    await handle.close();
  }
}

/** Write all of `bytes` at the start of the file: a write may stop short, and the next one says why (ENOSPC). */
async function writeAll(handle: fs.FileHandle, bytes: Buffer): Promise<void> {
  let at = 0;
  while (at < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, at, bytes.length - at, at);
    if (bytesWritten === 0) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    at += bytesWritten;
  }
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
  const name = `${stamp}-${randomHex(4)}-${path.basename(original)}.bak`;
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
 * since the check), keep a backup, then write. The whole of it runs under a lock beside the target
 * (every docker-harden run takes it, whatever its state directory), and the bytes are compared once
 * more right before the rename: of two runs changing one file, only one writes; the other is told
 * the file "changed since it was checked".
 */
export async function applyFileChange(change: FileChange, backupDir: string): Promise<WrittenFile> {
  return withTargetLock(change.path, async () => {
    const current = await readNoFollow(change.path);
    if (change.before === null) {
      if (current !== null) throw new UserError('was created by someone else since it was checked; nothing written', 'Run the check again.', change.path);
    } else if (current === null || current.toString('utf8') !== change.before) {
      throw new UserError('changed since it was checked; nothing written', 'Run the check again to see a fresh diff.', change.path);
    }
    const beforeHash = current === null ? null : sha256(current);
    const backup = current === null ? null : await writeBackup(backupDir, change.path, current);
    try {
      await writeFileAtomic(change.path, change.after, change.mode ?? 0o644, beforeHash);
    } catch (err) {
      // The target kept its bytes: drop the backup too, so a failed write leaves nothing behind.
      if (backup) await fs.unlink(backup).catch(() => undefined);
      throw err;
    }
    return { path: change.path, backup, beforeHash, afterHash: sha256(change.after) };
  });
}

/** How long a run waits for another run's write to the same file (a write takes milliseconds). */
const TARGET_LOCK_WAIT_MS = 30_000;

/** Run `fn` holding the lock beside `file` (`.NAME.docker-harden-lock` in the same directory). */
export async function withTargetLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  // Before the lock or a backup is made: nothing is put in a folder another account may swap.
  await assertTrustedFolders(file);
  const lock = new LockFile(
    path.join(path.dirname(file), `.${path.basename(file)}.docker-harden-lock`),
    (pid) => new UserError(`another docker-harden run (pid ${pid}) is writing this file; nothing written`, 'Wait for it to finish, then run the check again.', file),
    file,
  );
  await lock.acquire(TARGET_LOCK_WAIT_MS);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
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

/**
 * Remove folders made by makeParentDirs when they are empty again (deepest first); returns those
 * removed. rmdir takes only an empty folder and never follows a link, so nothing else can go.
 */
export async function removeEmptyDirs(dirs: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const dir of [...dirs].reverse()) {
    if (await fs.rmdir(dir).then(() => true, () => false)) removed.push(dir);
  }
  return removed;
}

/**
 * Put a file back as it was before `written`, after verifying the record: the backup must be a
 * regular file directly inside `backupDir` whose bytes hash to the recorded before-hash, and a
 * file this tool created is removed only while it still holds exactly what was written. Without
 * `force`, the target must also still hold what was written (else undo would lose later edits).
 */
export async function restoreFile(written: WrittenFile, backupDir: string, options: { force?: boolean } = {}): Promise<void> {
  await withTargetLock(written.path, async () => {
    const current = await readNoFollow(written.path);
    const currentHash = current === null ? null : sha256(current);
    if (written.backup === null) {
      if (current === null) return;
      if (currentHash !== written.afterHash) {
        throw new UserError('was created by docker-harden but changed since; it was left in place', 'Remove it yourself if it should go.', written.path);
      }
      noteWrite();
      await fs.unlink(written.path).catch((err) => {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw describeFsError(err, written.path, 'remove');
      });
      return;
    }
    if (!options.force && currentHash !== written.afterHash) {
      throw new UserError('was changed since docker-harden wrote it; undo would lose those edits, so nothing was restored', 'Look at it, then undo with --force to restore the backup anyway.', written.path);
    }
    const content = await readBackup(written, backupDir);
    await writeFileAtomic(written.path, content, 0o644, currentHash);
  });
}

/** The bytes of a record's backup, only when it is what this state directory made for it. */
export async function readBackup(written: Pick<WrittenFile, 'path' | 'backup' | 'beforeHash'>, backupDir: string): Promise<Buffer> {
  const backup = written.backup!;
  if (!path.isAbsolute(backup) || path.dirname(path.normalize(backup)) !== path.resolve(backupDir)) {
    throw new UserError(`the recorded backup ${backup} is not inside this state's backups folder (${path.resolve(backupDir)}); nothing was restored`, 'The progress profile was edited: check it.', written.path);
  }
  const content = await readNoFollow(backup);
  if (content === null) throw new UserError('backup is missing; the file was left as it is', undefined, backup);
  if (written.beforeHash === null || sha256(content) !== written.beforeHash) {
    throw new UserError(`the backup does not match the recorded content of ${written.path} (hash differs); nothing was restored`, 'The backup or the progress profile was changed: check them.', backup);
  }
  return content;
}

/** A file-system error in the person's words. */
export function describeFsError(err: unknown, file: string, action: string): UserError {
  const code = (err as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      // Root is refused only by what stops even root: an immutable or append-only file (chattr +i, +a).
      return process.getuid?.() === 0
        ? new UserError(`permission denied even to root (cannot ${action}); nothing was changed`, 'It may be immutable or append-only (lsattr shows i or a): lift that with chattr -i (or -a) if it should change, then try again.', file)
        : new UserError(`permission denied (cannot ${action})`, 'Run as a user who may change it (root for host files).', file);
    case 'ENOSPC':
      return new UserError(`no space left on the device (cannot ${action}); nothing was changed`, 'Free some space and try again.', file);
    case 'EROFS':
      return new UserError(`is on a read-only file system (cannot ${action}); nothing was changed`, undefined, file);
    case 'ENOENT':
      return new UserError(`does not exist (cannot ${action})`, undefined, file);
    case 'EISDIR':
      return new UserError(`is a directory, not a file`, 'Pass the path of a file.', file);
    case 'EEXIST':
      return new UserError(`already exists (cannot ${action})`, 'Move it away, or pass another path.', file);
    case 'ENOTDIR':
      return new UserError(`has a file where a folder of its path should be (cannot ${action})`, 'Pass a path whose parents are folders.', file);
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
