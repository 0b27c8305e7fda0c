/**
 * The progress profile: what was decided for each step of each target, and every applied change
 * with its backups and hashes (for undo). Human-readable JSON with a schema version, validated on
 * load; a corrupt or newer profile is reported and left untouched. One run at a time per state
 * directory, through a lock file.
 */
import { promises as fs, constants as fsc, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ValidateFunction } from 'ajv';
import type { StepId } from './step.js';
import { UserError, lineColumnAt } from './errors.js';
import { packageRoot } from './paths.js';
import { ensurePrivateDir, readNoFollow, writeFileAtomic, describeFsError } from './change.js';

export const PROFILE_SCHEMA_VERSION = 1;

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

export interface AppliedRecord {
  id: string;
  step: StepId;
  target: string;
  proposal: string;
  title?: string;
  at: string;
  daemon?: 'reload' | 'restart';
  undone?: string;
  files: AppliedFile[];
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

let validator: ValidateFunction | undefined;
/** ajv is loaded only when a profile is read: the check path does not need it. */
async function validate(data: unknown): Promise<string | null> {
  if (!validator) {
    const text = readFileSync(path.join(packageRoot(), 'profiles', 'profile.schema.json'), 'utf8');
    const { Ajv } = await import('ajv');
    validator = new Ajv({ allErrors: false, strict: false }).compile(JSON.parse(text));
  }
  if (validator(data)) return null;
  const err = validator.errors?.[0];
  return err ? `${err.instancePath || '(top level)'} ${err.message}` : 'does not match the profile schema';
}

export class ProfileStore {
  readonly file: string;
  readonly backupDir: string;
  readonly lockFile: string;
  private locked = false;

  constructor(readonly stateDir: string) {
    this.file = path.join(stateDir, 'profile.json');
    this.backupDir = path.join(stateDir, 'backups');
    this.lockFile = path.join(stateDir, 'lock');
  }

  /** Load the profile; a missing one is empty. Corrupt or newer: UserError, file untouched. */
  async load(): Promise<Profile> {
    const bytes = await readNoFollow(this.file);
    if (bytes === null) return emptyProfile();
    const text = bytes.toString('utf8');
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      let { line, column } = positionOfJsonError(text, err as Error);
      if (line === undefined) {
        // Some JSON.parse messages carry no position: ask a parser that reports offsets.
        const errors: { offset: number }[] = [];
        (await import('jsonc-parser')).parse(text, errors as never, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
        if (errors[0]) ({ line, column } = lineColumnAt(text, errors[0].offset));
      }
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
    return data as Profile;
  }

  async save(profile: Profile): Promise<void> {
    await ensurePrivateDir(this.stateDir);
    profile.updated = new Date().toISOString();
    await writeFileAtomic(this.file, JSON.stringify(profile, null, 2) + '\n', 0o600);
  }

  /**
   * Take the state directory for this run. A second run waits up to `waitMs`, then says who holds
   * it. A lock left by a process that no longer exists is taken over.
   */
  async lock(waitMs = 0): Promise<void> {
    await ensurePrivateDir(this.stateDir);
    const deadline = Date.now() + waitMs;
    for (;;) {
      if (await this.tryCreateLock()) {
        this.locked = true;
        return;
      }
      const seen = await this.readLock();
      const holder = Number(seen.trim());
      if (!Number.isInteger(holder) || holder <= 0 || !processAlive(holder)) {
        await this.takeOverStale(seen);
        continue;
      }
      if (Date.now() >= deadline) {
        throw new UserError(
          `another docker-harden run (pid ${holder}) is using this state directory`,
          'Wait for it to finish, or pass another --state-dir.',
          this.stateDir,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /**
   * Create the lock file with our pid already in it: written to a temp file, then hard-linked into
   * place (link fails if the lock exists and never follows a link), so no reader sees it empty.
   */
  private async tryCreateLock(): Promise<boolean> {
    const temp = `${this.lockFile}.${process.pid}.${Math.random().toString(36).slice(2, 8)}`;
    try {
      const handle = await fs.open(temp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
      try {
        await handle.writeFile(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      await fs.link(temp, this.lockFile);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw describeFsError(err, this.lockFile, 'create the lock');
    } finally {
      await fs.unlink(temp).catch(() => undefined);
    }
  }

  private async readLock(): Promise<string> {
    try {
      return (await readNoFollow(this.lockFile))?.toString('utf8') ?? '';
    } catch {
      return ''; // a symbolic link: not a lock any run of ours made
    }
  }

  /**
   * Remove a lock left by a run that is gone. Runs racing to do so take turns through a second,
   * short-lived lock and remove it only if it still holds what they saw: otherwise one of them
   * could remove the fresh lock another has just taken.
   */
  private async takeOverStale(seen: string): Promise<void> {
    const guard = `${this.lockFile}.takeover`;
    let handle;
    try {
      handle = await fs.open(guard, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw describeFsError(err, guard, 'create the lock');
      // A guard older than a few seconds belongs to a run killed while holding it.
      const info = await fs.lstat(guard).catch(() => null);
      if (info && Date.now() - info.mtimeMs > 5_000) await fs.unlink(guard).catch(() => undefined);
      else await new Promise((r) => setTimeout(r, 20));
      return;
    }
    try {
      if ((await this.readLock()) === seen) await fs.unlink(this.lockFile).catch(() => undefined);
    } finally {
      await handle.close();
      await fs.unlink(guard).catch(() => undefined);
    }
  }

  async unlock(): Promise<void> {
    if (!this.locked) return;
    this.locked = false;
    await fs.unlink(this.lockFile).catch(() => undefined);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Line and column (1-based) of a JSON.parse error, from its "position N" message. */
export function positionOfJsonError(text: string, err: Error): { line?: number; column?: number } {
  const match = /position (\d+)/.exec(err.message);
  if (!match) {
    const lc = /line (\d+) column (\d+)/.exec(err.message);
    return lc ? { line: Number(lc[1]), column: Number(lc[2]) } : {};
  }
  return lineColumnAt(text, Number(match[1]));
}


/** The key a target is filed under in the profile. */
export function targetKey(target: { kind: string; path?: string }): string {
  return target.kind === 'host' ? 'host' : `${target.kind}:${path.resolve(target.path ?? '')}`;
}

export function newAppliedId(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
