/**
 * The batch path stays light: `check --file F --json` must not load Ink, React or dockerode (nor
 * ajv, nor execa: read-only commands run through node's execFile), nor the wizard's modules or the
 * learn sandbox. Every module the real CLI resolves is recorded
 * by a loader hook (test/helpers/record-imports.mjs) in a child process.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { binPath, ensureBuilt, repoRoot } from '../helpers/cli.js';

beforeAll(async () => {
  await ensureBuilt();
}, 300_000);

async function importsOf(args: string[], env: Record<string, string> = {}): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-imports-'));
  try {
    const record = path.join(dir, 'imports.txt');
    writeFileSync(record, '');
    const r = await execa(process.execPath, ['--import', path.join(repoRoot, 'test', 'helpers', 'record-imports.mjs'), binPath, ...args], {
      reject: false,
      cwd: dir,
      env: { RECORD_IMPORTS_FILE: record, NO_COLOR: '1', DOCKER_HARDEN_STATE_DIR: path.join(dir, 'state'), ...env },
    });
    expect(r.exitCode, r.stderr).toBeLessThan(2);
    return readFileSync(record, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[0]!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const packageOf = (url: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? null;

describe('what the batch path loads', () => {
  it('check --file F --json: no ink, react, dockerode or ajv (no daemon socket here)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-imports-df-'));
    try {
      const dockerfile = path.join(dir, 'Dockerfile');
      writeFileSync(dockerfile, 'FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD ["node", "server.js"]\n');
      const packages = new Set((await importsOf(['check', '--file', dockerfile, '--json'], { DOCKER_HOST: `unix://${path.join(dir, 'no.sock')}` })).map(packageOf).filter(Boolean));
      // The recorder must see the parser, or it saw nothing at all.
      expect(packages).toContain('dockerfile-ast');
      for (const heavy of ['ink', 'react', 'ink-select-input', 'dockerode', 'docker-modem', 'ssh2', 'ajv', 'execa']) expect(packages, `${heavy} was loaded`).not.toContain(heavy);
      const own = (await importsOf(['check', '--file', dockerfile, '--json'], { DOCKER_HOST: `unix://${path.join(dir, 'no.sock')}` })).filter((u) => u.includes('/dist/'));
      expect(own.some((u) => u.endsWith('/dist/src/core/runner.js')), 'the recorder saw the engine').toBe(true);
      for (const module of ['/dist/src/ui/', '/dist/src/core/learn.js', '/dist/src/host/recorded.js']) expect(own.filter((u) => u.includes(module)), `${module} was loaded`).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('--version and steps load no dependency at all beyond the CLI', async () => {
    for (const args of [['--version'], ['steps', '--json']]) {
      const packages = new Set((await importsOf(args)).map(packageOf).filter(Boolean));
      for (const heavy of ['ink', 'react', 'dockerode', 'ajv', 'execa']) expect(packages, `${args.join(' ')} loaded ${heavy}`).not.toContain(heavy);
    }
  }, 60_000);
});
