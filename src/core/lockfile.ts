/**
 * Lock files: the state directory's lock and the short per-target lock around a write. A lock
 * holds its holder's pid and process start time (field 22 of /proc/PID/stat), so a lock left by a
 * run that is gone is taken over even when its pid now belongs to another process.
 */
import { promises as fs, constants as fsc, readFileSync } from 'node:fs';
import { UserError } from './errors.js';
import { describeFsError, readNoFollow } from './change.js';
import { safeLine } from './sanitize.js';

/** A lock file is a line or two: anything longer was not made by us. */
const MAX_LOCK_BYTES = 4096;

/** A lock as ownLockText writes it: the pid, then its start time, or `?` where /proc could not tell. */
const OWN_LOCK = /^[1-9]\d* (\d+|\?)\n$/;

/** Something in a lock's place that no docker-harden run made: refused at once, never waited on or removed. */
export class ForeignLockError extends UserError {}

/** The start time of a process in clock ticks since boot (/proc/PID/stat field 22), or null. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces or ")": count from the last ")".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = fields[19]; // field 22 is the 20th after "pid (comm)"
    return start !== undefined && /^\d+$/.test(start) ? start : null;
  } catch {
    return null;
  }
}

export function ownLockText(): string {
  return `${process.pid} ${processStartTime(process.pid) ?? '?'}\n`;
}

/** Who a lock's text (as ownLockText writes it) names, when that process still runs; null when it is gone. */
export function lockHolder(text: string): number | null {
  const [pidText, start] = text.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return null;
  }
  // A pid alone proves nothing after a reboot or pid reuse: the start time must match too. A lock
  // whose holder could not read its own (`?`) is trusted while that pid runs.
  const now = processStartTime(pid);
  if (start && start !== '?' && now !== null && now !== start) return null;
  return pid;
}

export class LockFile {
  private held = false;

  constructor(
    readonly file: string,
    /** What the lock guards, for the message when another run holds it. */
    private readonly busy: (pid: number) => UserError,
    /** The path named when the lock cannot be made (the file it guards). */
    private readonly reportAs: string = file,
  ) {}

  /** Take the lock; a second run waits up to `waitMs`, then gets the `busy` error. */
  async acquire(waitMs = 0): Promise<void> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      if (await this.tryCreate()) {
        this.held = true;
        return;
      }
      const seen = await this.read();
      // Released between our attempt and this read: try again. An absent lock is never "taken
      // over": removing whatever is there by then could remove the lock another run has just made.
      if (seen === null) continue;
      // No run of ours wrote it, so its pid (if it has one) names no holder to wait for.
      if (!OWN_LOCK.test(seen)) throw this.notOurs(seen);
      const holder = lockHolder(seen);
      if (holder === null) {
        await this.takeOverStale(seen);
        continue;
      }
      if (Date.now() >= deadline) throw this.busy(holder);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    await fs.unlink(this.file).catch(() => undefined);
  }

  /**
   * Create the lock file with our identity already in it: written to a temp file, then hard-linked
   * into place (link fails if the lock exists and never follows a link), so no reader sees it empty.
   */
  private async tryCreate(): Promise<boolean> {
    const temp = `${this.file}.${process.pid}.${Math.random().toString(36).slice(2, 8)}`;
    try {
      const handle = await fs.open(temp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
      try {
        await handle.writeFile(ownLockText());
      } finally {
        await handle.close();
      }
      await fs.link(temp, this.file);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw describeFsError(err, this.reportAs, this.reportAs === this.file ? 'create the lock' : 'write');
    } finally {
      await fs.unlink(temp).catch(() => undefined);
    }
  }

  /** The lock's text; null when there is no lock file. */
  private async read(): Promise<string | null> {
    try {
      return (await readNoFollow(this.file, MAX_LOCK_BYTES))?.toString('utf8') ?? null;
    } catch (err) {
      // A link, FIFO or oversized file in the lock's place: not a lock any run of ours made.
      if (err instanceof UserError) throw new ForeignLockError(`${err.message}; it is not a docker-harden lock`, 'Remove it, then run again.', this.file);
      return '';
    }
  }

  /** The refusal of a lock file that holds what no run of ours writes: what it holds, shown safely and cut short. */
  private notOurs(seen: string): ForeignLockError {
    const text = seen.replace(/\r?\n$/, '');
    const holds = text === '' ? 'it is empty' : `it holds "${safeLine(text.length > 60 ? `${text.slice(0, 60)}...` : text)}"`;
    return new ForeignLockError(
      `is not a docker-harden lock: ${holds}, where docker-harden writes its pid and start time; nothing was done`,
      'If no docker-harden is running, remove this file, then run again.',
      this.file,
    );
  }

  /**
   * Remove a lock left by a run that is gone. Runs racing to do so take turns through a second,
   * short-lived lock and remove it only if it is still there holding what they saw: a new lock
   * can only be made once it is gone, so the one removed is the stale one.
   */
  private async takeOverStale(seen: string): Promise<void> {
    const guard = `${this.file}.takeover`;
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
      if ((await this.read()) === seen) await fs.unlink(this.file).catch(() => undefined);
    } finally {
      await handle.close();
      await fs.unlink(guard).catch(() => undefined);
    }
  }
}
