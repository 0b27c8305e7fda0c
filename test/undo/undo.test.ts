/**
 * `docker-harden undo`: restores what `fix` applied, byte for byte, newest first; refuses (exit 2,
 * nothing touched) when the file was edited since, unless --force; for daemon.json restarts the
 * daemon and, when the old configuration no longer starts, puts the newer one back.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, promises as fs, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main, version } from '../../src/cli.js';
import { ensureBuilt } from '../helpers/cli.js';
import { KEY, ptyEnv, spawnCli } from '../e2e/pty.js';

/** The command line in process (faster than a child per call); no terminal, so nothing is asked. */
async function runCli(argv: string[], options: { env?: Record<string, string> } = {}): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = { write: (t: string) => ((stdout += t), true), isTTY: false } as unknown as NodeJS.WritableStream;
  const err = { write: (t: string) => ((stderr += t), true) } as unknown as NodeJS.WritableStream;
  const exitCode = await main(argv, { stdout: out, stderr: err, stdinIsTTY: false, env: { NO_COLOR: '1', PATH: process.env.PATH, ...options.env }, version: version() });
  return { exitCode, stdout, stderr };
}

const work = mkdtempSync(path.join(os.tmpdir(), 'dh-undo-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const env = { DOCKER_HOST: `unix://${path.join(work, 'none.sock')}`, HOME: work };

// Odd bytes on purpose: a comment, trailing blanks, a tab, no newline at the end.
const ORIGINAL = '# the app\nFROM node:20\t\nWORKDIR /app  \nCOPY --chown=node:node . .\nCMD ["node", "server.js"]';

interface ListedChange {
  id: string;
  step: string;
}

function listed(stdout: string): ListedChange[] {
  return [...stdout.matchAll(/^(\S+)\s+\S+\s+([a-z-]+):/gm)].map((m) => ({ id: m[1]!, step: m[2]! }));
}

describe('undo of Dockerfile fixes', () => {
  let dir: string;
  let dockerfile: string;
  let state: string;
  let n = 0;

  beforeEach(async () => {
    dir = path.join(work, `project-${++n}`);
    state = path.join(dir, '.state');
    dockerfile = path.join(dir, 'Dockerfile');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(dockerfile, ORIGINAL);
    await fs.chmod(dockerfile, 0o640);
  });

  const fix = (only: string) => runCli(['fix', '--file', dockerfile, '--only', only, '--yes', '--include-review', '--state-dir', state], { env });
  const undo = (...args: string[]) => runCli(['undo', '--state-dir', state, ...args], { env });

  it('restores the file byte for byte, with its mode, after an applied change', async () => {
    const applied = await fix('non-root-user');
    expect(applied.exitCode, applied.stderr).not.toBe(2);
    expect(await fs.readFile(dockerfile, 'utf8')).toMatch(/^USER /m);
    const r = await undo('--yes');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/undid .*\(non-root-user\)/);
    expect(await fs.readFile(dockerfile, 'utf8')).toBe(ORIGINAL);
    expect(statSync(dockerfile).mode & 0o777).toBe(0o640);
    // Undone once: there is nothing left to undo.
    const again = await undo('--yes');
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toMatch(/Nothing to undo/);
  });

  it('a file the change created is removed, and said to be; a file it edited is restored', async () => {
    await fs.mkdir(path.join(dir, '.git'));
    const applied = await runCli(['fix', '--file', dockerfile, '--only', 'content-trust:dependabot', '--only', 'non-root-user:set-user', '--yes', '--state-dir', state], { env });
    expect(applied.exitCode, applied.stderr).not.toBe(2);
    const created = path.join(dir, '.github', 'dependabot.yml');
    expect(existsSync(created)).toBe(true);
    const first = await undo('--yes');
    expect(first.stdout).toContain(`removed ${created} (the change created it)`);
    expect(first.stdout).not.toContain(`restored ${created}`);
    expect(existsSync(created)).toBe(false);
    const second = await undo('--yes');
    expect(second.stdout).toContain(`restored ${dockerfile}`);
    expect(await fs.readFile(dockerfile, 'utf8')).toBe(ORIGINAL);
  });

  it('the folders a change made for its new file go with it when empty, and stay when something else is in them', async () => {
    await fs.mkdir(path.join(dir, '.git'));
    const applied = await runCli(['fix', '--file', dockerfile, '--only', 'dependency-scanning:ci-github', '--only', 'content-trust:dependabot', '--yes', '--state-dir', state], { env });
    expect(applied.exitCode, applied.stderr).not.toBe(2);
    const github = path.join(dir, '.github');
    const workflows = path.join(github, 'workflows');
    const profile = JSON.parse(await fs.readFile(path.join(state, 'profile.json'), 'utf8')) as { applied: { step: string; dirs?: string[] }[] };
    // The scan workflow made both folders; Dependabot's file went into one that was there by then.
    expect(profile.applied.map((a) => [a.step, a.dirs])).toEqual([['dependency-scanning', [github, workflows]], ['content-trust', undefined]]);
    const dependabot = await undo('--yes');
    expect(dependabot.stdout).not.toMatch(/removed .*\/ \(docker-harden made it/);
    expect(existsSync(github)).toBe(true);
    const workflow = await undo('--yes');
    expect(workflow.exitCode, workflow.stderr).toBe(0);
    expect(workflow.stdout).toContain(`removed ${workflows}/ (docker-harden made it for a new file; it is empty now)`);
    expect(workflow.stdout).toContain(`removed ${github}/ (docker-harden made it for a new file; it is empty now)`);
    expect(existsSync(github)).toBe(false);

    // Again, with a file of the person's own put in .github meanwhile: that folder stays.
    const again = await runCli(['fix', '--file', dockerfile, '--only', 'dependency-scanning:ci-github', '--yes', '--state-dir', state], { env });
    expect(again.exitCode, again.stderr).not.toBe(2);
    await fs.writeFile(path.join(github, 'CODEOWNERS'), '* @team\n');
    const kept = await undo('--yes');
    expect(kept.stdout).toContain(`removed ${workflows}/ (docker-harden made it for a new file; it is empty now)`);
    expect(kept.stdout).not.toContain(`removed ${github}/ (`);
    expect(await fs.readFile(path.join(github, 'CODEOWNERS'), 'utf8')).toBe('* @team\n');
    expect(existsSync(workflows)).toBe(false);
  });

  it('undone out of order, the older change leaves a folder that holds the newer change\'s file, and the newer one takes it', async () => {
    await fs.mkdir(path.join(dir, '.git'));
    const applied = await runCli(['fix', '--file', dockerfile, '--only', 'dependency-scanning:ci-github', '--only', 'content-trust:dependabot', '--yes', '--state-dir', state], { env });
    expect(applied.exitCode, applied.stderr).not.toBe(2);
    const github = path.join(dir, '.github');
    const older = listed((await undo('--list')).stdout).find((c) => c.step === 'dependency-scanning')!;
    const first = await undo(older.id, '--yes');
    expect(first.exitCode, first.stderr).toBe(0);
    expect(existsSync(path.join(github, 'workflows'))).toBe(false);
    expect(readdirSync(github)).toEqual(['dependabot.yml']);
    const second = await undo('--yes');
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stdout).toContain(`removed ${github}/ (docker-harden made it for a new file; it is empty now)`);
    expect(existsSync(github)).toBe(false);
  });

  it('refuses a profile that names a folder the change did not make for its files, and touches nothing', async () => {
    await fs.mkdir(path.join(dir, '.git'));
    const applied = await runCli(['fix', '--file', dockerfile, '--only', 'dependency-scanning:ci-github', '--yes', '--state-dir', state], { env });
    expect(applied.exitCode, applied.stderr).not.toBe(2);
    const elsewhere = path.join(work, `empty-${n}`);
    await fs.mkdir(elsewhere);
    const file = path.join(state, 'profile.json');
    const profile = JSON.parse(await fs.readFile(file, 'utf8')) as { applied: { dirs?: string[] }[] };
    profile.applied[0]!.dirs = [elsewhere];
    await fs.writeFile(file, JSON.stringify(profile));
    const r = await undo('--yes');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`names the folder "${elsewhere}", which is not one it made for its new files; nothing was restored`);
    expect(existsSync(elsewhere)).toBe(true);
    expect(existsSync(path.join(dir, '.github', 'workflows', 'docker-harden-scan.yml'))).toBe(true);
  });

  it('refuses when the file was edited by hand since, says why, and touches nothing; --force restores', async () => {
    await fix('non-root-user');
    const edited = (await fs.readFile(dockerfile, 'utf8')) + '\nEXPOSE 8080\n';
    await fs.writeFile(dockerfile, edited);
    const refused = await undo('--yes');
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain(dockerfile);
    expect(refused.stderr).toMatch(/was changed since docker-harden wrote it; undo would lose those edits, so nothing was restored/);
    expect(refused.stderr).toMatch(/--force/);
    expect(await fs.readFile(dockerfile, 'utf8')).toBe(edited);
    const forced = await undo('--yes', '--force');
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(await fs.readFile(dockerfile, 'utf8')).toBe(ORIGINAL);
  });

  it('lists newest first, and undoes in that order back to the original', async () => {
    await fix('non-root-user');
    await fix('slim-base-image');
    const list = await undo('--list');
    expect(list.exitCode).toBe(0);
    const changes = listed(list.stdout);
    expect(changes.map((c) => c.step)).toEqual(['slim-base-image', 'non-root-user']);
    // The older change has a newer one on the same file on top of it.
    const older = await undo(changes[1]!.id, '--yes');
    expect(older.exitCode).toBe(2);
    expect(older.stderr).toMatch(new RegExp(`Undo ${changes[0]!.id} first`));
    expect(await fs.readFile(dockerfile, 'utf8')).toMatch(/node:20-slim/);
    expect((await undo(changes[0]!.id, '--yes')).exitCode).toBe(0);
    expect(await fs.readFile(dockerfile, 'utf8')).not.toMatch(/node:20-slim/);
    expect((await undo(changes[1]!.id, '--yes')).exitCode).toBe(0);
    expect(await fs.readFile(dockerfile, 'utf8')).toBe(ORIGINAL);
    const after = await undo('--list');
    expect(after.stdout.match(/undone /g)).toHaveLength(2);
  });

  it('without a terminal asks for --yes, and names an unknown or undone id', async () => {
    await fix('non-root-user');
    const changed = await fs.readFile(dockerfile, 'utf8');
    const noYes = await undo();
    expect(noYes.exitCode).toBe(2);
    expect(noYes.stderr).toMatch(/Pass --yes to undo/);
    expect(await fs.readFile(dockerfile, 'utf8')).toBe(changed);
    const unknown = await undo('no-such-id', '--yes');
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/no applied change with id "no-such-id"/);
    expect(unknown.stderr).toMatch(/undo --list/);
    const [only] = listed((await undo('--list')).stdout);
    expect((await undo(only!.id, '--yes')).exitCode).toBe(0);
    const twice = await undo(only!.id, '--yes');
    expect(twice.exitCode).toBe(2);
    expect(twice.stderr).toMatch(/already undone/);
  });

  it('--run takes back every change of the newest run, newest first, and leaves the run before it', async () => {
    await fix('non-root-user');
    const afterFirst = await fs.readFile(dockerfile, 'utf8');
    // One run that makes two changes: a new CI workflow and an edit of the Dockerfile.
    const second = await runCli(['fix', '--file', dockerfile, '--only', 'slim-base-image,dependency-scanning', '--yes', '--include-review', '--state-dir', state], { env });
    expect(second.stdout).toContain(`to take back the changes of this run: docker-harden undo --state-dir ${state} --run --yes\nfix: 2 fixes applied`);
    const workflow = path.join(dir, '.github', 'workflows', 'docker-harden-scan.yml');
    expect(existsSync(workflow)).toBe(true);
    const list = (await undo('--list')).stdout;
    const runs = [...list.matchAll(/\[applied\]\s+run (\S+)/g)].map((m) => m[1]);
    expect(runs).toHaveLength(3);
    expect(runs[0]).toBe(runs[1]);
    expect(runs[2]).not.toBe(runs[0]);

    const noYes = await undo('--run');
    expect(noYes.exitCode).toBe(2);
    expect(noYes.stderr).toMatch(/Pass --yes to undo the 2 changes of that run/);
    const r = await undo('--run', '--yes');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('undid the 2 changes of the run');
    expect(existsSync(workflow)).toBe(false);
    expect(await fs.readFile(dockerfile, 'utf8')).toBe(afterFirst);
    // The next --run is the run before it.
    expect((await undo('--run', '--yes')).exitCode).toBe(0);
    expect(await fs.readFile(dockerfile, 'utf8')).toBe(ORIGINAL);
    expect((await undo('--run', '--yes')).stdout).toContain('Nothing to undo.');
  });

  it('--run on a terminal lists the run\'s changes and asks once; no keeps everything, yes takes them back', async () => {
    await ensureBuilt();
    await runCli(['fix', '--file', dockerfile, '--only', 'slim-base-image,dependency-scanning', '--yes', '--include-review', '--state-dir', state], { env });
    const changed = await fs.readFile(dockerfile, 'utf8');
    const ask = async (answer: string) => {
      const run = spawnCli(['undo', '--run', '--state-dir', state], { env: ptyEnv(env) });
      const question = (await run.waitFor('changes of the run? [y/N]', 60_000)).replace(/\s+/g, ' ');
      expect(question).toMatch(/slim-base-image: .*dependency-scanning: .*Undo these 2 changes of the run\? \[y\/N\]/);
      await run.type(answer);
      await run.press(KEY.enter);
      expect(await run.exited).toBe(0);
    };
    await ask('n');
    expect(await fs.readFile(dockerfile, 'utf8')).toBe(changed);
    await ask('y');
    expect(await fs.readFile(dockerfile, 'utf8')).toBe(ORIGINAL);
    expect(existsSync(path.join(dir, '.github'))).toBe(false);
  }, 120_000);

  it('--run stops at a change it cannot undo, says what stays, and touches nothing more', async () => {
    await runCli(['fix', '--file', dockerfile, '--only', 'slim-base-image,dependency-scanning', '--yes', '--include-review', '--state-dir', state], { env });
    const workflow = path.join(dir, '.github', 'workflows', 'docker-harden-scan.yml');
    // The Dockerfile, changed last, is edited by hand: the run's undo stops there.
    await fs.appendFile(dockerfile, '\n# edited by hand\n');
    const edited = await fs.readFile(dockerfile, 'utf8');
    const r = await undo('--run', '--yes');
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toMatch(/undo --run stopped at \S+: 0 of the run's 2 changes undone; \S+, \S+ stay in place/);
    expect(r.stderr).toMatch(/was changed since docker-harden wrote it/);
    expect(await fs.readFile(dockerfile, 'utf8')).toBe(edited);
    expect(existsSync(workflow)).toBe(true);
  });

  it('--run with a change id or --list is refused, naming what to run', async () => {
    for (const [argv, message] of [
      [['--run', 'abc'], /undo --run takes back every change of the newest run, so it takes no change id[\s\S]*docker-harden undo abc --yes/],
      [['--run', '--list'], /so it takes no --list/],
    ] as const) {
      const r = await undo(...argv);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it('refuses when the file is gone, and --force then puts it back', async () => {
    await fix('non-root-user');
    await fs.unlink(dockerfile);
    const refused = await undo('--yes');
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/was changed since docker-harden wrote it/);
    const forced = await undo('--yes', '--force');
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(await fs.readFile(dockerfile, 'utf8')).toBe(ORIGINAL);
  });
});

describe('undo of a daemon.json change, against the learn sandbox recorded daemon', () => {
  const sandbox = path.join(work, 'sandbox');
  const daemonJson = path.join(sandbox, 'daemon.json');
  const run = (...args: string[]) => runCli([...args, '--sandbox', sandbox], { env });
  const liveConfig = async () => (JSON.parse(await fs.readFile(path.join(sandbox, '.docker-harden', 'recorded-daemon.json'), 'utf8')) as { config: Record<string, unknown> }).config;

  beforeAll(async () => {
    expect((await run('learn')).exitCode).toBe(0);
  });

  it('restores daemon.json byte for byte and restarts the daemon with it', async () => {
    const original = await fs.readFile(daemonJson, 'utf8');
    const applied = await run('fix', '--only', 'scan-host-config:live-restore', '--yes', '--include-review');
    expect(applied.exitCode, applied.stderr).not.toBe(2);
    expect((await liveConfig())['live-restore']).toBe(true);
    const r = await run('undo', '--yes');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/on a real server this would run `systemctl restart docker`/);
    expect(await fs.readFile(daemonJson, 'utf8')).toBe(original);
    expect((await liveConfig())['live-restore']).toBeUndefined();
  });

  it('when the old daemon.json no longer starts, puts the newer one back and says so', async () => {
    const original = await fs.readFile(daemonJson, 'utf8');
    const applied = await run('fix', '--only', 'scan-host-config:insecure-registries', '--yes', '--include-review');
    expect(applied.exitCode, applied.stderr).not.toBe(2);
    const fixed = await fs.readFile(daemonJson, 'utf8');
    expect(fixed).not.toMatch(/insecure-registries/);
    // Since then someone passed the same setting as a flag in the unit: the old file would clash.
    const dropIn = path.join(sandbox, 'host', 'etc', 'systemd', 'system', 'docker.service.d', 'zz-registry.conf');
    await fs.writeFile(dropIn, '[Service]\nExecStart=\nExecStart=/usr/bin/dockerd --containerd=/run/containerd/containerd.sock --insecure-registry=registry.shop.internal:5000\n');
    try {
      const r = await run('undo', '--yes');
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(/dockerd did not come back after the undo/);
      expect(r.stderr).toMatch(/insecure-registries/);
      expect(r.stderr).toMatch(/put back as they were before the undo/);
      expect(await fs.readFile(daemonJson, 'utf8')).toBe(fixed);
      expect((await liveConfig())['insecure-registries']).toBeUndefined();
    } finally {
      await fs.unlink(dropIn);
    }
    expect((await run('undo', '--yes')).exitCode).toBe(0);
    expect(await fs.readFile(daemonJson, 'utf8')).toBe(original);
  });
});
