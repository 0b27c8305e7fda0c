/**
 * Targets found rather than named: `check` and `fix` with no target take the Dockerfile and compose
 * files of the folder they run in, and a folder named as a target is walked (links not followed,
 * dependencies and version control left out, another filesystem not entered, a bound on its size).
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { targetsHere, targetsInFolder } from '../src/app/discover.js';
import { ensureBuilt, runCli } from './helpers/cli.js';

let dir: string;
beforeAll(async () => {
  await ensureBuilt();
  dir = mkdtempSync(path.join(os.tmpdir(), 'dh-discover-'));
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ROOT_DOCKERFILE = 'FROM alpine:3.20\nCOPY app /app\nCMD ["/app"]\n';
const COMPOSE = 'services:\n  web:\n    image: nginx:1.27\n    cap_drop: [ALL]\n    security_opt: [no-new-privileges:true]\n    read_only: true\n';

/** A folder of `files` (path → text; a text starting with "->" makes a symbolic link to the rest). */
function tree(name: string, files: Record<string, string>): string {
  const root = path.join(dir, name);
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(root, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    if (text.startsWith('->')) symlinkSync(text.slice(2), file);
    else writeFileSync(file, text);
  }
  return root;
}

describe('the targets below a folder', () => {
  it.each([
    {
      name: 'Dockerfiles and compose files by name, at any depth, in path order',
      files: { 'services/api/Dockerfile': ROOT_DOCKERFILE, 'services/web/web.Dockerfile': ROOT_DOCKERFILE, 'Containerfile.dev': ROOT_DOCKERFILE, 'deploy/docker-compose.prod.yml': COMPOSE, 'README.md': '# x\n', 'Dockerfile.dockerignore': 'node_modules\n' },
      dockerfiles: ['Containerfile.dev', 'services/api/Dockerfile', 'services/web/web.Dockerfile'],
      compose: ['deploy/docker-compose.prod.yml'],
      readWith: [],
    },
    {
      name: 'dependencies, virtualenvs, version control and test data are not the project',
      files: { Dockerfile: ROOT_DOCKERFILE, 'node_modules/pkg/Dockerfile': ROOT_DOCKERFILE, 'vendor/mod/Dockerfile': ROOT_DOCKERFILE, '.venv/lib/Dockerfile': ROOT_DOCKERFILE, '.git/Dockerfile': ROOT_DOCKERFILE, '.devcontainer/Dockerfile': ROOT_DOCKERFILE, 'test/fixtures/bad/Dockerfile': 'FROM\n', 'testdata/Dockerfile': ROOT_DOCKERFILE },
      dockerfiles: ['.devcontainer/Dockerfile', 'Dockerfile'],
      compose: [],
      readWith: [],
    },
    {
      name: 'a link is never followed, to a file or to a folder',
      files: { 'real/Dockerfile': ROOT_DOCKERFILE, 'Dockerfile': '->real/Dockerfile', 'linked': '->real', 'outside': '->/etc' },
      dockerfiles: ['real/Dockerfile'],
      compose: [],
      readWith: [],
    },
    {
      name: 'the default override goes with the base compose reads it with; without a base it is a target',
      files: { 'compose.yaml': COMPOSE, 'compose.override.yaml': 'services:\n  web:\n    privileged: true\n', 'alone/docker-compose.override.yml': COMPOSE },
      dockerfiles: [],
      compose: ['alone/docker-compose.override.yml', 'compose.yaml'],
      readWith: [{ file: 'compose.override.yaml', base: 'compose.yaml' }],
    },
  ])('$name', ({ name, files, dockerfiles, compose, readWith }) => {
    const root = tree(name.replace(/\W+/g, '-'), files);
    const found = targetsInFolder(root);
    const rel = (f: string) => path.relative(root, f);
    expect(found.files.map(rel)).toEqual(dockerfiles);
    expect(found.composeFiles.map(rel)).toEqual(compose);
    expect(found.readWith.map((r) => ({ file: rel(r.file), base: rel(r.base) }))).toEqual(readWith);
  });

  it('names what it found as the folder was named: relative stays relative', () => {
    const root = tree('relative', { 'a/Dockerfile': ROOT_DOCKERFILE });
    const cwd = process.cwd();
    try {
      process.chdir(path.dirname(root));
      expect(targetsInFolder('relative').files).toEqual(['relative/a/Dockerfile']);
      expect(targetsInFolder('./relative/').files).toEqual(['relative/a/Dockerfile']);
    } finally {
      process.chdir(cwd);
    }
  });

  it('the folder directly, not below it, for a run with no target', () => {
    const root = tree('here', { Dockerfile: ROOT_DOCKERFILE, 'compose.yaml': COMPOSE, 'compose.override.yaml': COMPOSE, 'sub/Dockerfile': ROOT_DOCKERFILE });
    const found = targetsHere(root);
    expect(found.files).toEqual([path.join(root, 'Dockerfile')]);
    expect(found.composeFiles).toEqual([path.join(root, 'compose.yaml')]);
    expect(found.readWith).toEqual([{ file: path.join(root, 'compose.override.yaml'), base: path.join(root, 'compose.yaml') }]);
  });

  it('with none in the folder itself, in a git repository: those below it; outside one, none', () => {
    const repo = tree('repo-root', { '.git/HEAD': 'ref: refs/heads/main\n', 'services/api/Dockerfile': ROOT_DOCKERFILE, 'deploy/compose.yaml': 'services:\n  api:\n    build: ../services/api\n' });
    const found = targetsHere(repo);
    expect(found.below).toBe(true);
    expect(found.files).toEqual([path.join(repo, 'services/api/Dockerfile')]);
    expect(found.composeFiles).toEqual([path.join(repo, 'deploy/compose.yaml')]);
    // A folder inside the repository looks below itself too.
    expect(targetsHere(path.join(repo, 'services')).files).toEqual([path.join(repo, 'services/api/Dockerfile')]);
    // A repository too big to look through is said so, not taken for one with nothing in it.
    expect(() => targetsHere(repo, { limit: 3 })).toThrow(expect.objectContaining({ message: expect.stringContaining('holds more than 3 files and folders') }));
    const plain = tree('not-a-repo', { 'services/api/Dockerfile': ROOT_DOCKERFILE });
    expect(targetsHere(plain)).toMatchObject({ files: [], composeFiles: [], below: false });
  });

  it('a folder with none is an error naming it', () => {
    const root = tree('empty', { 'README.md': '# x\n', 'node_modules/x/Dockerfile': ROOT_DOCKERFILE });
    expect(() => targetsInFolder(root)).toThrow(expect.objectContaining({ message: expect.stringContaining('holds no Dockerfile or compose file'), file: root }));
  });

  it('stops at a bound rather than walking a whole disk', () => {
    const root = tree('wide', { 'Dockerfile': ROOT_DOCKERFILE });
    for (let i = 0; i < 30; i++) mkdirSync(path.join(root, `d${i}`));
    expect(() => targetsInFolder(root, 20)).toThrow(expect.objectContaining({ message: expect.stringContaining('holds more than 20 files and folders'), file: root }));
    expect(targetsInFolder(root, 40).files).toEqual([path.join(root, 'Dockerfile')]);
  });

  it.skipIf(process.getuid?.() !== 0)('does not enter another filesystem mounted inside the folder (as root)', () => {
    const root = tree('mounted', { 'Dockerfile': ROOT_DOCKERFILE, 'mnt/.keep': '' });
    execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', path.join(root, 'mnt')]);
    try {
      writeFileSync(path.join(root, 'mnt', 'Dockerfile'), ROOT_DOCKERFILE);
      expect(targetsInFolder(root).files).toEqual([path.join(root, 'Dockerfile')]);
    } finally {
      execFileSync('umount', [path.join(root, 'mnt')]);
    }
  });
});

describe('check and fix with targets found', () => {
  it('check with no target takes the files of the folder it runs in and says which on stderr', async () => {
    const root = tree('cli-here', { Dockerfile: ROOT_DOCKERFILE, 'compose.yaml': COMPOSE, 'sub/Dockerfile': ROOT_DOCKERFILE });
    const r = await runCli(['check', '--only', 'non-root-user,use-docker-defaults', '--json'], { cwd: root });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('docker-harden: checking the 2 found in this folder: Dockerfile, compose.yaml');
    const targets = new Set((JSON.parse(r.stdout) as { results: { target: string }[] }).results.map((x) => x.target));
    expect(targets).toEqual(new Set([path.join(root, 'Dockerfile'), path.join(root, 'compose.yaml')]));
  });

  it('check with no target at the root of a repository whose files are in its services\' folders takes those', async () => {
    const root = tree('cli-repo', { '.git/HEAD': 'ref: refs/heads/main\n', 'services/api/Dockerfile': ROOT_DOCKERFILE, 'node_modules/x/Dockerfile': ROOT_DOCKERFILE });
    const r = await runCli(['check', '--only', 'non-root-user'], { cwd: root });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('docker-harden: checking the one found in this folder and below it (a git repository): services/api/Dockerfile');
  });

  it('check with no target in a folder with none exits 2, pointing at the folder form', async () => {
    const root = tree('cli-none', { 'sub/Dockerfile': ROOT_DOCKERFILE });
    const r = await runCli(['check'], { cwd: root });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/nothing to check: no target named, and no Dockerfile or compose file in this folder[\s\S]*a folder \(`docker-harden check \.` takes every one below this folder\)/);
    const fix = await runCli(['fix', '--yes'], { cwd: root });
    expect(fix.exitCode).toBe(2);
    expect(fix.stderr).toMatch(/nothing to fix: no target named[\s\S]*`docker-harden fix \.` takes every one below this folder/);
  });

  it('check DIR reports every file below it, an override through its base at the override\'s line', async () => {
    const root = tree('cli-folder', {
      'services/api/Dockerfile': ROOT_DOCKERFILE,
      'compose.yaml': COMPOSE,
      'compose.override.yaml': 'services:\n  web:\n    privileged: true\n',
      'node_modules/x/Dockerfile': ROOT_DOCKERFILE,
    });
    const r = await runCli(['check', '.', '--only', 'non-root-user,use-docker-defaults,seccomp-apparmor-capabilities', '--json'], { cwd: root });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('checking the 2 found in .: services/api/Dockerfile, compose.yaml; compose.override.yaml is read with compose.yaml, which reports what it sets');
    const results = (JSON.parse(r.stdout) as { results: { target: string; step: string; findings: { file?: string; line?: number; message: string }[] }[] }).results;
    expect(new Set(results.map((x) => x.target))).toEqual(new Set([path.join(root, 'services/api/Dockerfile'), path.join(root, 'compose.yaml')]));
    const privileged = results.flatMap((x) => x.findings).find((f) => f.message.includes('runs privileged'));
    expect(privileged).toMatchObject({ file: path.join(root, 'compose.override.yaml'), line: 3 });
    // The override's own fragment (no cap_drop in it) is not judged as a whole compose file.
    expect(results.flatMap((x) => x.findings).filter((f) => f.file === path.join(root, 'compose.override.yaml')).map((f) => f.line)).toEqual([3]);
  });

  it('an override named with its base file is read with it; named alone, fix writes its fix in the override', async () => {
    const base = 'services:\n  web:\n    image: nginx:1.27\n    cap_drop: [ALL]\n    security_opt: [no-new-privileges:true]\n    read_only: true\n';
    const override = 'services:\n  web:\n    read_only: false\n';
    const root = tree('cli-override', { 'compose.yaml': base, 'compose.override.yaml': override });
    const both = await runCli(['check', '--compose', 'compose.yaml', '--compose', 'compose.override.yaml', '--only', 'seccomp-apparmor-capabilities', '--json'], { cwd: root });
    expect(both.exitCode).toBe(1);
    expect(both.stderr).toContain('docker-harden: compose.override.yaml is read with compose.yaml, as docker compose reads it: the check of compose.yaml reports what it sets, at its lines');
    const results = (JSON.parse(both.stdout) as { results: { target: string; findings: { file?: string; line?: number; code: string }[] }[] }).results;
    expect(results.map((x) => x.target)).toEqual([path.join(root, 'compose.yaml')]);
    expect(results[0]!.findings.map((f) => `${path.basename(f.file!)}:${f.line} ${f.code}`)).toEqual(['compose.override.yaml:3 CIS-5.13']);

    const state = path.join(root, '..', 'cli-override-state');
    const alone = await runCli(['fix', '--compose', 'compose.override.yaml', '--only', 'seccomp-apparmor-capabilities', '--yes', '--include-review', '--state-dir', state], { cwd: root });
    expect(alone.exitCode, alone.stdout + alone.stderr).toBe(0);
    expect(readFileSync(path.join(root, 'compose.yaml'), 'utf8')).toBe(base);
    expect(readFileSync(path.join(root, 'compose.override.yaml'), 'utf8')).toMatch(/^    read_only: true$/m);
    const after = await runCli(['check', '--only', 'seccomp-apparmor-capabilities'], { cwd: root });
    expect(after.exitCode, after.stdout).toBe(0);
  });

  it('report takes a folder too', async () => {
    const root = tree('cli-report', { 'api/Dockerfile': ROOT_DOCKERFILE });
    const r = await runCli(['report', '.', '--only', 'non-root-user', '--state-dir', path.join(root, '..', 'cli-report-state')], { cwd: root });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain('docker-harden: reporting on the one found in .: api/Dockerfile');
    expect(r.stdout).toMatch(/Run as a non-root user \[non-root-user\] api\/Dockerfile/);
  });

  it('a folder with nothing to check exits 2 and names it; --file with a folder says the folder form', async () => {
    const root = tree('cli-empty', { 'README.md': '# x\n' });
    const r = await runCli(['check', root]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${root}: holds no Dockerfile or compose file`);
    const missing = await runCli(['check', `${root}/no-such/`]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain(`${root}/no-such/: folder not found`);
    const f = await runCli(['check', '--file', root]);
    expect(f.exitCode).toBe(2);
    expect(f.stderr).toContain('or the folder without --file to check every Dockerfile and compose file in it');
  });

  it('fix DIR --yes writes the Dockerfiles found, each once even when also named, and each line names its file', async () => {
    const root = tree('cli-fix', { 'a/Dockerfile': 'FROM alpine:3.20\nUSER root\nCMD ["/app"]\n', 'b/Dockerfile': 'FROM alpine:3.20\nUSER 0\nCMD ["/app"]\n' });
    const state = path.join(root, '..', 'cli-fix-state');
    const argv = ['fix', 'cli-fix', '--file', 'cli-fix/a/Dockerfile', '--only', 'non-root-user', '--yes', '--state-dir', state];
    const held = await runCli(argv, { cwd: path.dirname(root) });
    expect(held.exitCode).toBe(1);
    expect(held.stderr).toContain('fixing the 2 found in cli-fix: cli-fix/a/Dockerfile, cli-fix/b/Dockerfile');
    expect(held.stdout).toContain('Run as a non-root user (cli-fix/a/Dockerfile): not applied, risk review');
    expect(held.stdout).toContain('Run as a non-root user (cli-fix/b/Dockerfile): not applied, risk review');
    const r = await runCli([...argv, '--include-review'], { cwd: path.dirname(root) });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('fix: 2 fixes applied; no check fails or warns');
    for (const f of ['a/Dockerfile', 'b/Dockerfile']) expect(readFileSync(path.join(root, f), 'utf8')).toContain('USER 10001:10001');
  });

  it('a folder name made of control characters reaches the terminal made safe', async () => {
    const root = tree('cli-\u001b]0;pwned\u0007', { 'Dockerfile': ROOT_DOCKERFILE });
    const r = await runCli(['check', path.basename(root), '--only', 'non-root-user'], { cwd: path.dirname(root) });
    expect(r.stderr).toContain('\\x1b]0;pwned\\x07');
    expect(r.stderr).not.toContain('\u001b');
  });
});
