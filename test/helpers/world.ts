/**
 * Worlds for step tests: a Probe over an in-memory file system and canned commands, and a
 * Context for a target. Host facts come from a real dockerd (see dockerd.ts) or, for what cannot
 * run here, from a recorded host picture.
 */
import type { Context, Target } from '../../src/core/step.js';
import type { CommandResult, FileStat, Probe } from '../../src/core/probe.js';
import type { HostFacts } from '../../src/host/facts.js';
import { HostUnavailableError } from '../../src/host/facts.js';
import { createContext } from '../../src/core/context.js';

export interface MemoryWorld {
  /** path -> content; a path ending in '/' is a directory marker. */
  files?: Record<string, string>;
  /** path -> stat overrides (mode, uid, gid, isSocket...). */
  stats?: Record<string, Partial<FileStat>>;
  /** executable name -> absolute path */
  which?: Record<string, string>;
  /** `argv.join(' ')` -> result (or a function of argv) */
  commands?: Record<string, Partial<CommandResult>> | ((argv: string[]) => Partial<CommandResult> | undefined);
  users?: Record<string, number>;
  groups?: Record<string, { gid: number; members?: string[] }>;
}

export function memoryProbe(world: MemoryWorld = {}): Probe {
  const files = world.files ?? {};
  return {
    async readText(file) {
      return files[file] ?? null;
    },
    async list(dir) {
      const prefix = dir.endsWith('/') ? dir : dir + '/';
      const names = new Set<string>();
      for (const p of Object.keys(files)) if (p.startsWith(prefix)) names.add(p.slice(prefix.length).split('/')[0]!);
      names.delete('');
      return [...names].sort();
    },
    async stat(file) {
      const override = world.stats?.[file];
      if (!(file in files) && !override) return null;
      return {
        mode: 0o644,
        uid: 0,
        gid: 0,
        size: files[file]?.length ?? 0,
        isFile: true,
        isDirectory: false,
        isSymlink: false,
        isSocket: false,
        ...override,
      };
    },
    async which(name) {
      return world.which?.[name] ?? null;
    },
    async run(argv) {
      const found = typeof world.commands === 'function' ? world.commands(argv) : world.commands?.[argv.join(' ')];
      if (!found) return { exitCode: 127, stdout: '', stderr: `${argv[0]}: not found` };
      return { exitCode: 0, stdout: '', stderr: '', ...found };
    },
    async userId(name) {
      return world.users?.[name] ?? null;
    },
    async groupId(name) {
      return world.groups?.[name]?.gid ?? null;
    },
    async groupMembers(name) {
      return world.groups?.[name]?.members ?? [];
    },
  };
}

/** HostFacts for a machine with no reachable daemon: every fact rejects as a real client would. */
export function unreachableHost(): HostFacts {
  const no = () => Promise.reject(new HostUnavailableError('cannot reach the Docker daemon at unix:///var/run/docker.sock', 'Start Docker, or pass --docker-host.'));
  return {
    endpoint: 'unix:///var/run/docker.sock',
    ping: no,
    info: no,
    version: no,
    containers: no,
    images: no,
    volumeCount: no,
    daemonConfig: no,
    daemonProcess: no,
    serviceUnits: no,
    rootless: no,
    refresh() {},
  };
}

export function contextFor(
  target: Target,
  options: { host?: HostFacts; probe?: Probe; env?: Record<string, string | undefined>; learn?: boolean; runTargets?: Target[] } = {},
): Context {
  return createContext(target, {
    env: options.env ?? {},
    host: options.host ?? unreachableHost(),
    probe: options.probe ?? memoryProbe(),
    learn: options.learn,
    runTargets: options.runTargets,
  });
}

export function dockerfileTarget(path: string): Target {
  return { kind: 'dockerfile', path, label: path };
}

export function composeTarget(path: string): Target {
  return { kind: 'compose', path, label: path };
}

export const hostTarget: Target = { kind: 'host', label: 'this Docker host' };
