/**
 * The hook in .pre-commit-hooks.yaml, run by the real pre-commit (Debian's `pre-commit` package)
 * in a temporary git repository: a commit of a Dockerfile that runs as root is refused with the
 * finding; after the fix the commit goes through. The hook repository is a git repository holding
 * this checkout's .pre-commit-hooks.yaml at a commit, named by path and rev as a user names ours;
 * `docker-harden` on PATH is this checkout's bin, as `npm install -g .` would link it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { binPath, ensureBuilt, repoRoot } from '../helpers/cli.js';

const preCommit = ['/usr/bin/pre-commit', '/usr/local/bin/pre-commit'].find((p) => existsSync(p));
if (!preCommit) {
  if (process.env.DOCKER_HARDEN_REQUIRE_DOCKERD === '1') throw new Error('DOCKER_HARDEN_REQUIRE_DOCKERD=1 but pre-commit is not installed (apt-get install pre-commit)');
  console.warn('[docker-harden tests] pre-commit hook test skipped: pre-commit is not installed (apt-get install pre-commit)');
}

describe.skipIf(!preCommit)('the pre-commit hook, run by pre-commit', () => {
  let dir: string;
  let repo: string;
  let env: Record<string, string>;
  const git = (args: string[]) => execa('git', args, { cwd: repo, env, extendEnv: false, reject: false, timeout: 120_000 });

  beforeAll(async () => {
    await ensureBuilt();
    dir = mkdtempSync(path.join(os.tmpdir(), 'dh-pre-commit-'));
    repo = path.join(dir, 'repo');
    env = {
      PATH: process.env.PATH!,
      HOME: dir,
      PRE_COMMIT_HOME: path.join(dir, 'cache'),
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.invalid',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.invalid',
      NO_COLOR: '1',
      DOCKER_HARDEN_STATE_DIR: path.join(dir, 'state'),
    };
    await execa('git', ['init', '-q', '-b', 'main', repo], { env, extendEnv: false });
    const hookRepo = path.join(dir, 'hooks');
    mkdirSync(hookRepo);
    copyFileSync(path.join(repoRoot, '.pre-commit-hooks.yaml'), path.join(hookRepo, '.pre-commit-hooks.yaml'));
    const inHooks = (args: string[]) => execa('git', args, { cwd: hookRepo, env, extendEnv: false });
    await inHooks(['init', '-q', '-b', 'main']);
    await inHooks(['add', '.pre-commit-hooks.yaml']);
    await inHooks(['commit', '-q', '-m', 'hooks']);
    const rev = (await inHooks(['rev-parse', 'HEAD'])).stdout.trim();
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(binPath, path.join(bin, 'docker-harden'));
    env.PATH = `${bin}:${path.dirname(process.execPath)}:${process.env.PATH}`;
    const config = { repos: [{ repo: hookRepo, rev, hooks: [{ id: 'docker-harden', args: ['--only', 'non-root-user'] }] }] };
    writeFileSync(path.join(repo, '.pre-commit-config.yaml'), toYaml(config));
    writeFileSync(path.join(repo, 'README.md'), 'not a Dockerfile\n');
    const install = await execa(preCommit!, ['install'], { cwd: repo, env, extendEnv: false, reject: false });
    expect(install.exitCode, install.stderr + install.stdout).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a commit without a Dockerfile does not run the check', async () => {
    await git(['add', '.pre-commit-config.yaml', 'README.md']);
    const r = await git(['commit', '-q', '-m', 'readme']);
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/docker-harden\.+\(no files to check\)Skipped/);
  });

  it('refuses a commit whose Dockerfile runs as root, and takes it after the fix', async () => {
    writeFileSync(path.join(repo, 'Dockerfile'), 'FROM node:20-slim\nWORKDIR /app\nCOPY . .\nCMD ["node", "server.js"]\n');
    await git(['add', 'Dockerfile']);
    const refused = await git(['commit', '-q', '-m', 'app']);
    expect(refused.exitCode).toBe(1);
    const output = refused.stdout + refused.stderr;
    expect(output).toMatch(/docker-harden\.+Failed/);
    expect(output).toMatch(/\/repo\/Dockerfile:1: the final stage \(FROM node:20-slim\) sets no USER, so the container runs as root/);
    expect((await git(['log', '--oneline'])).stdout.trim().split('\n')).toHaveLength(1);

    writeFileSync(path.join(repo, 'Dockerfile'), 'FROM node:20-slim\nWORKDIR /app\nCOPY . .\nUSER node\nCMD ["node", "server.js"]\n');
    await git(['add', 'Dockerfile']);
    const taken = await git(['commit', '-q', '-m', 'app']);
    expect(taken.exitCode, taken.stdout + taken.stderr).toBe(0);
    expect(taken.stdout + taken.stderr).toMatch(/docker-harden\.+Passed/);
    expect((await git(['log', '--oneline'])).stdout.trim().split('\n')).toHaveLength(2);
  });

  it('a compose file in a subdirectory is passed by name and accepted as a compose file', async () => {
    const sub = path.join(repo, 'deploy');
    await execa('mkdir', ['-p', sub]);
    writeFileSync(path.join(sub, 'docker-compose.yml'), 'services:\n  web:\n    image: nginx:1.27\n    user: "0"\n');
    const r = await execa(preCommit!, ['run', 'docker-harden', '--files', 'deploy/docker-compose.yml'], { cwd: repo, env, extendEnv: false, reject: false });
    // non-root-user checks Dockerfiles only: the compose file is accepted (no "cannot tell what kind"), nothing applies.
    expect(r.stdout + r.stderr).not.toMatch(/cannot tell what kind/);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
  });
});
