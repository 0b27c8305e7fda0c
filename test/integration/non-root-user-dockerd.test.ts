/**
 * non-root-user against a real dockerd: the fix the engine applies to a BusyBox-based Dockerfile
 * builds, and the container runs with a uid other than 0; on the host side, the step names the
 * running container that runs as root and not the one that does not.
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hasDockerd, startDockerd, buildBusyboxImage, busyboxDockerfile, type TestDaemon } from '../helpers/dockerd.js';
import { contextFor, dockerfileTarget, hostTarget } from '../helpers/world.js';
import step from '../../steps/04-non-root-user.js';
import { applyProposal, runStep } from '../../src/core/runner.js';
import { ProfileStore } from '../../src/core/profile.js';
import { createHostFacts } from '../../src/host/client.js';
import { systemProbe } from '../../src/core/probe.js';

/** Apply non-root-user's first proposal to `file` through the engine; returns the new text. */
async function fixWithEngine(file: string, stateDir: string): Promise<string> {
  const target = dockerfileTarget(file);
  const ctx = contextFor(target);
  const run = await runStep(step, ctx);
  expect(run.result.status).toBe('fail');
  const proposal = run.proposals.find((p) => p.id === 'set-user')!;
  expect(proposal).toBeDefined();
  const store = new ProfileStore(stateDir);
  const outcome = await applyProposal(step, target, proposal, { store, profile: await store.load(), recheck: () => runStep(step, ctx) });
  expect(outcome.status, outcome.message).toBe('applied');
  return readFileSync(file, 'utf8');
}

describe.skipIf(!hasDockerd)('non-root-user on a real dockerd', () => {
  let d: TestDaemon;
  let dir: string;
  beforeAll(async () => {
    d = await startDockerd();
    dir = mkdtempSync(path.join(os.tmpdir(), 'dh-nru-'));
  });
  afterAll(async () => {
    await d?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('FROM scratch with busybox: the proposed USER 10001:10001 runs as uid 10001', async () => {
    const file = path.join(dir, 'scratch.Dockerfile');
    const original = busyboxDockerfile('CMD ["id", "-u"]\n');
    writeFileSync(file, original);
    await buildBusyboxImage(d, 'dh-nru:before', original);
    expect((await d.docker(['run', '--rm', '--network', 'none', 'dh-nru:before'])).stdout.trim()).toBe('0');

    const fixed = await fixWithEngine(file, path.join(dir, 'state-scratch'));
    expect(fixed).toBe(busyboxDockerfile('USER 10001:10001\nCMD ["id", "-u"]\n'));
    await buildBusyboxImage(d, 'dh-nru:after', fixed);
    const uid = (await d.docker(['run', '--rm', '--network', 'none', 'dh-nru:after'])).stdout.trim();
    expect(uid).toBe('10001');
  });

  // Debian's busybox-static has no addgroup/adduser applets (the official busybox image has), so
  // the Alpine/BusyBox user-creation RUN is covered by the step table, not built here.
  it('root inherited from an earlier stage: the fix in the final stage runs as uid 10001', async () => {
    const file = path.join(dir, 'stages.Dockerfile');
    const original = busyboxDockerfile('USER root\n\nFROM base\nCMD ["id", "-u"]\n').replace('FROM scratch', 'FROM scratch AS base');
    writeFileSync(file, original);
    const fixed = await fixWithEngine(file, path.join(dir, 'state-stages'));
    expect(fixed).toBe(original.replace('FROM base\n', 'FROM base\nUSER 10001:10001\n'));
    await buildBusyboxImage(d, 'dh-nru:stages', fixed);
    expect((await d.docker(['run', '--rm', '--network', 'none', 'dh-nru:stages'])).stdout.trim()).toBe('10001');
  });

  it('files given to uid 1000: the fix switches to that uid, and the app still writes there', async () => {
    const file = path.join(dir, 'handed.Dockerfile');
    const original = busyboxDockerfile('RUN mkdir /data && chown -R 1000:1000 /data\nCMD ["sh", "-c", "echo written > /data/out && cat /data/out && id -u"]\n');
    writeFileSync(file, original);
    const fixed = await fixWithEngine(file, path.join(dir, 'state-handed'));
    expect(fixed).toBe(original.replace('/data\nCMD', '/data\nUSER 1000:1000\nCMD'));
    await buildBusyboxImage(d, 'dh-nru:handed', fixed);
    const out = await d.docker(['run', '--rm', '--network', 'none', 'dh-nru:handed']);
    expect(out.stdout.trim().split('\n')).toEqual(['written', '1000']);
  });

  it('a VOLUME whose folder belongs to root: the fix gives it to the new uid, and a new volume is writable', async () => {
    const file = path.join(dir, 'volume.Dockerfile');
    const original = busyboxDockerfile('RUN mkdir /data\nVOLUME /data\nCMD ["sh", "-c", "echo written > /data/out && cat /data/out && id -u"]\n');
    writeFileSync(file, original);
    // Only the USER line (what the fix wrote before): the new anonymous volume is root's.
    await buildBusyboxImage(d, 'dh-nru:volume-user-only', original.replace('VOLUME', 'USER 10001:10001\nVOLUME'));
    const userOnly = await d.docker(['run', '--rm', '--network', 'none', 'dh-nru:volume-user-only'], { reject: false });
    expect(userOnly.exitCode).not.toBe(0);
    expect(userOnly.stderr).toMatch(/Permission denied/);
    const fixed = await fixWithEngine(file, path.join(dir, 'state-volume'));
    expect(fixed).toBe(original.replace('VOLUME', 'RUN mkdir -p /data && chown -R 10001:10001 /data\nUSER 10001:10001\nVOLUME'));
    await buildBusyboxImage(d, 'dh-nru:volume', fixed);
    const out = await d.docker(['run', '--rm', '--network', 'none', 'dh-nru:volume']);
    expect(out.stdout.trim().split('\n')).toEqual(['written', '10001']);
  });

  it('a Rails-like app that writes its pid under tmp/: the fix gives it the folder, and it starts as uid 10001', async () => {
    const file = path.join(dir, 'rails.Dockerfile');
    // bin/rails stands in for Rails's server: it writes tmp/pids/server.pid under its WORKDIR.
    const original = busyboxDockerfile(
      'WORKDIR /app\nRUN mkdir bin && printf \'#!/bin/sh\\nmkdir -p tmp/pids && echo $$ > tmp/pids/server.pid && echo started as $(id -u)\\n\' > bin/rails && chmod +x bin/rails\nCMD ["./bin/rails", "server"]\n',
    );
    writeFileSync(file, original);
    await buildBusyboxImage(d, 'dh-nru:rails-before', original);
    expect((await d.docker(['run', '--rm', '--network', 'none', 'dh-nru:rails-before'])).stdout.trim()).toBe('started as 0');
    const fixed = await fixWithEngine(file, path.join(dir, 'state-rails'));
    expect(fixed).toContain('chmod +x bin/rails\nRUN mkdir -p db log storage tmp && chown -R 10001:10001 db log storage tmp\nUSER 10001:10001\nCMD');
    await buildBusyboxImage(d, 'dh-nru:rails-after', fixed);
    const out = await d.docker(['run', '--rm', '--network', 'none', 'dh-nru:rails-after']);
    expect(out.stdout.trim(), out.stderr).toBe('started as 10001');
  });

  it('FROM scratch with USER by name: it does not start; the numeric fix does, as that uid', async () => {
    const file = path.join(dir, 'named.Dockerfile');
    const original = 'FROM scratch\nCOPY busybox /bin/busybox\nUSER app\nCMD ["/bin/busybox", "id", "-u"]\n';
    writeFileSync(file, original);
    await buildBusyboxImage(d, 'dh-nru:named-before', original);
    const before = await d.docker(['run', '--rm', '--network', 'none', 'dh-nru:named-before'], { reject: false });
    expect(before.exitCode).not.toBe(0);
    expect(before.stderr).toMatch(/unable to find user app/);
    const target = dockerfileTarget(file);
    const ctx = contextFor(target);
    const run = await runStep(step, ctx);
    expect(run.result.findings.map((f) => f.code)).toEqual(['DH-USER-NO-PASSWD']);
    const proposal = run.proposals.find((p) => p.id === 'numeric-user')!;
    const store = new ProfileStore(path.join(dir, 'state-named'));
    const outcome = await applyProposal(step, target, proposal, { store, profile: await store.load(), recheck: () => runStep(step, ctx) });
    expect(outcome.status, outcome.message).toBe('applied');
    const fixed = readFileSync(file, 'utf8');
    expect(fixed).toBe(original.replace('USER app', 'USER 10001:10001'));
    await buildBusyboxImage(d, 'dh-nru:named-after', fixed);
    expect((await d.docker(['run', '--rm', '--network', 'none', 'dh-nru:named-after'])).stdout.trim()).toBe('10001');
  });

  it('on the host: names the running container that runs as root, not the other', async () => {
    await buildBusyboxImage(d, 'dh-nru:sleeper', busyboxDockerfile('CMD ["sleep", "300"]\n'));
    await d.docker(['run', '-d', '--network', 'none', '--name', 'as-root', 'dh-nru:sleeper']);
    await d.docker(['run', '-d', '--network', 'none', '--name', 'as-app', '--user', '10001:10001', 'dh-nru:sleeper']);
    try {
      const host = createHostFacts({ dockerHost: d.host, env: {}, probe: systemProbe() });
      const ctx = contextFor(hostTarget, { host, probe: systemProbe() });
      const result = await step.check(ctx);
      expect(result.status).toBe('fail');
      expect(result.findings).toHaveLength(1);
      expect(result.findings[0]!.message).toContain('container as-root (image dh-nru:sleeper) runs as root (Config.User is empty)');
      expect(await step.propose!(ctx, result)).toEqual([]);
    } finally {
      await d.docker(['rm', '-f', 'as-root', 'as-app'], { reject: false });
    }
  });
});
