/**
 * scan-host-config against real dockerd instances started with different daemon.json files and
 * flags (each CIS daemon check with a passing and a failing case), plus recorded hosts for what
 * Debian's dockerd 20.10 cannot run here (aufs, devicemapper, an authorization plugin, swarm,
 * a systemd unit).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import step from '../../steps/02-scan-host-config.js';
import { runStep, type StepRun } from '../../src/core/runner.js';
import { systemProbe } from '../../src/core/probe.js';
import { createHostFacts } from '../../src/host/client.js';
import { parseDaemonArgs } from '../../src/host/flags.js';
import { contextFor, hostTarget, memoryProbe, unreachableHost } from '../helpers/world.js';
import { recordedHost, ENGINE_29_INFO } from '../helpers/recorded-host.js';
import { hasDockerd, startDockerd, type DaemonSpec, type TestDaemon } from '../helpers/dockerd.js';
import { ensureBuilt, runCli } from '../helpers/cli.js';
import { freePort, makeTls } from '../helpers/host-tools.js';
import type { HostFacts } from '../../src/host/facts.js';
import type { Status } from '../../src/core/step.js';

function hostFor(d: TestDaemon): HostFacts {
  return createHostFacts({ dockerHost: d.host, daemonConfigPath: d.configPath, env: {}, probe: systemProbe() });
}

async function run(host: HostFacts, probe = systemProbe()): Promise<StepRun> {
  return runStep(step, contextFor(hostTarget, { host, probe, env: {} }));
}

/** `CIS 2.2 icc: fail` note lines -> { icc: 'fail' }. */
function statuses(r: StepRun): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of r.result.notes ?? []) {
    const m = /^CIS [\d.]+ (\S+): (\S+)/.exec(n);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

function finding(r: StepRun, text: string) {
  return r.result.findings.find((f) => f.message.includes(text));
}

interface CisCase {
  name: string;
  /** Which daemon (or recorded host) the case runs on. */
  given: 'defaults' | 'hardened-file' | 'flags-and-file';
  key: string;
  expect: { status: Status | 'not-applicable'; finding?: string; location?: 'file' | 'none' };
}

/**
 * defaults: daemon.json {"bridge": "none"} and nothing else.
 * hardened-file: every setting in daemon.json, TCP with TLS set in the file (docker-bench misses it).
 * flags-and-file: -H tcp://, --log-level and --bridge as flags (docker-bench misses the first two),
 * cgroup-parent in the file (docker-bench never flags it), and other weak settings.
 */
const CASES: CisCase[] = [
  // icc with a default bridge network, on and off: the recorded hosts below (these daemons have none).
  { name: '2.2 icc: no default bridge network ("bridge": "none" in the file)', given: 'defaults', key: 'icc', expect: { status: 'not-applicable', finding: 'no default bridge network for icc to restrict' } },
  { name: '2.2 icc: no default bridge network (--bridge=none given as a flag)', given: 'flags-and-file', key: 'icc', expect: { status: 'not-applicable' } },
  { name: '2.3 log-level: default info', given: 'defaults', key: 'log-level', expect: { status: 'pass' } },
  { name: '2.3 log-level: "info" in the file', given: 'hardened-file', key: 'log-level', expect: { status: 'pass' } },
  { name: '2.3 log-level: debug given as a flag', given: 'flags-and-file', key: 'log-level', expect: { status: 'fail', finding: 'log-level is "debug", set by --log-level=debug on the dockerd command line' } },
  { name: '2.4 iptables: default on', given: 'defaults', key: 'iptables', expect: { status: 'pass' } },
  { name: '2.4 iptables: false in the file', given: 'flags-and-file', key: 'iptables', expect: { status: 'fail', finding: 'iptables is false, set by', location: 'file' } },
  { name: '2.5 insecure registries: none', given: 'defaults', key: 'insecure-registries', expect: { status: 'pass' } },
  { name: '2.5 insecure registries: given as a flag', given: 'flags-and-file', key: 'insecure-registries', expect: { status: 'fail', finding: 'insecure registries allowed: myreg.example:5000' } },
  { name: '2.6 aufs: overlay2 in use', given: 'defaults', key: 'storage-driver', expect: { status: 'pass' } },
  { name: '2.7 TLS: no TCP endpoint', given: 'defaults', key: 'tls', expect: { status: 'not-applicable' } },
  { name: '2.7 TLS: tcp host and tlsverify set in daemon.json', given: 'hardened-file', key: 'tls', expect: { status: 'pass' } },
  { name: '2.7 TLS: -H tcp:// given as a flag, no TLS', given: 'flags-and-file', key: 'tls', expect: { status: 'fail', finding: 'has no TLS' } },
  { name: '2.8 default-ulimits: not set', given: 'defaults', key: 'default-ulimits', expect: { status: 'info', finding: 'default-ulimits is not set' } },
  { name: '2.8 default-ulimits: set in the file', given: 'hardened-file', key: 'default-ulimits', expect: { status: 'pass' } },
  { name: '2.10 cgroup-parent: not set', given: 'defaults', key: 'cgroup-parent', expect: { status: 'pass' } },
  { name: '2.10 cgroup-parent: set in the file', given: 'flags-and-file', key: 'cgroup-parent', expect: { status: 'fail', finding: 'cgroup-parent is "dh-test"', location: 'file' } },
  { name: '2.11 dm.basesize: not set', given: 'defaults', key: 'storage-opts', expect: { status: 'pass' } },
  { name: '2.12 authorization plugins: none', given: 'defaults', key: 'authorization-plugins', expect: { status: 'info', finding: 'no authorization plugin' } },
  { name: '2.13 logging: json-file without max-size', given: 'defaults', key: 'log-opts', expect: { status: 'fail', finding: 'container logs (json-file) have no size limit' } },
  { name: '2.13 logging: json-file with max-size', given: 'hardened-file', key: 'log-opts', expect: { status: 'pass' } },
  { name: '2.13 logging: the local driver rotates by itself', given: 'flags-and-file', key: 'log-opts', expect: { status: 'pass' } },
  { name: '2.14 no-new-privileges: default off', given: 'defaults', key: 'no-new-privileges', expect: { status: 'fail', finding: 'no-new-privileges is false' } },
  { name: '2.14 no-new-privileges: on in the file and live', given: 'hardened-file', key: 'no-new-privileges', expect: { status: 'pass' } },
  { name: '2.15 live-restore: default off', given: 'defaults', key: 'live-restore', expect: { status: 'fail', finding: 'live-restore is false' } },
  { name: '2.15 live-restore: on in the file and live', given: 'hardened-file', key: 'live-restore', expect: { status: 'pass' } },
  { name: '2.16 userland-proxy: default on', given: 'defaults', key: 'userland-proxy', expect: { status: 'fail', finding: 'userland-proxy is true' } },
  { name: '2.16 userland-proxy: false in the file', given: 'hardened-file', key: 'userland-proxy', expect: { status: 'pass' } },
  { name: '2.17 seccomp: default profile', given: 'defaults', key: 'seccomp-profile', expect: { status: 'pass' } },
  { name: '2.17 seccomp: unconfined in the file', given: 'flags-and-file', key: 'seccomp-profile', expect: { status: 'fail', finding: 'seccomp is off for every container', location: 'file' } },
  { name: '2.18 experimental: off', given: 'defaults', key: 'experimental', expect: { status: 'pass' } },
  { name: '2.18 experimental: given as a flag', given: 'flags-and-file', key: 'experimental', expect: { status: 'fail', finding: 'experimental features are on (set by --experimental on the dockerd command line' } },
];

describe.skipIf(!hasDockerd)('scan-host-config on real daemons', () => {
  const daemons = new Map<CisCase['given'], TestDaemon>();
  const runs = new Map<CisCase['given'], StepRun>();
  let tmp: string;
  let tcpPort: number;
  let tlsPort: number;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'dh-step2-'));
    tcpPort = await freePort();
    tlsPort = await freePort();
    const tls = await makeTls(path.join(tmp, 'tls'));
    const allowAll = path.join(tmp, 'seccomp-allow-all.json');
    writeFileSync(allowAll, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [] }));
    const specs: Record<CisCase['given'], DaemonSpec> = {
      defaults: { config: { bridge: 'none' } },
      'hardened-file': {
        config: {
          bridge: 'none',
          icc: false,
          'log-level': 'info',
          'log-opts': { 'max-size': '10m', 'max-file': '3' },
          'no-new-privileges': true,
          'live-restore': true,
          'userland-proxy': false,
          'default-ulimits': { nofile: { Name: 'nofile', Hard: 64000, Soft: 64000 } },
          tlsverify: true,
          tlscacert: tls.ca,
          tlscert: tls.cert,
          tlskey: tls.key,
        },
        hostsInConfig: [`tcp://127.0.0.1:${tlsPort}`],
      },
      'flags-and-file': {
        // dockerd 20.10 reads "unconfined" as a file name; a profile that allows every call is the same.
        config: { 'cgroup-parent': 'dh-test', iptables: false, 'seccomp-profile': allowAll, 'log-driver': 'local' },
        extraFlags: ['--bridge=none', '-H', `tcp://127.0.0.1:${tcpPort}`, '--log-level=debug', '--experimental', '--insecure-registry', 'myreg.example:5000'],
      },
    };
    await Promise.all(
      Object.entries(specs).map(async ([name, spec]) => {
        daemons.set(name as CisCase['given'], await startDockerd(spec));
      }),
    );
    for (const [name, d] of daemons) runs.set(name, await run(hostFor(d)));
  }, 180_000);

  afterAll(async () => {
    await Promise.all([...daemons.values()].map((d) => d.stop()));
    rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it.each(CASES)('$name', ({ given, key, expect: want }) => {
    const r = runs.get(given)!;
    expect(statuses(r)[key], JSON.stringify(r.result, null, 1)).toBe(want.status);
    if (want.finding) {
      const f = finding(r, want.finding);
      expect(f, r.result.findings.map((x) => x.message).join('\n')).toBeTruthy();
      if (want.location === 'file') {
        expect(f!.file).toBe(daemons.get(given)!.configPath);
        expect(f!.line).toBeGreaterThan(1);
      }
    }
  });

  it('the step status follows the worst finding', () => {
    expect(runs.get('defaults')!.result.status).toBe('fail');
    expect(runs.get('flags-and-file')!.result.status).toBe('fail');
    // Only information left (no authorization plugin, audit rules): nothing to fail on.
    expect(runs.get('hardened-file')!.result.status).toBe('info');
  });

  it('counts passing checks before and after the proposed changes', () => {
    const notes = runs.get('defaults')!.result.notes!;
    expect(notes[0]).toMatch(/^CIS daemon checks: (\d+) of (\d+) pass now; (\d+) of \2 would pass/);
    const [, now, , after] = /(\d+) of (\d+) pass now; (\d+)/.exec(notes[0]!)!;
    expect(Number(after)).toBe(Number(now) + 4);
  });

  it('proposes one daemon.json change per key, each with its impact, where the key belongs', () => {
    const r = runs.get('defaults')!;
    const d = daemons.get('defaults')!;
    const byId = new Map(r.proposals.map((p) => [p.id, p]));
    expect([...byId.keys()]).toEqual(expect.arrayContaining(['log-opts', 'no-new-privileges', 'live-restore', 'userland-proxy']));
    // Without a default bridge network icc restricts nothing: no restart for it.
    expect([...byId.keys()]).not.toContain('icc');
    for (const id of ['log-opts', 'no-new-privileges', 'live-restore', 'userland-proxy']) {
      const p = byId.get(id)!;
      expect(p.changes).toHaveLength(1);
      expect(p.changes[0]!.path).toBe(d.configPath);
      expect(p.changes[0]!.before).toBe(readFileSync(d.configPath, 'utf8'));
      expect(p.warnings.length).toBeGreaterThan(0);
    }
    expect(JSON.parse(byId.get('no-new-privileges')!.changes[0]!.after)).toEqual({ bridge: 'none', 'no-new-privileges': true });
    expect(JSON.parse(byId.get('log-opts')!.changes[0]!.after)['log-opts']).toEqual({ 'max-size': '10m', 'max-file': '3' });
    expect(byId.get('no-new-privileges')!.warnings.join(' ')).toMatch(/sudo or su/);
    expect(byId.get('userland-proxy')!.warnings.join(' ')).toMatch(/iptables/);
    expect(byId.get('live-restore')!.warnings.join(' ')).toMatch(/swarm/);
    // live-restore is one of the keys dockerd reloads on SIGHUP; no-new-privileges needs a restart.
    expect(byId.get('live-restore')!.daemon).toBe('reload');
    expect(byId.get('no-new-privileges')!.daemon).toBe('restart');
    // Ordered by impact: live-restore first, then reloads, then restarts, so containers survive.
    const daemonChanges = r.proposals.filter((p) => p.daemon);
    expect(daemonChanges[0]!.id).toBe('live-restore');
    const firstRestart = daemonChanges.findIndex((p) => p.daemon === 'restart');
    expect(daemonChanges.slice(firstRestart).every((p) => p.daemon === 'restart')).toBe(true);
  });

  it('a setting given only on a command line gets no daemon.json change, and the finding says where it lives', () => {
    const r = runs.get('flags-and-file')!;
    const ids = r.proposals.map((p) => p.id);
    // log-level and experimental come from flags: a file key would stop dockerd from starting.
    expect(ids).not.toContain('log-level');
    expect(ids).not.toContain('experimental');
    expect(finding(r, 'log-level is "debug"')!.message).toMatch(/given on dockerd's command line \(pid \d+\).*change it where dockerd is started/);
    // Keys that live in the file are edited there.
    expect(ids).toEqual(expect.arrayContaining(['iptables', 'cgroup-parent', 'seccomp-profile']));
    const cgroup = r.proposals.find((p) => p.id === 'cgroup-parent')!;
    expect(JSON.parse(cgroup.changes[0]!.after)).not.toHaveProperty('cgroup-parent');
  });

  it('reports a setting written to daemon.json but not live yet', async () => {
    const d = daemons.get('defaults')!;
    const before = readFileSync(d.configPath, 'utf8');
    try {
      writeFileSync(d.configPath, JSON.stringify({ bridge: 'none', 'live-restore': true, 'no-new-privileges': true }, null, 2) + '\n');
      const r = await run(hostFor(d));
      expect(statuses(r)['live-restore']).toBe('fail');
      expect(finding(r, 'live-restore: set to true')!.message).toMatch(/dockerd runs with false: not live until dockerd restarts/);
      // Engine 20.10 does not report no-new-privileges in docker info; the file's time says it changed.
      expect(r.result.notes!.join('\n')).toMatch(/daemon\.json was changed after dockerd started/);
      expect(r.proposals.map((p) => p.id)).not.toContain('live-restore');
    } finally {
      writeFileSync(d.configPath, before);
    }
  });

  it('flags daemon.json that others may write, with the chmod that fixes it', async () => {
    const d = daemons.get('defaults')!;
    chmodSync(d.configPath, 0o666);
    try {
      const r = await run(hostFor(d));
      const f = finding(r, `daemon.json ${d.configPath} is mode 0666`);
      expect(f?.message).toMatch(/anyone on this machine can change it/);
      const perms = r.proposals.find((p) => p.id === 'permissions')!;
      expect(perms.commands).toContainEqual(expect.objectContaining({ argv: ['chmod', '0644', '--', d.configPath], run: true }));
    } finally {
      chmodSync(d.configPath, 0o644);
    }
    const again = await run(hostFor(d));
    expect(again.result.findings.some((f) => f.message.includes(d.configPath))).toBe(false);
  });

  it('check --host --json reports each key of step 2 with the right status', async () => {
    await ensureBuilt();
    const d = daemons.get('flags-and-file')!;
    const r = await runCli(['check', '--host', '--only', 'scan-host-config', '--json', '--docker-host', d.host, '--daemon-config', d.configPath, '--state-dir', path.join(tmp, 'state')]);
    expect(r.exitCode, r.stderr).toBe(1);
    const result = JSON.parse(r.stdout).results[0];
    expect(result.status).toBe('fail');
    const got: Record<string, string> = {};
    for (const n of result.notes as string[]) {
      const m = /^CIS [\d.]+ (\S+): (\S+)/.exec(n);
      if (m) got[m[1]!] = m[2]!;
    }
    const want = Object.fromEntries(CASES.filter((c) => c.given === 'flags-and-file').map((c) => [c.key, c.expect.status]));
    expect(got).toMatchObject(want);
    expect(got).toMatchObject({ icc: 'not-applicable', 'no-new-privileges': 'fail', 'storage-driver': 'pass', 'storage-opts': 'pass' });
  }, 120_000);
});

describe('scan-host-config on recorded hosts (what this dockerd cannot run)', () => {
  const base = { ...ENGINE_29_INFO, LoggingDriver: 'json-file' };

  it('2.6 aufs in use fails and is not changed automatically', async () => {
    const r = await run(recordedHost({ info: { ...base, Driver: 'aufs' }, config: { text: '{"log-opts": {"max-size": "10m"}}' } }), memoryProbe());
    expect(statuses(r)['storage-driver']).toBe('fail');
    expect(finding(r, 'the aufs storage driver is in use')!.message).toMatch(/overlay2/);
  });

  it('2.11 dm.basesize in storage-opts fails, and the fix drops only that option', async () => {
    const text = '{\n  "storage-driver": "devicemapper",\n  "storage-opts": ["dm.thinpooldev=/dev/mapper/thin", "dm.basesize=20G"]\n}\n';
    const r = await run(recordedHost({ info: { ...base, Driver: 'devicemapper' }, config: { text } }), memoryProbe());
    expect(statuses(r)['storage-opts']).toBe('fail');
    expect(finding(r, 'storage option dm.basesize=20G is set')).toBeTruthy();
    const p = r.proposals.find((x) => x.id === 'dm-basesize')!;
    expect(JSON.parse(p.changes[0]!.after)['storage-opts']).toEqual(['dm.thinpooldev=/dev/mapper/thin']);
  });

  it('2.17 "seccomp-profile": "unconfined" (Engine 23 and later) fails; the fix removes it', async () => {
    const text = '{\n  "seccomp-profile": "unconfined",\n  "log-opts": {"max-size": "10m"}\n}\n';
    const r = await run(recordedHost({ info: { ...base, SecurityOptions: ['name=apparmor', 'name=seccomp,profile=unconfined'] }, config: { text } }), memoryProbe());
    expect(statuses(r)['seccomp-profile']).toBe('fail');
    expect(finding(r, 'seccomp is off for every container ("seccomp-profile": "unconfined"')).toMatchObject({ file: '/etc/docker/daemon.json', line: 2, column: 3 });
    const p = r.proposals.find((x) => x.id === 'seccomp-profile')!;
    expect(JSON.parse(p.changes[0]!.after)).toEqual({ 'log-opts': { 'max-size': '10m' } });
  });

  it('reads the host once: propose builds on what check read, and the state is not kept in the result', async () => {
    const recorded = recordedHost({ info: base, config: { text: '{"icc": true}' } });
    let calls = 0;
    const host = new Proxy(recorded, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const ctx = contextFor(hostTarget, { host, probe: memoryProbe(), env: {} });
    const result = await step.check(ctx);
    const afterCheck = calls;
    expect(afterCheck).toBeGreaterThan(0);
    const proposals = await step.propose!(ctx, result);
    expect(proposals.map((p) => p.id)).toContain('icc');
    expect(calls, 'propose asked the host again').toBe(afterCheck);
    // Without check's state there is nothing to build on.
    expect(await step.propose!(ctx, { status: result.status, findings: result.findings })).toEqual([]);
    const r = await run(recordedHost({ info: base, config: { text: '{"icc": true}' } }), memoryProbe());
    expect(r.proposals.map((p) => p.id)).toContain('icc');
    expect('state' in r.result).toBe(false);
  });

  it.each([
    { name: 'on by default with the default bridge: fails, and "icc": false is proposed', config: null, status: 'fail', proposed: true },
    { name: 'on with a bridge of the host\'s own ("bridge": "br0"): still the default network, fails', config: '{"bridge": "br0"}', status: 'fail', proposed: true },
    { name: 'false in the file passes', config: '{"icc": false}', status: 'pass', proposed: false },
    { name: 'no default bridge ("bridge": "none"): not applicable, no restart proposed', config: '{"bridge": "none", "icc": true}', status: 'not-applicable', proposed: false },
  ])('2.2 icc $name', async ({ config, status, proposed }) => {
    const r = await run(recordedHost({ info: base, config: { text: config } }), memoryProbe());
    expect(statuses(r)['icc']).toBe(status);
    expect(r.proposals.some((p) => p.id === 'icc')).toBe(proposed);
    if (status === 'fail') expect(finding(r, 'icc is true')!.message).toMatch(/can reach each other on every port/);
  });

  it('2.2 icc false needs iptables: with iptables off it is explained, not proposed', async () => {
    const r = await run(recordedHost({ info: base, config: { text: '{"iptables": false}' } }), memoryProbe());
    expect(r.result.notes).toContain('CIS 2.2 icc: fail ("icc": false needs iptables; turn iptables back on first (CIS 2.4))');
    expect(r.proposals.map((p) => p.id)).not.toContain('icc');
  });

  it('2.12 an authorization plugin passes', async () => {
    const r = await run(recordedHost({ info: { ...base, Plugins: { Authorization: ['opa-docker-authz'] } }, config: { text: '{"authorization-plugins": ["opa-docker-authz"]}' } }), memoryProbe());
    expect(statuses(r)['authorization-plugins']).toBe('pass');
  });

  it('2.15 live-restore is not applicable in swarm mode, and not proposed', async () => {
    const r = await run(recordedHost({ info: { ...base, Swarm: { LocalNodeState: 'active' } }, config: { text: null } }), memoryProbe());
    expect(statuses(r)['live-restore']).toBe('not-applicable');
    expect(finding(r, 'cannot be used with swarm mode')).toBeTruthy();
    expect(r.proposals.map((p) => p.id)).not.toContain('live-restore');
  });

  it.each([
    { name: 'an http:// registry mirror', text: '{\n  "registry-mirrors": ["http://mirror.local:5000", "https://mirror.example"]\n}\n', code: 'DH-MIRROR-HTTP', says: 'registry mirror http://mirror.local:5000 is plain http:// (set by /etc/docker/daemon.json:2:3)', severity: 'high' },
    { name: 'an https:// registry mirror only', text: '{"registry-mirrors": ["https://mirror.example"]}', code: null, says: 'registry mirror', severity: null },
  ])('host truth: $name', async ({ text, code, says, severity }) => {
    const r = await run(recordedHost({ info: base, config: { text } }), memoryProbe());
    const f = r.result.findings.find((x) => x.message.includes(says));
    if (code === null) expect(f).toBeUndefined();
    else expect(f).toMatchObject({ code, severity });
  });

  it('a key in daemon.json that is also a dockerd flag is a critical finding naming both and the fix; that key gets no proposal, the others do', async () => {
    const argv = ['/usr/bin/dockerd', '-H', 'fd://', '--log-level=debug'];
    const flags = parseDaemonArgs(argv.slice(1));
    const r = await run(recordedHost({ info: base, config: { text: '{\n  "log-level": "info"\n}\n' }, process: { pid: 4343, argv, flags } }), memoryProbe());
    const f = r.result.findings.find((x) => x.code === 'DH-FLAG-FILE-CONFLICT')!;
    expect(f).toMatchObject({ severity: 'critical', file: '/etc/docker/daemon.json', line: 2 });
    expect(f.message).toContain('"log-level" is set in /etc/docker/daemon.json and as a flag: --log-level=debug (dockerd command line (pid 4343))');
    expect(f.message).toContain('Fix: remove one of them, the "log-level" key from daemon.json or the --log-level=debug flag where dockerd is started');
    expect(r.result.status).toBe('fail');
    expect(r.proposals.map((p) => p.id)).not.toContain('log-level');
    expect(r.proposals.map((p) => p.id)).toContain('no-new-privileges');
  });

  it('a flag set in the systemd unit is changed with a drop-in, never duplicated into daemon.json', async () => {
    const execStart = ['/usr/bin/dockerd', '-H', 'fd://', '--containerd=/run/containerd/containerd.sock', '--icc=true', '--log-level', 'debug'];
    const flags = parseDaemonArgs(execStart.slice(1));
    const r = await run(
      recordedHost({
        info: base,
        config: { text: '{\n  "live-restore": true\n}\n' },
        process: { pid: 4242, argv: execStart, flags },
        units: {
          manager: 'systemd',
          execStart,
          execStartFlags: flags,
          execStartFile: '/lib/systemd/system/docker.service',
          unitFiles: ['/lib/systemd/system/docker.service'],
          socketListen: ['/run/docker.sock'],
          socketUnitFile: '/lib/systemd/system/docker.socket',
        },
      }),
      memoryProbe(),
    );
    expect(finding(r, 'icc is true, set by --icc=true on the /lib/systemd/system/docker.service')).toBeTruthy();
    const icc = r.proposals.find((p) => p.id === 'icc')!;
    expect(icc.changes.map((c) => c.path)).toEqual(['/etc/systemd/system/docker.service.d/docker-harden.conf']);
    expect(icc.changes[0]!.after).toContain('[Service]\nExecStart=\nExecStart=/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock --log-level debug --icc=false\n');
    expect(icc.commands).toContainEqual(expect.objectContaining({ argv: ['systemctl', 'daemon-reload'], run: true }));
    const level = r.proposals.find((p) => p.id === 'log-level')!;
    expect(level.changes[0]!.after).toContain('ExecStart=/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock --icc=true\n');
    // Keys that are not flags still go to daemon.json.
    expect(r.proposals.find((p) => p.id === 'no-new-privileges')!.changes[0]!.path).toBe('/etc/docker/daemon.json');
  });

  it('a daemon that does not answer: an error saying why, no proposals', async () => {
    const r = await run(unreachableHost(), memoryProbe());
    expect(r.result.status).toBe('error');
    expect(r.result.findings[0]!.message).toMatch(/does not answer/);
    expect(r.proposals).toEqual([]);
  });
});
