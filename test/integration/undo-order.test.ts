/**
 * Undoing several changes on a real dockerd with a running container that has no restart policy:
 * live-restore is applied first (reload), then a key that needs a restart (no-new-privileges). `undo` takes the
 * restart-needing change first, while live-restore still keeps the container (and says so); the
 * undo that turns live-restore off comes last, warns naming the container before anything is
 * changed, with the same words apply uses, and only that restart stops it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildBusyboxImage, hasDockerd, startDockerd, type TestDaemon } from '../helpers/dockerd.js';
import { ensureBuilt, runCli } from '../helpers/cli.js';

describe.skipIf(!hasDockerd)('undo of several daemon changes keeps running containers as long as it can', () => {
  let d: TestDaemon;
  let stateDir: string;
  const common = () => ['--daemon-config', d.configPath, '--restart-command', d.restartScript, '--docker-host', d.host, '--state-dir', stateDir];
  const running = async (name: string) => (await d.docker(['inspect', '--format', '{{.State.Running}}', name])).stdout.trim() === 'true';

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'dh-undo-order-'));
    await Promise.all([ensureBuilt(), (async () => (d = await startDockerd({ config: '{\n  "bridge": "none"\n}\n' })))()]);
    await buildBusyboxImage(d, 'dh-bb:1');
  }, 300_000);
  afterAll(async () => {
    await d?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('undoes the restart-needing change while live-restore is on, then live-restore, warning first', async () => {
    const original = readFileSync(d.configPath);
    const fix = await runCli(['fix', '--host', '--only', 'scan-host-config:live-restore,scan-host-config:no-new-privileges', '--yes', '--include-review', ...common()], { timeoutMs: 300_000 });
    expect(fix.stdout).toContain('reloading dockerd');
    expect(fix.stdout).toContain('restarting dockerd');
    expect(JSON.parse(readFileSync(d.configPath, 'utf8'))).toEqual({ bridge: 'none', 'live-restore': true, 'no-new-privileges': true });

    await d.docker(['run', '-d', '--name', 'dh-no-policy', '--network', 'none', 'dh-bb:1', 'sleep', '100000']);
    const pid = Number((await d.docker(['inspect', '--format', '{{.State.Pid}}', 'dh-no-policy'])).stdout.trim());

    // First undo: no-new-privileges goes, dockerd restarts with live-restore still on, the container keeps its process.
    const first = await runCli(['undo', '--yes', ...common()], { timeoutMs: 180_000 });
    expect(first.exitCode, `${first.stdout}\n${first.stderr}`).toBe(0);
    expect(first.stdout).toContain('restarting dockerd');
    expect(first.stdout).toMatch(/^warning: live-restore is on: the running container keeps running while dockerd restarts\.$/m);
    expect(JSON.parse(readFileSync(d.configPath, 'utf8'))).toEqual({ bridge: 'none', 'live-restore': true });
    expect(await running('dh-no-policy')).toBe(true);
    expect(Number((await d.docker(['inspect', '--format', '{{.State.Pid}}', 'dh-no-policy'])).stdout.trim())).toBe(pid);

    // Second undo: live-restore goes last; the warning names the container before the restart stops it.
    const second = await runCli(['undo', '--yes', ...common()], { timeoutMs: 180_000 });
    expect(second.exitCode, `${second.stdout}\n${second.stderr}`).toBe(0);
    const warning = second.stdout.indexOf('warning: ');
    expect(second.stdout.slice(warning)).toMatch(/^warning: dockerd starts again without live-restore and stops the running container\. Stay stopped until you start them \(unless-stopped or no policy\): dh-no-policy\./);
    expect(warning).toBeGreaterThanOrEqual(0);
    expect(warning).toBeLessThan(second.stdout.indexOf('restored '));
    expect(readFileSync(d.configPath).equals(original)).toBe(true);
    expect(await running('dh-no-policy')).toBe(false);
  }, 600_000);
});
