/**
 * Which dockerd serves an endpoint, and whether docker-harden may believe what its command line
 * says. Any user can start a process named `dockerd` whose arguments claim a socket and a
 * `--config-file`; root acting on that file would write where that user chose. So the daemon of
 * a unix socket is the process that holds the listening socket (its inode in /proc/net/unix,
 * found among the process's open descriptors), and it is trusted only when it runs as root (or
 * as the user running docker-harden, for a rootless daemon) from a root-owned executable that
 * no one else can write. What cannot be verified is not used.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Probe } from '../core/probe.js';
import { untrustedFolder } from '../core/change.js';
import { UserError } from '../core/errors.js';
import { normalizeSocketPath } from './endpoints.js';

/** __SO_ACCEPTCON in /proc/net/unix Flags: the socket listens. */
const SO_ACCEPTCON = 0x10000;

/** Inodes of the listening unix sockets bound at `socketPath` (as the kernel reports the path). */
export async function listeningSocketInodes(probe: Probe, socketPath: string): Promise<Set<string>> {
  const want = normalizeSocketPath(socketPath);
  const table = (await probe.readText('/proc/net/unix')) ?? '';
  const inodes = new Set<string>();
  for (const line of table.split('\n').slice(1)) {
    // Num RefCount Protocol Flags Type St Inode Path
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8) continue;
    const flags = parseInt(fields[3]!, 16);
    if (!(flags & SO_ACCEPTCON)) continue;
    if (normalizeSocketPath(fields.slice(7).join(' ')) === want) inodes.add(fields[6]!);
  }
  return inodes;
}

/** Pids of processes named dockerd, in pid order. */
export async function dockerdPids(probe: Probe): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await probe.list('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    if ((await probe.readText(`/proc/${name}/comm`))?.trim() === 'dockerd') pids.push(Number(name));
  }
  return pids.sort((a, b) => a - b);
}

/** The first of `pids` with one of `inodes` among its open descriptors, or null. */
export async function holderOf(probe: Probe, pids: number[], inodes: Set<string>): Promise<number | null> {
  if (!probe.readLink || inodes.size === 0) return null;
  const targets = new Set([...inodes].map((i) => `socket:[${i}]`));
  for (const pid of pids) {
    for (const fd of await probe.list(`/proc/${pid}/fd`)) {
      const target = await probe.readLink(`/proc/${pid}/fd/${fd}`);
      if (target && targets.has(target)) return pid;
    }
  }
  return null;
}

/** Real, effective, saved and filesystem uids of a process, or null. */
async function uidsOf(probe: Probe, pid: number): Promise<number[] | null> {
  const status = await probe.readText(`/proc/${pid}/status`);
  const m = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(status ?? '');
  return m ? m.slice(1, 5).map(Number) : null;
}

/**
 * Why the process `pid` is not a daemon docker-harden may believe, or null when it is: it runs
 * as root (or as `self`, the user running docker-harden) in every uid, from an executable owned
 * by root that group and others cannot write.
 */
export async function untrustedDaemon(probe: Probe, pid: number, self: number): Promise<string | null> {
  const uids = await uidsOf(probe, pid);
  if (!uids) return `cannot read /proc/${pid}/status`;
  if (!uids.every((u) => u === 0) && !uids.every((u) => u === self)) return `pid ${pid} runs as uid ${uids[0]}, neither root nor the user running docker-harden`;
  if (!probe.readLink) return null;
  const exe = await probe.readLink(`/proc/${pid}/exe`);
  if (!exe) return `cannot see the executable of pid ${pid}`;
  if (exe.endsWith(' (deleted)')) return `the executable of pid ${pid} (${exe}) was removed or replaced since it started; restart dockerd`;
  const info = await probe.stat(exe);
  if (!info || !info.isFile) return `the executable of pid ${pid} (${exe}) is not a regular file`;
  if (info.uid !== 0) return `the executable of pid ${pid} (${exe}) is owned by uid ${info.uid}, not root`;
  if (info.mode & 0o022) return `the executable of pid ${pid} (${exe}) can be written by its group or others (mode ${(info.mode & 0o777).toString(8)})`;
  return null;
}

/**
 * Why the daemon answering at the unix socket `socket` is not to be believed, or null. Only the
 * process that bound a socket file owns it (dockerd as root, or the user's own rootless daemon),
 * and only where no other account could put another in its place: a socket another account owns,
 * or in a folder (or behind a link) it may change, answers for that account, whatever it claims.
 * Checked on the file, not on /proc: a socket bound in another network namespace is not listed
 * there, and its holder cannot be found.
 */
export async function untrustedSocket(socket: string, self: number): Promise<UserError | null> {
  const real = await fs.realpath(socket).catch(() => socket);
  for (const dir of new Set([path.dirname(path.resolve(socket)), path.dirname(real)])) {
    const bad = await untrustedFolder(dir);
    if (bad) {
      return new UserError(
        bad.link
          ? `is reached through ${bad.folder}, a symbolic link owned by uid ${bad.uid}: that account could point it at a socket of its own, so docker-harden does not act on what answers there`
          : `is in ${bad.folder}, owned by uid ${bad.uid} with mode ${bad.mode}: another account could put a socket of its own there, so docker-harden does not act on what answers there`,
        'Point --docker-host (or DOCKER_HOST) at the socket of the daemon to harden: root\'s is unix:///var/run/docker.sock.',
        socket,
      );
    }
  }
  for (const [file, info] of [
    [socket, await fs.lstat(socket).catch(() => null)],
    [real, await fs.stat(socket).catch(() => null)],
  ] as const) {
    if (!info || info.uid === 0 || info.uid === self) continue;
    return new UserError(
      `${file === socket ? '' : `leads to ${file}, which `}is owned by uid ${info.uid}, neither root nor you (uid ${self}): what answers there is that account's (its rootless daemon, or a program posing as dockerd), so docker-harden does not act on what it says`,
      `Point --docker-host (or DOCKER_HOST) at the socket of the daemon to harden: root's is unix:///var/run/docker.sock. For another account's rootless daemon, run docker-harden as that account (sudo -u '#${info.uid}' docker-harden ...).`,
      socket,
    );
  }
  return null;
}
