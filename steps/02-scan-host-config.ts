/**
 * Step 2: the CIS Docker Benchmark's daemon checks (section 2), the ownership and modes of
 * Docker's files (section 3) and audit rules (section 1.1), judged from the effective
 * configuration: daemon.json, dockerd's flags (command line and unit) and live `docker info`.
 */
import path from 'node:path';
import { defineStep, RESTART_STOPS_CONTAINERS, type CodeInfo, statusOf, type CheckResult, type CommandAction, type Context, type Finding, type Proposal } from '../src/core/step.js';
import { HostUnavailableError, type DockerInfo } from '../src/host/facts.js';
import type { DaemonView, EffectiveSetting } from '../src/host/daemon-config.js';
import type { TcpEndpoint } from '../src/host/endpoints.js';
import { unreachable } from './lib/daemon.js';

type HostConfig = typeof import('../src/host/daemon-config.js');

/** One CIS check's result. */
interface Verdict {
  cis: string;
  key: string;
  status: 'pass' | 'fail' | 'info' | 'not-applicable';
  /** The finding; its code is `CIS-<cis>`. */
  finding?: Omit<Finding, 'code'>;
  /** The change that makes it pass, when there is one. */
  fix?: FixSpec;
  /** Why there is no automatic fix (set only by a flag on a command line docker-harden cannot edit). */
  manual?: string;
}

interface FixSpec {
  id: string;
  title: string;
  description: string;
  warnings: string[];
  /** daemon.json edits; a value of undefined removes the key. */
  edits: { path: (string | number)[]; value: unknown }[];
  /** The same setting as dockerd flags, for a unit drop-in when a flag sets it now. */
  flagArgs: string[];
  /** The setting whose flags are replaced in the unit. */
  key: string;
  /** Cannot cut traffic or stop a container (log settings, live-restore): `safe` when a reload applies it. */
  safe?: boolean;
}


const REMOTE_LOG_DRIVERS = new Set(['syslog', 'journald', 'gelf', 'fluentd', 'awslogs', 'splunk', 'gcplogs', 'logentries', 'etwlogs']);

interface Judge {
  hc: HostConfig;
  view: DaemonView;
  info: DockerInfo | null;
  s(key: string): EffectiveSetting;
  tcp: TcpEndpoint[];
  /** The custom seccomp profile's text, when seccomp-profile names a file. */
  seccompProfile: string | null;
}

/**
 * live-restore first, then the other reload-only changes, then the ones that restart dockerd: with
 * live-restore on before any restart, running containers survive the restarts that follow.
 */
export function orderByImpact(proposals: Proposal[]): Proposal[] {
  const rank = (p: Proposal) => (p.id === 'live-restore' && p.daemon === 'reload' ? 0 : p.daemon === 'restart' ? 2 : 1);
  return proposals.map((p, i) => ({ p, i })).sort((a, b) => rank(a.p) - rank(b.p) || a.i - b.i).map((x) => x.p);
}

/** A seccomp profile that lets every call through: defaultAction allow and no rule that denies. */
function allowsEverything(text: string | null): boolean {
  if (!text) return false;
  try {
    const profile = JSON.parse(text) as { defaultAction?: string; syscalls?: { action?: string }[] };
    return profile.defaultAction === 'SCMP_ACT_ALLOW' && !(profile.syscalls ?? []).some((r) => r.action && r.action !== 'SCMP_ACT_ALLOW' && r.action !== 'SCMP_ACT_LOG');
  } catch {
    return false;
  }
}

function where(j: Judge, s: EffectiveSetting): string {
  return j.hc.describeSource(s);
}

function loc(j: Judge, s: EffectiveSetting): Pick<Finding, 'file' | 'line' | 'column'> {
  return j.hc.findingLocation(s);
}

function evidenceOf(s: EffectiveSetting): string | undefined {
  const parts: string[] = [];
  if (s.file) parts.push(`daemon.json: "${s.key}": ${JSON.stringify(s.file.value)}`);
  for (const f of [...s.cmdline, ...s.unit]) parts.push(f.where);
  if (s.live !== undefined) parts.push(`docker info: ${JSON.stringify(s.live)}`);
  return parts.length ? parts.join('; ') : undefined;
}

/** A boolean key that must have `want`; default `dflt`. */
function boolCheck(
  j: Judge,
  cis: string,
  key: string,
  want: boolean,
  severity: Finding['severity'],
  bad: string,
  fix: Omit<FixSpec, 'edits' | 'flagArgs' | 'key'>,
): Verdict {
  const s = j.s(key);
  const value = s.live !== undefined && !s.pending ? s.live : s.value;
  if (value === want && !s.pending) return { cis, key, status: 'pass' };
  const pending = s.pending && s.value === want;
  const message = pending
    ? `${key}: set to ${JSON.stringify(want)} (${where(j, s)}) but dockerd runs with ${JSON.stringify(s.live)}: not live until dockerd restarts (CIS ${cis})`
    : `${key} is ${JSON.stringify(s.value)}, ${where(j, s)}: ${bad} (CIS ${cis})`;
  return {
    cis,
    key,
    status: 'fail',
    finding: { message, severity, ...loc(j, s), evidence: evidenceOf(s) },
    ...(pending ? {} : { fix: { ...fix, key, edits: [{ path: [key], value: want }], flagArgs: [`--${key}=${want}`] } }),
  };
}

function judge(j: Judge): Verdict[] {
  const out: Verdict[] = [];
  const { info } = j;

  // 2.2 icc
  out.push(
    boolCheck(j, '2.2', 'icc', false, 'medium', 'containers on the default bridge network can reach each other on every port', {
      id: 'icc',
      title: 'Turn off inter-container traffic on the default bridge ("icc": false)',
      description:
        'Containers on the default bridge network can then only talk through published ports or links. Containers that talk to each other should share a user-defined network (docker network create), where icc does not apply.',
      warnings: ['Containers on the default bridge that call each other directly stop reaching each other.', RESTART_STOPS_CONTAINERS],
    }),
  );
  if (j.s('iptables').value === false && out[out.length - 1]!.fix) {
    // dockerd refuses --icc=false without iptables: fix 2.4 first.
    out[out.length - 1]!.manual = '"icc": false needs iptables; turn iptables back on first (CIS 2.4)';
    delete out[out.length - 1]!.fix;
  }

  // 2.3 log-level (and debug, which forces the debug level)
  {
    const s = j.s('log-level');
    const debug = j.s('debug');
    const level = String(s.value ?? 'info');
    if (debug.value === true) {
      out.push({
        cis: '2.3',
        key: 'log-level',
        status: 'fail',
        finding: { message: `debug is on (${where(j, debug)}): dockerd logs at debug level whatever log-level says (CIS 2.3)`, severity: 'low', ...loc(j, debug), evidence: evidenceOf(debug) },
        fix: {
          id: 'debug',
          safe: true,
          key: 'debug',
          title: 'Turn off debug logging ("debug": false)',
          description: 'dockerd logs at the info level again: events stay recorded without the volume of debug output.',
          warnings: ['A reload applies it; nothing restarts.'],
          edits: [{ path: ['debug'], value: false }],
          flagArgs: [],
        },
      });
    } else if (level !== 'info') {
      out.push({
        cis: '2.3',
        key: 'log-level',
        status: 'fail',
        finding: {
          message: `log-level is "${level}", ${where(j, s)}: ${level === 'debug' ? 'debug logs are large and may hold details an attacker can use' : 'events that matter for an investigation are not logged'}; CIS asks for "info" (CIS 2.3)`,
          severity: 'low',
          ...loc(j, s),
          evidence: evidenceOf(s),
        },
        fix: {
          id: 'log-level',
          safe: true,
          key: 'log-level',
          title: 'Log at the info level ("log-level": "info")',
          description: 'dockerd records its events (starts, stops, errors) without debug noise.',
          warnings: [RESTART_STOPS_CONTAINERS],
          edits: [{ path: ['log-level'], value: s.file && !s.cmdline.length && !s.unit.length ? undefined : 'info' }],
          flagArgs: [],
        },
      });
    } else out.push({ cis: '2.3', key: 'log-level', status: 'pass' });
  }

  // 2.4 iptables
  {
    const s = j.s('iptables');
    if (s.value === false) {
      out.push({
        cis: '2.4',
        key: 'iptables',
        status: 'fail',
        finding: { message: `iptables is false, ${where(j, s)}: Docker no longer manages the firewall rules its networking needs, so published ports and isolation depend on rules kept by hand (CIS 2.4)`, severity: 'medium', ...loc(j, s), evidence: evidenceOf(s) },
        fix: {
          id: 'iptables',
          key: 'iptables',
          title: 'Let Docker manage iptables again (remove "iptables": false)',
          description: 'dockerd writes the NAT and filter rules for container networks itself.',
          warnings: ['Firewall rules you wrote for containers by hand may now be duplicated by Docker\'s own.', RESTART_STOPS_CONTAINERS],
          edits: [{ path: ['iptables'], value: undefined }],
          flagArgs: [],
        },
      });
    } else out.push({ cis: '2.4', key: 'iptables', status: 'pass' });
  }

  // 2.5 insecure-registries
  {
    const s = j.s('insecure-registries');
    const configured = Array.isArray(s.value) ? (s.value as string[]) : [];
    const reg = info?.RegistryConfig as { InsecureRegistryCIDRs?: string[]; IndexConfigs?: Record<string, { Name?: string; Secure?: boolean }> } | undefined;
    const live = [
      ...(reg?.InsecureRegistryCIDRs ?? []).filter((c) => c !== '127.0.0.0/8' && c !== '::1/128'),
      ...Object.values(reg?.IndexConfigs ?? {}).filter((c) => c.Secure === false).map((c) => c.Name ?? ''),
    ].filter(Boolean);
    const all = [...new Set([...configured, ...live])];
    if (all.length > 0) {
      const notLive = configured.length === 0 && live.length > 0;
      out.push({
        cis: '2.5',
        key: 'insecure-registries',
        status: 'fail',
        finding: {
          message: `insecure registries allowed: ${all.join(', ')} (${notLive ? 'live in dockerd, no longer in its configuration: restart dockerd' : where(j, s)}): images from them are pulled without TLS and can be swapped in transit (CIS 2.5)`,
          severity: 'high',
          ...loc(j, s),
          evidence: evidenceOf(s),
        },
        ...(configured.length > 0
          ? {
              fix: {
                id: 'insecure-registries',
                key: 'insecure-registries',
                title: 'Stop allowing registries without TLS (remove "insecure-registries")',
                description: 'Pulls and pushes to those registries then need valid TLS; give them a certificate (or put one in /etc/docker/certs.d/<registry>/ca.crt for a private CA).',
                warnings: [`Pulls from ${configured.join(', ')} fail until they serve TLS.`, 'A reload applies it; nothing restarts.'],
                edits: [{ path: ['insecure-registries'], value: undefined }],
                flagArgs: [],
              },
            }
          : {}),
      });
    } else out.push({ cis: '2.5', key: 'insecure-registries', status: 'pass' });
  }

  // 2.6 aufs
  {
    const s = j.s('storage-driver');
    const driver = (info?.Driver as string | undefined) ?? (s.value as string | undefined);
    if (driver === 'aufs' || s.value === 'aufs') {
      out.push({
        cis: '2.6',
        key: 'storage-driver',
        status: 'fail',
        finding: {
          message: `the aufs storage driver is in use (${s.source ? where(j, s) : 'docker info'}): it is unmaintained, has known kernel crashes and was removed from Docker 24; move to overlay2 (CIS 2.6)`,
          severity: 'medium',
          ...loc(j, s),
          evidence: `docker info: Driver ${String(info?.Driver ?? '?')}`,
        },
        manual: 'changing the storage driver hides every existing image and container; export what you need, then set "storage-driver": "overlay2"',
      });
    } else out.push({ cis: '2.6', key: 'storage-driver', status: 'pass' });
  }

  // 2.7 TLS wherever a tcp:// host is set
  {
    if (j.tcp.length === 0) out.push({ cis: '2.7', key: 'tls', status: 'not-applicable' });
    else {
      const verify = j.s('tlsverify');
      const tls = j.s('tls');
      const files = ['tlscacert', 'tlscert', 'tlskey'].map((k) => j.s(k));
      const listed = j.tcp.map((e) => `${e.raw} (${e.where})`).join(', ');
      const anyExposed = j.tcp.some((e) => !e.loopback);
      if (verify.value === true) {
        const unset = files.filter((f) => f.source === null).map((f) => f.key);
        out.push({
          cis: '2.7',
          key: 'tls',
          status: 'pass',
          ...(unset.length ? { manual: `${unset.join(', ')} not set: dockerd uses ~/.docker/{ca,cert,key}.pem of the user it runs as` } : {}),
        });
      } else {
        const onlyTls = tls.value === true;
        const first = j.tcp[0]!;
        out.push({
          cis: '2.7',
          key: 'tls',
          status: 'fail',
          finding: {
            message: onlyTls
              ? `TCP endpoint ${listed} uses TLS without verifying clients ("tls" without "tlsverify"): anyone who can connect controls Docker, which is root on this machine (CIS 2.7)`
              : `TCP endpoint ${listed} has no TLS: anyone who can connect${anyExposed ? ' over the network' : ' from this machine'} controls Docker, which is root on this machine (CIS 2.7)`,
            severity: anyExposed ? 'critical' : 'high',
            ...(first.file ? { file: first.file } : {}),
            ...(first.line ? { line: first.line, column: first.column } : {}),
            evidence: j.tcp.map((e) => e.where).join('; '),
          },
          manual: 'remove the TCP endpoint or set up TLS client verification: the protect-docker-socket step proposes both',
        });
      }
    }
  }

  // 2.8 default-ulimits (information: the right limits depend on the workload)
  {
    const s = j.s('default-ulimits');
    if (s.source) out.push({ cis: '2.8', key: 'default-ulimits', status: 'pass' });
    else
      out.push({
        cis: '2.8',
        key: 'default-ulimits',
        status: 'info',
        finding: { message: 'default-ulimits is not set: containers inherit dockerd\'s own limits (nofile, nproc); set them if one container must not exhaust them for all (CIS 2.8)', severity: 'info' },
      });
  }

  // 2.10 cgroup-parent
  {
    const s = j.s('cgroup-parent');
    if (s.source && s.value) {
      out.push({
        cis: '2.10',
        key: 'cgroup-parent',
        status: 'fail',
        finding: { message: `cgroup-parent is "${String(s.value)}", ${where(j, s)}: containers are placed under that cgroup and share its limits; confirm it is meant (CIS 2.10)`, severity: 'low', ...loc(j, s), evidence: evidenceOf(s) },
        fix: {
          id: 'cgroup-parent',
          key: 'cgroup-parent',
          title: 'Use Docker\'s default cgroup parent (remove "cgroup-parent")',
          description: 'New containers go under Docker\'s own cgroup again, with the limits you give each container.',
          warnings: ['Limits set on the custom parent cgroup no longer apply to new containers.', RESTART_STOPS_CONTAINERS],
          edits: [{ path: ['cgroup-parent'], value: undefined }],
          flagArgs: [],
        },
      });
    } else out.push({ cis: '2.10', key: 'cgroup-parent', status: 'pass' });
  }

  // 2.11 dm.basesize
  {
    const s = j.s('storage-opts');
    const opts = Array.isArray(s.value) ? (s.value as string[]) : [];
    const index = opts.findIndex((o) => /^dm\.basesize=/i.test(o));
    if (index >= 0) {
      const inFile = s.file && Array.isArray(s.file.value) ? (s.file.value as string[]).findIndex((o) => /^dm\.basesize=/i.test(o)) : -1;
      out.push({
        cis: '2.11',
        key: 'storage-opts',
        status: 'fail',
        finding: { message: `storage option ${opts[index]} is set, ${where(j, s)}: raising the base device size lets every container grow that large (CIS 2.11)`, severity: 'low', ...loc(j, s), evidence: evidenceOf(s) },
        ...(inFile >= 0
          ? {
              fix: {
                id: 'dm-basesize',
                key: 'storage-opts',
                title: 'Drop dm.basesize from storage-opts',
                description: 'devicemapper uses its default base size (10 GB) for new images and containers.',
                warnings: [RESTART_STOPS_CONTAINERS],
                edits: [{ path: ['storage-opts', inFile], value: undefined }],
                flagArgs: [],
              },
            }
          : {}),
      });
    } else out.push({ cis: '2.11', key: 'storage-opts', status: 'pass' });
  }

  // 2.12 authorization plugins (information)
  {
    const s = j.s('authorization-plugins');
    const plugins = Array.isArray(s.value) ? (s.value as string[]) : [];
    const live = ((info?.Plugins as { Authorization?: string[] } | undefined)?.Authorization ?? []).filter(Boolean);
    if (plugins.length > 0 || live.length > 0) out.push({ cis: '2.12', key: 'authorization-plugins', status: 'pass' });
    else
      out.push({
        cis: '2.12',
        key: 'authorization-plugins',
        status: 'info',
        finding: { message: 'no authorization plugin: whoever can reach the Docker socket may do anything; that is fine when only administrators can (CIS 2.12)', severity: 'info' },
      });
  }

  // 2.13 logging
  {
    const driverSetting = j.s('log-driver');
    const driver = String((info?.LoggingDriver as string | undefined) ?? driverSetting.value ?? 'json-file');
    const opts = j.s('log-opts');
    const values = (opts.value ?? {}) as Record<string, string>;
    const remote = REMOTE_LOG_DRIVERS.has(driver) || driver.includes(':') || driver.includes('/');
    if (remote || driver === 'local' || (driver === 'json-file' && values['max-size'])) {
      out.push({ cis: '2.13', key: 'log-opts', status: 'pass' });
    } else if (driver === 'none') {
      out.push({
        cis: '2.13',
        key: 'log-opts',
        status: 'fail',
        finding: { message: `log-driver is "none" (${where(j, driverSetting)}): container output is thrown away, nothing is left to investigate (CIS 2.13)`, severity: 'low', ...loc(j, driverSetting) },
        manual: 'choose a log driver: "local" keeps rotated logs on this machine, "journald" or "syslog" hands them to the system',
      });
    } else {
      const setByFlag = opts.cmdline.length > 0 || opts.unit.length > 0;
      out.push({
        cis: '2.13',
        key: 'log-opts',
        status: 'fail',
        finding: {
          message: `container logs (${driver}) have no size limit (no log-opts max-size${opts.source ? `; log-opts ${where(j, opts)}` : ''}): one noisy container can fill the disk, and no remote log driver keeps a copy (CIS 2.13)`,
          severity: 'medium',
          ...loc(j, opts.source ? opts : driverSetting),
          evidence: evidenceOf(opts) ?? `log-driver ${driver}`,
        },
        fix: {
          id: 'log-opts',
          safe: true,
          key: 'log-opts',
          title: 'Rotate container logs (log-opts max-size 10m, max-file 3)',
          description: 'Each container keeps at most three log files of 10 MB; older lines are dropped. A remote log driver (syslog, journald, fluentd, gelf) keeps a copy elsewhere if you need one.',
          warnings: ['Only containers created after the restart get the limit; recreate the others to apply it.', RESTART_STOPS_CONTAINERS],
          edits: setByFlag
            ? []
            : [
                { path: ['log-opts', 'max-size'], value: '10m' },
                ...(values['max-file'] ? [] : [{ path: ['log-opts', 'max-file'], value: '3' }]),
              ],
          flagArgs: ['--log-opt', 'max-size=10m', '--log-opt', `max-file=${values['max-file'] ?? '3'}`, ...Object.entries(values).filter(([k]) => k !== 'max-size' && k !== 'max-file').flatMap(([k, v]) => ['--log-opt', `${k}=${v}`])],
        },
      });
    }
  }

  // 2.14 no-new-privileges
  out.push(
    boolCheck(j, '2.14', 'no-new-privileges', true, 'medium', 'a process in a container can gain privileges through setuid binaries', {
      id: 'no-new-privileges',
      title: 'Stop container processes gaining privileges ("no-new-privileges": true)',
      description: 'Every new container runs with the no_new_privs flag: setuid and setcap binaries (su, sudo, ping on some images) no longer raise privileges.',
      warnings: ['Images that rely on sudo or su inside the container stop being able to switch to root.', RESTART_STOPS_CONTAINERS],
    }),
  );

  // 2.15 live-restore (not with swarm)
  {
    const swarm = (info?.Swarm as { LocalNodeState?: string } | undefined)?.LocalNodeState === 'active';
    if (swarm) {
      out.push({
        cis: '2.15',
        key: 'live-restore',
        status: 'not-applicable',
        finding: { message: 'live-restore cannot be used with swarm mode (this node is in a swarm): swarm services restart containers themselves (CIS 2.15)', severity: 'info' },
      });
    } else {
      out.push(
        boolCheck(j, '2.15', 'live-restore', true, 'low', 'every dockerd restart or upgrade stops all containers', {
          id: 'live-restore',
          safe: true,
          title: 'Keep containers running while dockerd restarts ("live-restore": true)',
          description: 'Containers keep running when dockerd stops or restarts (for upgrades and for changes like these), and dockerd picks them up again.',
          warnings: ['live-restore cannot be used with swarm mode.', 'A reload applies it; nothing restarts.'],
        }),
      );
    }
  }

  // 2.16 userland-proxy
  out.push(
    boolCheck(j, '2.16', 'userland-proxy', false, 'low', 'a docker-proxy process runs for every published port, a larger attack surface than the kernel\'s NAT rules', {
      id: 'userland-proxy',
      title: 'Publish ports with iptables NAT only ("userland-proxy": false)',
      description: 'Published ports are forwarded by iptables rules alone, without a docker-proxy process per port.',
      warnings: ['Relies on iptables (and hairpin NAT): reaching a published port through 127.0.0.1 needs route_localnet, which Docker sets; old kernels may not support it.', RESTART_STOPS_CONTAINERS],
    }),
  );
  if (j.s('iptables').value === false && out[out.length - 1]!.fix) {
    out[out.length - 1]!.manual = '"userland-proxy": false relies on iptables; turn iptables back on first (CIS 2.4)';
    delete out[out.length - 1]!.fix;
  }

  // 2.17 seccomp
  {
    const s = j.s('seccomp-profile');
    const live = (info?.SecurityOptions ?? []).find((o) => o.split(',').includes('name=seccomp'));
    const liveProfile = /profile=([^,]+)/.exec(live ?? '')?.[1];
    const customAllowAll = typeof s.value === 'string' && s.value !== 'unconfined' && s.value !== 'default' && s.value !== 'builtin' && allowsEverything(j.seccompProfile);
    if (s.value === 'unconfined' || liveProfile === 'unconfined' || customAllowAll) {
      out.push({
        cis: '2.17',
        key: 'seccomp-profile',
        status: 'fail',
        finding: { message: `seccomp is off for every container (${customAllowAll ? `"seccomp-profile": ${String(s.value)}, a profile that allows every call` : '"seccomp-profile": "unconfined"'}, ${s.source ? where(j, s) : 'live in dockerd'}): containers can make any system call, including the ones container escapes use (CIS 2.17)`, severity: 'high', ...loc(j, s), evidence: evidenceOf(s) ?? live },
        ...(s.file && !s.cmdline.length && !s.unit.length
          ? {
              fix: {
                id: 'seccomp-profile',
                key: 'seccomp-profile',
                title: `Use Docker's default seccomp profile (remove "seccomp-profile": ${JSON.stringify(s.value)})`,
                description: 'Containers get Docker\'s default seccomp filter, which blocks about 44 rarely needed, dangerous system calls.',
                warnings: ['A program that needs a blocked call fails with "operation not permitted"; run that container alone with --security-opt seccomp=<profile>.', RESTART_STOPS_CONTAINERS],
                edits: [{ path: ['seccomp-profile'], value: undefined }],
                flagArgs: [],
              },
            }
          : {}),
      });
    } else if (info && !live) {
      out.push({
        cis: '2.17',
        key: 'seccomp-profile',
        status: 'fail',
        finding: { message: 'dockerd reports no seccomp support (SecurityOptions has no seccomp): the kernel or the build lacks it, so no container is filtered (CIS 2.17)', severity: 'medium', evidence: `SecurityOptions: ${(info.SecurityOptions ?? []).join(' ')}` },
      });
    } else out.push({ cis: '2.17', key: 'seccomp-profile', status: 'pass' });
  }

  // 2.18 experimental
  {
    const s = j.s('experimental');
    const on = s.value === true || info?.ExperimentalBuild === true;
    if (on) {
      const fromFile = s.file && !s.cmdline.length && !s.unit.length;
      out.push({
        cis: '2.18',
        key: 'experimental',
        status: 'fail',
        finding: { message: `experimental features are on (${s.source ? where(j, s) : 'docker info'}): they are not meant for production and get less security review (CIS 2.18)`, severity: 'low', ...loc(j, s), evidence: evidenceOf(s) },
        fix: {
          id: 'experimental',
          key: 'experimental',
          title: 'Turn off experimental features (remove "experimental")',
          description: 'dockerd runs only its stable features.',
          warnings: ['Anything that uses an experimental feature (e.g. checkpoint/restore) stops working.', RESTART_STOPS_CONTAINERS],
          edits: [{ path: ['experimental'], value: fromFile ? undefined : false }],
          flagArgs: [],
        },
      });
    } else out.push({ cis: '2.18', key: 'experimental', status: 'pass' });
  }

  return out;
}

// ---------------------------------------------------------------------------------------------
// Section 3: ownership and modes; section 1.1: audit rules

interface FileRule {
  path: string;
  what: string;
  /** CIS ids: ownership, then mode. */
  cis: `${string}/${string}`;
  maxMode: number;
  owner: 'root:root' | 'root:docker';
  exactMode?: number;
}

interface PermIssue {
  rule: FileRule;
  finding: Finding;
  commands: CommandAction[];
}

async function fileRules(ctx: Context, j: Judge): Promise<FileRule[]> {
  const { UNIT_DIRS } = await import('../src/host/units.js');
  const rules: FileRule[] = [];
  for (const unit of ['docker.service', 'docker.socket']) {
    for (const dir of UNIT_DIRS) {
      const file = path.join(dir, unit);
      if (await ctx.probe.stat(file)) {
        rules.push({ path: file, what: unit, cis: unit === 'docker.service' ? '3.1/3.2' : '3.3/3.4', maxMode: 0o644, owner: 'root:root' });
        break;
      }
    }
  }
  rules.push({ path: '/etc/docker', what: 'the /etc/docker folder', cis: '3.5/3.6', maxMode: 0o755, owner: 'root:root' });
  rules.push({ path: j.view.config.path, what: 'daemon.json', cis: '3.17/3.18', maxMode: 0o644, owner: 'root:root' });
  const { socketPathOf } = await import('../src/host/client.js');
  const socket = socketPathOf(ctx.host.endpoint);
  if (socket) rules.push({ path: socket, what: 'the Docker socket', cis: '3.15/3.16', maxMode: 0o660, owner: 'root:docker' });
  for (const [key, what, cis, maxMode] of [
    ['tlscacert', 'the TLS CA certificate', '3.9/3.10', 0o444],
    ['tlscert', 'the TLS server certificate', '3.11/3.12', 0o444],
    ['tlskey', 'the TLS server key', '3.13/3.14', 0o400],
  ] as const) {
    const s = j.s(key);
    if (typeof s.value === 'string' && s.value) rules.push({ path: s.value, what, cis, maxMode, owner: 'root:root', ...(key === 'tlskey' ? { exactMode: 0o400 } : {}) });
  }
  rules.push({ path: '/etc/default/docker', what: '/etc/default/docker', cis: '3.19/3.20', maxMode: 0o644, owner: 'root:root' });
  rules.push({ path: '/etc/sysconfig/docker', what: '/etc/sysconfig/docker', cis: '3.21/3.22', maxMode: 0o644, owner: 'root:root' });
  rules.push({ path: '/run/containerd/containerd.sock', what: 'the containerd socket', cis: '3.23/3.24', maxMode: 0o660, owner: 'root:root' });
  return rules;
}

const modeText = (m: number) => m.toString(8).padStart(4, '0');

async function permissionIssues(ctx: Context, j: Judge): Promise<{ issues: PermIssue[]; checked: number }> {
  const issues: PermIssue[] = [];
  const dockerGid = await ctx.probe.groupId('docker');
  let checked = 0;
  for (const rule of await fileRules(ctx, j)) {
    const st = await ctx.probe.stat(rule.path);
    if (!st) continue;
    checked++;
    if (st.isSymlink) continue;
    const problems: string[] = [];
    const commands: CommandAction[] = [];
    const allowedGids = rule.owner === 'root:docker' ? [0, ...(dockerGid !== null ? [dockerGid] : [])] : [0];
    if (st.uid !== 0 || !allowedGids.includes(st.gid)) {
      problems.push(`owned by ${st.uid}:${st.gid}, not ${rule.owner}`);
      const owner = rule.owner === 'root:docker' && dockerGid === null ? 'root:root' : rule.owner;
      commands.push({ title: `Give ${rule.what} to ${owner}`, argv: ['chown', owner, '--', rule.path], run: true });
    }
    const extra = st.mode & ~rule.maxMode & 0o7777;
    if (extra !== 0 || (rule.exactMode !== undefined && st.mode !== rule.exactMode)) {
      const target = rule.exactMode ?? st.mode & rule.maxMode;
      problems.push(`mode ${modeText(st.mode)}, at most ${modeText(rule.maxMode)} expected`);
      commands.push({ title: `Set ${rule.what} to mode ${modeText(target)}`, argv: ['chmod', modeText(target), '--', rule.path], run: true });
    }
    if (problems.length === 0) continue;
    const worldWritable = (st.mode & 0o002) !== 0;
    const [ownerId, modeId] = rule.cis.split('/');
    issues.push({
      rule,
      commands,
      finding: {
        code: `CIS-${extra !== 0 || rule.exactMode !== undefined && st.mode !== rule.exactMode ? modeId : ownerId}`,
        message: `${rule.what} ${rule.path} is ${problems.join(' and ')} (CIS ${rule.cis})${worldWritable ? ': anyone on this machine can change it' : ''}`,
        severity: worldWritable || rule.exactMode !== undefined ? 'high' : 'medium',
        file: rule.path,
        evidence: `mode ${modeText(st.mode)}, uid ${st.uid}, gid ${st.gid}`,
      },
    });
  }
  return { issues, checked };
}

export const AUDIT_RULES_FILE = '/etc/audit/rules.d/docker.rules';

async function auditTargets(ctx: Context, j: Judge): Promise<string[]> {
  const targets = new Set<string>();
  const dockerd = j.view.process?.argv[0] ?? (await ctx.probe.which('dockerd'));
  if (dockerd) targets.add(dockerd);
  for (const tool of ['containerd', 'containerd-shim-runc-v2', 'runc']) {
    const found = await ctx.probe.which(tool);
    if (found) targets.add(found);
  }
  targets.add(String(j.info?.DockerRootDir ?? '/var/lib/docker'));
  targets.add('/etc/docker');
  targets.add('/run/containerd');
  const { UNIT_DIRS } = await import('../src/host/units.js');
  for (const unit of ['docker.service', 'docker.socket']) {
    for (const dir of UNIT_DIRS) {
      if (await ctx.probe.stat(path.join(dir, unit))) {
        targets.add(path.join(dir, unit));
        break;
      }
    }
  }
  for (const file of ['/etc/default/docker', '/etc/docker/daemon.json', '/etc/containerd/config.toml']) if (await ctx.probe.stat(file)) targets.add(file);
  return [...targets].filter((t) => !t.startsWith('/tmp/'));
}

async function auditState(ctx: Context, j: Judge): Promise<{ missing: string[]; auditd: boolean; rulesDir: boolean; existing: string | null }> {
  const targets = await auditTargets(ctx, j);
  const texts: string[] = [];
  for (const name of await ctx.probe.list('/etc/audit/rules.d')) {
    const t = await ctx.probe.readText(path.join('/etc/audit/rules.d', name));
    if (t) texts.push(t);
  }
  const main = await ctx.probe.readText('/etc/audit/audit.rules');
  if (main) texts.push(main);
  const rules = texts.join('\n');
  const watched = (p: string) => new RegExp(`-w\\s+${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s|$)`, 'm').test(rules) || new RegExp(`path=${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s|$)`, 'm').test(rules);
  return {
    missing: targets.filter((t) => !watched(t)),
    auditd: (await ctx.probe.which('auditctl')) !== null || (await ctx.probe.which('auditd')) !== null,
    rulesDir: (await ctx.probe.stat('/etc/audit/rules.d'))?.isDirectory === true,
    existing: await ctx.probe.readText(AUDIT_RULES_FILE),
  };
}

// ---------------------------------------------------------------------------------------------

interface Scan {
  verdicts: Verdict[];
  perms: PermIssue[];
  permChecked: number;
  audit: Awaited<ReturnType<typeof auditState>>;
  judge: Judge;
}

async function scan(ctx: Context): Promise<Scan | CheckResult> {
  // daemon.json first: an invalid file is reported with its line and column even when the daemon
  // does not answer (the UserError makes this step's status `error`).
  await ctx.host.daemonConfig().catch((err: unknown) => {
    if (!(err instanceof HostUnavailableError)) throw err;
  });
  const down = await unreachable(ctx);
  if (down) return down;
  const hc = await import('../src/host/daemon-config.js');
  const { tcpEndpoints } = await import('../src/host/endpoints.js');
  // An invalid daemon.json throws a UserError with its line and column: the step reports an error.
  const view = await hc.loadDaemonView(ctx.host);
  const cache = new Map<string, EffectiveSetting>();
  const judgeCtx: Judge = {
    hc,
    view,
    info: view.info,
    s: (key) => {
      let hit = cache.get(key);
      if (!hit) cache.set(key, (hit = hc.effectiveDaemonSetting(view, key)));
      return hit;
    },
    tcp: tcpEndpoints(view),
    seccompProfile: null,
  };
  const profile = judgeCtx.s('seccomp-profile').value;
  if (typeof profile === 'string' && profile.startsWith('/')) judgeCtx.seccompProfile = await ctx.probe.readText(profile);
  const verdicts = judge(judgeCtx);
  const { issues, checked } = await permissionIssues(ctx, judgeCtx);
  const audit = await auditState(ctx, judgeCtx);
  return { verdicts, perms: issues, permChecked: checked, audit, judge: judgeCtx };
}

function notesFor(s: Scan, benchInstalled: string | null): string[] {
  const counted = s.verdicts.filter((v) => v.status !== 'not-applicable');
  const passing = counted.filter((v) => v.status === 'pass').length;
  const fixable = counted.filter((v) => v.status !== 'pass' && v.fix).length;
  const notes = [
    `CIS daemon checks: ${passing} of ${counted.length} pass now; ${passing + fixable} of ${counted.length} would pass with every proposed change applied.`,
    ...s.verdicts.map((v) => `CIS ${v.cis} ${v.key}: ${v.status}${v.manual ? ` (${v.manual})` : ''}`),
    `File ownership and modes (CIS 3): ${s.permChecked - s.perms.length} of ${s.permChecked} files as expected.`,
  ];
  const view = s.judge.view;
  if (view.config.modifiedMs && view.process?.startedMs && view.config.modifiedMs > view.process.startedMs + 1000) {
    notes.push(`${view.config.path} was changed after dockerd started (${new Date(view.process.startedMs).toISOString()}): settings that need a restart are not live yet.`);
  }
  if (benchInstalled) notes.push(`docker-bench-security is installed (${benchInstalled}): run it to compare; note it misses TLS set in daemon.json, -H tcp:// flags, cgroup-parent in the file and log-level given as a flag, which are checked here.`);
  return notes;
}

async function benchPath(ctx: Context): Promise<string | null> {
  return (await ctx.probe.which('docker-bench-security')) ?? (await ctx.probe.which('docker-bench-security.sh'));
}

/** Every finding code this step reports. */
const CODES: Record<string, CodeInfo> = {
  "DH-FLAG-FILE-CONFLICT": {
    title: "A daemon.json key is also given as a dockerd flag",
    severity: 'critical',
    help: "dockerd refuses to start (or reload) when a setting is given both ways. Remove one of them: the key from daemon.json or the flag where dockerd is started.",
  },
  "DH-MIRROR-HTTP": {
    title: "A registry mirror is plain http://",
    severity: 'high',
    help: "Images pulled through the mirror travel without TLS and can be swapped in transit. Use an https:// mirror.",
  },
  "CIS-2.2": {
    title: "Network traffic between containers on the default bridge is not restricted",
    severity: 'medium',
    help: "Set \"icc\": false in daemon.json; containers that talk to each other share a user-defined network instead.",
  },
  "CIS-2.3": {
    title: "The logging level is not \"info\"",
    severity: 'low',
    help: "Set \"log-level\": \"info\" and leave debug off, so that dockerd logs what an investigation needs and no more.",
  },
  "CIS-2.4": {
    title: "Docker may not change iptables",
    severity: 'medium',
    help: "Leave \"iptables\" at its default (true) so Docker keeps the firewall rules its networking needs.",
  },
  "CIS-2.5": {
    title: "Insecure registries are allowed",
    severity: 'high',
    help: "Remove \"insecure-registries\": images from them are pulled without TLS and can be swapped on the way. Give the registry a certificate instead.",
  },
  "CIS-2.6": {
    title: "The aufs storage driver is in use",
    severity: 'medium',
    help: "aufs is unmaintained and removed from Docker 24; move to overlay2.",
  },
  "CIS-2.7": {
    title: "TLS authentication for the Docker daemon is not configured",
    severity: 'critical',
    help: "A TCP endpoint without tlsverify lets anyone who reaches it control Docker. Use tlsverify with client certificates, or ssh:// instead of TCP.",
  },
  "CIS-2.8": {
    title: "The default ulimit is not set",
    severity: 'info',
    help: "Set \"default-ulimits\" (nofile, nproc) when one container must not exhaust dockerd's limits for all.",
  },
  "CIS-2.10": {
    title: "The default cgroup is changed",
    severity: 'low',
    help: "\"cgroup-parent\" puts every container under one cgroup; confirm that is meant.",
  },
  "CIS-2.11": {
    title: "The base device size is raised",
    severity: 'low',
    help: "A larger dm.basesize lets every container grow that large; leave it at its default unless needed.",
  },
  "CIS-2.12": {
    title: "No authorization plugin",
    severity: 'info',
    help: "Without one, whoever reaches the Docker socket may do anything. Fine when only administrators can; otherwise add an authorization plugin.",
  },
  "CIS-2.13": {
    title: "Container logs are not bounded or not kept",
    severity: 'low',
    help: "Set log-opts max-size and max-file, or a remote log driver, so one container cannot fill the disk and logs outlive the host.",
  },
  "CIS-2.14": {
    title: "Containers may gain new privileges",
    severity: 'medium',
    help: "Set \"no-new-privileges\": true so setuid binaries cannot raise a process's privileges.",
  },
  "CIS-2.15": {
    title: "live-restore is off",
    severity: 'low',
    help: "Set \"live-restore\": true so containers keep running while dockerd restarts or upgrades (not with swarm).",
  },
  "CIS-2.16": {
    title: "The userland proxy is on",
    severity: 'low',
    help: "Set \"userland-proxy\": false so published ports use the kernel's NAT rules instead of a docker-proxy process per port.",
  },
  "CIS-2.17": {
    title: "The daemon-wide seccomp profile is off or allows everything",
    severity: 'medium',
    help: "Remove \"seccomp-profile\": \"unconfined\" (or a profile that allows every call) so containers get the default seccomp profile.",
  },
  "CIS-2.18": {
    title: "Experimental features are on",
    severity: 'low',
    help: "Set \"experimental\": false in production: experimental features get less security review.",
  },
  "CIS-3.1": {
    title: "docker.service: ownership is not root:root",
    severity: 'medium',
    help: "Whoever owns docker.service can change it. chown root:root it (the proposal does).",
  },
  "CIS-3.2": {
    title: "docker.service: permissions are too open",
    severity: 'medium',
    help: "A mode wider than the benchmark allows lets other users read or change docker.service. chmod it (the proposal does).",
  },
  "CIS-3.3": {
    title: "docker.socket: ownership is not root:root",
    severity: 'medium',
    help: "Whoever owns docker.socket can change it. chown root:root it (the proposal does).",
  },
  "CIS-3.4": {
    title: "docker.socket: permissions are too open",
    severity: 'medium',
    help: "A mode wider than the benchmark allows lets other users read or change docker.socket. chmod it (the proposal does).",
  },
  "CIS-3.5": {
    title: "/etc/docker: ownership is not root:root",
    severity: 'medium',
    help: "Whoever owns /etc/docker can change it. chown root:root it (the proposal does).",
  },
  "CIS-3.6": {
    title: "/etc/docker: permissions are too open",
    severity: 'medium',
    help: "A mode wider than the benchmark allows lets other users read or change /etc/docker. chmod it (the proposal does).",
  },
  "CIS-3.9": {
    title: "the TLS CA certificate: ownership is not root:root",
    severity: 'medium',
    help: "Whoever owns the TLS CA certificate can change it. chown root:root it (the proposal does).",
  },
  "CIS-3.10": {
    title: "the TLS CA certificate: permissions are too open",
    severity: 'medium',
    help: "A mode wider than the benchmark allows lets other users read or change the TLS CA certificate. chmod it (the proposal does).",
  },
  "CIS-3.11": {
    title: "the TLS server certificate: ownership is not root:root",
    severity: 'medium',
    help: "Whoever owns the TLS server certificate can change it. chown root:root it (the proposal does).",
  },
  "CIS-3.12": {
    title: "the TLS server certificate: permissions are too open",
    severity: 'medium',
    help: "A mode wider than the benchmark allows lets other users read or change the TLS server certificate. chmod it (the proposal does).",
  },
  "CIS-3.13": {
    title: "the TLS server key: ownership is not root:root",
    severity: 'medium',
    help: "Whoever owns the TLS server key can change it. chown root:root it (the proposal does).",
  },
  "CIS-3.14": {
    title: "the TLS server key: permissions are too open",
    severity: 'medium',
    help: "A mode wider than the benchmark allows lets other users read or change the TLS server key. chmod it (the proposal does).",
  },
  "CIS-3.15": {
    title: "the Docker socket: ownership is not root:docker",
    severity: 'medium',
    help: "Whoever owns the Docker socket can change it. chown root:docker it (the proposal does).",
  },
  "CIS-3.16": {
    title: "the Docker socket: permissions are too open",
    severity: 'medium',
    help: "A mode wider than the benchmark allows lets other users read or change the Docker socket. chmod it (the proposal does).",
  },
  "CIS-3.17": {
    title: "daemon.json: ownership is not root:root",
    severity: 'medium',
    help: "Whoever owns daemon.json can change it. chown root:root it (the proposal does).",
  },
  "CIS-3.18": {
    title: "daemon.json: permissions are too open",
    severity: 'medium',
    help: "A mode wider than the benchmark allows lets other users read or change daemon.json. chmod it (the proposal does).",
  },
  "CIS-3.19": {
    title: "/etc/default/docker: ownership is not root:root",
    severity: 'medium',
    help: "Whoever owns /etc/default/docker can change it. chown root:root it (the proposal does).",
  },
  "CIS-3.20": {
    title: "/etc/default/docker: permissions are too open",
    severity: 'medium',
    help: "A mode wider than the benchmark allows lets other users read or change /etc/default/docker. chmod it (the proposal does).",
  },
  "CIS-3.21": {
    title: "/etc/sysconfig/docker: ownership is not root:root",
    severity: 'medium',
    help: "Whoever owns /etc/sysconfig/docker can change it. chown root:root it (the proposal does).",
  },
  "CIS-3.22": {
    title: "/etc/sysconfig/docker: permissions are too open",
    severity: 'medium',
    help: "A mode wider than the benchmark allows lets other users read or change /etc/sysconfig/docker. chmod it (the proposal does).",
  },
  "CIS-3.23": {
    title: "the containerd socket: ownership is not root:root",
    severity: 'medium',
    help: "Whoever owns the containerd socket can change it. chown root:root it (the proposal does).",
  },
  "CIS-3.24": {
    title: "the containerd socket: permissions are too open",
    severity: 'medium',
    help: "A mode wider than the benchmark allows lets other users read or change the containerd socket. chmod it (the proposal does).",
  },
  "CIS-1.1": {
    title: "No audit rules watch Docker's files",
    severity: 'info',
    help: "Add auditd rules for dockerd, containerd, runc and Docker's configuration and data so changes leave a trace (the proposal writes /etc/audit/rules.d/docker.rules).",
  },
};

export default defineStep({
  meta: {
    id: 'scan-host-config',
    order: 2,
    title: 'Scan the host configuration (CIS Docker Benchmark)',
    scope: 'host',
    targets: ['host'],
    summary: 'The CIS Benchmark\'s daemon settings, file permissions and audit rules, judged from daemon.json, dockerd\'s flags and the live daemon.',
    explain: [
      'The CIS Docker Benchmark lists daemon settings that reduce what a compromised container, a mistaken image or an exposed API can do: no traffic between unrelated containers, no registries without TLS, TLS on any TCP endpoint, bounded logs, no privilege gain through setuid binaries, seccomp on, containers that survive a daemon restart, and Docker\'s files owned by root with tight modes.',
      'Each setting can come from daemon.json, from a flag on dockerd\'s command line or in its systemd unit, or from dockerd\'s default. This step reads all of them and what the running daemon reports, so a value set in the file but not yet live (dockerd not restarted) is reported as such, and each finding names where the setting lives.',
      'Each fix is its own choice, with what it may break: "icc": false cuts direct traffic between containers on the default bridge; live-restore cannot be used with swarm; "userland-proxy": false relies on iptables; log rotation applies only to containers created afterwards. A setting given as a flag in the unit is changed in a systemd drop-in, never duplicated into daemon.json (dockerd would refuse to start). Applying restarts (or reloads) dockerd, waits for it to answer, and puts the old file back if it does not.',
    ].join('\n\n'),
    codes: CODES,
    references: [
      { title: 'CIS Docker Benchmark', url: 'https://www.cisecurity.org/benchmark/docker' },
      { title: 'docker-bench-security', url: 'https://github.com/docker/docker-bench-security' },
      { title: 'dockerd reference: daemon configuration file', url: 'https://docs.docker.com/reference/cli/dockerd/#daemon-configuration-file' },
      { title: 'Configure logging drivers', url: 'https://docs.docker.com/engine/logging/configure/' },
      { title: 'Live restore', url: 'https://docs.docker.com/engine/daemon/live-restore/' },
    ],
  },

  async check(ctx) {
    const s = await scan(ctx);
    if ('status' in s) return s;
    const findings: Finding[] = [];
    for (const v of s.verdicts) {
      if (!v.finding) continue;
      let message = v.finding.message;
      if (v.manual && !v.fix) message += ` To fix: ${v.manual}.`;
      // A flag on a command line that no service file sets: say so where the finding is.
      const setting = v.fix ? s.judge.s(v.fix.key) : null;
      if (setting && setting.cmdline.length > 0 && setting.unit.length === 0) {
        message += ` It is given on dockerd's command line (pid ${s.judge.view.process?.pid}), which no service file docker-harden knows sets: change it where dockerd is started.`;
      }
      findings.push({ code: `CIS-${v.cis}`, ...v.finding, message, ...(v.fix ? { fixedBy: v.fix.id } : {}) });
    }
    // A key that is also a flag: dockerd starts today only because it has not re-read the file;
    // the next restart or reload fails.
    const config = s.judge.view.config;
    const { showFlag } = await import('../src/host/flags.js');
    for (const c of s.judge.hc.daemonFlagConflicts(s.judge.hc.viewFlags(s.judge.view), config.value)) {
      const flags = [...new Set(c.flags.map((f) => showFlag(f.flag)))].join(', ');
      const at = config.text ? s.judge.hc.locateDaemonKey(config.text, [c.key]) : null;
      findings.push({
        code: 'DH-FLAG-FILE-CONFLICT',
        message: `${s.judge.hc.describeConflict(c, config.path)}: the next restart or reload of dockerd fails. Fix: remove one of them, the "${c.key}" key from daemon.json or the ${flags} flag where dockerd is started. docker-harden changes nothing for "${c.key}" until then`,
        severity: 'critical',
        file: config.path,
        ...(at ? { line: at.line, column: at.column } : {}),
      });
    }
    // Mirrors are pulled from before Docker Hub: over http:// an image can be swapped in transit.
    const mirrors = s.judge.s('registry-mirrors');
    for (const m of Array.isArray(mirrors.value) ? (mirrors.value as unknown[]) : []) {
      if (typeof m !== 'string' || !/^http:\/\//i.test(m)) continue;
      findings.push({
        code: 'DH-MIRROR-HTTP',
        message: `registry mirror ${m} is plain http:// (${where(s.judge, mirrors)}): images pulled through it travel without TLS and can be swapped in transit; use an https:// mirror`,
        severity: 'high',
        ...loc(s.judge, mirrors),
      });
    }
    for (const p of s.perms) findings.push(p.finding);
    if (s.audit.missing.length > 0) {
      findings.push({
        code: 'CIS-1.1', message: `no audit rules watch ${s.audit.missing.join(', ')}: changes to Docker's binaries, configuration and data leave no trace in the audit log (CIS 1.1)${s.audit.auditd ? '' : '; auditd is not installed (apt-get install auditd)'}`,
        severity: 'info',
      });
    }
    return { status: statusOf(findings), findings, notes: notesFor(s, await benchPath(ctx)) };
  },

  async propose(ctx) {
    const s = await scan(ctx);
    if ('status' in s) return [];
    const hc = s.judge.hc;
    const { serviceUnitChange } = await import('../src/host/dropin.js');
    const { flagConfigKey } = await import('../src/host/flags.js');
    const proposals: Proposal[] = [];
    const config = s.judge.view.config;
    const conflicted = new Set(hc.daemonFlagConflicts(hc.viewFlags(s.judge.view), config.value).map((c) => c.key));
    for (const v of s.verdicts) {
      if (!v.fix) continue;
      const fix = v.fix;
      // Set both ways: the person decides which to keep; the finding says how.
      if (conflicted.has(fix.key)) continue;
      const setting = s.judge.s(fix.key);
      const byFlag = setting.cmdline.length > 0 || setting.unit.length > 0;
      const reload = fix.edits.every((e) => hc.reloadable(String(e.path[0])));
      if (byFlag) {
        // The setting lives in the unit: change it there, never duplicate it into daemon.json.
        if (setting.unit.length === 0 || !s.judge.view.units) continue;
        const unit = await serviceUnitChange(
          s.judge.view.units,
          { remove: (f) => flagConfigKey(f.name) === fix.key, add: fix.flagArgs, reason: fix.title },
          (file) => ctx.probe.readText(file),
        );
        if (!unit) continue;
        proposals.push({
          id: fix.id,
          risk: 'review',
          title: `${fix.title}, in the systemd unit`,
          description: `${fix.description} The setting is a flag in ${setting.unit[0]!.file}, so it is changed there (a drop-in) rather than in daemon.json.`,
          changes: [unit.change],
          commands: unit.commands,
          daemon: 'restart',
          warnings: fix.warnings.filter((w) => !w.startsWith('A reload')).concat(reload ? [RESTART_STOPS_CONTAINERS] : []),
        });
        continue;
      }
      if (fix.edits.length === 0) continue;
      const after = hc.editDaemonConfig(config.text, fix.edits);
      if (after === config.text) continue;
      proposals.push({
        id: fix.id,
        risk: reload && fix.safe ? 'safe' : 'review',
        title: fix.title,
        description: fix.description,
        changes: [{ path: config.path, before: config.text, after, ...(config.text === null ? { mode: 0o644 } : {}) }],
        commands: [],
        daemon: reload ? 'reload' : 'restart',
        warnings: fix.warnings,
      });
    }
    if (s.perms.length > 0) {
      proposals.push({
        id: 'permissions',
        risk: s.perms.some((p) => /socket/.test(p.rule.what)) ? 'review' : 'safe',
        title: `Fix ownership and modes of ${s.perms.length} Docker file${s.perms.length === 1 ? '' : 's'}`,
        description: 'Only root can then change how Docker runs; the socket stays usable by the docker group.',
        changes: [],
        commands: s.perms.flatMap((p) => p.commands),
        warnings: ['The Docker socket is created again by dockerd at each start with its own mode and group; set -G and the socket unit if those differ.'],
      });
    }
    if (s.audit.missing.length > 0 && s.audit.rulesDir) {
      const existing = s.audit.existing;
      const lines = s.audit.missing.map((t) => `-w ${t} -k docker`);
      const after = existing === null ? `# Written by docker-harden: watch Docker's binaries, configuration and data (CIS 1.1).\n${lines.join('\n')}\n` : `${existing.replace(/\n?$/, '\n')}${lines.join('\n')}\n`;
      const augenrules = await ctx.probe.which('augenrules');
      proposals.push({
        id: 'audit-rules',
        risk: 'safe',
        title: `Audit changes to Docker's files (${AUDIT_RULES_FILE})`,
        description: 'auditd records every write to these files and folders with the key "docker" (ausearch -k docker).',
        changes: [{ path: AUDIT_RULES_FILE, before: existing, after, mode: 0o640 }],
        commands: augenrules ? [{ title: 'Load the audit rules', argv: [augenrules, '--load'], run: true }] : [],
        warnings: [`Watching ${String(s.judge.info?.DockerRootDir ?? '/var/lib/docker')} logs every image and container write: on a busy host this grows the audit log quickly.`],
      });
    }
    const bench = await benchPath(ctx);
    if (bench) {
      proposals.push({
        id: 'docker-bench',
        risk: 'safe',
        title: 'Compare with docker-bench-security',
        description: 'docker-bench-security prints its own CIS summary; read it beside this one.',
        changes: [],
        commands: [{ title: 'Run docker-bench-security', argv: [bench, '-c', 'docker_daemon_configuration'], run: false }],
        warnings: [],
      });
    }
    return orderByImpact(proposals);
  },
});
