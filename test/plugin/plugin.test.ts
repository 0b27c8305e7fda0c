/**
 * `docker harden ...` through the real docker CLI, after `docker-harden plugin install` linked the
 * executable into $DOCKER_CONFIG/cli-plugins.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { existsSync, lstatSync, mkdtempSync, promises as fs, readlinkSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { binPath, ensureBuilt, runCli } from '../helpers/cli.js';
import { steps as registry } from '../../steps/index.js';

const dockerCli = ['/usr/local/bin/docker', '/usr/bin/docker'].find((p) => existsSync(p));
if (!dockerCli) console.warn('[docker-harden tests] docker CLI plugin tests skipped: no docker client installed');

const work = mkdtempSync(path.join(os.tmpdir(), 'dh-plugin-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('docker-harden plugin install', () => {
  const home = path.join(work, 'home');
  const config = path.join(work, 'docker-config');
  const env = { HOME: home, DOCKER_CONFIG: config, DOCKER_HOST: `unix://${path.join(work, 'none.sock')}` };
  const link = path.join(config, 'cli-plugins', 'docker-harden');

  beforeAll(async () => {
    await fs.mkdir(home, { recursive: true });
    await ensureBuilt();
  });

  it('answers the docker CLI plugin metadata', async () => {
    const r = await runCli(['docker-cli-plugin-metadata']);
    expect(r.exitCode).toBe(0);
    const meta = JSON.parse(r.stdout) as Record<string, string>;
    expect(meta).toMatchObject({ SchemaVersion: '0.1.0', Vendor: 'docker-harden' });
    expect(meta.Version).toMatch(/^\d+\.\d+\.\d+/);
    expect(meta.ShortDescription!.length).toBeGreaterThan(10);
    expect(new URL(meta.URL!).protocol).toBe('https:');
  });

  it('links the executable into $DOCKER_CONFIG/cli-plugins, and again is a no-op', async () => {
    const r = await runCli(['plugin', 'install'], { env });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(realpathSync(binPath));
    expect(r.stdout).toContain('docker harden --help');
    const again = await runCli(['plugin', 'install'], { env });
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toMatch(/Already installed/);
  });

  describe.skipIf(!dockerCli)('through the real docker CLI', () => {
    const docker = (args: string[]) => execa(dockerCli!, args, { env: { ...env, NO_COLOR: '1', PATH: process.env.PATH }, extendEnv: false, reject: false, timeout: 60_000 });

    it('docker harden --help shows docker-harden help', async () => {
      const r = await docker(['harden', '--help']);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/docker-harden: make a Docker host and a Dockerfile safer/);
      expect(r.stdout).toMatch(/docker-harden check \[targets\]/);
    });

    it('docker harden steps lists every step of the registry, and exit codes come through', async () => {
      const steps = await docker(['harden', 'steps']);
      expect(steps.exitCode, steps.stderr).toBe(0);
      expect(steps.stdout.trim().split('\n')).toHaveLength(registry.length);
      expect(steps.stdout).toMatch(/1\. use-docker-defaults/);
      const dockerfile = path.join(work, 'Dockerfile');
      await fs.writeFile(dockerfile, 'FROM node:20\n');
      const check = await docker(['harden', 'check', '--file', dockerfile, '--only', 'non-root-user']);
      expect(check.exitCode).toBe(1);
      expect(check.stdout).toMatch(/runs as root/);
      const version = await docker(['harden', '--version']);
      expect(version.stdout).toMatch(/^docker-harden \d+\.\d+\.\d+/);
    });

    it('docker --help lists harden among the commands', async () => {
      const r = await docker(['--help']);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(/^\s+harden\*\s+Harden a Docker host and Dockerfiles/m);
    });
  });

  it('refuses to replace a file that is not its own link, unless --force', async () => {
    const otherConfig = path.join(work, 'other-config');
    const other = path.join(otherConfig, 'cli-plugins', 'docker-harden');
    await fs.mkdir(path.dirname(other), { recursive: true });
    await fs.writeFile(other, '#!/bin/sh\necho someone else\n', { mode: 0o755 });
    const r = await runCli(['plugin', 'install'], { env: { ...env, DOCKER_CONFIG: otherConfig } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(other);
    expect(r.stderr).toMatch(/not a link docker-harden made/);
    expect(r.stderr).toMatch(/--force/);
    expect(await fs.readFile(other, 'utf8')).toBe('#!/bin/sh\necho someone else\n');
    const forced = await runCli(['plugin', 'install', '--force'], { env: { ...env, DOCKER_CONFIG: otherConfig } });
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(readlinkSync(other)).toBe(realpathSync(binPath));
  });

  it('uses ~/.docker without DOCKER_CONFIG, and uninstall removes only its own link', async () => {
    const r = await runCli(['plugin', 'install'], { env: { HOME: home, DOCKER_CONFIG: '' } });
    expect(r.exitCode, r.stderr).toBe(0);
    const homeLink = path.join(home, '.docker', 'cli-plugins', 'docker-harden');
    expect(lstatSync(homeLink).isSymbolicLink()).toBe(true);
    const removed = await runCli(['plugin', 'uninstall'], { env: { HOME: home, DOCKER_CONFIG: '' } });
    expect(removed.exitCode).toBe(0);
    expect(existsSync(homeLink)).toBe(false);
  });

  it('plugin without an action says which ones there are', async () => {
    const r = await runCli(['plugin']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/docker-harden plugin install/);
  });
});
