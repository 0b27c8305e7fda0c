/**
 * Which dockerd: the daemon of a unix socket is the process holding that listening socket, and
 * it is believed only when it runs as root from a root-owned executable others cannot write.
 * A real test dockerd, and fake `dockerd` processes that claim its socket and name a
 * daemon.json of their own: one run by `nobody` (setpriv), one run by root from a world-writable
 * copy of a shell. Neither is ever taken for the daemon, and their daemon.json is never read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa, type ResultPromise } from 'execa';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHostFacts } from '../../src/host/client.js';
import { systemProbe } from '../../src/core/probe.js';
import { hasDockerd, startDockerd, type TestDaemon } from '../helpers/dockerd.js';

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
const SHELL = ['/bin/dash', '/bin/sh'].find((p) => existsSync(p))!;

describe.skipIf(!hasDockerd || !SETPRIV)('which dockerd: the holder of the socket, verified', () => {
  let d: TestDaemon;
  let dir: string;
  let evilConfig: string;
  const fakes: ResultPromise[] = [];

  /** Start a process named dockerd that claims `-H <socket> --config-file <evil>`; resolves once it runs. */
  async function startFake(argv: string[]): Promise<number> {
    const child = execa(argv[0]!, argv.slice(1), { reject: false, stdio: 'ignore', detached: false });
    fakes.push(child);
    for (let i = 0; i < 200; i++) {
      const pid = child.pid!;
      const comm = await import('node:fs').then((fs) => fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim()).catch(() => '');
      if (comm === 'dockerd') return pid;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('the fake dockerd did not start');
  }

  beforeAll(async () => {
    d = await startDockerd();
    dir = mkdtempSync(path.join(os.tmpdir(), 'dh-fake-dockerd-'));
    chmodSync(dir, 0o755);
    evilConfig = path.join(dir, 'evil', 'daemon.json');
    // A script named dockerd: the kernel names the process after it; it runs as nobody.
    const script = path.join(dir, 'dockerd');
    writeFileSync(script, '#!/bin/sh\nwhile :; do sleep 1; done\n', { mode: 0o755 });
    await startFake([SETPRIV!, '--reuid', 'nobody', '--regid', 'nogroup', '--clear-groups', '--', script, '-H', d.host, '--config-file', evilConfig]);
    // A root process from an executable anyone may replace.
    const writable = path.join(dir, 'bin', 'dockerd');
    await import('node:fs').then((fs) => fs.mkdirSync(path.dirname(writable)));
    copyFileSync(SHELL, writable);
    chmodSync(writable, 0o777);
    await startFake([writable, '-c', 'while :; do sleep 1; done', '-H', d.host, '--config-file', evilConfig]);
    // The real daemon restarts after them: its pid is now the highest, so "the first process
    // named dockerd that claims the socket" would be a fake.
    await d.restart();
  }, 180_000);

  afterAll(async () => {
    for (const f of fakes) f.kill('SIGKILL');
    await d?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('the process holding the listening socket is the daemon, with its own --config-file', async () => {
    const facts = createHostFacts({ dockerHost: d.host, env: {}, probe: systemProbe() });
    const proc = await facts.daemonProcess();
    expect(proc?.pid).toBe(d.pid());
    expect(proc!.flags).toContainEqual({ name: 'config-file', value: d.configPath });
    const config = await facts.daemonConfig();
    expect(config).toMatchObject({ path: d.configPath, source: 'flag' });
  });

  it('with the real daemon stopped, no fake is believed: its daemon.json is neither read nor created', async () => {
    // Stopped by its pid, so the test's daemon directory (and the claimed socket path) stays.
    const pid = d.pid()!;
    process.kill(pid, 'SIGTERM');
    while (existsSync(`/proc/${pid}`)) await new Promise((r) => setTimeout(r, 50));
    {
      const facts = createHostFacts({ dockerHost: d.host, env: {}, probe: systemProbe() });
      expect(await facts.daemonProcess()).toBeNull();
      const config = await facts.daemonConfig();
      expect(config.path).not.toBe(evilConfig);
      expect(config.source).toBe('default');
      expect(existsSync(evilConfig)).toBe(false);
    }
  }, 120_000);
});
