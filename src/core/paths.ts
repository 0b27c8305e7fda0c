import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;
/** The package's own directory (holds profiles/), from the source tree or from dist/. */
export function packageRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) || !existsSync(path.join(dir, 'profiles'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('docker-harden: cannot find its own package directory');
    dir = up;
  }
  root = dir;
  return dir;
}

/** The repository `dir` is in: its first folder up holding `.git` (a folder, or a file in a worktree); null outside one. */
export function repositoryRoot(dir: string): string | null {
  for (let at = path.resolve(dir), depth = 0; depth < 64; depth++) {
    if (existsSync(path.join(at, '.git'))) return at;
    const up = path.dirname(at);
    if (up === at) return null;
    at = up;
  }
  return null;
}
