/**
 * Read-only access to the machine beyond the target: files such as /etc/environment or
 * /proc/net/tcp, directory listings, installed tools and read-only commands (version probes).
 * Steps read through a Probe so a test or the learn sandbox can hand them another world.
 */
import { accessSync, closeSync, constants as fsc, fstatSync, lstatSync, openSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { readLimitedSync } from './limits.js';
import { cachedUntilWrite } from './writes.js';

const whichOf = cachedUntilWrite<Probe, Promise<string | null>>();
const textOf = cachedUntilWrite<Probe, Promise<string | null>>();
const statOf = cachedUntilWrite<Probe, Promise<FileStat | null>>();
const bytesOf = cachedUntilWrite<Probe, Buffer | null>();
const namesOf = cachedUntilWrite<Probe, readonly string[]>();

/** Paths whose content changes by itself (processes, devices, runtime state): never cached. */
const LIVE_PATH = /^\/(proc|sys|dev|run)\//;

/** What a read-only command may print on each of stdout and stderr before it is stopped. */
const COMMAND_OUTPUT_LIMIT = 16 * 1024 * 1024;

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface FileStat {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
  isSocket: boolean;
}

export interface Probe {
  /** Text of a file, or null when it does not exist or cannot be read. */
  readText(file: string): Promise<string | null>;
  /** Names in a directory, or [] when it does not exist. */
  list(dir: string): Promise<string[]>;
  /** lstat of a path, or null when it does not exist. */
  stat(file: string): Promise<FileStat | null>;
  /**
   * The target of a symbolic link (such as /proc/PID/fd/N or /proc/PID/exe), or null. Optional:
   * a recorded world has no processes, and the daemon is then identified from its record alone.
   */
  readLink?(file: string): Promise<string | null>;
  /**
   * The bytes of a regular file of at most `limit` bytes, not through a symbolic link; null when
   * it is missing, larger, or not a plain file. Optional: a recorded world has text files only.
   */
  readBytes?(file: string, limit: number): Promise<Buffer | null>;
  /** Absolute path of an executable on PATH, or null. */
  which(name: string): Promise<string | null>;
  /** Run a read-only command (argument array, no shell) with a time bound. */
  run(argv: string[], options?: { timeoutMs?: number; cwd?: string }): Promise<CommandResult>;
  /** Numeric ids for user and group names, from /etc/passwd and /etc/group. */
  userId(name: string): Promise<number | null>;
  groupId(name: string): Promise<number | null>;
  groupMembers(name: string): Promise<string[]>;
}

const MAX_READ = 8 * 1024 * 1024;

export function systemProbe(env: Readonly<Record<string, string | undefined>> = process.env): Probe {
  // The file questions are answered with synchronous calls: each takes microseconds, while an
  // awaited fs promise waits its turn in libuv's thread pool. A check of many Dockerfiles asks
  // thousands of them (PATH lookups, CI files, parent folders) and spent most of its time waiting.
  const probe: Probe = {
    readText(file) {
      // A thousand Dockerfiles of one repository each ask for its dependabot.yml, CI files and
      // parent folders: inside a batch run they are read once until the run writes something.
      return LIVE_PATH.test(file) ? readTextNow(file) : textOf(probe, file, () => readTextNow(file));
    },
    async list(dir) {
      const read = () => {
        try {
          return readdirSync(dir).sort();
        } catch {
          return [];
        }
      };
      // A thousand Dockerfiles that `COPY . .` each look at their folder and the repository's root.
      return LIVE_PATH.test(dir) ? read() : [...namesOf(probe, dir, read)];
    },
    stat(file) {
      return LIVE_PATH.test(file) ? statNow(file) : statOf(probe, file, () => statNow(file));
    },
    async readLink(file) {
      try {
        return readlinkSync(file);
      } catch {
        return null;
      }
    },
    async readBytes(file, limit) {
      const read = () => {
        try {
          return readLimitedSync(file, 'git index', limit);
        } catch {
          return null;
        }
      };
      // A thousand Dockerfiles each look for an action.yml or a start script beside them, most in
      // folders shared with others: read once per run, as readText.
      return LIVE_PATH.test(file) ? read() : bytesOf(probe, `${limit}\0${file}`, read);
    },
    which(name) {
      // Asked once per run and name (a thousand Dockerfiles each ask for docker); a fix that
      // writes a file or runs a command (an install) starts a new run.
      return whichOf(probe, `${env.PATH ?? ''}\0${name}`, async () => findOnPath(env, name));
    },
    async run(argv, options = {}) {
      const [file, ...args] = argv;
      // node's execFile, not execa: a check that runs one read-only command (systemctl is-active)
      // would otherwise load execa's hundred modules, a fifth of `check --host`'s time. No shell
      // either way: the words go to the program as they are.
      const { execFile } = await import('node:child_process');
      return new Promise<CommandResult>((resolve) => {
        const child = execFile(
          file!,
          args,
          { timeout: options.timeoutMs ?? 15_000, killSignal: 'SIGKILL', cwd: options.cwd, env: env as Record<string, string>, maxBuffer: COMMAND_OUTPUT_LIMIT, encoding: 'utf8' },
          (err, stdout, stderr) => {
            // A program that could not start, was killed (the time limit) or said too much: 127, as a shell says.
            const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 127;
            resolve({ exitCode: code, stdout: String(stdout ?? ''), stderr: String(stderr ?? '') });
          },
        );
        child.stdin?.end();
      });
    },
    async userId(name) {
      return idFrom(await probe.readText('/etc/passwd'), name);
    },
    async groupId(name) {
      return idFrom(await probe.readText('/etc/group'), name);
    },
    async groupMembers(name) {
      const text = await probe.readText('/etc/group');
      const line = text?.split('\n').find((l) => l.split(':')[0] === name);
      return line ? (line.split(':')[3] ?? '').split(',').filter(Boolean) : [];
    },
  };
  return probe;
}

async function readTextNow(file: string): Promise<string | null> {
  let fd: number | undefined;
  try {
    fd = openSync(file, fsc.O_RDONLY | fsc.O_NONBLOCK);
    const info = fstatSync(fd);
    if (!info.isFile() && !file.startsWith('/proc/')) return null;
    if (info.size > MAX_READ) return null;
    return readFileSync(fd, 'utf8');
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

async function statNow(file: string): Promise<FileStat | null> {
  const s = lstatSync(file, { throwIfNoEntry: false });
  if (!s) return null;
  return {
    mode: s.mode & 0o7777,
    uid: s.uid,
    gid: s.gid,
    size: s.size,
    isFile: s.isFile(),
    isDirectory: s.isDirectory(),
    isSymlink: s.isSymbolicLink(),
    isSocket: s.isSocket(),
  };
}

function findOnPath(env: Readonly<Record<string, string | undefined>>, name: string): string | null {
  for (const dir of (env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      if (!statSync(candidate, { throwIfNoEntry: false })?.isFile()) continue;
      accessSync(candidate, fsc.X_OK);
      return candidate;
    } catch {
      /* not here */
    }
  }
  return null;
}

/** The numeric id of a name in /etc/passwd or /etc/group text. */
export function idFrom(text: string | null, name: string): number | null {
  if (!text) return null;
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields[0] === name && fields[2] !== undefined) return Number(fields[2]);
  }
  return null;
}
