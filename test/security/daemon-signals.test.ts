/**
 * On a real dockerd: undo knows the daemon a change was made on (issue 11 part 1), and a signal
 * during a slow restart never leaves dockerd down, a change half-made or the lock held (issue 9
 * class 4). The restart command is a wrapper around the test daemon's restart script that says
 * when it started and then takes its time, so the signal lands in the middle of the restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hasDockerd, startDockerd, type TestDaemon } from '../helpers/dockerd.js';
import { binPath, ensureBuilt, repoRoot, runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'dh-sig-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const ORIGINAL = '{\n    "bridge": "none"\n}\n';

describe.skipIf(!hasDockerd)('a real dockerd: undo knows its daemon; signals during a restart', () => {
  let d: TestDaemon;
  let n = 0;
  const daemonId = async () => (await d.docker(['info', '--format', '{{.ID}}'])).stdout.trim();
  const profileOf = (state: string) => JSON.parse(readFileSync(path.join(state, 'profile.json'), 'utf8'));

  beforeAll(async () => {
    await ensureBuilt();
    d = await startDockerd({ config: ORIGINAL });
  }, 300_000);
  afterAll(async () => d?.stop(), 60_000);

  it('issue 11 part 1: the record names the daemon (endpoint, config, restart, ID); a bare `undo --state-dir` uses them', async () => {
    const state = path.join(tmp, `state-${++n}`);
    writeFileSync(d.configPath, ORIGINAL);
    const fix = await runCli(['fix', '--host', '--only', 'scan-host-config:no-new-privileges', '--yes', '--docker-host', d.host, '--daemon-config', d.configPath, '--restart-command', d.restartScript, '--state-dir', state], { timeoutMs: 200_000 });
    expect(fix.stdout, fix.stderr).toContain('dockerd answers');
    const record = profileOf(state).applied.at(-1);
    expect(record.dockerd).toEqual({ endpoint: d.host, configPath: d.configPath, restartCommand: d.restartScript, id: await daemonId() });
    expect(record.target).toBe(`host@${await daemonId()}`);
    const pid = d.pid();
    // No --docker-host, --daemon-config or --restart-command: DOCKER_HOST points elsewhere.
    const undo = await runCli(['undo', '--yes', '--state-dir', state], { env: { DOCKER_HOST: `unix://${path.join(tmp, 'elsewhere.sock')}` }, timeoutMs: 200_000 });
    expect(undo.exitCode, undo.stderr).toBe(0);
    expect(undo.stdout).toContain(`restored ${d.configPath}`);
    expect(readFileSync(d.configPath, 'utf8')).toBe(ORIGINAL);
    expect(d.pid()).not.toBe(pid);
  }, 420_000);

  it('issue 11 part 1: undo refuses a different daemon, and writes nothing', async () => {
    const state = path.join(tmp, `state-${++n}`);
    writeFileSync(d.configPath, ORIGINAL);
    const fix = await runCli(['fix', '--host', '--only', 'scan-host-config:no-new-privileges', '--yes', '--docker-host', d.host, '--daemon-config', d.configPath, '--restart-command', d.restartScript, '--state-dir', state], { timeoutMs: 200_000 });
    expect(fix.stdout, fix.stderr).toContain('dockerd answers');
    const changed = readFileSync(d.configPath, 'utf8');
    const data = profileOf(state);
    data.applied.at(-1).dockerd.id = 'OTHER:DAEMON';
    writeFileSync(path.join(state, 'profile.json'), JSON.stringify(data));
    const pid = d.pid();
    const undo = await runCli(['undo', '--yes', '--state-dir', state], { timeoutMs: 200_000 });
    expect(undo.exitCode).toBe(2);
    expect(undo.stderr).toContain(`was made on dockerd OTHER:DAEMON (${d.host}), but ${d.host} is dockerd ${await daemonId()}`);
    expect(readFileSync(d.configPath, 'utf8')).toBe(changed);
    expect(d.pid()).toBe(pid);
  }, 420_000);

  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`class 4: ${signal} to the whole process group during a slow restart: dockerd comes back, the change is recorded, the lock is released, exit ${code}`, async () => {
      const state = path.join(tmp, `state-${++n}`);
      writeFileSync(d.configPath, ORIGINAL);
      const marker = path.join(tmp, `restart-started-${n}`);
      const wrapper = path.join(tmp, `slow-restart-${n}.sh`);
      writeFileSync(wrapper, `#!/bin/sh\ntouch '${marker}'\nsleep 3\nexec '${d.restartScript}'\n`);
      chmodSync(wrapper, 0o755);
      const pid = d.pid();
      // Its own process group, as a shell gives a foreground job: the signal goes to the group,
      // as Ctrl-C or a closed ssh session sends it.
      const child = execa(process.execPath, [binPath, 'fix', '--host', '--only', 'scan-host-config:no-new-privileges', '--yes', '--docker-host', d.host, '--daemon-config', d.configPath, '--restart-command', wrapper, '--state-dir', state], {
        cwd: repoRoot,
        env: { NO_COLOR: '1' },
        reject: false,
        stdin: 'ignore',
        detached: true,
        timeout: 300_000,
      });
      while (!existsSync(marker) && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
      expect(existsSync(marker)).toBe(true);
      process.kill(-child.pid!, signal);
      const r = await child;
      expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(code);
      expect(r.stderr).toContain(`${signal} received: finishing the change in progress`);
      expect(r.stdout).toContain('dockerd answers');
      // dockerd runs (restarted), the lock is gone, and the change is recorded as it is on disk.
      expect((await d.docker(['info', '--format', '{{.ID}}'])).exitCode).toBe(0);
      expect(d.pid()).not.toBe(pid);
      expect(existsSync(path.join(state, 'lock'))).toBe(false);
      const record = profileOf(state).applied.at(-1);
      expect(record.undone).toBeUndefined();
      expect(JSON.parse(readFileSync(d.configPath, 'utf8'))['no-new-privileges']).toBe(true);
      const undo = await runCli(['undo', '--yes', '--state-dir', state], { timeoutMs: 200_000 });
      expect(undo.exitCode, undo.stderr).toBe(0);
      expect(readFileSync(d.configPath, 'utf8')).toBe(ORIGINAL);
    }, 420_000);
  }
});
