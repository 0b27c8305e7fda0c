/**
 * Small file systems for fault tests: a tmpfs of a given size (no space left), remounted read-only,
 * and immutable files (chattr +i), which stop even root. Each is undone by its cleanup.
 */
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, lstatSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const isRoot = process.getuid?.() === 0;

/** Why a tmpfs cannot be mounted here, or null when it can (probed once). */
export const tmpfsUnavailable: string | null = await (async () => {
  if (!isRoot) return 'mounting a tmpfs needs root';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-probe-'));
  const r = await execa('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', dir], { reject: false });
  if (r.exitCode !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return `mount -t tmpfs failed: ${r.stderr}`;
  }
  await execa('umount', [dir], { reject: false });
  rmSync(dir, { recursive: true, force: true });
  return null;
})();
if (tmpfsUnavailable) console.warn(`[docker-harden tests] tmpfs fault tests skipped: ${tmpfsUnavailable}`);

/** Why chattr +i does not work on the temp file system, or null when it does. */
export const chattrUnavailable: string | null = await (async () => {
  if (!isRoot) return 'chattr +i needs root';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-probe-'));
  try {
    const file = path.join(dir, 'f');
    (await import('node:fs')).writeFileSync(file, 'x');
    const r = await execa('chattr', ['+i', file], { reject: false });
    if (r.exitCode !== 0) return `chattr +i is not supported on ${os.tmpdir()}: ${r.stderr || r.stdout}`;
    await execa('chattr', ['-i', file], { reject: false });
    return null;
  } catch (err) {
    return `chattr is not available: ${(err as Error).message}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();
if (chattrUnavailable) console.warn(`[docker-harden tests] immutable-file fault tests skipped: ${chattrUnavailable}`);

export interface Tmpfs {
  dir: string;
  readOnly(): Promise<void>;
  unmount(): Promise<void>;
}

export async function mountTmpfs(sizeKb: number): Promise<Tmpfs> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-tmpfs-'));
  await execa('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k,mode=0755`, 'tmpfs', dir]);
  return {
    dir,
    async readOnly() {
      await execa('mount', ['-o', 'remount,ro', dir]);
    },
    async unmount() {
      await execa('umount', [dir], { reject: false });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function chattr(flag: '+i' | '-i', file: string): Promise<void> {
  await execa('chattr', [flag, file]);
}

/**
 * Every entry under `dir` with its content hash, mode and link target: equal snapshots mean
 * nothing was created, removed, changed or re-moded.
 */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = path.join(d, name);
      const rel = path.relative(dir, full);
      const info = lstatSync(full);
      if (info.isSymbolicLink()) out[rel] = `link -> ${readlinkSync(full)}`;
      else if (info.isDirectory()) {
        out[rel + '/'] = `dir ${(info.mode & 0o7777).toString(8)}`;
        walk(full);
      } else if (info.isFile()) out[rel] = `${(info.mode & 0o7777).toString(8)} ${createHash('sha256').update(readFileSync(full)).digest('hex')}`;
      else out[rel] = `special ${(info.mode & 0o7777).toString(8)}`; // a FIFO or device: reading it could block
    }
  };
  walk(dir);
  return out;
}
