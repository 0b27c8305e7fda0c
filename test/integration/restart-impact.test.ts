/**
 * A restart names what it stops, on a real dockerd: the confirmation lists the running containers
 * and which come back by restart policy, and after the restart the daemon agrees with what was
 * said. With live-restore on they keep running; undoing it stops them (the daemon that starts
 * without it does), and undo says so like apply does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildBusyboxImage, hasDockerd, startDockerd, type TestDaemon } from '../helpers/dockerd.js';
import { ensureBuilt, runCli } from '../helpers/cli.js';
import { describeRestartImpact } from '../../src/host/restart-impact.js';
import { KEY, spawnCli, ptyEnv } from '../e2e/pty.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'dh-impact-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface JsonProposal { id: string; warnings: string[] }

const none = { always: [] as string[], unlessStopped: [] as string[], onFailure: [] as string[], none: [] as string[] };

describe('the restart sentence', () => {
  it.each([
    { impact: { ...none, liveRestoreNow: false, liveRestoreAfter: false }, says: /^No container is running/ },
    { impact: { ...none, liveRestoreNow: true, liveRestoreAfter: true, always: ['a'], none: ['b'] }, says: /^live-restore is on: the 2 running containers keep running/ },
    { impact: { ...none, liveRestoreNow: false, liveRestoreAfter: true, none: ['x'] }, says: /^Restarting dockerd stops the running container \(live-restore is off\)\. Stay stopped until you start them \(no restart policy\): x\.$/ },
    {
      impact: { ...none, liveRestoreNow: true, liveRestoreAfter: false, unlessStopped: ['u'], onFailure: ['f'] },
      says: /^dockerd starts again without live-restore and stops the 2 running containers\. Started again by their restart policy \(always, on-failure\): f\. Stay stopped until you start them \(unless-stopped or no policy\): u\.$/,
    },
    {
      impact: { ...none, liveRestoreNow: false, liveRestoreAfter: false, always: Array.from({ length: 10 }, (_, i) => `web${i}`) },
      says: /restart policy \(always, unless-stopped\): web0, web1, web2, web3, web4, web5, web6, web7 and 2 more\.$/,
    },
  ])('$says', ({ impact, says }) => {
    expect(describeRestartImpact(impact)).toMatch(says);
  });
});

describe.skipIf(!hasDockerd)('restart impact on a real dockerd', () => {
  let d: TestDaemon;
  const state = path.join(tmp, 'state');
  const cli = (args: string[]) => runCli([...args, '--docker-host', d.host, '--daemon-config', d.configPath, '--restart-command', d.restartScript, '--state-dir', state], { timeoutMs: 300_000 });
  const running = async () => (await d.docker(['ps', '--format', '{{.Names}}'])).stdout.split('\n').filter(Boolean).sort();
  const restartWarning = async (proposal: string) => {
    const r = await cli(['check', '--host', '--only', 'scan-host-config', '--json']);
    const step = JSON.parse(r.stdout).results.find((x: { step: string }) => x.step === 'scan-host-config');
    const p = (step.fix.proposals as JsonProposal[]).find((x) => x.id === proposal)!;
    return p.warnings.find((w) => /live-restore/.test(w))!;
  };

  beforeAll(async () => {
    await ensureBuilt();
    d = await startDockerd({ config: '{\n  "bridge": "none"\n}\n' });
    await buildBusyboxImage(d, 'dh-impact:bb');
    const run = (name: string, policy: string) => d.docker(['run', '-d', '--name', name, '--network', 'none', '--restart', policy, 'dh-impact:bb', 'sleep', '100000']);
    await run('c-always', 'always');
    await run('c-unless', 'unless-stopped');
    // sleep as PID 1 ignores SIGTERM: dockerd kills it, an error exit, so on-failure starts it again.
    await run('c-onfail', 'on-failure');
    await run('c-none', 'no');
  }, 300_000);
  afterAll(async () => d?.stop(), 60_000);

  it('names the containers a restart stops, and the daemon then does what was said', async () => {
    const warning = await restartWarning('no-new-privileges');
    expect(warning).toBe(
      'Restarting dockerd stops the 4 running containers (live-restore is off). Started again by their restart policy (always, unless-stopped): c-always, c-unless. ' +
        'Started again only if they exit with an error when stopped (on-failure): c-onfail. Stay stopped until you start them (no restart policy): c-none.',
    );
    const fix = await cli(['fix', '--host', '--only', 'scan-host-config:no-new-privileges', '--yes']);
    expect(fix.exitCode, fix.stderr).not.toBe(2);
    // Said again just before the restart, then the restart.
    const said = fix.stdout.indexOf('Stay stopped until you start them (no restart policy): c-none.');
    expect(said).toBeGreaterThan(-1);
    expect(fix.stdout.indexOf('restarting dockerd', said)).toBeGreaterThan(said);
    expect(await running()).toEqual(['c-always', 'c-onfail', 'c-unless']);
  }, 300_000);

  it('with live-restore on they keep running; undoing it stops them and says which; undoing a restart change warns', async () => {
    await d.docker(['start', 'c-none']);
    const lr = await cli(['fix', '--host', '--only', 'scan-host-config:live-restore', '--yes']);
    expect(lr.stdout).toContain('reloading dockerd');
    expect(await restartWarning('userland-proxy')).toBe('live-restore is on: the 4 running containers keep running while dockerd restarts.');

    // Newest first: live-restore. A reload would leave it on (the restored file does not set the
    // key), so undo restarts, and the daemon that starts without it stops what still runs.
    const undoLiveRestore = await cli(['undo', '--yes']);
    expect(undoLiveRestore.exitCode, undoLiveRestore.stderr).toBe(0);
    expect(undoLiveRestore.stdout).toContain(
      'dockerd starts again without live-restore and stops the 4 running containers. Started again by their restart policy (always, on-failure): c-always, c-onfail. ' +
        'Stay stopped until you start them (unless-stopped or no policy): c-none, c-unless.',
    );
    expect(await running()).toEqual(['c-always', 'c-onfail']);
    expect((await d.docker(['info', '--format', '{{.LiveRestoreEnabled}}'])).stdout.trim()).toBe('false');
    await d.docker(['start', 'c-none', 'c-unless']);

    // Then no-new-privileges, a restart change: the same sentence as apply, before the restart.
    const undoRestart = await cli(['undo', '--yes']);
    expect(undoRestart.exitCode, undoRestart.stderr).toBe(0);
    const said = undoRestart.stdout.indexOf('Restarting dockerd stops the 4 running containers (live-restore is off).');
    expect(said).toBeGreaterThan(-1);
    expect(undoRestart.stdout.indexOf('restarting dockerd', said)).toBeGreaterThan(said);
    expect(await running()).toEqual(['c-always', 'c-onfail', 'c-unless']);
  }, 300_000);

  it('undo on a terminal asks with the same warning, from the daemon.json it will put back', async () => {
    await d.docker(['start', 'c-none']);
    const lr = await cli(['fix', '--host', '--only', 'scan-host-config:live-restore', '--yes']);
    expect(lr.exitCode, lr.stderr).not.toBe(2);
    const config = readFileSync(d.configPath);
    const undo = spawnCli(['undo', '--docker-host', d.host, '--daemon-config', d.configPath, '--restart-command', d.restartScript, '--state-dir', state], { env: ptyEnv() });
    // The file still has live-restore on; the warning is about the one undo puts back.
    const question = await undo.waitFor('Undo this change? [y/N]', 120_000);
    expect(question.replace(/\s+/g, ' ')).toContain('dockerd starts again without live-restore and stops the 4 running containers.');
    await undo.type('n');
    await undo.press(KEY.enter);
    expect(await undo.exited).toBe(0);
    expect(readFileSync(d.configPath).equals(config)).toBe(true);
    expect(await running()).toEqual(['c-always', 'c-none', 'c-onfail', 'c-unless']);
  }, 300_000);
});
