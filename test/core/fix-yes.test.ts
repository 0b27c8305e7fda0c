/**
 * `fix --yes` on real files through the built CLI: a new file gets its folders (inside the target's
 * folder only), a proposal that cannot be applied is reported and the run goes on, advice is shown
 * and never written, and one run reaches the fixed point: a second changes nothing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, runCli } from '../helpers/cli.js';
import { putBackSaid } from '../../src/app/batch.js';

// No daemon: the host facts fail fast and the real dockerd (if any) is never asked.
const env = { DOCKER_HOST: 'unix:///nonexistent/docker.sock', PATH: '/usr/bin:/bin' };

/** Every file under `dir` (but the state directory) with its content. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = path.join(d, name);
      if (name === 'state') continue;
      const info = statSync(full);
      if (info.isDirectory()) walk(full);
      else out[path.relative(dir, full)] = readFileSync(full, 'utf8');
    }
  };
  walk(dir);
  return out;
}

interface FixCase {
  name: string;
  dockerfile: string;
  /** Prepare the folder before the run. */
  setup?: (dir: string) => void;
  expect: {
    exit: number;
    /** Substrings of the Dockerfile after the run. */
    contains?: string[];
    /** The Dockerfile is left as it was. */
    unchanged?: boolean;
    /** Files that exist after the run (relative to the folder). */
    created?: string[];
    /** Substrings of the output. */
    says?: string[];
  };
  /** Extra flags for both runs (a user created here is a review change). */
  flags?: string[];
}

const cases: FixCase[] = [
  {
    name: 'a Debian app in a folder without .github: USER added, the workflow folder created',
    dockerfile: 'FROM debian:bookworm-slim\nCOPY app /app\nCMD ["/app/run"]\n',
    flags: ['--include-review'],
    expect: { exit: 1, contains: ['USER 10001:10001'], created: ['.github/workflows/docker-harden-scan.yml'], says: ['wrote'] },
  },
  {
    name: 'postgres: advice shown, the Dockerfile keeps its root entrypoint',
    dockerfile: 'FROM postgres:16\nCOPY init.sql /docker-entrypoint-initdb.d/\n',
    expect: { exit: 1, unchanged: true, created: ['.github/workflows/docker-harden-scan.yml'], says: ['risk advice', 'bitnami/postgresql'] },
  },
  {
    name: 'a gosu entrypoint: advice, no USER',
    dockerfile: 'FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y gosu\nENTRYPOINT ["gosu", "app", "/app/run"]\n',
    expect: { exit: 1, says: ['gosu switches from root'] },
  },
  {
    name: 'a proposal that cannot be applied (.github is a link) is reported and later steps still apply',
    dockerfile: 'FROM debian:bookworm-slim\nADD run.sh /run.sh\nCMD ["/run.sh"]\n',
    flags: ['--include-review'],
    setup: (dir) => {
      mkdirSync(path.join(dir, 'elsewhere'));
      symlinkSync(path.join(dir, 'elsewhere'), path.join(dir, '.github'));
    },
    expect: { exit: 1, contains: ['USER 10001:10001', 'COPY run.sh /run.sh'], says: ['not applied', 'symbolic link'] },
  },
];

describe('fix --yes runs to the end and reaches the fixed point', () => {
  beforeAll(() => ensureBuilt(), 300_000);

  it.each(cases)('$name', async (c) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-fix-yes-'));
    const file = path.join(dir, 'Dockerfile');
    writeFileSync(file, c.dockerfile);
    c.setup?.(dir);
    const state = path.join(dir, 'state');
    const first = await runCli(['fix', '--file', file, '--yes', ...(c.flags ?? []), '--state-dir', state], { env, timeoutMs: 120_000 });
    const out = first.stdout + first.stderr;
    expect(first.exitCode, out).toBe(c.expect.exit);
    const after = readFileSync(file, 'utf8');
    if (c.expect.unchanged) expect(after).toBe(c.dockerfile);
    for (const part of c.expect.contains ?? []) expect(after, out).toContain(part);
    for (const rel of c.expect.created ?? []) expect(existsSync(path.join(dir, rel)), `${rel}\n${out}`).toBe(true);
    for (const part of c.expect.says ?? []) expect(out).toContain(part);
    // Nothing is ever written outside the target's folder through the link.
    expect(existsSync(path.join(dir, 'elsewhere', 'workflows'))).toBe(false);

    const fixed = snapshot(dir);
    const second = await runCli(['fix', '--file', file, '--yes', ...(c.flags ?? []), '--state-dir', state], { env, timeoutMs: 120_000 });
    expect(second.exitCode, second.stdout).toBe(c.expect.exit);
    expect(second.stdout).not.toMatch(/^\s+wrote /m);
    expect(snapshot(dir)).toEqual(fixed);
  }, 300_000);

  it('exit 0 when everything proposed was applied and the checks pass', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-fix-yes-'));
    const file = path.join(dir, 'Dockerfile');
    writeFileSync(file, 'FROM node:20-slim\nCOPY --chown=node:node . /app\nCMD ["node", "/app/index.js"]\n');
    // The USER fix is review: named, it is applied.
    const r = await runCli(['fix', '--file', file, '--yes', '--state-dir', path.join(dir, 'state'), '--only', 'non-root-user:set-user'], { env, timeoutMs: 120_000 });
    expect(r.exitCode, r.stdout).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('USER node');
  }, 300_000);

  it('a review change waits for --include-review or its name in --only', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-fix-yes-'));
    const file = path.join(dir, 'Dockerfile');
    const text = 'FROM node:20-slim\nCOPY . /app\nEXPOSE 80\nCMD ["node", "/app/index.js"]\n';
    writeFileSync(file, text);
    const state = path.join(dir, 'state');
    const held = await runCli(['fix', '--file', file, '--yes', '--state-dir', state, '--only', 'non-root-user:set-user,dependency-scanning'], { env, timeoutMs: 120_000 });
    expect(readFileSync(file, 'utf8')).toContain('USER node');
    writeFileSync(file, text);
    const plain = await runCli(['fix', '--file', file, '--yes', '--state-dir', path.join(dir, 'state2')], { env, timeoutMs: 120_000 });
    expect(readFileSync(file, 'utf8')).not.toContain('USER node');
    expect(plain.stdout).toContain('not applied, risk review');
    expect(plain.stdout).toContain('apply it with --only non-root-user:set-user, or every review fix with --include-review');
    const included = await runCli(['fix', '--file', file, '--yes', '--include-review', '--state-dir', path.join(dir, 'state3')], { env, timeoutMs: 120_000 });
    expect(readFileSync(file, 'utf8'), included.stdout).toContain('USER node');
    expect(held.exitCode, held.stdout).toBe(0);
  }, 300_000);
});

describe("fix's last line: the fixes put back, by why", () => {
  it.each([
    [{ refused: 0, unproven: 0, failed: 0 }, ''],
    [{ refused: 1, unproven: 0, failed: 0 }, ', 1 put back (1 refused by its proof; why is above)'],
    [{ refused: 1, unproven: 3, failed: 0 }, ', 4 put back (1 refused by its proof, 3 could not be proven here; why is above)'],
    [{ refused: 0, unproven: 0, failed: 2 }, ', 2 put back (2 failed; why is above)'],
  ])('%j', (tally, said) => {
    expect(putBackSaid(tally)).toBe(said);
  });
});
