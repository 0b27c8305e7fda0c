/**
 * The learn sandbox: example files with real problems (profiles/learn/) copied into a directory of
 * their own, and a recorded server to run the host steps against. Every target, the profile, the
 * backups and every write of a fix stay inside the sandbox; no Docker daemon is needed and no
 * command runs. A fix meant for a host file (a systemd drop-in, /etc/environment) is written to
 * the sandbox's copy of that file under `host/`.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HostFacts } from '../host/facts.js';
import type { Probe } from './probe.js';
import type { DaemonControl } from './runner.js';
import type { Proposal } from './step.js';
import { UserError, formatError } from './errors.js';
import { packageRoot } from './paths.js';
import { ensurePrivateDir, untrustedFolder } from './change.js';
import { SandboxPaths, materializeHost, recordedDaemonControl, recordedHost, recordedProbe, type HostPicture, type RecordedHost } from '../host/recorded.js';

/** Marks a directory as a learn sandbox, so a second run resumes it instead of refusing it. */
export const SANDBOX_MARKER = '.docker-harden-learn';
/** The progress profile and backups, inside the sandbox. */
export const SANDBOX_STATE_DIR = '.docker-harden';
export const SANDBOX_FILES = { daemonConfig: 'daemon.json', dockerfile: 'Dockerfile', compose: 'compose.yaml', picture: 'host.json' } as const;

/** The session options of a sandbox (src/app adds the step registry). */
export interface SandboxSessionOptions {
  host: boolean;
  files: string[];
  composeFiles: string[];
  profile: string;
  learn: boolean;
  stateDir: string;
  daemonConfig: string;
  env: Record<string, string | undefined>;
  hostFacts: HostFacts;
  probe: Probe;
  daemon: DaemonControl;
  beforeWrite: (proposal: Proposal) => Promise<void>;
  /** Undo in the sandbox writes only inside it. */
  confineTo: string;
}

export interface LearnSandbox {
  dir: string;
  /** False when an existing sandbox was resumed. */
  created: boolean;
  /** The session of the sandbox; the caller adds the step registry. */
  sessionOptions: SandboxSessionOptions;
  host: RecordedHost;
}

export interface PrepareOptions {
  /** The sandbox directory: created when missing, resumed when it is a sandbox, refused when it holds other files. Default: a new directory under the system temp dir. */
  dir?: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Lines about commands a fix would run on a real server. */
  log?: (line: string) => void;
}

export function learnTemplateDir(): string {
  return path.join(packageRoot(), 'profiles', 'learn');
}

async function isEmptyDir(dir: string): Promise<boolean | null> {
  try {
    const info = await fs.lstat(dir);
    if (!info.isDirectory()) return false;
    return (await fs.readdir(dir)).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Copy the template's regular files (recursively, never following a link) into `to`. */
async function copyTemplate(from: string, to: string): Promise<void> {
  for (const entry of await fs.readdir(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) {
      await fs.mkdir(target, { recursive: true });
      await copyTemplate(source, target);
    } else if (entry.isFile()) {
      await fs.writeFile(target, await fs.readFile(source), { flag: 'wx', mode: 0o644 });
    }
  }
}

async function createSandbox(dir: string): Promise<void> {
  await copyTemplate(learnTemplateDir(), dir);
  const picture = await readPicture(dir);
  await materializeHost(picture, sandboxPaths(dir, picture));
  await fs.writeFile(
    path.join(dir, SANDBOX_MARKER),
    JSON.stringify({ tool: 'docker-harden', sandbox: 'learn', created: new Date().toISOString() }, null, 2) + '\n',
    { flag: 'wx', mode: 0o644 },
  );
}

async function readPicture(dir: string): Promise<HostPicture> {
  const file = path.join(dir, SANDBOX_FILES.picture);
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as HostPicture;
  } catch (err) {
    throw new UserError(`the recorded host of this learn sandbox cannot be read: ${formatError(err)}`, 'Start a fresh sandbox: docker-harden learn (without --sandbox, or with a new directory).', file);
  }
}

function sandboxPaths(dir: string, picture: HostPicture): SandboxPaths {
  return new SandboxPaths(dir, path.join(dir, SANDBOX_FILES.daemonConfig), picture.daemonConfigPath, picture.links);
}

/**
 * Make (or resume) a learn sandbox and the session options that walk every step on it:
 * the recorded host for the host steps, the sandbox Dockerfile and compose file, the profile in
 * the sandbox, and a "restart" that re-reads the sandbox daemon.json.
 */
export async function prepareLearnSandbox(options: PrepareOptions): Promise<LearnSandbox> {
  let dir: string;
  let created = false;
  if (options.dir === undefined) {
    const base = options.env.TMPDIR || os.tmpdir();
    dir = await fs.mkdtemp(path.join(base, 'docker-harden-learn-'));
    await createSandbox(dir);
    created = true;
  } else {
    dir = path.resolve(options.dir);
    await refuseUntrustedSandbox(dir);
    const empty = await isEmptyDir(dir).catch((err) => {
      throw new UserError(`cannot use it as a learn sandbox: ${formatError(err)}`, 'Pass a new or empty directory with --sandbox.', dir);
    });
    if (empty === null || empty) {
      await fs.mkdir(dir, { recursive: true });
      await createSandbox(dir);
      created = true;
    } else if (!(await isSandbox(dir))) {
      throw new UserError(
        'is not empty and is not a docker-harden learn sandbox; nothing was copied into it',
        'Pass a new or empty directory with --sandbox, or leave --sandbox out for a fresh one under the temp directory.',
        dir,
      );
    }
  }
  // Resolve links in the sandbox's own path (/tmp -> /private/tmp), so "inside" means inside.
  dir = await fs.realpath(dir);
  const picture = await readPicture(dir);
  const stateDir = path.join(dir, SANDBOX_STATE_DIR);
  await ensurePrivateDir(stateDir);
  const daemonConfig = path.join(dir, SANDBOX_FILES.daemonConfig);
  const probe = recordedProbe(picture, sandboxPaths(dir, picture));
  const host = recordedHost(picture, { sandboxDir: dir, daemonConfigPath: daemonConfig, liveConfigPath: path.join(stateDir, 'recorded-daemon.json') }, probe);
  const sessionOptions: SandboxSessionOptions = {
    host: true,
    files: [path.join(dir, SANDBOX_FILES.dockerfile)],
    composeFiles: [path.join(dir, SANDBOX_FILES.compose)],
    profile: 'learn',
    learn: true,
    stateDir,
    daemonConfig,
    env: { ...picture.env },
    hostFacts: host,
    probe,
    daemon: recordedDaemonControl(host, options.log),
    beforeWrite: (proposal) => keepInsideSandbox(proposal, host),
    confineTo: dir,
  };
  return { dir, created, sessionOptions, host };
}

/**
 * A sandbox is copied and written only where no other account can put a link in its way: the
 * copy makes folders and files by name, and a link planted meanwhile (`host` pointing at /) would
 * take them onto the real system.
 */
async function refuseUntrustedSandbox(dir: string): Promise<void> {
  const bad = await untrustedFolder(dir);
  if (!bad) return;
  const where = bad.folder === dir ? 'it' : bad.folder;
  const what = bad.link ? `${where} is a symbolic link owned by uid ${bad.uid}` : `${where} is owned by uid ${bad.uid} with mode ${bad.mode}`;
  throw new UserError(
    `cannot be a learn sandbox: ${what}, so another account could put links in its way while docker-harden copies and writes there; nothing was copied`,
    'Pass a new directory in folders only root or you can change, or leave --sandbox out for a fresh one under the temp directory.',
    dir,
  );
}

async function isSandbox(dir: string): Promise<boolean> {
  try {
    return (await fs.lstat(path.join(dir, SANDBOX_MARKER))).isFile();
  } catch {
    return false;
  }
}

/**
 * Name the sandbox's copy in every change of these proposals (a fix for /etc/environment writes
 * `<sandbox>/host/etc/environment`), so the diff and the confirmation say what is really written.
 * A host without sandbox paths (not a recorded host) is left as it is.
 */
export function nameSandboxCopies(proposals: Proposal[], host: unknown): void {
  const paths = (host as Partial<RecordedHost> | undefined)?.paths;
  if (!(paths instanceof SandboxPaths)) return;
  for (const proposal of proposals) {
    for (const change of proposal.changes) {
      const copy = paths.toSandbox(change.path);
      if (paths.isInside(copy)) change.path = copy;
    }
  }
}

/**
 * What an outcome in the sandbox was: a change to the sandbox copy, and, when the fix runs
 * commands or restarts dockerd, a simulation of those (nothing ran). Never a bare "applied".
 */
export function sandboxOutcome(message: string, proposal: Pick<Proposal, 'commands' | 'daemon' | 'changes'>): string {
  const simulatedParts = [
    ...(proposal.commands.some((c) => c.run) ? ['no command ran'] : []),
    ...(proposal.daemon ? [`no dockerd ${proposal.daemon === 'restart' ? 'restarted' : 'reloaded'}, the recorded one re-read the sandbox daemon.json`] : []),
  ];
  const body = message
    .replace(/^applied, but/, proposal.changes.length > 0 ? 'the sandbox copy was written, but' : 'simulated, but')
    .replace(/^applied/, proposal.changes.length > 0 ? 'the sandbox copy was written' : 'nothing was written')
    .replace('the check now passes', 'the check of the sandbox now passes');
  return simulatedParts.length > 0 ? `simulated in the learn sandbox (${simulatedParts.join('; ')}): ${body}` : `in the learn sandbox: ${body}`;
}

/**
 * Point every change of a proposal at the sandbox: a host path (/etc/systemd/system/...) becomes
 * the sandbox's copy under `host/` (already named so by `nameSandboxCopies` when the proposal was
 * made); nothing outside the sandbox can be written.
 */
export async function keepInsideSandbox(proposal: Proposal, host: RecordedHost): Promise<void> {
  const root = await fs.realpath(host.paths.sandboxDir);
  for (const change of proposal.changes) {
    const target = host.paths.toSandbox(change.path);
    const parent = path.dirname(target);
    if (!host.paths.isInside(target)) {
      throw new UserError('would be written outside the learn sandbox; nothing was changed', 'The learn walkthrough only writes inside its sandbox directory.', change.path);
    }
    // A new file's folder (a drop-in directory, .github/workflows) is made inside the sandbox.
    await fs.mkdir(parent, { recursive: true });
    let realParent: string;
    try {
      realParent = await fs.realpath(parent);
    } catch {
      throw new UserError(`cannot be written in the learn sandbox: its folder does not exist`, undefined, change.path);
    }
    const rel = path.relative(root, realParent);
    if (rel.startsWith('..') || path.isAbsolute(rel)) {
      throw new UserError('would be written outside the learn sandbox; nothing was changed', 'The learn walkthrough only writes inside its sandbox directory.', change.path);
    }
    change.path = target;
  }
}
