/**
 * How much docker-harden reads of each input, in one place (README and SECURITY.md list them).
 * An input over its limit is refused before it is parsed, with a message naming the file and the
 * limit (exit 2): a root tool reads files and daemon answers it did not write, and a file of any
 * size, a device such as /dev/zero, or JSON nested a hundred thousand levels must end in a
 * message, not in a hang, an exhausted heap or "Maximum call stack size exceeded".
 */
import { closeSync, fstatSync, openSync, promises as fs, readSync, constants as fsc, type Stats } from 'node:fs';
import { UserError, lineColumnAt } from './errors.js';

const MiB = 1024 * 1024;

// One decoder for every file: making one costs more than decoding a small Dockerfile.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The bytes of a file as text, or null when they are not UTF-8: such bytes would not survive an
 * edit (they would come back as U+FFFD). A byte-order mark stays in the text, so an edit writes
 * it back.
 */
/** A UserError for text saved as UTF-16 (a byte-order mark FF FE or FE FF), which is not the binary file its NUL bytes suggest; null otherwise. */
export function utf16Refusal(bytes: Uint8Array, file: string, kind: string): UserError | null {
  if (!((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) return null;
  return new UserError(`is UTF-16 text; docker-harden reads a ${kind} as UTF-8`, `Save it as UTF-8 (iconv -f UTF-16 -t UTF-8), then run docker-harden again; nothing was changed.`, file);
}

export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

export const LIMITS = {
  /** A Dockerfile (the largest public ones are well under 100 KiB). */
  dockerfile: 5 * MiB,
  /** A compose file. */
  compose: 8 * MiB,
  /** daemon.json (--daemon-config or the daemon's own). */
  daemonJson: 1 * MiB,
  /** The profile (progress, decisions and the record of applied changes). */
  profile: 16 * MiB,
  /** One Engine API answer (docker info, a container list, one inspect). */
  engineApiAnswer: 64 * MiB,
  /** The .env file beside a compose file (its variables). */
  envFile: 1 * MiB,
  /** A repository's .git/index, read to know which files a fresh checkout has (Chromium's is about 50 MiB). */
  gitIndex: 128 * MiB,
  /** A file of the build context read for a Dockerfile check: the script its ENTRYPOINT or CMD starts, an action.yml beside it. */
  contextFile: 1 * MiB,
  /** Files and folders a folder target's walk looks at before it stops (a repository of 10,000 files is well under it). */
  folderEntries: 200_000,
  /** Nesting of objects and arrays in a JSON input (daemon.json, profile) or of flow collections in a compose file. */
  jsonDepth: 200,
} as const;

export type InputKind = 'Dockerfile' | 'compose file' | 'daemon.json' | 'profile' | 'git index' | 'env file';

function formatBytes(n: number): string {
  return n >= MiB ? `${Math.round((n / MiB) * 10) / 10} MiB` : `${n} bytes`;
}

/** Refuse an input over its limit: the message names the kind, its size and the limit. */
export function tooLarge(file: string, kind: InputKind, size: number | null, limit: number): UserError {
  return new UserError(
    `is too large: ${size === null ? 'more than' : formatBytes(size) + ', over'} the limit of ${formatBytes(limit)} for a ${kind}`,
    `docker-harden reads a ${kind} of at most ${formatBytes(limit)} (see SECURITY.md, "Limits"); pass the right file.`,
    file,
  );
}

/**
 * The bytes of a regular file, read without following a final symlink (unless asked: a file only
 * read, never written, may be a link) and without blocking (a
 * FIFO or device is refused, not read), at most `limit` bytes; null when it does not exist.
 * The size is checked on the open descriptor, and the read stops at the limit even if the file
 * grows meanwhile.
 */
export interface ReadOptions {
  followLinks?: boolean;
  /** Called with the opened file's stat before its type and size are checked (a throw stops the read). */
  seen?: (info: Stats) => void;
}

export async function readLimited(file: string, kind: InputKind, limit: number, options: ReadOptions = {}): Promise<Buffer | null> {
  let handle;
  try {
    handle = await fs.open(file, openFlags(options));
  } catch (err) {
    return openFailed(err, file, kind);
  }
  try {
    const info = await handle.stat();
    options.seen?.(info);
    const buffer = bufferFor(info, file, kind, limit);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > limit) throw tooLarge(file, kind, null, limit);
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

/**
 * readLimited without the thread pool, for the batch path: a thousand awaited opens, stats and
 * reads each wait their turn in libuv's four threads while the CPU idles. Same checks, same errors.
 */
export function readLimitedSync(file: string, kind: InputKind, limit: number, options: ReadOptions = {}): Buffer | null {
  let fd;
  try {
    fd = openSync(file, openFlags(options));
  } catch (err) {
    return openFailed(err, file, kind);
  }
  try {
    const info = fstatSync(fd);
    options.seen?.(info);
    const buffer = bufferFor(info, file, kind, limit);
    let length = 0;
    while (length < buffer.length) {
      const bytesRead = readSync(fd, buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > limit) throw tooLarge(file, kind, null, limit);
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

function openFlags(options: { followLinks?: boolean }): number {
  return fsc.O_RDONLY | fsc.O_NONBLOCK | (options.followLinks ? 0 : fsc.O_NOFOLLOW);
}

function openFailed(err: unknown, file: string, kind: InputKind): null {
  const code = (err as NodeJS.ErrnoException).code;
  // A path through a file (a/Dockerfile/x) does not exist either.
  if (code === 'ENOENT' || code === 'ENOTDIR') return null;
  if (code === 'ELOOP') throw new UserError('is a symbolic link; docker-harden does not write through links', 'Point the option at the real file.', file);
  if (code === 'EACCES' || code === 'EPERM') throw new UserError('cannot be read (permission denied)', 'Run as a user who can read it.', file);
  throw new UserError(`cannot be read (${code ?? String(err)})`, `Pass the path of a ${kind}.`, file);
}

/** The buffer for a file's bytes (one more than the limit, to see a file that grew), after the type and size checks. */
function bufferFor(info: Stats, file: string, kind: InputKind, limit: number): Buffer {
  if (info.isDirectory()) throw new UserError(`is a directory, not a ${kind}`, `Pass the path of a ${kind}.`, file);
  if (!info.isFile()) throw new UserError(`is not a regular file (a device, FIFO or socket), so it is not a ${kind}`, `Pass the path of a ${kind}.`, file);
  if (info.size > limit) throw tooLarge(file, kind, info.size, limit);
  // Not zeroed: only the bytes read are handed on (`subarray(0, length)`).
  return Buffer.allocUnsafe(Math.min(info.size, limit) + 1);
}

/**
 * Where JSON text (or YAML flow collections) nests deeper than `limit` (objects and arrays,
 * outside double-quoted strings), or null. A linear scan, so the parsers after it (some
 * recursive) never see such a text.
 */
export function jsonTooDeep(text: string, limit: number = LIMITS.jsonDepth): number | null {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > limit) return i;
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return null;
}

/** Throw a UserError at the line and column where JSON text nests deeper than the limit. */
export function assertJsonDepth(text: string, file: string, kind: InputKind, limit: number = LIMITS.jsonDepth): void {
  const at = jsonTooDeep(text, limit);
  if (at === null) return;
  const { line, column } = lineColumnAt(text, at);
  throw new UserError(
    `nests objects and arrays more than ${limit} levels deep; docker-harden does not read such a ${kind}`,
    `No valid ${kind} nests this deep: check that this is the right file.`,
    file,
    line,
    column,
  );
}
