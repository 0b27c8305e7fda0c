/**
 * CI fit: files named without a flag are told apart by name, --fail-on sets the exit threshold,
 * and the names the pre-commit hook and the Action pick are exactly the names `check` accepts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseArgs, targetKind } from '../../src/args.js';
import { ensureBuilt, repoRoot, runCli } from '../helpers/cli.js';

const NAMES: [string, ReturnType<typeof targetKind>][] = [
  ['Dockerfile', 'dockerfile'],
  ['svc/api/Dockerfile', 'dockerfile'],
  ['Dockerfile.prod', 'dockerfile'],
  ['api.Dockerfile', 'dockerfile'],
  ['build/worker.dockerfile', 'dockerfile'],
  ['Containerfile', 'dockerfile'],
  ['compose.yaml', 'compose'],
  ['compose.yml', 'compose'],
  ['deploy/compose.override.yaml', 'compose'],
  ['docker-compose.yml', 'compose'],
  ['docker-compose.prod.yaml', 'compose'],
  ['etc/docker/daemon.json', 'daemon-config'],
  ['Dockerfile.md', 'dockerfile'],
  ['Dockerfile.dockerignore', undefined],
  ['svc/api.Dockerfile.dockerignore', undefined],
  ['dockerfile', undefined],
  ['Compose.yaml', undefined],
  ['README.md', undefined],
  ['Dockerfiles/notes.txt', undefined],
  ['composer.yaml', undefined],
  ['mycompose.yaml', undefined],
  ['package.json', undefined],
];

describe('files by name', () => {
  it.each(NAMES)('%s is %s', (name, kind) => {
    expect(targetKind(name)).toBe(kind);
  });

  it('check sorts them into Dockerfiles and compose files; -- ends the options', () => {
    const args = parseArgs(['check', 'Dockerfile', 'compose.yaml', '--only', 'non-root-user', '--', '-odd/Dockerfile']);
    expect(args.files).toEqual(['Dockerfile', '-odd/Dockerfile']);
    expect(args.composeFiles).toEqual(['compose.yaml']);
    expect(args.positional).toEqual([]);
    expect(args.only).toEqual(['non-root-user']);
  });

  it('an unknown name and daemon.json are refused with what to type instead', () => {
    expect(() => parseArgs(['check', 'notes.txt'])).toThrow(/cannot tell what kind of file "notes.txt" is/);
    expect(() => parseArgs(['check', 'daemon.json'])).toThrow(/daemon configuration/);
    expect(() => parseArgs(['undo', 'abc123']).positional).not.toThrow();
    expect(parseArgs(['undo', 'abc123']).positional).toEqual(['abc123']);
  });

  it("the pre-commit hook's files pattern and the Action's pattern pick exactly these names", () => {
    const hooks = parseYaml(readFileSync(path.join(repoRoot, '.pre-commit-hooks.yaml'), 'utf8')) as { id: string; files: string; exclude: string; entry: string }[];
    const hook = hooks.find((h) => h.id === 'docker-harden')!;
    expect(hook.entry).toBe('docker-harden check');
    const action = readFileSync(path.join(repoRoot, 'action.yml'), 'utf8');
    expect(/grep -zE '([^']+)'/.exec(action)![1]!).toBe(hook.files);
    expect(/grep -zvE '([^']+)'/.exec(action)![1]!).toBe(hook.exclude);
    const picked = (name: string) => new RegExp(hook.files).test(name) && !new RegExp(hook.exclude).test(name);
    for (const [name, kind] of NAMES) expect(picked(name), name).toBe(kind === 'dockerfile' || kind === 'compose');
  });
});

describe('check FILE... and --fail-on through the command line', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dh-ci-files-'));
    writeFileSync(path.join(dir, 'Dockerfile'), 'FROM node:20\nCMD ["node", "server.js"]\n');
    writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  web:\n    image: nginx:1.27\n    privileged: true\n');
    await ensureBuilt();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a Dockerfile and a compose file named as pre-commit passes them are both checked', async () => {
    const r = await runCli(['check', 'Dockerfile', 'compose.yaml', '--json'], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(1);
    const targets = new Set((JSON.parse(r.stdout) as { results: { target: string }[] }).results.map((e) => e.target));
    expect(targets).toEqual(new Set([path.join(dir, 'Dockerfile'), path.join(dir, 'compose.yaml')]));
  });

  it('the root user is a high finding: it fails at high and below, not at critical', async () => {
    const base = ['check', 'Dockerfile', '--only', 'non-root-user'];
    const plain = await runCli(base, { cwd: dir });
    expect(plain.exitCode).toBe(1);
    expect(plain.stdout).toMatch(/\[high\]/);
    expect(plain.stdout).toMatch(/^1 check: 1 fail$/m);
    expect((await runCli([...base, '--fail-on', 'critical'], { cwd: dir })).exitCode).toBe(0);
    expect((await runCli([...base, '--fail-on', 'high'], { cwd: dir })).exitCode).toBe(1);
    expect((await runCli([...base, '--fail-on=low'], { cwd: dir })).exitCode).toBe(1);
  });

  it('a bad threshold is exit 2 with a suggestion, nothing checked', async () => {
    const r = await runCli(['check', 'Dockerfile', '--fail-on', 'hihg'], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--fail-on takes critical, high, medium, low, not "hihg"/);
    expect(r.stderr).toMatch(/Did you mean "high"\?/);
    expect(r.stdout).toBe('');
  });
});
