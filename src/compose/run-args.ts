/**
 * A compose service as `docker run` options, so `fix --verify` can run it before and after a change
 * with the settings that decide whether it still works: its command, environment and user, and every
 * confinement key docker-harden edits. A verification run goes beside the real stack without
 * touching it: no network but one of its own with what it depends on, and no host folder or named
 * volume it could write to (an empty volume stands at the same place); host files bound read-only,
 * which it can only read, are bound as they are.
 */
import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { interpolatedWhereKnown, readEnvFile } from './interpolate.js';
import type { ComposeModel, ComposeService } from './model.js';
import { splitWords } from '../core/words.js';

export interface ServiceRun {
  /** `docker run` options, each `--flag=value` so no value from the file reads as a flag. */
  options: string[];
  /** What follows the image: the command (after the entrypoint's own arguments). */
  command: string[];
  /** Read-only volumes made for the run (an anonymous volume cannot be read-only): created first, removed after. */
  volumes: { name: string; target: string }[];
  /** What the run leaves out or stands in for, said once to the person. */
  notes: string[];
}

/** Keys that change how a service runs and that a verification run does not reproduce (depends_on and links it does: see serviceDependencies). */
const LEFT_OUT = ['networks', 'network_mode', 'ports', 'devices', 'extra_hosts', 'dns', 'external_links', 'volumes_from', 'userns_mode', 'cgroup_parent', 'runtime'];

/** What compose waits for before it starts a service that depends on another. */
export type DependencyCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface ServiceDependency {
  name: string;
  condition: DependencyCondition;
  /** Other names the service is reached by (`links: [db:database]`). */
  aliases: string[];
}

/** The services `service` names in depends_on (list or map, with its condition) and links, in order. */
export function serviceDependencies(service: ComposeService): ServiceDependency[] {
  const out = new Map<string, ServiceDependency>();
  const add = (name: string, condition: DependencyCondition = 'service_started', alias?: string) => {
    const known = out.get(name) ?? { name, condition, aliases: [] };
    if (condition !== 'service_started') known.condition = condition;
    if (alias && alias !== name && !known.aliases.includes(alias)) known.aliases.push(alias);
    out.set(name, known);
  };
  const dependsOn = service.value.depends_on;
  if (Array.isArray(dependsOn)) {
    for (const name of dependsOn) if (typeof name === 'string') add(name);
  } else if (dependsOn && typeof dependsOn === 'object') {
    for (const [name, how] of Object.entries(dependsOn as Record<string, unknown>)) {
      const condition = how && typeof how === 'object' ? (how as { condition?: unknown }).condition : undefined;
      add(name, condition === 'service_healthy' || condition === 'service_completed_successfully' ? condition : 'service_started');
    }
  }
  for (const link of Array.isArray(service.value.links) ? service.value.links : []) {
    if (typeof link !== 'string') continue;
    const [name = '', alias] = link.split(':');
    if (name) add(name, 'service_started', alias);
  }
  return [...out.values()];
}

/**
 * The services `service` depends on (depends_on, links), theirs first, each once: what compose
 * starts before it. A name the file does not have is passed over (compose refuses the file anyway).
 */
export function dependenciesOf(model: ComposeModel, service: ComposeService): (Omit<ServiceDependency, 'name'> & { service: ComposeService })[] {
  const out: (Omit<ServiceDependency, 'name'> & { service: ComposeService })[] = [];
  const visited = new Set<string>([service.name]);
  const visit = (s: ComposeService) => {
    for (const dep of serviceDependencies(s)) {
      const found = model.service(dep.name);
      if (!found || visited.has(dep.name)) continue;
      visited.add(dep.name);
      visit(found);
      out.push({ service: found, condition: dep.condition, aliases: dep.aliases });
    }
  };
  visit(service);
  return out;
}

/**
 * The run of `service` from compose file `file` (its `.env` variables in `vars`). `volumeName`
 * names the read-only volumes the run needs, unique per run.
 */
export async function serviceRun(service: ComposeService, file: string, vars: ReadonlyMap<string, string>, volumeName: (n: number) => string): Promise<ServiceRun> {
  const dir = path.dirname(file);
  const v = service.value;
  const text = (x: unknown): string => interpolatedWhereKnown(String(x), vars);
  const items = (x: unknown): unknown[] => (Array.isArray(x) ? x : x === undefined || x === null ? [] : [x]);
  const list = (x: unknown): string[] => items(x).map(text);
  const words = (x: unknown): string[] | null => (x === undefined || x === null ? null : Array.isArray(x) ? x.map(text) : splitWords(text(x)));
  const options: string[] = [];
  const notes: string[] = [];
  const volumes: ServiceRun['volumes'] = [];

  // env_file first, then environment over it, as compose merges them.
  const env = new Map<string, string | null>();
  for (const item of items(v.env_file)) {
    const name = typeof item === 'object' && item ? (item as { path?: unknown }).path : item;
    if (typeof name !== 'string') continue;
    for (const [k, val] of await readEnvFile(path.resolve(dir, text(name)))) env.set(k, val);
  }
  const written = v.environment;
  if (Array.isArray(written)) {
    for (const item of written) {
      const s = text(item);
      const at = s.indexOf('=');
      env.set(at < 0 ? s : s.slice(0, at), at < 0 ? null : s.slice(at + 1));
    }
  } else if (written && typeof written === 'object') {
    for (const [k, val] of Object.entries(written)) env.set(k, val === null || val === undefined ? null : text(val));
  }
  // A name without a value takes the caller's, as compose passes it from its own environment.
  for (const [k, val] of env) options.push(val === null ? `--env=${k}` : `--env=${k}=${val}`);

  if (service.user !== undefined) options.push(`--user=${service.user}`);
  if (v.working_dir !== undefined && v.working_dir !== null) options.push(`--workdir=${text(v.working_dir)}`);
  if (service.read_only) options.push('--read-only');
  if (service.privileged) options.push('--privileged');
  if (v.init === true) options.push('--init');
  for (const cap of service.cap_add) options.push(`--cap-add=${cap}`);
  for (const cap of service.cap_drop) options.push(`--cap-drop=${cap}`);
  for (const opt of service.security_opt) {
    // A seccomp profile is a file the docker CLI reads, named from the compose file's folder.
    const m = /^seccomp[:=](.+)$/.exec(opt);
    options.push(`--security-opt=${m && m[1] !== 'unconfined' && !path.isAbsolute(m[1]!) ? `seccomp=${path.resolve(dir, m[1]!)}` : opt}`);
  }
  for (const key of ['pid', 'ipc', 'uts'] as const) if (v[key] !== undefined && v[key] !== null) options.push(`--${key}=${text(v[key])}`);
  if (v.shm_size !== undefined && v.shm_size !== null) options.push(`--shm-size=${text(v.shm_size)}`);
  if (v.platform !== undefined && v.platform !== null) options.push(`--platform=${text(v.platform)}`);
  for (const g of list(v.group_add)) options.push(`--group-add=${g}`);
  const sysctls = v.sysctls;
  if (Array.isArray(sysctls)) for (const s of sysctls) options.push(`--sysctl=${text(s)}`);
  else if (sysctls && typeof sysctls === 'object') for (const [k, val] of Object.entries(sysctls)) options.push(`--sysctl=${k}=${text(val)}`);
  for (const [name, limit] of Object.entries((v.ulimits && typeof v.ulimits === 'object' ? v.ulimits : {}) as Record<string, unknown>)) {
    if (limit && typeof limit === 'object') {
      const l = limit as { soft?: unknown; hard?: unknown };
      options.push(`--ulimit=${name}=${text(l.soft)}:${text(l.hard)}`);
    } else options.push(`--ulimit=${name}=${text(limit)}`);
  }
  for (const t of service.tmpfs) options.push(`--tmpfs=${text(t)}`);

  let stoodIn = 0;
  for (const vol of service.volumes) {
    const target = vol.target ? text(vol.target) : undefined;
    if (!target || !path.posix.isAbsolute(target) || /[,"]/.test(target)) {
      notes.push(`the volume at line ${vol.line} is left out (its target cannot be given to docker run)`);
      continue;
    }
    if (vol.type === 'tmpfs') {
      options.push(`--tmpfs=${target}`);
      continue;
    }
    if (vol.type === 'bind') {
      const source = vol.source ? text(vol.source).replace(/^~(?=\/|$)/, os.homedir()) : '';
      const host = path.resolve(dir, source);
      const info = statSync(host, { throwIfNoEntry: false });
      const bindable = !/[,"]/.test(host);
      // A file or folder the service only reads is bound as it is, read-only; so is a file it may
      // write (an empty volume cannot stand where a file is): the run cannot change either.
      if (bindable && ((vol.readOnly && info?.isDirectory()) || info?.isFile())) {
        options.push(`--mount=type=bind,src=${host},dst=${target},readonly`);
        if (!vol.readOnly) notes.push(`${target} (line ${vol.line}) is bound read-only from ${host}, so the run cannot change it`);
        continue;
      }
      if (info && !info.isDirectory() && !info.isFile()) {
        notes.push(`${target} (line ${vol.line}) is left out: ${host} is neither a file nor a folder (a socket or device is not given to a verification run)`);
        continue;
      }
    }
    if (vol.type !== 'bind' && vol.type !== 'volume' && vol.type !== 'anonymous') {
      notes.push(`the ${vol.type} volume at ${target} (line ${vol.line}) is left out`);
      continue;
    }
    // An anonymous volume (no source) holds nothing of the user's: it needs no standing in for.
    if (vol.type !== 'anonymous' && vol.source) stoodIn++;
    if (vol.readOnly) {
      const name = volumeName(volumes.length);
      volumes.push({ name, target });
      options.push(`--mount=type=volume,src=${name},dst=${target},readonly`);
    } else {
      options.push(`--mount=type=volume,dst=${target}`);
    }
  }
  // Secrets and configs from files are bound read-only where compose mounts them: an app that
  // reads its password file at start runs in the proof as it does in the stack.
  for (const given of service.givenFiles) {
    const host = given.file ? path.resolve(dir, text(given.file).replace(/^~(?=\/|$)/, os.homedir())) : null;
    const why = given.why ?? (host && !statSync(host, { throwIfNoEntry: false })?.isFile() ? `${host} is not a file here` : host && /[,"]/.test(host + given.target) ? 'its path cannot be given to docker run' : null);
    if (why || !host) notes.push(`${given.kind} ${given.name} (line ${given.line}) is left out: ${why}`);
    else options.push(`--mount=type=bind,src=${host},dst=${given.target},readonly`);
  }
  if (stoodIn > 0) notes.push(`${stoodIn} host folder${stoodIn === 1 ? '' : 's'} or named volume${stoodIn === 1 ? '' : 's'} stand${stoodIn === 1 ? 's' : ''} in as an empty volume, so the run never writes your data`);

  const hc = v.healthcheck as Record<string, unknown> | undefined;
  const test = healthcheckTest(v, text);
  const own = ownHealthcheck(v);
  if (own === 'disabled') options.push('--no-healthcheck');
  else if (hc && typeof hc === 'object') {
    // Timing alone runs the image's test at the service's pace, as the daemon merges the two.
    if (own === 'replaced') options.push(`--health-cmd=${test[0] === 'CMD-SHELL' ? test.slice(1).join(' ') : test.slice(1).map(shellQuote).join(' ')}`);
    for (const [key, flag] of [['interval', 'interval'], ['timeout', 'timeout'], ['start_period', 'start-period'], ['retries', 'retries']] as const) {
      if (hc[key] !== undefined && hc[key] !== null) options.push(`--health-${flag}=${text(hc[key])}`);
    }
  }

  const entrypoint = words(v.entrypoint);
  const command = words(v.command) ?? [];
  if (entrypoint !== null) options.push(`--entrypoint=${entrypoint[0] ?? ''}`);
  const left = LEFT_OUT.filter((k) => v[k] !== undefined && v[k] !== null);
  if (left.length > 0) notes.push(`left out: ${left.join(', ')} (a proof does not reproduce them)`);
  return { options, command: [...(entrypoint?.slice(1) ?? []), ...command], volumes, notes };
}

/** A service's healthcheck test as `docker run` takes it (["CMD-SHELL", "..."] for a string), each word through `text`. */
function healthcheckTest(v: Record<string, unknown>, text: (x: unknown) => string = String): string[] {
  const hc = v.healthcheck as Record<string, unknown> | undefined;
  if (!hc || typeof hc !== 'object') return [];
  if (typeof hc.test === 'string') return ['CMD-SHELL', hc.test];
  return Array.isArray(hc.test) ? hc.test.map(text) : hc.test === undefined || hc.test === null ? [] : [text(hc.test)];
}

/**
 * Whether a service's `healthcheck:` turns the image's HEALTHCHECK off or runs its own test in its
 * place; null when the image's test runs (no healthcheck, or one that only sets its timing).
 */
export function ownHealthcheck(v: Record<string, unknown>): 'disabled' | 'replaced' | null {
  const hc = v.healthcheck as Record<string, unknown> | undefined;
  if (!hc || typeof hc !== 'object') return null;
  const test = healthcheckTest(v);
  if (hc.disable === true || test[0] === 'NONE') return 'disabled';
  return test.length > 1 ? 'replaced' : null;
}

function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
