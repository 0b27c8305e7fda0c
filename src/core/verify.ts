/**
 * Proof by build and run (`fix --verify`): build the image from the Dockerfile before and after a
 * change with the reachable daemon, run both with their own entrypoint and command (network none,
 * bounded wait, HEALTHCHECK when present) and compare what a user would notice: the container still
 * starts and stays up (or exits the same way), turns healthy if the original did, runs as the uid
 * the new USER names, listens on the same ports, and logs no denied write the original did not. A
 * compose change runs each changed service the same way, after what it depends on. The engine
 * restores the file when this fails.
 */
import { randomHex, sha256 } from './hash.js';
import { LIMITS, readLimited } from './limits.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDockerfile, type DockerfileModel } from '../dockerfile/model.js';
import { flagNames, heredocBodies } from '../dockerfile/commands.js';
import type { ComposeBuild, ComposeModel, ComposeService } from '../compose/model.js';
import { interpolatedWhereKnown } from '../compose/interpolate.js';
import type { DependencyCondition } from '../compose/run-args.js';

export interface ContainerObservation {
  running: boolean;
  exitCode: number | null;
  /** healthy / unhealthy / starting, or null without a HEALTHCHECK. */
  health: string | null;
  uid: number | null;
  /** TCP ports in LISTEN state in the container's network namespace. */
  ports: number[];
  /** The last lines the container wrote, made printable. */
  logs: string[];
  /** Lines of its log that report a denied write or action (EACCES, EROFS, EPERM), made printable. */
  denials: string[];
}

export interface VerifyOutcome {
  ok: boolean;
  /**
   * The original could not be built or run to a point worth comparing (it does not build from the
   * Dockerfile's folder, or exits with an error without what it gets at run time): nothing proves
   * the change either way, and `ok` is false.
   */
  unproven?: boolean;
  /** Why the change is refused, or what could not be compared. */
  reason: string;
  before?: ContainerObservation;
  after?: ContainerObservation;
}

export interface VerifyOptions {
  /** The daemon endpoint, e.g. unix:///var/run/docker.sock. */
  host: string;
  before: string;
  after: string;
  /** Build context: the Dockerfile's directory, or where the repository builds it from. */
  contextDir: string;
  /** What says the build context is not the Dockerfile's own folder. */
  contextWhy?: string;
  /** How long a container without a HEALTHCHECK must stay up to count as up (default 3 s). */
  settleMs?: number;
  /** Bound for a HEALTHCHECK to settle and for each docker call (default 120 s). */
  timeoutMs?: number;
  log?: (line: string) => void;
  /** What earlier proofs of the same run saw (see ComposeVerifyOptions): a Dockerfile as one fix left it is not built again as the next one's "before". */
  seen?: Map<string, ContainerObservation>;
  /** The build arguments the repository builds it with (a compose service's args:). */
  buildFlags?: BuildFlags;
}

const LOG_LINES = 15;
// How long a run without a HEALTHCHECK may take to listen on the ports its image exposes (a JVM or
// a large Node app), beyond the settle time.
const PORT_WAIT_MS = 20_000;
// How much of a container's log is searched for a denied write or action.
const SCANNED_LOG_LINES = 500;
// strerror's texts for EACCES, EROFS and EPERM, as libc, Go, Node and Python print them.
const DENIAL = /permission denied|read-only file system|operation not permitted|\b(?:EACCES|EROFS|EPERM)\b/i;
const DENIALS = new RegExp(DENIAL.source, 'gi');

/** Strip terminal control sequences and bound the length: container output reaches a terminal. */
export function printable(text: string, max = 300): string {
  // A progress line redrawn with carriage returns reads as its last state, as a terminal shows it.
  const shown = text.replace(/\r+$/, '');
  const clean = shown.slice(shown.lastIndexOf('\r') + 1).replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}

/**
 * What the docker CLI said when a command failed, on one line: its lines joined, without the
 * "Run 'docker run --help' for more information" it adds to every refusal.
 */
export function dockerError(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l && !/^(Run|See) 'docker [\w -]+--help'/.test(l));
  return printable(lines.join('; '));
}

async function docker(host: string, args: string[], options: { input?: string; timeoutMs: number; env?: Record<string, string> }): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const { execa } = await import('execa');
  const r = await execa('docker', ['-H', host, ...args], {
    reject: false,
    input: options.input ?? '',
    timeout: options.timeoutMs,
    maxBuffer: 4 * 1024 * 1024,
    env: { ...options.env, DOCKER_BUILDKIT: '0' },
  });
  return { exitCode: typeof r.exitCode === 'number' ? r.exitCode : -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

/**
 * dockerd's refusal while the host's firewall is being set up anew: it makes its iptables chains
 * again when firewalld reloads or another daemon on the host starts, and a network made meanwhile
 * fails ("Chain 'DOCKER-ISOLATION-STAGE-1' does not exist").
 */
const FIREWALL_CHANGING = /iptables failed: .*(does not exist|No chain\/target\/match)/;

/** An internal network for a proof, made again (after a second, three tries in all) while the host's firewall is set up anew. */
async function createNetwork(host: string, net: string, timeoutMs: number, log: (line: string) => void): Promise<{ exitCode: number; stderr: string }> {
  for (let tries = 1; ; tries++) {
    const made = await docker(host, ['network', 'create', '--internal', '--', net], { timeoutMs });
    if (made.exitCode === 0 || tries === 3 || !FIREWALL_CHANGING.test(made.stderr)) return made;
    log(`verify: the daemon could not make the proof's network while the host's firewall was being set up again (${dockerError(made.stderr)}); trying again`);
    // What a failed attempt may have left, so the name is free again.
    await docker(host, ['network', 'rm', '--', net], { timeoutMs });
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** Is a daemon answering at `host`? Returns null when it is, else why not. */
export async function daemonUnreachable(host: string): Promise<string | null> {
  try {
    const r = await docker(host, ['version', '--format', '{{.Server.Version}}'], { timeoutMs: 15_000 });
    return r.exitCode === 0 ? null : printable(r.stderr.trim() || `docker version exited ${r.exitCode}`);
  } catch (err) {
    return printable(err instanceof Error ? err.message : String(err));
  }
}

/** 127.0.0.11 as /proc/net/tcp writes it (little-endian hex). */
const EMBEDDED_DNS = '0B00007F';

/** Local ports in LISTEN state (st 0A) from /proc/net/tcp or tcp6 text. */
export function listeningPorts(procNetTcp: string): number[] {
  const ports = new Set<number>();
  for (const line of procNetTcp.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4 || cols[3] !== '0A') continue;
    const [address, hexPort] = cols[1]!.split(':');
    // Docker's embedded DNS of a user-defined network listens on 127.0.0.11 at a random port in every container.
    if (address === EMBEDDED_DNS) continue;
    const port = parseInt(hexPort ?? '', 16);
    if (Number.isFinite(port)) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}

/** The real uid from /proc/PID/status text. */
export function uidFromStatus(status: string): number | null {
  const m = /^Uid:\s+(\d+)/m.exec(status);
  return m ? Number(m[1]) : null;
}

/** The final stage's last USER, as written (null when none). */
export function finalUser(dockerfile: string): string | null {
  return finalUserOf(parseDockerfile(dockerfile, 'Dockerfile'));
}

/** The USER the final stage of a parsed Dockerfile sets last, or null. */
export function finalUserOf(model: DockerfileModel): string | null {
  return model.finalStage.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args.trim() ?? null;
}

async function readBounded(file: string): Promise<string | null> {
  try {
    return (await readFile(file, 'utf8')).slice(0, 1024 * 1024);
  } catch {
    return null;
  }
}

/** The ports a run waits for: the original any its image exposes (EXPOSE 80 443 with only 80 served), the changed one all the original listened on. */
interface AwaitPorts {
  ports: number[];
  all: boolean;
}

/** What a run of `which` waits for, given the image and what the original was seen listening on. */
async function portsToAwait(host: string, which: 'before' | 'after', image: string, before: ContainerObservation | undefined, timeoutMs: number): Promise<AwaitPorts> {
  return which === 'before' ? { ports: await exposedPorts(host, image, timeoutMs), all: false } : { ports: before?.ports ?? [], all: true };
}

/** The TCP ports a running container's process listens on. */
async function portsOf(host: string, name: string, pid: number, timeoutMs: number): Promise<number[]> {
  const tcp = [await procFile(host, name, pid, 'net/tcp', timeoutMs), await procFile(host, name, pid, 'net/tcp6', timeoutMs)];
  return listeningPorts(tcp.filter((t): t is string => t !== null).join('\n'));
}

/** The TCP ports an image says it listens on (EXPOSE), as the daemon has them. */
async function exposedPorts(host: string, image: string, timeoutMs: number): Promise<number[]> {
  const r = await docker(host, ['image', 'inspect', '--format', '{{json .Config.ExposedPorts}}', '--', image], { timeoutMs });
  if (r.exitCode !== 0) return [];
  try {
    const ports = JSON.parse(r.stdout) as Record<string, unknown> | null;
    return Object.keys(ports ?? {}).filter((k) => k.endsWith('/tcp')).map((k) => Number(k.split('/')[0])).filter((p) => Number.isInteger(p) && p > 0);
  } catch {
    return [];
  }
}

/** Read a file of the container's process: from the host's /proc, else with `docker exec cat`. */
async function procFile(host: string, name: string, pid: number, file: string, timeoutMs: number): Promise<string | null> {
  const local = pid > 0 ? await readBounded(`/proc/${pid}/${file}`) : null;
  if (local !== null) return local;
  const r = await docker(host, ['exec', name, 'cat', `/proc/1/${file}`], { timeoutMs });
  return r.exitCode === 0 ? r.stdout : null;
}

interface InspectState {
  Running: boolean;
  ExitCode: number;
  Pid: number;
  Health?: { Status: string };
}

async function inspect(host: string, name: string, timeoutMs: number): Promise<InspectState | null> {
  const r = await docker(host, ['inspect', '--format', '{{json .State}}', name], { timeoutMs });
  if (r.exitCode !== 0) return null;
  try {
    return JSON.parse(r.stdout) as InspectState;
  } catch {
    return null;
  }
}

/**
 * Run a container (`run`: options, `--`, the image and its command) and watch it. `hasHealthcheck`
 * null: as the container has one, its image's or the run's own. No network unless `network` names one.
 */
async function observe(host: string, run: string[], name: string, hasHealthcheck: boolean | null, settleMs: number, timeoutMs: number, network: string[] = ['--network=none'], awaitPorts: AwaitPorts = { ports: [], all: false }): Promise<ContainerObservation | string> {
  const started = await docker(host, ['run', '--detach', ...network, '--pull=never', `--name=${name}`, ...run], { timeoutMs });
  if (started.exitCode !== 0) return `the container did not start: ${dockerError(started.stderr)}`;
  let state = await inspect(host, name, timeoutMs);
  // A container counts as up when it is still running after the settle time, or, with a
  // HEALTHCHECK, once the daemon stops reporting "starting" (bounded by timeoutMs). Without one, an
  // app that is slow to start (a JVM) is given until it listens on `awaitPorts` (any or all of them), bounded too.
  const health = hasHealthcheck ?? Boolean(state?.Health);
  const deadline = Date.now() + (health ? timeoutMs : settleMs);
  const portsBy = Date.now() + Math.min(PORT_WAIT_MS, timeoutMs);
  while (state && state.Running) {
    if (health && state.Health && state.Health.Status !== 'starting') break;
    if (Date.now() >= deadline) {
      if (health || awaitPorts.ports.length === 0 || Date.now() >= portsBy) break;
      const listening = await portsOf(host, name, state.Pid, timeoutMs);
      if (awaitPorts.all ? awaitPorts.ports.every((p) => listening.includes(p)) : awaitPorts.ports.some((p) => listening.includes(p))) break;
    }
    await new Promise((res) => setTimeout(res, 250));
    state = await inspect(host, name, timeoutMs);
  }
  if (!state) return 'the container could not be inspected';
  const status = state.Running ? await procFile(host, name, state.Pid, 'status', timeoutMs) : null;
  const logs = await docker(host, ['logs', '--tail', String(SCANNED_LOG_LINES), name], { timeoutMs });
  // execa drops each stream's last newline: joined with one, the last line of each stays a line of its own.
  const lines = `${logs.stdout}\n${logs.stderr}`.split('\n').filter(Boolean);
  return {
    running: state.Running,
    exitCode: state.Running ? null : state.ExitCode,
    health: state.Health?.Status ?? null,
    uid: status ? uidFromStatus(status) : null,
    ports: state.Running ? await portsOf(host, name, state.Pid, timeoutMs) : [],
    logs: lines.slice(-LOG_LINES).map((l) => printable(l)),
    denials: [...new Set(lines.filter((l) => DENIAL.test(l)).map((l) => printable(l)))].slice(0, LOG_LINES),
  };
}

/** What the new image does wrong compared with the old one, or null when it behaves the same. */
export function compareRuns(before: ContainerObservation, after: ContainerObservation, expectedUser: string | null): string | null {
  if (before.running && !after.running) return `the container no longer stays up: it exited with code ${after.exitCode}`;
  if (!before.running && !after.running && before.exitCode !== after.exitCode) {
    return `the container exits with code ${after.exitCode} where the original exited with ${before.exitCode}`;
  }
  if (!before.running && after.running) return null;
  if (before.health === 'healthy' && after.health !== 'healthy') return `the HEALTHCHECK reports ${after.health ?? 'nothing'} where the original was healthy`;
  // A HEALTHCHECK the change adds (or changes) that fails marks a working container unhealthy.
  if (after.health === 'unhealthy' && before.health !== 'unhealthy') return `the HEALTHCHECK reports unhealthy${before.health ? ` where the original was ${before.health}` : ' (the original had none)'}`;
  const lost = before.ports.filter((p) => !after.ports.includes(p));
  if (lost.length) return `the container no longer listens on port${lost.length === 1 ? '' : 's'} ${lost.join(', ')}`;
  // An app that keeps running but can no longer write its data (mkdir in a script without set -e,
  // a server that logs the error and goes on) shows it in its log. Numbers (times, pids) aside, and
  // which denial it is: a write the original was denied too (as another user) is no news.
  const shape = (line: string) => line.replace(DENIALS, 'denied').replace(/\d+/g, '#');
  const known = new Set(before.denials.map(shape));
  const denied = after.denials.filter((l) => !known.has(shape(l)));
  if (denied.length) return `the container logs what the original did not: ${denied.slice(0, 3).map((l) => `"${l}"`).join(', ')}`;
  if (after.running && expectedUser && after.uid !== null) {
    const uid = expectedUser.split(':')[0]!;
    if (/^\d+$/.test(uid) ? after.uid !== Number(uid) : after.uid === 0) {
      return `the container runs as uid ${after.uid}, not as the USER ${expectedUser} the change sets`;
    }
  }
  return null;
}

/** A container's last log lines, each on a line of its own below the reason; nothing without any. */
function lastLines(which: 'original' | 'changed', seen: ContainerObservation): string {
  return seen.logs.length ? `\nlast lines of the ${which} container:\n${seen.logs.map((l) => `  ${l}`).join('\n')}` : '';
}

/** A Dockerfile a build refused, parsed to say why; null when it does not parse either (the build's lines say why). */
function parsedOrNull(text: string): DockerfileModel | null {
  try {
    return parseDockerfile(text, 'Dockerfile');
  } catch {
    return null;
  }
}

/** Flags of RUN, and of COPY and ADD, that the classic builder does not know. */
const BUILDKIT_FLAGS: Record<string, readonly string[]> = { RUN: ['mount', 'network', 'security'], COPY: ['link', 'chmod', 'parents', 'exclude'], ADD: ['link', 'chmod', 'checksum', 'keep-git-dir', 'exclude'] };

/** The first line of a Dockerfile that only BuildKit builds (RUN --mount, a here-document, COPY --link), as `line N: text`; null when none. */
export function buildkitOnly(text: string): string | null {
  for (const inst of parsedOrNull(text)?.instructions ?? []) {
    const flags = BUILDKIT_FLAGS[inst.keyword];
    if (!flags) continue;
    if (flagNames(inst).some((f) => flags.includes(f)) || heredocBodies(inst.source).length > 0) return `line ${inst.line}: ${printable(inst.source.split('\n')[0]!.trim(), 120)}`;
  }
  return null;
}

/** The first FROM whose image a build argument without a default decides (`FROM ${BASE}`), as `FROM at line N names $BASE, which has no default`; null when none. */
export function buildArgsNeeded(text: string): string | null {
  const stage = parsedOrNull(text)?.stages.find((s) => s.imageUnresolved.length > 0);
  if (!stage) return null;
  const names = [...new Set(stage.imageUnresolved)];
  return `FROM at line ${stage.from.line} names ${names.map((n) => `$${n}`).join(', ')}, which ${names.length === 1 ? 'has' : 'have'} no default`;
}

/** A failed build's last lines, as lastLines gives a container's. */
function buildTail(stderr: string): string {
  const text = stderr.trim();
  return text ? `\nlast lines of the build:\n${text.split('\n').slice(-LOG_LINES).map((l) => `  ${printable(l)}`).join('\n')}` : '';
}

type Judged = { seen: ContainerObservation } | { outcome: VerifyOutcome };

/**
 * One run as the proof takes it: `original` says what ran before the change ("the original
 * image"). An original that does not start, or fails on its own (a config, volume or network it
 * gets at run time is missing here), never reaches what the change may break: nothing is proven.
 */
function judge(which: 'before' | 'after', seen: ContainerObservation | string, original: string, before?: ContainerObservation): Judged {
  if (typeof seen === 'string') {
    // "the container did not start: ..." said of the original: "service web as it was did not start: ...".
    if (which === 'before') return { outcome: { ok: false, unproven: true, reason: `it could not be proven: ${seen.replace(/^the container /, `${original} `)}` } };
    return { outcome: { ok: false, reason: seen, ...(before ? { before } : {}) } };
  }
  if (which === 'before' && !seen.running && seen.exitCode !== 0) {
    const logs = lastLines('original', seen);
    return {
      outcome: { ok: false, unproven: true, reason: `it could not be proven: ${original} exits with code ${seen.exitCode} here, without what it gets at run time (a config, a volume, a network), so the change's effect cannot be seen${logs}`, before: seen },
    };
  }
  return { seen };
}

/** The two runs compared: refused with the changed container's last lines, or what was seen. */
function compared(before: ContainerObservation, after: ContainerObservation, expectedUser: string | null, what: string): VerifyOutcome {
  const problem = compareRuns(before, after, expectedUser);
  if (problem) {
    const logs = lastLines('changed', after);
    return { ok: false, reason: `${problem}${logs}`, before, after };
  }
  const how = after.running ? `stays up${after.health ? ` (${after.health})` : ''}` : `exits with code ${after.exitCode} as before`;
  const uid = after.uid !== null ? `, runs as uid ${after.uid}` : '';
  const ports = after.ports.length ? `, listens on ${after.ports.join(', ')}` : '';
  return { ok: true, reason: `${what} ${how}${uid}${ports}`, before, after };
}

/**
 * Build a Dockerfile's text as `tag`; null when it built, else why not: the original not building
 * here leaves the change unproven (and says why, when the reason is known), the changed one not
 * building refuses it. The text goes in on stdin (-f -), so nothing is written in the user's
 * context; --force-rm, or the classic builder leaves the container of a RUN that failed.
 */
async function buildDockerfile(host: string, which: 'before' | 'after', text: string, tag: string, options: Pick<VerifyOptions, 'contextDir' | 'contextWhy' | 'timeoutMs'>, { flags, env }: BuildFlags = { flags: [], env: {} }): Promise<VerifyOutcome | null> {
  const build = await docker(host, ['build', '--quiet', '--force-rm', '--tag', tag, ...flags, '--file', '-', '--', options.contextDir], { input: text, timeoutMs: options.timeoutMs ?? 120_000, env });
  if (build.exitCode === 0) return null;
  const tail = buildTail(build.stderr);
  if (which === 'after') return { ok: false, reason: `the changed Dockerfile no longer builds${tail}` };
  const buildkit = buildkitOnly(text);
  if (buildkit) return { ok: false, unproven: true, reason: `it could not be proven: the original Dockerfile uses what only BuildKit builds (${buildkit}), and --verify builds with the classic builder${tail}` };
  const needsArgs = flags.some((f) => f.startsWith('--build-arg=')) ? null : buildArgsNeeded(text);
  if (needsArgs) return { ok: false, unproven: true, reason: `it could not be proven: the original Dockerfile's ${needsArgs}, and --verify builds without build arguments (--build-arg)${tail}` };
  const where = options.contextWhy
    ? `from ${options.contextDir}, where the repository builds it (${options.contextWhy})`
    : `from its own folder ${options.contextDir}, and nothing in the repository says where else it is built from (a CI build line, a compose file's build:, a Bake file)`;
  return { ok: false, unproven: true, reason: `it could not be proven: the original Dockerfile does not build ${where}${tail}` };
}

/** Build, run and compare the image before and after a Dockerfile change. Always cleans up. */
export async function verifyDockerfileChange(options: VerifyOptions): Promise<VerifyOutcome> {
  const log = options.log ?? (() => undefined);
  const timeoutMs = options.timeoutMs ?? 120_000;
  const settleMs = options.settleMs ?? 3_000;
  const id = randomHex(6);
  const images = { before: `docker-harden-verify:${id}-before`, after: `docker-harden-verify:${id}-after` };
  const names = { before: `docker-harden-verify-${id}-before`, after: `docker-harden-verify-${id}-after` };
  const { host } = options;
  try {
    const observed: Partial<Record<'before' | 'after', ContainerObservation>> = {};
    for (const which of ['before', 'after'] as const) {
      const text = options[which];
      const key = JSON.stringify([options.contextDir, text, settleMs, options.buildFlags ?? null]);
      let seen: ContainerObservation | string | undefined = which === 'before' ? options.seen?.get(key) : undefined;
      if (seen) {
        // Judged again below: an original that failed here proves nothing this time either.
        log('verify: the image before the change: as the previous proof saw it');
      } else {
        const argNames = (options.buildFlags?.flags ?? []).filter((f) => f.startsWith('--build-arg=')).map((f) => f.slice('--build-arg='.length).split('=')[0]);
        log(`verify: building the image ${which} the change${options.contextWhy ? ` from ${options.contextDir} (${options.contextWhy})` : ''}${argNames.length > 0 ? ` with build arguments ${printable(argNames.join(', '))}` : ''}`);
        const failed = await buildDockerfile(host, which, text, images[which], options, options.buildFlags);
        if (failed) return failed;
        const hasHealthcheck = parseDockerfile(text, 'Dockerfile').finalStage.instructions.some((i) => i.keyword === 'HEALTHCHECK' && !/^NONE\b/i.test(i.args.trim()));
        log(`verify: running the image ${which} the change (network none)`);
        const awaitPorts = await portsToAwait(host, which, images[which], observed.before, timeoutMs);
        seen = await observe(host, ['--', images[which]], names[which], hasHealthcheck, settleMs, timeoutMs, undefined, awaitPorts);
        if (typeof seen !== 'string') options.seen?.set(key, seen);
      }
      const judged = judge(which, seen, 'the original image', observed.before);
      if ('outcome' in judged) return judged.outcome;
      observed[which] = judged.seen;
    }
    return compared(observed.before!, observed.after!, finalUser(options.after), 'the changed image builds and');
  } finally {
    for (const name of Object.values(names)) await docker(host, ['rm', '--force', '--volumes', name], { timeoutMs }).catch(() => undefined);
    for (const image of Object.values(images)) await docker(host, ['rmi', '--force', image], { timeoutMs }).catch(() => undefined);
  }
}

export interface ComposeVerifyOptions {
  host: string;
  /** The compose file: its folder and `.env` give paths and variables. */
  file: string;
  before: string;
  after: string;
  settleMs?: number;
  timeoutMs?: number;
  log?: (line: string) => void;
  /**
   * What earlier proofs of the same run saw, by how the container was run: the service as one fix
   * left it is the service before the next, and is not run again.
   */
  seen?: Map<string, ContainerObservation>;
  /**
   * The images built for services by earlier proofs of the same run, kept for the next one (a
   * build is not done again for each fix); the run removes them at its end (removeImages).
   * Without it, a proof removes what it built.
   */
  built?: Map<string, ServiceImage>;
  /** The services of compose text as compose runs them (with the files it reads before and after this one); the file's own services without it. */
  asRun?: (text: string) => Promise<ComposeModel>;
  /** The USER a changed service must run as when its own `user:` stays the same (its image's new USER). */
  expectUser?: string | null;
}

/** Remove images a run's proofs built (ComposeVerifyOptions.built). */
export async function removeImages(host: string, built: Map<string, ServiceImage>, timeoutMs = 120_000): Promise<void> {
  for (const image of built.values()) await docker(host, ['rmi', '--force', image.ref], { timeoutMs }).catch(() => undefined);
  built.clear();
}

/**
 * Run each service a compose change makes run differently, as it was and as it is now, and compare
 * the two as for a Dockerfile. The service's own image (built from its `build:` when it has no
 * image here); never pulled. Always cleans up containers, volumes and built images.
 */
export async function verifyComposeChange(options: ComposeVerifyOptions): Promise<VerifyOutcome> {
  const log = options.log ?? (() => undefined);
  const timeoutMs = options.timeoutMs ?? 120_000;
  const settleMs = options.settleMs ?? 3_000;
  const { host, file } = options;
  const { composeFromText } = await import('../compose/model.js');
  const { serviceRun, dependenciesOf } = await import('../compose/run-args.js');
  const { dotEnvBeside } = await import('../compose/interpolate.js');
  const asRun = options.asRun ?? ((text: string) => composeFromText(text, file));
  const [was, now, vars] = await Promise.all([asRun(options.before), asRun(options.after), dotEnvBeside(file)]);
  const changed = now.services.filter((s) => JSON.stringify(was.service(s.name)?.value) !== JSON.stringify(s.value));
  const id = randomHex(6);
  const containers: string[] = [];
  const volumes: string[] = [];
  const networks: string[] = [];
  const built = options.built ?? new Map<string, ServiceImage>();
  const proven: string[] = [];
  const createVolumes = async (run: { volumes: { name: string }[] }) => {
    for (const volume of run.volumes) {
      volumes.push(volume.name);
      await docker(host, ['volume', 'create', '--', volume.name], { timeoutMs });
    }
  };
  try {
    for (const [n, service] of changed.entries()) {
      const old = was.service(service.name);
      if (!old) return { ok: false, unproven: true, reason: `it could not be proven: service ${service.name} is new, so there is nothing to compare it with` };
      const runs = {
        before: await serviceRun(old, file, vars, (k) => `docker-harden-verify-${id}-${n}-before-${k}`),
        after: await serviceRun(service, file, vars, (k) => `docker-harden-verify-${id}-${n}-after-${k}`),
      };
      // Two runs alike prove nothing of a change to what a proof leaves out or stands in for.
      if (JSON.stringify([old.image, old.build]) === JSON.stringify([service.image, service.build]) && sameRunHere(runShape(runs.before), runShape(runs.after))) {
        const keys = Object.keys({ ...old.value, ...service.value }).filter((k) => JSON.stringify(old.value[k]) !== JSON.stringify(service.value[k]));
        return {
          ok: false,
          unproven: true,
          reason: `it could not be proven: a proof runs service ${service.name} the same as it was and as changed, since what the change alters (${printable(keys.join(', '))}) is what a proof leaves out or stands in for (ports, networks, sockets such as the Docker socket, devices; your host folders and volumes are empty volumes there)`,
        };
      }
      // What it depends on starts first, as the file now has it, on a network of the proof's own
      // (internal: no way out), reached by its service name as in the stack.
      const deps = dependenciesOf(now, service);
      let network = ['--network=none'];
      if (deps.length > 0) {
        const net = `docker-harden-verify-${id}-${n}`;
        const made = await createNetwork(host, net, timeoutMs, log);
        if (made.exitCode !== 0) return { ok: false, unproven: true, reason: `it could not be proven: no network could be made for service ${service.name} and what it depends on: ${dockerError(made.stderr)}` };
        networks.push(net);
        log(`verify: service ${service.name}: starting ${deps.map((d) => d.service.name).join(', ')} first (depends_on, links), on a network of the proof's own with no way out`);
        for (const [k, dep] of deps.entries()) {
          const image = await serviceImage(host, dep.service, file, vars, `docker-harden-verify:${id}-${n}-dep${k}`, built, log, timeoutMs);
          if (!('identity' in image)) return image;
          const name = `docker-harden-verify-${id}-${n}-dep${k}`;
          const run = await serviceRun(dep.service, file, vars, (v) => `${name}-${v}`);
          await createVolumes(run);
          containers.push(name);
          const aliases = [dep.service.name, ...dep.aliases].map((a) => `--network-alias=${a}`);
          const started = await docker(host, ['run', '--detach', `--network=${net}`, ...aliases, '--pull=never', `--name=${name}`, ...run.options, '--', image.ref, ...run.command], { timeoutMs });
          const failed = started.exitCode !== 0 ? `it did not start: ${dockerError(started.stderr)}` : await dependencyReady(host, name, dep.condition, timeoutMs);
          if (failed) return { ok: false, unproven: true, reason: `it could not be proven: service ${dep.service.name}, which ${service.name} depends on, ${failed}` };
        }
        network = [`--network=${net}`, `--network-alias=${service.name}`];
      }
      const observed: Partial<Record<'before' | 'after', ContainerObservation>> = {};
      for (const which of ['before', 'after'] as const) {
        const settings = which === 'before' ? old : service;
        // A change may name another image (pinned by digest): each run takes its own.
        const image = await serviceImage(host, settings, file, vars, `docker-harden-verify:${id}-${n}-${which}`, built, log, timeoutMs);
        if (!('identity' in image)) return image;
        const run = runs[which];
        if (which === 'before') for (const note of run.notes) log(`verify: service ${service.name}: ${note}`);
        const key = JSON.stringify([image.identity, runShape(run).options, run.command, settleMs, deps.map((d) => d.service.name)]);
        let seen: ContainerObservation | string | undefined = which === 'before' ? options.seen?.get(key) : undefined;
        if (seen) {
          // Judged again below: an original that failed here proves nothing this time either.
          log(`verify: service ${service.name} as it was: as the previous proof saw it`);
        } else {
          await createVolumes(run);
          const name = `docker-harden-verify-${id}-${n}-${which}`;
          containers.push(name);
          log(`verify: running service ${service.name} ${which === 'before' ? 'as it was' : 'as changed'} (${deps.length > 0 ? 'with what it depends on, no way out' : 'network none'})`);
          const awaitPorts = await portsToAwait(host, which, image.ref, observed.before, timeoutMs);
          seen = await observe(host, [...run.options, '--', image.ref, ...run.command], name, null, settleMs, timeoutMs, network, awaitPorts);
          if (typeof seen !== 'string') options.seen?.set(key, seen);
          // Seen: the service as it was stops before it runs as changed, so the two never share what it depends on at once.
          if (which === 'before') await docker(host, ['rm', '--force', '--volumes', name], { timeoutMs }).catch(() => undefined);
        }
        const judged = judge(which, seen, `service ${service.name} as it was`, observed.before);
        if ('outcome' in judged) return which === 'after' ? { ...judged.outcome, reason: `service ${service.name}: ${judged.outcome.reason}` } : judged.outcome;
        observed[which] = judged.seen;
      }
      const outcome = compared(observed.before!, observed.after!, service.user !== old.user ? (service.user ?? null) : service.user ? null : (options.expectUser ?? null), `service ${service.name}`);
      if (!outcome.ok) return { ...outcome, reason: `service ${service.name}: ${outcome.reason}` };
      proven.push(outcome.reason);
    }
    return { ok: true, reason: proven.length > 0 ? proven.join('; ') : 'no service runs differently' };
  } finally {
    for (const name of containers) await docker(host, ['rm', '--force', '--volumes', name], { timeoutMs }).catch(() => undefined);
    for (const name of networks) await docker(host, ['network', 'rm', '--', name], { timeoutMs }).catch(() => undefined);
    for (const name of volumes) await docker(host, ['volume', 'rm', '--force', '--', name], { timeoutMs }).catch(() => undefined);
    if (!options.built) await removeImages(host, built, timeoutMs);
  }
}

/**
 * A Dockerfile change proven as the compose service that builds it runs it: both images built from
 * the Dockerfile's text, each run as that service (its command, environment, user, confinement,
 * and what it depends on started first). For an app that exits alone, without its database.
 */
export async function verifyDockerfileAsService(
  options: VerifyOptions & { composeFile: string; service: string; built?: Map<string, ServiceImage>; asRun?: ComposeVerifyOptions['asRun'] },
): Promise<VerifyOutcome> {
  const log = options.log ?? (() => undefined);
  const timeoutMs = options.timeoutMs ?? 120_000;
  const { host, composeFile, service } = options;
  const id = randomHex(6);
  const tags = { before: `docker-harden-verify:${id}-before`, after: `docker-harden-verify:${id}-after` };
  try {
    const bytes = await readLimited(composeFile, 'compose file', LIMITS.compose);
    if (bytes === null) return { ok: false, unproven: true, reason: `it could not be proven: ${composeFile}, which builds it, is gone` };
    const text = bytes.toString('utf8');
    // Built as compose builds it: the stage it names, with its build arguments.
    const [{ composeFromText }, { dotEnvBeside }] = await Promise.all([import('../compose/model.js'), import('../compose/interpolate.js')]);
    const [model, vars] = await Promise.all([(options.asRun ?? ((t: string) => composeFromText(t, composeFile)))(text), dotEnvBeside(composeFile)]);
    const build = model.service(service)?.build;
    const flags = composeBuildFlags(build, vars);
    for (const which of ['before', 'after'] as const) {
      log(`verify: building the image ${which} the change for service ${service} of ${composeFile}${buildShown(build)}`);
      const failed = await buildDockerfile(host, which, options[which], tags[which], options, flags);
      if (failed) return failed;
    }
    const { editService } = await import('../compose/edit.js');
    // The service as written, its image the one built here each time.
    let runs: { before: string; after: string };
    try {
      const as = (tag: string) => editService(text, service, [{ op: 'set', key: 'image', value: tag }, { op: 'delete', key: 'build' }], composeFile);
      runs = { before: as(tags.before), after: as(tags.after) };
    } catch (err) {
      return { ok: false, unproven: true, reason: `it could not be proven as service ${service} runs it: ${err instanceof Error ? err.message : String(err)}` };
    }
    const { settleMs, seen, built, asRun } = options;
    return await verifyComposeChange({ host, file: composeFile, before: runs.before, after: runs.after, settleMs, timeoutMs, log, seen, built, asRun, expectUser: finalUser(options.after) });
  } finally {
    for (const tag of Object.values(tags)) await docker(host, ['rmi', '--force', tag], { timeoutMs }).catch(() => undefined);
  }
}

/** A service's run with its per-proof volume names as their places (@0, @1): what two proofs of it share. */
function runShape(run: { options: string[]; command: string[]; volumes: { name: string }[] }): { options: string[]; command: string[] } {
  return { options: run.options.map((o) => run.volumes.reduce((t, v, k) => t.replace(v.name, `@${k}`), o)), command: run.command };
}

/**
 * Whether two runs of a service are the same here: the same options (in any order) and command,
 * where an empty volume standing in for a host folder that only one of them mounts counts as no
 * mount (nothing of the user's is in it either way).
 */
function sameRunHere(a: { options: string[]; command: string[] }, b: { options: string[]; command: string[] }): boolean {
  const target = (o: string) => /^--mount=.*(?:^|,)dst=([^,]+)/.exec(o)?.[1];
  const standIn = (o: string) => /^--mount=type=volume,dst=[^,]+$/.test(o);
  const shown = (own: string[], other: string[]) => {
    const targets = new Set(other.map(target));
    return own.filter((o) => !standIn(o) || targets.has(target(o))).sort();
  };
  return JSON.stringify([shown(a.options, b.options), a.command]) === JSON.stringify([shown(b.options, a.options), b.command]);
}

/** Wait, as compose does, for a started dependency: healthy, or exited with 0; null when ready, else why not. */
async function dependencyReady(host: string, name: string, condition: DependencyCondition, timeoutMs: number): Promise<string | null> {
  if (condition === 'service_started') return null;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await inspect(host, name, timeoutMs);
    if (!state) return 'could not be inspected';
    if (condition === 'service_healthy') {
      if (!state.Health) return 'has no healthcheck, and depends_on waits for it to be healthy';
      if (state.Health.Status === 'healthy') return null;
      if (state.Health.Status === 'unhealthy') return 'is unhealthy here, and depends_on waits for it to be healthy';
      if (!state.Running) return `exited with code ${state.ExitCode} before it was healthy`;
    } else if (!state.Running) {
      return state.ExitCode === 0 ? null : `exited with code ${state.ExitCode}, and depends_on waits for it to complete successfully`;
    }
    if (Date.now() > deadline) return `was not ${condition === 'service_healthy' ? 'healthy' : 'done'} within ${Math.round(timeoutMs / 1000)} s`;
    await new Promise((res) => setTimeout(res, 250));
  }
}

/** The image a proof runs a service from, and what tells two proofs' images the same. */
export interface ServiceImage {
  ref: string;
  identity: string;
}

/**
 * What `docker build` needs to build a service's image as compose builds it: the stage it names
 * (`target`) and its build arguments, with the variables .env or the environment set. An argument
 * is named on the command line and its value given in docker's environment, so a token is not
 * in the process list for every user to read; one without a value comes from this environment, as
 * with compose. Names docker itself reads (DOCKER_*) or no variable may hold go by value.
 */
export function composeBuildFlags(build: ComposeBuild | undefined, vars: ReadonlyMap<string, string>): BuildFlags {
  const out: BuildFlags = { flags: [], env: {} };
  if (!build) return out;
  if (build.target) out.flags.push(`--target=${interpolatedWhereKnown(build.target, vars)}`);
  for (const [name, raw] of build.args ?? []) {
    const value = raw === null ? null : interpolatedWhereKnown(raw, vars);
    if (value === null) out.flags.push(`--build-arg=${name}`);
    else if (/^DOCKER_/i.test(name) || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) out.flags.push(`--build-arg=${name}=${value}`);
    else {
      out.flags.push(`--build-arg=${name}`);
      out.env[name] = value;
    }
  }
  return out;
}

export interface BuildFlags {
  flags: string[];
  env: Record<string, string>;
}

/** The stage and the names of the build arguments a build is given, for the log: a value may be a secret. */
function buildShown(build: ComposeBuild | undefined): string {
  const parts = [...(build?.target ? [`stage ${build.target}`] : []), ...(build?.args?.length ? [`build arguments ${build.args.map(([n]) => n).join(', ')}`] : [])];
  return parts.length > 0 ? ` (${printable(parts.join('; '))})` : '';
}

/**
 * The image a service runs here: its `image:` when the daemon has it, else one
 * built from its `build:` as compose would (tagged `tag`; `built` keeps each build, once, for
 * removal). Never pulled: an image the daemon lacks leaves the change unproven.
 */
async function serviceImage(host: string, service: ComposeService, file: string, vars: ReadonlyMap<string, string>, tag: string, built: Map<string, ServiceImage>, log: (line: string) => void, timeoutMs: number): Promise<ServiceImage | VerifyOutcome> {
  const local = service.image ? await docker(host, ['image', 'inspect', '--format={{.Id}}', '--', service.image], { timeoutMs }) : null;
  if (service.image && local?.exitCode === 0) return { ref: service.image, identity: local.stdout.trim() };
  if (service.build) {
    const context = path.resolve(path.dirname(file), service.build.context);
    // What makes two builds the same is the folder and the Dockerfile's text (a fix of this run may
    // change it), not the image id, which differs for each build.
    const dockerfile = await readLimited(path.resolve(context, service.build.dockerfile ?? 'Dockerfile'), 'Dockerfile', LIMITS.dockerfile).catch(() => null);
    const { flags, env } = composeBuildFlags(service.build, vars);
    const key = `built from ${context} with ${service.build.dockerfile ?? 'Dockerfile'} ${dockerfile ? sha256(dockerfile) : randomHex(8)} ${sha256(JSON.stringify([flags, env]))}`;
    const known = built.get(key);
    if (known) return known;
    log(`verify: building the image of service ${service.name} from ${context}${buildShown(service.build)}`);
    const args = ['build', '--quiet', '--force-rm', `--tag=${tag}`, ...flags, ...(service.build.dockerfile ? [`--file=${path.resolve(context, service.build.dockerfile)}`] : []), '--', context];
    const build = await docker(host, args, { timeoutMs, env });
    if (build.exitCode !== 0) {
      return { ok: false, unproven: true, reason: `it could not be proven: the image of service ${service.name} does not build from ${context}${buildTail(build.stderr)}` };
    }
    const image = { ref: tag, identity: dockerfile ? key : build.stdout.trim() };
    built.set(key, image);
    return image;
  }
  const wanted = service.image ? printable(service.image) : '(none)';
  return { ok: false, unproven: true, reason: `it could not be proven: the image of service ${service.name}, ${wanted}, is not on this Docker daemon, and --verify does not pull: pull it (docker pull ${wanted}) and run fix again` };
}
