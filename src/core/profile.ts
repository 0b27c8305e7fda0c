/**
 * The progress profile: what was decided for each step of each target, and every applied change
 * with its backups and hashes (for undo). Human-readable JSON with a schema version, validated on
 * load; a corrupt or newer profile is reported and left untouched. One run at a time per state
 * directory, through a lock file.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StepId } from './step.js';
import { UserError, lineColumnAt } from './errors.js';
import { ensurePrivateDir, readNoFollow, untrustedFolder, writeFileAtomic, describeFsError, kindOf } from './change.js';
import { LockFile } from './lockfile.js';
import { firstError, schemaValidator } from './validators.js';
import { onSignalExit } from './signals.js';

/** A profile holds decisions and records, a few KB each: anything near this is not one we wrote. */
const MAX_PROFILE_BYTES = 16 * 1024 * 1024;

/**
 * 2: host decisions are filed per daemon (`host@<ID from docker info>`), and each applied record
 * that restarts dockerd names the daemon (`dockerd`). A schema 1 profile is read and migrated.
 */
export const PROFILE_SCHEMA_VERSION = 2;

export type DecisionStatus = 'done' | 'skipped' | 'later' | 'failed';

export interface Decision {
  status: DecisionStatus;
  at: string;
  reason?: string;
  proposal?: string;
  /** Ids of `applied` records made for this decision. */
  applied?: string[];
}

export interface AppliedFile {
  path: string;
  backup: string | null;
  beforeHash: string | null;
  afterHash: string;
}

/** The daemon a change was made on, how it was reached and restarted: undo uses the same. */
export interface DaemonRecord {
  endpoint: string;
  configPath?: string;
  /** The --restart-command given, or the service manager's command. */
  restartCommand?: string;
  /** `ID` from `docker info`. */
  id?: string;
}

export interface AppliedRecord {
  id: string;
  step: StepId;
  target: string;
  proposal: string;
  title?: string;
  at: string;
  daemon?: 'reload' | 'restart';
  dockerd?: DaemonRecord;
  undone?: string;
  /** The fix run or wizard session that made it: `undo --run` takes back a run's changes together. */
  run?: string;
  files: AppliedFile[];
  /** Folders the change made for its new files, deepest last: going back removes them when empty. */
  dirs?: string[];
  commands: string[][];
}

export interface Profile {
  schema: number;
  tool: 'docker-harden';
  profile?: string;
  updated?: string;
  /** target key -> step id -> decision */
  targets: Record<string, Partial<Record<StepId, Decision>>>;
  applied: AppliedRecord[];
  platform?: string;
}

export function emptyProfile(): Profile {
  return { schema: PROFILE_SCHEMA_VERSION, tool: 'docker-harden', targets: {}, applied: [] };
}

/** Where progress and backups live: --state-dir, $DOCKER_HARDEN_STATE_DIR, or a per-user default. */
export function defaultStateDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (env.DOCKER_HARDEN_STATE_DIR) return path.resolve(env.DOCKER_HARDEN_STATE_DIR);
  if (process.getuid?.() === 0) return '/var/lib/docker-harden';
  const base = env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'docker-harden');
}

async function validate(data: unknown): Promise<string | null> {
  const validator = await schemaValidator('profile');
  if (validator(data)) return null;
  return firstError(validator) ?? 'does not match the profile schema';
}

export class ProfileStore {
  readonly file: string;
  readonly backupDir: string;
  readonly lockFile: string;
  private readonly lockFileHandle: LockFile;
  private forgetCleanup?: () => void;
  /** The identity of the daemon this run reaches, once known: older host decisions move under it. */
  hostId?: string;

  constructor(readonly stateDir: string) {
    this.file = path.join(stateDir, 'profile.json');
    this.backupDir = path.join(stateDir, 'backups');
    this.lockFile = path.join(stateDir, 'lock');
    this.lockFileHandle = new LockFile(
      this.lockFile,
      (pid) => new UserError(`another docker-harden run (pid ${pid}) is using this state directory`, 'Wait for it to finish, or pass another --state-dir.', this.stateDir),
    );
  }

  /** Load the profile; a missing one is empty. Corrupt or newer: UserError, file untouched. */
  async load(): Promise<Profile> {
    await verifyTrustedState(this.stateDir);
    const bytes = await readNoFollow(this.file, MAX_PROFILE_BYTES);
    if (bytes === null) return emptyProfile();
    const text = bytes.toString('utf8');
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      const { line, column } = await positionOfJsonError(text, err as Error);
      throw new UserError(
        'the progress profile is not valid JSON; it was left untouched',
        `Fix or move it away to start afresh (your backups in ${this.backupDir} are kept).`,
        this.file,
        line,
        column,
      );
    }
    const schema = (data as { schema?: unknown })?.schema;
    if (typeof schema === 'number' && schema > PROFILE_SCHEMA_VERSION) {
      throw new UserError(
        `the progress profile has schema ${schema}, newer than this docker-harden understands (${PROFILE_SCHEMA_VERSION}); it was left untouched`,
        'Upgrade docker-harden, or pass another --state-dir.',
        this.file,
      );
    }
    const problem = await validate(data);
    if (problem) {
      throw new UserError(`the progress profile is not valid: ${problem}; it was left untouched`, 'Fix or move it away to start afresh.', this.file);
    }
    return migrate(data as Profile, this.hostId);
  }

  async save(profile: Profile): Promise<void> {
    // Verified before it is made: a folder is never made through a link another account may move.
    await verifyTrustedState(this.stateDir);
    await ensurePrivateDir(this.stateDir);
    profile.updated = new Date().toISOString();
    await writeFileAtomic(this.file, JSON.stringify(profile, null, 2) + '\n', 0o600, undefined, { ownState: true });
  }

  /**
   * Take the state directory for this run. A second run waits up to `waitMs`, then says who holds
   * it. A lock left by a run that is gone (its pid ended, or now names a process started later) is
   * taken over.
   */
  async lock(waitMs = 0): Promise<void> {
    await verifyTrustedState(this.stateDir);
    await ensurePrivateDir(this.stateDir);
    await this.lockFileHandle.acquire(waitMs);
    this.forgetCleanup = onSignalExit(() => this.unlock());
  }

  async unlock(): Promise<void> {
    this.forgetCleanup?.();
    await this.lockFileHandle.release();
  }
}

/**
 * The state directory is trusted only when it and every file in it belong to the running user and
 * nobody else may write them: a profile or backup swapped by another account would make undo write
 * what that account chose. Anything else stops the run (exit 2) naming the path, owner and mode.
 */
export async function verifyTrustedState(stateDir: string): Promise<void> {
  const uid = process.getuid?.();
  if (uid === undefined) return;
  const check = async (file: string, expect: 'dir' | 'file' | 'any') => {
    const info = await fs.lstat(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw describeFsError(err, file, 'read');
    });
    if (!info) return null;
    const wrongKind = expect === 'dir' ? !info.isDirectory() : expect === 'file' ? !info.isFile() : !info.isFile() && !info.isDirectory();
    if (wrongKind) {
      throw new UserError(`is a ${info.isFile() ? 'regular file' : kindOf(info)}, where docker-harden keeps its ${expect === 'dir' ? 'directory' : 'files'}; nothing was read or changed`, 'Remove it, or pass another --state-dir.', file);
    }
    const mode = `0${(info.mode & 0o7777).toString(8)}`;
    if (info.uid !== uid || (info.mode & 0o022) !== 0) {
      throw new UserError(
        `is owned by uid ${info.uid} with mode ${mode}; docker-harden trusts state only when the running user (uid ${uid}) owns it and nobody else can write it, so nothing was read or changed`,
        `Find out who made it. If it is yours, \`chown ${uid} ${file}\` and \`chmod go-w ${file}\`; otherwise move it away or pass another --state-dir.`,
        file,
      );
    }
    return info;
  };
  await verifyTrustedFolders(path.dirname(path.resolve(stateDir)));
  if (!(await check(stateDir, 'dir'))) return;
  for (const name of await fs.readdir(stateDir)) {
    const full = path.join(stateDir, name);
    const info = await check(full, name === 'backups' ? 'dir' : name === 'profile.json' || name.startsWith('lock') ? 'file' : 'any');
    if (name === 'backups' && info) {
      for (const backup of await fs.readdir(full)) await check(path.join(full, backup), 'file');
    }
  }
}

/** Refuse a state directory in a folder another account could change: see untrustedFolder. */
async function verifyTrustedFolders(dir: string): Promise<void> {
  const bad = await untrustedFolder(dir);
  if (bad) {
    throw new UserError(
      bad.link
        ? `is a symbolic link owned by uid ${bad.uid} on the way to docker-harden's state directory: that account could point it at state of its own, so nothing was read or changed`
        : `holds docker-harden's state directory, but is owned by uid ${bad.uid} with mode ${bad.mode}: another account could swap the state for its own, so nothing was read or changed`,
      'Keep the state directory in folders only root or you can change (the default under /var/lib or your home is), or pass another --state-dir.',
      bad.folder,
    );
  }
}

/**
 * Line and column (1-based) of a JSON.parse error: from its "position N" message, or, when the
 * message carries no position, from a parser that reports offsets.
 */
export async function positionOfJsonError(text: string, err: Error): Promise<{ line?: number; column?: number }> {
  const match = /position (\d+)/.exec(err.message);
  if (match) return lineColumnAt(text, Number(match[1]));
  const lc = /line (\d+) column (\d+)/.exec(err.message);
  if (lc) return { line: Number(lc[1]), column: Number(lc[2]) };
  const errors: { offset: number }[] = [];
  (await import('jsonc-parser')).parse(text, errors as never, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  return errors[0] ? lineColumnAt(text, errors[0].offset) : {};
}

/** The key a target is filed under in the profile: a host by its daemon's identity when known. */
export function targetKey(target: { kind: string; path?: string; daemonId?: string }): string {
  if (target.kind === 'host') return target.daemonId ? `host@${target.daemonId}` : 'host';
  return `${target.kind}:${path.resolve(target.path ?? '')}`;
}

/**
 * Bring an older profile up to this schema. Schema 1 kept one set of host decisions under "host",
 * for whatever daemon was reached then: they are filed under the daemon this run reaches, when it
 * has none of its own yet. Records are kept as they are (without a daemon, undo asks for one).
 */
export function migrate(profile: Profile, hostId?: string): Profile {
  if (hostId && profile.targets.host) {
    const key = `host@${hostId}`;
    if (!profile.targets[key]) profile.targets[key] = profile.targets.host;
    delete profile.targets.host;
    for (const record of profile.applied) if (record.target === 'host') record.target = key;
  }
  profile.schema = PROFILE_SCHEMA_VERSION;
  return profile;
}

export function newAppliedId(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
