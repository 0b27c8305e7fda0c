import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import step from '../../steps/12-rootless-docker.js';
import { runStep, type StepRun } from '../../src/core/runner.js';
import { createHostFacts } from '../../src/host/client.js';
import { contextFor, hostTarget, memoryProbe, unreachableHost, type MemoryWorld } from '../helpers/world.js';
import { recordedHost, ENGINE_29_INFO } from '../helpers/recorded-host.js';
import { buildBusyboxImage, hasDockerd, startDockerd, type TestDaemon } from '../helpers/dockerd.js';
import type { CommandAction, Status } from '../../src/core/step.js';

const PASSWD = 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\n';

/** A machine ready for rootless Docker: tools, ranges, cgroup v2, systemd, user namespaces allowed. */
const ready: MemoryWorld = {
  files: {
    '/etc/passwd': PASSWD,
    '/etc/subuid': 'alice:100000:65536\n',
    '/etc/subgid': 'alice:100000:65536\n',
    '/sys/fs/cgroup/cgroup.controllers': 'cpuset cpu io memory pids\n',
    '/proc/sys/user/max_user_namespaces': '63432\n',
    '/proc/sys/kernel/unprivileged_userns_clone': '1\n',
  },
  stats: { '/run/systemd/system': { isDirectory: true, isFile: false } },
  which: { newuidmap: '/usr/bin/newuidmap', newgidmap: '/usr/bin/newgidmap', 'apt-get': '/usr/bin/apt-get', 'dockerd-rootless-setuptool.sh': '/usr/bin/dockerd-rootless-setuptool.sh' },
  users: { alice: 1000 },
  groups: { alice: { gid: 1000 } },
};

/** Debian 12 with docker.io as installed here: nothing for rootless yet, cgroup v1, no systemd. */
const bare: MemoryWorld = {
  files: {
    '/etc/passwd': PASSWD,
    '/etc/subuid': 'bob:100000:65536\n',
    '/etc/subgid': '',
    '/proc/sys/kernel/unprivileged_userns_clone': '0\n',
    '/proc/sys/kernel/apparmor_restrict_unprivileged_userns': '1\n',
    '/usr/share/docker.io/contrib/dockerd-rootless-setuptool.sh': '#!/bin/sh\n',
  },
  which: { 'apt-get': '/usr/bin/apt-get' },
  users: { alice: 1000 },
  groups: { alice: { gid: 1000 } },
};

interface Case {
  name: string;
  world: MemoryWorld;
  env: Record<string, string>;
  expect: {
    status: Status;
    findings: (string | RegExp)[];
    /** `asUser: argv` of the set-up commands, in order; null when nothing is proposed. */
    setup: string[] | null;
  };
}

const cases: Case[] = [
  {
    name: 'everything ready for alice (sudo): only the switch itself is left, in order',
    world: ready,
    env: { SUDO_USER: 'alice', USER: 'root' },
    expect: {
      status: 'warn',
      findings: ['dockerd runs as root: a break-out from the daemon or a container gets root on the host'],
      setup: [
        'root: apt-get install -y uidmap dbus-user-session',
        'alice: /usr/bin/dockerd-rootless-setuptool.sh install',
        'root: loginctl enable-linger alice',
        'alice: docker context use rootless',
      ],
    },
  },
  {
    name: "Debian's docker.io with nothing prepared: each missing prerequisite, and the commands that add it",
    world: bare,
    env: { USER: 'alice' },
    expect: {
      status: 'warn',
      findings: [
        'dockerd runs as root',
        'newuidmap and newgidmap not installed (package uidmap)',
        'no subordinate ids for alice; rootless Docker needs at least 65,536',
        'no subordinate ids for alice; rootless',
        'the host uses cgroup v1: rootless containers run, but resource limits (--memory, --cpus, --pids-limit) are ignored',
        'systemd is not running',
        'unprivileged user namespaces are switched off (kernel.unprivileged_userns_clone = 0)',
        'AppArmor restricts unprivileged user namespaces (Ubuntu 24.04 and later) and no rootlesskit profile is installed',
      ],
      setup: [
        'root: apt-get install -y uidmap dbus-user-session rootlesskit',
        'root: usermod --add-subuids 165536-231071 --add-subgids 165536-231071 -- alice',
        'root: sysctl -w kernel.unprivileged_userns_clone=1',
        'alice: /usr/share/docker.io/contrib/dockerd-rootless-setuptool.sh install',
        'root: loginctl enable-linger alice',
        'alice: docker context use rootless',
      ],
    },
  },
  {
    name: 'run as root with one regular user on the machine: that user',
    world: ready,
    env: { USER: 'root' },
    expect: { status: 'warn', findings: ['dockerd runs as root'], setup: ['root: apt-get install -y uidmap dbus-user-session', 'alice: /usr/bin/dockerd-rootless-setuptool.sh install', 'root: loginctl enable-linger alice', 'alice: docker context use rootless'] },
  },
  {
    name: 'no ordinary user to set it up for: said so, nothing proposed',
    world: { ...ready, files: { ...ready.files, '/etc/passwd': 'root:x:0:0:root:/root:/bin/bash\n' } },
    env: { USER: 'root' },
    expect: { status: 'warn', findings: ['dockerd runs as root', /^no ordinary user found to run rootless Docker for/], setup: null },
  },
];

function show(c: CommandAction): string {
  return `${c.asUser}: ${c.argv.join(' ')}`;
}

function expectCase(run: StepRun, c: Case['expect']) {
  const messages = run.result.findings.map((f) => f.message);
  expect(run.result.status, messages.join('\n')).toBe(c.status);
  for (const want of c.findings) {
    expect(messages.some((m) => (typeof want === 'string' ? m.includes(want) : want.test(m))), `${want}\nin:\n${messages.join('\n')}`).toBe(true);
  }
  expect(messages).toHaveLength(c.findings.length);
  if (c.setup === null) {
    expect(run.proposals).toEqual([]);
    return;
  }
  expect(run.proposals.map((p) => p.id)).toEqual(['rootless-setup', 'stop-rootful']);
  const [setup, stop] = run.proposals as [StepRun['proposals'][0], StepRun['proposals'][0]];
  expect(setup.commands.map(show)).toEqual(c.setup);
  // Nothing is run by docker-harden: the set-up must run as the user, and stopping the root daemon is the person's own step.
  for (const p of run.proposals) {
    expect(p.changes).toEqual([]);
    expect(p.commands.every((x) => x.run === false && x.asUser)).toBe(true);
  }
  expect(stop.commands.map(show)).toEqual(['root: systemctl disable --now docker.service docker.socket']);
  expect(stop.title).toMatch(/^Last, once the rootless daemon runs your workload/);
}

describe.skipIf(!hasDockerd)('rootless-docker on a real (rootful) dockerd', () => {
  let d: TestDaemon;
  beforeAll(async () => {
    d = await startDockerd();
    await buildBusyboxImage(d, 'dh-bb:1');
    await d.docker(['run', '-d', '--name', 'dh-nethost', '--network', 'host', 'dh-bb:1', 'sleep', '3600']);
  });
  afterAll(async () => {
    await d?.stop();
  });

  it.each(cases)('$name', async (c) => {
    const probe = memoryProbe(c.world);
    const host = createHostFacts({ dockerHost: d.host, daemonConfigPath: d.configPath, env: c.env, probe });
    const run = await runStep(step, contextFor(hostTarget, { host, probe, env: c.env }));
    // The real daemon's --network host container is always part of what would not carry over.
    const workload = run.result.findings.filter((f) => f.message.startsWith('would not carry over'));
    expect(workload.map((f) => f.message)).toEqual(['would not carry over as it is: dh-nethost uses --network host: rootless, "host" is the network namespace of rootlesskit, not the host\'s']);
    expectCase({ ...run, result: { ...run.result, findings: run.result.findings.filter((f) => !workload.includes(f)) } }, c.expect);
    if (c.expect.setup) expect(run.proposals[0]!.warnings[0]).toMatch(/^The rootless daemon starts empty: the 1 image and 0 volumes of the root daemon are not shared with it/);
  });
});

describe('rootless-docker on recorded hosts (what the test dockerd cannot be)', () => {
  it('a rootless daemon passes, and says where its configuration is', async () => {
    const host = recordedHost({
      info: { ...ENGINE_29_INFO, SecurityOptions: ['name=seccomp,profile=builtin', 'name=rootless', 'name=cgroupns'] },
      config: { path: '/home/alice/.config/docker/daemon.json', source: 'rootless', text: '{}\n' },
    });
    const run = await runStep(step, contextFor(hostTarget, { host, probe: memoryProbe(ready) }));
    expect(run.result).toEqual({ status: 'pass', findings: [], notes: ['dockerd runs rootless; its configuration is /home/alice/.config/docker/daemon.json'] });
    expect(run.proposals).toEqual([]);
  });

  it('ports below 1024, AppArmor profiles and swarm mode are what would not carry over', async () => {
    const host = recordedHost({
      info: { ...ENGINE_29_INFO, Swarm: { LocalNodeState: 'active' } },
      containers: [
        { Name: '/proxy', HostConfig: { PortBindings: { '443/tcp': [{ HostIp: '', HostPort: '443' }], '8080/tcp': [{ HostIp: '', HostPort: '8080' }] } } },
        { Name: '/confined', AppArmorProfile: 'my-profile' },
      ],
    });
    const world = { ...ready, files: { ...ready.files, '/sys/module/apparmor/parameters/enabled': 'Y\n' } };
    const run = await runStep(step, contextFor(hostTarget, { host, probe: memoryProbe(world), env: { SUDO_USER: 'alice' } }));
    const workload = run.result.findings.filter((f) => f.message.startsWith('would not carry over')).map((f) => f.message.replace('would not carry over as it is: ', ''));
    expect(workload).toEqual([
      'proxy publishes port 443, below 1024: a rootless daemon cannot bind it unless net.ipv4.ip_unprivileged_port_start is lowered (or setcap cap_net_bind_service on rootlesskit)',
      'confined runs under the AppArmor profile my-profile: rootless Docker does not apply AppArmor profiles',
      'AppArmor is enabled here, and rootless Docker does not confine containers with docker-default: the user namespace takes its place',
      'this daemon is in swarm mode: overlay networks and swarm services do not work with rootless Docker',
    ]);
    expect(run.proposals[0]!.warnings.slice(1)).toEqual(workload.map((w) => `Would not carry over as it is: ${w}.`));
  });

  it('an unreachable daemon is an error', async () => {
    const run = await runStep(step, contextFor(hostTarget, { host: unreachableHost(), probe: memoryProbe(ready) }));
    expect(run.result.status).toBe('error');
    expect(run.proposals).toEqual([]);
  });
});
