/**
 * The real command line as a child process: `node bin/docker-harden.js` over the built `dist/`.
 * `ensureBuilt()` (for a beforeAll) runs `tsc` and the bundle when dist/ is missing or older than a source file.
 */
import { execa } from 'execa';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const binPath = path.join(repoRoot, 'bin', 'docker-harden.js');

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string;
  timeoutMs?: number;
}

/** Run docker-harden with `args`; never throws on a non-zero exit. No terminal: stdin is empty. */
export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const r = await execa(process.execPath, [binPath, ...args], {
    reject: false,
    cwd: options.cwd ?? repoRoot,
    input: options.input ?? '',
    env: { NO_COLOR: '1', ...options.env },
    timeout: options.timeoutMs ?? 60_000,
  });
  return { exitCode: typeof r.exitCode === 'number' ? r.exitCode : -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full));
    else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

let built: Promise<void> | undefined;

/**
 * Test files run in several workers, each may find dist/ stale: one build at a time (a lock
 * directory in dist/), or a CLI started after one build could load a file another tsc is
 * rewriting. A lock older than the build timeout was left by a killed run.
 */
async function withBuildLock(fn: () => Promise<void>): Promise<void> {
  const lock = path.join(repoRoot, 'dist', '.build-lock');
  mkdirSync(path.dirname(lock), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 320_000) rmSync(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Build dist/ (tsc, then the bundle bin/ loads) when it is missing or older than src/ or steps/. */
export function ensureBuilt(): Promise<void> {
  built ??= withBuildLock(async () => {
    const marker = path.join(repoRoot, 'dist', 'bundle', 'cli.js');
    const sources = Math.max(newestMtime(path.join(repoRoot, 'src')), newestMtime(path.join(repoRoot, 'steps')));
    if (existsSync(marker) && statSync(marker).mtimeMs >= sources) return;
    const r = await execa(process.execPath, [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
      cwd: repoRoot,
      reject: false,
      timeout: 300_000,
    });
    // tsc still emits on type errors; `npm test` fails on those separately (tsc --noEmit).
    if (r.exitCode !== 0 && !existsSync(path.join(repoRoot, 'dist', 'src', 'cli.js'))) throw new Error(`tsc failed:\n${r.stdout}\n${r.stderr}`);
    if (r.exitCode !== 0) console.warn(`[docker-harden tests] tsc reported errors; testing what it emitted:\n${String(r.stdout).slice(0, 2000)}`);
    const bundle = await execa(process.execPath, [path.join(repoRoot, 'node_modules', 'rolldown', 'bin', 'cli.mjs'), '-c', 'rolldown.config.js'], { cwd: repoRoot, reject: false, timeout: 300_000 });
    if (bundle.exitCode !== 0) throw new Error(`the bundle failed:\n${bundle.stdout}\n${bundle.stderr}`);
  });
  return built;
}
