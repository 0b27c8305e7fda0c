/**
 * userns-remap on a real dockerd, through the command line: the gates show this daemon's real
 * counts, `fix --yes` restarts dockerd with remapping, the re-check passes, a container's root is
 * no longer uid 0 outside, and undo brings the old daemon (and its images) back. Then the rollback:
 * a remap user without subordinate ids stops dockerd from starting, the old daemon.json comes back
 * byte for byte and dockerd answers again.
 *
 * dockerd creates the user "dockremap" and its /etc/subuid and /etc/subgid ranges itself the first
 * time it starts with "default" (useradd and usermod; the tests run as root). They stay on the
 * machine afterwards, as they would on a server.
 */
import { steps } from '../../steps/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildBusyboxImage, hasDockerd, startDockerd, type TestDaemon } from '../helpers/dockerd.js';
import { ensureBuilt, runCli } from '../helpers/cli.js';
import step from '../../steps/08-user-namespaces.js';
import { createSession } from '../../src/app/session.js';
import { applyProposal, runStep } from '../../src/core/runner.js';
import type { Proposal } from '../../src/core/step.js';

describe.skipIf(!hasDockerd)('user-namespaces applied to a real dockerd', () => {
  let d: TestDaemon;
  let stateDir: string;
  const common = () => ['--daemon-config', d.configPath, '--restart-command', d.restartScript, '--docker-host', d.host, '--state-dir', stateDir];

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'dh-userns-state-'));
    await Promise.all([ensureBuilt(), (async () => (d = await startDockerd()))()]);
    await buildBusyboxImage(d, 'dh-bb:1');
    await d.docker(['create', '--name', 'dh-c1', '--network', 'none', 'dh-bb:1', 'true']);
    await d.docker(['create', '--name', 'dh-c2', '--network', 'none', 'dh-bb:1', 'true']);
    await d.docker(['volume', 'create', 'dh-v1']);
  }, 300_000);
  afterAll(async () => {
    await d?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const uidMap = async () => (await d.docker(['run', '--rm', '--network', 'none', 'dh-bb:1', 'cat', '/proc/self/uid_map'])).stdout.trim().split(/\s+/).map(Number);

  it('gates with the real counts, fix --yes, remapping live, root no longer uid 0; undo brings the old daemon back', async () => {
    expect(await uidMap()).toEqual([0, 0, 4294967295]);
    const before = readFileSync(d.configPath);

    const check = await runCli(['check', '--host', '--only', 'user-namespaces', '--json', ...common()], { timeoutMs: 120_000 });
    expect(check.exitCode, check.stderr).toBe(1);
    const result = JSON.parse(check.stdout).results[0];
    expect(result.status).toBe('fail');
    expect(result.fix.proposals[0].warnings[0]).toMatch(/^1 image, 2 containers and 1 volume become invisible after the switch/);
    // The test daemon lives in a private temp dir (0700): dockerd would refuse to start remapped
    // ("a subdirectory in your graphroot path restricts access to the remapped root"). The gate
    // says so before anything is written; the person opens the directory, as a server's
    // /var/lib/docker already is.
    expect(result.fix.proposals[0].warnings.join('\n')).toContain(`dockerd will refuse to start with remapping: ${d.dir} (mode 0700) does not let others pass (o+x)`);
    chmodSync(d.dir, 0o711);
    const opened = JSON.parse((await runCli(['check', '--host', '--only', 'user-namespaces', '--json', ...common()], { timeoutMs: 120_000 })).stdout).results[0];
    expect(opened.fix.proposals[0].warnings.join('\n')).not.toContain('dockerd will refuse to start');

    const fix = await runCli(['fix', '--host', '--only', 'user-namespaces', '--yes', '--include-review', ...common()], { timeoutMs: 180_000 });
    expect(fix.exitCode, `${fix.stdout}\n${fix.stderr}\n${d.log().slice(-2000)}`).toBe(0);
    // The gates were shown before the change, with this daemon's numbers.
    expect(fix.stdout).toMatch(/warning: 1 image, 2 containers and 1 volume become invisible after the switch/);
    expect(fix.stdout).toMatch(/\+\s+"userns-remap": "default"/);
    expect(fix.stdout).toMatch(/applied; the check now passes/);

    const info = JSON.parse((await d.docker(['info', '--format', '{{json .SecurityOptions}}'])).stdout) as string[];
    expect(info).toContain('name=userns');
    // The remapped daemon starts empty: the gate was right.
    expect((await d.docker(['images', '-q'])).stdout.trim()).toBe('');
    expect((await d.docker(['ps', '-aq'])).stdout.trim()).toBe('');
    await buildBusyboxImage(d, 'dh-bb:1');
    const [inside, outside] = await uidMap();
    expect(inside).toBe(0);
    expect(outside).not.toBe(0);
    const subuid = readFileSync('/etc/subuid', 'utf8');
    expect(subuid).toMatch(new RegExp(`^dockremap:${outside}:\\d+$`, 'm'));

    const recheck = await runCli(['check', '--host', '--only', 'user-namespaces', '--json', ...common()], { timeoutMs: 120_000 });
    expect(JSON.parse(recheck.stdout).results[0].status).toBe('pass');

    const undo = await runCli(['undo', '--yes', ...common()], { timeoutMs: 180_000 });
    expect(undo.exitCode, `${undo.stdout}\n${undo.stderr}`).toBe(0);
    expect(readFileSync(d.configPath).equals(before)).toBe(true);
    expect(JSON.parse((await d.docker(['info', '--format', '{{json .SecurityOptions}}'])).stdout)).not.toContain('name=userns');
    expect((await d.docker(['ps', '-aq'])).stdout.trim().split('\n')).toHaveLength(2);
    expect(await uidMap()).toEqual([0, 0, 4294967295]);
  }, 400_000);

  it('a remap user without subordinate ids stops dockerd: the old daemon.json comes back byte for byte and dockerd answers again', async () => {
    // "daemon" is a system account: no /etc/subuid range is ever handed to it.
    expect(readFileSync('/etc/subuid', 'utf8')).not.toMatch(/^daemon:/m);
    const before = readFileSync(d.configPath);
    const session = createSession({
      registry: steps,
      host: true,
      only: ['user-namespaces'],
      daemonConfig: d.configPath,
      restartCommand: d.restartScript,
      dockerHost: d.host,
      stateDir,
      env: process.env,
    });
    const target = session.targets[0]!;
    const ctx = session.contexts.get(target)!;
    const run = await runStep(step, ctx);
    const proposed = run.proposals.find((p) => p.id === 'userns-remap-default')!;
    // The same change with a user named where "default" was: it passes every check made before
    // writing (valid JSON, a known key of the right type, no flag conflict), yet dockerd refuses it.
    const change = proposed.changes[0]!;
    const broken: Proposal = { ...proposed, changes: [{ ...change, after: change.after.replace('"default"', '"daemon"') }] };
    expect(broken.changes[0]!.after).toContain('"userns-remap": "daemon"');

    await session.store.lock();
    try {
      const profile = await session.store.load();
      const lines: string[] = [];
      const outcome = await applyProposal(step, target, broken, {
        store: session.store,
        profile,
        daemon: session.daemon,
        beforeWrite: session.beforeWrite,
        recheck: () => runStep(step, ctx),
        log: (l) => lines.push(l),
        readyTimeoutMs: 15_000,
      });
      expect(outcome.status, `${outcome.message}\n${lines.join('\n')}`).toBe('rolled-back');
      expect(outcome.message).toMatch(/was restored byte for byte and dockerd answers again/);
      expect(lines.join('\n')).toMatch(/dockerd did not come back; restoring the previous files/);
    } finally {
      await session.store.unlock();
    }
    expect(readFileSync(d.configPath).equals(before)).toBe(true);
    expect(d.log()).toMatch(/no subuid ranges found for user "daemon"/);
    expect((await d.docker(['info', '--format', '{{.ServerVersion}}'])).exitCode).toBe(0);
    expect(await uidMap()).toEqual([0, 0, 4294967295]);
  }, 300_000);
});
