/**
 * The effective value of a daemon setting: daemon.json, dockerd's flags (command line and unit)
 * and live `docker info` read once into a view, and where each setting comes from.
 */
import type { DaemonConfigFile, DaemonFlag, DaemonProcess, DockerInfo, HostFacts, ServiceUnits } from './facts.js';
import { flagBoolean, flagConfigKey, showFlag } from './flags.js';
import { DAEMON_DEFAULTS, DAEMON_KEYS, compareVersions } from './daemon-schema.js';
import { locateDaemonKey, type FlagSource } from './daemon-validate.js';

// ---------------------------------------------------------------------------------------------
// The effective value of a setting

/** Everything needed to judge a daemon setting, gathered once. */
export interface DaemonView {
  config: DaemonConfigFile;
  process: DaemonProcess | null;
  units: ServiceUnits | null;
  info: DockerInfo | null;
  /** Engine version when the daemon answers. */
  version?: string;
}

/**
 * Gather the file, flags, units and live info. An invalid daemon.json throws (the UserError with
 * line and column); a daemon that does not answer leaves `info` null.
 */
export async function loadDaemonView(host: HostFacts): Promise<DaemonView> {
  const config = await host.daemonConfig();
  const [process, units, info, version] = await Promise.all([
    host.daemonProcess().catch(() => null),
    host.serviceUnits().catch(() => null),
    host.info().catch(() => null),
    host.version().catch(() => null),
  ]);
  return { config, process, units, info, version: (info?.ServerVersion as string | undefined) ?? (version?.Version as string | undefined) };
}

/**
 * Whether the service definition starts the daemon we talk to: its flags all appear on the
 * running command line (or the process cannot be seen). A unit on disk for another dockerd (a
 * test daemon, a second instance) says nothing about this one.
 */
export function unitGoverns(view: Pick<DaemonView, 'process' | 'units'>): boolean {
  const units = view.units;
  if (!units || (units.execStartFlags.length === 0 && !units.execStart)) return false;
  if (!view.process) return true;
  const running = new Set(view.process.flags.map(showFlag));
  return units.execStartFlags.every((f) => running.has(showFlag(f)));
}

/** Flags in force: the running process's, and the unit's (what the next start uses) when the unit starts it. */
export function viewFlags(view: Pick<DaemonView, 'process' | 'units'>): FlagSource[] {
  const out: FlagSource[] = [];
  if (view.process) {
    for (const flag of view.process.flags) out.push({ flag, source: 'cmdline', where: `dockerd command line (pid ${view.process.pid})` });
  }
  if (view.units && unitGoverns(view)) {
    const where = view.units.unitFiles[view.units.unitFiles.length - 1] ?? 'docker.service';
    for (const flag of view.units.execStartFlags) out.push({ flag, source: 'unit', where: unitFileOfExecStart(view.units) ?? where });
  }
  return out;
}

/** The unit file (or drop-in) whose ExecStart is in force: the last one that sets it. */
export function unitFileOfExecStart(units: ServiceUnits): string | null {
  return units.execStartFile ?? units.unitFiles[units.unitFiles.length - 1] ?? null;
}

export interface SettingSource {
  kind: 'file' | 'cmdline' | 'unit';
  value: unknown;
  /** For a person: `/etc/docker/daemon.json:3:3`, or `--icc=false on the dockerd command line (pid 42)`. */
  where: string;
  file?: string;
  line?: number;
  column?: number;
  flag?: DaemonFlag;
}

export interface EffectiveSetting {
  key: string;
  file?: SettingSource;
  cmdline: SettingSource[];
  unit: SettingSource[];
  /** The configured value: the running process's flags, else the unit's, else the file, else dockerd's default. */
  value: unknown;
  /** Where `value` comes from; null when it is dockerd's default. */
  source: SettingSource | null;
  /** True when nothing sets it and `value` is dockerd's default (undefined when there is none). */
  isDefault: boolean;
  /** The value the live daemon reports (docker info), when the key shows there. */
  live?: unknown;
  /** The configured value differs from the live one: set but not live (dockerd not restarted). */
  pending: boolean;
  /** Set both as a flag and in the file (dockerd refuses to start). */
  conflict: boolean;
}

function flagValueFor(key: string, flags: DaemonFlag[]): unknown {
  const kind = DAEMON_KEYS[key]?.kind;
  if (kind === 'boolean') return flagBoolean(flags[flags.length - 1]!);
  if (kind === 'integer') return Number(flags[flags.length - 1]!.value);
  if (kind === 'string-array') return flags.map((f) => f.value ?? '');
  if (kind === 'string-map') {
    const out: Record<string, string> = {};
    for (const f of flags) {
      const [k, ...rest] = (f.value ?? '').split('=');
      if (k) out[k] = rest.join('=');
    }
    return out;
  }
  return flags[flags.length - 1]!.value;
}

interface LiveReader {
  read(info: DockerInfo): unknown;
  same(configured: unknown, live: unknown): boolean;
}

const securityOption = (info: DockerInfo, name: string) => (info.SecurityOptions ?? []).find((o) => o.split(',').includes(`name=${name}`));

const LIVE: Record<string, LiveReader> = {
  'live-restore': { read: (i) => i.LiveRestoreEnabled, same: (c, l) => Boolean(c) === Boolean(l) },
  debug: { read: (i) => i.Debug, same: (c, l) => Boolean(c) === Boolean(l) },
  experimental: { read: (i) => i.ExperimentalBuild, same: (c, l) => Boolean(c) === Boolean(l) },
  'log-driver': { read: (i) => i.LoggingDriver, same: (c, l) => (c ?? 'json-file') === l },
  'storage-driver': { read: (i) => i.Driver, same: (c, l) => c === undefined || c === l },
  // Engines before 23.0 do not list no-new-privileges in SecurityOptions: absence proves nothing there.
  'no-new-privileges': {
    read: (i) => (securityOption(i, 'no-new-privileges') ? true : compareVersions(String(i.ServerVersion ?? '0'), '23.0') >= 0 ? false : undefined),
    same: (c, l) => Boolean(c) === l,
  },
  'userns-remap': { read: (i) => Boolean(securityOption(i, 'userns')), same: (c, l) => Boolean(c) === l },
  'seccomp-profile': {
    read: (i) => /profile=([^,]+)/.exec(securityOption(i, 'seccomp') ?? '')?.[1],
    same: (c, l) => (c === 'unconfined') === (l === 'unconfined'),
  },
  'default-runtime': { read: (i) => i.DefaultRuntime, same: (c, l) => (c ?? 'runc') === l },
  'data-root': { read: (i) => i.DockerRootDir, same: (c, l) => c === undefined || c === l },
  'registry-mirrors': {
    read: (i) => (i.RegistryConfig as { Mirrors?: string[] } | undefined)?.Mirrors ?? [],
    same: (c, l) => sameList(((c as string[]) ?? []).map((m) => m.replace(/\/?$/, '/')), (l as string[]).map((m) => m.replace(/\/?$/, '/'))),
  },
  labels: { read: (i) => i.Labels ?? [], same: (c, l) => sameList((c as string[]) ?? [], l as string[]) },
};

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);
}

/** The effective value of a daemon.json key, and where it comes from (file, flags, live). */
export function effectiveDaemonSetting(view: DaemonView, key: string): EffectiveSetting {
  const path = view.config.path;
  let file: SettingSource | undefined;
  if (key in view.config.value) {
    const at = view.config.text ? locateDaemonKey(view.config.text, [key]) : null;
    file = {
      kind: 'file',
      value: view.config.value[key],
      where: at ? `${path}:${at.line}:${at.column}` : path,
      file: path,
      ...(at ? { line: at.line, column: at.column } : {}),
    };
  }
  const flags = viewFlags(view).filter((f) => flagConfigKey(f.flag.name) === key);
  const sources = (kind: 'cmdline' | 'unit'): SettingSource[] => {
    const own = flags.filter((f) => f.source === kind);
    if (own.length === 0) return [];
    const value = flagValueFor(key, own.map((f) => f.flag));
    return own.map((f) => ({ kind, value, where: `${showFlag(f.flag)} on the ${f.where}`, flag: f.flag, ...(kind === 'unit' ? { file: f.where } : {}) }));
  };
  const cmdline = sources('cmdline');
  const unit = sources('unit');
  // The running process is the truth for now; the unit only when the process cannot be seen.
  // Named where it lives: the unit, when the running command line got the same value from it.
  const sameAsUnit = cmdline[0] && unit[0] && JSON.stringify(cmdline[0].value) === JSON.stringify(unit[0].value);
  const flagSource = sameAsUnit ? unit[0] : (cmdline[0] ?? (view.process ? undefined : unit[0]));
  const source = flagSource ?? file ?? null;
  const value = source ? source.value : DAEMON_DEFAULTS[key];
  const reader = LIVE[key];
  const live = reader && view.info ? reader.read(view.info) : undefined;
  const pending = reader !== undefined && live !== undefined && !reader.same(value, live);
  return {
    key,
    ...(file ? { file } : {}),
    cmdline,
    unit,
    value,
    source,
    isDefault: source === null,
    ...(live !== undefined ? { live } : {}),
    pending,
    conflict: file !== undefined && (cmdline.length > 0 || unit.length > 0) && key !== 'runtimes',
  };
}

/** Where a setting is, for a finding: `set in /etc/docker/daemon.json:3:3`, `not set (default)`. */
export function describeSource(setting: EffectiveSetting): string {
  if (!setting.source) return setting.value === undefined ? 'not set' : `not set (dockerd's default is ${JSON.stringify(setting.value)})`;
  return `set by ${setting.source.where}`;
}

/** The location fields of a finding about this setting. */
export function findingLocation(setting: EffectiveSetting): { file?: string; line?: number; column?: number } {
  const s = setting.source;
  if (!s) return {};
  if (s.kind === 'file') return { file: s.file, line: s.line, column: s.column };
  if (s.kind === 'unit') return { file: s.file };
  return {};
}
