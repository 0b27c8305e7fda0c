/**
 * The targets a person did not name: the Dockerfile and compose files of the folder they are in
 * (`check`, `fix` and the wizard with no target), or every one below a folder they name
 * (`check services/`). Found by name as positional files are (targetKind). A walk never follows a
 * symbolic link, never leaves the folder's filesystem (`/proc` as root), leaves out what a build
 * or a package manager made (node_modules, vendor, virtualenvs, version control), and stops at a
 * bound rather than reading a whole disk.
 */
import { lstatSync, readdirSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { targetKind } from '../args.js';
import { UserError } from '../core/errors.js';
import { LIMITS } from '../core/limits.js';
import { DEFAULT_COMPOSE_FILES, DEFAULT_OVERRIDES } from '../core/runner.js';

export interface FoundTargets {
  files: string[];
  composeFiles: string[];
  /** Default override files left out because `docker compose` reads them with the base file beside them, which reports what they set. */
  readWith: Array<{ file: string; base: string }>;
  /** Folders that could not be read (permissions): said, not silently missed. */
  unreadable: string[];
}

const NONE_FOUND = 'holds no Dockerfile or compose file';

/** Folders whose Dockerfiles are not the project's own: dependencies, environments, version control. */
const LEFT_OUT = new Set([
  ...['.git', '.hg', '.svn', 'node_modules', 'bower_components', 'vendor', '.venv', 'venv', '__pycache__', '.tox', '.terraform', '.cache'],
  // Test data: a repository's fixtures are inputs of its tests (broken on purpose, often), not what it ships. Named as a target, such a folder is walked.
  ...['test', 'tests', 'testdata', 'fixtures', '__tests__'],
]);

/**
 * The Dockerfile and compose files directly in `folder`; where there are none, `below` is asked and
 * `folder` is in a git repository, those below it (a repository keeps them in its services'
 * folders). Outside a repository nothing below is looked at: a home folder or `/` is no project.
 * The wizard does not look below: it writes, and a clone's example files are not what to walk.
 */
export function targetsHere(folder: string, options: { below?: boolean; limit?: number } = {}): FoundTargets & { below: boolean } {
  const here = sortTargets(folder, entriesOf(folder), []);
  if (here.files.length > 0 || here.composeFiles.length > 0 || options.below === false || !inGitRepository(folder)) return { ...here, below: false };
  try {
    return { ...targetsInFolder(folder, options.limit), below: true };
  } catch (err) {
    // None below either: the run says there is nothing to check here. Too many to look at is said as it is.
    if (err instanceof UserError && err.message.startsWith(NONE_FOUND)) return { ...here, below: false };
    throw err;
  }
}

/** Whether `folder` is in a git work tree: a `.git` (folder, or file of a worktree) in it or above it. */
function inGitRepository(folder: string): boolean {
  for (let dir = path.resolve(folder); ; dir = path.dirname(dir)) {
    if (lstatSync(path.join(dir, '.git'), { throwIfNoEntry: false })) return true;
    if (path.dirname(dir) === dir) return false;
  }
}

/** Every Dockerfile and compose file in `folder` and below it; a UserError when there is none or the folder is over `limit` entries. */
export function targetsInFolder(folder: string, limit: number = LIMITS.folderEntries): FoundTargets {
  const root = path.resolve(folder);
  const info = statSync(root, { throwIfNoEntry: false });
  if (!info?.isDirectory()) throw new UserError(info ? 'is not a folder' : 'folder not found', 'Check the path; nothing was checked.', folder);
  const device = info.dev;
  const found: Array<{ dir: string; entries: Dirent[] }> = [];
  const unreadable: string[] = [];
  const pending = [root];
  let seen = 0;
  while (pending.length > 0) {
    const dir = pending.pop()!;
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      unreadable.push(relativeTo(folder, dir));
      continue;
    }
    seen += entries.length;
    if (seen > limit) {
      throw new UserError(
        `holds more than ${limit.toLocaleString('en-US')} files and folders; docker-harden stops there rather than read a whole disk`,
        'Name a smaller folder, or the files themselves (--file, --compose); nothing was checked.',
        folder,
      );
    }
    found.push({ dir, entries });
    for (const entry of entries) {
      if (!entry.isDirectory() || LEFT_OUT.has(entry.name)) continue;
      const child = path.join(dir, entry.name);
      // Another filesystem (proc, a mounted volume) is not part of the folder, as find -xdev.
      if (lstatSync(child, { throwIfNoEntry: false })?.dev === device) pending.push(child);
    }
  }
  const targets = sortTargets(folder, found.flatMap(({ dir, entries }) => entries.map((e) => ({ dir, entry: e }))), unreadable);
  if (targets.files.length === 0 && targets.composeFiles.length === 0) {
    throw new UserError(
      `${NONE_FOUND}${unreadable.length > 0 ? ` that docker-harden could read (${unreadable.length} folder${unreadable.length === 1 ? '' : 's'} it could not open)` : ''}`,
      'By name: Dockerfile, Dockerfile.*, *.Dockerfile, Containerfile; compose.yaml, compose.*.yaml, docker-compose*.yml. A file of another name is checked with --file or --compose; nothing was checked.',
      folder,
    );
  }
  return targets;
}

function entriesOf(dir: string): Array<{ dir: string; entry: Dirent }> {
  try {
    return readdirSync(dir, { withFileTypes: true }).map((entry) => ({ dir, entry }));
  } catch {
    return [];
  }
}

/** Regular files only (a link is not followed), by kind, in path order; a default override beside its base goes with the base. */
function sortTargets(folder: string, entries: Array<{ dir: string; entry: Dirent }>, unreadable: string[]): FoundTargets {
  const names = new Map<string, Set<string>>();
  for (const { dir, entry } of entries) if (entry.isFile()) names.set(dir, (names.get(dir) ?? new Set()).add(entry.name));
  const out: FoundTargets = { files: [], composeFiles: [], readWith: [], unreadable };
  for (const [dir, inDir] of names) {
    const base = DEFAULT_COMPOSE_FILES.find((name) => inDir.has(name));
    for (const name of inDir) {
      const file = relativeTo(folder, path.join(dir, name));
      const kind = targetKind(name);
      if (kind === 'dockerfile') out.files.push(file);
      else if (kind === 'compose' && base && DEFAULT_OVERRIDES.includes(name)) out.readWith.push({ file, base: relativeTo(folder, path.join(dir, base)) });
      else if (kind === 'compose') out.composeFiles.push(file);
    }
  }
  out.files.sort();
  out.composeFiles.sort();
  return out;
}

/**
 * Compose files named together, as docker compose reads them: a default override (compose.override.yaml)
 * named with the base file beside it is read with that file, whose check reports what it sets, at
 * its lines; named alone it is checked on top of the base file.
 */
export function readWithBase(composeFiles: string[]): { kept: string[]; readWith: FoundTargets['readWith'] } {
  const named = new Set(composeFiles.map((f) => path.resolve(f)));
  const kept: string[] = [];
  const readWith: FoundTargets['readWith'] = [];
  for (const file of composeFiles) {
    const dir = path.dirname(path.resolve(file));
    const base = DEFAULT_OVERRIDES.includes(path.basename(file)) ? DEFAULT_COMPOSE_FILES.map((n) => path.join(dir, n)).find((b) => lstatSync(b, { throwIfNoEntry: false })) : undefined;
    if (base && named.has(base)) readWith.push({ file, base: composeFiles.find((f) => path.resolve(f) === base)! });
    else kept.push(file);
  }
  return { kept, readWith };
}

/** A found path as the person would type it: below the folder they named, in their words. */
function relativeTo(folder: string, file: string): string {
  const rel = path.relative(path.resolve(folder), file);
  return rel === '' ? folder : path.join(folder, rel);
}
