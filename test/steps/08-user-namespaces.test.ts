import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import step, { unseenContainers } from '../../steps/08-user-namespaces.js';
import { runStep, type StepRun } from '../../src/core/runner.js';
import { createHostFacts } from '../../src/host/client.js';
import { contextFor, hostTarget, memoryProbe, unreachableHost, type MemoryWorld } from '../helpers/world.js';
import { recordedHost, ENGINE_29_INFO } from '../helpers/recorded-host.js';
import { buildBusyboxImage, hasDockerd, startDockerd, type TestDaemon } from '../helpers/dockerd.js';
import type { Status } from '../../src/core/step.js';

interface HostCase {
  name: string;
  /** The machine files the step reads (subuid, passwd); the daemon is the real test dockerd. */
  world: MemoryWorld;
  /** daemon.json written for this case (not made live), or undefined to keep the daemon's own. */
  daemonJson?: string;
  expect: {
    status: Status;
    findings: (string | RegExp)[];
    notes?: RegExp[];
    proposals: string[];
  };
}

const hasUseradd: MemoryWorld = { which: { useradd: '/usr/sbin/useradd' } };

const cases: HostCase[] = [
  {
    name: 'remapping off, no dockremap yet: dockerd will create it',
    world: hasUseradd,
    expect: {
      status: 'fail',
      findings: ['user namespace remapping is off: root in a container is root (uid 0) on the host'],
      notes: [/\/etc\/subuid: no ranges for dockremap yet; dockerd creates the user and its ranges/],
      proposals: ['userns-remap-default'],
    },
  },
  {
    name: 'set in daemon.json for a user without subordinate ids, not yet live',
    world: { ...hasUseradd, users: { alice: 1000 }, groups: { alice: { gid: 1000 } }, files: { '/etc/subuid': 'bob:100000:65536\n', '/etc/subgid': 'bob:100000:65536\n' } },
    daemonJson: '{\n  "bridge": "none",\n  "userns-remap": "alice"\n}\n',
    expect: {
      status: 'fail',
      findings: [
        /^"userns-remap": "alice" is set in daemon.json but dockerd runs without it/,
        'no range for "alice", named by userns-remap: dockerd refuses to start with this setting',
        'no range for "alice", named by userns-remap: dockerd refuses to start with this setting',
      ],
      proposals: ['restart-for-userns'],
    },
  },
  {
    name: "dockremap's range overlaps another user's",
    world: {
      ...hasUseradd,
      users: { dockremap: 999 },
      groups: { dockremap: { gid: 999 } },
      files: { '/etc/subuid': 'dockremap:100000:65536\nbob:150000:65536\n', '/etc/subgid': 'dockremap:100000:65536\n' },
    },
    expect: {
      status: 'fail',
      findings: ['user namespace remapping is off', 'the range of "dockremap" overlaps the range of "bob"'],
      proposals: ['userns-remap-default'],
    },
  },
  {
    name: 'a range too small for ordinary images',
    world: { ...hasUseradd, users: { dockremap: 999 }, groups: { dockremap: { gid: 999 } }, files: { '/etc/subuid': 'dockremap:100000:1000\n', '/etc/subgid': '999:100000:65536\n' } },
    expect: {
      status: 'fail',
      findings: ['user namespace remapping is off', 'only 1000 ids for "dockremap"'],
      proposals: ['userns-remap-default'],
    },
  },
];

function check(run: StepRun, c: HostCase['expect']) {
  const messages = run.result.findings.map((f) => f.message);
  expect(run.result.status, messages.join('\n')).toBe(c.status);
  for (const want of c.findings) {
    expect(messages.some((m) => (typeof want === 'string' ? m.includes(want) : want.test(m))), `${want}\nin:\n${messages.join('\n')}`).toBe(true);
  }
  expect(messages).toHaveLength(c.findings.length);
  // Findings about id ranges point at the file (and line) they come from.
  for (const f of run.result.findings.filter((x) => /range|ids for/.test(x.message))) expect(f.file).toMatch(/^\/etc\/sub[ug]id$/);
  for (const n of c.notes ?? []) expect(run.result.notes?.some((x) => n.test(x)), `${n} in ${run.result.notes?.join('\n')}`).toBe(true);
  expect(run.proposals.map((p) => p.id)).toEqual(c.proposals);
}

describe.skipIf(!hasDockerd)('user-namespaces on a real dockerd', () => {
  let d: TestDaemon;
  const ctx = (world: MemoryWorld) => {
    const probe = memoryProbe(world);
    return contextFor(hostTarget, { host: createHostFacts({ dockerHost: d.host, daemonConfigPath: d.configPath, env: {}, probe }), probe });
  };

  beforeAll(async () => {
    d = await startDockerd();
    await buildBusyboxImage(d, 'dh-bb:1');
    await d.docker(['create', '--name', 'dh-c1', '--network', 'none', 'dh-bb:1', 'true']);
    await d.docker(['create', '--name', 'dh-c2', '--network', 'none', 'dh-bb:1', 'true']);
    await d.docker(['volume', 'create', 'dh-v1']);
    await d.docker(['run', '-d', '--name', 'dh-nethost', '--network', 'host', 'dh-bb:1', 'sleep', '3600']);
    await d.docker(['run', '-d', '--name', 'dh-pidhost', '--network', 'none', '--pid', 'host', 'dh-bb:1', 'sleep', '3600']);
  });
  afterAll(async () => {
    await d?.stop();
  });

  it.each(cases)('$name', async (c) => {
    const original = await fs.readFile(d.configPath, 'utf8');
    if (c.daemonJson) await fs.writeFile(d.configPath, c.daemonJson);
    try {
      check(await runStep(step, ctx(c.world)), c.expect);
    } finally {
      await fs.writeFile(d.configPath, original);
    }
  });

  it('the gates give this daemon\'s real counts and name the containers that would break', async () => {
    const images = (await d.docker(['images', '-q'])).stdout.trim().split('\n').filter(Boolean).length;
    const containers = (await d.docker(['ps', '-aq'])).stdout.trim().split('\n').filter(Boolean).length;
    const volumes = (await d.docker(['volume', 'ls', '-q'])).stdout.trim().split('\n').filter(Boolean).length;
    expect([images, containers, volumes]).toEqual([1, 4, 1]);

    const run = await runStep(step, ctx(hasUseradd));
    const p = run.proposals[0]!;
    expect(p.warnings[0]).toMatch(/^1 image, 4 containers and 1 volume become invisible after the switch/);
    expect(p.warnings.join('\n')).toMatch(/These containers will not start with remapping: (dh-nethost \(--network=host\); dh-pidhost \(--pid=host\)|dh-pidhost \(--pid=host\); dh-nethost \(--network=host\))/);
    expect(p.daemon).toBe('restart');
    const original = await fs.readFile(d.configPath, 'utf8');
    expect(p.changes).toEqual([{ path: d.configPath, before: original, after: original.replace('"bridge": "none"', '"bridge": "none",\n  "userns-remap": "default"'), json: [{ path: ['userns-remap'], value: 'default' }] }]);
  });

  it('without useradd and without a dockremap user, the gates say dockerd could not create it', async () => {
    const run = await runStep(step, ctx({}));
    expect(run.proposals[0]!.warnings.join('\n')).toMatch(/dockerd creates the user "dockremap" with useradd, which is not installed here/);
  });
});

describe('user-namespaces on recorded hosts (what the test dockerd cannot be)', () => {
  it('a rootless daemon does not need it', async () => {
    const host = recordedHost({ info: { ...ENGINE_29_INFO, SecurityOptions: ['name=seccomp,profile=builtin', 'name=rootless', 'name=cgroupns'] } });
    const run = await runStep(step, contextFor(hostTarget, { host }));
    expect(run.result.status).toBe('not-applicable');
    expect(run.result.notes?.[0]).toMatch(/runs rootless/);
    expect(run.proposals).toEqual([]);
  });

  it('a daemon running with remapping and a clean range passes', async () => {
    const host = recordedHost({
      info: { ...ENGINE_29_INFO, Driver: 'overlay2', DriverStatus: [], SecurityOptions: ['name=seccomp,profile=builtin', 'name=userns'] },
      config: { text: '{\n  "userns-remap": "default"\n}\n' },
    });
    const probe = memoryProbe({ users: { dockremap: 998 }, groups: { dockremap: { gid: 998 } }, files: { '/etc/subuid': 'dockremap:165536:65536\n', '/etc/subgid': 'dockremap:165536:65536\n' } });
    const run = await runStep(step, contextFor(hostTarget, { host, probe }));
    expect(run.result.status).toBe('pass');
    expect(run.result.notes?.[0]).toBe('dockerd runs with user namespace remapping ("userns-remap": "default")');
    expect(run.proposals).toEqual([]);
  });

  it('a fresh Engine 29 on the containerd image store: the gate says it cannot be used with remapping', async () => {
    const host = recordedHost({ info: { ...ENGINE_29_INFO, Containers: 3 }, images: 5, volumes: 2, config: { text: '{}\n' } });
    const run = await runStep(step, contextFor(hostTarget, { host, probe: memoryProbe(hasUseradd) }));
    const warnings = run.proposals[0]!.warnings.join('\n');
    expect(warnings).toMatch(/^5 images, 3 containers and 2 volumes become invisible/);
    expect(warnings).toMatch(/containerd image store \(storage driver overlayfs, io\.containerd\.snapshotter\.v1\), which cannot be used with userns-remap/);
  });

  it('an unreachable daemon is an error', async () => {
    const run = await runStep(step, contextFor(hostTarget, { host: unreachableHost() }));
    expect(run.result.status).toBe('error');
    expect(run.proposals).toEqual([]);
  });
});

describe('unseenContainers: what counts as a container left running before remapping', () => {
  const root = '/var/lib/docker';
  const id = (c: string) => c.repeat(64);
  const config = (name: string, running: boolean, pid: number) => JSON.stringify({ Name: `/${name}`, State: { Running: running, Pid: pid } });
  const world = memoryProbe({
    files: {
      // Running, its pid in its own cgroup, as root: counted.
      [`${root}/containers/${id('a')}/config.v2.json`]: config('web', true, 101),
      [`/proc/101/cgroup`]: `0::/docker/${id('a')}\n`,
      [`/proc/101/status`]: 'Name:\tsleep\nUid:\t0\t0\t0\t0\n',
      // Recorded as running, but the pid now belongs to another process: not counted.
      [`${root}/containers/${id('b')}/config.v2.json`]: config('reused', true, 102),
      [`/proc/102/cgroup`]: '0::/user.slice/session-1.scope\n',
      // Stopped before the restart: not counted.
      [`${root}/containers/${id('c')}/config.v2.json`]: config('stopped', false, 0),
      // A name with a control character is shown visibly; the remapped root's own folder is no container.
      [`${root}/containers/${id('d')}/config.v2.json`]: config('x\u001b[2Jy', true, 104),
      [`/proc/104/cgroup`]: `0::/system.slice/docker-${id('d')}.scope\n`,
      [`${root}/containers/not-an-id/config.v2.json`]: config('odd', true, 101),
      [`${root}/165536.165536/containers/${id('e')}/config.v2.json`]: config('remapped', true, 105),
    },
  });

  const cases: { rootDir: string | undefined; names: string[] }[] = [
    { rootDir: `${root}/165536.165536`, names: ['web', 'x\\x1b[2Jy'] },
    // Not a remapped root (no <uid>.<gid> folder): nothing is looked for.
    { rootDir: root, names: [] },
    { rootDir: undefined, names: [] },
  ];
  for (const c of cases) {
    it(`data root ${c.rootDir ?? '(unknown)'}: ${c.names.join(', ') || 'none'}`, async () => {
      const found = await unseenContainers(world, c.rootDir);
      expect(found.map((f) => f.name)).toEqual(c.names);
      if (c.names.includes('web')) expect(found.find((f) => f.name === 'web')).toMatchObject({ pid: 101, uid: 0, id: id('a') });
    });
  }
});
