/**
 * What dockerd knows of daemon.json: its keys and their JSON types, the Engine releases that know
 * them, their defaults, which a reload applies, and how `docker info` shows them. Pure data and
 * functions of it: steps may import it.
 */
import type { DockerInfo } from './facts.js';

export type JsonKind =
  | 'string'
  | 'boolean'
  | 'integer'
  | 'string-array'
  | 'string-map'
  | 'bool-map'
  | 'object'
  | 'size'
  | 'ulimits'
  | 'runtimes'
  | 'address-pools'
  | 'string-or-string-array';

export interface DaemonKeySpec {
  kind: JsonKind;
  /** Engine release that first knows the key (older ones refuse to start with it). */
  since?: string;
  /** Engine release that no longer knows the key. */
  until?: string;
  /** A SIGHUP reload applies it; otherwise dockerd must be restarted. */
  reload?: boolean;
}

/**
 * dockerd's daemon.json keys and their JSON types, from Docker's daemon.json reference (Linux).
 * A key missing here makes dockerd refuse to start, so an unknown key is an error.
 */
export const DAEMON_KEYS: Readonly<Record<string, DaemonKeySpec>> = {
  'allow-direct-routing': { kind: 'boolean', since: '28.0' },
  'allow-nondistributable-artifacts': { kind: 'string-array', until: '28.0' },
  'api-cors-header': { kind: 'string', until: '27.0' },
  'authorization-plugins': { kind: 'string-array', reload: true },
  bip: { kind: 'string' },
  bip6: { kind: 'string', since: '28.0' },
  bridge: { kind: 'string' },
  builder: { kind: 'object', reload: true },
  'cdi-spec-dirs': { kind: 'string-array', since: '25.0' },
  'cgroup-parent': { kind: 'string' },
  'cluster-advertise': { kind: 'string', until: '23.0' },
  'cluster-store': { kind: 'string', until: '23.0' },
  'cluster-store-opts': { kind: 'string-map', until: '23.0' },
  containerd: { kind: 'string' },
  'containerd-namespace': { kind: 'string' },
  'containerd-plugins-namespace': { kind: 'string' },
  'cpu-rt-period': { kind: 'integer' },
  'cpu-rt-runtime': { kind: 'integer' },
  'data-root': { kind: 'string' },
  debug: { kind: 'boolean', reload: true },
  'default-address-pools': { kind: 'address-pools' },
  'default-cgroupns-mode': { kind: 'string' },
  'default-gateway': { kind: 'string' },
  'default-gateway-v6': { kind: 'string' },
  'default-ipc-mode': { kind: 'string' },
  'default-network-opts': { kind: 'object', since: '24.0' },
  'default-runtime': { kind: 'string', reload: true },
  'default-shm-size': { kind: 'size' },
  'default-ulimits': { kind: 'ulimits' },
  dns: { kind: 'string-array' },
  'dns-opts': { kind: 'string-array' },
  'dns-search': { kind: 'string-array' },
  'exec-opts': { kind: 'string-array' },
  'exec-root': { kind: 'string' },
  experimental: { kind: 'boolean' },
  features: { kind: 'bool-map', reload: true },
  'firewall-backend': { kind: 'string', since: '28.0' },
  'fixed-cidr': { kind: 'string' },
  'fixed-cidr-v6': { kind: 'string' },
  graph: { kind: 'string', until: '23.0' },
  group: { kind: 'string' },
  'host-gateway-ip': { kind: 'string' },
  hosts: { kind: 'string-array' },
  icc: { kind: 'boolean' },
  init: { kind: 'boolean' },
  'init-path': { kind: 'string' },
  'insecure-registries': { kind: 'string-array', reload: true },
  ip: { kind: 'string' },
  'ip-forward': { kind: 'boolean' },
  'ip-forward-no-drop': { kind: 'boolean', since: '27.0' },
  'ip-masq': { kind: 'boolean' },
  ip6tables: { kind: 'boolean' },
  iptables: { kind: 'boolean' },
  ipv6: { kind: 'boolean' },
  labels: { kind: 'string-array', reload: true },
  'live-restore': { kind: 'boolean', reload: true },
  'log-driver': { kind: 'string' },
  'log-format': { kind: 'string', since: '25.0' },
  'log-level': { kind: 'string' },
  'log-opts': { kind: 'string-map' },
  'max-concurrent-downloads': { kind: 'integer', reload: true },
  'max-concurrent-uploads': { kind: 'integer', reload: true },
  'max-download-attempts': { kind: 'integer', reload: true },
  'metrics-addr': { kind: 'string' },
  mtu: { kind: 'integer' },
  'network-control-plane-mtu': { kind: 'integer' },
  'no-new-privileges': { kind: 'boolean' },
  'node-generic-resources': { kind: 'string-array' },
  'oom-score-adjust': { kind: 'integer' },
  pidfile: { kind: 'string' },
  proxies: { kind: 'string-map', since: '23.0' },
  'raw-logs': { kind: 'boolean' },
  'registry-mirrors': { kind: 'string-array', reload: true },
  rootless: { kind: 'boolean' },
  runtimes: { kind: 'runtimes', reload: true },
  'seccomp-profile': { kind: 'string' },
  'selinux-enabled': { kind: 'boolean' },
  'shutdown-timeout': { kind: 'integer', reload: true },
  'storage-driver': { kind: 'string' },
  'storage-opts': { kind: 'string-array' },
  'swarm-default-advertise-addr': { kind: 'string' },
  tls: { kind: 'boolean' },
  tlscacert: { kind: 'string' },
  tlscert: { kind: 'string' },
  tlskey: { kind: 'string' },
  tlsverify: { kind: 'boolean' },
  'userland-proxy': { kind: 'boolean' },
  'userland-proxy-path': { kind: 'string' },
  'userns-remap': { kind: 'string' },
};

/** What dockerd uses when a key is set nowhere. */
export const DAEMON_DEFAULTS: Readonly<Record<string, unknown>> = {
  icc: true,
  iptables: true,
  ip6tables: false,
  'ip-forward': true,
  'ip-masq': true,
  ipv6: false,
  'userland-proxy': true,
  'live-restore': false,
  'no-new-privileges': false,
  experimental: false,
  debug: false,
  'log-level': 'info',
  'log-driver': 'json-file',
  tls: false,
  tlsverify: false,
  'selinux-enabled': false,
};

/**
 * How `docker info` shows a daemon.json key, for the keys it shows: the value it has when the key
 * is set to `configured` (undefined: the default), and the value info reports. Used after a
 * reload or restart to confirm a change is live.
 */
const LIVE_IN_INFO: Record<string, (configured: unknown, info: DockerInfo) => { expected: unknown; live: unknown }> = {
  'live-restore': (v, i) => ({ expected: v ?? false, live: i.LiveRestoreEnabled }),
  debug: (v, i) => ({ expected: v ?? false, live: i.Debug }),
  experimental: (v, i) => ({ expected: v ?? false, live: i.ExperimentalBuild }),
  'log-driver': (v, i) => ({ expected: v ?? 'json-file', live: i.LoggingDriver }),
  'default-runtime': (v, i) => ({ expected: v ?? 'runc', live: i.DefaultRuntime }),
  'userns-remap': (v, i) => ({ expected: typeof v === 'string' && v !== '', live: (i.SecurityOptions ?? []).some((o) => o.split(',').includes('name=userns')) }),
  labels: (v, i) => ({ expected: [...((v as string[] | undefined) ?? [])].sort(), live: Array.isArray(i.Labels) ? [...(i.Labels as string[])].sort() : i.Labels }),
};

/**
 * The keys whose value differs between two daemon.json values and that docker info shows with
 * another value than the new file says: "live-restore is false in docker info, the file says true".
 */
export function notLiveKeys(before: Record<string, unknown>, after: Record<string, unknown>, info: DockerInfo): string[] {
  const out: string[] = [];
  for (const key of changedKeys(before, after)) {
    const show = LIVE_IN_INFO[key];
    if (!show) continue;
    const { expected, live } = show(after[key], info);
    if (JSON.stringify(expected) !== JSON.stringify(live)) out.push(`${key} is ${JSON.stringify(live)} in docker info, the file says ${JSON.stringify(expected)}`);
  }
  return out;
}

/** The keys a daemon.json change sets, changes or removes that docker info does not show. */
export function keysNotInInfo(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  return changedKeys(before, after).filter((key) => !LIVE_IN_INFO[key]);
}

function changedKeys(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
}

/** The first Docker Engine release that reads a daemon.json starting with a byte-order mark. */
export const BOM_ACCEPTED_SINCE = '23.0.0';

/** Keys dockerd applies on a SIGHUP reload; everything else needs a restart. */
export function reloadable(key: string): boolean {
  return DAEMON_KEYS[key]?.reload === true;
}

/** A daemon.json key unknown to this Engine release (dockerd would refuse to start). */
export function keyUnsupportedBy(key: string, engineVersion: string | undefined): string | null {
  const spec = DAEMON_KEYS[key];
  if (!spec || !engineVersion) return null;
  if (spec.since && compareVersions(engineVersion, spec.since) < 0) return `"${key}" needs Docker Engine ${spec.since} or newer (this one is ${engineVersion})`;
  if (spec.until && compareVersions(engineVersion, spec.until) >= 0) return `"${key}" was removed in Docker Engine ${spec.until} (this one is ${engineVersion})`;
  return null;
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+~-]/).map((x) => parseInt(x, 10) || 0);
  const pb = b.split(/[.+~-]/).map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
