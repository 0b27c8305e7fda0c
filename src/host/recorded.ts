/**
 * A recorded Docker host for the learn sandbox: `docker info`, the inspected containers, images
 * and volumes as the Engine API returned them, the daemon's command line, and the host files the
 * steps read (units, /etc/group, /proc/net/tcp...). The files live in the sandbox under `host/`
 * (so a fix to a unit file lands there, and the next check sees it); daemon.json is the sandbox's
 * own. "Restarting" the recorded daemon re-reads that daemon.json, refusing what dockerd would
 * refuse, and the live facts (`docker info`) follow it. Nothing outside the sandbox is read or
 * written, and no command runs.
 *
 * Over 400 lines: the recorded daemon answers every HostFacts question and re-reads its daemon.json
 * as dockerd would.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { idFrom, type CommandResult, type FileStat, type Probe } from '../core/probe.js';
import type { DaemonControl } from '../core/runner.js';
import type { ContainerDetails, DaemonConfigFile, DaemonProcess, DockerInfo, DockerVersion, HostFacts, ImageDetails, ServiceUnits } from './facts.js';
import { parseDaemonArgs } from './flags.js';
import { readServiceUnits } from './units.js';
import { daemonFlagConflicts, describeConflict, parseDaemonConfig, startProblems, type FlagSource } from './daemon-validate.js';
import { readNoFollow, writeFileAtomic } from '../core/change.js';
import { formatError } from '../core/errors.js';

/** host.json: what was recorded. Modes are octal strings ("0660"). */
export interface HostPicture {
  description?: string;
  endpoint: string;
  hostname?: string;
  env: Record<string, string>;
  /** Where daemon.json is on the recorded host; the sandbox's daemon.json stands in for it. */
  daemonConfigPath: string;
  daemon: { pid: number; argv: string[] };
  info: DockerInfo;
  version: DockerVersion;
  containers: ContainerDetails[];
  images: ImageDetails[];
  volumes: { Volumes: unknown[] | null; Warnings?: string[] | null };
  /** Host files by absolute path, copied into the sandbox's `host/` directory. */
  files: Record<string, string>;
  dirs?: string[];
  /** Ownership and mode as on the recorded host; entries without a file are stat-only (sockets...). */
  stats?: Record<string, RecordedStat>;
  /** Directory symlinks of the recorded host: { "/var/run": "/run" }. */
  links?: Record<string, string>;
  which?: Record<string, string>;
  /** `argv.join(' ')` with the tool's bare name -> result; a key ending in ` *` matches any further arguments. */
  commands?: Record<string, Partial<CommandResult>>;
  /** systemd units that are active (`systemctl is-active` answers from this). */
  activeUnits?: string[];
}

export interface RecordedStat {
  mode?: string;
  uid?: number;
  gid?: number;
  size?: number;
  isFile?: boolean;
  isDirectory?: boolean;
  isSymlink?: boolean;
  isSocket?: boolean;
}

/** The sandbox directory that holds the recorded host's files. */
export const HOST_DIR = 'host';

export interface RecordedOptions {
  /** The learn sandbox. */
  sandboxDir: string;
  /** The sandbox daemon.json that stands in for the recorded host's. */
  daemonConfigPath: string;
  /** Where the configuration the recorded daemon last started with is kept (survives runs). */
  liveConfigPath: string;
}

function inside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Path translation between the recorded host and the sandbox: a host path (/etc/group) is read
 * from `<sandbox>/host/etc/group`; the recorded daemon.json path is the sandbox daemon.json.
 */
export class SandboxPaths {
  readonly hostRoot: string;
  constructor(
    readonly sandboxDir: string,
    readonly daemonConfigPath: string,
    readonly recordedDaemonConfigPath: string,
    private readonly links: Record<string, string> = {},
  ) {
    this.hostRoot = path.join(sandboxDir, HOST_DIR);
  }

  /** A host path with the recorded host's directory symlinks resolved (/var/run/x -> /run/x). */
  canonicalHostPath(file: string): string {
    let p = path.posix.normalize(file);
    for (const [from, to] of Object.entries(this.links)) {
      if (p === from || p.startsWith(from + '/')) p = to + p.slice(from.length);
    }
    return p;
  }

  /** Where a path that a step names is found in the sandbox. */
  toSandbox(file: string): string {
    const abs = path.resolve(file);
    if (inside(this.sandboxDir, abs)) return abs;
    const hostPath = this.canonicalHostPath(abs);
    if (hostPath === this.canonicalHostPath(this.recordedDaemonConfigPath)) return this.daemonConfigPath;
    return path.join(this.hostRoot, hostPath);
  }

  /** The recorded host's path for a sandbox path (for ownership and modes), or null. */
  toHost(sandboxPath: string): string | null {
    if (sandboxPath === this.daemonConfigPath) return this.canonicalHostPath(this.recordedDaemonConfigPath);
    if (inside(this.hostRoot, sandboxPath)) return '/' + path.relative(this.hostRoot, sandboxPath).split(path.sep).join('/');
    return null;
  }

  isInside(file: string): boolean {
    return inside(this.sandboxDir, path.resolve(file));
  }
}

function parseMode(mode: string | undefined): number | undefined {
  return mode === undefined ? undefined : parseInt(mode, 8);
}

/** Write the recorded host's files and directories into `<sandbox>/host/`. */
export async function materializeHost(picture: HostPicture, paths: SandboxPaths): Promise<void> {
  for (const dir of picture.dirs ?? []) await fs.mkdir(paths.toSandbox(dir), { recursive: true });
  for (const [file, text] of Object.entries(picture.files)) {
    const target = paths.toSandbox(file);
    if (!paths.isInside(target)) throw new Error(`host.json names ${file}, which maps outside the sandbox`);
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(target, text, { flag: 'wx', mode: 0o644 });
  }
}

/** A Probe over the sandbox: host paths come from `<sandbox>/host/`, tools and commands from the picture. */
export function recordedProbe(picture: HostPicture, paths: SandboxPaths): Probe {
  const stats = new Map<string, RecordedStat>();
  for (const [p, s] of Object.entries(picture.stats ?? {})) stats.set(paths.canonicalHostPath(p), s);

  async function readText(file: string): Promise<string | null> {
    try {
      const bytes = await readNoFollow(paths.toSandbox(file));
      return bytes === null ? null : bytes.toString('utf8');
    } catch {
      return null;
    }
  }

  const probe: Probe = {
    readText,
    async list(dir) {
      try {
        return (await fs.readdir(paths.toSandbox(dir))).sort();
      } catch {
        return [];
      }
    },
    async stat(file) {
      const target = paths.toSandbox(file);
      const hostPath = paths.toHost(target);
      const recorded = hostPath ? stats.get(hostPath) : undefined;
      let real: FileStat | null;
      try {
        const s = await fs.lstat(target);
        real = {
          mode: s.mode & 0o7777,
          // The recorded host's files belong to root unless the picture says otherwise; the
          // sandbox copies belong to whoever runs the walkthrough.
          uid: hostPath ? 0 : s.uid,
          gid: hostPath ? 0 : s.gid,
          size: s.size,
          isFile: s.isFile(),
          isDirectory: s.isDirectory(),
          isSymlink: s.isSymbolicLink(),
          isSocket: s.isSocket(),
        };
      } catch {
        real = null;
      }
      if (!real && !recorded) return null;
      const base: FileStat = real ?? { mode: 0o644, uid: 0, gid: 0, size: 0, isFile: true, isDirectory: false, isSymlink: false, isSocket: false };
      if (!recorded) return base;
      const { mode, ...rest } = recorded;
      return { ...base, ...rest, ...(mode !== undefined ? { mode: parseMode(mode)! } : {}) };
    },
    async which(name) {
      return picture.which?.[name] ?? null;
    },
    async run(argv) {
      // A tool found through which() is run by its full path; recordings use the bare name.
      const name = Object.entries(picture.which ?? {}).find(([, full]) => full === argv[0])?.[0] ?? argv[0] ?? '';
      if (name === 'systemctl' && argv[1] === 'is-active') return systemctlIsActive(argv.slice(2), picture.activeUnits ?? []);
      const key = [name, ...argv.slice(1)].join(' ');
      const commands = picture.commands ?? {};
      let found = commands[key];
      if (!found) {
        // The longest ` *` pattern that matches wins.
        const patterns = Object.keys(commands)
          .filter((k) => k.endsWith(' *') && (key + ' ').startsWith(k.slice(0, -1)))
          .sort((a, b) => b.length - a.length);
        if (patterns[0]) found = commands[patterns[0]];
      }
      if (!found) {
        const installed = argv[0] && (argv[0].startsWith('/') || picture.which?.[argv[0]]);
        return installed
          ? { exitCode: 1, stdout: '', stderr: `${argv[0]}: this command was not recorded for the learn host` }
          : { exitCode: 127, stdout: '', stderr: `${argv[0]}: command not found` };
      }
      return { exitCode: 0, stdout: '', stderr: '', ...found };
    },
    async userId(name) {
      return idFrom(await readText('/etc/passwd'), name);
    },
    async groupId(name) {
      return idFrom(await readText('/etc/group'), name);
    },
    async groupMembers(name) {
      const text = await readText('/etc/group');
      const line = text?.split('\n').find((l) => l.split(':')[0] === name);
      return line ? (line.split(':')[3] ?? '').split(',').filter(Boolean) : [];
    },
  };
  return probe;
}

/** `systemctl is-active UNIT...`: one line per unit, exit 0 only when all are active. */
function systemctlIsActive(units: string[], active: string[]): CommandResult {
  const isActive = (unit: string) => active.includes(unit) || active.includes(`${unit}.service`);
  const states = units.filter((u) => !u.startsWith('-')).map((u) => (isActive(u) ? 'active' : 'inactive'));
  return { exitCode: states.every((s) => s === 'active') ? 0 : 3, stdout: states.map((s) => s + '\n').join(''), stderr: '' };
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

const TCP_WARNING = (url: string) =>
  `WARNING: API is accessible on ${url} without encryption.\n         Access to the remote API is equivalent to root access on the host. Refer\n         to the 'Docker daemon attack surface' section in the documentation for\n         more information: https://docs.docker.com/go/attack-surface/`;

/**
 * What `docker info` says for a daemon started with `config`, on the recorded machine: the
 * recorded values, with those that daemon.json decides replaced as dockerd would report them.
 */
export function liveInfo(base: DockerInfo, config: Record<string, unknown>, baseRootDir: string): DockerInfo {
  const info = clone(base);
  info.LiveRestoreEnabled = config['live-restore'] === true;
  info.ExperimentalBuild = config.experimental === true;
  info.Debug = config.debug === true;
  info.LoggingDriver = typeof config['log-driver'] === 'string' ? config['log-driver'] : 'json-file';
  if (typeof config['storage-driver'] === 'string') info.Driver = config['storage-driver'];
  if (typeof config['default-runtime'] === 'string') info.DefaultRuntime = config['default-runtime'];
  if (Array.isArray(config.labels)) info.Labels = config.labels as string[];
  const cgroupDriver = ((config['exec-opts'] as string[] | undefined) ?? []).find((o) => o.startsWith('native.cgroupdriver='));
  if (cgroupDriver) info.CgroupDriver = cgroupDriver.split('=')[1];

  const security: string[] = [];
  for (const option of base.SecurityOptions ?? []) {
    if (option.startsWith('name=seccomp')) {
      const profile = config['seccomp-profile'];
      security.push(`name=seccomp,profile=${typeof profile === 'string' && profile !== '' ? profile : 'builtin'}`);
    } else if (!/^name=(userns|no-new-privileges|selinux)$/.test(option)) security.push(option);
  }
  if (config['selinux-enabled'] === true) security.push('name=selinux');
  if (typeof config['userns-remap'] === 'string' && config['userns-remap'] !== '') security.push('name=userns');
  if (config['no-new-privileges'] === true) security.push('name=no-new-privileges');
  info.SecurityOptions = security;

  // A remapped daemon keeps its images and containers in a directory of its own: what the
  // rootful daemon had is not there.
  const remapped = security.includes('name=userns') && !(base.SecurityOptions ?? []).includes('name=userns');
  const dataRoot = typeof config['data-root'] === 'string' ? config['data-root'] : baseRootDir;
  info.DockerRootDir = remapped ? `${dataRoot}/100000.100000` : dataRoot;
  if (remapped) {
    info.Containers = 0;
    info.ContainersRunning = 0;
    info.Images = 0;
  }

  const registry = clone((base.RegistryConfig ?? {}) as { InsecureRegistryCIDRs?: string[]; IndexConfigs?: Record<string, unknown>; Mirrors?: string[] | null });
  for (const entry of (config['insecure-registries'] as string[] | undefined) ?? []) {
    if (/^[0-9a-f.:]+\/\d+$/i.test(entry)) registry.InsecureRegistryCIDRs = [...(registry.InsecureRegistryCIDRs ?? []), entry];
    else registry.IndexConfigs = { ...registry.IndexConfigs, [entry]: { Name: entry, Mirrors: [], Secure: false, Official: false } };
  }
  if (Array.isArray(config['registry-mirrors'])) registry.Mirrors = (config['registry-mirrors'] as string[]).map((m) => m.replace(/\/?$/, '/'));
  info.RegistryConfig = registry;

  const warnings = [...((base.Warnings as string[] | undefined) ?? [])];
  // Setting tlsverify at all (true or false) turns TLS on in dockerd.
  const tls = 'tlsverify' in config || config.tls === true;
  for (const host of (config.hosts as string[] | undefined) ?? []) {
    if (host.startsWith('tcp://') && !tls) warnings.push(TCP_WARNING(host.replace(/^tcp:/, 'http:')));
  }
  info.Warnings = warnings;
  return info;
}

export interface RecordedHost extends HostFacts {
  readonly picture: HostPicture;
  readonly paths: SandboxPaths;
  /** Start the recorded daemon again with the sandbox daemon.json; throws what dockerd would refuse. */
  restart(kind: 'reload' | 'restart'): Promise<void>;
  /** The daemon.json values the recorded daemon runs with now. */
  liveConfig(): Promise<Record<string, unknown>>;
}

/** `key=value` for each daemon.json key whose value differs between two configurations. */
export function changedKeys(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys
    .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]))
    .map((k) => (k in after ? `${k}=${JSON.stringify(after[k])}` : `${k} unset`));
}

/** HostFacts over a recorded picture, with the sandbox daemon.json as the daemon's configuration. */
export function recordedHost(picture: HostPicture, options: RecordedOptions, probe?: Probe): RecordedHost {
  const paths = new SandboxPaths(options.sandboxDir, options.daemonConfigPath, picture.daemonConfigPath, picture.links);
  const hostProbe = probe ?? recordedProbe(picture, paths);
  const baseRootDir = (picture.info.DockerRootDir as string | undefined) ?? '/var/lib/docker';
  let pid = picture.daemon.pid;
  let live: Record<string, unknown> | undefined;

  async function readConfig(file: string, shownAs: string): Promise<{ text: string | null; value: Record<string, unknown> }> {
    const bytes = await readNoFollow(file);
    if (bytes === null) return { text: null, value: {} };
    const text = bytes.toString('utf8');
    return { text, value: parseDaemonConfig(text, shownAs) };
  }

  /** The configuration the recorded daemon runs with: the one it last (re)started with. */
  async function liveConfig(): Promise<Record<string, unknown>> {
    if (live) return live;
    const kept = await readNoFollow(options.liveConfigPath);
    if (kept !== null) {
      const state = JSON.parse(kept.toString('utf8')) as { pid: number; config: Record<string, unknown> };
      pid = state.pid;
      live = state.config;
    } else {
      live = (await readConfig(options.daemonConfigPath, options.daemonConfigPath)).value;
    }
    return live;
  }

  async function remapped(): Promise<boolean> {
    const config = await liveConfig();
    return typeof config['userns-remap'] === 'string' && config['userns-remap'] !== '';
  }

  const host: RecordedHost = {
    picture,
    paths,
    liveConfig,
    endpoint: picture.endpoint,
    async ping() {
      await liveConfig();
    },
    async info() {
      return liveInfo(picture.info, await liveConfig(), baseRootDir);
    },
    async version() {
      return clone(picture.version);
    },
    async containers() {
      return (await remapped()) ? [] : clone(picture.containers);
    },
    async images() {
      return (await remapped()) ? [] : clone(picture.images);
    },
    async volumeCount() {
      return (await remapped()) ? 0 : (picture.volumes.Volumes ?? []).length;
    },
    async daemonConfig(): Promise<DaemonConfigFile> {
      const { text, value } = await readConfig(options.daemonConfigPath, options.daemonConfigPath);
      return { path: options.daemonConfigPath, source: 'option', text, value };
    },
    async daemonProcess(): Promise<DaemonProcess> {
      await liveConfig();
      const argv = [...picture.daemon.argv];
      return { pid, argv, flags: parseDaemonArgs(argv.slice(1)) };
    },
    async serviceUnits(): Promise<ServiceUnits> {
      return readServiceUnits(hostProbe);
    },
    async rootless() {
      return ((await host.info()).SecurityOptions ?? []).includes('name=rootless');
    },
    async restart(kind) {
      let config: Record<string, unknown>;
      try {
        config = (await readConfig(options.daemonConfigPath, options.daemonConfigPath)).value;
      } catch (err) {
        throw new Error(`dockerd would not start with this daemon.json: ${formatError(err)}`);
      }
      const units = await readServiceUnits(hostProbe);
      const flags: FlagSource[] = units.execStart
        ? units.execStartFlags.map((flag) => ({ flag, source: 'unit' as const, where: units.unitFiles[units.unitFiles.length - 1] ?? 'docker.service' }))
        : parseDaemonArgs(picture.daemon.argv.slice(1)).map((flag) => ({ flag, source: 'cmdline' as const, where: 'dockerd command line' }));
      const problems = [
        ...daemonFlagConflicts(flags, config).map((c) => describeConflict(c, options.daemonConfigPath)),
        ...startProblems(config),
      ];
      if (problems.length > 0) throw new Error(`dockerd would not start: ${problems.join('; ')}`);
      if (kind === 'restart') pid += 1;
      live = config;
      await writeFileAtomic(options.liveConfigPath, JSON.stringify({ pid, config }, null, 2) + '\n', 0o600);
    },
  };
  return host;
}

/**
 * Service control for the recorded host: "restarting" re-reads the sandbox daemon.json into the
 * recorded daemon; commands are described, never run.
 */
export function recordedDaemonControl(host: RecordedHost, log: (line: string) => void = () => undefined): DaemonControl {
  return {
    async apply(kind) {
      const before = await host.liveConfig();
      await host.restart(kind);
      const changed = changedKeys(before, await host.liveConfig());
      if (changed.length > 0) log(`learn sandbox: the recorded dockerd now runs with ${changed.join(', ')}`);
    },
    async waitReady() {
      await host.ping();
    },
    describe(kind) {
      const real = kind === 'reload' ? 'systemctl reload docker' : 'systemctl restart docker';
      return `learn sandbox: on a real server this would run \`${real}\` and wait for dockerd to answer; here the recorded daemon re-reads ${host.paths.daemonConfigPath}`;
    },
    describeCommand(argv) {
      return `learn sandbox: on a real server this would run: ${argv.join(' ')}`;
    },
    async runCommand() {
      return { exitCode: 0, stdout: '', stderr: '' };
    },
  };
}
