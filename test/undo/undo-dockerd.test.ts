/**
 * `undo` of a daemon.json change on a real dockerd: the file comes back byte for byte, dockerd is
 * restarted and answers with the old setting; a file edited since is refused without a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hasDockerd, startDockerd, type TestDaemon } from '../helpers/dockerd.js';
import { ensureBuilt, runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'dh-undo-dockerd-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// The person's own layout: four spaces, a key order of their choosing.
const ORIGINAL = '{\n    "bridge": "none",\n    "log-level": "info"\n}\n';

describe.skipIf(!hasDockerd)('undo of daemon.json on a real dockerd', () => {
  let d: TestDaemon;
  const state = path.join(tmp, 'state');
  const flags = () => ['--docker-host', d.host, '--daemon-config', d.configPath, '--restart-command', d.restartScript, '--state-dir', state];
  const liveRestore = async () => (await d.docker(['info', '--format', '{{.LiveRestoreEnabled}}'])).stdout.trim();

  beforeAll(async () => {
    await ensureBuilt();
    d = await startDockerd({ config: ORIGINAL });
  }, 300_000);
  afterAll(async () => d?.stop(), 60_000);

  it('restores the file byte for byte, restarts dockerd, and the old setting is live again', async () => {
    const fix = await runCli(['fix', '--host', '--only', 'scan-host-config:live-restore', '--yes', ...flags()], { timeoutMs: 200_000 });
    expect(fix.stdout, fix.stderr).toContain('dockerd answers');
    expect(await liveRestore()).toBe('true');
    const pid = d.pid();
    const undo = await runCli(['undo', '--yes', ...flags()], { timeoutMs: 200_000 });
    expect(undo.exitCode, undo.stderr).toBe(0);
    expect(undo.stdout).toContain(`restored ${d.configPath}`);
    expect(undo.stdout).toContain('dockerd answers');
    expect(await fs.readFile(d.configPath, 'utf8')).toBe(ORIGINAL);
    expect(d.pid()).not.toBe(pid);
    expect(await liveRestore()).toBe('false');
  }, 420_000);

  it('refuses when daemon.json was edited since, and does not restart dockerd', async () => {
    const fix = await runCli(['fix', '--host', '--only', 'scan-host-config:live-restore', '--yes', ...flags()], { timeoutMs: 200_000 });
    expect(fix.stdout, fix.stderr).toContain('dockerd answers');
    const edited = (await fs.readFile(d.configPath, 'utf8')).replace('"log-level": "info"', '"log-level": "warn"');
    await fs.writeFile(d.configPath, edited);
    const pid = d.pid();
    const undo = await runCli(['undo', '--yes', ...flags()], { timeoutMs: 200_000 });
    expect(undo.exitCode).toBe(2);
    expect(undo.stderr).toContain(`${d.configPath}: was changed since docker-harden wrote it`);
    expect(await fs.readFile(d.configPath, 'utf8')).toBe(edited);
    expect(d.pid()).toBe(pid);
    const forced = await runCli(['undo', '--yes', '--force', ...flags()], { timeoutMs: 200_000 });
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(await fs.readFile(d.configPath, 'utf8')).toBe(ORIGINAL);
    expect(await liveRestore()).toBe('false');
  }, 420_000);
});
