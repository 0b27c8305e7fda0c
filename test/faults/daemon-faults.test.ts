/**
 * Faults around dockerd, on a real test daemon: the restart command itself failing (the host
 * helper's apply-restart test covers a daemon that refuses its new config), and the daemon
 * stopped between the check and the apply. Nothing may be left half-done: daemon.json holds its
 * old bytes, the profile says what happened, and a running daemon was not touched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hasDockerd, startDockerd, type TestDaemon } from '../helpers/dockerd.js';
import { ensureBuilt, runCli } from '../helpers/cli.js';
import { createHostFacts } from '../../src/host/client.js';
import { createDaemonControl, daemonBeforeWrite } from '../../src/host/service.js';
import { systemProbe } from '../../src/core/probe.js';
import { applyProposal, type ApplyOutcome } from '../../src/core/runner.js';
import { ProfileStore } from '../../src/core/profile.js';
import { contextFor, hostTarget } from '../helpers/world.js';
import scanHostConfig from '../../steps/02-scan-host-config.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'dh-dfaults-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const file = path.join(tmp, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

async function stopDaemonProcess(d: TestDaemon): Promise<void> {
  const pid = d.pid();
  if (!pid) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 200 && d.pid() === pid; i++) await new Promise((r) => setTimeout(r, 100));
  expect(d.pid(), 'the test daemon did not stop').toBeNull();
}

describe.skipIf(!hasDockerd)('dockerd faults', () => {
  let d: TestDaemon;
  beforeAll(async () => {
    await ensureBuilt();
    d = await startDockerd({ config: '{\n  "bridge": "none"\n}\n' });
  }, 300_000);
  afterAll(async () => d?.stop(), 60_000);

  it('the restart command fails: daemon.json is restored byte for byte and the running daemon is untouched', async () => {
    const failing = script('restart-fails.sh', 'echo "Failed to restart docker.service: Unit docker.service is masked." >&2\nexit 1');
    const state = path.join(tmp, 'state-restart-fails');
    const before = readFileSync(d.configPath);
    const pid = d.pid();
    const r = await runCli(
      ['fix', '--host', '--yes', '--include-review', '--only', 'scan-host-config:no-new-privileges', '--docker-host', d.host, '--daemon-config', d.configPath, '--restart-command', failing, '--state-dir', state],
      { timeoutMs: 300_000 },
    );
    const out = `${r.stdout}\n${r.stderr}`;
    expect(out).toContain(`wrote ${d.configPath}`);
    expect(out).toContain('Unit docker.service is masked');
    expect(out).toMatch(/restored/);
    expect(r.exitCode, out).toBe(1);
    expect(readFileSync(d.configPath)).toEqual(before);
    // The daemon was never restarted: same process, still answering, no-new-privileges still off.
    expect(d.pid()).toBe(pid);
    expect((await d.docker(['info', '--format', '{{.ServerVersion}}'])).exitCode).toBe(0);
    // The profile records the attempt as undone, so `undo` will not restore it a second time.
    const profile = await new ProfileStore(state).load();
    expect(profile.applied.length).toBeGreaterThan(0);
    for (const record of profile.applied) expect(record.undone, JSON.stringify(record)).toBeTruthy();
    const undo = await runCli(['undo', '--yes', '--state-dir', state]);
    expect(undo.stdout).toContain('Nothing to undo');
    expect(readFileSync(d.configPath)).toEqual(before);
  }, 400_000);

  it('the daemon stops between the check and the apply: the health check fails and daemon.json is rolled back byte for byte', async () => {
    const state = path.join(tmp, 'state-stopped');
    const before = readFileSync(d.configPath);
    const host = createHostFacts({ dockerHost: d.host, daemonConfigPath: d.configPath, env: {}, probe: systemProbe() });
    const ctx = contextFor(hostTarget, { host, probe: systemProbe() });
    const result = await scanHostConfig.check(ctx);
    expect(result.status).toBe('fail');
    const proposal = (await scanHostConfig.propose!(ctx, result)).find((p) => p.id === 'no-new-privileges');
    expect(proposal, 'scan-host-config proposes no-new-privileges: true').toBeDefined();
    expect(proposal!.daemon).toBe('restart');

    await stopDaemonProcess(d);
    // A service manager that says it restarted dockerd, which does not come back.
    const noop = script('restart-noop.sh', 'exit 0');
    const store = new ProfileStore(state);
    const profile = await store.load();
    // What happens: the check's proposal is written (its `before` still matches), the restart
    // command runs, the daemon never answers within the bound, and the engine restores the backup
    // byte for byte and records the change as undone. (daemonBeforeWrite validates the file and
    // the flags, it does not ping, so the apply is not refused up front.)
    const outcome: ApplyOutcome = await applyProposal(scanHostConfig, hostTarget, proposal!, {
      store,
      profile,
      daemon: createDaemonControl({ restartCommand: noop, host }),
      beforeWrite: (p) => daemonBeforeWrite(host, p),
      readyTimeoutMs: 4000,
    });
    expect(outcome.status, outcome.message).toBe('rolled-back');
    expect(outcome.message).toContain('restored byte for byte');
    expect(readFileSync(d.configPath)).toEqual(before);
    expect(outcome.record?.undone).toBeTruthy();
    const saved = await store.load();
    expect(saved.applied).toHaveLength(1);
    expect(saved.applied[0]!.undone).toBeTruthy();
    // The backup it restored from is kept and named in the profile.
    expect(readFileSync(saved.applied[0]!.files[0]!.backup!)).toEqual(before);
    await d.restart();
  }, 300_000);

  it('the daemon is down when fix starts: the host steps say so, exit 2, and daemon.json is not touched', async () => {
    const state = path.join(tmp, 'state-down');
    const before = readFileSync(d.configPath);
    await stopDaemonProcess(d);
    try {
      const r = await runCli(
        ['fix', '--host', '--yes', '--include-review', '--only', 'scan-host-config,protect-docker-socket', '--docker-host', d.host, '--daemon-config', d.configPath, '--restart-command', d.restartScript, '--state-dir', state],
        { timeoutMs: 120_000 },
      );
      expect(r.exitCode, r.stdout + r.stderr).toBe(2);
      expect(r.stdout + r.stderr).toContain('the Docker daemon does not answer');
      expect(readFileSync(d.configPath)).toEqual(before);
      expect(d.pid(), 'fix must not start a daemon it could not check').toBeNull();
      expect(existsSync(path.join(state, 'profile.json')) ? (await new ProfileStore(state).load()).applied : []).toEqual([]);
    } finally {
      await d.restart();
    }
  }, 300_000);
});
