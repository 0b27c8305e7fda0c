/**
 * The dockerode-backed HostFacts: how the daemon is reached (--docker-host, DOCKER_HOST, the
 * current docker context, the default socket), lazily loaded and cached facts, the running
 * dockerd's flags from /proc, the service units, and daemon.json located and validated.
 * dockerode is imported only when a fact is first asked for: the Dockerfile batch path never loads it.
 *
 * Over 400 lines: every read of the live daemon (API calls with their deadline, size cap and type
 * checks; its process, flags and config file) sits behind this one HostFacts.
 */
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import type { Probe } from '../core/probe.js';
import { LIMITS, decodeUtf8, readLimited } from '../core/limits.js';
import { UserError } from '../core/errors.js';
import {
  HostUnavailableError,
  type ContainerDetails,
  type DaemonConfigFile,
  type DaemonProcess,
  type DockerInfo,
  type DockerVersion,
  type HostFacts,
  type ImageDetails,
  type ServiceUnits,
} from './facts.js';
import { parseDaemonArgs } from './flags.js';
import { normalizeSocketPath, socketPathOf } from './endpoints.js';
import { dockerdPids, holderOf, listeningSocketInodes, untrustedDaemon, untrustedSocket } from './daemon-identity.js';
import { readServiceUnits } from './units.js';
import { parseDaemonConfig } from './daemon-validate.js';
import { sha256 } from '../core/hash.js';

export interface HostOptions {
  dockerHost?: string;
  daemonConfigPath?: string;
  env: Readonly<Record<string, string | undefined>>;
  probe: Probe;
  /** Bound for one API request (default 30 s). */
  timeoutMs?: number;
}

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';
export const DEFAULT_DAEMON_CONFIG = '/etc/docker/daemon.json';

export interface ResolvedEndpoint {
  host: string;
  /** Why this endpoint: the option, DOCKER_HOST, a docker context, or the default. */
  source: 'option' | 'env' | 'context' | 'default';
  context?: string;
  /** TLS material for a tcp:// endpoint. */
  tls?: { ca?: string; cert?: string; key?: string; verify: boolean };
}

function dockerConfigDir(env: HostOptions['env']): string {
  return env.DOCKER_CONFIG || path.join(env.HOME || os.homedir(), '.docker');
}

function readSmall(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/**
 * The endpoint the docker CLI would use: --docker-host, DOCKER_HOST, DOCKER_CONTEXT or the
 * current context of ~/.docker/config.json, then the default socket. Read synchronously so
 * `HostFacts.endpoint` is known up front.
 */
export function resolveEndpoint(options: Pick<HostOptions, 'dockerHost' | 'env'>): ResolvedEndpoint {
  const { env } = options;
  const envTls = (): ResolvedEndpoint['tls'] => {
    if (!env.DOCKER_TLS_VERIFY && !env.DOCKER_TLS) return undefined;
    const dir = env.DOCKER_CERT_PATH || dockerConfigDir(env);
    return { ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem'), verify: Boolean(env.DOCKER_TLS_VERIFY) };
  };
  if (options.dockerHost) return { host: options.dockerHost, source: 'option', tls: envTls() };
  if (env.DOCKER_HOST) return { host: env.DOCKER_HOST, source: 'env', tls: envTls() };
  const configDir = dockerConfigDir(env);
  let contextName = env.DOCKER_CONTEXT;
  if (!contextName) {
    const text = readSmall(path.join(configDir, 'config.json'));
    if (text) {
      try {
        contextName = (JSON.parse(text) as { currentContext?: string }).currentContext;
      } catch {
        /* the docker CLI reports a broken config.json itself; the default endpoint still applies */
      }
    }
  }
  if (contextName && contextName !== 'default') {
    const id = sha256(contextName);
    const meta = readSmall(path.join(configDir, 'contexts', 'meta', id, 'meta.json'));
    if (meta) {
      try {
        const docker = (JSON.parse(meta) as { Endpoints?: { docker?: { Host?: string; SkipTLSVerify?: boolean } } }).Endpoints?.docker;
        if (docker?.Host) {
          const tlsDir = path.join(configDir, 'contexts', 'tls', id, 'docker');
          const hasTls = existsSync(path.join(tlsDir, 'ca.pem')) || existsSync(path.join(tlsDir, 'cert.pem'));
          return {
            host: docker.Host,
            source: 'context',
            context: contextName,
            ...(hasTls
              ? { tls: { ca: path.join(tlsDir, 'ca.pem'), cert: path.join(tlsDir, 'cert.pem'), key: path.join(tlsDir, 'key.pem'), verify: !docker.SkipTLSVerify } }
              : {}),
          };
        }
      } catch {
        /* an unreadable context falls through to the default endpoint */
      }
    }
  }
  return { host: DEFAULT_DOCKER_HOST, source: 'default' };
}

async function clientOptions(endpoint: ResolvedEndpoint, timeoutMs: number): Promise<Docker.DockerOptions> {
  const host = endpoint.host;
  const socketPath = socketPathOf(host);
  if (socketPath) return { socketPath, timeout: timeoutMs };
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new UserError(`"${host}" is not a Docker endpoint`, 'Use unix:///path/to/docker.sock, tcp://HOST:PORT or ssh://USER@HOST.');
  }
  if (url.protocol === 'tcp:' || url.protocol === 'http:' || url.protocol === 'https:') {
    const tls = endpoint.tls;
    const read = async (file?: string) => (file ? await fs.readFile(file).catch(() => undefined) : undefined);
    const useTls = Boolean(tls) || url.protocol === 'https:';
    return {
      host: url.hostname,
      port: url.port || (useTls ? '2376' : '2375'),
      protocol: useTls ? 'https' : 'http',
      timeout: timeoutMs,
      ...(tls ? { ca: await read(tls.ca), cert: await read(tls.cert), key: await read(tls.key) } : {}),
    };
  }
  if (url.protocol === 'ssh:') {
    return { protocol: 'ssh', host: url.hostname, port: url.port || '22', username: url.username || undefined, timeout: timeoutMs };
  }
  throw new UserError(`unsupported Docker endpoint "${host}"`, 'Use unix://, tcp:// or ssh://.');
}

/** A client error in the person's words: what is wrong and what to do. */
export function describeDockerError(err: unknown, endpoint: string): Error {
  if (err instanceof HostUnavailableError || err instanceof UserError) return err;
  const e = err as NodeJS.ErrnoException & { statusCode?: number; json?: { message?: string }; reason?: string };
  const socket = socketPathOf(endpoint);
  const where = socket ?? endpoint;
  switch (e?.code) {
    case 'EACCES':
    case 'EPERM':
      return new HostUnavailableError(
        `permission denied on ${where}: run as root or as a member of the group that owns the socket (usually docker)`,
        'Run docker-harden with sudo, or pass --docker-host for another daemon. The file steps (--file) need no daemon.',
      );
    case 'ENOENT':
      return new HostUnavailableError(
        `no Docker daemon socket at ${where}: is Docker installed and running? Start it (e.g. systemctl start docker) or pass --docker-host`,
        'The file steps (--file) need no daemon.',
      );
    case 'ECONNREFUSED':
      return new HostUnavailableError(
        `nothing answers at ${where} (connection refused): dockerd is not running there; start it or pass --docker-host`,
        'The file steps (--file) need no daemon.',
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new HostUnavailableError(`cannot resolve the Docker host in ${endpoint}: check --docker-host or DOCKER_HOST`, '');
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
      return new HostUnavailableError(
        `the Docker daemon at ${endpoint} did not answer in time${/^GET \//.test(e.message) ? ` (${e.message})` : ''}`,
        'Check that dockerd is healthy (journalctl -u docker).',
      );
    case 'EANSWERTOOLARGE':
      return new HostUnavailableError(
        `the Docker daemon at ${endpoint} gave an answer docker-harden does not read: ${e.message}`,
        'Check that this endpoint is a Docker daemon (docker version), or pass --docker-host for another one.',
      );
  }
  if (/timeout/i.test(String(e?.message))) {
    return new HostUnavailableError(`the Docker daemon at ${endpoint} did not answer in time`, 'Check that dockerd is healthy (journalctl -u docker).');
  }
  if (typeof e?.statusCode === 'number') {
    const message = e.json?.message ?? e.reason ?? e.message;
    return new Error(`the Docker daemon at ${endpoint} answered ${e.statusCode}: ${message}`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

// ---------------------------------------------------------------------------------------------
// The daemon's answers, checked for the shape the steps read

type Kind = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'string[]';

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function hasKind(v: unknown, kind: Kind): boolean {
  switch (kind) {
    case 'array':
      return Array.isArray(v);
    case 'string[]':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    default:
      return typeof v === kind;
  }
}

/**
 * `value` when it has the shape docker-harden reads at `what` (optional fields may be absent or
 * null), else a HostUnavailableError naming the endpoint and the field: a broken or hostile
 * daemon gives a message, never "x.find is not a function".
 */
export function checkAnswer<T>(value: unknown, what: string, endpoint: string, fields: Record<string, Kind>, required: string[] = []): T {
  const bad = (detail: string) =>
    new HostUnavailableError(
      `the Docker daemon at ${endpoint} gave an answer docker-harden cannot use: ${what}: ${detail}`,
      'Check that this endpoint is a Docker daemon (docker version), or pass --docker-host for another one.',
    );
  if (!hasKind(value, 'object')) throw bad(`expected an object, got ${kindOf(value)}`);
  const record = value as Record<string, unknown>;
  for (const [field, kind] of Object.entries(fields)) {
    const v = record[field];
    if (v === undefined || v === null) {
      if (required.includes(field)) throw bad(`"${field}" is missing`);
      continue;
    }
    if (!hasKind(v, kind)) throw bad(`"${field}" is ${kindOf(v)}${typeof v === 'string' ? ` (${JSON.stringify(v.slice(0, 40))})` : ''}, not ${kind === 'string[]' ? 'a list of strings' : kind === 'array' ? 'a list' : `${kind === 'object' ? 'an' : 'a'} ${kind}`}`);
  }
  return value as T;
}

function checkList<T>(value: unknown, what: string, endpoint: string, fields: Record<string, Kind>, required: string[] = []): T[] {
  if (!Array.isArray(value)) {
    throw new HostUnavailableError(
      `the Docker daemon at ${endpoint} gave an answer docker-harden cannot use: ${what}: expected a list, got ${kindOf(value)}`,
      'Check that this endpoint is a Docker daemon (docker version), or pass --docker-host for another one.',
    );
  }
  return value.map((item, i) => checkAnswer<T>(item, `${what} [${i}]`, endpoint, fields, required));
}

const INFO_FIELDS: Record<string, Kind> = {
  ServerVersion: 'string',
  SecurityOptions: 'string[]',
  LiveRestoreEnabled: 'boolean',
  Driver: 'string',
  Swarm: 'object',
  DockerRootDir: 'string',
  Images: 'number',
  Containers: 'number',
  RegistryConfig: 'object',
  Runtimes: 'object',
};
const CONTAINER_FIELDS: Record<string, Kind> = { Id: 'string', Name: 'string', Config: 'object', HostConfig: 'object', Mounts: 'array', State: 'object', AppArmorProfile: 'string' };

/** Run `fn` over `items` with at most `limit` at a time, keeping order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The running dockerd

interface ProcessEntry {
  pid: number;
  argv: string[];
  flags: ReturnType<typeof parseDaemonArgs>;
}

async function processEntry(probe: Probe, pid: number): Promise<ProcessEntry | null> {
  const cmdline = await probe.readText(`/proc/${pid}/cmdline`);
  if (!cmdline) return null;
  const argv = cmdline.split('\0').filter((a, i, all) => a !== '' || i < all.length - 1);
  return { pid, argv, flags: parseDaemonArgs(argv.slice(1)) };
}

async function dockerdProcesses(probe: Probe): Promise<ProcessEntry[]> {
  const out: ProcessEntry[] = [];
  for (const pid of await dockerdPids(probe)) {
    const entry = await processEntry(probe, pid);
    if (entry) out.push(entry);
  }
  return out;
}

/**
 * The dockerd serving `host`, verified (see daemon-identity.ts): for a unix socket, the dockerd
 * holding the listening socket; otherwise the one whose flags or daemon.json name the endpoint.
 * null when none is found or the one found is not to be trusted.
 */
async function servingDaemon(probe: Probe, host: string): Promise<ProcessEntry | null> {
  const self = process.getuid?.() ?? 0;
  // Without readLink (a recorded world) there are no processes to verify, only their record.
  const trusted = async (entry: ProcessEntry) => !probe.readLink || (await untrustedDaemon(probe, entry.pid, self)) === null;
  const socket = socketPathOf(host);
  if (socket && probe.readLink) {
    const inodes = await listeningSocketInodes(probe, socket);
    if (inodes.size > 0) {
      const pid = await holderOf(probe, await dockerdPids(probe), inodes);
      const entry = pid === null ? null : await processEntry(probe, pid);
      return entry && (await trusted(entry)) ? entry : null;
    }
    // Not in our /proc/net/unix: a socket in another network namespace (a rootless daemon's).
  }
  for (const entry of await dockerdProcesses(probe)) {
    // Trusted first: the daemon.json a process names is read only for a process we believe.
    if ((await trusted(entry)) && (await servesEndpoint(entry, host, probe))) return entry;
  }
  return null;
}

function sameTcp(a: string, b: string): boolean {
  try {
    const ua = new URL(a.replace(/^tcp:/, 'http:'));
    const ub = new URL(b.replace(/^tcp:/, 'http:'));
    const loop = (h: string) => (h === 'localhost' || h === '[::1]' ? '127.0.0.1' : h);
    return loop(ua.hostname) === loop(ub.hostname) && (ua.port || '2375') === (ub.port || '2375');
  } catch {
    return false;
  }
}

/** The hosts a dockerd listens on: its -H flags, else `hosts` in its daemon.json, else the default socket. */
async function listenHosts(entry: ProcessEntry, probe: Probe): Promise<string[]> {
  const flagged = entry.flags.filter((f) => f.name === 'host' && f.value).map((f) => f.value!);
  if (flagged.length > 0) return flagged;
  const configFile = entry.flags.find((f) => f.name === 'config-file')?.value ?? DEFAULT_DAEMON_CONFIG;
  const text = await probe.readText(configFile);
  if (text) {
    try {
      const hosts = (JSON.parse(text) as { hosts?: unknown }).hosts;
      if (Array.isArray(hosts) && hosts.length > 0) return hosts.map(String);
    } catch {
      /* an invalid file is reported by daemonConfig(); here it just names no hosts */
    }
  }
  return [DEFAULT_DOCKER_HOST];
}

async function servesEndpoint(entry: ProcessEntry, endpoint: string, probe: Probe): Promise<boolean> {
  const ours = socketPathOf(endpoint);
  for (const host of await listenHosts(entry, probe)) {
    if (host.startsWith('fd://')) {
      // Socket activation: the sockets are docker.socket's (by default /run/docker.sock).
      if (ours && normalizeSocketPath(ours) === '/run/docker.sock') return true;
      continue;
    }
    const theirs = socketPathOf(host);
    if (ours && theirs && normalizeSocketPath(ours) === normalizeSocketPath(theirs)) return true;
    if (!ours && !theirs && sameTcp(host, endpoint)) return true;
  }
  return false;
}

async function processStartMs(probe: Probe, pid: number): Promise<number | undefined> {
  const stat = await probe.readText(`/proc/${pid}/stat`);
  const procStat = await probe.readText('/proc/stat');
  if (!stat || !procStat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[19]);
  const btime = Number(/^btime (\d+)/m.exec(procStat)?.[1]);
  if (!Number.isFinite(ticks) || !Number.isFinite(btime)) return undefined;
  // Linux reports start time in USER_HZ, which is 100 on every mainstream architecture.
  return btime * 1000 + (ticks / 100) * 1000;
}

async function processUid(probe: Probe, pid: number): Promise<number | undefined> {
  const status = await probe.readText(`/proc/${pid}/status`);
  const uid = /^Uid:\s+(\d+)/m.exec(status ?? '')?.[1];
  return uid === undefined ? undefined : Number(uid);
}

/** A rootless daemon's daemon.json: $XDG_CONFIG_HOME/docker/daemon.json of the user it runs as. */
async function rootlessConfigPath(probe: Probe, pid: number, uid: number): Promise<string | null> {
  const environ = (await probe.readText(`/proc/${pid}/environ`)) ?? '';
  const vars = new Map(environ.split('\0').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const));
  const xdg = vars.get('XDG_CONFIG_HOME');
  if (xdg) return path.join(xdg, 'docker', 'daemon.json');
  let home = vars.get('HOME');
  if (!home) {
    const passwd = (await probe.readText('/etc/passwd')) ?? '';
    home = passwd.split('\n').map((l) => l.split(':')).find((f) => f[2] === String(uid))?.[5];
  }
  return home ? path.join(home, '.config', 'docker', 'daemon.json') : null;
}

// ---------------------------------------------------------------------------------------------

export interface LiveHostFacts extends HostFacts {
  /** Forget every cached fact and the client: the next call asks the daemon again. */
  refresh(): void;
  /** How the endpoint was chosen. */
  readonly resolved: ResolvedEndpoint;
}

/** DOCKER_HARDEN_API_TIMEOUT: seconds one Engine API request may take in all (1 to 600). */
function apiTimeoutFromEnv(env: HostOptions['env']): number | undefined {
  const raw = env.DOCKER_HARDEN_API_TIMEOUT;
  if (raw === undefined || raw === '') return undefined;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 600) {
    throw new UserError(`DOCKER_HARDEN_API_TIMEOUT is "${raw.slice(0, 20)}", not a whole number of seconds from 1 to 600`, 'Set it to, for example, 30, or unset it.');
  }
  return seconds * 1000;
}

export function createHostFacts(options: HostOptions): LiveHostFacts {
  const timeoutMs = options.timeoutMs ?? apiTimeoutFromEnv(options.env) ?? 30_000;
  const probe = options.probe;
  const endpoint = resolveEndpoint(options);
  let cache = new Map<string, Promise<unknown>>();
  let client: Promise<Docker> | undefined;

  const memo = <T>(key: string, load: () => Promise<T>): Promise<T> => {
    let hit = cache.get(key) as Promise<T> | undefined;
    if (!hit) {
      hit = load();
      cache.set(key, hit);
    }
    return hit;
  };
  const docker = () =>
    (client ??= (async () => {
      // A local socket is read with node:http (socket-api.ts); dockerode only for tcp:// and ssh://.
      const socket = socketPathOf(endpoint.host);
      if (socket) return (await import('./socket-api.js')).socketApi(socket, timeoutMs);
      const { default: Dockerode } = await import('dockerode');
      return new Dockerode(await clientOptions(endpoint, timeoutMs));
    })());
  /** A unix socket another account could answer on is refused before anything it says is used. */
  const trustEndpoint = (): Promise<void> => {
    const socket = socketPathOf(endpoint.host);
    if (!socket) return Promise.resolve();
    return memo('socket-trust', async () => {
      const refused = await untrustedSocket(socket, process.getuid?.() ?? 0);
      if (refused) throw refused;
    });
  };
  const call = async <T>(fn: (d: Docker) => Promise<T>): Promise<T> => {
    // No socket file, no daemon: say so without loading dockerode, so a Dockerfile check that
    // asks for local image digests stays on the light path on a machine without Docker. Checked
    // on every call: the socket comes back when a restarted daemon does.
    const socket = socketPathOf(endpoint.host);
    if (socket) {
      await trustEndpoint();
      // lstat, not existsSync: a directory we may not enter is "permission denied", not "no socket".
      const missing = await fs.lstat(socket).then(
        () => null,
        (err: NodeJS.ErrnoException) => err,
      );
      if (missing) throw describeDockerError(Object.assign(new Error(`connect ${missing.code} ${socket}`), { code: missing.code }), endpoint.host);
    }
    const d = await docker();
    try {
      return await fn(d);
    } catch (err) {
      throw describeDockerError(err, endpoint.host);
    }
  };

  const facts: LiveHostFacts = {
    endpoint: endpoint.host,
    resolved: endpoint,
    refresh() {
      cache = new Map();
      client = undefined;
    },
    warmUp() {
      // The containers first: listing them and reading each is the longest wait. The daemon's
      // process is looked for in /proc with synchronous reads, which would hold the requests
      // back: it starts once the first answer shows they are on their way.
      for (const read of [facts.containers, facts.info, facts.version]) read().catch(() => undefined);
      facts
        .ping()
        .catch(() => undefined)
        .then(() => facts.daemonProcess())
        .catch(() => undefined);
    },
    ping() {
      return memo('ping', () => call((d) => d.ping()).then(() => undefined));
    },
    info() {
      return memo('info', () => call(async (d) => checkAnswer<DockerInfo>(await d.info(), 'GET /info', endpoint.host, INFO_FIELDS)));
    },
    version() {
      return memo('version', () => call(async (d) => checkAnswer<DockerVersion>(await d.version(), 'GET /version', endpoint.host, { Version: 'string', ApiVersion: 'string' })));
    },
    containers() {
      return memo('containers', () =>
        call(async (d) => {
          const list = checkList<{ Id: string }>(await d.listContainers({ all: false }), 'GET /containers/json', endpoint.host, { Id: 'string' }, ['Id']);
          const inspected = await mapBounded(list, 8, async (c) => {
            try {
              const what = `GET /containers/${c.Id.slice(0, 64)}/json`;
              return checkAnswer<ContainerDetails>(await d.getContainer(c.Id).inspect(), what, endpoint.host, CONTAINER_FIELDS, ['Id']);
            } catch (err) {
              // Gone between list and inspect.
              if ((err as { statusCode?: number }).statusCode === 404) return null;
              throw err;
            }
          });
          return inspected.filter((c): c is ContainerDetails => c !== null);
        }),
      );
    },
    images() {
      return memo('images', () =>
        call(async (d) =>
          checkList<Docker.ImageInfo>(await d.listImages(), 'GET /images/json', endpoint.host, { Id: 'string', RepoTags: 'string[]', RepoDigests: 'string[]', Size: 'number' }, ['Id']).map(
            (i): ImageDetails => ({ Id: i.Id, RepoTags: i.RepoTags ?? [], RepoDigests: i.RepoDigests ?? [], Size: i.Size }),
          ),
        ),
      );
    },
    volumeCount() {
      return memo('volumes', () =>
        call(async (d) => (checkAnswer<{ Volumes?: unknown[] | null }>(await d.listVolumes(), 'GET /volumes', endpoint.host, { Volumes: 'array' }).Volumes ?? []).length),
      );
    },
    daemonProcess() {
      return memo('process', async (): Promise<DaemonProcess | null> => {
        const found = await servingDaemon(probe, endpoint.host);
        if (!found) return null;
        return { pid: found.pid, argv: found.argv, flags: found.flags, startedMs: await processStartMs(probe, found.pid), uid: await processUid(probe, found.pid) };
      });
    },
    serviceUnits() {
      return memo('units', (): Promise<ServiceUnits> => readServiceUnits(probe));
    },
    rootless() {
      return memo('rootless', async () => ((await facts.info()).SecurityOptions ?? []).some((o) => o.split(',').includes('name=rootless')));
    },
    daemonConfig() {
      return memo('config', async (): Promise<DaemonConfigFile> => {
        let file: string;
        let source: DaemonConfigFile['source'];
        // Which daemon.json is the daemon's is judged only for a daemon docker-harden may believe.
        await trustEndpoint();
        const proc = await facts.daemonProcess();
        const flagged = proc?.flags.find((f) => f.name === 'config-file')?.value;
        if (options.daemonConfigPath) {
          file = path.resolve(options.daemonConfigPath);
          source = 'option';
        } else if (flagged) {
          file = flagged;
          source = 'flag';
        } else {
          const rootless = proc && proc.uid !== undefined && proc.uid !== 0 ? await rootlessConfigPath(probe, proc.pid, proc.uid) : null;
          if (rootless) {
            file = rootless;
            source = 'rootless';
          } else {
            file = DEFAULT_DAEMON_CONFIG;
            source = 'default';
          }
        }
        const bytes = await readLimited(file, 'daemon.json', LIMITS.daemonJson);
        if (bytes === null) {
          if (source === 'option') {
            // A path named on the command line that does not exist yet is where the file will be created.
            const dir = await fs.stat(path.dirname(file)).catch(() => null);
            if (!dir?.isDirectory()) throw new UserError('the folder for --daemon-config does not exist', 'Check the path given to --daemon-config.', file);
          }
          return { path: file, source, text: null, value: {} };
        }
        const text = decodeDaemonConfig(bytes, file);
        // What this Engine accepts (a byte-order mark): asked only when the file has one.
        const engine = text.startsWith('\uFEFF') ? await facts.version().then((v) => v.Version, () => undefined) : undefined;
        const value = parseDaemonConfig(text, file, engine);
        const stat = await fs.lstat(file).catch(() => null);
        return { path: file, source, text, value, ...(stat ? { modifiedMs: stat.mtimeMs } : {}) };
      });
    },
  };
  return facts;
}

/**
 * daemon.json as text. Bytes that are not UTF-8 would not survive an edit (they would come back as
 * U+FFFD), so such a file is reported, with the line, and never rewritten.
 */
function decodeDaemonConfig(bytes: Buffer, file: string): string {
  const decoded = decodeUtf8(bytes);
  if (decoded !== null) return decoded;
  const text = bytes.toString('utf8');
  const offset = text.indexOf('\uFFFD');
  const line = text.slice(0, Math.max(offset, 0)).split('\n').length;
  throw new UserError(
    'is not UTF-8 text; docker-harden does not rewrite it, as the bytes that are not UTF-8 would be lost',
    'Save it as UTF-8 (for example with iconv -f latin1 -t utf-8), then run docker-harden again.',
    file,
    line,
  );
}
