/**
 * What running containers and compose services do to Docker's default confinement. Shared by
 * use-docker-defaults (what weakens the defaults), seccomp-apparmor-capabilities (capabilities and
 * profiles), user-namespaces (what breaks under remapping) and rootless-docker (what would not run
 * rootless). Pure functions of inspected containers and parsed compose services.
 */
import type { ContainerDetails } from '../../src/host/facts.js';
import type { ComposeModel, ComposeService, ComposeVolume } from '../../src/compose/model.js';
import { colonParts } from '../../src/core/words.js';
import type { ServiceEdit } from '../../src/compose/edit.js';
import type { CodeInfo, Severity } from '../../src/core/step.js';

export type WeakeningKind =
  | 'privileged'
  | 'seccomp-unconfined'
  | 'apparmor-unconfined'
  | 'label-disable'
  | 'cap-all'
  | 'cap-sys-admin'
  | 'pid-host'
  | 'ipc-host'
  | 'uts-host'
  | 'network-host'
  | 'docker-socket'
  | 'writable-host-path';

interface WeakeningInfo {
  /** The finding code (CIS section 5 where it has one). */
  code: string;
  severity: Severity;
  /** Plain words: what the setting does to the container's confinement. */
  what: string;
  /** What taking it away may break. */
  breaks: string;
}

export const WEAKENINGS: Record<WeakeningKind, WeakeningInfo> = {
  privileged: {
    code: 'CIS-5.5',
    severity: 'critical',
    what: 'runs privileged: every capability, every host device, no seccomp or AppArmor confinement; root in it is root on the host',
    breaks: 'software that manages the host or its devices (Docker-in-Docker, hardware access, mounting file systems) stops working; give it the one --device or --cap-add it needs instead',
  },
  'seccomp-unconfined': {
    code: 'CIS-5.22',
    severity: 'high',
    what: 'runs without a seccomp profile, so every system call reaches the host kernel (about 44 are blocked by default)',
    breaks: 'tools that need a system call the default profile blocks (some debuggers, nested sandboxes) fail with "operation not permitted"; give those a custom profile rather than none',
  },
  'apparmor-unconfined': {
    code: 'CIS-5.2',
    severity: 'high',
    what: 'runs without the docker-default AppArmor profile (no protection of /proc and /sys writes, mounts)',
    breaks: 'the container is again held to docker-default: writes to parts of /proc and /sys and mount calls are refused',
  },
  'label-disable': {
    code: 'CIS-5.3',
    severity: 'medium',
    what: 'runs with SELinux labelling disabled (label=disable): SELinux no longer separates it from the host and other containers',
    breaks: 'bind mounts without a :z or :Z label become unreadable under SELinux; relabel them with :z (shared) or :Z (private)',
  },
  'cap-all': {
    code: 'DH-CAP-ALL',
    severity: 'critical',
    what: 'adds every Linux capability (--cap-add ALL), close to --privileged',
    breaks: 'anything that relied on a capability beyond Docker\'s default set; add back only the ones it needs by name',
  },
  'cap-sys-admin': {
    code: 'DH-CAP-SYS-ADMIN',
    severity: 'high',
    what: 'adds CAP_SYS_ADMIN, the capability behind mounts, namespaces and most container escapes',
    breaks: 'mounting file systems (FUSE, NFS) inside the container, some namespace tools; prefer a volume mounted by Docker',
  },
  'pid-host': {
    code: 'CIS-5.16',
    severity: 'high',
    what: "shares the host's process namespace (--pid host): it sees and can signal every process on the host",
    breaks: 'process monitors and debuggers that watch host processes see only the container\'s own',
  },
  'ipc-host': {
    code: 'CIS-5.17',
    severity: 'medium',
    what: "shares the host's IPC namespace (--ipc host): host shared memory and semaphores are open to it",
    breaks: 'software that exchanges shared memory with host processes; use --ipc shareable between containers instead',
  },
  'uts-host': {
    code: 'CIS-5.21',
    severity: 'low',
    what: "shares the host's UTS namespace (--uts host): it can change the host's hostname",
    breaks: 'the container gets its own hostname again',
  },
  'network-host': {
    code: 'CIS-5.10',
    severity: 'medium',
    what: "uses the host's network stack (--network host): no network isolation, it can bind any host port and reach services on localhost",
    breaks: 'ports must be published with -p again, and the container no longer reaches services bound to the host\'s localhost',
  },
  'docker-socket': {
    code: 'CIS-5.32',
    severity: 'critical',
    what: 'has the Docker socket mounted: whoever controls this container controls the Docker daemon, which is root on the host',
    breaks: 'tools that manage or watch containers (Portainer, Traefik, CI runners, log shippers such as Promtail, monitoring agents) lose the Docker API; point them at a read-only socket proxy that allows only the calls they make',
  },
  'writable-host-path': {
    code: 'CIS-5.6',
    severity: 'high',
    what: 'mounts a system directory of the host writable',
    breaks: 'the container can no longer change those host files; mounted read-only (:ro), it still reads them',
  },
};

/** The weakening codes, declared by every step that reports weakenings (one shared table). */
export const WEAKENING_CODES: Record<string, CodeInfo> = Object.fromEntries(
  Object.values(WEAKENINGS).map((w) => [w.code, { title: `A container ${w.what.split(':')[0]}`, severity: w.severity, help: `A container that ${w.what}. Taking it away: ${w.breaks}.` }]),
);

/**
 * System paths whose writable mount hands the host over. Only these are findings among bind
 * mounts: an application's own folder under them (/etc/pihole, /etc/wireguard) is its data.
 * `exact`: the directory itself; `tree`: it and anything under it (kernel interfaces, Docker's own
 * state, the host's credentials and service definitions). CIS Docker Benchmark 5.5.
 */
export const SENSITIVE_HOST_PATHS = {
  exact: ['/', '/etc', '/usr', '/boot', '/dev', '/lib', '/lib64', '/bin', '/sbin', '/var', '/root'],
  tree: ['/proc', '/sys', '/var/lib/docker', '/etc/docker', '/etc/systemd', '/etc/sudoers', '/etc/sudoers.d', '/etc/shadow', '/etc/passwd', '/etc/group', '/etc/gshadow', '/etc/cron.d', '/etc/crontab', '/root/.ssh', '/usr/bin', '/usr/sbin', '/usr/lib', '/boot/efi'],
};

export const DEFAULT_SOCKET_PATHS = ['/var/run/docker.sock', '/run/docker.sock'];

export interface Weakening {
  kind: WeakeningKind;
  code: string;
  severity: Severity;
  message: string;
  /** The `docker run` flag to leave out next time. */
  flag: string;
  /** The raw setting as found (for evidence). */
  evidence: string;
  /** Compose: the edit that removes it, and the line it was found on. */
  edit?: ServiceEdit;
  line?: number;
  /** Compose: which item of its list (a mount's target), so the fix's id stays the same when another is fixed first. */
  item?: string;
  /** Compose: what the edit does, when it does not remove the setting (a mount made read-only). */
  does?: string;
}

/** `SYS_ADMIN`, `CAP_SYS_ADMIN`, `sys_admin` -> `SYS_ADMIN`. */
export function normalizeCap(cap: string): string {
  return cap.trim().toUpperCase().replace(/^CAP_/, '');
}

/** A security option as `name` and `value`: `seccomp=unconfined` and `seccomp:unconfined` alike. */
export function parseSecurityOpt(opt: string): { name: string; value: string } {
  const m = /^([a-zA-Z-]+)[=:]?(.*)$/s.exec(opt.trim());
  if (!m) return { name: opt, value: '' };
  return { name: m[1]!.toLowerCase(), value: m[2]! };
}

export function isUnconfined(opt: string, kind: 'seccomp' | 'apparmor'): boolean {
  const { name, value } = parseSecurityOpt(opt);
  return name === kind && value.trim() === 'unconfined';
}

export function isLabelDisable(opt: string): boolean {
  const { name, value } = parseSecurityOpt(opt);
  return name === 'label' && value.trim() === 'disable';
}

/** `no-new-privileges`, `no-new-privileges:true`, `no-new-privileges=true`. */
export function isNoNewPrivileges(opt: string): boolean {
  const { name, value } = parseSecurityOpt(opt);
  return name === 'no-new-privileges' && (value === '' || value.trim() === 'true');
}

/** Short evidence for a security option: a seccomp profile sent as JSON is not printed whole. */
function showOpt(opt: string): string {
  return opt.length > 80 ? `${opt.slice(0, 60)}… (${opt.length} characters)` : opt;
}

function normalizePath(p: string): string {
  if (p === '/') return p;
  return p.replace(/\/+$/, '') || '/';
}

function isUnder(p: string, dir: string): boolean {
  return p === dir || (dir === '/' ? false : p.startsWith(dir + '/'));
}

/** A path as written, with `${VAR:-default}` read as its default; null when a variable decides it. */
function variableDefault(source: string): string | null {
  const withDefaults = source.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}/g, '$1');
  return withDefaults.includes('$') ? null : withDefaults;
}

/** The sensitive directory a host path is (or lies under), or null. */
export function sensitiveHostPath(source: string): string | null {
  const p = normalizePath(source);
  if (SENSITIVE_HOST_PATHS.exact.includes(p)) return p;
  for (const dir of SENSITIVE_HOST_PATHS.tree) if (isUnder(p, dir)) return dir;
  return null;
}

/** True when `source` is the Docker socket or a directory holding it. */
export function isDockerSocketPath(source: string, socketPaths: string[]): boolean {
  const p = normalizePath(source);
  return socketPaths.some((s) => p === s || (p !== '/' && s.startsWith(p + '/')));
}

/** The unix socket path of an endpoint such as unix:///run/docker.sock, plus the usual ones. */
export function socketPathsFor(endpoint: string | undefined): string[] {
  const paths = new Set(DEFAULT_SOCKET_PATHS);
  if (endpoint?.startsWith('unix://')) paths.add(normalizePath(endpoint.slice('unix://'.length)));
  return [...paths];
}

export function containerName(c: ContainerDetails): string {
  return (c.Name ?? '').replace(/^\//, '') || c.Id.slice(0, 12);
}

/** Where docker compose started a container from, when it did. */
export function composeOrigin(c: ContainerDetails): { files: string; service: string } | null {
  const labels = c.Config?.Labels ?? {};
  const service = labels['com.docker.compose.service'];
  if (!service) return null;
  return { files: labels['com.docker.compose.project.config_files'] ?? 'its compose file', service };
}

function list(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}

/** SELinux on this host (enforcing or permissive): only then does label=disable take anything away. */
export async function selinuxActive(probe: { readText(path: string): Promise<string | null> }): Promise<boolean> {
  const enforce = ((await probe.readText('/sys/fs/selinux/enforce').catch(() => null)) ?? '').trim();
  return enforce === '1' || enforce === '0';
}

/**
 * dockerd itself adds label=disable for --privileged, --pid host and --ipc host containers: not a
 * choice the person made, and those settings are reported on their own.
 */
function labelDisabledByDocker(hc: ContainerDetails['HostConfig']): boolean {
  const h = (hc ?? {}) as { Privileged?: boolean; PidMode?: string; IpcMode?: string };
  return h.Privileged === true || h.PidMode === 'host' || h.IpcMode === 'host';
}

/** Everything in a running container that weakens Docker's default confinement. */
export function containerWeakenings(c: ContainerDetails, socketPaths: string[], host: { selinux?: boolean } = {}): Weakening[] {
  const hc = (c.HostConfig ?? {}) as ContainerDetails['HostConfig'];
  const name = containerName(c);
  const out: Weakening[] = [];
  const add = (kind: WeakeningKind, flag: string, evidence: string, detail?: string) =>
    out.push({ kind, code: WEAKENINGS[kind].code, severity: WEAKENINGS[kind].severity, message: `container ${name} ${detail ?? WEAKENINGS[kind].what}`, flag, evidence });

  if (hc.Privileged) add('privileged', '--privileged', 'HostConfig.Privileged: true');
  for (const opt of list(hc.SecurityOpt)) {
    if (isUnconfined(opt, 'seccomp')) add('seccomp-unconfined', `--security-opt ${opt}`, `HostConfig.SecurityOpt: ${showOpt(opt)}`);
    else if (isUnconfined(opt, 'apparmor')) add('apparmor-unconfined', `--security-opt ${opt}`, `HostConfig.SecurityOpt: ${showOpt(opt)}`);
    else if (isLabelDisable(opt) && host.selinux !== false && !labelDisabledByDocker(hc)) add('label-disable', `--security-opt ${opt}`, `HostConfig.SecurityOpt: ${showOpt(opt)}`);
  }
  for (const cap of list(hc.CapAdd)) {
    const n = normalizeCap(cap);
    if (n === 'ALL') add('cap-all', '--cap-add ALL', `HostConfig.CapAdd: ${cap}`);
    else if (n === 'SYS_ADMIN') add('cap-sys-admin', '--cap-add SYS_ADMIN', `HostConfig.CapAdd: ${cap}`);
  }
  if (hc.PidMode === 'host') add('pid-host', '--pid host', 'HostConfig.PidMode: host');
  if (hc.IpcMode === 'host') add('ipc-host', '--ipc host', 'HostConfig.IpcMode: host');
  if (hc.UTSMode === 'host') add('uts-host', '--uts host', 'HostConfig.UTSMode: host');
  if (hc.NetworkMode === 'host') add('network-host', '--network host', 'HostConfig.NetworkMode: host');
  for (const m of c.Mounts ?? []) {
    if (m.Type !== 'bind' || !m.Source) continue;
    const flag = `-v ${m.Source}:${m.Destination}${m.RW ? '' : ':ro'}`;
    if (isDockerSocketPath(m.Source, socketPaths)) {
      add('docker-socket', flag, `Mounts: ${m.Source} -> ${m.Destination}${m.RW ? '' : ' (read-only)'}`,
        `has the Docker socket mounted (${m.Source}${m.RW ? '' : ', read-only, which does not limit the API'}): whoever controls this container controls the Docker daemon, which is root on the host`);
      continue;
    }
    const dir = m.RW ? sensitiveHostPath(m.Source) : null;
    if (dir) add('writable-host-path', flag, `Mounts: ${m.Source} -> ${m.Destination} (read-write)`, `mounts the host's ${m.Source} writable at ${m.Destination}`);
  }
  return out;
}

function sameItem(a: unknown): (b: unknown) => boolean {
  const want = JSON.stringify(a);
  return (b) => JSON.stringify(b) === want;
}

/** A compose volume entry with read-only access: `SRC:DST` -> `SRC:DST:ro`, `:rw,z` -> `:ro,z`, long syntax `read_only: true`. */
export function readOnlyMount(raw: unknown): unknown {
  if (raw && typeof raw === 'object') return { ...(raw as Record<string, unknown>), read_only: true };
  const text = String(raw);
  const parts = colonParts(text);
  if (parts.length < 3) return `${text}:ro`;
  const modes = parts[2]!.split(',').filter((m) => m !== 'rw' && m !== 'ro');
  return `${parts[0]}:${parts[1]}:${['ro', ...modes].join(',')}`;
}

function composeVolumeFlag(v: ComposeVolume): string {
  return typeof v.raw === 'string' ? v.raw : `${v.source ?? ''}:${v.target ?? ''}${v.readOnly ? ':ro' : ''}`;
}

/** The same weakenings written as keys of a compose service, each with the edit that removes it. */
export function serviceWeakenings(s: ComposeService, socketPaths: string[] = DEFAULT_SOCKET_PATHS): Weakening[] {
  const out: Weakening[] = [];
  const line = (key: string) => s.keys[key]?.line ?? s.line;
  const add = (kind: WeakeningKind, key: string, evidence: string, edit: ServiceEdit, detail?: string, at?: number, more: Pick<Weakening, 'item' | 'does'> = {}) =>
    out.push({
      kind,
      code: WEAKENINGS[kind].code,
      severity: WEAKENINGS[kind].severity,
      message: `service ${s.name} ${detail ?? WEAKENINGS[kind].what}`,
      flag: key,
      evidence,
      edit,
      line: at ?? line(key),
      ...more,
    });

  // Written with a variable, it says which: `privileged: ${PRIV:-false}` is true through .env.
  const written = (key: string, shown: string) => {
    const raw = s.value[key];
    return typeof raw === 'string' && raw.includes('$') ? `${key}: ${raw} (${shown} with .env and the defaults)` : `${key}: ${shown}`;
  };
  if (s.privileged === true) add('privileged', 'privileged', written('privileged', 'true'), { op: 'delete', key: 'privileged' });
  // A list item is judged as compose reads it and removed as written (`- ${EXTRA_CAP:-SYS_ADMIN}`).
  const item = (key: 'cap_add' | 'security_opt', i: number) => {
    const shown = s[key][i]!;
    const raw = s.written[key][i] ?? shown;
    return { edit: { op: 'remove', key, where: sameItem(raw) } as ServiceEdit, evidence: raw === shown ? `${key}: ${shown}` : `${key}: ${raw} (${shown} with .env and the defaults)` };
  };
  for (const [i, opt] of s.security_opt.entries()) {
    const { edit, evidence } = item('security_opt', i);
    if (isUnconfined(opt, 'seccomp')) add('seccomp-unconfined', 'security_opt', evidence, edit);
    else if (isUnconfined(opt, 'apparmor')) add('apparmor-unconfined', 'security_opt', evidence, edit);
    else if (isLabelDisable(opt)) add('label-disable', 'security_opt', evidence, edit);
  }
  for (const [i, cap] of s.cap_add.entries()) {
    const n = normalizeCap(cap);
    const { edit, evidence } = item('cap_add', i);
    if (n === 'ALL') add('cap-all', 'cap_add', evidence, edit);
    else if (n === 'SYS_ADMIN') add('cap-sys-admin', 'cap_add', evidence, edit);
  }
  if (s.pid === 'host') add('pid-host', 'pid', written('pid', 'host'), { op: 'delete', key: 'pid' });
  if (s.ipc === 'host') add('ipc-host', 'ipc', written('ipc', 'host'), { op: 'delete', key: 'ipc' });
  if (s.value.uts === 'host') add('uts-host', 'uts', 'uts: host', { op: 'delete', key: 'uts' });
  if (s.network_mode === 'host') add('network-host', 'network_mode', written('network_mode', 'host'), { op: 'delete', key: 'network_mode' });
  for (const v of s.volumes) {
    if (v.type !== 'bind' || !v.source) continue;
    // `${DOCKER_SOCKET_LOCATION}:/var/run/docker.sock`: the source is set elsewhere, the target says what it is.
    const source = variableDefault(v.source);
    const viaVariable = source === null && v.target !== undefined && socketPaths.includes(normalizePath(v.target));
    if (!viaVariable && (source === null || !source.startsWith('/'))) continue;
    const edit: ServiceEdit = { op: 'remove', key: 'volumes', where: sameItem(v.raw) };
    const shown = composeVolumeFlag(v);
    const item = v.target ?? v.source;
    if (viaVariable || isDockerSocketPath(source!, socketPaths)) {
      add('docker-socket', 'volumes', `volumes: ${shown}`, edit,
        `has the Docker socket mounted (${v.source}${v.readOnly ? ', read-only, which does not limit the API' : ''}): whoever controls this container controls the Docker daemon, which is root on the host`, v.line, { item });
      continue;
    }
    if (!v.readOnly && sensitiveHostPath(source!)) {
      // Read-only, not removed: a monitoring agent reads /proc, /sys or /etc of the host by design.
      const readOnly: ServiceEdit = { op: 'replace', key: 'volumes', where: sameItem(v.raw), to: readOnlyMount };
      add('writable-host-path', 'volumes', `volumes: ${shown}`, readOnly, `mounts the host's ${v.source} writable at ${v.target ?? '?'}`, v.line, { item, does: `mount ${shown} read-only` });
    }
  }
  return out;
}

/** A service whose volumes another takes through volumes_from. */
export interface VolumeSource {
  from: ComposeService;
  /** The services volumes_from passes through, the one named in the taking service first. */
  via: string[];
  /** An `:ro` on the way: every mount arrives read-only. */
  readOnly: boolean;
  /** Line of the taking service's volumes_from item that leads there. */
  line: number;
}

/**
 * The services whose volumes `s` takes with volumes_from, and theirs in turn (Docker copies a
 * container's mounts with its own volumes-from ones). `container:NAME` is a container outside
 * the file, not followed.
 */
export function volumeSources(model: ComposeModel, s: ComposeService): VolumeSource[] {
  const found = new Map<ComposeService, VolumeSource>();
  const queue = s.volumesFrom.flatMap((v) => (v.service ? [{ name: v.service, via: [] as string[], readOnly: v.readOnly, line: v.line }] : []));
  for (let next = queue.shift(); next; next = queue.shift()) {
    const from = model.service(next.name);
    // A service reached again counts only when this way is writable and the first was not.
    const known = from ? found.get(from) : undefined;
    if (!from || from === s || (known && (!known.readOnly || next.readOnly))) continue;
    const via = [...next.via, from.name];
    found.set(from, { from, via, readOnly: next.readOnly, line: next.line });
    for (const v of from.volumesFrom) if (v.service) queue.push({ name: v.service, via, readOnly: next.readOnly || v.readOnly, line: next.line });
  }
  return [...found.values()];
}

/** A weakening of another service that a service takes through volumes_from. */
export interface TakenWeakening extends VolumeSource {
  weakening: Weakening;
}

/**
 * The mounts of others a service takes with volumes_from that weaken it: the Docker socket always
 * (read-only does not limit the API), a writable system directory unless an `:ro` on the way
 * makes it read-only.
 */
export function takenWeakenings(model: ComposeModel, s: ComposeService, own: ReadonlyMap<ComposeService, Weakening[]>): TakenWeakening[] {
  return volumeSources(model, s).flatMap((source) =>
    (own.get(source.from) ?? []).filter((w) => w.kind === 'docker-socket' || (w.kind === 'writable-host-path' && !source.readOnly)).map((weakening) => ({ ...source, weakening })),
  );
}

/** Capabilities beyond Docker's default set that widen what root in a container can do. */
export const DANGEROUS_CAPS = new Set([
  'ALL',
  'SYS_ADMIN',
  'SYS_MODULE',
  'SYS_PTRACE',
  'SYS_RAWIO',
  'SYS_BOOT',
  'SYS_TIME',
  'NET_ADMIN',
  'DAC_READ_SEARCH',
  'MAC_ADMIN',
  'MAC_OVERRIDE',
  'BPF',
  'PERFMON',
  'SYSLOG',
  'LINUX_IMMUTABLE',
]);

/** Published host ports of a running container (from its port bindings). */
export function publishedPorts(c: ContainerDetails): { hostPort: number; containerPort: string }[] {
  const out: { hostPort: number; containerPort: string }[] = [];
  const bindings = (c.HostConfig?.PortBindings ?? {}) as Record<string, { HostIp?: string; HostPort?: string }[] | null>;
  for (const [containerPort, list] of Object.entries(bindings)) {
    for (const b of list ?? []) {
      const n = Number(b.HostPort);
      if (Number.isInteger(n) && n > 0) out.push({ hostPort: n, containerPort });
    }
  }
  return out;
}

/** Where `key` of service `s` is written: in this file, or in the file compose reads before it that sets it (this file overrides that one); the service's line when neither writes it. */
export function keyAt(model: ComposeModel, s: ComposeService, key?: string): { file: string; line: number } {
  if (key && s.earlier[key]) return { ...s.earlier[key] };
  return { file: model.path, line: key ? (s.keys[key]?.line ?? s.line) : s.line };
}
