/**
 * The learn sandbox: example files with real problems and a recorded server, walked by all the
 * registry's steps with no Docker daemon, writing nowhere but the sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, promises as fs, readdirSync, lstatSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prepareLearnSandbox, sandboxOutcome, SANDBOX_MARKER, type LearnSandbox } from '../../src/core/learn.js';
import { unifiedDiff } from '../../src/core/change.js';
import { createSession, type Session } from '../../src/app/session.js';
import { applyProposal, runStep, type StepRun } from '../../src/core/runner.js';
import type { Proposal, Step } from '../../src/core/step.js';
import { steps as registry, STEP_IDS } from '../../steps/index.js';
import { UserError } from '../../src/core/errors.js';
import { ensureBuilt, runCli } from '../helpers/cli.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'dh-learn-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** path -> "kind size mtime" for everything under `dir` (except `skip`), to compare before and after. */
function snapshot(dir: string, skip: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = path.join(d, name);
      if (skip.some((s) => full === s || full.startsWith(s + path.sep))) continue;
      const info = lstatSync(full);
      out[full] = `${info.isDirectory() ? 'dir' : 'file'} ${info.isDirectory() ? '' : info.size} ${info.mtimeMs}`;
      if (info.isDirectory()) walk(full);
    }
  };
  out[dir] = `dir ${lstatSync(dir).mtimeMs}`;
  walk(dir);
  return out;
}

async function runAll(session: Session): Promise<StepRun[]> {
  const runs: StepRun[] = [];
  for (const { step, ctx } of session.pairs()) runs.push(await runStep(step, ctx));
  return runs;
}

function stepOf(session: Session, id: string): Step {
  return session.steps.find((s) => s.meta.id === id)!;
}

describe('learn sandbox, in process', () => {
  let sandbox: LearnSandbox;
  let session: Session;

  beforeAll(async () => {
    sandbox = await prepareLearnSandbox({ dir: path.join(work, 'sandbox'), env: {} });
    session = createSession({ ...sandbox.sessionOptions, registry });
  });

  it('copies the example files and the recorded host into the sandbox, with its state inside', async () => {
    for (const name of ['daemon.json', 'Dockerfile', 'compose.yaml', 'host.json', SANDBOX_MARKER]) expect(existsSync(path.join(sandbox.dir, name))).toBe(true);
    expect(existsSync(path.join(sandbox.dir, 'host', 'etc', 'group'))).toBe(true);
    expect(existsSync(path.join(sandbox.dir, 'host', 'usr', 'lib', 'systemd', 'system', 'docker.service'))).toBe(true);
    expect(session.store.stateDir.startsWith(sandbox.dir + path.sep)).toBe(true);
    expect(session.targets.map((t) => t.kind)).toEqual(['host', 'dockerfile', 'compose']);
    expect(session.steps.map((s) => s.meta.id)).toEqual([...STEP_IDS]);
  });

  it('runs every step of the registry to a real status, none of them an error', async () => {
    const runs = await runAll(session);
    const errors = runs.filter((r) => r.result.status === 'error').map((r) => `${r.step.meta.id} on ${r.target.label}: ${r.result.findings[0]?.message}`);
    expect(errors).toEqual([]);
    expect(new Set(runs.map((r) => r.step.meta.id))).toEqual(new Set(STEP_IDS));
  });

  it('every diff names the file the sandbox really writes: its copy of /etc/environment, not the server\'s', async () => {
    const runs = await runAll(session);
    const changes = runs.flatMap((r) => r.proposals.flatMap((p) => p.changes));
    expect(changes.length).toBeGreaterThan(5);
    for (const change of changes) expect(change.path.startsWith(sandbox.dir + path.sep), change.path).toBe(true);
    const environment = changes.find((c) => c.path.endsWith(`${path.sep}etc${path.sep}environment`));
    expect(environment?.path).toBe(path.join(sandbox.dir, 'host', 'etc', 'environment'));
    const diff = unifiedDiff(environment!);
    expect(diff).toContain(`--- ${path.join(sandbox.dir, 'host', 'etc', 'environment')}`);
    expect(diff).not.toMatch(/^--- \/etc\/environment/m);
  });

  it('outcomes say "sandbox", label what was simulated, and never say "applied"', () => {
    const command = { title: 'install', argv: ['apt-get', 'install', '-y', 'falco'], run: true };
    const file = { path: '/s/host/etc/environment', before: 'a\n', after: '' };
    const simulated = sandboxOutcome('applied; the check now passes', { changes: [file], commands: [command] });
    expect(simulated).toMatch(/^simulated in the learn sandbox \(no command ran\): the sandbox copy was written; the check of the sandbox now passes$/);
    const restarted = sandboxOutcome('applied; confirmed by a fresh check (2 other findings of this step remain)', { changes: [file], commands: [], daemon: 'restart' });
    expect(restarted).toMatch(/^simulated in the learn sandbox \(no dockerd restarted, the recorded one re-read the sandbox daemon\.json\): the sandbox copy was written; confirmed/);
    const written = sandboxOutcome('applied, but the check still reports fail', { changes: [file], commands: [] });
    expect(written).toBe('in the learn sandbox: the sandbox copy was written, but the check still reports fail');
    const rolledBack = sandboxOutcome('dockerd did not come back after the change (x).', { changes: [file], commands: [], daemon: 'restart' });
    expect(rolledBack).toMatch(/^simulated in the learn sandbox .*: dockerd did not come back/);
    for (const m of [simulated, restarted, written, rolledBack]) expect(m).not.toMatch(/\bapplied\b/);
  });

  it('finds the problems the examples were written with', async () => {
    const runs = await runAll(session);
    const failing = (id: string) => runs.some((r) => r.step.meta.id === id && (r.result.status === 'fail' || r.result.status === 'warn'));
    for (const id of STEP_IDS.filter((s) => s !== 'security-platforms')) expect(failing(id), id).toBe(true);
    const messages = runs.flatMap((r) => r.result.findings.map((f) => f.message)).join('\n');
    expect(messages).toMatch(/tcp:\/\/0\.0\.0\.0:2375/);
    expect(messages).toMatch(/privileged/);
    expect(messages).toMatch(/node:20/);
  });

  it('reads host files from the sandbox copy, and the live daemon from the sandbox daemon.json', async () => {
    const members = await sandbox.sessionOptions.probe!.groupMembers('docker');
    expect(members.sort()).toEqual(['ci', 'deploy']);
    const socket = await sandbox.sessionOptions.probe!.stat('/var/run/docker.sock');
    expect(socket).toMatchObject({ isSocket: true, mode: 0o660, uid: 0, gid: 989 });
    const info = await sandbox.host.info();
    expect(info.ExperimentalBuild).toBe(true);
    expect(((info.Warnings as string[] | undefined) ?? []).join('\n')).toMatch(/http:\/\/0\.0\.0\.0:2375 without encryption/);
    const units = await sandbox.host.serviceUnits();
    expect(units.manager).toBe('systemd');
    expect(units.execStart).toEqual(['/usr/bin/dockerd', '--containerd=/run/containerd/containerd.sock']);
  });

  it('a daemon.json change becomes live only when the recorded daemon is restarted', async () => {
    const file = path.join(sandbox.dir, 'daemon.json');
    const before = await fs.readFile(file, 'utf8');
    const after = before.replace('"experimental": true,', '"experimental": true,\n  "live-restore": true,');
    const pidBefore = (await sandbox.host.daemonProcess())!.pid;
    const profile = await session.store.load();
    const lines: string[] = [];
    const proposal: Proposal = { kind: 'change', id: 'live-restore', title: 'Turn on live-restore', changes: [{ path: file, before, after }], commands: [], daemon: 'restart', warnings: [] };
    const outcome = await applyProposal(stepOf(session, 'scan-host-config'), session.targets[0]!, proposal, {
      store: session.store,
      profile,
      daemon: session.daemon,
      beforeWrite: session.beforeWrite,
      log: (l) => lines.push(l),
    });
    expect(outcome.status).toBe('applied');
    expect((await sandbox.host.info()).LiveRestoreEnabled).toBe(true);
    expect((await sandbox.host.daemonProcess())!.pid).toBe(pidBefore + 1);
    expect(lines.join('\n')).toMatch(/on a real server this would run `systemctl restart docker`/);
    // A fresh session (another run) sees the daemon as it was last started.
    const again = await prepareLearnSandbox({ dir: sandbox.dir, env: {} });
    expect(again.created).toBe(false);
    expect((await again.host.info()).LiveRestoreEnabled).toBe(true);
  });

  it('the recorded daemon refuses to start with what dockerd refuses, and keeps running as it was', async () => {
    const file = path.join(sandbox.dir, 'daemon.json');
    const good = await fs.readFile(file, 'utf8');
    try {
      await fs.writeFile(file, good.replace('{', '{\n  "containerd": "/run/other/containerd.sock",'));
      await expect(sandbox.host.restart('restart')).rejects.toThrow(/would not start: "containerd" is set in .* and as a flag/);
      await fs.writeFile(file, good.replace('{', '{\n  "icc": false, "iptables": false,'));
      await expect(sandbox.host.restart('restart')).rejects.toThrow(/icc.*iptables/);
      await fs.writeFile(file, good.replace('{', '{ // comment\n'));
      await expect(sandbox.host.restart('restart')).rejects.toThrow(/would not start with this daemon.json/);
      expect((await sandbox.host.info()).ExperimentalBuild).toBe(true);
    } finally {
      await fs.writeFile(file, good);
    }
  });

  it('userns-remap on the recorded daemon hides the containers and images the rootful daemon had', async () => {
    const file = path.join(sandbox.dir, 'daemon.json');
    const good = await fs.readFile(file, 'utf8');
    expect((await sandbox.host.containers()).length).toBe(4);
    try {
      await fs.writeFile(file, good.replace('{', '{\n  "userns-remap": "default",'));
      await sandbox.host.restart('restart');
      expect(await sandbox.host.containers()).toEqual([]);
      expect(await sandbox.host.volumeCount()).toBe(0);
      const info = await sandbox.host.info();
      expect(info.SecurityOptions).toContain('name=userns');
      expect(info.DockerRootDir).toBe('/var/lib/docker/100000.100000');
    } finally {
      await fs.writeFile(file, good);
      await sandbox.host.restart('restart');
    }
    expect((await sandbox.host.containers()).length).toBe(4);
  });

  it('a fix to a host file is written to the sandbox copy, and the host steps see it', async () => {
    const dropIn = '/etc/systemd/system/docker.service.d/zz-learn-test.conf';
    const realExisted = existsSync(dropIn);
    const profile = await session.store.load();
    const proposal: Proposal = {
      kind: 'change',
      risk: 'review',
      id: 'drop-in',
      title: 'A drop-in',
      changes: [{ path: dropIn, before: null, after: '[Service]\nExecStart=\nExecStart=/usr/bin/dockerd --containerd=/run/containerd/containerd.sock --icc=false\n' }],
      commands: [],
      warnings: [],
    };
    const outcome = await applyProposal(stepOf(session, 'scan-host-config'), session.targets[0]!, proposal, { store: session.store, profile, daemon: session.daemon, beforeWrite: session.beforeWrite });
    expect(outcome.status).toBe('applied');
    const copy = path.join(sandbox.dir, 'host', dropIn);
    expect(await fs.readFile(copy, 'utf8')).toMatch(/--icc=false/);
    expect(existsSync(dropIn)).toBe(realExisted);
    expect(outcome.record!.files[0]!.path).toBe(copy);
    const units = await sandbox.host.serviceUnits();
    expect(units.execStartFlags).toContainEqual({ name: 'icc', value: 'false' });
    await fs.unlink(copy);
  });

  it('commands of a fix are described, never run', async () => {
    const marker = path.join(work, 'must-not-exist');
    const profile = await session.store.load();
    const lines: string[] = [];
    const proposal: Proposal = { kind: 'command', id: 'cmd', title: 'A command', changes: [], commands: [{ title: 'touch', argv: ['touch', marker], run: true }], warnings: [] };
    await applyProposal(stepOf(session, 'protect-docker-socket'), session.targets[0]!, proposal, { store: session.store, profile, daemon: session.daemon, beforeWrite: session.beforeWrite, log: (l) => lines.push(l) });
    expect(existsSync(marker)).toBe(false);
    expect(lines.join("\n")).toContain(`on a real server this would run: touch ${marker}`);
  });

  it('resumes an existing sandbox without copying over what the learner changed', async () => {
    const dir = path.join(work, 'resume');
    const first = await prepareLearnSandbox({ dir, env: {} });
    expect(first.created).toBe(true);
    await fs.writeFile(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
    const second = await prepareLearnSandbox({ dir, env: {} });
    expect(second.created).toBe(false);
    expect(await fs.readFile(path.join(dir, 'Dockerfile'), 'utf8')).toBe('FROM scratch\n');
  });

  it('refuses a directory that holds other files, and copies nothing into it', async () => {
    const dir = path.join(work, 'someones-project');
    await fs.mkdir(dir);
    await fs.writeFile(path.join(dir, 'notes.txt'), 'mine\n');
    const err = await prepareLearnSandbox({ dir, env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).format()).toMatch(/not empty and is not a docker-harden learn sandbox/);
    expect(readdirSync(dir)).toEqual(['notes.txt']);
  });

  it.skipIf(process.getuid?.() !== 0)('refuses an empty directory another account owns, or one in a folder it owns: it could plant a link (host -> /) mid-copy; nothing is copied', async () => {
    for (const [dir, owned, named] of [
      [path.join(work, 'nobodys-sandbox'), path.join(work, 'nobodys-sandbox'), 'it'],
      [path.join(work, 'nobodys-folder', 'sandbox'), path.join(work, 'nobodys-folder'), path.join(work, 'nobodys-folder')],
    ] as const) {
      await fs.mkdir(dir, { recursive: true });
      await fs.chown(owned, 65534, 65534);
      const err = await prepareLearnSandbox({ dir, env: {} }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).format()).toContain(`${dir}: cannot be a learn sandbox: ${named} is owned by uid 65534`);
      expect((err as UserError).format()).toMatch(/nothing was copied/);
      expect(readdirSync(dir)).toEqual([]);
    }
  });

  it('makes a fresh directory under TMPDIR when none is given', async () => {
    const tmp = path.join(work, 'tmpdir');
    await fs.mkdir(tmp);
    const fresh = await prepareLearnSandbox({ env: { TMPDIR: tmp } });
    expect(path.dirname(fresh.dir)).toBe(await fs.realpath(tmp));
    expect(path.basename(fresh.dir)).toMatch(/^docker-harden-learn-/);
  });
});

describe('learn sandbox through the command line, with no Docker daemon', () => {
  const world = path.join(work, 'world');
  const home = path.join(world, 'home');
  const cwd = path.join(world, 'cwd');
  const tmp = path.join(world, 'tmp');
  const sandboxDir = path.join(tmp, 'my-sandbox');
  // As root the default state directory is /var/lib/docker-harden: it must stay as it was.
  const defaultStateDir = '/var/lib/docker-harden';
  const env = {
    HOME: home,
    TMPDIR: tmp,
    XDG_STATE_HOME: path.join(home, '.local', 'state'),
    DOCKER_CONFIG: path.join(home, '.docker'),
    DOCKER_HOST: `unix://${path.join(world, 'no-such-docker.sock')}`,
    DOCKER_HARDEN_STATE_DIR: '',
    PATH: process.env.PATH,
  };

  beforeAll(async () => {
    for (const d of [home, cwd, tmp]) await fs.mkdir(d, { recursive: true });
    await fs.writeFile(path.join(cwd, 'README'), 'a folder the learner happens to be in\n');
    await ensureBuilt();
  });

  it('prepares, checks, fixes, lists and reports, writing only inside the sandbox', async () => {
    const before = { world: snapshot(world), state: snapshot(defaultStateDir) };

    const prepared = await runCli(['learn', '--sandbox', sandboxDir], { env, cwd });
    expect(prepared.exitCode, prepared.stderr).toBe(0);
    expect(prepared.stdout).toContain(`Learn sandbox ready in ${sandboxDir}`);
    expect(prepared.stdout).toContain(`docker-harden check --sandbox ${sandboxDir}`);

    const check = await runCli(['check', '--sandbox', sandboxDir, '--json'], { env, cwd });
    expect(check.exitCode, check.stderr).not.toBe(0);
    const doc = JSON.parse(check.stdout) as { results: { step: string; status: string }[] };
    expect(new Set(doc.results.map((r) => r.step))).toEqual(new Set(STEP_IDS));

    const fix = await runCli(['fix', '--sandbox', sandboxDir, '--only', 'non-root-user,slim-base-image', '--yes', '--include-review'], { env, cwd, timeoutMs: 120_000 });
    expect(fix.exitCode, fix.stderr).not.toBe(2);
    expect(await fs.readFile(path.join(sandboxDir, 'Dockerfile'), 'utf8')).toMatch(/^USER /m);

    const list = await runCli(['undo', '--sandbox', sandboxDir, '--list'], { env, cwd });
    expect(list.exitCode, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/non-root-user/);

    const report = await runCli(['report', '--sandbox', sandboxDir, '--format', 'md'], { env, cwd });
    expect(report.exitCode, report.stderr).toBe(0);
    expect(report.stdout).toMatch(/^# docker-harden report/);

    const after = { world: snapshot(world, [sandboxDir]), state: snapshot(defaultStateDir) };
    // The sandbox itself is new in tmp/, so tmp/'s own entry changed; nothing else did.
    delete before.world[tmp];
    delete after.world[tmp];
    delete after.world[sandboxDir];
    expect(after).toEqual(before);
  });

  it('fix in the sandbox names the sandbox copies, labels the simulated restart, and never prints a bare "applied"', async () => {
    const dir = path.join(tmp, 'fix-words');
    const fix = await runCli(['fix', '--sandbox', dir, '--only', 'content-trust,scan-host-config', '--yes', '--include-review'], { env, cwd, timeoutMs: 120_000 });
    expect(fix.exitCode, fix.stderr).not.toBe(2);
    expect(fix.stdout).toContain(`--- ${path.join(dir, 'host', 'etc', 'environment')}`);
    expect(fix.stdout).not.toMatch(/^\s*--- \/etc\//m);
    expect(fix.stdout).toMatch(/in the learn sandbox: the sandbox copy was written; the check of the sandbox now passes/);
    expect(fix.stdout).toMatch(/simulated in the learn sandbox \(no dockerd restarted/);
    expect(fix.stdout).not.toMatch(/^\s*applied/m);
    // The commands it suggests work on the sandbox: undo's hint names it.
    const missing = await runCli(['undo', '--sandbox', dir, 'no-such-id'], { env, cwd });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain(`docker-harden undo --sandbox ${dir} --list`);
    const list = await runCli(['undo', '--sandbox', dir, '--list'], { env, cwd });
    expect(list.exitCode, list.stderr).toBe(0);
    expect(list.stdout).toContain(path.join(dir, 'host', 'etc', 'environment'));
  });

  it('without a terminal and without --sandbox, learn says how to go on and changes nothing', async () => {
    const before = snapshot(world);
    const r = await runCli(['learn'], { env, cwd });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/needs a terminal/);
    expect(r.stderr).toMatch(/docker-harden learn --sandbox DIR/);
    expect(snapshot(world)).toEqual(before);
  });

  it('--sandbox with targets of its own is refused', async () => {
    const r = await runCli(['check', '--sandbox', sandboxDir, '--file', 'Dockerfile'], { env, cwd });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--sandbox brings its own targets/);
  });
});
