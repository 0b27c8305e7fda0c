/**
 * The git index reader against indexes the real git writes: versions 2, 3 (an intent-to-add
 * entry's extended flags) and 4 (prefix-compressed paths), a linked worktree's `.git` file, and
 * what it must refuse to guess about (a split index, a damaged file).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseGitIndex, trackedFiles } from '../../src/core/git-index.js';
import { systemProbe } from '../../src/core/probe.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'dh-gitindex-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const FILES = ['Dockerfile', 'app/main.py', 'app/static/logo.svg', 'config/settings.toml', 'docs/ünïcode name.md', `deep/${'d'.repeat(80)}/${'f'.repeat(120)}.txt`, 'requirements.txt'];

let n = 0;
function repo(extra: string[] = []): string {
  const dir = path.join(tmp, `r${++n}`);
  for (const f of [...FILES, ...extra]) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), `${f}\n`);
  }
  git(dir, 'init', '-q');
  git(dir, 'add', '--', ...FILES);
  return dir;
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'init.defaultBranch=main', ...args], { cwd: dir, encoding: 'utf8' });
}

const probe = systemProbe({});

describe('git index', () => {
  it.each([2, 3, 4])('reads every path of a version %i index as git lists them', async (version) => {
    const dir = repo(['build/app.jar']);
    if (version === 3) git(dir, 'add', '--intent-to-add', '--', 'build/app.jar');
    git(dir, 'update-index', '--index-version', String(version));
    const bytes = readFileSync(path.join(dir, '.git', 'index'));
    expect(bytes.readUInt32BE(4)).toBe(version);
    const listed = git(dir, 'ls-files', '-z').split('\0').filter(Boolean);
    expect(parseGitIndex(bytes)).toEqual(listed);
    const tracked = (await trackedFiles(probe, dir))!;
    expect(tracked.has('app/main.py')).toBe(true);
    expect(tracked.has('app')).toBe(true);
    expect(tracked.has('app/static')).toBe(true);
    expect(tracked.has('docs/ünïcode name.md')).toBe(true);
    expect(tracked.has('build/app.jar')).toBe(version === 3);
    expect(tracked.has('build')).toBe(version === 3);
    expect(tracked.has('app/missing.py')).toBe(false);
    expect(tracked.has('ap')).toBe(false);
  });

  it('matches Docker COPY patterns segment by segment', async () => {
    const tracked = (await trackedFiles(probe, repo()))!;
    expect(tracked.has('app/*.py')).toBe(true);
    expect(tracked.has('*.txt')).toBe(true);
    expect(tracked.has('*.jar')).toBe(false);
    // `*` does not cross a slash; `**` does.
    expect(tracked.has('app/*.svg')).toBe(false);
    expect(tracked.has('app/**/*.svg')).toBe(true);
    expect(tracked.has('config/setting?.toml')).toBe(true);
    expect(tracked.has('config/[rs]ettings.toml')).toBe(true);
    expect(tracked.has('config/[!s]ettings.toml')).toBe(false);
    // A pattern in the folder part, and one that names a folder.
    expect(tracked.has('a*/main.py')).toBe(true);
    expect(tracked.has('?pp/static/logo.svg')).toBe(true);
    expect(tracked.has('app/stat*')).toBe(true);
    expect(tracked.has('app/stat*/x.svg')).toBe(false);
  });

  it("follows a linked worktree's .git file to its own index", async () => {
    const main = repo();
    git(main, 'commit', '-q', '-m', 'first');
    const linked = path.join(tmp, `wt${n}`);
    git(main, 'worktree', 'add', '-q', linked);
    writeFileSync(path.join(linked, 'only-here.txt'), 'x\n');
    git(linked, 'add', 'only-here.txt');
    expect((await trackedFiles(probe, linked))!.has('only-here.txt')).toBe(true);
    expect((await trackedFiles(probe, main))!.has('only-here.txt')).toBe(false);
  });

  it('says nothing for a split index, a damaged index, no index or no repository', async () => {
    const split = repo();
    git(split, 'update-index', '--split-index');
    expect(readFileSync(path.join(split, '.git', 'index')).includes(Buffer.from('link'))).toBe(true);
    expect(await trackedFiles(probe, split)).toBeNull();
    const damaged = repo();
    const bytes = readFileSync(path.join(damaged, '.git', 'index'));
    writeFileSync(path.join(damaged, '.git', 'index'), bytes.subarray(0, bytes.length - 40));
    expect(await trackedFiles(probe, damaged)).toBeNull();
    const fresh = path.join(tmp, 'fresh');
    mkdirSync(fresh);
    git(fresh, 'init', '-q');
    expect(await trackedFiles(probe, fresh)).toBeNull();
    expect(await trackedFiles(probe, tmp)).toBeNull();
    expect(parseGitIndex(Buffer.from('not an index at all, not at all'))).toBeNull();
  });
});
