/**
 * One temporary folder for the whole test run, removed at its end: every test, worker and program
 * the tests start makes its temporary files under it (TMPDIR), so no run leaves files in /tmp.
 */
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dht-'));
  // As /tmp is: tests run programs as other users (nobody, a remapped root) that must reach their files.
  chmodSync(dir, 0o1777);
  process.env.TMPDIR = dir;
  return () => {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch (err) {
      // Something a test left mounted or running: name it, rather than hide it.
      console.error(`could not remove the test run's temporary folder ${dir} (${(err as Error).message}); left: ${readdirSync(dir).join(', ')}`);
    }
  };
}
