/**
 * The CIS Docker Benchmark's daemon checks (section 2) as rows: each row names its key, CIS id,
 * severity, the finding's message and the change that makes it pass. A row is run by the generic
 * evaluator of its kind (`bool`: the key must have one value; `unwanted`: a value the key must not
 * have; `wanted`: information when the key is unset); a check that reads several keys or the live
 * daemon has its own evaluator in the same row.
 *
 * Over 400 lines on purpose: one table of sixteen rows with the words of their findings and fixes,
 * and the evaluators of the multi-key checks beside the rows that name them.
 */
import { RESTART_STOPS_CONTAINERS, type CodeInfo, type Finding, type Proposal } from '../../src/core/step.js';
import type { DockerInfo } from '../../src/host/facts.js';
import { describeSource, findingLocation, type DaemonView, type EffectiveSetting } from '../../src/host/daemon-view.js';
import type { TcpEndpoint } from '../../src/host/endpoints.js';

/** One CIS check's result. */
export interface Verdict {
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

/** What a fix says: the same for every kind of check. */
interface FixText {
  id: string;
  title: string;
  description: string;
  warnings: string[];
  /** Cannot cut traffic or stop a container (log settings, live-restore): `safe` when a reload applies it. */
  safe?: boolean;
}

export interface FixSpec extends FixText {
  /** daemon.json edits; a value of undefined removes the key. */
  edits: { path: (string | number)[]; value: unknown }[];
  /** The same setting as dockerd flags, for a unit drop-in when a flag sets it now. */
  flagArgs: string[];
  /** The setting whose flags are replaced in the unit. */
  key: string;
}

/** What the checks read: the daemon's effective settings, its live state and its TCP endpoints. */
export interface Judge {
  view: DaemonView;
  info: DockerInfo | null;
  s(key: string): EffectiveSetting;
  tcp: TcpEndpoint[];
  /** The custom seccomp profile's text, when seccomp-profile names a file. */
  seccompProfile: string | null;
}

const RELOAD_NOTE = 'A reload applies it; nothing restarts.';

const REMOTE_LOG_DRIVERS = new Set(['syslog', 'journald', 'gelf', 'fluentd', 'awslogs', 'splunk', 'gcplogs', 'logentries', 'etwlogs']);

type Severity = Finding['severity'];

interface RowBase {
  cis: string;
  key: string;
  /** The finding code's title and help (`explain CIS-<id>`). */
  code: CodeInfo;
  /** Set when the check does not apply on this host (live-restore on a swarm node). */
  notApplicable?: (j: Judge) => Verdict['finding'] | undefined;
  /** Without iptables the fix cannot work: the reason shown instead of the fix. */
  needsIptables?: string;
}

/** The key must have `expected`. */
interface BoolRow extends RowBase {
  kind: 'bool';
  expected: boolean;
  severity: Severity;
  /** Why any other value is a problem. */
  bad: string;
  fix: FixText;
}

/** The key must not have a value `found` picks; the fix removes it (or sets `reset` when a flag sets it). */
interface UnwantedRow extends RowBase {
  kind: 'unwanted';
  severity: Severity;
  found: (s: EffectiveSetting, j: Judge) => boolean;
  message: (s: EffectiveSetting, where: string, j: Judge) => string;
  /** The value written when the key cannot simply be removed from daemon.json. */
  reset?: unknown;
  fix: FixText;
}

/** Information when the key is unset (the right value depends on the workload). */
interface WantedRow extends RowBase {
  kind: 'wanted';
  /** Whether it counts as set; by default, when any source sets the key. */
  isSet?: (j: Judge) => boolean;
  message: string;
}

/** A check that reads several keys or the live daemon. */
interface CustomRow extends RowBase {
  kind: 'custom';
  evaluate: (j: Judge, row: CustomRow) => Omit<Verdict, 'cis' | 'key'>;
}

export type DaemonCheck = BoolRow | UnwantedRow | WantedRow | CustomRow;

function evidenceOf(s: EffectiveSetting): string | undefined {
  const parts: string[] = [];
  if (s.file) parts.push(`daemon.json: "${s.key}": ${JSON.stringify(s.file.value)}`);
  for (const f of [...s.cmdline, ...s.unit]) parts.push(f.where);
  if (s.live !== undefined) parts.push(`docker info: ${JSON.stringify(s.live)}`);
  return parts.length ? parts.join('; ') : undefined;
}

const onlyInFile = (s: EffectiveSetting) => Boolean(s.file) && !s.cmdline.length && !s.unit.length;

/** A fix that edits daemon.json only (no flag form). */
function fileFix(key: string, text: FixText, edits: FixSpec['edits']): FixSpec {
  return { ...text, key, edits, flagArgs: [] };
}

function evaluateBool(j: Judge, row: BoolRow): Omit<Verdict, 'cis' | 'key'> {
  const { key, expected: want } = row;
  const s = j.s(key);
  const value = s.live !== undefined && !s.pending ? s.live : s.value;
  if (value === want && !s.pending) return { status: 'pass' };
  const pending = s.pending && s.value === want;
  const message = pending
    ? `${key}: set to ${JSON.stringify(want)} (${describeSource(s)}) but dockerd runs with ${JSON.stringify(s.live)}: not live until dockerd restarts (CIS ${row.cis})`
    : `${key} is ${JSON.stringify(s.value)}, ${describeSource(s)}: ${row.bad} (CIS ${row.cis})`;
  return {
    status: 'fail',
    finding: { message, severity: row.severity, ...findingLocation(s), evidence: evidenceOf(s) },
    ...(pending ? {} : { fix: { ...row.fix, key, edits: [{ path: [key], value: want }], flagArgs: [`--${key}=${want}`] } }),
  };
}

function evaluateUnwanted(j: Judge, row: UnwantedRow): Omit<Verdict, 'cis' | 'key'> {
  const s = j.s(row.key);
  if (!row.found(s, j)) return { status: 'pass' };
  const value = row.reset === undefined || onlyInFile(s) ? undefined : row.reset;
  return {
    status: 'fail',
    finding: { message: `${row.message(s, describeSource(s), j)} (CIS ${row.cis})`, severity: row.severity, ...findingLocation(s), evidence: evidenceOf(s) },
    fix: fileFix(row.key, row.fix, [{ path: [row.key], value }]),
  };
}

function evaluateWanted(j: Judge, row: WantedRow): Omit<Verdict, 'cis' | 'key'> {
  if (row.isSet ? row.isSet(j) : j.s(row.key).source) return { status: 'pass' };
  return { status: 'info', finding: { message: `${row.message} (CIS ${row.cis})`, severity: 'info' } };
}

/** Run every row against one daemon. */
export function judge(j: Judge, rows: readonly DaemonCheck[] = DAEMON_CHECKS): Verdict[] {
  return rows.map((row) => {
    const na = row.notApplicable?.(j);
    if (na) return { cis: row.cis, key: row.key, status: 'not-applicable', finding: na };
    const verdict: Verdict = {
      cis: row.cis,
      key: row.key,
      ...(row.kind === 'bool' ? evaluateBool(j, row) : row.kind === 'unwanted' ? evaluateUnwanted(j, row) : row.kind === 'wanted' ? evaluateWanted(j, row) : row.evaluate(j, row)),
    };
    // dockerd refuses these settings without iptables: fix 2.4 first.
    if (row.needsIptables && verdict.fix && j.s('iptables').value === false) {
      verdict.manual = row.needsIptables;
      delete verdict.fix;
    }
    return verdict;
  });
}

/** The seccomp profile allows every call: defaultAction allow and no rule that denies. */
function allowsEverything(text: string | null): boolean {
  if (!text) return false;
  try {
    const profile = JSON.parse(text) as { defaultAction?: string; syscalls?: { action?: string }[] };
    return profile.defaultAction === 'SCMP_ACT_ALLOW' && !(profile.syscalls ?? []).some((r) => r.action && r.action !== 'SCMP_ACT_ALLOW' && r.action !== 'SCMP_ACT_LOG');
  } catch {
    return false;
  }
}

function logLevel(j: Judge): Omit<Verdict, 'cis' | 'key'> {
  const s = j.s('log-level');
  const debug = j.s('debug');
  const level = String(s.value ?? 'info');
  if (debug.value === true) {
    return {
      status: 'fail',
      finding: { message: `debug is on (${describeSource(debug)}): dockerd logs at debug level whatever log-level says (CIS 2.3)`, severity: 'low', ...findingLocation(debug), evidence: evidenceOf(debug) },
      fix: fileFix('debug', { id: 'debug', safe: true, title: 'Turn off debug logging ("debug": false)', description: 'dockerd logs at the info level again: events stay recorded without the volume of debug output.', warnings: [RELOAD_NOTE] }, [{ path: ['debug'], value: false }]),
    };
  }
  if (level === 'info') return { status: 'pass' };
  return {
    status: 'fail',
    finding: {
      message: `log-level is "${level}", ${describeSource(s)}: ${level === 'debug' ? 'debug logs are large and may hold details an attacker can use' : 'events that matter for an investigation are not logged'}; CIS asks for "info" (CIS 2.3)`,
      severity: 'low',
      ...findingLocation(s),
      evidence: evidenceOf(s),
    },
    fix: fileFix(
      'log-level',
      { id: 'log-level', safe: true, title: 'Log at the info level ("log-level": "info")', description: 'dockerd records its events (starts, stops, errors) without debug noise.', warnings: [RESTART_STOPS_CONTAINERS] },
      [{ path: ['log-level'], value: s.file && !s.cmdline.length && !s.unit.length ? undefined : 'info' }],
    ),
  };
}

function insecureRegistries(j: Judge): Omit<Verdict, 'cis' | 'key'> {
  const s = j.s('insecure-registries');
  const configured = Array.isArray(s.value) ? (s.value as string[]) : [];
  const reg = j.info?.RegistryConfig as { InsecureRegistryCIDRs?: string[]; IndexConfigs?: Record<string, { Name?: string; Secure?: boolean }> } | undefined;
  const live = [
    ...(reg?.InsecureRegistryCIDRs ?? []).filter((c) => c !== '127.0.0.0/8' && c !== '::1/128'),
    ...Object.values(reg?.IndexConfigs ?? {}).filter((c) => c.Secure === false).map((c) => c.Name ?? ''),
  ].filter(Boolean);
  const all = [...new Set([...configured, ...live])];
  if (all.length === 0) return { status: 'pass' };
  const notLive = configured.length === 0 && live.length > 0;
  return {
    status: 'fail',
    finding: {
      message: `insecure registries allowed: ${all.join(', ')} (${notLive ? 'live in dockerd, no longer in its configuration: restart dockerd' : describeSource(s)}): images from them are pulled without TLS and can be swapped in transit (CIS 2.5)`,
      severity: 'high',
      ...findingLocation(s),
      evidence: evidenceOf(s),
    },
    ...(configured.length > 0
      ? {
          fix: fileFix(
            'insecure-registries',
            {
              id: 'insecure-registries',
              title: 'Stop allowing registries without TLS (remove "insecure-registries")',
              description: 'Pulls and pushes to those registries then need valid TLS; give them a certificate (or put one in /etc/docker/certs.d/<registry>/ca.crt for a private CA).',
              warnings: [`Pulls from ${configured.join(', ')} fail until they serve TLS.`, RELOAD_NOTE],
            },
            [{ path: ['insecure-registries'], value: undefined }],
          ),
        }
      : {}),
  };
}

function aufs(j: Judge): Omit<Verdict, 'cis' | 'key'> {
  const s = j.s('storage-driver');
  const driver = (j.info?.Driver as string | undefined) ?? (s.value as string | undefined);
  if (driver !== 'aufs' && s.value !== 'aufs') return { status: 'pass' };
  return {
    status: 'fail',
    finding: {
      message: `the aufs storage driver is in use (${s.source ? describeSource(s) : 'docker info'}): it is unmaintained, has known kernel crashes and was removed from Docker 24; move to overlay2 (CIS 2.6)`,
      severity: 'medium',
      ...findingLocation(s),
      evidence: `docker info: Driver ${String(j.info?.Driver ?? '?')}`,
    },
    manual: 'changing the storage driver hides every existing image and container; export what you need, then set "storage-driver": "overlay2"',
  };
}

function tcpTls(j: Judge): Omit<Verdict, 'cis' | 'key'> {
  if (j.tcp.length === 0) return { status: 'not-applicable' };
  const files = ['tlscacert', 'tlscert', 'tlskey'].map((k) => j.s(k));
  const listed = j.tcp.map((e) => `${e.raw} (${e.where})`).join(', ');
  const anyExposed = j.tcp.some((e) => !e.loopback);
  if (j.s('tlsverify').value === true) {
    const unset = files.filter((f) => f.source === null).map((f) => f.key);
    return { status: 'pass', ...(unset.length ? { manual: `${unset.join(', ')} not set: dockerd uses ~/.docker/{ca,cert,key}.pem of the user it runs as` } : {}) };
  }
  const first = j.tcp[0]!;
  return {
    status: 'fail',
    finding: {
      message:
        j.s('tls').value === true
          ? `TCP endpoint ${listed} uses TLS without verifying clients ("tls" without "tlsverify"): anyone who can connect controls Docker, which is root on this machine (CIS 2.7)`
          : `TCP endpoint ${listed} has no TLS: anyone who can connect${anyExposed ? ' over the network' : ' from this machine'} controls Docker, which is root on this machine (CIS 2.7)`,
      severity: anyExposed ? 'critical' : 'high',
      ...(first.file ? { file: first.file } : {}),
      ...(first.line ? { line: first.line, column: first.column } : {}),
      evidence: j.tcp.map((e) => e.where).join('; '),
    },
    manual: 'remove the TCP endpoint or set up TLS client verification: the protect-docker-socket step proposes both',
  };
}

function baseSize(j: Judge): Omit<Verdict, 'cis' | 'key'> {
  const s = j.s('storage-opts');
  const isBaseSize = (o: string) => /^dm\.basesize=/i.test(o);
  const opts = Array.isArray(s.value) ? (s.value as string[]) : [];
  const index = opts.findIndex(isBaseSize);
  if (index < 0) return { status: 'pass' };
  const inFile = s.file && Array.isArray(s.file.value) ? (s.file.value as string[]).findIndex(isBaseSize) : -1;
  return {
    status: 'fail',
    finding: { message: `storage option ${opts[index]} is set, ${describeSource(s)}: raising the base device size lets every container grow that large (CIS 2.11)`, severity: 'low', ...findingLocation(s), evidence: evidenceOf(s) },
    ...(inFile >= 0
      ? {
          fix: fileFix(
            'storage-opts',
            { id: 'dm-basesize', title: 'Drop dm.basesize from storage-opts', description: 'devicemapper uses its default base size (10 GB) for new images and containers.', warnings: [RESTART_STOPS_CONTAINERS] },
            [{ path: ['storage-opts', inFile], value: undefined }],
          ),
        }
      : {}),
  };
}

function logging(j: Judge): Omit<Verdict, 'cis' | 'key'> {
  const driverSetting = j.s('log-driver');
  const driver = String((j.info?.LoggingDriver as string | undefined) ?? driverSetting.value ?? 'json-file');
  const opts = j.s('log-opts');
  const values = (opts.value ?? {}) as Record<string, string>;
  const remote = REMOTE_LOG_DRIVERS.has(driver) || driver.includes(':') || driver.includes('/');
  if (remote || driver === 'local' || (driver === 'json-file' && values['max-size'])) return { status: 'pass' };
  if (driver === 'none') {
    return {
      status: 'fail',
      finding: { message: `log-driver is "none" (${describeSource(driverSetting)}): container output is thrown away, nothing is left to investigate (CIS 2.13)`, severity: 'low', ...findingLocation(driverSetting) },
      manual: 'choose a log driver: "local" keeps rotated logs on this machine, "journald" or "syslog" hands them to the system',
    };
  }
  const setByFlag = opts.cmdline.length > 0 || opts.unit.length > 0;
  return {
    status: 'fail',
    finding: {
      message: `container logs (${driver}) have no size limit (no log-opts max-size${opts.source ? `; log-opts ${describeSource(opts)}` : ''}): one noisy container can fill the disk, and no remote log driver keeps a copy (CIS 2.13)`,
      severity: 'medium',
      ...findingLocation(opts.source ? opts : driverSetting),
      evidence: evidenceOf(opts) ?? `log-driver ${driver}`,
    },
    fix: {
      id: 'log-opts',
      safe: true,
      key: 'log-opts',
      title: 'Rotate container logs (log-opts max-size 10m, max-file 3)',
      description: 'Each container keeps at most three log files of 10 MB; older lines are dropped. A remote log driver (syslog, journald, fluentd, gelf) keeps a copy elsewhere if you need one.',
      warnings: ['Only containers created after the restart get the limit; recreate the others to apply it.', RESTART_STOPS_CONTAINERS],
      edits: setByFlag ? [] : [{ path: ['log-opts', 'max-size'], value: '10m' }, ...(values['max-file'] ? [] : [{ path: ['log-opts', 'max-file'], value: '3' }])],
      flagArgs: [
        '--log-opt',
        'max-size=10m',
        '--log-opt',
        `max-file=${values['max-file'] ?? '3'}`,
        ...Object.entries(values)
          .filter(([k]) => k !== 'max-size' && k !== 'max-file')
          .flatMap(([k, v]) => ['--log-opt', `${k}=${v}`]),
      ],
    },
  };
}

function seccomp(j: Judge): Omit<Verdict, 'cis' | 'key'> {
  const s = j.s('seccomp-profile');
  const live = (j.info?.SecurityOptions ?? []).find((o) => o.split(',').includes('name=seccomp'));
  const liveProfile = /profile=([^,]+)/.exec(live ?? '')?.[1];
  const customAllowAll = typeof s.value === 'string' && s.value !== 'unconfined' && s.value !== 'default' && s.value !== 'builtin' && allowsEverything(j.seccompProfile);
  if (s.value === 'unconfined' || liveProfile === 'unconfined' || customAllowAll) {
    return {
      status: 'fail',
      finding: {
        message: `seccomp is off for every container (${customAllowAll ? `"seccomp-profile": ${String(s.value)}, a profile that allows every call` : '"seccomp-profile": "unconfined"'}, ${s.source ? describeSource(s) : 'live in dockerd'}): containers can make any system call, including the ones container escapes use (CIS 2.17)`,
        severity: 'high',
        ...findingLocation(s),
        evidence: evidenceOf(s) ?? live,
      },
      ...(onlyInFile(s)
        ? {
            fix: fileFix(
              'seccomp-profile',
              {
                id: 'seccomp-profile',
                title: `Use Docker's default seccomp profile (remove "seccomp-profile": ${JSON.stringify(s.value)})`,
                description: 'Containers get Docker\'s default seccomp filter, which blocks about 44 rarely needed, dangerous system calls.',
                warnings: ['A program that needs a blocked call fails with "operation not permitted"; run that container alone with --security-opt seccomp=<profile>.', RESTART_STOPS_CONTAINERS],
              },
              [{ path: ['seccomp-profile'], value: undefined }],
            ),
          }
        : {}),
    };
  }
  if (j.info && !live) {
    return {
      status: 'fail',
      finding: { message: 'dockerd reports no seccomp support (SecurityOptions has no seccomp): the kernel or the build lacks it, so no container is filtered (CIS 2.17)', severity: 'medium', evidence: `SecurityOptions: ${(j.info.SecurityOptions ?? []).join(' ')}` },
    };
  }
  return { status: 'pass' };
}

/** The rows, in the benchmark's order. */
export const DAEMON_CHECKS: readonly DaemonCheck[] = [
  {
    kind: 'bool',
    cis: '2.2',
    key: 'icc',
    expected: false,
    severity: 'medium',
    bad: 'containers on the default bridge network can reach each other on every port',
    needsIptables: '"icc": false needs iptables; turn iptables back on first (CIS 2.4)',
    // icc governs the default bridge network only; "bridge": "none" leaves no such network.
    notApplicable: (j) =>
      j.s('bridge').value === 'none' ? { message: '"bridge" is "none": there is no default bridge network for icc to restrict (CIS 2.2)', severity: 'info' } : undefined,
    code: { title: 'Network traffic between containers on the default bridge is not restricted', severity: 'medium', help: 'Set "icc": false in daemon.json; containers that talk to each other share a user-defined network instead. It does not apply when "bridge" is "none": there is no default bridge network then.' },
    fix: {
      id: 'icc',
      title: 'Turn off inter-container traffic on the default bridge ("icc": false)',
      description:
        'Containers on the default bridge network can then only talk through published ports or links. Containers that talk to each other should share a user-defined network (docker network create), where icc does not apply.',
      warnings: ['Containers on the default bridge that call each other directly stop reaching each other.', RESTART_STOPS_CONTAINERS],
    },
  },
  {
    kind: 'custom',
    cis: '2.3',
    key: 'log-level',
    evaluate: logLevel,
    code: { title: 'The logging level is not "info"', severity: 'low', help: 'Set "log-level": "info" and leave debug off, so that dockerd logs what an investigation needs and no more.' },
  },
  {
    kind: 'unwanted',
    cis: '2.4',
    key: 'iptables',
    severity: 'medium',
    found: (s) => s.value === false,
    message: (_s, where) => `iptables is false, ${where}: Docker no longer manages the firewall rules its networking needs, so published ports and isolation depend on rules kept by hand`,
    code: { title: 'Docker may not change iptables', severity: 'medium', help: 'Leave "iptables" at its default (true) so Docker keeps the firewall rules its networking needs.' },
    fix: {
      id: 'iptables',
      title: 'Let Docker manage iptables again (remove "iptables": false)',
      description: 'dockerd writes the NAT and filter rules for container networks itself.',
      warnings: ["Firewall rules you wrote for containers by hand may now be duplicated by Docker's own.", RESTART_STOPS_CONTAINERS],
    },
  },
  {
    kind: 'custom',
    cis: '2.5',
    key: 'insecure-registries',
    evaluate: insecureRegistries,
    code: { title: 'Insecure registries are allowed', severity: 'high', help: 'Remove "insecure-registries": images from them are pulled without TLS and can be swapped on the way. Give the registry a certificate instead.' },
  },
  {
    kind: 'custom',
    cis: '2.6',
    key: 'storage-driver',
    evaluate: aufs,
    code: { title: 'The aufs storage driver is in use', severity: 'medium', help: 'aufs is unmaintained and removed from Docker 24; move to overlay2.' },
  },
  {
    kind: 'custom',
    cis: '2.7',
    key: 'tls',
    evaluate: tcpTls,
    code: { title: 'TLS authentication for the Docker daemon is not configured', severity: 'critical', help: 'A TCP endpoint without tlsverify lets anyone who reaches it control Docker. Use tlsverify with client certificates, or ssh:// instead of TCP.' },
  },
  {
    kind: 'wanted',
    cis: '2.8',
    key: 'default-ulimits',
    message: "default-ulimits is not set: containers inherit dockerd's own limits (nofile, nproc); set them if one container must not exhaust them for all",
    code: { title: 'The default ulimit is not set', severity: 'info', help: "Set \"default-ulimits\" (nofile, nproc) when one container must not exhaust dockerd's limits for all." },
  },
  {
    kind: 'unwanted',
    cis: '2.10',
    key: 'cgroup-parent',
    severity: 'low',
    found: (s) => Boolean(s.source && s.value),
    message: (s, where) => `cgroup-parent is "${String(s.value)}", ${where}: containers are placed under that cgroup and share its limits; confirm it is meant`,
    code: { title: 'The default cgroup is changed', severity: 'low', help: '"cgroup-parent" puts every container under one cgroup; confirm that is meant.' },
    fix: {
      id: 'cgroup-parent',
      title: 'Use Docker\'s default cgroup parent (remove "cgroup-parent")',
      description: "New containers go under Docker's own cgroup again, with the limits you give each container.",
      warnings: ['Limits set on the custom parent cgroup no longer apply to new containers.', RESTART_STOPS_CONTAINERS],
    },
  },
  {
    kind: 'custom',
    cis: '2.11',
    key: 'storage-opts',
    evaluate: baseSize,
    code: { title: 'The base device size is raised', severity: 'low', help: 'A larger dm.basesize lets every container grow that large; leave it at its default unless needed.' },
  },
  {
    kind: 'wanted',
    cis: '2.12',
    key: 'authorization-plugins',
    isSet: (j) => {
      const plugins = j.s('authorization-plugins').value;
      return (Array.isArray(plugins) && plugins.length > 0) || ((j.info?.Plugins as { Authorization?: string[] } | undefined)?.Authorization ?? []).some(Boolean);
    },
    message: 'no authorization plugin: whoever can reach the Docker socket may do anything; that is fine when only administrators can',
    code: { title: 'No authorization plugin', severity: 'info', help: 'Without one, whoever reaches the Docker socket may do anything. Fine when only administrators can; otherwise add an authorization plugin.' },
  },
  {
    kind: 'custom',
    cis: '2.13',
    key: 'log-opts',
    evaluate: logging,
    code: { title: 'Container logs are not bounded or not kept', severity: 'low', help: 'Set log-opts max-size and max-file, or a remote log driver, so one container cannot fill the disk and logs outlive the host.' },
  },
  {
    kind: 'bool',
    cis: '2.14',
    key: 'no-new-privileges',
    expected: true,
    severity: 'medium',
    bad: 'a process in a container can gain privileges through setuid binaries',
    code: { title: 'Containers may gain new privileges', severity: 'medium', help: 'Set "no-new-privileges": true so setuid binaries cannot raise a process\'s privileges.' },
    fix: {
      id: 'no-new-privileges',
      title: 'Stop container processes gaining privileges ("no-new-privileges": true)',
      description: 'Every new container runs with the no_new_privs flag: setuid and setcap binaries (su, sudo, ping on some images) no longer raise privileges.',
      warnings: ['Images that rely on sudo or su inside the container stop being able to switch to root.', RESTART_STOPS_CONTAINERS],
    },
  },
  {
    kind: 'bool',
    cis: '2.15',
    key: 'live-restore',
    expected: true,
    severity: 'low',
    bad: 'every dockerd restart or upgrade stops all containers',
    notApplicable: (j) =>
      (j.info?.Swarm as { LocalNodeState?: string } | undefined)?.LocalNodeState === 'active'
        ? { message: 'live-restore cannot be used with swarm mode (this node is in a swarm): swarm services restart containers themselves (CIS 2.15)', severity: 'info' }
        : undefined,
    code: { title: 'live-restore is off', severity: 'low', help: 'Set "live-restore": true so containers keep running while dockerd restarts or upgrades (not with swarm).' },
    fix: {
      id: 'live-restore',
      safe: true,
      title: 'Keep containers running while dockerd restarts ("live-restore": true)',
      description: 'Containers keep running when dockerd stops or restarts (for upgrades and for changes like these), and dockerd picks them up again.',
      warnings: ['live-restore cannot be used with swarm mode.', RELOAD_NOTE],
    },
  },
  {
    kind: 'bool',
    cis: '2.16',
    key: 'userland-proxy',
    expected: false,
    severity: 'low',
    bad: "a docker-proxy process runs for every published port, a larger attack surface than the kernel's NAT rules",
    needsIptables: '"userland-proxy": false relies on iptables; turn iptables back on first (CIS 2.4)',
    code: { title: 'The userland proxy is on', severity: 'low', help: 'Set "userland-proxy": false so published ports use the kernel\'s NAT rules instead of a docker-proxy process per port.' },
    fix: {
      id: 'userland-proxy',
      title: 'Publish ports with iptables NAT only ("userland-proxy": false)',
      description: 'Published ports are forwarded by iptables rules alone, without a docker-proxy process per port.',
      warnings: ["Relies on iptables (and hairpin NAT): reaching a published port through 127.0.0.1 needs route_localnet, which Docker sets; old kernels may not support it.", RESTART_STOPS_CONTAINERS],
    },
  },
  {
    kind: 'custom',
    cis: '2.17',
    key: 'seccomp-profile',
    evaluate: seccomp,
    code: { title: 'The daemon-wide seccomp profile is off or allows everything', severity: 'medium', help: 'Remove "seccomp-profile": "unconfined" (or a profile that allows every call) so containers get the default seccomp profile.' },
  },
  {
    kind: 'unwanted',
    cis: '2.18',
    key: 'experimental',
    severity: 'low',
    found: (s, j) => s.value === true || j.info?.ExperimentalBuild === true,
    message: (s, where) => `experimental features are on (${s.source ? where : 'docker info'}): they are not meant for production and get less security review`,
    reset: false,
    code: { title: 'Experimental features are on', severity: 'low', help: 'Set "experimental": false in production: experimental features get less security review.' },
    fix: {
      id: 'experimental',
      title: 'Turn off experimental features (remove "experimental")',
      description: 'dockerd runs only its stable features.',
      warnings: ['Anything that uses an experimental feature (e.g. checkpoint/restore) stops working.', RESTART_STOPS_CONTAINERS],
    },
  },
];

/** The daemon checks' finding codes, in the rows' order. */
export const DAEMON_CODES: Record<string, CodeInfo> = Object.fromEntries(DAEMON_CHECKS.map((r) => [`CIS-${r.cis}`, r.code]));

/**
 * live-restore first, then the other reload-only changes, then the ones that restart dockerd: with
 * live-restore on before any restart, running containers survive the restarts that follow.
 */
export function orderByImpact(proposals: Proposal[]): Proposal[] {
  const rank = (p: Proposal) => (p.id === 'live-restore' && p.daemon === 'reload' ? 0 : p.daemon === 'restart' ? 2 : 1);
  return proposals.map((p, i) => ({ p, i })).sort((a, b) => rank(a.p) - rank(b.p) || a.i - b.i).map((x) => x.p);
}
