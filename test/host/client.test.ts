/**
 * The host layer against real daemons: which endpoint is used, which dockerd process is ours when
 * several run, the facts (containers inspected, images, volumes), daemon.json located, fresh facts
 * after a restart; and the service units read from a systemd layout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHostFacts, resolveEndpoint } from '../../src/host/client.js';
import { createDaemonControl } from '../../src/host/service.js';
import { readServiceUnits } from '../../src/host/units.js';
import { systemProbe } from '../../src/core/probe.js';
import { memoryProbe } from '../helpers/world.js';
import { buildBusyboxImage, hasDockerd, startDockerd, type TestDaemon } from '../helpers/dockerd.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'dh-client-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('resolveEndpoint: --docker-host, DOCKER_HOST, the current context, the default', () => {
  const home = path.join(tmp, 'home');
  beforeAll(() => {
    const id = createHash('sha256').update('remote').digest('hex');
    mkdirSync(path.join(home, '.docker', 'contexts', 'meta', id), { recursive: true });
    writeFileSync(path.join(home, '.docker', 'config.json'), JSON.stringify({ currentContext: 'remote' }));
    writeFileSync(path.join(home, '.docker', 'contexts', 'meta', id, 'meta.json'), JSON.stringify({ Name: 'remote', Endpoints: { docker: { Host: 'ssh://admin@build-1' } } }));
  });

  it('the option wins', () => {
    expect(resolveEndpoint({ dockerHost: 'unix:///x.sock', env: { DOCKER_HOST: 'tcp://h:2376', HOME: home } })).toMatchObject({ host: 'unix:///x.sock', source: 'option' });
  });
  it('then DOCKER_HOST', () => {
    expect(resolveEndpoint({ env: { DOCKER_HOST: 'tcp://h:2376', HOME: home } })).toMatchObject({ host: 'tcp://h:2376', source: 'env' });
  });
  it('then the current context of ~/.docker/config.json', () => {
    expect(resolveEndpoint({ env: { HOME: home } })).toMatchObject({ host: 'ssh://admin@build-1', source: 'context', context: 'remote' });
  });
  it('DOCKER_CONTEXT=default and no config: the default socket', () => {
    expect(resolveEndpoint({ env: { HOME: home, DOCKER_CONTEXT: 'default' } })).toMatchObject({ host: 'unix:///var/run/docker.sock', source: 'default' });
    expect(resolveEndpoint({ env: { HOME: path.join(tmp, 'nobody') } })).toMatchObject({ host: 'unix:///var/run/docker.sock', source: 'default' });
  });
});

describe('service units', () => {
  it('docker.service with drop-ins (an empty ExecStart= resets), docker.socket ListenStream', async () => {
    const probe = memoryProbe({
      files: {
        '/run/systemd/system/': '',
        '/lib/systemd/system/docker.service': '[Service]\nExecStart=/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock\nExecReload=/bin/kill -s HUP $MAINPID\n',
        '/etc/systemd/system/docker.service.d/10-tcp.conf': '[Service]\nExecStart=\nExecStart=/usr/bin/dockerd -H fd:// -H tcp://0.0.0.0:2375 --icc=false\n',
        '/lib/systemd/system/docker.socket': '[Socket]\nListenStream=/run/docker.sock\nSocketMode=0660\n',
        '/etc/systemd/system/docker.socket.d/tcp.conf': '[Socket]\nListenStream=2375\n',
      },
      stats: { '/run/systemd/system': { isDirectory: true, isFile: false } },
    });
    const units = await readServiceUnits(probe);
    expect(units).toMatchObject({
      manager: 'systemd',
      execStart: ['/usr/bin/dockerd', '-H', 'fd://', '-H', 'tcp://0.0.0.0:2375', '--icc=false'],
      execStartFile: '/etc/systemd/system/docker.service.d/10-tcp.conf',
      unitFiles: ['/lib/systemd/system/docker.service', '/etc/systemd/system/docker.service.d/10-tcp.conf'],
      socketListen: ['/run/docker.sock', '2375'],
      socketUnitFile: '/lib/systemd/system/docker.socket',
    });
    expect(units.execStartFlags).toContainEqual({ name: 'icc', value: 'false' });
  });

  it('a unit file on disk without systemd running does not count as how dockerd starts', async () => {
    const units = await readServiceUnits(memoryProbe({ files: { '/lib/systemd/system/docker.service': '[Service]\nExecStart=/usr/bin/dockerd -H fd://\n' } }));
    expect(units.manager).toBe('none');
    expect(units.execStartFlags).toEqual([]);
  });

  it('no way to restart a remote daemon without --restart-command', () => {
    const remote = createHostFacts({ dockerHost: 'tcp://10.1.2.3:2376', env: {}, probe: memoryProbe() });
    expect(createDaemonControl({ host: remote, manager: 'systemd' })).toBeUndefined();
    expect(createDaemonControl({ host: remote, restartCommand: 'ssh root@10.1.2.3 systemctl restart docker' })).toBeDefined();
    // A second daemon on its own socket is not the one the service manager runs.
    const second = createHostFacts({ dockerHost: 'unix:///tmp/other/docker.sock', env: {}, probe: memoryProbe() });
    expect(createDaemonControl({ host: second, manager: 'systemd' })).toBeUndefined();
    const system = createHostFacts({ dockerHost: 'unix:///var/run/docker.sock', env: {}, probe: memoryProbe() });
    expect(createDaemonControl({ host: system, manager: 'systemd' })).toBeDefined();
  });
});

describe.skipIf(!hasDockerd)('HostFacts on real daemons', () => {
  let a: TestDaemon;
  let b: TestDaemon;
  beforeAll(async () => {
    a = await startDockerd();
    b = await startDockerd({ config: { bridge: 'none', 'log-level': 'info' } });
  }, 180_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  }, 60_000);

  it('finds the dockerd that serves the endpoint when several run, with its flags', async () => {
    for (const d of [a, b]) {
      const facts = createHostFacts({ dockerHost: d.host, env: {}, probe: systemProbe() });
      const proc = await facts.daemonProcess();
      expect(proc?.pid).toBe(d.pid());
      expect(proc!.flags).toContainEqual({ name: 'host', value: d.host });
      expect(proc!.flags).toContainEqual({ name: 'config-file', value: d.configPath });
      expect(proc!.uid).toBe(0);
    }
    const nobody = createHostFacts({ dockerHost: `unix://${tmp}/none.sock`, env: {}, probe: systemProbe() });
    expect(await nobody.daemonProcess()).toBeNull();
  });

  it('locates daemon.json: the option, else the running daemon\'s --config-file', async () => {
    const byFlag = await createHostFacts({ dockerHost: b.host, env: {}, probe: systemProbe() }).daemonConfig();
    expect(byFlag).toMatchObject({ path: b.configPath, source: 'flag', value: { bridge: 'none', 'log-level': 'info' } });
    const other = path.join(tmp, 'other.json');
    writeFileSync(other, '{"icc": false}\n');
    const byOption = await createHostFacts({ dockerHost: b.host, daemonConfigPath: other, env: {}, probe: systemProbe() }).daemonConfig();
    expect(byOption).toMatchObject({ path: other, source: 'option', value: { icc: false } });
  });

  it('running containers inspected, images with digests, volumes', async () => {
    await buildBusyboxImage(a, 'dh-client:bb');
    await a.docker(['volume', 'create', 'dh-vol']);
    for (const name of ['c1', 'c2', 'c3']) await a.docker(['run', '-d', '--name', name, '--network', 'none', '-v', 'dh-vol:/data', 'dh-client:bb', 'sleep', '300']);
    await a.docker(['create', '--name', 'stopped', '--network', 'none', 'dh-client:bb', 'true']);
    try {
      const facts = createHostFacts({ dockerHost: a.host, env: {}, probe: systemProbe() });
      const containers = await facts.containers();
      expect(containers.map((c) => c.Name).sort()).toEqual(['/c1', '/c2', '/c3']);
      expect(containers[0]!.HostConfig.NetworkMode).toBe('none');
      expect(containers[0]!.Mounts.some((m) => m.Name === 'dh-vol')).toBe(true);
      const images = await facts.images();
      expect(images.find((i) => i.RepoTags.includes('dh-client:bb'))).toMatchObject({ RepoDigests: [] });
      expect(await facts.volumeCount()).toBe(1);
    } finally {
      await a.docker(['rm', '-f', 'c1', 'c2', 'c3', 'stopped'], { reject: false });
    }
  }, 180_000);

  it('facts are cached until refresh; the daemon control refreshes them after a restart', async () => {
    const facts = createHostFacts({ dockerHost: b.host, env: {}, probe: systemProbe() });
    expect((await facts.info()).LiveRestoreEnabled).toBe(false);
    const pid = (await facts.daemonProcess())!.pid;
    writeFileSync(b.configPath, JSON.stringify({ bridge: 'none', 'log-level': 'info', 'live-restore': true }));
    expect((await facts.info()).LiveRestoreEnabled).toBe(false);
    const control = createDaemonControl({ host: facts, restartCommand: b.restartScript })!;
    await control.apply('restart');
    await control.waitReady(60_000);
    expect((await facts.info()).LiveRestoreEnabled).toBe(true);
    expect((await facts.daemonProcess())!.pid).not.toBe(pid);
    expect((await facts.daemonConfig()).value['live-restore']).toBe(true);
  }, 120_000);
});
