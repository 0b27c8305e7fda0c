/**
 * protect-docker-socket against real dockerd instances: a TCP endpoint given as a flag (on a
 * command line no file holds: reported, not edited), one set in daemon.json (removed there, then
 * nothing listens and the unix socket answers), the socket's mode, clients and containers; and a
 * recorded systemd host for endpoints set in the unit or in docker.socket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import step from '../../steps/03-protect-docker-socket.js';
import { runStep, type StepRun } from '../../src/core/runner.js';
import { systemProbe } from '../../src/core/probe.js';
import { createHostFacts } from '../../src/host/client.js';
import { parseDaemonArgs } from '../../src/host/flags.js';
import { parseProcNetTcp } from '../../src/host/endpoints.js';
import { contextFor, hostTarget, memoryProbe } from '../helpers/world.js';
import { recordedHost, ENGINE_29_INFO } from '../helpers/recorded-host.js';
import { buildBusyboxImage, hasDockerd, startDockerd, type TestDaemon } from '../helpers/dockerd.js';
import { ensureBuilt, runCli } from '../helpers/cli.js';
import { freePort } from '../helpers/host-tools.js';
import type { HostFacts } from '../../src/host/facts.js';

function hostFor(d: TestDaemon): HostFacts {
  return createHostFacts({ dockerHost: d.host, daemonConfigPath: d.configPath, env: {}, probe: systemProbe() });
}

async function run(host: HostFacts, env: Record<string, string> = {}, probe = systemProbe()): Promise<StepRun> {
  return runStep(step, contextFor(hostTarget, { host, probe, env }));
}

function listening(port: number): boolean {
  const text = readFileSync('/proc/net/tcp', 'utf8') + '\n' + readFileSync('/proc/net/tcp6', 'utf8').split('\n').slice(1).join('\n');
  return parseProcNetTcp(text, 4).some((l) => l.port === port) || parseProcNetTcp(readFileSync('/proc/net/tcp6', 'utf8'), 6).some((l) => l.port === port);
}

function messages(r: StepRun): string {
  return r.result.findings.map((f) => `[${f.severity}] ${f.message}`).join('\n');
}

describe.skipIf(!hasDockerd)('protect-docker-socket on real daemons', () => {
  let tmp: string;
  let byFlag: TestDaemon;
  let flagPort: number;

  beforeAll(async () => {
    await ensureBuilt();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'dh-step3-'));
    flagPort = await freePort();
    byFlag = await startDockerd({ extraFlags: ['-H', `tcp://127.0.0.1:${flagPort}`] });
  }, 300_000);

  afterAll(async () => {
    await byFlag?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it('-H tcp:// given as a flag: fails, names the flag and the listener', async () => {
    expect(listening(flagPort)).toBe(true);
    const r = await run(hostFor(byFlag));
    expect(r.result.status).toBe('fail');
    expect(messages(r)).toContain(`[high] dockerd listens on plain TCP tcp://127.0.0.1:${flagPort} (on loopback only) without TLS`);
    expect(messages(r)).toMatch(new RegExp(`set by -H tcp://127.0.0.1:${flagPort} on the dockerd command line \\(pid \\d+\\)`));
    expect(messages(r)).toContain(`something listens on 127.0.0.1:${flagPort} (loopback), the port of a Docker TCP endpoint above`);
    expect(r.result.notes!.join('\n')).toMatch(/given on dockerd's command line .* remove it where dockerd is started/);
    // Nothing in a file to change; the TLS way needs certificates that do not exist yet.
    expect(r.proposals.map((p) => p.id).sort()).toEqual(['ssh-context', 'tls']);
    expect(r.proposals.every((p) => p.changes.length === 0 && p.commands.every((c) => !c.run))).toBe(true);
  });

  it('fix: a flag on a command line it cannot edit is reported, nothing is written, the endpoint stays', async () => {
    const before = readFileSync(byFlag.configPath, 'utf8');
    const r = await runCli(
      ['fix', '--host', '--only', 'protect-docker-socket', '--yes', '--include-review', '--docker-host', byFlag.host, '--daemon-config', byFlag.configPath, '--restart-command', byFlag.restartScript, '--state-dir', path.join(tmp, 'state-flag')],
      { timeoutMs: 120_000 },
    );
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stdout).toContain('run these yourself');
    expect(r.stdout).toContain('docker context create remote --docker host=ssh://');
    expect(readFileSync(byFlag.configPath, 'utf8')).toBe(before);
    expect(listening(flagPort)).toBe(true);
  }, 180_000);

  it('the client side: DOCKER_HOST and contexts on plain TCP', async () => {
    const home = path.join(tmp, 'home');
    const name = 'prod-plain';
    const id = createHash('sha256').update(name).digest('hex');
    mkdirSync(path.join(home, '.docker', 'contexts', 'meta', id), { recursive: true });
    writeFileSync(path.join(home, '.docker', 'contexts', 'meta', id, 'meta.json'), JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: 'tcp://10.0.0.5:2375', SkipTLSVerify: false } } }));
    const sshId = createHash('sha256').update('prod-ssh').digest('hex');
    mkdirSync(path.join(home, '.docker', 'contexts', 'meta', sshId), { recursive: true });
    writeFileSync(path.join(home, '.docker', 'contexts', 'meta', sshId, 'meta.json'), JSON.stringify({ Name: 'prod-ssh', Metadata: {}, Endpoints: { docker: { Host: 'ssh://admin@10.0.0.5' } } }));
    const r = await run(hostFor(byFlag), { HOME: home, DOCKER_HOST: 'tcp://10.0.0.5:2375' });
    expect(messages(r)).toContain('DOCKER_HOST is tcp://10.0.0.5:2375 without DOCKER_TLS_VERIFY');
    expect(messages(r)).toContain('docker context "prod-plain" points at tcp://10.0.0.5:2375 without TLS');
    expect(messages(r)).not.toContain('prod-ssh');
    const verified = await run(hostFor(byFlag), { HOME: home, DOCKER_HOST: 'tcp://10.0.0.5:2376', DOCKER_TLS_VERIFY: '1' });
    expect(messages(verified)).not.toContain('DOCKER_HOST');
  });

  it('a socket everyone may use is critical; the fix sets root:docker 0660', async () => {
    chmodSync(byFlag.socket, 0o666);
    try {
      const r = await run(hostFor(byFlag));
      expect(messages(r)).toContain(`[critical] the Docker socket ${byFlag.socket} is mode 0666: every user on this machine can use it`);
      const p = r.proposals.find((x) => x.id === 'socket-mode')!;
      expect(p.commands.map((c) => c.argv)).toEqual([
        ['chown', 'root:docker', byFlag.socket],
        ['chmod', '0660', byFlag.socket],
      ]);
    } finally {
      chmodSync(byFlag.socket, 0o660);
    }
  });

  it('a container that mounts the socket is named, with a socket proxy as the way out', async () => {
    await buildBusyboxImage(byFlag, 'dh-step3:bb');
    await byFlag.docker(['run', '-d', '--name', 'portainer-like', '--network', 'none', '-v', `${byFlag.socket}:/var/run/docker.sock:ro`, 'dh-step3:bb', 'sleep', '600']);
    try {
      const r = await run(hostFor(byFlag));
      expect(messages(r)).toContain(`[high] container portainer-like (dh-step3:bb) mounts the Docker socket ${byFlag.socket} read-only, which does not limit the API`);
      expect(messages(r)).toContain('socket proxy');
    } finally {
      await byFlag.docker(['rm', '-f', 'portainer-like'], { reject: false });
    }
  }, 180_000);

  it('a TCP host in daemon.json: the fix edits daemon.json; after the restart nothing listens and the socket answers', async () => {
    const port = await freePort();
    const d = await startDockerd({ config: { bridge: 'none', 'live-restore': false }, hostsInConfig: [`tcp://127.0.0.1:${port}`] });
    try {
      expect(listening(port)).toBe(true);
      const before = await run(hostFor(d));
      expect(before.result.status).toBe('fail');
      const f = before.result.findings.find((x) => x.message.includes(`plain TCP tcp://127.0.0.1:${port}`))!;
      expect(f).toMatchObject({ file: d.configPath, line: 6, column: 5 });
      const remove = before.proposals.find((p) => p.id === 'remove-tcp')!;
      expect(remove.changes.map((c) => c.path)).toEqual([d.configPath]);

      const r = await runCli(
        ['fix', '--host', '--only', 'protect-docker-socket', '--yes', '--include-review', '--docker-host', d.host, '--daemon-config', d.configPath, '--restart-command', d.restartScript, '--state-dir', path.join(tmp, 'state-file')],
        { timeoutMs: 150_000 },
      );
      expect(r.stdout).toContain('applied; the check now passes');
      const after = JSON.parse(readFileSync(d.configPath, 'utf8'));
      expect(after).toEqual({ bridge: 'none', 'live-restore': false, hosts: [`unix://${d.socket}`] });
      expect(listening(port)).toBe(false);
      expect((await d.docker(['version', '--format', '{{.Server.Version}}'])).stdout.trim()).toMatch(/^\d+\./);
      const again = await run(hostFor(d));
      expect(again.result.status).toBe('pass');
    } finally {
      await d.stop();
    }
  }, 300_000);
});

describe('protect-docker-socket on a recorded systemd host', () => {
  const execStart = ['/usr/bin/dockerd', '-H', 'fd://', '-H', 'tcp://0.0.0.0:2375', '--containerd=/run/containerd/containerd.sock'];
  const flags = parseDaemonArgs(execStart.slice(1));
  const host = (over: { listen?: string[]; config?: string | null } = {}) =>
    recordedHost({
      info: ENGINE_29_INFO,
      config: { text: over.config ?? null },
      process: { pid: 900, argv: execStart, flags },
      units: {
        manager: 'systemd',
        execStart,
        execStartFlags: flags,
        execStartFile: '/lib/systemd/system/docker.service',
        unitFiles: ['/lib/systemd/system/docker.service'],
        socketListen: over.listen ?? ['/run/docker.sock'],
        socketUnitFile: '/lib/systemd/system/docker.socket',
      },
    });

  it('-H tcp://0.0.0.0:2375 in the unit is critical; the fix is a drop-in, never "hosts" in daemon.json', async () => {
    const r = await run(host(), {}, memoryProbe());
    expect(messages(r)).toContain('[critical] dockerd listens on plain TCP tcp://0.0.0.0:2375 (on every network interface) without TLS');
    expect(messages(r)).toContain('set by -H tcp://0.0.0.0:2375 on the /lib/systemd/system/docker.service');
    const p = r.proposals.find((x) => x.id === 'remove-tcp')!;
    expect(p.changes.map((c) => c.path)).toEqual(['/etc/systemd/system/docker.service.d/docker-harden.conf']);
    expect(p.changes[0]!.after).toMatch(/\[Service\]\nExecStart=\nExecStart=\/usr\/bin\/dockerd -H fd:\/\/ --containerd=\/run\/containerd\/containerd.sock\n$/);
    expect(p.commands.map((c) => c.argv)).toEqual([['systemctl', 'daemon-reload']]);
    expect(p.daemon).toBe('restart');
  });

  it('ListenStream=2375 in docker.socket is found and removed with a socket drop-in', async () => {
    const socketOnly = ['/usr/bin/dockerd', '-H', 'fd://'];
    const f = parseDaemonArgs(socketOnly.slice(1));
    const r = await run(
      recordedHost({
        info: ENGINE_29_INFO,
        config: { text: null },
        process: { pid: 901, argv: socketOnly, flags: f },
        units: { manager: 'systemd', execStart: socketOnly, execStartFlags: f, execStartFile: '/lib/systemd/system/docker.service', unitFiles: ['/lib/systemd/system/docker.service'], socketListen: ['/run/docker.sock', '2375'], socketUnitFile: '/lib/systemd/system/docker.socket' },
      }),
      {},
      memoryProbe(),
    );
    expect(messages(r)).toContain('dockerd listens on plain TCP 2375 (on every network interface)');
    const p = r.proposals.find((x) => x.id === 'remove-tcp')!;
    expect(p.changes[0]!.path).toBe('/etc/systemd/system/docker.socket.d/docker-harden.conf');
    expect(p.changes[0]!.after).toContain('[Socket]\nListenStream=\nListenStream=/run/docker.sock\n');
    expect(p.commands.map((c) => c.argv)).toContainEqual(['systemctl', 'restart', 'docker.socket']);
  });

  it('"tls" without "tlsverify" is not authentication', async () => {
    const r = await run(host({ config: '{"tls": true, "tlscert": "/etc/docker/tls/server-cert.pem", "tlskey": "/etc/docker/tls/server-key.pem"}' }), {}, memoryProbe());
    expect(messages(r)).toContain('with TLS but without verifying clients ("tlsverify" is off)');
  });

  it('with TLS client verification the endpoint is information only', async () => {
    const r = await run(host({ config: '{"tlsverify": true, "tlscacert": "/etc/docker/tls/ca.pem", "tlscert": "/etc/docker/tls/server-cert.pem", "tlskey": "/etc/docker/tls/server-key.pem"}' }), {}, memoryProbe());
    expect(r.result.status).toBe('info');
    expect(messages(r)).toContain('[info] dockerd listens on TCP tcp://0.0.0.0:2375 (on every network interface) with TLS client verification');
  });

  it('listeners on 2375 that no endpoint of this daemon explains', async () => {
    const tcp = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000:0947 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0\n';
    const socketOnly = ['/usr/bin/dockerd', '-H', 'fd://'];
    const r = await run(
      recordedHost({ info: ENGINE_29_INFO, config: { text: null }, process: { pid: 1, argv: socketOnly, flags: parseDaemonArgs(socketOnly.slice(1)) } }),
      {},
      memoryProbe({ files: { '/proc/net/tcp': tcp } }),
    );
    expect(messages(r)).toContain("[high] something listens on 0.0.0.0:2375 (every interface), Docker's plain-TCP port, and no Docker endpoint of this daemon explains it");
  });

  it('members of the docker group are named as root-equivalent', async () => {
    const r = await run(
      recordedHost({ info: ENGINE_29_INFO, config: { text: null } }),
      {},
      memoryProbe({
        stats: { '/var/run/docker.sock': { mode: 0o660, uid: 0, gid: 998, isSocket: true, isFile: false } },
        files: { '/etc/group': 'root:x:0:\ndocker:x:998:alice,bob\n', '/etc/passwd': 'root:x:0:0::/root:/bin/sh\ncarol:x:1002:998::/home/carol:/bin/sh\n' },
        groups: { docker: { gid: 998, members: ['alice', 'bob'] } },
      }),
    );
    expect(messages(r)).toContain('3 users in the "docker" group can use the Docker socket, which makes them root-equivalent: alice, bob, carol');
  });
});
