/**
 * Docker's global flags before `harden`, through the real docker CLI with docker-harden installed
 * as a plugin in a temporary DOCKER_CONFIG: --context and --host pick the daemon (a real test
 * dockerd running a container as root, so the check can only name it by reaching that daemon),
 * the other flags are accepted, and a context that does not exist is exit 2.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, runCli } from '../helpers/cli.js';
import { buildBusyboxImage, busyboxDockerfile, hasDockerd, startDockerd, type TestDaemon } from '../helpers/dockerd.js';

const dockerCli = ['/usr/local/bin/docker', '/usr/bin/docker'].find((p) => existsSync(p));
if (!dockerCli) console.warn('[docker-harden tests] docker global flag tests skipped: no docker client installed');

describe.skipIf(!dockerCli || !hasDockerd)("docker's global flags before harden", () => {
  let d: TestDaemon;
  let work: string;
  let env: Record<string, string>;
  const docker = (args: string[], extra: Record<string, string> = {}) =>
    execa(dockerCli!, args, { env: { ...env, ...extra }, extendEnv: false, reject: false, timeout: 120_000 });
  const check = ['harden', 'check', '--host', '--only', 'non-root-user'];

  beforeAll(async () => {
    await ensureBuilt();
    work = mkdtempSync(path.join(os.tmpdir(), 'dh-plugin-globals-'));
    mkdirSync(path.join(work, 'home'));
    env = {
      PATH: process.env.PATH!,
      HOME: path.join(work, 'home'),
      DOCKER_CONFIG: path.join(work, 'config'),
      // Nothing listens here: only the flags can lead to the test daemon.
      DOCKER_HOST: `unix://${path.join(work, 'nothing.sock')}`,
      DOCKER_HARDEN_STATE_DIR: path.join(work, 'state'),
      NO_COLOR: '1',
    };
    const installed = await runCli(['plugin', 'install'], { env });
    expect(installed.exitCode, installed.stderr).toBe(0);
    d = await startDockerd();
    await buildBusyboxImage(d, 'dh-globals:root', busyboxDockerfile('CMD ["sleep", "600"]\n'));
    const started = await d.docker(['run', '-d', '--name', 'rooted-web', '--network', 'none', 'dh-globals:root']);
    expect(started.exitCode, started.stderr).toBe(0);
    const made = await docker(['context', 'create', 'dh-test', '--docker', `host=${d.host}`]);
    expect(made.exitCode, made.stderr).toBe(0);
  });
  afterAll(async () => {
    await d?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('without a flag the check goes to DOCKER_HOST, where nothing listens', async () => {
    const r = await docker(check);
    expect(r.exitCode, r.stdout + r.stderr).toBe(2);
    expect(r.stdout + r.stderr).toContain('nothing.sock');
  });

  it.each([
    ['--context NAME', ['--context', 'dh-test']],
    ['-c NAME', ['-c', 'dh-test']],
    ['--context=NAME with --debug and --log-level', ['--context=dh-test', '--debug', '--log-level', 'info']],
  ])('%s reaches the daemon of that context', async (_label, flags) => {
    const r = await docker([...flags, ...check]);
    expect(r.exitCode, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/container rooted-web \(image dh-globals:root\) runs as root/);
  });

  it.each([
    ['--host URL', (h: string) => ['--host', h]],
    ['-H URL with -D and -l', (h: string) => ['-H', h, '-D', '-l', 'debug']],
  ])('%s reaches that daemon', async (_label, flags) => {
    const r = await docker([...flags(d.host), ...check]);
    expect(r.exitCode, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/container rooted-web .* runs as root/);
  });

  it('--debug says which daemon was picked', async () => {
    const r = await docker(['--debug', '--context', 'dh-test', ...check]);
    expect(r.stderr).toMatch(/debug: daemon from context dh-test/);
  });

  it('--config names the client configuration that holds the context', async () => {
    const elsewhere = path.join(work, 'elsewhere');
    const r = await docker(['--config', env.DOCKER_CONFIG!, '--context', 'dh-test', ...check], { DOCKER_CONFIG: elsewhere });
    expect(r.exitCode, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/container rooted-web .* runs as root/);
  });

  it('a context that does not exist is exit 2, with where contexts are listed', async () => {
    const r = await docker(['--context', 'no-such', ...check]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/docker context "no-such" does not exist/);
    expect(r.stderr).toMatch(/docker context ls/);
  });

  it('--tls and the TLS files are accepted; files outside one directory are refused with what to do', async () => {
    const ok = await docker(['--tls', '--tlscacert', '/certs/ca.pem', '--tlscert', '/certs/cert.pem', '--tlskey', '/certs/key.pem', 'harden', 'steps']);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stdout.trim().split('\n')).toHaveLength(13);
    const mixed = await docker(['--tlscacert', '/a/ca.pem', '--tlscert', '/b/client.pem', 'harden', 'steps']);
    expect(mixed.exitCode).toBe(2);
    expect(mixed.stderr).toMatch(/ca\.pem, cert\.pem and key\.pem of one directory/);
  });
});
