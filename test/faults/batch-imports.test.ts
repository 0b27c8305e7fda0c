/**
 * The batch path stays light: `check --file F --json` must not load Ink, React or dockerode (nor
 * ajv, nor execa: read-only commands run through node's execFile), nor the wizard's modules or the
 * learn sandbox. Every module the real CLI resolves is recorded
 * by a loader hook (test/helpers/record-imports.mjs) in a child process.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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

/**
 * The project's modules in the bundle files that were loaded: the bundler marks where each
 * module's code starts with a `// dist/src/...js` line.
 */
function sourcesOf(urls: string[]): string[] {
  const files = [...new Set(urls.filter((u) => u.includes('/dist/bundle/')))].map((u) => fileURLToPath(u));
  expect(files.length, 'the recorder saw the bundle').toBeGreaterThan(0);
  return files.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter((l) => /^\/\/ dist\/(src|steps)\/\S+\.js$/.test(l)).map((l) => l.slice(3)));
}

const packageOf = (url: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? null;

describe('what the batch path loads', () => {
  it('check --file F --json: no ink, react, dockerode or ajv (no daemon socket here)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-imports-df-'));
    try {
      const dockerfile = path.join(dir, 'Dockerfile');
      writeFileSync(dockerfile, 'FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD ["node", "server.js"]\n');
      const packages = new Set((await importsOf(['check', '--file', dockerfile, '--json'], { DOCKER_HOST: `unix://${path.join(dir, 'no.sock')}` })).map(packageOf).filter(Boolean));
      // The recorder must see the diff maker (an ES module import), or it saw nothing at all.
      expect(packages).toContain('diff');
      for (const heavy of ['ink', 'react', 'ink-select-input', 'dockerode', 'docker-modem', 'ssh2', 'ajv', 'execa']) expect(packages, `${heavy} was loaded`).not.toContain(heavy);
      const own = sourcesOf(await importsOf(['check', '--file', dockerfile, '--json'], { DOCKER_HOST: `unix://${path.join(dir, 'no.sock')}` }));
      expect(own, 'the recorder saw the engine').toContain('dist/src/core/runner.js');
      for (const module of ['dist/src/ui/', 'dist/src/core/learn.js', 'dist/src/host/recorded.js']) expect(own.filter((u) => u.startsWith(module)), `${module} was loaded`).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('check --host: neither yaml nor dockerfile-ast, which only compose files and Dockerfiles need', async () => {
    // Both are CommonJS packages loaded with require() on first use: node's module debug log names them.
    const loadedBy = async (args: string[]) => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-imports-host-'));
      try {
        const r = await execa(process.execPath, [binPath, ...args], { reject: false, cwd: dir, env: { NODE_DEBUG: 'module', NO_COLOR: '1', DOCKER_HARDEN_STATE_DIR: path.join(dir, 'state'), DOCKER_HOST: `unix://${path.join(dir, 'no.sock')}` } });
        // A host whose daemon does not answer is checked as far as it can be (exit 2, said in the results).
        expect(JSON.parse(r.stdout).results.length, r.stderr.slice(-2000)).toBeGreaterThan(0);
        return new Set([...r.stderr.matchAll(/node_modules\/((?:@[^/]+\/)?[^/"\s]+)/g)].map((m) => m[1]!));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    const host = await loadedBy(['check', '--host', '--json']);
    expect(host).not.toContain('yaml');
    expect(host).not.toContain('dockerfile-ast');
    // The same log does show them: dockerfile-ast when a Dockerfile is checked, yaml when a compose
    // file is. A Dockerfile's proposed CI workflow and Dependabot file are written without yaml.
    const work = mkdtempSync(path.join(os.tmpdir(), 'dh-imports-df2-'));
    mkdirSync(path.join(work, '.git'));
    writeFileSync(path.join(work, 'Dockerfile'), 'FROM node:20\nCMD ["node", "server.js"]\n');
    writeFileSync(path.join(work, 'compose.yaml'), 'services:\n  web:\n    image: nginx:1.27\n');
    const file = await loadedBy(['check', '--file', path.join(work, 'Dockerfile'), '--json']);
    expect(file).toContain('dockerfile-ast');
    expect(file).not.toContain('yaml');
    expect(await loadedBy(['check', '--compose', path.join(work, 'compose.yaml'), '--json'])).toContain('yaml');
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('check loads the engine and every step as one file; --version loads none of it', async () => {
    // Node resolves each module file it loads, which costs a check's start-up more than compiling
    // the code in it: what every check needs is bundled together (rolldown.config.js).
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-imports-files-'));
    try {
      const dockerfile = path.join(dir, 'Dockerfile');
      writeFileSync(dockerfile, 'FROM node:20\nCMD ["node", "server.js"]\n');
      const bundleFiles = (urls: string[]) => [...new Set(urls.filter((u) => u.includes('/dist/bundle/')).map((u) => path.basename(fileURLToPath(u))))];
      const check = await importsOf(['check', '--file', dockerfile, '--json'], { DOCKER_HOST: `unix://${path.join(dir, 'no.sock')}` });
      const checkFiles = bundleFiles(check);
      expect(checkFiles.length, checkFiles.join(' ')).toBeLessThanOrEqual(4);
      const own = sourcesOf(check);
      for (const module of ['dist/steps/index.js', 'dist/steps/04-non-root-user.js', 'dist/src/app/batch.js', 'dist/src/core/runner.js']) expect(own).toContain(module);
      const version = await importsOf(['--version']);
      expect(bundleFiles(version).length, bundleFiles(version).join(' ')).toBeLessThanOrEqual(2);
      expect(sourcesOf(version).filter((m) => m.startsWith('dist/steps/') || m === 'dist/src/core/runner.js')).toEqual([]);
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
