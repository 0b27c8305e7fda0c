/**
 * Which files a fresh checkout of a repository has: the paths in its git index (.git/index), read
 * as bytes (https://git-scm.com/docs/index-format). git itself is never run: a repository's own
 * config can make git run a program (core.fsmonitor), and docker-harden often runs as root.
 * Anything this reader does not follow (a split index, an unknown version, a damaged file) is
 * "not known", never a guess.
 */
import path from 'node:path';
import { LIMITS } from './limits.js';
import type { Probe } from './probe.js';
import { cachedUntilWrite } from './writes.js';

export interface TrackedFiles {
  /** Whether `rel` (a path from the repository root, `/`-separated, Docker glob patterns allowed) names tracked files. */
  has(rel: string): boolean;
}

/** The tracked paths of the repository at `root`, or null when they cannot be known; read once per run, as each Dockerfile of a repository asks. */
export function trackedFiles(probe: Probe, root: string): Promise<TrackedFiles | null> {
  return trackedOf(probe, root, () => readTrackedFiles(probe, root));
}

const trackedOf = cachedUntilWrite<Probe, Promise<TrackedFiles | null>>();

async function readTrackedFiles(probe: Probe, root: string): Promise<TrackedFiles | null> {
  if (!probe.readBytes) return null;
  const gitDir = await gitDirOf(probe, root);
  if (!gitDir) return null;
  const bytes = await probe.readBytes(path.join(gitDir, 'index'), LIMITS.gitIndex);
  if (!bytes) return null;
  const config = (await probe.readText(path.join(gitDir, 'config'))) ?? '';
  const hashBytes = /^\s*objectformat\s*=\s*sha256\s*$/im.test(config) ? 32 : 20;
  const paths = parseGitIndex(bytes, hashBytes);
  return paths ? trackedSet(paths) : null;
}

/** `.git` itself, or where a `.git` file (a worktree's, a submodule's) points. */
async function gitDirOf(probe: Probe, root: string): Promise<string | null> {
  const dotGit = path.join(root, '.git');
  const info = await probe.stat(dotGit);
  if (info?.isDirectory) return dotGit;
  if (!info?.isFile || info.size > 4096) return null;
  const pointer = /^gitdir:\s*(.+?)\s*$/m.exec((await probe.readText(dotGit)) ?? '')?.[1];
  return pointer ? path.resolve(root, pointer) : null;
}

/**
 * The paths of an index file (versions 2 to 4), or null when it is not one this reader follows:
 * a split index (its entries are in another file), or bytes that do not add up.
 */
export function parseGitIndex(bytes: Buffer, hashBytes = 20): string[] | null {
  if (bytes.length < 12 + hashBytes || bytes.toString('latin1', 0, 4) !== 'DIRC') return null;
  const version = bytes.readUInt32BE(4);
  const count = bytes.readUInt32BE(8);
  if (version < 2 || version > 4) return null;
  const end = bytes.length - hashBytes;
  const paths: string[] = [];
  let at = 12;
  let previous: Buffer = Buffer.alloc(0);
  for (let i = 0; i < count; i++) {
    const start = at;
    const fixed = 40 + hashBytes;
    if (at + fixed + 2 > end) return null;
    const flags = bytes.readUInt16BE(at + fixed);
    at += fixed + 2;
    // An extended entry (version 3 and up) has two more flag bytes.
    if (flags & 0x4000) {
      if (version < 3) return null;
      at += 2;
    }
    let name: Buffer;
    if (version === 4) {
      // The path is the previous one less its last N bytes, then the bytes up to a NUL.
      let strip = 0;
      for (let byte = 0x80, first = true; byte & 0x80; first = false) {
        if (at >= end) return null;
        byte = bytes[at++]!;
        strip = first ? byte & 0x7f : ((strip + 1) << 7) | (byte & 0x7f);
        if (strip > previous.length) return null;
      }
      const nul = bytes.indexOf(0, at);
      if (nul < 0 || nul >= end) return null;
      name = Buffer.concat([previous.subarray(0, previous.length - strip), bytes.subarray(at, nul)]);
      at = nul + 1;
    } else {
      const nul = bytes.indexOf(0, at);
      if (nul < 0 || nul >= end) return null;
      name = bytes.subarray(at, nul);
      // Padded with NULs to a multiple of eight bytes from the entry's start.
      at = start + Math.ceil((nul + 1 - start) / 8) * 8;
    }
    const length = flags & 0x0fff;
    if (length !== 0x0fff && length !== name.length) return null;
    previous = name;
    paths.push(name.toString('utf8'));
  }
  // Extensions: a split index keeps its entries in a shared file this reader does not open.
  while (at + 8 <= end) {
    if (bytes.toString('latin1', at, at + 4) === 'link') return null;
    at += 8 + bytes.readUInt32BE(at + 4);
  }
  return at === end ? paths : null;
}

function trackedSet(paths: string[]): TrackedFiles {
  const files = new Set<string>();
  const dirs = new Set<string>();
  // A sparse index keeps a folder outside the sparse checkout as one entry, "dir/".
  const sparse: string[] = [];
  for (const p of paths) {
    if (p.endsWith('/')) sparse.push(p);
    else files.add(p);
    for (let slash = p.indexOf('/'); slash > 0 && slash < p.length - 1; slash = p.indexOf('/', slash + 1)) dirs.add(p.slice(0, slash));
    if (p.endsWith('/')) dirs.add(p.slice(0, -1));
  }
  // The files and folders in each folder (`a/b/` for a/b/c, '' at the top), made when first asked.
  let inFolder: Map<string, string[]> | undefined;
  const entriesIn = (folder: string): string[] => {
    if (!inFolder) {
      inFolder = new Map();
      for (const p of [...files, ...dirs]) {
        const parent = p.slice(0, p.lastIndexOf('/') + 1);
        const entries = inFolder.get(parent);
        if (entries) entries.push(p);
        else inFolder.set(parent, [p]);
      }
    }
    return inFolder.get(folder) ?? [];
  };
  return {
    has(rel) {
      const special = rel.search(/[*?[\\]/);
      if (special >= 0) {
        const match = globMatcher(rel);
        // `*` and `?` do not cross a slash: a pattern whose last part alone has them
        // (`svc/package*.json`, asked for each of a thousand Dockerfiles) can match only what is in
        // that folder. A character class or `**` may match a slash: those try every path.
        const folder = rel.slice(0, rel.lastIndexOf('/', special) + 1);
        const last = rel.slice(folder.length);
        const candidates = last.includes('/') || last.includes('[') || last.includes('**') ? [...files, ...dirs] : entriesIn(folder);
        return candidates.some(match) || sparse.some((s) => match(s.slice(0, -1)));
      }
      return files.has(rel) || dirs.has(rel) || sparse.some((s) => rel.startsWith(s));
    },
  };
}

/**
 * Docker's COPY patterns (Go's filepath.Match): `*` and `?` stay within one path segment; BuildKit
 * also reads `**` as any number of segments.
 */
function globMatcher(pattern: string): (p: string) => boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) source += escapeRegExp(pattern[++i]!);
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) return () => false;
      const body = pattern.slice(i + 1, close).replace(/^\^/, '!');
      source += `[${body.startsWith('!') ? '^' + escapeClass(body.slice(1)) : escapeClass(body)}]`;
      i = close;
    } else source += escapeRegExp(c);
  }
  const re = new RegExp(`^${source}$`, 'u');
  return (p) => re.test(p);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function escapeClass(s: string): string {
  return s.replace(/[\]\\^]/g, '\\$&');
}
