/**
 * Applying daemon.json changes on a real dockerd through the CLI: write with a backup, restart
 * with --restart-command, wait for the daemon, re-check, and observe the effect live. A change
 * dockerd refuses at start is rolled back byte for byte; a flag/file conflict is refused before
 * anything is written; an unreachable or forbidden socket gives a clear message while the file
 * steps still work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildBusyboxImage, hasDockerd, startDockerd, type TestDaemon } from '../helpers/dockerd.js';
import { ensureBuilt, runCli, binPath } from '../helpers/cli.js';
import { freePort } from '../helpers/host-tools.js';
import { execa } from 'execa';
import { createHostFacts } from '../../src/host/client.js';
import { systemProbe } from '../../src/core/probe.js';
import { applyProposal } from '../../src/core/runner.js';
import { ProfileStore } from '../../src/core/profile.js';
import { daemonBeforeWrite, createDaemonControl } from '../../src/host/service.js';
import { editDaemonConfig } from '../../src/host/daemon-edit.js';
import { hostTarget } from '../helpers/world.js';
import scanHostConfig from '../../steps/02-scan-host-config.js';
import { UserError } from '../../src/core/errors.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'dh-apply-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cliArgs(d: TestDaemon, stateDir: string): string[] {
  return ['--docker-host', d.host, '--daemon-config', d.configPath, '--restart-command', d.restartScript, '--state-dir', stateDir];
}

function cisStatuses(stdout: string): Record<string, string> {
  const result = JSON.parse(stdout).results.find((r: { step: string }) => r.step === 'scan-host-config');
  const out: Record<string, string> = {};
  for (const n of result.notes as string[]) {
    const m = /^CIS [\d.]+ (\S+): (\S+)/.exec(n);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

describe.skipIf(!hasDockerd)('fix --host on a real dockerd: apply, restart, observe', () => {
  let d: TestDaemon;
  const state = path.join(tmp, 'state-apply');

  beforeAll(async () => {
    await ensureBuilt();
    d = await startDockerd({ config: '{\n    "bridge": "none"\n}\n' });
    await buildBusyboxImage(d, 'dh-apply:bb');
  }, 300_000);
  afterAll(async () => d?.stop(), 60_000);

  it('applies no-new-privileges, live-restore, userland-proxy and log rotation, and they are live; icc is left alone without a default bridge', async () => {
    // A running container with no restart policy: it survives only if live-restore is on before the first restart.
    await d.docker(['run', '-d', '--name', 'keeps-running', '--network', 'none', 'dh-apply:bb', 'sleep', '100000']);
    const pidBefore = d.pid();
    // icc is asked for too: with "bridge": "none" there is no default bridge for it, so nothing is written for it.
    const only = ['icc', 'no-new-privileges', 'live-restore', 'userland-proxy', 'log-opts'].map((id) => `scan-host-config:${id}`).join(',');
    const r = await runCli(['fix', '--host', '--only', only, '--yes', '--include-review', ...cliArgs(d, state)], { timeoutMs: 400_000 });
    expect(r.stdout).toContain(`wrote ${d.configPath}`);
    expect(r.stdout).toContain('restarting dockerd');
    expect(r.stdout).toContain('reloading dockerd');
    expect(r.stdout).toContain('dockerd answers');
    expect(r.stdout).not.toContain('did not come back');
    // A new dockerd process was seen answering: no-new-privileges and userland-proxy, which docker info does not show, count as live.
    expect(r.stdout).not.toContain('not confirmed live');

    // The file: the person's four-space indent and key order kept, the new keys appended.
    const text = readFileSync(d.configPath, 'utf8');
    expect(text.startsWith('{\n    "bridge": "none",\n')).toBe(true);
    expect(JSON.parse(text)).toEqual({
      bridge: 'none',
      'no-new-privileges': true,
      'live-restore': true,
      'userland-proxy': false,
      'log-opts': { 'max-size': '10m', 'max-file': '3' },
    });
    expect(d.pid()).not.toBe(pidBefore);
    expect((await d.docker(['inspect', '-f', '{{.State.Running}}', 'keeps-running'])).stdout.trim()).toBe('true');
    await d.docker(['rm', '-f', 'keeps-running']);

    // Live: no_new_privs in a new container, live-restore in docker info, rotation on new containers.
    const status = await d.docker(['run', '--rm', '--network', 'none', 'dh-apply:bb', 'grep', 'NoNewPrivs', '/proc/self/status']);
    expect(status.stdout).toMatch(/NoNewPrivs:\s+1/);
    const info = await d.docker(['info', '--format', '{{.LiveRestoreEnabled}}']);
    expect(info.stdout.trim()).toBe('true');
    await d.docker(['create', '--name', 'logged', '--network', 'none', 'dh-apply:bb', 'true']);
    const logConfig = JSON.parse((await d.docker(['inspect', '-f', '{{json .HostConfig.LogConfig}}', 'logged'])).stdout);
    expect(logConfig).toEqual({ Type: 'json-file', Config: { 'max-file': '3', 'max-size': '10m' } });
    await d.docker(['rm', 'logged']);

    // The check now passes for each of them, judged from the file, the flags and the live daemon.
    const check = await runCli(['check', '--host', '--only', 'scan-host-config', '--json', ...cliArgs(d, state)]);
    expect(cisStatuses(check.stdout)).toMatchObject({ icc: 'not-applicable', 'no-new-privileges': 'pass', 'live-restore': 'pass', 'userland-proxy': 'pass', 'log-opts': 'pass' });

    // Each change is in the profile with a backup, and can be undone.
    const profile = JSON.parse(readFileSync(path.join(state, 'profile.json'), 'utf8'));
    // Applied in order of impact: live-restore (a reload) before everything that restarts dockerd.
    const order = profile.applied.map((a: { proposal: string }) => a.proposal);
    expect(order[0]).toBe('live-restore');
    expect([...order].sort()).toEqual(['live-restore', 'log-opts', 'no-new-privileges', 'userland-proxy']);
  }, 420_000);

  it('a key set both as a flag and in the file is refused before anything is written', async () => {
    // The running dockerd has --log-level on its command line (from its restart script).
    const flagged = await startDockerd({ extraFlags: ['--log-level=warn'] });
    try {
      const host = createHostFacts({ dockerHost: flagged.host, daemonConfigPath: flagged.configPath, env: {}, probe: systemProbe() });
      const before = readFileSync(flagged.configPath);
      const store = new ProfileStore(path.join(tmp, 'state-conflict'));
      const proposal = {
        kind: 'change' as const,
        risk: 'review' as const,
        id: 'log-level',
        title: 'log at info',
        changes: [{ path: flagged.configPath, before: before.toString('utf8'), after: editDaemonConfig(before.toString('utf8'), [{ path: ['log-level'], value: 'info' }]) }],
        commands: [],
        daemon: 'restart' as const,
        warnings: [],
      };
      const attempt = applyProposal(scanHostConfig, hostTarget, proposal, {
        store,
        profile: await store.load(),
        daemon: createDaemonControl({ restartCommand: flagged.restartScript, host }),
        beforeWrite: (p) => daemonBeforeWrite(host, p),
      });
      await expect(attempt).rejects.toThrow(UserError);
      await expect(attempt).rejects.toThrow(/"log-level" is set in .* and as a flag: --log-level=warn \(dockerd command line \(pid \d+\)\); dockerd refuses to start .*nothing was written/);
      expect(readFileSync(flagged.configPath).equals(before)).toBe(true);
      expect(existsSync(store.backupDir) ? readdirSync(store.backupDir) : []).toEqual([]);
      // A key dockerd does not know on this Engine is refused the same way.
      const unknownToEngine = { ...proposal, changes: [{ ...proposal.changes[0]!, after: editDaemonConfig(before.toString('utf8'), [{ path: ['log-format'], value: 'json' }]) }] };
      await expect(daemonBeforeWrite(host, unknownToEngine)).rejects.toThrow(/"log-format" needs Docker Engine 25.0 or newer/);
    } finally {
      await flagged.stop();
    }
  }, 120_000);
});

describe.skipIf(!hasDockerd)('a change that stops dockerd from starting is rolled back', () => {
  it('TLS files that are not a certificate: the health check fails, the backup comes back byte for byte, the daemon answers again', async () => {
    await ensureBuilt();
    const port = await freePort();
    const d = await startDockerd({ config: { bridge: 'none' }, hostsInConfig: [`tcp://127.0.0.1:${port}`] });
    try {
      // The files exist (our check), but dockerd cannot load them.
      const tlsDir = path.join(path.dirname(d.configPath), 'tls');
      mkdirSync(tlsDir);
      for (const f of ['ca.pem', 'server-cert.pem', 'server-key.pem']) writeFileSync(path.join(tlsDir, f), 'not a certificate\n');
      chmodSync(path.join(tlsDir, 'server-key.pem'), 0o400);
      const before = readFileSync(d.configPath);
      const state = path.join(tmp, 'state-rollback');
      const r = await runCli(['fix', '--host', '--only', 'protect-docker-socket:tls', '--yes', '--include-review', ...cliArgs(d, state)], { timeoutMs: 200_000 });
      expect(r.stdout).toContain(`wrote ${d.configPath}`);
      expect(r.stdout).toMatch(/dockerd did not come back after the change \(dockerd is not running: it exited after the restart/);
      expect(r.stdout).toContain(`The previous ${d.configPath} was restored byte for byte and dockerd answers again`);
      expect(r.exitCode).toBe(1);
      expect(readFileSync(d.configPath).equals(before)).toBe(true);
      expect((await d.docker(['version', '--format', '{{.Server.Version}}'])).stdout.trim()).toMatch(/^\d+\./);
      const profile = JSON.parse(readFileSync(path.join(state, 'profile.json'), 'utf8'));
      expect(profile.applied[0].undone).toBeTruthy();
      expect(d.log()).toMatch(/tls|certificate|x509|PEM/i);
    } finally {
      await d.stop();
    }
  }, 300_000);
});

describe.skipIf(!hasDockerd)('a restart counts only when a new dockerd process answers with the settings live', () => {
  it('a --restart-command that restarts nothing is a failure: the same pid answers, the file is restored', async () => {
    await ensureBuilt();
    const d = await startDockerd({ config: '{\n    "bridge": "none"\n}\n' });
    try {
      const pid = d.pid();
      const before = readFileSync(d.configPath);
      const state = path.join(tmp, 'state-no-restart');
      const r = await runCli(
        ['fix', '--host', '--only', 'scan-host-config:no-new-privileges', '--yes', '--include-review', '--docker-host', d.host, '--daemon-config', d.configPath, '--restart-command', 'true', '--state-dir', state],
        { timeoutMs: 200_000 },
      );
      expect(r.stdout).toContain(`wrote ${d.configPath}`);
      expect(r.stdout).toMatch(new RegExp(`dockerd was not restarted: the same process \\(pid ${pid}, started [^)]+\\) still answers, so the new settings are not live`));
      expect(r.stdout).not.toContain('the check now passes');
      expect(r.exitCode).toBe(1);
      expect(readFileSync(d.configPath).equals(before)).toBe(true);
      expect(d.pid()).toBe(pid);
      const profile = JSON.parse(readFileSync(path.join(state, 'profile.json'), 'utf8'));
      expect(profile.applied[0].undone).toBeTruthy();
    } finally {
      await d.stop();
    }
  }, 300_000);
});

describe.skipIf(!hasDockerd)('no daemon, or no permission on its socket', () => {
  let dockerfile: string;
  beforeAll(async () => {
    await ensureBuilt();
    const dir = path.join(tmp, 'files');
    mkdirSync(dir, { recursive: true });
    chmodSync(tmp, 0o755);
    chmodSync(dir, 0o777);
    dockerfile = path.join(dir, 'Dockerfile');
    writeFileSync(dockerfile, 'FROM debian:12\nRUN apt-get update\nCMD ["sh"]\n');
  }, 300_000);

  it('a socket nobody answers on: the host steps say so and what to do; the Dockerfile steps still run', async () => {
    const r = await runCli(['check', '--host', '--file', dockerfile, '--json', '--docker-host', `unix://${tmp}/nothing.sock`, '--state-dir', path.join(tmp, 'state-none'), '--daemon-config', path.join(tmp, 'none.json')]);
    expect(r.exitCode).toBe(2);
    const results = JSON.parse(r.stdout).results as { step: string; target: string; status: string; findings: { message: string }[] }[];
    const scan = results.find((x) => x.step === 'scan-host-config')!;
    expect(scan.status).toBe('error');
    expect(scan.findings[0]!.message).toContain(`no Docker daemon socket at ${tmp}/nothing.sock: is Docker installed and running?`);
    expect(results.find((x) => x.step === 'protect-docker-socket')!.status).toBe('error');
    const fileResults = results.filter((x) => x.target === dockerfile);
    expect(fileResults.length).toBeGreaterThan(0);
    expect(fileResults.every((x) => x.status !== 'error')).toBe(true);
  }, 120_000);

  it('permission denied on the socket: run as root or a member of its group', async () => {
    const d = await startDockerd();
    // Root without the capabilities that pass over file modes meets the socket's mode like any user:
    // mode 000 is "permission denied" (a non-root uid would also need to read this checkout).
    chmodSync(d.socket, 0o000);
    try {
      const r = await execa(
        'setpriv',
        ['--bounding-set', '-dac_override,-dac_read_search', '--', process.execPath, binPath, 'check', '--host', '--only', 'scan-host-config', '--file', dockerfile, '--json', '--docker-host', d.host, '--state-dir', path.join(tmp, 'files', 'state-nobody'), '--daemon-config', path.join(tmp, 'files', 'none.json')],
        { reject: false, env: { NO_COLOR: '1', HOME: path.join(tmp, 'files') }, stdin: 'ignore' },
      );
      const results = JSON.parse(String(r.stdout)).results as { step: string; status: string; findings: { message: string }[] }[];
      const scan = results.find((x) => x.step === 'scan-host-config')!;
      expect(scan.status).toBe('error');
      expect(scan.findings[0]!.message).toContain(`permission denied on ${d.socket}: run as root or as a member of the group that owns the socket`);
      expect(r.exitCode).toBe(2);
    } finally {
      chmodSync(d.socket, 0o660);
      await d.stop();
    }
  }, 120_000);
});
